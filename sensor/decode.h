/* decode.h — from a link-layer frame to an ow_packet: L2 (Ethernet, Linux SLL/SLL2, raw IP,
 * null/loopback, PPP, Cisco HDLC), VLAN/QinQ, MPLS, PPPoE, IPv4/IPv6 with extension headers,
 * IP fragments, GRE, IP-in-IP and GTP-U. Never reads past caplen. */
#ifndef OW_DECODE_H
#define OW_DECODE_H

#include <stdint.h>

#include "sensor/packet.h"

/* True when decode can read frames of this libpcap DLT_* link type. */
bool ow_decode_supports_dlt(int dlt);

/* Decodes frame[0..caplen) of link type dlt into *pkt (ts_us, caplen and wirelen must be set
 * by the caller beforehand). Returns OW_DECODE_OK when pkt holds an IP packet with its
 * addresses, protocol and, except for later fragments, ports. */
enum ow_decode_status ow_decode(int dlt, const uint8_t *frame, uint32_t caplen,
                                struct ow_packet *pkt);

#endif
