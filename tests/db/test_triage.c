/* test_triage.c — triage records: each one chained and verified, the alert row untouched,
 * history and current state read back, bad input refused with nothing stored, and every way
 * of editing, deleting or inserting a triage row behind omwitness's back found by verify.
 * A store of an older schema (no triage table) still verifies and reads as untriaged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "db/store.h"
#include "db/triage.h"
#include "db/verify.h"
#include "store_fixtures.h"

/* A run with one authorized flow and two anomalies (alerts 1 and 2), ended. */
static void build_store(const char *path)
{
    struct ow_store *st = open_store(path);
    struct ow_run_info info = { .kind = "replay", .source = "a.pcap", .site = "dc1-om",
                                .version = "test", .threads = 1, .started_wall_us = 42 };
    int64_t run = ow_store_begin_run(st, &info);
    assert_true(run > 0);
    for (unsigned i = 1; i <= 3; i++) {
        struct ow_flow_record r;
        fixture_flow(&r, i, "10.99.0.7", (uint16_t)(40000 + i), "10.20.1.10", 22, i);
        r.verdict.status = i == 1 ? OW_VERDICT_AUTHORIZED : OW_VERDICT_ANOMALY;
        if (i > 1) {
            r.verdict.severity = OW_SEV_HIGH;
            FIX_SET(r.verdict.kind, "vendor_unauthorized");
            FIX_SET(r.verdict.reason, "expected no vendor access, saw SSH");
        } else {
            FIX_SET(r.verdict.rule, "chg-1");
        }
        r.open = 1;   /* one flow record each, as a schema-2 store has them */
        assert_int_equal(ow_store_add_flow(st, run, &r), 0);
    }
    struct ow_run_stats s = { .first_ts_us = FIXTURE_T0_US, .last_ts_us = FIXTURE_T0_US + 1,
                              .packets = 3, .flows = 3, .clean_end = 1 };
    assert_int_equal(ow_store_end_run(st, run, &s), 0);
    ow_store_close(st);
}

static int verify(const char *path, struct ow_verify_result *r)
{
    char err[256];
    struct ow_store *ro = ow_store_open_readonly(path, err, sizeof err);
    if (!ro)
        fail_msg("open read-only: %s", err);
    int rc = ow_verify_store(ro, NULL, r);
    ow_store_close(ro);
    return rc;
}

static void sql(const char *path, const char *text)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(db, text, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", text, msg);
    sqlite3_close(db);
}

static int add(const char *path, int64_t alert, const char *status, const char *note,
               const char *by, char *err, size_t errlen)
{
    struct ow_store *st = open_store(path);
    struct ow_triage_state t;
    int rc = ow_triage_add(st, alert, status, note, by, FIXTURE_T0_US + 1000, &t, err, errlen);
    ow_store_close(st);
    if (rc == 0) {
        assert_string_equal(t.status, status);
        assert_string_equal(t.note, note);
    }
    return rc;
}

/* The alert row's columns as one text, to show it never changes. */
static char *alert_row_text(const char *path, int64_t id)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT quote(run_id) || quote(flow_row) || quote(ts)"
                                            " || quote(kind) || quote(severity) || quote(rule) ||"
                                            " quote(reason) || quote(asset_src) ||"
                                            " quote(asset_dest) FROM alerts WHERE id = ?",
                                        -1, &s, NULL), SQLITE_OK);
    sqlite3_bind_int64(s, 1, id);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    char *text = strdup((const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    sqlite3_close(db);
    return text;
}

static void expect_tampered(const char *path, const char *w1, const char *w2)
{
    struct ow_verify_result r;
    int rc = verify(path, &r);
    if (rc != 3)
        fail_msg("verify returned %d, expected 3 (%s)", rc, r.problem);
    if (!strstr(r.problem, w1) || !strstr(r.problem, w2))
        fail_msg("problem \"%s\" does not name \"%s\" and \"%s\"", r.problem, w1, w2);
}

static void test_triage_is_chained(void **state)
{
    struct fixture_dir *d = *state;
    build_store(d->db);
    struct ow_verify_result before, after;
    assert_int_equal(verify(d->db, &before), 0);
    char *row = alert_row_text(d->db, 2);
    char err[256];
    assert_int_equal(add(d->db, 2, "acknowledged", "vendor call", "alice", err, sizeof err), 0);
    assert_int_equal(add(d->db, 2, "closed", "ticket extended", "bob", err, sizeof err), 0);
    assert_int_equal(verify(d->db, &after), 0);
    assert_int_equal(after.records, before.records + 2);
    char *row2 = alert_row_text(d->db, 2);
    assert_string_equal(row, row2);            /* the alert itself never changes */
    free(row);
    free(row2);

    char e[256];
    struct ow_store *ro = ow_store_open_readonly(d->db, e, sizeof e);
    assert_non_null(ro);
    struct ow_triage_state t;
    assert_int_equal(ow_triage_current(ow_store_handle(ro), 2, &t), 0);
    assert_true(t.present);
    assert_string_equal(t.status, "closed");
    assert_string_equal(t.note, "ticket extended");
    assert_string_equal(t.by, "bob");
    assert_int_equal(ow_triage_current(ow_store_handle(ro), 1, &t), 0);
    assert_false(t.present);                   /* never triaged */
    json_t *h = ow_triage_history_json(ow_store_handle(ro), 2);
    assert_int_equal(json_array_size(h), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(h, 0), "status")),
                        "acknowledged");
    assert_string_equal(json_string_value(json_object_get(json_array_get(h, 1), "by")), "bob");
    json_decref(h);
    ow_store_close(ro);

    /* A later run continues the same chain after the triage records. */
    struct ow_store *st = open_store(d->db);
    struct ow_run_info info = { .kind = "replay", .source = "b.pcap", .version = "test",
                                .threads = 1, .started_wall_us = 43 };
    assert_true(ow_store_begin_run(st, &info) > 0);
    ow_store_close(st);
    assert_int_equal(verify(d->db, &after), 0);
}

static void test_bad_input_stores_nothing(void **state)
{
    struct fixture_dir *d = *state;
    build_store(d->db);
    struct ow_verify_result before, after;
    assert_int_equal(verify(d->db, &before), 0);
    char err[256];
    assert_int_equal(add(d->db, 99, "closed", "", "x", err, sizeof err), 1);
    assert_non_null(strstr(err, "no alert 99"));
    assert_int_equal(add(d->db, 1, "resolved", "", "x", err, sizeof err), 2);
    assert_int_equal(add(d->db, 1, "closed", "two\nlines", "x", err, sizeof err), 2);
    assert_non_null(strstr(err, "control"));
    assert_int_equal(add(d->db, 1, "closed", "\x1b[31m", "x", err, sizeof err), 2);
    assert_int_equal(add(d->db, 1, "closed", "bad \xff utf8", "x", err, sizeof err), 2);
    assert_non_null(strstr(err, "UTF-8"));
    assert_int_equal(add(d->db, 1, "closed", "c1 \xc2\x9b control", "x", err, sizeof err), 2);
    char *long_note = malloc(OW_TRIAGE_NOTE_MAX + 2);
    assert_non_null(long_note);
    memset(long_note, 'n', OW_TRIAGE_NOTE_MAX + 1);
    long_note[OW_TRIAGE_NOTE_MAX + 1] = '\0';
    assert_int_equal(add(d->db, 1, "closed", long_note, "x", err, sizeof err), 2);
    free(long_note);
    /* Readable UTF-8 is fine. */
    assert_int_equal(add(d->db, 1, "escalated", "appel au fournisseur \xe2\x86\x92 ticket",
                         "\xc3\xa9ve", err, sizeof err), 0);
    assert_int_equal(verify(d->db, &after), 0);
    assert_int_equal(after.records, before.records + 1);
}

static void test_edited_triage_row(void **state)
{
    struct fixture_dir *d = *state;
    build_store(d->db);
    char err[256];
    assert_int_equal(add(d->db, 2, "closed", "false positive", "alice", err, sizeof err), 0);
    sql(d->db, "UPDATE triage SET note = 'escalated to the regulator' WHERE id = 1");
    expect_tampered(d->db, "triage row 1", "does not match");
}

static void test_edited_triage_status(void **state)
{
    struct fixture_dir *d = *state;
    build_store(d->db);
    char err[256];
    assert_int_equal(add(d->db, 2, "escalated", "", "alice", err, sizeof err), 0);
    sql(d->db, "UPDATE triage SET status = 'closed' WHERE id = 1");
    expect_tampered(d->db, "triage row 1", "does not match");
}

static void test_deleted_triage_row(void **state)
{
    struct fixture_dir *d = *state;
    build_store(d->db);
    char err[256];
    assert_int_equal(add(d->db, 2, "escalated", "", "alice", err, sizeof err), 0);
    assert_int_equal(add(d->db, 2, "closed", "", "alice", err, sizeof err), 0);
    sql(d->db, "DELETE FROM triage WHERE id = 2");
    expect_tampered(d->db, "triage row 2", "missing");
}

static void test_inserted_triage_row(void **state)
{
    struct fixture_dir *d = *state;
    build_store(d->db);
    sql(d->db, "INSERT INTO triage (alert_id, status, note, actor, at) "
               "VALUES (2, 'closed', 'nothing to see', 'mallory', 1)");
    expect_tampered(d->db, "triage row 1", "not in the hash chain");
}

/* A store of schema 2 (before triage and sealing) verifies and reads as untriaged. */
static void test_older_schema_without_triage(void **state)
{
    struct fixture_dir *d = *state;
    build_store(d->db);
    /* A store of schema 2: without the tables and columns of migrations 5, 6, 7, 8, 10 and
     * 11. */
    sql(d->db, "ALTER TABLE flows DROP COLUMN verdict_asset_src_all; "
               "ALTER TABLE flows DROP COLUMN verdict_asset_dest_all; "
               "DROP TABLE triage; DROP TABLE run_progress; DROP INDEX flows_open; "
               "DROP TABLE epoch_certs; DROP TABLE checkpoints; DROP TABLE content_roots; "
               "DROP TABLE run_decode_events; "
               "ALTER TABLE flows DROP COLUMN end_ts; ALTER TABLE flows DROP COLUMN end_pkts_toserver; "
               "ALTER TABLE flows DROP COLUMN end_pkts_toclient; "
               "ALTER TABLE flows DROP COLUMN end_bytes_toserver; "
               "ALTER TABLE flows DROP COLUMN end_bytes_toclient; "
               "ALTER TABLE flows DROP COLUMN end_later_fragments; "
               "ALTER TABLE flows DROP COLUMN ended_reason; ALTER TABLE flows DROP COLUMN end_overrun; "
               "ALTER TABLE flows DROP COLUMN decided_ts; ALTER TABLE runs DROP COLUMN sensor; "
               "ALTER TABLE runs DROP COLUMN input_sha256; "
               "PRAGMA user_version = 2");
    struct ow_verify_result r;
    assert_int_equal(verify(d->db, &r), 0);
    char e[256];
    struct ow_store *ro = ow_store_open_readonly(d->db, e, sizeof e);
    assert_non_null(ro);
    assert_false(ow_triage_available(ow_store_handle(ro)));
    struct ow_triage_state t;
    assert_int_equal(ow_triage_current(ow_store_handle(ro), 2, &t), 0);
    assert_false(t.present);
    ow_store_close(ro);
    /* Opening it for writing migrates it; then it takes triage records. */
    char err[256];
    assert_int_equal(add(d->db, 2, "acknowledged", "", "alice", err, sizeof err), 0);
    if (verify(d->db, &r) != 0)
        fail_msg("verify after migration: %s", r.problem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup_dir, teardown_dir)
        T(test_triage_is_chained),
        T(test_bad_input_stores_nothing),
        T(test_edited_triage_row),
        T(test_edited_triage_status),
        T(test_deleted_triage_row),
        T(test_inserted_triage_row),
        T(test_older_schema_without_triage),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
