/* ring.c — SPSC ring of variable-length records. Each record is a 8-byte header holding its
 * length followed by the payload, padded to 8 bytes; a record never wraps: when it does not
 * fit before the end of the buffer, a pad record (length 0 marker) fills the rest. */
#include "sensor/ring.h"
#include "common/alloc.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HDR 8u
#define PAD_MARK UINT64_MAX

static size_t align8(size_t n) { return (n + 7u) & ~(size_t)7u; }

int ow_ring_init(struct ow_ring *r, size_t size)
{
    size_t s = 4096;
    while (s < size)
        s <<= 1;
    memset(r, 0, sizeof *r);
    r->buf = ow_aligned_alloc(64, s);
    if (!r->buf)
        return -1;
    r->size = s;
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    return 0;
}

void ow_ring_destroy(struct ow_ring *r)
{
    free(r->buf);
    r->buf = NULL;
}

void *ow_ring_reserve(struct ow_ring *r, size_t len)
{
    size_t need = HDR + align8(len);
    if (need > r->size / 2)
        return NULL;
    size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    size_t off = head & (r->size - 1);
    size_t to_end = r->size - off;
    size_t total = need;
    if (to_end < need)
        total = to_end + need;      /* pad to the end, then the record at offset 0 */
    if (r->size - (head - tail) < total)
        return NULL;
    if (to_end < need) {
        /* to_end is a multiple of 8 and at least HDR, since every record is 8-aligned. */
        uint64_t mark = PAD_MARK;
        memcpy(r->buf + off, &mark, sizeof mark);
        head += to_end;
        off = 0;
        atomic_store_explicit(&r->head, head, memory_order_release);
    }
    uint64_t l = len;
    memcpy(r->buf + off, &l, sizeof l);
    r->reserved_len = need;
    return r->buf + off + HDR;
}

void *ow_ring_reserve_wait(struct ow_ring *r, size_t len)
{
    unsigned spins = 0;
    void *slot;
    while (!(slot = ow_ring_reserve(r, len)))
        ow_ring_backoff(&spins);
    return slot;
}

void ow_ring_commit(struct ow_ring *r)
{
    size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    atomic_store_explicit(&r->head, head + r->reserved_len, memory_order_release);
    r->reserved_len = 0;
}

void ow_ring_commit_len(struct ow_ring *r, size_t len)
{
    size_t need = HDR + align8(len);
    if (need < r->reserved_len) {
        /* The reservation's header sits at head (a pad record, if any, is already past). */
        size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
        uint64_t l = len;
        memcpy(r->buf + (head & (r->size - 1)), &l, sizeof l);
        r->reserved_len = need;
    }
    ow_ring_commit(r);
}

const void *ow_ring_peek(struct ow_ring *r, size_t *len)
{
    for (;;) {
        size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
        size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
        if (head == tail)
            return NULL;
        size_t off = tail & (r->size - 1);
        uint64_t l;
        memcpy(&l, r->buf + off, sizeof l);
        if (l == PAD_MARK) {
            atomic_store_explicit(&r->tail, tail + (r->size - off), memory_order_release);
            continue;
        }
        *len = (size_t)l;
        r->peeked_len = HDR + align8((size_t)l);
        return r->buf + off + HDR;
    }
}

void ow_ring_release(struct ow_ring *r)
{
    size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    atomic_store_explicit(&r->tail, tail + r->peeked_len, memory_order_release);
    r->peeked_len = 0;
}

size_t ow_ring_used(struct ow_ring *r)
{
    return atomic_load_explicit(&r->head, memory_order_acquire) -
           atomic_load_explicit(&r->tail, memory_order_acquire);
}

/* A few polls, then 1 ms naps. Every ring holds far more than 1 ms of its traffic (8 MiB
 * in from a replay's reader, 32 MiB per worker in a capture, 4,096 flows out to the
 * writer), so a longer nap loses nothing; and on two cores each wake-up of an idle consumer
 * is CPU taken from the thread it waits for: the old 20 us naps woke each worker and the
 * writer about 65,000 times in a 7 s replay of big-EN10MB while the reader, the pipeline's
 * slowest stage, waited for a core (docs/architecture.md, "Seventh round"). */
void ow_ring_backoff(unsigned *spins)
{
    if (*spins < 64) {
        (*spins)++;
        return;
    }
    struct timespec ts = { 0, 1000000 };
    nanosleep(&ts, NULL);
}
