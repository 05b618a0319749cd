/* test_li_parsers.c — each LI parser on real PS-PDU byte streams and on hand-made PDUs:
 * what they accept, what they reject, and that every truncation of a valid PDU is
 * NEED_MORE (never OK, never a crash). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "classifiers/li/li_ber.h"
#include "classifiers/li/li_hi2_33108.h"
#include "classifiers/li/li_ps_pdu.h"
#include "classifiers/li/li_text.h"
#include "classifiers/li/li_x2x3.h"
#include "classifiers/li/li_xml.h"
#include "classifiers/stream_prefix.h"
#include "tests/li/li_test_data.h"

/* ---- hand-made X2 PDU: the sipgate sample's header layout, shorter payload */
static const uint8_t x2_pdu[] = {
    0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x30, 0x00, 0x00, 0x00, 0x08, 0x00, 0x09, 0x00, 0x03,
    0x8c, 0x29, 0x2f, 0xa1, 0x58, 0x31, 0x46, 0xec, 0x86, 0xbe, 0xbd, 0x85, 0xf2, 0x08, 0x32, 0x99,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x00, 0x11, 0x00, 0x04, '4', '9', '4', '0',              /* TLV 17, target "4940" */
    'R', 'E', 'G', 'I', 'S', 'T', 'E', 'R',                  /* SIP payload */
};

static void test_x2x3_valid(void **state)
{
    (void)state;
    struct ow_x2x3_pdu p;
    assert_int_equal(ow_x2x3_parse(x2_pdu, sizeof x2_pdu, &p), OW_PARSE_OK);
    assert_int_equal(p.type, OW_X2X3_X2);
    assert_int_equal(p.version, 5);
    assert_int_equal(p.size, sizeof x2_pdu);
    assert_int_equal(p.payload_format, 9);
    assert_int_equal(p.target_len, 4);
    assert_memory_equal(p.target, "4940", 4);
    char text[40];
    ow_li_uuid_text(text, sizeof text, p.xid);
    assert_string_equal(text, "8c292fa1-5831-46ec-86be-bd85f2083299");
}

static void test_x2x3_truncations(void **state)
{
    (void)state;
    for (size_t n = 0; n < sizeof x2_pdu; n++) {
        uint8_t *copy = malloc(n ? n : 1);       /* exact-size heap copy: ASan sees overreads */
        assert_non_null(copy);
        memcpy(copy, x2_pdu, n);
        struct ow_x2x3_pdu p;
        assert_int_equal(ow_x2x3_parse(copy, n, &p), OW_PARSE_NEED_MORE);
        assert_int_equal(p.header_ok, n >= 48);
        free(copy);
    }
}

static void test_x2x3_rejects(void **state)
{
    (void)state;
    struct ow_x2x3_pdu p;
    uint8_t b[sizeof x2_pdu];
    struct { size_t off; uint8_t val; } cases[] = {
        { 0, 0x05 },    /* version 0x0505 */
        { 1, 0x00 },    /* version 0 */
        { 1, 0x10 },    /* version 16 */
        { 3, 0x05 },    /* PDU type 5 */
        { 7, 0x2f },    /* header length 47: the TLV walk overshoots */
        { 7, 0x27 },    /* header length 39 */
        { 13, 0x00 },   /* payload format 0 on a data PDU */
        { 13, 0x11 },   /* payload format 17 */
        { 15, 0x06 },   /* direction 6 */
        { 43, 0x05 },   /* TLV length 5: does not land on the header length */
        { 41, 0x00 },   /* TLV type 0 */
        { 48, 0x01 },   /* SIP payload that does not start with a letter */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memcpy(b, x2_pdu, sizeof b);
        b[cases[i].off] = cases[i].val;
        assert_int_equal(ow_x2x3_parse(b, sizeof b, &p), OW_PARSE_BAD);
    }
    /* A keep-alive must carry no payload, format or direction. */
    uint8_t ka[48] = { 0x00, 0x05, 0x00, 0x03, 0, 0, 0, 48, 0, 0, 0, 0, 0, 0, 0, 0 };
    ka[40] = 0; ka[41] = 8; ka[42] = 0; ka[43] = 4; ka[47] = 1;
    assert_int_equal(ow_x2x3_parse(ka, sizeof ka, &p), OW_PARSE_OK);
    assert_int_equal(p.type, OW_X2X3_KEEPALIVE);
    ka[13] = 1;
    assert_int_equal(ow_x2x3_parse(ka, sizeof ka, &p), OW_PARSE_BAD);
}

/* ---- PS-PDUs from the real streams */

struct stream_counts { unsigned pdus, iri, cc, tri, other; size_t consumed; char liid[80]; };

static int walk_ps_stream(const uint8_t *buf, size_t len, struct stream_counts *c)
{
    memset(c, 0, sizeof *c);
    while (c->consumed < len) {
        struct ow_ps_pdu p;
        enum ow_parse r = ow_ps_pdu_parse(buf + c->consumed, len - c->consumed, &p);
        if (r != OW_PARSE_OK)
            return r;
        c->pdus++;
        if (p.payload == OW_PS_PAYLOAD_IRI) c->iri++;
        else if (p.payload == OW_PS_PAYLOAD_CC) c->cc++;
        else if (p.payload == OW_PS_PAYLOAD_TRI) c->tri++;
        else c->other++;
        if ((p.payload == OW_PS_PAYLOAD_IRI || p.payload == OW_PS_PAYLOAD_CC) && !c->liid[0])
            ow_li_printable(c->liid, sizeof c->liid, p.liid, p.liid_len);
        c->consumed += p.size;
    }
    return OW_PARSE_OK;
}

static uint8_t *load_stream(const char *name, size_t *len)
{
    const char *dir = li_test_shared_dir();
    if (!dir)
        return NULL;
    char rel[256];
    snprintf(rel, sizeof rel, "li-streams/%s", name);
    uint8_t *buf = li_test_load(dir, rel, len);
    assert_non_null(buf);
    return buf;
}

static void test_ps_real_hi2(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *buf = load_stream("etsi_10_pings_HI2.raw_tcp", &len);
    if (!buf) {
        LI_SKIP_NO_SHARED_DATA();
        return;
    }
    struct stream_counts c;
    assert_int_equal(walk_ps_stream(buf, len, &c), OW_PARSE_OK);
    assert_int_equal(c.consumed, len);
    assert_true(c.iri >= 1);
    assert_int_equal(c.cc, 0);
    assert_true(c.tri >= 1);
    assert_string_equal(c.liid, "XP45NN710T");
    free(buf);
}

static void test_ps_real_hi3(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *buf = load_stream("etsi_10_pings_HI3.raw_tcp", &len);
    if (!buf) {
        LI_SKIP_NO_SHARED_DATA();
        return;
    }
    struct stream_counts c;
    assert_int_equal(walk_ps_stream(buf, len, &c), OW_PARSE_OK);
    assert_int_equal(c.consumed, len);
    assert_true(c.cc >= 1);
    assert_int_equal(c.iri, 0);
    assert_string_equal(c.liid, "XP45NN710T");
    free(buf);
}

static void test_ps_real_files(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *buf = load_stream("etsi_file.test", &len);
    if (!buf) {
        LI_SKIP_NO_SHARED_DATA();
        return;
    }
    struct stream_counts c;
    assert_int_equal(walk_ps_stream(buf, len, &c), OW_PARSE_OK);
    assert_int_equal(c.consumed, len);
    assert_true(c.cc > 1);            /* IPMM CC (VoIP) */
    assert_int_equal(c.iri, 0);
    free(buf);

    buf = load_stream("etsi_file_iri.test", &len);
    assert_int_equal(walk_ps_stream(buf, len, &c), OW_PARSE_OK);
    assert_int_equal(c.consumed, len);
    assert_true(c.iri > 1);
    assert_string_equal(c.liid, "PRIMOSTATIC");
    free(buf);
}

/* Every prefix of a real PDU is NEED_MORE; a one-byte change anywhere in the header is BAD
 * or, if it only touches content, still parses to the same size. */
static void test_ps_truncations_and_flips(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *buf = load_stream("etsi_10_pings_HI2.raw_tcp", &len);
    if (!buf) {
        LI_SKIP_NO_SHARED_DATA();
        return;
    }
    struct ow_ps_pdu first;
    assert_int_equal(ow_ps_pdu_parse(buf, len, &first), OW_PARSE_OK);
    for (size_t n = 0; n < first.size; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        assert_non_null(copy);
        memcpy(copy, buf, n);
        struct ow_ps_pdu p;
        assert_int_equal(ow_ps_pdu_parse(copy, n, &p), OW_PARSE_NEED_MORE);
        free(copy);
    }
    /* Broken lengths: outer, pSHeader, LIID, payload. */
    const size_t len_offsets[] = { 3, 5, 17, 0x61 };
    for (size_t i = 0; i < sizeof len_offsets / sizeof len_offsets[0]; i++) {
        for (int delta = -1; delta <= 1; delta += 2) {
            uint8_t *copy = malloc(first.size);
            assert_non_null(copy);
            memcpy(copy, buf, first.size);
            copy[len_offsets[i]] = (uint8_t)(copy[len_offsets[i]] + delta);
            struct ow_ps_pdu p;
            enum ow_parse r = ow_ps_pdu_parse(copy, first.size, &p);
            assert_int_not_equal(r, OW_PARSE_OK);
            free(copy);
        }
    }
    free(buf);
}

/* Indefinite lengths: 30 80 A1 80 ... 00 00 A2 80 ... 00 00 00 00 */
static const uint8_t ps_indef[] = {
    0x30, 0x80,
      0xA1, 0x80,
        0x80, 0x07, 0x04, 0x00, 0x02, 0x02, 0x05, 0x01, 0x2b,
        0x81, 0x04, 'L', 'I', '-', '1',
        0x84, 0x01, 0x07,
      0x00, 0x00,
      0xA2, 0x80,
        0xA1, 0x80,                         /* cCPayloadSequence */
          0x30, 0x03, 0x80, 0x01, 0x00,
        0x00, 0x00,
      0x00, 0x00,
    0x00, 0x00,
};

static void test_ps_indefinite(void **state)
{
    (void)state;
    struct ow_ps_pdu p;
    assert_int_equal(ow_ps_pdu_parse(ps_indef, sizeof ps_indef, &p), OW_PARSE_OK);
    assert_int_equal(p.size, sizeof ps_indef);
    assert_int_equal(p.payload, OW_PS_PAYLOAD_CC);
    assert_int_equal(p.version, 0x2b);
    assert_int_equal(p.liid_len, 4);
    for (size_t n = 0; n < sizeof ps_indef; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        assert_non_null(copy);
        memcpy(copy, ps_indef, n);
        assert_int_equal(ow_ps_pdu_parse(copy, n, &p), OW_PARSE_NEED_MORE);
        free(copy);
    }
    /* Missing the final end-of-contents, followed by more bytes. */
    uint8_t b[sizeof ps_indef];
    memcpy(b, ps_indef, sizeof b);
    b[sizeof b - 1] = 0x30;
    assert_int_equal(ow_ps_pdu_parse(b, sizeof b, &p), OW_PARSE_BAD);
    /* Wrong OID arc: li-ps is 5, not 4. */
    memcpy(b, ps_indef, sizeof b);
    b[10] = 0x04;
    assert_int_equal(ow_ps_pdu_parse(b, sizeof b, &p), OW_PARSE_BAD);
}

/* ---- 33.108 IRI record */
static const uint8_t hi2_rec[] = {
    0xA1, 0x16,
      0x80, 0x08, 0x04, 0x00, 0x02, 0x02, 0x04, 0x01, 0x0f, 0x05,
      0x81, 0x05, 'L', 'I', 'I', 'D', '1',
      0xA3, 0x03, 0x80, 0x01, 0x01,
};

static void test_hi2_33108(void **state)
{
    (void)state;
    struct ow_hi2_record r;
    assert_int_equal(ow_hi2_33108_parse(hi2_rec, sizeof hi2_rec, &r), OW_PARSE_OK);
    assert_int_equal(r.size, sizeof hi2_rec);
    assert_int_equal(r.domain_arc, 4);
    assert_int_equal(r.liid_len, 5);
    for (size_t n = 0; n < sizeof hi2_rec; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        assert_non_null(copy);
        memcpy(copy, hi2_rec, n);
        assert_int_equal(ow_hi2_33108_parse(copy, n, &r), OW_PARSE_NEED_MORE);
        free(copy);
    }
    uint8_t b[sizeof hi2_rec];
    memcpy(b, hi2_rec, sizeof b);
    b[20] = 0x04;                         /* [3] overruns the record */
    assert_int_equal(ow_hi2_33108_parse(b, sizeof b, &r), OW_PARSE_BAD);
    memcpy(b, hi2_rec, sizeof b);
    b[8] = 0x05;                          /* 0.4.0.2.2.5: PS-PDU arc, not HI2 */
    assert_int_equal(ow_hi2_33108_parse(b, sizeof b, &r), OW_PARSE_BAD);
    /* An IRISequence wrapping two records. */
    uint8_t seq[2 + 2 * sizeof hi2_rec] = { 0x30, 2 * sizeof hi2_rec };
    memcpy(seq + 2, hi2_rec, sizeof hi2_rec);
    memcpy(seq + 2 + sizeof hi2_rec, hi2_rec, sizeof hi2_rec);
    assert_int_equal(ow_hi2_33108_parse(seq, sizeof seq, &r), OW_PARSE_OK);
    assert_int_equal(r.records, 2);
    /* A PS-PDU is not a 33.108 record and the other way round. */
    assert_int_equal(ow_hi2_33108_parse(ps_indef, sizeof ps_indef, &r), OW_PARSE_BAD);
    struct ow_ps_pdu p;
    assert_int_equal(ow_ps_pdu_parse(seq, sizeof seq, &p), OW_PARSE_BAD);
}

/* ---- BER reader */
static void test_ber(void **state)
{
    (void)state;
    struct ow_ber_hdr h;
    size_t total;
    const uint8_t long_form[] = { 0x30, 0x82, 0x00, 0x03, 0x04, 0x01, 0x00 };
    assert_int_equal(ow_ber_read_hdr(long_form, sizeof long_form, &h), OW_PARSE_OK);
    assert_int_equal(h.hdr_len, 4);
    assert_int_equal(h.len, 3);
    assert_int_equal(ow_ber_element_check(long_form, sizeof long_form, &total), OW_PARSE_OK);
    assert_int_equal(total, 7);
    const uint8_t high_tag[] = { 0xBF, 0x81, 0x02, 0x00 };
    assert_int_equal(ow_ber_read_hdr(high_tag, sizeof high_tag, &h), OW_PARSE_OK);
    assert_int_equal(h.tag, 130);
    const uint8_t five_len_octets[] = { 0x04, 0x85, 1, 1, 1, 1, 1 };
    assert_int_equal(ow_ber_read_hdr(five_len_octets, sizeof five_len_octets, &h), OW_PARSE_BAD);
    const uint8_t indef_primitive[] = { 0x04, 0x80, 0x00, 0x00 };
    assert_int_equal(ow_ber_read_hdr(indef_primitive, sizeof indef_primitive, &h), OW_PARSE_BAD);
    const uint8_t child_overrun[] = { 0x30, 0x03, 0x04, 0x05, 0x00 };
    assert_int_equal(ow_ber_element_check(child_overrun, sizeof child_overrun, &total), OW_PARSE_BAD);
    /* Deep nesting of indefinite lengths stops at the depth limit instead of recursing on. */
    uint8_t deep[2 * (OW_BER_MAX_DEPTH + 4)];
    for (size_t i = 0; i < sizeof deep; i += 2) {
        deep[i] = 0x30;
        deep[i + 1] = 0x80;
    }
    assert_int_equal(ow_ber_element_size(deep, sizeof deep, &total), OW_PARSE_BAD);
}

/* ---- X1 / HI1 over HTTP */
static void test_xml(void **state)
{
    (void)state;
    static const char x1[] =
        "POST /X1/NE HTTP/1.1\r\nHost: ne\r\nContent-Type: text/xml\r\nContent-Length: 140\r\n\r\n"
        "<X1Request xmlns=\"http://uri.etsi.org/03221/X1/2017/10\"><x1:xId>"
        "29f28e1c-f230-486a-a860-f5a784ab9172</x1:xId></X1Request>                     ";
    struct ow_xml_msg m;
    size_t n = strlen(x1);
    assert_int_equal(ow_xml_parse((const uint8_t *)x1, n, 0, &m), OW_PARSE_OK);
    assert_int_equal(m.kind, OW_XML_X1);
    assert_true(m.root_seen);
    assert_int_equal(m.xid_len, 36);
    assert_memory_equal(m.xid, "29f28e1c-f230-486a-a860-f5a784ab9172", 36);
    for (size_t k = 0; k < n; k++)
        assert_int_not_equal(ow_xml_parse((const uint8_t *)x1, k, 0, &m), OW_PARSE_BAD);

    static const char hi1[] =
        "HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\n\r\n"
        "<HI1Message xmlns=\"http://uri.etsi.org/03120/common/2019/10/Core\"/>";
    assert_int_equal(ow_xml_parse((const uint8_t *)hi1, strlen(hi1), 1, &m), OW_PARSE_OK);
    assert_int_equal(m.kind, OW_XML_HI1);

    static const char html[] = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html>";
    assert_int_equal(ow_xml_parse((const uint8_t *)html, strlen(html), 0, &m), OW_PARSE_BAD);
    static const char get[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(ow_xml_parse((const uint8_t *)get, strlen(get), 0, &m), OW_PARSE_BAD);
    static const char ssh[] = "SSH-2.0-OpenSSH_9.2\r\n";
    assert_int_equal(ow_xml_parse((const uint8_t *)ssh, strlen(ssh), 0, &m), OW_PARSE_BAD);
}

/* ---- prefix reassembly */
static void test_stream_prefix(void **state)
{
    (void)state;
    uint8_t data[64] = { 0 }, filled[8] = { 0 };
    struct ow_stream_prefix sp;
    ow_stream_prefix_init(&sp, data, filled, 64);
    ow_stream_prefix_add_tcp(&sp, 0xFFFFFFF0u, true, NULL, 0);     /* SYN near the wrap */
    ow_stream_prefix_add_tcp(&sp, 0xFFFFFFF1u + 4, false, (const uint8_t *)"EFGH", 4);
    assert_int_equal(sp.contiguous, 0);                               /* a hole at 0..3 */
    ow_stream_prefix_add_tcp(&sp, 0xFFFFFFF1u, false, (const uint8_t *)"ABCD", 4);
    assert_int_equal(sp.contiguous, 8);
    assert_memory_equal(data, "ABCDEFGH", 8);
    /* Retransmission overlapping the start, with different bytes: the first copy wins. */
    ow_stream_prefix_add_tcp(&sp, 0xFFFFFFF1u - 2, false, (const uint8_t *)"zzABxx", 6);
    assert_memory_equal(data, "ABCDEFGH", 8);
    /* Across the sequence wrap and past the capacity. */
    uint8_t big[100];
    memset(big, 'Q', sizeof big);
    ow_stream_prefix_add_tcp(&sp, 0xFFFFFFF1u + 8, false, big, sizeof big);
    assert_int_equal(sp.contiguous, 64);
    assert_true(ow_stream_prefix_full(&sp));
    assert_true(sp.saw_beyond);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_x2x3_valid),
        cmocka_unit_test(test_x2x3_truncations),
        cmocka_unit_test(test_x2x3_rejects),
        cmocka_unit_test(test_ps_real_hi2),
        cmocka_unit_test(test_ps_real_hi3),
        cmocka_unit_test(test_ps_real_files),
        cmocka_unit_test(test_ps_truncations_and_flips),
        cmocka_unit_test(test_ps_indefinite),
        cmocka_unit_test(test_hi2_33108),
        cmocka_unit_test(test_ber),
        cmocka_unit_test(test_xml),
        cmocka_unit_test(test_stream_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
