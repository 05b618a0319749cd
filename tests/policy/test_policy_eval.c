/* test_policy_eval.c — verdicts: every row of the precedence table of docs/policy.md, window edges and
 * offsets, IPv6 prefixes, role selectors, overlapping assets, overruns, default: allow,
 * reasons, and the rule index against a plain linear scan. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/policy/policy_test_util.h"
#include "classifiers/policy/policy_internal.h"

#define TCP 6
#define UDP 17

static const char base_policy[] =
    "version: 1\n"
    "site: test-site\n"
    "networks:\n"
    "  management: [10.20.0.0/16, 10.30.0.0/16, \"fd00:20::/32\"]\n"
    "assets:\n"
    "  ne-core:    {role: network-element, vendor: acme, addresses: [10.20.1.0/24, \"fd00:20:1::/48\"]}\n"
    "  ne-special: {role: network-element, addresses: [10.20.1.99]}\n"
    "  ne-ran:     {role: network-element, addresses: [10.20.2.0/24]}\n"
    "  li-admf:    {role: li-admin, addresses: [10.30.0.5]}\n"
    "  li-mdf:     {role: li-mediation, addresses: [10.30.0.10, \"fd00:20:30::10\"]}\n"
    "  lemf:       {role: lemf, addresses: [198.51.100.20]}\n"
    "  nms:        {role: operations, addresses: [10.30.1.2]}\n"
    "  noc:        {role: operations, addresses: [10.30.2.0/24, \"fd00:20:2::/48\"]}\n"
    "  acme-jump:  {role: vendor-access, vendor: acme, addresses: [10.99.0.0/24]}\n"
    "  other-jump: {role: vendor-access, addresses: [10.98.0.0/24]}\n"
    "  acme-ems:   {role: operations, vendor: acme, addresses: [10.30.3.0/24]}\n"
    "  beta-ems:   {role: infrastructure, vendor: beta, addresses: [10.30.4.0/24]}\n"
    "rules:\n"
    "  - id: x1-prov\n"
    "    kind: li\n"
    "    interface: X1\n"
    "    from: li-admf\n"
    "    to: role:network-element\n"
    "    service: {proto: tcp, ports: [8443]}\n"
    "    app: [X1, TLS]\n"
    "  - id: x2-iri\n"
    "    kind: li\n"
    "    interface: X2\n"
    "    from: ne-core\n"
    "    to: li-mdf\n"
    "    service: {proto: tcp, ports: [9999, \"50000-50010\"]}\n"
    "    app: [X2]\n"
    "  - id: hi2\n"
    "    kind: li\n"
    "    interface: HI2\n"
    "    from: li-mdf\n"
    "    to: lemf\n"
    "    service: {proto: tcp, ports: [44444]}\n"
    "  - id: chg-2026-0142\n"
    "    kind: maintenance\n"
    "    ticket: CHG-2026-0142\n"
    "    vendor: acme\n"
    "    from: acme-jump\n"
    "    to: [ne-core]\n"
    "    service: {proto: tcp, ports: [22]}\n"
    "    app: [SSH]\n"
    "    window:\n"
    "      - {start: \"2026-02-10T01:00:00Z\", end: \"2026-02-10T04:00:00Z\"}\n"
    "      - {start: \"2026-02-12T03:00:00+02:00\", end: \"2026-02-12T05:00:00+02:00\"}\n"
    "  - id: snmp-poll\n"
    "    kind: operations\n"
    "    from: nms\n"
    "    to: role:network-element\n"
    "    service: {proto: udp, ports: [161]}\n"
    "    app: [SNMP]\n"
    "  - id: noc-ssh\n"
    "    kind: operations\n"
    "    from: noc\n"
    "    to: role:network-element\n"
    "    service: {proto: tcp, ports: [22]}\n"
    "    app: ssh\n"
    "  - id: v6-sync\n"
    "    kind: operations\n"
    "    from: \"fd00:20:77::/48\"\n"
    "    to: \"fd00:20:1::/48\"\n"
    "    service: {proto: tcp, ports: [873]}\n"
    "  - id: web-ui\n"
    "    kind: operations\n"
    "    from: noc\n"
    "    to: [10.20.2.0/25]\n"
    "    service: {proto: any, ports: [\"443-444\"]}\n"
    "    app: [TLS]\n"
    "default: anomaly\n";

static struct ow_policy *pol;

static int setup(void **state)
{
    (void)state;
    char path[512], err[512];
    write_fixture("base.yaml", base_policy, path, sizeof path);
    pol = ow_policy_load(path, NULL, NULL, err, sizeof err);
    if (!pol) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ow_policy_free(pol);
    fixture_dir_remove();
    return 0;
}

/* Evaluates with the index and checks that the linear reference agrees byte for byte. */
static struct ow_verdict eval(struct ow_flow_record r)
{
    struct ow_flow_record lin = r;
    ow_policy_evaluate(pol, &r);
    pol_evaluate_linear(pol, &lin);
    assert_memory_equal(&r.verdict, &lin.verdict, sizeof r.verdict);
    assert_true(utf8_valid(r.verdict.reason));
    assert_true(strlen(r.verdict.reason) < sizeof r.verdict.reason);
    return r.verdict;
}

static void assert_anomaly(struct ow_verdict v, const char *kind, uint8_t sev, const char *rule)
{
    if (v.status != OW_VERDICT_ANOMALY || strcmp(v.kind, kind) != 0)
        fprintf(stderr, "got status %s kind '%s' rule '%s': %s\n", ow_verdict_status_name(v.status),
                v.kind, v.rule, v.reason);
    assert_int_equal(v.status, OW_VERDICT_ANOMALY);
    assert_string_equal(v.kind, kind);
    assert_int_equal(v.severity, sev);
    assert_string_equal(v.rule, rule);
}

static void assert_authorized(struct ow_verdict v, const char *rule)
{
    if (v.status != OW_VERDICT_AUTHORIZED)
        fprintf(stderr, "got status %s kind '%s': %s\n", ow_verdict_status_name(v.status), v.kind,
                v.reason);
    assert_int_equal(v.status, OW_VERDICT_AUTHORIZED);
    assert_string_equal(v.rule, rule);
    assert_string_equal(v.kind, "");
    assert_int_equal(v.severity, OW_SEV_NONE);
}

static const char *T = "2026-02-11T12:00:00Z";

static void test_authorized_li(void **state)
{
    (void)state;
    struct ow_verdict v = eval(make_flow("10.20.1.11", 40000, "10.30.0.10", 9999, TCP, "X2", T));
    assert_authorized(v, "x2-iri");
    assert_string_equal(v.asset_src, "ne-core");
    assert_string_equal(v.asset_dest, "li-mdf");
    assert_string_equal(v.ticket, "");
    assert_non_null(strstr(v.reason, "x2-iri"));
    /* a port inside the range "50000-50010", and the ends of the range */
    assert_authorized(eval(make_flow("10.20.1.11", 40000, "10.30.0.10", 50000, TCP, "X2", T)), "x2-iri");
    assert_authorized(eval(make_flow("10.20.1.11", 40000, "10.30.0.10", 50010, TCP, "X2", T)), "x2-iri");
    /* li rule without app: its interface label, or an unlabelled flow */
    assert_authorized(eval(make_flow("10.30.0.10", 1, "198.51.100.20", 44444, TCP, "HI2", T)), "hi2");
    assert_authorized(eval(make_flow("10.30.0.10", 1, "198.51.100.20", 44444, TCP, "Unknown", T)), "hi2");
}

static void test_li_unauthorized(void **state)
{
    (void)state;
    /* reaches an li rule's server and service from a client it does not list */
    struct ow_verdict v = eval(make_flow("10.20.2.5", 40000, "10.30.0.10", 9999, TCP, "X2", T));
    assert_anomaly(v, "li_unauthorized", OW_SEV_CRITICAL, "x2-iri");
    assert_string_equal(v.asset_src, "ne-ran");
    assert_non_null(strstr(v.reason, "only from ne-core"));
    assert_non_null(strstr(v.reason, "ne-ran 10.20.2.5"));
    /* same without any LI label and no LI asset at either end: the li rule's service */
    v = eval(make_flow("10.30.2.7", 40000, "10.20.2.5", 8443, TCP, "TLS", T));
    assert_anomaly(v, "li_unauthorized", OW_SEV_CRITICAL, "x1-prov");
    /* an LI label where no li rule is near */
    v = eval(make_flow("10.30.2.7", 40000, "10.20.2.5", 7777, TCP, "X3", T));
    assert_anomaly(v, "li_unauthorized", OW_SEV_CRITICAL, "");
    assert_non_null(strstr(v.reason, "LI X3"));
    /* an LI asset at either end */
    v = eval(make_flow("10.30.1.2", 40000, "10.30.0.5", 22, TCP, "SSH", T));
    assert_anomaly(v, "li_unauthorized", OW_SEV_CRITICAL, "");
    assert_non_null(strstr(v.reason, "li-admf"));
    v = eval(make_flow("198.51.100.20", 40000, "10.20.2.9", 80, TCP, "HTTP", T));
    assert_anomaly(v, "li_unauthorized", OW_SEV_CRITICAL, "");
    /* right endpoints and port but the wrong LI interface */
    v = eval(make_flow("10.20.1.11", 40000, "10.30.0.10", 9999, TCP, "X3", T));
    assert_anomaly(v, "li_unauthorized", OW_SEV_CRITICAL, "");
    /* LI traffic on a path an operations rule allows for SSH stays critical */
    v = eval(make_flow("10.30.2.7", 40000, "10.20.2.5", 22, TCP, "X2", T));
    assert_anomaly(v, "li_unauthorized", OW_SEV_CRITICAL, "");
}

static void test_maintenance_window(void **state)
{
    (void)state;
    struct ow_verdict v = eval(make_flow("10.99.0.7", 50000, "10.20.1.11", 22, TCP, "SSH",
                                         "2026-02-10T02:00:00Z"));
    assert_authorized(v, "chg-2026-0142");
    assert_string_equal(v.ticket, "CHG-2026-0142");
    assert_string_equal(v.asset_src, "acme-jump");

    v = eval(make_flow("10.99.0.7", 50000, "10.20.1.11", 22, TCP, "SSH", "2026-02-10T05:30:00Z"));
    assert_anomaly(v, "maintenance_outside_window", OW_SEV_HIGH, "chg-2026-0142");
    assert_string_equal(v.ticket, "CHG-2026-0142");
    assert_non_null(strstr(v.reason, "acme-jump 10.99.0.7 \xe2\x86\x92 ne-core 10.20.1.11"));
    assert_non_null(strstr(v.reason, "2026-02-10T05:30:00Z"));
    assert_non_null(strstr(v.reason, "ticket CHG-2026-0142"));
    assert_non_null(strstr(v.reason, "2026-02-10T01:00\xe2\x80\x93" "04:00Z"));

    /* edges: start inclusive, end exclusive, to the microsecond */
    const struct { const char *when; int ok; } edges[] = {
        { "2026-02-10T00:59:59.999999Z", 0 },
        { "2026-02-10T01:00:00Z", 1 },
        { "2026-02-10T03:59:59.999999Z", 1 },
        { "2026-02-10T04:00:00Z", 0 },
        /* second window written with +02:00: 01:00Z-03:00Z on the 12th */
        { "2026-02-12T00:59:59Z", 0 },
        { "2026-02-12T01:00:00Z", 1 },
        { "2026-02-12T03:00:00+02:00", 1 },
        { "2026-02-12T02:59:59Z", 1 },
        { "2026-02-12T03:00:00Z", 0 },
        { "2026-02-12T05:00:00+02:00", 0 },
    };
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        v = eval(make_flow("10.99.0.7", 50000, "10.20.1.11", 22, TCP, "SSH", edges[i].when));
        if (edges[i].ok)
            assert_authorized(v, "chg-2026-0142");
        else
            assert_anomaly(v, "maintenance_outside_window", OW_SEV_HIGH, "chg-2026-0142");
    }
}

static void test_vendor_unauthorized(void **state)
{
    (void)state;
    /* the vendor's jump host, to an NE its ticket does not cover */
    struct ow_verdict v = eval(make_flow("10.99.0.7", 50000, "10.20.2.5", 22, TCP, "SSH", T));
    assert_anomaly(v, "vendor_unauthorized", OW_SEV_HIGH, "chg-2026-0142");
    assert_string_equal(v.ticket, "CHG-2026-0142");
    assert_non_null(strstr(v.reason, "acme-jump belongs to vendor acme"));
    /* a vendor-access host no maintenance rule names */
    v = eval(make_flow("10.98.0.1", 50000, "10.20.2.5", 22, TCP, "SSH", T));
    assert_anomaly(v, "vendor_unauthorized", OW_SEV_HIGH, "");
    assert_non_null(strstr(v.reason, "other-jump is vendor access"));
    /* a non-NE asset a vendor owns, as client or as server */
    v = eval(make_flow("10.30.3.4", 50000, "10.20.2.5", 830, TCP, "SSH", T));
    assert_anomaly(v, "vendor_unauthorized", OW_SEV_HIGH, "chg-2026-0142");
    assert_string_equal(v.asset_src, "acme-ems");
    v = eval(make_flow("10.30.2.7", 50000, "10.30.4.4", 443, TCP, "TLS", T));
    assert_anomaly(v, "vendor_unauthorized", OW_SEV_HIGH, "");
    assert_non_null(strstr(v.reason, "beta-ems is run by vendor beta"));
    /* the right window but the wrong app: not outside_window, the vendor row applies */
    v = eval(make_flow("10.99.0.7", 50000, "10.20.1.11", 22, TCP, "HTTP", "2026-02-10T02:00:00Z"));
    assert_anomaly(v, "vendor_unauthorized", OW_SEV_HIGH, "chg-2026-0142");

    /* An NE's vendor is its maker, not a way in: acme built ne-core, so ne-core's own
     * flows are judged as any NE's. */
    v = eval(make_flow("10.20.1.11", 50000, "10.30.2.7", 3389, TCP, "RDP", T));
    assert_anomaly(v, "unlisted_flow", OW_SEV_MEDIUM, "");
    assert_string_equal(v.asset_src, "ne-core");
    v = eval(make_flow("10.30.1.2", 50000, "10.20.1.11", 161, UDP, "DNS", T));
    assert_anomaly(v, "protocol_mismatch", OW_SEV_HIGH, "snmp-poll");
    /* an acme-built NE talking to the internet is egress, whatever acme's tickets say */
    v = eval(make_flow("10.20.1.11", 45443, "203.0.113.50", 443, TCP, "SSH", "2026-02-10T02:00:00Z"));
    assert_anomaly(v, "egress_external", OW_SEV_HIGH, "");
    v = eval(make_flow("10.20.1.12", 53001, "8.8.8.8", 53, UDP, "DNS", T));
    assert_anomaly(v, "egress_external", OW_SEV_HIGH, "");
}

static void test_protocol_mismatch(void **state)
{
    (void)state;
    struct ow_verdict v = eval(make_flow("10.30.1.2", 50000, "10.20.2.5", 161, UDP, "DNS", T));
    assert_anomaly(v, "protocol_mismatch", OW_SEV_HIGH, "snmp-poll");
    assert_non_null(strstr(v.reason, "snmp-poll"));
    assert_non_null(strstr(v.reason, "SNMP"));
    assert_non_null(strstr(v.reason, "DNS"));
    /* app names compare case-insensitively ("ssh" in the file), and the master counts */
    assert_authorized(eval(make_flow("10.30.2.7", 50000, "10.20.2.5", 22, TCP, "SSH", T)), "noc-ssh");
    assert_authorized(eval(make_flow("10.30.2.7", 50000, "10.20.2.5", 443, TCP, "TLS.Google", T)), "web-ui");
    assert_authorized(eval(make_flow("10.30.2.7", 50000, "10.20.2.5", 444, UDP, "tls", T)), "web-ui");
}

static void test_egress_and_unlisted(void **state)
{
    (void)state;
    struct ow_verdict v = eval(make_flow("10.30.2.7", 50000, "203.0.113.9", 443, TCP, "TLS", T));
    assert_anomaly(v, "egress_external", OW_SEV_HIGH, "");
    assert_string_equal(v.asset_src, "noc");
    assert_string_equal(v.asset_dest, "");
    v = eval(make_flow("10.30.2.7", 50000, "10.20.2.5", 23, TCP, "Telnet", T));
    assert_anomaly(v, "unlisted_flow", OW_SEV_MEDIUM, "");
    /* an outside host opening a flow into the management network is not egress */
    v = eval(make_flow("203.0.113.9", 50000, "10.20.2.5", 80, TCP, "HTTP", T));
    assert_anomaly(v, "unlisted_flow", OW_SEV_MEDIUM, "");
    /* web-ui covers 10.20.2.0/25 only, and a wrong protocol is not "any" */
    v = eval(make_flow("10.30.2.7", 50000, "10.20.2.200", 443, TCP, "TLS", T));
    assert_anomaly(v, "unlisted_flow", OW_SEV_MEDIUM, "");
    v = eval(make_flow("10.30.1.2", 50000, "10.20.2.5", 161, TCP, "SNMP", T));
    assert_anomaly(v, "unlisted_flow", OW_SEV_MEDIUM, "");
}

static void test_out_of_scope(void **state)
{
    (void)state;
    struct ow_verdict v = eval(make_flow("192.0.2.1", 50000, "203.0.113.9", 443, TCP, "TLS", T));
    assert_int_equal(v.status, OW_VERDICT_OUT_OF_SCOPE);
    assert_string_equal(v.kind, "");
    assert_string_equal(v.rule, "");
    /* vendor and LI assets outside the management networks are out of scope between them */
    v = eval(make_flow("10.99.0.7", 50000, "198.51.100.20", 44444, TCP, "HI2", T));
    assert_int_equal(v.status, OW_VERDICT_OUT_OF_SCOPE);
    assert_string_equal(v.asset_src, "acme-jump");
    assert_string_equal(v.asset_dest, "lemf");
    /* an all-zero record (no family) is out of scope, not a crash */
    struct ow_flow_record z;
    memset(&z, 0, sizeof z);
    ow_policy_evaluate(pol, &z);
    assert_int_equal(z.verdict.status, OW_VERDICT_OUT_OF_SCOPE);
}

static void test_ipv6(void **state)
{
    (void)state;
    struct ow_verdict v = eval(make_flow("fd00:20:2::7", 50000, "fd00:20:1::11", 22, TCP, "SSH", T));
    assert_authorized(v, "noc-ssh");
    assert_string_equal(v.asset_src, "noc");
    assert_string_equal(v.asset_dest, "ne-core");
    /* CIDR selectors on both sides, inside and just outside the /48 */
    assert_authorized(eval(make_flow("fd00:20:77:ffff::1", 1, "fd00:20:1:ffff::2", 873, TCP, "rsync", T)), "v6-sync");
    v = eval(make_flow("fd00:20:78::1", 1, "fd00:20:1::2", 873, TCP, "rsync", T));
    assert_int_equal(v.status, OW_VERDICT_ANOMALY);
    v = eval(make_flow("fd00:20:77::1", 1, "fd00:20:2::2", 873, TCP, "rsync", T));
    assert_anomaly(v, "unlisted_flow", OW_SEV_MEDIUM, "");
    /* an IPv6 LI asset */
    v = eval(make_flow("fd00:20:2::7", 50000, "fd00:20:30::10", 9999, TCP, "X2", T));
    assert_anomaly(v, "li_unauthorized", OW_SEV_CRITICAL, "x2-iri");
    /* outside fd00:20::/32 on both ends */
    v = eval(make_flow("fd00:21::1", 1, "2001:db8::1", 443, TCP, "TLS", T));
    assert_int_equal(v.status, OW_VERDICT_OUT_OF_SCOPE);
    /* an IPv4 address never matches an IPv6 prefix with the same leading bytes */
    v = eval(make_flow("253.0.0.32", 1, "10.20.2.5", 873, TCP, "rsync", T));
    assert_anomaly(v, "unlisted_flow", OW_SEV_MEDIUM, "");
}

static void test_roles_and_overlap(void **state)
{
    (void)state;
    /* role:network-element reaches every NE asset */
    assert_authorized(eval(make_flow("10.30.1.2", 1, "10.20.1.5", 161, UDP, "SNMP", T)), "snmp-poll");
    assert_authorized(eval(make_flow("10.30.1.2", 1, "10.20.2.5", 161, UDP, "SNMP", T)), "snmp-poll");
    struct ow_verdict v = eval(make_flow("10.30.1.2", 1, "10.20.1.99", 161, UDP, "SNMP", T));
    assert_authorized(v, "snmp-poll");
    /* 10.20.1.99 is ne-special and, inside ne-core's /24, ne-core too: the most specific
     * asset names it, and both are listed */
    assert_string_equal(v.asset_dest, "ne-special");
    assert_string_equal(v.asset_dest_all, "ne-special,ne-core");
    assert_string_equal(v.asset_src_all, "nms");
    /* so the ticket for ne-core reaches it too: an asset selector matches every address it lists */
    v = eval(make_flow("10.99.0.7", 50000, "10.20.1.99", 22, TCP, "SSH", "2026-02-10T02:00:00Z"));
    assert_authorized(v, "chg-2026-0142");
    assert_string_equal(v.asset_dest, "ne-special");
    v = eval(make_flow("10.99.0.7", 50000, "10.20.1.98", 22, TCP, "SSH", "2026-02-10T02:00:00Z"));
    assert_authorized(v, "chg-2026-0142");
    assert_string_equal(v.asset_dest, "ne-core");
    assert_string_equal(v.asset_dest_all, "ne-core");
    /* no asset: empty lists */
    v = eval(make_flow("10.30.2.7", 50000, "203.0.113.9", 443, TCP, "TLS", T));
    assert_string_equal(v.asset_dest_all, "");
}

/* Host groups as operators write them: one address in several assets, rules on the group
 * and on the member, role: and vendor: selectors, and the precedence table across overlaps. */
static const char groups_policy[] =
    "version: 1\n"
    "networks: {management: [10.20.0.0/16, 10.30.0.0/16]}\n"
    "assets:\n"
    "  core-nf:  {role: network-element, vendor: acme, addresses: [10.20.1.11, 10.20.1.12, 10.20.1.13]}\n"
    "  mme:      {role: network-element, vendor: acme, addresses: [10.20.1.11]}\n"
    "  core-lan: {role: network-element, addresses: [10.20.1.0/24]}\n"
    "  probe:    {role: li-mediation, addresses: [10.20.1.13]}\n"
    "  ems:      {role: operations, vendor: borealis, addresses: [10.20.1.12]}\n"
    "  ran:      {role: network-element, vendor: borealis, addresses: [10.20.2.0/24]}\n"
    "  nms:      {role: operations, addresses: [10.30.1.2]}\n"
    "  noc:      {role: operations, addresses: [10.30.2.0/24]}\n"
    "rules:\n"
    "  - {id: mme-s1ap, kind: operations, from: noc, to: mme, service: {proto: tcp, ports: [36412]}}\n"
    "  - {id: nf-ssh, kind: operations, from: noc, to: core-nf, service: {proto: tcp, ports: [22]}, app: SSH}\n"
    "  - {id: lan-http, kind: operations, from: noc, to: core-lan, service: {proto: tcp, ports: [80]}}\n"
    "  - {id: acme-snmp, kind: operations, from: nms, to: vendor:acme, service: {proto: udp, ports: [161]}, app: SNMP}\n"
    "  - {id: bor-ntp, kind: operations, from: vendor:borealis, to: nms, service: {proto: udp, ports: [123]}}\n";

static void test_groups(void **state)
{
    (void)state;
    char path[512], err[512];
    struct ow_policy *p = ow_policy_load(write_fixture("groups.yaml", groups_policy, path, sizeof path),
                                         NULL, NULL, err, sizeof err);
    if (!p)
        fprintf(stderr, "%s\n", err);
    assert_non_null(p);
    struct ow_policy *saved = pol;
    pol = p;

    /* the shared address is reached by the rule on the member and by the rule on the group */
    struct ow_verdict v = eval(make_flow("10.30.2.9", 1, "10.20.1.11", 36412, TCP, "Unknown", T));
    assert_authorized(v, "mme-s1ap");
    v = eval(make_flow("10.30.2.9", 1, "10.20.1.11", 22, TCP, "SSH", T));
    assert_authorized(v, "nf-ssh");
    /* a rule on the /24 reaches every address inside it, listed elsewhere or not */
    assert_authorized(eval(make_flow("10.30.2.9", 1, "10.20.1.11", 80, TCP, "HTTP", T)), "lan-http");
    assert_authorized(eval(make_flow("10.30.2.9", 1, "10.20.1.200", 80, TCP, "HTTP", T)), "lan-http");
    /* the member rule does not reach the group's other addresses */
    v = eval(make_flow("10.30.2.9", 1, "10.20.1.12", 36412, TCP, "Unknown", T));
    assert_int_equal(v.status, OW_VERDICT_ANOMALY);

    /* most specific first; the same /32 in two assets: the first in the file */
    assert_string_equal(v.asset_dest, "core-nf");
    assert_string_equal(v.asset_dest_all, "core-nf,ems,core-lan");
    v = eval(make_flow("10.30.2.9", 1, "10.20.1.11", 22, TCP, "SSH", T));
    assert_string_equal(v.asset_dest, "core-nf");
    assert_string_equal(v.asset_dest_all, "core-nf,mme,core-lan");
    assert_string_equal(v.asset_src_all, "noc");

    /* vendor: selectors match every asset with that vendor, NEs included */
    assert_authorized(eval(make_flow("10.30.1.2", 1, "10.20.1.11", 161, UDP, "SNMP", T)), "acme-snmp");
    assert_authorized(eval(make_flow("10.30.1.2", 1, "10.20.1.12", 161, UDP, "SNMP", T)), "acme-snmp");
    v = eval(make_flow("10.30.1.2", 1, "10.20.1.200", 161, UDP, "SNMP", T));   /* core-lan: no vendor */
    assert_anomaly(v, "unlisted_flow", OW_SEV_MEDIUM, "");
    assert_authorized(eval(make_flow("10.20.2.7", 1, "10.30.1.2", 123, UDP, "NTP", T)), "bor-ntp");
    assert_authorized(eval(make_flow("10.20.1.12", 1, "10.30.1.2", 123, UDP, "NTP", T)), "bor-ntp");

    /* the precedence table over overlaps: any LI asset holding an endpoint makes it LI */
    v = eval(make_flow("10.30.2.9", 1, "10.20.1.13", 8080, TCP, "HTTP", T));
    assert_anomaly(v, "li_unauthorized", OW_SEV_CRITICAL, "");
    assert_non_null(strstr(v.reason, "probe is an LI asset"));
    assert_string_equal(v.asset_dest, "core-nf");
    /* an NE that is also a vendor-owned asset: vendor_unauthorized, named by the vendor's asset */
    v = eval(make_flow("10.20.1.12", 1, "10.30.2.9", 8080, TCP, "HTTP", T));
    assert_anomaly(v, "vendor_unauthorized", OW_SEV_HIGH, "");
    assert_non_null(strstr(v.reason, "ems is run by vendor borealis"));
    /* ... which outranks protocol_mismatch (acme-snmp would match but for app) */
    v = eval(make_flow("10.30.1.2", 1, "10.20.1.12", 161, UDP, "DNS", T));
    assert_anomaly(v, "vendor_unauthorized", OW_SEV_HIGH, "");
    v = eval(make_flow("10.30.1.2", 1, "10.20.1.11", 161, UDP, "DNS", T));
    assert_anomaly(v, "protocol_mismatch", OW_SEV_HIGH, "acme-snmp");
    /* a member of only NE groups: protocol_mismatch and egress as for any NE */
    v = eval(make_flow("10.30.2.9", 1, "10.20.1.11", 22, TCP, "Telnet", T));
    assert_anomaly(v, "protocol_mismatch", OW_SEV_HIGH, "nf-ssh");
    v = eval(make_flow("10.20.1.11", 1, "203.0.113.5", 443, TCP, "TLS", T));
    assert_anomaly(v, "egress_external", OW_SEV_HIGH, "");

    pol = saved;
    ow_policy_free(p);
}

/* More holders than fit in the verdict's 192-byte lists: whole names, then "…". */
static void test_many_holders(void **state)
{
    (void)state;
    char text[16384], path[512], err[512];
    size_t len = (size_t)snprintf(text, sizeof text, "version: 1\nnetworks: {management: [10.0.0.0/8]}\nassets:\n");
    for (int a = 0; a < 40; a++)
        len += (size_t)snprintf(text + len, sizeof text - len,
                                "  group-with-a-long-name-%02d: {role: operations, addresses: [10.0.0.0/%d]}\n",
                                a, 9 + a / 2);
    struct ow_policy *p = ow_policy_load(write_fixture("many.yaml", text, path, sizeof path), NULL, NULL,
                                         err, sizeof err);
    if (!p)
        fprintf(stderr, "%s\n", err);
    assert_non_null(p);
    struct ow_flow_record r = make_flow("10.0.0.1", 1, "10.0.0.2", 22, TCP, "SSH", T);
    ow_policy_evaluate(p, &r);
    const char *all = r.verdict.asset_src_all;
    assert_true(strlen(all) < sizeof r.verdict.asset_src_all);
    assert_true(utf8_valid(all));
    assert_string_equal(all + strlen(all) - 3, "\xe2\x80\xa6");
    /* most specific first (two /28s, in file order), then the /27s */
    assert_int_equal(strncmp(all, "group-with-a-long-name-38,group-with-a-long-name-39,"
                                  "group-with-a-long-name-36,", 78), 0);
    assert_string_equal(r.verdict.asset_src, "group-with-a-long-name-38");
    ow_policy_free(p);
}

static void test_overrun(void **state)
{
    (void)state;
    struct ow_flow_record r = make_flow("10.99.0.7", 50000, "10.20.1.11", 22, TCP, "SSH",
                                        "2026-02-10T03:30:00Z");
    r.last_ts_us = t_us("2026-02-10T03:59:59.999999Z");
    ow_policy_evaluate(pol, &r);
    assert_authorized(r.verdict, "chg-2026-0142");
    assert_false(ow_policy_check_overrun(pol, &r));
    assert_int_equal(r.verdict.overrun, 0);

    r.last_ts_us = t_us("2026-02-10T04:00:00Z");
    assert_true(ow_policy_check_overrun(pol, &r));
    assert_int_equal(r.verdict.overrun, 1);
    assert_int_equal(r.verdict.status, OW_VERDICT_AUTHORIZED);
    assert_string_equal(r.verdict.kind, "maintenance_overrun");
    assert_int_equal(r.verdict.severity, OW_SEV_MEDIUM);
    assert_string_equal(r.verdict.rule, "chg-2026-0142");
    assert_string_equal(r.verdict.ticket, "CHG-2026-0142");
    assert_non_null(strstr(r.verdict.reason, "ran until 2026-02-10T04:00:00Z"));
    assert_true(ow_policy_check_overrun(pol, &r));   /* idempotent */

    /* only maintenance flows overrun */
    r = make_flow("10.30.2.7", 50000, "10.20.2.5", 22, TCP, "SSH", T);
    r.last_ts_us = r.first_ts_us + 86400ull * 1000000 * 30;
    ow_policy_evaluate(pol, &r);
    assert_false(ow_policy_check_overrun(pol, &r));
    r = make_flow("10.99.0.7", 50000, "10.20.1.11", 22, TCP, "SSH", "2026-02-10T05:00:00Z");
    r.last_ts_us = r.first_ts_us + 1000000;
    ow_policy_evaluate(pol, &r);
    assert_false(ow_policy_check_overrun(pol, &r));
    assert_false(ow_policy_check_overrun(NULL, &r));
}

static void test_default_allow(void **state)
{
    (void)state;
    char path[512], err[512];
    static const char text[] =
        "version: 1\n"
        "networks: {management: [10.0.0.0/8]}\n"
        "assets:\n"
        "  mdf: {role: li-mediation, addresses: [10.1.0.1]}\n"
        "rules:\n"
        "  - {id: ssh, kind: operations, from: 10.2.0.0/16, to: 10.3.0.0/16, app: SSH}\n"
        "default: allow\n";
    struct ow_policy *p = ow_policy_load(write_fixture("allow.yaml", text, path, sizeof path),
                                         NULL, NULL, err, sizeof err);
    assert_non_null(p);
    struct ow_flow_record r = make_flow("10.2.0.1", 1, "10.3.0.1", 22, TCP, "SSH", T);
    ow_policy_evaluate(p, &r);
    assert_int_equal(r.verdict.status, OW_VERDICT_AUTHORIZED);
    assert_string_equal(r.verdict.rule, "ssh");
    /* unmatched, even touching an LI asset: authorized under "default" */
    r = make_flow("10.2.0.1", 1, "10.1.0.1", 9999, TCP, "X2", T);
    ow_policy_evaluate(p, &r);
    assert_int_equal(r.verdict.status, OW_VERDICT_AUTHORIZED);
    assert_string_equal(r.verdict.rule, "default");
    assert_string_equal(r.verdict.kind, "");
    assert_string_equal(r.verdict.asset_dest, "mdf");
    /* scope still applies */
    r = make_flow("192.0.2.1", 1, "192.0.2.2", 22, TCP, "SSH", T);
    ow_policy_evaluate(p, &r);
    assert_int_equal(r.verdict.status, OW_VERDICT_OUT_OF_SCOPE);
    ow_policy_free(p);
}

static void test_first_rule_wins(void **state)
{
    (void)state;
    char path[512], err[512];
    static const char text[] =
        "version: 1\n"
        "networks: {management: [10.0.0.0/8]}\n"
        "rules:\n"
        "  - {id: narrow, kind: operations, from: 10.2.0.0/16, to: 10.3.0.7, service: {ports: [22]}}\n"
        "  - {id: broad, kind: operations, from: 10.0.0.0/8, to: 10.3.0.0/16}\n"
        "  - {id: later, kind: operations, from: 10.2.0.0/16, to: 10.3.0.7, service: {ports: [22]}}\n";
    struct ow_policy *p = ow_policy_load(write_fixture("order.yaml", text, path, sizeof path),
                                         NULL, NULL, err, sizeof err);
    assert_non_null(p);
    struct ow_flow_record r = make_flow("10.2.0.1", 1, "10.3.0.7", 22, TCP, "SSH", T);
    ow_policy_evaluate(p, &r);
    assert_string_equal(r.verdict.rule, "narrow");
    r = make_flow("10.2.0.1", 1, "10.3.0.7", 23, TCP, "Telnet", T);
    ow_policy_evaluate(p, &r);
    assert_string_equal(r.verdict.rule, "broad");
    ow_policy_free(p);
}

static void test_reason_truncation(void **state)
{
    (void)state;
    char dst[16];
    /* "aaaaaaaaaa" + "é" (2 bytes) + "€€" (3 bytes each): the cut may not split a character */
    pol_copy_utf8(dst, sizeof dst, "aaaaaaaaaa\xc3\xa9\xe2\x82\xac\xe2\x82\xac");
    assert_true(utf8_valid(dst));
    assert_true(strlen(dst) < sizeof dst);
    assert_string_equal(dst, "aaaaaaaaaa\xc3\xa9\xe2\x80\xa6");
    pol_copy_utf8(dst, sizeof dst, "short");
    assert_string_equal(dst, "short");
    pol_copy_utf8(dst, sizeof dst, "exactly15bytes!");
    assert_string_equal(dst, "exactly15bytes!");
    pol_copy_utf8(dst, sizeof dst, "exactly16bytes!!");
    assert_string_equal(dst, "exactly16byt\xe2\x80\xa6");

    /* a real reason that overflows 384 bytes: long names and many selector items */
    char path[512], err[512], text[4096];
    char longname[64];
    memset(longname, 'n', 60);
    longname[60] = '\0';
    snprintf(text, sizeof text,
             "version: 1\n"
             "networks: {management: [10.0.0.0/8]}\n"
             "assets:\n"
             "  %s-a: {role: li-mediation, addresses: [10.1.0.1]}\n"
             "  %s-b: {role: network-element, addresses: [10.1.0.2]}\n"
             "rules:\n"
             "  - id: %s\n"
             "    kind: li\n"
             "    interface: X2\n"
             "    from: [10.9.0.0/16, 10.8.0.0/16, 10.7.0.0/16, 10.6.0.0/16, 10.5.0.0/16]\n"
             "    to: %s-a\n"
             "    service: {proto: tcp, ports: [1, 2, 3, 4, 5, 6, 7, 8, 9]}\n",
             longname, longname, longname, longname);
    struct ow_policy *p = ow_policy_load(write_fixture("long.yaml", text, path, sizeof path),
                                         NULL, NULL, err, sizeof err);
    assert_non_null(p);
    struct ow_flow_record r = make_flow("10.1.0.2", 1, "10.1.0.1", 5, TCP, "X2", T);
    ow_policy_evaluate(p, &r);
    assert_int_equal(r.verdict.status, OW_VERDICT_ANOMALY);
    assert_true(strlen(r.verdict.reason) <= sizeof r.verdict.reason - 1);
    assert_true(strlen(r.verdict.reason) > 300);
    assert_true(utf8_valid(r.verdict.reason));
    assert_string_equal(r.verdict.reason + strlen(r.verdict.reason) - 3, "\xe2\x80\xa6");
    ow_policy_free(p);
}

/* Random policies and flows: the index must give exactly the linear scan's verdicts. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

static void test_index_matches_linear(void **state)
{
    (void)state;
    static const char *const roles[] = { "network-element", "operations", "li-mediation",
                                         "vendor-access", "infrastructure" };
    static const char *const apps[] = { "SSH", "SNMP", "TLS", "HTTP", "X2", "HI2", "DNS" };
    size_t cap = 1 << 20, len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    len += (size_t)snprintf(text + len, cap - len,
                            "version: 1\nnetworks: {management: [10.0.0.0/9, \"fd00::/16\"]}\nassets:\n");
    for (int a = 0; a < 60; a++)
        len += (size_t)snprintf(text + len, cap - len,
                                "  a%d: {role: %s, %saddresses: [10.%d.%d.0/%d, \"fd00:%x::/%d\"]}\n",
                                a, roles[a % 5], a % 7 == 0 ? "vendor: v1, " : a % 5 == 1 ? "vendor: v2, " : "",
                                rnd(200), a, 24 + (int)rnd(9), a, 32 + (int)rnd(40));
    /* groups that overlap the assets above: wide prefixes, and a /24 some asset also lists */
    for (int g = 0; g < 12; g++)
        len += (size_t)snprintf(text + len, cap - len,
                                "  g%d: {role: %s, %saddresses: [10.%u.0.0/14, 10.%u.%d.0/24]}\n", g,
                                roles[g % 5], g % 3 == 0 ? "vendor: v2, " : "", rnd(50) * 4,
                                rnd(128), g * 5);
    len += (size_t)snprintf(text + len, cap - len, "rules:\n");
    for (int r = 0; r < 400; r++) {
        int kind = (int)rnd(3);
        const char *k = kind == 0 ? "li" : kind == 1 ? "maintenance" : "operations";
        len += (size_t)snprintf(text + len, cap - len, "  - id: r%d\n    kind: %s\n", r, k);
        if (kind == 0)
            len += (size_t)snprintf(text + len, cap - len, "    interface: X2\n");
        if (kind == 1)
            len += (size_t)snprintf(text + len, cap - len,
                                    "    ticket: T%d\n    vendor: v1\n    window: {start: \"2026-01-%02uT00:00:00Z\", end: \"2026-01-%02uT12:00:00+01:00\"}\n",
                                    r, 1 + rnd(10), 12 + rnd(10));
        for (int side = 0; side < 2; side++) {
            len += (size_t)snprintf(text + len, cap - len, "    %s: [", side ? "to" : "from");
            int items = 1 + (int)rnd(3);
            for (int i = 0; i < items; i++) {
                uint32_t c = rnd(5);
                if (c == 4)
                    len += (size_t)snprintf(text + len, cap - len, "%svendor:v%u", i ? ", " : "", 1 + rnd(2));
                else if (c == 0)
                    len += (size_t)snprintf(text + len, cap - len, "%srole:%s", i ? ", " : "", roles[rnd(5)]);
                else if (c == 1)
                    len += (size_t)snprintf(text + len, cap - len, "%s10.%u.0.0/16", i ? ", " : "", rnd(200));
                else if (c == 2)
                    len += (size_t)snprintf(text + len, cap - len, "%s\"fd00:%x::/32\"", i ? ", " : "", rnd(60));
                else if (rnd(4))
                    len += (size_t)snprintf(text + len, cap - len, "%sa%u", i ? ", " : "", rnd(60));
                else
                    len += (size_t)snprintf(text + len, cap - len, "%sg%u", i ? ", " : "", rnd(12));
            }
            len += (size_t)snprintf(text + len, cap - len, "]\n");
        }
        uint32_t svc = rnd(4);
        if (svc == 1)
            len += (size_t)snprintf(text + len, cap - len, "    service: {proto: tcp, ports: [%u, \"%u-%u\"]}\n",
                                    rnd(30), 20 + rnd(5), 25 + rnd(100));
        else if (svc == 2)
            len += (size_t)snprintf(text + len, cap - len, "    service: {proto: udp}\n");
        else if (svc == 3)
            len += (size_t)snprintf(text + len, cap - len, "    service: {ports: [\"0-65535\", %u]}\n", rnd(30));
        if (rnd(2))
            len += (size_t)snprintf(text + len, cap - len, "    app: [%s, %s]\n",
                                    kind == 0 ? "X2" : apps[rnd(4)], apps[rnd(4)]);
        assert_true(len < cap - 1000);
    }
    char path[512], err[512];
    struct ow_policy *p = ow_policy_load(write_fixture("random.yaml", text, path, sizeof path),
                                         NULL, NULL, err, sizeof err);
    if (!p)
        fprintf(stderr, "%s\n", err);
    assert_non_null(p);
    free(text);

    size_t by_status[4] = { 0 };
    for (int i = 0; i < 20000; i++) {
        char c[64], s[64], when[40];
        int v6 = rnd(4) == 0;
        if (v6) {
            snprintf(c, sizeof c, "fd00:%x::%x", rnd(70), rnd(5));
            snprintf(s, sizeof s, "fd00:%x:0:%x::%x", rnd(70), rnd(3), rnd(5));
        } else {
            snprintf(c, sizeof c, "10.%u.%u.%u", rnd(256), rnd(64), rnd(4));
            snprintf(s, sizeof s, "10.%u.%u.%u", rnd(256), rnd(64), rnd(4));
        }
        snprintf(when, sizeof when, "2026-01-%02uT%02u:00:00Z", 1 + rnd(28), rnd(24));
        struct ow_flow_record r = make_flow(c, 40000, s, (uint16_t)rnd(140), rnd(2) ? TCP : UDP,
                                            apps[rnd(7)], when);
        struct ow_flow_record lin = r;
        ow_policy_evaluate(p, &r);
        pol_evaluate_linear(p, &lin);
        assert_memory_equal(&r.verdict, &lin.verdict, sizeof r.verdict);
        by_status[r.verdict.status]++;
    }
    /* the random mix must exercise both outcomes, or this test proves nothing */
    assert_true(by_status[OW_VERDICT_AUTHORIZED] > 200);
    assert_true(by_status[OW_VERDICT_ANOMALY] > 200);
    ow_policy_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_authorized_li),
        cmocka_unit_test(test_li_unauthorized),
        cmocka_unit_test(test_maintenance_window),
        cmocka_unit_test(test_vendor_unauthorized),
        cmocka_unit_test(test_protocol_mismatch),
        cmocka_unit_test(test_egress_and_unlisted),
        cmocka_unit_test(test_out_of_scope),
        cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_roles_and_overlap),
        cmocka_unit_test(test_groups),
        cmocka_unit_test(test_many_holders),
        cmocka_unit_test(test_overrun),
        cmocka_unit_test(test_default_allow),
        cmocka_unit_test(test_first_rule_wins),
        cmocka_unit_test(test_reason_truncation),
        cmocka_unit_test(test_index_matches_linear),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
