/* html_escape.h — escaping text for HTML (html_escape.c). */
#ifndef OW_HTML_ESCAPE_H
#define OW_HTML_ESCAPE_H

#include <stddef.h>
#include <stdio.h>

/* Writes text HTML-escaped: & < > " ' as entities, control characters and invalid UTF-8 as
 * U+FFFD. At most len bytes (stops at NUL). */
void ow_html_escape(FILE *out, const char *text, size_t len);

#endif
