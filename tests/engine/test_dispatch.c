/* test_dispatch.c — the reader side: which worker a frame goes to (one per host pair, both
 * directions), how keys spread over workers, what the queued packet message holds, and the
 * ticks and end markers every worker gets. Workers are initialised but not started, so their
 * input rings can be read here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sensor/dispatch.h"
#include "sensor/worker.h"
#include "tests/engine/engine_frames.h"

#define SEC 1000000ull
#define NW 4

static struct ow_worker workers[NW];
static struct ow_dispatcher disp;

static void setup_workers(size_t ring_bytes, bool live)
{
    struct ow_worker_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.max_flows = 16;
    for (int i = 0; i < NW; i++)
        assert_int_equal(ow_worker_init(&workers[i], i, 1, ring_bytes, &cfg, NULL, NULL), 0);
    assert_int_equal(ow_dispatch_init(&disp, workers, NW, 0, live), 0);
}

static void teardown_workers(void)
{
    ow_dispatch_destroy(&disp);
    for (int i = 0; i < NW; i++)
        ow_worker_destroy(&workers[i]);
}

/* Pops the next record of worker i; its type, or 0 when the ring is empty. The record is
 * copied to buf (up to cap bytes). */
static uint32_t pop(int i, void *buf, size_t cap)
{
    size_t len;
    struct ow_ring *r = ow_worker_input(&workers[i], 0);
    const uint32_t *t = ow_ring_peek(r, &len);
    if (!t)
        return 0;
    uint32_t type = *t;
    memcpy(buf, t, len < cap ? len : cap);
    ow_ring_release(r);
    return type;
}

/* The worker holding the single packet record queued since the rings were last emptied
 * (ticks skipped), or -1; fails if more than one packet is found. */
static int where_is_packet(struct ow_msg_packet *out)
{
    int found = -1;
    static uint8_t buf[4096];
    for (int i = 0; i < NW; i++) {
        uint32_t t;
        while ((t = pop(i, buf, sizeof buf))) {
            if (t != OW_MSG_PACKET)
                continue;
            assert_int_equal(found, -1);
            found = i;
            if (out)
                memcpy(out, buf, sizeof *out);
        }
    }
    return found;
}

static void send_udp(const char *src, uint16_t sport, const char *dst, uint16_t dport, uint64_t ts)
{
    struct fb f;
    udp_frame(&f, src, sport, dst, dport, "x");
    ow_dispatch_frame(&disp, DLT_EN10MB, ts, f.len, f.len, f.buf);
}

static void test_symmetric_and_per_host_pair(void **state)
{
    (void)state;
    setup_workers(1u << 16, false);
    char a[32], b[32];
    for (int i = 0; i < 64; i++) {
        snprintf(a, sizeof a, "10.1.%d.%d", i / 7, i + 1);
        snprintf(b, sizeof b, "172.16.%d.%d", i % 5, 200 - i);
        struct ow_msg_packet m1, m2, m3;
        send_udp(a, 5000, b, 53, SEC);
        int w1 = where_is_packet(&m1);
        send_udp(b, 53, a, 5000, SEC);
        int w2 = where_is_packet(&m2);
        send_udp(a, (uint16_t)(6000 + i), b, 443, SEC);   /* another flow, same hosts */
        int w3 = where_is_packet(&m3);
        assert_true(w1 >= 0);
        assert_int_equal(w1, w2);
        assert_int_equal(w1, w3);
        assert_int_equal(w1, (int)ow_dispatch_worker_for(&m1.key, NW));
        /* Both directions carry one key and hash, and say which side sent them. */
        assert_true(ow_flow_key_equal(&m1.key, &m2.key));
        assert_int_equal(m1.key_hash, m2.key_hash);
        assert_int_equal(m1.key_hash, ow_flow_key_hash(&m1.key));
        assert_int_not_equal(m1.from_a, m2.from_a);
        assert_false(ow_flow_key_equal(&m1.key, &m3.key));
    }
    teardown_workers();
}

/* The choice function directly: symmetric in the two addresses, independent of ports, and
 * 4,000 host pairs land within 20 % of an even share on each of 4 workers (and on 3). */
static void test_spread(void **state)
{
    (void)state;
    size_t count4[4] = { 0 }, count3[3] = { 0 };
    for (unsigned i = 0; i < 4000; i++) {
        struct ow_flow_key k, r;
        memset(&k, 0, sizeof k);
        k.family = OW_AF_INET4;
        k.l4_proto = 6;
        k.addr_a[0] = 10;
        k.addr_a[2] = (uint8_t)(i >> 8);
        k.addr_a[3] = (uint8_t)i;
        k.addr_b[0] = 192;
        k.addr_b[1] = 168;
        k.addr_b[3] = 1;
        k.port_a = (uint16_t)i;
        k.port_b = 80;
        r = k;
        memcpy(r.addr_a, k.addr_b, 16);
        memcpy(r.addr_b, k.addr_a, 16);
        r.port_a = 443;
        size_t w = ow_dispatch_worker_for(&k, 4);
        assert_true(w < 4);
        assert_int_equal(w, ow_dispatch_worker_for(&r, 4));
        count4[w]++;
        count3[ow_dispatch_worker_for(&k, 3)]++;
        assert_int_equal(ow_dispatch_worker_for(&k, 1), 0);
    }
    for (int i = 0; i < 4; i++)
        assert_in_range(count4[i], 800, 1200);
    for (int i = 0; i < 3; i++)
        assert_in_range(count3[i], 1067, 1600);
}

/* A tick per second of packet time, sent to every worker ahead of that second's packets,
 * never for time going backwards; the end marker goes to every worker, last. */
static void test_ticks_and_end_to_every_worker(void **state)
{
    (void)state;
    setup_workers(1u << 16, false);
    send_udp("10.0.0.1", 1, "10.0.0.2", 2, 1 * SEC);
    send_udp("10.0.0.1", 1, "10.0.0.2", 2, 1 * SEC + 500000);
    send_udp("10.0.0.1", 1, "10.0.0.2", 2, 2 * SEC);
    send_udp("10.0.0.1", 1, "10.0.0.2", 2, 5 * SEC + 7);
    send_udp("10.0.0.1", 1, "10.0.0.2", 2, 4 * SEC);     /* late: no tick */
    ow_dispatch_end(&disp);
    const uint64_t want[] = { 1 * SEC, 2 * SEC, 5 * SEC + 7 };
    size_t total_packets = 0;
    static uint8_t buf[4096];
    for (int i = 0; i < NW; i++) {
        size_t ticks = 0, packets = 0;
        bool ended = false;
        uint32_t t;
        while ((t = pop(i, buf, sizeof buf))) {
            assert_false(ended);                      /* nothing after the end marker */
            if (t == OW_MSG_TICK) {
                struct ow_msg_tick tk;
                memcpy(&tk, buf, sizeof tk);
                assert_true(ticks < 3);
                assert_int_equal(tk.now_us, want[ticks]);
                ticks++;
            } else if (t == OW_MSG_PACKET) {
                struct ow_msg_packet m;
                memcpy(&m, buf, sizeof m);
                /* The tick of a packet's second came before it (the late one aside). */
                assert_true(ticks >= 1);
                if (m.pkt.ts_us != 4 * SEC)
                    assert_int_equal(want[ticks - 1] / SEC, m.pkt.ts_us / SEC);
                packets++;
            } else {
                assert_int_equal(t, OW_MSG_END);
                ended = true;
            }
        }
        assert_int_equal(ticks, 3);
        assert_true(ended);
        total_packets += packets;
    }
    assert_int_equal(total_packets, 5);
    assert_int_equal(disp.stats.packets, 5);
    assert_int_equal(disp.stats.first_ts_us, 1 * SEC);
    assert_int_equal(disp.stats.last_ts_us, 5 * SEC + 7);
    teardown_workers();
}

/* The message holds the frame's bytes and the decode offsets into them. */
static void test_packet_message_contents(void **state)
{
    (void)state;
    setup_workers(1u << 16, false);
    struct fb f;
    udp_frame(&f, "192.0.2.1", 1234, "198.51.100.7", 161, "public");
    ow_dispatch_frame(&disp, DLT_EN10MB, 3 * SEC, f.len, f.len + 4, f.buf);
    size_t w = 0;
    static uint8_t buf[4096];
    size_t len = 0;
    for (; w < NW; w++) {
        struct ow_ring *r = ow_worker_input(&workers[w], 0);
        const uint32_t *t;
        while ((t = ow_ring_peek(r, &len)) && *t == OW_MSG_TICK)
            ow_ring_release(r);
        if (t) {
            memcpy(buf, t, len);
            ow_ring_release(r);
            break;
        }
    }
    assert_true(w < NW);
    const struct ow_msg_packet *m = (const void *)buf;
    assert_int_equal(len, sizeof *m + f.len);
    assert_int_equal(m->dlt, DLT_EN10MB);
    assert_int_equal(m->pkt.ts_us, 3 * SEC);
    assert_int_equal(m->pkt.caplen, f.len);
    assert_int_equal(m->pkt.wirelen, f.len + 4);
    assert_int_equal(m->pkt.l4_proto, 17);
    assert_int_equal(m->pkt.src.port, 1234);
    assert_int_equal(m->pkt.dst.port, 161);
    assert_memory_equal(buf + sizeof *m, f.buf, f.len);
    assert_memory_equal(buf + sizeof *m + m->pkt.payload_off, "public", 6);
    assert_int_equal(m->pkt.l3_off, 14);
    teardown_workers();
}

/* Frames that are not IP flows are counted and queue nothing (ticks aside). */
static void test_not_ip_and_malformed_counted(void **state)
{
    (void)state;
    setup_workers(1u << 16, false);
    struct fb f;
    f.len = 0;
    fb_eth(&f, 0x0806);                        /* ARP */
    fb_zeros(&f, 28);
    ow_dispatch_frame(&disp, DLT_EN10MB, SEC, f.len, f.len, f.buf);
    udp_frame(&f, "10.0.0.1", 1, "10.0.0.2", 2, "abc");
    ow_dispatch_frame(&disp, DLT_EN10MB, SEC, 20, f.len, f.buf);   /* cut inside IP */
    assert_int_equal(disp.stats.not_ip, 1);
    assert_int_equal(disp.stats.malformed, 1);
    assert_int_equal(disp.stats.packets, 2);
    assert_int_equal(where_is_packet(NULL), -1);
    teardown_workers();
}

/* Live capture drops a packet when its worker's ring is full, and counts it; replay would
 * wait instead. */
static void test_live_drops_when_full(void **state)
{
    (void)state;
    setup_workers(4096, true);
    struct fb f;
    udp_frame(&f, "10.0.0.1", 1, "10.0.0.2", 2, "x");
    size_t per = 8 + ((sizeof(struct ow_msg_packet) + f.len + 7) & ~(size_t)7);
    size_t fit = (4096 - 16) / per;              /* one tick (16 bytes) went first */
    for (size_t i = 0; i < fit + 5; i++)
        ow_dispatch_frame(&disp, DLT_EN10MB, SEC, f.len, f.len, f.buf);
    assert_int_equal(disp.stats.internal_drops, 5);
    assert_int_equal(disp.stats.packets, fit + 5);
    teardown_workers();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_symmetric_and_per_host_pair),
        cmocka_unit_test(test_spread),
        cmocka_unit_test(test_ticks_and_end_to_every_worker),
        cmocka_unit_test(test_packet_message_contents),
        cmocka_unit_test(test_not_ip_and_malformed_counted),
        cmocka_unit_test(test_live_drops_when_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
