/* fragments.c — owns the first-fragment port table: a power-of-two array of slots searched
 * in buckets of FRAG_BUCKET consecutive slots, so lookups and inserts touch a fixed amount
 * of memory and nothing is allocated after creation. */
#include "sensor/fragments.h"
#include "common/alloc.h"

#include <stdlib.h>
#include <string.h>

#define FRAG_BUCKET 4
#define FRAG_MIN_SLOTS 16
#define FRAG_MAX_SLOTS ((size_t)1 << 26)

enum { PROTO_IPV6_ANY = 0 };

/* What identifies one fragmented datagram (RFC 791: src, dst, protocol, id; RFC 8200:
 * src, dst, id). Laid out without padding so it can be hashed and compared as bytes. */
struct frag_key {
    uint8_t  family;
    uint8_t  l4_proto;      /* 0 for IPv6: later fragments may name an extension header */
    uint16_t vlan_id;
    uint32_t frag_id;
    uint8_t  src[16];
    uint8_t  dst[16];
};
_Static_assert(sizeof(struct frag_key) == 40, "frag_key has no padding");

struct frag_entry {
    struct frag_key key;
    uint64_t ts_us;         /* packet time of the first fragment */
    uint16_t src_port, dst_port;
    uint8_t  l4_proto;      /* as the first fragment showed it */
    bool     used;
};

struct ow_frag_table {
    size_t mask;
    struct frag_entry *slots;
};

static void make_key(const struct ow_packet *pkt, struct frag_key *key)
{
    memset(key, 0, sizeof *key);
    key->family = pkt->src.family;
    key->l4_proto = pkt->src.family == OW_AF_INET6 ? PROTO_IPV6_ANY : pkt->l4_proto;
    key->vlan_id = pkt->vlan_id;
    key->frag_id = pkt->frag_id;
    memcpy(key->src, pkt->src.addr, sizeof key->src);
    memcpy(key->dst, pkt->dst.addr, sizeof key->dst);
}

/* FNV-1a 64 over the key bytes, then the splitmix64 finaliser for the low bits we index by. */
static uint64_t key_hash(const struct frag_key *key)
{
    const uint8_t *p = (const uint8_t *)key;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < sizeof *key; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return h;
}

static bool expired(const struct frag_entry *e, uint64_t now_us)
{
    /* Packet time may step back a little between interfaces; that is not age. */
    return now_us > e->ts_us && now_us - e->ts_us > OW_FRAG_TIMEOUT_US;
}

static struct frag_entry *bucket_of(struct ow_frag_table *t, const struct frag_key *key)
{
    size_t first = (size_t)key_hash(key) & t->mask & ~(size_t)(FRAG_BUCKET - 1);
    return &t->slots[first];
}

struct ow_frag_table *ow_frag_table_new(size_t slots)
{
    if (slots == 0 || slots > FRAG_MAX_SLOTS) return NULL;
    size_t n = FRAG_MIN_SLOTS;
    while (n < slots) n <<= 1;
    struct ow_frag_table *t = ow_malloc(sizeof *t);
    if (!t) return NULL;
    t->slots = ow_calloc(n, sizeof *t->slots);
    if (!t->slots) {
        free(t);
        return NULL;
    }
    t->mask = n - 1;
    return t;
}

void ow_frag_table_free(struct ow_frag_table *t)
{
    if (!t) return;
    free(t->slots);
    free(t);
}

void ow_frag_note_first(struct ow_frag_table *t, const struct ow_packet *pkt)
{
    if (!t || pkt->frag != OW_FRAG_FIRST) return;
    struct frag_key key;
    make_key(pkt, &key);
    struct frag_entry *bucket = bucket_of(t, &key);

    /* Same datagram seen again (a retransmitted first fragment) > free or stale slot >
     * the oldest slot of the bucket. */
    struct frag_entry *target = NULL;
    for (int i = 0; i < FRAG_BUCKET; i++) {
        struct frag_entry *e = &bucket[i];
        if (e->used && memcmp(&e->key, &key, sizeof key) == 0) {
            target = e;
            break;
        }
    }
    if (!target) {
        for (int i = 0; i < FRAG_BUCKET; i++) {
            struct frag_entry *e = &bucket[i];
            if (!e->used || expired(e, pkt->ts_us)) {
                target = e;
                break;
            }
        }
    }
    if (!target) {
        target = &bucket[0];
        for (int i = 1; i < FRAG_BUCKET; i++)
            if (bucket[i].ts_us < target->ts_us) target = &bucket[i];
    }

    target->key = key;
    target->ts_us = pkt->ts_us;
    target->src_port = pkt->src.port;
    target->dst_port = pkt->dst.port;
    target->l4_proto = pkt->l4_proto;
    target->used = true;
}

bool ow_frag_resolve_later(struct ow_frag_table *t, struct ow_packet *pkt)
{
    if (!t || pkt->frag != OW_FRAG_LATER) return false;
    struct frag_key key;
    make_key(pkt, &key);
    struct frag_entry *bucket = bucket_of(t, &key);
    for (int i = 0; i < FRAG_BUCKET; i++) {
        struct frag_entry *e = &bucket[i];
        if (!e->used || memcmp(&e->key, &key, sizeof key) != 0) continue;
        if (expired(e, pkt->ts_us)) return false;
        pkt->src.port = e->src_port;
        pkt->dst.port = e->dst_port;
        pkt->l4_proto = e->l4_proto;
        return true;
    }
    return false;
}

size_t ow_frag_table_live(const struct ow_frag_table *t, uint64_t now_us)
{
    size_t live = 0;
    if (!t) return 0;
    for (size_t i = 0; i <= t->mask; i++)
        if (t->slots[i].used && !expired(&t->slots[i], now_us)) live++;
    return live;
}
