/* engine_root.c — the run's content root at its end, in two halves at once: the run's upper
 * rows on a read-only connection in a thread of its own, the lower ones on the writer's
 * connection once it has built the indexes a bulk replay deferred. The writer's connection
 * holds the store's write lock throughout (the end-of-run transaction is open), so the
 * other connection's snapshot is exactly the rows the root is stored with. On a 2-core
 * machine this took the tail of a 434k-flow replay from ~4.5 s to ~1.6 s
 * (docs/architecture.md, "Performance"). */
#include "sensor/engine_internal.h"

#include "db/bulk_indexes.h"
#include "db/content_root.h"
#include "db/store_files.h"

/* Below this many rows a second connection costs more than it saves. */
#define SPLIT_MIN_ROWS 4096

struct half {
    const char *path;
    int64_t run_id, from, to;
    struct ow_content_leaf *leaves;    /* room for to - from + 1 */
    size_t n;
    int rc;
    char err[256];
};

static void *upper_half(void *arg)
{
    struct half *h = arg;
    h->rc = -1;
    struct ow_store *ro = ow_store_open_readonly(h->path, h->err, sizeof h->err);
    if (!ro)
        return NULL;
    sqlite3 *db = ow_store_handle(ro);
    /* The snapshot starts here, after the writer's last commit and under its lock. */
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK) {
        h->rc = ow_content_root_leaves(db, h->run_id, h->from, h->to, h->leaves,
                                       (size_t)(h->to - h->from + 1), &h->n, h->err,
                                       sizeof h->err);
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    } else {
        snprintf(h->err, sizeof h->err, "content root: %s", sqlite3_errmsg(db));
    }
    ow_store_close(ro);
    return NULL;
}

static int row_range(sqlite3 *db, int64_t run_id, int64_t *lo, int64_t *hi)
{
    sqlite3_stmt *s = NULL;
    int ok = sqlite3_prepare_v2(db, "SELECT coalesce(min(id), 0), coalesce(max(id), -1) FROM "
                                "flows WHERE run_id = ?", -1, &s, NULL) == SQLITE_OK &&
             sqlite3_bind_int64(s, 1, run_id) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW;
    if (ok) {
        *lo = sqlite3_column_int64(s, 0);
        *hi = sqlite3_column_int64(s, 1);
    }
    sqlite3_finalize(s);
    return ok ? 0 : -1;
}

static void build_deferred_indexes(struct engine *e)
{
    if (!e->indexes_deferred)
        return;
    if (ow_bulk_indexes_build(e->store) == 0)
        e->indexes_deferred = false;
    else    /* the root does not need them; ow_engine_replay tries again after the run */
        fprintf(stderr, "omwitness: %s: %s\n", e->o->db_path, ow_store_errmsg(e->store));
}

int ow_engine_content_root(struct engine *e, uint8_t root[OW_HASH_LEN], int64_t *leaves,
                           char *err, size_t errlen)
{
    sqlite3 *db = ow_store_handle(e->store);
    int64_t lo, hi;
    if (row_range(db, e->run_id, &lo, &hi) < 0) {
        snprintf(err, errlen, "content root: %s", sqlite3_errmsg(db));
        return -1;
    }
    /* One array for both halves, a slot per row id of the run: no copy, no growth. */
    size_t slots = hi >= lo ? (size_t)(hi - lo + 1) : 0;
    struct ow_content_leaf *all = malloc((slots ? slots : 1) * sizeof *all);
    if (!all) {
        snprintf(err, errlen, "content root: out of memory");
        return -1;
    }
    int64_t mid = hi;           /* the lower half's last row id */
    struct half up = { .path = e->o->db_path, .run_id = e->run_id };
    pthread_t thread;
    bool split = hi - lo >= SPLIT_MIN_ROWS && !ow_store_path_special(e->o->db_path);
    if (split) {
        /* Building the deferred indexes here takes about as long as reading 40 % of the
         * leaves: the other connection then reads three quarters of them (measured on the
         * 434k-flow replay: the end 2.1-2.6 s with halves, 1.5-1.6 s so). */
        mid = lo + (hi - lo) / (e->indexes_deferred ? 4 : 2);
        up.from = mid + 1;
        up.to = hi;
        up.leaves = all + (mid + 1 - lo);
        split = ow_thread_start(&thread, "ow-content-root", upper_half, &up) == 0;
        if (!split)
            mid = hi;
    }
    build_deferred_indexes(e);
    size_t nlow = 0;
    int rc = ow_content_root_leaves(db, e->run_id, lo, mid, all,
                                    (size_t)(mid - lo + 1 > 0 ? mid - lo + 1 : 0), &nlow, err,
                                    errlen);
    if (split) {
        pthread_join(thread, NULL);
        /* The other connection failed (it may not be openable here): its half on this one. */
        if (rc == 0 && up.rc != 0)
            rc = ow_content_root_leaves(db, e->run_id, up.from, up.to, up.leaves,
                                        (size_t)(up.to - up.from + 1), &up.n, err, errlen);
        if (rc == 0 && up.n)
            memmove(all + nlow, up.leaves, up.n * sizeof *all);
    }
    if (rc == 0) {
        ow_content_root_of_leaves(all, nlow + up.n, root);
        *leaves = (int64_t)(nlow + up.n);
    }
    free(all);
    return rc;
}
