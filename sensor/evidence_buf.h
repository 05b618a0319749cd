/* evidence_buf.h — a flow's packets kept as a pcap file image: the first packets of every
 * flow until its verdict is known (so an alert's evidence starts at its first packet), then,
 * for anomalies only, the rest up to a cap. Grows by doubling: a handful of allocations per
 * flow, none per packet once grown. */
#ifndef OW_EVIDENCE_BUF_H
#define OW_EVIDENCE_BUF_H

#include <stdbool.h>
#include <stdint.h>

/* Before the verdict: what every flow may hold. */
#define OW_EVIDENCE_PREVERDICT_PKTS 32u
#define OW_EVIDENCE_PREVERDICT_BYTES (64u << 10)
/* After an anomaly verdict: the per-flow cap by default (--evidence-packets, --evidence-kb). */
#define OW_EVIDENCE_FLOW_PKTS 1000u
#define OW_EVIDENCE_FLOW_BYTES (2u << 20)

/* Bytes of the pcap file header every buffer starts with. */
#define OW_EVIDENCE_HEADER_LEN 24u

struct ow_evidence_buf {
    uint8_t *data;          /* pcap header + records */
    uint32_t len, cap;
    uint32_t packets;
    bool truncated;
    bool oom;                    /* a packet was left out for want of memory */
};

/* A buffer with the pcap file header for link type dlt; NULL when out of memory. */
struct ow_evidence_buf *ow_evidence_new(int dlt);
void ow_evidence_free(struct ow_evidence_buf *b);

/* Appends one packet unless that would pass max_pkts or max_bytes (then marks truncated).
 * Returns false when it was not kept. */
bool ow_evidence_add(struct ow_evidence_buf *b, uint64_t ts_us, uint32_t caplen, uint32_t wirelen,
                     const uint8_t *frame, uint32_t max_pkts, uint32_t max_bytes);

/* Hands over the image (caller frees data) and frees the buffer itself. */
uint8_t *ow_evidence_take(struct ow_evidence_buf *b, uint32_t *len, uint32_t *packets, bool *truncated);

#endif
