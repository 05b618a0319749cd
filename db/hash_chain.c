/* hash_chain.c — canonical bytes of chained records and the running SHA-256 over them.
 * The canonical encoding is the contract in docs/evidence.md: never change a kind's column
 * list; add a new kind instead, so old records keep verifying. */
#include "db/hash_chain.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <gcrypt.h>

/* Each kind: its name, its table and, in canonical order, the columns hashed. The row id
 * is always hashed first (it is part of the record header). */
struct chain_kind {
    const char *name;
    const char *table;
    const char *columns;
};

static const struct chain_kind kinds[OW_CHAIN_KIND_COUNT] = {
    [OW_CHAIN_RUN] = { "run", "runs",
        "kind, source, source_sha256, site, policy_sha256, version, threads, started_wall" },
    [OW_CHAIN_RUN_END] = { "run_end", "runs",
        "first_ts, last_ts, packets, bytes, packets_malformed, packets_not_ip, kernel_drops, "
        "internal_drops, flows, flows_evicted, gaps, clean_end, ended_wall" },
    [OW_CHAIN_FLOW] = { "flow", "flows",
        "run_id, flow_id, community_id, first_ts, last_ts, l4_proto, ip_family, client_ip, "
        "client_port, server_ip, server_port, icmp_type, icmp_code, slice, vlan, tunnels, "
        "pkts_toserver, pkts_toclient, bytes_toserver, bytes_toclient, later_fragments, "
        "end_reason, ndpi_protocol, ndpi_master, ndpi_app, ndpi_category, ndpi_confidence, "
        "ndpi_risk, app_proto, ssh_client, ssh_server, hassh_client, hassh_server, tls_sni, "
        "ja3, ja3s, tls_version, http_host, http_user_agent, dns_query, li_interface, "
        "li_confidence, li_xid, li_liid, li_target, li_payload_format, li_pdu_count, "
        "verdict_status, verdict_rule, verdict_kind, verdict_severity, verdict_reason, "
        "verdict_asset_src, verdict_asset_dest, verdict_ticket, verdict_overrun" },
    [OW_CHAIN_ALERT] = { "alert", "alerts",
        "run_id, flow_row, ts, kind, severity, rule, reason, asset_src, asset_dest" },
    [OW_CHAIN_EVIDENCE] = { "evidence", "evidence",
        "flow_row, sha256, packets, bytes, truncated, linktype, pcap" },
    [OW_CHAIN_RUN_RULE] = { "run_rule", "run_rules",
        "run_id, rule_id, kind, interface, ticket" },
    [OW_CHAIN_TRIAGE] = { "triage", "triage",
        "alert_id, status, note, actor, at" },
    [OW_CHAIN_FLOW_END] = { "flow_end", "flows",
        "end_ts, end_pkts_toserver, end_pkts_toclient, end_bytes_toserver, end_bytes_toclient, "
        "end_later_fragments, ended_reason, end_overrun, decided_ts" },
    [OW_CHAIN_PROGRESS] = { "progress", "run_progress",
        "run_id, wall, first_ts, last_ts, packets, bytes, kernel_drops, internal_drops, gaps, "
        "flows" },
    [OW_CHAIN_EPOCH_CERT] = { "epoch_cert", "epoch_certs",
        "sensor, epoch, public_key, issued_wall, signature" },
    [OW_CHAIN_CHECKPOINT] = { "checkpoint", "checkpoints",
        "sensor, epoch, number, chain_seq, head, records, packet_ts, wall, reason, signature" },
    [OW_CHAIN_CONTENT_ROOT] = { "content_root", "content_roots",
        "run_id, root, leaves" },
    [OW_CHAIN_FLOW_ASSETS] = { "flow_assets", "flows",
        "verdict_asset_src_all, verdict_asset_dest_all" },
    [OW_CHAIN_RUN_INPUT] = { "run_input", "runs", "input_sha256" },
};

/* Field tags: the storage class is hashed too, so 5 and '5' differ. */
enum { TAG_NULL = 0, TAG_INTEGER = 1, TAG_TEXT = 2, TAG_BLOB = 3, TAG_REAL = 4 };

static pthread_once_t gcrypt_once = PTHREAD_ONCE_INIT;

static void gcrypt_init(void)
{
    /* Leave a program that already set libgcrypt up as it is. */
    if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
        gcry_check_version(NULL);
        gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
        gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
    }
}

const char *ow_chain_kind_name(int kind)
{
    return kind >= 0 && kind < OW_CHAIN_KIND_COUNT ? kinds[kind].name : "?";
}

const char *ow_chain_kind_table(int kind)
{
    return kind >= 0 && kind < OW_CHAIN_KIND_COUNT ? kinds[kind].table : "?";
}

int ow_chain_kind_from_name(const char *name)
{
    for (int i = 0; name && i < OW_CHAIN_KIND_COUNT; i++)
        if (strcmp(kinds[i].name, name) == 0)
            return i;
    return -1;
}

void ow_sha256(const void *data, size_t len, uint8_t out[OW_HASH_LEN])
{
    pthread_once(&gcrypt_once, gcrypt_init);
    gcry_md_hash_buffer(GCRY_MD_SHA256, out, data, len);
}

void ow_sha256_prefixed(uint8_t prefix, const void *data, size_t len, uint8_t out[OW_HASH_LEN])
{
    pthread_once(&gcrypt_once, gcrypt_init);
    gcry_md_hd_t h;
    if (gcry_md_open(&h, GCRY_MD_SHA256, 0) != 0) {
        memset(out, 0, OW_HASH_LEN);   /* cannot happen short of memory; never matches */
        return;
    }
    gcry_md_write(h, &prefix, 1);
    gcry_md_write(h, data, len);
    memcpy(out, gcry_md_read(h, GCRY_MD_SHA256), OW_HASH_LEN);
    gcry_md_close(h);
}

void ow_hex(const uint8_t *bytes, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * len] = '\0';
}

static int chain_err(struct ow_chain *c, const char *what)
{
    snprintf(c->err, sizeof c->err, "hash chain: %s: %s", what, sqlite3_errmsg(c->db));
    return -1;
}

static int prepare(struct ow_chain *c, const char *sql, sqlite3_stmt **out, int persistent)
{
    if (sqlite3_prepare_v3(c->db, sql, -1, persistent ? SQLITE_PREPARE_PERSISTENT : 0, out,
                           NULL) != SQLITE_OK)
        return chain_err(c, "prepare");
    return 0;
}

static int table_exists(sqlite3 *db, const char *name)
{
    sqlite3_stmt *s = NULL;
    int found = 0;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?",
                           -1, &s, NULL) == SQLITE_OK &&
        sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC) == SQLITE_OK)
        found = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_finalize(s);
    return found;
}

static int column_exists(sqlite3 *db, const char *table, const char *column)
{
    sqlite3_stmt *s = NULL;
    int found = 0;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info(?) WHERE name = ?", -1, &s,
                           NULL) == SQLITE_OK &&
        sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC) == SQLITE_OK &&
        sqlite3_bind_text(s, 2, column, -1, SQLITE_STATIC) == SQLITE_OK)
        found = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_finalize(s);
    return found;
}

int ow_chain_init(struct ow_chain *c, sqlite3 *db, int persistent)
{
    memset(c, 0, sizeof *c);
    c->db = db;
    c->last_scan = -1;
    pthread_once(&gcrypt_once, gcrypt_init);
    for (int k = 0; k < OW_CHAIN_KIND_COUNT; k++) {
        char sql[2048];
        if (!table_exists(db, kinds[k].table))
            continue;
        snprintf(sql, sizeof sql, "SELECT %s FROM %s WHERE id = ?", kinds[k].columns,
                 kinds[k].table);
        /* flow_end's columns come with schema 6: an older store's flows table has none, so
         * the kind gets no statement there (its records read as missing rows). */
        if (k == OW_CHAIN_FLOW_END && !column_exists(db, "flows", "ended_reason"))
            continue;
        if (k == OW_CHAIN_FLOW_ASSETS && !column_exists(db, "flows", "verdict_asset_src_all"))
            continue;
        if (k == OW_CHAIN_RUN_INPUT && !column_exists(db, "runs", "input_sha256"))
            continue;
        if (prepare(c, sql, &c->select_row[k], persistent) < 0)
            return -1;
        c->ncols[k] = ow_chain_kind_column_count(k);
    }
    if (prepare(c, "SELECT seq, hash FROM chain ORDER BY seq DESC LIMIT 1", &c->tail,
                persistent) < 0 ||
        prepare(c, "INSERT INTO chain (seq, kind, row_id, hash) VALUES (?, ?, ?, ?)",
                &c->insert, persistent) < 0)
        return -1;
    return 0;
}

/* A flow's end is chained right after its flow record when both are written at once (a
 * replay), so the flow scan also selects the end's columns: a flow_end record on the row
 * that scan stands on is then hashed from it, not by stepping a second cursor over the
 * same row (a quarter of the walk's time on a 434k-flow store). */
static int borrows_from_flow(const struct ow_chain *c)
{
    return c->select_row[OW_CHAIN_FLOW_END] != NULL;
}

int ow_chain_scan(struct ow_chain *c, const char *const extra[OW_CHAIN_KIND_COUNT])
{
    for (int k = 0; k < OW_CHAIN_KIND_COUNT; k++) {
        if (!c->select_row[k])
            continue;
        char sql[3072];
        const char *more = extra && extra[k] ? extra[k] : NULL;
        const char *end = k == OW_CHAIN_FLOW && borrows_from_flow(c) ?
                          kinds[OW_CHAIN_FLOW_END].columns : NULL;
        c->scan_extra[k] = 1 + c->ncols[k] + (end ? c->ncols[OW_CHAIN_FLOW_END] : 0);
        int n = snprintf(sql, sizeof sql, "SELECT id, %s%s%s%s%s FROM %s WHERE id >= ? ORDER BY "
                         "id", kinds[k].columns, end ? ", " : "", end ? end : "",
                         more ? ", " : "", more ? more : "", kinds[k].table);
        if (n < 0 || (size_t)n >= sizeof sql) {
            snprintf(c->err, sizeof c->err, "hash chain: the %s scan is too long", kinds[k].name);
            return -1;
        }
        if (prepare(c, sql, &c->scan[k], 0) < 0)
            return -1;
        c->scan_at[k] = 0;
    }
    c->last_scan = -1;
    return 0;
}

sqlite3_stmt *ow_chain_scan_row(struct ow_chain *c, int *extra_col)
{
    if (extra_col)
        *extra_col = c->last_scan >= 0 ? c->scan_extra[c->last_scan] : 0;
    return c->last_scan >= 0 ? c->scan[c->last_scan] : NULL;
}

void ow_chain_free(struct ow_chain *c)
{
    for (int k = 0; k < OW_CHAIN_KIND_COUNT; k++) {
        sqlite3_finalize(c->select_row[k]);
        sqlite3_finalize(c->scan[k]);
    }
    sqlite3_finalize(c->tail);
    sqlite3_finalize(c->insert);
    sqlite3_finalize(c->insert_held);
    if (c->md)
        gcry_md_close((gcry_md_hd_t)c->md);
    memset(c, 0, sizeof *c);
}

void ow_chain_forget(struct ow_chain *c)
{
    c->loaded = 0;
    c->nheld = 0;
}

void ow_chain_rewind(struct ow_chain *c, int loaded, int64_t seq, const uint8_t head[OW_HASH_LEN])
{
    while (c->nheld > 0 && (!loaded || c->held[c->nheld - 1].seq > seq))
        c->nheld--;
    c->loaded = loaded;
    c->seq = seq;
    memcpy(c->head, head, OW_HASH_LEN);
}

static void bind_record(sqlite3_stmt *s, int at, const struct ow_chain_held *h);
static void bind_numbered(sqlite3_stmt *s, int at, const struct ow_chain_held *h);

/* The held records in one statement when there are OW_CHAIN_HELD of them, else one by one
 * (the last few of a batch). A statement is atomic, so a failed one inserted nothing of what
 * it was given; the records before it are in, those from it on are lost. The statement lets
 * the table number its rows (the next seq after the table's last), which spares SQLite a
 * search of the table per record (3-4 % of bench_writer's bulk rate), and the numbers are
 * then checked against the seqs the records were hashed with: they differ only when the
 * table has a record this chain did not write, and the caller then loses the batch, the
 * misnumbered rows with it. */
int ow_chain_flush(struct ow_chain *c)
{
    int done = 0, rc = SQLITE_DONE;
    if (c->nheld == OW_CHAIN_HELD) {
        if (!c->insert_held) {
            char sql[64 + OW_CHAIN_HELD * 16];
            size_t o = (size_t)snprintf(sql, sizeof sql,
                                        "INSERT INTO chain (kind, row_id, hash) VALUES ");
            for (int i = 0; i < OW_CHAIN_HELD; i++)
                o += (size_t)snprintf(sql + o, sizeof sql - o, "%s(?,?,?)", i ? "," : "");
            if (prepare(c, sql, &c->insert_held, 1) < 0) {
                c->nheld = 0;
                c->held_lost = 1;
                return -1;
            }
        }
        for (int i = 0; i < OW_CHAIN_HELD; i++)
            bind_numbered(c->insert_held, 3 * i, &c->held[i]);
        rc = sqlite3_step(c->insert_held);
        sqlite3_reset(c->insert_held);
        int64_t last = sqlite3_last_insert_rowid(c->db);
        if (rc == SQLITE_DONE && last != c->held[OW_CHAIN_HELD - 1].seq) {
            snprintf(c->err, sizeof c->err, "hash chain: append: records numbered up to seq "
                     "%lld, hashed up to %lld: the chain table holds a record this writer did "
                     "not write", (long long)last, (long long)c->held[OW_CHAIN_HELD - 1].seq);
            c->nheld = 0;
            c->held_lost = 1;
            return -1;
        }
        if (rc == SQLITE_DONE)
            done = OW_CHAIN_HELD;
    }
    while (rc == SQLITE_DONE && done < c->nheld) {
        bind_record(c->insert, 0, &c->held[done]);
        rc = sqlite3_step(c->insert);
        sqlite3_reset(c->insert);
        if (rc == SQLITE_DONE)
            done++;
    }
    int n = c->nheld;
    c->nheld = 0;
    if (done == n)
        return 0;
    chain_err(c, "append");
    c->held_lost = 1;
    return -1;
}

int ow_chain_hold(struct ow_chain *c, int hold)
{
    int rc = hold ? 0 : ow_chain_flush(c);
    c->hold = hold;
    return rc;
}

/* A record's encoding is a few dozen small pieces: they are gathered here and handed to
 * libgcrypt in a few large writes, since each gcry_md_write call costs more than hashing
 * its handful of bytes (same bytes, same hash). */
struct sink {
    gcry_md_hd_t h;
    size_t n;
    uint8_t b[1024];
};

static void sink_flush(struct sink *k)
{
    if (k->n)
        gcry_md_write(k->h, k->b, k->n);
    k->n = 0;
}

static void put_bytes(struct sink *k, const void *p, size_t len)
{
    if (k->n + len > sizeof k->b) {
        sink_flush(k);
        if (len > sizeof k->b) {
            gcry_md_write(k->h, p, len);
            return;
        }
    }
    memcpy(k->b + k->n, p, len);
    k->n += len;
}

/* The fixed-size pieces are written in place: through put_bytes each was a libc memcpy
 * call of 1 to 8 bytes (2.5 % of the writer's time in bench_writer). */
static inline void put_u64(struct sink *k, uint64_t v)
{
    if (k->n + 8 > sizeof k->b)
        sink_flush(k);
    for (int i = 7; i >= 0; i--, v >>= 8)
        k->b[k->n + (size_t)i] = (uint8_t)v;
    k->n += 8;
}

static inline void put_u32(struct sink *k, uint32_t v)
{
    if (k->n + 4 > sizeof k->b)
        sink_flush(k);
    k->b[k->n] = (uint8_t)(v >> 24);
    k->b[k->n + 1] = (uint8_t)(v >> 16);
    k->b[k->n + 2] = (uint8_t)(v >> 8);
    k->b[k->n + 3] = (uint8_t)v;
    k->n += 4;
}

static inline void put_tag(struct sink *k, uint8_t tag)
{
    if (k->n + 1 > sizeof k->b)
        sink_flush(k);
    k->b[k->n++] = tag;
}

/* One column value: tag, then 8 bytes big-endian (integer; real as its IEEE-754 bits), or
 * a 4-byte big-endian length and the bytes (text, blob), or nothing (NULL). */
static void put_column(struct sink *h, sqlite3_stmt *s, int col)
{
    /* One column fetch, then cheap value calls: each sqlite3_column_* call checks the
     * statement and its malloc state again, which cost more than hashing the value. */
    sqlite3_value *v = sqlite3_column_value(s, col);
    switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER:
        put_tag(h, TAG_INTEGER);
        put_u64(h, (uint64_t)sqlite3_value_int64(v));
        break;
    case SQLITE_FLOAT: {
        double d = sqlite3_value_double(v);
        uint64_t bits;
        memcpy(&bits, &d, sizeof bits);
        put_tag(h, TAG_REAL);
        put_u64(h, bits);
        break;
    }
    case SQLITE_TEXT: {
        const unsigned char *t = sqlite3_value_text(v);
        int n = sqlite3_value_bytes(v);
        put_tag(h, TAG_TEXT);
        put_u32(h, (uint32_t)(n > 0 ? n : 0));
        if (t && n > 0)
            put_bytes(h, t, (size_t)n);
        break;
    }
    case SQLITE_BLOB: {
        const void *b = sqlite3_value_blob(v);
        int n = sqlite3_value_bytes(v);
        put_tag(h, TAG_BLOB);
        put_u32(h, (uint32_t)(n > 0 ? n : 0));
        if (b && n > 0)
            put_bytes(h, b, (size_t)n);
        break;
    }
    default:
        put_tag(h, TAG_NULL);
        break;
    }
}

static int open_md(struct ow_chain *c)
{
    /* One context per chain, reset after each record: opening one per record cost a malloc
     * and libgcrypt's set-up every time. */
    if (!c->md) {
        gcry_md_hd_t h;
        if (gcry_md_open(&h, GCRY_MD_SHA256, 0) != 0) {
            snprintf(c->err, sizeof c->err, "hash chain: cannot start SHA-256");
            return -1;
        }
        c->md = h;
    }
    return 0;
}

/* The record header: previous hash, kind name, seq, row id, column count. */
static void put_header(struct sink *k, int kind, int64_t seq, int64_t row_id,
                       const uint8_t prev[OW_HASH_LEN], int ncols)
{
    const char *name = kinds[kind].name;
    size_t name_len = strlen(name);
    put_bytes(k, prev, OW_HASH_LEN);
    uint8_t nl = (uint8_t)name_len;
    put_bytes(k, &nl, 1);
    put_bytes(k, name, name_len);
    put_u64(k, (uint64_t)seq);
    put_u64(k, (uint64_t)row_id);
    put_u32(k, (uint32_t)ncols);
}

static void sink_finish(struct sink *k, uint8_t out[OW_HASH_LEN])
{
    sink_flush(k);
    memcpy(out, gcry_md_read(k->h, GCRY_MD_SHA256), OW_HASH_LEN);
    gcry_md_reset(k->h);
}

/* Moves kind's cursor to row_id: a few steps forward when it stands just before it, else a
 * new search. 1 on the row, 0 when there is no such row, -1 on error. */
static int scan_to(struct ow_chain *c, int kind, int64_t row_id)
{
    sqlite3_stmt *s = c->scan[kind];
    int64_t at = c->scan_at[kind];
    if (at && at <= row_id) {
        for (int steps = 0; at < row_id && steps < 8; steps++) {
            int rc = sqlite3_step(s);
            if (rc != SQLITE_ROW) {
                at = 0;
                if (rc != SQLITE_DONE)
                    return chain_err(c, "read row");
                break;
            }
            at = sqlite3_column_int64(s, 0);
        }
        if (at >= row_id) {
            c->scan_at[kind] = at;
            return at == row_id;
        }
    }
    sqlite3_reset(s);
    sqlite3_bind_int64(s, 1, row_id);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        c->scan_at[kind] = 0;
        sqlite3_reset(s);
        return rc == SQLITE_DONE ? 0 : chain_err(c, "read row");
    }
    at = sqlite3_column_int64(s, 0);
    c->scan_at[kind] = at;
    return at == row_id;
}

/* The record's hash from ncols columns of s from first on. */
static int hash_columns(struct ow_chain *c, int kind, int64_t seq, int64_t row_id,
                        const uint8_t prev[OW_HASH_LEN], sqlite3_stmt *s, int first,
                        uint8_t out[OW_HASH_LEN])
{
    if (open_md(c) < 0)
        return -1;
    struct sink k = { .h = (gcry_md_hd_t)c->md };
    int ncols = c->ncols[kind];
    put_header(&k, kind, seq, row_id, prev, ncols);
    for (int i = first; i < first + ncols; i++)
        put_column(&k, s, i);
    sink_finish(&k, out);
    return 0;
}

static int scan_hash(struct ow_chain *c, int kind, int64_t seq, int64_t row_id,
                     const uint8_t prev[OW_HASH_LEN], uint8_t out[OW_HASH_LEN])
{
    c->last_scan = -1;
    if (kind == OW_CHAIN_FLOW_END && c->scan_at[OW_CHAIN_FLOW] == row_id && row_id &&
        borrows_from_flow(c)) {
        c->last_scan = OW_CHAIN_FLOW;
        return hash_columns(c, kind, seq, row_id, prev, c->scan[OW_CHAIN_FLOW],
                            1 + c->ncols[OW_CHAIN_FLOW], out);
    }
    int on = scan_to(c, kind, row_id);
    if (on <= 0)
        return on < 0 ? -1 : 1;
    c->last_scan = kind;
    /* Any columns after the kind's own are borrowed ones or the caller's extras. */
    return hash_columns(c, kind, seq, row_id, prev, c->scan[kind], 1, out);
}

int ow_chain_record_hash(struct ow_chain *c, int kind, int64_t seq, int64_t row_id,
                         const uint8_t prev[OW_HASH_LEN], uint8_t out[OW_HASH_LEN])
{
    if (kind < 0 || kind >= OW_CHAIN_KIND_COUNT) {
        snprintf(c->err, sizeof c->err, "hash chain: unknown record kind %d", kind);
        return -1;
    }
    if (c->scan[kind])
        return scan_hash(c, kind, seq, row_id, prev, out);
    c->last_scan = -1;
    sqlite3_stmt *s = c->select_row[kind];
    if (!s)
        return 1;   /* the store has no such table: the row cannot be there */
    sqlite3_bind_int64(s, 1, row_id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(s);
        return 1;
    }
    if (rc != SQLITE_ROW) {
        chain_err(c, "read row");
        sqlite3_reset(s);
        return -1;
    }
    if (open_md(c) < 0) {
        sqlite3_reset(s);
        return -1;
    }
    struct sink k = { .h = (gcry_md_hd_t)c->md };
    int ncols = sqlite3_column_count(s);
    put_header(&k, kind, seq, row_id, prev, ncols);
    for (int i = 0; i < ncols; i++)
        put_column(&k, s, i);
    sink_finish(&k, out);
    sqlite3_reset(s);
    return 0;
}

const char *ow_chain_kind_columns(int kind)
{
    return kind >= 0 && kind < OW_CHAIN_KIND_COUNT ? kinds[kind].columns : "";
}

int ow_chain_kind_column_count(int kind)
{
    const char *p = ow_chain_kind_columns(kind);
    if (!*p)
        return 0;
    int n = 1;
    for (; *p; p++)
        n += *p == ',';
    return n;
}

/* Encodes a bound value exactly as put_column encodes the value SQLite returns for it. */
static void put_value(struct sink *k, const struct ow_chain_value *v)
{
    switch (v->type) {
    case SQLITE_INTEGER:
        put_tag(k, TAG_INTEGER);
        put_u64(k, (uint64_t)v->i);
        break;
    case SQLITE_TEXT:
        put_tag(k, TAG_TEXT);
        put_u32(k, (uint32_t)(v->n > 0 ? v->n : 0));
        if (v->p && v->n > 0)
            put_bytes(k, v->p, (size_t)v->n);
        break;
    default:
        put_tag(k, TAG_NULL);
        break;
    }
}

static int load_tail(struct ow_chain *c)
{
    int rc = sqlite3_step(c->tail);
    if (rc == SQLITE_DONE) {
        c->seq = 0;
        memset(c->head, 0, sizeof c->head);
    } else if (rc == SQLITE_ROW) {
        const void *hash = sqlite3_column_blob(c->tail, 1);
        if (!hash || sqlite3_column_bytes(c->tail, 1) != OW_HASH_LEN) {
            snprintf(c->err, sizeof c->err,
                     "hash chain: the last chain record is damaged (run omwitness verify)");
            sqlite3_reset(c->tail);
            return -1;
        }
        c->seq = sqlite3_column_int64(c->tail, 0);
        memcpy(c->head, hash, OW_HASH_LEN);
    } else {
        chain_err(c, "read the chain head");
        sqlite3_reset(c->tail);
        return -1;
    }
    sqlite3_reset(c->tail);
    c->loaded = 1;
    return 0;
}

/* The four columns of a record, bound from where it is held (which outlives the step). */
static void bind_record(sqlite3_stmt *s, int at, const struct ow_chain_held *h)
{
    sqlite3_bind_int64(s, at + 1, h->seq);
    bind_numbered(s, at + 1, h);
}

/* All but the seq, which the table gives. */
static void bind_numbered(sqlite3_stmt *s, int at, const struct ow_chain_held *h)
{
    sqlite3_bind_text(s, at + 1, kinds[h->kind].name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, at + 2, h->row_id);
    sqlite3_bind_blob(s, at + 3, h->hash, OW_HASH_LEN, SQLITE_STATIC);
}

static int insert_record(struct ow_chain *c, int kind, int64_t seq, int64_t row_id,
                         const uint8_t next[OW_HASH_LEN], uint8_t *out)
{
    if (c->hold && c->nheld == OW_CHAIN_HELD && ow_chain_flush(c) < 0)
        return -1;
    struct ow_chain_held one, *h = c->hold ? &c->held[c->nheld] : &one;
    h->seq = seq;
    h->kind = kind;
    h->row_id = row_id;
    memcpy(h->hash, next, OW_HASH_LEN);
    if (c->hold) {
        c->nheld++;
    } else {
        bind_record(c->insert, 0, h);
        int rc = sqlite3_step(c->insert);
        sqlite3_reset(c->insert);      /* all four are bound again before the next step */
        if (rc != SQLITE_DONE)
            return chain_err(c, "append");
    }
    c->seq = seq;
    memcpy(c->head, next, OW_HASH_LEN);
    if (out)
        memcpy(out, next, OW_HASH_LEN);
    return 0;
}

int ow_chain_append(struct ow_chain *c, int kind, int64_t row_id, uint8_t out[OW_HASH_LEN])
{
    if (!c->loaded && load_tail(c) < 0)
        return -1;
    uint8_t next[OW_HASH_LEN];
    int64_t seq = c->seq + 1;
    int rc = ow_chain_record_hash(c, kind, seq, row_id, c->head, next);
    if (rc != 0) {
        if (rc == 1)
            snprintf(c->err, sizeof c->err, "hash chain: %s row %lld is not there",
                     kinds[kind].table, (long long)row_id);
        return -1;
    }
    return insert_record(c, kind, seq, row_id, next, out);
}

int ow_chain_append_values(struct ow_chain *c, int kind, int64_t row_id,
                           const struct ow_chain_value *v, int n, uint8_t out[OW_HASH_LEN])
{
    if (kind < 0 || kind >= OW_CHAIN_KIND_COUNT || n != c->ncols[kind] || !c->select_row[kind]) {
        snprintf(c->err, sizeof c->err, "hash chain: %d values for a %s record", n,
                 ow_chain_kind_name(kind));
        return -1;
    }
    if (!c->loaded && load_tail(c) < 0)
        return -1;
    if (open_md(c) < 0)
        return -1;
    uint8_t next[OW_HASH_LEN];
    int64_t seq = c->seq + 1;
    struct sink k = { .h = (gcry_md_hd_t)c->md };
    put_header(&k, kind, seq, row_id, c->head, n);
    for (int i = 0; i < n; i++)
        put_value(&k, &v[i]);
    sink_finish(&k, next);
    return insert_record(c, kind, seq, row_id, next, out);
}

int ow_chain_tail(struct ow_chain *c, int64_t *seq, uint8_t head[OW_HASH_LEN])
{
    if (!c->loaded && load_tail(c) < 0)
        return -1;
    *seq = c->seq;
    memcpy(head, c->head, OW_HASH_LEN);
    return 0;
}
