/* merkle.c — RFC 6962 section 2.1 tree hashing, recursive on the leaf array (depth log2 n). */
#include "db/merkle.h"

#include <string.h>

void ow_merkle_leaf(const void *data, size_t len, uint8_t out[OW_HASH_LEN])
{
    /* Streamed through one buffer in pieces small enough for the stack. */
    uint8_t buf[4096];
    if (len + 1 <= sizeof buf) {
        buf[0] = 0x00;
        if (len)
            memcpy(buf + 1, data, len);
        ow_sha256(buf, len + 1, out);
        return;
    }
    ow_sha256_prefixed(0x00, data, len, out);
}

static size_t split_point(size_t n)
{
    size_t k = 1;
    while (k << 1 < n)
        k <<= 1;
    return k;
}

void ow_merkle_root(const uint8_t (*leaves)[OW_HASH_LEN], size_t n, uint8_t out[OW_HASH_LEN])
{
    if (n == 0) {
        ow_sha256("", 0, out);
        return;
    }
    if (n == 1) {
        memcpy(out, leaves[0], OW_HASH_LEN);
        return;
    }
    size_t k = split_point(n);
    uint8_t node[1 + 2 * OW_HASH_LEN];
    node[0] = 0x01;
    ow_merkle_root(leaves, k, node + 1);
    ow_merkle_root(leaves + k, n - k, node + 1 + OW_HASH_LEN);
    ow_sha256(node, sizeof node, out);
}
