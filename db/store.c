/* store.c — the evidence store's handle: opening (writer or read-only), the writer's batched
 * inserts of runs, flows, alerts and rule hits through prepared statements, and the readers
 * that print flows and alerts. Everything read back from the file is treated as hostile:
 * NULLs become empty, text is copied with bounds, numbers are range-checked. */
#include "db/store.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "db/eve_json.h"
#include "db/hash_chain.h"
#include "db/listing.h"
#include "db/migrations.h"
#include "db/store_files.h"
#include "common/alloc.h"
#include "common/anomaly_kinds.h"
#include "common/endpoint.h"
#include "common/private_file.h"

#define BUSY_TIMEOUT_MS 5000

struct ow_store {
    sqlite3 *db;
    int readonly;
    int snapshot;                /* read-only handle on a store without -wal/-shm */
    int in_batch;
    int batch_lost;              /* SQLite rolled the open batch back after an error */
    sqlite3_stmt *insert_run, *update_run, *insert_flow, *insert_alert, *bump_rule;
    sqlite3_stmt *savepoint, *release, *rollback_to;
    sqlite3_stmt *insert_evidence, *insert_run_rule, *set_chain_head;
    sqlite3_stmt *end_flow, *insert_progress, *set_assets_all;
    int flow_ends;               /* schema 6 on: flows have end_* columns (readers coalesce) */
    int assets_all;              /* schema 8 on: flows have verdict_asset_*_all columns */
    struct ow_chain chain;       /* writer only */
    char errmsg[256];
};

/* Flow columns in the order they are bound and read. Parameters and result columns that
 * follow run_id use this order; keep the enum and the names in step. */
enum flow_col {
    FC_FLOW_ID, FC_COMMUNITY_ID, FC_FIRST_TS, FC_LAST_TS, FC_L4_PROTO, FC_IP_FAMILY,
    FC_CLIENT_IP, FC_CLIENT_PORT, FC_SERVER_IP, FC_SERVER_PORT, FC_ICMP_TYPE, FC_ICMP_CODE,
    FC_SLICE,
    FC_VLAN, FC_TUNNELS, FC_PKTS_TOSERVER, FC_PKTS_TOCLIENT, FC_BYTES_TOSERVER,
    FC_BYTES_TOCLIENT, FC_LATER_FRAGMENTS, FC_END_REASON,
    FC_NDPI_PROTOCOL, FC_NDPI_MASTER, FC_NDPI_APP, FC_NDPI_CATEGORY, FC_NDPI_CONFIDENCE,
    FC_NDPI_RISK, FC_APP_PROTO,
    FC_SSH_CLIENT, FC_SSH_SERVER, FC_HASSH_CLIENT, FC_HASSH_SERVER, FC_TLS_SNI, FC_JA3,
    FC_JA3S, FC_TLS_VERSION, FC_HTTP_HOST, FC_HTTP_USER_AGENT, FC_DNS_QUERY,
    FC_LI_INTERFACE, FC_LI_CONFIDENCE, FC_LI_XID, FC_LI_LIID, FC_LI_TARGET,
    FC_LI_PAYLOAD_FORMAT, FC_LI_PDU_COUNT,
    FC_VERDICT_STATUS, FC_VERDICT_RULE, FC_VERDICT_KIND, FC_VERDICT_SEVERITY,
    FC_VERDICT_REASON, FC_VERDICT_ASSET_SRC, FC_VERDICT_ASSET_DEST, FC_VERDICT_TICKET,
    FC_VERDICT_OVERRUN,
    FC_COUNT
};

static const char *const flow_col_names[FC_COUNT] = {
    "flow_id", "community_id", "first_ts", "last_ts", "l4_proto", "ip_family",
    "client_ip", "client_port", "server_ip", "server_port", "icmp_type", "icmp_code",
    "slice",
    "vlan", "tunnels", "pkts_toserver", "pkts_toclient", "bytes_toserver",
    "bytes_toclient", "later_fragments", "end_reason",
    "ndpi_protocol", "ndpi_master", "ndpi_app", "ndpi_category", "ndpi_confidence",
    "ndpi_risk", "app_proto",
    "ssh_client", "ssh_server", "hassh_client", "hassh_server", "tls_sni", "ja3",
    "ja3s", "tls_version", "http_host", "http_user_agent", "dns_query",
    "li_interface", "li_confidence", "li_xid", "li_liid", "li_target",
    "li_payload_format", "li_pdu_count",
    "verdict_status", "verdict_rule", "verdict_kind", "verdict_severity",
    "verdict_reason", "verdict_asset_src", "verdict_asset_dest", "verdict_ticket",
    "verdict_overrun",
};

/* ---- errors -------------------------------------------------------------------------- */

static void set_err(struct ow_store *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_err(struct ow_store *st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->errmsg, sizeof st->errmsg, fmt, ap);
    va_end(ap);
}

static int db_err(struct ow_store *st, const char *what)
{
    set_err(st, "%s: %s", what, sqlite3_errmsg(st->db));
    return -1;
}

const char *ow_store_errmsg(struct ow_store *st)
{
    return st ? st->errmsg : "no store";
}

/* ---- opening ------------------------------------------------------------------------- */

static int exec_sql(sqlite3 *db, const char *sql, char *err, size_t errlen, const char *path)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return 0;
    snprintf(err, errlen, "%s: %s: %s", path, sql, msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return -1;
}

/* The end_* column (schema 6) that holds a flow's final value of a column, or NULL for the
 * columns a flow's end does not change. */
static const char *end_column(int col)
{
    switch (col) {
    case FC_LAST_TS:          return "end_ts";
    case FC_PKTS_TOSERVER:    return "end_pkts_toserver";
    case FC_PKTS_TOCLIENT:    return "end_pkts_toclient";
    case FC_BYTES_TOSERVER:   return "end_bytes_toserver";
    case FC_BYTES_TOCLIENT:   return "end_bytes_toclient";
    case FC_LATER_FRAGMENTS:  return "end_later_fragments";
    case FC_END_REASON:       return "ended_reason";
    default:                  return NULL;
    }
}

/* Builds "SELECT <prefix>, c1, c2 ... FROM flows" style column lists into buf. Readers of a
 * schema-6 store (ends != 0) read a flow's final values where its end has been recorded,
 * and its values at the verdict while it is open. */
static void flow_column_list_ends(char *buf, size_t buflen, const char *table_prefix, int ends)
{
    size_t o = 0;
    for (int i = 0; i < FC_COUNT && o < buflen; i++) {
        const char *end = ends ? end_column(i) : NULL;
        if (end)
            o += (size_t)snprintf(buf + o, buflen - o, "%scoalesce(%s%s, %s%s)", i ? ", " : "",
                                  table_prefix, end, table_prefix, flow_col_names[i]);
        else if (ends && i == FC_VERDICT_OVERRUN)
            o += (size_t)snprintf(buf + o, buflen - o, ", max(%sverdict_overrun, coalesce(%s"
                                  "end_overrun, 0))", table_prefix, table_prefix);
        else
            o += (size_t)snprintf(buf + o, buflen - o, "%s%s%s", i ? ", " : "", table_prefix,
                                  flow_col_names[i]);
    }
}

static void flow_column_list(char *buf, size_t buflen, const char *table_prefix)
{
    flow_column_list_ends(buf, buflen, table_prefix, 0);
}

/* Readers of a schema-8 store read every asset of each endpoint after the flow columns
 * (FC_COUNT and FC_COUNT + 1 from the flow columns' base); NULL means "the single asset". */
static void assets_all_columns(char *buf, size_t buflen, const char *table_prefix, int present)
{
    size_t o = strlen(buf);
    if (present && o < buflen)
        snprintf(buf + o, buflen - o, ", %sverdict_asset_src_all, %sverdict_asset_dest_all",
                 table_prefix, table_prefix);
}

static int prepare(struct ow_store *st, const char *sql, sqlite3_stmt **out)
{
    if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL) != SQLITE_OK)
        return db_err(st, "prepare");
    return 0;
}

/* The flow_end record's columns (hash_chain.c), bound after the flow columns. */
#define END_COLUMNS "end_ts, end_pkts_toserver, end_pkts_toclient, end_bytes_toserver, " \
    "end_bytes_toclient, end_later_fragments, ended_reason, end_overrun, decided_ts"
#define END_COLUMN_COUNT 9

static int prepare_writer(struct ow_store *st)
{
    char cols[2048], sql[4096];
    flow_column_list(cols, sizeof cols, "");
    size_t o = (size_t)snprintf(sql, sizeof sql, "INSERT INTO flows (run_id, %s, " END_COLUMNS
                                ") VALUES (?", cols);
    for (int i = 0; i < FC_COUNT + END_COLUMN_COUNT; i++)
        o += (size_t)snprintf(sql + o, sizeof sql - o, ", ?");
    snprintf(sql + o, sizeof sql - o, ")");

    if (prepare(st, sql, &st->insert_flow) < 0 ||
        prepare(st, "INSERT INTO runs (kind, source, source_sha256, site, policy_sha256, "
                    "version, threads, started_wall, sensor) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                &st->insert_run) < 0 ||
        prepare(st, "UPDATE flows SET end_ts = ?, end_pkts_toserver = ?, end_pkts_toclient = ?, "
                    "end_bytes_toserver = ?, end_bytes_toclient = ?, end_later_fragments = ?, "
                    "ended_reason = ?, end_overrun = ?, decided_ts = ? WHERE id = ? AND "
                    "ended_reason IS NULL", &st->end_flow) < 0 ||
        prepare(st, "INSERT INTO run_progress (run_id, wall, first_ts, last_ts, packets, bytes, "
                    "kernel_drops, internal_drops, gaps, flows) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
                    "?, ?)", &st->insert_progress) < 0 ||
        prepare(st, "UPDATE runs SET first_ts = ?, last_ts = ?, packets = ?, bytes = ?, "
                    "packets_malformed = ?, packets_not_ip = ?, kernel_drops = ?, "
                    "internal_drops = ?, flows = ?, flows_evicted = ?, gaps = ?, "
                    "clean_end = ?, ended_wall = ? WHERE id = ?",
                &st->update_run) < 0 ||
        prepare(st, "INSERT INTO alerts (run_id, flow_row, ts, kind, severity, rule, reason, "
                    "asset_src, asset_dest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                &st->insert_alert) < 0 ||
        prepare(st, "INSERT INTO rule_hits (run_id, rule_id, hits) VALUES (?, ?, 1) "
                    "ON CONFLICT (run_id, rule_id) DO UPDATE SET hits = hits + 1",
                &st->bump_rule) < 0 ||
        prepare(st, "SAVEPOINT add_flow", &st->savepoint) < 0 ||
        prepare(st, "RELEASE add_flow", &st->release) < 0 ||
        prepare(st, "ROLLBACK TO add_flow", &st->rollback_to) < 0 ||
        prepare(st, "INSERT INTO evidence (flow_row, sha256, packets, bytes, truncated, "
                    "linktype, pcap) VALUES (?, ?, ?, ?, ?, ?, ?)",
                &st->insert_evidence) < 0 ||
        prepare(st, "INSERT INTO run_rules (run_id, rule_id, kind, interface, ticket) "
                    "VALUES (?, ?, ?, ?, ?)",
                &st->insert_run_rule) < 0 ||
        prepare(st, "UPDATE runs SET chain_head = ? WHERE id = ?", &st->set_chain_head) < 0 ||
        (st->assets_all &&
         prepare(st, "UPDATE flows SET verdict_asset_src_all = ?, verdict_asset_dest_all = ? "
                     "WHERE id = ?", &st->set_assets_all) < 0))
        return -1;
    if (ow_chain_init(&st->chain, st->db, 1) < 0) {
        set_err(st, "%s", st->chain.err);
        return -1;
    }
    return 0;
}

static struct ow_store *store_new(sqlite3 *db, int readonly)
{
    struct ow_store *st = ow_calloc(1, sizeof *st);
    if (st) {
        st->db = db;
        st->readonly = readonly;
        sqlite3_stmt *q = NULL;
        if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info('flows') WHERE name = "
                               "'ended_reason'", -1, &q, NULL) == SQLITE_OK)
            st->flow_ends = sqlite3_step(q) == SQLITE_ROW;
        sqlite3_finalize(q);
        q = NULL;
        if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info('flows') WHERE name = "
                               "'verdict_asset_src_all'", -1, &q, NULL) == SQLITE_OK)
            st->assets_all = sqlite3_step(q) == SQLITE_ROW;
        sqlite3_finalize(q);
    }
    return st;
}

/* Errors another process's first open can cause for a moment: its lock while it migrates
 * or switches the file to WAL. Worth another try; anything else is final. */
static int transient(int rc)
{
    rc &= 0xff;
    return rc == SQLITE_BUSY || rc == SQLITE_LOCKED || rc == SQLITE_CANTOPEN ||
           rc == SQLITE_IOERR;
}

/* SQLite's memory statistics take a global mutex around every allocation it makes: 12% of
 * the writer thread's samples, for counters nothing here reads. Set once, before SQLite's
 * first use (a program that initialised SQLite itself keeps its settings: the call is then
 * refused, harmlessly). */
static pthread_once_t sqlite_once = PTHREAD_ONCE_INIT;

static void sqlite_setup(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static struct ow_store *store_open_once(const char *path, char *err, size_t errlen, int *retry)
{
    sqlite3 *db = NULL;
    *retry = 0;
    /* NOFOLLOW: a symlink planted at the store's name is refused, not written through.
     * NOMUTEX: a writable handle is used by one thread at a time (opened by the engine, then
     * the writer thread's alone until it is joined), so SQLite's serialized mode would only
     * add a mutex round trip to every API call: 13% of the writer's samples (docs/
     * architecture.md, Performance). */
    pthread_once(&sqlite_once, sqlite_setup);
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                             SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "cannot open %s: %s", path,
                 db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        *retry = transient(rc);
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);

    char why[200];
    if (ow_migrate(db, why, sizeof why) < 0) {
        /* Checked before anything is set, so a foreign file is left exactly as it was. */
        snprintf(err, errlen, "%s: %s", path, why);
        *retry = transient(sqlite3_errcode(db));
        sqlite3_close(db);
        return NULL;
    }
    if (exec_sql(db, "PRAGMA foreign_keys = ON", err, errlen, path) < 0 ||
        exec_sql(db, "PRAGMA synchronous = FULL", err, errlen, path) < 0 ||
        exec_sql(db, "PRAGMA journal_mode = WAL", err, errlen, path) < 0 ||
        /* 64 MiB of page cache (the default is 2 MiB): the four flow indexes and the chain's
         * (kind, row_id) index are appended to all over a run, and a small cache evicts
         * and re-reads their interior pages every batch. Pages are allocated as used. */
        exec_sql(db, "PRAGMA cache_size = -65536", err, errlen, path) < 0 ||
        /* Every flow is written inside a savepoint of the batch's transaction (a refused
         * record rolls back alone); its statement journal spilled to a file in /var/tmp
         * once it outgrew 64 KiB and then took a pwrite per page per savepoint: 13 writes
         * per flow, 95% of the writer's system calls. In memory it is emptied at each
         * RELEASE, so it holds one flow's pages at most. */
        exec_sql(db, "PRAGMA temp_store = MEMORY", err, errlen, path) < 0 ||
        /* A checkpoint every 4,000 pages (16 MiB of WAL, within journal_size_limit) rather
         * than 1,000: the index pages a batch dirties are dirtied again by the next ones,
         * and each checkpoint copies (and fsyncs) a page once however often it changed. */
        exec_sql(db, "PRAGMA wal_autocheckpoint = 4000", err, errlen, path) < 0) {
        *retry = transient(sqlite3_errcode(db));
        sqlite3_close(db);
        return NULL;
    }
    /* journal_mode answers with the mode it got; an in-memory store stays "memory". */
    sqlite3_stmt *q = NULL;
    char mode[16] = "";
    if (sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
        snprintf(mode, sizeof mode, "%s", (const char *)sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    if (strcmp(mode, "wal") != 0 && strcmp(mode, "memory") != 0) {
        snprintf(err, errlen, "%s: cannot switch to WAL mode (journal_mode is %s)", path, mode);
        *retry = 1;     /* another process may hold the lock the switch needs */
        sqlite3_close(db);
        return NULL;
    }
    /* The -wal and -shm outlive this handle (emptied, not deleted), so readers, which may
     * not write the directory, never have to create them. */
    int persist = 1;
    sqlite3_file_control(db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
    /* A first read opens the -wal and -shm now, while the directory may still be written:
     * after a capture gives up root it may not create files there. */
    if (exec_sql(db, "PRAGMA journal_size_limit = 67108864", err, errlen, path) < 0 ||
        exec_sql(db, "SELECT count(*) FROM sqlite_schema", err, errlen, path) < 0 ||
        (!ow_store_path_special(path) && ow_store_files_make_private(path, err, errlen) < 0)) {
        sqlite3_close(db);
        return NULL;
    }

    struct ow_store *st = store_new(db, 0);
    if (!st) {
        snprintf(err, errlen, "%s: out of memory", path);
        sqlite3_close(db);
        return NULL;
    }
    if (prepare_writer(st) < 0) {
        snprintf(err, errlen, "%s: %s", path, st->errmsg);
        *retry = transient(sqlite3_errcode(db));
        ow_store_close(st);
        return NULL;
    }
    return st;
}

/* Several processes may open a new file at once (busy_timeout does not cover the switch to
 * WAL), so transient failures are retried for up to BUSY_TIMEOUT_MS. */
struct ow_store *ow_store_open(const char *path, char *err, size_t errlen)
{
    if (!path || !*path) {
        snprintf(err, errlen, "store: no file name given");
        return NULL;
    }
    struct stat lsb;
    if (!ow_store_path_special(path) && lstat(path, &lsb) == 0 && S_ISLNK(lsb.st_mode)) {
        snprintf(err, errlen, "cannot open %s: a symbolic link; a store is not opened through "
                 "one (give the file itself)", path);
        return NULL;
    }
    /* A new file is private from its first byte; an existing one only once it is known to be
     * a store (a foreign file is left exactly as it was). */
    if (!ow_store_path_special(path) && ow_private_create(path) < 0) {
        snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
        return NULL;
    }
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (unsigned attempt = 0;; attempt++) {
        int retry = 0;
        struct ow_store *st = store_open_once(path, err, errlen, &retry);
        if (st || !retry)
            return st;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long elapsed_ms = (now.tv_sec - start.tv_sec) * 1000 +
                          (now.tv_nsec - start.tv_nsec) / 1000000;
        if (elapsed_ms >= BUSY_TIMEOUT_MS)
            return NULL;
        struct timespec pause = { 0, (5 + (long)(attempt % 7) * 3) * 1000000L };
        nanosleep(&pause, NULL);
    }
}

struct ow_store *ow_store_open_readonly(const char *path, char *err, size_t errlen)
{
    struct stat sb;
    if (!path || !*path) {
        snprintf(err, errlen, "store: no file name given");
        return NULL;
    }
    if (lstat(path, &sb) < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    if (S_ISLNK(sb.st_mode)) {
        snprintf(err, errlen, "cannot open %s: a symbolic link; a store is not opened through "
                 "one (give the file itself)", path);
        return NULL;
    }
    if (!S_ISREG(sb.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        return NULL;
    }
    /* Without its -wal and -shm (another program closed it last) a normal read-only handle
     * would create them; read the file as it stands instead. */
    char uri[8192];
    bool snapshot = !ow_store_files_complete(path);
    if (snapshot && ow_store_snapshot_uri(path, uri, sizeof uri) < 0) {
        snprintf(err, errlen, "%s: path too long", path);
        return NULL;
    }
    sqlite3 *db = NULL;
    pthread_once(&sqlite_once, sqlite_setup);
    /* NOMUTEX: a reader's handle is one command's, one HTTP request's or one event
     * stream's, each used by one thread at a time (libmicrohttpd serves a connection from
     * its own thread): 8% of verify's samples were SQLite's mutexes. */
    int rc = sqlite3_open_v2(snapshot ? uri : path, &db,
                             SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX |
                             (snapshot ? SQLITE_OPEN_URI : 0), NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "cannot open %s: %s", path,
                 db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    char why[200];
    if (ow_schema_check(db, why, sizeof why) < 0) {
        snprintf(err, errlen, "%s: %s", path, why);
        sqlite3_close(db);
        return NULL;
    }
    if (exec_sql(db, "PRAGMA query_only = ON", err, errlen, path) < 0) {
        sqlite3_close(db);
        return NULL;
    }
    struct ow_store *st = store_new(db, 1);
    if (!st) {
        snprintf(err, errlen, "%s: out of memory", path);
        sqlite3_close(db);
        return NULL;
    }
    st->snapshot = snapshot;
    return st;
}

int ow_store_is_snapshot(struct ow_store *st)
{
    return st ? st->snapshot : 0;
}

void ow_store_close(struct ow_store *st)
{
    if (!st)
        return;
    if (st->in_batch)
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_finalize(st->insert_run);
    sqlite3_finalize(st->update_run);
    sqlite3_finalize(st->insert_flow);
    sqlite3_finalize(st->insert_alert);
    sqlite3_finalize(st->bump_rule);
    sqlite3_finalize(st->savepoint);
    sqlite3_finalize(st->release);
    sqlite3_finalize(st->rollback_to);
    sqlite3_finalize(st->insert_evidence);
    sqlite3_finalize(st->insert_run_rule);
    sqlite3_finalize(st->set_chain_head);
    sqlite3_finalize(st->end_flow);
    sqlite3_finalize(st->insert_progress);
    sqlite3_finalize(st->set_assets_all);
    ow_chain_free(&st->chain);
    sqlite3_close(st->db);
    free(st);
}

int ow_store_schema_version(struct ow_store *st)
{
    return st ? ow_schema_version_of(st->db) : -1;
}

struct sqlite3 *ow_store_handle(struct ow_store *st)
{
    return st ? st->db : NULL;
}

/* ---- writer -------------------------------------------------------------------------- */

static int writable(struct ow_store *st)
{
    if (!st)
        return 0;
    if (st->readonly) {
        set_err(st, "store opened read-only");
        return 0;
    }
    return 1;
}

static int64_t clamp_i64(uint64_t v)
{
    return v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v;
}

static uint64_t wall_clock_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void bind_str(sqlite3_stmt *s, int idx, const char *text)
{
    sqlite3_bind_text(s, idx, text ? text : "", -1, SQLITE_STATIC);
}

/* A bounded record field: never reads past the array even without a NUL. */
static void bind_field(sqlite3_stmt *s, int idx, const char *field, size_t cap)
{
    sqlite3_bind_text(s, idx, field, (int)strnlen(field, cap), SQLITE_STATIC);
}

#define BIND_FIELD(s, idx, f) bind_field((s), (idx), (f), sizeof(f))

/* Runs a prepared statement that returns no rows and resets it. */
static int step_done(struct ow_store *st, sqlite3_stmt *s, const char *what)
{
    int rc = sqlite3_step(s);
    int ok = rc == SQLITE_DONE;
    if (!ok)
        db_err(st, what);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return ok ? 0 : -1;
}

/* One atomic unit of writes: a savepoint inside the open batch, or else a transaction of its
 * own, taken with BEGIN IMMEDIATE so that reading the chain's tail and appending to it cannot
 * interleave with another writer. A unit that fails leaves neither rows nor chain records. */
struct unit {
    int own;
    int loaded;
    int64_t seq;
    uint8_t head[OW_HASH_LEN];
};

/* After SQLITE_NOMEM, SQLITE_FULL or SQLITE_IOERR, SQLite may roll back the whole open
 * transaction by itself. Writing on would then autocommit rows one by one behind a chain
 * state that still counts the lost ones, so the batch is declared lost and nothing more is
 * written until the writer commits (and hears of it). */
static int batch_gone(struct ow_store *st)
{
    if (!st->in_batch || !sqlite3_get_autocommit(st->db))
        return 0;
    st->in_batch = 0;
    st->batch_lost = 1;
    ow_chain_forget(&st->chain);
    set_err(st, "the open batch was rolled back by SQLite after an error (%s)",
            sqlite3_errmsg(st->db));
    return 1;
}

static int unit_begin(struct ow_store *st, struct unit *u, const char *what)
{
    if (st->batch_lost || batch_gone(st)) {
        set_err(st, "%s: the open batch was lost after an error; nothing is written until it "
                "is committed", what);
        return -1;
    }
    u->own = !st->in_batch;
    if (u->own) {
        if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
            return db_err(st, what);
        ow_chain_forget(&st->chain);
    } else if (step_done(st, st->savepoint, what) < 0) {
        return -1;
    }
    u->loaded = st->chain.loaded;
    u->seq = st->chain.seq;
    memcpy(u->head, st->chain.head, OW_HASH_LEN);
    return 0;
}

/* Ends the unit: kept when ok, else undone (and the error already set is kept). */
static int unit_end(struct ow_store *st, struct unit *u, int ok, const char *what)
{
    if (u->own) {
        if (ok && sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
            return 0;
        if (ok)
            db_err(st, what);
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        ow_chain_forget(&st->chain);
        return -1;
    }
    if (ok && step_done(st, st->release, what) == 0)
        return 0;
    char why[sizeof st->errmsg];
    memcpy(why, st->errmsg, sizeof why);
    sqlite3_step(st->rollback_to);
    sqlite3_reset(st->rollback_to);
    sqlite3_step(st->release);
    sqlite3_reset(st->release);
    st->chain.loaded = u->loaded;
    st->chain.seq = u->seq;
    memcpy(st->chain.head, u->head, OW_HASH_LEN);
    if (batch_gone(st))
        set_err(st, "%s; and SQLite rolled the whole batch back", why);
    return -1;
}

static int chain_append(struct ow_store *st, int kind, int64_t row_id, uint8_t *out)
{
    if (ow_chain_append(&st->chain, kind, row_id, out) < 0) {
        set_err(st, "%s", st->chain.err);
        return -1;
    }
    return 0;
}

int64_t ow_store_begin_run(struct ow_store *st, const struct ow_run_info *info)
{
    struct unit u;
    if (!writable(st) || !info || unit_begin(st, &u, "begin run") < 0)
        return -1;
    sqlite3_stmt *s = st->insert_run;
    bind_str(s, 1, info->kind);
    bind_str(s, 2, info->source);
    bind_str(s, 3, info->source_sha256);
    bind_str(s, 4, info->site);
    bind_str(s, 5, info->policy_sha256);
    bind_str(s, 6, info->version);
    sqlite3_bind_int(s, 7, info->threads);
    sqlite3_bind_int64(s, 8, clamp_i64(info->started_wall_us));
    bind_str(s, 9, info->sensor);
    int64_t run = -1;
    int ok = step_done(st, s, "begin run") == 0;
    if (ok) {
        run = sqlite3_last_insert_rowid(st->db);
        ok = chain_append(st, OW_CHAIN_RUN, run, NULL) == 0;
    }
    return unit_end(st, &u, ok, "begin run") == 0 ? run : -1;
}

/* The run row's end columns change once, here; they are chained as a record of their own
 * (run_end), whose hash becomes the run's chain_head. */
int ow_store_end_run(struct ow_store *st, int64_t run_id, const struct ow_run_stats *stats)
{
    struct unit u;
    if (!writable(st) || !stats || unit_begin(st, &u, "end run") < 0)
        return -1;
    sqlite3_stmt *s = st->update_run;
    const uint64_t values[] = {
        stats->first_ts_us, stats->last_ts_us, stats->packets, stats->bytes,
        stats->packets_malformed, stats->packets_not_ip, stats->kernel_drops,
        stats->internal_drops, stats->flows, stats->flows_evicted, stats->gaps,
    };
    int idx = 1;
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
        sqlite3_bind_int64(s, idx++, clamp_i64(values[i]));
    sqlite3_bind_int(s, idx++, stats->clean_end ? 1 : 0);
    sqlite3_bind_int64(s, idx++, clamp_i64(wall_clock_us()));
    sqlite3_bind_int64(s, idx, run_id);
    int ok = step_done(st, s, "end run") == 0;
    if (ok && sqlite3_changes(st->db) != 1) {
        set_err(st, "end run: no open run %lld", (long long)run_id);
        ok = 0;
    }
    uint8_t head[OW_HASH_LEN];
    if (ok)
        ok = chain_append(st, OW_CHAIN_RUN_END, run_id, head) == 0;
    if (ok) {
        sqlite3_bind_blob(st->set_chain_head, 1, head, OW_HASH_LEN, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st->set_chain_head, 2, run_id);
        ok = step_done(st, st->set_chain_head, "end run") == 0;
    }
    return unit_end(st, &u, ok, "end run");
}

int64_t ow_store_add_chained(struct ow_store *st, int kind, ow_store_insert_fn insert, void *ctx)
{
    struct unit u;
    if (!writable(st) || !insert || unit_begin(st, &u, "seal") < 0)
        return -1;
    int64_t seq = 0, row = -1;
    uint8_t head[OW_HASH_LEN];
    int ok = ow_chain_tail(&st->chain, &seq, head) == 0;
    if (!ok)
        set_err(st, "%s", st->chain.err);
    if (ok && (row = insert(st->db, seq, head, ctx)) <= 0) {
        db_err(st, "seal");
        ok = 0;
    }
    if (ok)
        ok = chain_append(st, kind, row, NULL) == 0;
    return unit_end(st, &u, ok, "seal") == 0 ? row : -1;
}

int ow_store_begin_batch(struct ow_store *st)
{
    if (!writable(st))
        return -1;
    if (st->in_batch) {
        set_err(st, "begin batch: a batch is already open");
        return -1;
    }
    if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return db_err(st, "begin batch");
    st->in_batch = 1;
    /* Another process may have appended since our last transaction. */
    ow_chain_forget(&st->chain);
    return 0;
}

/* A failed COMMIT is rolled back so the writer can carry on with the next batch; the
 * caller counts the lost rows. */
int ow_store_commit_batch(struct ow_store *st)
{
    if (!writable(st))
        return -1;
    if (st->batch_lost) {
        st->batch_lost = 0;
        set_err(st, "commit batch: the batch had been rolled back after an error");
        return -1;
    }
    if (!st->in_batch) {
        set_err(st, "commit batch: no batch open");
        return -1;
    }
    st->in_batch = 0;
    ow_chain_forget(&st->chain);
    if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        db_err(st, "commit batch");
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

/* The flow_end columns, from parameter idx on, in END_COLUMNS order. */
static void bind_end(sqlite3_stmt *s, int idx, const struct ow_flow_record *r)
{
    sqlite3_bind_int64(s, idx, clamp_i64(r->last_ts_us));
    sqlite3_bind_int64(s, idx + 1, clamp_i64(r->pkts_toserver));
    sqlite3_bind_int64(s, idx + 2, clamp_i64(r->pkts_toclient));
    sqlite3_bind_int64(s, idx + 3, clamp_i64(r->bytes_toserver));
    sqlite3_bind_int64(s, idx + 4, clamp_i64(r->bytes_toclient));
    sqlite3_bind_int64(s, idx + 5, r->later_fragments);
    bind_str(s, idx + 6, ow_end_reason_name(r->end_reason));
    sqlite3_bind_int(s, idx + 7, r->late_overrun ? 1 : 0);
    if (r->decided_ts_us)
        sqlite3_bind_int64(s, idx + 8, clamp_i64(r->decided_ts_us));
    else
        sqlite3_bind_null(s, idx + 8);
}

static void bind_flow(sqlite3_stmt *s, int64_t run_id, const struct ow_flow_record *r)
{
    char client[OW_ADDR_TEXT_LEN], server[OW_ADDR_TEXT_LEN];
    ow_addr_to_text(&r->client, client, sizeof client);
    ow_addr_to_text(&r->server, server, sizeof server);
    sqlite3_bind_int64(s, 1, run_id);
#define P(col) ((col) + 2)
    sqlite3_bind_int64(s, P(FC_FLOW_ID), clamp_i64(r->flow_id));
    BIND_FIELD(s, P(FC_COMMUNITY_ID), r->community_id);
    sqlite3_bind_int64(s, P(FC_FIRST_TS), clamp_i64(r->first_ts_us));
    sqlite3_bind_int64(s, P(FC_LAST_TS), clamp_i64(r->last_ts_us));
    sqlite3_bind_int(s, P(FC_L4_PROTO), r->l4_proto);
    sqlite3_bind_int(s, P(FC_IP_FAMILY), r->client.family == OW_AF_INET6 ? 6 : 4);
    sqlite3_bind_text(s, P(FC_CLIENT_IP), client, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, P(FC_CLIENT_PORT), r->client.port);
    sqlite3_bind_text(s, P(FC_SERVER_IP), server, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, P(FC_SERVER_PORT), r->server.port);
    sqlite3_bind_int(s, P(FC_ICMP_TYPE), r->icmp_type);
    sqlite3_bind_int(s, P(FC_ICMP_CODE), r->icmp_code);
    sqlite3_bind_int64(s, P(FC_SLICE), r->slice);
    sqlite3_bind_int(s, P(FC_VLAN), r->vlan_id);
    sqlite3_bind_int(s, P(FC_TUNNELS), r->tunnels);
    sqlite3_bind_int64(s, P(FC_PKTS_TOSERVER), clamp_i64(r->pkts_toserver));
    sqlite3_bind_int64(s, P(FC_PKTS_TOCLIENT), clamp_i64(r->pkts_toclient));
    sqlite3_bind_int64(s, P(FC_BYTES_TOSERVER), clamp_i64(r->bytes_toserver));
    sqlite3_bind_int64(s, P(FC_BYTES_TOCLIENT), clamp_i64(r->bytes_toclient));
    sqlite3_bind_int64(s, P(FC_LATER_FRAGMENTS), r->later_fragments);
    /* An open flow's record has no end yet: its end comes with the flow_end record. */
    bind_str(s, P(FC_END_REASON), r->open ? "" : ow_end_reason_name(r->end_reason));
    BIND_FIELD(s, P(FC_NDPI_PROTOCOL), r->ndpi_protocol);
    BIND_FIELD(s, P(FC_NDPI_MASTER), r->ndpi_master);
    BIND_FIELD(s, P(FC_NDPI_APP), r->ndpi_app);
    BIND_FIELD(s, P(FC_NDPI_CATEGORY), r->ndpi_category);
    BIND_FIELD(s, P(FC_NDPI_CONFIDENCE), r->ndpi_confidence);
    /* A bitmap: stored as the same 64 bits, read back bit for bit. */
    sqlite3_bind_int64(s, P(FC_NDPI_RISK), (int64_t)r->ndpi_risk);
    BIND_FIELD(s, P(FC_APP_PROTO), r->app_proto);
    BIND_FIELD(s, P(FC_SSH_CLIENT), r->ssh_client);
    BIND_FIELD(s, P(FC_SSH_SERVER), r->ssh_server);
    BIND_FIELD(s, P(FC_HASSH_CLIENT), r->hassh_client);
    BIND_FIELD(s, P(FC_HASSH_SERVER), r->hassh_server);
    BIND_FIELD(s, P(FC_TLS_SNI), r->tls_sni);
    BIND_FIELD(s, P(FC_JA3), r->ja3);
    BIND_FIELD(s, P(FC_JA3S), r->ja3s);
    BIND_FIELD(s, P(FC_TLS_VERSION), r->tls_version);
    BIND_FIELD(s, P(FC_HTTP_HOST), r->http_host);
    BIND_FIELD(s, P(FC_HTTP_USER_AGENT), r->http_user_agent);
    BIND_FIELD(s, P(FC_DNS_QUERY), r->dns_query);
    bind_str(s, P(FC_LI_INTERFACE), ow_li_label_name(r->li.label));
    sqlite3_bind_int(s, P(FC_LI_CONFIDENCE), r->li.confidence);
    BIND_FIELD(s, P(FC_LI_XID), r->li.xid);
    BIND_FIELD(s, P(FC_LI_LIID), r->li.liid);
    BIND_FIELD(s, P(FC_LI_TARGET), r->li.target);
    sqlite3_bind_int(s, P(FC_LI_PAYLOAD_FORMAT), r->li.payload_format);
    sqlite3_bind_int64(s, P(FC_LI_PDU_COUNT), r->li.pdu_count);
    bind_str(s, P(FC_VERDICT_STATUS), ow_verdict_status_name(r->verdict.status));
    BIND_FIELD(s, P(FC_VERDICT_RULE), r->verdict.rule);
    BIND_FIELD(s, P(FC_VERDICT_KIND), r->verdict.kind);
    bind_str(s, P(FC_VERDICT_SEVERITY), ow_severity_name(r->verdict.severity));
    BIND_FIELD(s, P(FC_VERDICT_REASON), r->verdict.reason);
    BIND_FIELD(s, P(FC_VERDICT_ASSET_SRC), r->verdict.asset_src);
    BIND_FIELD(s, P(FC_VERDICT_ASSET_DEST), r->verdict.asset_dest);
    BIND_FIELD(s, P(FC_VERDICT_TICKET), r->verdict.ticket);
    sqlite3_bind_int(s, P(FC_VERDICT_OVERRUN), r->verdict.overrun ? 1 : 0);
    /* A flow that ended before (or as) its verdict was reached: its end columns go in with
     * it, and the caller chains its flow_end record right after the flow record. */
    if (!r->open)
        bind_end(s, P(FC_COUNT), r);
#undef P
}

void ow_store_overrun_view(const struct ow_flow_record *rec, struct ow_flow_record *view)
{
    char end[64];
    *view = *rec;
    ow_eve_timestamp(rec->last_ts_us, end, sizeof end);
    const struct ow_anomaly_kind_info *k = ow_anomaly_kind(OW_KIND_MAINTENANCE_OVERRUN);
    view->verdict.severity = k->severity;
    snprintf(view->verdict.kind, sizeof view->verdict.kind, "%s", k->kind);
    snprintf(view->verdict.reason, sizeof view->verdict.reason,
             "expected maintenance under rule %.*s%s%.*s to end with its window, "
             "but the session was still running at %s",
             (int)strnlen(rec->verdict.rule, sizeof rec->verdict.rule), rec->verdict.rule,
             rec->verdict.ticket[0] ? " ticket " : "",
             (int)strnlen(rec->verdict.ticket, sizeof rec->verdict.ticket), rec->verdict.ticket,
             end);
}

static int insert_alert(struct ow_store *st, int64_t run_id, int64_t flow_row,
                        const struct ow_flow_record *r, int64_t *alert_id)
{
    sqlite3_stmt *s = st->insert_alert;
    sqlite3_bind_int64(s, 1, run_id);
    sqlite3_bind_int64(s, 2, flow_row);
    /* The packet time at which the alert was raised (the flow's start in older stores). */
    sqlite3_bind_int64(s, 3, clamp_i64(r->decided_ts_us ? r->decided_ts_us : r->first_ts_us));
    BIND_FIELD(s, 4, r->verdict.kind);
    bind_str(s, 5, ow_severity_name(r->verdict.severity));
    BIND_FIELD(s, 6, r->verdict.rule);
    BIND_FIELD(s, 7, r->verdict.reason);
    BIND_FIELD(s, 8, r->verdict.asset_src);
    BIND_FIELD(s, 9, r->verdict.asset_dest);
    if (step_done(st, s, "insert alert") < 0)
        return -1;
    *alert_id = sqlite3_last_insert_rowid(st->db);
    return 0;
}

/* "a,b" against "a": does the list name more than the single most specific asset? */
static int names_more(const char *all, size_t all_size, const char *one, size_t one_size)
{
    size_t n = strnlen(all, all_size);
    return n != strnlen(one, one_size) || memcmp(all, one, n) != 0;
}

/* A flow with a shared endpoint (an address in several assets) records every asset of both
 * endpoints, chained as its flow_assets record; the other flows write nothing more. */
static int add_assets_all(struct ow_store *st, int64_t flow_row, const struct ow_flow_record *r)
{
    const struct ow_verdict *v = &r->verdict;
    if (!st->assets_all ||
        (!names_more(v->asset_src_all, sizeof v->asset_src_all, v->asset_src, sizeof v->asset_src) &&
         !names_more(v->asset_dest_all, sizeof v->asset_dest_all, v->asset_dest,
                     sizeof v->asset_dest)))
        return 0;
    sqlite3_stmt *s = st->set_assets_all;
    BIND_FIELD(s, 1, v->asset_src_all);
    BIND_FIELD(s, 2, v->asset_dest_all);
    sqlite3_bind_int64(s, 3, flow_row);
    if (step_done(st, s, "flow assets") < 0)
        return -1;
    return chain_append(st, OW_CHAIN_FLOW_ASSETS, flow_row, NULL);
}

/* The flow and its alerts and rule hit go in together or not at all, each row chained as it
 * is written. Rule hits are not chained: verify recounts them from the chained flows. */
int ow_store_add_flow_ids(struct ow_store *st, int64_t run_id, const struct ow_flow_record *rec,
                          struct ow_stored_flow *ids)
{
    struct ow_stored_flow got = {0, 0, 0};
    struct unit u;
    if (ids)
        *ids = got;
    if (!writable(st) || !rec || unit_begin(st, &u, "add flow") < 0)
        return -1;

    int ok = 0;
    bind_flow(st->insert_flow, run_id, rec);
    if (step_done(st, st->insert_flow, "insert flow") < 0)
        goto done;
    got.flow_row = sqlite3_last_insert_rowid(st->db);
    if (chain_append(st, OW_CHAIN_FLOW, got.flow_row, NULL) < 0 ||
        add_assets_all(st, got.flow_row, rec) < 0 ||
        (!rec->open && chain_append(st, OW_CHAIN_FLOW_END, got.flow_row, NULL) < 0))
        goto done;

    /* A long flow reported in active-timeout slices alerts once, with its first slice. */
    if (rec->verdict.status == OW_VERDICT_ANOMALY && rec->slice == 0 &&
        (insert_alert(st, run_id, got.flow_row, rec, &got.alert_id) < 0 ||
         chain_append(st, OW_CHAIN_ALERT, got.alert_id, NULL) < 0))
        goto done;
    if (rec->verdict.overrun) {
        struct ow_flow_record view;
        ow_store_overrun_view(rec, &view);
        if (insert_alert(st, run_id, got.flow_row, &view, &got.overrun_alert_id) < 0 ||
            chain_append(st, OW_CHAIN_ALERT, got.overrun_alert_id, NULL) < 0)
            goto done;
    }
    if (rec->verdict.status == OW_VERDICT_AUTHORIZED && rec->verdict.rule[0]) {
        sqlite3_bind_int64(st->bump_rule, 1, run_id);
        BIND_FIELD(st->bump_rule, 2, rec->verdict.rule);
        if (step_done(st, st->bump_rule, "count rule hit") < 0)
            goto done;
    }
    ok = 1;
done:
    if (unit_end(st, &u, ok, "add flow") < 0)
        return -1;
    if (ids)
        *ids = got;
    return 0;
}

int ow_store_add_flow(struct ow_store *st, int64_t run_id, const struct ow_flow_record *rec)
{
    return ow_store_add_flow_ids(st, run_id, rec, NULL);
}

/* The end columns change once (the UPDATE matches only an open row) and are chained as the
 * row's flow_end record. */
int ow_store_end_flow(struct ow_store *st, int64_t flow_row, const struct ow_flow_record *rec)
{
    struct unit u;
    if (!writable(st) || !rec || unit_begin(st, &u, "end flow") < 0)
        return -1;
    sqlite3_stmt *s = st->end_flow;
    bind_end(s, 1, rec);
    sqlite3_bind_int64(s, 1 + END_COLUMN_COUNT, flow_row);
    int ok = step_done(st, s, "end flow") == 0;
    if (ok && sqlite3_changes(st->db) != 1) {
        set_err(st, "end flow: no open flow row %lld", (long long)flow_row);
        ok = 0;
    }
    ok = ok && chain_append(st, OW_CHAIN_FLOW_END, flow_row, NULL) == 0;
    return unit_end(st, &u, ok, "end flow");
}

int ow_store_add_alert(struct ow_store *st, int64_t run_id, int64_t flow_row,
                       const struct ow_flow_record *alert, int64_t *alert_id)
{
    struct unit u;
    int64_t id = 0;
    if (!writable(st) || !alert || unit_begin(st, &u, "add alert") < 0)
        return -1;
    int ok = insert_alert(st, run_id, flow_row, alert, &id) == 0 &&
             chain_append(st, OW_CHAIN_ALERT, id, NULL) == 0;
    if (unit_end(st, &u, ok, "add alert") < 0)
        return -1;
    if (alert_id)
        *alert_id = id;
    return 0;
}

int ow_store_add_progress(struct ow_store *st, int64_t run_id, const struct ow_run_stats *p)
{
    struct unit u;
    if (!writable(st) || !p || unit_begin(st, &u, "add progress") < 0)
        return -1;
    sqlite3_stmt *s = st->insert_progress;
    sqlite3_bind_int64(s, 1, run_id);
    sqlite3_bind_int64(s, 2, clamp_i64(wall_clock_us()));
    if (p->first_ts_us) {
        sqlite3_bind_int64(s, 3, clamp_i64(p->first_ts_us));
        sqlite3_bind_int64(s, 4, clamp_i64(p->last_ts_us));
    } else {
        sqlite3_bind_null(s, 3);
        sqlite3_bind_null(s, 4);
    }
    const uint64_t values[] = { p->packets, p->bytes, p->kernel_drops, p->internal_drops,
                                p->gaps, p->flows };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
        sqlite3_bind_int64(s, 5 + (int)i, clamp_i64(values[i]));
    int ok = step_done(st, s, "add progress") == 0 &&
             chain_append(st, OW_CHAIN_PROGRESS, sqlite3_last_insert_rowid(st->db), NULL) == 0;
    return unit_end(st, &u, ok, "add progress");
}

/* ---- evidence packets and run rules ------------------------------------------------- */

static uint32_t read_u32(const uint8_t *p, int swapped)
{
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                 (uint32_t)p[3] << 24;
    return swapped ? __builtin_bswap32(v) : v;
}

int ow_pcap_image_check(const uint8_t *pcap, size_t len, uint32_t *packets, uint32_t *linktype,
                        char *why, size_t whylen)
{
    if (!pcap || len < OW_PCAP_HEADER_LEN) {
        snprintf(why, whylen, "pcap image of %zu bytes is shorter than its 24-byte header",
                 pcap ? len : 0);
        return -1;
    }
    /* Microsecond or nanosecond classic pcap, in either byte order. */
    uint32_t magic = read_u32(pcap, 0);
    int swapped;
    if (magic == 0xa1b2c3d4u || magic == 0xa1b23c4du)
        swapped = 0;
    else if (magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u)
        swapped = 1;
    else {
        snprintf(why, whylen, "not a classic pcap image (magic 0x%08x)", magic);
        return -1;
    }
    uint32_t n = 0;
    size_t off = OW_PCAP_HEADER_LEN;
    while (off < len) {
        if (len - off < 16) {
            snprintf(why, whylen, "pcap image ends inside the header of packet %u", n + 1);
            return -1;
        }
        uint32_t incl = read_u32(pcap + off + 8, swapped);
        off += 16;
        if (incl > len - off) {
            snprintf(why, whylen, "packet %u claims %u bytes but only %zu remain", n + 1, incl,
                     len - off);
            return -1;
        }
        off += incl;
        n++;
    }
    if (packets)
        *packets = n;
    if (linktype)
        *linktype = read_u32(pcap + 20, swapped);
    return 0;
}

int ow_store_add_evidence(struct ow_store *st, int64_t flow_row, const uint8_t *pcap, size_t len,
                          uint32_t packets, int truncated)
{
    if (!writable(st))
        return -1;
    if (len > OW_EVIDENCE_MAX_BYTES) {
        set_err(st, "evidence for flow row %lld: %zu bytes is over the %u-byte limit",
                (long long)flow_row, len, (unsigned)OW_EVIDENCE_MAX_BYTES);
        return -1;
    }
    char why[160];
    uint32_t counted = 0, linktype = 0;
    if (ow_pcap_image_check(pcap, len, &counted, &linktype, why, sizeof why) < 0) {
        set_err(st, "evidence for flow row %lld: %s", (long long)flow_row, why);
        return -1;
    }
    if (counted != packets) {
        set_err(st, "evidence for flow row %lld: %u packets announced, %u in the image",
                (long long)flow_row, packets, counted);
        return -1;
    }
    uint8_t digest[OW_HASH_LEN];
    char hex[OW_HASH_HEX_LEN];
    ow_sha256(pcap, len, digest);
    ow_hex(digest, sizeof digest, hex);

    struct unit u;
    if (unit_begin(st, &u, "add evidence") < 0)
        return -1;
    sqlite3_stmt *s = st->insert_evidence;
    sqlite3_bind_int64(s, 1, flow_row);
    sqlite3_bind_text(s, 2, hex, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 3, packets);
    sqlite3_bind_int64(s, 4, (int64_t)len);
    sqlite3_bind_int(s, 5, truncated ? 1 : 0);
    sqlite3_bind_int64(s, 6, linktype);
    sqlite3_bind_blob(s, 7, pcap, (int)len, SQLITE_STATIC);
    int ok = step_done(st, s, "insert evidence") == 0 &&
             chain_append(st, OW_CHAIN_EVIDENCE, sqlite3_last_insert_rowid(st->db), NULL) == 0;
    return unit_end(st, &u, ok, "add evidence");
}

int ow_store_add_run_rule(struct ow_store *st, int64_t run_id, const char *rule_id,
                          const char *kind, const char *interface, const char *ticket)
{
    struct unit u;
    if (!writable(st) || !rule_id || !kind || unit_begin(st, &u, "add run rule") < 0)
        return -1;
    sqlite3_stmt *s = st->insert_run_rule;
    sqlite3_bind_int64(s, 1, run_id);
    bind_str(s, 2, rule_id);
    bind_str(s, 3, kind);
    bind_str(s, 4, interface);
    bind_str(s, 5, ticket);
    int ok = step_done(st, s, "add run rule") == 0 &&
             chain_append(st, OW_CHAIN_RUN_RULE, sqlite3_last_insert_rowid(st->db), NULL) == 0;
    return unit_end(st, &u, ok, "add run rule");
}

/* ---- reading back -------------------------------------------------------------------- */

static void column_text(sqlite3_stmt *s, int col, char *dst, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    int n = sqlite3_column_bytes(s, col);
    size_t len = 0;
    if (t && n > 0)
        len = (size_t)n < cap - 1 ? (size_t)n : cap - 1;
    if (len)
        memcpy(dst, t, len);
    dst[len] = '\0';
}

#define COLUMN_TEXT(s, col, f) column_text((s), (col), (f), sizeof(f))

static uint64_t column_u64(sqlite3_stmt *s, int col)
{
    int64_t v = sqlite3_column_int64(s, col);
    return v < 0 ? 0 : (uint64_t)v;
}

static unsigned column_bounded(sqlite3_stmt *s, int col, unsigned max)
{
    int64_t v = sqlite3_column_int64(s, col);
    return v < 0 || (uint64_t)v > max ? 0 : (unsigned)v;
}

/* Index of name among the names a naming function gives for 0..n-1 (default if none). */
static uint8_t name_index(const char *name, const char *(*namer)(uint8_t), unsigned n,
                          uint8_t fallback)
{
    for (unsigned i = 0; i < n; i++)
        if (strcmp(namer((uint8_t)i), name) == 0)
            return (uint8_t)i;
    return fallback;
}

static void column_endpoint(sqlite3_stmt *s, int ip_col, int port_col, struct ow_endpoint *ep)
{
    char text[OW_ADDR_TEXT_LEN];
    COLUMN_TEXT(s, ip_col, text);
    memset(ep, 0, sizeof *ep);
    if (ow_addr_from_text(text, ep) < 0)
        ep->family = OW_AF_INET4;              /* unreadable: shown as 0.0.0.0 */
    ep->port = (uint16_t)column_bounded(s, port_col, 65535);
}

/* Fills rec from a result row whose flow columns start at column base, in flow_col order. */
static void row_to_record(sqlite3_stmt *s, int base, struct ow_flow_record *r)
{
    char name[64];
    memset(r, 0, sizeof *r);
#define C(col) ((col) + base)
    r->flow_id = column_u64(s, C(FC_FLOW_ID));
    COLUMN_TEXT(s, C(FC_COMMUNITY_ID), r->community_id);
    r->first_ts_us = column_u64(s, C(FC_FIRST_TS));
    r->last_ts_us = column_u64(s, C(FC_LAST_TS));
    r->l4_proto = (uint8_t)column_bounded(s, C(FC_L4_PROTO), 255);
    column_endpoint(s, C(FC_CLIENT_IP), C(FC_CLIENT_PORT), &r->client);
    column_endpoint(s, C(FC_SERVER_IP), C(FC_SERVER_PORT), &r->server);
    r->icmp_type = (uint8_t)column_bounded(s, C(FC_ICMP_TYPE), 255);
    r->icmp_code = (uint8_t)column_bounded(s, C(FC_ICMP_CODE), 255);
    r->slice = column_bounded(s, C(FC_SLICE), UINT32_MAX);
    r->vlan_id = (uint16_t)column_bounded(s, C(FC_VLAN), 4095);
    r->tunnels = (uint16_t)column_bounded(s, C(FC_TUNNELS), 65535);
    r->pkts_toserver = column_u64(s, C(FC_PKTS_TOSERVER));
    r->pkts_toclient = column_u64(s, C(FC_PKTS_TOCLIENT));
    r->bytes_toserver = column_u64(s, C(FC_BYTES_TOSERVER));
    r->bytes_toclient = column_u64(s, C(FC_BYTES_TOCLIENT));
    r->later_fragments = column_bounded(s, C(FC_LATER_FRAGMENTS), UINT32_MAX);
    COLUMN_TEXT(s, C(FC_END_REASON), name);
    r->end_reason = name_index(name, ow_end_reason_name, OW_END_EVICTED + 1, OW_END_IDLE);
    /* No end recorded yet: the flow is open (its end comes with its flow_end record). */
    r->open = name[0] == '\0';
    r->state = !r->open ? OW_STATE_CLOSED
             : r->pkts_toclient ? OW_STATE_ESTABLISHED : OW_STATE_NEW;
    COLUMN_TEXT(s, C(FC_NDPI_PROTOCOL), r->ndpi_protocol);
    COLUMN_TEXT(s, C(FC_NDPI_MASTER), r->ndpi_master);
    COLUMN_TEXT(s, C(FC_NDPI_APP), r->ndpi_app);
    COLUMN_TEXT(s, C(FC_NDPI_CATEGORY), r->ndpi_category);
    COLUMN_TEXT(s, C(FC_NDPI_CONFIDENCE), r->ndpi_confidence);
    r->ndpi_risk = (uint64_t)sqlite3_column_int64(s, C(FC_NDPI_RISK));
    COLUMN_TEXT(s, C(FC_APP_PROTO), r->app_proto);
    COLUMN_TEXT(s, C(FC_SSH_CLIENT), r->ssh_client);
    COLUMN_TEXT(s, C(FC_SSH_SERVER), r->ssh_server);
    COLUMN_TEXT(s, C(FC_HASSH_CLIENT), r->hassh_client);
    COLUMN_TEXT(s, C(FC_HASSH_SERVER), r->hassh_server);
    COLUMN_TEXT(s, C(FC_TLS_SNI), r->tls_sni);
    COLUMN_TEXT(s, C(FC_JA3), r->ja3);
    COLUMN_TEXT(s, C(FC_JA3S), r->ja3s);
    COLUMN_TEXT(s, C(FC_TLS_VERSION), r->tls_version);
    COLUMN_TEXT(s, C(FC_HTTP_HOST), r->http_host);
    COLUMN_TEXT(s, C(FC_HTTP_USER_AGENT), r->http_user_agent);
    COLUMN_TEXT(s, C(FC_DNS_QUERY), r->dns_query);
    COLUMN_TEXT(s, C(FC_LI_INTERFACE), name);
    r->li.label = name[0] ? name_index(name, ow_li_label_name, OW_LI_HI3 + 1, OW_LI_NONE)
                          : OW_LI_NONE;
    r->li.confidence = (uint8_t)column_bounded(s, C(FC_LI_CONFIDENCE), 100);
    COLUMN_TEXT(s, C(FC_LI_XID), r->li.xid);
    COLUMN_TEXT(s, C(FC_LI_LIID), r->li.liid);
    COLUMN_TEXT(s, C(FC_LI_TARGET), r->li.target);
    r->li.payload_format = (uint16_t)column_bounded(s, C(FC_LI_PAYLOAD_FORMAT), 65535);
    r->li.pdu_count = column_bounded(s, C(FC_LI_PDU_COUNT), UINT32_MAX);
    COLUMN_TEXT(s, C(FC_VERDICT_STATUS), name);
    r->verdict.status = name_index(name, ow_verdict_status_name, OW_VERDICT_OUT_OF_SCOPE + 1,
                                   OW_VERDICT_UNEVALUATED);
    COLUMN_TEXT(s, C(FC_VERDICT_RULE), r->verdict.rule);
    COLUMN_TEXT(s, C(FC_VERDICT_KIND), r->verdict.kind);
    COLUMN_TEXT(s, C(FC_VERDICT_SEVERITY), name);
    r->verdict.severity = name[0] ? name_index(name, ow_severity_name, OW_SEV_CRITICAL + 1,
                                               OW_SEV_NONE)
                                  : OW_SEV_NONE;
    COLUMN_TEXT(s, C(FC_VERDICT_REASON), r->verdict.reason);
    COLUMN_TEXT(s, C(FC_VERDICT_ASSET_SRC), r->verdict.asset_src);
    COLUMN_TEXT(s, C(FC_VERDICT_ASSET_DEST), r->verdict.asset_dest);
    COLUMN_TEXT(s, C(FC_VERDICT_TICKET), r->verdict.ticket);
    r->verdict.overrun = sqlite3_column_int64(s, C(FC_VERDICT_OVERRUN)) != 0;
    r->alerted = r->verdict.status == OW_VERDICT_ANOMALY || r->verdict.overrun;
    /* Every asset of each endpoint where the flow recorded them (schema 8, shared addresses
     * only), else the single one. */
    if (sqlite3_column_count(s) > C(FC_COUNT + 1) &&
        sqlite3_column_type(s, C(FC_COUNT)) != SQLITE_NULL)
        COLUMN_TEXT(s, C(FC_COUNT), r->verdict.asset_src_all);
    else
        snprintf(r->verdict.asset_src_all, sizeof r->verdict.asset_src_all, "%.*s",
                 (int)strnlen(r->verdict.asset_src, sizeof r->verdict.asset_src),
                 r->verdict.asset_src);
    if (sqlite3_column_count(s) > C(FC_COUNT + 1) &&
        sqlite3_column_type(s, C(FC_COUNT + 1)) != SQLITE_NULL)
        COLUMN_TEXT(s, C(FC_COUNT + 1), r->verdict.asset_dest_all);
    else
        snprintf(r->verdict.asset_dest_all, sizeof r->verdict.asset_dest_all, "%.*s",
                 (int)strnlen(r->verdict.asset_dest, sizeof r->verdict.asset_dest),
                 r->verdict.asset_dest);
#undef C
}

/* Alert result rows: the alert's own columns, then the flow's (see alert_query). */
enum { AC_ID, AC_TS, AC_KIND, AC_SEVERITY, AC_RULE, AC_REASON, AC_ASSET_SRC, AC_ASSET_DEST,
       AC_FLOW_ROW, AC_FLOW_BASE };

static void alert_row_to_record(sqlite3_stmt *s, struct ow_flow_record *r)
{
    char severity[32];
    row_to_record(s, AC_FLOW_BASE, r);
    /* The alert's own time, even if its flow row is missing. */
    if (sqlite3_column_type(s, AC_FLOW_ROW) == SQLITE_NULL)
        r->first_ts_us = r->last_ts_us = column_u64(s, AC_TS);
    r->decided_ts_us = column_u64(s, AC_TS);
    r->alerted = 1;
    COLUMN_TEXT(s, AC_KIND, r->verdict.kind);
    COLUMN_TEXT(s, AC_SEVERITY, severity);
    r->verdict.severity = name_index(severity, ow_severity_name, OW_SEV_CRITICAL + 1, OW_SEV_NONE);
    COLUMN_TEXT(s, AC_RULE, r->verdict.rule);
    COLUMN_TEXT(s, AC_REASON, r->verdict.reason);
    COLUMN_TEXT(s, AC_ASSET_SRC, r->verdict.asset_src);
    COLUMN_TEXT(s, AC_ASSET_DEST, r->verdict.asset_dest);
    if (!r->verdict.asset_src_all[0])    /* the flow row is missing */
        memcpy(r->verdict.asset_src_all, r->verdict.asset_src, sizeof r->verdict.asset_src);
    if (!r->verdict.asset_dest_all[0])
        memcpy(r->verdict.asset_dest_all, r->verdict.asset_dest, sizeof r->verdict.asset_dest);
}

static int prepare_query(struct ow_store *st, const char *head, const char *tail,
                         sqlite3_stmt **out)
{
    char cols[2600], sql[4096];
    flow_column_list_ends(cols, sizeof cols, "f.", st->flow_ends);
    assets_all_columns(cols, sizeof cols, "f.", st->assets_all);
    snprintf(sql, sizeof sql, "%s %s %s", head, cols, tail);
    if (sqlite3_prepare_v2(st->db, sql, -1, out, NULL) != SQLITE_OK)
        return db_err(st, "query");
    return 0;
}

static int alert_query(struct ow_store *st, const char *where, sqlite3_stmt **out)
{
    char tail[512];
    snprintf(tail, sizeof tail, "FROM alerts a LEFT JOIN flows f ON f.id = a.flow_row %s", where);
    return prepare_query(st, "SELECT a.id, a.ts, a.kind, a.severity, a.rule, a.reason, "
                             "a.asset_src, a.asset_dest, f.id,", tail, out);
}

int ow_store_get_flow(struct ow_store *st, int64_t flow_row, struct ow_flow_record *rec)
{
    sqlite3_stmt *s = NULL;
    if (!st || !rec || prepare_query(st, "SELECT", "FROM flows f WHERE f.id = ?", &s) < 0)
        return -1;
    sqlite3_bind_int64(s, 1, flow_row);
    int rc = sqlite3_step(s), result;
    if (rc == SQLITE_ROW) {
        row_to_record(s, 0, rec);
        result = 0;
    } else if (rc == SQLITE_DONE) {
        result = 1;
    } else {
        result = db_err(st, "get flow");
    }
    sqlite3_finalize(s);
    return result;
}

int ow_store_each_flow(struct ow_store *st, int (*fn)(const struct ow_flow_record *rec, void *ctx),
                       void *ctx)
{
    sqlite3_stmt *s = NULL;
    if (!st || !fn || prepare_query(st, "SELECT", "FROM flows f ORDER BY f.id", &s) < 0)
        return -1;
    struct ow_flow_record rec;
    int rc, result = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        row_to_record(s, 0, &rec);
        if ((result = fn(&rec, ctx)) != 0)
            break;
    }
    if (result == 0 && rc != SQLITE_DONE)
        result = db_err(st, "read flows");
    sqlite3_finalize(s);
    return result;
}

int ow_store_get_alert(struct ow_store *st, int64_t alert_id, struct ow_flow_record *rec,
                       int64_t *flow_row)
{
    sqlite3_stmt *s = NULL;
    if (!st || !rec || alert_query(st, "WHERE a.id = ?", &s) < 0)
        return -1;
    sqlite3_bind_int64(s, 1, alert_id);
    int rc = sqlite3_step(s), result;
    if (rc == SQLITE_ROW) {
        alert_row_to_record(s, rec);
        if (flow_row)
            *flow_row = sqlite3_column_int64(s, AC_FLOW_ROW);
        result = 0;
    } else if (rc == SQLITE_DONE) {
        result = 1;
    } else {
        result = db_err(st, "get alert");
    }
    sqlite3_finalize(s);
    return result;
}

/* ---- printing (db/listing.c does the work) -------------------------------------------- */

long ow_store_print_flows(struct ow_store *st, FILE *out, enum ow_output_format fmt,
                          const char *verdict_filter)
{
    if (!st || !out)
        return -1;
    struct ow_flow_query q = { .port = -1, .l4_proto = -1 };
    if (verdict_filter && *verdict_filter) {
        uint8_t status = name_index(verdict_filter, ow_verdict_status_name,
                                    OW_VERDICT_OUT_OF_SCOPE + 1, 0xff);
        if (status == 0xff) {
            set_err(st, "unknown verdict status \"%.40s\" (authorized, anomaly, out_of_scope, "
                        "unevaluated)", verdict_filter);
            return -1;
        }
        q.verdicts[0] = verdict_filter;
        q.nverdicts = 1;
    }
    struct ow_list_style style = { .fmt = fmt, .header = true };
    long n = ow_list_flows(st, out, &q, &style, st->errmsg, sizeof st->errmsg);
    return n;
}

long ow_store_print_alerts(struct ow_store *st, FILE *out, enum ow_output_format fmt,
                           uint64_t since_us, int64_t *last_id_inout)
{
    if (!st || !out)
        return -1;
    int64_t after = last_id_inout ? *last_id_inout : 0;
    struct ow_alert_query q = { .after_id = after, .has_from = since_us > 0,
                                .from_us = clamp_i64(since_us) };
    /* The table header goes out once, on the first call: polling calls again and again. */
    struct ow_list_style style = { .fmt = fmt, .header = after == 0, .fixed_widths = true };
    int64_t top = after;
    long n = ow_list_alerts(st, out, &q, OW_SORT_ID, &style, &top, st->errmsg,
                            sizeof st->errmsg);
    if (n >= 0 && last_id_inout)
        *last_id_inout = top;
    return n;
}

int ow_store_get_evidence(struct ow_store *st, int64_t flow_row, uint8_t **pcap, size_t *len,
                          uint32_t *packets, int *truncated)
{
    sqlite3_stmt *s = NULL;
    if (!st || !pcap || !len)
        return -1;
    *pcap = NULL;
    *len = 0;
    if (sqlite3_prepare_v2(st->db, "SELECT pcap, sha256, packets, truncated FROM evidence "
                                   "WHERE flow_row = ?", -1, &s, NULL) != SQLITE_OK)
        return db_err(st, "get evidence");
    sqlite3_bind_int64(s, 1, flow_row);
    int rc = sqlite3_step(s), result = 0;
    if (rc == SQLITE_DONE) {
        result = 1;
    } else if (rc != SQLITE_ROW) {
        result = db_err(st, "get evidence");
    } else {
        const void *blob = sqlite3_column_blob(s, 0);
        int n = sqlite3_column_bytes(s, 0);
        char stored[OW_HASH_HEX_LEN], actual[OW_HASH_HEX_LEN];
        uint8_t digest[OW_HASH_LEN];
        column_text(s, 1, stored, sizeof stored);
        ow_sha256(blob ? blob : "", blob && n > 0 ? (size_t)n : 0, digest);
        ow_hex(digest, sizeof digest, actual);
        if (strcmp(stored, actual) != 0) {
            set_err(st, "evidence of flow row %lld does not match its SHA-256 %s",
                    (long long)flow_row, stored);
            result = 2;
        } else if (!(*pcap = ow_malloc(n > 0 ? (size_t)n : 1))) {
            set_err(st, "get evidence: out of memory");
            result = -1;
        } else {
            if (n > 0)
                memcpy(*pcap, blob, (size_t)n);
            *len = n > 0 ? (size_t)n : 0;
            if (packets)
                *packets = (uint32_t)column_bounded(s, 2, UINT32_MAX);
            if (truncated)
                *truncated = sqlite3_column_int(s, 3) != 0;
        }
    }
    sqlite3_finalize(s);
    return result;
}
