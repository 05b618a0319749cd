/* engine.c — one run's lifecycle, for replay and capture alike: setup, the store's run
 * row, threads, and the run's end with its coverage counters. */
#include "sensor/engine_internal.h"

uint64_t ow_engine_wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t ow_engine_mono_ms(void)
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

void ow_engine_free(struct engine *e)
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
int ow_engine_setup(struct engine *e, const struct ow_engine_opts *o, size_t nreaders, bool live)
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
    /* Keys and witnesses are opened here, before any privilege is given up, and before the
     * store: a store exists only where its witness does, so verify --witness finds one. */
    if (o->keys_dir) {
        if (ow_sealer_open(&e->sealer, o->keys_dir, o->witness_path,
                           o->witness_syslog ? "/dev/log" : NULL, o->epoch_seconds,
                           o->heartbeat_seconds) < 0) {
            fprintf(stderr, "omwitness: --keys %s: %s\n", o->keys_dir, e->sealer.err);
            return 2;
        }
        e->sealed = true;
    }
    e->store = ow_store_open(o->db_path, err, sizeof err);
    if (!e->store) {
        fprintf(stderr, "omwitness: %s\n", err);
        return 1;
    }
    struct ow_worker_config wc = {
        .max_flows = (o->max_flows ? o->max_flows : 1000000) / (size_t)e->nworkers,
        .evidence_budget = (o->evidence_mb ? o->evidence_mb : 1024) * (1ull << 20) / (uint64_t)e->nworkers,
        .evidence_flow_packets = o->evidence_packets,
        .evidence_flow_bytes = o->evidence_kb * 1024u,
        .open_snapshot = o->listen != NULL,   /* the web UI's open flows (capture) */
    };
    size_t in_ring = IN_RING_BYTES;
    if (live && IN_RING_BYTES_LIVE_PER_READER / (size_t)e->nworkers > in_ring)
        in_ring = IN_RING_BYTES_LIVE_PER_READER / (size_t)e->nworkers;
    for (int i = 0; i < e->nworkers; i++) {
        if (ow_worker_init(&e->workers[i], i, nreaders, in_ring, &wc, e->ndpi[i],
                           e->policy) != 0) {
            fprintf(stderr, "omwitness: out of memory setting up worker %d\n", i);
            return 1;
        }
        e->worker_outputs[i] = ow_worker_output(&e->workers[i]);
    }
    return 0;
}

/* The run's row, the rules it is judged by and, sealed, the run's certificate and first
 * checkpoint: one transaction, before any thread runs. Apart, a crash between them would leave
 * a store whose records no checkpoint follows, which verify rightly calls tampered. */
static int begin_run_rows(struct engine *e, const struct ow_run_info *info)
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

int ow_engine_begin_run(struct engine *e, const struct ow_run_info *info)
{
    if (ow_store_begin_batch(e->store) != 0) {
        fprintf(stderr, "omwitness: %s: cannot record the run: %s\n", e->o->db_path,
                ow_store_errmsg(e->store));
        return 1;
    }
    if (begin_run_rows(e, info) != 0) {
        ow_store_rollback_batch(e->store);
        e->run_id = 0;
        return 1;
    }
    if (ow_store_commit_batch(e->store) != 0) {
        fprintf(stderr, "omwitness: %s: cannot record the run: %s\n", e->o->db_path,
                ow_store_errmsg(e->store));
        e->run_id = 0;
        return 1;
    }
    /* The witness hears of the first checkpoint only once the store holds it. */
    if (e->sealed)
        ow_sealer_committed(&e->sealer);
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
    int64_t leaves = 0;
    if (ow_engine_content_root(e, root, &leaves, err, sizeof err) != 0 ||
        ow_content_root_store_computed(e->store, e->run_id, root, leaves, err, sizeof err) != 0) {
        fprintf(stderr, "omwitness: %s: %s\n", e->o->db_path, err);
        ok = 0;
    }
    if (ok && e->input_sha256 && ow_store_set_run_input(e->store, e->run_id, e->input_sha256) != 0) {
        fprintf(stderr, "omwitness: %s: cannot record the input's hash: %s\n", e->o->db_path,
                ow_store_errmsg(e->store));
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
        ow_store_rollback_batch(e->store);
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
int ow_engine_start_threads(struct engine *e)
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
int ow_engine_finish(struct engine *e, struct ow_dispatcher *const *readers, size_t nreaders,
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
void ow_engine_append_item(char *buf, size_t *used, const char *item)
{
    size_t n = strlen(item);
    if (*used)
        buf[(*used)++] = ',';
    memcpy(buf + *used, item, n + 1);
    *used += n;
}

int ow_engine_bad_usage(const char *cmd, const char *why)
{
    fprintf(stderr, "omwitness %s: %s; see 'omwitness %s --help'\n", cmd, why, cmd);
    return 2;
}

/* --group and --user name accounts; files are made for them before anything is opened. */
int ow_engine_set_file_owners(const char *cmd, const struct ow_engine_opts *o,
                              struct ow_account *user, bool *switching, gid_t *group)
{
    char err[256];
    *switching = false;
    *group = (gid_t)-1;
    if (o->group && ow_sandbox_find_group(o->group, group, err, sizeof err) < 0)
        return ow_engine_bad_usage(cmd, err);
    if (o->user) {
        if (ow_sandbox_find_user(o->user, user, err, sizeof err) < 0)
            return ow_engine_bad_usage("capture", err);
        if (!ow_sandbox_running_as_root()) {
            snprintf(err, sizeof err, "--user %s needs root; started as a user, leave it out",
                     o->user);
            return ow_engine_bad_usage("capture", err);
        }
        *switching = true;
        ow_private_files_configure(*group, user->uid, *group != (gid_t)-1 ? *group : user->gid);
    } else {
        ow_private_files_configure(*group, (uid_t)-1, (gid_t)-1);
    }
    return 0;
}
