/* fuzz_hi2_33108.c — libFuzzer target: TS 33.108 / TS 101 671 IRI record parser. */
#include <stddef.h>
#include <stdint.h>

#include "classifiers/li/li_hi2_33108.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t off = 0;
    while (off < size) {
        struct ow_hi2_record r;
        if (ow_hi2_33108_parse(data + off, size - off, &r) != OW_PARSE_OK)
            break;
        if (r.liid && (r.liid < data || r.liid + r.liid_len > data + size))
            __builtin_trap();
        if (r.size == 0 || r.size > size - off)
            __builtin_trap();
        off += r.size;
    }
    return 0;
}
