/* decode_internal.h — what the decoder's layers share: the walk's state, bounds-checked
 * reads, the numbers of the headers they recognise, and each layer's entry points.
 * decode_l2.c (link layers), decode_ip.c, decode_tunnel.c and decode_transport.c each
 * own one layer; decode.c is the public entry. Not for use outside sensor/decode*.c. */
#ifndef OW_DECODE_INTERNAL_H
#define OW_DECODE_INTERNAL_H

#include "sensor/decode.h"

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
    GRE_PROTO_WCCP = 0x883e,        /* WCCP redirect: 4-byte header, then IPv4 */
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
};

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

enum ow_decode_status ow_dec_80211(struct decoder *d, uint32_t off, uint32_t end);
enum ow_decode_status ow_dec_capwap(struct decoder *d, uint32_t off, uint32_t end);
enum ow_decode_status ow_dec_chdlc(struct decoder *d, uint32_t off, uint32_t end);
enum ow_decode_status ow_dec_ethernet(struct decoder *d, uint32_t off, uint32_t end);
enum ow_decode_status ow_dec_ethertype(struct decoder *d, uint16_t type, uint32_t off,
                                       uint32_t end);
enum ow_decode_status ow_dec_gtpu(struct decoder *d, uint32_t off, uint32_t end);
enum ow_decode_status ow_dec_ip(struct decoder *d, uint32_t off, uint32_t end);
enum ow_decode_status ow_dec_ip_payload(struct decoder *d, uint32_t off, uint32_t end);
enum ow_decode_status ow_dec_ipv4(struct decoder *d, uint32_t off, uint32_t end);
enum ow_decode_status ow_dec_ipv6(struct decoder *d, uint32_t off, uint32_t end);
enum ow_decode_status ow_dec_linux_sll(struct decoder *d, uint32_t end);
enum ow_decode_status ow_dec_linux_sll2(struct decoder *d, uint32_t end);
enum ow_decode_status ow_dec_null(struct decoder *d, uint32_t end);
enum ow_decode_status ow_dec_ppp(struct decoder *d, uint32_t off, uint32_t end);
enum ow_decode_status ow_dec_ppp_link(struct decoder *d, uint32_t off, uint32_t end);
enum ow_decode_status ow_dec_ppp_protocol(struct decoder *d, uint32_t off, uint32_t end);
enum ow_decode_status ow_dec_pppoe_session(struct decoder *d, uint32_t off, uint32_t end);
enum ow_decode_status ow_dec_radiotap(struct decoder *d, uint32_t end);
enum ow_decode_status ow_dec_transport(struct decoder *d, uint32_t off, uint32_t end);
void ow_dec_set_payload(struct ow_packet *pkt, uint32_t off, uint32_t end);

#endif
