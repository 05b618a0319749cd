/* om_bfd.c — BFD control packets (RFC 5880 section 4.1) over UDP: single hop on 3784 (RFC
 * 5881), multihop on 4784 (RFC 5883), micro-BFD on LAG members on 6784 (RFC 7130), seamless
 * BFD on 7784 (RFC 7880, same packet). One datagram is one packet, checked as a receiver
 * must (RFC 5880 section 6.8.6): version 1, a diagnostic code 0-8, the Multipoint bit clear,
 * never Poll and Final together, a non-zero Detect Mult and My Discriminator, Your
 * Discriminator zero only in the Down and AdminDown states, and a Length of 24 bytes plus
 * the authentication section (sections 4.2-4.4: simple password 1-16 bytes, keyed MD5 24,
 * keyed SHA1 28) that ends the datagram. Echo packets (port 3785) have no defined format and
 * are not recognised. Evidence kept: none beyond the stream's counts. */
#include "classifiers/classifier.h"

#include <string.h>

#define BFD_BASE_LEN 24

static bool auth_ok(const uint8_t *a, size_t n)
{
    if (n < 2 || a[1] != n)
        return false;
    switch (a[0]) {
    case 1:                                      /* simple password, 1-16 bytes */
        return n >= 4 && n <= 19;
    case 2: case 3:                              /* keyed MD5, meticulous keyed MD5 */
        return n == 24 && a[3] == 0;
    case 4: case 5:                              /* keyed SHA1, meticulous keyed SHA1 */
        return n == 28 && a[3] == 0;
    default:
        return false;
    }
}

/* type: the session state (0 AdminDown, 1 Down, 2 Init, 3 Up). */
static enum ow_parse bfd_parse(const uint8_t *buf, size_t avail, bool final, struct ow_pdu *out)
{
    if (avail >= 1 && ((buf[0] >> 5) != 1 || (buf[0] & 0x1F) > 8))
        return OW_PARSE_BAD;
    if (avail >= 2 && ((buf[1] & 0x01) || (buf[1] & 0x30) == 0x30))   /* M; P and F */
        return OW_PARSE_BAD;
    if (avail >= 3 && buf[2] == 0)
        return OW_PARSE_BAD;
    if (avail >= 4) {
        bool a = buf[1] & 0x04;
        if (buf[3] < (a ? BFD_BASE_LEN + 2 : BFD_BASE_LEN) || (!a && buf[3] != BFD_BASE_LEN))
            return OW_PARSE_BAD;
    }
    if (avail < BFD_BASE_LEN || !final)
        return OW_PARSE_NEED_MORE;
    uint8_t state = buf[1] >> 6;
    if (ow_be32(buf + 4) == 0 || (ow_be32(buf + 8) == 0 && state > 1))
        return OW_PARSE_BAD;
    if (buf[3] != avail)
        return OW_PARSE_BAD;                     /* the packet is the whole datagram */
    if ((buf[1] & 0x04) && !auth_ok(buf + BFD_BASE_LEN, avail - BFD_BASE_LEN))
        return OW_PARSE_BAD;
    out->header_ok = true;
    out->size = avail;
    out->type = state;
    return OW_PARSE_OK;
}

static enum ow_parse bfd_probe(int dir, const uint8_t *buf, size_t avail, bool final)
{
    (void)dir;
    struct ow_pdu p;
    memset(&p, 0, sizeof p);
    return bfd_parse(buf, avail, final, &p);
}

static void bfd_note(struct ow_cls_evidence *ev, int dir, const struct ow_pdu *p, bool complete)
{
    (void)ev;
    (void)dir;
    (void)p;
    (void)complete;
}

static struct ow_cls_decision bfd_decide(const struct ow_cls_evidence *ev, bool final)
{
    return ow_cls_decide_messages(ev, 1, final);
}

static const char *const bfd_labels[] = { "BFD", NULL };

const struct ow_classifier ow_cls_bfd = {
    .name = "BFD (RFC 5880, RFC 5881)",
    .kind = OW_CLS_OM,
    .l4 = OW_CLS_UDP,
    .labels = bfd_labels,
    .probe = bfd_probe,
    .parse = bfd_parse,
    .note = bfd_note,
    .decide = bfd_decide,
};
