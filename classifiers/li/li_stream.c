/* li_stream.c — per-flow LI classification: keeps the in-order prefix of each direction,
 * walks it PDU by PDU with the one parser whose header fitted first, and decides a label
 * with a confidence from what was parsed (rules in docs/li-classifiers.md). */
#include "classifiers/li/li_stream.h"

#include <stdlib.h>
#include <string.h>

#include "classifiers/li/li_hi2_33108.h"
#include "classifiers/li/li_ps_pdu.h"
#include "classifiers/li/li_text.h"
#include "classifiers/li/li_x2x3.h"
#include "classifiers/li/li_xml.h"
#include "classifiers/li/stream_prefix.h"
#include "sensor/alloc.h"

#define IPPROTO_TCP_NUM 6
#define IPPROTO_UDP_NUM 17

enum li_family {
    FAMILY_UNKNOWN = 0,
    FAMILY_X2X3,
    FAMILY_PS_PDU,
    FAMILY_HI2_33108,
    FAMILY_XML,
};

struct li_dir {
    struct ow_stream_prefix sp;
    uint8_t  family;          /* fixed by the first PDU whose header fitted */
    bool     rejected;        /* no parser fits the first bytes */
    bool     broken;          /* a later PDU broke: a near-miss, never LI */
    bool     done;            /* nothing more to parse (XML message found) */
    bool     partial;         /* the PDU at 'parsed' has a valid header and continues */
    uint32_t parsed;          /* offset of the next unparsed PDU */
    uint32_t need;            /* skip parsing until contiguous reaches this */
    uint32_t complete;        /* whole PDUs parsed */
};

struct ow_li_stream {
    uint8_t  l4_proto;
    bool     decided;
    struct ow_li_fields result;
    struct li_dir dir[2];

    /* Evidence over both directions. */
    uint32_t x2, x3, keepalives;
    uint8_t  first_x_type;    /* 1 or 2: the first X2/X3 data PDU, complete or not */
    uint32_t iri, cc, tri, hi1_ops, ps_other;
    uint8_t  first_ps_data;   /* enum ow_ps_payload of the first IRI/CC/HI1 PDU */
    uint32_t hi2_records;
    uint8_t  xml_kind;
    bool     xml_root;

    /* Fields, first seen wins (data PDUs before keep-alives for the LIID). */
    char     xid[40];
    char     liid[80];
    bool     liid_from_data;
    char     target[128];
    uint16_t payload_format;
    bool     have_format;

    uint8_t  buffers[];       /* per direction: OW_LI_MAX_BYTES data, then a fill bitmap */
};

#define DIR_BYTES (OW_LI_MAX_BYTES + OW_LI_MAX_BYTES / 8)

struct ow_li_stream *ow_li_stream_new(uint8_t l4_proto)
{
    struct ow_li_stream *st = ow_calloc(1, sizeof *st + 2 * DIR_BYTES);
    if (!st)
        return NULL;
    st->l4_proto = l4_proto;
    for (int d = 0; d < 2; d++) {
        uint8_t *base = st->buffers + (size_t)d * DIR_BYTES;
        ow_stream_prefix_init(&st->dir[d].sp, base, base + OW_LI_MAX_BYTES, OW_LI_MAX_BYTES);
    }
    if (l4_proto != IPPROTO_TCP_NUM && l4_proto != IPPROTO_UDP_NUM)
        st->decided = true;                   /* result stays all-zero: OW_LI_NONE */
    return st;
}

void ow_li_stream_free(struct ow_li_stream *st)
{
    free(st);
}

static void set_liid(struct ow_li_stream *st, const uint8_t *liid, size_t len, bool from_data)
{
    if (!liid || (st->liid[0] && (st->liid_from_data || !from_data)))
        return;
    ow_li_printable(st->liid, sizeof st->liid, liid, len);
    st->liid_from_data = from_data;
}

static void note_x2x3(struct ow_li_stream *st, const struct ow_x2x3_pdu *p, bool complete)
{
    bool data = p->type == OW_X2X3_X2 || p->type == OW_X2X3_X3;
    if (complete) {
        if (p->type == OW_X2X3_X2)
            st->x2++;
        else if (p->type == OW_X2X3_X3)
            st->x3++;
        else
            st->keepalives++;
    }
    if (!data)
        return;
    if (!st->first_x_type) {
        st->first_x_type = (uint8_t)p->type;
        ow_li_uuid_text(st->xid, sizeof st->xid, p->xid);
        st->payload_format = p->payload_format;
        st->have_format = true;
    }
    if (p->target && !st->target[0])
        ow_li_printable(st->target, sizeof st->target, p->target, p->target_len);
}

static void note_ps(struct ow_li_stream *st, const struct ow_ps_pdu *p, bool complete)
{
    bool data = p->payload == OW_PS_PAYLOAD_IRI || p->payload == OW_PS_PAYLOAD_CC ||
                p->payload == OW_PS_PAYLOAD_HI1;
    if (complete) {
        switch (p->payload) {
        case OW_PS_PAYLOAD_IRI: st->iri++; break;
        case OW_PS_PAYLOAD_CC:  st->cc++; break;
        case OW_PS_PAYLOAD_TRI: st->tri++; break;
        case OW_PS_PAYLOAD_HI1: st->hi1_ops++; break;
        default:                st->ps_other++; break;
        }
    }
    if (data && !st->first_ps_data)
        st->first_ps_data = p->payload;
    set_liid(st, p->liid, p->liid_len, data);
}

static void note_hi2(struct ow_li_stream *st, const struct ow_hi2_record *r, bool complete)
{
    if (complete)
        st->hi2_records += r->records;
    set_liid(st, r->liid, r->liid_len, true);
}

static void note_xml(struct ow_li_stream *st, const struct ow_xml_msg *m)
{
    st->xml_kind = m->kind;
    st->xml_root = m->root_seen;
    if (m->xid && !st->xid[0])
        ow_li_printable(st->xid, sizeof st->xid, m->xid, m->xid_len);
    if (m->target && !st->target[0])
        ow_li_printable(st->target, sizeof st->target, m->target, m->target_len);
}

/* Runs one family's parser at buf; fills *size (0 when unknown) and *header_ok and notes
 * the evidence of a complete or header-complete PDU. */
static enum ow_li_parse parse_one(struct ow_li_stream *st, uint8_t family, const uint8_t *buf,
                                  size_t avail, bool final, size_t *size, bool *header_ok)
{
    enum ow_li_parse r = OW_PARSE_BAD;
    *size = 0;
    *header_ok = false;
    switch (family) {
    case FAMILY_X2X3: {
        struct ow_x2x3_pdu p;
        r = ow_x2x3_parse(buf, avail, &p);
        *header_ok = p.header_ok;
        *size = p.size;
        if (r != OW_PARSE_BAD && p.header_ok)
            note_x2x3(st, &p, r == OW_PARSE_OK);
        break;
    }
    case FAMILY_PS_PDU: {
        struct ow_ps_pdu p;
        r = ow_ps_pdu_parse(buf, avail, &p);
        *header_ok = p.header_ok;
        *size = p.size;
        if (r != OW_PARSE_BAD && p.header_ok)
            note_ps(st, &p, r == OW_PARSE_OK);
        break;
    }
    case FAMILY_HI2_33108: {
        struct ow_hi2_record p;
        r = ow_hi2_33108_parse(buf, avail, &p);
        *header_ok = p.header_ok;
        *size = p.size;
        if (r != OW_PARSE_BAD && p.header_ok)
            note_hi2(st, &p, r == OW_PARSE_OK);
        break;
    }
    case FAMILY_XML: {
        struct ow_xml_msg m;
        r = ow_xml_parse(buf, avail, final, &m);
        *header_ok = r == OW_PARSE_OK;
        *size = avail;
        if (r == OW_PARSE_OK)
            note_xml(st, &m);
        break;
    }
    default:
        break;
    }
    return r;
}

/* First bytes of a direction: which family fits? Probing does not note evidence; the
 * family found is parsed again for real. */
static uint8_t probe_family(const uint8_t *buf, size_t avail, bool final, bool *all_bad)
{
    struct ow_x2x3_pdu x;
    struct ow_ps_pdu ps;
    struct ow_hi2_record hi2;
    struct ow_xml_msg xml;
    enum ow_li_parse r;
    bool bad = true;

    r = ow_x2x3_parse(buf, avail, &x);
    if (r == OW_PARSE_OK || x.header_ok)
        return FAMILY_X2X3;
    bad &= r == OW_PARSE_BAD;
    r = ow_ps_pdu_parse(buf, avail, &ps);
    if (r == OW_PARSE_OK || ps.header_ok)
        return FAMILY_PS_PDU;
    bad &= r == OW_PARSE_BAD;
    r = ow_hi2_33108_parse(buf, avail, &hi2);
    if (r == OW_PARSE_OK || hi2.header_ok)
        return FAMILY_HI2_33108;
    bad &= r == OW_PARSE_BAD;
    r = ow_xml_parse(buf, avail, final, &xml);
    if (r == OW_PARSE_OK || xml.kind != OW_XML_NONE)
        return FAMILY_XML;
    bad &= r == OW_PARSE_BAD;
    *all_bad = bad;
    return FAMILY_UNKNOWN;
}

static void analyze_dir(struct ow_li_stream *st, struct li_dir *d, bool final)
{
    uint32_t have = d->sp.contiguous;
    bool full = ow_stream_prefix_full(&d->sp);

    if (d->rejected || d->broken || d->done)
        return;
    if (have < d->need && !final && !full)
        return;
    d->need = 0;
    while (d->parsed < have) {
        const uint8_t *buf = d->sp.data + d->parsed;
        size_t avail = have - d->parsed;
        bool last = final || full;

        if (d->family == FAMILY_UNKNOWN) {
            bool all_bad = false;
            d->family = probe_family(buf, avail, last, &all_bad);
            if (d->family == FAMILY_UNKNOWN) {
                d->rejected = all_bad;
                return;
            }
        }
        size_t size = 0;
        bool header_ok = false;
        enum ow_li_parse r = parse_one(st, d->family, buf, avail, last, &size, &header_ok);
        if (r == OW_PARSE_BAD) {
            if (d->complete == 0 && !header_ok && d->family == FAMILY_XML)
                d->rejected = true;
            else
                d->broken = true;
            return;
        }
        if (r == OW_PARSE_NEED_MORE) {
            d->partial = header_ok;
            if (header_ok && size > avail) {
                /* The rest of this PDU is payload: parse again when it is all here. */
                uint64_t want = (uint64_t)d->parsed + size;
                d->need = want > OW_LI_MAX_BYTES ? OW_LI_MAX_BYTES : (uint32_t)want;
            }
            return;
        }
        d->partial = false;
        d->complete++;
        if (d->family == FAMILY_XML) {
            d->done = true;
            return;
        }
        if (size == 0 || size > avail) {      /* parsers never do this; refuse to loop */
            d->broken = true;
            return;
        }
        d->parsed += (uint32_t)size;
    }
}

static uint8_t flow_family(const struct ow_li_stream *st)
{
    for (int i = 0; i < 2; i++)
        if (st->dir[i].family != FAMILY_UNKNOWN)
            return st->dir[i].family;
    return FAMILY_UNKNOWN;
}

static void decide(struct ow_li_stream *st, uint8_t label, uint8_t confidence)
{
    struct ow_li_fields *f = &st->result;
    memset(f, 0, sizeof *f);
    st->decided = true;
    if (label == OW_LI_NONE)
        return;
    f->label = label;
    f->confidence = confidence;
    memcpy(f->xid, st->xid, sizeof f->xid);
    memcpy(f->liid, st->liid, sizeof f->liid);
    memcpy(f->target, st->target, sizeof f->target);
    f->payload_format = st->have_format ? st->payload_format : 0;
    for (int i = 0; i < 2; i++)
        f->pdu_count += st->dir[i].complete + (st->dir[i].partial ? 1 : 0);
}

/* The data label the evidence points to, OW_LI_NONE when only keep-alives were seen. */
static uint8_t data_label(const struct ow_li_stream *st, uint8_t family)
{
    switch (family) {
    case FAMILY_X2X3:
        if (st->x2 != st->x3)
            return st->x2 > st->x3 ? OW_LI_X2 : OW_LI_X3;
        if (st->first_x_type)
            return st->first_x_type == OW_X2X3_X2 ? OW_LI_X2 : OW_LI_X3;
        return OW_LI_NONE;
    case FAMILY_PS_PDU:
        switch (st->first_ps_data) {
        case OW_PS_PAYLOAD_IRI: return OW_LI_HI2;
        case OW_PS_PAYLOAD_CC:  return OW_LI_HI3;
        case OW_PS_PAYLOAD_HI1: return OW_LI_HI1;
        default:                return OW_LI_NONE;
        }
    case FAMILY_HI2_33108:
        return OW_LI_HI2;
    case FAMILY_XML:
        return st->xml_kind == OW_XML_X1 ? OW_LI_X1 : st->xml_kind == OW_XML_HI1 ? OW_LI_HI1
                                                                                 : OW_LI_NONE;
    default:
        return OW_LI_NONE;
    }
}

/* Evaluates the evidence; with final set it must decide. */
static void evaluate(struct ow_li_stream *st, bool final)
{
    struct li_dir *d0 = &st->dir[0], *d1 = &st->dir[1];

    if (d0->broken || d1->broken) {
        decide(st, OW_LI_NONE, 0);
        return;
    }
    uint8_t family = flow_family(st);
    if (family == FAMILY_UNKNOWN) {
        bool dead0 = d0->rejected || d0->sp.contiguous == 0;
        bool dead1 = d1->rejected || d1->sp.contiguous == 0;
        if (final || (dead0 && dead1 && (d0->rejected || d1->rejected)))
            decide(st, OW_LI_NONE, 0);
        return;
    }

    uint32_t complete = d0->complete + d1->complete;
    bool partial = d0->partial || d1->partial;
    bool full = (d0->family && ow_stream_prefix_full(&d0->sp)) ||
                (d1->family && ow_stream_prefix_full(&d1->sp));
    uint8_t label = data_label(st, family);

    if (family == FAMILY_XML) {
        if (label != OW_LI_NONE)
            decide(st, label, st->xml_root ? 95 : 75);
        else if (final)
            decide(st, OW_LI_NONE, 0);
        return;
    }

    uint32_t data_complete = st->x2 + st->x3 + st->iri + st->cc + st->hi1_ops + st->hi2_records;
    if (label != OW_LI_NONE && data_complete > 0 && complete >= 2) {
        decide(st, label, 95);
        return;
    }
    if (label != OW_LI_NONE && full) {
        decide(st, label, data_complete > 0 ? 85 : 70);
        return;
    }
    if (!final && !full)
        return;

    /* The flow is over, or a full window will teach nothing more: decide on what was seen. */
    if (label != OW_LI_NONE && data_complete > 0) {
        decide(st, label, partial ? 70 : 80);
        return;
    }
    if (label == OW_LI_NONE && complete > 0) {
        /* Keep-alives only: an LI connection without a data PDU to tell X2 from X3 or HI2
         * from HI3; reported under the IRI label with a low confidence. */
        uint8_t fallback = family == FAMILY_X2X3 ? OW_LI_X2 : OW_LI_HI2;
        decide(st, fallback, complete >= 2 ? 40 : 30);
        return;
    }
    decide(st, OW_LI_NONE, 0);            /* only a cut-off PDU: a near-miss looks the same */
}

void ow_li_stream_add(struct ow_li_stream *st, int dir, uint32_t seq, bool syn,
                      const uint8_t *data, uint32_t len)
{
    if (!st || st->decided || dir < 0 || dir > 1)
        return;
    struct li_dir *d = &st->dir[dir];
    uint32_t before = d->sp.contiguous;
    if (st->l4_proto == IPPROTO_TCP_NUM)
        ow_stream_prefix_add_tcp(&d->sp, seq, syn, data, len);
    else
        ow_stream_prefix_add_datagram(&d->sp, data, len);
    if (d->sp.contiguous == before)
        return;
    analyze_dir(st, d, false);
    evaluate(st, false);
}

enum ow_li_state ow_li_stream_result(struct ow_li_stream *st, struct ow_li_fields *out)
{
    if (!st || !st->decided)
        return OW_LI_PENDING;
    if (out)
        *out = st->result;
    return OW_LI_DECIDED;
}

void ow_li_stream_finish(struct ow_li_stream *st, struct ow_li_fields *out)
{
    if (!st) {
        if (out)
            memset(out, 0, sizeof *out);
        return;
    }
    if (!st->decided) {
        analyze_dir(st, &st->dir[0], true);
        analyze_dir(st, &st->dir[1], true);
        evaluate(st, true);
    }
    if (out)
        *out = st->result;
}
