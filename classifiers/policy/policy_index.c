/* policy_index.c — the rule index that keeps evaluation fast with thousands of rules: rules
 * are filed under each server key their `to` names (an asset, a role, or a CIDR in a second
 * prefix tree), and within a key by server port. A flow then looks at the few rules that could
 * concern its server instead of scanning them all. The index only narrows: every candidate
 * is still matched in full (policy_eval.c), so a superset is harmless. */
#include "classifiers/policy/policy_internal.h"

#include <stdlib.h>
#include <string.h>

/* Port ranges up to this many ports are filed port by port; wider ones are checked per
 * candidate. */
#define INDEX_MAX_SPAN 64

static int push_wide(struct pol_bucket *b, uint32_t rule)
{
    if (b->n_wide && b->wide[b->n_wide - 1] == rule)
        return 0;
    if (b->n_wide == b->cap_wide) {
        size_t cap = b->cap_wide ? b->cap_wide * 2 : 4;
        uint32_t *w = realloc(b->wide, cap * sizeof *w);
        if (!w)
            return -1;
        b->wide = w;
        b->cap_wide = cap;
    }
    b->wide[b->n_wide++] = rule;
    return 0;
}

static int push_port(struct pol_bucket *b, uint16_t port, uint32_t rule)
{
    if (b->n_by_port == b->cap_by_port) {
        size_t cap = b->cap_by_port ? b->cap_by_port * 2 : 4;
        struct pol_port_entry *e = realloc(b->by_port, cap * sizeof *e);
        if (!e)
            return -1;
        b->by_port = e;
        b->cap_by_port = cap;
    }
    b->by_port[b->n_by_port].port = port;
    b->by_port[b->n_by_port].rule = rule;
    b->n_by_port++;
    return 0;
}

static int bucket_add(struct pol_bucket *b, const struct pol_rule *r, uint32_t ri)
{
    size_t span = 0;
    for (size_t i = 0; i < r->n_ports; i++)
        span += (size_t)r->ports[i].hi - r->ports[i].lo + 1;
    if (r->n_ports == 0 || span > INDEX_MAX_SPAN)
        return push_wide(b, ri);
    for (size_t i = 0; i < r->n_ports; i++)
        for (uint32_t port = r->ports[i].lo; port <= r->ports[i].hi; port++)
            if (push_port(b, (uint16_t)port, ri) != 0)
                return -1;
    return 0;
}

static int cmp_port_entry(const void *a, const void *b)
{
    const struct pol_port_entry *x = a, *y = b;
    if (x->port != y->port)
        return x->port < y->port ? -1 : 1;
    return (x->rule > y->rule) - (x->rule < y->rule);
}

static void bucket_finish(struct pol_bucket *b)
{
    if (b->n_by_port < 2)
        return;
    qsort(b->by_port, b->n_by_port, sizeof *b->by_port, cmp_port_entry);
    size_t out = 1;
    for (size_t i = 1; i < b->n_by_port; i++)
        if (cmp_port_entry(&b->by_port[i], &b->by_port[out - 1]) != 0)
            b->by_port[out++] = b->by_port[i];
    b->n_by_port = out;
}

static void bucket_free(struct pol_bucket *b)
{
    free(b->by_port);
    free(b->wide);
}

int pol_index_build(struct ow_policy *p)
{
    p->asset_buckets = calloc(p->n_assets ? p->n_assets : 1, sizeof *p->asset_buckets);
    p->vendor_buckets = calloc(p->n_vendors ? p->n_vendors : 1, sizeof *p->vendor_buckets);
    if (!p->asset_buckets || !p->vendor_buckets)
        return -1;
    size_t cap_cidr = 0;
    for (size_t ri = 0; ri < p->n_rules; ri++) {
        const struct pol_rule *r = &p->rules[ri];
        for (size_t i = 0; i < r->to.n; i++) {
            const struct pol_sel_item *it = &r->to.items[i];
            if (it->type == POL_SEL_ASSET) {
                if (bucket_add(&p->asset_buckets[it->asset], r, (uint32_t)ri) != 0)
                    return -1;
            } else if (it->type == POL_SEL_ROLE) {
                if (bucket_add(&p->role_buckets[it->role], r, (uint32_t)ri) != 0)
                    return -1;
            } else if (it->type == POL_SEL_VENDOR) {
                if (bucket_add(&p->vendor_buckets[it->vendor], r, (uint32_t)ri) != 0)
                    return -1;
            } else {
                int32_t slot = (int32_t)p->n_cidr_buckets;
                int rc = ow_pt_insert(&p->to_cidr_tree, &it->cidr, slot, &slot);
                if (rc < 0)
                    return -1;
                if (rc == 0) {
                    if (p->n_cidr_buckets == cap_cidr) {
                        size_t cap = cap_cidr ? cap_cidr * 2 : 8;
                        struct pol_bucket *nb = realloc(p->cidr_buckets, cap * sizeof *nb);
                        if (!nb)
                            return -1;
                        memset(nb + cap_cidr, 0, (cap - cap_cidr) * sizeof *nb);
                        p->cidr_buckets = nb;
                        cap_cidr = cap;
                    }
                    p->n_cidr_buckets++;
                }
                if (bucket_add(&p->cidr_buckets[slot], r, (uint32_t)ri) != 0)
                    return -1;
            }
        }
    }
    for (size_t a = 0; a < p->n_assets; a++)
        bucket_finish(&p->asset_buckets[a]);
    for (size_t c = 0; c < p->n_cidr_buckets; c++)
        bucket_finish(&p->cidr_buckets[c]);
    for (size_t r = 0; r < OW_ROLE_COUNT; r++)
        bucket_finish(&p->role_buckets[r]);
    for (size_t v = 0; v < p->n_vendors; v++)
        bucket_finish(&p->vendor_buckets[v]);
    return 0;
}

void pol_index_free(struct ow_policy *p)
{
    if (p->asset_buckets)
        for (size_t a = 0; a < p->n_assets; a++)
            bucket_free(&p->asset_buckets[a]);
    free(p->asset_buckets);
    if (p->vendor_buckets)
        for (size_t v = 0; v < p->n_vendors; v++)
            bucket_free(&p->vendor_buckets[v]);
    free(p->vendor_buckets);
    p->vendor_buckets = NULL;
    for (size_t c = 0; c < p->n_cidr_buckets; c++)
        bucket_free(&p->cidr_buckets[c]);
    free(p->cidr_buckets);
    for (size_t r = 0; r < OW_ROLE_COUNT; r++)
        bucket_free(&p->role_buckets[r]);
    memset(p->role_buckets, 0, sizeof p->role_buckets);
    p->asset_buckets = NULL;
    p->cidr_buckets = NULL;
    p->n_cidr_buckets = 0;
}

void pol_candidates_init(struct pol_candidates *c)
{
    c->v = c->inline_buf;
    c->n = 0;
    c->cap = sizeof c->inline_buf / sizeof c->inline_buf[0];
}

void pol_candidates_free(struct pol_candidates *c)
{
    if (c->v != c->inline_buf)
        free(c->v);
    pol_candidates_init(c);
}

static int cand_push(struct pol_candidates *c, uint32_t rule)
{
    if (c->n == c->cap) {
        size_t cap = c->cap * 2;
        uint32_t *v = c->v == c->inline_buf ? malloc(cap * sizeof *v)
                                            : realloc(c->v, cap * sizeof *v);
        if (!v)
            return -1;
        if (c->v == c->inline_buf)
            memcpy(v, c->inline_buf, c->n * sizeof *v);
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n++] = rule;
    return 0;
}

static int collect(const struct pol_bucket *b, uint16_t port, struct pol_candidates *c)
{
    size_t lo = 0, hi = b->n_by_port;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (b->by_port[mid].port < port)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < b->n_by_port && b->by_port[i].port == port; i++)
        if (cand_push(c, b->by_port[i].rule) != 0)
            return -1;
    for (size_t i = 0; i < b->n_wide; i++)
        if (cand_push(c, b->wide[i]) != 0)
            return -1;
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

int pol_index_candidates(const struct ow_policy *p, const struct ow_endpoint *server,
                         const struct pol_slot *ss, struct pol_candidates *c)
{
    c->n = 0;
    /* Every asset holding the server, and each of their roles and vendors once. */
    for (uint32_t i = 0; ss && i < ss->n_holders; i++)
        if (collect(&p->asset_buckets[ss->holders[i]], server->port, c) != 0)
            return -1;
    for (uint32_t i = 0; ss && i < ss->n_vendors; i++)
        if (collect(&p->vendor_buckets[ss->vendors[i]], server->port, c) != 0)
            return -1;
    for (unsigned r = 0; ss && r < OW_ROLE_COUNT; r++)
        if ((ss->roles & (1u << r)) && collect(&p->role_buckets[r], server->port, c) != 0)
            return -1;
    int32_t slots[129];
    size_t n = ow_pt_lookup_all(&p->to_cidr_tree, server->family, server->addr, slots, 129);
    for (size_t i = 0; i < n && i < 129; i++)
        if (collect(&p->cidr_buckets[slots[i]], server->port, c) != 0)
            return -1;
    if (c->n > 1) {
        qsort(c->v, c->n, sizeof *c->v, cmp_u32);
        size_t out = 1;
        for (size_t i = 1; i < c->n; i++)
            if (c->v[i] != c->v[out - 1])
                c->v[out++] = c->v[i];
        c->n = out;
    }
    return 0;
}
