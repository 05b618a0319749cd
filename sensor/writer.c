/* writer.c — batched transactions from the workers' output rings into the store: a flow's
 * record and alert when its verdict is known, a later overrun alert, the flow's end (and its
 * evidence), a running capture's progress; and the JSON lines of each, once committed. */
#include "sensor/writer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/eve_json.h"
#include "db/sealer.h"
#include "db/store.h"
#include "sensor/flow_msg.h"
#include "sensor/messages.h"
#include "sensor/ring.h"
#include "common/alloc.h"

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void fail(struct ow_writer *w, const char *what)
{
    if (!w->failed) {
        w->failed = true;
        snprintf(w->err, sizeof w->err, "evidence store: %s failed (%s); nothing more was "
                 "stored", what, ow_store_errmsg(w->store));
    }
}

/* The JSON lines stream stops at its first gap (the store goes on): a SIEM must not be fed
 * a stream with holes in it that nothing announces. */
static void jsonl_fail(struct ow_writer *w, const char *why)
{
    if (!w->jsonl_failed) {
        w->jsonl_failed = true;
        snprintf(w->jsonl_err, sizeof w->jsonl_err, "JSON lines stopped: %s", why);
    }
}

/* ---- open rows: flow_id -> row of a flow whose verdict record is stored ---- */

static size_t slot_of(const struct ow_open_rows *t, uint64_t key)
{
    uint64_t h = key * 0x9e3779b97f4a7c15ULL;
    return (size_t)(h >> 17) & (t->cap - 1);
}

static int open_rows_put(struct ow_open_rows *t, uint64_t key, int64_t row);

static int open_rows_grow(struct ow_open_rows *t)
{
    struct ow_open_rows bigger = { .cap = t->cap ? t->cap * 2 : 1024 };
    bigger.keys = ow_calloc(bigger.cap, sizeof *bigger.keys);
    bigger.rows = ow_calloc(bigger.cap, sizeof *bigger.rows);
    if (!bigger.keys || !bigger.rows) {
        free(bigger.keys);
        free(bigger.rows);
        return -1;
    }
    for (size_t i = 0; i < t->cap; i++)
        if (t->keys[i])
            open_rows_put(&bigger, t->keys[i], t->rows[i]);
    free(t->keys);
    free(t->rows);
    *t = bigger;
    return 0;
}

static int open_rows_put(struct ow_open_rows *t, uint64_t key, int64_t row)
{
    if ((t->count + 1) * 2 > t->cap && open_rows_grow(t) < 0)
        return -1;
    size_t i = slot_of(t, key);
    while (t->keys[i] && t->keys[i] != key)
        i = (i + 1) & (t->cap - 1);
    if (!t->keys[i])
        t->count++;
    t->keys[i] = key;
    t->rows[i] = row;
    return 0;
}

static size_t open_rows_find(const struct ow_open_rows *t, uint64_t key)
{
    if (!t->cap)
        return SIZE_MAX;
    for (size_t i = slot_of(t, key); t->keys[i]; i = (i + 1) & (t->cap - 1))
        if (t->keys[i] == key)
            return i;
    return SIZE_MAX;
}

/* Removes slot i, moving later entries of its probe run back (no tombstones). */
static void open_rows_del(struct ow_open_rows *t, size_t i)
{
    size_t mask = t->cap - 1, j = i;
    t->keys[i] = 0;
    t->count--;
    for (;;) {
        j = (j + 1) & mask;
        if (!t->keys[j])
            return;
        size_t home = slot_of(t, t->keys[j]);
        /* j's entry may move to i when i lies cyclically in [home, j). */
        if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
            t->keys[i] = t->keys[j];
            t->rows[i] = t->rows[j];
            t->keys[j] = 0;
            i = j;
        }
    }
}

static bool ensure_batch(struct ow_writer *w, bool *batch_open, uint64_t *batch_start,
                         unsigned *batch_rows)
{
    if (w->failed)
        return false;   /* keep draining so workers never block, but write nothing more */
    if (!*batch_open) {
        if (ow_store_begin_batch(w->store) != 0) {
            fail(w, "begin transaction");
            return false;
        }
        *batch_open = true;
        *batch_start = mono_ms();
        *batch_rows = 0;
    }
    return true;
}

static void stream_alert(struct ow_writer *w, const struct ow_flow_record *rec, int64_t id)
{
    if (!w->pending || w->jsonl_failed || id <= 0)
        return;
    int bad = ow_run_context_load(ow_store_handle(w->store), w->run_id, &w->run_context);
    struct ow_eve_context eve = ow_run_context_eve(&w->run_context, NULL);
    bad |= ow_eve_write_alert_ctx(w->pending, rec, id, &eve);
    if (bad)
        jsonl_fail(w, "an event could not be rendered (out of memory, or its run unreadable)");
}

/* maintenance_overrun raised on a running flow: one alert on the flow's row. */
static void write_overrun(struct ow_writer *w, const struct ow_msg_flow *m)
{
    size_t slot = open_rows_find(&w->open_rows, m->rec.flow_id);
    if (slot == SIZE_MAX)
        return;     /* its verdict record was refused: nothing to attach it to */
    struct ow_flow_record view;
    ow_store_overrun_view(&m->rec, &view);
    int64_t id = 0;
    if (ow_store_add_alert(w->store, w->run_id, w->open_rows.rows[slot], &view, &id) != 0) {
        fail(w, "insert alert");
        return;
    }
    atomic_fetch_add_explicit(&w->alerts_written, 1, memory_order_relaxed);
    stream_alert(w, &view, id);
}

/* The end of a flow whose verdict record is stored; its evidence, complete now, with it. */
static int64_t write_end(struct ow_writer *w, const struct ow_msg_flow *m)
{
    size_t slot = open_rows_find(&w->open_rows, m->rec.flow_id);
    if (slot == SIZE_MAX)
        return 0;   /* no row (its verdict record was refused): stored whole instead */
    int64_t row = w->open_rows.rows[slot];
    open_rows_del(&w->open_rows, slot);
    if (ow_store_end_flow(w->store, row, &m->rec) != 0) {
        fail(w, "record flow end");
        return -1;
    }
    return row;
}

/* What follows a stored flow: its evidence (from m), the sealer's packet time, the counters
 * and the JSON lines: alerts as rec raised them, and the flow's line (flow_line, when it has
 * ended). */
static void after_store(struct ow_writer *w, const struct ow_msg_flow *m,
                        const struct ow_flow_record *rec, const struct ow_flow_record *flow_line,
                        bool count_flow, const struct ow_stored_flow *stored)
{
    struct ow_stored_flow ids = *stored;
    const struct ow_flow_record *last = flow_line ? flow_line : rec;
    /* Evidence the store refuses (it checks every record) is reported, but the flow and its
     * alert are kept and the run goes on: losing the rest of the run would be worse. */
    if (m->evidence && ids.flow_row > 0 &&
        ow_store_add_evidence(w->store, ids.flow_row, m->evidence, m->evidence_len,
                              m->evidence_packets, m->evidence_truncated) != 0 &&
        atomic_fetch_add_explicit(&w->evidence_refused, 1, memory_order_relaxed) == 0)
        fprintf(stderr, "omwitness: evidence store: the packets of flow %llu were refused: %s\n",
                (unsigned long long)m->rec.flow_id, ow_store_errmsg(w->store));
    if (w->sealer && last->last_ts_us > w->sealer->packet_us)
        w->sealer->packet_us = last->last_ts_us;
    if (count_flow)
        atomic_fetch_add_explicit(&w->flows_written, 1, memory_order_relaxed);
    uint64_t alerts = (ids.alert_id > 0) + (ids.overrun_alert_id > 0);
    atomic_fetch_add_explicit(&w->alerts_written, alerts, memory_order_relaxed);
    if (w->pending && !w->jsonl_failed) {
        /* The same context a reader of the store prints these lines with. */
        int bad = ow_run_context_load(ow_store_handle(w->store), w->run_id, &w->run_context);
        struct ow_eve_context eve = ow_run_context_eve(&w->run_context, NULL);
        if (ids.alert_id > 0)
            bad |= ow_eve_write_alert_ctx(w->pending, rec, ids.alert_id, &eve);
        if (ids.overrun_alert_id > 0) {
            struct ow_flow_record view;
            ow_store_overrun_view(rec, &view);
            bad |= ow_eve_write_alert_ctx(w->pending, &view, ids.overrun_alert_id, &eve);
        }
        /* --jsonl carries alerts when they are raised and flows when they end. */
        if (flow_line)
            bad |= ow_eve_write_flow_ctx(w->pending, flow_line, &eve);
        if (bad)
            jsonl_fail(w, "an event could not be rendered (out of memory, or its run unreadable)");
    }
}

/* Stores one message as it says (VERDICT, END or WHOLE), with its evidence, counters and
 * JSON lines. */
static void store_message(struct ow_writer *w, const struct ow_msg_flow *m)
{
    const struct ow_flow_record *rec = &m->rec;
    struct ow_stored_flow ids = { 0 };
    if (m->what == OW_FLOW_END) {
        ids.flow_row = write_end(w, m);
        if (ids.flow_row < 0)
            return;
    }
    if (m->what != OW_FLOW_END || !ids.flow_row) {
        /* VERDICT and WHOLE write the flow and its alerts; an END whose verdict record is
         * missing is stored whole (its flow_end chained with it). */
        struct ow_flow_record whole;
        const struct ow_flow_record *r = rec;
        if (m->what == OW_FLOW_END) {
            whole = *rec;
            whole.open = 0;
            r = &whole;
        }
        if (ow_store_add_flow_ids(w->store, w->run_id, r, &ids) != 0) {
            fail(w, "insert flow");
            return;
        }
        if (m->what == OW_FLOW_VERDICT && ids.flow_row > 0 &&
            open_rows_put(&w->open_rows, rec->flow_id, ids.flow_row) < 0) {
            fail(w, "remember an open flow (out of memory)");
            return;
        }
    }
    after_store(w, m, rec, m->what != OW_FLOW_VERDICT ? rec : NULL, m->what != OW_FLOW_END,
                &ids);
}

/* ---- verdict records held to the batch's commit ------------------------------------- *
 * A verdict record is visible to nobody before its batch commits, and its alert is streamed
 * only then; so the writer holds it until the commit, and when the flow's end comes within
 * the same batch (as most do) writes the row once, ended, instead of inserting it open and
 * updating it. The stored row and records are the same either way. */

static void held_clear(struct ow_writer *w)
{
    w->held_n = 0;
    if (w->held_index.cap)
        memset(w->held_index.keys, 0, w->held_index.cap * sizeof *w->held_index.keys);
    w->held_index.count = 0;
}

/* Writes held verdict record i as it came (open). */
static void held_store(struct ow_writer *w, size_t i)
{
    struct ow_held *h = &w->held[i];
    if (h->gone)
        return;
    h->gone = true;
    store_message(w, &h->m);
}

static void held_flush(struct ow_writer *w)
{
    for (size_t i = 0; i < w->held_n && !w->failed; i++)
        held_store(w, i);
    held_clear(w);
}

static size_t held_find(struct ow_writer *w, uint64_t flow_id)
{
    size_t slot = open_rows_find(&w->held_index, flow_id);
    if (slot == SIZE_MAX)
        return SIZE_MAX;
    size_t i = (size_t)w->held_index.rows[slot];
    return w->held[i].gone ? SIZE_MAX : i;   /* written already: its row is an open row now */
}

/* 0 held, -1 not (no room and no memory): the caller writes it at once. */
static int held_add(struct ow_writer *w, const struct ow_msg_flow *m)
{
    if (w->held_n == OW_WRITER_HELD_MAX)
        held_flush(w);
    if (!w->held && !(w->held = ow_calloc(OW_WRITER_HELD_MAX, sizeof *w->held)))
        return -1;
    if (open_rows_put(&w->held_index, m->rec.flow_id, (int64_t)w->held_n) < 0)
        return -1;
    w->held[w->held_n].m = *m;
    w->held[w->held_n].gone = false;
    w->held_n++;
    return 0;
}

/* The end of a held flow: one row, ended. */
static void write_ended(struct ow_writer *w, size_t i, const struct ow_msg_flow *end)
{
    struct ow_held *h = &w->held[i];
    h->gone = true;
    size_t slot = open_rows_find(&w->held_index, end->rec.flow_id);
    if (slot != SIZE_MAX)
        open_rows_del(&w->held_index, slot);
    struct ow_stored_flow ids = { 0 };
    if (ow_store_add_flow_ended(w->store, w->run_id, &h->m.rec, &end->rec, &ids) != 0) {
        fail(w, "insert flow");
        return;
    }
    after_store(w, end, &h->m.rec, &end->rec, true, &ids);
}

static void write_flow(struct ow_writer *w, const struct ow_msg_flow *m, bool *batch_open,
                       uint64_t *batch_start, unsigned *batch_rows)
{
    if (m->what < OW_FLOW_VERDICT || m->what > OW_FLOW_OVERRUN)
        return;     /* a message the worker withdrew */
    if (!ensure_batch(w, batch_open, batch_start, batch_rows))
        return;
    (*batch_rows)++;
    size_t held = w->held_n ? held_find(w, m->rec.flow_id) : SIZE_MAX;
    if (m->what == OW_FLOW_OVERRUN) {
        if (held != SIZE_MAX)
            held_store(w, held);   /* the overrun alert needs the row */
        write_overrun(w, m);
        return;
    }
    if (m->what == OW_FLOW_VERDICT && !m->evidence && held_add(w, m) == 0)
        return;
    if (m->what == OW_FLOW_END && held != SIZE_MAX) {
        write_ended(w, held, m);
        return;
    }
    store_message(w, m);
}

/* JSON lines of a batch reach the stream only once the batch is committed, so the stream
 * never shows an event the store could still lose. */
static void commit(struct ow_writer *w, bool *batch_open)
{
    if (!*batch_open)
        return;
    held_flush(w);
    bool ok = ow_store_commit_batch(w->store) == 0;
    if (!ok)
        fail(w, "commit");
    *batch_open = false;
    if (w->pending) {
        if (fflush(w->pending) != 0)
            jsonl_fail(w, "out of memory");
        if (ok && w->pending_len && !w->jsonl_failed &&
            (fwrite(w->pending_buf, 1, w->pending_len, w->jsonl) != w->pending_len ||
             fflush(w->jsonl) != 0))
            jsonl_fail(w, strerror(errno));
        rewind(w->pending);
    }
}

void ow_writer_post_progress(struct ow_writer *w, const struct ow_run_stats *p)
{
    pthread_mutex_lock(&w->progress_lock);
    w->progress = *p;
    atomic_store_explicit(&w->progress_pending, 1, memory_order_release);
    pthread_mutex_unlock(&w->progress_lock);
}

static void write_progress(struct ow_writer *w, bool *batch_open, uint64_t *batch_start,
                           unsigned *batch_rows)
{
    struct ow_run_stats p;
    pthread_mutex_lock(&w->progress_lock);
    p = w->progress;
    atomic_store_explicit(&w->progress_pending, 0, memory_order_relaxed);
    pthread_mutex_unlock(&w->progress_lock);
    if (!ensure_batch(w, batch_open, batch_start, batch_rows))
        return;
    /* The flows the writer has stored so far are the ones a report can count. */
    if (ow_store_add_progress(w->store, w->run_id, &p) != 0) {
        fail(w, "record progress");
        return;
    }
    (*batch_rows)++;
    atomic_fetch_add_explicit(&w->progress_written, 1, memory_order_relaxed);
}

static void *writer_main(void *arg)
{
    struct ow_writer *w = arg;
    if (w->jsonl && !(w->pending = ow_open_memstream(&w->pending_buf, &w->pending_len)))
        jsonl_fail(w, "no memory for its buffer");
    size_t done = 0;
    bool batch_open = false;
    uint64_t batch_start = 0;
    unsigned batch_rows = 0, spins = 0;
    while (done < w->nqueues) {
        bool any = false;
        for (size_t i = 0; i < w->nqueues; i++) {
            struct ow_ring *r = w->queues[i];
            for (int k = 0; k < 512; k++) {
                size_t len;
                const uint32_t *type = ow_ring_peek(r, &len);
                if (!type)
                    break;
                any = true;
                if (*type == OW_MSG_FLOW) {
                    struct ow_msg_flow *m = &w->msg;
                    if (ow_flow_msg_read(type, len, m) == 0) {
                        write_flow(w, m, &batch_open, &batch_start, &batch_rows);
                        free(m->evidence);
                    }
                }
                else if (*type == OW_MSG_WORKER_DONE)
                    done++;
                ow_ring_release(r);
            }
        }
        if (atomic_load_explicit(&w->progress_pending, memory_order_acquire)) {
            write_progress(w, &batch_open, &batch_start, &batch_rows);
            any = false;    /* commit it now */
        }
        if (batch_open && (batch_rows >= OW_WRITER_BATCH_ROWS || !any ||
                           mono_ms() - batch_start >= OW_WRITER_BATCH_MS))
            commit(w, &batch_open);
        /* Heartbeats and epoch ends, on committed rows only; in silence too. */
        if (w->sealer && !w->sealer->failed && ow_sealer_due(w->sealer)) {
            commit(w, &batch_open);
            if (ow_sealer_tick(w->sealer, w->store) < 0)
                fprintf(stderr, "omwitness: sealing stopped: %s\n", w->sealer->err);
        }
        if (any)
            spins = 0;
        else
            ow_ring_backoff(&spins);
    }
    commit(w, &batch_open);
    free(w->open_rows.keys);
    free(w->open_rows.rows);
    memset(&w->open_rows, 0, sizeof w->open_rows);
    free(w->held_index.keys);
    free(w->held_index.rows);
    memset(&w->held_index, 0, sizeof w->held_index);
    free(w->held);
    w->held = NULL;
    if (w->pending) {
        fclose(w->pending);
        free(w->pending_buf);
        w->pending = NULL;
    }
    return NULL;
}

int ow_writer_start(struct ow_writer *w)
{
    int rc = pthread_mutex_init(&w->progress_lock, NULL);
    if (rc != 0)
        return rc;
    rc = ow_thread_start(&w->thread, "ow-writer", writer_main, w);
    if (rc != 0)
        pthread_mutex_destroy(&w->progress_lock);
    return rc;
}

void ow_writer_join(struct ow_writer *w)
{
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->progress_lock);
}
