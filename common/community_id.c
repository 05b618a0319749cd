/* community_id.c — Community ID v1 (corelight/community-id-spec): SHA-1 over seed, ordered
 * endpoints, protocol and ports, written as "1:" + base64. ICMP and ICMPv6 types map to
 * "ports" the way Zeek does: request/reply pairs share a flow, other types are one-way and
 * keep the order in which they were seen. */
#include "common/community_id.h"

#include <netinet/in.h>
#include <gcrypt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>


#define SHA1_LEN 20

/* The type that answers an ICMP type, or -1 when the type has no counterpart. */
static int icmp4_counterpart(uint16_t type)
{
    switch (type) {
    case 8:  return 0;      /* echo request / reply */
    case 0:  return 8;
    case 13: return 14;     /* timestamp */
    case 14: return 13;
    case 15: return 16;     /* information */
    case 16: return 15;
    case 10: return 9;      /* router solicitation / advertisement */
    case 9:  return 10;
    case 17: return 18;     /* address mask */
    case 18: return 17;
    default: return -1;
    }
}

static int icmp6_counterpart(uint16_t type)
{
    switch (type) {
    case 128: return 129;   /* echo request / reply */
    case 129: return 128;
    case 130: return 131;   /* MLD query / report */
    case 131: return 130;
    case 133: return 134;   /* router solicitation / advertisement */
    case 134: return 133;
    case 135: return 136;   /* neighbour solicitation / advertisement */
    case 136: return 135;
    case 139: return 140;   /* node information query / response */
    case 140: return 139;
    case 144: return 145;   /* home agent address discovery */
    case 145: return 144;
    default:  return -1;
    }
}

static int has_ports(uint8_t proto)
{
    return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP ||
           proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

/* Is (a, ap) numerically below (b, bp)? Addresses compare as big-endian byte strings. */
static int endpoint_less(const uint8_t *a, uint16_t ap, const uint8_t *b, uint16_t bp,
                         size_t alen)
{
    int c = memcmp(a, b, alen);
    return c < 0 || (c == 0 && ap < bp);
}

static void put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* libgcrypt wants gcry_check_version before first use; leave a program that set it up
 * itself alone. */
static void gcrypt_init_once(void)
{
    gcry_check_version(NULL);
    if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
        gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
        gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
    }
}

static int community_id_digest(uint16_t seed, uint8_t proto, const struct ow_endpoint *src,
                               const struct ow_endpoint *dst, uint8_t digest[SHA1_LEN])
{
    if (src->family != dst->family)
        return -1;
    if (src->family != OW_AF_INET4 && src->family != OW_AF_INET6)
        return -1;
    size_t alen = src->family == OW_AF_INET4 ? 4 : 16;

    uint16_t sport = src->port, dport = dst->port;
    int one_way = 0;
    if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
        int other = proto == IPPROTO_ICMP ? icmp4_counterpart(sport) : icmp6_counterpart(sport);
        if (other < 0)
            one_way = 1;            /* dport stays the code */
        else
            dport = (uint16_t)other;
    }

    const uint8_t *a1 = src->addr, *a2 = dst->addr;
    uint16_t p1 = sport, p2 = dport;
    if (!one_way && !endpoint_less(a1, p1, a2, p2, alen)) {
        a1 = dst->addr; a2 = src->addr;
        p1 = dport;     p2 = sport;
    }

    uint8_t buf[2 + 16 + 16 + 2 + 4];
    size_t n = 0;
    put_be16(buf, seed);                   n += 2;
    memcpy(buf + n, a1, alen);             n += alen;
    memcpy(buf + n, a2, alen);             n += alen;
    buf[n++] = proto;
    buf[n++] = 0;                          /* padding */
    if (has_ports(proto)) {
        put_be16(buf + n, p1);             n += 2;
        put_be16(buf + n, p2);             n += 2;
    }
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, gcrypt_init_once);
    gcry_md_hash_buffer(GCRY_MD_SHA1, digest, buf, n);
    return 0;
}

static size_t base64_encode(const uint8_t *in, size_t len, char *out)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < len) v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < len) v |= in[i + 2];
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? alphabet[v & 63] : '=';
    }
    out[o] = '\0';
    return o;
}

int ow_community_id(uint16_t seed, uint8_t l4_proto,
                    const struct ow_endpoint *src, const struct ow_endpoint *dst,
                    char *out, size_t outlen)
{
    /* "1:" + 28 base64 characters + NUL */
    if (!out || outlen < 2 + 28 + 1 || !src || !dst)
        return -1;
    uint8_t digest[SHA1_LEN];
    if (community_id_digest(seed, l4_proto, src, dst, digest) < 0) {
        out[0] = '\0';
        return -1;
    }
    out[0] = '1';
    out[1] = ':';
    base64_encode(digest, sizeof digest, out + 2);
    return 0;
}
