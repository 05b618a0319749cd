/* flow_key.c — owns the direction-independent flow key: normalisation (endpoint a is the
 * lower address/port pair), equality and the 64-bit hash that dispatch shards on. */
#include "sensor/packet.h"

#include <netinet/in.h>
#include <string.h>

/* The key is hashed and compared field by field, but a packed layout keeps it cheap to
 * copy and lets memcmp-minded callers stay correct. */
_Static_assert(sizeof(struct ow_flow_key) == 40, "ow_flow_key has no padding");

/* Lexicographic order of (address, port); addresses of one family have the same length
 * and IPv4 pads with zeros, so memcmp over all 16 bytes orders both families. */
static int endpoint_cmp(const struct ow_endpoint *x, const struct ow_endpoint *y)
{
    int c = memcmp(x->addr, y->addr, sizeof x->addr);
    if (c != 0) return c;
    if (x->port != y->port) return x->port < y->port ? -1 : 1;
    return 0;
}

void ow_flow_key_from_packet(const struct ow_packet *pkt, struct ow_flow_key *key, bool *from_a)
{
    struct ow_endpoint src = pkt->src, dst = pkt->dst;
    if (pkt->l4_proto == IPPROTO_ICMP || pkt->l4_proto == IPPROTO_ICMPV6)
        src.port = dst.port = 0;

    memset(key, 0, sizeof *key);
    key->family = src.family;
    key->l4_proto = pkt->l4_proto;
    key->vlan_id = pkt->vlan_id;

    bool src_is_a = endpoint_cmp(&src, &dst) <= 0;
    const struct ow_endpoint *a = src_is_a ? &src : &dst;
    const struct ow_endpoint *b = src_is_a ? &dst : &src;
    key->port_a = a->port;
    key->port_b = b->port;
    memcpy(key->addr_a, a->addr, sizeof key->addr_a);
    memcpy(key->addr_b, b->addr, sizeof key->addr_b);
    if (from_a) *from_a = src_is_a;
}

static inline uint64_t rotl64(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

static inline uint64_t load64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* One multiply-rotate round per 64-bit word (the murmur/xxhash pattern), then the
 * splitmix64 finaliser so every input bit reaches every output bit. Words are built
 * from fields, never from struct bytes, and little-endian explicitly, so the hash is the
 * same on every host and across runs. */
static inline uint64_t mix_word(uint64_t h, uint64_t w)
{
    w *= 0x87c37b91114253d5ULL;
    w = rotl64(w, 31);
    w *= 0x4cf5ad432745937fULL;
    h ^= w;
    h = rotl64(h, 27);
    return h * 5 + 0x52dce729;
}

uint64_t ow_flow_key_hash(const struct ow_flow_key *key)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    uint64_t head = (uint64_t)key->family | (uint64_t)key->l4_proto << 8 |
                    (uint64_t)key->vlan_id << 16 | (uint64_t)key->port_a << 32 |
                    (uint64_t)key->port_b << 48;
    h = mix_word(h, head);
    h = mix_word(h, load64(key->addr_a));
    h = mix_word(h, load64(key->addr_a + 8));
    h = mix_word(h, load64(key->addr_b));
    h = mix_word(h, load64(key->addr_b + 8));
    h ^= 40;
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return h;
}

bool ow_flow_key_equal(const struct ow_flow_key *x, const struct ow_flow_key *y)
{
    return x->family == y->family && x->l4_proto == y->l4_proto && x->vlan_id == y->vlan_id &&
           x->port_a == y->port_a && x->port_b == y->port_b &&
           memcmp(x->addr_a, y->addr_a, sizeof x->addr_a) == 0 &&
           memcmp(x->addr_b, y->addr_b, sizeof x->addr_b) == 0;
}
