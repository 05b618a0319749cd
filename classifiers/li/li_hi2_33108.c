/* li_hi2_33108.c — 33.108 / 101 671 IRI record validation (docs/li-classifiers.md). */
#include "classifiers/li/li_hi2_33108.h"

#include <string.h>

#include "classifiers/li/li_text.h"

static const uint8_t li_domain_prefix[] = { 0x04, 0x00, 0x02, 0x02 };
#define LIID_MAX_LEN 256

/* Checks the record at buf: [1..4] constructed, first child [0] OID 0.4.0.2.2.(1|4)...;
 * finds the LIID [1] among its children when they are complete. */
static enum ow_parse parse_record(const uint8_t *buf, size_t avail, struct ow_hi2_record *rec,
                                     size_t *size)
{
    struct ow_ber_hdr h;
    if (avail >= 1 && (buf[0] < 0xA1 || buf[0] > 0xA4))
        return OW_PARSE_BAD;
    enum ow_parse r = ow_ber_read_hdr(buf, avail, &h);
    if (r != OW_PARSE_OK)
        return r;
    if (!h.indefinite && (h.len < 8 || h.len > OW_HI2_MAX_LEN))
        return OW_PARSE_BAD;
    size_t pos = h.hdr_len;

    /* [0] OID, length 5..16, content 04 00 02 02 then 01 or 04 */
    if (avail - pos >= 1 && buf[pos] != 0x80)
        return OW_PARSE_BAD;
    if (avail - pos >= 2 && (buf[pos + 1] < 5 || buf[pos + 1] > 16))
        return OW_PARSE_BAD;
    for (size_t i = 0; i <= sizeof li_domain_prefix; i++) {
        if (avail - pos < 3 + i)
            return OW_PARSE_NEED_MORE;
        uint8_t b = buf[pos + 2 + i];
        if (i < sizeof li_domain_prefix ? b != li_domain_prefix[i] : (b != 1 && b != 4))
            return OW_PARSE_BAD;
    }
    if (!h.indefinite && (size_t)buf[pos + 1] + 2 > h.len)
        return OW_PARSE_BAD;
    if (rec->records == 0) {
        rec->record_type = (uint8_t)h.tag;
        rec->domain_arc = buf[pos + 2 + sizeof li_domain_prefix];
        rec->header_ok = 1;
    }

    r = ow_ber_element_check(buf, avail, size);
    if (r != OW_PARSE_OK)
        return r;

    /* Children are complete now: look for lawfulInterceptionIdentifier [1]. */
    size_t end = h.indefinite ? *size - 2 : *size;
    while (pos < end && rec->records == 0 && !rec->liid) {
        struct ow_ber_hdr c;
        size_t csize = 0;
        if (ow_ber_read_hdr(buf + pos, end - pos, &c) != OW_PARSE_OK ||
            ow_ber_element_size(buf + pos, end - pos, &csize) != OW_PARSE_OK)
            return OW_PARSE_BAD;
        if (c.cls == OW_BER_CLASS_CONTEXT && c.tag == 1 && !c.constructed &&
            c.len > 0 && c.len <= LIID_MAX_LEN) {
            rec->liid = buf + pos + c.hdr_len;
            rec->liid_len = c.len;
        }
        pos += csize;
    }
    rec->records++;
    return OW_PARSE_OK;
}

enum ow_parse ow_hi2_33108_parse(const uint8_t *buf, size_t avail, struct ow_hi2_record *rec)
{
    memset(rec, 0, sizeof *rec);
    if (avail >= 1 && buf[0] != 0x30)
        return parse_record(buf, avail, rec, &rec->size);

    /* IRISequence: SEQUENCE OF IRIContent */
    struct ow_ber_hdr h;
    enum ow_parse r = ow_ber_read_hdr(buf, avail, &h);
    if (r != OW_PARSE_OK)
        return r;
    if (!h.indefinite && (h.len < 10 || h.len > OW_HI2_MAX_LEN))
        return OW_PARSE_BAD;
    size_t end = h.indefinite ? SIZE_MAX : h.hdr_len + h.len;
    size_t pos = h.hdr_len;
    for (;;) {
        if (end != SIZE_MAX && pos == end)
            break;
        if (end == SIZE_MAX && avail - pos >= 2 && buf[pos] == 0 && buf[pos + 1] == 0) {
            pos += 2;
            break;
        }
        if (end == SIZE_MAX && avail - pos < 2)
            return OW_PARSE_NEED_MORE;
        size_t lim = end == SIZE_MAX || end > avail ? avail : end;
        size_t size = 0;
        r = parse_record(buf + pos, lim - pos, rec, &size);
        if (r == OW_PARSE_NEED_MORE && end != SIZE_MAX && end <= avail)
            return OW_PARSE_BAD;
        if (r != OW_PARSE_OK)
            return r;
        pos += size;
    }
    if (rec->records == 0)
        return OW_PARSE_BAD;
    rec->size = pos;
    return OW_PARSE_OK;
}

/* ---- classifier entry ----------------------------------------------------------------
 * Evidence kept: count[0] complete IRI records. */

static enum ow_parse hi2_pdu(const uint8_t *buf, size_t avail, bool final, struct ow_pdu *out)
{
    (void)final;
    struct ow_hi2_record r;
    enum ow_parse res = ow_hi2_33108_parse(buf, avail, &r);
    out->header_ok = r.header_ok;
    out->size = r.size;
    out->type = r.record_type;
    out->aux = r.records;
    out->a = r.liid;
    out->a_len = r.liid_len;
    return res;
}

static enum ow_parse hi2_probe(int dir, const uint8_t *buf, size_t avail, bool final)
{
    (void)dir;
    struct ow_pdu p;
    memset(&p, 0, sizeof p);
    enum ow_parse r = hi2_pdu(buf, avail, final, &p);
    return r == OW_PARSE_OK || p.header_ok ? OW_PARSE_OK : r;
}

static void hi2_note(struct ow_cls_evidence *ev, int dir, const struct ow_pdu *p, bool complete)
{
    (void)dir;
    if (complete)
        ev->count[0] += p->aux;
    ow_li_note_liid(ev, p->a, p->a_len, true);
}

static struct ow_cls_decision hi2_decide(const struct ow_cls_evidence *ev, bool final)
{
    return ow_cls_decide_li_stream(ev, OW_LI_HI2, ev->count[0], OW_LI_HI2, final);
}

const struct ow_classifier ow_cls_hi2_33108 = {
    .name = "HI2 IRI records (3GPP TS 33.108, ETSI TS 101 671)",
    .kind = OW_CLS_LI,
    .l4 = OW_CLS_TCP | OW_CLS_UDP,
    .probe = hi2_probe,
    .parse = hi2_pdu,
    .note = hi2_note,
    .decide = hi2_decide,
};
