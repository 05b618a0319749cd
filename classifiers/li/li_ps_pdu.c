/* li_ps_pdu.c — PS-PDU validation (see docs/li-classifiers.md for the rules and sources). */
#include "classifiers/li/li_ps_pdu.h"

#include <string.h>

#include "classifiers/li/li_text.h"

#define LIID_MAX_LEN 256

static const uint8_t li_ps_oid_prefix[] = { 0x04, 0x00, 0x02, 0x02, 0x05, 0x01 };

/* Reads a header and insists on its identifier octet; NEED_MORE stays NEED_MORE. */
static enum ow_parse expect_hdr(const uint8_t *buf, size_t avail, uint8_t ident,
                                   struct ow_ber_hdr *h)
{
    if (avail >= 1 && buf[0] != ident)
        return OW_PARSE_BAD;
    return ow_ber_read_hdr(buf, avail, h);
}

/* End offset of a constructed element starting at start, or SIZE_MAX when indefinite. */
static size_t content_end(size_t start, const struct ow_ber_hdr *h)
{
    return h->indefinite ? SIZE_MAX : start + h->hdr_len + h->len;
}

/* Checks the li-psDomainId [0] at pos; the bytes present must match the prefix. */
static enum ow_parse check_domain_id(const uint8_t *buf, size_t avail, size_t pos,
                                        struct ow_ps_pdu *pdu, size_t *next)
{
    if (avail - pos >= 1 && buf[pos] != 0x80)
        return OW_PARSE_BAD;
    if (avail - pos >= 2 && buf[pos + 1] != 7 && buf[pos + 1] != 8)
        return OW_PARSE_BAD;
    for (size_t i = 0; i < sizeof li_ps_oid_prefix; i++) {
        if (avail - pos < 3 + i)
            return OW_PARSE_NEED_MORE;
        if (buf[pos + 2 + i] != li_ps_oid_prefix[i])
            return OW_PARSE_BAD;
    }
    size_t len = buf[pos + 1];
    if (avail - pos < 2 + len)
        return OW_PARSE_NEED_MORE;
    pdu->version = buf[pos + 2 + sizeof li_ps_oid_prefix];
    *next = pos + 2 + len;
    return OW_PARSE_OK;
}

static uint8_t payload_kind(const struct ow_ber_hdr *h)
{
    if (h->cls != OW_BER_CLASS_CONTEXT || !h->constructed)
        return OW_PS_PAYLOAD_OTHER;
    switch (h->tag) {
    case 0:  return OW_PS_PAYLOAD_IRI;
    case 1:  return OW_PS_PAYLOAD_CC;
    case 2:  return OW_PS_PAYLOAD_TRI;
    case 3:
    case 5:  return OW_PS_PAYLOAD_HI1;
    default: return OW_PS_PAYLOAD_OTHER;
    }
}

/* Walks the PSHeader's children after the domain id, up to its end; sets the LIID. */
static enum ow_parse walk_header(const uint8_t *buf, size_t avail, size_t pos, size_t end,
                                    struct ow_ps_pdu *pdu, size_t *next)
{
    int first = 1;
    for (;;) {
        if (end != SIZE_MAX && pos == end) {
            *next = pos;
            break;
        }
        if (end == SIZE_MAX && avail - pos >= 2 && buf[pos] == 0 && buf[pos + 1] == 0) {
            *next = pos + 2;
            break;
        }
        if (avail - pos < 1 || (end == SIZE_MAX && avail - pos < 2 && buf[pos] == 0))
            return OW_PARSE_NEED_MORE;
        struct ow_ber_hdr h;
        enum ow_parse r = ow_ber_read_hdr(buf + pos, avail - pos, &h);
        if (r != OW_PARSE_OK)
            return r;
        if (h.cls != OW_BER_CLASS_CONTEXT)
            return OW_PARSE_BAD;
        if (first) {
            /* lawfulInterceptionIdentifier [1] follows the domain id. */
            if (h.tag != 1 || h.constructed || h.len == 0 || h.len > LIID_MAX_LEN)
                return OW_PARSE_BAD;
            if (end != SIZE_MAX && h.hdr_len + h.len > end - pos)
                return OW_PARSE_BAD;
            pdu->liid = buf + pos + h.hdr_len;
            pdu->liid_len = h.len;
            first = 0;
        }
        size_t size = 0;
        r = ow_ber_element_check(buf + pos, end == SIZE_MAX ? avail - pos
                                 : (end - pos < avail - pos ? end - pos : avail - pos), &size);
        if (r == OW_PARSE_NEED_MORE && end != SIZE_MAX && end <= avail)
            return OW_PARSE_BAD;              /* the child overruns the header */
        if (r != OW_PARSE_OK)
            return r;
        pos += size;
    }
    if (!pdu->liid)
        return OW_PARSE_BAD;
    return OW_PARSE_OK;
}

enum ow_parse ow_ps_pdu_parse(const uint8_t *buf, size_t avail, struct ow_ps_pdu *pdu)
{
    struct ow_ber_hdr outer, hdr, payload, choice;
    enum ow_parse r;

    memset(pdu, 0, sizeof *pdu);
    r = expect_hdr(buf, avail, 0x30, &outer);
    if (r != OW_PARSE_OK)
        return r;
    if (!outer.indefinite && (outer.len < 16 || outer.len > OW_PS_PDU_MAX_LEN))
        return OW_PARSE_BAD;
    size_t pdu_end = content_end(0, &outer);
    if (pdu_end != SIZE_MAX)
        pdu->size = pdu_end;                  /* known early so a caller can wait for it */
    size_t pos = outer.hdr_len;

    /* pSHeader [1] */
    r = expect_hdr(buf + pos, avail - pos, 0xA1, &hdr);
    if (r != OW_PARSE_OK)
        return r;
    size_t hdr_end = content_end(pos, &hdr);
    if (hdr_end != SIZE_MAX && hdr_end > pdu_end)
        return OW_PARSE_BAD;
    if (hdr_end == SIZE_MAX && pdu_end != SIZE_MAX)
        return OW_PARSE_BAD;                  /* indefinite inside definite is not BER */
    pos += hdr.hdr_len;

    size_t next = 0;
    r = check_domain_id(buf, avail, pos, pdu, &next);
    if (r != OW_PARSE_OK)
        return r;
    if (hdr_end != SIZE_MAX && next > hdr_end)
        return OW_PARSE_BAD;
    r = walk_header(buf, avail, next, hdr_end, pdu, &pos);
    if (r != OW_PARSE_OK)
        return r;
    if (pdu_end != SIZE_MAX && pos >= pdu_end)
        return OW_PARSE_BAD;                  /* no room left for the payload */

    /* payload [2]: one CHOICE element */
    r = expect_hdr(buf + pos, avail - pos, 0xA2, &payload);
    if (r != OW_PARSE_OK)
        return r;
    size_t payload_start = pos;
    size_t payload_end = content_end(pos, &payload);
    if (payload_end != SIZE_MAX && pdu_end != SIZE_MAX && payload_end != pdu_end)
        return OW_PARSE_BAD;                  /* the payload must close the PDU */
    if (payload_end == SIZE_MAX && pdu_end != SIZE_MAX)
        return OW_PARSE_BAD;
    pos += payload.hdr_len;
    r = ow_ber_read_hdr(buf + pos, avail - pos, &choice);
    if (r != OW_PARSE_OK)
        return r;
    pdu->payload = payload_kind(&choice);
    pdu->header_ok = 1;

    size_t size = 0;
    r = ow_ber_element_check(buf + payload_start, avail - payload_start, &size);
    if (r == OW_PARSE_NEED_MORE && payload_end != SIZE_MAX && payload_end <= avail)
        return OW_PARSE_BAD;
    if (r != OW_PARSE_OK)
        return r;
    /* The CHOICE must fill the payload element alone. */
    size_t inner = 0;
    enum ow_parse ri = ow_ber_element_size(buf + pos, avail - pos, &inner);
    if (ri != OW_PARSE_OK)
        return OW_PARSE_BAD;
    size_t inner_end = pos + inner + (payload.indefinite ? 2 : 0);
    if (inner_end != payload_start + size)
        return OW_PARSE_BAD;
    pos = payload_start + size;

    if (pdu_end == SIZE_MAX) {
        if (avail - pos < 2)
            return OW_PARSE_NEED_MORE;
        if (buf[pos] != 0 || buf[pos + 1] != 0)
            return OW_PARSE_BAD;
        pos += 2;
    }
    if (pdu_end != SIZE_MAX && pos != pdu_end)
        return OW_PARSE_BAD;
    pdu->size = pos;
    return OW_PARSE_OK;
}

/* ---- classifier entry ----------------------------------------------------------------
 * Evidence kept: count[0..4] complete PDUs carrying IRI, CC, TRI, HI1 operations and other
 * payloads; first: the payload of the first IRI, CC or HI1 PDU, complete or not. */

static enum ow_parse ps_pdu(const uint8_t *buf, size_t avail, bool final, struct ow_pdu *out)
{
    (void)final;
    struct ow_ps_pdu p;
    enum ow_parse r = ow_ps_pdu_parse(buf, avail, &p);
    out->header_ok = p.header_ok;
    out->size = p.size;
    out->type = p.payload;
    out->a = p.liid;
    out->a_len = p.liid_len;
    return r;
}

static enum ow_parse ps_probe(int dir, const uint8_t *buf, size_t avail, bool final)
{
    (void)dir;
    struct ow_pdu p;
    memset(&p, 0, sizeof p);
    enum ow_parse r = ps_pdu(buf, avail, final, &p);
    return r == OW_PARSE_OK || p.header_ok ? OW_PARSE_OK : r;
}

static void ps_note(struct ow_cls_evidence *ev, int dir, const struct ow_pdu *p, bool complete)
{
    (void)dir;
    bool data = p->type == OW_PS_PAYLOAD_IRI || p->type == OW_PS_PAYLOAD_CC ||
                p->type == OW_PS_PAYLOAD_HI1;
    if (complete) {
        switch (p->type) {
        case OW_PS_PAYLOAD_IRI: ev->count[0]++; break;
        case OW_PS_PAYLOAD_CC:  ev->count[1]++; break;
        case OW_PS_PAYLOAD_TRI: ev->count[2]++; break;
        case OW_PS_PAYLOAD_HI1: ev->count[3]++; break;
        default:                ev->count[4]++; break;
        }
    }
    if (data && !ev->first)
        ev->first = (uint8_t)p->type;
    ow_li_note_liid(ev, p->a, p->a_len, data);
}

/* HI2, HI3 or HI1 by the first data PDU; TRI keep-alives never decide. */
static struct ow_cls_decision ps_decide(const struct ow_cls_evidence *ev, bool final)
{
    uint8_t label = ev->first == OW_PS_PAYLOAD_IRI ? OW_LI_HI2
                  : ev->first == OW_PS_PAYLOAD_CC  ? OW_LI_HI3
                  : ev->first == OW_PS_PAYLOAD_HI1 ? OW_LI_HI1 : OW_LI_NONE;
    return ow_cls_decide_li_stream(ev, label, ev->count[0] + ev->count[1] + ev->count[3],
                                   OW_LI_HI2, final);
}

const struct ow_classifier ow_cls_ps_pdu = {
    .name = "HI2/HI3 PS-PDU (ETSI TS 102 232-1)",
    .kind = OW_CLS_LI,
    .l4 = OW_CLS_TCP | OW_CLS_UDP,
    .probe = ps_probe,
    .parse = ps_pdu,
    .note = ps_note,
    .decide = ps_decide,
};
