/* bulk_indexes.c — the flow indexes a bulk replay drops at its start and builds at its end
 * (docs/architecture.md, "Performance"). */
#include "db/bulk_indexes.h"

#include <stdio.h>

#include <sqlite3.h>

#include "db/community_index.h"

/* Their definitions, as the migrations create them. flows_run, flows_open and chain_row stay:
 * their keys arrive in order, and the writer and verify read through them. */
static const struct {
    const char *name, *columns;
} deferrable[] = {
    { "flows_community_id", OW_CID_INDEX_ON },
    { "flows_first_ts", "flows(first_ts)" },
    { "flows_verdict", "flows(verdict_status)" },
};

#define N_DEFERRABLE (sizeof deferrable / sizeof deferrable[0])

static int exec(struct ow_store *st, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(ow_store_handle(st), sql, NULL, NULL, &msg) == SQLITE_OK)
        return 0;
    ow_store_set_err(st, "%s: %s", sql, msg ? msg : sqlite3_errmsg(ow_store_handle(st)));
    sqlite3_free(msg);
    return -1;
}

/* Only the page cache's size: a failure costs speed, not data, so it is not an error. */
static void set_cache(struct ow_store *st, unsigned kib)
{
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA cache_size = -%u", kib);
    sqlite3_exec(ow_store_handle(st), sql, NULL, NULL, NULL);
}

int ow_bulk_indexes_defer(struct ow_store *st, uint64_t expected_flows)
{
    sqlite3 *db = ow_store_handle(st);
    sqlite3_stmt *s = NULL;
    /* max(id), not count(*): a lookup at the end of the table, not a scan of it. */
    if (sqlite3_prepare_v2(db, "SELECT coalesce(max(id), 0) FROM flows", -1, &s, NULL) !=
            SQLITE_OK || sqlite3_step(s) != SQLITE_ROW) {
        ow_store_set_err(st, "bulk indexes: %s", sqlite3_errmsg(db));
        sqlite3_finalize(s);
        return -1;
    }
    uint64_t have = (uint64_t)sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    if (expected_flows < have || expected_flows == 0)
        return 0;
    if (exec(st, "BEGIN IMMEDIATE") < 0)
        return -1;
    for (size_t i = 0; i < N_DEFERRABLE; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "DROP INDEX IF EXISTS %s", deferrable[i].name);
        if (exec(st, sql) < 0) {
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return -1;
        }
    }
    if (exec(st, "COMMIT") < 0) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    set_cache(st, OW_STORE_BULK_CACHE_KIB);
    return 1;
}

int ow_bulk_indexes_build(struct ow_store *st)
{
    for (size_t i = 0; i < N_DEFERRABLE; i++) {
        char sql[160];
        snprintf(sql, sizeof sql, "CREATE INDEX IF NOT EXISTS %s ON %s", deferrable[i].name,
                 deferrable[i].columns);
        if (exec(st, sql) < 0)
            return -1;
    }
    return 0;
}
