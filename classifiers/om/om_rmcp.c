/* om_rmcp.c — RMCP (DMTF DSP0136 ASF 2.0, section 3.2.2) and IPMI over LAN (IPMI v2.0 rev. 1.1,
 * section 13), the remote management of a server's BMC on UDP 623 (664 for secure RMCP).
 * One datagram is one message: a 4-byte RMCP header (version 0x06, a reserved 0 byte, a
 * sequence number, the class: 6 ASF, 7 IPMI, bit 7 set for an RMCP ACK, which is the header
 * alone), then
 *  - ASF (class 6): the ASF IANA number 4542, message type, tag, a reserved 0 and the data
 *    length, which must end the datagram (presence ping 0x80 carries no data, pong 0x40
 *    carries 16 bytes);
 *  - IPMI (class 7): an IPMI v1.5 session header (auth type 0 none, 1 MD2, 2 MD5, 4 password,
 *    5 OEM; sequence; session id; a 16-byte AuthCode unless auth type 0; the payload length)
 *    or an IPMI v2.0 / RMCP+ one (auth type 6; payload type; session id; sequence; a 2-byte
 *    little-endian payload length), the payload, and for an authenticated v2.0 packet the
 *    integrity pad (0xFF bytes to a multiple of 4), pad length, next header 0x07 and an
 *    AuthCode of 12, 16 or 20 bytes. A cleartext IPMI message must pass both its checksums
 *    (section 13.8); the RMCP+ session set-up payloads (0x10-0x15) have fixed sizes
 *    (section 13.17-13.23).
 * Labels: IPMI for an IPMI message, RMCP for ASF and ACKs. Evidence kept: count[2] 1 once
 * an IPMI message was seen. */
#include "classifiers/classifier.h"

#include <string.h>

#define RMCP_VERSION   0x06
#define CLASS_ASF      6
#define CLASS_IPMI     7
#define CLASS_ACK      0x80
#define ASF_IANA       4542u

enum { LABEL_RMCP = 1, LABEL_IPMI = 2 };

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* A LAN-format IPMI request or response (section 13.8): two two's-complement checksums. */
static bool ipmi_message_ok(const uint8_t *m, size_t n)
{
    if (n < 7)
        return false;
    if ((uint8_t)(m[0] + m[1] + m[2]) != 0)
        return false;
    uint8_t sum = 0;
    for (size_t i = 3; i < n; i++)
        sum = (uint8_t)(sum + m[i]);
    return sum == 0;
}

/* RMCP+ session set-up payloads: exact sizes, reserved bytes and the three algorithm
 * records of an open session request or response. */
static bool setup_payload_ok(uint8_t type, const uint8_t *p, size_t n)
{
    switch (type) {
    case 0x10:                                  /* Open Session Request */
        if (n != 32 || p[2] || p[3])
            return false;
        for (int r = 0; r < 3; r++)             /* auth, integrity, confidentiality records */
            if (p[8 + 8 * r] != r || p[11 + 8 * r] != 8)
                return false;
        return true;
    case 0x11:                                  /* Open Session Response */
        if (n == 8)                             /* an error status: no algorithm records */
            return p[1] != 0;
        if (n != 36 || p[3])
            return false;
        for (int r = 0; r < 3; r++)
            if (p[12 + 8 * r] != r || p[15 + 8 * r] != 8)
                return false;
        return true;
    case 0x12:                                  /* RAKP 1 */
        return n >= 28 && n == 28 + (size_t)p[27] && p[27] <= 16 && !p[1] && !p[2] && !p[3];
    case 0x13:                                  /* RAKP 2: status, then random and GUID */
        return n == 8 || (n >= 40 && n <= 40 + 32 && !p[2] && !p[3]);
    case 0x14:                                  /* RAKP 3 */
    case 0x15:                                  /* RAKP 4 */
        return n >= 8 && n <= 8 + 32 && !p[2] && !p[3];
    default:
        return false;
    }
}

/* The IPMI session packet after the RMCP header, n bytes, the whole rest of the datagram. */
static bool ipmi_ok(const uint8_t *s, size_t n)
{
    if (n < 1)
        return false;
    uint8_t auth = s[0];
    if (auth == 0x06) {                         /* IPMI v2.0 / RMCP+ */
        if (n < 12)
            return false;
        uint8_t ptype = s[1] & 0x3F;
        bool encrypted = s[1] & 0x80, authenticated = s[1] & 0x40;
        size_t hdr = 12;
        if (ptype == 0x02) {                    /* OEM explicit: IANA and payload id follow */
            hdr += 6;
            if (n < hdr)
                return false;
        } else if (ptype > 0x02 && (ptype < 0x10 || ptype > 0x15) && (ptype < 0x20 || ptype > 0x27)) {
            return false;
        }
        size_t len = le16(s + hdr - 2);
        if (len > n - hdr)
            return false;
        const uint8_t *payload = s + hdr;
        if (ptype >= 0x10 && ptype <= 0x15) {
            /* Session set-up runs before any key exists: neither sealed nor signed. */
            if (encrypted || authenticated || len != n - hdr)
                return false;
            return setup_payload_ok(ptype, payload, len);
        }
        if (!authenticated) {
            if (len != n - hdr)
                return false;
        } else {
            /* pad: 0xFF bytes so that header..next header is a multiple of 4 */
            size_t covered = hdr + len, pad = (4 - (covered + 2) % 4) % 4;
            if (n < covered + pad + 2)
                return false;
            for (size_t i = 0; i < pad; i++)
                if (s[covered + i] != 0xFF)
                    return false;
            if (s[covered + pad] != pad || s[covered + pad + 1] != 0x07)
                return false;
            size_t code = n - covered - pad - 2;
            if (code != 12 && code != 16 && code != 20)
                return false;
        }
        if (ptype == 0x00 && !encrypted)
            return ipmi_message_ok(payload, len);
        return len > 0;
    }
    if (auth != 0 && auth != 1 && auth != 2 && auth != 4 && auth != 5)
        return false;
    size_t hdr = 1 + 4 + 4 + (auth ? 16 : 0) + 1;   /* v1.5 session header */
    if (n < hdr)
        return false;
    size_t len = s[hdr - 1];
    /* some v1.5 packets end with one legacy pad byte (section 13.6) */
    if (len + hdr != n && !(len + hdr + 1 == n && s[n - 1] == 0))
        return false;
    return ipmi_message_ok(s + hdr, len);
}

/* type: the RMCP class byte; aux: the ASF message type. */
static enum ow_parse rmcp_parse(const uint8_t *buf, size_t avail, bool final, struct ow_pdu *out)
{
    if (avail >= 1 && buf[0] != RMCP_VERSION)
        return OW_PARSE_BAD;
    if (avail >= 2 && buf[1] != 0)
        return OW_PARSE_BAD;
    if (avail >= 4) {
        uint8_t cls = buf[3] & 0x1F;
        if ((buf[3] & 0x60) || (cls != CLASS_ASF && cls != CLASS_IPMI))
            return OW_PARSE_BAD;
    }
    if (avail < 4 || !final)
        return OW_PARSE_NEED_MORE;            /* a message is judged whole datagrams at a time */
    uint8_t cls = buf[3];
    out->type = cls;
    if (cls & CLASS_ACK) {
        /* An ACK is the header alone; IPMI messages are never acknowledged (section 13.1.3). */
        if (avail != 4 || (cls & 0x1F) != CLASS_ASF || buf[2] == 0xFF)
            return OW_PARSE_BAD;
    } else if (cls == CLASS_ASF) {
        if (avail < 12 || ow_be32(buf + 4) != ASF_IANA || buf[10] != 0 || 12 + (size_t)buf[11] != avail)
            return OW_PARSE_BAD;
        out->aux = buf[8];
        if ((buf[8] == 0x80 && buf[11] != 0) || (buf[8] == 0x40 && buf[11] != 16))
            return OW_PARSE_BAD;                /* presence ping / pong */
    } else if (!ipmi_ok(buf + 4, avail - 4)) {
        return OW_PARSE_BAD;
    }
    out->header_ok = true;
    out->size = avail;
    return OW_PARSE_OK;
}

static enum ow_parse rmcp_probe(int dir, const uint8_t *buf, size_t avail, bool final)
{
    (void)dir;
    struct ow_pdu p;
    memset(&p, 0, sizeof p);
    return rmcp_parse(buf, avail, final, &p);
}

static void rmcp_note(struct ow_cls_evidence *ev, int dir, const struct ow_pdu *p, bool complete)
{
    (void)dir;
    if (complete && (p->type & 0x9F) == CLASS_IPMI)
        ev->count[2] = 1;
}

static struct ow_cls_decision rmcp_decide(const struct ow_cls_evidence *ev, bool final)
{
    return ow_cls_decide_messages(ev, ev->count[2] ? LABEL_IPMI : LABEL_RMCP, final);
}

static const char *const rmcp_labels[] = { "RMCP", "IPMI", NULL };

const struct ow_classifier ow_cls_rmcp = {
    .name = "RMCP/ASF (DMTF DSP0136) and IPMI over LAN (IPMI v2.0)",
    .kind = OW_CLS_OM,
    .l4 = OW_CLS_UDP,
    .labels = rmcp_labels,
    .probe = rmcp_probe,
    .parse = rmcp_parse,
    .note = rmcp_note,
    .decide = rmcp_decide,
};
