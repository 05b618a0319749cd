/* decode_transport.c — owns the transport headers: TCP, UDP (with the GTP-U and CAPWAP
 * ports handed to the tunnels), SCTP and ICMP/ICMPv6, and where the payload lies. */
#include "sensor/decode_internal.h"

#include <netinet/in.h>

void owd_set_payload(struct ow_packet *pkt, uint32_t off, uint32_t end)
{
    if (off >= end) {
        pkt->payload_off = end;
        pkt->payload_len = 0;
    } else {
        pkt->payload_off = off;
        pkt->payload_len = end - off;
    }
}

/* off is the first byte after the IP headers, end the end of the IP packet as captured. */
enum ow_decode_status owd_transport(struct decoder *d, uint32_t off, uint32_t end)
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
        owd_set_payload(pkt, have(off, header_len, end) ? off + header_len : end, end);
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
        owd_set_payload(pkt, off + 8, udp_end);
        if ((pkt->src.port == GTPU_PORT || pkt->dst.port == GTPU_PORT) &&
            pkt->frag == OW_FRAG_NONE)
            return owd_gtpu(d, off + 8, udp_end);
        if ((pkt->src.port == CAPWAP_DATA_PORT || pkt->dst.port == CAPWAP_DATA_PORT) &&
            pkt->frag == OW_FRAG_NONE)
            return owd_capwap(d, off + 8, udp_end);
        return OW_DECODE_OK;
    }
    case IPPROTO_SCTP:
        if (!have(off, 12, end)) return fail(d, OW_DEV_SCTP_HEADER_SHORT);
        pkt->src.port = be16(f + off);
        pkt->dst.port = be16(f + off + 2);
        owd_set_payload(pkt, off + 12, end);
        return OW_DECODE_OK;
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6:
        if (!have(off, 2, end)) return fail(d, OW_DEV_ICMP_HEADER_SHORT);
        pkt->icmp_type = f[off];
        pkt->icmp_code = f[off + 1];
        owd_set_payload(pkt, off + 8, end);
        return OW_DECODE_OK;
    default:
        owd_set_payload(pkt, off, end);
        return OW_DECODE_OK;
    }
}
