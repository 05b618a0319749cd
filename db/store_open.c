/* store_open.c — opening a store (a writer's handle, a reader's, a snapshot's), making a new
 * one whole, its pragmas, migrating it to the current schema, errors, and closing it. */
#include "db/store_internal.h"

#include <unistd.h>

#include "db/bulk_indexes.h"

#define BUSY_TIMEOUT_MS 5000
#define OW_STR_(x) #x
#define OW_STR(x) OW_STR_(x)

const char *const ow_store_flow_col_names[FC_COUNT] = {
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


void ow_store_set_err(struct ow_store *st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->errmsg, sizeof st->errmsg, fmt, ap);
    va_end(ap);
}

int ow_store_db_err(struct ow_store *st, const char *what)
{
    ow_store_set_err(st, "%s: %s", what, sqlite3_errmsg(st->db));
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
void ow_store_flow_column_list_ends(char *buf, size_t buflen, const char *table_prefix, int ends)
{
    size_t o = 0;
    for (int i = 0; i < FC_COUNT && o < buflen; i++) {
        const char *end = ends ? end_column(i) : NULL;
        if (end)
            o += (size_t)snprintf(buf + o, buflen - o, "%scoalesce(%s%s, %s%s)", i ? ", " : "",
                                  table_prefix, end, table_prefix, ow_store_flow_col_names[i]);
        else if (ends && i == FC_VERDICT_OVERRUN)
            o += (size_t)snprintf(buf + o, buflen - o, ", max(%sverdict_overrun, coalesce(%s"
                                  "end_overrun, 0))", table_prefix, table_prefix);
        else
            o += (size_t)snprintf(buf + o, buflen - o, "%s%s%s", i ? ", " : "", table_prefix,
                                  ow_store_flow_col_names[i]);
    }
}

static void flow_column_list(char *buf, size_t buflen, const char *table_prefix)
{
    ow_store_flow_column_list_ends(buf, buflen, table_prefix, 0);
}

/* Readers of a schema-8 store read every asset of each endpoint after the flow columns
 * (FC_COUNT and FC_COUNT + 1 from the flow columns' base); NULL means "the single asset". */
void ow_store_assets_all_columns(char *buf, size_t buflen, const char *table_prefix, int present)
{
    size_t o = strlen(buf);
    if (present && o < buflen)
        snprintf(buf + o, buflen - o, ", %sverdict_asset_src_all, %sverdict_asset_dest_all",
                 table_prefix, table_prefix);
}

static int prepare(struct ow_store *st, const char *sql, sqlite3_stmt **out)
{
    if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL) != SQLITE_OK)
        return ow_store_db_err(st, "prepare");
    return 0;
}

/* The flow_end record's columns (hash_chain.c), bound after the flow columns. */

static int prepare_writer(struct ow_store *st)
{
    char cols[2048], sql[4096];
    flow_column_list(cols, sizeof cols, "");
    size_t o = (size_t)snprintf(sql, sizeof sql, "INSERT INTO flows (run_id, %s, " END_COLUMNS
                                ") VALUES (?", cols);
    for (int i = 0; i < FC_COUNT + END_COLUMN_COUNT; i++)
        o += (size_t)snprintf(sql + o, sizeof sql - o, ", ?");
    snprintf(sql + o, sizeof sql - o, ")");

    /* The writer hashes flow and flow_end records from the values it binds, in the INSERT's
     * order: that order must be the chain's canonical one. */
    char flow_cols[2100];
    snprintf(flow_cols, sizeof flow_cols, "run_id, %s", cols);
    if (strcmp(flow_cols, ow_chain_kind_columns(OW_CHAIN_FLOW)) != 0 ||
        strcmp(END_COLUMNS, ow_chain_kind_columns(OW_CHAIN_FLOW_END)) != 0) {
        ow_store_set_err(st, "the flow columns are not in the hash chain's order");
        return -1;
    }
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
        prepare(st, "DELETE FROM chain WHERE seq > ?", &st->undo_chain) < 0 ||
        prepare(st, "DELETE FROM alerts WHERE flow_row = ?", &st->undo_alerts) < 0 ||
        prepare(st, "DELETE FROM flows WHERE id = ?", &st->undo_flow) < 0 ||
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
        ow_store_set_err(st, "%s", st->chain.err);
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

/* A checkpoint every 16 MiB of WAL (within journal_size_limit), whatever the store's page
 * size: 4,000 pages of 4 KiB rather than SQLite's 1,000, because the index pages a batch
 * dirties are dirtied again by the next ones, and each checkpoint copies (and fsyncs) a page
 * once however often it changed; 1,000 pages of 16 KiB. */
static int set_autocheckpoint(sqlite3 *db, char *err, size_t errlen, const char *path)
{
    sqlite3_stmt *q = NULL;
    long page = 0;
    if (sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        page = (long)sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    if (page < 512) {
        snprintf(err, errlen, "%s: cannot read the page size: %s", path, sqlite3_errmsg(db));
        return -1;
    }
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA wal_autocheckpoint = %ld",
             OW_STORE_WAL_CHECKPOINT_BYTES / page);
    return exec_sql(db, sql, err, errlen, path);
}

/* A new store gets 16 KiB pages (SQLite's default is 4 KiB); an existing one keeps its own,
 * so the pragma changes nothing in a file that is already there (and its result is not
 * checked: a foreign file is for ow_migrate to refuse). A bulk replay writes each page to the
 * WAL and then into the database, two system calls per page on each side, so a quarter of
 * the pages costs it less kernel time: big-EN10MB replayed in 6.0-6.1 s against 6.6 s,
 * verify 7 % faster (docs/architecture.md, "Seventh round"). Then the schema. */
static int shape_and_migrate(sqlite3 *db, char *why, size_t whylen)
{
    sqlite3_exec(db, "PRAGMA page_size = " OW_STR(OW_STORE_PAGE_SIZE), NULL, NULL, NULL);
    return ow_migrate(db, why, whylen);
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
    if (shape_and_migrate(db, why, sizeof why) < 0) {
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
        exec_sql(db, "PRAGMA cache_size = -" OW_STR(OW_STORE_CACHE_KIB), err, errlen, path) < 0 ||
        /* Temporary files in memory, not under /var/tmp: when every flow had a savepoint,
         * its statement journal spilled to a file and took 95% of the writer's system
         * calls. (A refused flow is now undone by deletes, not a savepoint: see
         * db/store_write.c; the API's sorts and the deferred index builds still use
         * temporary storage.) */
        exec_sql(db, "PRAGMA temp_store = MEMORY", err, errlen, path) < 0 ||
        set_autocheckpoint(db, err, errlen, path) < 0) {
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
    /* A bulk replay that died before its end left its deferred indexes out. */
    if (ow_bulk_indexes_build(st) < 0 || prepare_writer(st) < 0) {
        snprintf(err, errlen, "%s: %s", path, st->errmsg);
        *retry = transient(sqlite3_errcode(db));
        ow_store_close(st);
        return NULL;
    }
    return st;
}

/* A new store is made under a name of its own beside the final one (schema, page size and
 * WAL mode in place), then moved to its name unless another process made one there first.
 * Created in place, a kill in its first milliseconds would leave an empty file, or half a
 * schema's journal, which verify must call "not a store": a store is whole or absent. A
 * kill here leaves only the temporary name, which the next creation removes. */
static int create_whole(const char *path, char *err, size_t errlen)
{
    char tmp[4096];
    if (ow_store_files_creating_name(path, getpid(), tmp, sizeof tmp) < 0) {
        snprintf(err, errlen, "%s: path too long", path);
        return -1;
    }
    ow_store_files_sweep_creating(path);
    ow_store_files_remove_creating(tmp);    /* an earlier process of this pid's, killed */
    if (ow_private_create(tmp) < 0) {
        snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
        return -1;
    }
    pthread_once(&sqlite_once, sqlite_setup);
    sqlite3 *db = NULL;
    char why[200] = "";
    int ok = sqlite3_open_v2(tmp, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW |
                             SQLITE_OPEN_NOMUTEX, NULL) == SQLITE_OK;
    if (ok) {
        sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
        ok = shape_and_migrate(db, why, sizeof why) == 0 &&
             sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL) == SQLITE_OK;
        if (!ok && !why[0])
            snprintf(why, sizeof why, "%s", sqlite3_errmsg(db));
    } else {
        snprintf(why, sizeof why, "%s", db ? sqlite3_errmsg(db) : "out of memory");
    }
    /* The last handle's close checkpoints the WAL and removes the -wal and -shm. */
    if (sqlite3_close(db) != SQLITE_OK && ok) {
        snprintf(why, sizeof why, "cannot close it");
        ok = 0;
    }
    if (ok && ow_store_files_move_new(tmp, path) < 0 && errno != EEXIST) {
        snprintf(why, sizeof why, "cannot move it to %s: %s", path, strerror(errno));
        ok = 0;
    }
    ow_store_files_remove_creating(tmp);  /* gone once moved; after a failure, the debris */
    if (!ok)
        snprintf(err, errlen, "%s: cannot create the store: %s", path, why);
    return ok ? 0 : -1;
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
    /* A new store is private from its first byte and appears whole; an existing file is
     * made private only once it is known to be a store (a foreign file is left as it was). */
    if (!ow_store_path_special(path) && lstat(path, &lsb) < 0 && errno == ENOENT &&
        create_whole(path, err, errlen) < 0)
        return NULL;
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
    sqlite3_finalize(st->undo_chain);
    sqlite3_finalize(st->undo_alerts);
    sqlite3_finalize(st->undo_flow);
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
