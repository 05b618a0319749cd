/* main.c — entry point: picks the subcommand. */
#include <stdio.h>
#include <string.h>

#include "sensor/cli.h"

static const char usage[] =
    "usage: omwitness COMMAND [OPTIONS]\n"
    "\n"
    "Watches a management network and keeps evidence of who accessed it.\n"
    "\n"
    "commands:\n"
    "  replay   [--policy FILE] [--db FILE] [--threads N] [--jsonl FILE|-] PCAP...\n"
    "           classify the flows of pcap/pcapng files and store them\n"
    "  capture  -i IFACE [-i IFACE]... [--policy FILE] [--db FILE] [--threads N] [--jsonl FILE|-]\n"
    "           capture live until SIGINT/SIGTERM, storing everything\n"
    "  flows    [--db FILE] [--format table|jsonl] [--verdict STATUS]   list stored flows\n"
    "  alerts   [--db FILE] [--format table|jsonl] [--follow] [--since RFC3339]   list alerts\n"
    "  policy check FILE   validate a policy file and summarise it\n"
    "  serve, report, verify, evidence: planned (see docs/status.md)\n"
    "\n"
    "Run 'omwitness COMMAND --help' for a command's options.\n"
    "Exit codes: 0 success, 1 runtime failure, 2 bad usage, bad policy or unreadable input.\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        fputs(usage, stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version")) {
        printf("omwitness %s\n", OW_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "replay"))
        return ow_cmd_replay(argc - 1, argv + 1);
    if (!strcmp(cmd, "capture"))
        return ow_cmd_capture(argc - 1, argv + 1);
    if (!strcmp(cmd, "flows"))
        return ow_cmd_flows(argc - 1, argv + 1);
    if (!strcmp(cmd, "alerts"))
        return ow_cmd_alerts(argc - 1, argv + 1);
    if (!strcmp(cmd, "policy"))
        return ow_cmd_policy(argc - 1, argv + 1);
    if (!strcmp(cmd, "serve") || !strcmp(cmd, "report") || !strcmp(cmd, "verify") ||
        !strcmp(cmd, "evidence")) {
        fprintf(stderr, "omwitness: '%s' is not built yet (see docs/status.md)\n", cmd);
        return 1;
    }
    fprintf(stderr, "omwitness: unknown command '%s'; run 'omwitness --help'\n", cmd);
    return 2;
}
