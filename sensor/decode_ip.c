/* decode_ip.c — owns IPv4 and IPv6 with extension headers and fragments, and the choice
 * between a tunnel and the transport header once the IP headers are read. */
#include "sensor/decode_internal.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>

/* Called once the IP headers are read: either a tunnel to open or the transport header. */
static enum ow_decode_status owd_ip_payload(struct decoder *d, uint32_t off, uint32_t end)
{
    struct ow_packet *pkt = d->pkt;
    if (pkt->frag == OW_FRAG_LATER) {
        owd_set_payload(pkt, end, end);
        return OW_DECODE_OK;
    }
    /* A first fragment's inner packet is incomplete; the tunnel itself is the flow so that
     * its later fragments (which cannot be opened) land in the same flow. */
    if (pkt->frag == OW_FRAG_NONE) {
        switch (pkt->l4_proto) {
        case IPPROTO_IPIP:
        case IPPROTO_IPV6:
            owd_set_payload(pkt, off, end);
            return owd_open_tunnel(d, OW_TUNNEL_IPIP, owd_ip, off, end);
        case IPPROTO_GRE:
            owd_set_payload(pkt, off, end);
            return owd_gre(d, off, end);
        default:
            break;
        }
    }
    return owd_transport(d, off, end);
}

static void set_endpoints(struct ow_packet *pkt, uint8_t family, const uint8_t *src,
                          const uint8_t *dst, size_t addr_len)
{
    memset(&pkt->src, 0, sizeof pkt->src);
    memset(&pkt->dst, 0, sizeof pkt->dst);
    pkt->src.family = pkt->dst.family = family;
    memcpy(pkt->src.addr, src, addr_len);
    memcpy(pkt->dst.addr, dst, addr_len);
}

enum ow_decode_status owd_ipv4(struct decoder *d, uint32_t off, uint32_t end)
{
    const uint8_t *f = d->frame;
    struct ow_packet *pkt = d->pkt;
    if (!have(off, 20, end)) return fail(d, OW_DEV_IPV4_HEADER_SHORT);
    if ((f[off] >> 4) != 4) return fail(d, OW_DEV_IPV4_BAD_VERSION);
    uint32_t header_len = (uint32_t)(f[off] & 0x0f) * 4;
    uint32_t total_len = be16(f + off + 2);
    if (header_len < 20) return fail(d, OW_DEV_IPV4_BAD_IHL);
    if (total_len < header_len) return fail(d, OW_DEV_IPV4_TOTAL_LEN_SHORT);
    if (!have(off, header_len, end)) return fail(d, OW_DEV_IPV4_OPTIONS_TRUNCATED);
    /* Captured bytes beyond the total length are link padding; fewer is a snap length. */
    uint32_t ip_end = have(off, total_len, end) ? off + total_len : end;

    pkt->l3_off = off;
    pkt->l3_len = ip_end - off;
    pkt->l4_proto = f[off + 9];
    set_endpoints(pkt, OW_AF_INET4, f + off + 12, f + off + 16, 4);

    uint16_t frag_field = be16(f + off + 6);
    uint16_t frag_offset = frag_field & 0x1fff;
    bool more_fragments = (frag_field & 0x2000) != 0;
    if (frag_offset != 0 || more_fragments) {
        pkt->frag = frag_offset != 0 ? OW_FRAG_LATER : OW_FRAG_FIRST;
        pkt->frag_id = be16(f + off + 4);
    } else {
        pkt->frag = OW_FRAG_NONE;
        pkt->frag_id = 0;
    }
    return owd_ip_payload(d, off + header_len, ip_end);
}

enum ow_decode_status owd_ipv6(struct decoder *d, uint32_t off, uint32_t end)
{
    const uint8_t *f = d->frame;
    struct ow_packet *pkt = d->pkt;
    if (!have(off, 40, end)) return fail(d, OW_DEV_IPV6_HEADER_SHORT);
    if ((f[off] >> 4) != 6) return fail(d, OW_DEV_IPV6_BAD_VERSION);
    uint32_t total_len = 40 + (uint32_t)be16(f + off + 4);
    uint32_t ip_end = have(off, total_len, end) ? off + total_len : end;

    pkt->l3_off = off;
    pkt->l3_len = ip_end - off;
    set_endpoints(pkt, OW_AF_INET6, f + off + 8, f + off + 24, 16);
    pkt->frag = OW_FRAG_NONE;
    pkt->frag_id = 0;

    uint8_t next = f[off + 6];
    uint32_t pos = off + 40;
    for (int n = 0;; n++) {
        if (n == MAX_IPV6_EXT_HEADERS) return fail(d, OW_DEV_IPV6_EXT_CHAIN_TOO_LONG);
        uint32_t ext_len;
        switch (next) {
        case IPPROTO_HOPOPTS:
        case IPPROTO_ROUTING:
        case IPPROTO_DSTOPTS:
            if (!have(pos, 2, ip_end)) return fail(d, OW_DEV_IPV6_EXT_HEADER_SHORT);
            ext_len = ((uint32_t)f[pos + 1] + 1) * 8;
            break;
        case IPPROTO_AH:
            if (!have(pos, 2, ip_end)) return fail(d, OW_DEV_IPV6_EXT_HEADER_SHORT);
            ext_len = ((uint32_t)f[pos + 1] + 2) * 4;
            break;
        case IPPROTO_FRAGMENT: {
            if (!have(pos, 8, ip_end)) return fail(d, OW_DEV_IPV6_FRAG_HEADER_SHORT);
            uint16_t field = be16(f + pos + 2);
            uint16_t frag_offset = field >> 3;
            bool more_fragments = (field & 1) != 0;
            /* An atomic fragment (offset 0, no M flag) is a whole packet (RFC 6946). */
            if (frag_offset != 0 || more_fragments) {
                pkt->frag = frag_offset != 0 ? OW_FRAG_LATER : OW_FRAG_FIRST;
                pkt->frag_id = be32(f + pos + 4);
            }
            ext_len = 8;
            break;
        }
        default:
            /* ESP, No Next Header, and every upper-layer protocol end the chain. */
            pkt->l4_proto = next;
            return owd_ip_payload(d, pos, ip_end);
        }
        if (!have(pos, ext_len, ip_end)) return fail(d, OW_DEV_IPV6_EXT_TRUNCATED);
        next = f[pos];
        pos += ext_len;
        if (pkt->frag == OW_FRAG_LATER) {
            /* What follows a later fragment's header is the middle of some other header. */
            pkt->l4_proto = next;
            return owd_ip_payload(d, pos, ip_end);
        }
    }
}

/* IPv4 or IPv6, told apart by the version nibble. */
enum ow_decode_status owd_ip(struct decoder *d, uint32_t off, uint32_t end)
{
    if (!have(off, 1, end)) return fail(d, OW_DEV_IP_VERSION_SHORT);
    switch (d->frame[off] >> 4) {
    case 4: return owd_ipv4(d, off, end);
    case 6: return owd_ipv6(d, off, end);
    default: return fail(d, OW_DEV_IP_BAD_VERSION);
    }
}
