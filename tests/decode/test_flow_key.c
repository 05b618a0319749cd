/* test_flow_key.c — the flow key is the same for both directions of a flow, different for
 * different flows, and its hash spreads keys evenly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "sensor/packet.h"
#include "tests/decode/frame_builder.h"

static struct ow_packet make_packet(const char *src, uint16_t sport, const char *dst,
                                    uint16_t dport, uint8_t proto, uint16_t vlan)
{
    struct ow_packet pkt;
    memset(&pkt, 0, sizeof pkt);
    bool v6 = strchr(src, ':') != NULL;
    pkt.src.family = pkt.dst.family = v6 ? OW_AF_INET6 : OW_AF_INET4;
    if (v6) {
        fb_addr6(src, pkt.src.addr);
        fb_addr6(dst, pkt.dst.addr);
    } else {
        fb_addr4(src, pkt.src.addr);
        fb_addr4(dst, pkt.dst.addr);
    }
    pkt.src.port = sport;
    pkt.dst.port = dport;
    pkt.l4_proto = proto;
    pkt.vlan_id = vlan;
    return pkt;
}

static void assert_symmetric(struct ow_packet fwd)
{
    struct ow_packet rev = fwd;
    rev.src = fwd.dst;
    rev.dst = fwd.src;
    struct ow_flow_key kf, kr;
    bool fwd_a, rev_a;
    ow_flow_key_from_packet(&fwd, &kf, &fwd_a);
    ow_flow_key_from_packet(&rev, &kr, &rev_a);
    assert_true(ow_flow_key_equal(&kf, &kr));
    assert_memory_equal(&kf, &kr, sizeof kf);
    assert_int_equal(ow_flow_key_hash(&kf), ow_flow_key_hash(&kr));
    bool same_endpoint = memcmp(&fwd.src, &fwd.dst, sizeof fwd.src) == 0;
    if (!same_endpoint) assert_true(fwd_a != rev_a);
}

static void test_symmetry(void **state)
{
    (void)state;
    assert_symmetric(make_packet("10.0.0.1", 40000, "10.0.0.2", 80, 6, 0));
    assert_symmetric(make_packet("10.0.0.2", 80, "10.0.0.1", 40000, 6, 0));
    assert_symmetric(make_packet("10.0.0.1", 5000, "10.0.0.1", 6000, 17, 7));   /* same host */
    assert_symmetric(make_packet("10.0.0.1", 5000, "10.0.0.1", 5000, 17, 7));   /* same endpoint */
    assert_symmetric(make_packet("2001:db8::1", 443, "2001:db8::2", 51000, 6, 100));
    assert_symmetric(make_packet("fe80::1", 0, "ff02::1", 0, 58, 0));
}

static void test_normalisation(void **state)
{
    (void)state;
    struct ow_packet pkt = make_packet("10.0.0.9", 80, "10.0.0.1", 40000, 6, 5);
    struct ow_flow_key key;
    bool from_a = true;
    ow_flow_key_from_packet(&pkt, &key, &from_a);
    assert_false(from_a);                        /* the sender is the higher address */
    assert_int_equal(key.family, OW_AF_INET4);
    assert_int_equal(key.l4_proto, 6);
    assert_int_equal(key.vlan_id, 5);
    assert_int_equal(key.port_a, 40000);
    assert_int_equal(key.port_b, 80);
    assert_memory_equal(key.addr_a, pkt.dst.addr, 16);

    /* ICMP ignores whatever sits in the port fields: request and reply are one flow. */
    struct ow_packet req = make_packet("10.0.0.1", 8, "10.0.0.2", 0, 1, 0);
    struct ow_packet rep = make_packet("10.0.0.2", 0, "10.0.0.1", 3, 1, 0);
    struct ow_flow_key kq, kp;
    ow_flow_key_from_packet(&req, &kq, NULL);
    ow_flow_key_from_packet(&rep, &kp, NULL);
    assert_true(ow_flow_key_equal(&kq, &kp));
    assert_int_equal(kq.port_a, 0);
}

static void test_distinct_flows_differ(void **state)
{
    (void)state;
    struct ow_packet base = make_packet("10.0.0.1", 40000, "10.0.0.2", 80, 6, 0);
    struct ow_flow_key kb, k;
    ow_flow_key_from_packet(&base, &kb, NULL);

    struct ow_packet other = base;
    other.vlan_id = 1;
    ow_flow_key_from_packet(&other, &k, NULL);
    assert_false(ow_flow_key_equal(&kb, &k));
    assert_true(ow_flow_key_hash(&kb) != ow_flow_key_hash(&k));

    other = base;
    other.l4_proto = 17;
    ow_flow_key_from_packet(&other, &k, NULL);
    assert_false(ow_flow_key_equal(&kb, &k));

    other = base;
    other.src.port = 40001;
    ow_flow_key_from_packet(&other, &k, NULL);
    assert_false(ow_flow_key_equal(&kb, &k));

    /* Swapping only the ports (not the addresses) is a different flow. */
    other = base;
    other.src.port = 80;
    other.dst.port = 40000;
    ow_flow_key_from_packet(&other, &k, NULL);
    assert_false(ow_flow_key_equal(&kb, &k));
    assert_true(ow_flow_key_hash(&kb) != ow_flow_key_hash(&k));

    /* ::a00:1 and 10.0.0.1 share no key though their bytes overlap. */
    other = make_packet("::a00:1", 40000, "::a00:2", 80, 6, 0);
    ow_flow_key_from_packet(&other, &k, NULL);
    assert_false(ow_flow_key_equal(&kb, &k));
}

/* Sequential client ports towards one server, the common case for dispatch: every one of
 * 16 and of 1024 buckets must get a fair share of 65536 flows. */
static void test_hash_spread(void **state)
{
    (void)state;
    static unsigned small[16], large[1024];
    uint64_t all_bits_or = 0, all_bits_and = ~0ull;
    for (uint32_t port = 0; port < 65536; port++) {
        struct ow_packet pkt = make_packet("192.168.1.10", (uint16_t)port, "192.168.1.1", 443, 6, 0);
        struct ow_flow_key key;
        ow_flow_key_from_packet(&pkt, &key, NULL);
        uint64_t h = ow_flow_key_hash(&key);
        small[h % 16]++;
        large[(h >> 20) % 1024]++;
        all_bits_or |= h;
        all_bits_and &= h;
    }
    for (int i = 0; i < 16; i++) assert_in_range(small[i], 4096 - 400, 4096 + 400);
    for (int i = 0; i < 1024; i++) assert_in_range(large[i], 64 - 40, 64 + 40);
    assert_true(all_bits_or == ~0ull);
    assert_true(all_bits_and == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_symmetry),
        cmocka_unit_test(test_normalisation),
        cmocka_unit_test(test_distinct_flows_differ),
        cmocka_unit_test(test_hash_spread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
