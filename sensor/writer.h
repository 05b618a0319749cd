/* writer.h — the writer thread: the only thread that writes the store. It drains every
 * worker's output queue, writes flows (and their alerts) in batched transactions, and streams
 * the same events as EVE JSON lines when asked. */
#ifndef OW_WRITER_H
#define OW_WRITER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "db/run_context.h"

#include "db/store.h"
#include "sensor/messages.h"

struct ow_ring;
struct ow_sealer;

/* The writer-private map from an open flow's flow_id to its row, so its end record and a
 * later alert find the row the verdict record made. Open addressing, linear probing. */
struct ow_open_rows {
    uint64_t *keys;                /* flow_id; 0 = free */
    int64_t *rows;
    size_t cap, count;             /* cap a power of two */
};

/* A verdict record the writer holds until its batch commits (writer.c). */
struct ow_held {
    struct ow_msg_flow m;
    bool gone;                     /* written already (open, or ended with its end) */
};

struct ow_writer {
    pthread_t thread;
    struct ow_store *store;
    int64_t run_id;
    /* The queues it drains: one per worker, each carrying sensor/messages.h records and
     * ending with OW_MSG_WORKER_DONE. The writer sees no more of a worker than this. */
    struct ow_ring **queues;
    size_t nqueues;
    FILE *jsonl;                   /* NULL: no streaming */
    struct ow_sealer *sealer;      /* NULL: unsealed; else checkpoints on the writer's timer */
    struct ow_msg_flow msg;        /* writer-private: the flow message being written */
    FILE *pending;                 /* writer-private: the open batch's JSON lines */
    char *pending_buf;
    size_t pending_len;
    struct ow_run_context run_context;   /* writer-private: host, interface, site of EVE lines */
    _Atomic uint64_t flows_written;
    _Atomic uint64_t alerts_written;
    _Atomic uint64_t evidence_refused;   /* evidence images the store rejected */
    bool failed;                   /* a store write failed; err says why */
    char err[256];
    bool jsonl_failed;             /* the JSON lines stream stopped; jsonl_err says why */
    char jsonl_err[128];
    struct ow_open_rows open_rows; /* writer-private */
    struct ow_held *held;          /* writer-private: the batch's held verdict records */
    size_t held_n;
    struct ow_open_rows held_index;   /* flow_id -> index in held */
    /* A running capture's coverage, posted by the engine (ow_writer_post_progress) and
     * written by the writer as a chained progress record: not the packet path, so a mutex. */
    pthread_mutex_t progress_lock;
    struct ow_run_stats progress;
    _Atomic int progress_pending;
    _Atomic uint64_t progress_written;
};

/* Hands a running capture's coverage so far to the writer (any thread). The writer must have
 * been started with its progress_lock initialised (ow_writer_start does). */
void ow_writer_post_progress(struct ow_writer *w, const struct ow_run_stats *p);

/* Batch limits: whichever comes first closes the transaction. 8,000 rows, not 2,000: each
 * commit costs a capture's writer (every index kept) pages of its indexes, so it stored
 * 46-48k ended flows/s at 2,000 and 81-82k at 8,000 (bench_writer 200000,
 * docs/architecture.md "Eighth round", when the Community ID index still took random keys);
 * the 200 ms bound keeps an alert's latency what it was. */
#define OW_WRITER_BATCH_ROWS 8000
#define OW_WRITER_BATCH_MS 200
/* Verdict records held for their batch's commit; when full they are written as they are. */
#define OW_WRITER_HELD_MAX 8192

/* 0, or the error number when the thread could not start. */
int ow_writer_start(struct ow_writer *w);
/* Returns once every worker has reported done and everything is committed. */
void ow_writer_join(struct ow_writer *w);

#endif
