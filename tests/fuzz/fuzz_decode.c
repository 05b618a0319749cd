/* fuzz_decode.c — libFuzzer target for the packet decoder: the first byte picks a link type
 * the decoder reads, the rest is the frame. Every OK result must stay inside the frame. */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sensor/decode.h"

static const int dlts[] = {
    DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_IPV4, DLT_IPV6, DLT_NULL, DLT_LOOP,
    DLT_PPP, DLT_PPP_SERIAL, DLT_C_HDLC, DLT_PPP_ETHER, DLT_IEEE802_11, DLT_IEEE802_11_RADIO,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536)
        return 0;
    int dlt = dlts[data[0] % (sizeof dlts / sizeof dlts[0])];
    /* An exact-size heap copy, so ASan sees any read past the frame. */
    size_t len = size - 1;
    uint8_t *frame = malloc(len ? len : 1);
    if (!frame)
        return 0;
    memcpy(frame, data + 1, len);
    struct ow_packet pkt;
    memset(&pkt, 0, sizeof pkt);
    pkt.caplen = pkt.wirelen = (uint32_t)len;
    if (ow_decode(dlt, frame, (uint32_t)len, &pkt) == OW_DECODE_OK) {
        if ((uint64_t)pkt.l3_off + pkt.l3_len > len || (uint64_t)pkt.payload_off + pkt.payload_len > len)
            abort();
        struct ow_flow_key key;
        bool from_a;
        ow_flow_key_from_packet(&pkt, &key, &from_a);
        (void)ow_flow_key_hash(&key);
    }
    free(frame);
    return 0;
}
