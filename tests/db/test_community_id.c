/* test_community_id.c — Community ID v1 against the specification's baseline vectors
 * (the three baseline files in $OW_SHARED_DATA/community-id) and the README rows; and the
 * text form of addresses the store and the Community ID's users read (common/endpoint.c),
 * against inet_ntop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include <arpa/inet.h>

#include "common/community_id.h"
#include "common/endpoint.h"

static int vectors_checked;

static int base64_value(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* "1:<base64>" -> "1:<lowercase hex>", the form of baseline_nob64.json. */
static void base64_id_to_hex(const char *id, char *hex, size_t hexlen)
{
    assert_true(strncmp(id, "1:", 2) == 0);
    uint8_t raw[32];
    size_t n = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (const char *p = id + 2; *p && *p != '='; p++) {
        int v = base64_value(*p);
        assert_true(v >= 0);
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            assert_true(n < sizeof raw);
            raw[n++] = (uint8_t)(acc >> bits);
        }
    }
    assert_int_equal(n, 20);
    assert_true(hexlen >= 2 + 2 * n + 1);
    memcpy(hex, "1:", 3);
    for (size_t i = 0; i < n; i++)
        snprintf(hex + 2 + 2 * i, 3, "%02x", raw[i]);
}

static void endpoint(const char *ip, long port, struct ow_endpoint *ep)
{
    memset(ep, 0, sizeof *ep);
    assert_int_equal(ow_addr_from_text(ip, ep), 0);
    ep->port = (uint16_t)port;
}

/* Checks every tuple of one baseline file; hex selects the nob64 form. */
static void check_baseline(const char *file, uint16_t seed, int hex)
{
    const char *dir = getenv("OW_SHARED_DATA");
    if (!dir) {
        print_message("OW_SHARED_DATA not set: no baseline vectors\n");
        skip();
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/community-id/%s", dir, file);
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root) {
        print_message("%s: %s (line %d)\n", path, jerr.text, jerr.line);
        skip();
    }
    assert_true(json_is_array(root));
    assert_true(json_array_size(root) > 0);

    size_t i;
    json_t *v;
    json_array_foreach(root, i, v) {
        struct ow_endpoint src, dst;
        json_int_t proto = json_integer_value(json_object_get(v, "proto"));
        const char *want = json_string_value(json_object_get(v, "communityid"));
        assert_non_null(want);
        endpoint(json_string_value(json_object_get(v, "saddr")),
                 (long)json_integer_value(json_object_get(v, "sport")), &src);
        endpoint(json_string_value(json_object_get(v, "daddr")),
                 (long)json_integer_value(json_object_get(v, "dport")), &dst);

        char got[40];
        assert_int_equal(ow_community_id(seed, (uint8_t)proto, &src, &dst, got, sizeof got), 0);
        if (hex) {
            char gothex[64];
            base64_id_to_hex(got, gothex, sizeof gothex);
            if (strcmp(gothex, want) != 0)
                fail_msg("%s #%zu: got %s want %s", file, i, gothex, want);
        } else if (strcmp(got, want) != 0) {
            fail_msg("%s #%zu: got %s want %s", file, i, got, want);
        }
        vectors_checked++;
    }
    print_message("%s: %zu vectors match\n", file, json_array_size(root));
    json_decref(root);
}

static void test_baseline_default(void **state) { (void)state; check_baseline("baseline_deflt.json", 0, 0); }
static void test_baseline_seed1(void **state)   { (void)state; check_baseline("baseline_seed1.json", 1, 0); }
static void test_baseline_nob64(void **state)   { (void)state; check_baseline("baseline_nob64.json", 0, 1); }

static void expect_id(uint16_t seed, uint8_t proto, const char *sip, long sport,
                      const char *dip, long dport, const char *want)
{
    struct ow_endpoint s, d;
    endpoint(sip, sport, &s);
    endpoint(dip, dport, &d);
    char got[40];
    assert_int_equal(ow_community_id(seed, proto, &s, &d, got, sizeof got), 0);
    assert_string_equal(got, want);
}

/* Rows of the spec's baseline/README.md tables and Zeek's extra vectors. */
static void test_readme_rows(void **state)
{
    (void)state;
    expect_id(0, 6, "1.2.3.4", 1122, "5.6.7.8", 3344, "1:wCb3OG7yAFWelaUydu0D+125CLM=");
    expect_id(0, 6, "5.6.7.8", 3344, "1.2.3.4", 1122, "1:wCb3OG7yAFWelaUydu0D+125CLM=");
    expect_id(0, 132, "1.2.3.4", 1122, "5.6.7.8", 3344, "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=");
    /* ICMP echo request and its reply (code 0) land on the same ID. */
    expect_id(0, 1, "1.2.3.4", 8, "5.6.7.8", 0, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=");
    expect_id(0, 1, "5.6.7.8", 0, "1.2.3.4", 0, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=");
    expect_id(0, 1, "1.2.3.4", 11, "5.6.7.8", 0, "1:f/YiSyWqczrTgfUCZlBUnvHRcPk=");
    expect_id(0, 58, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", 146,
              "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 0, "1:fYC8+pz24E+EhANP1EZhpX0Dw10=");
    /* Port-less protocols hash addresses and protocol only. */
    expect_id(0, 46, "1.2.3.4", 0, "5.6.7.8", 0, "1:ikv3kmf89luf73WPz1jOs49S768=");
    expect_id(0, 46, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", 0,
              "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 0, "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=");
    expect_id(1, 46, "1.2.3.4", 0, "5.6.7.8", 0, "1:/buhqeOmaRCopOZFy9HnoJd5XW8=");
    expect_id(0, 10, "1.2.3.4", 0, "5.6.7.8", 0, "1:7bYuQ7nyGBIQn7uDcQ5WraAnhWI=");
    expect_id(1, 10, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", 0,
              "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 0, "1:rcMO2BlHXpMNFXyyWqSDUQCBRBc=");
}

/* Equal addresses: the ports decide, compared as numbers (nDPI 4.2 compares them
 * byte-swapped and disagrees with the spec here). */
static void test_equal_addresses(void **state)
{
    (void)state;
    expect_id(0, 6, "127.0.0.1", 1122, "127.0.0.1", 3344, "1:jFSTezdNrFgNSrsEQyOUW8QbOVw=");
    expect_id(0, 6, "127.0.0.1", 3344, "127.0.0.1", 1122, "1:jFSTezdNrFgNSrsEQyOUW8QbOVw=");
}

static void test_bad_arguments(void **state)
{
    (void)state;
    struct ow_endpoint v4, v6;
    endpoint("1.2.3.4", 1, &v4);
    endpoint("fe80::1", 2, &v6);
    char out[40];
    assert_int_equal(ow_community_id(0, 6, &v4, &v6, out, sizeof out), -1);
    /* "1:" + 28 base64 characters + NUL is the least that fits. */
    assert_int_equal(ow_community_id(0, 6, &v4, &v4, out, 30), -1);
    assert_int_equal(ow_community_id(0, 6, &v4, &v4, out, 31), 0);
    assert_int_equal(strlen(out), 30);
    struct ow_endpoint junk = v4;
    junk.family = 9;
    assert_int_equal(ow_community_id(0, 6, &junk, &junk, out, sizeof out), -1);
}

/* The IPv4 text is written by hand (inet_ntop's sprintf was 4 % of the writer): the same
 * text as inet_ntop for every octet value in every position, and "?" where it would not fit. */
static void test_address_text_as_inet_ntop(void **state)
{
    (void)state;
    struct ow_endpoint ep = { .family = OW_AF_INET4 };
    char got[64], want[64];
    for (int pos = 0; pos < 4; pos++)
        for (unsigned v = 0; v < 256; v++) {
            for (int i = 0; i < 4; i++)
                ep.addr[i] = (uint8_t)(i == pos ? v : (v * 7 + (unsigned)i * 50) & 255);
            assert_non_null(inet_ntop(AF_INET, ep.addr, want, sizeof want));
            assert_string_equal(ow_addr_to_text(&ep, got, sizeof got), want);
        }
    const uint8_t widest[4] = { 255, 255, 255, 255 };
    memcpy(ep.addr, widest, 4);
    for (size_t len = 1; len <= 16; len++) {
        ow_addr_to_text(&ep, got, len);
        assert_string_equal(got, len == 16 ? "255.255.255.255" : len >= 2 ? "?" : "");
    }
    ep.family = OW_AF_INET6;
    memset(ep.addr, 0, 16);
    ep.addr[0] = 0x20;
    ep.addr[1] = 0x01;
    ep.addr[2] = 0x0d;
    ep.addr[3] = 0xb8;
    ep.addr[15] = 1;
    assert_string_equal(ow_addr_to_text(&ep, got, sizeof got), "2001:db8::1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_baseline_default),
        cmocka_unit_test(test_baseline_seed1),
        cmocka_unit_test(test_baseline_nob64),
        cmocka_unit_test(test_readme_rows),
        cmocka_unit_test(test_equal_addresses),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_address_text_as_inet_ntop),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    printf("community-id baseline vectors checked: %d\n", vectors_checked);
    return rc;
}
