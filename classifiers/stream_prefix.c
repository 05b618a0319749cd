/* stream_prefix.c — bounded in-order reassembly of the first bytes of a direction. */
#include "classifiers/stream_prefix.h"

#include <string.h>

void ow_stream_prefix_init(struct ow_stream_prefix *sp, uint8_t *data, uint8_t *filled, uint32_t cap)
{
    memset(sp, 0, sizeof *sp);
    sp->data = data;
    sp->filled = filled;
    sp->cap = cap;
}

static bool is_filled(const struct ow_stream_prefix *sp, uint32_t i)
{
    return sp->filled[i >> 3] & (1u << (i & 7));
}

static void place(struct ow_stream_prefix *sp, uint32_t off, const uint8_t *payload, uint32_t len)
{
    if (off >= sp->cap) {
        sp->saw_beyond = true;
        return;
    }
    if (len > sp->cap - off) {
        len = sp->cap - off;
        sp->saw_beyond = true;
    }
    for (uint32_t i = 0; i < len; i++) {
        uint32_t at = off + i;
        if (!is_filled(sp, at)) {
            sp->data[at] = payload[i];
            sp->filled[at >> 3] |= (uint8_t)(1u << (at & 7));
        }
    }
    while (sp->contiguous < sp->cap && is_filled(sp, sp->contiguous))
        sp->contiguous++;
}

void ow_stream_prefix_add_tcp(struct ow_stream_prefix *sp, uint32_t seq, bool syn,
                              const uint8_t *payload, uint32_t len)
{
    if (syn) {
        if (!sp->base_known) {
            sp->base_seq = seq + 1;
            sp->base_known = true;
        }
        seq++;                                /* data on a SYN follows the SYN's number */
    }
    if (len == 0 || !payload)
        return;
    if (!sp->base_known) {
        sp->base_seq = seq;
        sp->base_known = true;
    }
    /* Offsets are modulo 2^32; a segment starting before the base is trimmed. */
    uint32_t off = seq - sp->base_seq;
    if (off >= 0x80000000u) {
        uint32_t before = sp->base_seq - seq;
        if (before >= len)
            return;
        payload += before;
        len -= before;
        off = 0;
    }
    place(sp, off, payload, len);
}

void ow_stream_prefix_add_datagram(struct ow_stream_prefix *sp, const uint8_t *payload, uint32_t len)
{
    if (len == 0 || !payload)
        return;
    if (sp->contiguous >= sp->cap) {
        sp->saw_beyond = true;
        return;
    }
    place(sp, sp->contiguous, payload, len);
}
