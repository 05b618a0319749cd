/* report.c — builds the period report from the store (runs, coverage, flows by verdict,
 * authorized LI and maintenance sessions, anomalies, policies, chain) as one JSON document,
 * decides the conclusion. Rendering it is report_render.c's job. */
#include "db/report.h"
#include "db/run_decode.h"

#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "db/eve_json.h"
#include "db/hash_chain.h"
#include "db/run_context.h"
#include "db/store.h"
#include "db/triage.h"
#include "db/verify.h"
#include "db/checkpoint.h"
#include "db/seal_keys.h"
#include "common/anomaly_kinds.h"
#include "common/endpoint.h"

/* ---- building ------------------------------------------------------------------------ */

struct builder {
    sqlite3 *db;
    int sealed_schema;               /* the store has schema 7's tables (content roots) */
    const struct ow_report_options *o;
    int64_t from, to;                /* the period; open ends as the int64 extremes */
    char *err;
    size_t errlen;
};

static int build_err(struct builder *b, const char *what)
{
    snprintf(b->err, b->errlen, "report: %s: %s", what, sqlite3_errmsg(b->db));
    return -1;
}

/* "2026-02-10T05:30:00.123456Z"; JSON null for no time. */
json_t *ow_report_time_json(int64_t us)
{
    if (us <= 0)
        return json_null();
    time_t secs = (time_t)(us / 1000000);
    struct tm tm;
    char buf[64];
    if (!gmtime_r(&secs, &tm))
        return json_null();
    size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, sizeof buf - n, ".%06dZ", (int)(us % 1000000));
    return json_string(buf);
}

/* A column as a JSON string: valid UTF-8 always (invalid bytes become U+FFFD), NULL -> "". */
static json_t *text_json(sqlite3_stmt *s, int col)
{
    const char *t = (const char *)sqlite3_column_text(s, col);
    int n = sqlite3_column_bytes(s, col);
    if (!t || n <= 0)
        return json_string("");
    size_t cap = (size_t)n * 3 + 1;
    char *buf = malloc(cap);
    if (!buf)
        return json_string("");
    ow_utf8_sanitize(buf, cap, t, (size_t)n);
    json_t *j = json_string(buf);
    free(buf);
    return j ? j : json_string("");
}

static json_t *int_json(sqlite3_stmt *s, int col)
{
    return json_integer(sqlite3_column_int64(s, col));
}

static json_t *hash_json(sqlite3_stmt *s, int col)
{
    const void *h = sqlite3_column_blob(s, col);
    if (!h || sqlite3_column_bytes(s, col) != OW_HASH_LEN)
        return json_null();
    char hex[OW_HASH_HEX_LEN];
    ow_hex(h, OW_HASH_LEN, hex);
    return json_string(hex);
}

static json_t *endpoint_json(sqlite3_stmt *s, int ip_col, int port_col)
{
    json_t *o = json_object();
    json_object_set_new(o, "ip", text_json(s, ip_col));
    json_object_set_new(o, "port", int_json(s, port_col));
    return o;
}

static json_t *proto_json(sqlite3_stmt *s, int col)
{
    int64_t p = sqlite3_column_int64(s, col);
    const char *name = p >= 0 && p <= 255 ? ow_l4_proto_name((uint8_t)p) : NULL;
    if (name)
        return json_string(name);
    char buf[24];
    snprintf(buf, sizeof buf, "%" PRId64, p);
    return json_string(buf);
}

static int prepare(struct builder *b, const char *sql, sqlite3_stmt **s)
{
    if (sqlite3_prepare_v2(b->db, sql, -1, s, NULL) != SQLITE_OK)
        return build_err(b, "query");
    sqlite3_bind_int64(*s, 1, b->from);
    sqlite3_bind_int64(*s, 2, b->to);
    return 0;
}

static int finish(struct builder *b, sqlite3_stmt *s, int rc, const char *what)
{
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : build_err(b, what);
}

/* The run's packet-time span: its own when it ended with packets, else its flows' (a run
 * that never ended). */
#define RUN_SPAN_SQL \
    "SELECT * FROM (SELECT r.id, r.kind, r.source, %s, r.site, r.policy_sha256, " \
    "r.version, r.threads, r.started_wall, r.ended_wall, " \
    "coalesce(nullif(r.first_ts, 0), (SELECT min(f.first_ts) FROM flows f WHERE f.run_id = r.id)) AS span_start, " \
    "coalesce(nullif(r.last_ts, 0), (SELECT max(f.last_ts) FROM flows f WHERE f.run_id = r.id)) AS span_end, " \
    "r.packets, r.bytes, r.packets_malformed, r.packets_not_ip, r.kernel_drops, r.internal_drops, " \
    "r.flows, r.flows_evicted, r.gaps, r.clean_end, r.chain_head, %s AS content_root FROM runs r) " \
    "WHERE (span_start IS NOT NULL AND span_start < ?2 AND span_end >= ?1) OR " \
    "(span_start IS NULL AND ?3) ORDER BY id"

/* Schema 6 on: a run that has not ended (still running, or killed) is covered up to its
 * latest progress record, with that record's counters; without one, as above. */
#define RUN_SPAN_SQL_PROGRESS \
    "SELECT * FROM (SELECT r.id, r.kind, r.source, %s, r.site, r.policy_sha256, " \
    "r.version, r.threads, r.started_wall, r.ended_wall, " \
    "coalesce(nullif(r.first_ts, 0), p.first_ts, (SELECT min(f.first_ts) FROM flows f WHERE f.run_id = r.id)) AS span_start, " \
    "CASE WHEN r.ended_wall IS NULL AND p.id IS NOT NULL THEN p.last_ts ELSE " \
    "coalesce(nullif(r.last_ts, 0), (SELECT max(coalesce(f.end_ts, f.last_ts)) FROM flows f WHERE f.run_id = r.id)) END AS span_end, " \
    "CASE WHEN r.ended_wall IS NULL AND p.id IS NOT NULL THEN p.packets ELSE r.packets END, " \
    "CASE WHEN r.ended_wall IS NULL AND p.id IS NOT NULL THEN p.bytes ELSE r.bytes END, " \
    "r.packets_malformed, r.packets_not_ip, " \
    "CASE WHEN r.ended_wall IS NULL AND p.id IS NOT NULL THEN p.kernel_drops ELSE r.kernel_drops END, " \
    "CASE WHEN r.ended_wall IS NULL AND p.id IS NOT NULL THEN p.internal_drops ELSE r.internal_drops END, " \
    "CASE WHEN r.ended_wall IS NULL AND p.id IS NOT NULL THEN p.flows ELSE r.flows END, " \
    "r.flows_evicted, " \
    "CASE WHEN r.ended_wall IS NULL AND p.id IS NOT NULL THEN p.gaps ELSE r.gaps END, " \
    "r.clean_end, r.chain_head, %s AS content_root FROM runs r LEFT JOIN run_progress p ON p.id = " \
    "(SELECT max(q.id) FROM run_progress q WHERE q.run_id = r.id)) " \
    "WHERE (span_start IS NOT NULL AND span_start < ?2 AND span_end >= ?1) OR " \
    "(span_start IS NULL AND ?3) ORDER BY id"

/* A replay's file hashes: its run_input record's (schema 11 on, recorded at its end), else
 * the run record's (runs made before). */
static const char *input_sha256_sql(sqlite3 *db)
{
    sqlite3_stmt *s = NULL;
    int found = sqlite3_prepare_v2(db, "SELECT input_sha256 FROM runs LIMIT 0", -1, &s, NULL) ==
                SQLITE_OK;
    sqlite3_finalize(s);
    return found ? "coalesce(r.input_sha256, r.source_sha256) AS source_sha256" :
                   "r.source_sha256";
}

static int has_progress(sqlite3 *db)
{
    sqlite3_stmt *s = NULL;
    int found = sqlite3_prepare_v2(db, "SELECT 1 FROM run_progress LIMIT 0", -1, &s, NULL) ==
                SQLITE_OK;
    sqlite3_finalize(s);
    return found;
}

enum { R_ID, R_KIND, R_SOURCE, R_SOURCE_SHA, R_SITE, R_POLICY, R_VERSION, R_THREADS,
       R_STARTED_WALL, R_ENDED_WALL, R_SPAN_START, R_SPAN_END, R_PACKETS, R_BYTES,
       R_MALFORMED, R_NOT_IP, R_KERNEL_DROPS, R_INTERNAL_DROPS, R_FLOWS, R_FLOWS_EVICTED,
       R_GAPS, R_CLEAN_END, R_CHAIN_HEAD, R_CONTENT_ROOT };

struct span {
    int64_t start, end;
};

static int cmp_span(const void *a, const void *b)
{
    const struct span *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

struct totals {
    int64_t runs, packets, bytes, kernel_drops, internal_drops, malformed, not_ip, gaps;
    int64_t unclean, flows_evicted;
    int64_t no_policy, no_root;      /* runs without a policy, ended runs without a content root */
};

static int add_runs(struct builder *b, json_t *root, struct totals *t, json_t *unwatched)
{
    sqlite3_stmt *s;
    char sql[4096];
    snprintf(sql, sizeof sql, has_progress(b->db) ? RUN_SPAN_SQL_PROGRESS : RUN_SPAN_SQL,
             input_sha256_sql(b->db), b->sealed_schema ? "(SELECT c.root FROM content_roots c WHERE c.run_id = r.id)" :
             "NULL");
    if (prepare(b, sql, &s) < 0)
        return -1;
    sqlite3_bind_int(s, 3, !b->o->has_from && !b->o->has_to);
    json_t *runs = json_array(), *policies = json_array();
    json_object_set_new(root, "runs", runs);
    struct span *spans = NULL;
    size_t nspans = 0, cap = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        json_t *r = json_object();
        json_object_set_new(r, "id", int_json(s, R_ID));
        json_object_set_new(r, "kind", text_json(s, R_KIND));
        json_object_set_new(r, "source", text_json(s, R_SOURCE));
        json_object_set_new(r, "source_sha256", text_json(s, R_SOURCE_SHA));
        json_object_set_new(r, "site", text_json(s, R_SITE));
        json_object_set_new(r, "policy_sha256", text_json(s, R_POLICY));
        json_object_set_new(r, "version", text_json(s, R_VERSION));
        json_object_set_new(r, "threads", int_json(s, R_THREADS));
        json_object_set_new(r, "first_packet", ow_report_time_json(sqlite3_column_int64(s, R_SPAN_START)));
        json_object_set_new(r, "last_packet", ow_report_time_json(sqlite3_column_int64(s, R_SPAN_END)));
        json_object_set_new(r, "started_wall", ow_report_time_json(sqlite3_column_int64(s, R_STARTED_WALL)));
        json_object_set_new(r, "ended_wall", ow_report_time_json(sqlite3_column_int64(s, R_ENDED_WALL)));
        int ended = sqlite3_column_type(s, R_ENDED_WALL) != SQLITE_NULL;
        int clean = sqlite3_column_int(s, R_CLEAN_END) != 0;
        json_object_set_new(r, "ended", json_boolean(ended));
        json_object_set_new(r, "clean_end", json_boolean(clean));
        static const struct { const char *name; int col; } counters[] = {
            { "packets", R_PACKETS }, { "bytes", R_BYTES },
            { "kernel_drops", R_KERNEL_DROPS }, { "internal_drops", R_INTERNAL_DROPS },
            { "packets_malformed", R_MALFORMED }, { "packets_not_ip", R_NOT_IP },
            { "gaps", R_GAPS }, { "flows", R_FLOWS }, { "flows_evicted", R_FLOWS_EVICTED },
        };
        for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++)
            json_object_set_new(r, counters[i].name, int_json(s, counters[i].col));
        json_object_set_new(r, "chain_head", hash_json(s, R_CHAIN_HEAD));
        json_object_set_new(r, "content_root", hash_json(s, R_CONTENT_ROOT));
        if (sqlite3_column_type(s, R_CONTENT_ROOT) == SQLITE_NULL && ended)
            t->no_root++;
        {
            const unsigned char *pol = sqlite3_column_text(s, R_POLICY);
            if (!pol || !*pol)
                t->no_policy++;
        }
        char sensor[256];
        ow_run_sensor_name(b->db, sqlite3_column_int64(s, R_ID), sensor, sizeof sensor);
        json_object_set_new(r, "sensor", json_string(sensor));
        json_array_append_new(runs, r);

        t->runs++;
        t->packets += sqlite3_column_int64(s, R_PACKETS);
        t->bytes += sqlite3_column_int64(s, R_BYTES);
        t->kernel_drops += sqlite3_column_int64(s, R_KERNEL_DROPS);
        t->internal_drops += sqlite3_column_int64(s, R_INTERNAL_DROPS);
        t->malformed += sqlite3_column_int64(s, R_MALFORMED);
        t->not_ip += sqlite3_column_int64(s, R_NOT_IP);
        t->gaps += sqlite3_column_int64(s, R_GAPS);
        t->flows_evicted += sqlite3_column_int64(s, R_FLOWS_EVICTED);
        t->unclean += !clean;

        /* Distinct policies (site, hash), in order of first use. */
        json_t *site = text_json(s, R_SITE), *hash = text_json(s, R_POLICY);
        int seen = 0;
        size_t i;
        json_t *p;
        json_array_foreach(policies, i, p)
            seen |= json_equal(json_object_get(p, "sha256"), hash) &&
                    json_equal(json_object_get(p, "site"), site);
        if (!seen)
            json_array_append_new(policies, json_pack("{s:O,s:O}", "site", site, "sha256", hash));
        json_decref(site);
        json_decref(hash);

        if (sqlite3_column_type(s, R_SPAN_START) != SQLITE_NULL) {
            if (nspans == cap) {
                cap = cap ? 2 * cap : 16;
                struct span *more = realloc(spans, cap * sizeof *spans);
                if (!more) {
                    free(spans);
                    sqlite3_finalize(s);
                    snprintf(b->err, b->errlen, "report: out of memory");
                    return -1;
                }
                spans = more;
            }
            spans[nspans].start = sqlite3_column_int64(s, R_SPAN_START);
            spans[nspans].end = sqlite3_column_int64(s, R_SPAN_END);
            nspans++;
        }
    }
    json_object_set_new(root, "policies", policies);

    /* Stretches of the period that no run watched. */
    if (nspans) {
        qsort(spans, nspans, sizeof *spans, cmp_span);
        int64_t covered = b->o->has_from ? b->from : spans[0].start;
        int64_t end = b->o->has_to ? b->to : INT64_MIN;
        for (size_t i = 0; i < nspans; i++) {
            if (spans[i].start - covered >= OW_REPORT_UNWATCHED_MIN_US)
                json_array_append_new(unwatched, json_pack("{s:o,s:o}",
                    "from", ow_report_time_json(covered), "to", ow_report_time_json(spans[i].start)));
            if (spans[i].end > covered)
                covered = spans[i].end;
        }
        if (b->o->has_to && end - covered >= OW_REPORT_UNWATCHED_MIN_US)
            json_array_append_new(unwatched, json_pack("{s:o,s:o}",
                "from", ow_report_time_json(covered), "to", ow_report_time_json(end)));
    } else if (b->o->has_from && b->o->has_to) {
        json_array_append_new(unwatched, json_pack("{s:o,s:o}",
            "from", ow_report_time_json(b->from), "to", ow_report_time_json(b->to)));
    }
    free(spans);
    return finish(b, s, rc, "runs");
}

static int add_flow_counts(struct builder *b, json_t *root, int64_t *total_out)
{
    sqlite3_stmt *s;
    if (prepare(b, "SELECT verdict_status, count(*) FROM flows WHERE first_ts >= ?1 AND "
                   "first_ts < ?2 GROUP BY verdict_status ORDER BY verdict_status", &s) < 0)
        return -1;
    json_t *by = json_object();
    static const char *const statuses[] = { "authorized", "anomaly", "out_of_scope",
                                            "unevaluated" };
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
        json_object_set_new(by, statuses[i], json_integer(0));
    int64_t total = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        json_t *name = text_json(s, 0);
        int64_t n = sqlite3_column_int64(s, 1);
        json_object_set_new(by, json_string_value(name), json_integer(n));
        json_decref(name);
        total += n;
    }
    json_object_set_new(root, "flows", json_pack("{s:I,s:o}", "total", (json_int_t)total,
                                                 "by_verdict", by));
    *total_out = total;
    return finish(b, s, rc, "flow counts");
}

/* The rule kind: from the run's recorded rules, else inferred (a ticket means maintenance,
 * an LI label li) for runs stored before their rules were. */
#define RULE_KIND_SQL \
    "coalesce(rr.kind, CASE WHEN f.verdict_ticket <> '' THEN 'maintenance' " \
    "WHEN f.li_interface <> '' THEN 'li' ELSE '' END)"

static int64_t count_query(struct builder *b, const char *sql)
{
    sqlite3_stmt *s;
    if (prepare(b, sql, &s) < 0)
        return -1;
    int64_t n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    sqlite3_finalize(s);
    if (n < 0)
        build_err(b, "count");
    return n;
}

/* A flow's final values (schema 6 on: its end record's, once it ended). */
#define FINAL_LAST_TS "coalesce(f.end_ts, f.last_ts)"
#define FINAL_COUNTS "coalesce(f.end_pkts_toserver, f.pkts_toserver) + coalesce(" \
    "f.end_pkts_toclient, f.pkts_toclient), coalesce(f.end_bytes_toserver, f.bytes_toserver) + " \
    "coalesce(f.end_bytes_toclient, f.bytes_toclient)"
#define PLAIN_COUNTS "f.pkts_toserver + f.pkts_toclient, f.bytes_toserver + f.bytes_toclient"

static int add_sessions(struct builder *b, json_t *root)
{
    int ends = has_progress(b->db);   /* run_progress and the flow end columns came together */
    static const char from_where[] =
        " FROM flows f LEFT JOIN run_rules rr ON rr.run_id = f.run_id AND "
        "rr.rule_id = f.verdict_rule WHERE f.verdict_status = 'authorized' AND "
        "f.first_ts >= ?1 AND f.first_ts < ?2 AND " RULE_KIND_SQL " IN ('li', 'maintenance')";
    char sql[2048];
    snprintf(sql, sizeof sql, "SELECT count(*)%s", from_where);
    int64_t total = count_query(b, sql);
    if (total < 0)
        return -1;
    snprintf(sql, sizeof sql,
             "SELECT f.id, f.run_id, f.flow_id, f.community_id, f.first_ts, %s, "
             "f.l4_proto, f.client_ip, f.client_port, f.server_ip, f.server_port, f.app_proto, "
             "f.verdict_rule, " RULE_KIND_SQL ", coalesce(nullif(rr.interface, ''), "
             "f.li_interface), coalesce(nullif(f.verdict_ticket, ''), rr.ticket, ''), "
             "f.verdict_asset_src, f.verdict_asset_dest, f.verdict_overrun OR EXISTS (SELECT 1 "
             "FROM alerts oa WHERE oa.flow_row = f.id AND oa.kind = '%s'), "
             "rr.kind IS NULL, %s"
             "%s ORDER BY f.first_ts, f.flow_id, f.id LIMIT %d", ends ? FINAL_LAST_TS : "f.last_ts",
             ow_anomaly_kind(OW_KIND_MAINTENANCE_OVERRUN)->kind, ends ? FINAL_COUNTS : PLAIN_COUNTS, from_where, OW_REPORT_LIST_MAX);
    sqlite3_stmt *s;
    if (prepare(b, sql, &s) < 0)
        return -1;
    json_t *list = json_array();
    int64_t li = 0, maint = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        json_t *o = json_object();
        json_object_set_new(o, "flow_row", int_json(s, 0));
        json_object_set_new(o, "run", int_json(s, 1));
        json_object_set_new(o, "flow_id", int_json(s, 2));
        json_object_set_new(o, "community_id", text_json(s, 3));
        json_object_set_new(o, "start", ow_report_time_json(sqlite3_column_int64(s, 4)));
        json_object_set_new(o, "end", ow_report_time_json(sqlite3_column_int64(s, 5)));
        json_object_set_new(o, "proto", proto_json(s, 6));
        json_object_set_new(o, "client", endpoint_json(s, 7, 8));
        json_object_set_new(o, "server", endpoint_json(s, 9, 10));
        json_object_set_new(o, "app_proto", text_json(s, 11));
        json_object_set_new(o, "rule", text_json(s, 12));
        json_t *kind = text_json(s, 13);
        if (!strcmp(json_string_value(kind), "li"))
            li++;
        else
            maint++;
        json_object_set_new(o, "rule_kind", kind);
        json_object_set_new(o, "interface", text_json(s, 14));
        json_object_set_new(o, "ticket", text_json(s, 15));
        json_object_set_new(o, "asset_src", text_json(s, 16));
        json_object_set_new(o, "asset_dest", text_json(s, 17));
        json_object_set_new(o, "overrun", json_boolean(sqlite3_column_int(s, 18)));
        json_object_set_new(o, "rule_kind_inferred", json_boolean(sqlite3_column_int(s, 19)));
        json_object_set_new(o, "packets", int_json(s, 20));
        json_object_set_new(o, "bytes", int_json(s, 21));
        json_array_append_new(list, o);
    }
    json_object_set_new(root, "authorized_sessions", json_pack("{s:I,s:I,s:I,s:o}",
        "total", (json_int_t)total, "li_listed", (json_int_t)li,
        "maintenance_listed", (json_int_t)maint, "sessions", list));
    if (total > OW_REPORT_LIST_MAX)
        json_object_set_new(json_object_get(root, "authorized_sessions"), "not_listed",
                            json_integer(total - OW_REPORT_LIST_MAX));
    return finish(b, s, rc, "sessions");
}

static int add_rule_hits(struct builder *b, json_t *root)
{
    sqlite3_stmt *s;
    if (prepare(b, "SELECT f.verdict_rule, " RULE_KIND_SQL ", count(*) FROM flows f LEFT JOIN "
                   "run_rules rr ON rr.run_id = f.run_id AND rr.rule_id = f.verdict_rule "
                   "WHERE f.verdict_status = 'authorized' AND f.verdict_rule <> '' AND "
                   "f.first_ts >= ?1 AND f.first_ts < ?2 GROUP BY 1, 2 ORDER BY 1, 2", &s) < 0)
        return -1;
    json_t *list = json_array();
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        json_array_append_new(list, json_pack("{s:o,s:o,s:o}", "rule", text_json(s, 0),
                                              "kind", text_json(s, 1), "flows", int_json(s, 2)));
    json_object_set_new(root, "rule_hits", list);
    return finish(b, s, rc, "rule hits");
}

static int add_anomalies(struct builder *b, json_t *root, int64_t *total_out)
{
    int64_t total = count_query(b, "SELECT count(*) FROM alerts WHERE ts >= ?1 AND ts < ?2");
    if (total < 0)
        return -1;
    *total_out = total;
    sqlite3_stmt *s;
    char sql[2048];
    snprintf(sql, sizeof sql,
             "SELECT a.id, a.flow_row, a.ts, a.kind, a.severity, a.rule, a.reason, a.asset_src, "
             "a.asset_dest, a.run_id, f.flow_id, f.community_id, f.l4_proto, f.client_ip, "
             "f.client_port, f.server_ip, f.server_port, f.app_proto, f.last_ts, e.packets, "
             "e.bytes, e.sha256, e.truncated, f.id IS NULL, e.id IS NULL, "
             "t.status, t.note, t.actor, t.at "
             "FROM alerts a LEFT JOIN flows f ON f.id = a.flow_row "
             "LEFT JOIN evidence e ON e.flow_row = a.flow_row %s "
             "WHERE a.ts >= ?1 AND a.ts < ?2 ORDER BY a.ts, a.id LIMIT %d",
             ow_triage_available(b->db)
                 ? "LEFT JOIN triage t ON t.id = (SELECT max(t2.id) FROM triage t2 WHERE "
                   "t2.alert_id = a.id)"
                 : "LEFT JOIN (SELECT NULL AS status, NULL AS note, NULL AS actor, NULL AS at) t "
                   "ON 0",
             OW_REPORT_LIST_MAX);
    if (prepare(b, sql, &s) < 0)
        return -1;
    json_t *list = json_array(), *by_sev = json_object(), *by_kind = json_object();
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        json_t *o = json_object();
        json_object_set_new(o, "alert_id", int_json(s, 0));
        json_object_set_new(o, "flow_row", int_json(s, 1));
        json_object_set_new(o, "time", ow_report_time_json(sqlite3_column_int64(s, 2)));
        json_object_set_new(o, "kind", text_json(s, 3));
        json_object_set_new(o, "severity", text_json(s, 4));
        json_object_set_new(o, "rule", text_json(s, 5));
        json_object_set_new(o, "reason", text_json(s, 6));
        json_object_set_new(o, "asset_src", text_json(s, 7));
        json_object_set_new(o, "asset_dest", text_json(s, 8));
        json_object_set_new(o, "run", int_json(s, 9));
        if (!sqlite3_column_int(s, 23)) {
            json_object_set_new(o, "flow_id", int_json(s, 10));
            json_object_set_new(o, "community_id", text_json(s, 11));
            json_object_set_new(o, "proto", proto_json(s, 12));
            json_object_set_new(o, "client", endpoint_json(s, 13, 14));
            json_object_set_new(o, "server", endpoint_json(s, 15, 16));
            json_object_set_new(o, "app_proto", text_json(s, 17));
            json_object_set_new(o, "end", ow_report_time_json(sqlite3_column_int64(s, 18)));
        }
        if (!sqlite3_column_int(s, 24))
            json_object_set_new(o, "evidence", json_pack("{s:o,s:o,s:o,s:b}",
                "packets", int_json(s, 19), "bytes", int_json(s, 20),
                "sha256", text_json(s, 21), "truncated", sqlite3_column_int(s, 22) != 0));
        else
            json_object_set_new(o, "evidence", json_null());
        /* The analyst's disposition: the newest triage record, or open when none. */
        if (sqlite3_column_type(s, 25) != SQLITE_NULL) {
            char at[48];
            ow_eve_timestamp((uint64_t)sqlite3_column_int64(s, 28), at, sizeof at);
            json_object_set_new(o, "triage", json_pack("{s:o,s:o,s:o,s:s}", "status",
                text_json(s, 25), "note", text_json(s, 26), "by", text_json(s, 27), "at", at));
        } else {
            json_object_set_new(o, "triage", json_pack("{s:s}", "status", "open"));
        }
        json_array_append_new(list, o);
    }
    int rc2 = finish(b, s, rc, "anomalies");
    if (rc2 < 0) {
        json_decref(list);
        json_decref(by_sev);
        json_decref(by_kind);
        return -1;
    }
    /* Counts over the whole period, not just the listed rows. */
    static const char *const group_sql[2] = {
        "SELECT severity, count(*) FROM alerts WHERE ts >= ?1 AND ts < ?2 GROUP BY 1 ORDER BY 1",
        "SELECT kind, count(*) FROM alerts WHERE ts >= ?1 AND ts < ?2 GROUP BY 1 ORDER BY 1",
    };
    json_t *groups[2] = { by_sev, by_kind };
    for (int g = 0; g < 2; g++) {
        if (prepare(b, group_sql[g], &s) < 0)
            return -1;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            json_t *k = text_json(s, 0);
            json_object_set_new(groups[g], json_string_value(k), int_json(s, 1));
            json_decref(k);
        }
        if (finish(b, s, rc, "anomaly counts") < 0)
            return -1;
    }
    json_t *a = json_pack("{s:I,s:o,s:o,s:o}", "total", (json_int_t)total, "by_severity", by_sev,
                          "by_kind", by_kind, "alerts", list);
    if (total > OW_REPORT_LIST_MAX)
        json_object_set_new(a, "not_listed", json_integer(total - OW_REPORT_LIST_MAX));
    json_object_set_new(root, "anomalies", a);
    return 0;
}

static json_t *reasons_add(json_t *reasons, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static json_t *reasons_add(json_t *reasons, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    json_array_append_new(reasons, json_string(buf));
    return reasons;
}

json_t *ow_report_build(struct ow_store *st, const struct ow_report_options *o, char *err,
                        size_t errlen)
{
    struct builder b = { .db = ow_store_handle(st), .o = o, .err = err, .errlen = errlen,
                         .from = o->has_from ? o->from_us : INT64_MIN,
                         .to = o->has_to ? o->to_us : INT64_MAX };
    if (!b.db) {
        snprintf(err, errlen, "report: no store");
        return NULL;
    }
    if (o->has_from && o->has_to && o->from_us >= o->to_us) {
        snprintf(err, errlen, "report: --from must be before --to");
        return NULL;
    }

    /* Verify first: a report is only as good as the evidence under it. With keys, against
     * their root key: the chain's head is then the one the last checkpoint signed, not
     * whatever the file says. */
    uint8_t root_key[OW_ED25519_KEY_LEN];
    int have_root = 0;
    if (o->keys_dir) {
        char path[PATH_MAX];
        err[0] = '\0';
        if (snprintf(path, sizeof path, "%s/root.pub", o->keys_dir) >= (int)sizeof path ||
            ow_root_key_load(path, root_key, err, errlen) < 0) {
            if (!err[0])
                snprintf(err, errlen, "report: %s: path too long", o->keys_dir);
            return NULL;
        }
        have_root = 1;
    }
    b.sealed_schema = ow_store_schema_version(st) >= 7;
    struct ow_verify_result vr;
    int vrc = ow_verify_store_sealed(st, NULL, have_root ? root_key : NULL, NULL, &vr);
    if (vrc < 0) {
        /* Damage verify cannot even read through is a failed verification, not a report
         * that cannot be made. */
        vrc = 3;
    }

    json_t *root = json_object();
    json_object_set_new(root, "report", json_string("omwitness evidence report"));
    json_object_set_new(root, "omwitness_version", json_string(OW_VERSION));
    json_object_set_new(root, "generated", ow_report_time_json((int64_t)o->generated_wall_us));
    /* The store as an absolute path: a report is read far from where it was made. */
    char abs[PATH_MAX];
    const char *shown = o->store_path && realpath(o->store_path, abs) ? abs : o->store_path;
    json_t *store_path = json_string(shown ? shown : "");
    json_object_set_new(root, "store", json_pack("{s:o,s:i}", "path",
        store_path ? store_path : json_string("(path not valid UTF-8)"),
        "schema_version", ow_store_schema_version(st)));
    json_object_set_new(root, "period", json_pack("{s:o,s:o}",
        "from", o->has_from ? ow_report_time_json(o->from_us) : json_null(),
        "to", o->has_to ? ow_report_time_json(o->to_us) : json_null()));
    /* Filled below; keys created now so they come first in the document. */
    json_object_set_new(root, "conclusion", json_string(""));
    json_object_set_new(root, "conclusion_reasons", json_array());

    if (sqlite3_exec(b.db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        build_err(&b, "begin read");
        json_decref(root);
        return NULL;
    }
    struct totals t = { 0 };
    int64_t flows = 0, anomalies = 0;
    json_t *unwatched = json_array();
    int ok = add_runs(&b, root, &t, unwatched) == 0 &&
             add_flow_counts(&b, root, &flows) == 0 &&
             add_sessions(&b, root) == 0 &&
             add_rule_hits(&b, root) == 0 &&
             add_anomalies(&b, root, &anomalies) == 0;
    sqlite3_exec(b.db, "COMMIT", NULL, NULL, NULL);
    if (!ok) {
        json_decref(unwatched);
        json_decref(root);
        return NULL;
    }
    size_t nunwatched = json_array_size(unwatched);
    json_object_set_new(root, "coverage", json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o}",
        "runs", (json_int_t)t.runs, "packets", (json_int_t)t.packets,
        "bytes", (json_int_t)t.bytes, "kernel_drops", (json_int_t)t.kernel_drops,
        "internal_drops", (json_int_t)t.internal_drops,
        "packets_malformed", (json_int_t)t.malformed, "packets_not_ip", (json_int_t)t.not_ip,
        "gaps", (json_int_t)t.gaps, "runs_without_clean_end", (json_int_t)t.unclean,
        "flows_evicted", (json_int_t)t.flows_evicted, "unwatched", unwatched));
    json_t *decode_events = ow_run_decode_json_runs(b.db, json_object_get(root, "runs"));
    if (decode_events)
        json_object_set_new(json_object_get(root, "coverage"), "decode_events", decode_events);

    char head[OW_HASH_HEX_LEN] = "";
    if (vr.head_seq > 0)
        ow_hex(vr.head, OW_HASH_LEN, head);
    json_object_set_new(root, "integrity", json_pack("{s:b,s:I,s:I,s:s?,s:I,s:s}",
        "verified", vrc == 0, "records", (json_int_t)vr.records,
        "head_seq", (json_int_t)vr.head_seq, "chain_head", vr.head_seq > 0 ? head : NULL,
        "rows_before_chain", (json_int_t)vr.legacy_rows,
        "problem", vrc == 0 ? "" : vr.problem));

    /* The seal: the latest checkpoint and the certificates from the root key to it. */
    json_t *seal = json_object();
    /* An empty store passes the root-key check (it claims nothing) but nothing in it is
     * sealed. */
    int sealed = vrc == 0 && vr.seal_checked && vr.have_checkpoint;
    json_object_set_new(seal, "sealed", json_boolean(sealed));
    if (have_root) {
        char fp[65];
        ow_key_fingerprint(root_key, fp);
        json_object_set_new(seal, "root_key_fingerprint", json_string(fp));
    } else {
        json_object_set_new(seal, "root_key_fingerprint", json_null());
    }
    json_object_set_new(seal, "checkpoint", sealed && vr.have_checkpoint ?
                        ow_checkpoint_json(&vr.last_checkpoint) : json_null());
    json_object_set_new(seal, "unsealed_records", json_integer(sealed ? (json_int_t)vr.unsealed_records : 0));
    json_t *certs = json_array();
    if (sealed) {
        sqlite3_stmt *q = NULL;
        if (sqlite3_prepare_v2(b.db, "SELECT sensor, epoch, public_key, issued_wall, signature "
                               "FROM epoch_certs ORDER BY epoch", -1, &q, NULL) == SQLITE_OK) {
            while (sqlite3_step(q) == SQLITE_ROW) {
                struct ow_epoch_cert c = { 0 };
                const unsigned char *sn = sqlite3_column_text(q, 0);
                snprintf(c.sensor, sizeof c.sensor, "%s", sn ? (const char *)sn : "");
                c.epoch = (uint64_t)sqlite3_column_int64(q, 1);
                c.issued_wall_us = (uint64_t)sqlite3_column_int64(q, 3);
                if (sqlite3_column_bytes(q, 2) == 32 && sqlite3_column_bytes(q, 4) == 64) {
                    memcpy(c.public_key, sqlite3_column_blob(q, 2), 32);
                    memcpy(c.signature, sqlite3_column_blob(q, 4), 64);
                    json_array_append_new(certs, ow_epoch_cert_json(&c));
                }
            }
        }
        sqlite3_finalize(q);
    }
    json_object_set_new(seal, "certificates", certs);
    json_object_set_new(root, "seal", seal);

    /* The conclusion, in order of precedence: evidence_invalid > anomalies_found >
     * coverage_incomplete > no_unauthorized_access_observed. Absence is claimed only with
     * something watched, judged by a policy, nothing anomalous, nothing lost, and evidence
     * that verifies and is sealed. Every reason is listed, whatever the conclusion. */
    json_t *reasons = json_object_get(root, "conclusion_reasons");
    if (vrc != 0)
        reasons_add(reasons, "the evidence store failed verification: %s", vr.problem);
    if (anomalies > 0)
        reasons_add(reasons, "%" PRId64 " alert%s raised in the period", anomalies,
                    anomalies == 1 ? "" : "s");
    int complete = 1;
#define INCOMPLETE(...) do { complete = 0; reasons_add(reasons, __VA_ARGS__); } while (0)
    if (t.runs == 0)
        INCOMPLETE("no run watched the period");
    if (t.runs > 0 && t.packets == 0)
        INCOMPLETE("no packets at all were seen in the period");
    if (t.no_policy > 0)
        INCOMPLETE("%" PRId64 " run%s without a policy: %s flows were not judged", t.no_policy,
                   t.no_policy == 1 ? "" : "s", t.no_policy == 1 ? "its" : "their");
    if (t.kernel_drops > 0)
        INCOMPLETE("%" PRId64 " packets dropped by the kernel", t.kernel_drops);
    if (t.internal_drops > 0)
        INCOMPLETE("%" PRId64 " packets dropped inside omwitness", t.internal_drops);
    if (t.gaps > 0)
        INCOMPLETE("%" PRId64 " gap%s in capture", t.gaps, t.gaps == 1 ? "" : "s");
    if (t.unclean > 0)
        INCOMPLETE("%" PRId64 " run%s did not end cleanly (stopped abnormally or still running)",
                   t.unclean, t.unclean == 1 ? "" : "s");
    if (nunwatched > 0)
        INCOMPLETE("%zu stretch%s of the period not watched by any run", nunwatched,
                   nunwatched == 1 ? "" : "es");
    if (vrc == 0 && !have_root)
        INCOMPLETE("the evidence is not sealed: no keys were given (report --keys DIR), so "
                   "nothing proves the store was not rewritten");
    else if (vrc == 0 && !sealed && vr.head_seq == 0)
        INCOMPLETE("the evidence is not sealed: the store holds no records");
    else if (vrc == 0 && !sealed)
        INCOMPLETE("the evidence is not sealed");
    else if (sealed && vr.unsealed_records > 0)
        INCOMPLETE("%" PRIu64 " record%s after the last checkpoint are not sealed yet",
                   vr.unsealed_records, vr.unsealed_records == 1 ? "" : "s");
    if (t.no_root > 0)
        INCOMPLETE("%" PRId64 " ended run%s without a content root", t.no_root,
                   t.no_root == 1 ? "" : "s");
#undef INCOMPLETE
    const char *conclusion = vrc != 0 ? "evidence_invalid" : anomalies > 0 ? "anomalies_found" :
                             !complete ? "coverage_incomplete" : "no_unauthorized_access_observed";
    if (vrc == 0 && complete && anomalies == 0)
        reasons_add(reasons, "%" PRId64 " flow%s seen and judged by a policy, no alerts, no "
                    "packet loss, no gaps, every run ended cleanly, evidence verified and "
                    "sealed", flows, flows == 1 ? "" : "s");
    json_object_set_new(root, "conclusion", json_string(conclusion));
    json_object_set_new(root, "coverage_complete", json_boolean(complete));
    return root;
}
