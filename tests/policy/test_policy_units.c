/* test_policy_units.c — the policy engine's building blocks: the address prefix tree, CIDR
 * parsing, and RFC 3339 times. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "classifiers/policy/prefix_tree.h"
#include "common/timefmt.h"
#include "common/endpoint.h"

static struct ow_cidr cidr(const char *text)
{
    struct ow_cidr c;
    char why[128];
    if (ow_cidr_parse(text, &c, why, sizeof why) != 0) {
        fprintf(stderr, "%s: %s\n", text, why);
        fail();
    }
    return c;
}

static int32_t lookup(const struct ow_prefix_tree *t, const char *addr, uint8_t *plen)
{
    struct ow_endpoint ep;
    memset(&ep, 0, sizeof ep);
    assert_int_equal(ow_addr_from_text(addr, &ep), 0);
    return ow_pt_lookup(t, ep.family, ep.addr, plen);
}

static void test_prefix_tree(void **state)
{
    (void)state;
    struct ow_prefix_tree t;
    assert_int_equal(ow_pt_init(&t), 0);
    struct ow_cidr a = cidr("10.20.0.0/16"), b = cidr("10.20.1.0/24"), c = cidr("10.20.1.99"),
                   d = cidr("fd00:20::/32"), e = cidr("0.0.0.0/0");
    assert_int_equal(ow_pt_insert(&t, &a, 1, NULL), 0);
    assert_int_equal(ow_pt_insert(&t, &b, 2, NULL), 0);
    assert_int_equal(ow_pt_insert(&t, &c, 3, NULL), 0);
    assert_int_equal(ow_pt_insert(&t, &d, 4, NULL), 0);
    int32_t old = -1;
    struct ow_cidr b2 = cidr("10.20.1.0/24");
    assert_int_equal(ow_pt_insert(&t, &b2, 9, &old), 1);
    assert_int_equal(old, 2);

    uint8_t plen = 0;
    assert_int_equal(lookup(&t, "10.20.1.99", &plen), 3);
    assert_int_equal(plen, 32);
    assert_int_equal(lookup(&t, "10.20.1.98", &plen), 2);
    assert_int_equal(plen, 24);
    assert_int_equal(lookup(&t, "10.20.2.1", &plen), 1);
    assert_int_equal(lookup(&t, "10.21.0.0", NULL), -1);
    assert_int_equal(lookup(&t, "fd00:20:ffff::1", NULL), 4);
    assert_int_equal(lookup(&t, "fd00:21::1", NULL), -1);
    /* the IPv4 tree and the IPv6 tree are separate even when the bytes agree */
    assert_int_equal(lookup(&t, "a14:101::", NULL), -1);

    struct ow_endpoint ep;
    memset(&ep, 0, sizeof ep);
    ow_addr_from_text("10.20.1.99", &ep);
    int32_t vals[4];
    assert_int_equal(ow_pt_lookup_all(&t, ep.family, ep.addr, vals, 4), 3);
    assert_int_equal(vals[0], 1);
    assert_int_equal(vals[1], 2);
    assert_int_equal(vals[2], 3);
    assert_int_equal(ow_pt_lookup_all(&t, ep.family, ep.addr, vals, 1), 3);   /* count, capped */
    assert_int_equal(ow_pt_lookup_all(&t, 0, ep.addr, vals, 4), 0);          /* bad family */

    /* parents, exact finds and longer prefixes, as the asset groups use them */
    assert_int_equal(ow_pt_parent(&t, &c), 2);          /* 10.20.1.99 inside 10.20.1.0/24 */
    assert_int_equal(ow_pt_parent(&t, &b), 1);
    assert_int_equal(ow_pt_parent(&t, &a), -1);
    struct ow_cidr mid = cidr("10.20.1.64/26"), other = cidr("10.40.0.0/31");
    assert_int_equal(ow_pt_parent(&t, &mid), 2);         /* not in the tree itself */
    assert_int_equal(ow_pt_find(&t, &mid), -1);
    assert_int_equal(ow_pt_find(&t, &b), 2);
    assert_int_equal(ow_pt_find(&t, &other), -1);
    assert_true(ow_pt_has_longer(&t, &b));               /* 10.20.1.99 */
    assert_true(ow_pt_has_longer(&t, &mid));
    assert_false(ow_pt_has_longer(&t, &c));
    assert_false(ow_pt_has_longer(&t, &other));
    assert_false(ow_pt_has_longer(&t, &d));

    /* a default route holds everything of its family */
    assert_int_equal(ow_pt_insert(&t, &e, 5, NULL), 0);
    assert_int_equal(lookup(&t, "192.0.2.1", &plen), 5);
    assert_int_equal(plen, 0);
    assert_int_equal(lookup(&t, "2001:db8::1", NULL), -1);
    ow_pt_free(&t);
}

static void test_cidr_parse(void **state)
{
    (void)state;
    struct ow_cidr c;
    char why[128], buf[64];
    assert_int_equal(ow_cidr_parse("10.20.0.0/16", &c, why, sizeof why), 0);
    assert_int_equal(c.family, OW_AF_INET4);
    assert_int_equal(c.plen, 16);
    assert_string_equal(ow_cidr_to_text(&c, buf, sizeof buf), "10.20.0.0/16");
    assert_int_equal(ow_cidr_parse("fd00:20::/32", &c, why, sizeof why), 0);
    assert_int_equal(c.family, OW_AF_INET6);
    assert_string_equal(ow_cidr_to_text(&c, buf, sizeof buf), "fd00:20::/32");
    assert_int_equal(ow_cidr_parse("198.51.100.20", &c, why, sizeof why), 0);
    assert_int_equal(c.plen, 32);
    assert_string_equal(ow_cidr_to_text(&c, buf, sizeof buf), "198.51.100.20");

    assert_int_equal(ow_cidr_parse("10.20.1.5/24", &c, why, sizeof why), -1);
    assert_non_null(strstr(why, "did you mean 10.20.1.0/24"));
    assert_int_equal(ow_cidr_parse("fd00:20::1/32", &c, why, sizeof why), -1);
    assert_non_null(strstr(why, "did you mean fd00:20::/32"));
    assert_int_equal(ow_cidr_parse("10.0.0.0/33", &c, why, sizeof why), -1);
    assert_non_null(strstr(why, "out of range"));
    assert_int_equal(ow_cidr_parse("fd00::/129", &c, why, sizeof why), -1);
    const char *bad[] = { "", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8/8", "10.0.0.256", "10.0.0",
                          "fd00::zz", "/8", "10.0.0.0/ 8", "10.0.0.0/0008", "host",
                          "10.0.0.0/8 ", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (ow_cidr_parse(bad[i], &c, why, sizeof why) != -1)
            fail_msg("accepted '%s'", bad[i]);
    }
    struct ow_cidr net = cidr("10.20.1.0/24");
    struct ow_endpoint ep;
    memset(&ep, 0, sizeof ep);
    ow_addr_from_text("10.20.1.255", &ep);
    assert_true(ow_cidr_contains(&net, ep.family, ep.addr));
    ow_addr_from_text("10.20.2.0", &ep);
    assert_false(ow_cidr_contains(&net, ep.family, ep.addr));
    struct ow_cidr odd = cidr("fd00:20:8000::/33");
    ow_addr_from_text("fd00:20:ffff::1", &ep);
    assert_true(ow_cidr_contains(&odd, ep.family, ep.addr));
    ow_addr_from_text("fd00:20:7fff::1", &ep);
    assert_false(ow_cidr_contains(&odd, ep.family, ep.addr));
}

static void test_rfc3339(void **state)
{
    (void)state;
    int64_t us, us2;
    char buf[40];
    assert_int_equal(ow_rfc3339_parse("1970-01-01T00:00:00Z", &us), 0);
    assert_int_equal(us, 0);
    /* 2026-02-10T01:00:00Z: 20494 days after the epoch (date -ud @1770685200) */
    assert_int_equal(ow_rfc3339_parse("2026-02-10T01:00:00Z", &us), 0);
    assert_int_equal(us, 1770685200ll * 1000000);
    assert_string_equal(ow_rfc3339_format(us, buf, sizeof buf), "2026-02-10T01:00:00Z");
    /* offsets name the same instant */
    assert_int_equal(ow_rfc3339_parse("2026-02-10T03:00:00+02:00", &us2), 0);
    assert_int_equal(us2, us);
    assert_int_equal(ow_rfc3339_parse("2026-02-09T20:30:00-04:30", &us2), 0);
    assert_int_equal(us2, us);
    assert_int_equal(ow_rfc3339_parse("2026-02-10t01:00:00z", &us2), 0);
    assert_int_equal(us2, us);
    assert_int_equal(ow_rfc3339_parse("2026-02-10 01:00:00Z", &us2), 0);
    assert_int_equal(us2, us);
    /* fractions, to the microsecond (extra digits are dropped) */
    assert_int_equal(ow_rfc3339_parse("2026-02-10T01:00:00.5Z", &us2), 0);
    assert_int_equal(us2 - us, 500000);
    assert_int_equal(ow_rfc3339_parse("2026-02-10T01:00:00.123456789Z", &us2), 0);
    assert_int_equal(us2 - us, 123456);
    /* leap days */
    assert_int_equal(ow_rfc3339_parse("2028-02-29T00:00:00Z", &us2), 0);
    assert_string_equal(ow_rfc3339_format(us2, buf, sizeof buf), "2028-02-29T00:00:00Z");
    assert_int_equal(ow_rfc3339_parse("2000-02-29T00:00:00Z", &us2), 0);
    assert_int_equal(ow_rfc3339_parse("2100-02-29T00:00:00Z", &us2), -1);
    assert_int_equal(ow_rfc3339_parse("2026-02-29T00:00:00Z", &us2), -1);
    /* round trip across many days */
    for (int64_t d = -1000; d < 40000; d += 37) {
        int64_t t = d * 86400 * 1000000 + 3723 * 1000000ll;
        ow_rfc3339_format(t, buf, sizeof buf);
        assert_int_equal(ow_rfc3339_parse(buf, &us2), 0);
        assert_int_equal(us2, t);
    }
    const char *bad[] = { "", "2026-02-10", "2026-02-10T01:00Z", "2026-02-10T01:00:00",
                          "2026-02-10T01:00:00+0200", "2026-13-10T01:00:00Z", "2026-02-00T01:00:00Z",
                          "2026-02-10T24:00:00Z", "2026-02-10T01:60:00Z", "2026-02-10T01:00:61Z",
                          "2026-02-10T01:00:00.Z", "2026-02-10T01:00:00.1234567890Z",
                          "2026-02-10T01:00:00+24:00", "2026-02-10T01:00:00Z ", "2026-02-10X01:00:00Z",
                          "+026-02-10T01:00:00Z", "2026-02-10T01:00:00+02:60" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (ow_rfc3339_parse(bad[i], &us2) != -1)
            fail_msg("accepted '%s'", bad[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefix_tree),
        cmocka_unit_test(test_cidr_parse),
        cmocka_unit_test(test_rfc3339),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
