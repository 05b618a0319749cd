/* test_fragments.c — later fragments get their first fragment's ports, orphans and stale
 * entries do not, and a full table keeps working by overwriting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "sensor/fragments.h"
#include "tests/decode/frame_builder.h"

static struct ow_packet fragment(uint8_t kind, uint32_t id, uint64_t ts_us, uint16_t sport,
                                 uint16_t dport)
{
    struct ow_packet pkt;
    memset(&pkt, 0, sizeof pkt);
    pkt.ts_us = ts_us;
    pkt.src.family = pkt.dst.family = OW_AF_INET4;
    fb_addr4("10.1.1.1", pkt.src.addr);
    fb_addr4("10.2.2.2", pkt.dst.addr);
    pkt.src.port = sport;
    pkt.dst.port = dport;
    pkt.l4_proto = 17;
    pkt.frag = kind;
    pkt.frag_id = id;
    return pkt;
}

static void test_first_then_later(void **state)
{
    (void)state;
    struct ow_frag_table *t = ow_frag_table_new(64);
    assert_non_null(t);
    struct ow_packet first = fragment(OW_FRAG_FIRST, 0xbeef, 1000000, 5060, 5061);
    ow_frag_note_first(t, &first);
    assert_int_equal(ow_frag_table_live(t, 1000000), 1);

    for (int i = 0; i < 3; i++) {                /* every later fragment resolves */
        struct ow_packet later = fragment(OW_FRAG_LATER, 0xbeef, 1000100 + i, 0, 0);
        assert_true(ow_frag_resolve_later(t, &later));
        assert_int_equal(later.src.port, 5060);
        assert_int_equal(later.dst.port, 5061);
    }

    /* Another datagram id, another protocol, the reverse direction: all unknown. */
    struct ow_packet other = fragment(OW_FRAG_LATER, 0xbef0, 1000200, 0, 0);
    assert_false(ow_frag_resolve_later(t, &other));
    other = fragment(OW_FRAG_LATER, 0xbeef, 1000200, 0, 0);
    other.l4_proto = 6;
    assert_false(ow_frag_resolve_later(t, &other));
    other = fragment(OW_FRAG_LATER, 0xbeef, 1000200, 0, 0);
    other.src = first.dst;
    other.dst = first.src;
    other.src.port = other.dst.port = 0;
    assert_false(ow_frag_resolve_later(t, &other));
    assert_int_equal(other.src.port, 0);

    /* Only later fragments are resolved; only first fragments are noted. */
    struct ow_packet whole = fragment(OW_FRAG_NONE, 0xbeef, 1000300, 1, 2);
    assert_false(ow_frag_resolve_later(t, &whole));
    assert_int_equal(whole.src.port, 1);
    ow_frag_note_first(t, &whole);
    assert_int_equal(ow_frag_table_live(t, 1000300), 1);
    ow_frag_table_free(t);
}

static void test_orphan_and_expiry(void **state)
{
    (void)state;
    struct ow_frag_table *t = ow_frag_table_new(16);
    assert_non_null(t);
    struct ow_packet later = fragment(OW_FRAG_LATER, 7, 5000000, 0, 0);
    assert_false(ow_frag_resolve_later(t, &later));      /* before its first: orphan */

    struct ow_packet first = fragment(OW_FRAG_FIRST, 7, 5000001, 53, 33000);
    ow_frag_note_first(t, &first);
    later.ts_us = 5000001 + OW_FRAG_TIMEOUT_US;           /* exactly at the limit: still known */
    assert_true(ow_frag_resolve_later(t, &later));
    later = fragment(OW_FRAG_LATER, 7, 5000002 + OW_FRAG_TIMEOUT_US, 0, 0);
    assert_false(ow_frag_resolve_later(t, &later));
    assert_int_equal(later.src.port, 0);
    assert_int_equal(ow_frag_table_live(t, 5000002 + OW_FRAG_TIMEOUT_US), 0);
    ow_frag_table_free(t);
}

static void test_ipv6_takes_protocol_from_first(void **state)
{
    (void)state;
    struct ow_frag_table *t = ow_frag_table_new(16);
    struct ow_packet first = fragment(OW_FRAG_FIRST, 0xcafef00d, 1, 4500, 4501);
    first.src.family = first.dst.family = OW_AF_INET6;
    fb_addr6("2001:db8::a", first.src.addr);
    fb_addr6("2001:db8::b", first.dst.addr);
    ow_frag_note_first(t, &first);
    struct ow_packet later = first;
    later.frag = OW_FRAG_LATER;
    later.src.port = later.dst.port = 0;
    later.l4_proto = 60;                         /* destination options after the fragment header */
    assert_true(ow_frag_resolve_later(t, &later));
    assert_int_equal(later.l4_proto, 17);
    assert_int_equal(later.dst.port, 4501);
    ow_frag_table_free(t);
}

static void test_full_table_overwrites(void **state)
{
    (void)state;
    assert_null(ow_frag_table_new(0));
    struct ow_frag_table *t = ow_frag_table_new(16);
    assert_non_null(t);
    /* Far more datagrams in flight than slots: the newest ones must still resolve. */
    for (uint32_t id = 0; id < 10000; id++) {
        struct ow_packet first = fragment(OW_FRAG_FIRST, id, 1000 + id, (uint16_t)id, 9);
        ow_frag_note_first(t, &first);
    }
    assert_int_equal(ow_frag_table_live(t, 20000), 16);
    struct ow_packet newest = fragment(OW_FRAG_LATER, 9999, 20000, 0, 0);
    assert_true(ow_frag_resolve_later(t, &newest));
    assert_int_equal(newest.src.port, 9999);
    struct ow_packet oldest = fragment(OW_FRAG_LATER, 0, 20000, 0, 0);
    assert_false(ow_frag_resolve_later(t, &oldest));
    ow_frag_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_then_later),
        cmocka_unit_test(test_orphan_and_expiry),
        cmocka_unit_test(test_ipv6_takes_protocol_from_first),
        cmocka_unit_test(test_full_table_overwrites),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
