/* writer.c — batched transactions from the workers' output rings into the store. */
#include "db/writer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/eve_json.h"
#include "db/sealer.h"
#include "db/store.h"
#include "sensor/messages.h"
#include "sensor/worker.h"
#include "sensor/alloc.h"

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

static void write_flow(struct ow_writer *w, const struct ow_msg_flow *m, bool *batch_open,
                       uint64_t *batch_start, unsigned *batch_rows)
{
    const struct ow_flow_record *rec = &m->rec;
    if (w->failed)
        return;     /* keep draining so workers never block, but write nothing more */
    if (!*batch_open) {
        if (ow_store_begin_batch(w->store) != 0) {
            fail(w, "begin transaction");
            return;
        }
        *batch_open = true;
        *batch_start = mono_ms();
        *batch_rows = 0;
    }
    struct ow_stored_flow ids = { 0 };
    if (ow_store_add_flow_ids(w->store, w->run_id, rec, &ids) != 0) {
        fail(w, "insert flow");
        return;
    }
    /* Evidence the store refuses (it checks every record) is reported, but the flow and its
     * alert are kept and the run goes on: losing the rest of the run would be worse. */
    if (m->evidence && ids.flow_row > 0 &&
        ow_store_add_evidence(w->store, ids.flow_row, m->evidence, m->evidence_len,
                              m->evidence_packets, m->evidence_truncated) != 0 &&
        atomic_fetch_add_explicit(&w->evidence_refused, 1, memory_order_relaxed) == 0)
        fprintf(stderr, "omwitness: evidence store: the packets of flow %llu were refused: %s\n",
                (unsigned long long)rec->flow_id, ow_store_errmsg(w->store));
    (*batch_rows)++;
    if (w->sealer && rec->last_ts_us > w->sealer->packet_us)
        w->sealer->packet_us = rec->last_ts_us;
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
        bad |= ow_eve_write_flow_ctx(w->pending, rec, &eve);
        if (bad)
            jsonl_fail(w, "an event could not be rendered (out of memory, or its run unreadable)");
    }
}

/* JSON lines of a batch reach the stream only once the batch is committed, so the stream
 * never shows an event the store could still lose. */
static void commit(struct ow_writer *w, bool *batch_open)
{
    if (!*batch_open)
        return;
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

static void *writer_main(void *arg)
{
    struct ow_writer *w = arg;
    if (w->jsonl && !(w->pending = ow_open_memstream(&w->pending_buf, &w->pending_len)))
        jsonl_fail(w, "no memory for its buffer");
    size_t done = 0;
    bool batch_open = false;
    uint64_t batch_start = 0;
    unsigned batch_rows = 0, spins = 0;
    while (done < w->nworkers) {
        bool any = false;
        for (size_t i = 0; i < w->nworkers; i++) {
            struct ow_ring *r = &w->workers[i].out;
            for (int k = 0; k < 512; k++) {
                size_t len;
                const uint32_t *type = ow_ring_peek(r, &len);
                if (!type)
                    break;
                any = true;
                if (*type == OW_MSG_FLOW) {
                    const struct ow_msg_flow *m = (const struct ow_msg_flow *)type;
                    write_flow(w, m, &batch_open, &batch_start, &batch_rows);
                    free(m->evidence);
                }
                else if (*type == OW_MSG_WORKER_DONE)
                    done++;
                ow_ring_release(r);
            }
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
    if (w->pending) {
        fclose(w->pending);
        free(w->pending_buf);
        w->pending = NULL;
    }
    return NULL;
}

int ow_writer_start(struct ow_writer *w)
{
    return ow_thread_start(&w->thread, writer_main, w);
}

void ow_writer_join(struct ow_writer *w)
{
    pthread_join(w->thread, NULL);
}
