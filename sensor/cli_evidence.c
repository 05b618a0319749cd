/* cli_evidence.c — `verify` (recompute the hash chain; exit 3 when the store was changed),
 * `report` (the period report as JSON or HTML) and `evidence` (an alert's packets, written out
 * exactly as stored). */
#include "sensor/cli_evidence.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db/report.h"
#include "db/report_sign.h"
#include "db/seal_keys.h"
#include "db/store.h"
#include "db/verify.h"
#include "sensor/cli.h"
#include "common/timefmt.h"
#include "common/private_file.h"

static const char verify_help[] =
    "usage: omwitness verify [--db FILE] [--root-key FILE] [--witness FILE] [--head HEX]\n"
    "                        [--content-root]\n"
    "\n"
    "Recomputes the evidence store's hash chain from the rows as stored, checks that every\n"
    "row is chained once and in order, that rule hit counts, evidence hashes and each run's\n"
    "content root match, and with --root-key the seal: the epoch certificates from the root\n"
    "key, every checkpoint's signature and head, every record up to the last checkpoint.\n"
    "  --root-key FILE  the sensor's root public key (root.pub from keys init)\n"
    "  --witness FILE   a witness file (--witness of replay/capture): every checkpoint in it\n"
    "                   must be in the store\n"
    "  --head HEX       a chain head recorded earlier: it must be in the chain\n"
    "  --content-root   print each run's content root\n"
    "Exit codes: 0 intact, 3 the evidence fails verification (the first finding is named;\n"
    "damaged or missing tables included), 2 bad usage or an unreadable key or witness,\n"
    "1 runtime failure.\n";

static const char report_help[] =
    "usage: omwitness report [--db FILE] [--from RFC3339] [--to RFC3339] [--format json|html]\n"
    "                        [-o FILE] [--keys DIR]\n"
    "       omwitness report verify REPORT.json --root-key FILE\n"
    "\n"
    "States what was watched in the period (packet time, [from, to)), how completely, the\n"
    "flows by verdict, every authorized LI and maintenance session, every anomaly, the\n"
    "policy hashes, each run's content root and the latest checkpoint with its certificate\n"
    "chain, and concludes evidence_invalid, anomalies_found, coverage_incomplete or\n"
    "no_unauthorized_access_observed. Default format json, default output stdout.\n"
    "  --keys DIR   the sensor's keys (default " OW_DEFAULT_KEYS_DIR " when it holds keys):\n"
    "               the store is verified against DIR/root.pub and the JSON report is\n"
    "               signed with the current epoch key; without keys the evidence counts as\n"
    "               unsealed (coverage_incomplete)\n"
    "report verify checks a JSON report offline against the root public key: the\n"
    "certificate chain, the checkpoint and the signature over the whole file. Exit 0 valid,\n"
    "3 changed or not signed by that root key, 2 unreadable file.\n";

#define REPORT_FILE_MAX (256u << 20)

static int report_verify(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "root-key", required_argument, NULL, 'R' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *root_path = NULL;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(report_help, stdout); return 0;
        case 'R': root_path = optarg; break;
        case ':': return ow_usage_error("report verify", "option '%s' needs a value", argv[optind - 1]);
        default: return ow_usage_error("report verify", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return ow_usage_error("report verify", "give one REPORT.json");
    if (!root_path)
        return ow_usage_error("report verify", "--root-key FILE is required");
    const char *path = argv[optind];
    uint8_t root[OW_ED25519_KEY_LEN];
    char err[1024];
    if (ow_root_key_load(root_path, root, err, sizeof err) < 0) {
        fprintf(stderr, "omwitness report verify: %s\n", err);
        return 2;
    }
    FILE *f = fopen(path, "rbe");
    if (!f) {
        fprintf(stderr, "omwitness report verify: %s: cannot read: %s\n", path, strerror(errno));
        return 2;
    }
    size_t cap = 1 << 16, len = 0;
    char *text = malloc(cap);
    while (text) {
        if (len == cap) {
            if (cap >= REPORT_FILE_MAX) {
                free(text);
                text = NULL;
                break;
            }
            char *more = realloc(text, cap * 2);
            if (!more) {
                free(text);
                text = NULL;
                break;
            }
            text = more;
            cap *= 2;
        }
        size_t n = fread(text + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    int read_err = ferror(f);
    fclose(f);
    if (!text || read_err) {
        free(text);
        fprintf(stderr, "omwitness report verify: %s: cannot read (too large or unreadable)\n", path);
        return 2;
    }
    int rc = ow_report_verify_text(text, len, root, err, sizeof err);
    free(text);
    if (rc == 0)
        printf("%s: valid: %s\n", path, err);
    else
        printf("%s: INVALID: %s\n", path, err);
    return rc == 0 ? 0 : 3;
}

static const char evidence_help[] =
    "usage: omwitness evidence --alert ID [--db FILE] -o OUT.pcap\n"
    "\n"
    "Writes the packets stored for an alert's flow as a pcap file, byte for byte as stored\n"
    "(\"-o -\" writes to stdout).\n";

static struct ow_store *open_ro(const char *path)
{
    char err[512];
    struct ow_store *st = ow_store_open_readonly(path, err, sizeof err);
    if (!st)
        fprintf(stderr, "omwitness: %s\n", err);
    return st;
}

int ow_cmd_verify(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "db", required_argument, NULL, 'd' },
        { "head", required_argument, NULL, 'H' },
        { "root-key", required_argument, NULL, 'R' },
        { "witness", required_argument, NULL, 'W' },
        { "content-root", no_argument, NULL, 'C' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *db = "omwitness.db", *head = NULL, *root_path = NULL, *witness = NULL;
    int c, show_roots = 0;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(verify_help, stdout); return 0;
        case 'd': db = optarg; break;
        case 'H': head = optarg; break;
        case 'R': root_path = optarg; break;
        case 'W': witness = optarg; break;
        case 'C': show_roots = 1; break;
        case ':': return ow_usage_error("verify", "option '%s' needs a value", argv[optind - 1]);
        default: return ow_usage_error("verify", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return ow_usage_error("verify", "unexpected argument '%s'", argv[optind]);
    if (witness && !root_path)
        return ow_usage_error("verify", "--witness needs --root-key FILE");
    uint8_t root[OW_ED25519_KEY_LEN];
    char err[512];
    if (root_path && ow_root_key_load(root_path, root, err, sizeof err) < 0) {
        fprintf(stderr, "omwitness verify: %s\n", err);
        return 2;
    }
    if (witness && access(witness, R_OK) != 0) {
        fprintf(stderr, "omwitness verify: --witness %s: cannot read: %s\n", witness,
                strerror(errno));
        return 2;
    }
    /* A file that is there but is no longer a store fails verification; a missing one is
     * bad usage. */
    int exists = access(db, F_OK) == 0;
    struct ow_store *st = open_ro(db);
    if (!st && !exists)
        return 2;
    if (!st) {
        printf("%s: TAMPERED: the file is not a readable omwitness store\n", db);
        return 3;
    }
    struct ow_verify_result r;
    int rc = ow_verify_store_sealed(st, head, root_path ? root : NULL, witness, &r);
    if (rc < 0 && strstr(r.problem, "hex digits")) {
        ow_store_close(st);
        fprintf(stderr, "omwitness: %s: cannot verify: %s\n", db, r.problem);
        return 2;
    }
    if (rc != 0) {
        ow_store_close(st);
        printf("%s: TAMPERED: %s\n", db, r.problem);
        return 3;
    }
    if (show_roots) {
        sqlite3_stmt *q = NULL;
        if (sqlite3_prepare_v2(ow_store_handle(st), "SELECT run_id, root, leaves FROM "
                               "content_roots ORDER BY run_id", -1, &q, NULL) == SQLITE_OK) {
            while (sqlite3_step(q) == SQLITE_ROW) {
                char hex[OW_HASH_HEX_LEN] = "?";
                if (sqlite3_column_bytes(q, 1) == OW_HASH_LEN)
                    ow_hex(sqlite3_column_blob(q, 1), OW_HASH_LEN, hex);
                printf("run %lld content root %s (%lld flows)\n",
                       (long long)sqlite3_column_int64(q, 0), hex,
                       (long long)sqlite3_column_int64(q, 2));
            }
        }
        sqlite3_finalize(q);
    }
    ow_store_close(st);
    char hex[OW_HASH_HEX_LEN] = "none (empty store)";
    if (r.head_seq > 0)
        ow_hex(r.head, OW_HASH_LEN, hex);
    printf("%s: verified %" PRIu64 " rows; chain head %s (record %" PRId64 ")%s\n", db,
           r.records, hex, r.head_seq, head ? "; the given head is in the chain" : "");
    if (r.seal_checked && !r.have_checkpoint) {
        /* Only an empty store passes without one (db/seal_verify.c). */
        printf("%s: sealed: nothing to seal: the store holds no records (0 records after the "
               "last checkpoint; none was made)\n", db);
    } else if (r.seal_checked) {
        char when[40] = "";
        ow_rfc3339_format((int64_t)r.last_checkpoint.wall_us, when, sizeof when);
        printf("%s: sealed: %" PRIu64 " epoch certificates from the root key, %" PRIu64
               " checkpoints verified; the last, #%" PRIu64 " (%s, epoch %" PRIu64 ") at %s "
               "covers records 1 to %" PRIu64 "\n", db, r.certs, r.checkpoints,
               r.last_checkpoint.number, r.last_checkpoint.reason, r.last_checkpoint.epoch, when,
               r.last_checkpoint.chain_seq);
        printf("%s: %" PRIu64 " records after the last checkpoint at %s (not sealed yet)\n", db,
               r.unsealed_records, when);
    } else {
        printf("%s: not checked against a root key: the chain could have been recomputed by "
               "whoever can write the file (give --root-key)\n", db);
    }
    if (r.seal_checked && witness)
        printf("%s: all %" PRIu64 " witnessed checkpoints of %s are in the store\n", db,
               r.witnessed, witness);
    return 0;
}

int ow_cmd_report(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "verify"))
        return report_verify(argc - 1, argv + 1);
    static const struct option longopts[] = {
        { "keys", required_argument, NULL, 'K' },
        { "db", required_argument, NULL, 'd' },
        { "from", required_argument, NULL, 'F' },
        { "to", required_argument, NULL, 'T' },
        { "format", required_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *db = "omwitness.db", *out_path = NULL;
    int html = 0;
    struct ow_report_options o = { 0 };
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(report_help, stdout); return 0;
        case 'd': db = optarg; break;
        case 'o': out_path = optarg; break;
        case 'K': o.keys_dir = optarg; break;
        case 'F':
        case 'T': {
            int64_t us;
            if (ow_rfc3339_parse(optarg, &us) || us < 0)
                return ow_usage_error("report", "--%s takes an RFC 3339 time like "
                                      "2026-02-10T01:00:00Z, not '%s'", c == 'F' ? "from" : "to",
                                      optarg);
            if (c == 'F') {
                o.has_from = 1;
                o.from_us = us;
            } else {
                o.has_to = 1;
                o.to_us = us;
            }
            break;
        }
        case 'f':
            if (!strcmp(optarg, "html"))
                html = 1;
            else if (!strcmp(optarg, "json"))
                html = 0;
            else
                return ow_usage_error("report", "--format is json or html, not '%s'", optarg);
            break;
        case ':': return ow_usage_error("report", "option '%s' needs a value", argv[optind - 1]);
        default: return ow_usage_error("report", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return ow_usage_error("report", "unexpected argument '%s'", argv[optind]);
    if (o.has_from && o.has_to && o.from_us >= o.to_us)
        return ow_usage_error("report", "--from must be before --to");

    if (!o.keys_dir && access(OW_DEFAULT_KEYS_DIR "/epoch.key", F_OK) == 0)
        o.keys_dir = OW_DEFAULT_KEYS_DIR;
    /* The current epoch key signs the report; loading it checks the directory too. */
    struct ow_keydir keys;
    int have_keys = 0;
    if (o.keys_dir) {
        char kerr[512];
        if (ow_keydir_load(&keys, o.keys_dir, kerr, sizeof kerr) < 0) {
            fprintf(stderr, "omwitness report: --keys %s: %s\n", o.keys_dir, kerr);
            return 2;
        }
        have_keys = 1;
    }
    struct ow_store *st = open_ro(db);
    if (!st) {
        if (have_keys)
            ow_keydir_free(&keys);
        return 2;
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    o.generated_wall_us = (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u;
    o.store_path = db;
    char err[512];
    json_t *report = ow_report_build(st, &o, err, sizeof err);
    ow_store_close(st);
    if (report && have_keys && ow_report_sign(report, &keys, err, sizeof err) < 0) {
        json_decref(report);
        report = NULL;
    }
    if (have_keys)
        ow_keydir_free(&keys);
    if (!report) {
        fprintf(stderr, "omwitness: %s: %s\n", db, err);
        return 1;
    }
    FILE *out = stdout;
    if (out_path && strcmp(out_path, "-") != 0 && !(out = ow_private_fopen(out_path, "w"))) {
        fprintf(stderr, "omwitness: %s: cannot write: %s\n", out_path, strerror(errno));
        json_decref(report);
        return 2;
    }
    int w = 0;
    if (html) {
        w = ow_report_write_html(report, out);
    } else {
        /* The exact text report verify expects. */
        char *text = ow_report_text(report);
        w = text && fputs(text, out) != EOF ? 0 : -1;
        free(text);
    }
    json_decref(report);
    if (fflush(out) != 0)
        w = -1;
    if (out != stdout && fclose(out) != 0)
        w = -1;
    if (w < 0) {
        fprintf(stderr, "omwitness: %s: write failed\n", out_path ? out_path : "stdout");
        return 1;
    }
    return 0;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int ow_cmd_evidence(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "db", required_argument, NULL, 'd' },
        { "alert", required_argument, NULL, 'a' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *db = "omwitness.db", *out_path = NULL, *alert_text = NULL;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(evidence_help, stdout); return 0;
        case 'd': db = optarg; break;
        case 'a': alert_text = optarg; break;
        case 'o': out_path = optarg; break;
        case ':': return ow_usage_error("evidence", "option '%s' needs a value", argv[optind - 1]);
        default: return ow_usage_error("evidence", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return ow_usage_error("evidence", "unexpected argument '%s'", argv[optind]);
    if (!alert_text)
        return ow_usage_error("evidence", "--alert ID is required");
    if (!out_path || !*out_path)
        return ow_usage_error("evidence", "-o OUT.pcap is required");
    char *end = NULL;
    errno = 0;
    long long id = strtoll(alert_text, &end, 10);
    if (errno || end == alert_text || *end || id <= 0 || alert_text[0] == '+' ||
        alert_text[0] == ' ')
        return ow_usage_error("evidence", "--alert takes an alert id (a positive number), not "
                              "'%s'", alert_text);

    struct ow_store *st = open_ro(db);
    if (!st)
        return 2;
    struct ow_flow_record rec;
    int64_t flow_row = 0;
    int rc = ow_store_get_alert(st, id, &rec, &flow_row);
    if (rc != 0) {
        if (rc == 1)
            fprintf(stderr, "omwitness: %s: no alert %lld\n", db, id);
        else
            fprintf(stderr, "omwitness: %s: %s\n", db, ow_store_errmsg(st));
        ow_store_close(st);
        return rc == 1 ? 2 : 1;
    }
    uint8_t *pcap = NULL;
    size_t len = 0;
    uint32_t packets = 0;
    int truncated = 0;
    rc = ow_store_get_evidence(st, flow_row, &pcap, &len, &packets, &truncated);
    if (rc != 0) {
        if (rc == 1)
            fprintf(stderr, "omwitness: %s: alert %lld has no evidence packets stored\n", db, id);
        else if (rc == 2)
            fprintf(stderr, "omwitness: %s: alert %lld: %s; the store was changed (run "
                    "omwitness verify)\n", db, id, ow_store_errmsg(st));
        else
            fprintf(stderr, "omwitness: %s: %s\n", db, ow_store_errmsg(st));
        ow_store_close(st);
        return rc == 1 ? 2 : rc == 2 ? 3 : 1;
    }
    ow_store_close(st);

    int to_stdout = strcmp(out_path, "-") == 0;
    /* Private, and a symlink planted at OUT is refused rather than followed. */
    int fd = to_stdout ? STDOUT_FILENO : ow_private_open(out_path, O_TRUNC);
    if (fd < 0) {
        fprintf(stderr, "omwitness: %s: cannot write: %s\n", out_path, strerror(errno));
        free(pcap);
        return 2;
    }
    int bad = write_all(fd, pcap, len) < 0;
    int saved = errno;
    if (!to_stdout && close(fd) != 0 && !bad) {
        bad = 1;
        saved = errno;
    }
    free(pcap);
    if (bad) {
        fprintf(stderr, "omwitness: %s: write failed: %s\n", out_path, strerror(saved));
        return 1;
    }
    fprintf(to_stdout ? stderr : stdout, "wrote %" PRIu32 " packets (%zu bytes%s) of alert %lld "
            "to %s\n", packets, len, truncated ? ", capped" : "", id, out_path);
    return 0;
}
