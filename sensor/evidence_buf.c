/* evidence_buf.c — pcap file images built in memory. */
#include "sensor/evidence_buf.h"
#include "common/alloc.h"

#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#define REC_HDR 16u
#define LINKTYPE_RAW 101

/* pcap files carry LINKTYPE_* values; they equal DLT_* except for a few, raw IP above all. */
static uint32_t linktype_of(int dlt)
{
#ifdef DLT_RAW
    if (dlt == DLT_RAW)
        return LINKTYPE_RAW;
#endif
    return (uint32_t)dlt;
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }   /* host order, as pcap writers do */
static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }

struct ow_evidence_buf *ow_evidence_new(int dlt)
{
    struct ow_evidence_buf *b = ow_calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->cap = 4096;
    b->data = ow_malloc(b->cap);
    if (!b->data) {
        free(b);
        return NULL;
    }
    put32(b->data, 0xa1b2c3d4);
    put16(b->data + 4, 2);
    put16(b->data + 6, 4);
    put32(b->data + 8, 0);
    put32(b->data + 12, 0);
    put32(b->data + 16, 262144);
    put32(b->data + 20, linktype_of(dlt));
    b->len = OW_EVIDENCE_HEADER_LEN;
    return b;
}

void ow_evidence_free(struct ow_evidence_buf *b)
{
    if (b) {
        free(b->data);
        free(b);
    }
}

bool ow_evidence_add(struct ow_evidence_buf *b, uint64_t ts_us, uint32_t caplen, uint32_t wirelen,
                     const uint8_t *frame, uint32_t max_pkts, uint32_t max_bytes)
{
    uint64_t need = (uint64_t)b->len + REC_HDR + caplen;
    if (b->packets >= max_pkts || need > max_bytes) {
        b->truncated = true;
        return false;
    }
    if (need > b->cap) {
        uint64_t cap = b->cap;
        while (cap < need)
            cap *= 2;
        if (cap > max_bytes)
            cap = max_bytes;
        uint8_t *d = ow_realloc(b->data, (size_t)cap);
        if (!d) {
            b->truncated = true;
            b->oom = true;
            return false;
        }
        b->data = d;
        b->cap = (uint32_t)cap;
    }
    uint8_t *r = b->data + b->len;
    put32(r, (uint32_t)(ts_us / 1000000u));
    put32(r + 4, (uint32_t)(ts_us % 1000000u));
    put32(r + 8, caplen);
    put32(r + 12, wirelen);
    memcpy(r + REC_HDR, frame, caplen);
    b->len = (uint32_t)need;
    b->packets++;
    return true;
}

uint8_t *ow_evidence_take(struct ow_evidence_buf *b, uint32_t *len, uint32_t *packets, bool *truncated)
{
    uint8_t *d = b->data;
    *len = b->len;
    *packets = b->packets;
    *truncated = b->truncated;
    free(b);
    return d;
}
