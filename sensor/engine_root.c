/* engine_root.c — the run's content root at its end, read by two connections at once: a
 * read-only one in a thread of its own, and the writer's once it has built the indexes a
 * bulk replay deferred. The run's row ids are cut into chunks that each connection takes in
 * turn as it comes free, so neither waits for the other however long the build takes. The
 * writer's connection holds the store's write lock throughout (the end-of-run transaction is
 * open), so the other connection's snapshot is exactly the rows the root is stored with. On a
 * 2-core machine two connections took the tail of a 434k-flow replay from ~4.5 s to ~1.6 s;
 * chunks replaced a split tuned to the build's cost (docs/architecture.md, "Performance"). */
#include "sensor/engine_internal.h"

#include <stdatomic.h>

#include "db/bulk_indexes.h"
#include "db/content_root.h"
#include "db/store_files.h"

/* Below this many rows a second connection costs more than it saves. */
#define SPLIT_MIN_ROWS 4096
/* A run is cut into about this many chunks, of at least CHUNK_MIN_ROWS rows: each costs
 * three prepared statements and a seek, and the last one taken is what the other connection
 * may have to wait for. */
#define CHUNKS 32
#define CHUNK_MIN_ROWS 1024

struct chunks {
    int64_t run_id, lo, hi;
    int64_t rows;                       /* per chunk */
    size_t count;                       /* chunks */
    atomic_size_t next;                 /* the next chunk to take */
    struct ow_content_leaf *leaves;     /* a slot per row id in [lo, hi] */
    size_t *got;                        /* per chunk: its leaves, or SIZE_MAX if not read */
};

static int64_t chunk_from(const struct chunks *w, size_t c)
{
    return w->lo + (int64_t)c * w->rows;
}

static int64_t chunk_to(const struct chunks *w, size_t c)
{
    int64_t to = chunk_from(w, c) + w->rows - 1;
    return to < w->hi ? to : w->hi;
}

static int read_chunk(sqlite3 *db, struct chunks *w, size_t c, char *err, size_t errlen)
{
    int64_t from = chunk_from(w, c), to = chunk_to(w, c);
    size_t n = 0;
    if (ow_content_root_leaves(db, w->run_id, from, to, w->leaves + (from - w->lo),
                               (size_t)(to - from + 1), &n, err, errlen) < 0)
        return -1;
    w->got[c] = n;
    return 0;
}

/* Takes chunks until none is left; -1 with err at the first that fails. */
static int take_chunks(sqlite3 *db, struct chunks *w, char *err, size_t errlen)
{
    for (;;) {
        size_t c = atomic_fetch_add(&w->next, 1);
        if (c >= w->count)
            return 0;
        if (read_chunk(db, w, c, err, errlen) < 0)
            return -1;
    }
}

struct helper {
    const char *path;
    struct chunks *w;
    char err[256];
};

static void *helper_main(void *arg)
{
    struct helper *h = arg;
    struct ow_store *ro = ow_store_open_readonly(h->path, h->err, sizeof h->err);
    if (!ro)
        return NULL;
    sqlite3 *db = ow_store_handle(ro);
    /* The snapshot starts here, after the writer's last commit and under its lock. */
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK) {
        take_chunks(db, h->w, h->err, sizeof h->err);
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
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
    struct chunks w = { .run_id = e->run_id };
    if (row_range(db, e->run_id, &w.lo, &w.hi) < 0) {
        snprintf(err, errlen, "content root: %s", sqlite3_errmsg(db));
        return -1;
    }
    /* One array for every chunk, a slot per row id of the run: no copy, no growth. */
    size_t slots = w.hi >= w.lo ? (size_t)(w.hi - w.lo + 1) : 0;
    w.rows = (int64_t)((slots + CHUNKS - 1) / CHUNKS);
    if (w.rows < CHUNK_MIN_ROWS)
        w.rows = CHUNK_MIN_ROWS;
    w.count = (slots + (size_t)w.rows - 1) / (size_t)w.rows;
    atomic_init(&w.next, 0);
    w.leaves = malloc((slots ? slots : 1) * sizeof *w.leaves);
    w.got = malloc((w.count ? w.count : 1) * sizeof *w.got);
    if (!w.leaves || !w.got) {
        free(w.leaves);
        free(w.got);
        snprintf(err, errlen, "content root: out of memory");
        return -1;
    }
    for (size_t c = 0; c < w.count; c++)
        w.got[c] = SIZE_MAX;
    struct helper h = { .path = e->o->db_path, .w = &w };
    pthread_t thread;
    bool helped = slots > SPLIT_MIN_ROWS && !ow_store_path_special(e->o->db_path) &&
                  ow_thread_start(&thread, "ow-content-root", helper_main, &h) == 0;
    build_deferred_indexes(e);
    int rc = take_chunks(db, &w, err, errlen);
    if (helped)
        pthread_join(thread, NULL);
    /* What the other connection took and could not read (it may not be openable here) is
     * read on this one. */
    for (size_t c = 0; rc == 0 && c < w.count; c++)
        if (w.got[c] == SIZE_MAX)
            rc = read_chunk(db, &w, c, err, errlen);
    size_t n = 0;
    for (size_t c = 0; rc == 0 && c < w.count; c++) {
        int64_t from = chunk_from(&w, c) - w.lo;
        if ((size_t)from != n)
            memmove(w.leaves + n, w.leaves + from, w.got[c] * sizeof *w.leaves);
        n += w.got[c];
    }
    if (rc == 0) {
        ow_content_root_of_leaves(w.leaves, n, root);
        *leaves = (int64_t)n;
    }
    free(w.leaves);
    free(w.got);
    return rc;
}
