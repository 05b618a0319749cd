/* api_queries.c — SQL for the HTTP API's list, count and chart endpoints. A query is built
 * from constant fragments only; every value the client sent is bound. Each statement is
 * finalized before returning, so no read transaction outlives a request. */
#include "db/api_queries.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/eve_json.h"
#include "sensor/endpoint.h"

/* --- a WHERE clause with its bound values ----------------------------------------------- */

#define MAX_BINDS 32

struct where {
    char sql[1024];
    size_t len;
    int n;
    struct {
        bool is_text;
        int64_t i;
        const char *s;
    } v[MAX_BINDS];
    bool overflow;
};

static void w_add(struct where *w, const char *fragment)
{
    size_t n = strlen(fragment);
    if (w->len + n + 6 >= sizeof w->sql) {
        w->overflow = true;
        return;
    }
    memcpy(w->sql + w->len, w->len ? " AND " : " WHERE ", w->len ? 5 : 7);
    w->len += w->len ? 5 : 7;
    memcpy(w->sql + w->len, fragment, n);
    w->len += n;
    w->sql[w->len] = '\0';
}

static void w_int(struct where *w, int64_t i)
{
    if (w->n == MAX_BINDS) {
        w->overflow = true;
        return;
    }
    w->v[w->n].is_text = false;
    w->v[w->n++].i = i;
}

static void w_text(struct where *w, const char *s)
{
    if (w->n == MAX_BINDS) {
        w->overflow = true;
        return;
    }
    w->v[w->n].is_text = true;
    w->v[w->n++].s = s;
}

/* "col IN (?,?,?)" for a list of names. */
static void w_in(struct where *w, const char *col, const char *const *names, int count)
{
    if (count <= 0)
        return;
    char frag[256];
    int len = snprintf(frag, sizeof frag, "%s IN (", col);
    for (int i = 0; i < count && len > 0 && (size_t)len < sizeof frag - 4; i++) {
        len += snprintf(frag + len, sizeof frag - (size_t)len, i ? ",?" : "?");
        w_text(w, names[i]);
    }
    if (len < 0 || (size_t)len >= sizeof frag - 2) {
        w->overflow = true;
        return;
    }
    snprintf(frag + len, sizeof frag - (size_t)len, ")");
    w_add(w, frag);
}

static int bind_where(sqlite3_stmt *st, const struct where *w, int first)
{
    for (int i = 0; i < w->n; i++) {
        int rc = w->v[i].is_text
                     ? sqlite3_bind_text(st, first + i, w->v[i].s, -1, SQLITE_TRANSIENT)
                     : sqlite3_bind_int64(st, first + i, w->v[i].i);
        if (rc != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}

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

static int64_t count_rows(sqlite3 *db, const char *sql, const struct where *w, char *err,
                          size_t errlen)
{
    sqlite3_stmt *st = prepare(db, sql, err, errlen);
    if (!st)
        return -1;
    int64_t n = -1;
    if (bind_where(st, w, 1) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    else
        snprintf(err, errlen, "store query failed: %s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return n;
}

/* Runs "SELECT <cols> FROM <from> <where> ORDER BY <order> LIMIT ? OFFSET ?" and the
 * matching count; returns {"total","offset","limit", key: [rows]}. */
static json_t *paged(sqlite3 *db, const char *cols, const char *from, const struct where *w,
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
    if (bind_where(st, w, 1) != SQLITE_OK ||
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
    " f.app_proto, f.community_id";

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
    int64_t proto = sqlite3_column_int64(st, 14);
    const char *pname = proto >= 0 && proto <= 255 ? ow_l4_proto_name((uint8_t)proto) : NULL;
    char pbuf[8];
    if (!pname) {
        snprintf(pbuf, sizeof pbuf, "%d", (int)(proto & 0xff));
        pname = pbuf;
    }
    json_object_set_new(o, "proto", json_string(pname));
    json_object_set_new(o, "app_proto", col_text(st, 15));
    json_object_set_new(o, "community_id", col_text(st, 16));
    return o;
}

json_t *ow_api_alerts(sqlite3 *db, const struct ow_alert_query *q, char *err, size_t errlen)
{
    struct where w = { 0 };
    w_in(&w, "a.severity", q->severities, q->nseverities);
    w_in(&w, "a.kind", q->kinds, q->nkinds);
    if (q->has_from) {
        w_add(&w, "a.ts >= ?");
        w_int(&w, q->from_us);
    }
    if (q->has_to) {
        w_add(&w, "a.ts < ?");
        w_int(&w, q->to_us);
    }
    if (q->asset) {
        w_add(&w, "(a.asset_src = ? OR a.asset_dest = ?)");
        w_text(&w, q->asset);
        w_text(&w, q->asset);
    }
    if (q->rule) {
        w_add(&w, "a.rule = ?");
        w_text(&w, q->rule);
    }
    if (q->run_id) {
        w_add(&w, "a.run_id = ?");
        w_int(&w, q->run_id);
    }
    if (q->after_id) {
        w_add(&w, "a.id > ?");
        w_int(&w, q->after_id);
    }
    return paged(db, alert_cols, "alerts a LEFT JOIN flows f ON f.id = a.flow_row", &w,
                 "a.id DESC", q->limit, q->offset, "alerts", alert_row, err, errlen);
}

/* --- flows ----------------------------------------------------------------------------- */

static const char flow_cols[] =
    "id, run_id, flow_id, community_id, first_ts, last_ts, l4_proto, client_ip, client_port,"
    " server_ip, server_port, app_proto, ndpi_protocol, ndpi_category, pkts_toserver,"
    " pkts_toclient, bytes_toserver, bytes_toclient, verdict_status, verdict_rule,"
    " verdict_kind, verdict_severity, verdict_asset_src, verdict_asset_dest, li_interface,"
    " tls_sni, ssh_client, ssh_server, ndpi_risk";

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
    struct where w = { 0 };
    if (q->ip) {
        w_add(&w, "(client_ip = ? OR server_ip = ?)");
        w_text(&w, q->ip);
        w_text(&w, q->ip);
    }
    if (q->port >= 0) {
        w_add(&w, "(client_port = ? OR server_port = ?)");
        w_int(&w, q->port);
        w_int(&w, q->port);
    }
    if (q->app) {
        w_add(&w, "(app_proto = ? COLLATE NOCASE OR ndpi_app = ? COLLATE NOCASE"
                  " OR ndpi_master = ? COLLATE NOCASE OR ndpi_protocol = ? COLLATE NOCASE)");
        for (int i = 0; i < 4; i++)
            w_text(&w, q->app);
    }
    w_in(&w, "verdict_status", q->verdicts, q->nverdicts);
    if (q->community_id) {
        w_add(&w, "community_id = ?");
        w_text(&w, q->community_id);
    }
    if (q->l4_proto >= 0) {
        w_add(&w, "l4_proto = ?");
        w_int(&w, q->l4_proto);
    }
    if (q->has_from) {
        w_add(&w, "first_ts >= ?");
        w_int(&w, q->from_us);
    }
    if (q->has_to) {
        w_add(&w, "first_ts < ?");
        w_int(&w, q->to_us);
    }
    if (q->run_id) {
        w_add(&w, "run_id = ?");
        w_int(&w, q->run_id);
    }
    return paged(db, flow_cols, "flows", &w, "first_ts DESC, id DESC", q->limit, q->offset,
                 "flows", flow_row, err, errlen);
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
    json_t *outside = all_rows(db,
        "SELECT id AS alert_id, rule, kind, severity, ts AS ts_us, asset_src, asset_dest"
        " FROM alerts WHERE kind IN ('maintenance_outside_window', 'maintenance_overrun')"
        " AND (?1 = 0 OR run_id = ?1) ORDER BY ts LIMIT 500", run_id, err, errlen);
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

/* --- timeline --------------------------------------------------------------------------- */

static int fill_buckets(sqlite3 *db, const char *sql, int64_t from, int64_t to, int64_t width,
                        json_t **series, const char *const *keys, int nkeys, int buckets,
                        char *err, size_t errlen)
{
    sqlite3_stmt *st = prepare(db, sql, err, errlen);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to);
    sqlite3_bind_int64(st, 3, width);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t b = sqlite3_column_int64(st, 0);
        int64_t n = sqlite3_column_int64(st, 1);
        const char *key = (const char *)sqlite3_column_text(st, 2);
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

json_t *ow_api_timeline(sqlite3 *db, bool has_from, int64_t from_us, bool has_to, int64_t to_us,
                        int buckets, char *err, size_t errlen)
{
    if (!has_from || !has_to) {
        sqlite3_stmt *st = prepare(db, "SELECT min(first_ts), max(first_ts) FROM flows", err, errlen);
        if (!st)
            return NULL;
        if (sqlite3_step(st) == SQLITE_ROW) {
            if (!has_from)
                from_us = sqlite3_column_int64(st, 0);
            if (!has_to)
                to_us = sqlite3_column_int64(st, 1) + 1;
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
    static const char *const any[] = { "" };
    if (fill_buckets(db,
            "SELECT (first_ts - ?1) / ?3, count(*), '' FROM flows"
            " WHERE first_ts >= ?1 AND first_ts < ?2 GROUP BY 1",
            from_us, to_us, width, &flows, any, 1, used, err, errlen) < 0 ||
        fill_buckets(db,
            "SELECT (ts - ?1) / ?3, count(*), severity FROM alerts"
            " WHERE ts >= ?1 AND ts < ?2 GROUP BY 1, 3",
            from_us, to_us, width, alerts, sev, 3, used, err, errlen) < 0) {
        json_decref(flows);
        for (int k = 0; k < 3; k++)
            json_decref(alerts[k]);
        return NULL;
    }
    return json_pack("{s:I,s:I,s:I,s:o,s:o,s:{s:o,s:o,s:o}}", "from_us", (json_int_t)from_us,
                     "to_us", (json_int_t)(from_us + width * used), "bucket_us",
                     (json_int_t)width, "from", timestamp(from_us), "flows", flows, "alerts",
                     "critical", alerts[0], "high", alerts[1], "medium", alerts[2]);
}
