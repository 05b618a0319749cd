/* policy_assets.c — assets as groups (docs/policy.md "Format"): an address may belong to
 * several assets. Every prefix the assets list gets one slot in the asset tree; after
 * loading, each slot knows every asset holding its addresses, most specific first, so that
 * evaluating a flow costs one longest-prefix lookup per endpoint whatever the overlaps. */
#include "classifiers/policy/policy_internal.h"

#include <stdlib.h>
#include <string.h>

/* Lists with at most this many holders are searched linearly; longer ones by bisection. */
#define LINEAR_HOLDERS 8

int pol_slot_add(struct ow_policy *p, const struct ow_cidr *c, uint32_t asset)
{
    int32_t slot = (int32_t)p->n_slots;
    int rc = ow_pt_insert(&p->asset_tree, c, slot, &slot);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        if (p->n_slots == p->cap_slots) {
            size_t cap = p->cap_slots ? p->cap_slots * 2 : 16;
            struct pol_slot *ns = realloc(p->slots, cap * sizeof *ns);
            if (!ns)
                return -1;
            memset(ns + p->cap_slots, 0, (cap - p->cap_slots) * sizeof *ns);
            p->slots = ns;
            p->cap_slots = cap;
        }
        p->slots[slot].prefix = *c;
        p->n_slots++;
    }
    struct pol_slot *s = &p->slots[slot];
    if (s->n_own == s->cap_own) {
        uint32_t cap = s->cap_own ? s->cap_own * 2 : 2;
        uint32_t *no = realloc(s->own, cap * sizeof *no);
        if (!no)
            return -1;
        s->own = no;
        s->cap_own = cap;
    }
    s->own[s->n_own++] = asset;
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static int cmp_slot_plen(const void *a, const void *b, void *ctx)
{
    const struct pol_slot *s = ctx;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    if (s[x].prefix.plen != s[y].prefix.plen)
        return s[x].prefix.plen < s[y].prefix.plen ? -1 : 1;
    return (x > y) - (x < y);
}

/* Holders of a slot are its own assets (file order), then its parent's holders that are
 * not among them: a parent's prefix is shorter, so its assets are less specific. Slots are
 * done shortest prefix first, so every parent is complete before its children. */
int pol_slots_finish(struct ow_policy *p)
{
    size_t n = p->n_slots;
    uint32_t *order = malloc((n ? n : 1) * sizeof *order);
    uint32_t *mark = calloc(p->n_assets ? p->n_assets : 1, sizeof *mark);
    if (!order || !mark) {
        free(order);
        free(mark);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        order[i] = (uint32_t)i;
    if (n > 1)
        qsort_r(order, n, sizeof *order, cmp_slot_plen, p->slots);
    int rc = 0;
    for (size_t k = 0; k < n && rc == 0; k++) {
        struct pol_slot *s = &p->slots[order[k]];
        int32_t parent = ow_pt_parent(&p->asset_tree, &s->prefix);
        const struct pol_slot *ps = parent >= 0 ? &p->slots[parent] : NULL;
        size_t cap = s->n_own + (ps ? ps->n_holders : 0);
        s->holders = malloc(cap * sizeof *s->holders);
        s->sorted = malloc(cap * sizeof *s->sorted);
        s->vendors = malloc(cap * sizeof *s->vendors);
        if (!s->holders || !s->sorted || !s->vendors) {
            rc = -1;
            break;
        }
        uint32_t stamp = (uint32_t)k + 1;
        for (uint32_t i = 0; i < s->n_own; i++) {
            uint32_t a = s->own[i];
            if (mark[a] != stamp) {
                mark[a] = stamp;
                s->holders[s->n_holders++] = a;
            }
        }
        for (uint32_t i = 0; ps && i < ps->n_holders; i++) {
            uint32_t a = ps->holders[i];
            if (mark[a] != stamp) {
                mark[a] = stamp;
                s->holders[s->n_holders++] = a;
            }
        }
        s->roles = 0;
        for (uint32_t i = 0; i < s->n_holders; i++) {
            const struct pol_asset *a = &p->assets[s->holders[i]];
            s->roles |= 1u << a->role;
            bool seen = a->vendor_id < 0;
            for (uint32_t j = 0; j < s->n_vendors && !seen; j++)
                seen = s->vendors[j] == (uint32_t)a->vendor_id;
            if (!seen)
                s->vendors[s->n_vendors++] = (uint32_t)a->vendor_id;
        }
        memcpy(s->sorted, s->holders, s->n_holders * sizeof *s->sorted);
        if (s->n_holders > 1)
            qsort(s->sorted, s->n_holders, sizeof *s->sorted, cmp_u32);
    }
    free(order);
    free(mark);
    return rc;
}

const struct pol_slot *pol_slot_of(const struct ow_policy *p, const struct ow_endpoint *ep)
{
    int32_t v = ow_pt_lookup(&p->asset_tree, ep->family, ep->addr, NULL);
    return v >= 0 && (size_t)v < p->n_slots ? &p->slots[v] : NULL;
}

bool pol_slot_has(const struct pol_slot *s, uint32_t a)
{
    if (!s)
        return false;
    if (s->n_holders <= LINEAR_HOLDERS) {
        for (uint32_t i = 0; i < s->n_holders; i++)
            if (s->holders[i] == a)
                return true;
        return false;
    }
    size_t lo = 0, hi = s->n_holders;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->sorted[mid] == a)
            return true;
        if (s->sorted[mid] < a)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

bool pol_slot_has_vendor(const struct ow_policy *p, const struct pol_slot *s, uint32_t vendor)
{
    if (!s)
        return false;
    (void)p;
    for (uint32_t i = 0; i < s->n_vendors; i++)
        if (s->vendors[i] == vendor)
            return true;
    return false;
}

void pol_slots_free(struct ow_policy *p)
{
    for (size_t i = 0; i < p->n_slots; i++) {
        free(p->slots[i].own);
        free(p->slots[i].holders);
        free(p->slots[i].sorted);
        free(p->slots[i].vendors);
    }
    free(p->slots);
    p->slots = NULL;
    p->n_slots = p->cap_slots = 0;
}

/* "a,b,c" within len bytes: whole names only, ending with "…" when some did not fit. */
void pol_slot_names(const struct ow_policy *p, const struct pol_slot *s, char *out, size_t len)
{
    static const char ellipsis[] = "\xe2\x80\xa6";
    size_t used = 0, keep = 0;   /* keep: a name boundary with room for the ellipsis */
    if (!len)
        return;
    out[0] = '\0';
    for (uint32_t i = 0; s && i < s->n_holders; i++) {
        const char *name = p->assets[s->holders[i]].name;
        size_t n = strlen(name), need = n + (i ? 1 : 0);
        if (used + need >= len) {
            if (keep + sizeof ellipsis <= len)
                memcpy(out + keep, ellipsis, sizeof ellipsis);
            else
                out[keep] = '\0';
            return;
        }
        if (i)
            out[used++] = ',';
        memcpy(out + used, name, n);
        used += n;
        out[used] = '\0';
        if (used + sizeof ellipsis <= len)
            keep = used;
    }
}
