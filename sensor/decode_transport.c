/* decode_transport.c — the transport layer: TCP, UDP, ICMP, ICMPv6 and SCTP headers,
 * ports and payload, and the UDP ports that open tunnels (GTP-U, CAPWAP). */
#include "sensor/decode_internal.h"

void ow_dec_set_payload(struct ow_packet *pkt, uint32_t off, uint32_t end)
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
enum ow_decode_status ow_dec_transport(struct decoder *d, uint32_t off, uint32_t end)
{
    struct ow_packet *pkt = d->pkt;
    const uint8_t *f = d->frame;

    switch (pkt->l4_proto) {
    case IPPROTO_TCP: {
        if (!have(off, 20, end)) return OW_DECODE_MALFORMED;
        uint32_t header_len = (uint32_t)(f[off + 12] >> 4) * 4;
        if (header_len < 20) return OW_DECODE_MALFORMED;
        pkt->src.port = be16(f + off);
        pkt->dst.port = be16(f + off + 2);
        pkt->tcp_seq = be32(f + off + 4);
        pkt->tcp_flags = f[off + 13];
        /* Options cut off by the snap length still leave a usable header: no payload. */
        ow_dec_set_payload(pkt, have(off, header_len, end) ? off + header_len : end, end);
        return OW_DECODE_OK;
    }
    case IPPROTO_UDP: {
        if (!have(off, 8, end)) return OW_DECODE_MALFORMED;
        pkt->src.port = be16(f + off);
        pkt->dst.port = be16(f + off + 2);
        uint32_t udp_len = be16(f + off + 4);
        uint32_t udp_end = end;
        /* Trust the UDP length only when it shortens the datagram (0 means a jumbogram). */
        if (udp_len >= 8 && have(off, udp_len, end)) udp_end = off + udp_len;
        ow_dec_set_payload(pkt, off + 8, udp_end);
        if ((pkt->src.port == GTPU_PORT || pkt->dst.port == GTPU_PORT) &&
            pkt->frag == OW_FRAG_NONE)
            return ow_dec_gtpu(d, off + 8, udp_end);
        if ((pkt->src.port == CAPWAP_DATA_PORT || pkt->dst.port == CAPWAP_DATA_PORT) &&
            pkt->frag == OW_FRAG_NONE)
            return ow_dec_capwap(d, off + 8, udp_end);
        return OW_DECODE_OK;
    }
    case IPPROTO_SCTP:
        if (!have(off, 12, end)) return OW_DECODE_MALFORMED;
        pkt->src.port = be16(f + off);
        pkt->dst.port = be16(f + off + 2);
        ow_dec_set_payload(pkt, off + 12, end);
        return OW_DECODE_OK;
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6:
        if (!have(off, 2, end)) return OW_DECODE_MALFORMED;
        pkt->icmp_type = f[off];
        pkt->icmp_code = f[off + 1];
        ow_dec_set_payload(pkt, off + 8, end);
        return OW_DECODE_OK;
    default:
        ow_dec_set_payload(pkt, off, end);
        return OW_DECODE_OK;
    }
}
