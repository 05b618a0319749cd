/* cli_policy.c — `policy check FILE`, and `policy learn` (cli_learn.c). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "classifiers/classifier.h"
#include "classifiers/ndpi_flow.h"
#include "classifiers/policy/policy.h"
#include "sensor/cli.h"
#include "sensor/file_hash.h"

/* An app name in the policy: an nDPI protocol, or a label of omwitness's O&M classifiers. */
static bool app_known(const char *name, void *ctx)
{
    return ow_ndpi_protocol_known(ctx, name) || ow_cls_label_known(name);
}

int ow_cmd_policy(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        puts("usage: omwitness policy check FILE\n"
             "       omwitness policy learn [--policy FILE] [-o FILE] PCAP...|--db FILE\n\n"
             "check validates a policy file (exit 2 with FILE:LINE:COL: problem when it is not)\n"
             "and prints its assets, rules by kind and the maintenance windows in force now and\n"
             "next. learn writes a draft policy from a baseline ('policy learn --help').");
        return 0;
    }
    if (argc >= 2 && !strcmp(argv[1], "learn"))
        return ow_cmd_policy_learn(argc - 1, argv + 1);
    if (argc != 3 || strcmp(argv[1], "check"))
        return ow_usage_error("policy", "expected 'policy check FILE' or 'policy learn ...'");
    ow_crypto_init();
    char err[512];
    struct ow_ndpi_module *m = ow_ndpi_module_new(NULL, err, sizeof err);
    if (!m) {
        fprintf(stderr, "omwitness: %s\n", err);
        return 1;
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    uint64_t now_us = (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u;
    int rc = ow_policy_check(argv[2], app_known, m, now_us, stdout, err, sizeof err);
    if (rc)
        fprintf(stderr, "omwitness: %s\n", err);
    ow_ndpi_module_free(m);
    return rc;
}
