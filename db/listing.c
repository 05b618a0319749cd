/* listing.c — the ids of the stored alerts and flows a command-line filter selects
 * (db/listing.h), in the order the listings print them; sensor/cli_tables.c prints them. */
#include "db/listing.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db/alert_view.h"
#include "db/triage.h"

/* ---- ids --------------------------------------------------------------------------------- */

static int64_t *select_ids(sqlite3 *db, const char *sql, const struct ow_where *w, int64_t limit,
                           size_t *count, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    *count = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "query: %s", sqlite3_errmsg(db));
        return NULL;
    }
    size_t cap = 64, n = 0;
    int64_t *ids = malloc(cap * sizeof *ids);
    int rc = ids ? ow_where_bind(st, w, 1) : SQLITE_NOMEM;
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, w->n + 1, limit > 0 ? limit : -1);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        rc = SQLITE_OK;
        if (n == cap) {
            int64_t *more = realloc(ids, 2 * cap * sizeof *ids);
            if (!more) {
                rc = SQLITE_NOMEM;
                break;
            }
            ids = more;
            cap *= 2;
        }
        ids[n++] = sqlite3_column_int64(st, 0);
    }
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "query: %s", rc == SQLITE_NOMEM ? "out of memory" : sqlite3_errmsg(db));
        sqlite3_finalize(st);
        free(ids);
        return NULL;
    }
    sqlite3_finalize(st);
    *count = n;
    return ids;
}

static void reverse(int64_t *ids, size_t n)
{
    for (size_t i = 0; i < n / 2; i++) {
        int64_t t = ids[i];
        ids[i] = ids[n - 1 - i];
        ids[n - 1 - i] = t;
    }
}

/* ---- alerts ------------------------------------------------------------------------------ */

int64_t *ow_list_alert_ids(struct ow_store *st, const struct ow_alert_query *q, int order,
                           int64_t *max_id, size_t *count, char *err, size_t errlen)
{
    sqlite3 *db = ow_store_handle(st);
    bool has_triage = ow_triage_available(db);
    struct ow_where w = { 0 };
    ow_alert_where(q, &w);
    if (w.overflow) {
        snprintf(err, errlen, "too many filters");
        return NULL;
    }
    char sql[3072];
    /* With a limit: the newest N, as the API lists them, then turned oldest first. */
    int sort = q->limit > 0 ? OW_SORT_TIME_DESC : order;
    snprintf(sql, sizeof sql, "SELECT a.id FROM %s%s ORDER BY %s LIMIT ?",
             ow_alert_from_sql(has_triage), w.sql, ow_alert_order_sql(sort));
    size_t n = 0;
    int64_t *ids = select_ids(db, sql, &w, q->limit, &n, err, errlen);
    if (!ids)
        return NULL;
    if (q->limit > 0)
        reverse(ids, n);
    if (max_id) {
        size_t m = 0;
        snprintf(sql, sizeof sql, "SELECT coalesce(max(a.id), 0) FROM %s%s LIMIT ?",
                 ow_alert_from_sql(has_triage), w.sql);
        int64_t *top = select_ids(db, sql, &w, 1, &m, err, errlen);
        if (!top) {
            free(ids);
            return NULL;
        }
        if (m && top[0] > *max_id)
            *max_id = top[0];
        free(top);
    }
    *count = n;
    return ids;
}

/* ---- flows ------------------------------------------------------------------------------- */

int64_t *ow_list_flow_ids(struct ow_store *st, const struct ow_flow_query *q, size_t *count,
                          char *err, size_t errlen)
{
    sqlite3 *db = ow_store_handle(st);
    struct ow_where w = { 0 };
    ow_flow_where(q, &w);
    if (w.overflow) {
        snprintf(err, errlen, "too many filters");
        return NULL;
    }
    char sql[2048];
    snprintf(sql, sizeof sql, "SELECT id FROM flows%s ORDER BY %s LIMIT ?", w.sql,
             q->limit > 0 ? "first_ts DESC, id DESC" : "first_ts, flow_id, id");
    size_t n = 0;
    int64_t *ids = select_ids(db, sql, &w, q->limit, &n, err, errlen);
    if (!ids)
        return NULL;
    if (q->limit > 0)
        reverse(ids, n);
    *count = n;
    return ids;
}
