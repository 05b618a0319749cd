/* test_writer.c — the writer thread on its own: flow messages put in a worker's output ring
 * by hand, drained into a real store. A verdict record is held to its batch's commit and,
 * when the flow's end comes in the same batch, written once as an ended row; an overrun on a
 * held flow writes it open first (and only once); a flow still running at the end stays
 * open; the chain verifies whichever way each flow went in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "db/store.h"
#include "db/verify.h"
#include "sensor/flow_msg.h"
#include "sensor/messages.h"
#include "sensor/ring.h"
#include "sensor/writer.h"
#include "tests/db/fixtures.h"

static char dir[64], path[128];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/ow-test-writer-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, sizeof path, "%s/w.db", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char p[200];
    const char *ends[] = { "", "-wal", "-shm" };
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s%s", path, ends[i]);
        unlink(p);
    }
    rmdir(dir);
    return 0;
}

static void put(struct ow_ring *r, uint32_t what, const struct ow_flow_record *rec)
{
    static struct ow_msg_flow m;
    memset(&m, 0, sizeof m);
    m.type = OW_MSG_FLOW;
    m.what = what;
    m.rec = *rec;
    ow_flow_msg_send(r, &m);   /* packed, as a worker sends it */
}

static void flow(struct ow_flow_record *r, uint64_t id, uint8_t status, int open)
{
    fixture_flow(r, id, "10.99.0.7", (uint16_t)(40000 + id), "10.20.1.10", 22, (unsigned)id);
    r->verdict.status = status;
    if (status == OW_VERDICT_ANOMALY) {
        r->verdict.severity = OW_SEV_HIGH;
        FIX_SET(r->verdict.kind, "vendor_unauthorized");
        FIX_SET(r->verdict.reason, "expected no vendor access, saw SSH");
    }
    r->open = (uint8_t)open;
    r->decided_ts_us = r->first_ts_us + 1000u;
}

static void ended(struct ow_flow_record *e, const struct ow_flow_record *v)
{
    *e = *v;
    e->open = 0;
    e->end_reason = OW_END_IDLE;
    e->pkts_toserver += 40;
    e->last_ts_us += 9000000u;
}

static int64_t q(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

static void test_held_verdicts(void **state)
{
    (void)state;
    char err[256];
    struct ow_store *st = ow_store_open(path, err, sizeof err);
    assert_non_null(st);
    struct ow_run_info info = { .kind = "replay", .source = "t.pcap", .source_sha256 = "00",
                                .site = "", .policy_sha256 = "", .version = "test",
                                .threads = 1, .started_wall_us = 1 };
    int64_t run = ow_store_begin_run(st, &info);
    assert_true(run > 0);

    struct ow_ring ring;
    assert_int_equal(ow_ring_init(&ring, 1u << 22), 0);
    struct ow_flow_record v, e;
    /* 1: verdict and end in one batch: one ended row. */
    flow(&v, 1, OW_VERDICT_ANOMALY, 1);
    put(&ring, OW_FLOW_VERDICT, &v);
    ended(&e, &v);
    put(&ring, OW_FLOW_END, &e);
    /* 2: authorized, overrun while running, then its end (the overrun writes the row open). */
    flow(&v, 2, OW_VERDICT_AUTHORIZED, 1);
    FIX_SET(v.verdict.rule, "chg-1");
    FIX_SET(v.verdict.ticket, "CHG-1");
    put(&ring, OW_FLOW_VERDICT, &v);
    put(&ring, OW_FLOW_OVERRUN, &v);
    ended(&e, &v);
    e.late_overrun = 1;
    put(&ring, OW_FLOW_END, &e);
    /* 3: still running when the worker is done. */
    flow(&v, 3, OW_VERDICT_AUTHORIZED, 1);
    put(&ring, OW_FLOW_VERDICT, &v);
    /* 4: whole. */
    flow(&v, 4, OW_VERDICT_OUT_OF_SCOPE, 0);
    put(&ring, OW_FLOW_WHOLE, &v);
    /* 5: two active-timeout slices of one flow id. */
    flow(&v, 5, OW_VERDICT_ANOMALY, 1);
    put(&ring, OW_FLOW_VERDICT, &v);
    ended(&e, &v);
    put(&ring, OW_FLOW_END, &e);
    v.slice = 1;
    put(&ring, OW_FLOW_VERDICT, &v);
    ended(&e, &v);
    put(&ring, OW_FLOW_END, &e);
    struct ow_msg_end *done = ow_ring_reserve(&ring, sizeof *done);
    assert_non_null(done);
    done->type = OW_MSG_WORKER_DONE;
    ow_ring_commit(&ring);

    struct ow_writer w;
    memset(&w, 0, sizeof w);
    struct ow_ring *queues[1] = { &ring };
    w.store = st;
    w.run_id = run;
    w.queues = queues;
    w.nqueues = 1;
    assert_int_equal(ow_writer_start(&w), 0);
    ow_writer_join(&w);
    assert_false(w.failed);
    assert_int_equal(w.flows_written, 6);
    /* 1's verdict alert, 2's overrun alert, 5's alert with its first slice only. */
    assert_int_equal(w.alerts_written, 3);
    ow_store_close(st);
    ow_ring_destroy(&ring);

    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(q(db, "SELECT count(*) FROM flows"), 6);
    assert_int_equal(q(db, "SELECT count(*) FROM flows WHERE flow_id = 2"), 1);
    /* 1 went in ended: the verdict's counters, the end's final ones, its records adjacent. */
    assert_int_equal(q(db, "SELECT pkts_toserver FROM flows WHERE flow_id = 1"), 10);
    assert_int_equal(q(db, "SELECT end_pkts_toserver FROM flows WHERE flow_id = 1"), 50);
    assert_int_equal(q(db, "SELECT end_reason = '' AND ended_reason = 'idle' FROM flows "
                           "WHERE flow_id = 1"), 1);
    assert_int_equal(q(db, "SELECT e.seq - f.seq FROM chain f JOIN chain e ON e.row_id = "
                           "f.row_id AND e.kind = 'flow_end' JOIN flows r ON r.id = f.row_id "
                           "WHERE f.kind = 'flow' AND r.flow_id = 1"), 1);
    /* 2 was written open at its overrun and ended by its end. */
    assert_int_equal(q(db, "SELECT end_overrun FROM flows WHERE flow_id = 2"), 1);
    assert_int_equal(q(db, "SELECT count(*) FROM alerts a JOIN flows f ON f.id = a.flow_row "
                           "WHERE f.flow_id = 2 AND a.kind = 'maintenance_overrun'"), 1);
    assert_int_equal(q(db, "SELECT ended_reason IS NULL FROM flows WHERE flow_id = 3"), 1);
    assert_int_equal(q(db, "SELECT count(*) FROM flows WHERE flow_id = 5 AND "
                           "ended_reason = 'idle'"), 2);
    sqlite3_close(db);

    struct ow_store *ro = ow_store_open_readonly(path, err, sizeof err);
    assert_non_null(ro);
    struct ow_verify_result r;
    assert_int_equal(ow_verify_store(ro, NULL, &r), 0);
    ow_store_close(ro);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_held_verdicts, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
