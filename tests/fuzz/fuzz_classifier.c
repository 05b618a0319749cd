/* fuzz_classifier.c — libFuzzer target for one protocol classifier of the table, chosen at
 * build time (-DOW_FUZZ_CLASSIFIER=ow_cls_<name>): its probe, then its parser walking PDU
 * after PDU, its note function on each and its decision. The first input byte says whether
 * the bytes are final (bit 0) and which direction they came from (bit 1). Traps when a
 * parser claims more bytes than it was given, points outside them, or answers out of range. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "classifiers/classifier.h"

extern const struct ow_classifier OW_FUZZ_CLASSIFIER;

static void check_range(const uint8_t *p, size_t len, const uint8_t *buf, size_t n)
{
    if (p && (p < buf || len > n || p + len > buf + n))
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct ow_classifier *c = &OW_FUZZ_CLASSIFIER;
    if (size < 1)
        return 0;
    bool final = data[0] & 1;
    int dir = (data[0] >> 1) & 1;
    const uint8_t *buf = data + 1;
    size_t n = size - 1;

    enum ow_parse r = c->probe(dir, buf, n, final);
    if (r > OW_PARSE_OK)
        __builtin_trap();

    struct ow_cls_evidence ev;
    memset(&ev, 0, sizeof ev);
    size_t off = 0;
    while (off < n) {
        struct ow_pdu pdu;
        memset(&pdu, 0, sizeof pdu);
        r = c->parse(buf + off, n - off, final, &pdu);
        if (r > OW_PARSE_OK)
            __builtin_trap();
        check_range(pdu.a, pdu.a_len, buf, n);
        check_range(pdu.b, pdu.b_len, buf, n);
        if (r == OW_PARSE_NEED_MORE && pdu.header_ok)
            c->note(&ev, dir, &pdu, false);
        if (r != OW_PARSE_OK)
            break;
        if (pdu.size == 0 || pdu.size > n - off)
            __builtin_trap();
        ev.complete[dir]++;
        c->note(&ev, dir, &pdu, true);
        off += pdu.size;
        if (ev.stop[dir] || ev.contradict)
            break;
    }
    size_t labels = 0;
    while (c->labels && c->labels[labels])
        labels++;
    for (int fin = 0; fin < 2; fin++) {
        struct ow_cls_decision d = c->decide(&ev, fin);
        if (d.confidence > 100 || (d.confidence && !d.label) ||
            (c->kind == OW_CLS_OM && d.label > labels) || (c->kind == OW_CLS_LI && d.label > OW_LI_HI3))
            __builtin_trap();
    }
    return 0;
}
