/* http_params.c — validation of query parameters. Everything in a query string is hostile:
 * unknown or repeated names, numbers out of range and bad times are refused with a message
 * that the endpoint returns as a 400. */
#include "sensor/http_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/query_filter.h"
#include "common/timefmt.h"

struct check_ctx {
    struct ow_params *p;
    const char *const *allowed;
    const char *seen[16];
    int nseen;
    bool failed;
};

/* Copies a name for a message, keeping printable ASCII only. */
static void printable(char *dst, size_t dstlen, const char *src)
{
    size_t i = 0;
    for (; src && src[i] && i + 1 < dstlen && i < 40; i++)
        dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
    dst[i] = '\0';
}

static enum MHD_Result check_one(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
    struct check_ctx *x = cls;
    (void)kind;
    (void)value;
    char shown[48];
    printable(shown, sizeof shown, key);
    bool known = false;
    for (const char *const *a = x->allowed; *a; a++)
        if (!strcmp(*a, key))
            known = true;
    if (!strcmp(key, "token"))   /* the event stream's credential, checked before */
        known = true;
    if (!known) {
        snprintf(x->p->param, sizeof x->p->param, "%s", shown);
        snprintf(x->p->err, sizeof x->p->err, "unknown parameter '%s'", shown);
        x->failed = true;
        return MHD_NO;
    }
    for (int i = 0; i < x->nseen; i++)
        if (!strcmp(x->seen[i], key)) {
            snprintf(x->p->err, sizeof x->p->err, "parameter '%s' given more than once", shown);
            x->failed = true;
            return MHD_NO;
        }
    if (x->nseen == (int)(sizeof x->seen / sizeof x->seen[0])) {
        snprintf(x->p->err, sizeof x->p->err, "too many parameters");
        x->failed = true;
        return MHD_NO;
    }
    x->seen[x->nseen++] = key;
    return MHD_YES;
}

int ow_params_check(struct ow_params *p, const char *const *allowed)
{
    struct check_ctx x = { .p = p, .allowed = allowed };
    p->err[0] = '\0';
    p->param[0] = '\0';
    MHD_get_connection_values(p->c, MHD_GET_ARGUMENT_KIND, check_one, &x);
    return x.failed ? -1 : 0;
}

const char *ow_params_get(struct ow_params *p, const char *name)
{
    const char *v = MHD_lookup_connection_value(p->c, MHD_GET_ARGUMENT_KIND, name);
    return v && *v ? v : NULL;
}

int ow_params_int(struct ow_params *p, const char *name, int64_t min, int64_t max, int64_t def,
                  int64_t *out)
{
    const char *v = ow_params_get(p, name);
    *out = def;
    if (!v)
        return 0;
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    bool digits = (v[0] >= '0' && v[0] <= '9') || (v[0] == '-' && v[1] >= '0' && v[1] <= '9');
    if (!digits || *end || errno || n < min || n > max) {
        snprintf(p->param, sizeof p->param, "%s", name);
        snprintf(p->err, sizeof p->err, "%s must be an integer from %lld to %lld", name,
                 (long long)min, (long long)max);
        return -1;
    }
    *out = n;
    return 0;
}

int ow_params_time(struct ow_params *p, const char *name, int64_t *out, bool *present)
{
    const char *v = ow_params_get(p, name);
    *present = false;
    if (!v)
        return 0;
    if (strlen(v) > 64 || ow_rfc3339_parse(v, out) < 0) {
        snprintf(p->param, sizeof p->param, "%s", name);
        snprintf(p->err, sizeof p->err,
                 "%s must be an RFC 3339 time such as 2026-02-10T01:00:00Z", name);
        return -1;
    }
    *present = true;
    return 0;
}

int ow_params_name(struct ow_params *p, const char *name, size_t maxlen, const char **out)
{
    const char *v = ow_params_get(p, name);
    *out = NULL;
    if (!v)
        return 0;
    size_t n = strlen(v);
    if (n > maxlen) {
        snprintf(p->param, sizeof p->param, "%s", name);
        snprintf(p->err, sizeof p->err, "%s is longer than %zu characters", name, maxlen);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] >= 0x7f) {
            snprintf(p->param, sizeof p->param, "%s", name);
            snprintf(p->err, sizeof p->err, "%s must be printable ASCII", name);
            return -1;
        }
    *out = v;
    return 0;
}

int ow_params_list(struct ow_params *p, const char *name, const char *const *choices,
                   const char **out, int max)
{
    const char *v = ow_params_get(p, name);
    if (!v)
        return 0;
    int n = ow_parse_choices(v, choices, out, max, name, p->err, sizeof p->err);
    if (n < 0)
        snprintf(p->param, sizeof p->param, "%s", name);
    return n;
}

int ow_params_choice(struct ow_params *p, const char *name, const char *const *choices, int def,
                     int *out)
{
    const char *v = ow_params_get(p, name);
    *out = def;
    if (!v)
        return 0;
    for (int i = 0; choices[i]; i++)
        if (!strcmp(choices[i], v)) {
            *out = i;
            return 0;
        }
    const char *one[1];
    ow_parse_choices(v, choices, one, 1, name, p->err, sizeof p->err);
    snprintf(p->param, sizeof p->param, "%s", name);
    return -1;
}

int ow_params_ip(struct ow_params *p, const char *name, char *buf, size_t buflen,
                 const char **out)
{
    const char *v = NULL;
    *out = NULL;
    if (ow_params_name(p, name, 64, &v) < 0)
        return -1;
    if (!v)
        return 0;
    if (ow_normalise_ip(v, buf, buflen) < 0) {
        snprintf(p->param, sizeof p->param, "%s", name);
        snprintf(p->err, sizeof p->err, "%s must be an IPv4 or IPv6 address", name);
        return -1;
    }
    *out = buf;
    return 0;
}
