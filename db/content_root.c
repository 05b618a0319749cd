/* content_root.c — leaf encoding and ordering of a run's content root. The leaf bytes use
 * the hash chain's field encoding (tag, then a big-endian integer or a length and bytes). */
#include "db/content_root.h"

#include <stdlib.h>
#include <string.h>

#include "db/merkle.h"
#include "db/store.h"

/* The flow's contents: every column of the chained flow record but run_id and flow_id; then,
 * from schema 6 on (the record model), its end: the flow_end record's columns, the
 * final counters, whichever record brought them. */
#define LEAF_FLOW_COLUMNS \
    "community_id, first_ts, last_ts, l4_proto, ip_family, client_ip, client_port, server_ip, " \
    "server_port, icmp_type, icmp_code, slice, vlan, tunnels, pkts_toserver, pkts_toclient, " \
    "bytes_toserver, bytes_toclient, later_fragments, end_reason, ndpi_protocol, ndpi_master, " \
    "ndpi_app, ndpi_category, ndpi_confidence, ndpi_risk, app_proto, ssh_client, ssh_server, " \
    "hassh_client, hassh_server, tls_sni, ja3, ja3s, tls_version, http_host, http_user_agent, " \
    "dns_query, li_interface, li_confidence, li_xid, li_liid, li_target, li_payload_format, " \
    "li_pdu_count, verdict_status, verdict_rule, verdict_kind, verdict_severity, " \
    "verdict_reason, verdict_asset_src, verdict_asset_dest, verdict_ticket, verdict_overrun"
#define LEAF_END_COLUMNS \
    ", end_ts, end_pkts_toserver, end_pkts_toclient, end_bytes_toserver, end_bytes_toclient, " \
    "end_later_fragments, ended_reason, end_overrun, decided_ts"
#define LEAF_FIRST_TS_COL 1   /* first_ts in the list above (0-based) */

struct buf {
    uint8_t *p;
    size_t len, cap;
    int oom;
};

static void grow(struct buf *b, size_t n)
{
    if (b->oom)
        return;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap - b->len < n) {
        if (cap > SIZE_MAX / 2) {
            b->oom = 1;
            return;
        }
        cap *= 2;
    }
    uint8_t *more = realloc(b->p, cap);
    if (!more) {
        b->oom = 1;
        return;
    }
    b->p = more;
    b->cap = cap;
}

/* Called a few times per column of every flow: the buffer is kept from row to row, so the
 * fast path is a bounds check and a copy. */
static inline void put(struct buf *b, const void *d, size_t n)
{
    if (n > b->cap - b->len) {
        grow(b, n);
        if (b->oom)
            return;
    }
    if (n)
        memcpy(b->p + b->len, d, n);
    b->len += n;
}

static inline void put_be(struct buf *b, uint64_t v, int bytes)
{
    uint8_t x[8];
    for (int i = bytes - 1; i >= 0; i--, v >>= 8)
        x[i] = (uint8_t)v;
    put(b, x, (size_t)bytes);
}

static void put_columns(struct buf *b, sqlite3_stmt *s, int first, int count)
{
    put_be(b, (uint64_t)count, 4);
    for (int c = first; c < first + count; c++) {
        /* One column fetch, then cheap value calls (see hash_chain.c). */
        sqlite3_value *v = sqlite3_column_value(s, c);
        uint8_t tag;
        switch (sqlite3_value_type(v)) {
        case SQLITE_INTEGER:
            tag = 1;
            put(b, &tag, 1);
            put_be(b, (uint64_t)sqlite3_value_int64(v), 8);
            break;
        case SQLITE_FLOAT: {
            double d = sqlite3_value_double(v);
            uint64_t bits;
            memcpy(&bits, &d, sizeof bits);
            tag = 4;
            put(b, &tag, 1);
            put_be(b, bits, 8);
            break;
        }
        case SQLITE_TEXT:
        case SQLITE_BLOB: {
            int blob = sqlite3_value_type(v) == SQLITE_BLOB;
            const void *p = blob ? sqlite3_value_blob(v) : (const void *)sqlite3_value_text(v);
            int n = sqlite3_value_bytes(v);
            tag = blob ? 3 : 2;
            put(b, &tag, 1);
            put_be(b, (uint64_t)(n > 0 ? n : 0), 4);
            if (p && n > 0)
                put(b, p, (size_t)n);
            break;
        }
        default:
            tag = 0;
            put(b, &tag, 1);
            break;
        }
    }
}

static int cmp_leaf(const void *a, const void *b)
{
    const struct ow_content_leaf *x = a, *y = b;
    if (x->first_ts != y->first_ts)
        return x->first_ts < y->first_ts ? -1 : 1;
    return memcmp(x->hash, y->hash, OW_HASH_LEN);
}

/* A cursor over one of the run's side tables (alerts, evidence), ordered by flow_row: the
 * flows are read in row order and each takes the side rows of its own row as the cursor
 * passes, so a run costs three scans rather than two lookups per flow. The side tables are
 * scanned whole (CROSS JOIN keeps that order): they hold anomalies only, far fewer rows than
 * a run has flows. */
struct side {
    sqlite3_stmt *s;
    int step;           /* SQLITE_ROW while s stands on a row */
};

static void side_next(struct side *c)
{
    c->step = sqlite3_step(c->s);
}

/* Moves past rows of flows before row; 1 when the cursor then stands on one of row's. */
static int side_at(struct side *c, int64_t row)
{
    while (c->step == SQLITE_ROW && sqlite3_column_int64(c->s, 0) < row)
        side_next(c);
    return c->step == SQLITE_ROW && sqlite3_column_int64(c->s, 0) == row;
}

int ow_content_root_leaves(sqlite3 *db, int64_t run_id, int64_t from, int64_t to,
                           struct ow_content_leaf *leaves, size_t cap, size_t *count, char *err,
                           size_t errlen)
{
    sqlite3_stmt *flows = NULL;
    struct side alerts = { NULL, SQLITE_DONE }, evidence = { NULL, SQLITE_DONE };
    size_t n = 0;
    struct buf b = { 0 };
    int rc = -1;
    /* The end columns where the store has them (a prepare that fails names no column). */
    sqlite3_stmt *probe = NULL;
    int has_end = sqlite3_prepare_v2(db, "SELECT end_ts FROM flows LIMIT 0", -1, &probe, NULL) ==
                  SQLITE_OK;
    sqlite3_finalize(probe);
    if (sqlite3_prepare_v2(db, has_end ?
                           "SELECT id, " LEAF_FLOW_COLUMNS LEAF_END_COLUMNS " FROM flows "
                           "WHERE run_id = ?1 AND id BETWEEN ?2 AND ?3 ORDER BY id" :
                           "SELECT id, " LEAF_FLOW_COLUMNS " FROM flows WHERE run_id = ?1 "
                           "AND id BETWEEN ?2 AND ?3 ORDER BY id",
                           -1, &flows, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT a.flow_row, a.ts, a.kind, a.severity, a.rule, a.reason, "
                           "a.asset_src, a.asset_dest FROM alerts a CROSS JOIN flows f ON f.id = "
                           "a.flow_row WHERE f.run_id = ?1 AND f.id BETWEEN ?2 AND ?3 ORDER BY "
                           "a.flow_row, a.kind, a.rule, "
                           "a.severity, a.reason, a.asset_src, a.asset_dest, a.ts", -1,
                           &alerts.s, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT e.flow_row, e.sha256, e.packets, e.bytes, e.truncated, "
                           "e.linktype FROM evidence e CROSS JOIN flows f ON f.id = e.flow_row "
                           "WHERE f.run_id = ?1 AND f.id BETWEEN ?2 AND ?3 ORDER BY e.flow_row", -1,
                           &evidence.s,
                           NULL) != SQLITE_OK) {
        snprintf(err, errlen, "content root: %s", sqlite3_errmsg(db));
        goto out;
    }
    sqlite3_stmt *const all[] = { flows, alerts.s, evidence.s };
    for (int i = 0; i < 3; i++) {
        sqlite3_bind_int64(all[i], 1, run_id);
        sqlite3_bind_int64(all[i], 2, from);
        sqlite3_bind_int64(all[i], 3, to);
    }
    side_next(&alerts);
    side_next(&evidence);
    int ncols = sqlite3_column_count(flows) - 1, step;
    int alert_cols = sqlite3_column_count(alerts.s) - 1;
    int evidence_cols = sqlite3_column_count(evidence.s) - 1;
    while ((step = sqlite3_step(flows)) == SQLITE_ROW) {
        int64_t row = sqlite3_column_int64(flows, 0);
        b.len = 0;
        static const uint8_t kind_flow = 1;
        put(&b, &kind_flow, 1);
        put_columns(&b, flows, 1, ncols);
        /* Alerts: their count, then each in content order. */
        size_t count_at = b.len;
        uint32_t nalerts = 0;
        put_be(&b, 0, 4);
        for (int here = side_at(&alerts, row); here; here = side_at(&alerts, row)) {
            put_columns(&b, alerts.s, 1, alert_cols);
            nalerts++;
            side_next(&alerts);
        }
        if (!b.oom)
            for (int i = 0; i < 4; i++)
                b.p[count_at + (size_t)i] = (uint8_t)(nalerts >> (8 * (3 - i)));
        /* Evidence: present or not; a flow has one image at most (the first is taken). */
        uint8_t present = (uint8_t)side_at(&evidence, row);
        put(&b, &present, 1);
        if (present) {
            put_columns(&b, evidence.s, 1, evidence_cols);
            side_next(&evidence);
        }
        if (b.oom)
            break;
        if (n == cap) {
            snprintf(err, errlen, "content root: more flows of run %lld than counted",
                     (long long)run_id);
            goto out;
        }
        leaves[n].first_ts = sqlite3_column_int64(flows, 1 + LEAF_FIRST_TS_COL);
        ow_merkle_leaf(b.p, b.len, leaves[n].hash);
        n++;
    }
    if (b.oom) {
        snprintf(err, errlen, "content root: out of memory");
        goto out;
    }
    if (step != SQLITE_DONE || (alerts.step != SQLITE_ROW && alerts.step != SQLITE_DONE) ||
        (evidence.step != SQLITE_ROW && evidence.step != SQLITE_DONE)) {
        snprintf(err, errlen, "content root: %s", sqlite3_errmsg(db));
        goto out;
    }
    *count = n;
    rc = 0;
out:
    sqlite3_finalize(flows);
    sqlite3_finalize(alerts.s);
    sqlite3_finalize(evidence.s);
    free(b.p);
    return rc;
}

int ow_content_root_of_leaves(struct ow_content_leaf *leaves, size_t n, uint8_t root[OW_HASH_LEN])
{
    if (n)
        qsort(leaves, n, sizeof *leaves, cmp_leaf);
    /* The sorted hashes, packed in place (each moves down, never past one not yet moved):
     * a run's leaves are the largest allocation of its end. */
    uint8_t (*hashes)[OW_HASH_LEN] = (uint8_t (*)[OW_HASH_LEN])(void *)leaves;
    for (size_t i = 0; i < n; i++)
        memmove(hashes[i], leaves[i].hash, OW_HASH_LEN);
    ow_merkle_root((const uint8_t (*)[OW_HASH_LEN])hashes, n, root);
    return 0;
}

int ow_content_root_count(sqlite3 *db, int64_t run_id, size_t *count)
{
    sqlite3_stmt *s = NULL;
    int ok = sqlite3_prepare_v2(db, "SELECT count(*) FROM flows WHERE run_id = ?", -1, &s,
                                NULL) == SQLITE_OK &&
             sqlite3_bind_int64(s, 1, run_id) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW;
    if (ok)
        *count = (size_t)sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return ok ? 0 : -1;
}

int ow_content_root_compute(sqlite3 *db, int64_t run_id, uint8_t root[OW_HASH_LEN],
                            int64_t *leaves_out, char *err, size_t errlen)
{
    size_t cap = 0, n = 0;
    if (ow_content_root_count(db, run_id, &cap) < 0) {
        snprintf(err, errlen, "content root: %s", sqlite3_errmsg(db));
        return -1;
    }
    struct ow_content_leaf *leaves = malloc((cap ? cap : 1) * sizeof *leaves);
    if (!leaves) {
        snprintf(err, errlen, "content root: out of memory");
        return -1;
    }
    int rc = ow_content_root_leaves(db, run_id, INT64_MIN, INT64_MAX, leaves, cap, &n, err,
                                    errlen);
    if (rc == 0) {
        ow_content_root_of_leaves(leaves, n, root);
        if (leaves_out)
            *leaves_out = (int64_t)n;
    }
    free(leaves);
    return rc;
}

struct store_ctx {
    int64_t run_id;
    uint8_t *root;
    char *err;
    size_t errlen;
    int computed;           /* root and leaves are given: the caller computed them */
    int64_t leaves;
};

static int64_t insert_root(sqlite3 *db, int64_t tail_seq, const uint8_t tail_head[32], void *arg)
{
    (void)tail_seq;
    (void)tail_head;
    struct store_ctx *c = arg;
    int64_t leaves = c->leaves;
    /* Inside the write unit: the rows cannot change between reading and storing. */
    if (!c->computed &&
        ow_content_root_compute(db, c->run_id, c->root, &leaves, c->err, c->errlen) < 0)
        return -1;
    sqlite3_stmt *s = NULL;
    int64_t id = -1;
    if (sqlite3_prepare_v2(db, "INSERT INTO content_roots (run_id, root, leaves) VALUES (?, ?, ?)",
                           -1, &s, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(s, 1, c->run_id);
        sqlite3_bind_blob(s, 2, c->root, OW_HASH_LEN, SQLITE_TRANSIENT);
        sqlite3_bind_int64(s, 3, leaves);
        if (sqlite3_step(s) == SQLITE_DONE)
            id = sqlite3_last_insert_rowid(db);
    }
    sqlite3_finalize(s);
    return id;
}

int ow_content_root_store(struct ow_store *st, int64_t run_id, uint8_t root[OW_HASH_LEN],
                          char *err, size_t errlen)
{
    err[0] = '\0';
    struct store_ctx c = { run_id, root, err, errlen, 0, 0 };
    if (ow_store_add_chained(st, OW_CHAIN_CONTENT_ROOT, insert_root, &c) < 0) {
        if (!err[0])
            snprintf(err, errlen, "content root: %s", ow_store_errmsg(st));
        return -1;
    }
    return 0;
}

int ow_content_root_store_computed(struct ow_store *st, int64_t run_id,
                                   const uint8_t root[OW_HASH_LEN], int64_t leaves, char *err,
                                   size_t errlen)
{
    err[0] = '\0';
    uint8_t copy[OW_HASH_LEN];
    memcpy(copy, root, OW_HASH_LEN);
    struct store_ctx c = { run_id, copy, err, errlen, 1, leaves };
    if (ow_store_add_chained(st, OW_CHAIN_CONTENT_ROOT, insert_root, &c) < 0) {
        if (!err[0])
            snprintf(err, errlen, "content root: %s", ow_store_errmsg(st));
        return -1;
    }
    return 0;
}
