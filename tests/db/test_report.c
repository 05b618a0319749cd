/* test_report.c — the period report built from stores made with the store API: each
 * conclusion (and what drives it: anomalies, kernel and internal drops, gaps, an unended run,
 * no run, an unwatched stretch, a store that fails verification), the LI and maintenance
 * sessions with their rule kind and ticket, periods, and HTML escaping of hostile strings.
 * Stores are sealed with a test key directory (db/sealer.h) as a sealed replay seals them,
 * since unsealed evidence can only conclude coverage_incomplete. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "db/content_root.h"
#include "db/eve_json.h"
#include "db/report.h"
#include "db/html_escape.h"
#include "db/sealer.h"
#include "db/store.h"
#include "store_fixtures.h"

#define S(x) (FIXTURE_T0_US + (uint64_t)(x) * 1000000u)

static char keys_dir[64];
static struct ow_sealer sealer;
static int sealer_open;

static void seal_close(void)
{
    if (sealer_open)
        ow_sealer_close(&sealer);
    sealer_open = 0;
}

static int64_t new_run(struct ow_store *st)
{
    if (!keys_dir[0]) {
        char tmp[] = "/tmp/ow-report-keys.XXXXXX", err[512];
        uint8_t pub[32];
        assert_non_null(mkdtemp(tmp));
        snprintf(keys_dir, sizeof keys_dir, "%s/k", tmp);
        assert_int_equal(ow_keys_init(keys_dir, "test-sensor", pub, err, sizeof err), 0);
    }
    seal_close();
    assert_int_equal(ow_sealer_open(&sealer, keys_dir, NULL, NULL, 0, 0), 0);
    sealer_open = 1;
    assert_int_equal(ow_sealer_begin(&sealer, st), 0);
    struct ow_run_info info = {
        .kind = "capture", .source = "eth1", .site = "dc1-om", .policy_sha256 = "abcd",
        .version = "test", .threads = 1, .started_wall_us = 42,
    };
    int64_t run = ow_store_begin_run(st, &info);
    assert_true(run > 0);
    assert_int_equal(ow_store_add_run_rule(st, run, "x2-iri", "li", "X2", ""), 0);
    assert_int_equal(ow_store_add_run_rule(st, run, "chg-1", "maintenance", "", "CHG-1"), 0);
    assert_int_equal(ow_store_add_run_rule(st, run, "snmp", "operations", "", ""), 0);
    assert_int_equal(ow_sealer_checkpoint(&sealer, st, "run_start"), 0);
    return run;
}

/* Authorized flows at t0+10 s (li), +20 s (maintenance), +30 s (operations). */
static void add_authorized(struct ow_store *st, int64_t run)
{
    static const struct { const char *rule; const char *ticket; } rules[] = {
        { "x2-iri", "" }, { "chg-1", "CHG-1" }, { "snmp", "" },
    };
    for (unsigned i = 0; i < 3; i++) {
        struct ow_flow_record r;
        fixture_flow(&r, 100 + i, "10.20.1.11", (uint16_t)(38000 + i), "10.30.0.10", 9999,
                     10 * (i + 1));
        r.verdict.status = OW_VERDICT_AUTHORIZED;
        FIX_SET(r.verdict.rule, rules[i].rule);
        FIX_SET(r.verdict.ticket, rules[i].ticket);
        FIX_SET(r.verdict.asset_src, "ne-core");
        assert_int_equal(ow_store_add_flow(st, run, &r), 0);
    }
}

static void end_run(struct ow_store *st, int64_t run, uint64_t kernel_drops,
                    uint64_t internal_drops, uint64_t gaps)
{
    struct ow_run_stats s = { .first_ts_us = S(0), .last_ts_us = S(3600), .packets = 1000,
                              .kernel_drops = kernel_drops, .internal_drops = internal_drops,
                              .gaps = gaps, .flows = 3, .clean_end = 1 };
    char err[512];
    uint8_t root[32];
    assert_int_equal(ow_content_root_store(st, run, root, err, sizeof err), 0);
    assert_int_equal(ow_store_end_run(st, run, &s), 0);
    assert_int_equal(ow_sealer_checkpoint(&sealer, st, "run_end"), 0);
    assert_int_equal(ow_sealer_retire(&sealer), 0);
    seal_close();
}

static json_t *report(const char *path, int has_from, int64_t from, int has_to, int64_t to)
{
    char err[256];
    struct ow_store *ro = ow_store_open_readonly(path, err, sizeof err);
    if (!ro)
        fail_msg("open: %s", err);
    seal_close();
    struct ow_report_options o = { .has_from = has_from, .from_us = from, .has_to = has_to,
                                   .to_us = to, .store_path = path, .generated_wall_us = 1,
                                   .keys_dir = keys_dir[0] ? keys_dir : NULL };
    json_t *r = ow_report_build(ro, &o, err, sizeof err);
    ow_store_close(ro);
    if (!r)
        fail_msg("report: %s", err);
    return r;
}

static const char *conclusion(const json_t *r)
{
    return json_string_value(json_object_get(r, "conclusion"));
}

static int reasons_mention(const json_t *r, const char *words)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(r, "conclusion_reasons"), i, v)
        if (strstr(json_string_value(v), words))
            return 1;
    return 0;
}

/* ---- tests --------------------------------------------------------------------------- */

static void test_clean_authorized_only(void **state)
{
    struct fixture_dir *d = *state;
    struct ow_store *st = open_store(d->db);
    int64_t run = new_run(st);
    add_authorized(st, run);
    end_run(st, run, 0, 0, 0);
    ow_store_close(st);

    json_t *r = report(d->db, 0, 0, 0, 0);
    assert_string_equal(conclusion(r), "no_unauthorized_access_observed");
    assert_true(json_is_true(json_object_get(json_object_get(r, "integrity"), "verified")));
    json_t *flows = json_object_get(r, "flows");
    assert_int_equal(json_integer_value(json_object_get(flows, "total")), 3);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(flows, "by_verdict"),
                                                        "authorized")), 3);
    /* The li and maintenance sessions, not the operations one, with kind, interface, ticket. */
    json_t *ses = json_object_get(json_object_get(r, "authorized_sessions"), "sessions");
    assert_int_equal(json_array_size(ses), 2);
    json_t *li = json_array_get(ses, 0), *mt = json_array_get(ses, 1);
    assert_string_equal(json_string_value(json_object_get(li, "rule_kind")), "li");
    assert_string_equal(json_string_value(json_object_get(li, "interface")), "X2");
    assert_true(json_is_false(json_object_get(li, "rule_kind_inferred")));
    assert_string_equal(json_string_value(json_object_get(mt, "rule_kind")), "maintenance");
    assert_string_equal(json_string_value(json_object_get(mt, "ticket")), "CHG-1");
    /* The run's chain head is what its final checkpoint signed, and it has a content root. */
    json_t *run0 = json_array_get(json_object_get(r, "runs"), 0);
    json_t *cp = json_object_get(json_object_get(r, "seal"), "checkpoint");
    assert_string_equal(json_string_value(json_object_get(run0, "chain_head")),
                        json_string_value(json_object_get(cp, "head")));
    assert_string_equal(json_string_value(json_object_get(cp, "reason")), "run_end");
    assert_int_equal(strlen(json_string_value(json_object_get(run0, "content_root"))), 64);
    json_decref(r);
}

static void test_anomaly(void **state)
{
    struct fixture_dir *d = *state;
    struct ow_store *st = open_store(d->db);
    int64_t run = new_run(st);
    add_authorized(st, run);
    struct ow_flow_record a;
    fixture_flow(&a, 7, "10.99.0.7", 60000, "10.20.1.11", 22, 100);
    a.verdict.status = OW_VERDICT_ANOMALY;
    a.verdict.severity = OW_SEV_HIGH;
    FIX_SET(a.verdict.kind, "vendor_unauthorized");
    FIX_SET(a.verdict.reason, "expected no vendor SSH, saw one");
    struct ow_stored_flow ids;
    assert_int_equal(ow_store_add_flow_ids(st, run, &a, &ids), 0);
    uint8_t pcap[24 + 16 + 4] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0 };
    pcap[20] = 1;
    pcap[24 + 8] = 4;
    pcap[24 + 12] = 4;
    assert_int_equal(ow_store_add_evidence(st, ids.flow_row, pcap, sizeof pcap, 1, 1), 0);
    end_run(st, run, 0, 0, 0);
    ow_store_close(st);

    json_t *r = report(d->db, 0, 0, 0, 0);
    assert_string_equal(conclusion(r), "anomalies_found");
    json_t *an = json_object_get(r, "anomalies");
    assert_int_equal(json_integer_value(json_object_get(an, "total")), 1);
    json_t *a0 = json_array_get(json_object_get(an, "alerts"), 0);
    assert_int_equal(json_integer_value(json_object_get(a0, "alert_id")), ids.alert_id);
    assert_string_equal(json_string_value(json_object_get(a0, "reason")),
                        "expected no vendor SSH, saw one");
    json_t *ev = json_object_get(a0, "evidence");
    assert_int_equal(json_integer_value(json_object_get(ev, "packets")), 1);
    assert_true(json_is_true(json_object_get(ev, "truncated")));
    json_decref(r);

    /* A period before the anomaly sees only the authorized flows. */
    r = report(d->db, 1, (int64_t)S(0), 1, (int64_t)S(50));
    assert_string_equal(conclusion(r), "no_unauthorized_access_observed");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "flows"), "total")), 3);
    json_decref(r);
}

static void test_drops_and_gaps(void **state)
{
    struct fixture_dir *d = *state;
    static const struct { uint64_t kernel, internal, gaps; const char *words; } cases[] = {
        { 3, 0, 0, "dropped by the kernel" },
        { 0, 5, 0, "dropped inside omwitness" },
        { 0, 0, 1, "gap" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fixture_dir_remove(d);              /* a fresh store in the same directory */
        assert_int_equal(mkdir(d->dir, 0700), 0);
        struct ow_store *st = open_store(d->db);
        int64_t run = new_run(st);
        add_authorized(st, run);
        end_run(st, run, cases[i].kernel, cases[i].internal, cases[i].gaps);
        ow_store_close(st);
        json_t *r = report(d->db, 0, 0, 0, 0);
        assert_string_equal(conclusion(r), "coverage_incomplete");
        assert_true(reasons_mention(r, cases[i].words));
        json_decref(r);
    }
}

static void test_unended_run(void **state)
{
    struct fixture_dir *d = *state;
    struct ow_store *st = open_store(d->db);
    int64_t run = new_run(st);
    add_authorized(st, run);
    ow_store_close(st);
    json_t *r = report(d->db, 0, 0, 0, 0);
    assert_string_equal(conclusion(r), "coverage_incomplete");
    assert_true(reasons_mention(r, "did not end cleanly"));
    /* Its span comes from its flows. */
    json_t *run0 = json_array_get(json_object_get(r, "runs"), 0);
    assert_true(json_is_string(json_object_get(run0, "first_packet")));
    json_decref(r);
}

static void test_no_runs(void **state)
{
    struct fixture_dir *d = *state;
    ow_store_close(open_store(d->db));
    json_t *r = report(d->db, 0, 0, 0, 0);
    /* An empty store claims nothing: with keys too it passes verification, and its report
     * proves nothing (no run, nothing sealed), never absence. A store emptied after a
     * checkpoint was witnessed is caught by verify --witness (evidence_attacks.py). */
    assert_string_equal(conclusion(r), "coverage_incomplete");
    assert_true(reasons_mention(r, "no run"));
    if (keys_dir[0]) {
        assert_true(reasons_mention(r, "holds no records"));
        assert_false(json_is_true(json_object_get(json_object_get(r, "seal"), "sealed")));
    }
    json_decref(r);
}

/* A period reaching past the run's span has an unwatched stretch; one inside it does not. */
static void test_unwatched_stretch(void **state)
{
    struct fixture_dir *d = *state;
    struct ow_store *st = open_store(d->db);
    int64_t run = new_run(st);
    add_authorized(st, run);
    end_run(st, run, 0, 0, 0);
    ow_store_close(st);
    json_t *r = report(d->db, 1, (int64_t)S(0) - 3600000000ll, 1, (int64_t)S(3600));
    assert_string_equal(conclusion(r), "coverage_incomplete");
    assert_int_equal(json_array_size(json_object_get(json_object_get(r, "coverage"),
                                                     "unwatched")), 1);
    json_decref(r);
    r = report(d->db, 1, (int64_t)S(0), 1, (int64_t)S(3600));
    assert_string_equal(conclusion(r), "no_unauthorized_access_observed");
    json_decref(r);
    /* A period no run touches: nothing watched. */
    r = report(d->db, 1, (int64_t)S(7200), 1, (int64_t)S(9000));
    assert_string_equal(conclusion(r), "coverage_incomplete");
    assert_int_equal(json_array_size(json_object_get(r, "runs")), 0);
    json_decref(r);
}

static void test_tampered_store_is_not_proof(void **state)
{
    struct fixture_dir *d = *state;
    struct ow_store *st = open_store(d->db);
    int64_t run = new_run(st);
    add_authorized(st, run);
    end_run(st, run, 0, 0, 0);
    ow_store_close(st);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(d->db, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "UPDATE flows SET client_ip = '10.0.0.1' WHERE id = 2",
                                  NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    json_t *r = report(d->db, 0, 0, 0, 0);
    assert_string_equal(conclusion(r), "evidence_invalid");
    assert_true(reasons_mention(r, "failed verification"));
    assert_true(json_is_false(json_object_get(json_object_get(r, "integrity"), "verified")));
    json_decref(r);
}

/* A run without a policy, and a run that saw no packet: nothing can be concluded from them. */
static void test_no_policy_and_no_packets(void **state)
{
    struct fixture_dir *d = *state;
    struct ow_store *st = open_store(d->db);
    int64_t run = new_run(st);
    assert_int_equal(sqlite3_exec(ow_store_handle(st), "UPDATE runs SET policy_sha256 = '', "
                                  "site = ''", NULL, NULL, NULL), SQLITE_OK);
    ow_store_close(st);
    /* Rewriting the run row breaks its record; start over with the row as begin_run wrote it. */
    fixture_dir_remove(d);
    assert_int_equal(mkdir(d->dir, 0700), 0);
    st = open_store(d->db);
    seal_close();
    assert_int_equal(ow_sealer_open(&sealer, keys_dir, NULL, NULL, 0, 0), 0);
    sealer_open = 1;
    assert_int_equal(ow_sealer_begin(&sealer, st), 0);
    struct ow_run_info info = { .kind = "replay", .source = "x.pcap", .version = "test",
                                .threads = 1, .started_wall_us = 42 };
    run = ow_store_begin_run(st, &info);
    assert_true(run > 0);
    struct ow_run_stats zero = { .clean_end = 1 };
    char err[512];
    uint8_t root[32];
    assert_int_equal(ow_content_root_store(st, run, root, err, sizeof err), 0);
    assert_int_equal(ow_store_end_run(st, run, &zero), 0);
    assert_int_equal(ow_sealer_checkpoint(&sealer, st, "run_end"), 0);
    seal_close();
    ow_store_close(st);
    json_t *r = report(d->db, 0, 0, 0, 0);
    assert_string_equal(conclusion(r), "coverage_incomplete");
    assert_true(reasons_mention(r, "without a policy"));
    assert_true(reasons_mention(r, "no packets"));
    json_decref(r);
}

static char *render_html(const json_t *r, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    assert_non_null(f);
    assert_non_null(f);
    assert_int_equal(ow_report_write_html(r, f), 0);
    fclose(f);
    return buf;
}

/* Wire strings reach the page escaped: no markup, no control bytes, valid UTF-8. */
static void test_html_escapes_hostile_strings(void **state)
{
    struct fixture_dir *d = *state;
    struct ow_store *st = open_store(d->db);
    int64_t run = new_run(st);
    struct ow_flow_record a;
    fixture_flow(&a, 7, "10.99.0.7", 60000, "10.20.1.11", 22, 100);
    a.verdict.status = OW_VERDICT_ANOMALY;
    a.verdict.severity = OW_SEV_CRITICAL;
    FIX_SET(a.verdict.kind, "li_unauthorized\"><b>");
    FIX_SET(a.verdict.reason, "<script>alert('x')</script> & \x1b[31m \xff\xfe end");
    FIX_SET(a.app_proto, "<img src=x onerror=alert(1)>");
    FIX_SET(a.verdict.asset_src, "a\"b'c");
    assert_int_equal(ow_store_add_flow(st, run, &a), 0);
    end_run(st, run, 0, 0, 0);
    ow_store_close(st);

    json_t *r = report(d->db, 0, 0, 0, 0);
    size_t len;
    char *html = render_html(r, &len);
    assert_null(strstr(html, "<script"));
    assert_null(strstr(html, "<img"));
    assert_null(strstr(html, "li_unauthorized\"><b>"));
    /* Identifiers may break after '_' (<wbr>), never inside a word. */
    assert_non_null(strstr(html, "li_<wbr>unauthorized&quot;&gt;&lt;b&gt;"));
    assert_non_null(strstr(html, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    assert_non_null(strstr(html, " &amp; "));
    assert_non_null(strstr(html, "a&quot;b&#39;c"));
    for (size_t i = 0; i < len; i++)
        assert_true((unsigned char)html[i] >= 0x20 || html[i] == '\n');
    char *copy = malloc(len * 3 + 1);
    assert_non_null(copy);
    ow_utf8_sanitize(copy, len * 3 + 1, html, len);
    assert_string_equal(copy, html);          /* already valid UTF-8 */
    /* Printable: A4 page rule, no scripts, the conclusion stated. */
    assert_non_null(strstr(html, "@page{size:A4"));
    assert_non_null(strstr(html, "Anomalies found"));
    /* Page numbers, the disposition of the untriaged alert, and the sign-off block. */
    assert_non_null(strstr(html, "counter(page)"));
    assert_non_null(strstr(html, "<th>Disposition</th>"));
    assert_non_null(strstr(html, "disp-open\">open</span>"));
    assert_non_null(strstr(html, "<th>Name</th><th>Role</th><th>Date</th><th>Signature</th>"));
    free(copy);
    free(html);
    json_decref(r);
}

static void test_html_escape_function(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    ow_html_escape(f, "<a href=\"x\">&'\x01\x7f\xc3\xa9\xc3", 100);
    fclose(f);
    assert_string_equal(buf, "&lt;a href=&quot;x&quot;&gt;&amp;&#39;\xEF\xBF\xBD\xEF\xBF\xBD"
                             "\xc3\xa9\xEF\xBF\xBD");
    free(buf);
    /* Bounded by len even without a NUL. */
    f = open_memstream(&buf, &len);
    assert_non_null(f);
    ow_html_escape(f, "abcdef", 3);
    fclose(f);
    assert_string_equal(buf, "abc");
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup_dir, teardown_dir)
        T(test_clean_authorized_only),
        T(test_anomaly),
        T(test_drops_and_gaps),
        T(test_unended_run),
        T(test_no_runs),
        T(test_unwatched_stretch),
        T(test_tampered_store_is_not_proof),
        T(test_no_policy_and_no_packets),
        T(test_html_escapes_hostile_strings),
        cmocka_unit_test(test_html_escape_function),
#undef T
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    seal_close();
    if (keys_dir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%.*s'", (int)(strlen(keys_dir) - 2), keys_dir);
        if (system(cmd) != 0)
            rc = 1;
    }
    return rc;
}
