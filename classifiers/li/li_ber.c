/* li_ber.c — bounded BER header reader and element sizing (definite and indefinite). */
#include "classifiers/li/li_ber.h"

enum ow_parse ow_ber_read_hdr(const uint8_t *buf, size_t avail, struct ow_ber_hdr *h)
{
    size_t pos = 0;

    if (avail < 1)
        return OW_PARSE_NEED_MORE;
    h->cls = buf[0] & 0xC0;
    h->constructed = (buf[0] & 0x20) != 0;
    h->tag = buf[0] & 0x1F;
    if (buf[0] == 0x00)
        return OW_PARSE_BAD;                  /* universal 0 is only ever an end-of-contents */
    pos = 1;
    if (h->tag == 0x1F) {
        /* High tag number form: base-128 digits, at most 4 of them. */
        uint32_t tag = 0;
        int digits = 0;
        for (;;) {
            if (pos >= avail)
                return OW_PARSE_NEED_MORE;
            uint8_t b = buf[pos++];
            if (digits == 0 && b == 0x80)
                return OW_PARSE_BAD;          /* leading zero digit */
            tag = (tag << 7) | (b & 0x7F);
            if (++digits > 4)
                return OW_PARSE_BAD;
            if (!(b & 0x80))
                break;
        }
        h->tag = tag;
    }

    if (pos >= avail)
        return OW_PARSE_NEED_MORE;
    uint8_t first = buf[pos++];
    h->indefinite = 0;
    if (first < 0x80) {
        h->len = first;
    } else if (first == 0x80) {
        if (!h->constructed)
            return OW_PARSE_BAD;
        h->indefinite = 1;
        h->len = 0;
    } else {
        size_t n = first & 0x7F;
        if (n > 4)
            return OW_PARSE_BAD;              /* also rejects the reserved 0xFF */
        size_t len = 0;
        for (size_t i = 0; i < n; i++) {
            if (pos >= avail)
                return OW_PARSE_NEED_MORE;
            len = (len << 8) | buf[pos++];
        }
        h->len = len;
    }
    h->hdr_len = pos;
    return OW_PARSE_OK;
}

/* Walks the element at buf. With deep set, constructed definite elements are opened too. */
static enum ow_parse element_walk(const uint8_t *buf, size_t avail, size_t *total, int depth,
                                     int deep)
{
    struct ow_ber_hdr h;
    enum ow_parse r = ow_ber_read_hdr(buf, avail, &h);
    if (r != OW_PARSE_OK)
        return r;
    if (depth >= OW_BER_MAX_DEPTH)
        return OW_PARSE_BAD;

    if (!h.indefinite) {
        if (h.len > SIZE_MAX - h.hdr_len)
            return OW_PARSE_BAD;
        *total = h.hdr_len + h.len;
        if (*total > avail)
            return OW_PARSE_NEED_MORE;
        if (!deep || !h.constructed)
            return OW_PARSE_OK;
        size_t pos = h.hdr_len;
        while (pos < *total) {
            size_t child = 0;
            r = element_walk(buf + pos, *total - pos, &child, depth + 1, deep);
            if (r != OW_PARSE_OK)
                return OW_PARSE_BAD;          /* a child overruns its parent */
            pos += child;
        }
        return OW_PARSE_OK;
    }

    size_t pos = h.hdr_len;
    for (;;) {
        if (avail - pos < 2)
            return OW_PARSE_NEED_MORE;
        if (buf[pos] == 0 && buf[pos + 1] == 0) {
            *total = pos + 2;
            return OW_PARSE_OK;
        }
        size_t child = 0;
        r = element_walk(buf + pos, avail - pos, &child, depth + 1, deep);
        if (r != OW_PARSE_OK)
            return r;
        pos += child;
    }
}

enum ow_parse ow_ber_element_size(const uint8_t *buf, size_t avail, size_t *total)
{
    return element_walk(buf, avail, total, 0, 0);
}

enum ow_parse ow_ber_element_check(const uint8_t *buf, size_t avail, size_t *total)
{
    return element_walk(buf, avail, total, 0, 1);
}

bool ow_ber_next(struct ow_ber_cursor *c, uint8_t *ident, struct ow_ber_cursor *content)
{
    if (c->pos >= c->end)
        return false;
    struct ow_ber_hdr h;
    size_t room = c->end - c->pos;
    if (ow_ber_read_hdr(c->buf + c->pos, room, &h) != OW_PARSE_OK || h.indefinite ||
        (c->buf[c->pos] & 0x1F) == 0x1F || h.len > room - h.hdr_len)
        return false;
    *ident = c->buf[c->pos];
    content->buf = c->buf;
    content->pos = c->pos + h.hdr_len;
    content->end = content->pos + h.len;
    c->pos = content->end;
    return true;
}

bool ow_ber_uint(const struct ow_ber_cursor *content, uint32_t *value)
{
    size_t n = content->end - content->pos;
    const uint8_t *p = content->buf + content->pos;
    if (n < 1 || n > 5 || (p[0] & 0x80) || (n == 5 && p[0] != 0))
        return false;
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    *value = v;
    return true;
}

bool ow_ber_oid_ok(const struct ow_ber_cursor *content)
{
    size_t n = content->end - content->pos;
    const uint8_t *p = content->buf + content->pos;
    if (n < 1 || n > 128 || (p[n - 1] & 0x80))
        return false;
    bool start = true;
    for (size_t i = 0; i < n; i++) {
        if (start && p[i] == 0x80)
            return false;                     /* a sub-identifier with a leading zero digit */
        start = !(p[i] & 0x80);
    }
    return true;
}
