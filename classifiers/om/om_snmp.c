/* om_snmp.c — SNMP messages of every version and PDU type: get, get-next, get-bulk, set,
 * response, v1 trap, v2 trap, inform and report (RFC 3416 section 3 PDU tags [0]..[8];
 * message formats RFC 1157 section 4 for v1, RFC 1901 for v2c, RFC 3412 section 6 for v3),
 * over UDP (161, traps and informs to 162) and TCP (RFC 3430). BER with definite lengths
 * only (RFC 3417 section 8). A message is accepted only when every element of it fits:
 * version 0, 1 or 3; the community or the v3 header; a PDU whose tag the version allows,
 * with its integers, and variable bindings that are each an OID and a value of an SMI type.
 * Evidence kept: none beyond the stream's counts. */
#include "classifiers/classifier.h"

#include <string.h>

#include "classifiers/li/li_ber.h"

#define MAX_MESSAGE 65535u            /* the largest UDP payload; TCP messages are no larger */

/* PDU tags a version allows: v1 [0]-[4] (RFC 1157), v2c and v3 every tag but the v1 trap. */
static bool pdu_tag_ok(uint32_t version, uint8_t tag)
{
    if (tag < 0xA0 || tag > 0xA8)
        return false;
    return version == 0 ? tag <= 0xA4 : tag != 0xA4;
}

/* A value of a variable binding: an SMI type (RFC 2578 section 7.1, RFC 3416 section 3). */
static bool value_ok(uint8_t ident, const struct ow_ber_cursor *v)
{
    size_t n = v->end - v->pos;
    switch (ident) {
    case 0x02: return n >= 1 && n <= 5;            /* INTEGER (Integer32) */
    case 0x04: return true;                        /* OCTET STRING */
    case 0x05: return n == 0;                      /* NULL (unSpecified) */
    case 0x06: return ow_ber_oid_ok(v);            /* OBJECT IDENTIFIER */
    case 0x40: return n == 4;                      /* IpAddress */
    case 0x41: case 0x42: case 0x43: case 0x47:    /* Counter32 Gauge32 TimeTicks UInteger32 */
        return n >= 1 && n <= 5;
    case 0x44: return true;                        /* Opaque */
    case 0x46: return n >= 1 && n <= 9;            /* Counter64 */
    case 0x80: case 0x81: case 0x82:               /* noSuchObject noSuchInstance endOfMibView */
        return n == 0;
    default:   return false;
    }
}

static bool integer(struct ow_ber_cursor *c, uint32_t *value)
{
    uint8_t id;
    struct ow_ber_cursor v;
    if (!ow_ber_next(c, &id, &v) || id != 0x02 || v.end - v.pos < 1 || v.end - v.pos > 5)
        return false;
    if (value && !ow_ber_uint(&v, value))
        return false;
    return true;
}

static bool varbinds(struct ow_ber_cursor *c)
{
    uint8_t id;
    struct ow_ber_cursor list, vb, name, value;
    if (!ow_ber_next(c, &id, &list) || id != 0x30)
        return false;
    while (list.pos < list.end) {
        if (!ow_ber_next(&list, &id, &vb) || id != 0x30)
            return false;
        if (!ow_ber_next(&vb, &id, &name) || id != 0x06 || !ow_ber_oid_ok(&name))
            return false;
        if (!ow_ber_next(&vb, &id, &value) || !value_ok(id, &value) || vb.pos != vb.end)
            return false;
    }
    return true;
}

/* The PDU's content, by tag (RFC 3416 section 3; v1 Trap-PDU RFC 1157 section 4.1.6). */
static bool pdu_ok(uint8_t tag, struct ow_ber_cursor *c)
{
    uint8_t id;
    struct ow_ber_cursor v;
    uint32_t err;
    if (tag == 0xA4) {
        uint32_t generic;
        if (!ow_ber_next(c, &id, &v) || id != 0x06 || !ow_ber_oid_ok(&v))       /* enterprise */
            return false;
        if (!ow_ber_next(c, &id, &v) || id != 0x40 || v.end - v.pos != 4)       /* agent-addr */
            return false;
        if (!integer(c, &generic) || generic > 6 || !integer(c, NULL))          /* generic, specific */
            return false;
        if (!ow_ber_next(c, &id, &v) || id != 0x43 || v.end - v.pos < 1 || v.end - v.pos > 5)
            return false;                                                       /* time-stamp */
    } else if (tag == 0xA5) {
        if (!integer(c, NULL) || !integer(c, NULL) || !integer(c, NULL))  /* id, non-rep., max-rep. */
            return false;
    } else {
        if (!integer(c, NULL) || !integer(c, &err) || err > 18 || !integer(c, NULL))
            return false;                       /* request-id, error-status (RFC 3416), index */
    }
    return varbinds(c) && c->pos == c->end;
}

/* RFC 3412 section 6: msgGlobalData, msgSecurityParameters, msgData. */
static bool v3_ok(struct ow_ber_cursor *c)
{
    uint8_t id;
    struct ow_ber_cursor g, v, scoped;
    uint32_t max_size, model;
    if (!ow_ber_next(c, &id, &g) || id != 0x30)
        return false;
    if (!integer(&g, NULL) || !integer(&g, &max_size) || max_size < 484)
        return false;
    if (!ow_ber_next(&g, &id, &v) || id != 0x04 || v.end - v.pos != 1)
        return false;
    uint8_t flags = v.buf[v.pos];
    if ((flags & ~0x07) || ((flags & 0x02) && !(flags & 0x01)))   /* priv needs auth */
        return false;
    if (!integer(&g, &model) || model == 0 || g.pos != g.end)
        return false;
    if (!ow_ber_next(c, &id, &v) || id != 0x04)                     /* security parameters */
        return false;
    if (!ow_ber_next(c, &id, &scoped) || c->pos != c->end)
        return false;
    if (id == 0x04)
        return (flags & 0x02) != 0;                                 /* encryptedPDU */
    if (id != 0x30)
        return false;
    if (!ow_ber_next(&scoped, &id, &v) || id != 0x04 ||              /* contextEngineID */
        !ow_ber_next(&scoped, &id, &v) || id != 0x04)                /* contextName */
        return false;
    struct ow_ber_cursor pdu;
    if (!ow_ber_next(&scoped, &id, &pdu) || !pdu_tag_ok(3, id) || scoped.pos != scoped.end)
        return false;
    return pdu_ok(id, &pdu);
}

/* type: the PDU tag (0 for an encrypted v3 PDU); aux: the version. */
static enum ow_parse snmp_parse(const uint8_t *buf, size_t avail, bool final, struct ow_pdu *out)
{
    (void)final;
    struct ow_ber_hdr h;
    if (avail >= 1 && buf[0] != 0x30)
        return OW_PARSE_BAD;
    enum ow_parse r = ow_ber_read_hdr(buf, avail, &h);
    if (r != OW_PARSE_OK)
        return r;
    if (h.indefinite || h.len > MAX_MESSAGE || h.len < 3)
        return OW_PARSE_BAD;
    size_t total = h.hdr_len + h.len, pos = h.hdr_len;
    /* version INTEGER, one byte: 0 (v1), 1 (v2c) or 3 (v3) */
    static const uint8_t prefix[2] = { 0x02, 0x01 };
    for (size_t i = 0; i < 3; i++) {
        if (pos + i >= avail)
            return OW_PARSE_NEED_MORE;
        uint8_t b = buf[pos + i];
        if (i < 2 ? b != prefix[i] : (b != 0 && b != 1 && b != 3))
            return OW_PARSE_BAD;
    }
    uint32_t version = buf[pos + 2];
    pos += 3;
    /* the next element: the community (v1, v2c) or msgGlobalData (v3) */
    if (pos >= avail)
        return OW_PARSE_NEED_MORE;
    if (buf[pos] != (version == 3 ? 0x30 : 0x04))
        return OW_PARSE_BAD;
    out->header_ok = true;
    out->size = total;
    out->aux = version;
    if (avail < total)
        return OW_PARSE_NEED_MORE;

    struct ow_ber_cursor c = { buf, h.hdr_len + 3, total };
    if (version == 3)
        return v3_ok(&c) ? OW_PARSE_OK : OW_PARSE_BAD;
    uint8_t id;
    struct ow_ber_cursor community, pdu;
    if (!ow_ber_next(&c, &id, &community) || id != 0x04)
        return OW_PARSE_BAD;
    if (!ow_ber_next(&c, &id, &pdu) || !pdu_tag_ok(version, id) || c.pos != c.end)
        return OW_PARSE_BAD;
    out->type = id;
    return pdu_ok(id, &pdu) ? OW_PARSE_OK : OW_PARSE_BAD;
}

static enum ow_parse snmp_probe(int dir, const uint8_t *buf, size_t avail, bool final)
{
    (void)dir;
    struct ow_pdu p;
    memset(&p, 0, sizeof p);
    enum ow_parse r = snmp_parse(buf, avail, final, &p);
    return r == OW_PARSE_OK || p.header_ok ? OW_PARSE_OK : r;
}

static void snmp_note(struct ow_cls_evidence *ev, int dir, const struct ow_pdu *p, bool complete)
{
    (void)ev;
    (void)dir;
    (void)p;
    (void)complete;
}

static struct ow_cls_decision snmp_decide(const struct ow_cls_evidence *ev, bool final)
{
    return ow_cls_decide_messages(ev, 1, final);
}

static const char *const snmp_labels[] = { "SNMP", NULL };

const struct ow_classifier ow_cls_snmp = {
    .name = "SNMP (RFC 1157, RFC 3412, RFC 3416)",
    .kind = OW_CLS_OM,
    .l4 = OW_CLS_TCP | OW_CLS_UDP,
    .labels = snmp_labels,
    .probe = snmp_probe,
    .parse = snmp_parse,
    .note = snmp_note,
    .decide = snmp_decide,
};
