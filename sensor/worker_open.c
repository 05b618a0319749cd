/* worker_open.c — the web UI's view of a worker's open flows: a bounded copy the worker
 * makes at its clock tick, only while someone has asked in the last minute, so the packet
 * path never waits on a reader and nothing is copied when nobody looks. */
#include "sensor/worker.h"

#include <string.h>
#include <time.h>

#include "common/flow_record.h"

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
            const struct ow_flow_record *r = &f->rec;
            x->flow_id = r->flow_id;
            x->first_ts_us = r->first_ts_us;
            x->last_ts_us = r->last_ts_us;
            x->client = r->client;
            x->server = r->server;
            x->l4_proto = r->l4_proto;
            x->state = f->synack_seen || r->pkts_toclient ? OW_STATE_ESTABLISHED : OW_STATE_NEW;
            x->classified = f->classified;
            x->verdict_status = r->verdict.status;
            x->pkts_toserver = r->pkts_toserver;
            x->pkts_toclient = r->pkts_toclient;
            x->bytes_toserver = r->bytes_toserver;
            x->bytes_toclient = r->bytes_toclient;
            memcpy(x->app_proto, r->app_proto, sizeof x->app_proto);
            x->app_proto[sizeof x->app_proto - 1] = '\0';
            memcpy(x->verdict_kind, r->verdict.kind, sizeof x->verdict_kind);
            x->verdict_kind[sizeof x->verdict_kind - 1] = '\0';
            memcpy(x->community_id, r->community_id, sizeof x->community_id);
            x->community_id[sizeof x->community_id - 1] = '\0';
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
