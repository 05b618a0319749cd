/* li_x2x3.c — X2/X3 PDU validation (see docs/li-classifiers.md for the rules and sources). */
#include "classifiers/li/li_x2x3.h"

#include <string.h>

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Checks the first payload byte against what its declared format must start with. */
static int payload_start_fits(uint16_t fmt, uint8_t b)
{
    switch (fmt) {
    case 5:  return (b >> 4) == 4;                 /* IPv4 */
    case 6:  return (b >> 4) == 6;                 /* IPv6 */
    case 8:  return (b >> 6) == 2;                 /* RTP version 2 */
    case 9:  return b >= 'A' && b <= 'Z';          /* SIP method or "SIP/2.0" */
    case 2:
    case 3:
    case 14: return b == 0x30 || (b & 0xE0) == 0xA0;   /* BER SEQUENCE or context constructed */
    default: return 1;
    }
}

/* Validates the fixed-header fields that are present in avail bytes, in order. */
static enum ow_li_parse check_fixed(const uint8_t *buf, size_t avail, struct ow_x2x3_pdu *pdu)
{
    if (avail >= 1 && buf[0] != 0x00)
        return OW_PARSE_BAD;
    if (avail >= 2 && (buf[1] < 1 || buf[1] > 15))
        return OW_PARSE_BAD;
    if (avail >= 3 && buf[2] != 0x00)
        return OW_PARSE_BAD;
    if (avail >= 4 && (buf[3] < OW_X2X3_X2 || buf[3] > OW_X2X3_KEEPALIVE_ACK))
        return OW_PARSE_BAD;
    if (avail >= 8) {
        uint32_t hlen = be32(buf + 4);
        if (hlen < OW_X2X3_FIXED_HDR || hlen > OW_X2X3_MAX_HDR)
            return OW_PARSE_BAD;
        pdu->hdr_len = hlen;
    }
    uint16_t type = avail >= 4 ? buf[3] : 0;
    int keepalive = type == OW_X2X3_KEEPALIVE || type == OW_X2X3_KEEPALIVE_ACK;
    if (avail >= 12) {
        uint32_t plen = be32(buf + 8);
        if (plen > OW_X2X3_MAX_PAYLOAD || (keepalive && plen != 0))
            return OW_PARSE_BAD;
        pdu->payload_len = plen;
    }
    if (avail >= 14) {
        uint16_t fmt = be16(buf + 12);
        if (keepalive ? fmt != 0 : (fmt < 1 || fmt > 16))
            return OW_PARSE_BAD;
    }
    if (avail >= 16) {
        uint16_t dir = be16(buf + 14);
        if (keepalive ? dir != 0 : (dir < 1 || dir > 5))
            return OW_PARSE_BAD;
    }
    if (avail < OW_X2X3_FIXED_HDR)
        return OW_PARSE_NEED_MORE;

    pdu->version = be16(buf);
    pdu->type = type;
    pdu->payload_format = be16(buf + 12);
    pdu->payload_dir = be16(buf + 14);
    memcpy(pdu->xid, buf + 16, 16);
    pdu->size = (size_t)pdu->hdr_len + pdu->payload_len;
    return OW_PARSE_OK;
}

enum ow_li_parse ow_x2x3_parse(const uint8_t *buf, size_t avail, struct ow_x2x3_pdu *pdu)
{
    memset(pdu, 0, sizeof *pdu);
    enum ow_li_parse r = check_fixed(buf, avail, pdu);
    if (r != OW_PARSE_OK)
        return r;

    /* The TLV walk must land exactly on the header length. */
    size_t pos = OW_X2X3_FIXED_HDR;
    while (pos < pdu->hdr_len) {
        if (pdu->hdr_len - pos < 4)
            return OW_PARSE_BAD;
        if (avail - pos < 4)
            return OW_PARSE_NEED_MORE;
        uint16_t type = be16(buf + pos);
        uint16_t len = be16(buf + pos + 2);
        if (type == 0 || type > OW_X2X3_MAX_TLV_TYPE)
            return OW_PARSE_BAD;
        if (len > pdu->hdr_len - pos - 4)
            return OW_PARSE_BAD;
        if (avail - pos - 4 < len)
            return OW_PARSE_NEED_MORE;
        if (type == OW_X2X3_TLV_TARGET && !pdu->target) {
            pdu->target = buf + pos + 4;
            pdu->target_len = len;
        }
        pos += 4 + (size_t)len;
    }
    pdu->header_ok = 1;

    if (pdu->payload_len > 0 && avail > pdu->hdr_len &&
        !payload_start_fits(pdu->payload_format, buf[pdu->hdr_len]))
        return OW_PARSE_BAD;
    return avail >= pdu->size ? OW_PARSE_OK : OW_PARSE_NEED_MORE;
}
