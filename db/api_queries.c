/* api_queries.c — SQL for the HTTP API's list, count and chart endpoints. A query is built
 * from constant fragments only; every value the client sent is bound. Each statement is
 * finalized before returning, so no read transaction outlives a request. */
#include "db/api_queries.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/eve_json.h"
#include "db/query_filter.h"
#include "db/triage.h"
#include "common/anomaly_kinds.h"
#include "common/endpoint.h"

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "store query failed: %s", sqlite3_errmsg(db));
        return NULL;
    }
    return st;
}

/* --- JSON values from columns ---------------------------------------------------------- */

json_t *ow_api_text(const unsigned char *text, int len)
{
    if (!text || len <= 0)
        return json_string("");
    size_t cap = (size_t)len * 3 + 1;   /* each bad byte may become a 3-byte U+FFFD */
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    ow_utf8_sanitize(buf, cap, (const char *)text, (size_t)len);
    json_t *s = json_string(buf);
    free(buf);
    return s;
}

static json_t *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return ow_api_text(t, sqlite3_column_bytes(st, i));
}

static json_t *col_int(sqlite3_stmt *st, int i)
{
    return json_integer(sqlite3_column_int64(st, i));
}

static json_t *timestamp(int64_t us)
{
    char buf[48];
    ow_eve_timestamp(us > 0 ? (uint64_t)us : 0, buf, sizeof buf);
    return json_string(buf);
}

/* A blob (a hash) as lowercase hex. */
static json_t *blob_hex(sqlite3_stmt *st, int i)
{
    const unsigned char *b = sqlite3_column_blob(st, i);
    int n = sqlite3_column_bytes(st, i);
    if (!b || n <= 0 || n > 4096)
        return json_string("");
    char *hex = malloc((size_t)n * 2 + 1);
    if (!hex)
        return NULL;
    for (int k = 0; k < n; k++)
        snprintf(hex + 2 * k, 3, "%02x", b[k]);
    json_t *s = json_string(hex);
    free(hex);
    return s;
}

/* The row as an object: each column under its own name (integers, text or null). */
static json_t *row_object(sqlite3_stmt *st)
{
    json_t *o = json_object();
    int n = sqlite3_column_count(st);
    for (int i = 0; o && i < n; i++) {
        const char *name = sqlite3_column_name(st, i);
        json_t *v;
        switch (sqlite3_column_type(st, i)) {
        case SQLITE_INTEGER: v = col_int(st, i); break;
        case SQLITE_FLOAT: v = json_real(sqlite3_column_double(st, i)); break;
        case SQLITE_NULL: v = json_null(); break;
        case SQLITE_BLOB: v = blob_hex(st, i); break;
        default: v = col_text(st, i); break;
        }
        json_object_set_new(o, name, v);
    }
    return o;
}

static json_t *fail(json_t *partial, sqlite3 *db, sqlite3_stmt *st, char *err, size_t errlen)
{
    snprintf(err, errlen, "store query failed: %s", sqlite3_errmsg(db));
    json_decref(partial);
    sqlite3_finalize(st);
    return NULL;
}

static int64_t count_rows(sqlite3 *db, const char *sql, const struct ow_where *w, char *err,
                          size_t errlen)
{
    sqlite3_stmt *st = prepare(db, sql, err, errlen);
    if (!st)
        return -1;
    int64_t n = -1;
    if (ow_where_bind(st, w, 1) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    else
        snprintf(err, errlen, "store query failed: %s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return n;
}

/* Runs "SELECT <cols> FROM <from> <where> ORDER BY <order> LIMIT ? OFFSET ?" and the
 * matching count; returns {"total","offset","limit", key: [rows]}. */
static json_t *paged(sqlite3 *db, const char *cols, const char *from, const struct ow_where *w,
                     const char *order, int64_t limit, int64_t offset, const char *key,
                     json_t *(*row)(sqlite3_stmt *), char *err, size_t errlen)
{
    if (w->overflow) {
        snprintf(err, errlen, "query too complex");
        return NULL;
    }
    char sql[2048];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s%s", from, w->sql);
    int64_t total = count_rows(db, sql, w, err, errlen);
    if (total < 0)
        return NULL;
    int len = snprintf(sql, sizeof sql, "SELECT %s FROM %s%s ORDER BY %s LIMIT ? OFFSET ?", cols,
                       from, w->sql, order);
    if (len < 0 || (size_t)len >= sizeof sql) {
        snprintf(err, errlen, "query too long");
        return NULL;
    }
    sqlite3_stmt *st = prepare(db, sql, err, errlen);
    if (!st)
        return NULL;
    json_t *list = json_array();
    if (ow_where_bind(st, w, 1) != SQLITE_OK ||
        sqlite3_bind_int64(st, w->n + 1, limit) != SQLITE_OK ||
        sqlite3_bind_int64(st, w->n + 2, offset) != SQLITE_OK)
        return fail(list, db, st, err, errlen);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        json_array_append_new(list, row(st));
    if (rc != SQLITE_DONE)
        return fail(list, db, st, err, errlen);
    sqlite3_finalize(st);
    return json_pack("{s:I,s:I,s:I,s:o}", "total", (json_int_t)total, "offset",
                     (json_int_t)offset, "limit", (json_int_t)limit, key, list);
}

/* --- alerts ---------------------------------------------------------------------------- */

static const char alert_cols[] =
    "a.id, a.run_id, a.flow_row, a.ts, a.kind, a.severity, a.rule, a.reason, a.asset_src,"
    " a.asset_dest, f.client_ip, f.client_port, f.server_ip, f.server_port, f.l4_proto,"
    " f.app_proto, f.community_id, coalesce(t.status, 'open'), t.note, t.actor, t.at";

static json_t *proto_name_json(int64_t proto)
{
    const char *pname = proto >= 0 && proto <= 255 ? ow_l4_proto_name((uint8_t)proto) : NULL;
    char pbuf[8];
    if (!pname) {
        snprintf(pbuf, sizeof pbuf, "%d", (int)(proto & 0xff));
        pname = pbuf;
    }
    return json_string(pname);
}

static json_t *alert_row(sqlite3_stmt *st)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", col_int(st, 0));
    json_object_set_new(o, "run_id", col_int(st, 1));
    json_object_set_new(o, "flow_row", col_int(st, 2));
    json_object_set_new(o, "ts_us", col_int(st, 3));
    json_object_set_new(o, "timestamp", timestamp(sqlite3_column_int64(st, 3)));
    json_object_set_new(o, "kind", col_text(st, 4));
    json_object_set_new(o, "severity", col_text(st, 5));
    json_object_set_new(o, "rule", col_text(st, 6));
    json_object_set_new(o, "reason", col_text(st, 7));
    json_object_set_new(o, "asset_src", col_text(st, 8));
    json_object_set_new(o, "asset_dest", col_text(st, 9));
    json_object_set_new(o, "src_ip", col_text(st, 10));
    json_object_set_new(o, "src_port", col_int(st, 11));
    json_object_set_new(o, "dest_ip", col_text(st, 12));
    json_object_set_new(o, "dest_port", col_int(st, 13));
    json_object_set_new(o, "proto", proto_name_json(sqlite3_column_int64(st, 14)));
    json_object_set_new(o, "app_proto", col_text(st, 15));
    json_object_set_new(o, "community_id", col_text(st, 16));
    /* The current triage: status always ('open' when never triaged), the rest when set. */
    json_t *tri = json_object();
    json_object_set_new(tri, "status", col_text(st, 17));
    if (sqlite3_column_type(st, 20) != SQLITE_NULL) {
        json_object_set_new(tri, "note", col_text(st, 18));
        json_object_set_new(tri, "by", col_text(st, 19));
        json_object_set_new(tri, "at", timestamp(sqlite3_column_int64(st, 20)));
    }
    json_object_set_new(o, "triage", tri);
    return o;
}

json_t *ow_api_alerts(sqlite3 *db, const struct ow_alert_query *q, char *err, size_t errlen)
{
    struct ow_where w = { 0 };
    ow_alert_where(q, &w);
    return paged(db, alert_cols, ow_alert_from_sql(ow_triage_available(db)), &w,
                 ow_alert_order_sql(q->sort), q->limit, q->offset, "alerts", alert_row, err,
                 errlen);
}

/* --- alert groups ------------------------------------------------------------------------ */

const char *const ow_group_sort_names[] = { "-last", "last", "-count", "count", "-first",
                                            "first", "kind", "-severity", NULL };

static const char *group_order(int sort)
{
    static const char *const order[] = {
        "last_ts DESC, kind, src, dest", "last_ts, kind, src, dest",
        "n DESC, last_ts DESC, kind, src, dest", "n, last_ts DESC, kind, src, dest",
        "first_ts DESC, kind, src, dest", "first_ts, kind, src, dest",
        "kind, last_ts DESC, src, dest", "sev DESC, last_ts DESC, kind, src, dest",
    };
    return sort >= 0 && sort < (int)(sizeof order / sizeof order[0]) ? order[sort] : order[0];
}

/* Up to OW_API_GROUP_IDS ids of a comma list (group_concat), newest first as listed. */
static json_t *id_list(const char *text)
{
    json_t *ids = json_array();
    for (const char *p = text; p && *p && json_array_size(ids) < OW_API_GROUP_IDS;) {
        char *end;
        long long v = strtoll(p, &end, 10);
        if (end == p)
            break;
        json_array_append_new(ids, json_integer(v));
        p = *end == ',' ? end + 1 : end;
    }
    return ids;
}

json_t *ow_api_alert_groups(sqlite3 *db, const struct ow_alert_query *q, int sort, char *err,
                            size_t errlen)
{
    struct ow_where w = { 0 };
    ow_alert_where(q, &w);
    if (w.overflow) {
        snprintf(err, errlen, "query too complex");
        return NULL;
    }
    /* One group per (kind, client address, server address), as EveBox groups by signature,
     * source and destination. The ids are concatenated in the inner query's order, newest
     * first. */
    char inner[3072];
    int len = snprintf(inner, sizeof inner,
        "SELECT kind, src, dest, count(*) AS n, min(ts) AS first_ts, max(ts) AS last_ts,"
        " max(sev) AS sev, max(asset_src), max(asset_dest), sum(tstatus = 'open'),"
        " group_concat(id) FROM (SELECT a.id AS id, a.kind AS kind,"
        " coalesce(f.client_ip, '') AS src, coalesce(f.server_ip, '') AS dest, a.ts AS ts,"
        " (CASE a.severity WHEN 'critical' THEN 3 WHEN 'high' THEN 2 WHEN 'medium' THEN 1"
        " ELSE 0 END) AS sev, a.asset_src AS asset_src, a.asset_dest AS asset_dest,"
        " coalesce(t.status, 'open') AS tstatus FROM %s%s ORDER BY a.ts DESC, a.id DESC)"
        " GROUP BY kind, src, dest",
        ow_alert_from_sql(ow_triage_available(db)), w.sql);
    if (len < 0 || (size_t)len >= sizeof inner) {
        snprintf(err, errlen, "query too long");
        return NULL;
    }
    char sql[4096];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM (%s)", inner);
    int64_t total = count_rows(db, sql, &w, err, errlen);
    if (total < 0)
        return NULL;
    snprintf(sql, sizeof sql, "SELECT * FROM (%s) ORDER BY %s LIMIT ? OFFSET ?", inner,
             group_order(sort));
    sqlite3_stmt *st = prepare(db, sql, err, errlen);
    if (!st)
        return NULL;
    json_t *list = json_array();
    if (ow_where_bind(st, &w, 1) != SQLITE_OK ||
        sqlite3_bind_int64(st, w.n + 1, q->limit) != SQLITE_OK ||
        sqlite3_bind_int64(st, w.n + 2, q->offset) != SQLITE_OK)
        return fail(list, db, st, err, errlen);
    static const char *const sev_name[] = { "", "medium", "high", "critical" };
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int sev = sqlite3_column_int(st, 6);
        json_t *g = json_object();
        json_object_set_new(g, "kind", col_text(st, 0));
        json_object_set_new(g, "src_ip", col_text(st, 1));
        json_object_set_new(g, "dest_ip", col_text(st, 2));
        json_object_set_new(g, "count", col_int(st, 3));
        json_object_set_new(g, "first_us", col_int(st, 4));
        json_object_set_new(g, "last_us", col_int(st, 5));
        json_object_set_new(g, "first", timestamp(sqlite3_column_int64(st, 4)));
        json_object_set_new(g, "last", timestamp(sqlite3_column_int64(st, 5)));
        json_object_set_new(g, "severity", json_string(sev_name[sev >= 0 && sev <= 3 ? sev : 0]));
        json_object_set_new(g, "asset_src", col_text(st, 7));
        json_object_set_new(g, "asset_dest", col_text(st, 8));
        json_object_set_new(g, "open", col_int(st, 9));
        json_object_set_new(g, "ids", id_list((const char *)sqlite3_column_text(st, 10)));
        json_array_append_new(list, g);
    }
    if (rc != SQLITE_DONE)
        return fail(list, db, st, err, errlen);
    sqlite3_finalize(st);
    return json_pack("{s:I,s:I,s:I,s:o}", "total", (json_int_t)total, "offset",
                     (json_int_t)q->offset, "limit", (json_int_t)q->limit, "groups", list);
}

/* --- flows ----------------------------------------------------------------------------- */

static const char flow_cols[] =
    "id, run_id, flow_id, community_id, first_ts, last_ts, l4_proto, client_ip, client_port,"
    " server_ip, server_port, app_proto, ndpi_protocol, ndpi_category, pkts_toserver,"
    " pkts_toclient, bytes_toserver, bytes_toclient, verdict_status, verdict_rule,"
    " verdict_kind, verdict_severity, verdict_asset_src, verdict_asset_dest, li_interface,"
    " tls_sni, ssh_client, ssh_server, ndpi_risk,"
    " (SELECT min(al.id) FROM alerts al WHERE al.flow_row = flows.id) AS alert_id";

/* Schema 6 on: a flow's final values where its end is recorded, its values at the verdict
 * while it is open; state and reason as EVE's flow.state and flow.reason say them. */
static const char flow_cols_ends[] =
    "id, run_id, flow_id, community_id, first_ts, coalesce(end_ts, last_ts) AS last_ts,"
    " l4_proto, client_ip, client_port,"
    " server_ip, server_port, app_proto, ndpi_protocol, ndpi_category,"
    " coalesce(end_pkts_toserver, pkts_toserver) AS pkts_toserver,"
    " coalesce(end_pkts_toclient, pkts_toclient) AS pkts_toclient,"
    " coalesce(end_bytes_toserver, bytes_toserver) AS bytes_toserver,"
    " coalesce(end_bytes_toclient, bytes_toclient) AS bytes_toclient, verdict_status, verdict_rule,"
    " verdict_kind, verdict_severity, verdict_asset_src, verdict_asset_dest, li_interface,"
    " tls_sni, ssh_client, ssh_server, ndpi_risk,"
    " (SELECT min(al.id) FROM alerts al WHERE al.flow_row = flows.id) AS alert_id,"
    " CASE WHEN ended_reason IS NOT NULL OR end_reason <> '' THEN 'closed'"
    "  WHEN pkts_toclient > 0 THEN 'established' ELSE 'new' END AS state,"
    " coalesce(ended_reason, nullif(end_reason, '')) AS end_reason,"
    " EXISTS (SELECT 1 FROM alerts al WHERE al.flow_row = flows.id) AS alerted";

static int has_flow_ends(sqlite3 *db)
{
    sqlite3_stmt *s = NULL;
    int found = 0;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info('flows') WHERE name = "
                           "'ended_reason'", -1, &s, NULL) == SQLITE_OK)
        found = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_finalize(s);
    return found;
}

static json_t *flow_row(sqlite3_stmt *st)
{
    json_t *o = row_object(st);
    int64_t proto = sqlite3_column_int64(st, 6);
    const char *pname = proto >= 0 && proto <= 255 ? ow_l4_proto_name((uint8_t)proto) : NULL;
    json_object_set_new(o, "proto", pname ? json_string(pname) : json_integer(proto));
    json_object_set_new(o, "timestamp", timestamp(sqlite3_column_int64(st, 4)));
    uint64_t risk = (uint64_t)sqlite3_column_int64(st, 28);
    json_t *risks = json_array();
    for (unsigned b = 1; b < 64; b++)
        if (risk & (1ull << b)) {
            const char *name = b < OW_NDPI_RISK_BITS ? ow_ndpi_risk_name(b) : NULL;
            char buf[16];
            if (!name) {
                snprintf(buf, sizeof buf, "risk_%u", b);
                name = buf;
            }
            json_array_append_new(risks, json_string(name));
        }
    json_object_set_new(o, "risks", risks);
    json_object_del(o, "ndpi_risk");
    return o;
}

json_t *ow_api_flows(sqlite3 *db, const struct ow_flow_query *q, char *err, size_t errlen)
{
    struct ow_where w = { 0 };
    ow_flow_where(q, &w);
    return paged(db, has_flow_ends(db) ? flow_cols_ends : flow_cols, "flows", &w,
                 "first_ts DESC, id DESC", q->limit, q->offset, "flows", flow_row, err, errlen);
}

/* --- runs, rules, summary --------------------------------------------------------------- */

/* Every row of sql as an object, into an array. */
static json_t *all_rows(sqlite3 *db, const char *sql, int64_t bind1, char *err, size_t errlen)
{
    sqlite3_stmt *st = prepare(db, sql, err, errlen);
    if (!st)
        return NULL;
    if (sqlite3_bind_parameter_count(st) >= 1)
        sqlite3_bind_int64(st, 1, bind1);
    json_t *list = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        json_array_append_new(list, row_object(st));
    if (rc != SQLITE_DONE)
        return fail(list, db, st, err, errlen);
    sqlite3_finalize(st);
    return list;
}

/* A run that has not ended: its latest progress record (schema 6 on), as "progress". */
static void add_progress(sqlite3 *db, json_t *run)
{
    json_t *ended = json_object_get(run, "ended_wall");
    json_t *id = json_object_get(run, "id");
    if ((ended && !json_is_null(ended)) || !json_is_integer(id))
        return;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "SELECT wall, first_ts, last_ts, packets, bytes, kernel_drops, "
                           "internal_drops, gaps, flows, (SELECT count(*) FROM run_progress q "
                           "WHERE q.run_id = p.run_id) AS records FROM run_progress p WHERE "
                           "run_id = ? ORDER BY id DESC LIMIT 1", -1, &s, NULL) != SQLITE_OK) {
        sqlite3_finalize(s);
        return;     /* an older store: no progress records */
    }
    sqlite3_bind_int64(s, 1, json_integer_value(id));
    if (sqlite3_step(s) == SQLITE_ROW) {
        json_t *p = row_object(s);
        json_t *ts = json_object_get(p, "last_ts");
        if (ts && json_is_integer(ts))
            json_object_set_new(p, "last", timestamp(json_integer_value(ts)));
        json_object_set_new(run, "progress", p);
    }
    sqlite3_finalize(s);
}

json_t *ow_api_runs(sqlite3 *db, char *err, size_t errlen)
{
    json_t *runs = all_rows(db, "SELECT * FROM runs ORDER BY id DESC LIMIT 1000", 0, err, errlen);
    if (!runs)
        return NULL;
    size_t i;
    json_t *r;
    json_array_foreach(runs, i, r) {
        json_t *ts;
        if ((ts = json_object_get(r, "first_ts")) && json_is_integer(ts))
            json_object_set_new(r, "first", timestamp(json_integer_value(ts)));
        if ((ts = json_object_get(r, "last_ts")) && json_is_integer(ts))
            json_object_set_new(r, "last", timestamp(json_integer_value(ts)));
        /* A replay's hashes come with its end (schema 11, kind run_input). */
        json_t *input = json_object_get(r, "input_sha256");
        if (json_is_string(input))
            json_object_set(r, "source_sha256", input);
        json_object_del(r, "input_sha256");
        add_progress(db, r);
    }
    return json_pack("{s:o}", "runs", runs);
}

json_t *ow_api_rules(sqlite3 *db, int64_t run_id, const struct ow_api_rule_ref *policy_rules,
                     size_t npolicy_rules, char *err, size_t errlen)
{
    /* ?1 = 0 means every run. */
    json_t *per_run = all_rows(db,
        "SELECT run_id, rule_id AS rule, hits FROM rule_hits WHERE ?1 = 0 OR run_id = ?1"
        " ORDER BY run_id DESC, hits DESC, rule_id", run_id, err, errlen);
    json_t *totals = all_rows(db,
        "SELECT rule, sum(hits) AS hits, sum(alerts) AS alerts FROM ("
        "  SELECT rule_id AS rule, hits, 0 AS alerts FROM rule_hits WHERE ?1 = 0 OR run_id = ?1"
        "  UNION ALL"
        "  SELECT rule, 0, count(*) FROM alerts WHERE rule != '' AND (?1 = 0 OR run_id = ?1)"
        "  GROUP BY rule) GROUP BY rule ORDER BY hits DESC, alerts DESC, rule",
        run_id, err, errlen);
    json_t *maint = all_rows(db,
        "SELECT verdict_rule AS rule, verdict_ticket AS ticket, count(*) AS flows,"
        " min(first_ts) AS first_us, max(last_ts) AS last_us, sum(verdict_overrun) AS overrun,"
        " group_concat(DISTINCT client_ip) AS clients, group_concat(DISTINCT server_ip) AS servers"
        " FROM flows WHERE verdict_ticket != '' AND verdict_status = 'authorized'"
        " AND (?1 = 0 OR run_id = ?1)"
        " GROUP BY verdict_rule, verdict_ticket ORDER BY first_us", run_id, err, errlen);
    char outside_sql[320];
    snprintf(outside_sql, sizeof outside_sql,
        "SELECT id AS alert_id, rule, kind, severity, ts AS ts_us, asset_src, asset_dest"
        " FROM alerts WHERE kind IN ('%s', '%s')"
        " AND (?1 = 0 OR run_id = ?1) ORDER BY ts LIMIT 500",
        ow_anomaly_kind(OW_KIND_MAINTENANCE_OUTSIDE_WINDOW)->kind,
        ow_anomaly_kind(OW_KIND_MAINTENANCE_OVERRUN)->kind);
    json_t *outside = all_rows(db, outside_sql, run_id, err, errlen);
    if (!per_run || !totals || !maint || !outside) {
        json_decref(per_run);
        json_decref(totals);
        json_decref(maint);
        json_decref(outside);
        return NULL;
    }
    /* Policy rules: their kind, and a row for each rule that nothing hit. */
    for (size_t p = 0; p < npolicy_rules; p++) {
        json_t *found = NULL, *r;
        size_t i;
        json_array_foreach(totals, i, r)
            if (!strcmp(json_string_value(json_object_get(r, "rule")) ?: "", policy_rules[p].id))
                found = r;
        if (!found) {
            found = json_pack("{s:s,s:i,s:i}", "rule", policy_rules[p].id, "hits", 0, "alerts", 0);
            json_array_append_new(totals, found);
        }
        json_object_set_new(found, "kind", json_string(policy_rules[p].kind));
        json_object_set_new(found, "in_policy", json_true());
    }
    /* The policy's planned windows, for the calendar: approved time next to used time. */
    json_t *planned = json_array();
    for (size_t p = 0; planned && p < npolicy_rules; p++) {
        for (size_t w = 0; w < policy_rules[p].nwindows; w++) {
            const struct ow_api_window *win = &policy_rules[p].windows[w];
            json_array_append_new(planned, json_pack("{s:s,s:s,s:I,s:I,s:o,s:o}",
                "rule", policy_rules[p].id, "ticket", policy_rules[p].ticket ? policy_rules[p].ticket : "",
                "start_us", (json_int_t)win->start_us, "end_us", (json_int_t)win->end_us,
                "start", timestamp(win->start_us), "end", timestamp(win->end_us)));
        }
    }
    size_t i;
    json_t *m;
    json_array_foreach(maint, i, m) {
        json_object_set_new(m, "first", timestamp(json_integer_value(json_object_get(m, "first_us"))));
        json_object_set_new(m, "last", timestamp(json_integer_value(json_object_get(m, "last_us"))));
    }
    return json_pack("{s:o,s:o,s:o,s:o,s:o,s:b}", "rules", totals, "runs", per_run, "maintenance",
                     maint, "outside_window", outside, "windows", planned ? planned : json_array(),
                     "policy_loaded", npolicy_rules > 0);
}

json_t *ow_api_flow_alerts(sqlite3 *db, int64_t flow_row, int64_t except_id)
{
    json_t *out = json_array();
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db, "SELECT id, kind, severity FROM alerts WHERE flow_row = ? AND id != ?"
                           " ORDER BY id LIMIT 20", -1, &q, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, flow_row);
        sqlite3_bind_int64(q, 2, except_id);
        while (sqlite3_step(q) == SQLITE_ROW)
            json_array_append_new(out, json_pack("{s:I,s:o,s:o}", "id",
                (json_int_t)sqlite3_column_int64(q, 0),
                "kind", ow_api_text(sqlite3_column_text(q, 1), sqlite3_column_bytes(q, 1)),
                "severity", ow_api_text(sqlite3_column_text(q, 2), sqlite3_column_bytes(q, 2))));
    }
    sqlite3_finalize(q);
    return out;
}

bool ow_api_has_table(sqlite3 *db, const char *name)
{
    sqlite3_stmt *st = NULL;
    bool found = false;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC) == SQLITE_OK)
        found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return found;
}

/* {name: count} from "SELECT name, count ...". */
static json_t *counts(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
    sqlite3_stmt *st = prepare(db, sql, err, errlen);
    if (!st)
        return NULL;
    json_t *o = json_object();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *key = col_text(st, 0);
        if (key && json_string_value(key))
            json_object_set_new(o, json_string_value(key), col_int(st, 1));
        json_decref(key);
    }
    if (rc != SQLITE_DONE)
        return fail(o, db, st, err, errlen);
    sqlite3_finalize(st);
    return o;
}

json_t *ow_api_summary(sqlite3 *db, char *err, size_t errlen)
{
    json_t *verdicts = counts(db, "SELECT verdict_status, count(*) FROM flows GROUP BY 1", err, errlen);
    json_t *sev = counts(db, "SELECT severity, count(*) FROM alerts GROUP BY 1", err, errlen);
    json_t *kinds = counts(db, "SELECT kind, count(*) FROM alerts GROUP BY 1", err, errlen);
    json_t *totals = counts(db,
        "SELECT 'runs', count(*) FROM runs UNION ALL SELECT 'flows', count(*) FROM flows"
        " UNION ALL SELECT 'alerts', count(*) FROM alerts"
        " UNION ALL SELECT 'last_alert_id', coalesce(max(id), 0) FROM alerts"
        " UNION ALL SELECT 'first_ts', coalesce(min(first_ts), 0) FROM flows"
        " UNION ALL SELECT 'last_ts', coalesce(max(last_ts), 0) FROM flows", err, errlen);
    json_t *version = counts(db, "SELECT 'schema_version', user_version FROM pragma_user_version",
                             err, errlen);
    if (!verdicts || !sev || !kinds || !totals || !version) {
        json_decref(verdicts);
        json_decref(sev);
        json_decref(kinds);
        json_decref(totals);
        json_decref(version);
        return NULL;
    }
    json_object_update(totals, version);
    json_decref(version);
    json_object_set_new(totals, "flows_by_verdict", verdicts);
    json_object_set_new(totals, "alerts_by_severity", sev);
    json_object_set_new(totals, "alerts_by_kind", kinds);
    json_object_set_new(totals, "has_evidence", json_boolean(ow_api_has_table(db, "evidence")));
    return totals;
}

/* --- assets ----------------------------------------------------------------------------- */

/* The entry of asset name in the {name: object} map, made on first use. */
static json_t *asset_entry(json_t *by_name, const char *name)
{
    json_t *o = json_object_get(by_name, name);
    if (o)
        return o;
    o = json_pack("{s:s,s:i,s:{s:i,s:i,s:i,s:i},s:i,s:{s:i,s:i,s:i},s:i,s:[],s:n,s:n,s:n,s:n}",
                  "name", name, "flows", 0, "flows_by_verdict", "authorized", 0, "anomaly", 0,
                  "out_of_scope", 0, "unevaluated", 0, "alerts", 0, "alerts_by_severity",
                  "critical", 0, "high", 0, "medium", 0, "open_alerts", 0, "addresses_seen",
                  "first_us", "last_us", "first", "last");
    json_object_set_new(by_name, name, o);
    return o;
}

json_t *ow_api_assets(sqlite3 *db, const char *name, const struct ow_api_asset_ref *refs,
                      size_t nrefs, char *err, size_t errlen)
{
    static const char flows_sql[] =
        "SELECT name, count(DISTINCT id),"
        " count(DISTINCT CASE WHEN status = 'authorized' THEN id END),"
        " count(DISTINCT CASE WHEN status = 'anomaly' THEN id END),"
        " count(DISTINCT CASE WHEN status = 'out_of_scope' THEN id END),"
        " count(DISTINCT CASE WHEN status = 'unevaluated' THEN id END),"
        " min(first_ts), max(last_ts), group_concat(DISTINCT addr)"
        " FROM (SELECT id, verdict_asset_src AS name, verdict_status AS status, first_ts,"
        "   last_ts, client_ip AS addr FROM flows WHERE verdict_asset_src != ''"
        "   UNION ALL SELECT id, verdict_asset_dest, verdict_status, first_ts, last_ts,"
        "   server_ip FROM flows WHERE verdict_asset_dest != '')"
        " WHERE ?1 IS NULL OR name = ?1 GROUP BY name";
    char alerts_sql[1024];
    const char *status = ow_triage_available(db) ? OW_TRIAGE_STATUS_SQL : "'open'";
    snprintf(alerts_sql, sizeof alerts_sql,
        "SELECT name, count(DISTINCT id),"
        " count(DISTINCT CASE WHEN severity = 'critical' THEN id END),"
        " count(DISTINCT CASE WHEN severity = 'high' THEN id END),"
        " count(DISTINCT CASE WHEN severity = 'medium' THEN id END),"
        " count(DISTINCT CASE WHEN status = 'open' THEN id END)"
        " FROM (SELECT a.id AS id, a.asset_src AS name, a.severity AS severity, %s AS status"
        "   FROM alerts a WHERE a.asset_src != ''"
        "   UNION ALL SELECT a.id, a.asset_dest, a.severity, %s FROM alerts a"
        "   WHERE a.asset_dest != '')"
        " WHERE ?1 IS NULL OR name = ?1 GROUP BY name", status, status);
    json_t *by_name = json_object();
    sqlite3_stmt *st = prepare(db, flows_sql, err, errlen);
    if (!st)
        return fail(by_name, db, NULL, err, errlen);
    if (name)
        sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *key = col_text(st, 0);
        json_t *o = asset_entry(by_name, json_string_value(key));
        json_decref(key);
        json_object_set_new(o, "flows", col_int(st, 1));
        json_t *v = json_object_get(o, "flows_by_verdict");
        json_object_set_new(v, "authorized", col_int(st, 2));
        json_object_set_new(v, "anomaly", col_int(st, 3));
        json_object_set_new(v, "out_of_scope", col_int(st, 4));
        json_object_set_new(v, "unevaluated", col_int(st, 5));
        json_object_set_new(o, "first_us", col_int(st, 6));
        json_object_set_new(o, "last_us", col_int(st, 7));
        json_object_set_new(o, "first", timestamp(sqlite3_column_int64(st, 6)));
        json_object_set_new(o, "last", timestamp(sqlite3_column_int64(st, 7)));
        json_t *addrs = json_object_get(o, "addresses_seen");
        const char *list = (const char *)sqlite3_column_text(st, 8);
        /* group_concat joins with ','; addresses never contain one. At most 64 listed. */
        for (const char *p = list; p && *p && json_array_size(addrs) < 64;) {
            const char *comma = strchr(p, ',');
            size_t n = comma ? (size_t)(comma - p) : strlen(p);
            json_array_append_new(addrs, ow_api_text((const unsigned char *)p, (int)n));
            p = comma ? comma + 1 : p + n;
        }
    }
    if (rc != SQLITE_DONE)
        return fail(by_name, db, st, err, errlen);
    sqlite3_finalize(st);
    st = prepare(db, alerts_sql, err, errlen);
    if (!st)
        return fail(by_name, db, NULL, err, errlen);
    if (name)
        sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *key = col_text(st, 0);
        json_t *o = asset_entry(by_name, json_string_value(key));
        json_decref(key);
        json_object_set_new(o, "alerts", col_int(st, 1));
        json_t *sev = json_object_get(o, "alerts_by_severity");
        json_object_set_new(sev, "critical", col_int(st, 2));
        json_object_set_new(sev, "high", col_int(st, 3));
        json_object_set_new(sev, "medium", col_int(st, 4));
        json_object_set_new(o, "open_alerts", col_int(st, 5));
    }
    if (rc != SQLITE_DONE)
        return fail(by_name, db, st, err, errlen);
    sqlite3_finalize(st);
    /* The policy's definition of each asset, and the assets nothing was seen for. */
    for (size_t i = 0; i < nrefs; i++) {
        if (name && strcmp(name, refs[i].name))
            continue;
        json_t *o = asset_entry(by_name, refs[i].name);
        json_object_set_new(o, "role", json_string(refs[i].role ? refs[i].role : ""));
        json_object_set_new(o, "vendor", json_string(refs[i].vendor ? refs[i].vendor : ""));
        json_object_set_new(o, "addresses", json_string(refs[i].addresses ? refs[i].addresses : ""));
        json_object_set_new(o, "in_policy", json_true());
    }
    /* Names in order. */
    json_t *list = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(by_name, k, v)
        json_array_append(list, v);
    json_decref(by_name);
    size_t n = json_array_size(list);
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0; j--) {
            json_t *x = json_array_get(list, j - 1), *y = json_array_get(list, j);
            if (strcmp(json_string_value(json_object_get(x, "name")),
                       json_string_value(json_object_get(y, "name"))) <= 0)
                break;
            json_incref(x);
            json_array_set(list, j - 1, y);
            json_array_set_new(list, j, x);
        }
    return json_pack("{s:o,s:b}", "assets", list, "policy_loaded", nrefs > 0);
}

/* --- timeline --------------------------------------------------------------------------- */

/* Adds each row's count (bucket, count, key) of a filtered query into series. The query's
 * first two parameters are the range's start and the bucket width; the WHERE clause's follow. */
static int fill_buckets(sqlite3 *db, const char *sql, int64_t from, int64_t width,
                        const struct ow_where *w, json_t **series, const char *const *keys,
                        int nkeys, int buckets, char *err, size_t errlen)
{
    sqlite3_stmt *st = prepare(db, sql, err, errlen);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, width);
    int rc = ow_where_bind(st, w, 3);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t b = sqlite3_column_int64(st, 0);
        int64_t n = sqlite3_column_int64(st, 1);
        const char *key = (const char *)sqlite3_column_text(st, 2);
        rc = SQLITE_OK;
        if (b < 0 || b >= buckets)
            continue;
        for (int k = 0; k < nkeys; k++)
            if (nkeys == 1 || (key && !strcmp(key, keys[k]))) {
                json_t *slot = json_array_get(series[k], (size_t)b);
                json_integer_set(slot, json_integer_value(slot) + n);
            }
    }
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "store query failed: %s", sqlite3_errmsg(db));
        sqlite3_finalize(st);
        return -1;
    }
    sqlite3_finalize(st);
    return 0;
}

json_t *ow_api_timeline(sqlite3 *db, const struct ow_alert_query *aq,
                        const struct ow_flow_query *fq, int buckets, char *err, size_t errlen)
{
    bool has_from = aq->has_from, has_to = aq->has_to;
    int64_t from_us = aq->from_us, to_us = aq->to_us;
    bool empty = false;
    if (!has_from || !has_to) {
        sqlite3_stmt *st = prepare(db, "SELECT min(first_ts), max(first_ts), count(*) FROM flows",
                                   err, errlen);
        if (!st)
            return NULL;
        if (sqlite3_step(st) == SQLITE_ROW) {
            empty = sqlite3_column_int64(st, 2) == 0;
            if (!has_from)
                from_us = empty && has_to ? to_us - 3600000000ll : sqlite3_column_int64(st, 0);
            if (!has_to)
                to_us = empty && has_from ? from_us + 3600000000ll : sqlite3_column_int64(st, 1) + 1;
        }
        sqlite3_finalize(st);
    }
    if (to_us <= from_us)
        to_us = from_us + 1;
    /* Whole seconds per bucket, at least one; the range is widened to a whole number of them. */
    int64_t span = to_us - from_us;
    int64_t width = (span + buckets - 1) / buckets;
    if (width < 1000000)
        width = 1000000;
    width = (width + 999999) / 1000000 * 1000000;
    int used = (int)((span + width - 1) / width);
    if (used < 1)
        used = 1;
    static const char *const sev[] = { "critical", "high", "medium" };
    json_t *flows = json_array();
    json_t *alerts[3] = { json_array(), json_array(), json_array() };
    for (int i = 0; i < used; i++) {
        json_array_append_new(flows, json_integer(0));
        for (int k = 0; k < 3; k++)
            json_array_append_new(alerts[k], json_integer(0));
    }
    /* The filters of the lists apply to the chart: the alert filters to the alert series,
     * the flow filters (address, asset, Community ID, run) to the flow series. */
    struct ow_alert_query a = *aq;
    a.has_from = a.has_to = true;
    a.from_us = from_us;
    a.to_us = to_us;
    a.after_id = 0;
    struct ow_flow_query f = *fq;
    f.has_from = f.has_to = true;
    f.from_us = from_us;
    f.to_us = to_us;
    struct ow_where aw = { 0 }, fw = { 0 };
    ow_alert_where(&a, &aw);
    ow_flow_where(&f, &fw);
    char asql[3072], fsql[2048];
    snprintf(asql, sizeof asql, "SELECT (a.ts - ?) / ?, count(*), a.severity FROM %s%s "
             "GROUP BY 1, 3", ow_alert_from_sql(ow_triage_available(db)), aw.sql);
    snprintf(fsql, sizeof fsql, "SELECT (first_ts - ?) / ?, count(*), '' FROM flows%s GROUP BY 1",
             fw.sql);
    static const char *const any[] = { "" };
    if (aw.overflow || fw.overflow ||
        fill_buckets(db, fsql, from_us, width, &fw, &flows, any, 1, used, err, errlen) < 0 ||
        fill_buckets(db, asql, from_us, width, &aw, alerts, sev, 3, used, err, errlen) < 0) {
        if (aw.overflow || fw.overflow)
            snprintf(err, errlen, "query too complex");
        json_decref(flows);
        for (int k = 0; k < 3; k++)
            json_decref(alerts[k]);
        return NULL;
    }
    return json_pack("{s:I,s:I,s:I,s:o,s:o,s:b,s:o,s:{s:o,s:o,s:o}}", "from_us",
                     (json_int_t)from_us, "to_us", (json_int_t)(from_us + width * used),
                     "bucket_us", (json_int_t)width, "from", timestamp(from_us), "to",
                     timestamp(from_us + width * used), "empty", empty, "flows", flows,
                     "alerts", "critical", alerts[0], "high", alerts[1], "medium", alerts[2]);
}
