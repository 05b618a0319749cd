/* li_x2x3.c — X2/X3 PDU validation (see docs/li-classifiers.md for the rules and sources). */
#include "classifiers/li/li_x2x3.h"

#include <string.h>

#include "classifiers/li/li_text.h"

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
static enum ow_parse check_fixed(const uint8_t *buf, size_t avail, struct ow_x2x3_pdu *pdu)
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

enum ow_parse ow_x2x3_parse(const uint8_t *buf, size_t avail, struct ow_x2x3_pdu *pdu)
{
    memset(pdu, 0, sizeof *pdu);
    enum ow_parse r = check_fixed(buf, avail, pdu);
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

/* ---- classifier entry ----------------------------------------------------------------
 * Evidence kept: count[0] complete X2 PDUs, count[1] complete X3 PDUs, count[2] complete
 * keep-alives; first: the type of the first data PDU, complete or not. */

static enum ow_parse x2x3_pdu(const uint8_t *buf, size_t avail, bool final, struct ow_pdu *out)
{
    (void)final;
    struct ow_x2x3_pdu p;
    enum ow_parse r = ow_x2x3_parse(buf, avail, &p);
    out->header_ok = p.header_ok;
    out->size = p.size;
    out->type = p.type;
    out->aux = p.payload_format;
    memcpy(out->bytes, p.xid, sizeof p.xid);
    out->a = p.target;
    out->a_len = p.target_len;
    return r;
}

static enum ow_parse x2x3_probe(int dir, const uint8_t *buf, size_t avail, bool final)
{
    (void)dir;
    struct ow_pdu p;
    memset(&p, 0, sizeof p);
    enum ow_parse r = x2x3_pdu(buf, avail, final, &p);
    return r == OW_PARSE_OK || p.header_ok ? OW_PARSE_OK : r;
}

static void x2x3_note(struct ow_cls_evidence *ev, int dir, const struct ow_pdu *p, bool complete)
{
    (void)dir;
    bool data = p->type == OW_X2X3_X2 || p->type == OW_X2X3_X3;
    if (complete)
        ev->count[p->type == OW_X2X3_X2 ? 0 : p->type == OW_X2X3_X3 ? 1 : 2]++;
    if (!data)
        return;
    if (!ev->first) {
        ev->first = (uint8_t)p->type;
        ow_li_uuid_text(ev->li.xid, sizeof ev->li.xid, p->bytes);
        ev->li.payload_format = (uint16_t)p->aux;
        ev->have_format = true;
    }
    if (p->a && !ev->li.target[0])
        ow_li_printable(ev->li.target, sizeof ev->li.target, p->a, p->a_len);
}

/* X2 or X3 by the majority of data PDUs (ties: the first); keep-alives never decide. */
static struct ow_cls_decision x2x3_decide(const struct ow_cls_evidence *ev, bool final)
{
    uint32_t x2 = ev->count[0], x3 = ev->count[1];
    uint8_t label = x2 != x3 ? (x2 > x3 ? OW_LI_X2 : OW_LI_X3)
                  : ev->first ? (ev->first == OW_X2X3_X2 ? OW_LI_X2 : OW_LI_X3) : OW_LI_NONE;
    return ow_cls_decide_li_stream(ev, label, x2 + x3, OW_LI_X2, final);
}

const struct ow_classifier ow_cls_x2x3 = {
    .name = "X2/X3 (ETSI TS 103 221-2)",
    .kind = OW_CLS_LI,
    .l4 = OW_CLS_TCP | OW_CLS_UDP,
    .probe = x2x3_probe,
    .parse = x2x3_pdu,
    .note = x2x3_note,
    .decide = x2x3_decide,
};
