/* api_lookups.c — the HTTP API's single-row lookups and the event stream's poll
 * (api_lookups.h). */
#include "db/api_lookups.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/alloc.h"
#include "db/api_queries.h"

int ow_api_flow_names_li(sqlite3 *db, int64_t flow_row)
{
    sqlite3_stmt *q = NULL;
    int found = 0;
    if (sqlite3_prepare_v2(db, "SELECT li_liid <> '' OR li_target <> '' FROM flows WHERE id = ?",
                           -1, &q, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, flow_row);
        if (sqlite3_step(q) == SQLITE_ROW)
            found = sqlite3_column_int(q, 0) != 0;
    }
    sqlite3_finalize(q);
    return found;
}

int ow_api_run_rule(sqlite3 *db, int64_t run_id, const char *rule, json_t *o)
{
    sqlite3_stmt *q = NULL;
    int found = 0;
    if (ow_api_has_table(db, "run_rules") &&
        sqlite3_prepare_v2(db, "SELECT kind, interface, ticket FROM run_rules WHERE run_id = ? "
                               "AND rule_id = ?", -1, &q, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, run_id);
        sqlite3_bind_text(q, 2, rule, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(q) == SQLITE_ROW) {
            static const char *const keys[] = { "kind", "interface", "ticket" };
            for (int i = 0; i < 3; i++)
                json_object_set_new(o, keys[i], ow_api_text(sqlite3_column_text(q, i),
                                                            sqlite3_column_bytes(q, i)));
            found = 1;
        }
    }
    sqlite3_finalize(q);
    return found;
}

bool ow_api_evidence_stored(sqlite3 *db, int64_t flow_row)
{
    if (!ow_api_has_table(db, "evidence"))
        return false;
    sqlite3_stmt *q = NULL;
    bool available = false;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM evidence WHERE flow_row = ?", -1, &q, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_int64(q, 1, flow_row);
        available = sqlite3_step(q) == SQLITE_ROW;
    }
    sqlite3_finalize(q);
    return available;
}

int64_t ow_api_alert_flow_row(sqlite3 *db, int64_t alert_id)
{
    int64_t flow_row = 0;
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db, "SELECT flow_row FROM alerts WHERE id = ?", -1, &q, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_int64(q, 1, alert_id);
        if (sqlite3_step(q) == SQLITE_ROW)
            flow_row = sqlite3_column_int64(q, 0);
    }
    sqlite3_finalize(q);
    return flow_row;
}

int ow_api_chain_head(sqlite3 *db, int64_t *seq, char *hex, size_t hexlen)
{
    sqlite3_stmt *q = NULL;
    int rc = -1;
    *seq = 0;
    if (hexlen)
        hex[0] = '\0';
    if (sqlite3_prepare_v2(db, "SELECT seq, hex(hash) FROM chain ORDER BY seq DESC LIMIT 1", -1,
                           &q, NULL) != SQLITE_OK)
        goto done;
    int step = sqlite3_step(q);
    if (step == SQLITE_ROW) {
        *seq = sqlite3_column_int64(q, 0);
        const unsigned char *h = sqlite3_column_text(q, 1);
        snprintf(hex, hexlen, "%s", h ? (const char *)h : "");
        rc = 0;
    } else if (step == SQLITE_DONE) {
        rc = 0;
    }
done:
    sqlite3_finalize(q);
    return rc;
}

int64_t ow_api_last_alert_id(sqlite3 *db)
{
    sqlite3_stmt *q = NULL;
    int64_t id = 0;
    if (sqlite3_prepare_v2(db, "SELECT coalesce(max(id), 0) FROM alerts", -1, &q, NULL) ==
            SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        id = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return id;
}

struct ow_alert_poll {
    sqlite3_stmt *stmt;
};

struct ow_alert_poll *ow_alert_poll_open(sqlite3 *db)
{
    struct ow_alert_poll *p = ow_calloc(1, sizeof *p);
    if (!p)
        return NULL;
    if (sqlite3_prepare_v2(db, "SELECT id FROM alerts WHERE id > ? ORDER BY id LIMIT 50", -1,
                           &p->stmt, NULL) != SQLITE_OK) {
        sqlite3_finalize(p->stmt);
        free(p);
        return NULL;
    }
    return p;
}

int ow_alert_poll_ids(struct ow_alert_poll *p, int64_t after, int64_t *ids, int max)
{
    int n = 0, rc = SQLITE_DONE;
    sqlite3_bind_int64(p->stmt, 1, after);
    while (n < max && (rc = sqlite3_step(p->stmt)) == SQLITE_ROW)
        ids[n++] = sqlite3_column_int64(p->stmt, 0);
    sqlite3_reset(p->stmt);
    if (n < max && rc != SQLITE_DONE)
        return -1;
    return n;
}

void ow_alert_poll_close(struct ow_alert_poll *p)
{
    if (!p)
        return;
    sqlite3_finalize(p->stmt);
    free(p);
}
