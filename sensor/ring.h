/* ring.h — a lock-free single-producer/single-consumer ring of variable-length records.
 * Records are copied in place (reserve, fill, commit; peek, use, release): no allocation
 * and no syscall on either side. Used reader→worker (packets, ticks) and worker→writer
 * (finished flows). */
#ifndef OW_RING_H
#define OW_RING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct ow_ring {
    uint8_t *buf;
    size_t   size;                 /* power of two */
    /* Producer and consumer positions on separate cache lines to avoid false sharing. */
    _Alignas(64) _Atomic size_t head;   /* bytes ever written (producer) */
    _Alignas(64) _Atomic size_t tail;   /* bytes ever consumed (consumer) */
    _Alignas(64) size_t reserved_len;   /* producer-private: size of the pending reservation */
    size_t  peeked_len;                 /* consumer-private */
};

/* size is rounded up to a power of two; returns 0, or -1 when out of memory. */
int ow_ring_init(struct ow_ring *r, size_t size);
void ow_ring_destroy(struct ow_ring *r);

/* Producer: room for len bytes (8-aligned), or NULL when the ring is full right now. */
void *ow_ring_reserve(struct ow_ring *r, size_t len);
void ow_ring_commit(struct ow_ring *r);
/* Commits only the first len bytes of the reservation (len at most what was reserved): for
 * a record whose size is known once it is written. */
void ow_ring_commit_len(struct ow_ring *r, size_t len);

/* Producer: like ow_ring_reserve, but waits (ow_ring_backoff) until there is room. For
 * records that must not be lost: replayed packets, ticks, end markers, finished flows. */
void *ow_ring_reserve_wait(struct ow_ring *r, size_t len);

/* Consumer: the oldest record and its length, or NULL when empty. */
const void *ow_ring_peek(struct ow_ring *r, size_t *len);
void ow_ring_release(struct ow_ring *r);

/* Bytes waiting to be consumed (approximate from either side): the health page's queue depth. */
size_t ow_ring_used(struct ow_ring *r);

/* Sleeps briefly: used only when a ring is empty or full, never per record. */
void ow_ring_backoff(unsigned *spins);

#endif
