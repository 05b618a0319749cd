/* decode_l2.c — owns the link layers: Ethernet/802.3 LLC-SNAP, VLAN/QinQ, FabricPath, MPLS,
 * PPPoE, PPP and Cisco HDLC, Linux SLL/SLL2, BSD loopback, 802.11 and radiotap. */
#include "sensor/decode_internal.h"

#include <stdbool.h>

/* PPP protocol field, compressed (odd first byte, RFC 1661 PFC) or not. */
static enum ow_decode_status owd_ppp_protocol(struct decoder *d, uint32_t off, uint32_t end)
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
        return owd_ipv4(d, off, end);
    case PPP_IPV6:
        return owd_ipv6(d, off, end);
    case PPP_MPLS:
        return owd_ethertype(d, ETHERTYPE_MPLS, off, end);
    default:
        return fail(d, OW_DEV_PPP_NOT_IP);
    }
}

/* PPP with optional HDLC address/control bytes (0xff 0x03), as PPTP and serial links send. */
enum ow_decode_status owd_ppp(struct decoder *d, uint32_t off, uint32_t end)
{
    if (have(off, 2, end) && d->frame[off] == 0xff && d->frame[off + 1] == 0x03) off += 2;
    return owd_ppp_protocol(d, off, end);
}

static enum ow_decode_status owd_mpls(struct decoder *d, uint32_t off, uint32_t end)
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
        return owd_ip(d, off, end);
    default:
        return fail(d, OW_DEV_MPLS_PAYLOAD_NOT_IP);
    }
}

enum ow_decode_status owd_pppoe_session(struct decoder *d, uint32_t off, uint32_t end)
{
    const uint8_t *f = d->frame;
    if (!have(off, 6, end)) return fail(d, OW_DEV_PPPOE_HEADER_SHORT);
    if (f[off] != 0x11 || f[off + 1] != 0x00) return fail(d, OW_DEV_PPPOE_NOT_SESSION);   /* ver 1 type 1, session */
    uint32_t pppoe_len = be16(f + off + 4);
    off += 6;
    if (have(off, pppoe_len, end)) end = off + pppoe_len;
    d->pkt->tunnels |= OW_TUNNEL_PPPOE;
    return owd_ppp_protocol(d, off, end);
}

/* Everything after an EtherType (or a protocol field that uses EtherType values). */
enum ow_decode_status owd_ethertype(struct decoder *d, uint16_t type, uint32_t off,
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
        return owd_ipv4(d, off, end);
    case ETHERTYPE_IPV6:
        return owd_ipv6(d, off, end);
    case ETHERTYPE_MPLS:
    case ETHERTYPE_MPLS_MULTI:
        return owd_mpls(d, off, end);
    case ETHERTYPE_PPPOE_SESSION:
        return owd_pppoe_session(d, off, end);
    case ETHERTYPE_FABRICPATH: {
        /* Ethernet in Ethernet: bounded like a tunnel so stacked headers cannot recurse deep. */
        if (!have(off, 2, end)) return fail(d, OW_DEV_FABRICPATH_SHORT);
        if (d->depth >= MAX_TUNNEL_DEPTH) return fail(d, OW_DEV_NESTING_TOO_DEEP);
        d->depth++;
        enum ow_decode_status status = owd_ethernet(d, off + 2, end);
        d->depth--;
        return status;
    }
    default:
        return fail(d, OW_DEV_UNSUPPORTED_ETHERTYPE);
    }
}

/* Ethernet II, or IEEE 802.3 with an LLC header where only SNAP can carry IP. */
enum ow_decode_status owd_ethernet(struct decoder *d, uint32_t off, uint32_t end)
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
    return owd_ethertype(d, type, off, end);
}

/* Linux cooked capture v1: 16 bytes, protocol (an EtherType for IP) last. */
enum ow_decode_status owd_linux_sll(struct decoder *d, uint32_t end)
{
    if (!have(0, 16, end)) return fail(d, OW_DEV_SLL_HEADER_SHORT);
    return owd_ethertype(d, be16(d->frame + 14), 16, end);
}

/* Linux cooked capture v2: 20 bytes, protocol first. */
enum ow_decode_status owd_linux_sll2(struct decoder *d, uint32_t end)
{
    if (!have(0, 20, end)) return fail(d, OW_DEV_SLL2_HEADER_SHORT);
    return owd_ethertype(d, be16(d->frame), 20, end);
}

/* BSD loopback: a 4-byte address family in the capturing host's byte order (DLT_NULL) or
 * network order (DLT_LOOP); small values read the same either way round once swapped. */
enum ow_decode_status owd_null(struct decoder *d, uint32_t end)
{
    const uint8_t *f = d->frame;
    if (!have(0, 4, end)) return fail(d, OW_DEV_NULL_HEADER_SHORT);
    uint32_t family = be32(f);
    if (family > 0xffff)
        family = ((uint32_t)f[3] << 24) | ((uint32_t)f[2] << 16) | ((uint32_t)f[1] << 8) | f[0];
    switch (family) {
    case 2:                     /* AF_INET everywhere */
        return owd_ipv4(d, 4, end);
    case 24: case 28: case 30:  /* AF_INET6 on NetBSD/OpenBSD, FreeBSD, Darwin */
        return owd_ipv6(d, 4, end);
    default:
        return fail(d, OW_DEV_NULL_FAMILY_NOT_IP);
    }
}

/* Cisco HDLC: address, control, EtherType. */
enum ow_decode_status owd_chdlc(struct decoder *d, uint32_t off, uint32_t end)
{
    if (!have(off, 4, end)) return fail(d, OW_DEV_CHDLC_HEADER_SHORT);
    return owd_ethertype(d, be16(d->frame + off + 2), off + 4, end);
}

/* PPP links sometimes carry Cisco HDLC framing (address 0x0f unicast, 0x8f broadcast). */
enum ow_decode_status owd_ppp_link(struct decoder *d, uint32_t off, uint32_t end)
{
    if (!have(off, 1, end)) return fail(d, OW_DEV_PPP_LINK_SHORT);
    if (d->frame[off] == 0x0f || d->frame[off] == 0x8f) return owd_chdlc(d, off, end);
    return owd_ppp(d, off, end);
}

/* IEEE 802.11 data frame with LLC/SNAP. Protected frames cannot be read. */
enum ow_decode_status owd_80211(struct decoder *d, uint32_t off, uint32_t end)
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
    return owd_ethertype(d, be16(f + off + 6), off + 8, end);
}

/* Radiotap: little-endian length at offset 2; flag 0x10 in the Flags field (the first
 * field after the present words when present bit 1 is set) says an FCS ends the frame,
 * which the IP total length already excludes, so it needs no handling here. */
enum ow_decode_status owd_radiotap(struct decoder *d, uint32_t end)
{
    const uint8_t *f = d->frame;
    if (!have(0, 8, end)) return fail(d, OW_DEV_RADIOTAP_HEADER_SHORT);
    uint32_t len = (uint32_t)f[2] | ((uint32_t)f[3] << 8);
    if (len < 8 || !have(0, len, end)) return fail(d, OW_DEV_RADIOTAP_BAD_LENGTH);
    return owd_80211(d, len, end);
}
