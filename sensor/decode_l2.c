/* decode_l2.c — link layers: Ethernet with VLAN, QinQ, MPLS and PPPoE, Linux cooked
 * (SLL, SLL2), BSD loopback, Cisco HDLC, PPP, 802.11 and radiotap. */
#include "sensor/decode_internal.h"

static enum ow_decode_status decode_mpls(struct decoder *d, uint32_t off, uint32_t end)
{
    const uint8_t *f = d->frame;
    for (;;) {
        if (!have(off, 4, end)) return OW_DECODE_MALFORMED;
        bool bottom = (f[off + 2] & 0x01) != 0;
        off += 4;
        if (bottom) break;
    }
    d->pkt->tunnels |= OW_TUNNEL_MPLS;
    /* MPLS does not say what it carries; IP is recognised by its version nibble, anything
     * else (pseudowires with a control word, ...) is not read. */
    if (!have(off, 1, end)) return OW_DECODE_MALFORMED;
    switch (f[off] >> 4) {
    case 4:
    case 6:
        return ow_dec_ip(d, off, end);
    default:
        return OW_DECODE_UNSUPPORTED;
    }
}

enum ow_decode_status ow_dec_pppoe_session(struct decoder *d, uint32_t off, uint32_t end)
{
    const uint8_t *f = d->frame;
    if (!have(off, 6, end)) return OW_DECODE_MALFORMED;
    if (f[off] != 0x11 || f[off + 1] != 0x00) return OW_DECODE_NOT_IP;   /* ver 1 type 1, session */
    uint32_t pppoe_len = be16(f + off + 4);
    off += 6;
    if (have(off, pppoe_len, end)) end = off + pppoe_len;
    d->pkt->tunnels |= OW_TUNNEL_PPPOE;
    return ow_dec_ppp_protocol(d, off, end);
}

/* Everything after an EtherType (or a protocol field that uses EtherType values). */
enum ow_decode_status ow_dec_ethertype(struct decoder *d, uint16_t type, uint32_t off,
                                       uint32_t end)
{
    const uint8_t *f = d->frame;
    /* Each tag consumes 4 bytes, so the loop ends with the frame. */
    while (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ || type == ETHERTYPE_QINQ_OLD) {
        if (!have(off, 4, end)) return OW_DECODE_MALFORMED;
        d->pkt->vlan_id = be16(f + off) & 0x0fff;
        type = be16(f + off + 2);
        off += 4;
    }
    switch (type) {
    case ETHERTYPE_IPV4:
        return ow_dec_ipv4(d, off, end);
    case ETHERTYPE_IPV6:
        return ow_dec_ipv6(d, off, end);
    case ETHERTYPE_MPLS:
    case ETHERTYPE_MPLS_MULTI:
        return decode_mpls(d, off, end);
    case ETHERTYPE_PPPOE_SESSION:
        return ow_dec_pppoe_session(d, off, end);
    case ETHERTYPE_FABRICPATH: {
        /* Ethernet in Ethernet: bounded like a tunnel so stacked headers cannot recurse deep. */
        if (!have(off, 2, end)) return OW_DECODE_MALFORMED;
        if (d->depth >= MAX_TUNNEL_DEPTH) return OW_DECODE_UNSUPPORTED;
        d->depth++;
        enum ow_decode_status status = ow_dec_ethernet(d, off + 2, end);
        d->depth--;
        return status;
    }
    default:
        return OW_DECODE_NOT_IP;
    }
}

/* Ethernet II, or IEEE 802.3 with an LLC header where only SNAP can carry IP. */
enum ow_decode_status ow_dec_ethernet(struct decoder *d, uint32_t off, uint32_t end)
{
    const uint8_t *f = d->frame;
    if (!have(off, 14, end)) return OW_DECODE_MALFORMED;
    uint16_t type = be16(f + off + 12);
    off += 14;
    if (type < 0x0600) {
        if (type > 1500) return OW_DECODE_MALFORMED;  /* neither a length nor an EtherType */
        if (have(off, type, end)) end = off + type;
        if (!have(off, 3, end)) return OW_DECODE_MALFORMED;
        if (f[off] != 0xaa || f[off + 1] != 0xaa || f[off + 2] != 0x03) return OW_DECODE_NOT_IP;
        if (!have(off, 8, end)) return OW_DECODE_MALFORMED;
        type = be16(f + off + 6);
        off += 8;
    }
    return ow_dec_ethertype(d, type, off, end);
}

/* Linux cooked capture v1: 16 bytes, protocol (an EtherType for IP) last. */
enum ow_decode_status ow_dec_linux_sll(struct decoder *d, uint32_t end)
{
    if (!have(0, 16, end)) return OW_DECODE_MALFORMED;
    return ow_dec_ethertype(d, be16(d->frame + 14), 16, end);
}

/* Linux cooked capture v2: 20 bytes, protocol first. */
enum ow_decode_status ow_dec_linux_sll2(struct decoder *d, uint32_t end)
{
    if (!have(0, 20, end)) return OW_DECODE_MALFORMED;
    return ow_dec_ethertype(d, be16(d->frame), 20, end);
}

/* BSD loopback: a 4-byte address family in the capturing host's byte order (DLT_NULL) or
 * network order (DLT_LOOP); small values read the same either way round once swapped. */
enum ow_decode_status ow_dec_null(struct decoder *d, uint32_t end)
{
    const uint8_t *f = d->frame;
    if (!have(0, 4, end)) return OW_DECODE_MALFORMED;
    uint32_t family = be32(f);
    if (family > 0xffff)
        family = ((uint32_t)f[3] << 24) | ((uint32_t)f[2] << 16) | ((uint32_t)f[1] << 8) | f[0];
    switch (family) {
    case 2:                     /* AF_INET everywhere */
        return ow_dec_ipv4(d, 4, end);
    case 24: case 28: case 30:  /* AF_INET6 on NetBSD/OpenBSD, FreeBSD, Darwin */
        return ow_dec_ipv6(d, 4, end);
    default:
        return OW_DECODE_NOT_IP;
    }
}

/* Cisco HDLC: address, control, EtherType. */
enum ow_decode_status ow_dec_chdlc(struct decoder *d, uint32_t off, uint32_t end)
{
    if (!have(off, 4, end)) return OW_DECODE_MALFORMED;
    return ow_dec_ethertype(d, be16(d->frame + off + 2), off + 4, end);
}

/* PPP links sometimes carry Cisco HDLC framing (address 0x0f unicast, 0x8f broadcast). */
enum ow_decode_status ow_dec_ppp_link(struct decoder *d, uint32_t off, uint32_t end)
{
    if (!have(off, 1, end)) return OW_DECODE_MALFORMED;
    if (d->frame[off] == 0x0f || d->frame[off] == 0x8f) return ow_dec_chdlc(d, off, end);
    return ow_dec_ppp(d, off, end);
}

/* IEEE 802.11 data frame with LLC/SNAP. Protected frames cannot be read. */
enum ow_decode_status ow_dec_80211(struct decoder *d, uint32_t off, uint32_t end)
{
    const uint8_t *f = d->frame;
    if (!have(off, 24, end)) return OW_DECODE_MALFORMED;
    uint8_t fc0 = f[off], fc1 = f[off + 1];
    unsigned type = (fc0 >> 2) & 0x3, subtype = fc0 >> 4;
    if (type != 2) return OW_DECODE_NOT_IP;             /* management or control */
    if (subtype & 0x4) return OW_DECODE_NOT_IP;         /* null data: no frame body */
    if (fc1 & 0x40) return OW_DECODE_NOT_IP;            /* protected */
    uint32_t header_len = 24;
    if ((fc1 & 0x03) == 0x03) header_len += 6;          /* to-DS and from-DS: 4th address */
    if (subtype & 0x8) {
        header_len += 2;                                /* QoS control */
        if (fc1 & 0x80) header_len += 4;                /* +HTC */
    }
    off += header_len;
    if (!have(off, 8, end)) return OW_DECODE_MALFORMED;
    if (f[off] != 0xaa || f[off + 1] != 0xaa || f[off + 2] != 0x03) return OW_DECODE_NOT_IP;
    return ow_dec_ethertype(d, be16(f + off + 6), off + 8, end);
}

/* Radiotap: little-endian length at offset 2; flag 0x10 in the Flags field (the first
 * field after the present words when present bit 1 is set) says an FCS ends the frame,
 * which the IP total length already excludes, so it needs no handling here. */
enum ow_decode_status ow_dec_radiotap(struct decoder *d, uint32_t end)
{
    const uint8_t *f = d->frame;
    if (!have(0, 8, end)) return OW_DECODE_MALFORMED;
    uint32_t len = (uint32_t)f[2] | ((uint32_t)f[3] << 8);
    if (len < 8 || !have(0, len, end)) return OW_DECODE_MALFORMED;
    return ow_dec_80211(d, len, end);
}
