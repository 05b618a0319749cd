/* decode_internal.h — owns what the decode layers share: the decoder state, bounded reads,
 * the failure path that records a decode event, and each layer's entry points. Private to
 * sensor/decode*.c. */
#ifndef OW_DECODE_INTERNAL_H
#define OW_DECODE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "sensor/decode_events.h"
#include "sensor/packet.h"

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
    ETHERTYPE_FABRICPATH = 0x8903,  /* Cisco FabricPath: 2 bytes FTag/TTL, then Ethernet */
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
    enum ow_decode_event event;  /* why the last failing layer gave up */
};

/* Every failure goes through here so the reported event is the one that ended the decode;
 * a tunnel whose inner packet fails keeps the outer packet, and its status is then OK, so
 * the stale event is never read. */
static inline enum ow_decode_status fail(struct decoder *d, enum ow_decode_event ev)
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

/* A layer a tunnel hands its payload to. */
typedef enum ow_decode_status (*inner_fn)(struct decoder *d, uint32_t off, uint32_t end);

/* layer 2 (decode_l2.c) */
enum ow_decode_status owd_80211(struct decoder *d, uint32_t off, uint32_t end);
enum ow_decode_status owd_ppp(struct decoder *d, uint32_t off, uint32_t end);
enum ow_decode_status owd_pppoe_session(struct decoder *d, uint32_t off, uint32_t end);
enum ow_decode_status owd_ethertype(struct decoder *d, uint16_t type, uint32_t off,
                                    uint32_t end);
enum ow_decode_status owd_ethernet(struct decoder *d, uint32_t off, uint32_t end);
enum ow_decode_status owd_linux_sll(struct decoder *d, uint32_t end);
enum ow_decode_status owd_linux_sll2(struct decoder *d, uint32_t end);
enum ow_decode_status owd_null(struct decoder *d, uint32_t end);
enum ow_decode_status owd_chdlc(struct decoder *d, uint32_t off, uint32_t end);
enum ow_decode_status owd_ppp_link(struct decoder *d, uint32_t off, uint32_t end);
enum ow_decode_status owd_radiotap(struct decoder *d, uint32_t end);

/* IP (decode_ip.c) */
enum ow_decode_status owd_ipv4(struct decoder *d, uint32_t off, uint32_t end);
enum ow_decode_status owd_ipv6(struct decoder *d, uint32_t off, uint32_t end);
enum ow_decode_status owd_ip(struct decoder *d, uint32_t off, uint32_t end);

/* transport (decode_transport.c) */
void owd_set_payload(struct ow_packet *pkt, uint32_t off, uint32_t end);
enum ow_decode_status owd_transport(struct decoder *d, uint32_t off, uint32_t end);

/* tunnels (decode_tunnel.c) */
enum ow_decode_status owd_open_tunnel(struct decoder *d, uint16_t tunnel_bit, inner_fn inner,
                                      uint32_t off, uint32_t end);
enum ow_decode_status owd_gtpu(struct decoder *d, uint32_t off, uint32_t end);
enum ow_decode_status owd_capwap(struct decoder *d, uint32_t off, uint32_t end);
enum ow_decode_status owd_gre(struct decoder *d, uint32_t off, uint32_t end);

#endif
