/* li_xml.c — HTTP start line and headers, then a namespace search in the XML body. */
#include "classifiers/li/li_xml.h"

#include <ctype.h>
#include <string.h>

#include "classifiers/li/li_text.h"

#define X1_NAMESPACE  "uri.etsi.org/03221/X1/"
#define HI1_NAMESPACE "uri.etsi.org/03120/"

static const char *const http_starts[] = {
    "POST ", "PUT ", "GET ", "PATCH ", "HTTP/1.0 ", "HTTP/1.1 ",
};

/* 1 when the bytes seen fit one of the start tokens, 2 when one matched whole, 0 when none. */
static int http_start(const uint8_t *buf, size_t avail)
{
    int fits = 0;
    for (size_t i = 0; i < sizeof http_starts / sizeof http_starts[0]; i++) {
        size_t n = strlen(http_starts[i]);
        size_t m = avail < n ? avail : n;
        if (memcmp(buf, http_starts[i], m) == 0) {
            if (avail >= n)
                return 2;
            fits = 1;
        }
    }
    return fits;
}

/* Value of header name (case-insensitive) inside the header block, or NULL. */
static const uint8_t *header_value(const uint8_t *hdrs, size_t len, const char *name,
                                   size_t *vlen)
{
    size_t n = strlen(name);
    for (size_t pos = 0; pos < len;) {
        const uint8_t *eol = memchr(hdrs + pos, '\n', len - pos);
        size_t line_len = eol ? (size_t)(eol - (hdrs + pos)) : len - pos;
        if (line_len > n && hdrs[pos + n] == ':' && strncasecmp((const char *)hdrs + pos, name, n) == 0) {
            size_t v = pos + n + 1;
            while (v < pos + line_len && (hdrs[v] == ' ' || hdrs[v] == '\t'))
                v++;
            size_t end = pos + line_len;
            while (end > v && (hdrs[end - 1] == '\r' || hdrs[end - 1] == ' '))
                end--;
            *vlen = end - v;
            return hdrs + v;
        }
        pos += line_len + 1;
    }
    return NULL;
}

/* Text content of the first element whose name ends with name (any namespace prefix). */
static const uint8_t *element_text(const uint8_t *body, size_t len, const char *name, size_t *tlen)
{
    size_t n = strlen(name);
    for (size_t pos = 0; pos + n + 2 <= len; pos++) {
        if (body[pos] != '<' || body[pos + 1] == '/')
            continue;
        size_t end = pos + 1;
        while (end < len && body[end] != '>' && body[end] != ' ' && body[end] != '/')
            end++;
        if (end >= len || body[end] != '>')
            continue;
        size_t name_len = end - (pos + 1);
        const uint8_t *nm = body + end - n;
        if (name_len < n || memcmp(nm, name, n) != 0 || (name_len > n && nm[-1] != ':'))
            continue;
        size_t t = end + 1;
        size_t stop = t;
        while (stop < len && body[stop] != '<')
            stop++;
        if (stop >= len)
            return NULL;
        while (t < stop && isspace(body[t]))
            t++;
        while (stop > t && isspace(body[stop - 1]))
            stop--;
        *tlen = stop - t;
        return body + t;
    }
    return NULL;
}

/* First non-empty element text after an opening <…targetIdentifier…> tag. */
static const uint8_t *target_text(const uint8_t *body, size_t len, size_t *tlen)
{
    const uint8_t *p = ow_li_memmem(body, len, "targetIdentifier");
    if (p) {
        size_t pos = (size_t)(p - body);
        const uint8_t *gt = memchr(p, '>', len - pos);
        if (!gt)
            return NULL;
        for (const uint8_t *t = gt + 1; t < body + len; t++) {
            const uint8_t *lt = memchr(t, '<', (size_t)(body + len - t));
            if (!lt)
                return NULL;
            const uint8_t *s = t, *e = lt;
            while (s < e && isspace(*s))
                s++;
            while (e > s && isspace(e[-1]))
                e--;
            if (e > s) {
                *tlen = (size_t)(e - s);
                return s;
            }
            const uint8_t *gt2 = memchr(lt, '>', (size_t)(body + len - lt));
            if (!gt2)
                return NULL;
            t = gt2;
        }
        return NULL;
    }
    return NULL;
}

enum ow_parse ow_xml_parse(const uint8_t *buf, size_t avail, int final, struct ow_xml_msg *msg)
{
    memset(msg, 0, sizeof *msg);
    int start = http_start(buf, avail);
    if (start == 0)
        return OW_PARSE_BAD;
    if (start == 1)
        return final ? OW_PARSE_BAD : OW_PARSE_NEED_MORE;

    const uint8_t *hdr_end = ow_li_memmem(buf, avail, "\r\n\r\n");
    size_t sep = 4;
    if (!hdr_end) {
        hdr_end = ow_li_memmem(buf, avail, "\n\n");
        sep = 2;
    }
    if (!hdr_end)
        return final ? OW_PARSE_BAD : OW_PARSE_NEED_MORE;
    size_t hdr_len = (size_t)(hdr_end - buf);
    const uint8_t *body = hdr_end + sep;
    size_t body_len = avail - hdr_len - sep;

    size_t ct_len = 0;
    const uint8_t *ct = header_value(buf, hdr_len, "Content-Type", &ct_len);
    if (ct && !ow_li_memmem(ct, ct_len, "xml"))
        return OW_PARSE_BAD;
    size_t i = 0;
    while (i < body_len && isspace(body[i]))
        i++;
    if (i < body_len && body[i] != '<' && !ct)
        return OW_PARSE_BAD;               /* chunked bodies start with a hex size: need CT */
    size_t cl_len = 0;
    const uint8_t *cl = header_value(buf, hdr_len, "Content-Length", &cl_len);
    size_t te_len = 0;
    int is_request = buf[0] != 'H';
    if (is_request && !cl && !header_value(buf, hdr_len, "Transfer-Encoding", &te_len))
        return OW_PARSE_BAD;               /* a request without a body */
    if (i == body_len && !ct)
        return final ? OW_PARSE_BAD : OW_PARSE_NEED_MORE;

    size_t want = 0;
    if (cl)
        for (size_t k = 0; k < cl_len && k < 9 && isdigit(cl[k]); k++)
            want = want * 10 + (size_t)(cl[k] - '0');
    /* Fields sit further into the body: wait for all of it when its length is known. */
    int body_complete = final || (cl && body_len >= want);

    if (ow_li_memmem(body, body_len, X1_NAMESPACE)) {
        msg->kind = OW_XML_X1;
        msg->root_seen = ow_li_memmem(body, body_len, "X1Request") ||
                         ow_li_memmem(body, body_len, "X1Response") ||
                         ow_li_memmem(body, body_len, "X1TopLevelErrorResponse");
        msg->xid = element_text(body, body_len, "xId", &msg->xid_len);
        msg->target = target_text(body, body_len, &msg->target_len);
        return body_complete || (!cl && msg->xid) ? OW_PARSE_OK : OW_PARSE_NEED_MORE;
    }
    if (ow_li_memmem(body, body_len, HI1_NAMESPACE)) {
        msg->kind = OW_XML_HI1;
        msg->root_seen = ow_li_memmem(body, body_len, "HI1Message") != NULL;
        return OW_PARSE_OK;
    }

    /* Namespaces sit in the first element; give the body a fair chance to arrive. */
    return body_complete ? OW_PARSE_BAD : OW_PARSE_NEED_MORE;
}

/* ---- classifier entry ----------------------------------------------------------------
 * One message decides. Evidence kept: first: the XML kind; count[0] 1 when its root element
 * was seen. */

static enum ow_parse xml_pdu(const uint8_t *buf, size_t avail, bool final, struct ow_pdu *out)
{
    struct ow_xml_msg m;
    enum ow_parse r = ow_xml_parse(buf, avail, final, &m);
    out->header_ok = r == OW_PARSE_OK;
    out->size = avail;
    out->type = m.kind;
    out->aux = (uint32_t)m.root_seen;
    out->a = m.xid;
    out->a_len = m.xid_len;
    out->b = m.target;
    out->b_len = m.target_len;
    return r;
}

static enum ow_parse xml_probe(int dir, const uint8_t *buf, size_t avail, bool final)
{
    (void)dir;
    struct ow_pdu p;
    memset(&p, 0, sizeof p);
    enum ow_parse r = xml_pdu(buf, avail, final, &p);
    return r == OW_PARSE_OK || p.type != OW_XML_NONE ? OW_PARSE_OK : r;
}

static void xml_note(struct ow_cls_evidence *ev, int dir, const struct ow_pdu *p, bool complete)
{
    if (!complete)
        return;
    ev->first = (uint8_t)p->type;
    ev->count[0] = p->aux ? 1 : 0;
    if (p->a && !ev->li.xid[0])
        ow_li_printable(ev->li.xid, sizeof ev->li.xid, p->a, p->a_len);
    if (p->b && !ev->li.target[0])
        ow_li_printable(ev->li.target, sizeof ev->li.target, p->b, p->b_len);
    ev->stop[dir] = true;                     /* one message is all the direction needs */
}

static struct ow_cls_decision xml_decide(const struct ow_cls_evidence *ev, bool final)
{
    struct ow_cls_decision d = { 0, 0, false };
    d.label = ev->first == OW_XML_X1 ? OW_LI_X1 : ev->first == OW_XML_HI1 ? OW_LI_HI1 : OW_LI_NONE;
    if (d.label != OW_LI_NONE)
        d.confidence = ev->count[0] ? 95 : 75;
    else
        d.none = final;
    return d;
}

const struct ow_classifier ow_cls_xml = {
    .name = "X1 (ETSI TS 103 221-1) and HI1 (ETSI TS 103 120) XML over HTTP",
    .kind = OW_CLS_LI,
    .l4 = OW_CLS_TCP | OW_CLS_UDP,
    .probe = xml_probe,
    .parse = xml_pdu,
    .note = xml_note,
    .decide = xml_decide,
};
