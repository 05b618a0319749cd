/* test_eve_json.c — EVE JSON lines: the shape of flow and alert events, UTF-8 sanitising,
 * timestamps, the nDPI risk-name table (checked against libndpi 4.2 itself), and records
 * full of random bytes that must still give valid JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <ndpi/ndpi_api.h>

#include "db/eve_json.h"
#include "db/eve_signatures.h"
#include "db/triage.h"
#include "fixtures.h"

static json_t *parse(char *line)
{
    assert_non_null(line);
    assert_null(strchr(line, '\n'));
    json_error_t jerr;
    json_t *j = json_loads(line, 0, &jerr);
    if (!j)
        fail_msg("invalid JSON (%s): %s", jerr.text, line);
    free(line);
    return j;
}

static const char *str_at(json_t *j, const char *k1, const char *k2)
{
    json_t *v = json_object_get(j, k1);
    if (k2)
        v = json_object_get(v, k2);
    return json_string_value(v);
}

static void test_risk_names_match_libndpi(void **state)
{
    (void)state;
    assert_int_equal(OW_NDPI_RISK_BITS, NDPI_MAX_RISK);
    assert_null(ow_ndpi_risk_name(0));
    for (unsigned i = 1; i < NDPI_MAX_RISK; i++) {
        const char *ours = ow_ndpi_risk_name(i);
        const char *theirs = ndpi_risk2str((ndpi_risk_enum)i);
        assert_non_null(ours);
        if (strcmp(ours, theirs) != 0)
            fail_msg("risk %u: ours \"%s\", libndpi \"%s\"", i, ours, theirs);
    }
    assert_null(ow_ndpi_risk_name(NDPI_MAX_RISK));
    assert_null(ow_ndpi_risk_name(1000));
}

static void expect_sanitized(const char *in, size_t inlen, const char *want)
{
    char out[256];
    size_t n = ow_utf8_sanitize(out, sizeof out, in, inlen);
    assert_int_equal(n, strlen(want));
    assert_string_equal(out, want);
}

#define FFFD "\xEF\xBF\xBD"

static void test_utf8_sanitize(void **state)
{
    (void)state;
    expect_sanitized("plain", 5, "plain");
    expect_sanitized("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", 14, "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
    expect_sanitized("\xC0\x80", 2, FFFD FFFD);                 /* overlong NUL */
    expect_sanitized("\xE0\x80\xAF", 3, FFFD FFFD FFFD);        /* overlong '/' */
    expect_sanitized("\xED\xA0\x80", 3, FFFD FFFD FFFD);        /* UTF-16 surrogate */
    expect_sanitized("\xF4\x90\x80\x80", 4, FFFD FFFD FFFD FFFD); /* above U+10FFFF */
    expect_sanitized("\xF8\x88\x80\x80\x80", 5, FFFD FFFD FFFD FFFD FFFD);
    expect_sanitized("ok\xE2\x82", 4, "ok" FFFD FFFD);          /* cut sequence */
    expect_sanitized("\xC3\xA9", 1, FFFD);                      /* length limit cuts it */
    expect_sanitized("ab\0cd", 5, "ab");                        /* stops at NUL */
    expect_sanitized("\x1b[0m\x7f", 5, "\x1b[0m\x7f");          /* valid: JSON escapes these */

    /* Output never overflows: a tiny buffer holds whole characters only. */
    char small[4];
    assert_int_equal(ow_utf8_sanitize(small, sizeof small, "\xff\xff", 2), 3);
    assert_string_equal(small, FFFD);
    assert_int_equal(ow_utf8_sanitize(small, sizeof small, "abcdef", 6), 3);
    assert_string_equal(small, "abc");
}

static void test_timestamp(void **state)
{
    (void)state;
    char buf[64];
    ow_eve_timestamp(FIXTURE_T0_US, buf, sizeof buf);
    assert_string_equal(buf, "2026-02-10T05:30:00.000000+0000");
    ow_eve_timestamp(FIXTURE_T0_US + 1, buf, sizeof buf);
    assert_string_equal(buf, "2026-02-10T05:30:00.000001+0000");
    ow_eve_timestamp(0, buf, sizeof buf);
    assert_string_equal(buf, "1970-01-01T00:00:00.000000+0000");
    ow_eve_timestamp(UINT64_MAX, buf, sizeof buf);      /* absurd times stay well-formed */
    assert_int_equal(strlen(buf), strlen("1970-01-01T00:00:00.000000+0000"));
    char tiny[8];
    ow_eve_timestamp(FIXTURE_T0_US, tiny, sizeof tiny);
    assert_int_equal(strlen(tiny), sizeof tiny - 1);
}

static void test_flow_shape(void **state)
{
    (void)state;
    struct ow_flow_record r;
    fixture_flow(&r, (1ull << 53) - 1, "10.20.1.5", 40000, "10.30.0.10", 22, 0);
    FIX_SET(r.ssh_client, "SSH-2.0-OpenSSH_5.3");
    FIX_SET(r.hassh_server, "B1C6C0D56317555B85C7005A3DE29325");
    r.ndpi_risk = (1ull << 18) | (1ull << 19) | (1ull << 50);
    r.verdict.status = OW_VERDICT_ANOMALY;
    FIX_SET(r.verdict.kind, "vendor_unauthorized");
    FIX_SET(r.verdict.rule, "chg-2026-0142");

    json_t *j = parse(ow_eve_flow_string(&r));
    assert_string_equal(str_at(j, "timestamp", NULL), "2026-02-10T05:30:00.123456+0000");
    assert_string_equal(str_at(j, "event_type", NULL), "flow");
    assert_int_equal(json_integer_value(json_object_get(j, "flow_id")), (1ll << 53) - 1);
    assert_string_equal(str_at(j, "community_id", NULL), r.community_id);
    assert_string_equal(str_at(j, "proto", NULL), "TCP");
    assert_string_equal(str_at(j, "app_proto", NULL), "SSH");
    json_t *flow = json_object_get(j, "flow");
    assert_int_equal(json_integer_value(json_object_get(flow, "pkts_toserver")), 10);
    assert_int_equal(json_integer_value(json_object_get(flow, "pkts_toclient")), 8);
    assert_int_equal(json_integer_value(json_object_get(flow, "bytes_toserver")), 1500);
    assert_string_equal(str_at(j, "ndpi", "protocol"), "SSH");
    assert_string_equal(str_at(j, "ndpi", "category"), "RemoteAccess");
    assert_string_equal(str_at(j, "ndpi", "confidence"), "DPI");
    json_t *risks = json_object_get(json_object_get(j, "ndpi"), "risks");
    assert_int_equal(json_array_size(risks), 3);
    assert_string_equal(json_string_value(json_array_get(risks, 1)),
                        "SSH Obsolete Server Version/Cipher");
    assert_string_equal(json_string_value(json_array_get(risks, 2)), "risk_50");
    assert_string_equal(str_at(j, "verdict", "status"), "anomaly");
    assert_string_equal(str_at(j, "verdict", "kind"), "vendor_unauthorized");
    /* Suricata's ssh shape: the banner split into protocol and software version, the HASSH
     * under its side, in lowercase hex. */
    json_t *ssh = json_object_get(j, "ssh");
    assert_string_equal(str_at(ssh, "client", "proto_version"), "2.0");
    assert_string_equal(str_at(ssh, "client", "software_version"), "OpenSSH_5.3");
    assert_null(json_object_get(json_object_get(ssh, "client"), "hassh"));
    assert_string_equal(str_at(json_object_get(ssh, "server"), "hassh", "hash"),
                        "b1c6c0d56317555b85c7005a3de29325");
    assert_null(json_object_get(json_object_get(ssh, "server"), "software_version"));
    /* No run context given: no host, interface or site. */
    assert_null(json_object_get(j, "host"));
    assert_null(json_object_get(j, "in_iface"));
    assert_null(json_object_get(j, "site"));
    /* Objects without data are left out. */
    assert_null(json_object_get(j, "tls"));
    assert_null(json_object_get(j, "http"));
    assert_null(json_object_get(j, "dns"));
    assert_null(json_object_get(j, "li"));
    assert_null(json_object_get(j, "alert"));
    json_decref(j);

    /* A bare flow: no nDPI result, an IP protocol without a name, no app. */
    memset(&r, 0, sizeof r);
    ow_addr_from_text("fd00:20::1", &r.client);
    ow_addr_from_text("fd00:20::2", &r.server);
    r.l4_proto = 253;
    j = parse(ow_eve_flow_string(&r));
    assert_string_equal(str_at(j, "proto", NULL), "253");
    assert_string_equal(str_at(j, "src_ip", NULL), "fd00:20::1");
    assert_null(json_object_get(j, "ndpi"));
    assert_null(json_object_get(j, "app_proto"));
    assert_null(json_object_get(j, "community_id"));
    assert_string_equal(str_at(j, "verdict", "status"), "unevaluated");
    assert_null(json_object_get(json_object_get(j, "verdict"), "rule"));
    json_decref(j);

    /* ICMP carries its type and code. */
    fixture_flow(&r, 5, "10.0.0.1", 8, "10.0.0.2", 0, 0);
    r.l4_proto = 1;
    r.icmp_type = 8;
    j = parse(ow_eve_flow_string(&r));
    assert_string_equal(str_at(j, "proto", NULL), "ICMP");
    assert_int_equal(json_integer_value(json_object_get(j, "icmp_type")), 8);
    assert_int_equal(json_integer_value(json_object_get(j, "icmp_code")), 0);
    json_decref(j);
}

static void test_alert_shape(void **state)
{
    (void)state;
    struct ow_flow_record r;
    fixture_flow(&r, 77, "10.99.0.7", 51000, "10.30.0.10", 9999, 0);
    r.li.label = OW_LI_X2;
    r.li.pdu_count = 1;
    FIX_SET(r.li.target, "imsi-001010123456789");
    FIX_SET(r.app_proto, "X2");
    r.verdict.status = OW_VERDICT_ANOMALY;
    r.verdict.severity = OW_SEV_CRITICAL;
    FIX_SET(r.verdict.kind, "li_unauthorized");
    FIX_SET(r.verdict.rule, "x2-iri");
    FIX_SET(r.verdict.reason, "expected ne-core to send X2 to li-mdf, saw acme-jump");
    FIX_SET(r.verdict.asset_src, "acme-jump");
    FIX_SET(r.verdict.asset_dest, "li-mdf");

    json_t *j = parse(ow_eve_alert_string(&r, 12345));
    assert_string_equal(str_at(j, "event_type", NULL), "alert");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "alert"), "id")), 12345);
    assert_string_equal(str_at(j, "alert", "kind"), "li_unauthorized");
    /* Suricata's types: an integer severity (1 critical), a signature and its stable id. */
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "alert"), "severity")), 1);
    assert_string_equal(str_at(j, "alert", "severity_name"), "critical");
    assert_string_equal(str_at(j, "alert", "action"), "allowed");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "alert"),
                                                        "signature_id")), 1400001);
    assert_string_equal(str_at(j, "alert", "signature"),
                        "omwitness: LI traffic outside the allowlist");
    assert_non_null(str_at(j, "alert", "category"));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "alert"), "gid")), 1);
    assert_string_equal(str_at(j, "alert", "rule"), "x2-iri");
    assert_null(json_object_get(j, "triage"));
    assert_string_equal(str_at(j, "alert", "reason"), r.verdict.reason);
    assert_string_equal(str_at(j, "assets", "src"), "acme-jump");
    assert_string_equal(str_at(j, "assets", "dest"), "li-mdf");
    assert_string_equal(str_at(j, "li", "interface"), "X2");
    assert_string_equal(str_at(j, "li", "target"), "imsi-001010123456789");
    assert_string_equal(str_at(j, "src_ip", NULL), "10.99.0.7");
    assert_int_equal(json_integer_value(json_object_get(j, "dest_port")), 9999);
    assert_non_null(json_object_get(j, "flow"));
    assert_null(json_object_get(j, "verdict"));
    json_decref(j);

    /* With a context: host, in_iface and site at the top level, and the current triage. */
    struct ow_triage_state t = { .present = true, .id = 3, .status = "closed",
                                 .note = "vendor call, ticket extended", .by = "alice",
                                 .at_us = FIXTURE_T0_US };
    struct ow_eve_context ctx = { .host = "sensor-7", .in_iface = "eth1", .site = "dc1-om",
                                  .triage = &t };
    j = parse(ow_eve_alert_string_ctx(&r, 12345, &ctx));
    assert_string_equal(str_at(j, "host", NULL), "sensor-7");
    assert_string_equal(str_at(j, "in_iface", NULL), "eth1");
    assert_string_equal(str_at(j, "site", NULL), "dc1-om");
    assert_string_equal(str_at(j, "triage", "status"), "closed");
    assert_string_equal(str_at(j, "triage", "note"), "vendor call, ticket extended");
    assert_string_equal(str_at(j, "triage", "by"), "alice");
    assert_string_equal(str_at(j, "triage", "at"), "2026-02-10T05:30:00.000000+0000");
    json_decref(j);
    /* A flow line takes the context but never a triage. */
    j = parse(ow_eve_flow_string_ctx(&r, &ctx));
    assert_string_equal(str_at(j, "host", NULL), "sensor-7");
    assert_null(json_object_get(j, "triage"));
    json_decref(j);

    /* ow_eve_write_alert writes the same object and one newline. */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(ow_eve_write_alert(f, &r, 12345), 0);
    assert_int_equal(ow_eve_write_flow(f, &r), 0);
    fclose(f);
    char *nl = strchr(buf, '\n');
    assert_non_null(nl);
    assert_non_null(strchr(nl + 1, '\n'));
    assert_int_equal(buf[len - 1], '\n');
    free(buf);
}

/* tls, http and dns in Suricata's shapes; a banner that is not one keeps its text. */
static void test_app_metadata_shapes(void **state)
{
    (void)state;
    struct ow_flow_record r;
    fixture_flow(&r, 9, "10.20.1.5", 40000, "10.30.0.10", 443, 0);
    FIX_SET(r.tls_sni, "mdf.example");
    FIX_SET(r.tls_version, "TLSv1.2");
    FIX_SET(r.ja3, "771d2c9ed1ea4d2e7ff3a7b9a1c5a3b1");
    FIX_SET(r.ja3s, "f4febc55ea12b31ae17cfb7e614afda8");
    FIX_SET(r.http_host, "ne-core.example");
    FIX_SET(r.http_user_agent, "curl/7.88");
    FIX_SET(r.dns_query, "ntp.example");
    FIX_SET(r.ssh_client, "OpenSSH_9 without a prefix");
    FIX_SET(r.ssh_server, "SSH-1.99-Cisco-1.25 comment here");
    FIX_SET(r.hassh_client, "21B457A327CE7A2D4FCE5EF2C42400BD");
    json_t *j = parse(ow_eve_flow_string(&r));
    assert_string_equal(str_at(j, "tls", "sni"), "mdf.example");
    assert_string_equal(str_at(j, "tls", "version"), "TLS 1.2");
    assert_string_equal(str_at(json_object_get(j, "tls"), "ja3", "hash"),
                        "771d2c9ed1ea4d2e7ff3a7b9a1c5a3b1");
    assert_string_equal(str_at(json_object_get(j, "tls"), "ja3s", "hash"),
                        "f4febc55ea12b31ae17cfb7e614afda8");
    assert_string_equal(str_at(j, "http", "hostname"), "ne-core.example");
    assert_string_equal(str_at(j, "http", "http_user_agent"), "curl/7.88");
    json_t *dns = json_object_get(j, "dns");
    assert_int_equal(json_integer_value(json_object_get(dns, "version")), 3);
    assert_string_equal(str_at(dns, "type", NULL), "request");
    assert_string_equal(str_at(json_array_get(json_object_get(dns, "queries"), 0), "rrname", NULL),
                        "ntp.example");
    json_t *ssh = json_object_get(j, "ssh");
    assert_string_equal(str_at(ssh, "client", "software_version"), "OpenSSH_9 without a prefix");
    assert_null(json_object_get(json_object_get(ssh, "client"), "proto_version"));
    assert_string_equal(str_at(json_object_get(ssh, "client"), "hassh", "hash"),
                        "21b457a327ce7a2d4fce5ef2c42400bd");
    assert_string_equal(str_at(ssh, "server", "proto_version"), "1.99");
    assert_string_equal(str_at(ssh, "server", "software_version"), "Cisco-1.25");
    json_decref(j);
    /* Versions nDPI names in a form Suricata does not use are passed on as they are. */
    FIX_SET(r.tls_version, "TLSv1");
    j = parse(ow_eve_flow_string(&r));
    assert_string_equal(str_at(j, "tls", "version"), "TLSv1");
    json_decref(j);
}

/* Every kind has its own stable signature id; an unknown kind still gets one. */
static void test_signature_table(void **state)
{
    (void)state;
    static const char *const kinds[] = { "li_unauthorized", "maintenance_outside_window",
        "maintenance_overrun", "vendor_unauthorized", "protocol_mismatch", "egress_external",
        "unlisted_flow" };
    int64_t seen[8] = { 0 };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        const struct ow_anomaly_kind_info *s = ow_alert_signature(kinds[i]);
        assert_string_equal(s->kind, kinds[i]);
        assert_true(s->signature_id >= 1000000 && s->signature_id <= 1999999);
        assert_true(!strncmp(s->signature, "omwitness: ", 11));
        for (size_t k = 0; k < i; k++)
            assert_true(seen[k] != s->signature_id);
        seen[i] = s->signature_id;
    }
    assert_int_equal(ow_alert_signature("li_unauthorized")->signature_id, 1400001);
    assert_int_equal(ow_alert_signature("unlisted_flow")->signature_id, 1400007);
    assert_int_equal(ow_alert_signature("no_such_kind")->signature_id, 1400000);
    assert_int_equal(ow_alert_signature(NULL)->signature_id, 1400000);
    assert_int_equal(ow_eve_severity_number(OW_SEV_CRITICAL), 1);
    assert_int_equal(ow_eve_severity_number(OW_SEV_HIGH), 2);
    assert_int_equal(ow_eve_severity_number(OW_SEV_MEDIUM), 3);
}

/* Every string field full of random non-NUL bytes, with no terminating NUL at all: the
 * line is valid JSON and pure ASCII, and nothing is read outside the record. */
static void test_random_bytes_stay_valid(void **state)
{
    (void)state;
    unsigned seed = 12345;
    for (int iter = 0; iter < 2000; iter++) {
        struct ow_flow_record r;
        unsigned char *p = (unsigned char *)&r;
        for (size_t i = 0; i < sizeof r; i++) {
            seed = seed * 1103515245u + 12345u;
            p[i] = (unsigned char)((seed >> 16) % 255 + 1);
        }
        r.client.family = OW_AF_INET6;
        r.server.family = OW_AF_INET4;
        char *flow = ow_eve_flow_string(&r);
        char *alert = ow_eve_alert_string(&r, iter);
        assert_non_null(flow);
        assert_non_null(alert);
        for (const char *c = flow; *c; c++)
            if (*c < 0x20 || *c >= 0x7f)
                fail_msg("byte 0x%02x at %td in %s", (unsigned char)*c, c - flow, flow);
        json_decref(parse(flow));
        json_decref(parse(alert));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_risk_names_match_libndpi),
        cmocka_unit_test(test_utf8_sanitize),
        cmocka_unit_test(test_timestamp),
        cmocka_unit_test(test_flow_shape),
        cmocka_unit_test(test_alert_shape),
        cmocka_unit_test(test_app_metadata_shapes),
        cmocka_unit_test(test_signature_table),
        cmocka_unit_test(test_random_bytes_stay_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
