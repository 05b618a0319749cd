/* test_chain.c — the hash chain and verify: an untouched store verifies, and each way of
 * tampering (an edited value, a deleted row, an inserted row, swapped rows, a removed or
 * reordered chain record, an edited end of run, edited rule hits, edited evidence, a cut
 * tail against a recorded head, an edited input hash) is found and named; unended runs,
 * runs that continue the chain and several writer processes; evidence blobs in and out;
 * flow records hashed from the values bound (checked by verify reading them back), a flow's
 * end written with its verdict record, and a flow whose unit fails part-way leaving
 * nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "db/content_root.h"
#include "db/hash_chain.h"
#include "db/store.h"
#include "db/verify.h"
#include "store_fixtures.h"

static int64_t new_run(struct ow_store *st, const char *source)
{
    struct ow_run_info info = {
        .kind = "replay", .source = source, .source_sha256 = "00ff", .site = "dc1-om",
        .policy_sha256 = "abcd", .version = "test", .threads = 2, .started_wall_us = 42,
    };
    int64_t run = ow_store_begin_run(st, &info);
    assert_true(run > 0);
    return run;
}

/* A classic pcap image (Ethernet) with n packets of 60 + i bytes, the i-th starting with i. */
static uint8_t *make_pcap(uint32_t n, size_t *len)
{
    size_t total = 24;
    for (uint32_t i = 0; i < n; i++)
        total += 16 + 60 + i;
    uint8_t *p = calloc(1, total);
    assert_non_null(p);
    uint32_t hdr[6] = { 0xa1b2c3d4u, 0x00040002u, 0, 0, 65535, 1 };
    memcpy(p, hdr, sizeof hdr);     /* host order, as libpcap writes it */
    size_t off = 24;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t rec[4] = { 1770701400u + i, i * 1000u, 60 + i, 60 + i };
        memcpy(p + off, rec, sizeof rec);
        off += 16;
        memset(p + off, (int)i, 60 + i);
        off += 60 + i;
    }
    *len = total;
    return p;
}

static void add_flow(struct ow_store *st, int64_t run, uint64_t id, uint8_t status,
                     const char *rule, int overrun, struct ow_stored_flow *ids)
{
    struct ow_flow_record r;
    fixture_flow(&r, id, "10.99.0.7", (uint16_t)(40000 + id), "10.20.1.10", 22, (unsigned)id);
    r.verdict.status = status;
    FIX_SET(r.verdict.rule, rule);
    if (status == OW_VERDICT_ANOMALY) {
        r.verdict.severity = OW_SEV_HIGH;
        FIX_SET(r.verdict.kind, "vendor_unauthorized");
        FIX_SET(r.verdict.reason, "expected no vendor access, saw SSH");
    }
    r.verdict.overrun = (uint8_t)overrun;
    if (overrun)
        FIX_SET(r.verdict.ticket, "CHG-1");
    /* Written at the verdict, as a running capture writes them: one flow record each (their
     * ends, flow_end records, are tested on their own below). */
    r.open = 1;
    assert_int_equal(ow_store_add_flow_ids(st, run, &r, ids), 0);
}

static struct ow_run_stats ended(void)
{
    struct ow_run_stats s = { .first_ts_us = FIXTURE_T0_US, .last_ts_us = FIXTURE_T0_US + 60000000u,
                              .packets = 100, .bytes = 10000, .flows = 6, .clean_end = 1 };
    return s;
}

/* Run 1: six flows in a batch (authorized, an anomaly with evidence, an overrun), ended. */
static void build_store(const char *path)
{
    struct ow_store *st = open_store(path);
    int64_t run = new_run(st, "a.pcap");
    assert_int_equal(ow_store_add_run_rule(st, run, "chg-1", "maintenance", "", "CHG-1"), 0);
    assert_int_equal(ow_store_begin_batch(st), 0);
    struct ow_stored_flow ids;
    add_flow(st, run, 1, OW_VERDICT_AUTHORIZED, "chg-1", 0, &ids);
    add_flow(st, run, 2, OW_VERDICT_ANOMALY, "", 0, &ids);
    size_t len;
    uint8_t *pcap = make_pcap(3, &len);
    assert_int_equal(ow_store_add_evidence(st, ids.flow_row, pcap, len, 3, 0), 0);
    free(pcap);
    add_flow(st, run, 3, OW_VERDICT_AUTHORIZED, "chg-1", 1, &ids);
    add_flow(st, run, 4, OW_VERDICT_OUT_OF_SCOPE, "", 0, &ids);
    add_flow(st, run, 5, OW_VERDICT_ANOMALY, "", 0, &ids);
    add_flow(st, run, 6, OW_VERDICT_AUTHORIZED, "chg-1", 0, &ids);
    assert_int_equal(ow_store_commit_batch(st), 0);
    struct ow_run_stats s = ended();
    assert_int_equal(ow_store_end_run(st, run, &s), 0);
    ow_store_close(st);
}

static int verify(const char *path, const char *expect, struct ow_verify_result *r)
{
    char err[256];
    struct ow_store *ro = ow_store_open_readonly(path, err, sizeof err);
    if (!ro)
        fail_msg("open read-only: %s", err);
    int rc = ow_verify_store(ro, expect, r);
    ow_store_close(ro);
    return rc;
}

static void tamper(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("tamper %s: %s", sql, msg);
    sqlite3_close(db);
}

/* Asserts verify finds a problem and that its message contains each of the given words. */
static void expect_tampered(const char *path, const char *expect, ...)
{
    struct ow_verify_result r;
    int rc = verify(path, expect, &r);
    if (rc != 3)
        fail_msg("verify returned %d, expected 3 (problem: %s)", rc, r.problem);
    va_list ap;
    va_start(ap, expect);
    for (const char *w; (w = va_arg(ap, const char *)) != NULL;)
        if (!strstr(r.problem, w))
            fail_msg("problem \"%s\" does not mention \"%s\"", r.problem, w);
    va_end(ap);
}

/* ---- tests --------------------------------------------------------------------------- */

static void test_untouched_store_verifies(void **state)
{
    struct fixture_dir *d = *state;
    build_store(d->db);
    struct ow_verify_result r;
    assert_int_equal(verify(d->db, NULL, &r), 0);
    /* run, run rule, 6 flows, 3 anomaly/overrun alerts, 1 evidence, run end */
    assert_int_equal(r.records, 1 + 1 + 6 + 3 + 1 + 1);
    assert_int_equal(r.head_seq, (int64_t)r.records);

    /* The run's chain_head is the head after its end, and the recorded head verifies. */
    sqlite3 *db;
    assert_int_equal(sqlite3_open(d->db, &db), SQLITE_OK);
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT chain_head FROM runs WHERE id = 1", -1, &s,
                                        NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_int_equal(sqlite3_column_bytes(s, 0), OW_HASH_LEN);
    assert_memory_equal(sqlite3_column_blob(s, 0), r.head, OW_HASH_LEN);
    sqlite3_finalize(s);
    sqlite3_close(db);
    char hex[OW_HASH_HEX_LEN];
    ow_hex(r.head, OW_HASH_LEN, hex);
    struct ow_verify_result r2;
    assert_int_equal(verify(d->db, hex, &r2), 0);
    assert_true(r2.expected_head_found);
    /* A head that was never in the chain is reported. */
    hex[0] = hex[0] == '0' ? '1' : '0';
    assert_int_equal(verify(d->db, hex, &r2), 3);
    assert_non_null(strstr(r2.problem, "not in the chain"));
}

static void test_edited_value(void **state)
{
    struct fixture_dir *d = *state;
    build_store(d->db);
    tamper(d->db, "UPDATE flows SET server_port = 2222 WHERE id = 4");
    expect_tampered(d->db, NULL, "flows row 4", "does not match", NULL);
}

static void test_edited_verdict_and_alert(void **state)
{
    struct fixture_dir *d = *state;
    build_store(d->db);
    tamper(d->db, "UPDATE alerts SET severity = 'critical' WHERE id = 2");
    expect_tampered(d->db, NULL, "alerts row 2", NULL);
}

/* Same bytes, other storage class: text 'SSH' and blob x'535348' differ. */
static void test_edited_type(void **state)
{
    struct fixture_dir *d = *state;
    build_store(d->db);
    tamper(d->db, "UPDATE flows SET app_proto = CAST(app_proto AS BLOB) WHERE id = 1");
    expect_tampered(d->db, NULL, "flows row 1", NULL);
}

static void test_deleted_row(void **state)
{
    struct fixture_dir *d = *state;
    build_store(d->db);
    tamper(d->db, "PRAGMA foreign_keys = OFF; DELETE FROM flows WHERE id = 5");
    expect_tampered(d->db, NULL, "flows row 5", "missing", NULL);
}

static void test_deleted_row_and_chain_record(void **state)
{
    struct fixture_dir *d = *state;
    build_store(d->db);
    tamper(d->db, "DELETE FROM alerts WHERE id = 3;"
                  "DELETE FROM chain WHERE kind = 'alert' AND row_id = 3");
    expect_tampered(d->db, NULL, "chain record", "missing", NULL);
}

static void test_inserted_row(void **state)
{
    struct fixture_dir *d = *state;
    build_store(d->db);
    tamper(d->db, "INSERT INTO flows (run_id, flow_id, first_ts, last_ts, l4_proto, ip_family, "
                  "client_ip, client_port, server_ip, server_port, end_reason, verdict_status) "
                  "VALUES (1, 99, 1, 2, 6, 4, '10.0.0.1', 1, '10.0.0.2', 2, 'idle', "
                  "'out_of_scope')");
    expect_tampered(d->db, NULL, "flows row 7", "not in the hash chain", NULL);
    /* An id no chain record can name (records name ids above 0) is found all the same. */
    tamper(d->db, "UPDATE flows SET id = -5 WHERE id = 7");
    expect_tampered(d->db, NULL, "flows row -5", "not in the hash chain", NULL);
    tamper(d->db, "UPDATE flows SET id = 0 WHERE id = -5");
    expect_tampered(d->db, NULL, "flows row 0", "not in the hash chain", NULL);
}

/* A new store at path: the old one's files go. */
static void remove_store(const char *path)
{
    static const char *const suffixes[] = { "", "-wal", "-shm" };
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        char file[192];
        snprintf(file, sizeof file, "%s%s", path, suffixes[i]);
        unlink(file);
    }
}

/* Rows written for a run after its end: a flow's end, a flow, evidence, an alert each found
 * in its own store, by the record the walk passed after the run_end record. */
static void test_rows_after_run_end(void **state)
{
    struct fixture_dir *d = *state;
    static const char *const late[] = { "flow_end", "flow", "evidence" };
    for (size_t i = 0; i < sizeof late / sizeof late[0]; i++) {
        remove_store(d->db);
        struct ow_store *st = open_store(d->db);
        int64_t run = new_run(st, "late.pcap");
        struct ow_flow_record r;
        fixture_flow(&r, 1, "10.98.0.4", 40001, "10.20.2.21", 22, 1);
        r.open = 1;
        struct ow_stored_flow ids;
        assert_int_equal(ow_store_add_flow_ids(st, run, &r, &ids), 0);
        struct ow_run_stats s = ended();
        assert_int_equal(ow_store_end_run(st, run, &s), 0);
        ow_store_close(st);
        struct ow_verify_result v;
        if (verify(d->db, NULL, &v) != 0)
            fail_msg("verify before: %s", v.problem);
        st = open_store(d->db);
        if (strcmp(late[i], "flow_end") == 0) {
            r.open = 0;
            r.end_reason = OW_END_TCP_CLOSED;
            assert_int_equal(ow_store_end_flow(st, ids.flow_row, &r), 0);
        } else if (strcmp(late[i], "flow") == 0) {
            struct ow_stored_flow more;
            add_flow(st, run, 2, OW_VERDICT_OUT_OF_SCOPE, "", 0, &more);
        } else {
            size_t len;
            uint8_t *pcap = make_pcap(2, &len);
            assert_int_equal(ow_store_add_evidence(st, ids.flow_row, pcap, len, 2, 0), 0);
            free(pcap);
        }
        ow_store_close(st);
        expect_tampered(d->db, NULL, "chained after the end of its run", NULL);
    }
}

/* A flow's list of every asset of its endpoints, set behind the chain's back. */
static void test_assets_set_unchained(void **state)
{
    struct fixture_dir *d = *state;
    build_store(d->db);
    tamper(d->db, "UPDATE flows SET verdict_asset_dest_all = '[\"li-core\"]' WHERE id = 3");
    expect_tampered(d->db, NULL, "flows row 3", "assets of its endpoints set but never chained",
                    NULL);
}

/* Over 4,096 chain records, verify shares its checks over two connections (the chain walk
 * and the checks its facts answer on one, the content roots on the other); what it names
 * must be what the checks run in order name first, whichever connection found it. */
static void build_big_store(const char *path)
{
    struct ow_store *st = open_store(path);
    int64_t run = new_run(st, "big.pcap");
    assert_int_equal(ow_store_begin_batch(st), 0);
    struct ow_stored_flow ids;
    for (uint64_t i = 1; i <= 4200; i++)
        add_flow(st, run, i, i % 100 ? OW_VERDICT_OUT_OF_SCOPE : OW_VERDICT_ANOMALY, "", 0, &ids);
    assert_int_equal(ow_store_commit_batch(st), 0);
    char err[256];
    uint8_t root[OW_HASH_LEN];
    assert_int_equal(ow_content_root_store(st, run, root, err, sizeof err), 0);
    struct ow_run_stats rs = ended();
    assert_int_equal(ow_store_end_run(st, run, &rs), 0);
    ow_store_close(st);
}

static void test_big_store_checks_shared(void **state)
{
    struct fixture_dir *d = *state;
    build_big_store(d->db);
    struct ow_verify_result r;
    assert_int_equal(verify(d->db, NULL, &r), 0);
    assert_int_equal(r.connections, 2);
    /* run, 4,200 flows, 42 alerts, content root, run end */
    assert_int_equal(r.records, 1 + 4200 + 42 + 1 + 1);
    assert_int_equal(r.content_roots, 1);   /* recomputed on the other connection */

    /* A row no chain record names: the walk counted one flow fewer than the table holds,
     * and the query names the row. */
    tamper(d->db, "INSERT INTO flows (run_id, flow_id, first_ts, last_ts, l4_proto, ip_family, "
                  "client_ip, client_port, server_ip, server_port, end_reason, verdict_status) "
                  "VALUES (1, 99999, 1, 2, 6, 4, '10.0.0.1', 1, '10.0.0.2', 2, 'idle', "
                  "'out_of_scope')");
    expect_tampered(d->db, NULL, "flows row 4201", "not in the hash chain", NULL);
    /* Found by both: the chain walk's finding comes first, as it would in order. */
    tamper(d->db, "UPDATE flows SET pkts_toserver = pkts_toserver + 1 WHERE id = 3000");
    expect_tampered(d->db, NULL, "flows row 3000", "does not match", NULL);
    tamper(d->db, "DELETE FROM flows WHERE id = 4201; "
                  "UPDATE flows SET pkts_toserver = pkts_toserver - 1 WHERE id = 3000");
    assert_int_equal(verify(d->db, NULL, &r), 0);
    /* A later check (the run's head) and an earlier one (coverage) both find something:
     * coverage is named, as in order. */
    tamper(d->db, "UPDATE runs SET chain_head = zeroblob(32) WHERE id = 1");
    expect_tampered(d->db, NULL, "chain_head", NULL);
    tamper(d->db, "INSERT INTO flows (run_id, flow_id, first_ts, last_ts, l4_proto, ip_family, "
                  "client_ip, client_port, server_ip, server_port, end_reason, verdict_status) "
                  "VALUES (1, 99999, 1, 2, 6, 4, '10.0.0.1', 1, '10.0.0.2', 2, 'idle', "
                  "'out_of_scope')");
    expect_tampered(d->db, NULL, "not in the hash chain", NULL);
    tamper(d->db, "DELETE FROM flows WHERE flow_id = 99999");
    /* A flow's end never chained (this connection) is named before the content root it also
     * breaks (the other connection), and after the run's head. */
    tamper(d->db, "UPDATE flows SET end_ts = 5 WHERE id = 10");
    expect_tampered(d->db, NULL, "chain_head", NULL);
    tamper(d->db, "UPDATE runs SET chain_head = (SELECT hash FROM chain WHERE kind = 'run_end')");
    expect_tampered(d->db, NULL, "flows row 10", "end of flow set but never chained", NULL);
    tamper(d->db, "UPDATE flows SET end_ts = NULL WHERE id = 10");
    assert_int_equal(verify(d->db, NULL, &r), 0);
    assert_int_equal(r.connections, 2);
}

static void test_swapped_rows(void **state)
{
    struct fixture_dir *d = *state;
    build_store(d->db);
    /* Swap the content of flows 4 and 5 (every column but the id). */
    tamper(d->db,
           "CREATE TEMP TABLE t AS SELECT * FROM flows WHERE id IN (4, 5);"
           "UPDATE t SET id = 9 - id;"
           "PRAGMA foreign_keys = OFF;"
           "DELETE FROM flows WHERE id IN (4, 5);"
           "INSERT INTO flows SELECT * FROM t;");
    expect_tampered(d->db, NULL, "flows row 4", NULL);
}

static void test_reordered_chain_records(void **state)
{
    struct fixture_dir *d = *state;
    build_store(d->db);
    /* Swap which rows records 3 and 4 (flows 1 and 2) name, hashes and all. */
    tamper(d->db, "UPDATE chain SET row_id = -row_id WHERE seq IN (3, 4);"
                  "UPDATE chain SET row_id = CASE seq WHEN 3 THEN 2 ELSE 1 END WHERE seq IN (3, 4)");
    expect_tampered(d->db, NULL, "flows row", "chain #", NULL);
}

static void test_edited_coverage(void **state)
{
    struct fixture_dir *d = *state;
    build_store(d->db);
    tamper(d->db, "UPDATE runs SET packets = 99 WHERE id = 1");
    expect_tampered(d->db, NULL, "runs row 1", "end of run", NULL);
}

static void test_edited_rule_hits(void **state)
{
    struct fixture_dir *d = *state;
    build_store(d->db);
    tamper(d->db, "UPDATE rule_hits SET hits = 1");
    expect_tampered(d->db, NULL, "rule_hits run 1", "chg-1", NULL);
}

static void test_edited_evidence(void **state)
{
    struct fixture_dir *d = *state;
    build_store(d->db);
    tamper(d->db, "UPDATE evidence SET pcap = CAST(zeroblob(100) AS BLOB) WHERE id = 1");
    expect_tampered(d->db, NULL, "evidence row 1", NULL);
}

/* Cutting the last rows and their records leaves a consistent but shorter chain: only a
 * head recorded elsewhere (in a report) shows it. */
static void test_cut_tail_needs_recorded_head(void **state)
{
    struct fixture_dir *d = *state;
    build_store(d->db);
    struct ow_verify_result r;
    assert_int_equal(verify(d->db, NULL, &r), 0);
    char hex[OW_HASH_HEX_LEN];
    ow_hex(r.head, OW_HASH_LEN, hex);
    /* Remove the run's end record and reset its end: the run now looks like it never ended. */
    tamper(d->db, "DELETE FROM chain WHERE kind = 'run_end';"
                  "UPDATE runs SET first_ts = NULL, last_ts = NULL, packets = 0, bytes = 0, "
                  "flows = 0, clean_end = 0, ended_wall = NULL, chain_head = NULL");
    assert_int_equal(verify(d->db, NULL, &r), 0);
    expect_tampered(d->db, hex, "not in the chain", NULL);
}

/* A replay's input hash, known only once every byte was read, is recorded at the run's end
 * as a run_input record: once, before the run's end; an edit of it, or a hash set without
 * its record, is found. */
static void test_input_hash_at_run_end(void **state)
{
    struct fixture_dir *d = *state;
    static const char sha[] =
        "748c3384ac6cb1399f200d982d7321ba4f3005f68729957a8733c4d5ed679036";
    struct ow_store *st = open_store(d->db);
    int64_t run = new_run(st, "a.pcap");
    assert_int_equal(ow_store_begin_batch(st), 0);
    add_flow(st, run, 1, OW_VERDICT_OUT_OF_SCOPE, "", 0, NULL);
    assert_int_equal(ow_store_commit_batch(st), 0);
    assert_int_equal(ow_store_set_run_input(st, run, sha), 0);
    assert_int_not_equal(ow_store_set_run_input(st, run, sha), 0);    /* once */
    struct ow_run_stats s = ended();
    assert_int_equal(ow_store_end_run(st, run, &s), 0);
    int64_t later = new_run(st, "b.pcap");
    assert_int_equal(ow_store_end_run(st, later, &s), 0);
    assert_int_not_equal(ow_store_set_run_input(st, later, sha), 0);  /* not after its end */
    ow_store_close(st);

    struct ow_verify_result r;
    assert_int_equal(verify(d->db, NULL, &r), 0);
    /* run, flow, run_input, run_end; run, run_end */
    assert_int_equal(r.records, 6);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(d->db, &db), SQLITE_OK);
    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT r.input_sha256, c.seq FROM runs r JOIN chain "
                                        "c ON c.kind = 'run_input' AND c.row_id = r.id", -1, &q,
                                        NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(q, 0), sha);
    assert_int_equal(sqlite3_column_int64(q, 1), 3);
    assert_int_equal(sqlite3_step(q), SQLITE_DONE);
    sqlite3_finalize(q);
    sqlite3_close(db);

    tamper(d->db, "UPDATE runs SET input_sha256 = '00' WHERE id = 1");
    expect_tampered(d->db, NULL, "runs row 1", "input hash of the run", NULL);
    char fix[256];
    snprintf(fix, sizeof fix, "UPDATE runs SET input_sha256 = '%s' WHERE id = 1", sha);
    tamper(d->db, fix);
    assert_int_equal(verify(d->db, NULL, &r), 0);
    tamper(d->db, "UPDATE runs SET input_sha256 = source_sha256 WHERE id = 2");
    expect_tampered(d->db, NULL, "runs row 2", "input hash set but not chained", NULL);
}

/* A run that never ended (a crash) verifies: its rows were chained as inserted. */
static void test_unended_run_verifies(void **state)
{
    struct fixture_dir *d = *state;
    struct ow_store *st = open_store(d->db);
    int64_t run = new_run(st, "crash.pcap");
    assert_int_equal(ow_store_begin_batch(st), 0);
    add_flow(st, run, 1, OW_VERDICT_ANOMALY, "", 0, NULL);
    assert_int_equal(ow_store_commit_batch(st), 0);
    /* An open batch that dies with the process leaves nothing. */
    assert_int_equal(ow_store_begin_batch(st), 0);
    add_flow(st, run, 2, OW_VERDICT_ANOMALY, "", 0, NULL);
    ow_store_close(st);
    struct ow_verify_result r;
    assert_int_equal(verify(d->db, NULL, &r), 0);
    assert_int_equal(r.records, 3);
    /* Setting the end of run behind the chain's back is caught. */
    tamper(d->db, "UPDATE runs SET clean_end = 1");
    expect_tampered(d->db, NULL, "runs row 1", "never chained", NULL);
}

/* A second run (a new process) continues the chain; failed writes leave no record. */
static void test_runs_continue_chain(void **state)
{
    struct fixture_dir *d = *state;
    build_store(d->db);
    struct ow_verify_result r1, r2;
    assert_int_equal(verify(d->db, NULL, &r1), 0);
    struct ow_store *st = open_store(d->db);
    int64_t run = new_run(st, "b.pcap");
    assert_int_equal(run, 2);
    assert_int_equal(ow_store_begin_batch(st), 0);
    add_flow(st, run, 7, OW_VERDICT_AUTHORIZED, "x", 0, NULL);
    /* A flow for a run that does not exist fails and is rolled back, chain record too. */
    struct ow_flow_record bad;
    fixture_flow(&bad, 8, "10.0.0.1", 1, "10.0.0.2", 2, 0);
    assert_int_equal(ow_store_add_flow(st, 999, &bad), -1);
    add_flow(st, run, 9, OW_VERDICT_ANOMALY, "", 0, NULL);
    /* Evidence that is not a pcap image is refused. */
    uint8_t junk[40] = { 1, 2, 3 };
    assert_int_equal(ow_store_add_evidence(st, 8, junk, sizeof junk, 0, 0), -1);
    assert_int_equal(ow_store_commit_batch(st), 0);
    struct ow_run_stats s = ended();
    assert_int_equal(ow_store_end_run(st, run, &s), 0);
    /* Ending it again is refused. */
    assert_int_equal(ow_store_end_run(st, run, &s), -1);
    ow_store_close(st);
    assert_int_equal(verify(d->db, NULL, &r2), 0);
    assert_int_equal(r2.records, r1.records + 1 + 2 + 1 + 1);
    /* The first run's head is still in the chain. */
    char hex[OW_HASH_HEX_LEN];
    ow_hex(r1.head, OW_HASH_LEN, hex);
    assert_int_equal(verify(d->db, hex, &r2), 0);
}

/* Several processes writing one store in turn build one chain. */
static void test_processes_share_chain(void **state)
{
    struct fixture_dir *d = *state;
    enum { PROCS = 4, BATCHES = 5, PER_BATCH = 20 };
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
            int64_t run = ow_store_begin_run(st, &info);
            int ok = run > 0;
            for (int b = 0; ok && b < BATCHES; b++) {
                ok = ow_store_begin_batch(st) == 0;
                for (int k = 0; ok && k < PER_BATCH; k++) {
                    struct ow_flow_record r;
                    fixture_flow(&r, (uint64_t)(i * 1000 + b * 100 + k), "10.0.0.1", 1,
                                 "10.0.0.2", 2, 0);
                    r.verdict.status = k % 3 ? OW_VERDICT_AUTHORIZED : OW_VERDICT_ANOMALY;
                    FIX_SET(r.verdict.rule, k % 3 ? "r" : "");
                    ok = ow_store_add_flow(st, run, &r) == 0;
                }
                ok = ok && ow_store_commit_batch(st) == 0;
            }
            struct ow_run_stats s = { .clean_end = 1 };
            ok = ok && ow_store_end_run(st, run, &s) == 0;
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
    struct ow_verify_result r;
    int rc = verify(d->db, NULL, &r);
    if (rc != 0)
        fail_msg("verify %d: %s", rc, r.problem);
    /* per process: run, run end, flows and their ends (each flow ended before its verdict
     * record went out: flow + flow_end), anomaly alerts (k % 3 == 0: 7 of 20) */
    assert_int_equal(r.records, PROCS * (2 + BATCHES * (2 * PER_BATCH + 7)));
}

static void test_evidence_roundtrip(void **state)
{
    struct fixture_dir *d = *state;
    build_store(d->db);
    char err[256];
    struct ow_store *ro = ow_store_open_readonly(d->db, err, sizeof err);
    assert_non_null(ro);
    size_t want_len;
    uint8_t *want = make_pcap(3, &want_len);
    uint8_t *got = NULL;
    size_t len = 0;
    uint32_t packets = 0;
    int truncated = -1;
    assert_int_equal(ow_store_get_evidence(ro, 2, &got, &len, &packets, &truncated), 0);
    assert_int_equal(len, want_len);
    assert_memory_equal(got, want, len);
    assert_int_equal(packets, 3);
    assert_int_equal(truncated, 0);
    uint32_t n = 0, linktype = 0;
    char why[160];
    assert_int_equal(ow_pcap_image_check(got, len, &n, &linktype, why, sizeof why), 0);
    assert_int_equal(n, 3);
    assert_int_equal(linktype, 1);
    free(got);
    /* No evidence for an authorized flow. */
    assert_int_equal(ow_store_get_evidence(ro, 1, &got, &len, NULL, NULL), 1);
    ow_store_close(ro);

    /* A changed blob is refused on the way out. */
    tamper(d->db, "UPDATE evidence SET pcap = CAST(zeroblob(30) AS BLOB)");
    ro = ow_store_open_readonly(d->db, err, sizeof err);
    assert_int_equal(ow_store_get_evidence(ro, 2, &got, &len, NULL, NULL), 2);
    ow_store_close(ro);
    free(want);
}

static void test_pcap_image_check(void **state)
{
    (void)state;
    size_t len;
    uint8_t *p = make_pcap(4, &len);
    uint32_t n = 0, lt = 0;
    char why[160];
    assert_int_equal(ow_pcap_image_check(p, len, &n, &lt, why, sizeof why), 0);
    assert_int_equal(n, 4);
    /* Header only: zero packets. */
    assert_int_equal(ow_pcap_image_check(p, 24, &n, &lt, why, sizeof why), 0);
    assert_int_equal(n, 0);
    /* Every cut inside a record is refused, and so is a short header. */
    for (size_t cut = 1; cut < len - 24; cut++) {
        size_t l = len - cut;
        int ok = ow_pcap_image_check(p, l, &n, &lt, why, sizeof why) == 0;
        /* only cuts exactly at record boundaries are well-formed images */
        size_t off = 24;
        int boundary = l == 24;
        for (uint32_t i = 0; i < 4 && off < l; i++) {
            off += 16 + 60 + i;
            if (off == l)
                boundary = 1;
        }
        assert_int_equal(ok, boundary);
    }
    assert_int_equal(ow_pcap_image_check(p, 23, &n, &lt, why, sizeof why), -1);
    /* An absurd record length does not read past the image. */
    uint32_t huge = 0xfffffff0u;
    memcpy(p + 24 + 8, &huge, 4);
    assert_int_equal(ow_pcap_image_check(p, len, &n, &lt, why, sizeof why), -1);
    assert_non_null(strstr(why, "packet 1"));
    p[0] ^= 0xff;
    assert_int_equal(ow_pcap_image_check(p, len, &n, &lt, why, sizeof why), -1);
    assert_non_null(strstr(why, "magic"));
    free(p);
}

/* The encoding is fixed: a known store gives a known first record hash. */
static void test_canonical_encoding_pinned(void **state)
{
    struct fixture_dir *d = *state;
    struct ow_store *st = open_store(d->db);
    new_run(st, "a.pcap");
    ow_store_close(st);
    /* Recompute record 1 by hand from docs/evidence.md. */
    uint8_t buf[512];
    size_t o = 0;
    memset(buf, 0, 32);
    o = 32;
    buf[o++] = 3;
    memcpy(buf + o, "run", 3);
    o += 3;
    const uint8_t seq_row[16] = { 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1 };
    memcpy(buf + o, seq_row, 16);
    o += 16;
    const uint8_t ncols[4] = { 0, 0, 0, 8 };
    memcpy(buf + o, ncols, 4);
    o += 4;
    const char *texts[] = { "replay", "a.pcap", "00ff", "dc1-om", "abcd", "test" };
    for (int i = 0; i < 6; i++) {
        size_t n = strlen(texts[i]);
        buf[o++] = 2;
        buf[o++] = 0; buf[o++] = 0; buf[o++] = 0; buf[o++] = (uint8_t)n;
        memcpy(buf + o, texts[i], n);
        o += n;
    }
    const uint8_t threads[9] = { 1, 0, 0, 0, 0, 0, 0, 0, 2 };
    const uint8_t wall[9] = { 1, 0, 0, 0, 0, 0, 0, 0, 42 };
    memcpy(buf + o, threads, 9);
    o += 9;
    memcpy(buf + o, wall, 9);
    o += 9;
    uint8_t want[OW_HASH_LEN];
    ow_sha256(buf, o, want);
    struct ow_verify_result r;
    assert_int_equal(verify(d->db, NULL, &r), 0);
    assert_int_equal(r.records, 1);
    assert_memory_equal(r.head, want, OW_HASH_LEN);
}

/* Record model (migration 6): a flow written at its verdict, its end later (flow_end), and a
 * progress record; each verifies, and an edit of the end, or an end never chained, is found. */
static void test_flow_end_and_progress(void **state)
{
    struct fixture_dir *d = *state;
    build_store(d->db);
    struct ow_store *st = open_store(d->db);
    int64_t run = new_run(st, "live");
    struct ow_flow_record r;
    fixture_flow(&r, 77, "10.98.0.4", 40077, "10.20.2.21", 23, 2);
    r.verdict.status = OW_VERDICT_ANOMALY;
    r.verdict.severity = OW_SEV_HIGH;
    FIX_SET(r.verdict.kind, "vendor_unauthorized");
    r.open = 1;
    r.decided_ts_us = r.first_ts_us + 5;
    struct ow_stored_flow ids;
    assert_int_equal(ow_store_add_flow_ids(st, run, &r, &ids), 0);
    struct ow_run_stats p = { .first_ts_us = r.first_ts_us, .last_ts_us = r.first_ts_us + 60,
                              .packets = 12, .bytes = 900, .flows = 1 };
    assert_int_equal(ow_store_add_progress(st, run, &p), 0);
    r.open = 0;
    r.pkts_toserver += 100;
    r.last_ts_us += 1000000;
    r.end_reason = OW_END_TCP_CLOSED;
    assert_int_equal(ow_store_end_flow(st, ids.flow_row, &r), 0);
    assert_int_not_equal(ow_store_end_flow(st, ids.flow_row, &r), 0);   /* once only */
    struct ow_flow_record back;
    assert_int_equal(ow_store_get_flow(st, ids.flow_row, &back), 0);
    assert_int_equal(back.pkts_toserver, r.pkts_toserver);
    assert_int_equal(back.last_ts_us, r.last_ts_us);
    assert_int_equal(back.state, OW_STATE_CLOSED);
    ow_store_close(st);
    struct ow_verify_result v;
    if (verify(d->db, NULL, &v) != 0)
        fail_msg("verify: %s", v.problem);
    char sql[160];
    snprintf(sql, sizeof sql, "UPDATE flows SET end_pkts_toserver = end_pkts_toserver + 1 "
             "WHERE id = %lld", (long long)ids.flow_row);
    tamper(d->db, sql);
    assert_int_equal(verify(d->db, NULL, &v), 3);
    assert_non_null(strstr(v.problem, "end of flow as stored does not match"));
    snprintf(sql, sizeof sql, "UPDATE flows SET end_pkts_toserver = end_pkts_toserver - 1 "
             "WHERE id = %lld; UPDATE flows SET ended_reason = 'idle' WHERE id = 1",
             (long long)ids.flow_row);
    tamper(d->db, sql);
    assert_int_equal(verify(d->db, NULL, &v), 3);
    assert_non_null(strstr(v.problem, "end of flow set but never chained"));
    tamper(d->db, "UPDATE flows SET ended_reason = NULL WHERE id = 1; "
                  "UPDATE run_progress SET packets = 13");
    assert_int_equal(verify(d->db, NULL, &v), 3);
    assert_non_null(strstr(v.problem, "run_progress row 1"));
}

/* Inside a batch a flow's end takes no savepoint and its flow_end record is held, to be
 * inserted with others (ow_chain_hold): when the record cannot be inserted, the commit fails
 * and the whole batch is rolled back, the end and a flow added after it with it. Nothing half
 * done is kept, the store verifies, and the end written again later is kept. */
static void test_unchainable_end_loses_batch(void **state)
{
    struct fixture_dir *d = *state;
    build_store(d->db);
    struct ow_store *st = open_store(d->db);
    int64_t run = new_run(st, "live");
    struct ow_flow_record r;
    fixture_flow(&r, 78, "10.98.0.5", 40078, "10.20.2.21", 23, 2);
    r.open = 1;
    struct ow_stored_flow ids;
    assert_int_equal(ow_store_begin_batch(st), 0);
    assert_int_equal(ow_store_add_flow_ids(st, run, &r, &ids), 0);
    assert_int_equal(ow_store_commit_batch(st), 0);
    sqlite3 *db = ow_store_handle(st);
    assert_int_equal(sqlite3_exec(db, "CREATE TEMP TRIGGER no_end BEFORE INSERT ON main.chain "
                                  "WHEN NEW.kind = 'flow_end' BEGIN SELECT RAISE(ABORT, "
                                  "'injected'); END", NULL, NULL, NULL), SQLITE_OK);
    r.open = 0;
    r.pkts_toserver += 100;
    r.end_reason = OW_END_TCP_CLOSED;
    assert_int_equal(ow_store_begin_batch(st), 0);
    assert_int_equal(ow_store_end_flow(st, ids.flow_row, &r), 0);     /* held */
    struct ow_flow_record other;
    struct ow_stored_flow other_ids;
    fixture_flow(&other, 79, "10.98.0.6", 40079, "10.20.2.21", 23, 3);
    other.open = 1;
    assert_int_equal(ow_store_add_flow_ids(st, run, &other, &other_ids), 0);
    assert_int_equal(ow_store_commit_batch(st), -1);
    assert_non_null(strstr(ow_store_errmsg(st), "injected"));
    assert_non_null(strstr(ow_store_errmsg(st), "rolled back"));
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM flows WHERE id = %lld AND end_ts IS NULL AND "
             "ended_reason IS NULL AND end_pkts_toserver IS NULL AND decided_ts IS NULL",
             (long long)ids.flow_row);
    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(q, 0), 1);
    sqlite3_finalize(q);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM flows WHERE flow_id = 79", -1,
                                        &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(q, 0), 0);
    sqlite3_finalize(q);
    /* The store writes on after the lost batch. */
    assert_int_equal(sqlite3_exec(db, "DROP TRIGGER temp.no_end", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(ow_store_begin_batch(st), 0);
    assert_int_equal(ow_store_end_flow(st, ids.flow_row, &r), 0);
    assert_int_equal(ow_store_commit_batch(st), 0);
    struct ow_flow_record back;
    assert_int_equal(ow_store_get_flow(st, ids.flow_row, &back), 0);
    assert_int_equal(back.pkts_toserver, r.pkts_toserver);
    assert_int_equal(back.state, OW_STATE_CLOSED);
    ow_store_close(st);
    struct ow_verify_result v;
    if (verify(d->db, NULL, &v) != 0)
        fail_msg("verify: %s", v.problem);
}

/* Values that an affinity or a careless encoder could change on the way in: texts that look
 * like numbers, full-length fields without a NUL, bytes over 0x7f, the risk bitmap's top
 * bit, counters past INT64_MAX, an IPv6 pair. The writer hashes what it binds; verify reads
 * every row back and must get the same hashes. */
static void odd_flow(struct ow_flow_record *r, uint64_t id)
{
    fixture_flow(r, id, "2001:db8::7", 40000, "2001:db8::10", 22, (unsigned)id);
    FIX_SET(r->tls_sni, "12345");
    FIX_SET(r->ja3, "1e5");
    FIX_SET(r->dns_query, "-0");
    FIX_SET(r->http_host, "0x10");
    memset(r->http_user_agent, 'A', sizeof r->http_user_agent);   /* no NUL at all */
    FIX_SET(r->ssh_client, "SSH-2.0-\xc3\xa9\xff");
    r->ndpi_risk = UINT64_C(1) << 63 | 5;
    r->bytes_toclient = UINT64_MAX;
    r->verdict.status = OW_VERDICT_ANOMALY;
    r->verdict.severity = OW_SEV_HIGH;
    FIX_SET(r->verdict.kind, "vendor_unauthorized");
    FIX_SET(r->verdict.reason, "42");
    r->decided_ts_us = r->first_ts_us + 1000u;
}

static void test_flows_hashed_as_bound(void **state)
{
    struct fixture_dir *d = *state;
    struct ow_store *st = open_store(d->db);
    int64_t run = new_run(st, "a.pcap");
    assert_int_equal(ow_store_begin_batch(st), 0);
    struct ow_flow_record r, e;
    struct ow_stored_flow ids;
    /* At its verdict, then its end (no decided time on this one: a NULL). */
    odd_flow(&r, 1);
    r.open = 1;
    assert_int_equal(ow_store_add_flow_ids(st, run, &r, &ids), 0);
    e = r;
    e.open = 0;
    e.decided_ts_us = 0;
    e.pkts_toserver = 99;
    assert_int_equal(ow_store_end_flow(st, ids.flow_row, &e), 0);
    /* Whole. */
    odd_flow(&r, 2);
    r.open = 0;
    assert_int_equal(ow_store_add_flow_ids(st, run, &r, &ids), 0);
    /* Its end with its verdict record. */
    odd_flow(&r, 3);
    r.open = 1;
    e = r;
    e.open = 0;
    e.end_reason = OW_END_IDLE;
    assert_int_equal(ow_store_add_flow_ended(st, run, &r, &e, &ids), 0);
    /* Refused: an end that has not ended, or a verdict record that is not open. */
    assert_int_equal(ow_store_add_flow_ended(st, run, &r, &r, &ids), -1);
    assert_int_equal(ow_store_add_flow_ended(st, run, &e, &e, &ids), -1);
    assert_int_equal(ow_store_commit_batch(st), 0);
    ow_store_close(st);
    struct ow_verify_result v;
    assert_int_equal(verify(d->db, NULL, &v), 0);
    /* run, then 3 flow records, 3 flow_end records, 3 alerts. */
    assert_int_equal(v.records, 1 + 3 + 3 + 3);
}

static void content_root_of(const char *path, int64_t run, uint8_t root[OW_HASH_LEN])
{
    sqlite3 *db = NULL;
    char err[256];
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    if (ow_content_root_compute(db, run, root, NULL, err, sizeof err) != 0)
        fail_msg("%s", err);
    sqlite3_close(db);
}

/* Flow id's verdict record (open) and its end 7 s later (ended). */
static void odd_flow_and_end(struct ow_flow_record *r, struct ow_flow_record *e, uint64_t id)
{
    odd_flow(r, id);
    r->open = 1;
    *e = *r;
    e->open = 0;
    e->end_reason = OW_END_IDLE;
    e->last_ts_us += 7000000u;
    e->pkts_toclient += 4;
}

/* The writer stores a flow whose end comes in the batch of its verdict as one ended row: the
 * run's content is the same as from the verdict record and a later end. */
static void test_ended_with_verdict_same_content(void **state)
{
    struct fixture_dir *d = *state;
    char other[200];
    snprintf(other, sizeof other, "%s/other.db", d->dir);
    uint8_t root[2][OW_HASH_LEN];
    for (int way = 0; way < 2; way++) {
        struct ow_store *st = open_store(way ? other : d->db);
        int64_t run = new_run(st, "a.pcap");
        assert_int_equal(ow_store_begin_batch(st), 0);
        for (uint64_t id = 1; id <= 3; id++) {
            struct ow_flow_record r, e;
            struct ow_stored_flow ids;
            odd_flow_and_end(&r, &e, id);
            if (way == 0) {
                assert_int_equal(ow_store_add_flow_ids(st, run, &r, &ids), 0);
                assert_int_equal(ow_store_end_flow(st, ids.flow_row, &e), 0);
            } else {
                assert_int_equal(ow_store_add_flow_ended(st, run, &r, &e, &ids), 0);
            }
        }
        assert_int_equal(ow_store_commit_batch(st), 0);
        ow_store_close(st);
        content_root_of(way ? other : d->db, run, root[way]);
    }
    assert_memory_equal(root[0], root[1], OW_HASH_LEN);
    unlink(other);
}

/* flows, alerts and chain rows, as one number */
#define ROW_COUNTS "SELECT (SELECT count(*) FROM flows) * 1000000 + " \
                   "(SELECT count(*) FROM alerts) * 1000 + (SELECT count(*) FROM chain)"

static int64_t count_of(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return n;
}

/* A flow written with its end (a replay) has its flow_end record right after its flow
 * record: verify hashes that end from the row the flow's scan stands on, and an edited end
 * is still named as the end of flow it is. */
static void test_end_next_to_its_flow(void **state)
{
    struct fixture_dir *d = *state;
    struct ow_store *st = open_store(d->db);
    int64_t run = new_run(st, "a.pcap");
    assert_int_equal(ow_store_begin_batch(st), 0);
    for (uint64_t id = 1; id <= 3; id++) {
        struct ow_flow_record r, e;
        struct ow_stored_flow ids;
        odd_flow_and_end(&r, &e, id);
        assert_int_equal(ow_store_add_flow_ended(st, run, &r, &e, &ids), 0);
    }
    assert_int_equal(ow_store_commit_batch(st), 0);
    ow_store_close(st);
    assert_int_equal(count_of(d->db, "SELECT count(*) FROM chain a JOIN chain b ON b.seq = "
                                     "a.seq + 1 AND a.kind = 'flow' AND b.kind = 'flow_end' AND "
                                     "b.row_id = a.row_id"), 3);
    struct ow_verify_result v;
    if (verify(d->db, NULL, &v) != 0)
        fail_msg("verify: %s", v.problem);
    assert_int_equal(v.records, 1 + 3 * 3);     /* run; each flow, its end, its alert */
    tamper(d->db, "UPDATE flows SET end_pkts_toclient = end_pkts_toclient + 1 WHERE id = 2");
    expect_tampered(d->db, NULL, "flows row 2", "end of flow as stored does not match", NULL);
    tamper(d->db, "UPDATE flows SET end_pkts_toclient = end_pkts_toclient - 1 WHERE id = 2; "
                  "UPDATE flows SET ended_reason = 'tcp_closed' WHERE id = 3");
    expect_tampered(d->db, NULL, "flows row 3", "end of flow as stored does not match", NULL);
}

/* A flow unit in a batch takes no savepoint: when it fails after its row went in (here its
 * alert is refused), its row and its held chain record are dropped again, and the batch goes
 * on. */
static void test_failed_flow_unit_leaves_nothing(void **state)
{
    struct fixture_dir *d = *state;
    struct ow_store *st = open_store(d->db);
    int64_t run = new_run(st, "a.pcap");
    struct ow_stored_flow ids;
    assert_int_equal(ow_store_begin_batch(st), 0);
    add_flow(st, run, 1, OW_VERDICT_ANOMALY, "", 0, &ids);
    assert_int_equal(ow_store_commit_batch(st), 0);
    const char *counts = ROW_COUNTS;
    int64_t before = count_of(d->db, counts);
    assert_int_equal(sqlite3_exec(ow_store_handle(st), "CREATE TEMP TRIGGER no_alert BEFORE "
                                  "INSERT ON main.alerts BEGIN SELECT RAISE(ABORT, 'injected'); "
                                  "END", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(ow_store_begin_batch(st), 0);
    add_flow(st, run, 2, OW_VERDICT_AUTHORIZED, "", 0, &ids);   /* no alert: goes in */
    struct ow_flow_record r;
    fixture_flow(&r, 3, "10.99.0.7", 40003, "10.20.1.10", 22, 3);
    r.verdict.status = OW_VERDICT_ANOMALY;
    r.verdict.severity = OW_SEV_HIGH;
    FIX_SET(r.verdict.kind, "vendor_unauthorized");
    r.open = 1;
    assert_int_equal(ow_store_add_flow_ids(st, run, &r, &ids), -1);
    assert_non_null(strstr(ow_store_errmsg(st), "injected"));
    add_flow(st, run, 4, OW_VERDICT_AUTHORIZED, "", 0, &ids);
    assert_int_equal(ow_store_commit_batch(st), 0);
    ow_store_close(st);
    /* Flows 2 and 4 and their chain records; nothing of flow 3. */
    assert_int_equal(count_of(d->db, counts), before + 2 * 1000000 + 2);
    assert_int_equal(count_of(d->db, "SELECT count(*) FROM flows WHERE flow_id = 3"), 0);
    struct ow_verify_result v;
    if (verify(d->db, NULL, &v) != 0)
        fail_msg("verify: %s", v.problem);
}

/* The fixture store with a new run, and sql (a temporary trigger) run on the writer's
 * connection: *before is ROW_COUNTS with the run's record. */
static struct ow_store *store_with_new_run(const char *db, const char *pcap, const char *sql,
                                           int64_t *run, int64_t *before)
{
    build_store(db);
    *before = count_of(db, ROW_COUNTS) + 1;
    struct ow_store *st = open_store(db);
    *run = new_run(st, pcap);
    assert_int_equal(sqlite3_exec(ow_store_handle(st), sql, NULL, NULL, NULL), SQLITE_OK);
    return st;
}

/* Up to 2 * OW_CHAIN_HELD open flows (ids 100 on) in the open batch, stopping at the first
 * refused: its number (1 on), or 0 when none was. */
static int open_flows_until_one_fails(struct ow_store *st, int64_t run)
{
    for (int i = 0; i < 2 * OW_CHAIN_HELD; i++) {
        struct ow_flow_record r;
        struct ow_stored_flow ids;
        fixture_flow(&r, 100 + (uint64_t)i, "10.99.0.8", (uint16_t)(41000 + i), "10.20.1.10", 22,
                     1);
        r.open = 1;
        if (ow_store_add_flow_ids(st, run, &r, &ids) != 0)
            return i + 1;
    }
    return 0;
}

/* Held chain records that cannot be inserted lose the batch, wherever the flush comes: in the
 * middle of a unit, when more than OW_CHAIN_HELD records are held (the flow that fills it
 * fails, and every write after it until the commit, which says so), or at the commit (a
 * record colliding with one planted in the file). Nothing of the batch is kept, and the
 * store writes on afterwards. */
static void test_unchainable_records_lose_batch(void **state)
{
    struct fixture_dir *d = *state;
    const char *counts = ROW_COUNTS;
    int64_t run, before;
    struct ow_store *st = store_with_new_run(d->db, "b.pcap", "CREATE TEMP TRIGGER no_flow "
                                             "BEFORE INSERT ON main.chain WHEN NEW.kind = 'flow' "
                                             "AND NEW.row_id = 9 BEGIN SELECT RAISE(ABORT, "
                                             "'injected'); END", &run, &before);
    assert_int_equal(ow_store_begin_batch(st), 0);
    int failed_at = open_flows_until_one_fails(st, run);
    /* Flow row 9 is the third of this batch; its record goes with the first flush. */
    assert_int_equal(failed_at, OW_CHAIN_HELD + 1);
    assert_non_null(strstr(ow_store_errmsg(st), "injected"));
    assert_non_null(strstr(ow_store_errmsg(st), "rolled back"));
    struct ow_flow_record r;
    struct ow_stored_flow ids;
    fixture_flow(&r, 999, "10.99.0.9", 42000, "10.20.1.10", 22, 1);
    r.open = 1;
    assert_int_equal(ow_store_add_flow_ids(st, run, &r, &ids), -1);
    assert_non_null(strstr(ow_store_errmsg(st), "batch was lost"));
    assert_int_equal(ow_store_commit_batch(st), -1);
    assert_int_equal(count_of(d->db, counts), before);
    assert_int_equal(sqlite3_exec(ow_store_handle(st), "DROP TRIGGER temp.no_flow", NULL, NULL,
                                  NULL), SQLITE_OK);
    ow_store_close(st);

    /* A chain record already for the next alert's row, which the batch's commit runs into. */
    tamper(d->db, "INSERT INTO chain (seq, kind, row_id, hash) VALUES "
                  "((SELECT max(seq) + 1 FROM chain), 'alert', "
                  "(SELECT max(id) + 1 FROM alerts), zeroblob(32))");
    before += 1;
    st = open_store(d->db);
    assert_int_equal(ow_store_begin_batch(st), 0);
    add_flow(st, run, 20, OW_VERDICT_AUTHORIZED, "", 0, &ids);
    add_flow(st, run, 21, OW_VERDICT_ANOMALY, "", 0, &ids);     /* its alert: held */
    add_flow(st, run, 22, OW_VERDICT_AUTHORIZED, "", 0, &ids);
    assert_int_equal(ow_store_commit_batch(st), -1);
    assert_non_null(strstr(ow_store_errmsg(st), "UNIQUE"));
    assert_non_null(strstr(ow_store_errmsg(st), "rolled back"));
    assert_int_equal(count_of(d->db, counts), before);
    tamper(d->db, "DELETE FROM chain WHERE seq = (SELECT max(seq) FROM chain)");
    assert_int_equal(ow_store_begin_batch(st), 0);
    add_flow(st, run, 23, OW_VERDICT_ANOMALY, "", 0, &ids);
    assert_int_equal(ow_store_commit_batch(st), 0);
    ow_store_close(st);
    assert_int_equal(count_of(d->db, counts), before - 1 + 1000000 + 1000 + 2);
    struct ow_verify_result v;
    if (verify(d->db, NULL, &v) != 0)
        fail_msg("verify: %s", v.problem);
}

/* The held records' multi-row INSERT lets the table number them, and a record that
 * something else put into the chain table in the same batch (here a trigger, as a hostile
 * store file could carry) shifts those numbers off the seqs the records were hashed with:
 * the flush says so and the batch is lost, the misnumbered rows with it. The store then
 * writes on and verifies. */
static void test_misnumbered_records_lose_batch(void **state)
{
    struct fixture_dir *d = *state;
    const char *counts = ROW_COUNTS;
    int64_t run, before;
    struct ow_store *st = store_with_new_run(d->db, "c.pcap", "CREATE TEMP TRIGGER extra AFTER "
                                             "INSERT ON main.flows WHEN NEW.flow_id = 103 BEGIN "
                                             "INSERT INTO chain (seq, kind, row_id, hash) VALUES "
                                             "((SELECT max(seq) + 1000 FROM chain), 'alert', "
                                             "999999, zeroblob(32)); END", &run, &before);
    assert_int_equal(ow_store_begin_batch(st), 0);
    int failed_at = open_flows_until_one_fails(st, run);
    assert_int_equal(failed_at, OW_CHAIN_HELD + 1);
    assert_non_null(strstr(ow_store_errmsg(st), "did not write"));
    assert_non_null(strstr(ow_store_errmsg(st), "rolled back"));
    assert_int_equal(ow_store_commit_batch(st), -1);
    assert_int_equal(count_of(d->db, counts), before);
    assert_int_equal(sqlite3_exec(ow_store_handle(st), "DROP TRIGGER temp.extra", NULL, NULL,
                                  NULL), SQLITE_OK);
    assert_int_equal(ow_store_begin_batch(st), 0);
    for (int i = 0; i < OW_CHAIN_HELD + 2; i++) {
        struct ow_stored_flow ids;
        add_flow(st, run, 300 + (uint64_t)i, OW_VERDICT_AUTHORIZED, "", 0, &ids);
    }
    assert_int_equal(ow_store_commit_batch(st), 0);
    ow_store_close(st);
    assert_int_equal(count_of(d->db, counts), before + (OW_CHAIN_HELD + 2) * (1000000 + 1));
    struct ow_verify_result v;
    if (verify(d->db, NULL, &v) != 0)
        fail_msg("verify: %s", v.problem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup_dir, teardown_dir)
        T(test_untouched_store_verifies),
        T(test_edited_value),
        T(test_edited_verdict_and_alert),
        T(test_edited_type),
        T(test_deleted_row),
        T(test_deleted_row_and_chain_record),
        T(test_inserted_row),
        T(test_rows_after_run_end),
        T(test_assets_set_unchained),
        T(test_big_store_checks_shared),
        T(test_swapped_rows),
        T(test_reordered_chain_records),
        T(test_edited_coverage),
        T(test_edited_rule_hits),
        T(test_edited_evidence),
        T(test_cut_tail_needs_recorded_head),
        T(test_flow_end_and_progress),
        T(test_unchainable_end_loses_batch),
        T(test_input_hash_at_run_end),
        T(test_unended_run_verifies),
        T(test_runs_continue_chain),
        T(test_processes_share_chain),
        T(test_evidence_roundtrip),
        T(test_pcap_image_check),
        T(test_canonical_encoding_pinned),
        T(test_flows_hashed_as_bound),
        T(test_ended_with_verdict_same_content),
        T(test_end_next_to_its_flow),
        T(test_failed_flow_unit_leaves_nothing),
        T(test_unchainable_records_lose_batch),
        T(test_misnumbered_records_lose_batch),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
