/* faultsim.c — fault injection in the manner of SQLite's do_faultsim_test: the same replay is
 * run over and over in this process, and in each run the Nth fallible call of one kind fails:
 *
 *   ours    omwitness's own allocations and thread starts (common/alloc.h)
 *   sqlite  SQLite's allocations (SQLITE_CONFIG_MALLOC)
 *   json    jansson's allocations (the EVE lines of --jsonl)
 *   ioerr   the Nth write, sync or truncate of a store file returns SQLITE_IOERR (a test VFS)
 *   full    the same with SQLITE_FULL
 *
 * Every run is sealed (keys made for it before the fault is armed, docs/evidence.md), so
 * epoch certificates, checkpoints and content roots are written under the faults too.
 *
 * After each run the store is verified in-process, as a chain and against the run's root key, and one JSON line reports: whether the
 * fault fired (and where, for ours), the exit code, what was said on stderr, whether the
 * store verifies, and every stored alert as [flow_id, kind] (so the test can check that no
 * alert appears that the fault-free run does not have).
 *
 * Usage: faultsim DOMAIN N[,N...]|count WORKDIR POLICY PCAP
 *   "count" runs once without a fault and reports how many calls of the domain it made. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "db/seal_keys.h"
#include "db/store.h"
#include "db/verify.h"
#include "common/alloc.h"
#include "sensor/engine.h"

enum domain { D_OURS, D_SQLITE, D_JSON, D_IOERR, D_FULL };

/* One countdown for the domains this file owns (sqlite, json, io). */
static atomic_bool armed;
static atomic_long calls, fail_at, fired;
static enum domain domain;

static bool fault_now(enum domain d)
{
    if (!atomic_load_explicit(&armed, memory_order_relaxed) || d != domain)
        return false;
    long n = atomic_fetch_add(&calls, 1) + 1;
    if (n != atomic_load(&fail_at))
        return false;
    atomic_fetch_add(&fired, 1);
    return true;
}

/* ---- SQLite's allocator: a size header in front of every block ---------------------- */

static void *sq_malloc(int n)
{
    if (fault_now(D_SQLITE))
        return NULL;
    size_t *p = malloc(sizeof(size_t) * 2 + (size_t)n);
    if (!p)
        return NULL;
    p[0] = (size_t)n;
    return p + 2;
}

static void sq_free(void *q)
{
    if (q)
        free((size_t *)q - 2);
}

static int sq_size(void *q)
{
    return q ? (int)((size_t *)q - 2)[0] : 0;
}

static void *sq_realloc(void *q, int n)
{
    if (fault_now(D_SQLITE))
        return NULL;
    size_t *p = realloc(q ? (size_t *)q - 2 : NULL, sizeof(size_t) * 2 + (size_t)n);
    if (!p)
        return NULL;
    p[0] = (size_t)n;
    return p + 2;
}

static int sq_roundup(int n) { return (n + 7) & ~7; }
static int sq_init(void *x) { (void)x; return SQLITE_OK; }
static void sq_shutdown(void *x) { (void)x; }

static const sqlite3_mem_methods sq_mem = {
    sq_malloc, sq_free, sq_realloc, sq_size, sq_roundup, sq_init, sq_shutdown, NULL,
};

/* ---- jansson's allocator ------------------------------------------------------------- */

static void *json_malloc(size_t n)
{
    if (fault_now(D_JSON)) {
        ow_alloc_note_failure();
        return NULL;
    }
    return malloc(n);
}

/* ---- a VFS that fails the Nth write, sync or truncate -------------------------------- */

struct fs_file {
    sqlite3_file base;
    sqlite3_file *real;
};

static sqlite3_vfs *real_vfs;
static sqlite3_vfs fs_vfs;
static sqlite3_io_methods fs_io;

#define REAL(f) (((struct fs_file *)(f))->real)

static int io_fault(int io_code)
{
    if (fault_now(D_IOERR))
        return io_code;
    if (fault_now(D_FULL))
        return SQLITE_FULL;
    return SQLITE_OK;
}

static int fs_close(sqlite3_file *f)
{
    int rc = REAL(f)->pMethods->xClose(REAL(f));
    return rc;
}
static int fs_read(sqlite3_file *f, void *b, int n, sqlite3_int64 o)
{
    return REAL(f)->pMethods->xRead(REAL(f), b, n, o);
}
static int fs_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 o)
{
    int rc = io_fault(SQLITE_IOERR_WRITE);
    return rc ? rc : REAL(f)->pMethods->xWrite(REAL(f), b, n, o);
}
static int fs_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    int rc = io_fault(SQLITE_IOERR_TRUNCATE);
    return rc ? rc : REAL(f)->pMethods->xTruncate(REAL(f), size);
}
static int fs_sync(sqlite3_file *f, int flags)
{
    int rc = io_fault(SQLITE_IOERR_FSYNC);
    return rc ? rc : REAL(f)->pMethods->xSync(REAL(f), flags);
}
static int fs_size(sqlite3_file *f, sqlite3_int64 *s) { return REAL(f)->pMethods->xFileSize(REAL(f), s); }
static int fs_lock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xLock(REAL(f), l); }
static int fs_unlock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xUnlock(REAL(f), l); }
static int fs_check(sqlite3_file *f, int *r) { return REAL(f)->pMethods->xCheckReservedLock(REAL(f), r); }
static int fs_fcntl(sqlite3_file *f, int op, void *a) { return REAL(f)->pMethods->xFileControl(REAL(f), op, a); }
static int fs_sector(sqlite3_file *f) { return REAL(f)->pMethods->xSectorSize(REAL(f)); }
static int fs_caps(sqlite3_file *f) { return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f)); }
static int fs_shm_map(sqlite3_file *f, int i, int sz, int ext, void volatile **p)
{
    return REAL(f)->pMethods->xShmMap(REAL(f), i, sz, ext, p);
}
static int fs_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
    return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags);
}
static void fs_shm_barrier(sqlite3_file *f) { REAL(f)->pMethods->xShmBarrier(REAL(f)); }
static int fs_shm_unmap(sqlite3_file *f, int del) { return REAL(f)->pMethods->xShmUnmap(REAL(f), del); }
static int fs_fetch(sqlite3_file *f, sqlite3_int64 o, int n, void **p)
{
    return REAL(f)->pMethods->xFetch(REAL(f), o, n, p);
}
static int fs_unfetch(sqlite3_file *f, sqlite3_int64 o, void *p)
{
    return REAL(f)->pMethods->xUnfetch(REAL(f), o, p);
}

static int fs_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out)
{
    (void)vfs;
    struct fs_file *f = (struct fs_file *)file;
    f->real = (sqlite3_file *)(f + 1);
    int rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out);
    file->pMethods = rc == SQLITE_OK && f->real->pMethods ? &fs_io : NULL;
    return rc;
}

static void install_vfs(void)
{
    real_vfs = sqlite3_vfs_find(NULL);
    fs_vfs = *real_vfs;
    fs_vfs.zName = "faultsim";
    fs_vfs.szOsFile = (int)sizeof(struct fs_file) + real_vfs->szOsFile;
    fs_vfs.xOpen = fs_open;
    fs_vfs.pNext = NULL;
    fs_io = (sqlite3_io_methods){
        .iVersion = 3, .xClose = fs_close, .xRead = fs_read, .xWrite = fs_write,
        .xTruncate = fs_truncate, .xSync = fs_sync, .xFileSize = fs_size, .xLock = fs_lock,
        .xUnlock = fs_unlock, .xCheckReservedLock = fs_check, .xFileControl = fs_fcntl,
        .xSectorSize = fs_sector, .xDeviceCharacteristics = fs_caps, .xShmMap = fs_shm_map,
        .xShmLock = fs_shm_lock, .xShmBarrier = fs_shm_barrier, .xShmUnmap = fs_shm_unmap,
        .xFetch = fs_fetch, .xUnfetch = fs_unfetch,
    };
    sqlite3_vfs_register(&fs_vfs, 1);
}

/* ---- one run -------------------------------------------------------------------------- */

static void json_escape_print(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

/* Tables, indexes and the like in a database file (0 for an empty file), or -1. */
static long schema_objects(const char *db)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *q = NULL;
    long n = -1;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(h, "SELECT count(*) FROM sqlite_schema", -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        n = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(h);
    return n;
}

/* The stored alerts as [flow_id, kind] pairs, the store's verification, and its counts. */
static void report_store(const char *db, const uint8_t root_pub[OW_ED25519_KEY_LEN])
{
    if (access(db, F_OK) != 0) {
        printf(",\"store\":false");
        return;
    }
    printf(",\"store\":true");
    char err[512];
    struct ow_store *st = ow_store_open_readonly(db, err, sizeof err);
    if (!st && schema_objects(db) == 0) {
        /* Nothing of ours in it (the fault hit while the store was being made): it must
         * become a store on the next open as if it had never been touched. */
        struct ow_store *w = ow_store_open(db, err, sizeof err);
        ow_store_close(w);
        printf(",\"empty\":true,\"reopens\":%s", w ? "true" : "false");
        st = ow_store_open_readonly(db, err, sizeof err);
        if (!st)
            return;
    }
    if (!st) {
        printf(",\"verify\":-1,\"problem\":");
        json_escape_print(err);
        return;
    }
    struct ow_verify_result vr;
    memset(&vr, 0, sizeof vr);
    int vrc = ow_verify_store(st, NULL, &vr);
    printf(",\"verify\":%d,\"problem\":", vrc);
    json_escape_print(vr.problem);
    memset(&vr, 0, sizeof vr);
    vrc = ow_verify_store_sealed(st, NULL, root_pub, NULL, &vr);
    printf(",\"seal\":%d,\"seal_problem\":", vrc);
    json_escape_print(vr.problem);
    sqlite3 *h = ow_store_handle(st);
    sqlite3_stmt *q = NULL;
    printf(",\"alerts\":[");
    if (sqlite3_prepare_v2(h, "SELECT f.flow_id, a.kind FROM alerts a JOIN flows f ON "
                              "f.id = a.flow_row ORDER BY a.id", -1, &q, NULL) == SQLITE_OK) {
        for (int first = 1; sqlite3_step(q) == SQLITE_ROW; first = 0) {
            printf("%s[%lld,", first ? "" : ",", (long long)sqlite3_column_int64(q, 0));
            json_escape_print((const char *)sqlite3_column_text(q, 1));
            putchar(']');
        }
    }
    sqlite3_finalize(q);
    printf("]");
    const char *counts[][2] = {
        { "flows", "SELECT count(*) FROM flows" },
        { "unclassified", "SELECT count(*) FROM flows WHERE verdict_kind = 'classification_failed'" },
        { "unclassified_alerts", "SELECT count(*) FROM alerts a JOIN flows f ON f.id = a.flow_row "
                                 "WHERE f.verdict_kind = 'classification_failed'" },
        { "runs_clean", "SELECT count(*) FROM runs WHERE clean_end = 1" },
        { "evidence", "SELECT count(*) FROM evidence" },
    };
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        long long v = -1;
        if (sqlite3_prepare_v2(h, counts[i][1], -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
            v = sqlite3_column_int64(q, 0);
        sqlite3_finalize(q);
        printf(",\"%s\":%lld", counts[i][0], v);
    }
    ow_store_close(st);
}

static char *read_all(int fd)
{
    static char buf[65536];
    lseek(fd, 0, SEEK_SET);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

static void one_run(long n, const char *work, const char *policy, char *pcap)
{
    char db[4096], jsonl[4096], errpath[4096], keys[4096], kerr[256];
    uint8_t root_pub[OW_ED25519_KEY_LEN];
    snprintf(keys, sizeof keys, "%s/keys-%ld", work, n);
    if (ow_keys_init(keys, "faultsim", root_pub, kerr, sizeof kerr) < 0) {
        fprintf(stderr, "faultsim: keys init: %s\n", kerr);
        exit(2);
    }
    snprintf(db, sizeof db, "%s/run-%ld.db", work, n);
    snprintf(jsonl, sizeof jsonl, "%s/run-%ld.jsonl", work, n);
    snprintf(errpath, sizeof errpath, "%s/run-%ld.err", work, n);
    struct ow_engine_opts o = { .db_path = db, .policy_path = policy, .jsonl_path = jsonl,
                                .keys_dir = keys, .threads = 2, .progress = false };
    /* The run's stderr goes to a file, to be reported with the run. */
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    int efd = open(errpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
    dup2(efd, STDERR_FILENO);

    atomic_store(&calls, 0);
    atomic_store(&fired, 0);
    atomic_store(&fail_at, n);
    if (domain == D_OURS)
        ow_fault_arm(n, false);
    else
        atomic_store(&armed, true);
    char *files[] = { pcap };
    int rc = ow_engine_replay(&o, files, 1);
    atomic_store(&armed, false);
    long ncalls = domain == D_OURS ? ow_fault_calls() : atomic_load(&calls);
    long nfired = domain == D_OURS ? ow_fault_failures() : atomic_load(&fired);
    void *site = domain == D_OURS && nfired ? ow_fault_site() : NULL;
    ow_fault_arm(0, false);

    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    printf("{\"n\":%ld,\"calls\":%ld,\"fired\":%ld,\"rc\":%d", n, ncalls, nfired, rc);
    if (site) {
        Dl_info info;
        if (dladdr(site, &info) && info.dli_fbase)
            printf(",\"site\":\"%#lx\"", (unsigned long)((char *)site - (char *)info.dli_fbase));
    }
    printf(",\"stderr\":");
    json_escape_print(read_all(efd));
    close(efd);
    report_store(db, root_pub);
    printf("}\n");
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: faultsim ours|sqlite|json|ioerr|full N[,N...]|count WORKDIR POLICY PCAP\n");
        return 2;
    }
    static const char *const names[] = { "ours", "sqlite", "json", "ioerr", "full" };
    bool known = false;
    for (int d = 0; d < 5; d++)
        if (!strcmp(argv[1], names[d])) {
            domain = (enum domain)d;
            known = true;
        }
    if (!known) {
        fprintf(stderr, "faultsim: unknown domain '%s'\n", argv[1]);
        return 2;
    }
    sqlite3_config(SQLITE_CONFIG_MALLOC, &sq_mem);
    sqlite3_initialize();
    install_vfs();
    json_set_alloc_funcs(json_malloc, free);
    if (!strcmp(argv[2], "count")) {
        one_run(0, argv[3], argv[4], argv[5]);
        return 0;
    }
    for (char *save = NULL, *tok = strtok_r(argv[2], ",", &save); tok; tok = strtok_r(NULL, ",", &save))
        one_run(strtol(tok, NULL, 10), argv[3], argv[4], argv[5]);
    return 0;
}
