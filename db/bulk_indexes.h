/* bulk_indexes.h — secondary flow indexes a bulk replay builds once at its end instead of
 * keeping them row by row: Community IDs are random keys, and first_ts and verdict_status
 * arrive out of order over a replay of many captures, so each row costs the writer a b-tree
 * descent, now and then a page split, and a dirty page; building them at the end is one sort
 * each (docs/architecture.md, "Performance"). Only lookups by those columns are slower
 * meanwhile; every query still answers the same. A writer that opens the store builds any
 * that are missing (a replay that died before its end), so they are never gone for long.
 * Live capture keeps them: it has no end to wait for. */
#ifndef OW_BULK_INDEXES_H
#define OW_BULK_INDEXES_H

#include <stdint.h>

#include "db/store.h"

/* Drops the deferrable indexes when the run about to be written is expected to add at least
 * as many flows as the store holds (expected_flows, estimated by the caller from its input):
 * building them again over every row then costs less than keeping them up to date. The
 * handle's page cache shrinks to OW_STORE_BULK_CACHE_KIB for the rest of its life (a bulk
 * replay's handle ends with it). 1 when they were dropped (the caller must call
 * ow_bulk_indexes_build at the run's end), 0 when kept, -1 on error (ow_store_errmsg;
 * nothing changed). */
int ow_bulk_indexes_defer(struct ow_store *st, uint64_t expected_flows);

/* Creates every deferrable index the store does not have. 0, or -1 (ow_store_errmsg). */
int ow_bulk_indexes_build(struct ow_store *st);

/* A replay's flows estimated from its input size (bytes of pcap per flow in nDPI's corpus,
 * rounded down so that the estimate errs towards more flows). */
#define OW_BULK_BYTES_PER_FLOW 2048u

#endif
