/* fuzz_ber.c — libFuzzer target: the bounded BER reader (header, sizing, deep check). */
#include <stddef.h>
#include <stdint.h>

#include "classifiers/li/li_ber.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ow_ber_hdr h;
    size_t total = 0, checked = 0;
    if (ow_ber_read_hdr(data, size, &h) == OW_PARSE_OK && h.hdr_len > size)
        __builtin_trap();
    enum ow_parse r = ow_ber_element_size(data, size, &total);
    if (r == OW_PARSE_OK && (total == 0 || total > size))
        __builtin_trap();
    /* A deep check never accepts what the shallow sizing rejects, and agrees on the size. */
    if (ow_ber_element_check(data, size, &checked) == OW_PARSE_OK &&
        (r != OW_PARSE_OK || checked != total))
        __builtin_trap();
    return 0;
}
