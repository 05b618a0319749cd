/* http_report.c — GET /api/report: the period report as JSON or as its HTML page, built
 * once per state of the store and served from a cache after that, because building it
 * verifies the whole store. */
#include "sensor/http_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "db/api_lookups.h"
#include "db/eve_json.h"
#include "db/report.h"
#include "db/seal_keys.h"
#include "db/store.h"
#include "common/alloc.h"

/* ---- the report cache ----
 * A report verifies the whole store (every chained record re-hashed, every evidence blob),
 * which takes seconds on a large store, and the SOC page asks for it on every visit. The
 * answer can only change when the store does, so the last one is kept under a key made, before
 * the build, of the request's range, the chain's head (its seq and hash: every chained write
 * moves it) and the store's files as stat(2) sees them (size and modification time of the
 * file and its -wal: a row edited behind the chain's back changes them too; and the sealing
 * root key's file, when the report is verified against one). A key read
 * before the build can only be older than what the build saw, never newer, so a stale
 * document is never served for a newer store. Only the "generated" time is made afresh. */
static void file_key(char *out, size_t outlen, const char *path, const char *suffix)
{
    char name[PATH_MAX + 8];
    struct stat sb;
    snprintf(name, sizeof name, "%s%s", path, suffix);
    if (stat(name, &sb) != 0)
        snprintf(out, outlen, "-");
    else
        snprintf(out, outlen, "%llu.%llu.%lld.%lld.%ld", (unsigned long long)sb.st_dev,
                 (unsigned long long)sb.st_ino, (long long)sb.st_size,
                 (long long)sb.st_mtim.tv_sec, (long)sb.st_mtim.tv_nsec);
}

/* The key of a report over o from st; 0, or -1 when it cannot be made (then no caching). */
static int report_key(struct ow_store *st, const char *db_path, const struct ow_report_options *o,
                      char *out, size_t outlen)
{
    int64_t seq = 0;
    char head[80] = "";
    if (ow_api_chain_head(ow_store_handle(st), &seq, head, sizeof head) < 0)
        return -1;
    char dbk[128], walk[128], rootk[128] = "";
    file_key(dbk, sizeof dbk, db_path, "");
    file_key(walk, sizeof walk, db_path, "-wal");
    /* The store is verified against the sealing root key when there is one: a new key must
     * make a new verdict. */
    if (o->keys_dir)
        file_key(rootk, sizeof rootk, o->keys_dir, "/root.pub");
    int n = snprintf(out, outlen, "%d:%lld:%d:%lld|%lld:%s|%s|%s|%s", o->has_from,
                     (long long)o->from_us, o->has_to, (long long)o->to_us, (long long)seq,
                     head, dbk, walk, rootk);
    return n > 0 && (size_t)n < outlen ? 0 : -1;
}

/* The report from the cache (a copy, with its generation time now), or built and cached. */
static json_t *cached_report(struct ow_http *srv, struct ow_store *st,
                             const struct ow_report_options *o, char *err, size_t errlen)
{
    char key[sizeof srv->report_key];
    bool keyed = report_key(st, srv->db_path, o, key, sizeof key) == 0;
    if (keyed) {
        json_t *doc = NULL;
        pthread_mutex_lock(&srv->report_lock);
        if (srv->report_doc && !strcmp(srv->report_key, key))
            doc = json_deep_copy(srv->report_doc);
        pthread_mutex_unlock(&srv->report_lock);
        if (doc) {
            json_object_set_new(doc, "generated", ow_report_time_json((int64_t)o->generated_wall_us));
            return doc;
        }
    }
    json_t *report = ow_report_build(st, o, err, errlen);
    json_t *keep = keyed && report ? json_deep_copy(report) : NULL;
    if (keep) {
        pthread_mutex_lock(&srv->report_lock);
        json_decref(srv->report_doc);
        srv->report_doc = keep;
        snprintf(srv->report_key, sizeof srv->report_key, "%s", key);
        pthread_mutex_unlock(&srv->report_lock);
    }
    return report;
}

/* The report over [from, to): JSON, or the printable HTML page `omwitness report --format
 * html` writes. That page carries its own inline CSS and no script, so it is sent with a
 * policy that allows inline styles and forbids every script. */
enum MHD_Result ow_http_get_report(struct ow_http *srv, struct MHD_Connection *c)
{
    static const char *const allowed[] = { "from", "to", "format", NULL };
    static const char *const formats[] = { "json", "html", NULL };
    struct ow_params p = { .c = c };
    struct ow_report_options o = { .store_path = srv->db_path, .generated_wall_us = ow_http_wall_us() };
    bool has_from, has_to;
    const char *format[1] = { "json" };
    if (ow_params_check(&p, allowed) < 0 ||
        ow_params_time(&p, "from", &o.from_us, &has_from) < 0 ||
        ow_params_time(&p, "to", &o.to_us, &has_to) < 0 ||
        ow_params_list(&p, "format", formats, format, 1) < 0)
        return ow_http_bad_params(&p);
    if (has_from && has_to && o.to_us <= o.from_us)
        return ow_http_send_error(c, MHD_HTTP_BAD_REQUEST, "to must be later than from");
    o.has_from = has_from;
    o.has_to = has_to;
    /* Verified against the sensor's root key where keys init put it (docs/evidence.md);
     * the signed report for a regulator comes from `omwitness report --keys`. */
    if (access(OW_DEFAULT_KEYS_DIR "/root.pub", R_OK) == 0)
        o.keys_dir = OW_DEFAULT_KEYS_DIR;
    struct ow_store *st = ow_http_open_store(srv, c);
    if (!st)
        return MHD_YES;
    char err[512];
    json_t *report = cached_report(srv, st, &o, err, sizeof err);
    ow_store_close(st);
    if (!report)
        return ow_http_send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", err);
    if (!strcmp(format[0], "json"))
        return ow_http_send_json(c, MHD_HTTP_OK, report);
    char *html = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&html, &len);
    int rc = mem ? ow_report_write_html(report, mem) : -1;
    if (mem && fclose(mem) != 0)
        rc = -1;
    json_decref(report);
    if (rc < 0) {
        free(html);
        return ow_http_send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot render the report");
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(len, html, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(html);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "text/html; charset=utf-8");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    ow_http_add_headers_with_csp(r, "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                                    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}
