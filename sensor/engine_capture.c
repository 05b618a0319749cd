/* engine_capture.c — live capture: one reader thread per interface, kernel drop
 * sampling, the health page and open flows for --listen, progress records, stopping on a
 * signal, and dropping privileges once everything is open. */
#include "sensor/engine_internal.h"

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
        uint64_t now = ow_engine_wall_us();
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
        return ow_engine_bad_usage("capture", "give 1 to 64 interfaces");
    int orc = ow_engine_set_file_owners("capture", o, &user, &switching, &group);
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
        ow_engine_append_item(sources, &sources_used, ifaces[i]);

    struct engine e;
    memset(&e, 0, sizeof e);
    int rc = sources ? ow_engine_setup(&e, o, (size_t)nifaces, true) : 1;
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
        src[ninit].d.started_us = ow_engine_wall_us();
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
            .version = OW_VERSION, .threads = e.nworkers, .started_wall_us = ow_engine_wall_us(),
            .sensor = o->sensor,
        };
        rc = ow_engine_begin_run(&e, &info);
    }
    if (!rc) {
        bool failed = ow_engine_start_threads(&e) != 0;
        if (!failed && http && run_http(http) != 0)
            failed = true;
        struct sigaction sa = { .sa_handler = on_stop_signal };
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        if (failed)
            stop_requested = 1;
        for (int i = 0; i < nifaces; i++) {
            int trc = failed ? -1
                             : ow_thread_start(&src[i].thread, "ow-capture", capture_main,
                                               &src[i]);
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
        uint64_t next_progress = ow_engine_mono_ms() + progress_every;
        while (!stop_requested) {
            if (!failed && e.writer_started && ow_engine_mono_ms() >= next_progress) {
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
        uint64_t stopped = ow_engine_wall_us();
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
        rc = ow_engine_finish(&e, ds, (size_t)nifaces, kdrops, clean);
        if (!rc && !clean)
            rc = 1;
    }
    ow_http_stop(http);
    for (int i = 0; i < nifaces; i++) {
        if (i < ninit)
            ow_dispatch_destroy(&src[i].d);
        pcap_close(src[i].pc);
    }
    ow_engine_free(&e);
    free(sources);
    free(src);
    return rc;
}
