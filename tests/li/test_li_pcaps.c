/* test_li_pcaps.c — captures through the test harness: the real LI captures, the generated
 * ones (argv[1] is the directory scripts/gen_li_pcaps.py wrote), and a false-positive sweep
 * over nDPI's and tcpdump's test captures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <cmocka.h>

#include "tests/li/li_pcap_flows.h"
#include "tests/li/li_test_data.h"

static const char *gen_dir;

static int read_capture(const char *dir, const char *rel, struct li_test_capture *cap)
{
    char path[4096], err[256];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    if (li_test_read_pcap(path, cap, err, sizeof err) != 0) {
        print_error("%s: %s\n", path, err);
        return -1;
    }
    return 0;
}

static unsigned count_labelled(const struct li_test_capture *cap)
{
    unsigned n = 0;
    for (uint32_t i = 0; i < cap->n_flows; i++)
        n += cap->flows[i].li.label != OW_LI_NONE;
    return n;
}

static void test_x2_demo(void **state)
{
    (void)state;
    const char *dir = li_test_shared_dir();
    if (!dir) {
        LI_SKIP_NO_SHARED_DATA();
        return;
    }
    struct li_test_capture cap;
    assert_int_equal(read_capture(dir, "pcaps/li/x2-demo-01.pcap", &cap), 0);
    assert_int_equal(cap.n_flows, 1);
    const struct li_test_flow *f = li_test_flow_by_port(&cap, 9999);
    assert_non_null(f);
    assert_int_equal(f->client_port, 8888);
    assert_int_equal(f->li.label, OW_LI_X2);
    assert_string_equal(f->li.xid, "8c292fa1-5831-46ec-86be-bd85f2083299");
    assert_string_equal(f->li.target, "<E164Number>494012345678</E164Number>");
    assert_int_equal(f->li.payload_format, 9);
    assert_int_equal(f->li.pdu_count, 1);
    li_test_capture_free(&cap);
}

static void test_etsi_pings(void **state)
{
    (void)state;
    const char *dir = li_test_shared_dir();
    if (!dir) {
        LI_SKIP_NO_SHARED_DATA();
        return;
    }
    struct li_test_capture cap;
    assert_int_equal(read_capture(dir, "pcaps/li/etsi_10_pings.pcap", &cap), 0);
    unsigned hi2 = 0, hi3 = 0;
    for (uint32_t i = 0; i < cap.n_flows; i++) {
        const struct li_test_flow *f = &cap.flows[i];
        if (f->payload_packets == 0) {
            /* refused connection attempts: nothing to classify */
            assert_int_equal(f->li.label, OW_LI_NONE);
            continue;
        }
        if (f->server_port == 44444) {
            assert_int_equal(f->li.label, OW_LI_HI2);
            hi2++;
        } else if (f->server_port == 44445) {
            assert_int_equal(f->li.label, OW_LI_HI3);
            hi3++;
        } else {
            fail_msg("unexpected payload flow to port %u", f->server_port);
        }
        assert_string_equal(f->li.liid, "XP45NN710T");
        assert_true(f->li.confidence >= 90);
        /* decided while the connection was still running */
        assert_true(f->packets_after_decision > 0);
    }
    assert_int_equal(hi2, 1);
    assert_int_equal(hi3, 1);
    li_test_capture_free(&cap);
}

struct expect {
    uint16_t port;
    uint8_t  proto;
    uint8_t  label;
    uint8_t  min_conf, max_conf;
    const char *liid, *xid, *target;
};

static void check_generated(const char *file, const struct expect *exp, size_t n_exp)
{
    struct li_test_capture cap;
    assert_int_equal(read_capture(gen_dir, file, &cap), 0);
    assert_int_equal(cap.n_flows, n_exp);
    for (size_t i = 0; i < n_exp; i++) {
        const struct li_test_flow *f = li_test_flow_by_port(&cap, exp[i].port);
        if (!f)
            fail_msg("%s: no flow to port %u", file, exp[i].port);
        if (f->li.label != exp[i].label || f->li.confidence < exp[i].min_conf ||
            f->li.confidence > exp[i].max_conf)
            fail_msg("%s port %u: label %s conf %u, want %s conf %u..%u", file, exp[i].port,
                     ow_li_label_name(f->li.label), f->li.confidence,
                     ow_li_label_name(exp[i].label), exp[i].min_conf, exp[i].max_conf);
        assert_int_equal(f->l4_proto, exp[i].proto);
        if (exp[i].liid)
            assert_string_equal(f->li.liid, exp[i].liid);
        if (exp[i].xid)
            assert_string_equal(f->li.xid, exp[i].xid);
        if (exp[i].target)
            assert_string_equal(f->li.target, exp[i].target);
    }
    li_test_capture_free(&cap);
}

#define GEN_XID "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
#define GEN_TARGET "<E164Number>4930123456</E164Number>"

static void test_generated_x2x3(void **state)
{
    (void)state;
    static const struct expect exp[] = {
        { 41001, 6, OW_LI_X2, 90, 100, "", GEN_XID, GEN_TARGET },   /* split, 2 PDUs per segment */
        { 41002, 6, OW_LI_X3, 90, 100, "", GEN_XID, GEN_TARGET },   /* keep-alives, out of order */
        { 41003, 6, OW_LI_X2, 1, 40, "", "", "" },                  /* keep-alives only */
        { 41004, 17, OW_LI_X2, 90, 100, "", GEN_XID, GEN_TARGET },  /* UDP */
        { 41005, 6, OW_LI_X3, 90, 100, "", GEN_XID, "" },           /* version 1, no SYN */
    };
    check_generated("li_x2x3.pcap", exp, sizeof exp / sizeof exp[0]);
}

static void test_generated_hi(void **state)
{
    (void)state;
    static const struct expect exp[] = {
        { 42001, 6, OW_LI_HI2, 90, 100, "LIID-HI2-DEF", "", "" },
        { 42002, 6, OW_LI_HI2, 90, 100, "LIID-HI2-INDEF", "", "" },   /* indefinite lengths */
        { 42003, 6, OW_LI_HI3, 90, 100, "LIID-HI3", "", "" },         /* keep-alives first, out of order */
        { 42004, 6, OW_LI_HI3, 90, 100, "hex:01024c49", "", "" },     /* OID length 8, binary LIID */
        { 42005, 6, OW_LI_HI2, 90, 100, "LIID-33108", "", "" },       /* TS 33.108 IRI records */
        { 42006, 6, OW_LI_HI3, 60, 80, "LIID-BIG", "", "" },          /* PDU larger than the window */
    };
    check_generated("li_hi.pcap", exp, sizeof exp / sizeof exp[0]);
}

static void test_generated_x1_hi1(void **state)
{
    (void)state;
    static const struct expect exp[] = {
        { 43001, 6, OW_LI_X1, 90, 100, "", "29f28e1c-f230-486a-a860-f5a784ab9172", "4930123456" },
        { 43002, 6, OW_LI_HI1, 90, 100, "", "", "" },
    };
    check_generated("li_x1_hi1.pcap", exp, sizeof exp / sizeof exp[0]);
}

static void test_generated_near_misses(void **state)
{
    (void)state;
    struct expect exp[15];
    for (size_t i = 0; i < 15; i++)
        exp[i] = (struct expect){ (uint16_t)(44001 + i), 6, OW_LI_NONE, 0, 0, NULL, NULL, NULL };
    check_generated("li_near_miss.pcap", exp, 15);
}

/* Every capture of nDPI's and tcpdump's test suites: no flow may get an LI label. */
static void sweep_dir(const char *dir, unsigned *files, unsigned *skipped, unsigned long *flows)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        struct li_test_capture cap;
        char path[4096], err[256];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (li_test_read_pcap(path, &cap, err, sizeof err) != 0) {
            (*skipped)++;
            continue;
        }
        (*files)++;
        *flows += cap.n_flows;
        for (uint32_t i = 0; i < cap.n_flows; i++)
            if (cap.flows[i].li.label != OW_LI_NONE)
                fail_msg("false positive: %s flow to port %u labelled %s", path,
                         cap.flows[i].server_port, ow_li_label_name(cap.flows[i].li.label));
        li_test_capture_free(&cap);
    }
    closedir(d);
}

static void test_false_positive_sweep(void **state)
{
    (void)state;
    const char *dir = li_test_shared_dir();
    if (!dir) {
        LI_SKIP_NO_SHARED_DATA();
        return;
    }
    unsigned files = 0, skipped = 0;
    unsigned long flows = 0;
    char sub[4096];
    snprintf(sub, sizeof sub, "%s/pcaps/ndpi-4.2", dir);
    sweep_dir(sub, &files, &skipped, &flows);
    snprintf(sub, sizeof sub, "%s/pcaps/tcpdump-tests", dir);
    sweep_dir(sub, &files, &skipped, &flows);
    printf("false-positive sweep: %u captures read, %u skipped (libpcap cannot open), "
           "%lu TCP/UDP flows checked, 0 labelled LI\n", files, skipped, flows);
    assert_true(flows > 1000);
}

/* The generator's own check: the labelled flows counted over all generated captures. */
static void test_generated_totals(void **state)
{
    (void)state;
    static const char *const files[] = { "li_x2x3.pcap", "li_hi.pcap", "li_x1_hi1.pcap",
                                         "li_near_miss.pcap" };
    unsigned labelled = 0;
    for (size_t i = 0; i < 4; i++) {
        struct li_test_capture cap;
        assert_int_equal(read_capture(gen_dir, files[i], &cap), 0);
        labelled += count_labelled(&cap);
        li_test_capture_free(&cap);
    }
    assert_int_equal(labelled, 5 + 6 + 2);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s GENERATED_PCAP_DIR\n", argv[0]);
        return 2;
    }
    gen_dir = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_x2_demo),
        cmocka_unit_test(test_etsi_pings),
        cmocka_unit_test(test_generated_x2x3),
        cmocka_unit_test(test_generated_hi),
        cmocka_unit_test(test_generated_x1_hi1),
        cmocka_unit_test(test_generated_near_misses),
        cmocka_unit_test(test_generated_totals),
        cmocka_unit_test(test_false_positive_sweep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
