/* cli_query.c — `flows` and `alerts`: read-only views of the evidence store, filtered with
 * the same filters as the HTTP API (db/query_filter.h), as EVE lines or a table. */
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "db/store.h"
#include "db/triage.h"
#include "sensor/cli.h"
#include "sensor/cli_tables.h"
#include "common/timefmt.h"

static const char flows_help[] =
    "usage: omwitness flows [--db FILE] [--format table|jsonl] [--wide] [--verdict LIST]\n"
    "                       [--ip ADDR] [--app NAME] [--asset NAME] [--limit N]\n"
    "\n"
    "Lists stored flows, oldest first. jsonl prints EVE flow events (src = client).\n"
    "  --verdict LIST  authorized, anomaly, out_of_scope, unevaluated (comma-separated)\n"
    "  --ip ADDR       flows with ADDR as client or server (IPv4 or IPv6)\n"
    "  --app NAME      flows whose application, nDPI app or master protocol is NAME (any case)\n"
    "  --asset NAME    flows whose client or server is the policy asset NAME\n"
    "  --limit N       only the N newest (still printed oldest first)\n"
    "  --wide          the table without any column cut to the terminal's width\n";

static const char alerts_help[] =
    "usage: omwitness alerts [--db FILE] [--format table|jsonl] [--wide] [--follow]\n"
    "                        [--since T] [--until T] [--severity LIST] [--kind LIST]\n"
    "                        [--ip ADDR] [--asset NAME] [--rule ID] [--triage LIST] [--limit N]\n"
    "\n"
    "Lists alerts, oldest first (by the time of their flow's start).\n"
    "  --since T, --until T  alerts of flows that started in [T, T) (RFC 3339, e.g.\n"
    "                        2026-02-10T01:00:00Z)\n"
    "  --severity LIST       critical, high, medium (comma-separated)\n"
    "  --kind LIST           li_unauthorized, maintenance_outside_window, maintenance_overrun,\n"
    "                        vendor_unauthorized, protocol_mismatch, egress_external,\n"
    "                        unlisted_flow\n"
    "  --ip ADDR             alerts with ADDR as client or server\n"
    "  --asset NAME          alerts whose client or server is the asset NAME\n"
    "  --rule ID             alerts naming rule ID\n"
    "  --triage LIST         open, acknowledged, escalated, closed (the current status)\n"
    "  --limit N             only the N newest (still printed oldest first)\n"
    "  --follow              keep printing new alerts as they are stored (Ctrl-C ends)\n"
    "  --wide                the table with whole reasons, nothing cut to the terminal's width\n";

static const char triage_help[] =
    "usage: omwitness triage --alert ID --status open|acknowledged|escalated|closed\n"
    "                        [--note TEXT] [--by NAME] [--db FILE]\n"
    "\n"
    "Records an analyst's disposition of an alert: a new chained record (the alert itself\n"
    "never changes). The history shows in the web UI; the current state in `alerts`, EVE\n"
    "output and the report.\n"
    "  --note TEXT   one line, at most 1000 bytes (e.g. \"vendor call, ticket extended\")\n"
    "  --by NAME     who (default: the login name)\n";

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

/* The table's width: $COLUMNS, else the terminal's, else 160 (a pipe or a file). */
static unsigned table_width(void)
{
    const char *env = getenv("COLUMNS");
    char *end;
    long v = env ? strtol(env, &end, 10) : 0;
    if (env && *env && !*end && v >= 40 && v <= 10000)
        return (unsigned)v;
    struct winsize ws;
    if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
        return ws.ws_col;
    return 160;
}

static int parse_limit(const char *cmd, const char *s, int64_t *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (s[0] < '0' || s[0] > '9' || *end || v < 1 || v > 100000000)
        return ow_usage_error(cmd, "--limit takes a number from 1 to 100000000, not '%s'", s);
    *out = v;
    return 0;
}

/* A name (asset, rule, app): printable ASCII, at most 64 bytes, as the API takes it. */
static int parse_name(const char *cmd, const char *opt, const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return ow_usage_error(cmd, "--%s takes a name of 1 to 64 characters", opt);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
            return ow_usage_error(cmd, "--%s takes printable ASCII", opt);
    return 0;
}

enum { OPT_IP = 256, OPT_APP, OPT_ASSET, OPT_LIMIT, OPT_WIDE, OPT_UNTIL, OPT_SEVERITY,
       OPT_KIND, OPT_RULE, OPT_TRIAGE, OPT_ALERT, OPT_STATUS, OPT_NOTE, OPT_BY };

int ow_cmd_flows(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "db", required_argument, NULL, 'd' },
        { "format", required_argument, NULL, 'f' },
        { "verdict", required_argument, NULL, 'v' },
        { "ip", required_argument, NULL, OPT_IP },
        { "app", required_argument, NULL, OPT_APP },
        { "asset", required_argument, NULL, OPT_ASSET },
        { "limit", required_argument, NULL, OPT_LIMIT },
        { "wide", no_argument, NULL, OPT_WIDE },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *db = "omwitness.db";
    enum ow_output_format fmt = isatty(STDOUT_FILENO) ? OW_FMT_TABLE : OW_FMT_JSONL;
    struct ow_flow_query q = { .port = -1, .l4_proto = -1 };
    char ip[64], err[256];
    bool wide = false;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(flows_help, stdout); return 0;
        case 'd': db = optarg; break;
        case 'f': if (parse_format("flows", optarg, &fmt)) return 2; break;
        case 'v':
            if ((q.nverdicts = ow_parse_choices(optarg, ow_verdict_names, q.verdicts,
                                                OW_API_MAX_CHOICES, "--verdict", err,
                                                sizeof err)) < 0)
                return ow_usage_error("flows", "%s", err);
            break;
        case OPT_IP:
            if (ow_normalise_ip(optarg, ip, sizeof ip) < 0)
                return ow_usage_error("flows", "--ip takes an IPv4 or IPv6 address, not '%s'", optarg);
            q.ip = ip;
            break;
        case OPT_APP: if (parse_name("flows", "app", optarg)) return 2; q.app = optarg; break;
        case OPT_ASSET: if (parse_name("flows", "asset", optarg)) return 2; q.asset = optarg; break;
        case OPT_LIMIT: if (parse_limit("flows", optarg, &q.limit)) return 2; break;
        case OPT_WIDE: wide = true; break;
        case ':': return ow_usage_error("flows", "option '%s' needs a value", argv[optind - 1]);
        default: return ow_usage_error("flows", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return ow_usage_error("flows", "unexpected argument '%s'", argv[optind]);
    struct ow_store *st = open_store(db);
    if (!st)
        return 2;
    struct ow_list_style style = { .fmt = fmt, .wide = wide, .width = table_width(),
                                   .header = true };
    long n = ow_list_flows(st, stdout, &q, &style, err, sizeof err);
    ow_store_close(st);
    if (n < 0)
        fprintf(stderr, "omwitness: %s: %s\n", db, err);
    return n < 0 ? 1 : 0;
}

static int parse_time(const char *opt, const char *s, int64_t *out)
{
    if (ow_rfc3339_parse(s, out) || *out < 0)
        return ow_usage_error("alerts", "--%s takes an RFC 3339 time like 2026-02-10T01:00:00Z, "
                              "not '%s'", opt, s);
    return 0;
}

int ow_cmd_alerts(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "db", required_argument, NULL, 'd' },
        { "format", required_argument, NULL, 'f' },
        { "follow", no_argument, NULL, 'F' },
        { "since", required_argument, NULL, 's' },
        { "until", required_argument, NULL, OPT_UNTIL },
        { "severity", required_argument, NULL, OPT_SEVERITY },
        { "kind", required_argument, NULL, OPT_KIND },
        { "ip", required_argument, NULL, OPT_IP },
        { "asset", required_argument, NULL, OPT_ASSET },
        { "rule", required_argument, NULL, OPT_RULE },
        { "triage", required_argument, NULL, OPT_TRIAGE },
        { "limit", required_argument, NULL, OPT_LIMIT },
        { "wide", no_argument, NULL, OPT_WIDE },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *db = "omwitness.db";
    enum ow_output_format fmt = isatty(STDOUT_FILENO) ? OW_FMT_TABLE : OW_FMT_JSONL;
    struct ow_alert_query q = { 0 };
    bool follow = false, wide = false;
    char ip[64], err[256];
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(alerts_help, stdout); return 0;
        case 'd': db = optarg; break;
        case 'f': if (parse_format("alerts", optarg, &fmt)) return 2; break;
        case 'F': follow = true; break;
        case 's': if (parse_time("since", optarg, &q.from_us)) return 2; q.has_from = true; break;
        case OPT_UNTIL: if (parse_time("until", optarg, &q.to_us)) return 2; q.has_to = true; break;
        case OPT_SEVERITY:
            if ((q.nseverities = ow_parse_choices(optarg, ow_severity_names, q.severities,
                                                  OW_API_MAX_CHOICES, "--severity", err,
                                                  sizeof err)) < 0)
                return ow_usage_error("alerts", "%s", err);
            break;
        case OPT_KIND:
            if ((q.nkinds = ow_parse_choices(optarg, ow_alert_kind_names, q.kinds,
                                             OW_API_MAX_CHOICES, "--kind", err, sizeof err)) < 0)
                return ow_usage_error("alerts", "%s", err);
            break;
        case OPT_TRIAGE:
            if ((q.ntriage = ow_parse_choices(optarg, ow_triage_statuses, q.triage,
                                              OW_API_MAX_CHOICES, "--triage", err,
                                              sizeof err)) < 0)
                return ow_usage_error("alerts", "%s", err);
            break;
        case OPT_IP:
            if (ow_normalise_ip(optarg, ip, sizeof ip) < 0)
                return ow_usage_error("alerts", "--ip takes an IPv4 or IPv6 address, not '%s'", optarg);
            q.ip = ip;
            break;
        case OPT_ASSET: if (parse_name("alerts", "asset", optarg)) return 2; q.asset = optarg; break;
        case OPT_RULE: if (parse_name("alerts", "rule", optarg)) return 2; q.rule = optarg; break;
        case OPT_LIMIT: if (parse_limit("alerts", optarg, &q.limit)) return 2; break;
        case OPT_WIDE: wide = true; break;
        case ':': return ow_usage_error("alerts", "option '%s' needs a value", argv[optind - 1]);
        default: return ow_usage_error("alerts", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return ow_usage_error("alerts", "unexpected argument '%s'", argv[optind]);
    if (q.has_from && q.has_to && q.to_us <= q.from_us)
        return ow_usage_error("alerts", "--until must be later than --since");
    struct ow_store *st = open_store(db);
    if (!st)
        return 2;
    struct ow_list_style style = { .fmt = fmt, .wide = wide, .width = table_width(),
                                   .header = true, .fixed_widths = follow };
    int64_t last_id = 0;
    long n = ow_list_alerts(st, stdout, &q, OW_SORT_TIME, &style, &last_id, err, sizeof err);
    /* Following: new alerts by id, with the same filters and column widths, no header. */
    style.header = false;
    q.limit = 0;
    while (follow && n >= 0) {
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
        q.after_id = last_id;
        n = ow_list_alerts(st, stdout, &q, OW_SORT_ID, &style, &last_id, err, sizeof err);
    }
    ow_store_close(st);
    if (n < 0)
        fprintf(stderr, "omwitness: %s: %s\n", db, err);
    return n < 0 ? 1 : 0;
}

int ow_cmd_triage(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "db", required_argument, NULL, 'd' },
        { "alert", required_argument, NULL, OPT_ALERT },
        { "status", required_argument, NULL, OPT_STATUS },
        { "note", required_argument, NULL, OPT_NOTE },
        { "by", required_argument, NULL, OPT_BY },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *db = "omwitness.db", *status = NULL, *note = "", *by = NULL;
    int64_t alert = 0;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(triage_help, stdout); return 0;
        case 'd': db = optarg; break;
        case OPT_ALERT: {
            char *end;
            long long v = strtoll(optarg, &end, 10);
            if (optarg[0] < '1' || optarg[0] > '9' || *end || v < 1)
                return ow_usage_error("triage", "--alert takes an alert id (a positive number), "
                                      "not '%s'", optarg);
            alert = v;
            break;
        }
        case OPT_STATUS:
            if (!ow_triage_status_valid(optarg))
                return ow_usage_error("triage", "--status is open, acknowledged, escalated or "
                                      "closed, not '%s'", optarg);
            status = optarg;
            break;
        case OPT_NOTE: note = optarg; break;
        case OPT_BY: by = optarg; break;
        case ':': return ow_usage_error("triage", "option '%s' needs a value", argv[optind - 1]);
        default: return ow_usage_error("triage", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return ow_usage_error("triage", "unexpected argument '%s'", argv[optind]);
    if (!alert || !status)
        return ow_usage_error("triage", "--alert ID and --status STATUS are required");
    char err[512];
    if (ow_triage_text_check(note, OW_TRIAGE_NOTE_MAX, "--note", err, sizeof err) < 0 ||
        (by && ow_triage_text_check(by, OW_TRIAGE_BY_MAX, "--by", err, sizeof err) < 0))
        return ow_usage_error("triage", "%s", err);
    char login[OW_TRIAGE_BY_MAX + 1] = "";
    if (!by) {
        const char *name = getlogin();
        if (!name)
            name = getenv("USER");
        snprintf(login, sizeof login, "%s", name && *name ? name : "cli");
        if (ow_triage_text_check(login, OW_TRIAGE_BY_MAX, "login", err, sizeof err) < 0)
            snprintf(login, sizeof login, "cli");
        by = login;
    }
    /* The store must exist: triage never creates one. */
    struct ow_store *probe = ow_store_open_readonly(db, err, sizeof err);
    if (!probe) {
        fprintf(stderr, "omwitness: %s\n", err);
        return 2;
    }
    ow_store_close(probe);
    struct ow_store *st = ow_store_open(db, err, sizeof err);
    if (!st) {
        fprintf(stderr, "omwitness: %s\n", err);
        return 1;
    }
    struct ow_triage_state *t = calloc(1, sizeof *t);
    int rc = t ? ow_triage_add(st, alert, status, note, by, 0, t, err, sizeof err) : -1;
    ow_store_close(st);
    if (rc == 0) {
        char at[40];
        printf("alert %lld: %s by %s at %s%s%s\n", (long long)alert, t->status, t->by,
               ow_rfc3339_format(t->at_us, at, sizeof at), t->note[0] ? ": " : "", t->note);
    } else {
        fprintf(stderr, "omwitness: %s: %s\n", db, t ? err : "out of memory");
    }
    free(t);
    return rc == 0 ? 0 : rc == 1 || rc == 2 ? 2 : 1;
}
