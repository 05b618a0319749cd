/* ndpi_flow.h — nDPI 4.2 behind a small interface. Each worker owns one detection module
 * (nDPI keeps per-packet scratch state in the module, so modules are never shared between
 * threads). A flow's nDPI state is fed with the rule ndpiReader uses (80 TCP / 24 UDP packets,
 * extra dissection honoured), then its results are copied into the flow record and the
 * state is freed. */
#ifndef OW_NDPI_FLOW_H
#define OW_NDPI_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/flow_record.h"

/* Optional nDPI configuration files, as ndpiReader's -p -c -r -j -S take them. */
struct ow_ndpi_config {
    const char *protos_file;
    const char *categories_file;
    const char *risky_domains_file;
    const char *ja3_file;
    const char *sha1_file;
};

struct ow_ndpi_module;
struct ndpi_flow_struct;

/* The protocol nDPI returned for the flow's latest packet. nDPI 4.2 adjusts this return
 * value (from its caches: Teams, ...) without writing it back into the flow, and ndpiReader
 * reports it, so the flow keeps it. */
struct ow_ndpi_last {
    uint16_t master, app;
    uint32_t category;
    uint32_t named_packets;     /* the flow's packet count when nDPI first named it; 0: not yet */
    uint64_t named_ts_us;       /* and that packet's time */
    uint64_t first_ts_us;       /* the first packet nDPI was given */
};

/* Creates a module. Not thread-safe: create all modules from one thread. NULL on failure
 * with a one-line reason in err (e.g. an unreadable protos file). */
struct ow_ndpi_module *ow_ndpi_module_new(const struct ow_ndpi_config *cfg,
                                          char *err, size_t errlen);
void ow_ndpi_module_free(struct ow_ndpi_module *m);

/* Per-flow state: one zeroed allocation per flow. */
struct ndpi_flow_struct *ow_ndpi_flow_new(void);

/* Feeds one packet (l3 = IP header onwards). flow_packets counts this flow's packets in both
 * directions including this one. Returns true when detection is complete: then call
 * ow_ndpi_flow_finish. Complete means nDPI has named the protocol and has nothing more to
 * dissect, or has named it and gone on dissecting (for metadata: certificates, HASSH,
 * credentials) for OW_NDPI_EXTRA_PACKETS more packets or OW_NDPI_EXTRA_US of packet time,
 * or has found nothing in OW_NDPI_UNNAMED_US of packet time (then it guesses, as at the
 * packet cap), or the packet cap (80 TCP / 24 UDP) is reached. The time bounds keep the
 * verdict, and its alert, from waiting a minute for a slow interactive session (a keystroke
 * every few seconds) to reach the cap, or for a Telnet login nDPI would go on reading. */
#define OW_NDPI_EXTRA_PACKETS 32
#define OW_NDPI_EXTRA_US 2000000ull
#define OW_NDPI_UNNAMED_US 3000000ull
bool ow_ndpi_flow_feed(struct ow_ndpi_module *m, struct ndpi_flow_struct *f, uint8_t l4_proto,
                       const uint8_t *l3, uint32_t l3_len, uint64_t ts_us, uint64_t flow_packets,
                       struct ow_ndpi_last *last);

/* Gives up if detection did not complete or found nothing (with port/IP guessing, as
 * ndpiReader), copies protocol, category, confidence, risks and metadata into rec, then
 * frees f. completed = the last ow_ndpi_flow_feed returned true. */
void ow_ndpi_flow_finish(struct ow_ndpi_module *m, struct ndpi_flow_struct *f, bool completed,
                         const struct ow_ndpi_last *last, struct ow_flow_record *rec);

/* Frees f without reading it (flow discarded). */
void ow_ndpi_flow_discard(struct ndpi_flow_struct *f);

/* True when name is an nDPI protocol name (case-insensitive): the policy checks `app`. */
bool ow_ndpi_protocol_known(struct ow_ndpi_module *m, const char *name);

#endif
