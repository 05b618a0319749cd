/* test_evidence_buf.c — a flow's evidence as a pcap image: the file header, records laid out
 * as pcap writers do, and the caps by packets and by bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <pcap/pcap.h>

#include "sensor/evidence_buf.h"

static uint32_t get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static void test_header_and_records(void **state)
{
    (void)state;
    struct ow_evidence_buf *b = ow_evidence_new(DLT_EN10MB);
    assert_non_null(b);
    assert_int_equal(b->len, OW_EVIDENCE_HEADER_LEN);
    uint8_t frame[100];
    for (int i = 0; i < 100; i++)
        frame[i] = (uint8_t)i;
    assert_true(ow_evidence_add(b, 1700000000123456ull, 60, 1514, frame, 10, 1u << 20));
    assert_true(ow_evidence_add(b, 1700000001000000ull, 100, 100, frame, 10, 1u << 20));
    uint32_t len, packets;
    bool truncated = true;
    uint8_t *img = ow_evidence_take(b, &len, &packets, &truncated);
    assert_non_null(img);
    assert_int_equal(len, 24 + 16 + 60 + 16 + 100);
    assert_int_equal(packets, 2);
    assert_false(truncated);
    assert_int_equal(get32(img), 0xa1b2c3d4);
    assert_int_equal(get32(img + 20), DLT_EN10MB);
    const uint8_t *r = img + 24;
    assert_int_equal(get32(r), 1700000000u);
    assert_int_equal(get32(r + 4), 123456u);
    assert_int_equal(get32(r + 8), 60);
    assert_int_equal(get32(r + 12), 1514);
    assert_memory_equal(r + 16, frame, 60);
    r += 16 + 60;
    assert_int_equal(get32(r + 4), 0);
    assert_memory_equal(r + 16, frame, 100);
    free(img);
}

static void test_raw_ip_linktype(void **state)
{
    (void)state;
    struct ow_evidence_buf *b = ow_evidence_new(DLT_RAW);
    assert_non_null(b);
    assert_int_equal(get32(b->data + 20), 101);   /* LINKTYPE_RAW, whatever DLT_RAW is here */
    ow_evidence_free(b);
}

static void test_packet_cap(void **state)
{
    (void)state;
    struct ow_evidence_buf *b = ow_evidence_new(DLT_EN10MB);
    assert_non_null(b);
    uint8_t frame[64] = { 0 };
    for (int i = 0; i < 5; i++)
        assert_true(ow_evidence_add(b, (uint64_t)i, 64, 64, frame, 5, 1u << 20));
    assert_false(b->truncated);
    assert_false(ow_evidence_add(b, 6, 64, 64, frame, 5, 1u << 20));
    assert_true(b->truncated);
    assert_int_equal(b->packets, 5);
    assert_int_equal(b->len, 24 + 5 * (16 + 64));
    ow_evidence_free(b);
}

/* The byte cap counts the whole image: header plus records. A packet that would pass it is
 * left out, and a smaller one that still fits is kept after it. */
static void test_byte_cap(void **state)
{
    (void)state;
    struct ow_evidence_buf *b = ow_evidence_new(DLT_EN10MB);
    assert_non_null(b);
    static uint8_t frame[1500];
    uint32_t cap = 24 + 9 * (16 + 1000) + 100;
    for (int i = 0; i < 9; i++)
        assert_true(ow_evidence_add(b, (uint64_t)i, 1000, 1000, frame, 1000, cap));
    assert_false(ow_evidence_add(b, 3, 1000, 1000, frame, 1000, cap));
    assert_true(b->truncated);
    assert_true(ow_evidence_add(b, 4, 84, 84, frame, 1000, cap));   /* exactly to the cap */
    assert_int_equal(b->len, cap);
    assert_false(ow_evidence_add(b, 5, 0, 0, frame, 1000, cap));
    assert_int_equal(b->packets, 10);
    assert_int_equal(b->cap, cap);       /* doubling stopped at the cap, not at 16 KiB */
    ow_evidence_free(b);
}

/* Growth past the first allocation keeps what was written. */
static void test_growth_keeps_data(void **state)
{
    (void)state;
    struct ow_evidence_buf *b = ow_evidence_new(DLT_EN10MB);
    assert_non_null(b);
    static uint8_t frame[1500];
    for (int i = 0; i < 40; i++) {
        memset(frame, i, sizeof frame);
        assert_true(ow_evidence_add(b, (uint64_t)i, 1500, 1500, frame, 1000, 1u << 20));
    }
    for (int i = 0; i < 40; i++) {
        const uint8_t *r = b->data + 24 + (size_t)i * (16 + 1500);
        assert_int_equal(get32(r + 4), (uint32_t)i);
        assert_int_equal(r[16], (uint8_t)i);
        assert_int_equal(r[16 + 1499], (uint8_t)i);
    }
    ow_evidence_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_and_records),
        cmocka_unit_test(test_raw_ip_linktype),
        cmocka_unit_test(test_packet_cap),
        cmocka_unit_test(test_byte_cap),
        cmocka_unit_test(test_growth_keeps_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
