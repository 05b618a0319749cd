/* verify.h — `omwitness verify`: recomputes the evidence store's hash chain from the rows as
 * stored and checks that every row is covered exactly once, in order, that each ended run's
 * chain_head is its run_end record's hash, and that rule hit counts match the chained flows.
 * Reports the first finding (docs/evidence.md "Verify"). */
#ifndef OW_VERIFY_H
#define OW_VERIFY_H

#include <stdint.h>

#include "db/checkpoint.h"
#include "db/hash_chain.h"

struct ow_store;

struct ow_verify_result {
    uint64_t records;             /* chain records recomputed */
    uint64_t legacy_rows;         /* rows older than the chain (a schema 1 store): not covered */
    int64_t head_seq;             /* the last record's seq (0: empty chain) */
    uint8_t head[OW_HASH_LEN];
    int expected_head_found;      /* when an expected head was given: it is in the chain */
    /* Sealing (with a root key): */
    int seal_checked;             /* a root key was given and every seal check passed */
    uint64_t certs, checkpoints;  /* certificates and checkpoints verified */
    uint64_t witnessed;           /* witness checkpoints found in the store */
    int have_checkpoint;
    struct ow_checkpoint last_checkpoint;
    int64_t last_checkpoint_record;   /* the seq of the last checkpoint's own record */
    uint64_t unsealed_records;    /* records after it: not covered by any signature yet */
    uint64_t content_roots;       /* runs whose content root was recomputed and matched */
    int connections;              /* the checks ran on 1, or (a big store) 2 at once */
    char problem[512];            /* the first finding: "flows row 17 (chain #42): ..." */
};

/* Checks the store read through st (a read-only handle is enough) in one snapshot.
 * expect_head_hex (may be NULL): a chain head recorded elsewhere earlier (in a report); the
 * chain must contain it, which catches rows cut from the end. Returns 0 intact, 3 not
 * intact (problem names the first row that does not fit), -1 error (problem says why). */
int ow_verify_store(struct ow_store *st, const char *expect_head_hex, struct ow_verify_result *r);

/* The same, and with root_key (may be NULL) the seal too (db/seal_verify.h): the
 * certificate chain from root_key, every checkpoint, every ended run covered, and with
 * witness_path (may be NULL) every witnessed checkpoint in the store. */
int ow_verify_store_sealed(struct ow_store *st, const char *expect_head_hex,
                           const uint8_t *root_key, const char *witness_path,
                           struct ow_verify_result *r);

#endif
