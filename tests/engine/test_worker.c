/* test_worker.c — one worker thread with a real nDPI module and no policy, driven through its
 * input rings with decoded frames, ticks and end markers; what it writes to its output ring
 * is checked: idle timeouts per class on a tick, active-timeout slices, eviction when the
 * table is full, and the done marker only after every reader has ended. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "classifiers/ndpi_flow.h"
#include "sensor/flow_msg.h"
#include "sensor/worker.h"
#include "tests/engine/engine_frames.h"

#define SEC 1000000ull
#define T0 (1700000000ull * SEC)

static struct ow_ndpi_module *ndpi;

static int group_setup(void **state)
{
    (void)state;
    struct ow_ndpi_config cfg;
    memset(&cfg, 0, sizeof cfg);
    char err[256];
    ndpi = ow_ndpi_module_new(&cfg, err, sizeof err);
    return ndpi ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    ow_ndpi_module_free(ndpi);
    return 0;
}

/* One worker at a time, outside any test's stack frame: when an assertion fails the test
 * is left by a long jump, and the teardown below still ends and joins the thread. */
static struct ow_worker the_worker;
static bool worker_inited;

static void start(struct ow_worker *w, size_t n_in, size_t max_flows)
{
    struct ow_worker_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.max_flows = max_flows;
    worker_inited = true;
    assert_int_equal(ow_worker_init(w, 0, n_in, 1u << 20, &cfg, ndpi, NULL), 0);
    assert_int_equal(ow_worker_start(w), 0);
}

static int worker_teardown(void **state)
{
    (void)state;
    struct ow_worker *w = &the_worker;
    if (!worker_inited)
        return 0;
    if (w->started) {
        /* An extra end marker on a reader already ended is never read. */
        for (size_t r = 0; r < w->n_in; r++) {
            struct ow_msg_end *e = ow_ring_reserve(ow_worker_input(w, r), sizeof *e);
            if (e) {
                e->type = OW_MSG_END;
                ow_ring_commit(ow_worker_input(w, r));
            }
        }
        size_t len;
        unsigned spins = 0;
        bool done = false;
        /* Drain while waiting, so a full output ring cannot keep the worker from ending. */
        while (!done) {
            const uint32_t *t = ow_ring_peek(ow_worker_output(w), &len);
            if (!t) {
                ow_ring_backoff(&spins);
                continue;
            }
            done = *t == OW_MSG_WORKER_DONE;
            ow_ring_release(ow_worker_output(w));
        }
        ow_worker_join(w);
    }
    ow_worker_destroy(w);
    worker_inited = false;
    return 0;
}

/* Returns once the worker has consumed everything queued on its input rings: it releases a
 * record only after handling it, so its output for those records is then in the ring. */
static void wait_drained(struct ow_worker *w)
{
    struct timespec ts = { 0, 1000000 };
    for (int i = 0; i < 60000; i++) {
        size_t used = 0;
        for (size_t r = 0; r < w->n_in; r++)
            used += ow_ring_used(ow_worker_input(w, r));
        if (!used)
            return;
        nanosleep(&ts, NULL);
    }
    fail_msg("worker did not drain its input");
}

struct out {
    uint32_t type, what;
    struct ow_flow_record rec;
};

/* Everything in the output ring now. Flow ends (END or WHOLE) and the done marker are kept;
 * verdict records are counted apart, since without a policy they only say "unevaluated". */
static size_t drain(struct ow_worker *w, struct out *o, size_t max, size_t *verdicts)
{
    size_t n = 0, len;
    const uint32_t *type;
    while ((type = ow_ring_peek(ow_worker_output(w), &len))) {
        struct out x;
        memset(&x, 0, sizeof x);
        x.type = *type;
        if (x.type == OW_MSG_FLOW) {
            static struct ow_msg_flow m;
            assert_int_equal(ow_flow_msg_read(type, len, &m), 0);
            assert_null(m.evidence);
            x.what = m.what;
            x.rec = m.rec;
        }
        ow_ring_release(ow_worker_output(w));
        if (x.type == OW_MSG_FLOW && x.what == OW_FLOW_VERDICT) {
            if (verdicts)
                (*verdicts)++;
            continue;
        }
        assert_true(n < max);
        o[n++] = x;
    }
    return n;
}

static bool is_end(const struct out *o)
{
    return o->type == OW_MSG_FLOW && (o->what == OW_FLOW_END || o->what == OW_FLOW_WHOLE);
}

static void tick_expect_none(struct ow_worker *w, uint64_t now)
{
    struct out o[4];
    push_tick(ow_worker_input(w, 0), now);
    wait_drained(w);
    assert_int_equal(drain(w, o, 4, NULL), 0);
}

static void test_idle_timeout_per_class(void **state)
{
    (void)state;
    struct ow_worker *w = &the_worker;
    start(w, 1, 1000);
    struct ow_ring *in = ow_worker_input(w, 0);
    struct fb f;
    udp_frame(&f, "10.0.0.1", 40000, "10.0.0.2", 40001, "zz");
    push_frame(in, T0, &f, NULL);
    tcp_frame(&f, "10.0.0.1", 40002, "10.0.0.2", 40003, TF_SYN);           /* new */
    push_frame(in, T0, &f, NULL);
    icmp_echo_frame(&f, "10.0.0.1", "10.0.0.3");                            /* other */
    push_frame(in, T0, &f, NULL);
    tcp_frame(&f, "10.0.0.1", 40004, "10.0.0.2", 80, TF_SYN);               /* established */
    push_frame(in, T0, &f, NULL);
    tcp_frame(&f, "10.0.0.2", 80, "10.0.0.1", 40004, TF_SYN | TF_ACK);
    push_frame(in, T0, &f, NULL);
    tcp_frame(&f, "10.0.0.1", 40004, "10.0.0.2", 80, TF_ACK);
    push_frame(in, T0, &f, NULL);
    tcp_frame(&f, "10.0.0.1", 40006, "10.0.0.2", 81, TF_SYN);               /* closed */
    push_frame(in, T0, &f, NULL);
    tcp_frame(&f, "10.0.0.2", 81, "10.0.0.1", 40006, TF_SYN | TF_ACK);
    push_frame(in, T0, &f, NULL);
    tcp_frame(&f, "10.0.0.1", 40006, "10.0.0.2", 81, TF_FIN | TF_ACK);
    push_frame(in, T0, &f, NULL);
    tcp_frame(&f, "10.0.0.2", 81, "10.0.0.1", 40006, TF_FIN | TF_ACK);
    push_frame(in, T0, &f, NULL);
    wait_drained(w);
    struct out o[8];
    assert_int_equal(drain(w, o, 8, NULL), 0);
    assert_int_equal(w->active_flows, 5);

    /* Closed TCP: 30 s. */
    tick_expect_none(w, T0 + 30 * SEC - 1);
    push_tick(in, T0 + 30 * SEC);
    wait_drained(w);
    assert_int_equal(drain(w, o, 8, NULL), 1);
    assert_true(is_end(&o[0]));
    assert_int_equal(o[0].rec.client.port, 40006);
    assert_int_equal(o[0].rec.end_reason, OW_END_TCP_CLOSED);
    assert_int_equal(o[0].rec.pkts_toserver, 2);
    assert_int_equal(o[0].rec.pkts_toclient, 2);

    /* Unanswered SYN and ICMP: 60 s. */
    tick_expect_none(w, T0 + 60 * SEC - 1);
    push_tick(in, T0 + 60 * SEC);
    wait_drained(w);
    assert_int_equal(drain(w, o, 8, NULL), 2);
    bool syn = false, icmp = false;
    for (int i = 0; i < 2; i++) {
        assert_true(is_end(&o[i]));
        assert_int_equal(o[i].rec.end_reason, OW_END_IDLE);
        assert_int_equal(o[i].rec.last_ts_us, T0);
        syn |= o[i].rec.l4_proto == 6 && o[i].rec.client.port == 40002;
        icmp |= o[i].rec.l4_proto == 1;
    }
    assert_true(syn && icmp);

    /* UDP: 180 s. */
    tick_expect_none(w, T0 + 180 * SEC - 1);
    push_tick(in, T0 + 180 * SEC);
    wait_drained(w);
    assert_int_equal(drain(w, o, 8, NULL), 1);
    assert_int_equal(o[0].rec.l4_proto, 17);
    assert_int_equal(o[0].rec.end_reason, OW_END_IDLE);

    /* Established TCP: an hour. */
    tick_expect_none(w, T0 + 3600 * SEC - 1);
    push_tick(in, T0 + 3600 * SEC);
    wait_drained(w);
    assert_int_equal(drain(w, o, 8, NULL), 1);
    assert_int_equal(o[0].rec.client.port, 40004);
    assert_int_equal(o[0].rec.server.port, 80);
    assert_int_equal(o[0].rec.end_reason, OW_END_IDLE);

    push_end(in);
    ow_worker_join(w);
    assert_int_equal(drain(w, o, 8, NULL), 1);      /* nothing left to flush */
    assert_int_equal(o[0].type, OW_MSG_WORKER_DONE);
    assert_int_equal(w->flows_started, 5);
    assert_int_equal(w->active_flows, 0);
    assert_int_equal(w->flows_evicted, 0);
}

/* A packet after a flow's idle timeout, with no tick in between, starts a new flow. */
static void test_idle_seen_at_packet(void **state)
{
    (void)state;
    struct ow_worker *w = &the_worker;
    start(w, 1, 1000);
    struct ow_ring *in = ow_worker_input(w, 0);
    struct fb f;
    udp_frame(&f, "10.0.0.1", 40000, "10.0.0.2", 40001, "zz");
    push_frame(in, T0, &f, NULL);
    push_frame(in, T0 + 180 * SEC, &f, NULL);
    push_end(in);
    ow_worker_join(w);
    struct out o[8];
    assert_int_equal(drain(w, o, 8, NULL), 3);
    assert_int_equal(o[0].rec.end_reason, OW_END_IDLE);
    assert_int_equal(o[0].rec.first_ts_us, T0);
    assert_int_equal(o[1].rec.end_reason, OW_END_SHUTDOWN);
    assert_int_equal(o[1].rec.first_ts_us, T0 + 180 * SEC);
    assert_int_not_equal(o[0].rec.flow_id, o[1].rec.flow_id);
    assert_int_equal(o[2].type, OW_MSG_WORKER_DONE);
    assert_int_equal(w->flows_started, 2);
}

/* A UDP flow with a packet every 100 s never idles out; after an hour it is reported in a
 * slice, and the counters start again for the next one. */
static void test_active_timeout_slices(void **state)
{
    (void)state;
    struct ow_worker *w = &the_worker;
    start(w, 1, 1000);
    struct ow_ring *in = ow_worker_input(w, 0);
    struct fb f;
    udp_frame(&f, "10.0.0.1", 40000, "10.0.0.2", 40001, "zz");
    for (uint64_t k = 0; k <= 37; k++) {
        push_tick(in, T0 + k * 100 * SEC);
        push_frame(in, T0 + k * 100 * SEC, &f, NULL);
    }
    push_end(in);
    ow_worker_join(w);
    struct out o[8];
    assert_int_equal(drain(w, o, 8, NULL), 3);
    assert_true(is_end(&o[0]));
    assert_int_equal(o[0].rec.end_reason, OW_END_ACTIVE);
    assert_int_equal(o[0].rec.slice, 0);
    assert_int_equal(o[0].rec.pkts_toserver, 36);    /* k = 0 .. 35 */
    assert_int_equal(o[0].rec.bytes_toserver, 36 * f.len);
    assert_int_equal(o[0].rec.first_ts_us, T0);
    assert_int_equal(o[0].rec.last_ts_us, T0 + 3500 * SEC);
    assert_true(is_end(&o[1]));
    assert_int_equal(o[1].rec.end_reason, OW_END_SHUTDOWN);
    assert_int_equal(o[1].rec.slice, 1);
    assert_int_equal(o[1].rec.pkts_toserver, 2);     /* k = 36, 37 */
    assert_int_equal(o[1].rec.first_ts_us, T0 + 3600 * SEC);
    assert_int_equal(o[1].rec.last_ts_us, T0 + 3700 * SEC);
    assert_memory_equal(&o[0].rec.client, &o[1].rec.client, sizeof o[0].rec.client);
    assert_int_not_equal(o[0].rec.flow_id, o[1].rec.flow_id);
    assert_int_equal(o[2].type, OW_MSG_WORKER_DONE);
    assert_int_equal(w->flows_started, 1);
}

/* At max_flows the least recently used flow goes, whatever its class. */
static void test_eviction_when_full(void **state)
{
    (void)state;
    struct ow_worker *w = &the_worker;
    start(w, 1, 16);
    struct ow_ring *in = ow_worker_input(w, 0);
    struct fb f;
    for (uint16_t i = 0; i < 16; i++) {
        if (i == 1)
            tcp_frame(&f, "10.0.1.1", 41001, "10.0.2.2", 9999, TF_SYN);
        else
            udp_frame(&f, "10.0.1.1", (uint16_t)(41000 + i), "10.0.2.2", 9999, "q");
        push_frame(in, T0 + i * SEC, &f, NULL);
    }
    udp_frame(&f, "10.0.1.1", 41000, "10.0.2.2", 9999, "q");   /* flow 0 is used again */
    push_frame(in, T0 + 20 * SEC, &f, NULL);
    wait_drained(w);
    struct out o[32];
    assert_int_equal(drain(w, o, 32, NULL), 0);
    assert_int_equal(w->active_flows, 16);

    udp_frame(&f, "10.0.1.1", 41016, "10.0.2.2", 9999, "q");
    push_frame(in, T0 + 21 * SEC, &f, NULL);
    wait_drained(w);
    assert_int_equal(drain(w, o, 32, NULL), 1);
    assert_int_equal(o[0].rec.end_reason, OW_END_EVICTED);
    assert_int_equal(o[0].rec.l4_proto, 6);          /* the TCP flow, oldest of all classes */
    assert_int_equal(o[0].rec.client.port, 41001);
    assert_int_equal(w->flows_evicted, 1);

    udp_frame(&f, "10.0.1.1", 41017, "10.0.2.2", 9999, "q");
    push_frame(in, T0 + 22 * SEC, &f, NULL);
    wait_drained(w);
    assert_int_equal(drain(w, o, 32, NULL), 1);
    assert_int_equal(o[0].rec.end_reason, OW_END_EVICTED);
    assert_int_equal(o[0].rec.client.port, 41002);   /* not flow 0, which was touched */
    assert_int_equal(w->flows_evicted, 2);
    assert_int_equal(w->active_flows, 16);

    push_end(in);
    ow_worker_join(w);
    size_t n = drain(w, o, 32, NULL);
    assert_int_equal(n, 17);
    bool flow0 = false;
    for (size_t i = 0; i < 16; i++) {
        assert_true(is_end(&o[i]));
        assert_int_equal(o[i].rec.end_reason, OW_END_SHUTDOWN);
        assert_int_not_equal(o[i].rec.client.port, 41001);
        assert_int_not_equal(o[i].rec.client.port, 41002);
        if (o[i].rec.client.port == 41000) {
            flow0 = true;
            assert_int_equal(o[i].rec.pkts_toserver, 2);
        }
    }
    assert_true(flow0);
    assert_int_equal(o[16].type, OW_MSG_WORKER_DONE);
    assert_int_equal(w->flows_started, 18);
    assert_int_equal(w->packets_lost, 0);
}

/* With two readers the worker finishes only when both have ended; their packets of one flow
 * make one record. */
static void test_done_after_every_reader(void **state)
{
    (void)state;
    struct ow_worker *w = &the_worker;
    start(w, 2, 1000);
    struct fb f;
    udp_frame(&f, "10.0.0.1", 40000, "10.0.0.2", 40001, "zz");
    push_frame(ow_worker_input(w, 0), T0, &f, NULL);
    push_end(ow_worker_input(w, 0));
    wait_drained(w);
    struct out o[8];
    assert_int_equal(drain(w, o, 8, NULL), 0);       /* no flush, no done marker yet */

    udp_frame(&f, "10.0.0.2", 40001, "10.0.0.1", 40000, "yy");
    push_frame(ow_worker_input(w, 1), T0 + SEC, &f, NULL);
    push_end(ow_worker_input(w, 1));
    ow_worker_join(w);
    assert_int_equal(drain(w, o, 8, NULL), 2);
    assert_true(is_end(&o[0]));
    assert_int_equal(o[0].rec.end_reason, OW_END_SHUTDOWN);
    assert_int_equal(o[0].rec.pkts_toserver, 1);
    assert_int_equal(o[0].rec.pkts_toclient, 1);
    assert_int_equal(o[0].rec.client.port, 40000);
    assert_int_equal(o[0].rec.last_ts_us, T0 + SEC);
    assert_int_equal(o[1].type, OW_MSG_WORKER_DONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_idle_timeout_per_class, worker_teardown),
        cmocka_unit_test_teardown(test_idle_seen_at_packet, worker_teardown),
        cmocka_unit_test_teardown(test_active_timeout_slices, worker_teardown),
        cmocka_unit_test_teardown(test_eviction_when_full, worker_teardown),
        cmocka_unit_test_teardown(test_done_after_every_reader, worker_teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
