/* decode.c — the public entry of the walk from a captured frame to the innermost IP packet
 * and its transport header: which link types are read, and where each one starts. Every
 * read goes through have(): a frame is hostile until proven otherwise. The decisions (what
 * counts as malformed, which tunnels are opened, where we differ from ndpiReader 4.2) are
 * written down in docs/decode.md. */
#include "sensor/decode_internal.h"

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

    if (frame == NULL) return OW_DECODE_MALFORMED;
    struct decoder d = { .frame = frame, .pkt = pkt, .depth = 0 };
    enum ow_decode_status status;

    switch (dlt) {
    case DLT_EN10MB:
        status = ow_dec_ethernet(&d, 0, caplen);
        break;
    case DLT_LINUX_SLL:
        status = ow_dec_linux_sll(&d, caplen);
        break;
    case DLT_LINUX_SLL2:
        status = ow_dec_linux_sll2(&d, caplen);
        break;
    case DLT_RAW:
    case LINKTYPE_RAW_NUMBER:
        status = ow_dec_ip(&d, 0, caplen);
        break;
    case DLT_IPV4:
        status = ow_dec_ipv4(&d, 0, caplen);
        break;
    case DLT_IPV6:
        status = ow_dec_ipv6(&d, 0, caplen);
        break;
    case DLT_NULL:
    case DLT_LOOP:
        status = ow_dec_null(&d, caplen);
        break;
    case DLT_PPP:
    case DLT_PPP_SERIAL:
        status = ow_dec_ppp_link(&d, 0, caplen);
        break;
    case DLT_PPP_WITH_DIR:
    case DLT_PPP_PPPD:
        status = ow_dec_ppp_link(&d, 1, caplen);   /* a direction byte first */
        break;
    case DLT_PPP_ETHER:
        status = ow_dec_pppoe_session(&d, 0, caplen);
        break;
    case DLT_C_HDLC:
        status = ow_dec_chdlc(&d, 0, caplen);
        break;
    case DLT_C_HDLC_WITH_DIR:
        status = ow_dec_chdlc(&d, 1, caplen);
        break;
    case DLT_IEEE802_11:
        status = ow_dec_80211(&d, 0, caplen);
        break;
    case DLT_IEEE802_11_RADIO:
        status = ow_dec_radiotap(&d, caplen);
        break;
    default:
        status = OW_DECODE_UNSUPPORTED;
        break;
    }

    if (status != OW_DECODE_OK) {
        /* Nothing half-decoded leaks to a caller that forgets to check the status. */
        memset(pkt, 0, sizeof *pkt);
        pkt->ts_us = ts_us;
        pkt->caplen = pkt_caplen;
        pkt->wirelen = wirelen;
    }
    return status;
}
