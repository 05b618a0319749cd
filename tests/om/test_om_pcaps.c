/* test_om_pcaps.c — O&M classifiers on captures, through the test harness: every flow of the
 * captures scripts/gen_om_pcaps.py writes (argv[1]) gets the label its manifest gives, at
 * least three near-misses per protocol stay unlabelled; and a sweep over every capture of
 * nDPI's and tcpdump's test suites labels exactly the flows tests/om/corpus_labels.tsv
 * lists (argv[2]) — each checked against tshark's dissector with scripts/om_tshark_check.py
 * — and nothing else. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <jansson.h>
#include <cmocka.h>

#include "tests/li/li_pcap_flows.h"
#include "tests/li/li_test_data.h"

static const char *gen_dir, *corpus_list;

static const char *label_of(const struct li_test_flow *f)
{
    return f->om_label[0] ? f->om_label : f->li.label ? ow_li_label_name(f->li.label) : "";
}

static const struct li_test_flow *by_client_port(const struct li_test_capture *cap, uint8_t l4,
                                                 uint16_t port)
{
    for (uint32_t i = 0; i < cap->n_flows; i++)
        if (cap->flows[i].l4_proto == l4 && cap->flows[i].client_port == port)
            return &cap->flows[i];
    return NULL;
}

static void test_generated(void **state)
{
    (void)state;
    char path[4096], err[256];
    snprintf(path, sizeof path, "%s/om_expect.json", gen_dir);
    json_error_t jerr;
    json_t *manifest = json_load_file(path, 0, &jerr);
    if (!manifest)
        fail_msg("%s: %s", path, jerr.text);
    static const char *const protocols[] = { "TACACS", "SNMP", "RMCP", "BFD", "LDP", "PFCP", "LDAP" };
    unsigned near[7] = { 0 }, labelled[7] = { 0 };
    size_t i;
    json_t *e;
    json_array_foreach(manifest, i, e) {
        const char *pcap = json_string_value(json_object_get(e, "pcap"));
        const char *protocol = json_string_value(json_object_get(e, "protocol"));
        const char *proto = json_string_value(json_object_get(e, "proto"));
        const char *want = json_string_value(json_object_get(e, "label"));   /* NULL: near-miss */
        const char *what = json_string_value(json_object_get(e, "what"));
        uint16_t cport = (uint16_t)json_integer_value(json_object_get(e, "client_port"));
        struct li_test_capture cap;
        snprintf(path, sizeof path, "%s/%s", gen_dir, pcap);
        if (li_test_read_pcap(path, &cap, err, sizeof err) != 0)
            fail_msg("%s: %s", path, err);
        const struct li_test_flow *f = by_client_port(&cap, strcmp(proto, "TCP") ? 17 : 6, cport);
        if (!f)
            fail_msg("%s: no flow from client port %u (%s)", pcap, cport, what);
        const char *got = label_of(f);
        if (strcmp(got, want ? want : "") != 0)
            fail_msg("%s port %u (%s): label '%s', want '%s'", pcap, cport, what, got, want ? want : "");
        for (size_t p = 0; p < 7; p++)
            if (strcmp(protocol, protocols[p]) == 0) {
                near[p] += want == NULL;
                labelled[p] += want != NULL;
            }
        li_test_capture_free(&cap);
    }
    for (size_t p = 0; p < 7; p++) {
        printf("%-7s %u labelled flows, %u near-misses unlabelled\n", protocols[p], labelled[p], near[p]);
        assert_true(near[p] >= 3);
        assert_true(labelled[p] >= 3);
    }
    json_decref(manifest);
}

/* "file\tTCP\tclient:port\tserver:port\tLABEL", as tests/li/li_flows prints them. */
struct listed {
    char line[512];
    int seen;
};

static size_t load_list(struct listed **out)
{
    FILE *f = fopen(corpus_list, "r");
    if (!f)
        fail_msg("cannot open %s", corpus_list);
    size_t n = 0, cap = 0;
    struct listed *v = NULL;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0] || line[0] == '#')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            v = realloc(v, cap * sizeof *v);
            assert_non_null(v);
        }
        snprintf(v[n].line, sizeof v[n].line, "%s", line);
        v[n++].seen = 0;
    }
    fclose(f);
    *out = v;
    return n;
}

static void sweep_dir(const char *shared, const char *sub, struct listed *list, size_t n_list,
                      unsigned *files, unsigned long *flows, unsigned *labelled)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/pcaps/%s", shared, sub);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        struct li_test_capture cap;
        char path[sizeof dir + 256], err[256];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (li_test_read_pcap(path, &cap, err, sizeof err) != 0)
            continue;
        (*files)++;
        *flows += cap.n_flows;
        for (uint32_t i = 0; i < cap.n_flows; i++) {
            const struct li_test_flow *f = &cap.flows[i];
            if (!f->om_label[0])
                continue;
            char c[64], s[64], line[4600];
            inet_ntop(f->family == 4 ? AF_INET : AF_INET6, f->client_ip, c, sizeof c);
            inet_ntop(f->family == 4 ? AF_INET : AF_INET6, f->server_ip, s, sizeof s);
            snprintf(line, sizeof line, "%s/%s\t%s\t%s:%u\t%s:%u\t%s", sub, e->d_name,
                     f->l4_proto == 6 ? "TCP" : "UDP", c, f->client_port, s, f->server_port,
                     f->om_label);
            size_t k;
            for (k = 0; k < n_list && strcmp(list[k].line, line) != 0; k++)
                ;
            if (k == n_list)
                fail_msg("labelled but not listed (a false positive unless tshark agrees): %s", line);
            list[k].seen++;
            (*labelled)++;
        }
        li_test_capture_free(&cap);
    }
    closedir(d);
}

static void test_corpus_sweep(void **state)
{
    (void)state;
    const char *shared = li_test_shared_dir();
    if (!shared) {
        LI_SKIP_NO_SHARED_DATA();
        return;
    }
    struct listed *list = NULL;
    size_t n = load_list(&list);
    unsigned files = 0, labelled = 0;
    unsigned long flows = 0;
    sweep_dir(shared, "ndpi-4.2", list, n, &files, &flows, &labelled);
    sweep_dir(shared, "tcpdump-tests", list, n, &files, &flows, &labelled);
    for (size_t k = 0; k < n; k++)
        if (list[k].seen != 1)
            fail_msg("listed but labelled %d times: %s", list[k].seen, list[k].line);
    printf("O&M sweep: %u captures, %lu TCP/UDP flows, %u labelled, all %zu listed ones and no other\n",
           files, flows, labelled, n);
    assert_true(flows > 1000);
    free(list);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s GENERATED_PCAP_DIR CORPUS_LABELS_TSV\n", argv[0]);
        return 2;
    }
    gen_dir = argv[1];
    corpus_list = argv[2];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generated),
        cmocka_unit_test(test_corpus_sweep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
