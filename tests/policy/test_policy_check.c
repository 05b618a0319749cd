/* test_policy_check.c — `policy check`: every validation error, each reported at the
 * file:line:column of the offending node, the summary it prints, and the sample policy
 * under examples/ checked against libndpi's real protocol names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ndpi/ndpi_api.h>

#include "tests/policy/policy_test_util.h"

#define HEAD \
    "version: 1\n" \
    "networks: {management: [10.0.0.0/8, \"fd00::/16\"]}\n" \
    "assets:\n" \
    "  ne: {role: network-element, vendor: acme, addresses: [10.1.0.0/16]}\n" \
    "  mdf: {role: li-mediation, addresses: [10.2.0.1]}\n" \
    "rules:\n"

/* A closed list of application names standing in for nDPI's. */
static bool known_app(const char *name, void *ctx)
{
    static const char *const names[] = { "SSH", "TLS", "HTTP", "SNMP", "NTP", "Syslog" };
    int *calls = ctx;
    (*calls)++;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(name, names[i]) == 0)
            return true;
    return false;
}

struct bad_case {
    const char *text;
    const char *needle;       /* the error must point at its first occurrence ... */
    int line, col;            /* ... or, with needle NULL, here */
    const char *problem;      /* a piece of the message */
};

static const struct bad_case bad_cases[] = {
    /* YAML itself */
    { "version: 1\nsite: \"unterminated\n", NULL, 3, 1, "YAML syntax error" },
    { "version: 1\n  bad: indent\n", NULL, 2, 6, "YAML syntax error" },
    { "", NULL, 1, 1, "empty policy file" },
    { "# only a comment\n", NULL, 1, 1, "empty policy file" },
    { "- a\n- b\n", "- a", 0, 0, "must be a mapping" },
    { HEAD "  - {id: a, kind: operations, from: ne, to: mdf}\n---\nversion: 1\n", NULL, 9, 1,
      "more than one YAML document" },
    /* top level */
    { "network: {management: [10.0.0.0/8]}\nversion: 1\n", "network:", 0, 0, "unknown key 'network'" },
    { "networks: {management: [10.0.0.0/8]}\n", "networks", 0, 0, "needs 'version: 1'" },
    { "version: 2\nnetworks: {management: [10.0.0.0/8]}\n", "2", 0, 0, "unsupported policy version" },
    { "version: 1\nversion: 1\nnetworks: {management: [10.0.0.0/8]}\n", "version: 1\nnetworks", 0, 0,
      "appears twice" },
    { "version: 1\nsite: x\n", "version", 0, 0, "needs 'networks" },
    { "version: 1\nsite: \"a\\0b\"\nnetworks: {management: [10.0.0.0/8]}\n", "\"a", 0, 0, "NUL byte" },
    { "version: 1\nsite: [a]\nnetworks: {management: [10.0.0.0/8]}\n", "[a]", 0, 0, "single value" },
    { "version: 1\nnetworks: {management: [10.0.0.0/8]}\ndefault: deny\n", "deny", 0, 0,
      "anomaly or allow" },
    /* networks */
    { "version: 1\nnetworks: {management: [10.0.0.0/33]}\n", "10.0.0.0/33", 0, 0, "out of range" },
    { "version: 1\nnetworks: {management: [10.0.0.1/8]}\n", "10.0.0.1/8", 0, 0, "host bits set" },
    { "version: 1\nnetworks: {management: []}\n", "[]", 0, 0, "empty list" },
    { "version: 1\nnetworks: {mgmt: [10.0.0.0/8]}\n", "mgmt", 0, 0, "unknown key 'mgmt'" },
    /* control characters from the file do not reach the terminal */
    { "version: 1\n\"\\e[2Jx\\n\": 1\nnetworks: {management: [10.0.0.0/8]}\n", "\"\\e", 0, 0,
      "unknown key '?[2Jx?'" },
    { "version: 1\nnetworks: {management: [\"fd00::zz/16\"]}\n", "\"fd00", 0, 0, "bad network" },
    /* assets */
    { "version: 1\nnetworks: {management: [10.0.0.0/8]}\nassets:\n  a: {role: network-elemnt, addresses: [10.1.0.1]}\n",
      "network-elemnt", 0, 0, "unknown role 'network-elemnt'" },
    { "version: 1\nnetworks: {management: [10.0.0.0/8]}\nassets:\n  a: {role: lemf}\n", "{role", 0, 0,
      "needs addresses" },
    { "version: 1\nnetworks: {management: [10.0.0.0/8]}\nassets:\n  a: {addresses: [10.1.0.1]}\n", "{addr", 0, 0,
      "needs a role" },
    { "version: 1\nnetworks: {management: [10.0.0.0/8]}\nassets:\n  a: {role: lemf, addresses: []}\n", "[]", 0, 0,
      "empty list" },
    { "version: 1\nnetworks: {management: [10.0.0.0/8]}\nassets:\n  a: {role: lemf, adresses: [10.1.0.1]}\n",
      "adresses", 0, 0, "unknown key 'adresses'" },
    { "version: 1\nnetworks: {management: [10.0.0.0/8]}\nassets:\n  a: {role: lemf, addresses: [\"fd00::zz\"]}\n",
      "\"fd00", 0, 0, "bad address" },
    /* the same address twice in one asset: repeated, inside an earlier prefix, or holding one */
    { "version: 1\nnetworks: {management: [10.0.0.0/8]}\nassets:\n"
      "  a: {role: lemf, addresses: [10.1.0.0/16, 10.2.0.0/16, 10.1.0.0/16]}\n", NULL, 4, 57,
      "address 10.1.0.0/16 is listed twice in asset 'a'" },
    { "version: 1\nnetworks: {management: [10.0.0.0/8]}\nassets:\n"
      "  a: {role: lemf, addresses: [10.1.0.0/16, 10.1.2.3]}\n", "10.1.2.3", 0, 0,
      "10.1.2.3 is listed twice in asset 'a': it is inside 10.1.0.0/16" },
    { "version: 1\nnetworks: {management: [10.0.0.0/8]}\nassets:\n"
      "  a: {role: lemf, addresses: [\"fd00:1::5\", \"fd00:1::/64\"]}\n", "\"fd00:1::/64", 0, 0,
      "listed twice in asset 'a': it holds an address listed before" },
    { "version: 1\nnetworks: {management: [10.0.0.0/8]}\nassets:\n  a: {role: lemf, addresses: [10.1.0.0/16]}\n"
      "  a: {role: lemf, addresses: [10.2.0.0/16]}\n", "a: {role: lemf, addresses: [10.2", 0, 0,
      "defined twice" },
    { "version: 1\nnetworks: {management: [10.0.0.0/8]}\nassets:\n  bad name: {role: lemf, addresses: [10.1.0.1]}\n",
      "bad name", 0, 0, "bad asset name" },
    { "version: 1\nnetworks: {management: [10.0.0.0/8]}\nassets:\n  10.1.0.1: {role: lemf, addresses: [10.1.0.1]}\n",
      "10.1.0.1:", 0, 0, "reads as an address" },
    { "version: 1\nnetworks: {management: [10.0.0.0/8]}\nassets: [a, b]\n", "[a", 0, 0, "assets must be a mapping" },
    /* rules: structure */
    { HEAD "  - {id: a, kind: operations, form: ne, to: mdf}\n", "form", 0, 0, "unknown key 'form'" },
    { HEAD "  - {kind: operations, from: ne, to: mdf}\n", "{kind", 0, 0, "needs an id" },
    { HEAD "  - {id: a, kind: operations, from: ne, to: mdf}\n  - {id: a, kind: operations, from: mdf, to: ne}\n",
      "a, kind: operations, from: mdf", 0, 0, "duplicate rule id 'a'" },
    { HEAD "  - {id: default, kind: operations, from: ne, to: mdf}\n", "default", 0, 0, "reserved" },
    { HEAD "  - {id: \"a b\", kind: operations, from: ne, to: mdf}\n", "\"a b", 0, 0, "bad rule id" },
    { HEAD "  - {id: a, kind: ops, from: ne, to: mdf}\n", "ops", 0, 0, "unknown rule kind" },
    { HEAD "  - {id: a, from: ne, to: mdf}\n", "{id", 0, 0, "needs a kind" },
    { HEAD "  - {id: a, kind: operations, to: mdf}\n", "{id", 0, 0, "needs from" },
    { HEAD "  - {id: a, kind: operations, from: ne}\n", "{id", 0, 0, "needs to" },
    { HEAD "  - {id: a, kind: operations, from: ne, to: mdf, from: mdf}\n", "from: mdf", 0, 0, "appears twice" },
    { HEAD "  - [id, a]\n", "[id", 0, 0, "a rule must be a mapping" },
    { HEAD "  foo: bar\n", "foo", 0, 0, "rules must be a list" },
    /* interface */
    { HEAD "  - {id: a, kind: li, from: ne, to: mdf}\n", "{id", 0, 0, "needs an interface" },
    { HEAD "  - {id: a, kind: operations, interface: X2, from: ne, to: mdf}\n", "X2", 0, 0,
      "interface is only for li rules" },
    { HEAD "  - {id: a, kind: li, interface: X4, from: ne, to: mdf}\n", "X4", 0, 0, "unknown interface" },
    /* selectors */
    { HEAD "  - {id: a, kind: operations, from: nee, to: mdf}\n", "nee", 0, 0, "unknown asset 'nee'" },
    { HEAD "  - {id: a, kind: operations, from: ne, to: role:nope}\n", "role:nope", 0, 0, "unknown role 'nope'" },
    { HEAD "  - {id: a, kind: operations, from: ne, to: role:lemf}\n", "role:lemf", 0, 0,
      "names no asset: this rule could never match" },
    { HEAD "  - {id: a, kind: operations, from: vendor:borealis, to: mdf}\n", "vendor:borealis", 0, 0,
      "from vendor:borealis is the vendor of no asset: this rule could never match" },
    { HEAD "  - {id: a, kind: operations, from: ne, to: [mdf, \"vendor:a b\"]}\n", "\"vendor:a b", 0, 0,
      "bad vendor name 'a b' in to" },
    { HEAD "  - {id: a, kind: operations, from: ne, to: 10.1.0.0/40}\n", "10.1.0.0/40", 0, 0, "bad address in to" },
    { HEAD "  - {id: a, kind: operations, from: ne, to: \"fd00::1:zz\"}\n", "\"fd00::1", 0, 0, "bad address in to" },
    { HEAD "  - {id: a, kind: operations, from: ne, to: \"fd00::1/64\"}\n", "\"fd00::1/", 0, 0, "host bits set" },
    { HEAD "  - {id: a, kind: operations, from: [], to: mdf}\n", "[]", 0, 0, "empty list: this rule could never match" },
    { HEAD "  - {id: a, kind: operations, from: {x: y}, to: mdf}\n", "{x", 0, 0, "a value or a list" },
    /* service */
    { HEAD "  - {id: a, kind: operations, from: ne, to: mdf, service: {proto: tcp, ports: [\"30-20\"]}}\n",
      "\"30-20", 0, 0, "empty port range" },
    { HEAD "  - {id: a, kind: operations, from: ne, to: mdf, service: {ports: [70000]}}\n", "70000", 0, 0,
      "out of range" },
    { HEAD "  - {id: a, kind: operations, from: ne, to: mdf, service: {ports: [\"22-\"]}}\n", "\"22-", 0, 0,
      "bad port" },
    { HEAD "  - {id: a, kind: operations, from: ne, to: mdf, service: {ports: [ssh]}}\n", "ssh", 0, 0, "bad port" },
    { HEAD "  - {id: a, kind: operations, from: ne, to: mdf, service: {ports: []}}\n", "[]", 0, 0,
      "could never match" },
    { HEAD "  - {id: a, kind: operations, from: ne, to: mdf, service: {proto: sctp}}\n", "sctp", 0, 0,
      "unknown proto" },
    { HEAD "  - {id: a, kind: operations, from: ne, to: mdf, service: {port: [22]}}\n", "port:", 0, 0,
      "unknown key 'port'" },
    /* app */
    { HEAD "  - {id: a, kind: operations, from: ne, to: mdf, app: [SSH, SHH]}\n", "SHH", 0, 0, "unknown app 'SHH'" },
    { HEAD "  - {id: a, kind: li, interface: X2, from: ne, to: mdf, app: [X3]}\n", "X3", 0, 0,
      "contradicts the rule's interface X2" },
    { HEAD "  - {id: a, kind: operations, from: ne, to: mdf, app: [x2]}\n", "x2", 0, 0, "rules of kind li" },
    { HEAD "  - {id: a, kind: operations, from: ne, to: mdf, app: []}\n", "[]", 0, 0, "could never match" },
    /* windows, tickets, vendors */
    { HEAD "  - {id: a, kind: maintenance, ticket: T1, from: ne, to: mdf,\n"
      "     window: {start: \"2026-02-10T04:00:00Z\", end: \"2026-02-10T01:00:00Z\"}}\n",
      "\"2026-02-10T01", 0, 0, "ends before it starts" },
    { HEAD "  - {id: a, kind: maintenance, ticket: T1, from: ne, to: mdf,\n"
      "     window: {start: \"2026-02-10T03:00:00+02:00\", end: \"2026-02-10T01:00:00Z\"}}\n",
      "\"2026-02-10T01", 0, 0, "window is empty" },
    { HEAD "  - {id: a, kind: maintenance, ticket: T1, from: ne, to: mdf,\n"
      "     window: {start: \"2026-02-30T00:00:00Z\", end: \"2026-03-01T01:00:00Z\"}}\n",
      "\"2026-02-30", 0, 0, "bad time" },
    { HEAD "  - {id: a, kind: maintenance, ticket: T1, from: ne, to: mdf,\n"
      "     window: {start: \"2026-02-10T00:00:00\", end: \"2026-02-10T01:00:00Z\"}}\n",
      "\"2026-02-10T00", 0, 0, "bad time" },
    { HEAD "  - {id: a, kind: maintenance, ticket: T1, from: ne, to: mdf,\n"
      "     window: {start: \"2026-02-10T00:00:00Z\"}}\n", "{start", 0, 0, "both start and end" },
    { HEAD "  - {id: a, kind: maintenance, ticket: T1, from: ne, to: mdf, window: []}\n", "[]", 0, 0,
      "could never match" },
    { HEAD "  - {id: a, kind: maintenance, ticket: T1, from: ne, to: mdf,\n"
      "     window: [{start: \"2026-02-10T00:00:00Z\", end: \"2026-02-10T01:00:00Z\"},\n"
      "              {start: \"2026-02-11T00:00:00Z\", end: \"2026-02-11T00:00:00Z\"}]}\n",
      "\"2026-02-11T00:00:00Z\"}", 0, 0, "window is empty" },
    { HEAD "  - {id: a, kind: operations, from: ne, to: mdf,\n"
      "     window: {start: \"2026-02-10T00:00:00Z\", end: \"2026-02-10T01:00:00Z\"}}\n", "{start", 0, 0,
      "window is only for maintenance rules" },
    { HEAD "  - {id: a, kind: maintenance, ticket: T1, from: ne, to: mdf}\n", "{id", 0, 0, "needs a window" },
    { HEAD "  - {id: a, kind: maintenance, from: ne, to: mdf,\n"
      "     window: {start: \"2026-02-10T00:00:00Z\", end: \"2026-02-10T01:00:00Z\"}}\n", "{id", 0, 0,
      "needs a ticket" },
    { HEAD "  - {id: a, kind: maintenance, ticket: T1, vendor: acmee, from: ne, to: mdf,\n"
      "     window: {start: \"2026-02-10T00:00:00Z\", end: \"2026-02-10T01:00:00Z\"}}\n", "acmee", 0, 0,
      "vendor of no asset" },
    { HEAD "  - {id: a, kind: operations, vendor: acme, from: ne, to: mdf}\n", "acme, from", 0, 0,
      "vendor is only for maintenance rules" },
};

/* 1-based line and column of needle's first occurrence in text. */
static void position_of(const char *text, const char *needle, int *line, int *col)
{
    const char *at = strstr(text, needle);
    if (!at)
        fail_msg("needle '%s' not in fixture", needle);
    *line = 1;
    *col = 1;
    for (const char *p = text; p < at; p++) {
        if (*p == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

static void test_errors(void **state)
{
    (void)state;
    int failures = 0;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const struct bad_case *c = &bad_cases[i];
        char name[32], path[512], err[512], want[600];
        int line = c->line, col = c->col, calls = 0;
        snprintf(name, sizeof name, "bad-%02zu.yaml", i);
        write_fixture(name, c->text, path, sizeof path);
        if (c->needle)
            position_of(c->text, c->needle, &line, &col);
        FILE *out = tmpfile();
        assert_non_null(out);
        int rc = ow_policy_check(path, known_app, &calls, 0, out, err, sizeof err);
        snprintf(want, sizeof want, "%s:%d:%d: ", path, line, col);
        if (rc != 2 || strncmp(err, want, strlen(want)) != 0 || !strstr(err, c->problem)) {
            print_error("case %zu: rc %d, got '%s', want '%s...%s'\n", i, rc, err, want, c->problem);
            failures++;
        }
        /* nothing but the error: no half summary */
        assert_int_equal(ftell(out), 0);
        fclose(out);
        assert_null(ow_policy_load(path, known_app, &calls, err, sizeof err));
    }
    assert_int_equal(failures, 0);
}

static void test_unreadable(void **state)
{
    (void)state;
    char err[512];
    fixture_dir_make();
    char path[512];
    snprintf(path, sizeof path, "%s/does-not-exist.yaml", fixture_dir);
    assert_int_equal(ow_policy_check(path, NULL, NULL, 0, NULL, err, sizeof err), 2);
    assert_non_null(strstr(err, "does-not-exist.yaml:"));
    assert_non_null(strstr(err, "cannot open"));
    /* a directory is not a policy either */
    assert_int_equal(ow_policy_check(fixture_dir, NULL, NULL, 0, NULL, err, sizeof err), 2);
    /* a tiny error buffer is not overrun */
    char small[8];
    memset(small, 'x', sizeof small);
    assert_null(ow_policy_load(path, NULL, NULL, small, sizeof small));
    assert_int_equal(strlen(small), 7);
}

static const char *sample_path(char *buf, size_t len)
{
    const char *root = getenv("OW_SOURCE_ROOT");
    if (!root)
        return NULL;
    snprintf(buf, len, "%s/examples/sample-policy.yaml", root);
    return buf;
}

static char *check_output(const char *path, uint64_t now_us, int *rc)
{
    char *buf = NULL;
    size_t len = 0;
    char err[512] = "";
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    *rc = ow_policy_check(path, NULL, NULL, now_us, out, err, sizeof err);
    fclose(out);
    if (*rc)
        fprintf(stderr, "%s\n", err);
    return buf;
}

static void test_summary(void **state)
{
    (void)state;
    char path[512];
    if (!sample_path(path, sizeof path))
        skip();
    int rc;
    char *text = check_output(path, t_us("2026-02-01T00:00:00Z"), &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(text, ": valid\n"));
    assert_non_null(strstr(text, "site: dc1-om\n"));
    assert_non_null(strstr(text, "management networks: 10.20.0.0/16 10.30.0.0/16 fd00:20::/32\n"));
    assert_non_null(strstr(text, "assets: 10 (network-element 2, li-admin 1, li-mediation 1, lemf 1, "
                                 "operations 2, vendor-access 2, infrastructure 1)\n"));
    assert_non_null(strstr(text, "rules: 10 (li 5, maintenance 1, operations 4)\n"));
    assert_non_null(strstr(text, "in force at 2026-02-01T00:00:00Z:\n  none\n"));
    assert_non_null(strstr(text, "next maintenance window:\n  chg-2026-0142 (ticket CHG-2026-0142): "
                                 "2026-02-10T01:00:00Z to 2026-02-10T04:00:00Z\n"));
    free(text);

    text = check_output(path, t_us("2026-02-10T01:00:00Z"), &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(text, "in force at 2026-02-10T01:00:00Z:\n  chg-2026-0142 (ticket "
                                 "CHG-2026-0142)"));
    assert_non_null(strstr(text, "next maintenance window:\n  none\n"));
    free(text);

    text = check_output(path, t_us("2026-02-10T04:00:00Z"), &rc);
    assert_non_null(strstr(text, "in force at 2026-02-10T04:00:00Z:\n  none\n"));
    free(text);
}

/* nDPI's own protocol names decide which app names are known, as in the CLI. */
static bool ndpi_known(const char *name, void *ctx)
{
    char copy[64];
    snprintf(copy, sizeof copy, "%s", name);
    return ndpi_get_protocol_id(ctx, copy) >= 0;
}

static void test_sample_with_ndpi(void **state)
{
    (void)state;
    char path[512], err[512];
    if (!sample_path(path, sizeof path))
        skip();
    struct ndpi_detection_module_struct *mod = ndpi_init_detection_module(ndpi_no_prefs);
    assert_non_null(mod);
    struct ow_policy *p = ow_policy_load(path, ndpi_known, mod, err, sizeof err);
    if (!p)
        fprintf(stderr, "%s\n", err);
    assert_non_null(p);

    /* a misspelt nDPI name is refused */
    char bad[512];
    write_fixture("ndpi-typo.yaml", HEAD "  - {id: a, kind: operations, from: ne, to: mdf, app: [SNPM]}\n",
                  bad, sizeof bad);
    assert_int_equal(ow_policy_check(bad, ndpi_known, mod, 0, NULL, err, sizeof err), 2);
    assert_non_null(strstr(err, "unknown app 'SNPM'"));
    ndpi_exit_detection_module(mod);

    /* The flows the sample capture carries (see docs/policy.md), and their verdicts. */
    const struct {
        const char *c; uint16_t cp; const char *s; uint16_t sp; uint8_t proto; const char *app;
        const char *when; uint8_t status; const char *rule_or_kind;
    } flows[] = {
        { "10.30.0.5", 40001, "10.20.1.11", 8443, 6, "TLS", "2026-02-10T00:10:00Z", OW_VERDICT_AUTHORIZED, "x1-provisioning" },
        { "10.20.1.11", 40002, "10.30.0.10", 9999, 6, "X2", "2026-02-10T00:11:00Z", OW_VERDICT_AUTHORIZED, "x2-iri" },
        { "10.20.2.21", 40003, "10.30.0.10", 9998, 6, "X3", "2026-02-10T00:12:00Z", OW_VERDICT_AUTHORIZED, "x3-cc" },
        { "10.30.0.10", 40004, "198.51.100.20", 44444, 6, "HI2", "2026-02-10T00:13:00Z", OW_VERDICT_AUTHORIZED, "hi2-iri" },
        { "10.30.0.10", 40005, "198.51.100.20", 44445, 6, "HI3", "2026-02-10T00:14:00Z", OW_VERDICT_AUTHORIZED, "hi3-cc" },
        { "10.30.1.2", 40006, "10.20.2.21", 161, 17, "SNMP", "2026-02-10T00:15:00Z", OW_VERDICT_AUTHORIZED, "snmp-poll" },
        { "10.20.1.11", 40007, "10.30.1.2", 514, 17, "Syslog", "2026-02-10T00:16:00Z", OW_VERDICT_AUTHORIZED, "syslog" },
        { "10.20.2.21", 40008, "10.30.1.3", 123, 17, "NTP", "2026-02-10T00:17:00Z", OW_VERDICT_AUTHORIZED, "ntp" },
        { "10.30.2.15", 40009, "10.20.2.21", 22, 6, "SSH", "2026-02-10T00:18:00Z", OW_VERDICT_AUTHORIZED, "noc-ssh" },
        { "10.99.0.7", 40010, "10.20.1.11", 22, 6, "SSH", "2026-02-10T02:00:00Z", OW_VERDICT_AUTHORIZED, "chg-2026-0142" },
        { "10.99.0.7", 40011, "10.20.1.11", 22, 6, "SSH", "2026-02-10T05:30:00Z", OW_VERDICT_ANOMALY, "maintenance_outside_window" },
        { "10.99.0.7", 40012, "10.30.0.10", 9999, 6, "X2", "2026-02-10T02:10:00Z", OW_VERDICT_ANOMALY, "li_unauthorized" },
        { "10.99.0.7", 40013, "10.20.2.21", 22, 6, "SSH", "2026-02-10T02:20:00Z", OW_VERDICT_ANOMALY, "vendor_unauthorized" },
        { "10.30.1.2", 40014, "10.20.2.21", 161, 17, "DNS", "2026-02-10T02:30:00Z", OW_VERDICT_ANOMALY, "protocol_mismatch" },
        { "10.30.2.15", 40015, "203.0.113.50", 443, 6, "TLS", "2026-02-10T02:40:00Z", OW_VERDICT_ANOMALY, "egress_external" },
        { "10.30.2.15", 40016, "10.20.2.21", 23, 6, "Telnet", "2026-02-10T02:50:00Z", OW_VERDICT_ANOMALY, "unlisted_flow" },
        { "192.0.2.1", 40017, "192.0.2.2", 80, 6, "HTTP", "2026-02-10T03:00:00Z", OW_VERDICT_OUT_OF_SCOPE, "" },
    };
    for (size_t i = 0; i < sizeof flows / sizeof flows[0]; i++) {
        struct ow_flow_record r = make_flow(flows[i].c, flows[i].cp, flows[i].s, flows[i].sp,
                                            flows[i].proto, flows[i].app, flows[i].when);
        ow_policy_evaluate(p, &r);
        const char *got = r.verdict.status == OW_VERDICT_AUTHORIZED ? r.verdict.rule : r.verdict.kind;
        if (r.verdict.status != flows[i].status || strcmp(got, flows[i].rule_or_kind) != 0)
            fail_msg("flow %zu: got %s %s (%s)", i, ow_verdict_status_name(r.verdict.status), got,
                     r.verdict.reason);
    }
    ow_policy_free(p);
}

static void test_sha256_and_rules(void **state)
{
    (void)state;
    char path[512], err[512];
    /* SHA-256("version: 1\nnetworks: {management: [10.0.0.0/8]}\n"), from sha256sum */
    write_fixture("hash.yaml", "version: 1\nnetworks: {management: [10.0.0.0/8]}\n", path, sizeof path);
    struct ow_policy *p = ow_policy_load(path, NULL, NULL, err, sizeof err);
    assert_non_null(p);
    char cmd[600], want[80] = "";
    snprintf(cmd, sizeof cmd, "sha256sum '%s'", path);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    assert_non_null(fgets(want, sizeof want, f));
    pclose(f);
    want[64] = '\0';
    assert_string_equal(ow_policy_sha256(p), want);
    assert_string_equal(ow_policy_site(p), "");
    assert_int_equal(ow_policy_rule_count(p), 0);
    assert_null(ow_policy_rule_id(p, 0));
    ow_policy_free(p);

    if (!sample_path(path, sizeof path))
        skip();
    p = ow_policy_load(path, NULL, NULL, err, sizeof err);
    assert_non_null(p);
    assert_string_equal(ow_policy_site(p), "dc1-om");
    assert_int_equal(ow_policy_rule_count(p), 10);
    assert_string_equal(ow_policy_rule_id(p, 0), "x1-provisioning");
    assert_string_equal(ow_policy_rule_kind(p, 0), "li");
    assert_string_equal(ow_policy_rule_id(p, 9), "chg-2026-0142");
    assert_string_equal(ow_policy_rule_kind(p, 9), "maintenance");
    assert_null(ow_policy_rule_kind(p, 10));
    ow_policy_free(p);
}

/* The error line must be "PATH:LINE:COL: problem" with LINE and COL numbers. */
static void assert_error_format(const char *path, const char *err)
{
    size_t n = strlen(path);
    assert_true(strncmp(err, path, n) == 0 && err[n] == ':');
    char *end;
    unsigned long line = strtoul(err + n + 1, &end, 10);
    assert_true(end > err + n + 1 && *end == ':');
    const char *colp = end + 1;
    strtoul(colp, &end, 10);
    assert_true(end > colp && end[0] == ':' && end[1] == ' ' && end[2] != '\0');
    (void)line;
}

/* Hostile input: every truncation of the sample and random byte damage either load or
 * fail with a positioned error, never crash (the suite also runs under ASan/UBSan). */
static void test_damaged_sample(void **state)
{
    (void)state;
    char src[512], path[512], err[512];
    if (!sample_path(src, sizeof src))
        skip();
    FILE *f = fopen(src, "rb");
    assert_non_null(f);
    static char text[16384];
    size_t len = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    assert_true(len > 100 && len < sizeof text - 1);
    static char copy[16384];
    size_t loaded = 0, refused = 0;
    for (size_t cut = 0; cut <= len; cut += 3) {
        memcpy(copy, text, cut);
        copy[cut] = '\0';
        write_fixture("cut.yaml", copy, path, sizeof path);
        struct ow_policy *p = ow_policy_load(path, NULL, NULL, err, sizeof err);
        if (p) {
            loaded++;
            ow_policy_free(p);
        } else {
            refused++;
            assert_error_format(path, err);
        }
    }
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 1500; i++) {
        memcpy(copy, text, len + 1);
        for (int k = 0; k < 3; k++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            size_t at = (size_t)(x % len);
            char b = (char)(x >> 32);
            copy[at] = b ? b : ' ';
        }
        write_fixture("damaged.yaml", copy, path, sizeof path);
        struct ow_policy *p = ow_policy_load(path, NULL, NULL, err, sizeof err);
        if (p) {
            loaded++;
            ow_policy_free(p);
        } else {
            refused++;
            assert_error_format(path, err);
        }
    }
    assert_true(refused > 100);
    assert_true(loaded > 0);   /* the full file, at least */
}

/* Anchors and aliases are YAML: they work, and they cannot smuggle in a second rule id. */
static void test_aliases(void **state)
{
    (void)state;
    char path[512], err[512];
    write_fixture("alias.yaml", HEAD
                  "  - {id: a, kind: operations, from: &n ne, to: mdf, service: &s {proto: tcp, ports: [22]}}\n"
                  "  - {id: b, kind: operations, from: mdf, to: *n, service: *s}\n", path, sizeof path);
    struct ow_policy *p = ow_policy_load(path, NULL, NULL, err, sizeof err);
    if (!p)
        fprintf(stderr, "%s\n", err);
    assert_non_null(p);
    struct ow_flow_record r = make_flow("10.2.0.1", 1, "10.1.0.9", 22, 6, "SSH", "2026-01-01T00:00:00Z");
    ow_policy_evaluate(p, &r);
    assert_string_equal(r.verdict.rule, "b");
    ow_policy_free(p);
    write_fixture("alias-dup.yaml", HEAD "  - &r {id: a, kind: operations, from: ne, to: mdf}\n  - *r\n",
                  path, sizeof path);
    assert_null(ow_policy_load(path, NULL, NULL, err, sizeof err));
    assert_non_null(strstr(err, "duplicate rule id 'a'"));
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
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_unreadable),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_sample_with_ndpi),
        cmocka_unit_test(test_sha256_and_rules),
        cmocka_unit_test(test_damaged_sample),
        cmocka_unit_test(test_aliases),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
