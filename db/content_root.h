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

/* One flow's leaf: what it is sorted by, and its hash. */
struct ow_content_leaf {
    int64_t first_ts;
    uint8_t hash[OW_HASH_LEN];
};

/* The leaves of the run's flows whose row id is in [from, to], unsorted, into leaves (room
 * for cap; more rows than that is an error), *count of them: a run's leaves can be read in
 * parts, on several connections at once. 0, or -1 with err. */
int ow_content_root_leaves(sqlite3 *db, int64_t run_id, int64_t from, int64_t to,
                           struct ow_content_leaf *leaves, size_t cap, size_t *count, char *err,
                           size_t errlen);

/* How many flows the run has (room for its leaves). 0, or -1 (sqlite3_errmsg). */
int ow_content_root_count(sqlite3 *db, int64_t run_id, size_t *count);

/* Sorts all of a run's leaves and gives their root; the array is used up (the hashes are
 * packed into it). Always 0. */
int ow_content_root_of_leaves(struct ow_content_leaf *leaves, size_t n,
                              uint8_t root[OW_HASH_LEN]);

/* Stores a root the caller computed from the rows inside its open write transaction, so
 * they cannot have changed since (kind content_root). 0, or -1 with err. */
int ow_content_root_store_computed(struct ow_store *st, int64_t run_id,
                                   const uint8_t root[OW_HASH_LEN], int64_t leaves, char *err,
                                   size_t errlen);

/* Computes the run's root and stores it, chained (kind content_root). 0, or -1 with err. */
int ow_content_root_store(struct ow_store *st, int64_t run_id, uint8_t root[OW_HASH_LEN],
                          char *err, size_t errlen);

#endif
