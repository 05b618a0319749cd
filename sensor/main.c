/* main.c — entry point: picks the subcommand. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/alloc.h"
#include "sensor/cli.h"
#include "sensor/cli_evidence.h"
#include "sensor/cli_serve.h"

static const char usage[] =
    "usage: omwitness COMMAND [OPTIONS]\n"
    "\n"
    "Watches a management network and keeps evidence of who accessed it.\n"
    "\n"
    "commands:\n"
    "  replay   [--policy FILE] [--db FILE] [--threads N] [--jsonl FILE|-] PCAP...\n"
    "           classify the flows of pcap/pcapng files and store them\n"
    "  capture  -i IFACE [-i IFACE]... [--policy FILE] [--db FILE] [--threads N] [--jsonl FILE|-]\n"
    "           [--listen ADDR:PORT] [--user NAME] [--group NAME]\n"
    "           capture live until SIGINT/SIGTERM, storing everything\n"
    "  flows    [--db FILE] [--format table|jsonl] [--wide] [--verdict LIST] [--ip ADDR]\n"
    "           [--app NAME] [--asset NAME] [--limit N]   list stored flows\n"
    "  alerts   [--db FILE] [--format table|jsonl] [--wide] [--follow] [--since T] [--until T]\n"
    "           [--severity LIST] [--kind LIST] [--ip ADDR] [--asset NAME] [--rule ID]\n"
    "           [--triage LIST] [--limit N]   list alerts\n"
    "  triage   --alert ID --status open|acknowledged|escalated|closed [--note TEXT] [--db FILE]\n"
    "           record an analyst's disposition of an alert (chained)\n"
    "  policy check FILE   validate a policy file and summarise it\n"
    "  policy learn [--policy FILE] [-o FILE] PCAP...|--db FILE\n"
    "                      write a draft policy from a baseline\n"
    "  serve    [--db FILE] [--listen ADDR:PORT] [--tokens FILE] [--tls-cert F --tls-key F]\n"
    "           web UI and JSON API over a store\n"
    "  report   [--db FILE] [--from RFC3339] [--to RFC3339] [--format json|html] [-o FILE]\n"
    "           [--keys DIR]\n"
    "           what was watched, how completely, and the conclusion for a period\n"
    "  verify   [--db FILE] [--root-key FILE] [--witness FILE] [--head HEX] [--content-root]\n"
    "           recompute the hash chain and check the seal (exit 3 when it fails)\n"
    "  report verify REPORT.json --root-key FILE   check a signed report offline\n"
    "  keys init --dir DIR [--sensor NAME]   make the sealing keys (root and first epoch)\n"
    "  evidence --alert ID [--db FILE] -o OUT.pcap   write an alert's packets\n"
    "\n"
    "Run 'omwitness COMMAND --help' for a command's options.\n"
    "Exit codes: 0 success, 1 runtime failure, 2 bad usage, bad policy or unreadable input,\n"
    "3 (verify, report verify) the evidence fails verification.\n";

int main(int argc, char **argv)
{
    /* Whatever omwitness writes is private unless it says otherwise (--group). */
    umask(077);
    ow_alloc_install_json();
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
    if (!strcmp(cmd, "triage"))
        return ow_cmd_triage(argc - 1, argv + 1);
    if (!strcmp(cmd, "policy"))
        return ow_cmd_policy(argc - 1, argv + 1);
    if (!strcmp(cmd, "serve"))
        return ow_cmd_serve(argc - 1, argv + 1);
    if (!strcmp(cmd, "report"))
        return ow_cmd_report(argc - 1, argv + 1);
    if (!strcmp(cmd, "verify"))
        return ow_cmd_verify(argc - 1, argv + 1);
    if (!strcmp(cmd, "keys"))
        return ow_cmd_keys(argc - 1, argv + 1);
    if (!strcmp(cmd, "evidence"))
        return ow_cmd_evidence(argc - 1, argv + 1);
    fprintf(stderr, "omwitness: unknown command '%s'; run 'omwitness --help'\n", cmd);
    return 2;
}
