/* cli_run.c — `replay` and `capture`: option parsing into engine options. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sensor/cli.h"
#include "db/seal_keys.h"
#include "sensor/engine.h"

int ow_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "omwitness %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "; see 'omwitness %s --help'\n", cmd);
    return 2;
}

static int parse_count(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* Files ndpiReader's test suite loads, looked up in an nDPI configuration folder. */
static const char *config_file(const char *dir, const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", dir, name);
    return access(buf, R_OK) == 0 ? buf : NULL;
}

enum {
    OPT_POLICY = 1000, OPT_DB, OPT_THREADS, OPT_JSONL, OPT_NDPI_CONFIG, OPT_MAX_FLOWS,
    OPT_NO_PROGRESS, OPT_LISTEN, OPT_NO_PROMISC, OPT_BUFFER_MB, OPT_SNAPLEN, OPT_GAP, OPT_EVIDENCE_MB,
    OPT_TOKENS, OPT_EVIDENCE_PACKETS, OPT_EVIDENCE_KB, OPT_USER, OPT_GROUP, OPT_TLS_CERT,
    OPT_TLS_KEY, OPT_WEBUI, OPT_SENSOR, OPT_PROGRESS_SECONDS, OPT_KEYS, OPT_WITNESS,
    OPT_WITNESS_SYSLOG, OPT_EPOCH_SECONDS, OPT_HEARTBEAT_SECONDS,
};

static const char replay_help[] =
    "usage: omwitness replay [--policy FILE] [--db FILE] [--threads N] [--jsonl FILE|-] PCAP...\n"
    "\n"
    "Reads pcap/pcapng files in order, classifies every flow (nDPI and LI classifiers),\n"
    "evaluates it against the policy and stores flows and alerts in the evidence store.\n"
    "\n"
    "  --policy FILE       allowlist policy (YAML); without it flows are 'unevaluated'\n"
    "  --db FILE           evidence store (default omwitness.db; created if missing)\n"
    "  --threads N         worker threads (default: online CPUs); results do not depend on it\n"
    "  --jsonl FILE|-      also stream EVE JSON lines (alerts and flows) to FILE or stdout\n"
    "  --ndpi-config DIR   load protos.txt, categories.txt, risky_domains.txt,\n"
    "                      ja3_fingerprints.csv, sha1_fingerprints.csv from DIR if present\n"
    "  --max-flows N       flows kept in memory at once (default 1000000)\n"
    "  --evidence-mb N     packets of anomalous flows kept as evidence per run (default 1024)\n"
    "  --evidence-packets N, --evidence-kb N\n"
    "                      evidence kept per anomalous flow, from its first packet on\n"
    "                      (default 1000 packets and 2048 KiB, whichever comes first)\n"
    "  --group NAME        the store and outputs are mode 0640 for this group (else 0600)\n"
    "  --keys DIR          seal the store with the keys made by 'omwitness keys init'\n"
    "                      (default " OW_DEFAULT_KEYS_DIR " when it holds keys; without\n"
    "                      keys the evidence is unsealed and reports say so)\n"
    "  --witness FILE      append every signed checkpoint to FILE (JSON lines; put it on a\n"
    "                      remote or write-once mount)\n"
    "  --witness-syslog    send every checkpoint to the local syslog socket (RFC 5424)\n"
    "  --epoch-seconds N   a new epoch key every N s of wall time (default 900)\n"
    "  --heartbeat-seconds N  a checkpoint at least every N s, in silence too (default 60)\n"
    "  --sensor NAME       the sensor's name, stored with the run and given as EVE 'host'\n"
    "                      (default: the host name)\n"
    "  --no-progress       no progress line on stderr\n";

static const char capture_help[] =
    "usage: omwitness capture -i IFACE [-i IFACE]... [--policy FILE] [--db FILE] [--threads N]\n"
    "                         [--jsonl FILE|-] [--no-promisc] [--buffer-mb N] [--snaplen N]\n"
    "\n"
    "Captures live on the interfaces until SIGINT or SIGTERM, then stores every flow and\n"
    "records the kernel's and omwitness's own drop counters with the run.\n"
    "\n"
    "  -i, --interface IFACE  interface to capture on (repeatable)\n"
    "  --policy, --db, --threads, --jsonl, --ndpi-config, --max-flows, --evidence-mb,\n"
    "  --evidence-packets, --evidence-kb, --keys, --witness, --witness-syslog,\n"
    "  --epoch-seconds, --heartbeat-seconds: as for replay\n"
    "  --no-promisc        do not put the interfaces in promiscuous mode\n"
    "  --buffer-mb N       kernel capture buffer per interface in MiB (default 64)\n"
    "  --snaplen N         bytes captured per packet (default 262144)\n"
    "  --gap-seconds N     a silence longer than N s on an interface is recorded as a\n"
    "                      coverage gap (default 300)\n"
    "  --progress-seconds N  record the capture's coverage so far every N s (default 60),\n"
    "                      so a report can cover a period inside a running capture\n"
    "  --sensor NAME       as for replay\n"
    "  --user NAME         once the interfaces, store, outputs and listening socket are\n"
    "                      open, run as this user (its group, no others), with no\n"
    "                      capabilities, no_new_privs and a seccomp allowlist; started\n"
    "                      as root without it, the capture warns (docs/hardening.md)\n"
    "  --group NAME        the store and outputs are mode 0640 for this group (else 0600);\n"
    "                      with --user, also the group the capture runs as\n"
    "  --listen ADDR:PORT  serve the web UI and JSON API while capturing (as 'serve');\n"
    "                      an address outside 127.0.0.0/8 and ::1 needs TLS\n"
    "  --tokens FILE, --tls-cert FILE, --tls-key FILE, --webui DIR: as for 'serve'\n";

static int run_command(int argc, char **argv, bool live)
{
    const char *cmd = live ? "capture" : "replay";
    static const struct option longopts[] = {
        { "policy", required_argument, NULL, OPT_POLICY },
        { "db", required_argument, NULL, OPT_DB },
        { "threads", required_argument, NULL, OPT_THREADS },
        { "jsonl", required_argument, NULL, OPT_JSONL },
        { "ndpi-config", required_argument, NULL, OPT_NDPI_CONFIG },
        { "max-flows", required_argument, NULL, OPT_MAX_FLOWS },
        { "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
        { "interface", required_argument, NULL, 'i' },
        { "listen", required_argument, NULL, OPT_LISTEN },
        { "no-promisc", no_argument, NULL, OPT_NO_PROMISC },
        { "buffer-mb", required_argument, NULL, OPT_BUFFER_MB },
        { "snaplen", required_argument, NULL, OPT_SNAPLEN },
        { "gap-seconds", required_argument, NULL, OPT_GAP },
        { "evidence-mb", required_argument, NULL, OPT_EVIDENCE_MB },
        { "tokens", required_argument, NULL, OPT_TOKENS },
        { "tls-cert", required_argument, NULL, OPT_TLS_CERT },
        { "tls-key", required_argument, NULL, OPT_TLS_KEY },
        { "webui", required_argument, NULL, OPT_WEBUI },
        { "user", required_argument, NULL, OPT_USER },
        { "group", required_argument, NULL, OPT_GROUP },
        { "evidence-packets", required_argument, NULL, OPT_EVIDENCE_PACKETS },
        { "evidence-kb", required_argument, NULL, OPT_EVIDENCE_KB },
        { "keys", required_argument, NULL, OPT_KEYS },
        { "witness", required_argument, NULL, OPT_WITNESS },
        { "witness-syslog", no_argument, NULL, OPT_WITNESS_SYSLOG },
        { "epoch-seconds", required_argument, NULL, OPT_EPOCH_SECONDS },
        { "heartbeat-seconds", required_argument, NULL, OPT_HEARTBEAT_SECONDS },
        { "sensor", required_argument, NULL, OPT_SENSOR },
        { "progress-seconds", required_argument, NULL, OPT_PROGRESS_SECONDS },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    struct ow_engine_opts o = {
        .db_path = "omwitness.db", .threads = ncpu > 0 ? (int)ncpu : 1, .progress = true,
        .promisc = true, .buffer_mb = 64, .snaplen = 262144,
    };
    char *ifaces[64];
    int nifaces = 0;
    static char paths[5][4096];
    long v;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, live ? ":hi:" : ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(live ? capture_help : replay_help, stdout);
            return 0;
        case OPT_POLICY: o.policy_path = optarg; break;
        case OPT_DB: o.db_path = optarg; break;
        case OPT_JSONL: o.jsonl_path = optarg; break;
        case OPT_NO_PROGRESS: o.progress = false; break;
        case OPT_THREADS:
            if (parse_count(optarg, 1, 256, &v))
                return ow_usage_error(cmd, "--threads takes a number from 1 to 256, not '%s'", optarg);
            o.threads = (int)v;
            break;
        case OPT_MAX_FLOWS:
            if (parse_count(optarg, 1000, 100000000, &v))
                return ow_usage_error(cmd, "--max-flows takes a number from 1000 to 100000000, not '%s'", optarg);
            o.max_flows = (size_t)v;
            break;
        case OPT_NDPI_CONFIG:
            o.ndpi.protos_file = config_file(optarg, "protos.txt", paths[0], sizeof paths[0]);
            o.ndpi.categories_file = config_file(optarg, "categories.txt", paths[1], sizeof paths[1]);
            o.ndpi.risky_domains_file = config_file(optarg, "risky_domains.txt", paths[2], sizeof paths[2]);
            o.ndpi.ja3_file = config_file(optarg, "ja3_fingerprints.csv", paths[3], sizeof paths[3]);
            o.ndpi.sha1_file = config_file(optarg, "sha1_fingerprints.csv", paths[4], sizeof paths[4]);
            if (!o.ndpi.protos_file && !o.ndpi.categories_file)
                return ow_usage_error(cmd, "--ndpi-config %s: no protos.txt or categories.txt there", optarg);
            break;
        case 'i':
            if (!live)
                return ow_usage_error(cmd, "-i belongs to 'capture'");
            if (nifaces == (int)(sizeof ifaces / sizeof ifaces[0]))
                return ow_usage_error(cmd, "too many interfaces");
            ifaces[nifaces++] = optarg;
            break;
        case OPT_EVIDENCE_MB:
            if (parse_count(optarg, 1, 1048576, &v))
                return ow_usage_error(cmd, "--evidence-mb takes a number from 1 to 1048576, not '%s'", optarg);
            o.evidence_mb = (uint64_t)v;
            break;
        case OPT_EVIDENCE_PACKETS:
            if (parse_count(optarg, 1, 1000000, &v))
                return ow_usage_error(cmd, "--evidence-packets takes a number from 1 to 1000000, not '%s'", optarg);
            o.evidence_packets = (uint32_t)v;
            break;
        case OPT_EVIDENCE_KB:
            if (parse_count(optarg, 1, 65536, &v))
                return ow_usage_error(cmd, "--evidence-kb takes a number from 1 to 65536, not '%s'", optarg);
            o.evidence_kb = (uint32_t)v;
            break;
        case OPT_TOKENS:
        case OPT_TLS_CERT:
        case OPT_TLS_KEY:
        case OPT_WEBUI:
        case OPT_USER:
            if (!live)
                return ow_usage_error(cmd, "%s belongs to 'capture'", argv[optind - 2]);
            if (c == OPT_TOKENS)
                o.tokens_path = optarg;
            else if (c == OPT_TLS_CERT)
                o.tls_cert_path = optarg;
            else if (c == OPT_TLS_KEY)
                o.tls_key_path = optarg;
            else if (c == OPT_WEBUI)
                o.webui_dir = optarg;
            else
                o.user = optarg;
            break;
        case OPT_GROUP:
            o.group = optarg;
            break;
        case OPT_KEYS: o.keys_dir = optarg; break;
        case OPT_WITNESS: o.witness_path = optarg; break;
        case OPT_WITNESS_SYSLOG: o.witness_syslog = true; break;
        case OPT_EPOCH_SECONDS:
        case OPT_HEARTBEAT_SECONDS:
            if (parse_count(optarg, 1, 86400, &v))
                return ow_usage_error(cmd, "%s takes a number of seconds from 1 to 86400, not "
                                      "'%s'", argv[optind - 2], optarg);
            if (c == OPT_EPOCH_SECONDS)
                o.epoch_seconds = (unsigned)v;
            else
                o.heartbeat_seconds = (unsigned)v;
            break;
        case OPT_SENSOR:
            if (!*optarg || strlen(optarg) > 255)
                return ow_usage_error(cmd, "--sensor takes a name of 1 to 255 bytes");
            o.sensor = optarg;
            break;
        case OPT_PROGRESS_SECONDS:
            if (!live)
                return ow_usage_error(cmd, "--progress-seconds belongs to 'capture'");
            if (parse_count(optarg, 1, 86400, &v))
                return ow_usage_error(cmd, "--progress-seconds takes a number from 1 to 86400, not '%s'", optarg);
            o.progress_seconds = (unsigned)v;
            break;
        case OPT_GAP:
            if (!live)
                return ow_usage_error(cmd, "--gap-seconds belongs to 'capture'");
            if (parse_count(optarg, 1, 86400, &v))
                return ow_usage_error(cmd, "--gap-seconds takes a number from 1 to 86400, not '%s'", optarg);
            o.gap_seconds = (unsigned)v;
            break;
        case OPT_NO_PROMISC:
        case OPT_BUFFER_MB:
        case OPT_SNAPLEN:
        case OPT_LISTEN:
            if (!live)
                return ow_usage_error(cmd, "%s belongs to 'capture'", argv[optind - 1]);
            if (c == OPT_NO_PROMISC)
                o.promisc = false;
            else if (c == OPT_LISTEN)
                o.listen = optarg;
            else if (parse_count(optarg, c == OPT_SNAPLEN ? 64 : 1, c == OPT_SNAPLEN ? 262144 : 4096, &v))
                return ow_usage_error(cmd, "%s: bad number '%s'", argv[optind - 2], optarg);
            else if (c == OPT_SNAPLEN)
                o.snaplen = (int)v;
            else
                o.buffer_mb = (int)v;
            break;
        case ':':
            return ow_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
        default:
            return ow_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
        }
    }
    /* The default key directory seals when keys were made there. */
    if (!o.keys_dir && access(OW_DEFAULT_KEYS_DIR "/epoch.key", F_OK) == 0)
        o.keys_dir = OW_DEFAULT_KEYS_DIR;
    if ((o.witness_path || o.witness_syslog) && !o.keys_dir)
        return ow_usage_error(cmd, "--witness and --witness-syslog need --keys DIR (nothing is "
                              "signed without keys)");
    if (live) {
        if (optind < argc)
            return ow_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
        if (!nifaces)
            return ow_usage_error(cmd, "no interface: give -i IFACE");
        if (!o.tls_cert_path != !o.tls_key_path)
            return ow_usage_error(cmd, "--tls-cert and --tls-key go together");
        if ((o.tokens_path || o.tls_cert_path || o.webui_dir) && !o.listen)
            return ow_usage_error(cmd, "--tokens, --tls-cert, --tls-key and --webui need --listen");
        return ow_engine_capture(&o, ifaces, nifaces);
    }
    if (optind >= argc)
        return ow_usage_error(cmd, "no capture file given");
    return ow_engine_replay(&o, argv + optind, argc - optind);
}

int ow_cmd_replay(int argc, char **argv)
{
    return run_command(argc, argv, false);
}

int ow_cmd_capture(int argc, char **argv)
{
    return run_command(argc, argv, true);
}
