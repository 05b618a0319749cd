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
