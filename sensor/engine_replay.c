/* engine_replay.c — replay: reads pcap files in order into the dispatcher, with progress
 * on a terminal, hashing each file's bytes as libpcap reads them; the hashes are recorded
 * at the run's end. */
#include "sensor/engine_internal.h"

#include "db/bulk_indexes.h"

struct progress {
    bool on;
    uint64_t last_ms;
};

static void show_progress(struct progress *p, const char *path, uint64_t pos, off_t size,
                          uint64_t packets, bool final)
{
    uint64_t now = ow_engine_mono_ms();
    if (!p->on || (!final && now - p->last_ms < 500))
        return;
    p->last_ms = now;
    int pct = size > 0 ? (int)(100.0 * (double)pos / (double)size) : 0;
    if (pct > 100)
        pct = 100;
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

/* Replays one file and gives the SHA-256 of its bytes, read once (hex; "" when the file
 * could not be read to its end). 0, or 2 when libpcap could not open or read it all. */
static int replay_file(struct ow_dispatcher *d, const char *path, struct progress *prog,
                       char hex[OW_SHA256_HEX_LEN])
{
    hex[0] = '\0';
    char errbuf[PCAP_ERRBUF_SIZE];
    struct ow_hashed_input in;
    FILE *f = ow_hashed_input_open(&in, path);
    if (!f) {
        fprintf(stderr, "omwitness: cannot open %s: %s\n", path, strerror(errno));
        return 2;
    }
    pcap_t *pc = pcap_fopen_offline(f, errbuf);
    if (!pc) {
        open_error(path, errbuf);
        ow_hashed_input_drop(&in);
        fclose(f);
        return 2;
    }
    struct stat sb;
    off_t size = fstat(in.fd, &sb) == 0 ? sb.st_size : 0;
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
                show_progress(prog, path, in.bytes, size, n, false);
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
        show_progress(prog, path, in.bytes, size, n, true);
    if (ow_hashed_input_finish(&in, hex) != 0) {
        fprintf(stderr, "omwitness: cannot read %s to its end: %s; its hash is not recorded\n",
                path, strerror(errno));
        hex[0] = '\0';
        rc = 2;
    }
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
    int orc = ow_engine_set_file_owners("replay", o, &user, &switching, &group);
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
        /* The run records where the file was, absolute, so a report read elsewhere names it. */
        char abs[PATH_MAX];
        ow_engine_append_item(sources, &sources_used, realpath(files[i], abs) ? abs : files[i]);
    }

    struct engine e;
    int rc = ow_engine_setup(&e, o, 1, false);
    struct ow_dispatcher d;
    bool d_ok = false;
    if (!rc) {
        struct ow_run_info info = {
            /* The hashes are of the bytes read, so they are known only at the end. */
            .kind = "replay", .source = sources, .source_sha256 = "",
            .site = e.policy ? ow_policy_site(e.policy) : "",
            .policy_sha256 = e.policy ? ow_policy_sha256(e.policy) : "",
            .version = OW_VERSION, .threads = e.nworkers, .started_wall_us = ow_engine_wall_us(),
            .sensor = o->sensor,
        };
        if (ow_dispatch_init(&d, e.workers, (size_t)e.nworkers, 0, false) != 0) {
            fprintf(stderr, "omwitness: out of memory\n");
            rc = 1;
        } else {
            d_ok = true;
            rc = ow_engine_begin_run(&e, &info);
        }
    }
    int deferred = 0;
    if (!rc) {
        /* A replay as big as the store, or bigger, builds its Community ID index at its end
         * (db/bulk_indexes.h). */
        uint64_t bytes = 0;
        for (int i = 0; i < nfiles; i++) {
            struct stat sb;
            if (stat(files[i], &sb) == 0 && sb.st_size > 0)
                bytes += (uint64_t)sb.st_size;
        }
        deferred = ow_bulk_indexes_defer(e.store, bytes / OW_BULK_BYTES_PER_FLOW);
        e.indexes_deferred = deferred == 1;
        if (deferred < 0)
            fprintf(stderr, "omwitness: %s: indexes kept up row by row: %s\n", o->db_path,
                    ow_store_errmsg(e.store));
    }
    if (!rc) {
        int read_rc = ow_engine_start_threads(&e);
        struct progress prog = { .on = o->progress && isatty(STDERR_FILENO) };
        for (int i = 0; i < nfiles; i++) {
            char hex[OW_SHA256_HEX_LEN] = "";
            int r = e.start_failed ? 0 : replay_file(&d, files[i], &prog, hex);
            if (r)
                read_rc = r;
            ow_engine_append_item(hashes, &hashes_used, hex);
        }
        e.input_sha256 = hashes;
        ow_dispatch_end(&d);
        struct ow_dispatcher *dp = &d;
        rc = ow_engine_finish(&e, &dp, 1, 0, read_rc == 0);
        if (!rc)
            rc = read_rc;
    }
    /* The run's end builds them (engine_root.c); if it could not, or the run failed before
     * its end, here; failing that, the next writer to open the store does. */
    if (e.indexes_deferred && ow_bulk_indexes_build(e.store) < 0)
        fprintf(stderr, "omwitness: %s: the Community ID index is not built yet (%s); the "
                "next writer to open the store builds it\n", o->db_path, ow_store_errmsg(e.store));
    if (d_ok)
        ow_dispatch_destroy(&d);
    ow_engine_free(&e);
    free(hashes);
    free(sources);
    return rc;
}
