/* test_flow_table.c — the flow table on its own: lookup by key and hash, bucket chains,
 * the bound on entries and their reuse, and the per-class LRU lists the worker expires and
 * evicts from (the timeouts themselves are the worker's: tests/engine/test_worker.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sensor/flow_table.h"

static struct ow_flow_key key_n(unsigned n)
{
    struct ow_flow_key k;
    memset(&k, 0, sizeof k);
    k.family = 4;
    k.l4_proto = 17;
    k.addr_a[0] = 10;
    k.addr_a[3] = (uint8_t)n;
    k.addr_b[0] = 192;
    k.addr_b[3] = (uint8_t)(n >> 8);
    k.port_a = (uint16_t)(1000 + n);
    k.port_b = 53;
    return k;
}

static void test_min_size(void **state)
{
    (void)state;
    struct ow_flow_table t;
    assert_int_equal(ow_flow_table_init(&t, 3), 0);
    assert_int_equal(t.max, 16);
    assert_int_equal(t.count, 0);
    assert_false(ow_flow_table_full(&t));
    ow_flow_table_destroy(&t);
}

static void test_insert_find(void **state)
{
    (void)state;
    struct ow_flow_table t;
    assert_int_equal(ow_flow_table_init(&t, 100), 0);
    struct ow_flow *f[50];
    for (unsigned i = 0; i < 50; i++) {
        struct ow_flow_key k = key_n(i);
        f[i] = ow_flow_table_insert(&t, &k, ow_flow_key_hash(&k), OW_TC_UDP);
        assert_non_null(f[i]);
        assert_true(ow_flow_key_equal(&f[i]->key, &k));
        assert_int_equal(f[i]->tclass, OW_TC_UDP);
        assert_int_equal(f[i]->cnt.pkts_toserver, 0);   /* a zeroed entry */
        assert_null(f[i]->ndpi);
    }
    assert_int_equal(t.count, 50);
    for (unsigned i = 0; i < 50; i++) {
        struct ow_flow_key k = key_n(i);
        assert_ptr_equal(ow_flow_table_find(&t, &k, ow_flow_key_hash(&k)), f[i]);
    }
    struct ow_flow_key other = key_n(77);
    assert_null(ow_flow_table_find(&t, &other, ow_flow_key_hash(&other)));
    /* Same key, other protocol: another flow. */
    struct ow_flow_key tcp = key_n(3);
    tcp.l4_proto = 6;
    assert_null(ow_flow_table_find(&t, &tcp, ow_flow_key_hash(&tcp)));

    ow_flow_table_remove(&t, f[10]);
    assert_int_equal(t.count, 49);
    struct ow_flow_key k10 = key_n(10);
    assert_null(ow_flow_table_find(&t, &k10, ow_flow_key_hash(&k10)));
    struct ow_flow_key k11 = key_n(11);
    assert_ptr_equal(ow_flow_table_find(&t, &k11, ow_flow_key_hash(&k11)), f[11]);
    ow_flow_table_destroy(&t);
}

/* Keys that share one hash share one chain: each is still found, and removing one from the
 * middle of the chain leaves the others. */
static void test_same_hash_chain(void **state)
{
    (void)state;
    struct ow_flow_table t;
    assert_int_equal(ow_flow_table_init(&t, 16), 0);
    struct ow_flow *f[8];
    for (unsigned i = 0; i < 8; i++) {
        struct ow_flow_key k = key_n(i);
        f[i] = ow_flow_table_insert(&t, &k, 42, OW_TC_OTHER);
        assert_non_null(f[i]);
    }
    ow_flow_table_remove(&t, f[4]);
    for (unsigned i = 0; i < 8; i++) {
        struct ow_flow_key k = key_n(i);
        if (i == 4)
            assert_null(ow_flow_table_find(&t, &k, 42));
        else
            assert_ptr_equal(ow_flow_table_find(&t, &k, 42), f[i]);
        /* The stored hash is compared too: the right key under another hash is not found. */
        if (i != 4)
            assert_null(ow_flow_table_find(&t, &k, 42 + 16));
    }
    ow_flow_table_destroy(&t);
}

static void test_full_and_reuse(void **state)
{
    (void)state;
    struct ow_flow_table t;
    assert_int_equal(ow_flow_table_init(&t, 16), 0);
    struct ow_flow *f[16];
    for (unsigned i = 0; i < 16; i++) {
        assert_false(ow_flow_table_full(&t));
        struct ow_flow_key k = key_n(i);
        f[i] = ow_flow_table_insert(&t, &k, ow_flow_key_hash(&k), OW_TC_UDP);
        assert_non_null(f[i]);
    }
    assert_true(ow_flow_table_full(&t));
    assert_int_equal(t.count, 16);
    assert_int_equal(t.allocated, 16);
    struct ow_flow_key k = key_n(100);
    assert_null(ow_flow_table_insert(&t, &k, ow_flow_key_hash(&k), OW_TC_UDP));
    assert_int_equal(t.count, 16);

    f[5]->cnt.pkts_toserver = 99;
    ow_flow_table_remove(&t, f[5]);
    assert_false(ow_flow_table_full(&t));
    struct ow_flow *n = ow_flow_table_insert(&t, &k, ow_flow_key_hash(&k), OW_TC_TCP_EST);
    assert_ptr_equal(n, f[5]);                  /* the freed entry, not a new allocation */
    assert_int_equal(n->cnt.pkts_toserver, 0);  /* and cleared */
    assert_int_equal(t.allocated, 16);
    assert_int_equal(t.count, 16);
    assert_true(ow_flow_table_full(&t));
    assert_ptr_equal(ow_flow_table_find(&t, &k, ow_flow_key_hash(&k)), n);
    ow_flow_table_destroy(&t);
}

/* Each class keeps its own least-recently-used order; touching moves a flow to the tail of
 * the class it is now in. */
static void test_lru_per_class(void **state)
{
    (void)state;
    struct ow_flow_table t;
    assert_int_equal(ow_flow_table_init(&t, 16), 0);
    for (uint8_t c = 0; c < OW_TC_COUNT; c++)
        assert_null(ow_flow_table_oldest(&t, c));
    struct ow_flow *f[4];
    for (unsigned i = 0; i < 4; i++) {
        struct ow_flow_key k = key_n(i);
        f[i] = ow_flow_table_insert(&t, &k, ow_flow_key_hash(&k), OW_TC_UDP);
        assert_non_null(f[i]);
    }
    assert_ptr_equal(ow_flow_table_oldest(&t, OW_TC_UDP), f[0]);
    ow_flow_table_touch(&t, f[0], OW_TC_UDP);
    assert_ptr_equal(ow_flow_table_oldest(&t, OW_TC_UDP), f[1]);
    ow_flow_table_touch(&t, f[1], OW_TC_TCP_EST);
    assert_int_equal(f[1]->tclass, OW_TC_TCP_EST);
    assert_ptr_equal(ow_flow_table_oldest(&t, OW_TC_UDP), f[2]);
    assert_ptr_equal(ow_flow_table_oldest(&t, OW_TC_TCP_EST), f[1]);
    ow_flow_table_remove(&t, f[2]);
    assert_ptr_equal(ow_flow_table_oldest(&t, OW_TC_UDP), f[3]);
    ow_flow_table_remove(&t, f[3]);
    assert_ptr_equal(ow_flow_table_oldest(&t, OW_TC_UDP), f[0]);
    ow_flow_table_remove(&t, f[0]);
    assert_null(ow_flow_table_oldest(&t, OW_TC_UDP));
    ow_flow_table_remove(&t, f[1]);
    assert_null(ow_flow_table_oldest(&t, OW_TC_TCP_EST));
    assert_int_equal(t.count, 0);
    /* Touching the tail in its own class leaves the order alone. */
    struct ow_flow_key a = key_n(20), b = key_n(21);
    struct ow_flow *fa = ow_flow_table_insert(&t, &a, 1, OW_TC_OTHER);
    struct ow_flow *fb = ow_flow_table_insert(&t, &b, 2, OW_TC_OTHER);
    assert_non_null(fa);
    assert_non_null(fb);
    ow_flow_table_touch(&t, fb, OW_TC_OTHER);
    assert_ptr_equal(ow_flow_table_oldest(&t, OW_TC_OTHER), fa);
    ow_flow_table_destroy(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_min_size),
        cmocka_unit_test(test_insert_find),
        cmocka_unit_test(test_same_hash_chain),
        cmocka_unit_test(test_full_and_reuse),
        cmocka_unit_test(test_lru_per_class),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
