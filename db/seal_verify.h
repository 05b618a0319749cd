/* seal_verify.h — the seal half of `verify --root-key` (docs/evidence.md "Verify"): run
 * inside verify's read snapshot after the chain itself was recomputed, so every row read
 * here is the row its chain record hashed. */
#ifndef OW_SEAL_VERIFY_H
#define OW_SEAL_VERIFY_H

#include <stdint.h>

#include <sqlite3.h>

#include "db/verify.h"

/* Certificates from root_key, every checkpoint's signature and head, every ended run under
 * a checkpoint, the unsealed tail, and every checkpoint of the witness file in the store.
 * 0 intact, 3 a finding (r->problem), -1 error (r->problem). */
int ow_seal_verify(sqlite3 *db, const uint8_t root_key[32], const char *witness_path,
                   struct ow_verify_result *r);

/* Every stored content root equals the one recomputed from the run's rows. 0, 3, -1. */
int ow_content_roots_verify(sqlite3 *db, struct ow_verify_result *r);

#endif
