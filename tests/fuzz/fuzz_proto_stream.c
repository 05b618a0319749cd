/* fuzz_proto_stream.c — libFuzzer target: the per-flow classifier stream (every LI and O&M
 * classifier of the table) with hostile segmentation. The
 * input is a list of records: 1 byte flags (bit 0 direction, bit 1 SYN), 2 bytes sequence
 * offset, 1 byte length, then that many payload bytes. Exercises reassembly, every parser
 * and the decision logic together. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "classifiers/proto_stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct ow_proto_stream *st = ow_proto_stream_new(data[0] & 1 ? 17 : 6);
    if (!st)
        return 0;
    size_t off = 1;
    while (off + 4 <= size) {
        uint8_t flags = data[off];
        uint32_t seq = 1000u + (uint32_t)(data[off + 1] << 8 | data[off + 2]);
        size_t len = data[off + 3];
        off += 4;
        if (len > size - off)
            len = size - off;
        ow_proto_stream_add(st, flags & 1, seq, (flags & 2) != 0, data + off, (uint32_t)len);
        off += len;
    }
    struct ow_proto_result res;
    ow_proto_stream_finish(st, &res);
    const struct ow_li_fields *f = &res.li;
    if (f->label > OW_LI_HI3 || f->confidence > 100 || !memchr(f->xid, 0, sizeof f->xid) ||
        !memchr(f->liid, 0, sizeof f->liid) || !memchr(f->target, 0, sizeof f->target) ||
        !memchr(res.om_label, 0, sizeof res.om_label) || res.om_confidence > 100 ||
        (f->label && res.om_label[0]))
        __builtin_trap();
    ow_proto_stream_free(st);
    return 0;
}
