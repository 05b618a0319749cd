/* flow_pack.h — a flow record with only the bytes of the strings it actually holds. A
 * decided flow is held so in the flow table until it ends: the fields its packets no longer
 * change (identity, classification, LI fields, verdict), while the worker keeps those they
 * do change (counters, times, slice) beside it and lays them over the record it unpacks.
 * With every field, it is how a record crosses the ring to the writer
 * (docs/architecture.md, "Memory"). */
#ifndef OW_FLOW_PACK_H
#define OW_FLOW_PACK_H

#include <stdbool.h>
#include <stddef.h>

#include "common/flow_record.h"

struct ow_flow_packed;

/* The packed form of rec's unchanging fields, in one allocation; NULL when memory runs out
 * (the caller keeps the whole record then). Strings longer than their field are cut. */
struct ow_flow_packed *ow_flow_pack(const struct ow_flow_record *rec);
/* The same into buf (ow_flow_packed_max() bytes, 2-aligned), with_changing also packing the
 * fields packets change and those set at hand-over: the whole record, as the ring to the
 * writer carries it. Returns the bytes written. */
size_t ow_flow_pack_to(const struct ow_flow_record *rec, bool with_changing, void *buf);
size_t ow_flow_packed_max(void);
/* Writes the whole record: the packed fields, every other field zero. */
void ow_flow_unpack(const struct ow_flow_packed *p, struct ow_flow_record *out);
/* Bytes p takes (its allocation's size). */
size_t ow_flow_packed_size(const struct ow_flow_packed *p);
void ow_flow_packed_free(struct ow_flow_packed *p);

#endif
