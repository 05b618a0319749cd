/* flow_table.c — bounded flow hash table with per-class LRU lists. */
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
        t->free_list = f->hnext;
    } else {
        if (t->allocated >= t->max)
            return NULL;
        f = ow_malloc(sizeof *f);
        if (!f)
            return NULL;
        t->allocated++;
    }
    memset(f, 0, sizeof *f);
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
