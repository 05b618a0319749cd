/* http_token.c — who may call the API: reading a bearer token from a file, and deciding
 * whether a listening address needs one (anything outside loopback does). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "sensor/http_api.h"

int ow_read_token_file(const char *path, char *token, size_t tokenlen, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    char line[512];
    bool got = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    if (!got) {
        snprintf(err, errlen, "%s: empty token file", path);
        return -1;
    }
    char *s = line, *e = line + strlen(line);
    while (*s == ' ' || *s == '\t')
        s++;
    while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
        *--e = '\0';
    size_t n = (size_t)(e - s);
    if (n < 16 || n >= tokenlen) {
        snprintf(err, errlen, "%s: the token must be 16 to %zu characters", path, tokenlen - 1);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (s[i] <= 0x20 || s[i] >= 0x7f) {
            snprintf(err, errlen, "%s: the token must be printable ASCII without spaces", path);
            return -1;
        }
    memcpy(token, s, n + 1);
    explicit_bzero(line, sizeof line);
    return 0;
}

int ow_http_choose_token(const char *listen, const char *token_file, bool require,
                         char *token, size_t tokenlen, bool *generated, char *err, size_t errlen)
{
    token[0] = '\0';
    *generated = false;
    if (token_file)
        return ow_read_token_file(token_file, token, tokenlen, err, errlen);
    /* The address part of ADDR:PORT or [ADDR]:PORT decides whether one is needed. */
    char host[64] = "";
    const char *l = listen;
    const char *end = l[0] == '[' ? strchr(l, ']') : strrchr(l, ':');
    size_t n = end ? (size_t)(end - l) : 0;
    if (l[0] == '[' && n) {
        l++;
        n--;
    }
    if (n < sizeof host) {
        memcpy(host, l, n);
        host[n] = '\0';
    }
    if (!require && ow_http_addr_is_loopback(host))
        return 0;
    if (tokenlen < 65 || ow_http_new_token(token) < 0) {
        snprintf(err, errlen, "cannot generate a token: %s", strerror(errno));
        return -1;
    }
    *generated = true;
    return 0;
}
