/* prefix_tree.c — binary trie for address prefixes, and CIDR text parsing. Nodes live in
 * one array addressed by index, so the tree is a single allocation that stays cache-warm. */
#include "classifiers/policy/prefix_tree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/endpoint.h"

static int addr_bit(const uint8_t addr[16], unsigned i)
{
    return (addr[i / 8] >> (7 - i % 8)) & 1;
}

static uint32_t new_node(struct ow_prefix_tree *t)
{
    if (t->count == t->cap) {
        uint32_t cap = t->cap ? t->cap * 2 : 64;
        if (cap < t->cap || cap > UINT32_MAX / 2)
            return 0;
        struct ow_pt_node *n = realloc(t->nodes, (size_t)cap * sizeof *n);
        if (!n)
            return 0;
        t->nodes = n;
        t->cap = cap;
    }
    uint32_t i = t->count++;
    t->nodes[i].child[0] = t->nodes[i].child[1] = 0;
    t->nodes[i].value = -1;
    return i;
}

int ow_pt_init(struct ow_prefix_tree *t)
{
    memset(t, 0, sizeof *t);
    /* Node 0 is a sentinel so that child index 0 can mean "none". */
    if (new_node(t) != 0)
        return -1;
    t->root[0] = new_node(t);
    t->root[1] = new_node(t);
    return t->root[0] && t->root[1] ? 0 : -1;
}

void ow_pt_free(struct ow_prefix_tree *t)
{
    free(t->nodes);
    memset(t, 0, sizeof *t);
}

int ow_pt_insert(struct ow_prefix_tree *t, const struct ow_cidr *p, int32_t value,
                 int32_t *existing)
{
    uint32_t n = t->root[p->family == OW_AF_INET6];
    for (unsigned i = 0; i < p->plen; i++) {
        int b = addr_bit(p->addr, i);
        if (!t->nodes[n].child[b]) {
            uint32_t c = new_node(t);   /* may move t->nodes */
            if (!c)
                return -1;
            t->nodes[n].child[b] = c;
        }
        n = t->nodes[n].child[b];
    }
    if (t->nodes[n].value >= 0) {
        if (existing)
            *existing = t->nodes[n].value;
        return 1;
    }
    t->nodes[n].value = value;
    return 0;
}

static unsigned family_bits(uint8_t family)
{
    return family == OW_AF_INET6 ? 128 : 32;
}

int32_t ow_pt_lookup(const struct ow_prefix_tree *t, uint8_t family, const uint8_t addr[16],
                     uint8_t *plen)
{
    int32_t best = -1;
    uint8_t best_len = 0;
    if (!t->nodes || (family != OW_AF_INET4 && family != OW_AF_INET6))
        return -1;
    uint32_t n = t->root[family == OW_AF_INET6];
    unsigned bits = family_bits(family);
    for (unsigned i = 0;; i++) {
        if (t->nodes[n].value >= 0) {
            best = t->nodes[n].value;
            best_len = (uint8_t)i;
        }
        if (i == bits)
            break;
        n = t->nodes[n].child[addr_bit(addr, i)];
        if (!n)
            break;
    }
    if (plen)
        *plen = best_len;
    return best;
}

size_t ow_pt_lookup_all(const struct ow_prefix_tree *t, uint8_t family, const uint8_t addr[16],
                        int32_t *values, size_t max)
{
    size_t found = 0;
    if (!t->nodes || (family != OW_AF_INET4 && family != OW_AF_INET6))
        return 0;
    uint32_t n = t->root[family == OW_AF_INET6];
    unsigned bits = family_bits(family);
    for (unsigned i = 0;; i++) {
        if (t->nodes[n].value >= 0) {
            if (found < max)
                values[found] = t->nodes[n].value;
            found++;
        }
        if (i == bits)
            break;
        n = t->nodes[n].child[addr_bit(addr, i)];
        if (!n)
            break;
    }
    return found;
}

/* The node of prefix p, or 0 when the tree has no node there. */
static uint32_t node_of(const struct ow_prefix_tree *t, const struct ow_cidr *p)
{
    if (!t->nodes || (p->family != OW_AF_INET4 && p->family != OW_AF_INET6) ||
        p->plen > family_bits(p->family))
        return 0;
    uint32_t n = t->root[p->family == OW_AF_INET6];
    for (unsigned i = 0; i < p->plen && n; i++)
        n = t->nodes[n].child[addr_bit(p->addr, i)];
    return n;
}

int32_t ow_pt_parent(const struct ow_prefix_tree *t, const struct ow_cidr *p)
{
    if (!t->nodes || (p->family != OW_AF_INET4 && p->family != OW_AF_INET6))
        return -1;
    int32_t best = -1;
    uint32_t n = t->root[p->family == OW_AF_INET6];
    for (unsigned i = 0; i < p->plen && n; i++) {
        if (t->nodes[n].value >= 0)
            best = t->nodes[n].value;
        n = t->nodes[n].child[addr_bit(p->addr, i)];
    }
    return best;
}

int32_t ow_pt_find(const struct ow_prefix_tree *t, const struct ow_cidr *p)
{
    uint32_t n = node_of(t, p);
    return n ? t->nodes[n].value : -1;
}

/* Nodes exist only on the paths of inserted prefixes, so any child leads to one. */
int ow_pt_has_longer(const struct ow_prefix_tree *t, const struct ow_cidr *p)
{
    uint32_t n = node_of(t, p);
    return n && (t->nodes[n].child[0] || t->nodes[n].child[1]);
}

int ow_cidr_contains(const struct ow_cidr *p, uint8_t family, const uint8_t addr[16])
{
    if (p->family != family)
        return 0;
    unsigned full = p->plen / 8, rest = p->plen % 8;
    if (memcmp(p->addr, addr, full) != 0)
        return 0;
    if (rest) {
        uint8_t mask = (uint8_t)(0xff << (8 - rest));
        if ((p->addr[full] & mask) != (addr[full] & mask))
            return 0;
    }
    return 1;
}

int ow_cidr_parse(const char *text, struct ow_cidr *out, char *why, size_t whylen)
{
    char buf[64];
    size_t len = strlen(text);
    if (len == 0 || len >= sizeof buf) {
        snprintf(why, whylen, "not an IP address or CIDR");
        return -1;
    }
    memcpy(buf, text, len + 1);
    char *slash = strchr(buf, '/');
    long plen = -1;
    if (slash) {
        *slash = '\0';
        const char *digits = slash + 1;
        size_t nd = strlen(digits);
        if (nd == 0 || nd > 3 || strspn(digits, "0123456789") != nd) {
            snprintf(why, whylen, "bad prefix length");
            return -1;
        }
        plen = strtol(digits, NULL, 10);
    }
    struct ow_endpoint ep;
    memset(&ep, 0, sizeof ep);
    if (ow_addr_from_text(buf, &ep) != 0) {
        snprintf(why, whylen, "not an IP address or CIDR");
        return -1;
    }
    unsigned bits = family_bits(ep.family);
    if (plen < 0)
        plen = bits;
    if ((unsigned long)plen > bits) {
        snprintf(why, whylen, "prefix length %ld out of range 0-%u", plen, bits);
        return -1;
    }
    memset(out, 0, sizeof *out);
    out->family = ep.family;
    out->plen = (uint8_t)plen;
    memcpy(out->addr, ep.addr, 16);
    /* Host bits set usually means a typo in the prefix; refuse rather than guess. */
    for (unsigned i = (unsigned)plen; i < bits; i++) {
        if (addr_bit(out->addr, i)) {
            struct ow_cidr fixed = *out;
            for (unsigned j = (unsigned)plen; j < bits; j++)
                fixed.addr[j / 8] &= (uint8_t)~(1u << (7 - j % 8));
            char fx[64];
            snprintf(why, whylen, "host bits set (did you mean %s?)",
                     ow_cidr_to_text(&fixed, fx, sizeof fx));
            return -1;
        }
    }
    return 0;
}

const char *ow_cidr_to_text(const struct ow_cidr *p, char *buf, size_t buflen)
{
    struct ow_endpoint ep;
    char a[OW_ADDR_TEXT_LEN];
    memset(&ep, 0, sizeof ep);
    ep.family = p->family;
    memcpy(ep.addr, p->addr, 16);
    ow_addr_to_text(&ep, a, sizeof a);
    if (p->plen == family_bits(p->family))
        snprintf(buf, buflen, "%s", a);
    else
        snprintf(buf, buflen, "%s/%u", a, p->plen);
    return buf;
}
