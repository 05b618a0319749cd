/* alert_view.c — stored alerts and flows as EVE lines with their run's context
 * (db/alert_view.h). */
#include "db/alert_view.h"

#include <stdlib.h>

#include <sqlite3.h>

#include "db/eve_json.h"
#include "db/run_context.h"
#include "db/store.h"
#include "db/triage.h"

static int64_t row_run(sqlite3 *db, const char *sql, int64_t id)
{
    sqlite3_stmt *s = NULL;
    int64_t run = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(s, 1, id);
        if (sqlite3_step(s) == SQLITE_ROW)
            run = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
    return run;
}

char *ow_alert_eve_line(struct ow_store *st, int64_t alert_id, struct ow_run_context *cache,
                        int *status, int64_t *flow_row, int64_t *run_id)
{
    struct ow_run_context local = { 0 };
    struct ow_run_context *ctx = cache ? cache : &local;
    struct ow_flow_record *rec = calloc(1, sizeof *rec);
    struct ow_triage_state *tri = calloc(1, sizeof *tri);
    char *line = NULL;
    int64_t row = 0;
    *status = -1;
    if (!rec || !tri)
        goto out;
    int rc = ow_store_get_alert(st, alert_id, rec, &row);
    if (rc != 0) {
        *status = rc == 1 ? 1 : -1;
        goto out;
    }
    sqlite3 *db = ow_store_handle(st);
    int64_t run = row_run(db, "SELECT run_id FROM alerts WHERE id = ?", alert_id);
    if (ow_run_context_load(db, run, ctx) < 0 || ow_triage_current(db, alert_id, tri) < 0)
        goto out;
    struct ow_eve_context eve = ow_run_context_eve(ctx, tri);
    line = ow_eve_alert_string_ctx(rec, alert_id, &eve);
    if (line)
        *status = 0;
    if (flow_row)
        *flow_row = row;
    if (run_id)
        *run_id = run;
out:
    free(rec);
    free(tri);
    return line;
}

char *ow_flow_eve_line(struct ow_store *st, int64_t flow_row, struct ow_run_context *cache,
                       int *status)
{
    struct ow_run_context local = { 0 };
    struct ow_run_context *ctx = cache ? cache : &local;
    struct ow_flow_record *rec = calloc(1, sizeof *rec);
    char *line = NULL;
    *status = -1;
    if (!rec)
        return NULL;
    int rc = ow_store_get_flow(st, flow_row, rec);
    if (rc != 0) {
        *status = rc == 1 ? 1 : -1;
        free(rec);
        return NULL;
    }
    sqlite3 *db = ow_store_handle(st);
    int64_t run = row_run(db, "SELECT run_id FROM flows WHERE id = ?", flow_row);
    if (ow_run_context_load(db, run, ctx) == 0) {
        struct ow_eve_context eve = ow_run_context_eve(ctx, NULL);
        line = ow_eve_flow_string_ctx(rec, &eve);
        if (line)
            *status = 0;
    }
    free(rec);
    return line;
}
