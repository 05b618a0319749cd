/* test_li_stream.c — the per-flow stream: decisions from real byte streams fed in every
 * segmentation, early NONE for ordinary traffic, finish-time decisions, bounded memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "classifiers/proto_stream.h"
#include "tests/li/li_test_data.h"

#define TCP 6
#define UDP 17

/* The LI part of the stream's result. */
static enum ow_proto_state li_result(struct ow_proto_stream *st, struct ow_li_fields *out)
{
    struct ow_proto_result r;
    enum ow_proto_state s = ow_proto_stream_result(st, &r);
    if (s == OW_PROTO_DECIDED && out)
        *out = r.li;
    return s;
}

static void li_finish(struct ow_proto_stream *st, struct ow_li_fields *out)
{
    struct ow_proto_result r;
    ow_proto_stream_finish(st, &r);
    *out = r.li;
}

/* Feeds buf as TCP segments of seg bytes in direction 0 (after a SYN) until decided. */
static enum ow_proto_state feed(struct ow_proto_stream *st, const uint8_t *buf, size_t len, size_t seg,
                             struct ow_li_fields *out)
{
    uint32_t seq = 1000;
    ow_proto_stream_add(st, 0, seq, true, NULL, 0);
    seq++;
    for (size_t off = 0; off < len; off += seg) {
        size_t n = len - off < seg ? len - off : seg;
        ow_proto_stream_add(st, 0, seq, false, buf + off, (uint32_t)n);
        seq += (uint32_t)n;
        if (li_result(st, out) == OW_PROTO_DECIDED)
            return OW_PROTO_DECIDED;
    }
    return OW_PROTO_PENDING;
}

static void check_stream_file(const char *name, uint8_t want, const char *liid)
{
    const char *dir = li_test_shared_dir();
    if (!dir) {
        LI_SKIP_NO_SHARED_DATA();
        return;
    }
    char rel[256];
    size_t len = 0;
    snprintf(rel, sizeof rel, "li-streams/%s", name);
    uint8_t *buf = li_test_load(dir, rel, &len);
    assert_non_null(buf);
    const size_t segs[] = { 1, 7, 94, 536, 1460, 65536 };
    for (size_t i = 0; i < sizeof segs / sizeof segs[0]; i++) {
        struct ow_proto_stream *st = ow_proto_stream_new(TCP);
        struct ow_li_fields f;
        memset(&f, 0, sizeof f);
        if (feed(st, buf, len, segs[i], &f) != OW_PROTO_DECIDED)
            li_finish(st, &f);
        assert_int_equal(f.label, want);
        assert_true(f.confidence >= 80);
        assert_true(f.pdu_count >= 2);
        assert_string_equal(f.liid, liid);
        ow_proto_stream_free(st);
    }
    free(buf);
}

static void test_real_hi2(void **s) { (void)s; check_stream_file("etsi_10_pings_HI2.raw_tcp", OW_LI_HI2, "XP45NN710T"); }
static void test_real_hi3(void **s) { (void)s; check_stream_file("etsi_10_pings_HI3.raw_tcp", OW_LI_HI3, "XP45NN710T"); }
static void test_real_iri_file(void **s) { (void)s; check_stream_file("etsi_file_iri.test", OW_LI_HI2, "PRIMOSTATIC"); }
static void test_real_cc_file(void **s) { (void)s; check_stream_file("etsi_file.test", OW_LI_HI3, "anothervoip4"); }

/* Segments delivered in reverse order still give the in-order prefix. */
static void test_reverse_order(void **state)
{
    (void)state;
    const char *dir = li_test_shared_dir();
    if (!dir) {
        LI_SKIP_NO_SHARED_DATA();
        return;
    }
    size_t len = 0;
    uint8_t *buf = li_test_load(dir, "li-streams/etsi_10_pings_HI2.raw_tcp", &len);
    assert_non_null(buf);
    struct ow_proto_stream *st = ow_proto_stream_new(TCP);
    ow_proto_stream_add(st, 0, 99, true, NULL, 0);
    const size_t seg = 50;
    size_t n_segs = (len + seg - 1) / seg;
    for (size_t i = n_segs; i-- > 0;) {
        size_t off = i * seg, n = len - off < seg ? len - off : seg;
        ow_proto_stream_add(st, 0, 100 + (uint32_t)off, false, buf + off, (uint32_t)n);
        if (i > 0)
            assert_int_equal(li_result(st, NULL), OW_PROTO_PENDING);
    }
    struct ow_li_fields f;
    assert_int_equal(li_result(st, &f), OW_PROTO_DECIDED);
    assert_int_equal(f.label, OW_LI_HI2);
    ow_proto_stream_free(st);
    free(buf);
}

/* Ordinary protocols are dismissed within their first bytes, so the worker frees early. */
static void test_early_none(void **state)
{
    (void)state;
    static const char *const firsts[] = {
        "GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl\r\n\r\n",
        "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n",
        "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 client hello bytes for TLS 1.3 .......",
        "220 mail.example.com ESMTP Postfix\r\n",
    };
    for (size_t i = 0; i < sizeof firsts / sizeof firsts[0]; i++) {
        struct ow_proto_stream *st = ow_proto_stream_new(TCP);
        struct ow_li_fields f;
        size_t n = strlen(firsts[i]);
        assert_true(n <= 64);
        ow_proto_stream_add(st, 0, 5, false, (const uint8_t *)firsts[i], (uint32_t)n);
        assert_int_equal(li_result(st, &f), OW_PROTO_DECIDED);
        assert_int_equal(f.label, OW_LI_NONE);
        ow_proto_stream_free(st);
    }
    /* Zero bytes are a possible X2 start on TCP: pending, then NONE at 64 bytes at the latest. */
    struct ow_proto_stream *st = ow_proto_stream_new(TCP);
    uint8_t zeros[64] = { 0 };
    ow_proto_stream_add(st, 0, 0, true, NULL, 0);
    ow_proto_stream_add(st, 0, 1, false, zeros, 1);
    assert_int_equal(li_result(st, NULL), OW_PROTO_PENDING);
    ow_proto_stream_add(st, 0, 2, false, zeros + 1, sizeof zeros - 1);
    assert_int_equal(li_result(st, NULL), OW_PROTO_DECIDED);
    ow_proto_stream_free(st);
    /* A UDP datagram is whole: one zero byte cannot start a PDU, so NONE at once. */
    st = ow_proto_stream_new(UDP);
    ow_proto_stream_add(st, 0, 0, false, zeros, 1);
    assert_int_equal(li_result(st, NULL), OW_PROTO_DECIDED);
    ow_proto_stream_free(st);
    /* Not TCP or UDP: decided at once. */
    st = ow_proto_stream_new(1);
    assert_int_equal(li_result(st, NULL), OW_PROTO_DECIDED);
    ow_proto_stream_free(st);
}

static size_t x2_pdu(uint8_t *out, uint16_t type, uint32_t corr)
{
    static const char sip[] = "MESSAGE sip:a@b SIP/2.0\r\n\r\n";
    static const char target[] = "sip:alice@example.net";
    uint16_t tlv_len = sizeof target - 1;
    uint32_t hlen = 40 + 4 + tlv_len, plen = sizeof sip - 1;
    uint8_t *p = out;
    *p++ = 0; *p++ = 5; *p++ = 0; *p++ = (uint8_t)type;
    *p++ = 0; *p++ = 0; *p++ = (uint8_t)(hlen >> 8); *p++ = (uint8_t)hlen;
    *p++ = 0; *p++ = 0; *p++ = 0; *p++ = (uint8_t)plen;
    *p++ = 0; *p++ = 9; *p++ = 0; *p++ = 2;
    for (int i = 0; i < 16; i++)
        *p++ = (uint8_t)(0x10 + i);
    for (int i = 0; i < 8; i++)
        *p++ = i == 7 ? (uint8_t)corr : 0;
    *p++ = 0; *p++ = 17; *p++ = 0; *p++ = (uint8_t)tlv_len;
    memcpy(p, target, tlv_len);
    p += tlv_len;
    memcpy(p, sip, plen);
    return hlen + plen;
}

/* One X2 PDU decides only at finish (nothing confirms it earlier); two decide at once. */
static void test_x2_single_and_pair(void **state)
{
    (void)state;
    uint8_t buf[512];
    size_t n = x2_pdu(buf, 1, 1);
    struct ow_proto_stream *st = ow_proto_stream_new(TCP);
    struct ow_li_fields f;
    ow_proto_stream_add(st, 0, 1, false, buf, (uint32_t)n);
    assert_int_equal(li_result(st, &f), OW_PROTO_PENDING);
    li_finish(st, &f);
    assert_int_equal(f.label, OW_LI_X2);
    assert_int_equal(f.pdu_count, 1);
    assert_string_equal(f.xid, "10111213-1415-1617-1819-1a1b1c1d1e1f");
    assert_string_equal(f.target, "sip:alice@example.net");
    assert_int_equal(f.payload_format, 9);
    ow_proto_stream_free(st);

    size_t m = n + x2_pdu(buf + n, 1, 2);
    st = ow_proto_stream_new(TCP);
    ow_proto_stream_add(st, 0, 1, false, buf, (uint32_t)m);
    assert_int_equal(li_result(st, &f), OW_PROTO_DECIDED);
    assert_int_equal(f.label, OW_LI_X2);
    assert_int_equal(f.confidence, 95);
    ow_proto_stream_free(st);

    /* A truncated single PDU at finish: looks like a near-miss, so no label. */
    st = ow_proto_stream_new(TCP);
    ow_proto_stream_add(st, 0, 1, false, buf, (uint32_t)n - 3);
    li_finish(st, &f);
    assert_int_equal(f.label, OW_LI_NONE);
    ow_proto_stream_free(st);
}

/* UDP: PDUs never span datagrams. One X2 PDU per datagram is X2; the same bytes cut across
 * two datagrams, or followed by stray bytes inside the datagram, are a near-miss. */
static void test_udp_datagrams(void **state)
{
    (void)state;
    uint8_t a[512], b[512];
    size_t na = x2_pdu(a, 1, 1), nb = x2_pdu(b, 1, 2);
    struct ow_li_fields f;
    struct ow_proto_stream *st = ow_proto_stream_new(UDP);
    ow_proto_stream_add(st, 0, 0, false, a, (uint32_t)na);
    ow_proto_stream_add(st, 0, 0, false, b, (uint32_t)nb);
    assert_int_equal(li_result(st, &f), OW_PROTO_DECIDED);
    assert_int_equal(f.label, OW_LI_X2);
    ow_proto_stream_free(st);

    st = ow_proto_stream_new(UDP);
    ow_proto_stream_add(st, 0, 0, false, a, 30);
    ow_proto_stream_add(st, 0, 0, false, a + 30, (uint32_t)na - 30);
    li_finish(st, &f);
    assert_int_equal(f.label, OW_LI_NONE);
    ow_proto_stream_free(st);

    memcpy(a + na, "xyz", 3);
    st = ow_proto_stream_new(UDP);
    ow_proto_stream_add(st, 0, 0, false, a, (uint32_t)na + 3);
    ow_proto_stream_add(st, 0, 0, false, b, (uint32_t)nb);
    li_finish(st, &f);
    assert_int_equal(f.label, OW_LI_NONE);
    ow_proto_stream_free(st);
}

/* A long stream is kept to OW_PROTO_MAX_BYTES and decided when the window is full. */
static void test_bounded(void **state)
{
    (void)state;
    uint8_t pdu[512];
    size_t n = x2_pdu(pdu, 2, 1);
    pdu[13] = 4;                                  /* proprietary payload: any bytes */
    pdu[11] = 0xFF;                               /* payload length 255 + header... */
    pdu[10] = 0x7F;                               /* ...0x7FFF bytes in all: bigger than the window */
    struct ow_proto_stream *st = ow_proto_stream_new(TCP);
    uint8_t chunk[1000];
    memset(chunk, 0xAB, sizeof chunk);
    ow_proto_stream_add(st, 0, 0, true, NULL, 0);
    ow_proto_stream_add(st, 0, 1, false, pdu, (uint32_t)(n - 27));
    uint32_t seq = 1 + (uint32_t)(n - 27);
    struct ow_li_fields f;
    for (int i = 0; i < 20 && li_result(st, &f) == OW_PROTO_PENDING; i++) {
        ow_proto_stream_add(st, 0, seq, false, chunk, sizeof chunk);
        seq += sizeof chunk;
    }
    assert_int_equal(li_result(st, &f), OW_PROTO_DECIDED);
    assert_int_equal(f.label, OW_LI_X3);
    assert_int_equal(f.confidence, 70);
    ow_proto_stream_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_hi2),
        cmocka_unit_test(test_real_hi3),
        cmocka_unit_test(test_real_iri_file),
        cmocka_unit_test(test_real_cc_file),
        cmocka_unit_test(test_reverse_order),
        cmocka_unit_test(test_early_none),
        cmocka_unit_test(test_x2_single_and_pair),
        cmocka_unit_test(test_udp_datagrams),
        cmocka_unit_test(test_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
