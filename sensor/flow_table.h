/* flow_table.h — a worker's flows: a bounded hash table with chaining, entries recycled
 * through a free list, and one LRU list per timeout class so idle flows are found from the
 * list heads without scanning. An entry holds its flow's whole record only until the
 * verdict; a decided flow keeps it packed (common/flow_pack.h). Owned by one worker
 * thread: no locks. */
#ifndef OW_FLOW_TABLE_H
#define OW_FLOW_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "classifiers/ndpi_flow.h"
#include "common/flow_pack.h"
#include "common/flow_record.h"
#include "sensor/packet.h"

struct ndpi_flow_struct;
struct ow_proto_stream;
struct ow_evidence_buf;

/* Timeout classes; each has its own idle timeout and LRU list. */
enum ow_timeout_class {
    OW_TC_TCP_NEW = 0,    /* SYN seen, no answer yet */
    OW_TC_TCP_EST,        /* established (or picked up mid-stream) */
    OW_TC_TCP_CLOSED,     /* FIN both ways or RST */
    OW_TC_UDP,
    OW_TC_OTHER,
    OW_TC_COUNT
};

/* What a flow's packets change: kept in the entry for the flow's whole life and laid over
 * its record when the record goes to the writer (ow_flow_record_of). */
struct ow_flow_counts {
    uint64_t flow_id;
    uint64_t first_ts_us, last_ts_us;
    uint64_t decided_ts_us;
    uint64_t pkts_toserver, pkts_toclient;
    uint64_t bytes_toserver, bytes_toclient;
    uint32_t later_fragments;
    uint32_t slice;
    uint16_t tunnels;
    uint8_t  late_overrun;
};

struct ow_flow {
    struct ow_flow_key key;
    uint64_t hash;
    struct ow_flow *hnext;            /* bucket chain */
    struct ow_flow *lru_prev, *lru_next;
    uint8_t tclass;                   /* enum ow_timeout_class */

    bool client_is_a;                 /* the client is the key's endpoint a */
    bool syn_seen, synack_seen, fin_toserver, fin_toclient, rst_seen;
    bool classified;                  /* nDPI and LI both final, verdict evaluated */
    bool overrun_reported;            /* a slice already carried the maintenance overrun */
    bool reported;                    /* this slice's verdict record went to the writer */
    int64_t window_end_us;            /* authorized maintenance: its window's end, else 0 */
    bool ssh_banner_seen;             /* the first "SSH-" banner has been seen ... */
    bool ssh_server_spoke_first;      /* ... and the server sent it */
    uint64_t packets;                 /* this slice's packets, both directions */

    struct ow_evidence_buf *evidence; /* packets kept for a possible alert, or NULL */
    bool evidence_done;               /* nothing more to keep for this flow */
    bool evidence_oom;                /* packets were left out for want of memory */

    struct ndpi_flow_struct *ndpi;    /* NULL once decided */
    struct ow_ndpi_last ndpi_last;    /* what nDPI returned for the latest packet */
    struct ow_proto_stream *cls;      /* LI and O&M classifiers; NULL once decided */
    uint8_t verdict_status;           /* the verdict's, once classified */
    struct ow_flow_counts cnt;
    /* The record's other fields: whole while the flow is being decided (its counters there
     * are stale: cnt holds them), packed once its verdict record has gone out. Exactly one
     * of the two is set. */
    struct ow_flow_record *rec;
    struct ow_flow_packed *packed;
};

struct ow_flow_table {
    struct ow_flow **buckets;
    size_t nbuckets;                  /* power of two */
    size_t count, max;
    size_t allocated;                 /* entries ever allocated (<= max) */
    struct ow_flow *free_list;
    struct ow_flow *lru_head[OW_TC_COUNT], *lru_tail[OW_TC_COUNT];
};

int ow_flow_table_init(struct ow_flow_table *t, size_t max_flows);
/* Frees every entry; callers must have released nDPI/LI state of live flows first. */
void ow_flow_table_destroy(struct ow_flow_table *t);

struct ow_flow *ow_flow_table_find(struct ow_flow_table *t, const struct ow_flow_key *key,
                                   uint64_t hash);
/* A zeroed entry for key with a zeroed whole record, linked in and at the tail of class tc;
 * NULL when the table is full or memory ran out (ow_flow_table_full tells which). */
struct ow_flow *ow_flow_table_insert(struct ow_flow_table *t, const struct ow_flow_key *key,
                                     uint64_t hash, uint8_t tc);
void ow_flow_table_remove(struct ow_flow_table *t, struct ow_flow *f);
/* True when no flow can be added without removing one (as opposed to memory running out). */
bool ow_flow_table_full(const struct ow_flow_table *t);
/* Moves f to the tail of class tc (most recently used). */
void ow_flow_table_touch(struct ow_flow_table *t, struct ow_flow *f, uint8_t tc);
/* Least recently used flow of class tc, or NULL. */
struct ow_flow *ow_flow_table_oldest(struct ow_flow_table *t, uint8_t tc);

/* Packs f's whole record (its verdict is known and nothing will change it but packets);
 * without memory to pack, f keeps the whole record. */
void ow_flow_pack_record(struct ow_flow *f);
/* f's record as the writer takes it: its fields, whole or unpacked, with cnt laid over. */
void ow_flow_record_of(const struct ow_flow *f, struct ow_flow_record *out);
/* Lays the counters over rec. */
void ow_flow_counts_put(const struct ow_flow_counts *c, struct ow_flow_record *rec);

#endif
