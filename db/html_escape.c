/* html_escape.c — text made safe inside HTML: the five markup characters as entities,
 * control characters and invalid UTF-8 as U+FFFD. The report's HTML and every other page
 * omwitness renders go through here. */
#include "db/html_escape.h"

#include <stdlib.h>
#include <string.h>

#include "db/eve_json.h"

void ow_html_escape(FILE *out, const char *text, size_t len)
{
    static const char fffd[] = "\xEF\xBF\xBD";
    size_t n = strnlen(text, len);
    char *clean = malloc(n * 3 + 1);
    if (!clean)
        return;
    ow_utf8_sanitize(clean, n * 3 + 1, text, n);
    for (const unsigned char *p = (const unsigned char *)clean; *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                fputs(fffd, out);
            else
                fputc(*p, out);
        }
    }
    free(clean);
}
