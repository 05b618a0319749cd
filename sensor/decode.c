/* decode.c — owns the walk from a captured frame to the innermost IP packet and its
 * transport header. Every read goes through have(): a frame is hostile until proven
 * otherwise. The decisions (what counts as malformed, which tunnels are opened, where we
 * differ from ndpiReader 4.2) are written down in docs/decode.md. */
#include "sensor/decode.h"
#include "sensor/decode_internal.h"

#include <pcap/pcap.h>
#include <string.h>

/* libpcap maps LINKTYPE_RAW (101) to DLT_RAW when it reads a file; we also accept the
 * link-type number itself for callers that pass it through unmapped. */
#define LINKTYPE_RAW_NUMBER 101

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
        status = owd_ethernet(&d, 0, caplen);
        break;
    case DLT_LINUX_SLL:
        status = owd_linux_sll(&d, caplen);
        break;
    case DLT_LINUX_SLL2:
        status = owd_linux_sll2(&d, caplen);
        break;
    case DLT_RAW:
    case LINKTYPE_RAW_NUMBER:
        status = owd_ip(&d, 0, caplen);
        break;
    case DLT_IPV4:
        status = owd_ipv4(&d, 0, caplen);
        break;
    case DLT_IPV6:
        status = owd_ipv6(&d, 0, caplen);
        break;
    case DLT_NULL:
    case DLT_LOOP:
        status = owd_null(&d, caplen);
        break;
    case DLT_PPP:
    case DLT_PPP_SERIAL:
        status = owd_ppp_link(&d, 0, caplen);
        break;
    case DLT_PPP_WITH_DIR:
    case DLT_PPP_PPPD:
        status = owd_ppp_link(&d, 1, caplen);   /* a direction byte first */
        break;
    case DLT_PPP_ETHER:
        status = owd_pppoe_session(&d, 0, caplen);
        break;
    case DLT_C_HDLC:
        status = owd_chdlc(&d, 0, caplen);
        break;
    case DLT_C_HDLC_WITH_DIR:
        status = owd_chdlc(&d, 1, caplen);
        break;
    case DLT_IEEE802_11:
        status = owd_80211(&d, 0, caplen);
        break;
    case DLT_IEEE802_11_RADIO:
        status = owd_radiotap(&d, caplen);
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
