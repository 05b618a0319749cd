/* decode_tunnel.c — owns the tunnels opened inside an IP packet: GRE (with ERSPAN, WCCP,
 * PPTP), GTP-U and CAPWAP; a tunnel that fails to decode leaves the outer packet as the flow. */
#include "sensor/decode_internal.h"

#include <stdbool.h>

/* Opens a tunnel: decodes the inner packet in place and keeps it when it is a valid IP
 * packet. Anything else (inner ARP, garbage, nesting too deep) leaves the outer packet as
 * the flow, which is always a true statement about the wire. */
enum ow_decode_status owd_open_tunnel(struct decoder *d, uint16_t tunnel_bit, inner_fn inner,
                                      uint32_t off, uint32_t end)
{
    if (d->depth >= MAX_TUNNEL_DEPTH) return OW_DECODE_OK;
    struct ow_packet outer = *d->pkt;
    d->depth++;
    d->pkt->tunnels |= tunnel_bit;
    d->pkt->frag = OW_FRAG_NONE;
    d->pkt->frag_id = 0;
    d->pkt->src.port = d->pkt->dst.port = 0;
    d->pkt->tcp_flags = 0;
    d->pkt->tcp_seq = 0;
    d->pkt->icmp_type = d->pkt->icmp_code = 0;
    enum ow_decode_status status = inner(d, off, end);
    d->depth--;
    if (status != OW_DECODE_OK) *d->pkt = outer;
    return OW_DECODE_OK;
}

/* GTPv1-U (3GPP TS 29.281): only T-PDUs carry user packets. */
enum ow_decode_status owd_gtpu(struct decoder *d, uint32_t off, uint32_t end)
{
    const uint8_t *f = d->frame;
    if (!have(off, 8, end)) return OW_DECODE_OK;
    uint8_t flags = f[off];
    if ((flags >> 5) != 1 || (flags & 0x10) == 0 || f[off + 1] != 0xff) return OW_DECODE_OK;
    uint32_t inner = off + 8;
    if (flags & 0x07) {
        /* Sequence, N-PDU and next-extension fields come together when any flag is set. */
        if (!have(off, 12, end)) return OW_DECODE_OK;
        inner = off + 12;
        uint8_t next_ext = (flags & 0x04) ? f[off + 11] : 0;
        for (int n = 0; next_ext != 0; n++) {
            if (n == MAX_GTP_EXT_HEADERS || !have(inner, 1, end)) return OW_DECODE_OK;
            uint32_t ext_len = (uint32_t)f[inner] * 4;
            if (ext_len == 0 || !have(inner, ext_len, end)) return OW_DECODE_OK;
            next_ext = f[inner + ext_len - 1];
            inner += ext_len;
        }
    }
    return owd_open_tunnel(d, OW_TUNNEL_GTPU, owd_ip, inner, end);
}

/* CAPWAP data channel (RFC 5415 §4.3): a plain (not DTLS) header of HLEN words carrying an
 * 802.3 frame, or a native 802.11 frame when T is set and the binding is IEEE 802.11. */
enum ow_decode_status owd_capwap(struct decoder *d, uint32_t off, uint32_t end)
{
    const uint8_t *f = d->frame;
    if (!have(off, 8, end) || f[off] != 0x00) return OW_DECODE_OK;
    uint32_t header_len = (uint32_t)(f[off + 1] >> 3) * 4;
    bool native = (f[off + 2] & 0x01) != 0;
    unsigned binding = (f[off + 2] >> 1) & 0x1f;
    bool fragment = (f[off + 3] & 0x80) != 0;
    if (header_len < 8 || fragment || !have(off, header_len, end)) return OW_DECODE_OK;
    if (!native) return owd_open_tunnel(d, OW_TUNNEL_CAPWAP, owd_ethernet, off + header_len, end);
    if (binding != 1) return OW_DECODE_OK;
    return owd_open_tunnel(d, OW_TUNNEL_CAPWAP, owd_80211, off + header_len, end);
}

static enum ow_decode_status owd_gre_ethernet(struct decoder *d, uint32_t off, uint32_t end)
{
    return owd_ethernet(d, off, end);
}

static enum ow_decode_status owd_gre_mpls(struct decoder *d, uint32_t off, uint32_t end)
{
    return owd_ethertype(d, ETHERTYPE_MPLS, off, end);
}

/* ERSPAN type II (8-byte header) carries the mirrored frame; type I, which has no header,
 * is told apart by the GRE sequence number that type II always sends. */
static enum ow_decode_status owd_erspan_2(struct decoder *d, uint32_t off, uint32_t end)
{
    if (!have(off, 8, end)) return fail(d, OW_DEV_ERSPAN_HEADER_SHORT);
    return owd_ethernet(d, off + 8, end);
}

/* ERSPAN type III: 12-byte header, an 8-byte platform subheader when O is set; only frame
 * type 0 (Ethernet) is read. */
static enum ow_decode_status owd_erspan_3(struct decoder *d, uint32_t off, uint32_t end)
{
    const uint8_t *f = d->frame;
    if (!have(off, 12, end)) return fail(d, OW_DEV_ERSPAN_HEADER_SHORT);
    unsigned frame_type = (f[off + 10] >> 2) & 0x1f;
    if (frame_type != 0) return fail(d, OW_DEV_ERSPAN_NOT_ETHERNET);
    uint32_t inner = off + 12 + ((f[off + 11] & 0x01) ? 8 : 0);
    return owd_ethernet(d, inner, end);
}

static enum ow_decode_status owd_wccp(struct decoder *d, uint32_t off, uint32_t end)
{
    if (!have(off, 4, end)) return fail(d, OW_DEV_WCCP_HEADER_SHORT);
    return owd_ipv4(d, off + 4, end);
}

/* GRE (RFC 2784/2890) and PPTP's enhanced GRE (RFC 2637, version 1). */
enum ow_decode_status owd_gre(struct decoder *d, uint32_t off, uint32_t end)
{
    const uint8_t *f = d->frame;
    if (!have(off, 4, end)) return OW_DECODE_OK;
    uint16_t flags = be16(f + off);
    uint16_t proto = be16(f + off + 2);
    unsigned version = flags & 0x7;
    uint32_t inner = off + 4;

    if (version == 0) {
        if (flags & 0x4000) return OW_DECODE_OK;    /* RFC 1701 source routing: not opened */
        if (flags & 0x8000) inner += 4;             /* checksum + reserved */
        if (flags & 0x2000) inner += 4;             /* key */
        if (flags & 0x1000) inner += 4;             /* sequence number */
        if (!have(off, inner - off, end)) return OW_DECODE_OK;
        switch (proto) {
        case ETHERTYPE_IPV4:
        case ETHERTYPE_IPV6:
            return owd_open_tunnel(d, OW_TUNNEL_GRE, owd_ip, inner, end);
        case ETHERTYPE_TEB:
            return owd_open_tunnel(d, OW_TUNNEL_GRE, owd_gre_ethernet, inner, end);
        case ETHERTYPE_MPLS:
            return owd_open_tunnel(d, OW_TUNNEL_GRE, owd_gre_mpls, inner, end);
        case GRE_PROTO_ERSPAN_1_2:
            return owd_open_tunnel(d, OW_TUNNEL_GRE,
                               (flags & 0x1000) ? owd_erspan_2 : owd_gre_ethernet, inner, end);
        case GRE_PROTO_ERSPAN_3:
            return owd_open_tunnel(d, OW_TUNNEL_GRE, owd_erspan_3, inner, end);
        case GRE_PROTO_WCCP:
            return owd_open_tunnel(d, OW_TUNNEL_GRE, owd_wccp, inner, end);
        default:
            return OW_DECODE_OK;
        }
    }
    if (version == 1) {
        /* Key (payload length + call id) is mandatory; sequence and ack are optional. */
        if (proto != ETHERTYPE_PPP || (flags & 0x2000) == 0) return OW_DECODE_OK;
        inner += 4;
        if (flags & 0x1000) inner += 4;
        if (flags & 0x0080) inner += 4;
        if (!have(off, inner - off, end)) return OW_DECODE_OK;
        uint32_t payload_len = be16(f + off + 4);
        if (payload_len == 0) return OW_DECODE_OK;  /* ack-only packet */
        if (have(inner, payload_len, end)) end = inner + payload_len;
        return owd_open_tunnel(d, OW_TUNNEL_GRE, owd_ppp, inner, end);
    }
    return OW_DECODE_OK;
}
