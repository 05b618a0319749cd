/* fuzz_x2x3.c — libFuzzer target: X2/X3 PDU parser on arbitrary bytes, walking PDUs. */
#include <stddef.h>
#include <stdint.h>

#include "classifiers/li/li_x2x3.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t off = 0;
    while (off < size) {
        struct ow_x2x3_pdu p;
        if (ow_x2x3_parse(data + off, size - off, &p) != OW_PARSE_OK)
            break;
        if (p.target && (p.target < data || p.target + p.target_len > data + size))
            __builtin_trap();
        if (p.size == 0 || p.size > size - off)
            __builtin_trap();
        off += p.size;
    }
    return 0;
}
