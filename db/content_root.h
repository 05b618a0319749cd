/* content_root.h — a run's content root (docs/evidence.md "Content root"): an RFC 6962
 * Merkle root over one leaf per flow of the run (its contents, its alerts, its evidence
 * packets' hash), leaves sorted by the flow's first packet time and then by leaf hash.
 * Row ids, flow ids, wall-clock fields and thread counts are left out, so the same pcaps
 * and policy give the same root on any machine with any --threads. It is computed from the
 * rows as finally stored, so records that later complete a row are counted as they end. */
#ifndef OW_CONTENT_ROOT_H
#define OW_CONTENT_ROOT_H

#include <stdint.h>

#include <sqlite3.h>

#include "db/hash_chain.h"

struct ow_store;

/* 0, or -1 with err. leaves (may be NULL) gets the number of leaves. */
int ow_content_root_compute(sqlite3 *db, int64_t run_id, uint8_t root[OW_HASH_LEN],
                            int64_t *leaves, char *err, size_t errlen);

/* Computes the run's root and stores it, chained (kind content_root). 0, or -1 with err. */
int ow_content_root_store(struct ow_store *st, int64_t run_id, uint8_t root[OW_HASH_LEN],
                          char *err, size_t errlen);

#endif
