/* fragments.h — remembers the ports of IP first fragments so that later fragments (which
 * carry no transport header) join the same flow. Fixed size, allocated once; entries age
 * out by packet time and the oldest entry of a full bucket is overwritten. No reassembly.
 * One thread per table: use it where packets are still in capture order, before the flow
 * hash is taken (see docs/decode.md). */
#ifndef OW_FRAGMENTS_H
#define OW_FRAGMENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sensor/packet.h"

/* How long, in packet time, a first fragment's ports stay known (RFC 791 suggests a
 * reassembly timeout of about 15 s, Linux uses 30 s). */
#define OW_FRAG_TIMEOUT_US (30ull * 1000000ull)

struct ow_frag_table;

/* A table of at least `slots` entries (rounded up to a power of two, at least 16).
 * NULL when slots is 0, absurdly large, or memory is short. */
struct ow_frag_table *ow_frag_table_new(size_t slots);
void ow_frag_table_free(struct ow_frag_table *t);

/* Records pkt's ports when pkt is a first fragment (pkt->frag == OW_FRAG_FIRST);
 * does nothing for other packets. */
void ow_frag_note_first(struct ow_frag_table *t, const struct ow_packet *pkt);

/* For a later fragment (pkt->frag == OW_FRAG_LATER) whose first fragment was noted within
 * OW_FRAG_TIMEOUT_US: fills pkt's ports (and, for IPv6, the transport protocol the first
 * fragment revealed) and returns true. False for orphans, expired entries and any packet
 * that is not a later fragment; pkt is then unchanged. */
bool ow_frag_resolve_later(struct ow_frag_table *t, struct ow_packet *pkt);

/* Entries currently holding a first fragment that has not expired at time now_us
 * (for statistics and tests; walks the table). */
size_t ow_frag_table_live(const struct ow_frag_table *t, uint64_t now_us);

#endif
