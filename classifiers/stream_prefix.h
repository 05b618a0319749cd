/* stream_prefix.h — in-order prefix of one TCP direction (or the concatenated datagrams of a
 * UDP one), bounded to a fixed capacity. Segments are placed by sequence number in a buffer
 * with a bitmap of filled bytes; the readable prefix ends at the first hole. The caller
 * provides the memory, so a flow's two directions live in its one allocation. */
#ifndef OW_STREAM_PREFIX_H
#define OW_STREAM_PREFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ow_stream_prefix {
    uint8_t *data;            /* cap bytes */
    uint8_t *filled;          /* cap/8 bytes: bit i set when data[i] is known */
    uint32_t cap;
    uint32_t base_seq;        /* sequence number of data[0] */
    uint32_t contiguous;      /* bytes readable from data[0] without a hole */
    bool     base_known;
    bool     saw_beyond;      /* a segment reached past cap: the direction had more bytes */
};

/* data must hold cap bytes and filled cap/8 (cap a multiple of 8), both zeroed. */
void ow_stream_prefix_init(struct ow_stream_prefix *sp, uint8_t *data, uint8_t *filled, uint32_t cap);

/* Places one TCP segment. syn: the segment carries SYN, its seq+1 starts the stream. Without
 * a SYN the first segment with payload fixes the start. Bytes before the start or past cap
 * are dropped; bytes already known are kept (the first copy wins). */
void ow_stream_prefix_add_tcp(struct ow_stream_prefix *sp, uint32_t seq, bool syn,
                              const uint8_t *payload, uint32_t len);

/* Appends one datagram (UDP has no sequence numbers: arrival order is the order). */
void ow_stream_prefix_add_datagram(struct ow_stream_prefix *sp, const uint8_t *payload, uint32_t len);

static inline bool ow_stream_prefix_full(const struct ow_stream_prefix *sp)
{
    return sp->contiguous == sp->cap;
}

#endif
