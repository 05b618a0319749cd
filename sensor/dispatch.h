/* dispatch.h — the reader side of the packet path: decode a frame, resolve later IP
 * fragments to their flow, pick the worker that owns the flow (direction-independent hash)
 * and copy the packet into that worker's ring. Also sends clock ticks and end of input. */
#ifndef OW_DISPATCH_H
#define OW_DISPATCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sensor/decode_events.h"

struct ow_worker;
struct ow_frag_table;
struct ow_flow_key;

/* Counters of one reader; atomics so the health page can read them while capturing. */
struct ow_reader_stats {
    _Atomic uint64_t packets, bytes;
    _Atomic uint64_t malformed, not_ip, unsupported, orphan_fragments;
    _Atomic uint64_t decode_events[OW_DECODE_EVENT_COUNT];  /* by why the decode ended */
    _Atomic uint64_t internal_drops;     /* worker ring full (live capture only) */
    _Atomic uint64_t gaps;               /* live: silences longer than gap_threshold_us */
    uint64_t first_ts_us, last_ts_us;
};

struct ow_dispatcher {
    struct ow_worker *workers;
    size_t nworkers;
    size_t reader_index;          /* which input ring of each worker is ours */
    bool live;                    /* drop when a ring is full instead of waiting */
    struct ow_frag_table *frags;
    uint64_t max_ts_us;           /* packet time, never going backwards */
    uint64_t last_tick_s;
    uint64_t gap_threshold_us;    /* live only; 0 = gaps not counted */
    uint64_t started_us;          /* live: when capture began (a silence from the start is a gap too) */
    struct ow_reader_stats stats;
};

int ow_dispatch_init(struct ow_dispatcher *d, struct ow_worker *workers, size_t nworkers,
                     size_t reader_index, bool live);
void ow_dispatch_destroy(struct ow_dispatcher *d);

/* One captured frame of link type dlt. */
void ow_dispatch_frame(struct ow_dispatcher *d, int dlt, uint64_t ts_us, uint32_t caplen,
                       uint32_t wirelen, const uint8_t *frame);

/* Tells every worker that time is now_us (flows idle past their timeout end). */
void ow_dispatch_tick(struct ow_dispatcher *d, uint64_t now_us);

/* Live capture: counts a gap if the source has been silent past the threshold at now_us
 * (called when capture stops, for a silence still running). */
void ow_dispatch_check_gap(struct ow_dispatcher *d, uint64_t now_us);

/* The worker, of nworkers, that owns the flow of key: the same for both directions and for
 * every flow between one host pair. Exposed so tests can check the choice directly. */
size_t ow_dispatch_worker_for(const struct ow_flow_key *key, size_t nworkers);

/* Tells every worker this reader is done. */
void ow_dispatch_end(struct ow_dispatcher *d);

#endif
