/* fuzz_ps_pdu.c — libFuzzer target: PS-PDU parser (and the BER reader under it). */
#include <stddef.h>
#include <stdint.h>

#include "classifiers/li/li_ps_pdu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t off = 0;
    while (off < size) {
        struct ow_ps_pdu p;
        if (ow_ps_pdu_parse(data + off, size - off, &p) != OW_PARSE_OK)
            break;
        if (p.liid && (p.liid < data || p.liid + p.liid_len > data + size))
            __builtin_trap();
        if (p.size == 0 || p.size > size - off)
            __builtin_trap();
        off += p.size;
    }
    return 0;
}
