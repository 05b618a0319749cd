/* fuzz_xml.c — libFuzzer target: X1/HI1 HTTP+XML parser, partial and final. */
#include <stddef.h>
#include <stdint.h>

#include "classifiers/li/li_xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int final = 0; final < 2; final++) {
        struct ow_xml_msg m;
        if (ow_xml_parse(data, size, final, &m) == OW_PARSE_OK) {
            if (m.xid && (m.xid < data || m.xid + m.xid_len > data + size))
                __builtin_trap();
            if (m.target && (m.target < data || m.target + m.target_len > data + size))
                __builtin_trap();
        }
    }
    return 0;
}
