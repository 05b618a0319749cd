/* policy_test_util.h — shared helpers for the policy tests: fixture policies written to a
 * temporary directory, and flow records built from text. */
#ifndef OW_POLICY_TEST_UTIL_H
#define OW_POLICY_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classifiers/policy/policy.h"
#include "common/timefmt.h"

static char fixture_dir[256];

static inline void fixture_dir_make(void)
{
    if (fixture_dir[0])
        return;
    const char *tmp = getenv("TMPDIR");
    snprintf(fixture_dir, sizeof fixture_dir, "%s/ow-policy-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(fixture_dir)) {
        perror("mkdtemp");
        abort();
    }
}

static inline void fixture_dir_remove(void)
{
    if (fixture_dir[0]) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", fixture_dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", fixture_dir);
    }
}

/* Writes text to <fixture_dir>/name and returns the path (static buffer per call site use). */
static const char *write_fixture(const char *name, const char *text, char *path, size_t pathlen)
{
    fixture_dir_make();
    snprintf(path, pathlen, "%s/%s", fixture_dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        abort();
    }
    fputs(text, f);
    fclose(f);
    return path;
}

static inline uint64_t t_us(const char *rfc3339)
{
    int64_t us = 0;
    if (ow_rfc3339_parse(rfc3339, &us) != 0) {
        fprintf(stderr, "bad test time %s\n", rfc3339);
        abort();
    }
    return (uint64_t)us;
}

static inline uint8_t li_label_of(const char *app)
{
    for (uint8_t l = OW_LI_X1; l <= OW_LI_HI3; l++)
        if (strcmp(app, ow_li_label_name(l)) == 0)
            return l;
    return OW_LI_NONE;
}

/* A flow as the worker would hand it over: "TLS.Google" sets master TLS and app Google,
 * an LI label name sets li.label. */
static inline struct ow_flow_record make_flow(const char *client, uint16_t cport, const char *server,
                                       uint16_t sport, uint8_t proto, const char *app,
                                       const char *when)
{
    struct ow_flow_record r;
    memset(&r, 0, sizeof r);
    if (ow_addr_from_text(client, &r.client) != 0 || ow_addr_from_text(server, &r.server) != 0) {
        fprintf(stderr, "bad test address %s or %s\n", client, server);
        abort();
    }
    r.client.port = cport;
    r.server.port = sport;
    r.l4_proto = proto;
    r.first_ts_us = r.last_ts_us = t_us(when);
    uint8_t label = li_label_of(app);
    if (label) {
        r.li.label = label;
        snprintf(r.app_proto, sizeof r.app_proto, "%s", app);
        snprintf(r.ndpi_protocol, sizeof r.ndpi_protocol, "Unknown");
        snprintf(r.ndpi_app, sizeof r.ndpi_app, "Unknown");
    } else {
        snprintf(r.ndpi_protocol, sizeof r.ndpi_protocol, "%s", app);
        snprintf(r.app_proto, sizeof r.app_proto, "%s", app);
        const char *dot = strchr(app, '.');
        if (dot) {
            snprintf(r.ndpi_master, sizeof r.ndpi_master, "%.*s", (int)(dot - app), app);
            snprintf(r.ndpi_app, sizeof r.ndpi_app, "%s", dot + 1);
        } else {
            snprintf(r.ndpi_app, sizeof r.ndpi_app, "%s", app);
        }
    }
    return r;
}

/* True when s is well-formed UTF-8. */
static inline int utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2
              : (*p & 0xf8) == 0xf0 ? 3 : -1;
        if (n < 0)
            return 0;
        p++;
        for (int i = 0; i < n; i++, p++)
            if ((*p & 0xc0) != 0x80)
                return 0;
    }
    return 1;
}

#endif
