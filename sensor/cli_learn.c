/* cli_learn.c — `policy learn [--policy FILE] [-o FILE] PCAP...|--db FILE`: reads a baseline,
 * from pcaps (replayed through the engine into a private temporary store) or from a store,
 * and writes the draft policy classifiers/policy/policy_learn.c works out. The draft is
 * loaded back before it is reported as written: it always passes `policy check`. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "classifiers/classifier.h"
#include "classifiers/ndpi_flow.h"
#include "classifiers/policy/policy.h"
#include "classifiers/policy/policy_learn.h"
#include "db/store.h"
#include "sensor/cli.h"
#include "sensor/engine.h"
#include "sensor/file_hash.h"

static const char learn_help[] =
    "usage: omwitness policy learn [--policy FILE] [-o FILE] PCAP...|--db FILE\n"
    "\n"
    "Writes a draft policy from a baseline: the hosts seen grouped by subnet and a role\n"
    "guessed from the services they offer, one rule per recurring (client group, server\n"
    "group, service, app) with its flows, bytes and first and last time seen. Rules for LI\n"
    "interfaces and vendor access are written behind \"# review: \" (remove the prefix to\n"
    "accept one). The draft passes `policy check`.\n"
    "\n"
    "  PCAP...          replay these captures as the baseline\n"
    "  --db FILE        or take the flows of this evidence store\n"
    "  --policy FILE    keep this policy's networks, assets and rules; propose only what\n"
    "                   they do not cover\n"
    "  -o FILE          write the draft here (mode 0600; default: standard output)\n"
    "  --threads N      worker threads for the replay (default: online CPUs)\n"
    "  --no-progress    no progress lines on stderr\n";

static bool app_known(const char *name, void *ctx)
{
    return ow_ndpi_protocol_known(ctx, name) || ow_cls_label_known(name);
}

struct reading {
    struct ow_learn *l;
    bool progress;
    size_t rows;
};

static int take_flow(const struct ow_flow_record *rec, void *ctx)
{
    struct reading *r = ctx;
    if (ow_learn_add(r->l, rec) != 0)
        return 1;
    if (++r->rows % 20000 == 0 && r->progress)
        fprintf(stderr, "\rlearn: %zu flows read", r->rows);
    return 0;
}

/* Every flow of the store, in the order it was stored. */
static int read_store(const char *path, struct ow_learn *l, bool progress, size_t *rows)
{
    char err[512];
    struct ow_store *st = ow_store_open_readonly(path, err, sizeof err);
    if (!st) {
        fprintf(stderr, "omwitness: %s\n", err);
        return 2;
    }
    struct reading r = { .l = l, .progress = progress };
    int rc = ow_store_each_flow(st, take_flow, &r);
    if (rc < 0)
        fprintf(stderr, "omwitness: %s: cannot read its flows: %s\n", path, ow_store_errmsg(st));
    else if (rc > 0)
        fprintf(stderr, "omwitness: out of memory learning from %s\n", path);
    if (progress && r.rows >= 20000)
        fputs("\n", stderr);
    *rows = r.rows;
    ow_store_close(st);
    return rc < 0 ? 2 : rc > 0 ? 1 : 0;
}

/* A private directory for the replayed baseline, removed afterwards. */
static void remove_baseline(const char *dir, const char *db)
{
    char path[4200];
    static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(path, sizeof path, "%s%s", db, suffixes[i]);
        unlink(path);
    }
    rmdir(dir);
}

int ow_cmd_policy_learn(int argc, char **argv)
{
    enum { OPT_POLICY = 1000, OPT_DB, OPT_THREADS, OPT_NO_PROGRESS };
    static const struct option longopts[] = {
        { "policy", required_argument, NULL, OPT_POLICY },
        { "db", required_argument, NULL, OPT_DB },
        { "threads", required_argument, NULL, OPT_THREADS },
        { "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *policy_path = NULL, *db = NULL, *out_path = NULL;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = ncpu > 0 ? (int)ncpu : 1;
    bool progress = true;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(learn_help, stdout); return 0;
        case 'o': out_path = optarg; break;
        case OPT_POLICY: policy_path = optarg; break;
        case OPT_DB: db = optarg; break;
        case OPT_NO_PROGRESS: progress = false; break;
        case OPT_THREADS: {
            char *end;
            errno = 0;
            long v = strtol(optarg, &end, 10);
            if (errno || *end || end == optarg || v < 1 || v > 256)
                return ow_usage_error("policy learn", "--threads takes a number from 1 to 256, not '%s'", optarg);
            threads = (int)v;
            break;
        }
        case ':': return ow_usage_error("policy learn", "option '%s' needs a value", argv[optind - 1]);
        default: return ow_usage_error("policy learn", "unknown option '%s'", argv[optind - 1]);
        }
    }
    int nfiles = argc - optind;
    if (db && nfiles)
        return ow_usage_error("policy learn", "give pcaps or --db, not both");
    if (!db && !nfiles)
        return ow_usage_error("policy learn", "expected PCAP... or --db FILE");
    progress = progress && isatty(STDERR_FILENO);

    ow_crypto_init();
    char err[512];
    struct ow_policy *base = NULL;
    if (policy_path) {
        struct ow_ndpi_module *m = ow_ndpi_module_new(NULL, err, sizeof err);
        if (!m) {
            fprintf(stderr, "omwitness: %s\n", err);
            return 1;
        }
        base = ow_policy_load(policy_path, app_known, m, err, sizeof err);
        ow_ndpi_module_free(m);
        if (!base) {
            fprintf(stderr, "omwitness: %s\n", err);
            return 2;
        }
    }

    int rc = 0;
    char dir[4096] = "", tmpdb[4200] = "";
    if (!db) {
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/omwitness-learn-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(dir)) {                   /* mode 0700: the baseline stays private */
            fprintf(stderr, "omwitness: cannot create a temporary directory in %s: %s\n",
                    tmp && *tmp ? tmp : "/tmp", strerror(errno));
            ow_policy_free(base);
            return 1;
        }
        snprintf(tmpdb, sizeof tmpdb, "%s/baseline.db", dir);
        struct ow_engine_opts o = { .db_path = tmpdb, .threads = threads, .progress = progress };
        rc = ow_engine_replay(&o, argv + optind, nfiles);
        db = tmpdb;
    }
    struct ow_learn *l = rc == 0 ? ow_learn_new(base) : NULL;
    size_t rows = 0;
    if (rc == 0 && !l) {
        fprintf(stderr, "omwitness: out of memory\n");
        rc = 1;
    }
    if (rc == 0)
        rc = read_store(db, l, progress, &rows);
    if (dir[0])
        remove_baseline(dir, tmpdb);

    FILE *out = NULL;
    if (rc == 0) {
        if (out_path) {
            int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
            out = fd >= 0 ? fdopen(fd, "w") : NULL;
            if (!out) {
                fprintf(stderr, "omwitness: %s: cannot write: %s\n", out_path, strerror(errno));
                if (fd >= 0)
                    close(fd);
                rc = 1;
            }
        } else {
            out = stdout;
        }
    }
    struct ow_learn_stats s;
    memset(&s, 0, sizeof s);
    if (rc == 0) {
        char source[4200];
        if (tmpdb[0])
            snprintf(source, sizeof source, "%d capture%s (%s%s)", nfiles, nfiles == 1 ? "" : "s",
                     argv[optind], nfiles > 1 ? ", ..." : "");
        else
            snprintf(source, sizeof source, "the store %s", db);
        if (ow_learn_write(l, out, source, &s) != 0 || fflush(out) != 0) {
            fprintf(stderr, "omwitness: %s: cannot write the draft\n", out_path ? out_path : "stdout");
            rc = 1;
        }
    }
    if (out && out != stdout && fclose(out) != 0 && rc == 0) {
        fprintf(stderr, "omwitness: %s: cannot write: %s\n", out_path, strerror(errno));
        rc = 1;
    }
    if (rc == 0 && out_path) {
        /* The draft must load as it is: a failure here is a bug, said plainly. */
        struct ow_policy *check = ow_policy_load(out_path, NULL, NULL, err, sizeof err);
        if (!check) {
            fprintf(stderr, "omwitness: the draft does not pass policy check (a bug): %s\n", err);
            rc = 1;
        }
        ow_policy_free(check);
    }
    if (rc == 0)
        fprintf(stderr, "omwitness: learned from %zu flows (%zu in scope, %zu already covered): "
                "%zu assets, %zu rules, %zu of them for review%s%s\n", s.flows, s.in_scope, s.covered,
                s.assets, s.rules, s.review, out_path ? " -> " : "", out_path ? out_path : "");
    ow_learn_free(l);
    ow_policy_free(base);
    return rc;
}
