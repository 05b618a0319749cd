/* proto_stream.c — per-flow classification: keeps the in-order prefix of each direction
 * (and, for UDP, where each datagram ends), lets every classifier of the table probe a
 * direction's first bytes, walks the direction PDU by PDU with the one whose probe said yes
 * first, and asks that classifier to decide (rules in docs/li-classifiers.md and
 * docs/om-classifiers.md). */
#include "classifiers/proto_stream.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "classifiers/classifier.h"
#include "classifiers/stream_prefix.h"
#include "common/alloc.h"


struct cls_dir {
    struct ow_stream_prefix sp;
    uint8_t  family;          /* 1 + table index of the classifier that claimed it; 0: none yet */
    bool     rejected;        /* no classifier fits the first bytes */
    bool     broken;          /* a later PDU broke: a near-miss, never labelled */
    bool     done;            /* nothing more to parse here */
    bool     partial;         /* the PDU at 'parsed' has a valid header and continues */
    bool     dgram_overflow;  /* UDP: more datagrams came than are tracked */
    uint32_t parsed;          /* offset of the next unparsed PDU */
    uint32_t need;            /* skip parsing until contiguous reaches this */
    uint32_t complete;        /* whole PDUs parsed */
    uint16_t n_dgrams, cur;   /* UDP: datagrams tracked, the one holding 'parsed' */
    uint16_t dgram_end[OW_PROTO_MAX_DATAGRAMS];
};

struct ow_proto_stream {
    uint8_t  l4_proto;
    uint8_t  l4_bit;          /* OW_CLS_TCP or OW_CLS_UDP */
    bool     decided;
    struct ow_proto_result result;
    struct ow_cls_evidence ev;
    struct cls_dir dir[2];
    uint8_t  buffers[];       /* per direction: OW_PROTO_MAX_BYTES data, then a fill bitmap */
};

#define DIR_BYTES (OW_PROTO_MAX_BYTES + OW_PROTO_MAX_BYTES / 8)

struct ow_proto_stream *ow_proto_stream_new(uint8_t l4_proto)
{
    struct ow_proto_stream *st = ow_calloc(1, sizeof *st + 2 * DIR_BYTES);
    if (!st)
        return NULL;
    st->l4_proto = l4_proto;
    st->l4_bit = l4_proto == IPPROTO_TCP ? OW_CLS_TCP : l4_proto == IPPROTO_UDP ? OW_CLS_UDP : 0;
    for (int d = 0; d < 2; d++) {
        uint8_t *base = st->buffers + (size_t)d * DIR_BYTES;
        ow_stream_prefix_init(&st->dir[d].sp, base, base + OW_PROTO_MAX_BYTES, OW_PROTO_MAX_BYTES);
    }
    if (!st->l4_bit)
        st->decided = true;                   /* result stays all-zero: no label */
    return st;
}

void ow_proto_stream_free(struct ow_proto_stream *st)
{
    free(st);
}

static bool dir_full(const struct cls_dir *d)
{
    return ow_stream_prefix_full(&d->sp) || d->dgram_overflow;
}

/* First bytes of a direction: which classifier claims them? 0 when none (yet); *all_bad
 * when every one refused them. */
static uint8_t probe(const struct ow_proto_stream *st, int dir, const uint8_t *buf, size_t avail,
                     bool final, bool *all_bad)
{
    bool bad = true;
    for (size_t i = 0; i < ow_classifier_count; i++) {
        const struct ow_classifier *c = ow_classifier_table[i];
        if (!(c->l4 & st->l4_bit))
            continue;
        enum ow_parse r = c->probe(dir, buf, avail, final);
        if (r == OW_PARSE_OK)
            return (uint8_t)(i + 1);
        bad &= r == OW_PARSE_BAD;
    }
    *all_bad = bad;
    return 0;
}

static void analyze_dir(struct ow_proto_stream *st, int dn, bool final)
{
    struct cls_dir *d = &st->dir[dn];
    struct ow_cls_evidence *ev = &st->ev;
    uint32_t have = d->sp.contiguous;
    bool full = dir_full(d);
    bool udp = st->l4_proto == IPPROTO_UDP;

    if (d->rejected || d->broken || d->done)
        return;
    if (have < d->need && !final && !full)
        return;
    d->need = 0;
    while (d->parsed < have) {
        const uint8_t *buf = d->sp.data + d->parsed;
        size_t avail = have - d->parsed;
        bool last = final || full;
        if (udp) {
            /* A PDU never spans datagrams: parse up to the end of the one it starts in. */
            while (d->cur < d->n_dgrams && d->dgram_end[d->cur] <= d->parsed)
                d->cur++;
            if (d->cur == d->n_dgrams)
                return;
            uint32_t end = d->dgram_end[d->cur];
            avail = end - d->parsed;
            last = end < d->sp.cap;           /* else the window may have cut it */
        }

        if (!d->family) {
            bool all_bad = false;
            d->family = probe(st, dn, buf, avail, last, &all_bad);
            if (!d->family) {
                d->rejected = all_bad || (udp && last);
                return;
            }
            uint8_t other = st->dir[!dn].family;
            if (other && other != d->family) {
                ev->contradict = true;        /* two protocols in one flow: neither */
                return;
            }
        }
        const struct ow_classifier *c = ow_classifier_table[d->family - 1];
        struct ow_pdu pdu;
        memset(&pdu, 0, sizeof pdu);
        enum ow_parse r = c->parse(buf, avail, last, &pdu);
        if (r == OW_PARSE_BAD) {
            if (d->complete == 0 && !pdu.header_ok)
                d->rejected = true;           /* the probe's yes did not hold: not this one */
            else
                d->broken = true;
            return;
        }
        if (r == OW_PARSE_NEED_MORE) {
            if (udp && last) {
                d->broken = true;             /* a PDU cut short inside a whole datagram */
                return;
            }
            d->partial = pdu.header_ok;
            if (pdu.header_ok) {
                c->note(ev, dn, &pdu, false);
                if (pdu.size > avail) {
                    /* The rest of this PDU is payload: parse again when it is all here. */
                    uint64_t want = (uint64_t)d->parsed + pdu.size;
                    d->need = want > OW_PROTO_MAX_BYTES ? OW_PROTO_MAX_BYTES : (uint32_t)want;
                }
            }
            return;
        }
        if (pdu.size == 0 || pdu.size > avail) {   /* parsers never do this; refuse to loop */
            d->broken = true;
            return;
        }
        d->partial = false;
        d->complete++;
        ev->complete[dn]++;
        c->note(ev, dn, &pdu, true);
        d->parsed += (uint32_t)pdu.size;
        if (ev->contradict)
            return;
        if (ev->stop[dn]) {
            d->done = true;
            return;
        }
    }
}

static void decide(struct ow_proto_stream *st, const struct ow_classifier *c,
                   struct ow_cls_decision dec)
{
    struct ow_proto_result *res = &st->result;
    memset(res, 0, sizeof *res);
    st->decided = true;
    if (!c || !dec.confidence || !dec.label)
        return;
    if (c->kind == OW_CLS_LI) {
        res->li = st->ev.li;
        res->li.label = dec.label;
        res->li.confidence = dec.confidence;
        if (!st->ev.have_format)
            res->li.payload_format = 0;
        res->li.pdu_count = 0;
        for (int i = 0; i < 2; i++)
            res->li.pdu_count += st->dir[i].complete + (st->dir[i].partial ? 1 : 0);
        return;
    }
    size_t n = 0;
    while (c->labels && c->labels[n])
        n++;
    if (dec.label > n)
        return;
    size_t len = strnlen(c->labels[dec.label - 1], sizeof res->om_label - 1);
    memcpy(res->om_label, c->labels[dec.label - 1], len);
    res->om_label[len] = '\0';
    res->om_confidence = dec.confidence;
}

static const struct ow_cls_decision NO_LABEL = { 0, 0, true };

/* Evaluates the evidence; with final set it must decide. */
static void evaluate(struct ow_proto_stream *st, bool final)
{
    struct cls_dir *d0 = &st->dir[0], *d1 = &st->dir[1];
    struct ow_cls_evidence *ev = &st->ev;

    if (d0->broken || d1->broken || ev->contradict) {
        decide(st, NULL, NO_LABEL);
        return;
    }
    uint8_t family = d0->family ? d0->family : d1->family;
    if (!family) {
        bool dead0 = d0->rejected || d0->sp.contiguous == 0;
        bool dead1 = d1->rejected || d1->sp.contiguous == 0;
        if (final || (dead0 && dead1 && (d0->rejected || d1->rejected)))
            decide(st, NULL, NO_LABEL);
        return;
    }
    const struct ow_classifier *c = ow_classifier_table[family - 1];
    ev->full = (d0->family && dir_full(d0)) || (d1->family && dir_full(d1));
    ev->partial[0] = d0->partial;
    ev->partial[1] = d1->partial;
    struct ow_cls_decision dec = c->decide(ev, final);
    if (dec.confidence && dec.label)
        decide(st, c, dec);
    else if (dec.none || final || ev->full)
        decide(st, NULL, NO_LABEL);
}

void ow_proto_stream_add(struct ow_proto_stream *st, int dir, uint32_t seq, bool syn,
                         const uint8_t *data, uint32_t len)
{
    if (!st || st->decided || dir < 0 || dir > 1)
        return;
    struct cls_dir *d = &st->dir[dir];
    uint32_t before = d->sp.contiguous;
    if (st->l4_proto == IPPROTO_TCP) {
        ow_stream_prefix_add_tcp(&d->sp, seq, syn, data, len);
    } else {
        if (d->n_dgrams == OW_PROTO_MAX_DATAGRAMS) {
            if (len && !d->dgram_overflow) {
                d->dgram_overflow = true;     /* decide on the datagrams tracked */
                evaluate(st, false);
            }
            return;
        }
        ow_stream_prefix_add_datagram(&d->sp, data, len);
        if (d->sp.contiguous > before)
            d->dgram_end[d->n_dgrams++] = (uint16_t)d->sp.contiguous;
    }
    if (d->sp.contiguous == before)
        return;
    analyze_dir(st, dir, false);
    evaluate(st, false);
}

enum ow_proto_state ow_proto_stream_result(struct ow_proto_stream *st, struct ow_proto_result *out)
{
    if (!st || !st->decided)
        return OW_PROTO_PENDING;
    if (out)
        *out = st->result;
    return OW_PROTO_DECIDED;
}

void ow_proto_stream_finish(struct ow_proto_stream *st, struct ow_proto_result *out)
{
    if (!st) {
        if (out)
            memset(out, 0, sizeof *out);
        return;
    }
    if (!st->decided) {
        analyze_dir(st, 0, true);
        analyze_dir(st, 1, true);
        evaluate(st, true);
    }
    if (out)
        *out = st->result;
}

/* ---- decisions shared by families --------------------------------------------------- */

struct ow_cls_decision ow_cls_decide_messages(const struct ow_cls_evidence *ev, uint8_t label,
                                              bool final)
{
    struct ow_cls_decision d = { 0, 0, false };
    uint32_t complete = ev->complete[0] + ev->complete[1];
    if (complete >= 2) {
        d.label = label;
        d.confidence = 95;
    } else if (complete == 1 && (final || ev->full)) {
        d.label = label;
        d.confidence = 80;
    } else if (final || ev->full) {
        d.none = true;                        /* only a cut-off PDU: a near-miss looks the same */
    }
    return d;
}

struct ow_cls_decision ow_cls_decide_li_stream(const struct ow_cls_evidence *ev, uint8_t label,
                                               uint32_t data_complete, uint8_t fallback,
                                               bool final)
{
    struct ow_cls_decision d = { 0, 0, false };
    uint32_t complete = ev->complete[0] + ev->complete[1];
    bool partial = ev->partial[0] || ev->partial[1];
    if (label != OW_LI_NONE && data_complete > 0 && complete >= 2) {
        d.label = label;
        d.confidence = 95;
    } else if (label != OW_LI_NONE && ev->full) {
        d.label = label;
        d.confidence = data_complete > 0 ? 85 : 70;
    } else if (!final && !ev->full) {
        /* wait for more */
    } else if (label != OW_LI_NONE && data_complete > 0) {
        /* The flow is over: decide on what was seen. */
        d.label = label;
        d.confidence = partial ? 70 : 80;
    } else if (label == OW_LI_NONE && complete > 0) {
        /* Keep-alives only: an LI connection without a data PDU to tell X2 from X3 or HI2
         * from HI3; reported under the IRI label with a low confidence. */
        d.label = fallback;
        d.confidence = complete >= 2 ? 40 : 30;
    } else {
        d.none = true;                        /* only a cut-off PDU: a near-miss looks the same */
    }
    return d;
}
