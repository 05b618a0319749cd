/* om_pfcp.c — PFCP (3GPP TS 29.244), the N4/Sxa/Sxb control of user-plane functions, over
 * UDP 8805. A message (section 7.2.2) has version 1 in the top three bits of its first
 * octet, two spare bits, then FO (another message follows in the datagram), MP (message
 * priority present) and S (SEID present); the message type; a length counting the octets
 * after the first four; the SEID when S is set; a 3-octet sequence number; a last header
 * octet holding the priority (MP, session messages only) and spare bits. Node messages
 * (types 1-17: heartbeat, PFD management, association set-up/update/release, version not
 * supported, node report, session set deletion/modification) have S clear; session
 * messages (types 50-57: establishment, modification, deletion, report) have it set (table
 * 7.3-1). The information elements (section 8.1.1: type, length, an enterprise id for
 * types 32768 and up) tile the message exactly, and a heartbeat carries its Recovery Time
 * Stamp (IE 96, 4 octets). Evidence kept: none beyond the stream's counts. */
#include "classifiers/classifier.h"

#include <string.h>

#define IE_RECOVERY_TIME_STAMP 96

static bool node_type(uint8_t t) { return t >= 1 && t <= 17; }
static bool session_type(uint8_t t) { return t >= 50 && t <= 57; }

static bool ies_ok(const uint8_t *p, size_t n, bool heartbeat)
{
    bool recovery = false;
    size_t pos = 0;
    while (pos < n) {
        if (n - pos < 4)
            return false;
        uint16_t type = ow_be16(p + pos), len = ow_be16(p + pos + 2);
        if (type == 0 || len > n - pos - 4 || (type >= 32768 && len < 2))
            return false;
        if (type == IE_RECOVERY_TIME_STAMP) {
            if (len != 4)
                return false;
            recovery = true;
        }
        pos += 4 + (size_t)len;
    }
    return !heartbeat || recovery;
}

/* type: the message type; aux: 1 when the S flag is set. */
static enum ow_parse pfcp_parse(const uint8_t *buf, size_t avail, bool final, struct ow_pdu *out)
{
    (void)final;
    if (avail >= 1 && ((buf[0] >> 5) != 1 || (buf[0] & 0x18)))
        return OW_PARSE_BAD;
    bool s = avail >= 1 && (buf[0] & 0x01), mp = avail >= 1 && (buf[0] & 0x02);
    if (avail >= 2 && (s ? !session_type(buf[1]) : !node_type(buf[1])))
        return OW_PARSE_BAD;
    if (avail >= 1 && mp && !s)
        return OW_PARSE_BAD;                     /* a priority only for session messages */
    size_t hdr = s ? 16 : 8;
    if (avail >= 4 && ow_be16(buf + 2) < hdr - 4)
        return OW_PARSE_BAD;
    if (avail < hdr)
        return OW_PARSE_NEED_MORE;
    uint8_t last = buf[hdr - 1];
    if (mp ? (last & 0x0F) : last)
        return OW_PARSE_BAD;                     /* spare bits */
    out->header_ok = true;
    out->size = 4 + (size_t)ow_be16(buf + 2);
    out->type = buf[1];
    out->aux = s;
    if (avail < out->size)
        return OW_PARSE_NEED_MORE;
    if (!ies_ok(buf + hdr, out->size - hdr, buf[1] == 1 || buf[1] == 2))
        return OW_PARSE_BAD;
    /* Without FO set the message ends the datagram; the stream enforces the rest. */
    if (!(buf[0] & 0x04) && final && out->size != avail)
        return OW_PARSE_BAD;
    return OW_PARSE_OK;
}

static enum ow_parse pfcp_probe(int dir, const uint8_t *buf, size_t avail, bool final)
{
    (void)dir;
    struct ow_pdu p;
    memset(&p, 0, sizeof p);
    enum ow_parse r = pfcp_parse(buf, avail, final, &p);
    return r == OW_PARSE_OK || p.header_ok ? OW_PARSE_OK : r;
}

static void pfcp_note(struct ow_cls_evidence *ev, int dir, const struct ow_pdu *p, bool complete)
{
    (void)ev;
    (void)dir;
    (void)p;
    (void)complete;
}

static struct ow_cls_decision pfcp_decide(const struct ow_cls_evidence *ev, bool final)
{
    return ow_cls_decide_messages(ev, 1, final);
}

static const char *const pfcp_labels[] = { "PFCP", NULL };

const struct ow_classifier ow_cls_pfcp = {
    .name = "PFCP (3GPP TS 29.244)",
    .kind = OW_CLS_OM,
    .l4 = OW_CLS_UDP,
    .labels = pfcp_labels,
    .probe = pfcp_probe,
    .parse = pfcp_parse,
    .note = pfcp_note,
    .decide = pfcp_decide,
};
