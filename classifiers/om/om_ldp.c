/* om_ldp.c — LDP (RFC 5036), MPLS label distribution: Hello discovery over UDP 646 and
 * sessions over TCP 646. An LDP PDU (section 3.1) is version 1, a PDU length (the rest of
 * the PDU after the length field, at least the 6-byte LDP identifier and one message), the
 * LDP identifier, then messages (section 3.4): the U bit and a 15-bit type, a length of at
 * least the 4-byte message id, the id, then TLVs (section 3.3: U and F bits, a 14-bit
 * type, a length) that tile the message exactly. Message types are those of section 3.5
 * (Notification 0x0001, Hello 0x0100, Initialization 0x0200, KeepAlive 0x0201, Address
 * 0x0300, Address Withdraw 0x0301, Label Mapping 0x0400, Request 0x0401, Withdraw 0x0402,
 * Release 0x0403, Abort Request 0x0404), Capability 0x0202 (RFC 5561), the vendor-private
 * and experimental ranges 0x3E00-0x3FFF, and, after the first message, unknown types with
 * the U bit (which a receiver ignores). A Hello must carry Common Hello Parameters (TLV
 * 0x0400, 4 bytes) and an Initialization Common Session Parameters (TLV 0x0500, 14 bytes).
 * Evidence kept: none beyond the stream's counts. */
#include "classifiers/classifier.h"

#include <string.h>

#define LDP_HDR_LEN   10                 /* version, PDU length, LDP identifier */
#define LDP_MIN_PDU   (6 + 8)            /* identifier and the smallest message */

static bool known_type(uint16_t t)
{
    switch (t) {
    case 0x0001: case 0x0100: case 0x0200: case 0x0201: case 0x0202: case 0x0300: case 0x0301:
    case 0x0400: case 0x0401: case 0x0402: case 0x0403: case 0x0404:
        return true;
    default:
        return t >= 0x3E00 && t <= 0x3FFF;
    }
}

/* The TLVs of one message's parameters; want: a TLV type that must be there with its
 * length (0: none required). */
static bool tlvs_ok(const uint8_t *p, size_t n, uint16_t want, uint16_t want_len)
{
    bool found = want == 0;
    size_t pos = 0;
    while (pos < n) {
        if (n - pos < 4)
            return false;
        uint16_t type = ow_be16(p + pos) & 0x3FFF, len = ow_be16(p + pos + 2);
        if (type == 0 || len > n - pos - 4)
            return false;
        if (type == want) {
            if (len != want_len)
                return false;
            found = true;
        }
        pos += 4 + (size_t)len;
    }
    return found;
}

static bool messages_ok(const uint8_t *p, size_t n, uint16_t *first_type)
{
    size_t pos = 0;
    bool first = true;
    while (pos < n) {
        if (n - pos < 8)
            return false;
        uint16_t raw = ow_be16(p + pos), type = raw & 0x7FFF, len = ow_be16(p + pos + 2);
        if (len < 4 || len > n - pos - 4)
            return false;
        if (!known_type(type) && (first || !(raw & 0x8000)))
            return false;
        uint16_t want = type == 0x0100 ? 0x0400 : type == 0x0200 ? 0x0500 : 0;
        uint16_t want_len = type == 0x0100 ? 4 : 14;
        if (!tlvs_ok(p + pos + 8, len - 4u, want, want_len))
            return false;
        if (first)
            *first_type = type;
        first = false;
        pos += 4 + (size_t)len;
    }
    return !first;
}

/* type: the first message's type. */
static enum ow_parse ldp_parse(const uint8_t *buf, size_t avail, bool final, struct ow_pdu *out)
{
    (void)final;
    if (avail >= 1 && buf[0] != 0)
        return OW_PARSE_BAD;
    if (avail >= 2 && buf[1] != 1)
        return OW_PARSE_BAD;
    if (avail >= 4 && ow_be16(buf + 2) < LDP_MIN_PDU)
        return OW_PARSE_BAD;
    if (avail >= 12) {
        uint16_t type = ow_be16(buf + 10) & 0x7FFF;
        if (!known_type(type))
            return OW_PARSE_BAD;
    }
    if (avail < 12)
        return OW_PARSE_NEED_MORE;
    out->header_ok = true;
    out->size = 4 + (size_t)ow_be16(buf + 2);
    out->type = ow_be16(buf + 10) & 0x7FFF;
    if (avail < out->size)
        return OW_PARSE_NEED_MORE;
    uint16_t first = 0;
    if (!messages_ok(buf + LDP_HDR_LEN, out->size - LDP_HDR_LEN, &first))
        return OW_PARSE_BAD;
    return OW_PARSE_OK;
}

static enum ow_parse ldp_probe(int dir, const uint8_t *buf, size_t avail, bool final)
{
    (void)dir;
    struct ow_pdu p;
    memset(&p, 0, sizeof p);
    enum ow_parse r = ldp_parse(buf, avail, final, &p);
    return r == OW_PARSE_OK || p.header_ok ? OW_PARSE_OK : r;
}

static void ldp_note(struct ow_cls_evidence *ev, int dir, const struct ow_pdu *p, bool complete)
{
    (void)ev;
    (void)dir;
    (void)p;
    (void)complete;
}

static struct ow_cls_decision ldp_decide(const struct ow_cls_evidence *ev, bool final)
{
    return ow_cls_decide_messages(ev, 1, final);
}

static const char *const ldp_labels[] = { "LDP", NULL };

const struct ow_classifier ow_cls_ldp = {
    .name = "LDP (RFC 5036)",
    .kind = OW_CLS_OM,
    .l4 = OW_CLS_TCP | OW_CLS_UDP,
    .labels = ldp_labels,
    .probe = ldp_probe,
    .parse = ldp_parse,
    .note = ldp_note,
    .decide = ldp_decide,
};
