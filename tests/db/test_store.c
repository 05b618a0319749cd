/* test_store.c — the evidence store: migrations, pragmas, refusing foreign files, the
 * writer's rows (flows, alerts, rule hits, runs) and reading them back as EVE lines and
 * tables, including hostile strings and hostile rows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "db/migrations.h"
#include "sensor/cli_tables.h"
#include "db/bulk_indexes.h"
#include "db/listing.h"
#include "db/triage.h"
#include "common/anomaly_kinds.h"
#include "db/query_filter.h"
#include "db/store.h"
#include "store_fixtures.h"

/* ---- helpers ------------------------------------------------------------------------- */

static int64_t new_run(struct ow_store *st)
{
    struct ow_run_info info = {
        .kind = "replay", .source = "a.pcap", .source_sha256 = "00ff", .site = "dc1-om",
        .policy_sha256 = "abcd", .version = "test", .threads = 2, .started_wall_us = 42,
    };
    int64_t run = ow_store_begin_run(st, &info);
    assert_true(run > 0);
    return run;
}

static long long query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    long long v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

static void query_text(sqlite3 *db, const char *sql, char *out, size_t outlen)
{
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    const unsigned char *t = sqlite3_column_text(s, 0);
    snprintf(out, outlen, "%s", t ? (const char *)t : "");
    sqlite3_finalize(s);
}

/* Captured output of a print call. */
struct capture {
    char *buf;
    size_t len;
    FILE *f;
};

static void capture_begin(struct capture *c)
{
    c->buf = NULL;
    c->len = 0;
    c->f = open_memstream(&c->buf, &c->len);
    assert_non_null(c->f);
}

static void capture_end(struct capture *c)
{
    fclose(c->f);
}

/* Splits captured JSON lines and parses each; returns how many, stores up to max. */
static size_t parse_lines(const char *text, json_t **out, size_t max)
{
    size_t n = 0;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        assert_non_null(nl);                     /* every line ends in '\n' */
        for (const char *q = p; q < nl; q++)     /* ENSURE_ASCII: printable ASCII only */
            assert_true(*q >= 0x20 && *q < 0x7f);
        json_error_t jerr;
        json_t *j = json_loadb(p, (size_t)(nl - p), 0, &jerr);
        if (!j)
            fail_msg("bad JSON line: %s: %.*s", jerr.text, (int)(nl - p), p);
        if (n < max)
            out[n] = j;
        else
            json_decref(j);
        n++;
        p = nl + 1;
    }
    return n;
}

static const char *jstr(json_t *obj, const char *path1, const char *path2)
{
    json_t *v = json_object_get(obj, path1);
    if (path2)
        v = json_object_get(v, path2);
    const char *s = json_string_value(v);
    if (!s)
        fail_msg("missing string %s%s%s", path1, path2 ? "." : "", path2 ? path2 : "");
    return s;
}

static void free_lines(json_t **lines, size_t n)
{
    for (size_t i = 0; i < n; i++)
        json_decref(lines[i]);
}

/* ---- schema and opening -------------------------------------------------------------- */

static void test_fresh_store_and_reopen(void **state)
{
    struct fixture_dir *d = *state;
    struct ow_store *st = open_store(d->db);
    assert_int_equal(ow_store_schema_version(st), ow_migrations_latest());
    sqlite3 *db = ow_store_handle(st);
    static const char *const objects[] = {
        "runs", "flows", "alerts", "rule_hits", "flows_run", "flows_first_ts",
        "flows_verdict", "flows_community_id", "alerts_ts", "alerts_severity", "alerts_kind",
    };
    for (size_t i = 0; i < sizeof objects / sizeof objects[0]; i++) {
        char sql[160];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM sqlite_schema WHERE name = '%s'",
                 objects[i]);
        if (query_int(db, sql) != 1)
            fail_msg("schema object %s missing", objects[i]);
    }
    assert_int_equal(query_int(db, "PRAGMA application_id"), OW_STORE_APPLICATION_ID);
    int64_t run = new_run(st);
    struct ow_flow_record r;
    fixture_flow(&r, 1, "10.20.1.5", 40000, "10.30.0.10", 22, 0);
    assert_int_equal(ow_store_add_flow(st, run, &r), 0);
    ow_store_close(st);

    /* Re-opening migrates nothing and keeps the rows. */
    st = open_store(d->db);
    assert_int_equal(ow_store_schema_version(st), ow_migrations_latest());
    assert_int_equal(query_int(ow_store_handle(st), "SELECT count(*) FROM flows"), 1);
    assert_int_equal(query_int(ow_store_handle(st), "SELECT count(*) FROM runs"), 1);
    ow_store_close(st);
}

/* A replay at least as big as the store drops the deferrable flow indexes and builds them at
 * its end; a smaller one keeps them; a writer opening a store that lost them (a replay that
 * died) builds them again, and the queries answer the same meanwhile. */
static void test_bulk_indexes(void **state)
{
    struct fixture_dir *d = *state;
    const char *count = "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name IN "
                        "('flows_community_id', 'flows_first_ts', 'flows_verdict')";
    struct ow_store *st = open_store(d->db);
    int64_t run = new_run(st);
    struct ow_flow_record r;
    for (uint64_t i = 1; i <= 3; i++) {
        fixture_flow(&r, i, "10.20.1.5", (uint16_t)(40000 + i), "10.30.0.10", 22, (unsigned)i);
        assert_int_equal(ow_store_add_flow(st, run, &r), 0);
    }
    assert_int_equal(query_int(ow_store_handle(st), count), 3);
    assert_int_equal(ow_bulk_indexes_defer(st, 2), 0);      /* smaller than the store: kept */
    assert_int_equal(query_int(ow_store_handle(st), count), 3);
    assert_int_equal(ow_bulk_indexes_defer(st, 3), 1);
    assert_int_equal(query_int(ow_store_handle(st), count), 0);
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM flows WHERE community_id = '%s'",
             r.community_id);
    assert_int_equal(query_int(ow_store_handle(st), sql), 1);
    ow_store_close(st);                     /* as if the replay died here */
    st = open_store(d->db);
    assert_int_equal(query_int(ow_store_handle(st), count), 3);
    assert_int_equal(query_int(ow_store_handle(st), sql), 1);
    assert_int_equal(ow_bulk_indexes_defer(st, 1000), 1);
    assert_int_equal(ow_bulk_indexes_build(st), 0);
    assert_int_equal(query_int(ow_store_handle(st), count), 3);
    assert_int_equal(ow_bulk_indexes_build(st), 0);         /* nothing missing: nothing done */
    ow_store_close(st);
}

static void test_pragmas(void **state)
{
    struct fixture_dir *d = *state;
    struct ow_store *st = open_store(d->db);
    sqlite3 *db = ow_store_handle(st);
    char mode[16];
    query_text(db, "PRAGMA journal_mode", mode, sizeof mode);
    assert_string_equal(mode, "wal");
    assert_int_equal(query_int(db, "PRAGMA synchronous"), 2);      /* FULL */
    assert_int_equal(query_int(db, "PRAGMA foreign_keys"), 1);
    assert_true(query_int(db, "PRAGMA busy_timeout") > 0);
    /* A flow of a run that does not exist breaks a foreign key: refused. */
    struct ow_flow_record r;
    fixture_flow(&r, 1, "10.0.0.1", 1, "10.0.0.2", 2, 0);
    assert_int_equal(ow_store_add_flow(st, 999, &r), -1);
    assert_non_null(strstr(ow_store_errmsg(st), "FOREIGN KEY"));
    ow_store_close(st);
}

static void write_file(const char *path, const char *bytes, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, len, f), len);
    fclose(f);
}

static void test_not_sqlite_file(void **state)
{
    struct fixture_dir *d = *state;
    char junk[4096];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (char)("not a database, just text\n"[i % 26]);
    write_file(d->db, junk, sizeof junk);

    char err[256] = "";
    assert_null(ow_store_open(d->db, err, sizeof err));
    assert_non_null(strstr(err, d->db));
    assert_non_null(strstr(err, "not a database"));
    assert_null(strchr(err, '\n'));

    err[0] = '\0';
    assert_null(ow_store_open_readonly(d->db, err, sizeof err));
    assert_non_null(strstr(err, d->db));

    /* The file is left exactly as it was. */
    FILE *f = fopen(d->db, "rb");
    char back[sizeof junk];
    assert_int_equal(fread(back, 1, sizeof back, f), sizeof back);
    fclose(f);
    assert_memory_equal(back, junk, sizeof junk);
}

static void test_foreign_sqlite_file(void **state)
{
    struct fixture_dir *d = *state;
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(d->db, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE contacts(name TEXT)", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);

    char err[256] = "";
    assert_null(ow_store_open(d->db, err, sizeof err));
    assert_non_null(strstr(err, "not an omwitness evidence store"));
    err[0] = '\0';
    assert_null(ow_store_open_readonly(d->db, err, sizeof err));
    assert_non_null(strstr(err, "not an omwitness evidence store"));

    /* Untouched: still in rollback-journal mode, no tables of ours. */
    assert_int_equal(sqlite3_open(d->db, &db), SQLITE_OK);
    char mode[16];
    query_text(db, "PRAGMA journal_mode", mode, sizeof mode);
    assert_string_equal(mode, "delete");
    assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'flows'"), 0);
    sqlite3_close(db);
}

static void test_newer_schema_refused(void **state)
{
    struct fixture_dir *d = *state;
    ow_store_close(open_store(d->db));
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(d->db, &db), SQLITE_OK);
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", ow_migrations_latest() + 1);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    char err[256] = "";
    assert_null(ow_store_open(d->db, err, sizeof err));
    assert_non_null(strstr(err, "newer"));
    err[0] = '\0';
    assert_null(ow_store_open_readonly(d->db, err, sizeof err));
    assert_non_null(strstr(err, "newer"));
}

static void test_readonly_absent_file(void **state)
{
    struct fixture_dir *d = *state;
    char err[256] = "";
    assert_null(ow_store_open_readonly(d->db, err, sizeof err));
    assert_non_null(strstr(err, d->db));
    struct stat sb;
    assert_int_equal(stat(d->db, &sb), -1);     /* never created */
    assert_null(ow_store_open_readonly(d->dir, err, sizeof err));
    assert_non_null(strstr(err, "not a regular file"));
}

static void test_readonly_cannot_write(void **state)
{
    struct fixture_dir *d = *state;
    struct ow_store *w = open_store(d->db);
    int64_t run = new_run(w);
    ow_store_close(w);

    char err[256] = "";
    struct ow_store *ro = ow_store_open_readonly(d->db, err, sizeof err);
    assert_non_null(ro);
    assert_int_equal(ow_store_schema_version(ro), ow_migrations_latest());
    struct ow_run_info info = { .kind = "replay", .source = "x" };
    assert_int_equal(ow_store_begin_run(ro, &info), -1);
    assert_int_equal(ow_store_begin_batch(ro), -1);
    struct ow_flow_record r;
    fixture_flow(&r, 1, "10.0.0.1", 1, "10.0.0.2", 2, 0);
    assert_int_equal(ow_store_add_flow(ro, run, &r), -1);
    /* Not even raw SQL on the handle gets through. */
    assert_int_not_equal(sqlite3_exec(ow_store_handle(ro),
                                      "INSERT INTO rule_hits VALUES (1, 'x', 1)", NULL, NULL, NULL),
                         SQLITE_OK);
    assert_int_equal(query_int(ow_store_handle(ro), "SELECT count(*) FROM rule_hits"), 0);
    ow_store_close(ro);
}

/* ---- writing and reading back -------------------------------------------------------- */

static const char nasty_ua[] = "Mozilla \"quoted\" back\\slash\nnew line\ttab <script>alert(1)</script>";
static const char nasty_sni[] = "bad\xff\xfe utf8 \xc3\x28 and \xe2\x82 cut";
static const char nasty_ssh[] = "SSH-2.0-\x1b[31mred\x1b[0m\r\n";

static void test_roundtrip_nasty_strings(void **state)
{
    struct fixture_dir *d = *state;
    struct ow_store *st = open_store(d->db);
    int64_t run = new_run(st);

    struct ow_flow_record a, b, c;
    /* Inserted out of time order: b starts first. */
    fixture_flow(&a, 777, "10.20.1.5", 40000, "10.30.0.10", 22, 20);
    FIX_SET(a.http_user_agent, nasty_ua);
    FIX_SET(a.tls_sni, nasty_sni);
    FIX_SET(a.ssh_client, nasty_ssh);
    FIX_SET(a.dns_query, "<img src=x onerror=alert(1)>");
    a.ndpi_risk = (1ull << 18) | (1ull << 36);
    a.verdict.status = OW_VERDICT_AUTHORIZED;
    FIX_SET(a.verdict.rule, "chg-2026-0142");

    fixture_flow(&b, 555, "fd00:20::1", 50000, "fd00:20::2", 9999, 5);
    b.li.label = OW_LI_X2;
    b.li.pdu_count = 3;
    FIX_SET(b.li.xid, "5b3a7f9e-1c2d-4e5f-8a9b-0c1d2e3f4a5b");
    FIX_SET(b.app_proto, "X2");
    b.verdict.status = OW_VERDICT_OUT_OF_SCOPE;

    fixture_flow(&c, 999, "10.20.1.6", 1234, "10.20.1.7", 161, 30);
    c.l4_proto = 17;
    c.verdict.status = OW_VERDICT_UNEVALUATED;

    assert_int_equal(ow_store_begin_batch(st), 0);
    assert_int_equal(ow_store_add_flow(st, run, &a), 0);
    assert_int_equal(ow_store_add_flow(st, run, &b), 0);
    assert_int_equal(ow_store_add_flow(st, run, &c), 0);
    assert_int_equal(ow_store_commit_batch(st), 0);
    ow_store_close(st);

    char err[256];
    struct ow_store *ro = ow_store_open_readonly(d->db, err, sizeof err);
    assert_non_null(ro);
    struct capture cap;
    capture_begin(&cap);
    assert_int_equal(ow_store_print_flows(ro, cap.f, OW_FMT_JSONL, NULL), 3);
    capture_end(&cap);

    json_t *lines[3];
    assert_int_equal(parse_lines(cap.buf, lines, 3), 3);
    /* Ordered by first_ts: b, a, c. */
    assert_int_equal(json_integer_value(json_object_get(lines[0], "flow_id")), 555);
    assert_int_equal(json_integer_value(json_object_get(lines[1], "flow_id")), 777);
    assert_int_equal(json_integer_value(json_object_get(lines[2], "flow_id")), 999);

    json_t *ja = lines[1];
    assert_string_equal(jstr(ja, "event_type", NULL), "flow");
    assert_string_equal(jstr(ja, "http", "http_user_agent"), nasty_ua);   /* exact round trip */
    assert_string_equal(jstr(json_array_get(json_object_get(json_object_get(ja, "dns"),
                                                            "queries"), 0), "rrname", NULL),
                        "<img src=x onerror=alert(1)>");
    /* Controls kept, escaped; the banner split as Suricata splits it. */
    assert_string_equal(jstr(json_object_get(ja, "ssh"), "client", "proto_version"), "2.0");
    assert_string_equal(jstr(json_object_get(ja, "ssh"), "client", "software_version"),
                        nasty_ssh + 8);
    assert_string_equal(jstr(ja, "tls", "sni"),
                        "bad\xEF\xBF\xBD\xEF\xBF\xBD utf8 \xEF\xBF\xBD( and "
                        "\xEF\xBF\xBD\xEF\xBF\xBD cut");
    assert_string_equal(jstr(ja, "community_id", NULL), a.community_id);
    assert_string_equal(jstr(ja, "src_ip", NULL), "10.20.1.5");
    assert_int_equal(json_integer_value(json_object_get(ja, "src_port")), 40000);
    assert_string_equal(jstr(ja, "dest_ip", NULL), "10.30.0.10");
    assert_int_equal(json_integer_value(json_object_get(ja, "dest_port")), 22);
    assert_string_equal(jstr(ja, "proto", NULL), "TCP");
    assert_string_equal(jstr(ja, "timestamp", NULL), "2026-02-10T05:30:20.123456+0000");
    assert_string_equal(jstr(ja, "flow", "start"), "2026-02-10T05:30:20.123456+0000");
    assert_string_equal(jstr(ja, "flow", "end"), "2026-02-10T05:30:22.623456+0000");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(ja, "flow"),
                                                        "bytes_toclient")), 9000);
    assert_string_equal(jstr(ja, "verdict", "status"), "authorized");
    assert_string_equal(jstr(ja, "verdict", "rule"), "chg-2026-0142");
    json_t *risks = json_object_get(json_object_get(ja, "ndpi"), "risks");
    assert_int_equal(json_array_size(risks), 2);
    assert_string_equal(json_string_value(json_array_get(risks, 0)),
                        "SSH Obsolete Client Version/Cipher");
    assert_string_equal(json_string_value(json_array_get(risks, 1)), "Clear-Text Credentials");
    assert_null(json_object_get(ja, "li"));

    json_t *jb = lines[0];
    assert_string_equal(jstr(jb, "src_ip", NULL), "fd00:20::1");
    assert_string_equal(jstr(jb, "li", "interface"), "X2");
    assert_string_equal(jstr(jb, "li", "xid"), "5b3a7f9e-1c2d-4e5f-8a9b-0c1d2e3f4a5b");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(jb, "li"), "pdu_count")), 3);
    assert_string_equal(jstr(jb, "app_proto", NULL), "X2");
    assert_string_equal(jstr(jb, "verdict", "status"), "out_of_scope");
    assert_null(json_object_get(jb, "http"));
    assert_null(json_object_get(jb, "tls"));

    assert_string_equal(jstr(lines[2], "proto", NULL), "UDP");
    free_lines(lines, 3);
    free(cap.buf);

    /* The verdict filter. */
    capture_begin(&cap);
    assert_int_equal(ow_store_print_flows(ro, cap.f, OW_FMT_JSONL, "authorized"), 1);
    capture_end(&cap);
    assert_int_equal(parse_lines(cap.buf, lines, 1), 1);
    assert_int_equal(json_integer_value(json_object_get(lines[0], "flow_id")), 777);
    free_lines(lines, 1);
    free(cap.buf);
    capture_begin(&cap);
    assert_int_equal(ow_store_print_flows(ro, cap.f, OW_FMT_JSONL, "bogus'; DROP TABLE flows"), -1);
    capture_end(&cap);
    assert_non_null(strstr(ow_store_errmsg(ro), "unknown verdict"));
    free(cap.buf);

    /* The table: one header, one line per flow, nothing a terminal would interpret. */
    capture_begin(&cap);
    assert_int_equal(ow_store_print_flows(ro, cap.f, OW_FMT_TABLE, NULL), 3);
    capture_end(&cap);
    size_t nl = 0;
    for (size_t i = 0; i < cap.len; i++) {
        unsigned char ch = (unsigned char)cap.buf[i];
        if (ch == '\n')
            nl++;
        else
            assert_true(ch >= 0x20 && ch < 0x7f);
    }
    assert_int_equal(nl, 4);
    assert_non_null(strstr(cap.buf, "[fd00:20::1]:50000"));
    assert_non_null(strstr(cap.buf, "authorized:chg-2026-0142"));
    free(cap.buf);
    ow_store_close(ro);
}

/* The alerts table keeps readable UTF-8 ("→" in reasons) but shows every control character,
 * ESC sequence, C1 control and bidirectional override as '?', and invalid bytes as U+FFFD. */
static void test_table_terminal_safety(void **state)
{
    struct fixture_dir *d = *state;
    struct ow_store *st = open_store(d->db);
    int64_t run = new_run(st);
    struct ow_flow_record a;
    fixture_flow(&a, 21, "10.99.0.7", 52000, "10.20.1.11", 22, 100);
    a.verdict.status = OW_VERDICT_ANOMALY;
    a.verdict.severity = OW_SEV_HIGH;
    FIX_SET(a.verdict.kind, "vendor_unauthorized");
    FIX_SET(a.verdict.reason, "acme-jump \xe2\x86\x92 ne-core \x1b[31mred\x1b[0m \xe2\x80\xae" "evil "
                              "\xc2\x9b" "2J bad\xff end");
    assert_int_equal(ow_store_add_flow(st, run, &a), 0);
    ow_store_close(st);

    char err[256];
    struct ow_store *ro = ow_store_open_readonly(d->db, err, sizeof err);
    assert_non_null(ro);
    struct capture cap;
    int64_t last = 0;
    capture_begin(&cap);
    assert_int_equal(ow_store_print_alerts(ro, cap.f, OW_FMT_TABLE, 0, &last), 1);
    capture_end(&cap);
    assert_non_null(strstr(cap.buf, "acme-jump \xe2\x86\x92 ne-core ?[31mred?[0m ?evil ?2J bad\xef\xbf\xbd end"));
    assert_null(memchr(cap.buf, 0x1b, cap.len));
    assert_null(strstr(cap.buf, "\xe2\x80\xae"));
    assert_null(strstr(cap.buf, "\xc2\x9b"));
    free(cap.buf);
    ow_store_close(ro);
}

static void test_anomaly_raises_alert(void **state)
{
    struct fixture_dir *d = *state;
    struct ow_store *st = open_store(d->db);
    int64_t run = new_run(st);

    struct ow_flow_record anomaly, overrun, fine;
    fixture_flow(&anomaly, 10, "10.99.0.7", 51000, "10.30.0.5", 443, 100);
    anomaly.verdict.status = OW_VERDICT_ANOMALY;
    anomaly.verdict.severity = OW_SEV_CRITICAL;
    FIX_SET(anomaly.verdict.kind, "li_unauthorized");
    FIX_SET(anomaly.verdict.rule, "x1-admf");
    FIX_SET(anomaly.verdict.reason, "expected only li-admf to reach X1, saw acme-jump \"<b>\"");
    FIX_SET(anomaly.verdict.asset_src, "acme-jump");
    FIX_SET(anomaly.verdict.asset_dest, "li-admf");
    anomaly.ndpi_risk = 1ull << 6;

    fixture_flow(&overrun, 11, "10.99.0.7", 51001, "10.20.1.9", 22, 200);
    overrun.verdict.status = OW_VERDICT_AUTHORIZED;
    overrun.verdict.overrun = 1;
    FIX_SET(overrun.verdict.rule, "chg-2026-0142");
    FIX_SET(overrun.verdict.ticket, "CHG-2026-0142");

    fixture_flow(&fine, 12, "10.30.1.2", 5000, "10.20.1.9", 161, 300);
    fine.verdict.status = OW_VERDICT_AUTHORIZED;
    FIX_SET(fine.verdict.rule, "snmp-poll");

    struct ow_stored_flow ids[3];
    assert_int_equal(ow_store_begin_batch(st), 0);
    assert_int_equal(ow_store_add_flow_ids(st, run, &anomaly, &ids[0]), 0);
    assert_int_equal(ow_store_add_flow_ids(st, run, &overrun, &ids[1]), 0);
    assert_int_equal(ow_store_add_flow_ids(st, run, &fine, &ids[2]), 0);
    assert_int_equal(ow_store_commit_batch(st), 0);
    assert_true(ids[0].alert_id > 0 && ids[0].overrun_alert_id == 0);
    assert_true(ids[1].alert_id == 0 && ids[1].overrun_alert_id > ids[0].alert_id);
    assert_true(ids[2].alert_id == 0 && ids[2].overrun_alert_id == 0);

    sqlite3 *db = ow_store_handle(st);
    assert_int_equal(query_int(db, "SELECT count(*) FROM alerts"), 2);
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT flow_row FROM alerts WHERE id = %lld",
             (long long)ids[0].alert_id);
    assert_int_equal(query_int(db, sql), ids[0].flow_row);
    char kind[64];
    snprintf(sql, sizeof sql, "SELECT kind || '/' || severity FROM alerts WHERE id = %lld",
             (long long)ids[1].overrun_alert_id);
    query_text(db, sql, kind, sizeof kind);
    assert_string_equal(kind, "maintenance_overrun/medium");
    ow_store_close(st);

    char err[256];
    struct ow_store *ro = ow_store_open_readonly(d->db, err, sizeof err);
    assert_non_null(ro);
    int64_t last = 0;
    struct capture cap;
    capture_begin(&cap);
    assert_int_equal(ow_store_print_alerts(ro, cap.f, OW_FMT_JSONL, 0, &last), 2);
    capture_end(&cap);
    assert_int_equal(last, ids[1].overrun_alert_id);
    json_t *lines[2];
    assert_int_equal(parse_lines(cap.buf, lines, 2), 2);
    json_t *j = lines[0];
    assert_string_equal(jstr(j, "event_type", NULL), "alert");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "alert"), "id")),
                     ids[0].alert_id);
    assert_string_equal(jstr(j, "alert", "kind"), "li_unauthorized");
    assert_string_equal(jstr(j, "alert", "severity_name"), "critical");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "alert"), "severity")), 1);
    assert_string_equal(jstr(j, "alert", "rule"), "x1-admf");
    assert_string_equal(jstr(j, "alert", "reason"), anomaly.verdict.reason);
    assert_string_equal(jstr(j, "assets", "src"), "acme-jump");
    assert_string_equal(jstr(j, "assets", "dest"), "li-admf");
    assert_string_equal(jstr(j, "src_ip", NULL), "10.99.0.7");
    assert_int_equal(json_integer_value(json_object_get(j, "flow_id")), 10);
    assert_string_equal(json_string_value(json_array_get(
                            json_object_get(json_object_get(j, "ndpi"), "risks"), 0)),
                        "Self-signed Certificate");
    assert_string_equal(jstr(lines[1], "alert", "kind"), "maintenance_overrun");
    assert_string_equal(jstr(lines[1], "alert", "severity_name"), "medium");
    assert_non_null(strstr(jstr(lines[1], "alert", "reason"), "CHG-2026-0142"));
    free_lines(lines, 2);
    free(cap.buf);

    /* Polling again prints nothing new; a new alert appears on the next poll. */
    capture_begin(&cap);
    assert_int_equal(ow_store_print_alerts(ro, cap.f, OW_FMT_JSONL, 0, &last), 0);
    capture_end(&cap);
    assert_int_equal(cap.len, 0);
    free(cap.buf);

    st = open_store(d->db);
    struct ow_flow_record later = anomaly;
    later.flow_id = 13;
    later.first_ts_us += 3600u * 1000000u;
    FIX_SET(later.verdict.kind, "unlisted_flow");
    later.verdict.severity = OW_SEV_MEDIUM;
    assert_int_equal(ow_store_add_flow(st, run, &later), 0);
    ow_store_close(st);

    capture_begin(&cap);
    assert_int_equal(ow_store_print_alerts(ro, cap.f, OW_FMT_JSONL, 0, &last), 1);
    capture_end(&cap);
    assert_int_equal(parse_lines(cap.buf, lines, 1), 1);
    assert_string_equal(jstr(lines[0], "alert", "kind"), "unlisted_flow");
    free_lines(lines, 1);
    free(cap.buf);

    /* --since: only alerts whose flow started at or after it. */
    int64_t from_start = 0;
    capture_begin(&cap);
    assert_int_equal(ow_store_print_alerts(ro, cap.f, OW_FMT_TABLE, later.first_ts_us,
                                           &from_start), 1);
    capture_end(&cap);
    assert_non_null(strstr(cap.buf, "unlisted_flow"));
    assert_null(strstr(cap.buf, "li_unauthorized"));
    assert_non_null(strstr(cap.buf, "SEVERITY"));
    free(cap.buf);
    /* A later poll of the table prints neither rows nor the header again. */
    capture_begin(&cap);
    assert_int_equal(ow_store_print_alerts(ro, cap.f, OW_FMT_TABLE, 0, &from_start), 0);
    capture_end(&cap);
    assert_int_equal(cap.len, 0);
    free(cap.buf);

    /* get_alert gives the flow with the alert's verdict. */
    struct ow_flow_record got;
    int64_t flow_row = 0;
    assert_int_equal(ow_store_get_alert(ro, ids[1].overrun_alert_id, &got, &flow_row), 0);
    assert_int_equal(flow_row, ids[1].flow_row);
    assert_string_equal(got.verdict.kind, "maintenance_overrun");
    assert_int_equal(got.flow_id, 11);
    assert_int_equal(ow_store_get_alert(ro, 424242, &got, NULL), 1);
    ow_store_close(ro);
}

static void test_rule_hits(void **state)
{
    struct fixture_dir *d = *state;
    struct ow_store *st = open_store(d->db);
    int64_t run1 = new_run(st), run2 = new_run(st);
    static const char *const rules[] = { "x2-iri", "snmp-poll", "x2-iri", "x2-iri", "" };
    assert_int_equal(ow_store_begin_batch(st), 0);
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        struct ow_flow_record r;
        fixture_flow(&r, 100 + i, "10.20.1.5", (uint16_t)(40000 + i), "10.30.0.10", 9999, (unsigned)i);
        r.verdict.status = OW_VERDICT_AUTHORIZED;
        FIX_SET(r.verdict.rule, rules[i]);
        assert_int_equal(ow_store_add_flow(st, run1, &r), 0);
    }
    /* Anomalies name their nearest rule but are not hits. */
    struct ow_flow_record miss;
    fixture_flow(&miss, 200, "10.99.0.1", 1, "10.30.0.10", 9999, 9);
    miss.verdict.status = OW_VERDICT_ANOMALY;
    FIX_SET(miss.verdict.rule, "x2-iri");
    assert_int_equal(ow_store_add_flow(st, run1, &miss), 0);
    struct ow_flow_record other;
    fixture_flow(&other, 300, "10.20.1.5", 2, "10.30.0.10", 9999, 10);
    other.verdict.status = OW_VERDICT_AUTHORIZED;
    FIX_SET(other.verdict.rule, "x2-iri");
    assert_int_equal(ow_store_add_flow(st, run2, &other), 0);
    assert_int_equal(ow_store_commit_batch(st), 0);

    sqlite3 *db = ow_store_handle(st);
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT hits FROM rule_hits WHERE run_id = %lld AND rule_id = 'x2-iri'",
             (long long)run1);
    assert_int_equal(query_int(db, sql), 3);
    snprintf(sql, sizeof sql, "SELECT hits FROM rule_hits WHERE run_id = %lld AND rule_id = 'snmp-poll'",
             (long long)run1);
    assert_int_equal(query_int(db, sql), 1);
    snprintf(sql, sizeof sql, "SELECT hits FROM rule_hits WHERE run_id = %lld", (long long)run2);
    assert_int_equal(query_int(db, sql), 1);
    assert_int_equal(query_int(db, "SELECT count(*) FROM rule_hits"), 3);
    ow_store_close(st);
}

static void test_runs_and_batches(void **state)
{
    struct fixture_dir *d = *state;
    struct ow_store *st = open_store(d->db);
    int64_t run = new_run(st);
    struct ow_run_stats stats = {
        .first_ts_us = FIXTURE_T0_US, .last_ts_us = FIXTURE_T0_US + 5, .packets = 1000,
        .bytes = 99999, .packets_malformed = 3, .packets_not_ip = 4, .kernel_drops = 5,
        .internal_drops = 6, .flows = 7, .flows_evicted = 8, .gaps = 9, .clean_end = 1,
    };
    assert_int_equal(ow_store_end_run(st, run, &stats), 0);
    assert_int_equal(ow_store_end_run(st, run + 50, &stats), -1);
    sqlite3 *db = ow_store_handle(st);
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT packets + kernel_drops * 10000 + gaps * 100000 + clean_end "
                              "* 1000000 FROM runs WHERE id = %lld AND ended_wall > started_wall",
             (long long)run);
    assert_int_equal(query_int(db, sql), 1000 + 50000 + 900000 + 1000000);

    /* Batch misuse is an error, not a crash; a rolled-back batch leaves nothing. */
    assert_int_equal(ow_store_commit_batch(st), -1);
    assert_int_equal(ow_store_begin_batch(st), 0);
    assert_int_equal(ow_store_begin_batch(st), -1);
    struct ow_flow_record r;
    fixture_flow(&r, 1, "10.0.0.1", 1, "10.0.0.2", 2, 0);
    assert_int_equal(ow_store_add_flow(st, run, &r), 0);
    ow_store_close(st);                              /* closing mid-batch rolls back */
    st = open_store(d->db);
    assert_int_equal(query_int(ow_store_handle(st), "SELECT count(*) FROM flows"), 0);
    ow_store_close(st);
}

/* Every field of a record survives the store: written, read back, identical bytes. */
static void test_record_roundtrip_exact(void **state)
{
    struct fixture_dir *d = *state;
    struct ow_store *st = open_store(d->db);
    int64_t run = new_run(st);
    struct ow_flow_record r, back;
    fixture_flow(&r, (1ull << 53) - 3, "fd00:20::1:2", 65535, "fd00:20::ffff", 1, 7);
    r.l4_proto = 132;
    r.end_reason = OW_END_EVICTED;
    r.vlan_id = 4094;
    r.tunnels = 0x5;
    r.icmp_type = 3;
    r.icmp_code = 13;
    r.slice = 4000000000u;
    r.pkts_toserver = (uint64_t)INT64_MAX;
    r.later_fragments = 17;
    r.ndpi_risk = 0x8000020000040001ull;         /* bit 63 too: stored as the same 64 bits */
    FIX_SET(r.ndpi_master, "TLS");
    FIX_SET(r.ndpi_protocol, "TLS.Google");
    FIX_SET(r.ssh_server, "SSH-2.0-dropbear");
    FIX_SET(r.hassh_client, "21B457A327CE7A2D4FCE5EF2C42400BD");
    FIX_SET(r.ja3, "0123456789abcdef0123456789abcdef");
    FIX_SET(r.ja3s, "fedcba9876543210fedcba9876543210");
    FIX_SET(r.tls_version, "TLSv1.2");
    FIX_SET(r.http_host, "ne-core.example");
    r.li.label = OW_LI_HI3;
    r.li.confidence = 90;
    FIX_SET(r.li.liid, "LIID-\xff\x01");
    FIX_SET(r.li.target, "tel:+15550100");
    r.li.payload_format = 9;
    r.li.pdu_count = 123456;
    r.verdict.status = OW_VERDICT_ANOMALY;
    r.verdict.severity = OW_SEV_HIGH;
    r.verdict.overrun = 1;
    FIX_SET(r.verdict.ticket, "CHG-1");
    FIX_SET(r.verdict.kind, "egress_external");
    FIX_SET(r.verdict.reason, "expected nothing, saw everything");
    FIX_SET(r.verdict.asset_src, "ne-core");
    FIX_SET(r.verdict.asset_dest, "");

    /* Read back as an ended flow (state closed) that alerted. */
    r.state = OW_STATE_CLOSED;
    r.alerted = 1;
    struct ow_stored_flow ids;
    assert_int_equal(ow_store_add_flow_ids(st, run, &r, &ids), 0);
    memset(&back, 0xAA, sizeof back);
    assert_int_equal(ow_store_get_flow(st, ids.flow_row, &back), 0);
    assert_memory_equal(&back, &r, sizeof r);
    assert_int_equal(ow_store_get_flow(st, ids.flow_row + 100, &back), 1);
    ow_store_close(st);
}

/* Several processes opening the same new file at once: one migrates, the others wait for
 * its lock, see the new version and carry on. */
static void test_concurrent_first_open(void **state)
{
    struct fixture_dir *d = *state;
    enum { PROCS = 4 };
    pid_t pids[PROCS];
    for (int i = 0; i < PROCS; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            char err[256];
            struct ow_store *st = ow_store_open(d->db, err, sizeof err);
            if (!st) {
                fprintf(stderr, "child %d: %s\n", i, err);
                _exit(1);
            }
            struct ow_run_info info = { .kind = "replay", .source = "child" };
            int ok = ow_store_begin_run(st, &info) > 0;
            if (!ok) fprintf(stderr, "child %d: %s\n", i, ow_store_errmsg(st));
            ow_store_close(st);
            _exit(ok ? 0 : 2);
        }
    }
    for (int i = 0; i < PROCS; i++) {
        int status = 0;
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    struct ow_store *st = open_store(d->db);
    assert_int_equal(ow_store_schema_version(st), ow_migrations_latest());
    assert_int_equal(query_int(ow_store_handle(st), "SELECT count(*) FROM runs"), PROCS);
    ow_store_close(st);
}

static bool file_exists(const char *path)
{
    struct stat sb;
    return lstat(path, &sb) == 0;
}

static void put_file(const char *path)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("half a store", f);
    fclose(f);
}

/* A new store is built under PATH.creating-PID and moved into place whole, so a kill while
 * it is made never leaves an empty or half-made file at PATH (verify would call it not a
 * store). What a killed creator left is removed by the next one; a running creator's
 * temporary file, and names that are not a creator's, are left alone. */
static void test_store_made_whole(void **state)
{
    struct fixture_dir *d = *state;
    pid_t dead = fork();
    assert_true(dead >= 0);
    if (dead == 0)
        _exit(0);
    assert_int_equal(waitpid(dead, NULL, 0), dead);
    char stale[200], stale_journal[256], live[200], other[200], own[200];
    snprintf(stale, sizeof stale, "%s.creating-%ld", d->db, (long)dead);
    snprintf(stale_journal, sizeof stale_journal, "%s-journal", stale);
    snprintf(live, sizeof live, "%s.creating-%ld", d->db, (long)getppid());
    snprintf(other, sizeof other, "%s.creating-x1", d->db);
    snprintf(own, sizeof own, "%s.creating-%ld", d->db, (long)getpid());
    put_file(stale);
    put_file(stale_journal);
    put_file(live);
    put_file(other);

    struct ow_store *st = open_store(d->db);
    assert_int_equal(ow_store_schema_version(st), ow_migrations_latest());
    assert_int_equal(query_int(ow_store_handle(st), "PRAGMA page_size"), OW_STORE_PAGE_SIZE);
    ow_store_close(st);
    assert_false(file_exists(stale));
    assert_false(file_exists(stale_journal));
    assert_false(file_exists(own));
    assert_true(file_exists(live));
    assert_true(file_exists(other));
    unlink(live);
    unlink(other);

    /* The file at the store's name was whole from the moment it appeared: it is a WAL store
     * with the schema already in it. */
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(d->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(query_int(db, "PRAGMA user_version"), ow_migrations_latest());
    sqlite3_close(db);
}

/* WAL: a reader is not blocked by an open write batch and sees only committed rows. */
static void test_reader_during_open_batch(void **state)
{
    struct fixture_dir *d = *state;
    struct ow_store *w = open_store(d->db);
    int64_t run = new_run(w);
    struct ow_flow_record r;
    fixture_flow(&r, 1, "10.0.0.1", 1, "10.0.0.2", 2, 0);
    assert_int_equal(ow_store_add_flow(w, run, &r), 0);
    assert_int_equal(ow_store_begin_batch(w), 0);
    r.flow_id = 2;
    assert_int_equal(ow_store_add_flow(w, run, &r), 0);

    char err[256];
    struct ow_store *ro = ow_store_open_readonly(d->db, err, sizeof err);
    assert_non_null(ro);
    struct capture cap;
    capture_begin(&cap);
    assert_int_equal(ow_store_print_flows(ro, cap.f, OW_FMT_JSONL, NULL), 1);
    capture_end(&cap);
    free(cap.buf);

    assert_int_equal(ow_store_commit_batch(w), 0);
    capture_begin(&cap);
    assert_int_equal(ow_store_print_flows(ro, cap.f, OW_FMT_JSONL, NULL), 2);
    capture_end(&cap);
    free(cap.buf);
    ow_store_close(ro);
    ow_store_close(w);
}

/* Rows written by something else (or tampered with): NULLs, huge text, numbers out of
 * range. Reading must stay in bounds and still print valid JSON. */
static void test_hostile_rows(void **state)
{
    struct fixture_dir *d = *state;
    struct ow_store *st = open_store(d->db);
    int64_t run = new_run(st);
    struct ow_flow_record r;
    fixture_flow(&r, 1, "10.0.0.1", 1, "10.0.0.2", 2, 0);
    r.verdict.status = OW_VERDICT_ANOMALY;
    assert_int_equal(ow_store_add_flow(st, run, &r), 0);
    sqlite3 *db = ow_store_handle(st);
    assert_int_equal(sqlite3_exec(db,
        "UPDATE flows SET tls_sni = printf('%.*c', 100000, 'A') || char(27) || x'ff', "
        "client_ip = 'not an ip', client_port = 700000, server_port = -5, l4_proto = 4000, "
        "first_ts = -1, vlan = 99999, verdict_status = 'weird', verdict_severity = 'x', "
        "end_reason = '', ndpi_risk = -1, li_interface = 'HI9', li_pdu_count = -7, "
        "http_host = x'00414243', community_id = zeroblob(5000)", NULL, NULL, NULL), SQLITE_OK);
    /* The alert loses its flow: every flow column reads back as NULL. */
    assert_int_equal(sqlite3_exec(db, "PRAGMA foreign_keys = OFF", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
        "UPDATE alerts SET kind = printf('%.*c', 5000, 'K'), reason = x'c0afe0808080', "
        "flow_row = 424242", NULL, NULL, NULL), SQLITE_OK);
    ow_store_close(st);

    char err[256];
    struct ow_store *ro = ow_store_open_readonly(d->db, err, sizeof err);
    assert_non_null(ro);
    struct capture cap;
    json_t *lines[1];
    capture_begin(&cap);
    assert_int_equal(ow_store_print_flows(ro, cap.f, OW_FMT_JSONL, NULL), 1);
    capture_end(&cap);
    assert_int_equal(parse_lines(cap.buf, lines, 1), 1);
    assert_string_equal(jstr(lines[0], "src_ip", NULL), "0.0.0.0");
    assert_int_equal(json_integer_value(json_object_get(lines[0], "src_port")), 0);
    assert_string_equal(jstr(lines[0], "verdict", "status"), "unevaluated");
    assert_true(strlen(jstr(lines[0], "tls", "sni")) < 80);
    assert_null(json_object_get(lines[0], "li"));
    free_lines(lines, 1);
    free(cap.buf);

    capture_begin(&cap);
    assert_int_equal(ow_store_print_flows(ro, cap.f, OW_FMT_TABLE, NULL), 1);
    capture_end(&cap);
    for (size_t i = 0; i < cap.len; i++)
        assert_true(cap.buf[i] == '\n' || (cap.buf[i] >= 0x20 && cap.buf[i] < 0x7f));
    free(cap.buf);

    /* An alert whose flow row is gone still prints, with its own time. */
    int64_t last = 0;
    capture_begin(&cap);
    assert_int_equal(ow_store_print_alerts(ro, cap.f, OW_FMT_JSONL, 0, &last), 1);
    capture_end(&cap);
    assert_int_equal(parse_lines(cap.buf, lines, 1), 1);
    assert_true(strlen(jstr(lines[0], "alert", "kind")) < 32);
    assert_string_equal(jstr(lines[0], "alert", "reason"),
                        "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    free_lines(lines, 1);
    free(cap.buf);
    ow_store_close(ro);
}

/* A lookup by Community ID goes through the bucketed index (db/community_index.h): it finds
 * the flow in every bucket, empty buckets and ids far apart included, uses the index, and a
 * store holding extreme ids (a hostile file) answers at once rather than walking 2^49
 * buckets. Every flow filter at once still fits the WHERE clause. */
static void test_community_id_lookup(void **state)
{
    struct fixture_dir *d = *state;
    struct ow_store *st = open_store(d->db);
    int64_t run = new_run(st);
    struct ow_flow_record r, other;
    fixture_flow(&r, 1, "10.0.0.1", 1000, "10.0.0.2", 22, 0);
    fixture_flow(&other, 2, "10.0.0.3", 1000, "10.0.0.2", 22, 0);
    assert_int_equal(ow_store_add_flow(st, run, &r), 0);
    assert_int_equal(ow_store_add_flow(st, run, &other), 0);
    sqlite3 *db = ow_store_handle(st);
    /* Copies of the first flow at ids in other buckets, one at a bucket's first id, one
     * negative; the other flow at the largest id there is. */
    assert_int_equal(sqlite3_exec(db, "PRAGMA foreign_keys = OFF", NULL, NULL, NULL), SQLITE_OK);
    static const char *const copies[] = { "16383", "16384", "5000000", "-5" };
    for (size_t i = 0; i < sizeof copies / sizeof copies[0]; i++) {
        char sql[256];
        snprintf(sql, sizeof sql, "CREATE TEMP TABLE c AS SELECT * FROM flows WHERE id = 1; "
                 "UPDATE c SET id = %s; INSERT INTO flows SELECT * FROM c; DROP TABLE c",
                 copies[i]);
        assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    }
    assert_int_equal(sqlite3_exec(db, "CREATE TEMP TABLE c AS SELECT * FROM flows WHERE id = 2; "
                                  "UPDATE c SET id = 9223372036854775807; INSERT INTO flows "
                                  "SELECT * FROM c; DROP TABLE c", NULL, NULL, NULL), SQLITE_OK);

    struct ow_flow_query q = { .port = -1, .l4_proto = -1, .community_id = r.community_id };
    char err[256] = "";
    size_t n = 0;
    int64_t *ids = ow_list_flow_ids(st, &q, &n, err, sizeof err);
    assert_non_null(ids);
    int64_t seen[8] = { 0 };
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++)
        seen[i] = ids[i];
    free(ids);
    int64_t want[] = { -5, 1, 16383, 16384, 5000000 };
    for (size_t i = 0; i < 5; i++) {
        bool found = false;
        for (size_t j = 0; j < n; j++)
            found |= seen[j] == want[i];
        if (!found)
            fail_msg("flow row %lld not found by its Community ID", (long long)want[i]);
    }
    q.community_id = other.community_id;
    ids = ow_list_flow_ids(st, &q, &n, err, sizeof err);
    assert_non_null(ids);
    assert_int_equal(n, 2);
    free(ids);

    /* Every filter at once, and the plan: the index, one seek per bucket. */
    struct ow_flow_query all = {
        .ip = "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", .port = 65535, .app = "TLS.Google",
        .verdicts = { "authorized", "anomaly", "out_of_scope", "unevaluated" }, .nverdicts = 4,
        .community_id = r.community_id, .asset = "an-asset", .l4_proto = 6, .has_from = true,
        .has_to = true, .from_us = 1, .to_us = 2, .run_id = 1,
    };
    struct ow_where w = { 0 };
    ow_flow_where(&all, &w);
    assert_false(w.overflow);
    struct ow_alert_query aq = { .community_id = r.community_id, .ip = "10.0.0.1",
                                 .asset = "an-asset", .rule = "a-rule", .run_id = 1,
                                 .after_id = 1, .has_from = true, .has_to = true };
    aq.severities[aq.nseverities++] = "medium";
    aq.severities[aq.nseverities++] = "high";
    aq.severities[aq.nseverities++] = "critical";
    for (int i = 0; i < OW_API_MAX_CHOICES && ow_alert_kind_names[i]; i++)
        aq.kinds[aq.nkinds++] = ow_alert_kind_names[i];
    for (int i = 0; i < OW_API_MAX_CHOICES && ow_triage_statuses[i]; i++)
        aq.triage[aq.ntriage++] = ow_triage_statuses[i];
    struct ow_where aw = { 0 };
    ow_alert_where(&aq, &aw);
    assert_false(aw.overflow);
    w = (struct ow_where){ 0 };
    ow_flow_where(&q, &w);
    char sql[1200];
    snprintf(sql, sizeof sql, "EXPLAIN QUERY PLAN SELECT id FROM flows%s", w.sql);
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    bool uses_index = false;
    while (sqlite3_step(s) == SQLITE_ROW)
        uses_index |= strstr((const char *)sqlite3_column_text(s, 3),
                             "INDEX flows_community_id (<expr>=? AND community_id=?)") != NULL;
    sqlite3_finalize(s);
    assert_true(uses_index);
    ow_store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fresh_store_and_reopen, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_pragmas, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_not_sqlite_file, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_foreign_sqlite_file, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_bulk_indexes, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_readonly_absent_file, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_readonly_cannot_write, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_roundtrip_nasty_strings, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_anomaly_raises_alert, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_rule_hits, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_runs_and_batches, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_record_roundtrip_exact, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_concurrent_first_open, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_store_made_whole, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_reader_during_open_batch, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_hostile_rows, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_community_id_lookup, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_table_terminal_safety, setup_dir, teardown_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
