/* merkle.h — RFC 6962 (Certificate Transparency) Merkle tree hash: leaf hash
 * SHA-256(0x00 || data), interior SHA-256(0x01 || left || right), the split at the largest
 * power of two below n; the empty tree hashes to SHA-256(""). */
#ifndef OW_MERKLE_H
#define OW_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "db/hash_chain.h"

void ow_merkle_leaf(const void *data, size_t len, uint8_t out[OW_HASH_LEN]);

/* The tree hash of n leaf hashes (already hashed with ow_merkle_leaf), in order. */
void ow_merkle_root(const uint8_t (*leaves)[OW_HASH_LEN], size_t n, uint8_t out[OW_HASH_LEN]);

#endif
