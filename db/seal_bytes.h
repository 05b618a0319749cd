/* seal_bytes.h — the big-endian writer the signed encodings share (certificates,
 * checkpoints): a bounded buffer that remembers when it ran out, so callers check once. */
#ifndef OW_SEAL_BYTES_H
#define OW_SEAL_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct ow_bytes {
    uint8_t *p;
    size_t len, cap;
    int overflow;
};

static inline void ow_bytes_put(struct ow_bytes *b, const void *data, size_t n)
{
    if (b->overflow || n > b->cap - b->len) {
        b->overflow = 1;
        return;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

static inline void ow_bytes_u64(struct ow_bytes *b, uint64_t v)
{
    uint8_t x[8];
    for (int i = 7; i >= 0; i--, v >>= 8)
        x[i] = (uint8_t)v;
    ow_bytes_put(b, x, sizeof x);
}

/* u16 length, then the bytes; strings longer than 65535 bytes do not fit. */
static inline void ow_bytes_str(struct ow_bytes *b, const char *s)
{
    size_t n = strlen(s);
    if (n > 65535) {
        b->overflow = 1;
        return;
    }
    uint8_t x[2] = { (uint8_t)(n >> 8), (uint8_t)n };
    ow_bytes_put(b, x, 2);
    ow_bytes_put(b, s, n);
}

#endif
