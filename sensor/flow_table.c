/* flow_table.c — bounded flow hash table with per-class LRU lists, and the record each
 * entry holds whole or packed. */
#include "sensor/flow_table.h"
#include "common/alloc.h"

#include <stdlib.h>
#include <string.h>

int ow_flow_table_init(struct ow_flow_table *t, size_t max_flows)
{
    memset(t, 0, sizeof *t);
    if (max_flows < 16)
        max_flows = 16;
    size_t nb = 16;
    while (nb < max_flows)
        nb <<= 1;
    t->buckets = ow_calloc(nb, sizeof *t->buckets);
    if (!t->buckets)
        return -1;
    t->nbuckets = nb;
    t->max = max_flows;
    return 0;
}

void ow_flow_table_destroy(struct ow_flow_table *t)
{
    for (size_t i = 0; i < t->nbuckets; i++) {
        struct ow_flow *f = t->buckets[i];
        while (f) {
            struct ow_flow *n = f->hnext;
            free(f->rec);
            ow_flow_packed_free(f->packed);
            free(f);
            f = n;
        }
    }
    struct ow_flow *f = t->free_list;
    while (f) {
        struct ow_flow *n = f->hnext;
        free(f);
        f = n;
    }
    free(t->buckets);
    memset(t, 0, sizeof *t);
}

struct ow_flow *ow_flow_table_find(struct ow_flow_table *t, const struct ow_flow_key *key,
                                   uint64_t hash)
{
    for (struct ow_flow *f = t->buckets[hash & (t->nbuckets - 1)]; f; f = f->hnext)
        if (f->hash == hash && ow_flow_key_equal(&f->key, key))
            return f;
    return NULL;
}

static void lru_unlink(struct ow_flow_table *t, struct ow_flow *f)
{
    uint8_t c = f->tclass;
    if (f->lru_prev)
        f->lru_prev->lru_next = f->lru_next;
    else
        t->lru_head[c] = f->lru_next;
    if (f->lru_next)
        f->lru_next->lru_prev = f->lru_prev;
    else
        t->lru_tail[c] = f->lru_prev;
    f->lru_prev = f->lru_next = NULL;
}

static void lru_append(struct ow_flow_table *t, struct ow_flow *f, uint8_t c)
{
    f->tclass = c;
    f->lru_next = NULL;
    f->lru_prev = t->lru_tail[c];
    if (t->lru_tail[c])
        t->lru_tail[c]->lru_next = f;
    else
        t->lru_head[c] = f;
    t->lru_tail[c] = f;
}

struct ow_flow *ow_flow_table_insert(struct ow_flow_table *t, const struct ow_flow_key *key,
                                     uint64_t hash, uint8_t tc)
{
    struct ow_flow *f;
    if (t->free_list) {
        f = t->free_list;
    } else {
        if (t->allocated >= t->max)
            return NULL;
        f = ow_malloc(sizeof *f);
        if (!f)
            return NULL;
        t->allocated++;
        f->hnext = NULL;
        t->free_list = f;
    }
    struct ow_flow_record *rec = ow_calloc(1, sizeof *rec);
    if (!rec)
        return NULL;   /* the entry stays on the free list */
    t->free_list = f->hnext;
    memset(f, 0, sizeof *f);
    f->rec = rec;
    f->key = *key;
    f->hash = hash;
    size_t b = hash & (t->nbuckets - 1);
    f->hnext = t->buckets[b];
    t->buckets[b] = f;
    lru_append(t, f, tc);
    t->count++;
    return f;
}

void ow_flow_table_remove(struct ow_flow_table *t, struct ow_flow *f)
{
    struct ow_flow **pp = &t->buckets[f->hash & (t->nbuckets - 1)];
    while (*pp && *pp != f)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = f->hnext;
    lru_unlink(t, f);
    free(f->rec);
    f->rec = NULL;
    ow_flow_packed_free(f->packed);
    f->packed = NULL;
    f->hnext = t->free_list;
    t->free_list = f;
    t->count--;
}

void ow_flow_table_touch(struct ow_flow_table *t, struct ow_flow *f, uint8_t tc)
{
    if (t->lru_tail[f->tclass] == f && f->tclass == tc)
        return;
    lru_unlink(t, f);
    lru_append(t, f, tc);
}

struct ow_flow *ow_flow_table_oldest(struct ow_flow_table *t, uint8_t tc)
{
    return t->lru_head[tc];
}

bool ow_flow_table_full(const struct ow_flow_table *t)
{
    return !t->free_list && t->allocated >= t->max;
}

void ow_flow_pack_record(struct ow_flow *f)
{
    if (!f->rec)
        return;
    struct ow_flow_packed *p = ow_flow_pack(f->rec);
    if (!p)
        return;
    free(f->rec);
    f->rec = NULL;
    f->packed = p;
}

void ow_flow_counts_put(const struct ow_flow_counts *c, struct ow_flow_record *rec)
{
    rec->flow_id = c->flow_id;
    rec->first_ts_us = c->first_ts_us;
    rec->last_ts_us = c->last_ts_us;
    rec->decided_ts_us = c->decided_ts_us;
    rec->pkts_toserver = c->pkts_toserver;
    rec->pkts_toclient = c->pkts_toclient;
    rec->bytes_toserver = c->bytes_toserver;
    rec->bytes_toclient = c->bytes_toclient;
    rec->later_fragments = c->later_fragments;
    rec->slice = c->slice;
    rec->tunnels = c->tunnels;
    rec->late_overrun = c->late_overrun;
}

void ow_flow_record_of(const struct ow_flow *f, struct ow_flow_record *out)
{
    if (f->rec)
        *out = *f->rec;
    else
        ow_flow_unpack(f->packed, out);
    ow_flow_counts_put(&f->cnt, out);
}
