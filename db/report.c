/* report.c — builds the period report from the store (runs, coverage, flows by verdict,
 * authorized LI and maintenance sessions, anomalies, policies, chain) as one JSON document,
 * decides the conclusion, and renders the document as JSON or as a printable HTML page. */
#include "db/report.h"

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
static json_t *time_json(int64_t us)
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
    "SELECT * FROM (SELECT r.id, r.kind, r.source, r.source_sha256, r.site, r.policy_sha256, " \
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
    "SELECT * FROM (SELECT r.id, r.kind, r.source, r.source_sha256, r.site, r.policy_sha256, " \
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
             b->sealed_schema ? "(SELECT c.root FROM content_roots c WHERE c.run_id = r.id)" :
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
        json_object_set_new(r, "first_packet", time_json(sqlite3_column_int64(s, R_SPAN_START)));
        json_object_set_new(r, "last_packet", time_json(sqlite3_column_int64(s, R_SPAN_END)));
        json_object_set_new(r, "started_wall", time_json(sqlite3_column_int64(s, R_STARTED_WALL)));
        json_object_set_new(r, "ended_wall", time_json(sqlite3_column_int64(s, R_ENDED_WALL)));
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
                    "from", time_json(covered), "to", time_json(spans[i].start)));
            if (spans[i].end > covered)
                covered = spans[i].end;
        }
        if (b->o->has_to && end - covered >= OW_REPORT_UNWATCHED_MIN_US)
            json_array_append_new(unwatched, json_pack("{s:o,s:o}",
                "from", time_json(covered), "to", time_json(end)));
    } else if (b->o->has_from && b->o->has_to) {
        json_array_append_new(unwatched, json_pack("{s:o,s:o}",
            "from", time_json(b->from), "to", time_json(b->to)));
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
        json_object_set_new(o, "start", time_json(sqlite3_column_int64(s, 4)));
        json_object_set_new(o, "end", time_json(sqlite3_column_int64(s, 5)));
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
        json_object_set_new(o, "time", time_json(sqlite3_column_int64(s, 2)));
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
            json_object_set_new(o, "end", time_json(sqlite3_column_int64(s, 18)));
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
    json_object_set_new(root, "generated", time_json((int64_t)o->generated_wall_us));
    /* The store as an absolute path: a report is read far from where it was made. */
    char abs[PATH_MAX];
    const char *shown = o->store_path && realpath(o->store_path, abs) ? abs : o->store_path;
    json_t *store_path = json_string(shown ? shown : "");
    json_object_set_new(root, "store", json_pack("{s:o,s:i}", "path",
        store_path ? store_path : json_string("(path not valid UTF-8)"),
        "schema_version", ow_store_schema_version(st)));
    json_object_set_new(root, "period", json_pack("{s:o,s:o}",
        "from", o->has_from ? time_json(o->from_us) : json_null(),
        "to", o->has_to ? time_json(o->to_us) : json_null()));
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
    int sealed = vrc == 0 && vr.seal_checked;
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

    /* The conclusion, in DESIGN.md's order: evidence_invalid > anomalies_found >
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

int ow_report_write_json(const json_t *report, FILE *out)
{
    if (json_dumpf(report, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII) < 0)
        return -1;
    return fputc('\n', out) == EOF ? -1 : 0;
}

/* ---- HTML ---------------------------------------------------------------------------- */

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

static void esc(FILE *out, const char *s)
{
    if (s)
        ow_html_escape(out, s, strlen(s));
}

/* A member of o as text: strings escaped, numbers printed, null/absent as "—". */
static void field(FILE *out, const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    if (json_is_string(v) && json_string_length(v))
        esc(out, json_string_value(v));
    else if (json_is_integer(v))
        fprintf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_boolean(v))
        fputs(json_is_true(v) ? "yes" : "no", out);
    else
        fputs("\xE2\x80\x94", out);
}

/* "2026-02-10T00:40:00.140000Z" shown as "2026-02-10 00:40:00.140". */
static void time_field(FILE *out, const json_t *o, const char *key)
{
    const char *t = json_string_value(json_object_get(o, key));
    if (!t || strlen(t) < 23 || t[10] != 'T') {
        field(out, o, key);
        return;
    }
    fputs("<span class=\"nb\">", out);
    ow_html_escape(out, t, 10);
    fputs("</span> <span class=\"nb\">", out);
    ow_html_escape(out, t + 11, 12);
    fputs("</span>", out);
}

static json_int_t num(const json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* An identifier (kind, rule id, ticket, path, host) that may break only after '_', '-', '.',
 * '/' or ',', never inside a word: "maintenance_<wbr>outside_<wbr>window". */
static void ident(FILE *out, const char *text)
{
    if (!text || !*text) {
        fputs("\xE2\x80\x94", out);
        return;
    }
    const char *start = text;
    for (const char *p = text; *p; p++) {
        if (*p == '_' || *p == '-' || *p == '.' || *p == '/' || *p == ',') {
            ow_html_escape(out, start, (size_t)(p - start + 1));
            fputs("<wbr>", out);
            start = p + 1;
        }
    }
    ow_html_escape(out, start, strlen(start));
}

static void ident_field(FILE *out, const json_t *o, const char *key)
{
    ident(out, json_string_value(json_object_get(o, key)));
}

/* Free text (reasons, notes) that breaks only between words: a word holding a place a
 * browser would break at ('-', '/', ':') is kept whole, unless it is longer than a column. */
static void prose(FILE *out, const char *text)
{
    if (!text || !*text) {
        fputs("\xE2\x80\x94", out);
        return;
    }
    const char *p = text;
    while (*p) {
        size_t gap = strspn(p, " ");
        ow_html_escape(out, p, gap);
        p += gap;
        size_t word = strcspn(p, " ");
        if (!word)
            break;
        int breaks = 0;
        for (size_t i = 0; i < word; i++)
            breaks |= p[i] == '-' || p[i] == '/' || p[i] == ':';
        if (breaks && word <= 28) {
            fputs("<span class=\"nb\">", out);
            ow_html_escape(out, p, word);
            fputs("</span>", out);
        } else {
            ow_html_escape(out, p, word);
        }
        p += word;
    }
}

static void prose_field(FILE *out, const json_t *o, const char *key)
{
    prose(out, json_string_value(json_object_get(o, key)));
}

/* A hash in groups of 8 hex digits that may break between groups (and copies whole). */
static void hash_text(FILE *out, const char *hex)
{
    if (!hex || !*hex) {
        fputs("\xE2\x80\x94", out);
        return;
    }
    fputs("<span class=\"hash\">", out);
    size_t n = strlen(hex);
    for (size_t i = 0; i < n; i += 8) {
        if (i)
            fputs("<wbr>", out);
        ow_html_escape(out, hex + i, n - i < 8 ? n - i : 8);
    }
    fputs("</span>", out);
}

static void hash_field(FILE *out, const json_t *o, const char *key)
{
    hash_text(out, json_string_value(json_object_get(o, key)));
}

static void endpoint_cell(FILE *out, const json_t *ep)
{
    const char *ip = str(ep, "ip");
    int v6 = strchr(ip, ':') != NULL;
    fputs("<span class=\"nb mono\">", out);
    fputs(v6 ? "[" : "", out);
    esc(out, ip);
    fprintf(out, "%s:%" JSON_INTEGER_FORMAT "</span>", v6 ? "]" : "", num(ep, "port"));
}

/* client -> server, assets, proto / app */
static void flow_cell(FILE *out, const json_t *x)
{
    if (json_object_get(x, "client"))
        endpoint_cell(out, json_object_get(x, "client"));
    fputs(" \xE2\x86\x92 ", out);
    if (json_object_get(x, "server"))
        endpoint_cell(out, json_object_get(x, "server"));
    fputs("<br>", out);
    if (*str(x, "asset_src") || *str(x, "asset_dest")) {
        ident_field(out, x, "asset_src");
        fputs(" \xE2\x86\x92 ", out);
        ident_field(out, x, "asset_dest");
        fputs("<br>", out);
    }
    field(out, x, "proto");
    fputs(" / ", out);
    ident_field(out, x, "app_proto");
}

/* Printed on A4 with a page number on every page; rows never split; values break only
 * between words (identifiers after their separators, hashes between groups of 8). */
static const char css[] =
    "@page{size:A4;margin:16mm 14mm 20mm 14mm;"
    "@bottom-left{content:\"omwitness evidence report\";font-size:7.5pt;color:#555}"
    "@bottom-right{content:\"page \" counter(page) \" of \" counter(pages);font-size:7.5pt;"
    "color:#555}}"
    "*{box-sizing:border-box}"
    "body{font-family:'DejaVu Sans','Liberation Sans',Arial,sans-serif;font-size:9.5pt;"
    "color:#111;line-height:1.35;margin:0 auto;max-width:190mm}"
    "h1{font-size:17pt;margin:0 0 2mm}"
    "h2{font-size:12pt;margin:7mm 0 2mm;border-bottom:1px solid #888;padding-bottom:1mm;"
    "break-after:avoid;page-break-after:avoid}"
    "p{margin:1.5mm 0}"
    "p.lead{break-after:avoid;page-break-after:avoid}"
    ".meta{color:#333}"
    ".meta td,.meta th{border:0;padding:0.4mm 3mm 0.4mm 0;font-size:9pt}"
    ".verdict{border:2px solid;padding:3mm 4mm;margin:4mm 0;break-inside:avoid}"
    ".verdict .label{font-size:13pt;font-weight:bold;letter-spacing:.02em}"
    ".ok{border-color:#1b6e20;background:#eef7ee}"
    ".bad{border-color:#a31515;background:#fbeeee}"
    ".warn{border-color:#8a5a00;background:#fdf6e6}"
    "table{width:100%;border-collapse:collapse;margin:2mm 0 3mm;font-size:8.5pt}"
    "thead{display:table-header-group}"
    "tr{break-inside:avoid;page-break-inside:avoid}"
    "th,td{border:1px solid #bbb;padding:1mm 1.5mm;text-align:left;vertical-align:top}"
    "th{background:#eee}"
    "td.n{text-align:right;white-space:nowrap}"
    "table.fixed{table-layout:fixed}"
    "td{overflow-wrap:break-word}"
    ".nb{white-space:nowrap}"
    ".hash{font-family:'DejaVu Sans Mono','Liberation Mono',monospace;font-size:7.5pt}"
    ".mono{font-family:'DejaVu Sans Mono','Liberation Mono',monospace;font-size:8pt}"
    ".sev-critical{color:#a31515;font-weight:bold}.sev-high{color:#a31515}"
    ".none{color:#555;font-style:italic}"
    ".disp{font-weight:bold}.disp-open{color:#a31515}"
    ".signoff{break-inside:avoid;page-break-inside:avoid;margin-top:6mm}"
    ".signoff td{height:12mm;vertical-align:bottom}"
    "footer{margin-top:8mm;font-size:8pt;color:#444;border-top:1px solid #888;padding-top:2mm}";

static const char *conclusion_text(const char *c, const char **cls)
{
    if (!strcmp(c, "no_unauthorized_access_observed")) {
        *cls = "ok";
        return "No unauthorized access observed";
    }
    if (!strcmp(c, "anomalies_found")) {
        *cls = "bad";
        return "Anomalies found";
    }
    if (!strcmp(c, "evidence_invalid")) {
        *cls = "bad";
        return "Evidence invalid: the store failed verification";
    }
    *cls = "warn";
    return "Coverage incomplete: absence of unauthorized access cannot be shown";
}

static void html_runs(FILE *out, const json_t *r)
{
    const json_t *runs = json_object_get(r, "runs");
    fputs("<h2>1. What was watched</h2>\n", out);
    if (!json_array_size(runs)) {
        fputs("<p class=\"none\">No run of omwitness covers this period.</p>\n", out);
        return;
    }
    fputs("<table class=\"fixed\"><colgroup><col style=\"width:5%\"><col style=\"width:11%\">"
          "<col style=\"width:34%\"><col style=\"width:13%\"><col style=\"width:13%\">"
          "<col style=\"width:24%\"></colgroup>"
          "<thead><tr><th>Run</th><th>Kind, sensor</th><th>Interfaces / files and SHA-256</th>"
          "<th>First packet</th><th>Last packet</th><th>Site, version, policy SHA-256</th>"
          "</tr></thead><tbody>\n", out);
    size_t i;
    const json_t *run;
    json_array_foreach(runs, i, run) {
        fprintf(out, "<tr><td class=\"n\">%" JSON_INTEGER_FORMAT "</td><td>", num(run, "id"));
        field(out, run, "kind");
        fputs("<br>", out);
        ident_field(out, run, "sensor");
        fputs("</td><td><span class=\"mono\">", out);
        ident_field(out, run, "source");
        fputs("</span><br>", out);
        hash_field(out, run, "source_sha256");
        fputs("</td><td>", out);
        time_field(out, run, "first_packet");
        fputs("</td><td>", out);
        time_field(out, run, "last_packet");
        fputs("</td><td>", out);
        ident_field(out, run, "site");
        fputs(", omwitness ", out);
        field(out, run, "version");
        fputs("<br>", out);
        hash_field(out, run, "policy_sha256");
        fputs("</td></tr>\n", out);
    }
    fputs("</tbody></table>\n", out);
}

static void html_coverage(FILE *out, const json_t *r)
{
    const json_t *runs = json_object_get(r, "runs"), *cov = json_object_get(r, "coverage");
    fputs("<h2>2. How completely</h2>\n", out);
    fputs("<table><thead><tr><th>Run</th><th>Packets</th><th>Kernel drops</th>"
          "<th>Internal drops</th><th>Malformed</th><th>Not IP</th><th>Gaps</th>"
          "<th>Flows</th><th>Ended cleanly</th></tr></thead><tbody>\n", out);
    size_t i;
    const json_t *run;
    json_array_foreach(runs, i, run) {
        fprintf(out, "<tr><td class=\"n\">%" JSON_INTEGER_FORMAT "</td>", num(run, "id"));
        static const char *const cols[] = { "packets", "kernel_drops", "internal_drops",
                                            "packets_malformed", "packets_not_ip", "gaps",
                                            "flows" };
        for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++)
            fprintf(out, "<td class=\"n\">%" JSON_INTEGER_FORMAT "</td>", num(run, cols[c]));
        fprintf(out, "<td>%s</td></tr>\n",
                json_is_true(json_object_get(run, "clean_end")) ? "yes"
                : json_is_true(json_object_get(run, "ended")) ? "<b>no</b>"
                : "<b>no: never ended (crashed or still running)</b>");
    }
    fprintf(out, "<tr><th>All</th><td class=\"n\"><b>%" JSON_INTEGER_FORMAT "</b></td>"
            "<td class=\"n\"><b>%" JSON_INTEGER_FORMAT "</b></td>"
            "<td class=\"n\"><b>%" JSON_INTEGER_FORMAT "</b></td>"
            "<td class=\"n\">%" JSON_INTEGER_FORMAT "</td><td class=\"n\">%" JSON_INTEGER_FORMAT
            "</td><td class=\"n\"><b>%" JSON_INTEGER_FORMAT "</b></td><td></td>"
            "<td>%" JSON_INTEGER_FORMAT " not clean</td></tr>\n",
            num(cov, "packets"), num(cov, "kernel_drops"), num(cov, "internal_drops"),
            num(cov, "packets_malformed"), num(cov, "packets_not_ip"), num(cov, "gaps"),
            num(cov, "runs_without_clean_end"));
    fputs("</tbody></table>\n", out);
    const json_t *unwatched = json_object_get(cov, "unwatched");
    if (json_array_size(unwatched)) {
        fputs("<p><b>Not watched by any run:</b></p><table><thead><tr><th>From</th><th>To</th>"
              "</tr></thead><tbody>\n", out);
        const json_t *u;
        json_array_foreach(unwatched, i, u) {
            fputs("<tr><td>", out);
            time_field(out, u, "from");
            fputs("</td><td>", out);
            time_field(out, u, "to");
            fputs("</td></tr>\n", out);
        }
        fputs("</tbody></table>\n", out);
    } else {
        fputs("<p>Every part of the period lies within a run.</p>\n", out);
    }
}

static void html_flows(FILE *out, const json_t *r)
{
    const json_t *flows = json_object_get(r, "flows");
    const json_t *by = json_object_get(flows, "by_verdict");
    fputs("<h2>3. Flows by verdict</h2>\n<table><thead><tr><th>Verdict</th><th>Flows</th>"
          "</tr></thead><tbody>\n", out);
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)by, k, v) {
        fputs("<tr><td>", out);
        ident(out, k);
        fprintf(out, "</td><td class=\"n\">%" JSON_INTEGER_FORMAT "</td></tr>\n",
                json_integer_value(v));
    }
    fprintf(out, "<tr><th>Total</th><td class=\"n\"><b>%" JSON_INTEGER_FORMAT "</b></td></tr>"
            "</tbody></table>\n", num(flows, "total"));
    const json_t *hits = json_object_get(r, "rule_hits");
    if (json_array_size(hits)) {
        fputs("<p>Authorized flows per rule:</p><table><thead><tr><th>Rule</th><th>Kind</th>"
              "<th>Flows</th></tr></thead><tbody>\n", out);
        size_t i;
        json_array_foreach(hits, i, v) {
            fputs("<tr><td class=\"mono\">", out);
            ident_field(out, v, "rule");
            fputs("</td><td>", out);
            field(out, v, "kind");
            fprintf(out, "</td><td class=\"n\">%" JSON_INTEGER_FORMAT "</td></tr>\n",
                    num(v, "flows"));
        }
        fputs("</tbody></table>\n", out);
    }
}

static void html_sessions(FILE *out, const json_t *r)
{
    const json_t *a = json_object_get(r, "authorized_sessions");
    const json_t *list = json_object_get(a, "sessions");
    fprintf(out, "<h2>4. Authorized lawful-interception and maintenance sessions (%"
            JSON_INTEGER_FORMAT ")</h2>\n", num(a, "total"));
    if (!json_array_size(list)) {
        fputs("<p class=\"none\">None in this period.</p>\n", out);
        return;
    }
    fputs("<table class=\"fixed\"><colgroup><col style=\"width:15%\"><col style=\"width:38%\">"
          "<col style=\"width:16%\"><col style=\"width:15%\"><col style=\"width:16%\">"
          "</colgroup><thead><tr><th>Start / end</th><th>Flow</th><th>Rule</th><th>Kind</th>"
          "<th>Ticket / interface</th></tr></thead><tbody>\n", out);
    size_t i;
    const json_t *s;
    json_array_foreach(list, i, s) {
        fputs("<tr><td>", out);
        time_field(out, s, "start");
        fputs("<br>", out);
        time_field(out, s, "end");
        fputs("</td><td>", out);
        flow_cell(out, s);
        fputs("</td><td class=\"mono\">", out);
        ident_field(out, s, "rule");
        fputs("</td><td>", out);
        field(out, s, "rule_kind");
        if (json_is_true(json_object_get(s, "overrun")))
            fputs("<br><b>overran its window</b>", out);
        fputs("</td><td>", out);
        ident_field(out, s, !strcmp(str(s, "rule_kind"), "li") ? "interface" : "ticket");
        fputs("</td></tr>\n", out);
    }
    fputs("</tbody></table>\n", out);
    if (num(a, "not_listed"))
        fprintf(out, "<p>%" JSON_INTEGER_FORMAT " more sessions are counted but not listed; "
                "the JSON report and <code>omwitness flows</code> have them.</p>\n",
                num(a, "not_listed"));
}

/* The analyst's disposition of an alert: status, note, who and when. */
static void disposition_cell(FILE *out, const json_t *x)
{
    const json_t *t = json_object_get(x, "triage");
    const char *status = str(t, "status");
    fprintf(out, "<span class=\"disp%s\">", !*status || !strcmp(status, "open") ? " disp-open" : "");
    esc(out, *status ? status : "open");
    fputs("</span>", out);
    if (*str(t, "note")) {
        fputs("<br>", out);
        prose_field(out, t, "note");
    }
    if (*str(t, "by")) {
        fputs("<br><i>", out);
        field(out, t, "by");
        const char *at = str(t, "at");
        if (strlen(at) >= 10) {
            fputs(", <span class=\"nb\">", out);
            ow_html_escape(out, at, 10);
            fputs("</span>", out);
        }
        fputs("</i>", out);
    }
}

static void html_anomalies(FILE *out, const json_t *r)
{
    const json_t *a = json_object_get(r, "anomalies"), *list = json_object_get(a, "alerts");
    fprintf(out, "<h2>5. Anomalies (%" JSON_INTEGER_FORMAT ")</h2>\n", num(a, "total"));
    if (!json_array_size(list)) {
        fputs("<p class=\"none\">No alert was raised in this period.</p>\n", out);
        return;
    }
    fputs("<table class=\"fixed\"><colgroup><col style=\"width:13%\"><col style=\"width:14%\">"
          "<col style=\"width:23%\"><col style=\"width:24%\"><col style=\"width:16%\">"
          "<col style=\"width:10%\"></colgroup><thead><tr><th>Alert, time</th>"
          "<th>Severity, kind</th><th>Flow</th><th>Reason</th><th>Disposition</th>"
          "<th>Packets</th></tr></thead><tbody>\n", out);
    size_t i;
    const json_t *x;
    int with_evidence = 0;
    json_array_foreach(list, i, x) {
        fprintf(out, "<tr><td><b>%" JSON_INTEGER_FORMAT "</b><br>", num(x, "alert_id"));
        time_field(out, x, "time");
        fputs("</td><td><span class=\"sev-", out);
        esc(out, str(x, "severity"));
        fputs("\">", out);
        field(out, x, "severity");
        fputs("</span><br>", out);
        ident_field(out, x, "kind");
        fputs("</td><td>", out);
        flow_cell(out, x);
        fputs("</td><td>", out);
        prose_field(out, x, "reason");
        fputs("</td><td>", out);
        disposition_cell(out, x);
        fputs("</td><td class=\"n\">", out);
        const json_t *e = json_object_get(x, "evidence");
        if (json_is_object(e)) {
            with_evidence++;
            fprintf(out, "%" JSON_INTEGER_FORMAT "%s", num(e, "packets"),
                    json_is_true(json_object_get(e, "truncated")) ? "<br>(capped)" : "");
        } else {
            fputs("<span class=\"none\">none</span>", out);
        }
        fputs("</td></tr>\n", out);
    }
    fputs("</tbody></table>\n", out);
    if (num(a, "not_listed"))
        fprintf(out, "<p>%" JSON_INTEGER_FORMAT " more alerts are counted but not listed; "
                "<code>omwitness alerts</code> has them.</p>\n", num(a, "not_listed"));
    if (!with_evidence)
        return;
    /* The packets kept for each alert, by hash: what `omwitness evidence` writes out. */
    fputs("<p class=\"lead\">Packets kept as evidence (<code class=\"nb\">omwitness evidence --alert ID</code> "
          "writes them out; their SHA-256 is checked on the way):</p>\n"
          "<table class=\"fixed\"><colgroup><col style=\"width:10%\"><col style=\"width:12%\">"
          "<col style=\"width:12%\"><col style=\"width:66%\"></colgroup><thead><tr><th>Alert</th>"
          "<th>Packets</th><th>Bytes</th><th>SHA-256 of the pcap</th></tr></thead><tbody>\n", out);
    json_array_foreach(list, i, x) {
        const json_t *e = json_object_get(x, "evidence");
        if (!json_is_object(e))
            continue;
        fprintf(out, "<tr><td class=\"n\">%" JSON_INTEGER_FORMAT "</td><td class=\"n\">%"
                JSON_INTEGER_FORMAT "%s</td><td class=\"n\">%" JSON_INTEGER_FORMAT "</td><td>",
                num(x, "alert_id"), num(e, "packets"),
                json_is_true(json_object_get(e, "truncated")) ? " (capped)" : "", num(e, "bytes"));
        hash_field(out, e, "sha256");
        fputs("</td></tr>\n", out);
    }
    fputs("</tbody></table>\n", out);
}

static void html_integrity(FILE *out, const json_t *r)
{
    const json_t *in = json_object_get(r, "integrity");
    fputs("<h2>6. Policies and integrity of the evidence</h2>\n", out);
    fputs("<table><thead><tr><th>Site</th><th>Policy SHA-256</th></tr></thead><tbody>\n", out);
    size_t i;
    const json_t *p;
    json_array_foreach(json_object_get(r, "policies"), i, p) {
        fputs("<tr><td>", out);
        ident_field(out, p, "site");
        fputs("</td><td>", out);
        hash_field(out, p, "sha256");
        fputs("</td></tr>\n", out);
    }
    fputs("</tbody></table>\n", out);
    if (json_is_true(json_object_get(in, "verified")))
        fprintf(out, "<p>The store's hash chain was recomputed when this report was made: all "
                "%" JSON_INTEGER_FORMAT " records verified.</p>\n", num(in, "records"));
    else {
        fputs("<p><b>The store FAILED verification:</b> ", out);
        field(out, in, "problem");
        fputs("</p>\n", out);
    }
    fputs("<table><tbody><tr><th>Chain head</th><td>", out);
    hash_field(out, in, "chain_head");
    fprintf(out, "</td></tr><tr><th>Records</th><td>%" JSON_INTEGER_FORMAT "</td></tr>",
            num(in, "head_seq"));
    const json_t *run;
    json_array_foreach(json_object_get(r, "runs"), i, run) {
        fprintf(out, "<tr><th>Run %" JSON_INTEGER_FORMAT " head</th><td>", num(run, "id"));
        hash_field(out, run, "chain_head");
        fprintf(out, "</td></tr><tr><th>Run %" JSON_INTEGER_FORMAT " content root</th><td>",
                num(run, "id"));
        hash_field(out, run, "content_root");
        fputs("</td></tr>", out);
    }
    fputs("</tbody></table>\n<p>Anyone holding the store and the sensor's root public key can "
          "check it against this report: <code class=\"nb\">omwitness verify --db STORE "
          "--root-key root.pub --witness WITNESS</code> recomputes every record and checks every "
          "certificate and checkpoint; <code class=\"nb\">omwitness report verify REPORT.json "
          "--root-key root.pub</code> checks this report's signature; each run's content root "
          "(<code class=\"nb\">omwitness verify --content-root</code>) can be recomputed by "
          "replaying its pcaps.</p>\n", out);
}

/* Where the people who reviewed the report sign it. */
static void html_signoff(FILE *out)
{
    fputs("<div class=\"signoff\"><h2>7. Review and sign-off</h2>\n"
          "<p>Reviewed against the evidence store named above; the anomalies' dispositions are "
          "the analysts' triage records, chained in the store.</p>\n"
          "<table class=\"fixed\"><colgroup><col style=\"width:27%\"><col style=\"width:23%\">"
          "<col style=\"width:18%\"><col style=\"width:32%\"></colgroup><thead><tr><th>Name</th>"
          "<th>Role</th><th>Date</th><th>Signature</th></tr></thead><tbody>\n"
          "<tr><td></td><td></td><td></td><td></td></tr>\n"
          "<tr><td></td><td></td><td></td><td></td></tr>\n"
          "</tbody></table></div>\n", out);
}

/* The distinct sensors of the report's runs, comma-separated. */
static void sensors_text(FILE *out, const json_t *r)
{
    const json_t *runs = json_object_get(r, "runs"), *run;
    size_t i, shown = 0;
    json_array_foreach(runs, i, run) {
        const char *name = str(run, "sensor");
        int dup = 0;
        for (size_t k = 0; k < i; k++)
            dup |= !strcmp(name, str(json_array_get(runs, k), "sensor"));
        if (dup || !*name)
            continue;
        fputs(shown++ ? ", " : "", out);
        ident(out, name);
    }
    if (!shown)
        fputs("\xE2\x80\x94", out);
}

int ow_report_write_html(const json_t *r, FILE *out)
{
    const char *cls;
    const char *label = conclusion_text(str(r, "conclusion"), &cls);
    const json_t *period = json_object_get(r, "period");
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<title>omwitness evidence report</title>\n<style>", out);
    fputs(css, out);
    fputs("</style></head><body>\n<h1>Evidence report: access to the management network</h1>\n",
          out);
    fputs("<table class=\"meta\"><tbody><tr><th>Period</th><td>", out);
    if (json_is_string(json_object_get(period, "from")))
        field(out, period, "from");
    else
        fputs("start of the evidence", out);
    fputs(" to ", out);
    if (json_is_string(json_object_get(period, "to")))
        field(out, period, "to");
    else
        fputs("end of the evidence", out);
    fputs(" (packet time, UTC)</td></tr>\n<tr><th>Sensor</th><td>", out);
    sensors_text(out, r);
    fputs("</td></tr>\n<tr><th>Store</th><td class=\"mono\">", out);
    ident_field(out, json_object_get(r, "store"), "path");
    fputs("</td></tr>\n<tr><th>Generated</th><td>", out);
    field(out, r, "generated");
    fputs(" by omwitness ", out);
    field(out, r, "omwitness_version");
    fputs("</td></tr></tbody></table>\n", out);

    fprintf(out, "<div class=\"verdict %s\"><div class=\"label\">", cls);
    esc(out, label);
    fputs("</div><p>Conclusion code: <span class=\"mono\">", out);
    ident_field(out, r, "conclusion");
    fputs("</span></p><ul>\n", out);
    size_t i;
    const json_t *reason;
    json_array_foreach(json_object_get(r, "conclusion_reasons"), i, reason) {
        fputs("<li>", out);
        esc(out, json_string_value(reason));
        fputs("</li>\n", out);
    }
    fputs("</ul><p>The conclusion <i>no unauthorized access observed</i> is given only when at "
          "least one run watched the period with a policy and saw packets, no alert was raised, "
          "no packet was lost, no part of the period went unwatched, every run ended cleanly and "
          "the evidence verified and is sealed.</p>", out);
    const json_t *seal = json_object_get(r, "seal"), *cp = json_object_get(seal, "checkpoint");
    fputs("<p>Seal: ", out);
    if (json_is_true(json_object_get(seal, "sealed")) && json_is_object(cp)) {
        fprintf(out, "checkpoint #%" JSON_INTEGER_FORMAT " (", num(cp, "number"));
        ident_field(out, cp, "reason");
        fprintf(out, ", epoch %" JSON_INTEGER_FORMAT ") covers chain record %" JSON_INTEGER_FORMAT
                "; root key fingerprint ", num(cp, "epoch"), num(cp, "chain_seq"));
        hash_field(out, seal, "root_key_fingerprint");
        const json_t *sig = json_object_get(r, "signature");
        if (json_is_object(sig))
            fprintf(out, "; this report is signed by epoch key %" JSON_INTEGER_FORMAT " "
                    "(<code class=\"nb\">omwitness report verify REPORT.json --root-key "
                    "root.pub</code>)", num(sig, "epoch"));
    } else {
        fputs("<b>none</b>: the evidence is not sealed", out);
    }
    fputs(".</p></div>\n", out);

    html_runs(out, r);
    html_coverage(out, r);
    html_flows(out, r);
    html_sessions(out, r);
    html_anomalies(out, r);
    html_integrity(out, r);
    html_signoff(out);
    fputs("<footer>omwitness classifies every flow on the monitored links with nDPI and its own "
          "lawful-interception classifiers and compares it with the operator's allowlist. Times "
          "are packet times in UTC. Strings seen on the network are shown escaped.</footer>\n"
          "</body></html>\n", out);
    return ferror(out) ? -1 : 0;
}
