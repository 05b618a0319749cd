/* om_tacacs.c — TACACS+ (RFC 8907), device administration AAA over TCP (port 49). Every
 * packet has a 12-byte header (section 4.1): version 0xC0 or 0xC1, type 1 authentication,
 * 2 authorization, 3 accounting, seq_no (1 for the first packet of a session, odd from the
 * client, even from the server, never 0), flags (only UNENCRYPTED 0x01 and SINGLE_CONNECT
 * 0x04 are defined), session_id and the body length. Bodies are normally obfuscated
 * (section 4.5), so only their length counts; a body sent with the UNENCRYPTED flag is
 * checked field by field (sections 5-7): its length fields must add up exactly.
 * Evidence kept: id[0] the session id of the first packet; count[0]/count[1] 1 once the
 * client / server side showed its parity (1 odd, 2 even). */
#include "classifiers/classifier.h"

#include <string.h>

#define HDR_LEN          12
#define MAX_BODY         65535u        /* no packet near this size was ever seen; cap the walk */
#define FLAG_UNENCRYPTED 0x01
#define FLAG_SINGLE      0x04

enum { TYPE_AUTHEN = 1, TYPE_AUTHOR = 2, TYPE_ACCT = 3 };

/* Sum of n one-byte lengths at p. */
static size_t sum8(const uint8_t *p, size_t n)
{
    size_t s = 0;
    for (size_t i = 0; i < n; i++)
        s += p[i];
    return s;
}

/* A cleartext body of type `type` sent by the client (odd seq) or the server: do its own
 * length fields add up to len exactly? (RFC 8907 sections 5.1-5.4, 6.1-6.2, 7.1-7.2) */
static bool body_fits(uint8_t type, uint8_t seq, const uint8_t *b, size_t len)
{
    bool client = seq & 1;
    switch (type) {
    case TYPE_AUTHEN:
        if (client && seq == 1) {               /* START */
            if (len < 8 || (b[0] != 1 && b[0] != 2 && b[0] != 4) || b[1] > 15 ||
                b[2] < 1 || b[2] > 6 || b[3] > 9)
                return false;
            return 8 + sum8(b + 4, 4) == len;
        }
        if (client) {                           /* CONTINUE */
            if (len < 5 || (b[4] & ~1u))
                return false;
            return 5 + (size_t)ow_be16(b) + ow_be16(b + 2) == len;
        }
        if (len < 6 || !((b[0] >= 1 && b[0] <= 7) || b[0] == 0x21) || (b[1] & ~1u))   /* REPLY */
            return false;
        return 6 + (size_t)ow_be16(b + 2) + ow_be16(b + 4) == len;
    case TYPE_AUTHOR:
        if (client) {                           /* REQUEST */
            if (len < 8 || b[1] > 15 || b[2] > 6 || b[3] > 9 || len < 8 + (size_t)b[7])
                return false;
            return 8 + (size_t)b[7] + sum8(b + 4, 3) + sum8(b + 8, b[7]) == len;
        }
        if (len < 6 || !(b[0] == 1 || b[0] == 2 || b[0] == 0x10 || b[0] == 0x11 || b[0] == 0x21) ||
            len < 6 + (size_t)b[1])             /* RESPONSE */
            return false;
        return 6 + (size_t)b[1] + ow_be16(b + 2) + ow_be16(b + 4) + sum8(b + 6, b[1]) == len;
    default:
        if (client) {                           /* ACCOUNTING REQUEST */
            if (len < 9 || !(b[0] & 0x0E) || (b[0] & ~0x0Eu) || b[2] > 15 || b[3] > 6 ||
                b[4] > 9 || len < 9 + (size_t)b[8])
                return false;
            return 9 + (size_t)b[8] + sum8(b + 5, 3) + sum8(b + 9, b[8]) == len;
        }
        if (len < 5 || !(b[4] == 1 || b[4] == 2 || b[4] == 0x21))    /* REPLY */
            return false;
        return 5 + (size_t)ow_be16(b) + ow_be16(b + 2) == len;
    }
}

/* type: packet type; aux: seq_no | flags << 8; id: session id. */
static enum ow_parse tacacs_parse(const uint8_t *buf, size_t avail, bool final, struct ow_pdu *out)
{
    (void)final;
    if (avail >= 1 && buf[0] != 0xC0 && buf[0] != 0xC1)
        return OW_PARSE_BAD;
    if (avail >= 2 && (buf[1] < TYPE_AUTHEN || buf[1] > TYPE_ACCT))
        return OW_PARSE_BAD;
    if (avail >= 3 && buf[2] == 0)
        return OW_PARSE_BAD;
    if (avail >= 4 && (buf[3] & ~(FLAG_UNENCRYPTED | FLAG_SINGLE)))
        return OW_PARSE_BAD;
    if (avail >= 10 && (buf[8] || buf[9]))
        return OW_PARSE_BAD;                    /* body over 64 KiB */
    if (avail < HDR_LEN)
        return OW_PARSE_NEED_MORE;
    uint32_t len = ow_be32(buf + 8);
    if (len == 0 || len > MAX_BODY)
        return OW_PARSE_BAD;
    out->header_ok = true;
    out->size = HDR_LEN + (size_t)len;
    out->type = buf[1];
    out->aux = (uint32_t)buf[2] | (uint32_t)buf[3] << 8;
    out->id = ow_be32(buf + 4);
    if (avail < out->size)
        return OW_PARSE_NEED_MORE;
    if ((buf[3] & FLAG_UNENCRYPTED) && !body_fits(buf[1], buf[2], buf + HDR_LEN, len))
        return OW_PARSE_BAD;
    return OW_PARSE_OK;
}

static enum ow_parse tacacs_probe(int dir, const uint8_t *buf, size_t avail, bool final)
{
    struct ow_pdu p;
    memset(&p, 0, sizeof p);
    enum ow_parse r = tacacs_parse(buf, avail, final, &p);
    /* The client speaks first with seq 1; a direction seen mid-session still has the parity
     * of its side, which the note function holds to. */
    if (r == OW_PARSE_BAD || !p.header_ok)
        return r;
    uint8_t seq = (uint8_t)p.aux;
    if (dir == 0 && !(seq & 1))
        return OW_PARSE_BAD;
    return OW_PARSE_OK;
}

static void tacacs_note(struct ow_cls_evidence *ev, int dir, const struct ow_pdu *p, bool complete)
{
    uint8_t seq = (uint8_t)p->aux;
    uint32_t parity = (seq & 1) ? 1 : 2;
    (void)complete;
    /* One side sends only odd numbers, the other only even ones (RFC 8907 section 4.1). */
    if (ev->count[dir] && ev->count[dir] != parity)
        ev->contradict = true;
    if (ev->count[!dir] && ev->count[!dir] == parity)
        ev->contradict = true;
    ev->count[dir] = parity;
    if (!ev->first) {
        ev->first = 1;
        ev->id[0] = p->id;
    } else if (!(p->aux & (FLAG_SINGLE << 8)) && p->id != ev->id[0]) {
        /* Without single-connect a connection carries one session: one session id. */
        ev->contradict = true;
    }
}

static struct ow_cls_decision tacacs_decide(const struct ow_cls_evidence *ev, bool final)
{
    return ow_cls_decide_messages(ev, 1, final);
}

static const char *const tacacs_labels[] = { "TACACS", NULL };

const struct ow_classifier ow_cls_tacacs = {
    .name = "TACACS+ (RFC 8907)",
    .kind = OW_CLS_OM,
    .l4 = OW_CLS_TCP,
    .labels = tacacs_labels,
    .probe = tacacs_probe,
    .parse = tacacs_parse,
    .note = tacacs_note,
    .decide = tacacs_decide,
};
