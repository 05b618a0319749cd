/* worker_open.c — the web UI's view of a worker's open flows: a bounded copy the worker
 * makes at its clock tick, only while someone has asked in the last minute, so the packet
 * path never waits on a reader and nothing is copied when nobody looks. */
#include "sensor/worker.h"

#include <string.h>
#include <time.h>

#include "common/flow_record.h"

/* The fields of f's record the view shows; a decided flow's is unpacked for it (at most
 * OW_OPEN_SNAPSHOT_MAX a tick, and only while someone looks). */
static void open_fields(const struct ow_flow *f, struct ow_open_flow *x)
{
    struct ow_flow_record r;
    ow_flow_record_of(f, &r);
    x->client = r.client;
    x->server = r.server;
    x->l4_proto = r.l4_proto;
    x->verdict_status = r.verdict.status;
    memcpy(x->app_proto, r.app_proto, sizeof x->app_proto);
    x->app_proto[sizeof x->app_proto - 1] = '\0';
    memcpy(x->verdict_kind, r.verdict.kind, sizeof x->verdict_kind);
    x->verdict_kind[sizeof x->verdict_kind - 1] = '\0';
    memcpy(x->community_id, r.community_id, sizeof x->community_id);
    x->community_id[sizeof x->community_id - 1] = '\0';
}

/* At a tick, while the web UI asks: a bounded copy of the open flows, newest first. */
void ow_worker_publish_open(struct ow_worker *w, uint64_t now_us)
{
    struct ow_open_snapshot *o = w->open;
    if (!o || now_us > atomic_load_explicit(&w->open_wanted_until_us, memory_order_relaxed))
        return;
    pthread_mutex_lock(&o->lock);
    size_t n = 0;
    for (uint8_t c = 0; c < OW_TC_COUNT; c++)
        for (struct ow_flow *f = w->table.lru_tail[c]; f && n < OW_OPEN_SNAPSHOT_MAX;
             f = f->lru_prev) {
            struct ow_open_flow *x = &o->items[n++];
            const struct ow_flow_counts *c = &f->cnt;
            x->flow_id = c->flow_id;
            x->first_ts_us = c->first_ts_us;
            x->last_ts_us = c->last_ts_us;
            x->state = f->synack_seen || c->pkts_toclient ? OW_STATE_ESTABLISHED : OW_STATE_NEW;
            x->classified = f->classified;
            x->pkts_toserver = c->pkts_toserver;
            x->pkts_toclient = c->pkts_toclient;
            x->bytes_toserver = c->bytes_toserver;
            x->bytes_toclient = c->bytes_toclient;
            open_fields(f, x);
        }
    o->n = n;
    o->total = w->table.count;
    o->taken_us = now_us;
    pthread_mutex_unlock(&o->lock);
}

size_t ow_worker_open_flows(struct ow_worker *w, struct ow_open_flow *out, size_t max,
                            size_t *total)
{
    *total = 0;
    struct ow_open_snapshot *o = w->open;
    if (!o)
        return 0;
    pthread_mutex_lock(&o->lock);
    size_t n = o->n < max ? o->n : max;
    memcpy(out, o->items, n * sizeof *out);
    *total = o->total;
    /* Keep copying for the next minute of packet time (live: wall time). */
    uint64_t base = o->taken_us;
    if (!base) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        base = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
    }
    atomic_store_explicit(&w->open_wanted_until_us, base + 60000000u, memory_order_relaxed);
    pthread_mutex_unlock(&o->lock);
    return n;
}
