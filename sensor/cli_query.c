/* cli_query.c — `flows` and `alerts`: read-only views of the evidence store. */
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db/store.h"
#include "sensor/cli.h"
#include "sensor/timefmt.h"

static const char flows_help[] =
    "usage: omwitness flows [--db FILE] [--format table|jsonl] [--verdict STATUS]\n"
    "\n"
    "Lists stored flows, oldest first. jsonl prints EVE-style flow events (src = client).\n"
    "  --verdict STATUS   only authorized, anomaly, out_of_scope or unevaluated flows\n";

static const char alerts_help[] =
    "usage: omwitness alerts [--db FILE] [--format table|jsonl] [--follow] [--since RFC3339]\n"
    "\n"
    "Lists alerts, oldest first.\n"
    "  --since TIME   only alerts of flows that started at or after TIME (RFC 3339)\n"
    "  --follow       keep printing new alerts as they are stored (Ctrl-C ends)\n";

static int parse_format(const char *cmd, const char *s, enum ow_output_format *out)
{
    if (!strcmp(s, "table"))
        *out = OW_FMT_TABLE;
    else if (!strcmp(s, "jsonl"))
        *out = OW_FMT_JSONL;
    else
        return ow_usage_error(cmd, "--format is table or jsonl, not '%s'", s);
    return 0;
}

static struct ow_store *open_store(const char *path)
{
    char err[512];
    struct ow_store *st = ow_store_open_readonly(path, err, sizeof err);
    if (!st)
        fprintf(stderr, "omwitness: %s\n", err);
    return st;
}

int ow_cmd_flows(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "db", required_argument, NULL, 'd' },
        { "format", required_argument, NULL, 'f' },
        { "verdict", required_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *db = "omwitness.db", *verdict = NULL;
    enum ow_output_format fmt = isatty(STDOUT_FILENO) ? OW_FMT_TABLE : OW_FMT_JSONL;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(flows_help, stdout); return 0;
        case 'd': db = optarg; break;
        case 'f': if (parse_format("flows", optarg, &fmt)) return 2; break;
        case 'v':
            if (strcmp(optarg, "authorized") && strcmp(optarg, "anomaly") &&
                strcmp(optarg, "out_of_scope") && strcmp(optarg, "unevaluated"))
                return ow_usage_error("flows", "--verdict is authorized, anomaly, out_of_scope or unevaluated, not '%s'", optarg);
            verdict = optarg;
            break;
        case ':': return ow_usage_error("flows", "option '%s' needs a value", argv[optind - 1]);
        default: return ow_usage_error("flows", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return ow_usage_error("flows", "unexpected argument '%s'", argv[optind]);
    struct ow_store *st = open_store(db);
    if (!st)
        return 2;
    long n = ow_store_print_flows(st, stdout, fmt, verdict);
    ow_store_close(st);
    return n < 0 ? 1 : 0;
}

static volatile int follow_stop;

int ow_cmd_alerts(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "db", required_argument, NULL, 'd' },
        { "format", required_argument, NULL, 'f' },
        { "follow", no_argument, NULL, 'F' },
        { "since", required_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *db = "omwitness.db";
    enum ow_output_format fmt = isatty(STDOUT_FILENO) ? OW_FMT_TABLE : OW_FMT_JSONL;
    bool follow = false;
    int64_t since = 0;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(alerts_help, stdout); return 0;
        case 'd': db = optarg; break;
        case 'f': if (parse_format("alerts", optarg, &fmt)) return 2; break;
        case 'F': follow = true; break;
        case 's':
            if (ow_rfc3339_parse(optarg, &since) || since < 0)
                return ow_usage_error("alerts", "--since takes an RFC 3339 time like 2026-02-10T01:00:00Z, not '%s'", optarg);
            break;
        case ':': return ow_usage_error("alerts", "option '%s' needs a value", argv[optind - 1]);
        default: return ow_usage_error("alerts", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return ow_usage_error("alerts", "unexpected argument '%s'", argv[optind]);
    struct ow_store *st = open_store(db);
    if (!st)
        return 2;
    int64_t last_id = 0;
    long n = ow_store_print_alerts(st, stdout, fmt, (uint64_t)since, &last_id);
    while (follow && n >= 0 && !follow_stop) {
        fflush(stdout);
        struct timespec ts = { 0, 500000000 };
        nanosleep(&ts, NULL);
        if (ow_store_is_snapshot(st)) {     /* it would see no new alert: take a new one */
            struct ow_store *again = open_store(db);
            if (!again) {
                ow_store_close(st);
                return 1;
            }
            ow_store_close(st);
            st = again;
        }
        n = ow_store_print_alerts(st, stdout, fmt, (uint64_t)since, &last_id);
    }
    ow_store_close(st);
    return n < 0 ? 1 : 0;
}
