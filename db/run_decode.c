/* run_decode.c — owns reads and writes of run_decode_events (see run_decode.h). */
#include "db/run_decode.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#include "db/api_queries.h"

int ow_run_decode_store(sqlite3 *db, int64_t run_id, size_t n, const char *const names[],
                        const char *const classes[], const uint64_t counts[], char *err,
                        size_t errlen)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "INSERT INTO run_decode_events (run_id, event, class, count) "
                               "VALUES (?, ?, ?, ?)", -1, &s, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "decode events: %s", sqlite3_errmsg(db));
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (counts[i] == 0)
            continue;
        sqlite3_bind_int64(s, 1, run_id);
        sqlite3_bind_text(s, 2, names[i], -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, classes[i], -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 4, counts[i] > INT64_MAX ? INT64_MAX : (int64_t)counts[i]);
        if (sqlite3_step(s) != SQLITE_DONE) {
            snprintf(err, errlen, "decode events: %s", sqlite3_errmsg(db));
            rc = -1;
        }
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    return rc;
}

/* run_id 0 and ids NULL: every run; ids: a JSON array of run ids. */
static json_t *sum_events(sqlite3 *db, int64_t run_id, const char *ids)
{
    json_t *out = json_array();
    if (!out || !ow_api_has_table(db, "run_decode_events"))
        return out;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "SELECT event, class, SUM(count) AS n FROM run_decode_events "
                               "WHERE (?2 IS NULL AND (?1 = 0 OR run_id = ?1)) OR "
                               "run_id IN (SELECT value FROM json_each(?2)) GROUP BY event, class "
                               "ORDER BY n DESC, event", -1, &s, NULL) != SQLITE_OK) {
        json_decref(out);
        return NULL;
    }
    sqlite3_bind_int64(s, 1, run_id);
    if (ids)
        sqlite3_bind_text(s, 2, ids, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(s, 2);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        json_array_append_new(out, json_pack("{s:s, s:s, s:I}",
                                             "event", (const char *)sqlite3_column_text(s, 0),
                                             "class", (const char *)sqlite3_column_text(s, 1),
                                             "count", (json_int_t)sqlite3_column_int64(s, 2)));
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        json_decref(out);
        return NULL;
    }
    return out;
}

json_t *ow_run_decode_json(sqlite3 *db, int64_t run_id)
{
    return sum_events(db, run_id, NULL);
}

json_t *ow_run_decode_json_runs(sqlite3 *db, const json_t *runs)
{
    json_t *ids = json_array();
    size_t i;
    const json_t *run;
    json_array_foreach(runs, i, run)
        json_array_append(ids, json_object_get(run, "id"));
    char *text = json_dumps(ids, JSON_COMPACT);
    json_decref(ids);
    if (!text)
        return NULL;
    json_t *out = sum_events(db, 0, text);
    free(text);
    return out;
}

int ow_run_decode_check(sqlite3 *db, char *err, size_t errlen)
{
    if (!ow_api_has_table(db, "run_decode_events"))
        return 0;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db,
            "SELECT r.id, r.packets_malformed, r.packets_not_ip, e.rows, e.m, e.n FROM runs r "
            "LEFT JOIN (SELECT run_id, COUNT(*) AS rows,"
            "  SUM(CASE WHEN class = 'malformed' THEN count ELSE 0 END) AS m,"
            "  SUM(CASE WHEN class <> 'malformed' THEN count ELSE 0 END) AS n "
            "  FROM run_decode_events GROUP BY run_id) e ON e.run_id = r.id "
            "WHERE r.ended_wall IS NOT NULL ORDER BY r.id", -1, &s, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "decode events: %s", sqlite3_errmsg(db));
        return -1;
    }
    int bad = 0, rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (sqlite3_column_type(s, 3) == SQLITE_NULL)
            continue;   /* no rows: a run from before the table, or one with nothing to count */
        int64_t m = sqlite3_column_int64(s, 1), n = sqlite3_column_int64(s, 2);
        int64_t em = sqlite3_column_int64(s, 4), en = sqlite3_column_int64(s, 5);
        if (m != em || n != en) {
            if (bad++ == 0)
                snprintf(err, errlen, "run %lld: decode events add up to %lld malformed and "
                         "%lld not IP, the run says %lld and %lld",
                         (long long)sqlite3_column_int64(s, 0), (long long)em, (long long)en,
                         (long long)m, (long long)n);
        }
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "decode events: %s", sqlite3_errmsg(db));
        return -1;
    }
    return bad;
}
