/* engine.c — run orchestration for replay and capture: setup, reading loops, teardown. */
#include "sensor/engine.h"

#include <errno.h>
#include <limits.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>
#include <sqlite3.h>

#include "classifiers/classifier.h"
#include "classifiers/policy/policy.h"
#include "db/content_root.h"
#include "db/run_decode.h"
#include "db/sealer.h"
#include "db/store.h"
#include "sensor/writer.h"
#include "sensor/cli_serve.h"
#include "sensor/dispatch.h"
#include "sensor/http_api.h"
#include "sensor/file_hash.h"
#include "common/private_file.h"
#include "sensor/sandbox.h"
#include "sensor/worker.h"
#include "common/alloc.h"

#define IN_RING_BYTES (8u << 20)
#define MAX_FRAME 262144u

struct engine {
    uint64_t decode_events[OW_DECODE_EVENT_COUNT];  /* summed over the readers at run end */
    const struct ow_engine_opts *o;
    int nworkers;
    struct ow_ndpi_module **ndpi;
    struct ow_policy *policy;
    struct ow_worker *workers;
    struct ow_ring **worker_outputs;   /* what the writer drains: each worker's output */
    struct ow_store *store;
    struct ow_writer writer;
    FILE *jsonl;
    int64_t run_id;
    bool writer_started;
    bool sealed;                  /* --keys: checkpoints, epochs, witnesses */
    struct ow_sealer sealer;
    bool start_failed;            /* a thread could not start: the run ends at once, unclean */
};

static uint64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* An app name in the policy: an nDPI protocol, or a label of omwitness's O&M classifiers. */
static bool app_known(const char *name, void *ctx)
{
    return ow_ndpi_protocol_known(ctx, name) || ow_cls_label_known(name);
}

static void engine_free(struct engine *e)
{
    if (e->workers) {
        for (int i = 0; i < e->nworkers; i++)
            ow_worker_destroy(&e->workers[i]);
        free(e->workers);
    }
    free(e->worker_outputs);
    if (e->ndpi) {
        for (int i = 0; i < e->nworkers; i++)
            ow_ndpi_module_free(e->ndpi[i]);
        free(e->ndpi);
    }
    ow_policy_free(e->policy);
    if (e->store)
        ow_store_close(e->store);
    if (e->sealed)
        ow_sealer_close(&e->sealer);
    if (e->jsonl && e->jsonl != stdout)
        fclose(e->jsonl);
}

/* Everything that can fail because of the user's input happens here, before a run exists.
 * Returns 0, or the exit code. */
static int engine_setup(struct engine *e, const struct ow_engine_opts *o, size_t nreaders)
{
    char err[512];
    memset(e, 0, sizeof *e);
    e->o = o;
    e->nworkers = o->threads > 0 ? o->threads : 1;
    ow_crypto_init();

    e->ndpi = ow_calloc((size_t)e->nworkers, sizeof *e->ndpi);
    e->workers = ow_calloc((size_t)e->nworkers, sizeof *e->workers);
    e->worker_outputs = ow_calloc((size_t)e->nworkers, sizeof *e->worker_outputs);
    if (!e->ndpi || !e->workers || !e->worker_outputs) {
        fprintf(stderr, "omwitness: out of memory\n");
        return 1;
    }
    /* nDPI modules must be created one at a time, from one thread. */
    for (int i = 0; i < e->nworkers; i++) {
        e->ndpi[i] = ow_ndpi_module_new(&o->ndpi, err, sizeof err);
        if (!e->ndpi[i]) {
            fprintf(stderr, "omwitness: %s\n", err);
            return strcmp(err, "out of memory") ? 2 : 1;   /* a bad nDPI file is bad input */
        }
    }
    if (o->policy_path) {
        e->policy = ow_policy_load(o->policy_path, app_known, e->ndpi[0], err, sizeof err);
        if (!e->policy) {
            fprintf(stderr, "omwitness: %s\n", err);
            return 2;
        }
    }
    if (o->jsonl_path) {
        e->jsonl = strcmp(o->jsonl_path, "-") == 0 ? stdout : ow_private_fopen(o->jsonl_path, "w");
        if (!e->jsonl) {
            fprintf(stderr, "omwitness: %s: cannot write: %s\n", o->jsonl_path, strerror(errno));
            return 2;
        }
    }
    e->store = ow_store_open(o->db_path, err, sizeof err);
    if (!e->store) {
        fprintf(stderr, "omwitness: %s\n", err);
        return 1;
    }
    /* Keys and witnesses are opened here, before any privilege is given up. */
    if (o->keys_dir) {
        if (ow_sealer_open(&e->sealer, o->keys_dir, o->witness_path,
                           o->witness_syslog ? "/dev/log" : NULL, o->epoch_seconds,
                           o->heartbeat_seconds) < 0) {
            fprintf(stderr, "omwitness: --keys %s: %s\n", o->keys_dir, e->sealer.err);
            return 2;
        }
        e->sealed = true;
    }
    struct ow_worker_config wc = {
        .max_flows = (o->max_flows ? o->max_flows : 1000000) / (size_t)e->nworkers,
        .evidence_budget = (o->evidence_mb ? o->evidence_mb : 1024) * (1ull << 20) / (uint64_t)e->nworkers,
        .evidence_flow_packets = o->evidence_packets,
        .evidence_flow_bytes = o->evidence_kb * 1024u,
        .open_snapshot = o->listen != NULL,   /* the web UI's open flows (capture) */
    };
    for (int i = 0; i < e->nworkers; i++) {
        if (ow_worker_init(&e->workers[i], i, nreaders, IN_RING_BYTES, &wc, e->ndpi[i],
                           e->policy) != 0) {
            fprintf(stderr, "omwitness: out of memory setting up worker %d\n", i);
            return 1;
        }
        e->worker_outputs[i] = ow_worker_output(&e->workers[i]);
    }
    return 0;
}

/* The run's row and the rules it is judged by: store writes, before any thread runs. */
static int engine_begin_run(struct engine *e, const struct ow_run_info *info)
{
    if (e->sealed && ow_sealer_begin(&e->sealer, e->store) < 0) {
        fprintf(stderr, "omwitness: %s: cannot seal the run: %s\n", e->o->db_path, e->sealer.err);
        return 1;
    }
    e->run_id = ow_store_begin_run(e->store, info);
    if (e->run_id <= 0) {
        fprintf(stderr, "omwitness: %s: cannot record the run: %s\n", e->o->db_path,
                ow_store_errmsg(e->store));
        return 1;
    }
    /* The rules the run is judged by, so the report can name LI and maintenance sessions. */
    for (size_t i = 0; e->policy && i < ow_policy_rule_count(e->policy); i++) {
        if (ow_store_add_run_rule(e->store, e->run_id, ow_policy_rule_id(e->policy, i),
                                  ow_policy_rule_kind(e->policy, i),
                                  ow_policy_rule_interface(e->policy, i),
                                  ow_policy_rule_ticket(e->policy, i)) != 0) {
            fprintf(stderr, "omwitness: %s: cannot record the run's rules: %s\n",
                    e->o->db_path, ow_store_errmsg(e->store));
            return 1;
        }
    }
    if (e->sealed && ow_sealer_checkpoint(&e->sealer, e->store, "run_start") < 0) {
        fprintf(stderr, "omwitness: %s: cannot seal the run: %s\n", e->o->db_path, e->sealer.err);
        return 1;
    }
    return 0;
}

/* The run's end in one transaction: its content root (from the rows as stored), the end
 * record and, sealed, the final checkpoint; then the key that signed the run is replaced.
 * 0, or -1 with the reason on stderr. */
/* Stored in the same transaction as the run's counters they must add up to. */
static int store_decode_events(struct engine *e, char *err, size_t errlen)
{
    const char *names[OW_DECODE_EVENT_COUNT], *classes[OW_DECODE_EVENT_COUNT];
    for (size_t k = 0; k < OW_DECODE_EVENT_COUNT; k++) {
        names[k] = ow_decode_event_name((enum ow_decode_event)k);
        classes[k] = ow_decode_event_class_name((enum ow_decode_event)k);
    }
    return ow_run_decode_store(ow_store_handle(e->store), e->run_id, OW_DECODE_EVENT_COUNT,
                               names, classes, e->decode_events, err, errlen);
}

static int engine_end_run(struct engine *e, const struct ow_run_stats *st)
{
    char err[512];
    uint8_t root[OW_HASH_LEN];
    if (ow_store_begin_batch(e->store) != 0) {
        fprintf(stderr, "omwitness: %s: cannot record the end of the run: %s\n", e->o->db_path,
                ow_store_errmsg(e->store));
        return -1;
    }
    int ok = 1;
    if (ow_content_root_store(e->store, e->run_id, root, err, sizeof err) != 0) {
        fprintf(stderr, "omwitness: %s: %s\n", e->o->db_path, err);
        ok = 0;
    }
    if (ok && store_decode_events(e, err, sizeof err) != 0) {
        fprintf(stderr, "omwitness: %s: %s\n", e->o->db_path, err);
        ok = 0;
    }
    if (ok && ow_store_end_run(e->store, e->run_id, st) != 0) {
        fprintf(stderr, "omwitness: %s: cannot record the end of the run: %s\n", e->o->db_path,
                ow_store_errmsg(e->store));
        ok = 0;
    }
    if (ok && e->sealed && ow_sealer_checkpoint(&e->sealer, e->store, "run_end") < 0) {
        fprintf(stderr, "omwitness: %s: cannot seal the end of the run: %s\n", e->o->db_path,
                e->sealer.err);
        ok = 0;
    }
    if (!ok) {
        sqlite3_exec(ow_store_handle(e->store), "ROLLBACK", NULL, NULL, NULL);
        ow_store_commit_batch(e->store);   /* closes the batch state; reports the rollback */
        return -1;
    }
    if (ow_store_commit_batch(e->store) != 0) {
        fprintf(stderr, "omwitness: %s: cannot record the end of the run: %s\n", e->o->db_path,
                ow_store_errmsg(e->store));
        return -1;
    }
    if (e->sealed) {
        ow_sealer_committed(&e->sealer);
        if (ow_sealer_retire(&e->sealer) < 0) {
            fprintf(stderr, "omwitness: --keys %s: %s\n", e->o->keys_dir, e->sealer.err);
            return -1;
        }
    }
    return 0;
}

/* The writer first, then the workers. When one cannot start, the run still ends in order:
 * the workers that never ran are reported done to the writer, the caller ends the input as
 * usual, and the run is stored as not ended cleanly. 0, or 1. */
static int engine_start_threads(struct engine *e)
{
    e->writer = (struct ow_writer){ .store = e->store, .run_id = e->run_id,
                                    .queues = e->worker_outputs, .nqueues = (size_t)e->nworkers,
                                    .jsonl = e->jsonl, .sealer = e->sealed ? &e->sealer : NULL };
    int rc = ow_writer_start(&e->writer);
    if (rc != 0) {
        fprintf(stderr, "omwitness: cannot start the writer thread: %s\n", strerror(rc));
        e->start_failed = true;
        return 1;
    }
    e->writer_started = true;
    for (int i = 0; i < e->nworkers; i++) {
        rc = ow_worker_start(&e->workers[i]);
        if (rc != 0) {
            fprintf(stderr, "omwitness: cannot start worker thread %d of %d: %s\n", i + 1,
                    e->nworkers, strerror(rc));
            for (int j = i; j < e->nworkers; j++)
                ow_worker_never_started(&e->workers[j]);
            e->start_failed = true;
            return 1;
        }
    }
    return 0;
}

/* After every reader has sent its end marker: wait for workers and writer, store the run's
 * coverage. Returns 0, or 1 if the store failed. */
static int engine_finish(struct engine *e, struct ow_dispatcher *const *readers, size_t nreaders,
                         uint64_t kernel_drops, bool clean)
{
    for (int i = 0; i < e->nworkers; i++)
        ow_worker_join(&e->workers[i]);
    if (e->writer_started)
        ow_writer_join(&e->writer);
    uint64_t unclassified = 0, lost = 0, evidence_lost = 0;
    for (int i = 0; i < e->nworkers; i++) {
        unclassified += e->workers[i].flows_unclassified;
        lost += e->workers[i].packets_lost;
        evidence_lost += e->workers[i].evidence_lost;
    }
    /* A run that lost packets, has flows it could not judge, or alerts without all their
     * packets, is not complete evidence: the report must not read it as such. */
    clean = clean && !e->start_failed && !unclassified && !evidence_lost && !lost;

    struct ow_run_stats st = { .kernel_drops = kernel_drops, .clean_end = clean ? 1 : 0 };
    for (size_t r = 0; r < nreaders; r++) {
        struct ow_reader_stats *s = &readers[r]->stats;
        st.packets += s->packets;
        st.bytes += s->bytes;
        st.packets_malformed += s->malformed + s->orphan_fragments;
        st.packets_not_ip += s->not_ip + s->unsupported;
        for (size_t k = 0; k < OW_DECODE_EVENT_COUNT; k++)
            e->decode_events[k] += s->decode_events[k];
        st.internal_drops += s->internal_drops;
        st.gaps += s->gaps;
        if (s->first_ts_us && (!st.first_ts_us || s->first_ts_us < st.first_ts_us))
            st.first_ts_us = s->first_ts_us;
        if (s->last_ts_us > st.last_ts_us)
            st.last_ts_us = s->last_ts_us;
    }
    for (int i = 0; i < e->nworkers; i++) {
        st.flows += e->workers[i].flows_started;
        st.flows_evicted += e->workers[i].flows_evicted;
    }
    /* Packets no flow could be made for are lost inside omwitness, as ring overflows are. */
    st.internal_drops += lost;
    if (unclassified)
        fprintf(stderr, "omwitness: %" PRIu64 " flow%s could not be classified (out of memory); "
                "stored as unevaluated, %s\n", unclassified, unclassified == 1 ? "" : "s",
                "verdict kind " OW_CLASSIFICATION_FAILED);
    if (lost)
        fprintf(stderr, "omwitness: %" PRIu64 " packet%s lost: no memory for a new flow\n", lost,
                lost == 1 ? "" : "s");
    if (evidence_lost)
        fprintf(stderr, "omwitness: the evidence of %" PRIu64 " alert%s is incomplete: no memory "
                "for its packets (stored as truncated)\n", evidence_lost,
                evidence_lost == 1 ? "" : "s");
    if (e->writer.failed) {
        fprintf(stderr, "omwitness: %s: %s\n", e->o->db_path, e->writer.err);
        return 1;
    }
    if (e->sealed && e->sealer.packet_us < st.last_ts_us)
        e->sealer.packet_us = st.last_ts_us;
    if (engine_end_run(e, &st) != 0)
        return 1;
    if (e->sealed && e->sealer.failed) {
        fprintf(stderr, "omwitness: %s: sealing failed during the run: %s\n", e->o->db_path,
                e->sealer.err);
        return 1;
    }
    if (e->writer.jsonl_failed) {
        fprintf(stderr, "omwitness: %s: %s\n", e->o->jsonl_path, e->writer.jsonl_err);
        return 1;
    }
    if (e->start_failed || unclassified || lost || evidence_lost)
        return 1;
    if (e->o->progress && isatty(STDERR_FILENO))
        fprintf(stderr, "omwitness: %" PRIu64 " packets, %" PRIu64 " flows, %" PRIu64
                " alerts; run %" PRId64 " stored in %s\n", st.packets, (uint64_t)e->writer.flows_written,
                (uint64_t)e->writer.alerts_written, e->run_id, e->o->db_path);
    return 0;
}

/* Appends ",item" (or "item" first) at *used; buf was sized for every item and its comma. */
static void append_item(char *buf, size_t *used, const char *item)
{
    size_t n = strlen(item);
    if (*used)
        buf[(*used)++] = ',';
    memcpy(buf + *used, item, n + 1);
    *used += n;
}

static int bad_usage(const char *cmd, const char *why)
{
    fprintf(stderr, "omwitness %s: %s; see 'omwitness %s --help'\n", cmd, why, cmd);
    return 2;
}

/* --group and --user name accounts; files are made for them before anything is opened. */
static int set_file_owners(const char *cmd, const struct ow_engine_opts *o,
                           struct ow_account *user, bool *switching, gid_t *group)
{
    char err[256];
    *switching = false;
    *group = (gid_t)-1;
    if (o->group && ow_sandbox_find_group(o->group, group, err, sizeof err) < 0)
        return bad_usage(cmd, err);
    if (o->user) {
        if (ow_sandbox_find_user(o->user, user, err, sizeof err) < 0)
            return bad_usage("capture", err);
        if (!ow_sandbox_running_as_root()) {
            snprintf(err, sizeof err, "--user %s needs root; started as a user, leave it out",
                     o->user);
            return bad_usage("capture", err);
        }
        *switching = true;
        ow_private_files_configure(*group, user->uid, *group != (gid_t)-1 ? *group : user->gid);
    } else {
        ow_private_files_configure(*group, (uid_t)-1, (gid_t)-1);
    }
    return 0;
}

/* ---- replay ---- */

struct progress {
    bool on;
    uint64_t last_ms;
};

static void show_progress(struct progress *p, const char *path, pcap_t *pc, off_t size,
                          uint64_t packets, bool final)
{
    uint64_t now = mono_ms();
    if (!p->on || (!final && now - p->last_ms < 500))
        return;
    p->last_ms = now;
    long pos = ftell(pcap_file(pc));
    int pct = size > 0 && pos >= 0 ? (int)(100.0 * (double)pos / (double)size) : 0;
    if (final)
        pct = 100;
    fprintf(stderr, "\rreplay %s: %3d%%  %" PRIu64 " packets%s", path, pct, packets,
            final ? "\n" : "");
}

/* libpcap's open errors often start with the path already; name the file once. */
static void open_error(const char *path, const char *errbuf)
{
    size_t n = strlen(path);
    if (strncmp(errbuf, path, n) == 0 && strncmp(errbuf + n, ": ", 2) == 0)
        errbuf += n + 2;
    fprintf(stderr, "omwitness: cannot open %s: %s\n", path, errbuf);
}

static int replay_file(struct ow_dispatcher *d, const char *path, struct progress *prog)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_open_offline(path, errbuf);
    if (!pc) {
        open_error(path, errbuf);
        return 2;
    }
    struct stat sb;
    off_t size = stat(path, &sb) == 0 ? sb.st_size : 0;
    int dlt = pcap_datalink(pc);
    int rc = 0;
    struct pcap_pkthdr *h;
    const u_char *bytes;
    uint64_t n = 0;
    for (;;) {
        int r = pcap_next_ex(pc, &h, &bytes);
        if (r == 1) {
            uint64_t ts = (uint64_t)(int64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
            uint32_t caplen = h->caplen > MAX_FRAME ? MAX_FRAME : h->caplen;
            ow_dispatch_frame(d, dlt, ts, caplen, h->len, bytes);
            if ((++n & 0x3fff) == 0)
                show_progress(prog, path, pc, size, n, false);
        } else if (r == PCAP_ERROR_BREAK) {
            break;
        } else {
            fprintf(stderr, "omwitness: %s: %s after %" PRIu64 " packets (those are kept)\n",
                    path, pcap_geterr(pc), n);
            rc = 2;
            break;
        }
    }
    if (prog->on && n >= 0x4000)
        show_progress(prog, path, pc, size, n, true);
    pcap_close(pc);
    return rc;
}

int ow_engine_replay(const struct ow_engine_opts *o, char *const *files, int nfiles)
{
    /* Unreadable input is refused before anything is stored. */
    size_t hashes_len = (size_t)nfiles * OW_SHA256_HEX_LEN + 1, sources_len = 1;
    for (int i = 0; i < nfiles; i++) {
        char errbuf[PCAP_ERRBUF_SIZE];
        pcap_t *pc = pcap_open_offline(files[i], errbuf);
        if (!pc) {
            open_error(files[i], errbuf);
            return 2;
        }
        pcap_close(pc);
        sources_len += PATH_MAX + 1;
    }
    struct ow_account user;
    bool switching;
    gid_t group;
    int orc = set_file_owners("replay", o, &user, &switching, &group);
    if (orc)
        return orc;
    ow_crypto_init();
    char *hashes = ow_calloc(1, hashes_len), *sources = ow_calloc(1, sources_len);
    size_t hashes_used = 0, sources_used = 0;
    if (!hashes || !sources) {
        fprintf(stderr, "omwitness: out of memory\n");
        free(hashes);
        free(sources);
        return 1;
    }
    for (int i = 0; i < nfiles; i++) {
        char hex[OW_SHA256_HEX_LEN];
        if (ow_sha256_file(files[i], hex) != 0) {
            fprintf(stderr, "omwitness: cannot read %s: %s\n", files[i], strerror(errno));
            free(hashes);
            free(sources);
            return 2;
        }
        append_item(hashes, &hashes_used, hex);
        /* The run records where the file was, absolute, so a report read elsewhere names it. */
        char abs[PATH_MAX];
        append_item(sources, &sources_used, realpath(files[i], abs) ? abs : files[i]);
    }

    struct engine e;
    int rc = engine_setup(&e, o, 1);
    struct ow_dispatcher d;
    bool d_ok = false;
    if (!rc) {
        struct ow_run_info info = {
            .kind = "replay", .source = sources, .source_sha256 = hashes,
            .site = e.policy ? ow_policy_site(e.policy) : "",
            .policy_sha256 = e.policy ? ow_policy_sha256(e.policy) : "",
            .version = OW_VERSION, .threads = e.nworkers, .started_wall_us = wall_us(),
            .sensor = o->sensor,
        };
        if (ow_dispatch_init(&d, e.workers, (size_t)e.nworkers, 0, false) != 0) {
            fprintf(stderr, "omwitness: out of memory\n");
            rc = 1;
        } else {
            d_ok = true;
            rc = engine_begin_run(&e, &info);
        }
    }
    if (!rc) {
        int read_rc = engine_start_threads(&e);
        struct progress prog = { .on = o->progress && isatty(STDERR_FILENO) };
        for (int i = 0; !e.start_failed && i < nfiles; i++) {
            int r = replay_file(&d, files[i], &prog);
            if (r)
                read_rc = r;
        }
        ow_dispatch_end(&d);
        struct ow_dispatcher *dp = &d;
        rc = engine_finish(&e, &dp, 1, 0, read_rc == 0);
        if (!rc)
            rc = read_rc;
    }
    if (d_ok)
        ow_dispatch_destroy(&d);
    engine_free(&e);
    free(hashes);
    free(sources);
    return rc;
}

/* ---- capture ---- */

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

struct capture_source {
    const char *iface;
    pcap_t *pc;
    int dlt;
    struct ow_dispatcher d;
    pthread_t thread;
    bool started;
    bool failed;
    char err[PCAP_ERRBUF_SIZE + 64];
    /* pcap_stats sampled once a second by this source's own thread (a pcap handle is not
     * shared between threads), for the health page. */
    _Atomic uint64_t kernel_drops;
    uint64_t last_sample_s;
};

/* What the health page of `capture --listen` reads, from the HTTP threads. */
struct capture_health {
    struct engine *e;
    struct capture_source *src;
    int nsrc;
};

static void sample_kernel_drops(struct capture_source *s)
{
    struct pcap_stat ps;
    if (pcap_stats(s->pc, &ps) == 0)
        atomic_store_explicit(&s->kernel_drops, (uint64_t)ps.ps_drop + ps.ps_ifdrop,
                              memory_order_relaxed);
}

static void capture_health_fn(void *ctx, struct ow_health *out)
{
    struct capture_health *h = ctx;
    memset(out, 0, sizeof *out);
    for (int i = 0; i < h->nsrc; i++) {
        struct ow_reader_stats *st = &h->src[i].d.stats;
        out->packets += atomic_load_explicit(&st->packets, memory_order_relaxed);
        out->bytes += atomic_load_explicit(&st->bytes, memory_order_relaxed);
        out->drops_internal += atomic_load_explicit(&st->internal_drops, memory_order_relaxed);
        out->drops_kernel += atomic_load_explicit(&h->src[i].kernel_drops, memory_order_relaxed);
    }
    for (int w = 0; w < h->e->nworkers; w++) {
        struct ow_worker *wk = &h->e->workers[w];
        out->active_flows += atomic_load_explicit(&wk->active_flows, memory_order_relaxed);
        for (size_t r = 0; r < wk->n_in; r++) {
            out->ring_bytes += ow_ring_used(ow_worker_input(wk, r));
            out->ring_capacity += ow_worker_input(wk, r)->size;
        }
    }
    out->flows_written = atomic_load_explicit(&h->e->writer.flows_written, memory_order_relaxed);
    out->alerts_written = atomic_load_explicit(&h->e->writer.alerts_written, memory_order_relaxed);
    out->run_id = h->e->run_id;
}

/* A running capture's coverage so far, as engine_finish would store it at its end. The
 * readers' packet-time span is plain memory they write: read it atomically. */
static void capture_progress(struct capture_health *h)
{
    struct ow_run_stats st = { 0 };
    for (int i = 0; i < h->nsrc; i++) {
        struct capture_source *s = &h->src[i];
        struct ow_reader_stats *rs = &s->d.stats;
        st.packets += atomic_load_explicit(&rs->packets, memory_order_relaxed);
        st.bytes += atomic_load_explicit(&rs->bytes, memory_order_relaxed);
        st.internal_drops += atomic_load_explicit(&rs->internal_drops, memory_order_relaxed);
        st.gaps += atomic_load_explicit(&rs->gaps, memory_order_relaxed);
        st.kernel_drops += atomic_load_explicit(&s->kernel_drops, memory_order_relaxed);
        uint64_t first = __atomic_load_n(&rs->first_ts_us, __ATOMIC_RELAXED);
        uint64_t last = __atomic_load_n(&rs->last_ts_us, __ATOMIC_RELAXED);
        if (first && (!st.first_ts_us || first < st.first_ts_us))
            st.first_ts_us = first;
        if (last > st.last_ts_us)
            st.last_ts_us = last;
    }
    for (int w = 0; w < h->e->nworkers; w++) {
        st.flows += atomic_load_explicit(&h->e->workers[w].flows_started, memory_order_relaxed);
        st.internal_drops += atomic_load_explicit(&h->e->workers[w].packets_lost,
                                                  memory_order_relaxed);
    }
    ow_writer_post_progress(&h->e->writer, &st);
}

static size_t capture_open_flows(void *ctx, struct ow_open_flow *out, size_t max, size_t *total)
{
    struct capture_health *h = ctx;
    size_t n = 0;
    *total = 0;
    for (int w = 0; w < h->e->nworkers; w++) {
        size_t t = 0;
        n += ow_worker_open_flows(&h->e->workers[w], out + n, max - n, &t);
        *total += t;
    }
    return n;
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
    struct capture_source *s = (struct capture_source *)user;
    uint64_t ts = (uint64_t)(int64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
    uint32_t caplen = h->caplen > MAX_FRAME ? MAX_FRAME : h->caplen;
    ow_dispatch_frame(&s->d, s->dlt, ts, caplen, h->len, bytes);
}

static void *capture_main(void *arg)
{
    struct capture_source *s = arg;
    while (!stop_requested) {
        int n = pcap_dispatch(s->pc, 512, on_packet, (u_char *)s);
        if (n == PCAP_ERROR_BREAK)
            break;
        if (n < 0) {
            s->failed = true;
            snprintf(s->err, sizeof s->err, "%s: %s", s->iface, pcap_geterr(s->pc));
            break;
        }
        /* During silence the clock still moves, so idle flows end on time. */
        uint64_t now = wall_us();
        if (now / 1000000u != s->last_sample_s) {
            s->last_sample_s = now / 1000000u;
            sample_kernel_drops(s);
        }
        if (now / 1000000u != s->d.last_tick_s && now > s->d.max_ts_us) {
            s->d.max_ts_us = now;
            s->d.last_tick_s = now / 1000000u;
            ow_dispatch_tick(&s->d, now);
        }
    }
    ow_dispatch_end(&s->d);
    return NULL;
}

static pcap_t *open_live(const struct ow_engine_opts *o, const char *iface, char *err, size_t errlen)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_create(iface, errbuf);
    if (!pc) {
        snprintf(err, errlen, "%s: %s", iface, errbuf);
        return NULL;
    }
    pcap_set_snaplen(pc, o->snaplen > 0 ? o->snaplen : 262144);
    pcap_set_promisc(pc, o->promisc ? 1 : 0);
    pcap_set_timeout(pc, 100);
    pcap_set_buffer_size(pc, (o->buffer_mb > 0 ? o->buffer_mb : 64) * 1024 * 1024);
    int r = pcap_activate(pc);
    if (r < 0) {
        snprintf(err, errlen, "%s: %s", iface, pcap_geterr(pc));
        pcap_close(pc);
        return NULL;
    }
    return pc;
}

/* The web UI during a capture, prepared (tokens, TLS, the bound socket) while the files
 * it needs can still be read; it starts serving after the privilege drop. */
static int prepare_http(const struct ow_engine_opts *o, struct capture_health *health,
                        struct ow_http **out)
{
    char err[512];
    struct ow_http_config cfg = {
        .command = "capture", .listen = o->listen, .db_path = o->db_path,
        .webui_dir = o->webui_dir ? o->webui_dir : ow_http_default_webui(),
        .tokens_path = o->tokens_path, .tls_cert_path = o->tls_cert_path,
        .tls_key_path = o->tls_key_path, .health_fn = capture_health_fn, .health_ctx = health,
        .open_flows_fn = capture_open_flows,
        .policy = health->e->policy,
    };
    *out = ow_http_prepare(&cfg, err, sizeof err);
    if (!*out) {
        fprintf(stderr, "omwitness capture: %s\n", err);
        return 2;
    }
    return 0;
}

static int run_http(struct ow_http *http)
{
    char err[512];
    signal(SIGPIPE, SIG_IGN);
    if (ow_http_run(http, err, sizeof err) < 0) {
        fprintf(stderr, "omwitness capture: %s\n", err);
        return 1;
    }
    fprintf(stderr, "omwitness capture: web UI on port %u\n", ow_http_port(http));
    ow_http_announce(http, stderr);
    return 0;
}

int ow_engine_capture(const struct ow_engine_opts *o, char *const *ifaces, int nifaces)
{
    struct ow_account user;
    bool switching;
    gid_t group;
    if (nifaces < 1 || nifaces > 64)
        return bad_usage("capture", "give 1 to 64 interfaces");
    int orc = set_file_owners("capture", o, &user, &switching, &group);
    if (orc)
        return orc;
    if (!switching && ow_sandbox_running_as_root())
        fprintf(stderr, "omwitness capture: running as root; --user NAME gives root up once the "
                "interfaces are open\n");
    struct capture_source *src = ow_calloc((size_t)nifaces, sizeof *src);
    if (!src) {
        fprintf(stderr, "omwitness: out of memory\n");
        return 1;
    }
    char err[512];
    size_t sources_len = 1, sources_used = 0;
    for (int i = 0; i < nifaces; i++) {
        src[i].iface = ifaces[i];
        src[i].pc = open_live(o, ifaces[i], err, sizeof err);
        if (!src[i].pc) {
            fprintf(stderr, "omwitness: %s\n", err);
            for (int j = 0; j < i; j++)
                pcap_close(src[j].pc);
            free(src);
            return 2;
        }
        src[i].dlt = pcap_datalink(src[i].pc);
        sources_len += strlen(ifaces[i]) + 1;
    }
    char *sources = ow_calloc(1, sources_len);
    for (int i = 0; sources && i < nifaces; i++)
        append_item(sources, &sources_used, ifaces[i]);

    struct engine e;
    memset(&e, 0, sizeof e);
    int rc = sources ? engine_setup(&e, o, (size_t)nifaces) : 1;
    if (!sources)
        fprintf(stderr, "omwitness: out of memory\n");
    int ninit = 0;
    for (; !rc && ninit < nifaces; ninit++) {
        if (ow_dispatch_init(&src[ninit].d, e.workers, (size_t)e.nworkers, (size_t)ninit, true)) {
            fprintf(stderr, "omwitness: out of memory\n");
            rc = 1;
            break;
        }
        src[ninit].d.gap_threshold_us = (uint64_t)(o->gap_seconds ? o->gap_seconds : 300) * 1000000u;
        src[ninit].d.started_us = wall_us();
    }
    struct capture_health health = { .e = &e, .src = src, .nsrc = nifaces };
    struct ow_http *http = NULL;
    if (!rc && o->listen)
        rc = prepare_http(o, &health, &http);
    /* Everything is open: give up what a capture does not need before any thread runs. */
    if (!rc) {
        if (e.sealed && switching &&
            ow_keydir_chown(o->keys_dir, user.uid, group != (gid_t)-1 ? group : user.gid, err,
                            sizeof err) < 0) {
            fprintf(stderr, "omwitness capture: %s\n", err);
            rc = 1;
        }
        struct ow_sandbox sb = { .user = switching ? &user : NULL, .group = group };
        if (!rc && ow_sandbox_enter(&sb, err, sizeof err) < 0) {
            fprintf(stderr, "omwitness capture: %s\n", err);
            rc = 1;
        }
    }
    if (!rc) {
        struct ow_run_info info = {
            .kind = "capture", .source = sources, .source_sha256 = "",
            .site = e.policy ? ow_policy_site(e.policy) : "",
            .policy_sha256 = e.policy ? ow_policy_sha256(e.policy) : "",
            .version = OW_VERSION, .threads = e.nworkers, .started_wall_us = wall_us(),
            .sensor = o->sensor,
        };
        rc = engine_begin_run(&e, &info);
    }
    if (!rc) {
        bool failed = engine_start_threads(&e) != 0;
        if (!failed && http && run_http(http) != 0)
            failed = true;
        struct sigaction sa = { .sa_handler = on_stop_signal };
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        if (failed)
            stop_requested = 1;
        for (int i = 0; i < nifaces; i++) {
            int trc = failed ? -1 : ow_thread_start(&src[i].thread, capture_main, &src[i]);
            src[i].started = trc == 0;
            if (!src[i].started) {
                /* Its reader never runs: end its input for it, and stop the others. */
                if (!failed) {
                    snprintf(src[i].err, sizeof src[i].err, "%s: cannot start its capture "
                             "thread: %s", src[i].iface, strerror(trc));
                    src[i].failed = true;
                }
                failed = true;
                stop_requested = 1;
                ow_dispatch_end(&src[i].d);
            }
        }
        if (!failed && isatty(STDERR_FILENO))
            fprintf(stderr, "omwitness: capturing on %s; Ctrl-C stops and stores everything\n", sources);
        uint64_t progress_every = (uint64_t)(o->progress_seconds ? o->progress_seconds : 60) * 1000u;
        uint64_t next_progress = mono_ms() + progress_every;
        while (!stop_requested) {
            if (!failed && e.writer_started && mono_ms() >= next_progress) {
                capture_progress(&health);
                next_progress += progress_every;
            }
            bool all_failed = true;
            for (int i = 0; i < nifaces; i++)
                all_failed = all_failed && src[i].failed;
            if (all_failed)
                break;
            struct timespec ts = { 0, 100000000 };
            nanosleep(&ts, NULL);
        }
        stop_requested = 1;
        for (int i = 0; i < nifaces; i++)
            pcap_breakloop(src[i].pc);
        uint64_t kdrops = 0;
        bool clean = !failed;
        struct ow_dispatcher *ds[64];
        uint64_t stopped = wall_us();
        for (int i = 0; i < nifaces; i++) {
            if (src[i].started)
                pthread_join(src[i].thread, NULL);
            ow_dispatch_check_gap(&src[i].d, stopped);
            struct pcap_stat ps;
            if (pcap_stats(src[i].pc, &ps) == 0)
                kdrops += (uint64_t)ps.ps_drop + ps.ps_ifdrop;
            if (src[i].failed) {
                fprintf(stderr, "omwitness: %s\n", src[i].err);
                clean = false;
            }
            ds[i] = &src[i].d;
        }
        rc = engine_finish(&e, ds, (size_t)nifaces, kdrops, clean);
        if (!rc && !clean)
            rc = 1;
    }
    ow_http_stop(http);
    for (int i = 0; i < nifaces; i++) {
        if (i < ninit)
            ow_dispatch_destroy(&src[i].d);
        pcap_close(src[i].pc);
    }
    engine_free(&e);
    free(sources);
    free(src);
    return rc;
}
