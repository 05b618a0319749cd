/* test_policy_learn.c — the learner and the policy writer it uses: a policy written back
 * (policy_emit.c) judges every flow exactly as the original does, quoting included; a draft
 * learned from flows guesses roles from services, groups hosts by subnet, authorizes what it
 * saw except LI and vendor flows, which wait behind "# review: ", and proposes only what a
 * base policy does not cover. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/policy/policy_test_util.h"
#include "classifiers/policy/policy_learn.h"
#include "classifiers/policy/policy_internal.h"

#define TCP 6
#define UDP 17

static const char tricky_policy[] =
    "version: 1\n"
    "site: \"dc1 \\\"om\\\"\"\n"
    "networks: {management: [10.20.0.0/16, \"fd00:20::/32\"]}\n"
    "assets:\n"
    "  ne-core:  {role: network-element, vendor: acme, addresses: [10.20.1.0/24, \"fd00:20:1::/48\"],\n"
    "             description: \"core \\\"MME\\\"\\tand SGW\\\\\"}\n"
    "  mme:      {role: network-element, vendor: acme, addresses: [10.20.1.11]}\n"
    "  li-mdf:   {role: li-mediation, addresses: [10.20.9.10]}\n"
    "  acme-ems: {role: operations, vendor: Acme, addresses: [10.20.8.0/24]}\n"
    "  jump:     {role: vendor-access, vendor: acme, addresses: [10.99.0.0/24]}\n"
    "  noc:      {role: operations, addresses: [10.20.2.0/24]}\n"
    "rules:\n"
    "  - {id: x2, kind: li, interface: X2, from: role:network-element, to: li-mdf,\n"
    "     service: {proto: tcp, ports: [9999, \"50000-50010\"]}, app: [X2, TLS]}\n"
    "  - {id: ems, kind: operations, from: \"vendor:ACME\", to: [ne-core, \"fd00:20:77::/48\"],\n"
    "     service: {ports: [830]}, description: \"NETCONF: \\\\ and 'quotes'\"}\n"
    "  - id: chg-1\n"
    "    kind: maintenance\n"
    "    ticket: \"CHG #1: \\\"urgent\\\"\"\n"
    "    vendor: acme\n"
    "    from: jump\n"
    "    to: mme\n"
    "    service: {proto: tcp, ports: [22]}\n"
    "    app: ssh\n"
    "    window:\n"
    "      - {start: \"2026-02-10T01:00:00.250000Z\", end: \"2026-02-10T04:00:00+02:00\"}\n"
    "      - {start: \"2026-02-12T03:00:00Z\", end: \"2026-02-12T03:00:00.000001Z\"}\n"
    "  - {id: noc, kind: operations, from: noc, to: role:network-element, service: {proto: udp}}\n"
    "default: anomaly\n";

static struct ow_policy *load_text(const char *name, const char *text)
{
    char path[512], err[512];
    struct ow_policy *p = ow_policy_load(write_fixture(name, text, path, sizeof path), NULL, NULL, err,
                                         sizeof err);
    if (!p)
        fprintf(stderr, "%s\n", err);
    assert_non_null(p);
    return p;
}

static char *draft_of(struct ow_learn *l, struct ow_learn_stats *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    assert_int_equal(ow_learn_write(l, out, "the test", s), 0);
    fclose(out);
    return buf;
}

static uint64_t rng = 0x243f6a8885a308d3ull;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

/* A policy written back judges 20,000 random flows byte for byte as the original. */
static void test_round_trip(void **state)
{
    (void)state;
    struct ow_policy *p = load_text("tricky.yaml", tricky_policy);
    struct ow_learn *l = ow_learn_new(p);
    struct ow_learn_stats s;
    char *text = draft_of(l, &s);
    assert_int_equal(s.flows, 0);
    assert_int_equal(s.rules, 0);
    struct ow_policy *q = load_text("tricky-back.yaml", text);
    assert_string_equal(ow_policy_site(q), "dc1 \"om\"");
    assert_int_equal(q->n_assets, p->n_assets);
    assert_int_equal(q->n_rules, p->n_rules);
    assert_string_equal(q->assets[0].description, "core \"MME\"\tand SGW\\");
    assert_string_equal(q->rules[2].ticket, "CHG #1: \"urgent\"");
    assert_int_equal(q->rules[2].windows[0].start_us, p->rules[2].windows[0].start_us);
    assert_int_equal(q->rules[2].windows[1].end_us, p->rules[2].windows[1].end_us);
    static const char *const apps[] = { "SSH", "X2", "TLS", "NETCONF", "DNS" };
    static const char *const times[] = { "2026-02-10T01:00:00.25Z", "2026-02-10T01:00:00.249999Z",
                                         "2026-02-10T01:59:59Z", "2026-02-12T03:00:00Z", "2026-03-01T00:00:00Z" };
    for (int i = 0; i < 20000; i++) {
        char c[64], sv[64];
        if (rnd(4) == 0) {
            snprintf(c, sizeof c, "fd00:20:%x::%x", rnd(3) ? 1 : 0x77, rnd(9));
            snprintf(sv, sizeof sv, "fd00:20:%x::%x", rnd(3) ? 1 : 0x77, rnd(9));
        } else {
            static const char *const nets[] = { "10.20.1", "10.20.2", "10.20.8", "10.20.9", "10.99.0", "192.0.2" };
            snprintf(c, sizeof c, "%s.%u", nets[rnd(6)], rnd(3) ? 11 : 10 + rnd(3));
            snprintf(sv, sizeof sv, "%s.%u", nets[rnd(6)], rnd(3) ? 11 : 10 + rnd(3));
        }
        static const uint16_t ports[] = { 22, 830, 9999, 50005, 161, 53 };
        struct ow_flow_record a = make_flow(c, 40000, sv, ports[rnd(6)], rnd(2) ? TCP : UDP, apps[rnd(5)],
                                            times[rnd(5)]);
        struct ow_flow_record b = a;
        ow_policy_evaluate(p, &a);
        ow_policy_evaluate(q, &b);
        assert_memory_equal(&a.verdict, &b.verdict, sizeof a.verdict);
    }
    free(text);
    ow_policy_free(q);
    ow_learn_free(l);
    ow_policy_free(p);
}

static void add(struct ow_learn *l, const char *c, uint16_t cport, const char *s, uint16_t sport,
                uint8_t proto, const char *app, const char *when)
{
    struct ow_flow_record r = make_flow(c, cport, s, sport, proto, app, when);
    r.bytes_toserver = 100;
    assert_int_equal(ow_learn_add(l, &r), 0);
}

static const char *T = "2026-02-10T02:00:00Z";

static void baseline(struct ow_learn *l)
{
    for (int i = 0; i < 3; i++) {
        add(l, "10.30.1.2", (uint16_t)(40000 + i), "10.20.1.11", 161, UDP, "SNMP", T);   /* NMS polls */
        add(l, "10.30.1.2", (uint16_t)(40100 + i), "10.20.1.12", 161, UDP, "SNMP", T);
    }
    add(l, "10.20.1.11", 514, "10.30.1.2", 514, UDP, "Syslog", T);
    add(l, "10.20.1.11", 123, "10.30.1.3", 123, UDP, "NTP", T);
    add(l, "10.20.1.11", 38000, "10.30.0.10", 9999, TCP, "X2", T);                       /* LI */
    add(l, "10.99.0.7", 60000, "10.20.1.11", 22, TCP, "SSH", "2026-02-10T02:30:00Z");   /* vendor */
    add(l, "10.30.2.15", 50022, "10.20.1.11", 22, TCP, "SSH", T);                       /* NOC */
    add(l, "10.30.2.15", 50023, "10.20.1.12", 2022, TCP, "SSH", T);
    add(l, "192.0.2.1", 1, "192.0.2.2", 80, TCP, "HTTP", T);                            /* out of scope */
}

static void test_learn(void **state)
{
    (void)state;
    struct ow_learn *l = ow_learn_new(NULL);
    baseline(l);
    struct ow_learn_stats s;
    char *text = draft_of(l, &s);
    assert_int_equal(s.flows, 13);
    assert_int_equal(s.in_scope, 12);
    assert_int_equal(s.review, 2);
    /* management networks: the /16s of private servers; the jump host's stays outside */
    assert_non_null(strstr(text, "management: [\"10.20.0.0/16\", \"10.30.0.0/16\"]"));
    /* hosts grouped by role and /24, roles from what they do */
    assert_non_null(strstr(text, "  ne-10-20-1: {role: network-element, addresses: [10.20.1.11, 10.20.1.12]}"));
    assert_non_null(strstr(text, "  ops-10-30-1: {role: operations, addresses: [10.30.1.2]}"));
    assert_non_null(strstr(text, "  infra-10-30-1: {role: infrastructure, addresses: [10.30.1.3]}"));
    assert_non_null(strstr(text, "  li-med-10-30-0: {role: li-mediation, addresses: [10.30.0.10]}"));
    assert_non_null(strstr(text, "  vendor-10-99-0: {role: vendor-access, addresses: [10.99.0.7]}"));
    assert_null(strstr(text, "192.0.2"));
    /* one rule per (client group, server group, service, app), ports merged, counts kept */
    assert_non_null(strstr(text, "# 6 flows, 600 bytes"));
    assert_non_null(strstr(text, "service: {proto: tcp, ports: [22, 2022]}"));
    assert_non_null(strstr(text, "  # review:   interface: X2\n"));
    assert_non_null(strstr(text, "  # review:   window: {start: \"2026-02-10T02:00:00Z\", end: \"2026-02-10T03:00:00Z\"}"));

    /* the draft loads; what it saw is authorized but for LI and vendor access */
    struct ow_policy *d = load_text("learned.yaml", text);
    struct ow_flow_record r = make_flow("10.30.1.2", 40009, "10.20.1.12", 161, UDP, "SNMP", T);
    ow_policy_evaluate(d, &r);
    assert_int_equal(r.verdict.status, OW_VERDICT_AUTHORIZED);
    r = make_flow("10.20.1.11", 38000, "10.30.0.10", 9999, TCP, "X2", T);
    ow_policy_evaluate(d, &r);
    assert_string_equal(r.verdict.kind, "li_unauthorized");
    r = make_flow("10.99.0.7", 60000, "10.20.1.11", 22, TCP, "SSH", T);
    ow_policy_evaluate(d, &r);
    assert_string_equal(r.verdict.kind, "vendor_unauthorized");
    /* accepted as written, they pass too, within the window seen */
    char *acc = strdup(text), *w = acc;
    assert_non_null(acc);
    for (const char *rd = text; *rd;) {
        if (strncmp(rd, "# review: ", 10) == 0)
            rd += 10;
        else
            *w++ = *rd++;
    }
    *w = '\0';
    struct ow_policy *a = load_text("accepted.yaml", acc);
    r = make_flow("10.20.1.11", 38000, "10.30.0.10", 9999, TCP, "X2", T);
    ow_policy_evaluate(a, &r);
    assert_int_equal(r.verdict.status, OW_VERDICT_AUTHORIZED);
    r = make_flow("10.99.0.7", 60000, "10.20.1.11", 22, TCP, "SSH", "2026-02-10T05:00:00Z");
    ow_policy_evaluate(a, &r);
    assert_string_equal(r.verdict.kind, "maintenance_outside_window");
    /* nothing new is covered: another element, another port, another client */
    r = make_flow("10.30.1.2", 40000, "10.20.1.13", 161, UDP, "SNMP", T);
    ow_policy_evaluate(a, &r);
    assert_int_equal(r.verdict.status, OW_VERDICT_ANOMALY);
    r = make_flow("10.30.1.9", 40000, "10.20.1.11", 161, UDP, "SNMP", T);
    ow_policy_evaluate(a, &r);
    assert_int_equal(r.verdict.status, OW_VERDICT_ANOMALY);
    ow_policy_free(a);
    ow_policy_free(d);
    free(acc);
    free(text);
    ow_learn_free(l);
}

/* With a base policy: its assets name the groups, covered flows propose nothing, and an
 * anomaly the base calls LI stays for review even without an LI label. */
static void test_learn_with_base(void **state)
{
    (void)state;
    struct ow_policy *p = load_text("base.yaml", tricky_policy);
    struct ow_learn *l = ow_learn_new(p);
    add(l, "10.20.2.5", 1, "10.20.1.11", 161, UDP, "SNMP", T);          /* covered by noc */
    add(l, "10.20.2.5", 2, "10.20.1.11", 443, TCP, "TLS", T);           /* new: noc -> mme */
    add(l, "10.20.2.5", 3, "10.20.9.10", 9999, TCP, "TLS", T);          /* reaches x2's service */
    add(l, "10.20.3.7", 4, "10.20.1.20", 22, TCP, "SSH", T);            /* a new host */
    struct ow_learn_stats s;
    char *text = draft_of(l, &s);
    assert_int_equal(s.covered, 1);
    assert_int_equal(s.rules, 3);
    assert_int_equal(s.review, 1);
    assert_non_null(strstr(text, "    from: noc\n    to: mme\n"));
    assert_non_null(strstr(text, "# review:   from: noc\n  # review:   to: li-mdf"));
    assert_non_null(strstr(text, "ops-10-20-3: {role: operations, addresses: [10.20.3.7]}"));
    assert_non_null(strstr(text, "from: ops-10-20-3\n    to: ne-core"));
    struct ow_policy *d = load_text("extended.yaml", text);
    assert_int_equal(d->n_rules, p->n_rules + 2);
    free(text);
    ow_policy_free(d);
    ow_learn_free(l);
    ow_policy_free(p);
}

static int teardown(void **state)
{
    (void)state;
    fixture_dir_remove();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_learn),
        cmocka_unit_test(test_learn_with_base),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
