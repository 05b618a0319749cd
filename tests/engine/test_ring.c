/* test_ring.c — the SPSC ring on its own: FIFO order, exact capacity, records that would
 * straddle the end of the buffer, alignment, the used-bytes figure, and a two-thread run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <cmocka.h>

#include "sensor/ring.h"

static void put(struct ow_ring *r, size_t len, uint8_t seed)
{
    uint8_t *p = ow_ring_reserve(r, len);
    assert_non_null(p);
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)(seed + i);
    ow_ring_commit(r);
}

static void get(struct ow_ring *r, size_t want_len, uint8_t seed)
{
    size_t len = 0;
    const uint8_t *p = ow_ring_peek(r, &len);
    assert_non_null(p);
    assert_int_equal(len, want_len);
    for (size_t i = 0; i < len; i++)
        assert_int_equal(p[i], (uint8_t)(seed + i));
    ow_ring_release(r);
}

static void test_init_rounds_to_power_of_two(void **state)
{
    (void)state;
    struct ow_ring r;
    assert_int_equal(ow_ring_init(&r, 5000), 0);
    assert_int_equal(r.size, 8192);
    ow_ring_destroy(&r);
    assert_int_equal(ow_ring_init(&r, 1), 0);
    assert_int_equal(r.size, 4096);     /* the smallest ring */
    ow_ring_destroy(&r);
}

static void test_empty_peek_is_null(void **state)
{
    (void)state;
    struct ow_ring r;
    assert_int_equal(ow_ring_init(&r, 4096), 0);
    size_t len = 12345;
    assert_null(ow_ring_peek(&r, &len));
    assert_int_equal(ow_ring_used(&r), 0);
    /* A reservation not yet committed is invisible to the consumer. */
    assert_non_null(ow_ring_reserve(&r, 10));
    assert_null(ow_ring_peek(&r, &len));
    assert_int_equal(ow_ring_used(&r), 0);
    ow_ring_commit(&r);
    assert_non_null(ow_ring_peek(&r, &len));
    assert_int_equal(len, 10);
    ow_ring_release(&r);
    assert_null(ow_ring_peek(&r, &len));
    assert_int_equal(ow_ring_used(&r), 0);
    ow_ring_destroy(&r);
}

static void test_release_order(void **state)
{
    (void)state;
    struct ow_ring r;
    assert_int_equal(ow_ring_init(&r, 4096), 0);
    put(&r, 3, 10);
    put(&r, 100, 20);
    put(&r, 0, 30);
    put(&r, 17, 40);
    /* Peeking again without a release gives the same record. */
    size_t l1, l2;
    const void *a = ow_ring_peek(&r, &l1);
    const void *b = ow_ring_peek(&r, &l2);
    assert_ptr_equal(a, b);
    assert_int_equal(l1, 3);
    get(&r, 3, 10);
    get(&r, 100, 20);
    get(&r, 0, 30);
    get(&r, 17, 40);
    assert_null(ow_ring_peek(&r, &l1));
    ow_ring_destroy(&r);
}

static void test_full_exact_capacity(void **state)
{
    (void)state;
    struct ow_ring r;
    assert_int_equal(ow_ring_init(&r, 4096), 0);
    /* The largest record is half the ring: 2040 payload bytes + 8 header = 2048. */
    assert_null(ow_ring_reserve(&r, 2041));
    put(&r, 2040, 1);
    assert_int_equal(ow_ring_used(&r), 2048);
    put(&r, 2040, 2);
    assert_int_equal(ow_ring_used(&r), 4096);   /* every byte in use, none wasted */
    assert_null(ow_ring_reserve(&r, 0));        /* not even a header fits */
    get(&r, 2040, 1);
    assert_int_equal(ow_ring_used(&r), 2048);
    put(&r, 2040, 3);                           /* the freed half is usable again */
    assert_null(ow_ring_reserve(&r, 1));
    get(&r, 2040, 2);
    get(&r, 2040, 3);
    assert_int_equal(ow_ring_used(&r), 0);

    /* 256 records of 16 bytes fill it exactly; the 257th does not fit. */
    for (int i = 0; i < 256; i++) {
        put(&r, 1 + (size_t)(i % 8), (uint8_t)i);
        assert_int_equal(ow_ring_used(&r), 16 * (size_t)(i + 1));
    }
    assert_null(ow_ring_reserve(&r, 1));
    for (int i = 0; i < 256; i++)
        get(&r, 1 + (size_t)(i % 8), (uint8_t)i);
    assert_int_equal(ow_ring_used(&r), 0);
    ow_ring_destroy(&r);
}

static void test_alignment(void **state)
{
    (void)state;
    struct ow_ring r;
    assert_int_equal(ow_ring_init(&r, 4096), 0);
    for (size_t len = 0; len < 64; len++) {
        void *p = ow_ring_reserve(&r, len);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 8, 0);
        ow_ring_commit(&r);
        size_t got;
        const void *q = ow_ring_peek(&r, &got);
        assert_ptr_equal(q, p);                 /* consumed in place, no copy */
        assert_int_equal(got, len);
        ow_ring_release(&r);
    }
    ow_ring_destroy(&r);
}

/* A record that does not fit before the end of the buffer goes whole to its start; the
 * skipped tail counts as used until the consumer passes it. */
static void test_straddle_pads_to_start(void **state)
{
    (void)state;
    struct ow_ring r;
    assert_int_equal(ow_ring_init(&r, 4096), 0);
    put(&r, 2000, 1);                  /* 2008 */
    put(&r, 1800, 2);                  /* 1808: head at 3816, 280 bytes to the end */
    get(&r, 2000, 1);                  /* tail at 2008 */
    assert_int_equal(ow_ring_used(&r), 1808);
    /* 2288 bytes are free, but a 2048-byte record needs the 280 to the end as well. */
    assert_null(ow_ring_reserve(&r, 2040));
    assert_int_equal(ow_ring_used(&r), 1808);
    uint8_t *p = ow_ring_reserve(&r, 400);   /* 408 > 280: padded, placed at offset 0 */
    assert_ptr_equal(p, r.buf + 8);
    memset(p, 0x5a, 400);
    ow_ring_commit(&r);
    assert_int_equal(ow_ring_used(&r), 1808 + 280 + 408);
    get(&r, 1800, 2);
    size_t len;
    const uint8_t *q = ow_ring_peek(&r, &len);   /* skips the pad */
    assert_ptr_equal(q, p);
    assert_int_equal(len, 400);
    assert_int_equal(q[0], 0x5a);
    assert_int_equal(q[399], 0x5a);
    ow_ring_release(&r);
    assert_int_equal(ow_ring_used(&r), 0);
    assert_null(ow_ring_peek(&r, &len));
    ow_ring_destroy(&r);
}

/* A record committed shorter than reserved takes only its own room: the next one follows
 * it, also across a pad to the start. */
static void test_commit_shorter_than_reserved(void **state)
{
    (void)state;
    struct ow_ring r;
    assert_int_equal(ow_ring_init(&r, 4096), 0);
    uint8_t *p = ow_ring_reserve(&r, 1500);
    assert_non_null(p);
    memset(p, 0x11, 100);
    ow_ring_commit_len(&r, 100);
    assert_int_equal(ow_ring_used(&r), 8 + 104);
    put(&r, 40, 2);
    size_t len;
    const uint8_t *q = ow_ring_peek(&r, &len);
    assert_ptr_equal(q, p);
    assert_int_equal(len, 100);
    assert_int_equal(q[99], 0x11);
    ow_ring_release(&r);
    get(&r, 40, 2);
    /* Head at 160; then 2048 bytes taken and given back: 1888 to the end. */
    assert_non_null(p = ow_ring_reserve(&r, 2040));
    ow_ring_commit(&r);
    assert_non_null(q = ow_ring_peek(&r, &len));
    ow_ring_release(&r);
    assert_non_null(p = ow_ring_reserve(&r, 1900));   /* 1908 > 1888: padded, at offset 0 */
    assert_ptr_equal(p, r.buf + 8);
    memset(p, 0x22, 16);
    ow_ring_commit_len(&r, 16);
    assert_int_equal(ow_ring_used(&r), 1888 + 8 + 16);
    assert_non_null(q = ow_ring_peek(&r, &len));    /* past the pad */
    assert_ptr_equal(q, p);
    assert_int_equal(len, 16);
    assert_int_equal(q[15], 0x22);
    ow_ring_release(&r);
    assert_int_equal(ow_ring_used(&r), 0);
    ow_ring_destroy(&r);
}

/* Many rounds of mixed sizes, the consumer a little behind: every record comes back whole,
 * in order, never running past the buffer's end. */
static void test_wrap_many_rounds(void **state)
{
    (void)state;
    struct ow_ring r;
    assert_int_equal(ow_ring_init(&r, 4096), 0);
    unsigned produced = 0, consumed = 0, wraps = 0;
    const uint8_t *last = NULL;
    while (consumed < 20000) {
        for (int k = 0; k < 3; k++) {
            size_t len = 1 + (produced * 37u) % 1500u;
            uint8_t *p = ow_ring_reserve(&r, len);
            if (!p)
                break;
            assert_true(p + len <= r.buf + r.size);
            for (size_t i = 0; i < len; i++)
                p[i] = (uint8_t)(produced + i);
            ow_ring_commit(&r);
            produced++;
        }
        size_t len;
        const uint8_t *q = ow_ring_peek(&r, &len);
        if (!q)
            continue;
        assert_int_equal(len, 1 + (consumed * 37u) % 1500u);
        for (size_t i = 0; i < len; i++)
            assert_int_equal(q[i], (uint8_t)(consumed + i));
        if (last && q < last)
            wraps++;
        last = q;
        ow_ring_release(&r);
        consumed++;
        assert_true(ow_ring_used(&r) <= r.size);
    }
    assert_true(wraps > 1000);
    ow_ring_destroy(&r);
}

#define THREAD_RECORDS 100000u

static void *producer(void *arg)
{
    struct ow_ring *r = arg;
    for (uint32_t i = 0; i < THREAD_RECORDS; i++) {
        size_t len = 4 + (i % 200u);
        uint8_t *p = ow_ring_reserve_wait(r, len);
        memcpy(p, &i, 4);
        memset(p + 4, (int)(i & 0xff), len - 4);
        ow_ring_commit(r);
    }
    return NULL;
}

static void test_two_threads(void **state)
{
    (void)state;
    struct ow_ring r;
    assert_int_equal(ow_ring_init(&r, 4096), 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, producer, &r), 0);
    unsigned spins = 0;
    for (uint32_t i = 0; i < THREAD_RECORDS;) {
        size_t len;
        const uint8_t *p = ow_ring_peek(&r, &len);
        if (!p) {
            ow_ring_backoff(&spins);
            continue;
        }
        uint32_t seq;
        memcpy(&seq, p, 4);
        assert_int_equal(seq, i);
        assert_int_equal(len, 4 + (i % 200u));
        if (len > 4)
            assert_int_equal(p[len - 1], (uint8_t)(i & 0xff));
        ow_ring_release(&r);
        i++;
    }
    pthread_join(t, NULL);
    assert_int_equal(ow_ring_used(&r), 0);
    ow_ring_destroy(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_rounds_to_power_of_two),
        cmocka_unit_test(test_empty_peek_is_null),
        cmocka_unit_test(test_release_order),
        cmocka_unit_test(test_full_exact_capacity),
        cmocka_unit_test(test_alignment),
        cmocka_unit_test(test_straddle_pads_to_start),
        cmocka_unit_test(test_commit_shorter_than_reserved),
        cmocka_unit_test(test_wrap_many_rounds),
        cmocka_unit_test(test_two_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
