/* packet.h — what decode learns about one captured packet, and the flow key built from it.
 * Everything is an offset into the captured bytes, never a pointer, so a decoded packet can
 * be copied into a worker's ring together with its bytes and still be valid there. */
#ifndef OW_PACKET_H
#define OW_PACKET_H

#include <stdbool.h>
#include <stdint.h>

#include "common/endpoint.h"

/* Tunnels decode went through to reach the inner IP header (bit set). */
enum {
    OW_TUNNEL_GTPU = 1u << 0,
    OW_TUNNEL_GRE  = 1u << 1,
    OW_TUNNEL_IPIP = 1u << 2,   /* IPv4/IPv6 in IPv4/IPv6 */
    OW_TUNNEL_PPPOE = 1u << 3,
    OW_TUNNEL_MPLS = 1u << 4,
    OW_TUNNEL_CAPWAP = 1u << 5,
};

enum ow_frag_kind {
    OW_FRAG_NONE = 0,
    OW_FRAG_FIRST,      /* offset 0 with more-fragments set: carries the L4 header */
    OW_FRAG_LATER,      /* offset > 0: no L4 header; ports come from the fragment table */
};

/* Why decode could not produce an IP flow key. */
enum ow_decode_status {
    OW_DECODE_OK = 0,
    OW_DECODE_NOT_IP,       /* ARP, LLDP, STP ...: counted, not a flow */
    OW_DECODE_MALFORMED,    /* a length or field that does not fit: counted and skipped */
    OW_DECODE_UNSUPPORTED,  /* a link type or encapsulation we do not read */
};

struct ow_packet {
    uint64_t ts_us;          /* capture time, microseconds since the epoch */
    uint32_t caplen;         /* bytes captured */
    uint32_t wirelen;        /* bytes on the wire */

    /* Innermost IP header and what follows, as nDPI wants it. l3_len is bounded by both
     * caplen and the IP total length, so trailing Ethernet padding is not passed on. */
    uint32_t l3_off;
    uint32_t l3_len;
    /* L4 payload of the innermost packet (0 length when none or when a later fragment). */
    uint32_t payload_off;
    uint32_t payload_len;

    struct ow_endpoint src;  /* sender of this packet (ports host order) */
    struct ow_endpoint dst;
    uint8_t  l4_proto;       /* IPPROTO_* of the innermost header */
    uint8_t  tcp_flags;      /* TCP only */
    uint8_t  icmp_type;      /* ICMP/ICMPv6 only */
    uint8_t  icmp_code;
    uint32_t tcp_seq;        /* TCP only */
    uint16_t vlan_id;        /* innermost 802.1Q/802.1ad tag, 0 when untagged */
    uint16_t tunnels;        /* OW_TUNNEL_* bits */

    uint8_t  frag;           /* enum ow_frag_kind */
    uint32_t frag_id;        /* IPv4 identification or IPv6 fragment id */
    uint8_t  decode_event;   /* enum ow_decode_event: why a decode failed, 0 on success */
};

/* A flow's identity, the same for both directions: endpoint a is the lower one. */
struct ow_flow_key {
    uint8_t  family;
    uint8_t  l4_proto;
    uint16_t vlan_id;
    uint16_t port_a, port_b;
    uint8_t  addr_a[16], addr_b[16];
};

/* Builds the direction-independent key of pkt; *from_a tells whether pkt's sender is
 * endpoint a. ICMP flows use ports 0 so a request and its reply are one flow. */
void ow_flow_key_from_packet(const struct ow_packet *pkt, struct ow_flow_key *key, bool *from_a);

/* Hash of the key; equal for both directions by construction of the key. */
uint64_t ow_flow_key_hash(const struct ow_flow_key *key);

bool ow_flow_key_equal(const struct ow_flow_key *x, const struct ow_flow_key *y);

#endif
