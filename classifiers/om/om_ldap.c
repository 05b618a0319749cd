/* om_ldap.c — LDAP (RFC 4511) messages over TCP (389, 3268 for the global catalog) and UDP
 * (connectionless LDAP). An LDAPMessage (section 4.1.1) is a SEQUENCE of a messageID
 * (INTEGER 0..2^31-1; 0 only for unsolicited notifications, section 4.4), a protocolOp whose
 * APPLICATION tag names the operation, and optional [0] controls; BER with definite lengths
 * only (section 5.1). The operation is checked by its own structure: a BindRequest's
 * version 1-127, name and simple [0] or SASL [3] credentials (4.2); an LDAPResult's
 * ENUMERATED resultCode, matchedDN and diagnosticMessage (4.1.9); a SearchRequest's base,
 * scope 0-3, derefAliases 0-3, limits, typesOnly, a filter and the attribute list (4.5.1);
 * UnbindRequest an empty primitive, DelRequest and AbandonRequest primitives; any other
 * operation a constructed element whose children tile it. Where the protocol hands the
 * connection to another layer — StartTLS (4.14) or a SASL bind (4.2), whose security layer
 * may wrap what follows (RFC 4422 section 3.7) — the direction is no longer read as LDAP
 * messages. This is what tells LDAP from MQTT, whose PUBLISH also starts with 0x30.
 * Evidence kept: first bit 0 a StartTLS request, bit 1 a SASL bind. */
#include "classifiers/classifier.h"

#include <string.h>

#include "classifiers/li/li_ber.h"

#define MAX_MESSAGE (16u << 20)
#define STARTTLS_OID "1.3.6.1.4.1.1466.20037"

enum { SAW_STARTTLS = 1, SAW_SASL = 2 };
enum { OP_STARTTLS = 1, OP_SASL_BIND = 2, OP_RESULT_OK = 4, OP_SASL_CREDS = 8 };

static bool is_request(uint8_t ident)
{
    switch (ident) {
    case 0x60: case 0x42: case 0x63: case 0x66: case 0x68: case 0x4A: case 0x6C: case 0x6E:
    case 0x50: case 0x77:
        return true;
    default:
        return false;
    }
}

static bool is_response(uint8_t ident)
{
    switch (ident) {
    case 0x61: case 0x64: case 0x65: case 0x67: case 0x69: case 0x6B: case 0x6D: case 0x6F:
    case 0x73: case 0x78: case 0x79:
        return true;
    default:
        return false;
    }
}

/* Every element inside c, all the way down, fits its parent. */
static bool tiles(struct ow_ber_cursor c, int depth)
{
    if (depth > OW_BER_MAX_DEPTH)
        return false;
    while (c.pos < c.end) {
        uint8_t id;
        struct ow_ber_cursor inner;
        if (!ow_ber_next(&c, &id, &inner))
            return false;
        if ((id & 0x20) && !tiles(inner, depth + 1))
            return false;
    }
    return true;
}

/* LDAPResult: resultCode, matchedDN, diagnosticMessage, then optional fields. */
static bool result_ok(struct ow_ber_cursor *op, uint32_t *code)
{
    uint8_t id;
    struct ow_ber_cursor v;
    if (!ow_ber_next(op, &id, &v) || id != 0x0A || !ow_ber_uint(&v, code) || *code > 4095)
        return false;
    if (!ow_ber_next(op, &id, &v) || id != 0x04 || !ow_ber_next(op, &id, &v) || id != 0x04)
        return false;
    return tiles(*op, 1);
}

static bool filter_tag_ok(uint8_t id)
{
    return (id >= 0xA0 && id <= 0xA9 && id != 0xA7) || id == 0x87;   /* RFC 4511 4.5.1.7 */
}

/* Checks the operation; flags: OP_*. */
static bool op_ok(uint8_t tag, struct ow_ber_cursor op, uint32_t *flags)
{
    uint8_t id;
    struct ow_ber_cursor v;
    uint32_t n;
    switch (tag) {
    case 0x42:                                            /* UnbindRequest: NULL */
        return op.pos == op.end;
    case 0x4A:                                            /* DelRequest: LDAPDN */
        return true;
    case 0x50:                                            /* AbandonRequest: MessageID */
        return ow_ber_uint(&op, &n);
    case 0x60:                                            /* BindRequest */
        if (!ow_ber_next(&op, &id, &v) || id != 0x02 || !ow_ber_uint(&v, &n) || n < 1 || n > 127)
            return false;
        if (!ow_ber_next(&op, &id, &v) || id != 0x04 || !ow_ber_next(&op, &id, &v) ||
            (id != 0x80 && id != 0xA3) || op.pos != op.end)
            return false;
        if (id == 0xA3)
            *flags |= OP_SASL_BIND;
        return id == 0x80 || tiles(v, 1);
    case 0x63:                                            /* SearchRequest */
        if (!ow_ber_next(&op, &id, &v) || id != 0x04)
            return false;
        for (int i = 0; i < 2; i++)                       /* scope, derefAliases */
            if (!ow_ber_next(&op, &id, &v) || id != 0x0A || !ow_ber_uint(&v, &n) || n > 3)
                return false;
        for (int i = 0; i < 2; i++)                       /* sizeLimit, timeLimit */
            if (!ow_ber_next(&op, &id, &v) || id != 0x02 || !ow_ber_uint(&v, &n))
                return false;
        if (!ow_ber_next(&op, &id, &v) || id != 0x01 || v.end - v.pos != 1)
            return false;
        if (!ow_ber_next(&op, &id, &v) || !filter_tag_ok(id) || ((id & 0x20) && !tiles(v, 1)))
            return false;
        if (!ow_ber_next(&op, &id, &v) || id != 0x30 || op.pos != op.end)
            return false;
        return tiles(v, 1);
    case 0x77:                                            /* ExtendedRequest */
        if (!ow_ber_next(&op, &id, &v) || id != 0x80)
            return false;
        if (v.end - v.pos == sizeof STARTTLS_OID - 1 &&
            memcmp(v.buf + v.pos, STARTTLS_OID, sizeof STARTTLS_OID - 1) == 0)
            *flags |= OP_STARTTLS;
        return tiles(op, 1);
    case 0x61: case 0x65: case 0x67: case 0x69: case 0x6B: case 0x6D: case 0x6F: case 0x78:
        if (!result_ok(&op, &n))
            return false;
        if (n == 0)
            *flags |= OP_RESULT_OK;
        while (tag == 0x61 && ow_ber_next(&op, &id, &v))   /* BindResponse: serverSaslCreds [7] */
            if (id == 0x87)
                *flags |= OP_SASL_CREDS;
        return true;
    default:
        return (tag & 0x20) && tiles(op, 1);
    }
}

/* type: the protocolOp identifier; aux: OP_* flags. */
static enum ow_parse ldap_parse(const uint8_t *buf, size_t avail, bool final, struct ow_pdu *out)
{
    (void)final;
    struct ow_ber_hdr h;
    if (avail >= 1 && buf[0] != 0x30)
        return OW_PARSE_BAD;
    enum ow_parse r = ow_ber_read_hdr(buf, avail, &h);
    if (r != OW_PARSE_OK)
        return r;
    if (h.indefinite || h.len > MAX_MESSAGE || h.len < 5)
        return OW_PARSE_BAD;
    size_t total = h.hdr_len + h.len, pos = h.hdr_len;
    /* messageID: INTEGER of 1-4 bytes, non-negative */
    if (pos + 2 > avail)
        return OW_PARSE_NEED_MORE;
    size_t idlen = buf[pos + 1];
    if (buf[pos] != 0x02 || idlen < 1 || idlen > 4)
        return OW_PARSE_BAD;
    if (pos + 2 + idlen >= avail)
        return OW_PARSE_NEED_MORE;
    if (buf[pos + 2] & 0x80)
        return OW_PARSE_BAD;
    uint8_t op = buf[pos + 2 + idlen];
    if (!is_request(op) && !is_response(op))
        return OW_PARSE_BAD;
    out->header_ok = true;
    out->size = total;
    out->type = op;
    if (avail < total)
        return OW_PARSE_NEED_MORE;

    struct ow_ber_cursor c = { buf, pos, total }, v, body;
    uint8_t id;
    uint32_t msgid, flags = 0;
    if (!ow_ber_next(&c, &id, &v) || !ow_ber_uint(&v, &msgid))
        return OW_PARSE_BAD;
    if (!ow_ber_next(&c, &id, &body) || id != op || !op_ok(op, body, &flags))
        return OW_PARSE_BAD;
    if (msgid == 0 && op != 0x78)
        return OW_PARSE_BAD;                      /* id 0: unsolicited notifications only */
    if (c.pos < c.end && (!ow_ber_next(&c, &id, &v) || id != 0xA0 || !tiles(v, 1)))
        return OW_PARSE_BAD;                      /* controls */
    if (c.pos != c.end)
        return OW_PARSE_BAD;
    out->aux = flags;
    return OW_PARSE_OK;
}

static enum ow_parse ldap_probe(int dir, const uint8_t *buf, size_t avail, bool final)
{
    (void)dir;
    struct ow_pdu p;
    memset(&p, 0, sizeof p);
    enum ow_parse r = ldap_parse(buf, avail, final, &p);
    return r == OW_PARSE_OK || p.header_ok ? OW_PARSE_OK : r;
}

static void ldap_note(struct ow_cls_evidence *ev, int dir, const struct ow_pdu *p, bool complete)
{
    if (!complete)
        return;
    /* One side asks, the other answers. */
    bool req = is_request((uint8_t)p->type);
    uint32_t role = req ? 1 : 2;
    if ((ev->count[dir] && ev->count[dir] != role) || (ev->count[!dir] && ev->count[!dir] == role))
        ev->contradict = true;
    ev->count[dir] = role;
    if (p->aux & OP_STARTTLS) {
        ev->first |= SAW_STARTTLS;
        ev->stop[dir] = true;                     /* TLS follows the request ... */
    } else if (p->aux & OP_SASL_BIND) {
        ev->first |= SAW_SASL;
        ev->stop[dir] = true;                     /* a security layer may wrap what follows */
    } else if (!req && (ev->first & (SAW_STARTTLS | SAW_SASL)) &&
               (p->type == 0x78 || p->type == 0x61)) {
        ev->stop[dir] = true;                     /* ... and the server's answer to it */
    } else if (p->type == 0x61 && (p->aux & OP_SASL_CREDS)) {
        ev->stop[dir] = true;                     /* answered with SASL credentials: the same */
    }
}

static struct ow_cls_decision ldap_decide(const struct ow_cls_evidence *ev, bool final)
{
    return ow_cls_decide_messages(ev, 1, final);
}

static const char *const ldap_labels[] = { "LDAP", NULL };

const struct ow_classifier ow_cls_ldap = {
    .name = "LDAP (RFC 4511)",
    .kind = OW_CLS_OM,
    .l4 = OW_CLS_TCP | OW_CLS_UDP,
    .labels = ldap_labels,
    .probe = ldap_probe,
    .parse = ldap_parse,
    .note = ldap_note,
    .decide = ldap_decide,
};
