/* decode.c — owns the walk from a captured frame to the innermost IP packet and its
 * transport header. Every read goes through have(): a frame is hostile until proven
 * otherwise. The decisions (what counts as malformed, which tunnels are opened, where we
 * differ from ndpiReader 4.2) are written down in docs/decode.md. */
#include "sensor/decode.h"
#include "sensor/decode_events.h"

#include <netinet/in.h>
#include <pcap/pcap.h>
#include <string.h>

/* libpcap maps LINKTYPE_RAW (101) to DLT_RAW when it reads a file; we also accept the
 * link-type number itself for callers that pass it through unmapped. */
#define LINKTYPE_RAW_NUMBER 101

/* Tunnels opened inside each other; a crafted packet cannot make us recurse further. */
#define MAX_TUNNEL_DEPTH 4
/* IPv6 extension headers walked before we give up on a packet. */
#define MAX_IPV6_EXT_HEADERS 16
/* GTP-U extension headers walked before we give up on the tunnel. */
#define MAX_GTP_EXT_HEADERS 16

#define GTPU_PORT 2152
#define CAPWAP_DATA_PORT 5247

enum {
    ETHERTYPE_IPV4 = 0x0800,
    ETHERTYPE_ARP = 0x0806,
    ETHERTYPE_TEB = 0x6558,     /* transparent Ethernet bridging, inside GRE */
    ETHERTYPE_VLAN = 0x8100,
    ETHERTYPE_PPP = 0x880b,     /* inside PPTP's enhanced GRE */
    ETHERTYPE_IPV6 = 0x86dd,
    ETHERTYPE_MPLS = 0x8847,
    ETHERTYPE_MPLS_MULTI = 0x8848,
    ETHERTYPE_PPPOE_SESSION = 0x8864,
    ETHERTYPE_QINQ = 0x88a8,
    ETHERTYPE_QINQ_OLD = 0x9100,
    ETHERTYPE_FABRICPATH = 0x8903,
    GRE_PROTO_ERSPAN_1_2 = 0x88be,  /* mirrored Ethernet frames (Cisco ERSPAN type I/II) */
    GRE_PROTO_ERSPAN_3 = 0x22eb,
    GRE_PROTO_WCCP = 0x883e,        /* WCCP redirect: 4-byte header, then IPv4 */  /* Cisco FabricPath: 2 bytes FTag/TTL, then Ethernet */
};

enum {
    PPP_IPV4 = 0x0021,
    PPP_IPV6 = 0x0057,
    PPP_MPLS = 0x0281,
};


struct decoder {
    const uint8_t *frame;
    struct ow_packet *pkt;
    unsigned depth;         /* tunnels opened so far */
    enum ow_decode_event event;  /* why the last failing layer gave up */
};

/* Every failure goes through here so the reported event is the one that ended the decode;
 * a tunnel whose inner packet fails keeps the outer packet, and its status is then OK, so
 * the stale event is never read. */
static enum ow_decode_status fail(struct decoder *d, enum ow_decode_event ev)
{
    d->event = ev;
    switch (ow_decode_event_class(ev)) {
    case OW_DEV_CLASS_M: return OW_DECODE_MALFORMED;
    case OW_DEV_CLASS_U: return OW_DECODE_UNSUPPORTED;
    default: return OW_DECODE_NOT_IP;
    }
}

/* True when [off, off+need) lies inside [0, end). Written so it cannot overflow. */
static inline bool have(uint32_t off, uint32_t need, uint32_t end)
{
    return off <= end && need <= end - off;
}

static inline uint16_t be16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static enum ow_decode_status decode_ethernet(struct decoder *d, uint32_t off, uint32_t end);
static enum ow_decode_status decode_ethertype(struct decoder *d, uint16_t type, uint32_t off,
                                              uint32_t end);
static enum ow_decode_status decode_ip(struct decoder *d, uint32_t off, uint32_t end);
static enum ow_decode_status decode_ipv4(struct decoder *d, uint32_t off, uint32_t end);
static enum ow_decode_status decode_ipv6(struct decoder *d, uint32_t off, uint32_t end);

/* ---- transport ---------------------------------------------------------------------- */

static void set_payload(struct ow_packet *pkt, uint32_t off, uint32_t end)
{
    if (off >= end) {
        pkt->payload_off = end;
        pkt->payload_len = 0;
    } else {
        pkt->payload_off = off;
        pkt->payload_len = end - off;
    }
}

static enum ow_decode_status decode_gtpu(struct decoder *d, uint32_t off, uint32_t end);
static enum ow_decode_status decode_capwap(struct decoder *d, uint32_t off, uint32_t end);

/* off is the first byte after the IP headers, end the end of the IP packet as captured. */
static enum ow_decode_status decode_transport(struct decoder *d, uint32_t off, uint32_t end)
{
    struct ow_packet *pkt = d->pkt;
    const uint8_t *f = d->frame;

    switch (pkt->l4_proto) {
    case IPPROTO_TCP: {
        if (!have(off, 20, end)) return fail(d, OW_DEV_TCP_HEADER_SHORT);
        uint32_t header_len = (uint32_t)(f[off + 12] >> 4) * 4;
        if (header_len < 20) return fail(d, OW_DEV_TCP_BAD_DATA_OFFSET);
        pkt->src.port = be16(f + off);
        pkt->dst.port = be16(f + off + 2);
        pkt->tcp_seq = be32(f + off + 4);
        pkt->tcp_flags = f[off + 13];
        /* Options cut off by the snap length still leave a usable header: no payload. */
        set_payload(pkt, have(off, header_len, end) ? off + header_len : end, end);
        return OW_DECODE_OK;
    }
    case IPPROTO_UDP: {
        if (!have(off, 8, end)) return fail(d, OW_DEV_UDP_HEADER_SHORT);
        pkt->src.port = be16(f + off);
        pkt->dst.port = be16(f + off + 2);
        uint32_t udp_len = be16(f + off + 4);
        uint32_t udp_end = end;
        /* Trust the UDP length only when it shortens the datagram (0 means a jumbogram). */
        if (udp_len >= 8 && have(off, udp_len, end)) udp_end = off + udp_len;
        set_payload(pkt, off + 8, udp_end);
        if ((pkt->src.port == GTPU_PORT || pkt->dst.port == GTPU_PORT) &&
            pkt->frag == OW_FRAG_NONE)
            return decode_gtpu(d, off + 8, udp_end);
        if ((pkt->src.port == CAPWAP_DATA_PORT || pkt->dst.port == CAPWAP_DATA_PORT) &&
            pkt->frag == OW_FRAG_NONE)
            return decode_capwap(d, off + 8, udp_end);
        return OW_DECODE_OK;
    }
    case IPPROTO_SCTP:
        if (!have(off, 12, end)) return fail(d, OW_DEV_SCTP_HEADER_SHORT);
        pkt->src.port = be16(f + off);
        pkt->dst.port = be16(f + off + 2);
        set_payload(pkt, off + 12, end);
        return OW_DECODE_OK;
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6:
        if (!have(off, 2, end)) return fail(d, OW_DEV_ICMP_HEADER_SHORT);
        pkt->icmp_type = f[off];
        pkt->icmp_code = f[off + 1];
        set_payload(pkt, off + 8, end);
        return OW_DECODE_OK;
    default:
        set_payload(pkt, off, end);
        return OW_DECODE_OK;
    }
}

/* ---- tunnels ------------------------------------------------------------------------ */

/* Opens a tunnel: decodes the inner packet in place and keeps it when it is a valid IP
 * packet. Anything else (inner ARP, garbage, nesting too deep) leaves the outer packet as
 * the flow, which is always a true statement about the wire. */
typedef enum ow_decode_status (*inner_fn)(struct decoder *d, uint32_t off, uint32_t end);

static enum ow_decode_status open_tunnel(struct decoder *d, uint16_t tunnel_bit, inner_fn inner,
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
static enum ow_decode_status decode_gtpu(struct decoder *d, uint32_t off, uint32_t end)
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
    return open_tunnel(d, OW_TUNNEL_GTPU, decode_ip, inner, end);
}

static enum ow_decode_status decode_80211(struct decoder *d, uint32_t off, uint32_t end);

/* CAPWAP data channel (RFC 5415 §4.3): a plain (not DTLS) header of HLEN words carrying an
 * 802.3 frame, or a native 802.11 frame when T is set and the binding is IEEE 802.11. */
static enum ow_decode_status decode_capwap(struct decoder *d, uint32_t off, uint32_t end)
{
    const uint8_t *f = d->frame;
    if (!have(off, 8, end) || f[off] != 0x00) return OW_DECODE_OK;
    uint32_t header_len = (uint32_t)(f[off + 1] >> 3) * 4;
    bool native = (f[off + 2] & 0x01) != 0;
    unsigned binding = (f[off + 2] >> 1) & 0x1f;
    bool fragment = (f[off + 3] & 0x80) != 0;
    if (header_len < 8 || fragment || !have(off, header_len, end)) return OW_DECODE_OK;
    if (!native) return open_tunnel(d, OW_TUNNEL_CAPWAP, decode_ethernet, off + header_len, end);
    if (binding != 1) return OW_DECODE_OK;
    return open_tunnel(d, OW_TUNNEL_CAPWAP, decode_80211, off + header_len, end);
}

/* PPP protocol field, compressed (odd first byte, RFC 1661 PFC) or not. */
static enum ow_decode_status decode_ppp_protocol(struct decoder *d, uint32_t off, uint32_t end)
{
    const uint8_t *f = d->frame;
    uint16_t proto;
    if (!have(off, 1, end)) return fail(d, OW_DEV_PPP_PROTOCOL_SHORT);
    if (f[off] & 1) {
        proto = f[off];
        off += 1;
    } else {
        if (!have(off, 2, end)) return fail(d, OW_DEV_PPP_PROTOCOL_SHORT);
        proto = be16(f + off);
        off += 2;
    }
    switch (proto) {
    case PPP_IPV4:
        return decode_ipv4(d, off, end);
    case PPP_IPV6:
        return decode_ipv6(d, off, end);
    case PPP_MPLS:
        return decode_ethertype(d, ETHERTYPE_MPLS, off, end);
    default:
        return fail(d, OW_DEV_PPP_NOT_IP);
    }
}

/* PPP with optional HDLC address/control bytes (0xff 0x03), as PPTP and serial links send. */
static enum ow_decode_status decode_ppp(struct decoder *d, uint32_t off, uint32_t end)
{
    if (have(off, 2, end) && d->frame[off] == 0xff && d->frame[off + 1] == 0x03) off += 2;
    return decode_ppp_protocol(d, off, end);
}

static enum ow_decode_status decode_gre_ethernet(struct decoder *d, uint32_t off, uint32_t end)
{
    return decode_ethernet(d, off, end);
}

static enum ow_decode_status decode_gre_mpls(struct decoder *d, uint32_t off, uint32_t end)
{
    return decode_ethertype(d, ETHERTYPE_MPLS, off, end);
}

/* ERSPAN type II (8-byte header) carries the mirrored frame; type I, which has no header,
 * is told apart by the GRE sequence number that type II always sends. */
static enum ow_decode_status decode_erspan_2(struct decoder *d, uint32_t off, uint32_t end)
{
    if (!have(off, 8, end)) return fail(d, OW_DEV_ERSPAN_HEADER_SHORT);
    return decode_ethernet(d, off + 8, end);
}

/* ERSPAN type III: 12-byte header, an 8-byte platform subheader when O is set; only frame
 * type 0 (Ethernet) is read. */
static enum ow_decode_status decode_erspan_3(struct decoder *d, uint32_t off, uint32_t end)
{
    const uint8_t *f = d->frame;
    if (!have(off, 12, end)) return fail(d, OW_DEV_ERSPAN_HEADER_SHORT);
    unsigned frame_type = (f[off + 10] >> 2) & 0x1f;
    if (frame_type != 0) return fail(d, OW_DEV_ERSPAN_NOT_ETHERNET);
    uint32_t inner = off + 12 + ((f[off + 11] & 0x01) ? 8 : 0);
    return decode_ethernet(d, inner, end);
}

static enum ow_decode_status decode_wccp(struct decoder *d, uint32_t off, uint32_t end)
{
    if (!have(off, 4, end)) return fail(d, OW_DEV_WCCP_HEADER_SHORT);
    return decode_ipv4(d, off + 4, end);
}

/* GRE (RFC 2784/2890) and PPTP's enhanced GRE (RFC 2637, version 1). */
static enum ow_decode_status decode_gre(struct decoder *d, uint32_t off, uint32_t end)
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
            return open_tunnel(d, OW_TUNNEL_GRE, decode_ip, inner, end);
        case ETHERTYPE_TEB:
            return open_tunnel(d, OW_TUNNEL_GRE, decode_gre_ethernet, inner, end);
        case ETHERTYPE_MPLS:
            return open_tunnel(d, OW_TUNNEL_GRE, decode_gre_mpls, inner, end);
        case GRE_PROTO_ERSPAN_1_2:
            return open_tunnel(d, OW_TUNNEL_GRE,
                               (flags & 0x1000) ? decode_erspan_2 : decode_gre_ethernet, inner, end);
        case GRE_PROTO_ERSPAN_3:
            return open_tunnel(d, OW_TUNNEL_GRE, decode_erspan_3, inner, end);
        case GRE_PROTO_WCCP:
            return open_tunnel(d, OW_TUNNEL_GRE, decode_wccp, inner, end);
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
        return open_tunnel(d, OW_TUNNEL_GRE, decode_ppp, inner, end);
    }
    return OW_DECODE_OK;
}

/* Called once the IP headers are read: either a tunnel to open or the transport header. */
static enum ow_decode_status decode_ip_payload(struct decoder *d, uint32_t off, uint32_t end)
{
    struct ow_packet *pkt = d->pkt;
    if (pkt->frag == OW_FRAG_LATER) {
        set_payload(pkt, end, end);
        return OW_DECODE_OK;
    }
    /* A first fragment's inner packet is incomplete; the tunnel itself is the flow so that
     * its later fragments (which cannot be opened) land in the same flow. */
    if (pkt->frag == OW_FRAG_NONE) {
        switch (pkt->l4_proto) {
        case IPPROTO_IPIP:
        case IPPROTO_IPV6:
            set_payload(pkt, off, end);
            return open_tunnel(d, OW_TUNNEL_IPIP, decode_ip, off, end);
        case IPPROTO_GRE:
            set_payload(pkt, off, end);
            return decode_gre(d, off, end);
        default:
            break;
        }
    }
    return decode_transport(d, off, end);
}

/* ---- IP ----------------------------------------------------------------------------- */

static void set_endpoints(struct ow_packet *pkt, uint8_t family, const uint8_t *src,
                          const uint8_t *dst, size_t addr_len)
{
    memset(&pkt->src, 0, sizeof pkt->src);
    memset(&pkt->dst, 0, sizeof pkt->dst);
    pkt->src.family = pkt->dst.family = family;
    memcpy(pkt->src.addr, src, addr_len);
    memcpy(pkt->dst.addr, dst, addr_len);
}

static enum ow_decode_status decode_ipv4(struct decoder *d, uint32_t off, uint32_t end)
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
    return decode_ip_payload(d, off + header_len, ip_end);
}

static enum ow_decode_status decode_ipv6(struct decoder *d, uint32_t off, uint32_t end)
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
            return decode_ip_payload(d, pos, ip_end);
        }
        if (!have(pos, ext_len, ip_end)) return fail(d, OW_DEV_IPV6_EXT_TRUNCATED);
        next = f[pos];
        pos += ext_len;
        if (pkt->frag == OW_FRAG_LATER) {
            /* What follows a later fragment's header is the middle of some other header. */
            pkt->l4_proto = next;
            return decode_ip_payload(d, pos, ip_end);
        }
    }
}

/* IPv4 or IPv6, told apart by the version nibble. */
static enum ow_decode_status decode_ip(struct decoder *d, uint32_t off, uint32_t end)
{
    if (!have(off, 1, end)) return fail(d, OW_DEV_IP_VERSION_SHORT);
    switch (d->frame[off] >> 4) {
    case 4: return decode_ipv4(d, off, end);
    case 6: return decode_ipv6(d, off, end);
    default: return fail(d, OW_DEV_IP_BAD_VERSION);
    }
}

/* ---- layer 2 ------------------------------------------------------------------------ */

static enum ow_decode_status decode_mpls(struct decoder *d, uint32_t off, uint32_t end)
{
    const uint8_t *f = d->frame;
    for (;;) {
        if (!have(off, 4, end)) return fail(d, OW_DEV_MPLS_LABEL_SHORT);
        bool bottom = (f[off + 2] & 0x01) != 0;
        off += 4;
        if (bottom) break;
    }
    d->pkt->tunnels |= OW_TUNNEL_MPLS;
    /* MPLS does not say what it carries; IP is recognised by its version nibble, anything
     * else (pseudowires with a control word, ...) is not read. */
    if (!have(off, 1, end)) return fail(d, OW_DEV_MPLS_PAYLOAD_SHORT);
    switch (f[off] >> 4) {
    case 4:
    case 6:
        return decode_ip(d, off, end);
    default:
        return fail(d, OW_DEV_MPLS_PAYLOAD_NOT_IP);
    }
}

static enum ow_decode_status decode_pppoe_session(struct decoder *d, uint32_t off, uint32_t end)
{
    const uint8_t *f = d->frame;
    if (!have(off, 6, end)) return fail(d, OW_DEV_PPPOE_HEADER_SHORT);
    if (f[off] != 0x11 || f[off + 1] != 0x00) return fail(d, OW_DEV_PPPOE_NOT_SESSION);   /* ver 1 type 1, session */
    uint32_t pppoe_len = be16(f + off + 4);
    off += 6;
    if (have(off, pppoe_len, end)) end = off + pppoe_len;
    d->pkt->tunnels |= OW_TUNNEL_PPPOE;
    return decode_ppp_protocol(d, off, end);
}

/* Everything after an EtherType (or a protocol field that uses EtherType values). */
static enum ow_decode_status decode_ethertype(struct decoder *d, uint16_t type, uint32_t off,
                                              uint32_t end)
{
    const uint8_t *f = d->frame;
    /* Each tag consumes 4 bytes, so the loop ends with the frame. */
    while (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ || type == ETHERTYPE_QINQ_OLD) {
        if (!have(off, 4, end)) return fail(d, OW_DEV_VLAN_TAG_SHORT);
        d->pkt->vlan_id = be16(f + off) & 0x0fff;
        type = be16(f + off + 2);
        off += 4;
    }
    switch (type) {
    case ETHERTYPE_IPV4:
        return decode_ipv4(d, off, end);
    case ETHERTYPE_IPV6:
        return decode_ipv6(d, off, end);
    case ETHERTYPE_MPLS:
    case ETHERTYPE_MPLS_MULTI:
        return decode_mpls(d, off, end);
    case ETHERTYPE_PPPOE_SESSION:
        return decode_pppoe_session(d, off, end);
    case ETHERTYPE_FABRICPATH: {
        /* Ethernet in Ethernet: bounded like a tunnel so stacked headers cannot recurse deep. */
        if (!have(off, 2, end)) return fail(d, OW_DEV_FABRICPATH_SHORT);
        if (d->depth >= MAX_TUNNEL_DEPTH) return fail(d, OW_DEV_NESTING_TOO_DEEP);
        d->depth++;
        enum ow_decode_status status = decode_ethernet(d, off + 2, end);
        d->depth--;
        return status;
    }
    default:
        return fail(d, OW_DEV_UNSUPPORTED_ETHERTYPE);
    }
}

/* Ethernet II, or IEEE 802.3 with an LLC header where only SNAP can carry IP. */
static enum ow_decode_status decode_ethernet(struct decoder *d, uint32_t off, uint32_t end)
{
    const uint8_t *f = d->frame;
    if (!have(off, 14, end)) return fail(d, OW_DEV_ETH_HEADER_SHORT);
    uint16_t type = be16(f + off + 12);
    off += 14;
    if (type < 0x0600) {
        if (type > 1500) return fail(d, OW_DEV_ETH_LLC_BAD_LENGTH);  /* neither a length nor an EtherType */
        if (have(off, type, end)) end = off + type;
        if (!have(off, 3, end)) return fail(d, OW_DEV_ETH_LLC_SHORT);
        if (f[off] != 0xaa || f[off + 1] != 0xaa || f[off + 2] != 0x03) return fail(d, OW_DEV_ETH_LLC_NOT_SNAP);
        if (!have(off, 8, end)) return fail(d, OW_DEV_ETH_SNAP_SHORT);
        type = be16(f + off + 6);
        off += 8;
    }
    return decode_ethertype(d, type, off, end);
}

/* Linux cooked capture v1: 16 bytes, protocol (an EtherType for IP) last. */
static enum ow_decode_status decode_linux_sll(struct decoder *d, uint32_t end)
{
    if (!have(0, 16, end)) return fail(d, OW_DEV_SLL_HEADER_SHORT);
    return decode_ethertype(d, be16(d->frame + 14), 16, end);
}

/* Linux cooked capture v2: 20 bytes, protocol first. */
static enum ow_decode_status decode_linux_sll2(struct decoder *d, uint32_t end)
{
    if (!have(0, 20, end)) return fail(d, OW_DEV_SLL2_HEADER_SHORT);
    return decode_ethertype(d, be16(d->frame), 20, end);
}

/* BSD loopback: a 4-byte address family in the capturing host's byte order (DLT_NULL) or
 * network order (DLT_LOOP); small values read the same either way round once swapped. */
static enum ow_decode_status decode_null(struct decoder *d, uint32_t end)
{
    const uint8_t *f = d->frame;
    if (!have(0, 4, end)) return fail(d, OW_DEV_NULL_HEADER_SHORT);
    uint32_t family = be32(f);
    if (family > 0xffff)
        family = ((uint32_t)f[3] << 24) | ((uint32_t)f[2] << 16) | ((uint32_t)f[1] << 8) | f[0];
    switch (family) {
    case 2:                     /* AF_INET everywhere */
        return decode_ipv4(d, 4, end);
    case 24: case 28: case 30:  /* AF_INET6 on NetBSD/OpenBSD, FreeBSD, Darwin */
        return decode_ipv6(d, 4, end);
    default:
        return fail(d, OW_DEV_NULL_FAMILY_NOT_IP);
    }
}

/* Cisco HDLC: address, control, EtherType. */
static enum ow_decode_status decode_chdlc(struct decoder *d, uint32_t off, uint32_t end)
{
    if (!have(off, 4, end)) return fail(d, OW_DEV_CHDLC_HEADER_SHORT);
    return decode_ethertype(d, be16(d->frame + off + 2), off + 4, end);
}

/* PPP links sometimes carry Cisco HDLC framing (address 0x0f unicast, 0x8f broadcast). */
static enum ow_decode_status decode_ppp_link(struct decoder *d, uint32_t off, uint32_t end)
{
    if (!have(off, 1, end)) return fail(d, OW_DEV_PPP_LINK_SHORT);
    if (d->frame[off] == 0x0f || d->frame[off] == 0x8f) return decode_chdlc(d, off, end);
    return decode_ppp(d, off, end);
}

/* IEEE 802.11 data frame with LLC/SNAP. Protected frames cannot be read. */
static enum ow_decode_status decode_80211(struct decoder *d, uint32_t off, uint32_t end)
{
    const uint8_t *f = d->frame;
    if (!have(off, 24, end)) return fail(d, OW_DEV_WLAN_HEADER_SHORT);
    uint8_t fc0 = f[off], fc1 = f[off + 1];
    unsigned type = (fc0 >> 2) & 0x3, subtype = fc0 >> 4;
    if (type != 2) return fail(d, OW_DEV_WLAN_NOT_DATA);             /* management or control */
    if (subtype & 0x4) return fail(d, OW_DEV_WLAN_NULL_DATA);         /* null data: no frame body */
    if (fc1 & 0x40) return fail(d, OW_DEV_WLAN_PROTECTED);            /* protected */
    uint32_t header_len = 24;
    if ((fc1 & 0x03) == 0x03) header_len += 6;          /* to-DS and from-DS: 4th address */
    if (subtype & 0x8) {
        header_len += 2;                                /* QoS control */
        if (fc1 & 0x80) header_len += 4;                /* +HTC */
    }
    off += header_len;
    if (!have(off, 8, end)) return fail(d, OW_DEV_WLAN_LLC_SHORT);
    if (f[off] != 0xaa || f[off + 1] != 0xaa || f[off + 2] != 0x03) return fail(d, OW_DEV_WLAN_LLC_NOT_SNAP);
    return decode_ethertype(d, be16(f + off + 6), off + 8, end);
}

/* Radiotap: little-endian length at offset 2; flag 0x10 in the Flags field (the first
 * field after the present words when present bit 1 is set) says an FCS ends the frame,
 * which the IP total length already excludes, so it needs no handling here. */
static enum ow_decode_status decode_radiotap(struct decoder *d, uint32_t end)
{
    const uint8_t *f = d->frame;
    if (!have(0, 8, end)) return fail(d, OW_DEV_RADIOTAP_HEADER_SHORT);
    uint32_t len = (uint32_t)f[2] | ((uint32_t)f[3] << 8);
    if (len < 8 || !have(0, len, end)) return fail(d, OW_DEV_RADIOTAP_BAD_LENGTH);
    return decode_80211(d, len, end);
}

/* ---- public ------------------------------------------------------------------------- */

bool ow_decode_supports_dlt(int dlt)
{
    switch (dlt) {
    case DLT_EN10MB:
    case DLT_LINUX_SLL:
    case DLT_LINUX_SLL2:
    case DLT_RAW:
    case LINKTYPE_RAW_NUMBER:
    case DLT_IPV4:
    case DLT_IPV6:
    case DLT_NULL:
    case DLT_LOOP:
    case DLT_PPP:
    case DLT_PPP_SERIAL:
    case DLT_PPP_ETHER:
    case DLT_PPP_WITH_DIR:
    case DLT_PPP_PPPD:
    case DLT_C_HDLC:
    case DLT_C_HDLC_WITH_DIR:
    case DLT_IEEE802_11:
    case DLT_IEEE802_11_RADIO:
        return true;
    default:
        return false;
    }
}

enum ow_decode_status ow_decode(int dlt, const uint8_t *frame, uint32_t caplen,
                                struct ow_packet *pkt)
{
    uint64_t ts_us = pkt->ts_us;
    uint32_t pkt_caplen = pkt->caplen, wirelen = pkt->wirelen;
    memset(pkt, 0, sizeof *pkt);
    pkt->ts_us = ts_us;
    pkt->caplen = pkt_caplen;
    pkt->wirelen = wirelen;

    struct decoder d = { .frame = frame, .pkt = pkt, .depth = 0, .event = OW_DEV_NONE };
    if (frame == NULL) {
        pkt->decode_event = OW_DEV_NULL_FRAME;
        return OW_DECODE_MALFORMED;
    }
    enum ow_decode_status status;

    switch (dlt) {
    case DLT_EN10MB:
        status = decode_ethernet(&d, 0, caplen);
        break;
    case DLT_LINUX_SLL:
        status = decode_linux_sll(&d, caplen);
        break;
    case DLT_LINUX_SLL2:
        status = decode_linux_sll2(&d, caplen);
        break;
    case DLT_RAW:
    case LINKTYPE_RAW_NUMBER:
        status = decode_ip(&d, 0, caplen);
        break;
    case DLT_IPV4:
        status = decode_ipv4(&d, 0, caplen);
        break;
    case DLT_IPV6:
        status = decode_ipv6(&d, 0, caplen);
        break;
    case DLT_NULL:
    case DLT_LOOP:
        status = decode_null(&d, caplen);
        break;
    case DLT_PPP:
    case DLT_PPP_SERIAL:
        status = decode_ppp_link(&d, 0, caplen);
        break;
    case DLT_PPP_WITH_DIR:
    case DLT_PPP_PPPD:
        status = decode_ppp_link(&d, 1, caplen);   /* a direction byte first */
        break;
    case DLT_PPP_ETHER:
        status = decode_pppoe_session(&d, 0, caplen);
        break;
    case DLT_C_HDLC:
        status = decode_chdlc(&d, 0, caplen);
        break;
    case DLT_C_HDLC_WITH_DIR:
        status = decode_chdlc(&d, 1, caplen);
        break;
    case DLT_IEEE802_11:
        status = decode_80211(&d, 0, caplen);
        break;
    case DLT_IEEE802_11_RADIO:
        status = decode_radiotap(&d, caplen);
        break;
    default:
        status = fail(&d, OW_DEV_UNSUPPORTED_LINKTYPE);
        break;
    }

    if (status != OW_DECODE_OK) {
        /* Nothing half-decoded leaks to a caller that forgets to check the status. */
        memset(pkt, 0, sizeof *pkt);
        pkt->ts_us = ts_us;
        pkt->caplen = pkt_caplen;
        pkt->wirelen = wirelen;
        pkt->decode_event = (uint8_t)d.event;
    }
    return status;
}
