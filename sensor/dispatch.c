/* dispatch.c — decode, fragment resolution, worker choice and ring copy for each frame. */
#include "sensor/dispatch.h"

#include <string.h>

#include "sensor/decode.h"
#include "sensor/fragments.h"
#include "sensor/messages.h"
#include "sensor/worker.h"

#define FRAG_SLOTS 4096

/* Each counter has one writer (this reader thread) and readers that only sample it, so a
 * relaxed load and store is enough: no locked read-modify-write on the packet path. */
static inline void bump(_Atomic uint64_t *c, uint64_t n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n, memory_order_relaxed);
}

int ow_dispatch_init(struct ow_dispatcher *d, struct ow_worker *workers, size_t nworkers,
                     size_t reader_index, bool live)
{
    memset(d, 0, sizeof *d);
    d->workers = workers;
    d->nworkers = nworkers;
    d->reader_index = reader_index;
    d->live = live;
    d->frags = ow_frag_table_new(FRAG_SLOTS);
    return d->frags ? 0 : -1;
}

void ow_dispatch_destroy(struct ow_dispatcher *d)
{
    ow_frag_table_free(d->frags);
    d->frags = NULL;
}

static void send_all(struct ow_dispatcher *d, const void *msg, size_t len)
{
    for (size_t i = 0; i < d->nworkers; i++) {
        struct ow_ring *r = ow_worker_input(&d->workers[i], d->reader_index);
        /* Ticks and end markers must arrive even in live mode: wait for them. */
        memcpy(ow_ring_reserve_wait(r, len), msg, len);
        ow_ring_commit(r);
    }
}

void ow_dispatch_tick(struct ow_dispatcher *d, uint64_t now_us)
{
    struct ow_msg_tick t = { .type = OW_MSG_TICK, .now_us = now_us };
    send_all(d, &t, sizeof t);
}

void ow_dispatch_check_gap(struct ow_dispatcher *d, uint64_t now_us)
{
    uint64_t since = d->stats.last_ts_us ? d->stats.last_ts_us : d->started_us;
    if (d->gap_threshold_us && since && now_us > since + d->gap_threshold_us)
        bump(&d->stats.gaps, 1);
}

void ow_dispatch_end(struct ow_dispatcher *d)
{
    struct ow_msg_end e = { .type = OW_MSG_END };
    send_all(d, &e, sizeof e);
}

/* The worker is chosen by the unordered pair of addresses, not the 5-tuple: nDPI keeps
 * caches in each module that link flows between the same hosts (TLS certificates, TINC,
 * STUN ...), so keeping a host pair on one worker keeps its classification the same
 * whatever --threads is. */
static uint64_t host_pair_hash(const struct ow_flow_key *k)
{
    const uint8_t *lo = k->addr_a, *hi = k->addr_b;
    if (memcmp(lo, hi, 16) > 0) {
        lo = k->addr_b;
        hi = k->addr_a;
    }
    uint64_t h = 0xcbf29ce484222325ULL ^ ((uint64_t)k->family << 16) ^ k->vlan_id;
    for (int i = 0; i < 16; i++)
        h = (h ^ lo[i]) * 0x100000001b3ULL;
    for (int i = 0; i < 16; i++)
        h = (h ^ hi[i]) * 0x100000001b3ULL;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    return h ^ (h >> 32);
}

size_t ow_dispatch_worker_for(const struct ow_flow_key *key, size_t nworkers)
{
    return (size_t)(host_pair_hash(key) % nworkers);
}

void ow_dispatch_frame(struct ow_dispatcher *d, int dlt, uint64_t ts_us, uint32_t caplen,
                       uint32_t wirelen, const uint8_t *frame)
{
    struct ow_reader_stats *s = &d->stats;
    bump(&s->packets, 1);
    bump(&s->bytes, wirelen);
    if (d->gap_threshold_us && s->last_ts_us && ts_us > s->last_ts_us + d->gap_threshold_us)
        bump(&s->gaps, 1);
    if (!s->first_ts_us || ts_us < s->first_ts_us)
        s->first_ts_us = ts_us;
    if (ts_us > s->last_ts_us)
        s->last_ts_us = ts_us;

    /* Packet time only moves forward; a tick per second of it lets workers expire flows. */
    if (ts_us > d->max_ts_us) {
        d->max_ts_us = ts_us;
        if (ts_us / 1000000u != d->last_tick_s) {
            d->last_tick_s = ts_us / 1000000u;
            ow_dispatch_tick(d, ts_us);
        }
    }

    struct ow_packet pkt;
    memset(&pkt, 0, sizeof pkt);
    pkt.ts_us = ts_us;
    pkt.caplen = caplen;
    pkt.wirelen = wirelen;
    enum ow_decode_status st = ow_decode(dlt, frame, caplen, &pkt);
    if (st != OW_DECODE_OK) {
        _Atomic uint64_t *c = st == OW_DECODE_NOT_IP ? &s->not_ip
                            : st == OW_DECODE_UNSUPPORTED ? &s->unsupported : &s->malformed;
        bump(c, 1);
        bump(&s->decode_events[pkt.decode_event < OW_DECODE_EVENT_COUNT ? pkt.decode_event : 0], 1);
        return;
    }
    if (pkt.frag == OW_FRAG_FIRST) {
        ow_frag_note_first(d->frags, &pkt);
    } else if (pkt.frag == OW_FRAG_LATER && !ow_frag_resolve_later(d->frags, &pkt)) {
        bump(&s->orphan_fragments, 1);
        bump(&s->decode_events[OW_DEV_ORPHAN_FRAGMENT], 1);
        return;
    }

    struct ow_flow_key key;
    bool from_a;
    ow_flow_key_from_packet(&pkt, &key, &from_a);
    uint64_t h = ow_flow_key_hash(&key);
    struct ow_worker *w = &d->workers[ow_dispatch_worker_for(&key, d->nworkers)];
    size_t len = sizeof(struct ow_msg_packet) + caplen;
    /* Replay waits for room; live capture drops and counts instead of stalling the kernel. */
    struct ow_ring *r = ow_worker_input(w, d->reader_index);
    struct ow_msg_packet *m = d->live ? ow_ring_reserve(r, len) : ow_ring_reserve_wait(r, len);
    if (!m) {
        bump(&s->internal_drops, 1);
        return;
    }
    m->type = OW_MSG_PACKET;
    m->dlt = dlt;
    m->key_hash = h;
    m->key = key;
    m->from_a = from_a;
    m->pkt = pkt;
    memcpy(m + 1, frame, caplen);
    ow_ring_commit(r);
}
