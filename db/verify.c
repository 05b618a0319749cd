/* verify.c — walks the hash chain in order and recomputes every record from the row it names,
 * then looks for rows the chain does not cover and derived counts that do not add up. The
 * first thing that does not fit is reported with its table and row id. On a big store the
 * checks are shared between this connection and a second one in a thread of its own, both
 * reading the same snapshot, and the finding reported is the one the checks run in order
 * would have reported first. */
#include "db/verify.h"
#include "db/run_decode.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "common/alloc.h"
#include "db/chain_facts.h"
#include "db/migrations.h"
#include "db/seal_verify.h"
#include "db/store.h"

/* Below this many chain records a second connection costs more than it saves. */
#define SPLIT_MIN_RECORDS 4096

struct verifier {
    sqlite3 *db;
    struct ow_chain chain;
    struct ow_verify_result *r;
    int schema;
    int64_t legacy[OW_CHAIN_KIND_COUNT];   /* rows with id <= this predate the chain */
    int64_t last_row[OW_CHAIN_KIND_COUNT];
    int have_expect;
    uint8_t expect[OW_HASH_LEN];
    struct ow_chain_facts facts;           /* what the walk learnt (the connection's own) */
};

static int found(struct verifier *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int found(struct verifier *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->r->problem, sizeof v->r->problem, fmt, ap);
    va_end(ap);
    return 3;
}

static int failed(struct verifier *v, const char *what)
{
    snprintf(v->r->problem, sizeof v->r->problem, "%s: %s", what, sqlite3_errmsg(v->db));
    return -1;
}

static int parse_hex_hash(const char *hex, uint8_t out[OW_HASH_LEN])
{
    if (strlen(hex) != 2 * OW_HASH_LEN)
        return -1;
    for (int i = 0; i < OW_HASH_LEN; i++) {
        unsigned hi, lo;
        char c1 = hex[2 * i], c2 = hex[2 * i + 1];
#define NIB(c, o) ((c) >= '0' && (c) <= '9' ? ((o) = (unsigned)((c) - '0'), 1) : \
                   (c) >= 'a' && (c) <= 'f' ? ((o) = (unsigned)((c) - 'a' + 10), 1) : \
                   (c) >= 'A' && (c) <= 'F' ? ((o) = (unsigned)((c) - 'A' + 10), 1) : 0)
        if (!NIB(c1, hi) || !NIB(c2, lo))
            return -1;
#undef NIB
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

/* chain_legacy exists from schema 2 on; one row. */
static int load_legacy(struct verifier *v)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(v->db, "SELECT runs_max, flows_max, alerts_max FROM chain_legacy",
                           -1, &s, NULL) != SQLITE_OK)
        return failed(v, "read chain_legacy");
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        v->legacy[OW_CHAIN_RUN] = v->legacy[OW_CHAIN_RUN_END] = v->legacy[OW_CHAIN_RUN_INPUT] =
            sqlite3_column_int64(s, 0);
        v->legacy[OW_CHAIN_FLOW] = v->legacy[OW_CHAIN_FLOW_END] = sqlite3_column_int64(s, 1);
        v->legacy[OW_CHAIN_ALERT] = sqlite3_column_int64(s, 2);
        rc = sqlite3_step(s);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return found(v, "chain_legacy: not exactly one row (the table was changed)");
    /* Rows the chain does not cover prove nothing, whatever chain_legacy says: they are a
     * finding, never a note (setting chain_legacy must not launder rows). */
    static const char *const tables[] = { "runs", "flows", "alerts" };
    static const int kinds[] = { OW_CHAIN_RUN, OW_CHAIN_FLOW, OW_CHAIN_ALERT };
    for (int i = 0; i < 3; i++) {
        if (v->legacy[kinds[i]] <= 0)
            continue;
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE id <= ?", tables[i]);
        sqlite3_stmt *q = NULL;
        long long n = 0;
        if (sqlite3_prepare_v2(v->db, sql, -1, &q, NULL) != SQLITE_OK)
            return failed(v, "read chain_legacy");
        sqlite3_bind_int64(q, 1, v->legacy[kinds[i]]);
        if (sqlite3_step(q) == SQLITE_ROW)
            n = sqlite3_column_int64(q, 0);
        sqlite3_finalize(q);
        v->r->legacy_rows += (uint64_t)n;
        if (n > 0)
            return found(v, "%s: %lld rows (id <= %lld) are not covered by the hash chain "
                         "(chain_legacy marks them as older than the chain): nothing proves "
                         "them", tables[i], n, (long long)v->legacy[kinds[i]]);
    }
    return 0;
}

/* Rows of a run chained after the run's end were added later: the end record states what
 * the run held. */
static int check_after_end(struct verifier *v)
{
    static const char *const sql[] = {
        "SELECT 'flows', c.row_id, c.seq, e.row_id FROM chain c JOIN flows t ON c.kind = 'flow' "
        "AND c.row_id = t.id JOIN chain e ON e.kind = 'run_end' AND e.row_id = t.run_id WHERE "
        "c.seq > e.seq ORDER BY c.seq LIMIT 1",
        "SELECT 'alerts', c.row_id, c.seq, e.row_id FROM chain c JOIN alerts t ON c.kind = "
        "'alert' AND c.row_id = t.id JOIN chain e ON e.kind = 'run_end' AND e.row_id = t.run_id "
        "WHERE c.seq > e.seq ORDER BY c.seq LIMIT 1",
        "SELECT 'evidence', c.row_id, c.seq, e.row_id FROM chain c JOIN evidence t ON c.kind = "
        "'evidence' AND c.row_id = t.id JOIN flows f ON f.id = t.flow_row JOIN chain e ON "
        "e.kind = 'run_end' AND e.row_id = f.run_id WHERE c.seq > e.seq ORDER BY c.seq LIMIT 1",
        /* flow_end (schema 6): a flow's end after its run's end. */
        "SELECT 'flows (end of flow)', c.row_id, c.seq, e.row_id FROM chain c JOIN flows t ON "
        "c.kind = 'flow_end' AND c.row_id = t.id JOIN chain e ON e.kind = 'run_end' AND "
        "e.row_id = t.run_id WHERE c.seq > e.seq ORDER BY c.seq LIMIT 1",
        /* run_input (schema 11): a replay's input hash after its run's end. */
        "SELECT 'runs (input hash)', c.row_id, c.seq, e.row_id FROM chain c JOIN chain e ON "
        "c.kind = 'run_input' AND e.kind = 'run_end' AND e.row_id = c.row_id WHERE c.seq > "
        "e.seq ORDER BY c.seq LIMIT 1",
        "SELECT 'run_rules', c.row_id, c.seq, e.row_id FROM chain c JOIN run_rules t ON c.kind "
        "= 'run_rule' AND c.row_id = t.id JOIN chain e ON e.kind = 'run_end' AND e.row_id = "
        "t.run_id WHERE c.seq > e.seq ORDER BY c.seq LIMIT 1",
    };
    if (ow_chain_facts_after_end_clear(&v->facts))
        return 0;   /* the walk saw no row chained after its run's end */
    for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
        sqlite3_stmt *s = NULL;
        if (sqlite3_prepare_v2(v->db, sql[i], -1, &s, NULL) != SQLITE_OK)
            return failed(v, "verify query");
        int rc = sqlite3_step(s), result = 0;
        if (rc == SQLITE_ROW)
            result = found(v, "%s row %lld (chain #%lld): chained after the end of its run %lld "
                           "(appended)", sqlite3_column_text(s, 0),
                           (long long)sqlite3_column_int64(s, 1),
                           (long long)sqlite3_column_int64(s, 2),
                           (long long)sqlite3_column_int64(s, 3));
        else if (rc != SQLITE_DONE)
            result = failed(v, "verify query");
        sqlite3_finalize(s);
        if (result)
            return result;
    }
    return 0;
}

/* The chain, record by record, in seq order. */
static int walk_chain(struct verifier *v)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(v->db, "SELECT seq, kind, row_id, hash FROM chain ORDER BY seq",
                           -1, &s, NULL) != SQLITE_OK)
        return failed(v, "read chain");
    uint8_t prev[OW_HASH_LEN] = { 0 };
    int64_t expected = 1;
    ow_chain_facts_free(&v->facts);
    ow_chain_facts_init(&v->facts);
    int result = 0, rc;
    while (result == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t seq = sqlite3_column_int64(s, 0);
        const char *kind_name = (const char *)sqlite3_column_text(s, 1);
        int kind = ow_chain_kind_from_name(kind_name);
        int64_t row = sqlite3_column_int64(s, 2);
        const void *hash = sqlite3_column_blob(s, 3);
        int hash_len = sqlite3_column_bytes(s, 3);
        if (seq != expected) {
            result = found(v, "chain record #%lld is missing (deleted; the next record is #%lld)",
                           (long long)expected, (long long)seq);
            break;
        }
        if (kind < 0) {
            result = found(v, "chain record #%lld: unknown kind \"%.40s\" (the chain was changed)",
                           (long long)seq, kind_name ? kind_name : "");
            break;
        }
        const char *table = ow_chain_kind_table(kind);
        if (!hash || hash_len != OW_HASH_LEN) {
            result = found(v, "chain record #%lld (%s row %lld): its hash is damaged",
                           (long long)seq, table, (long long)row);
            break;
        }
        /* Rows are chained as they are inserted, so ids rise within each kind; a run ends
         * after it began. */
        if (kind == OW_CHAIN_RUN_END || kind == OW_CHAIN_RUN_INPUT) {
            if (row > v->last_row[OW_CHAIN_RUN] || row <= v->legacy[OW_CHAIN_RUN]) {
                result = found(v, "runs row %lld (chain #%lld): run %s chained before the run's "
                                  "start (records reordered)", (long long)row, (long long)seq,
                               kind == OW_CHAIN_RUN_END ? "end" : "input hash");
                break;
            }
        } else if (kind == OW_CHAIN_FLOW_END) {
            /* Flows end in any order, but only after their flow record. */
            if (row > v->last_row[OW_CHAIN_FLOW] || row <= v->legacy[OW_CHAIN_FLOW]) {
                result = found(v, "flows row %lld (chain #%lld): flow end chained before the "
                                  "flow (records reordered)", (long long)row, (long long)seq);
                break;
            }
        } else if (row <= v->last_row[kind] || row <= v->legacy[kind]) {
            result = found(v, "%s row %lld (chain #%lld): out of order after row %lld (rows "
                              "reordered or the chain rewritten)", table, (long long)row,
                           (long long)seq, (long long)v->last_row[kind]);
            break;
        } else {
            v->last_row[kind] = row;
        }
        uint8_t want[OW_HASH_LEN];
        int h = ow_chain_record_hash(&v->chain, kind, seq, row, prev, want);
        if (h < 0) {
            snprintf(v->r->problem, sizeof v->r->problem, "%s", v->chain.err);
            result = -1;
        } else if (h == 1) {
            result = found(v, "%s row %lld (chain #%lld): the row is missing (deleted)", table,
                           (long long)row, (long long)seq);
        } else if (memcmp(want, hash, OW_HASH_LEN) != 0) {
            result = found(v, "%s row %lld (chain #%lld): the %s as stored does not match its "
                              "hash (edited or swapped, or the chain was changed)", table,
                           (long long)row, (long long)seq,
                           kind == OW_CHAIN_RUN_END ? "end of run" :
                           kind == OW_CHAIN_RUN_INPUT ? "input hash of the run" :
                           kind == OW_CHAIN_FLOW_END ? "end of flow" : "row");
        } else {
            memcpy(prev, want, OW_HASH_LEN);
            int extra_col = 0;
            sqlite3_stmt *on = ow_chain_scan_row(&v->chain, &extra_col);
            ow_chain_facts_record(&v->facts, kind, row, on, extra_col);
            v->r->records++;
            v->r->head_seq = seq;
            memcpy(v->r->head, want, OW_HASH_LEN);
            if (v->have_expect && memcmp(want, v->expect, OW_HASH_LEN) == 0)
                v->r->expected_head_found = 1;
            expected = seq + 1;
        }
    }
    if (result == 0 && rc != SQLITE_DONE)
        result = failed(v, "read chain");
    v->facts.complete = result == 0;
    sqlite3_finalize(s);
    return result;
}

/* Returns the first id of a query answering one integer (0 when no row), or -1. */
static int first_id(struct verifier *v, const char *sql, int64_t p1, const char *p2,
                    int64_t *out)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(v->db, sql, -1, &s, NULL) != SQLITE_OK)
        return failed(v, "verify query");
    sqlite3_bind_int64(s, 1, p1);
    if (p2)
        sqlite3_bind_text(s, 2, p2, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_finalize(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : failed(v, "verify query");
}

/* The number of rows in table, or -1. */
static int64_t count_rows(struct verifier *v, const char *table)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    sqlite3_stmt *s = NULL;
    int64_t n = -1;
    if (sqlite3_prepare_v2(v->db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return n;
}

/* Every row of every chained table is named by a chain record of its kind. The walk proved
 * that each record of a kind names a row of its own (ids rise within a kind) that exists, so
 * a table with as many rows as records of its kind is covered; otherwise the query names
 * the row. load_legacy has already turned away rows older than the chain. */
static int check_coverage(struct verifier *v)
{
    static const int covered[] = { OW_CHAIN_RUN, OW_CHAIN_FLOW, OW_CHAIN_ALERT,
                                   OW_CHAIN_EVIDENCE, OW_CHAIN_RUN_RULE, OW_CHAIN_TRIAGE,
                                   OW_CHAIN_PROGRESS, OW_CHAIN_EPOCH_CERT,
                                   OW_CHAIN_CHECKPOINT, OW_CHAIN_CONTENT_ROOT };
    for (size_t i = 0; i < sizeof covered / sizeof covered[0]; i++) {
        int kind = covered[i];
        const char *table = ow_chain_kind_table(kind);
        char sql[256];
        /* Tables of later schemas (triage from 5 on) are checked where the store has them. */
        if (kind != OW_CHAIN_RUN && kind != OW_CHAIN_FLOW && kind != OW_CHAIN_ALERT &&
            kind != OW_CHAIN_EVIDENCE && kind != OW_CHAIN_RUN_RULE && !v->chain.select_row[kind])
            continue;
        if (v->facts.complete && count_rows(v, table) == (int64_t)v->facts.records[kind])
            continue;
        /* Every id, even one at or below 0, which no record can name (so not first_id, whose
         * 0 means no row). */
        snprintf(sql, sizeof sql,
                 "SELECT t.id FROM %s t WHERE NOT EXISTS (SELECT 1 FROM chain c WHERE c.kind "
                 "= ?1 AND c.row_id = t.id) ORDER BY t.id LIMIT 1", table);
        sqlite3_stmt *q = NULL;
        if (sqlite3_prepare_v2(v->db, sql, -1, &q, NULL) != SQLITE_OK)
            return failed(v, "verify query");
        sqlite3_bind_text(q, 1, ow_chain_kind_name(kind), -1, SQLITE_STATIC);
        int rc = sqlite3_step(q);
        int has = rc == SQLITE_ROW;
        int64_t id = has ? sqlite3_column_int64(q, 0) : 0;
        sqlite3_finalize(q);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            return failed(v, "verify query");
        if (has)
            return found(v, "%s row %lld: not in the hash chain (inserted)", table, (long long)id);
    }
    return 0;
}

/* Each run either ended (one run_end record, chain_head = its hash) or never did (its end
 * columns untouched since begin_run). */
static int check_runs(struct verifier *v)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(v->db,
            "SELECT r.id, r.chain_head, (SELECT count(*) FROM chain c WHERE c.kind = 'run_end' "
            "AND c.row_id = r.id), (SELECT c.hash FROM chain c WHERE c.kind = 'run_end' AND "
            "c.row_id = r.id), r.ended_wall IS NULL AND r.first_ts IS NULL AND r.last_ts IS "
            "NULL AND r.packets = 0 AND r.bytes = 0 AND r.packets_malformed = 0 AND "
            "r.packets_not_ip = 0 AND r.kernel_drops = 0 AND r.internal_drops = 0 AND "
            "r.flows = 0 AND r.flows_evicted = 0 AND r.gaps = 0 AND r.clean_end = 0 "
            "FROM runs r WHERE r.id > ? ORDER BY r.id", -1, &s, NULL) != SQLITE_OK)
        return failed(v, "read runs");
    sqlite3_bind_int64(s, 1, v->legacy[OW_CHAIN_RUN]);
    int result = 0, rc;
    while (result == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        long long id = sqlite3_column_int64(s, 0);
        int ends = sqlite3_column_int(s, 2);
        const void *head = sqlite3_column_blob(s, 1);
        int head_len = sqlite3_column_bytes(s, 1);
        const void *end_hash = sqlite3_column_blob(s, 3);
        if (ends > 1)
            result = found(v, "runs row %lld: ended %d times in the chain", id, ends);
        else if (ends == 0 && (!sqlite3_column_int(s, 4) || head))
            result = found(v, "runs row %lld: end of run set but never chained (edited)", id);
        else if (ends == 1 && (!head || head_len != OW_HASH_LEN || !end_hash ||
                               memcmp(head, end_hash, OW_HASH_LEN) != 0))
            result = found(v, "runs row %lld: chain_head is not its run_end record's hash "
                              "(edited)", id);
    }
    if (result == 0 && rc != SQLITE_DONE)
        result = failed(v, "read runs");
    sqlite3_finalize(s);
    return result;
}

/* The decode events are not chained themselves; they are held to the chained run counters
 * instead, so an edit that changes one without the other is found. */
static int check_decode_events(struct verifier *v)
{
    char why[256];
    int bad = ow_run_decode_check(v->db, why, sizeof why);
    if (bad < 0)
        return failed(v, "read decode events");
    if (bad > 0)
        return found(v, "%s (edited)", why);
    return 0;
}

/* Each flow either ended once in the chain (flow_end) or is still open with its end columns
 * untouched (schema 6 on; older stores have no end columns). */
static int check_flow_ends(struct verifier *v)
{
    if (!v->chain.select_row[OW_CHAIN_FLOW_END] || ow_chain_facts_flow_ends_clear(&v->facts))
        return 0;
    int64_t id = 0;
    if (first_id(v, "SELECT f.id FROM flows f WHERE f.id > ?1 AND (f.end_ts IS NOT NULL OR "
                    "f.end_pkts_toserver IS NOT NULL OR f.end_pkts_toclient IS NOT NULL OR "
                    "f.end_bytes_toserver IS NOT NULL OR f.end_bytes_toclient IS NOT NULL OR "
                    "f.end_later_fragments IS NOT NULL OR f.ended_reason IS NOT NULL OR "
                    "f.end_overrun IS NOT NULL OR f.decided_ts IS NOT NULL) AND NOT EXISTS "
                    "(SELECT 1 FROM chain c WHERE c.kind = 'flow_end' AND c.row_id = f.id) "
                    "ORDER BY f.id LIMIT 1", v->legacy[OW_CHAIN_FLOW], NULL, &id) < 0)
        return -1;
    if (id)
        return found(v, "flows row %lld: end of flow set but never chained (edited)",
                     (long long)id);
    return 0;
}

/* A flow's list of every asset of its endpoints is set only with its flow_assets record
 * (schema 8 on). */
static int check_flow_assets(struct verifier *v)
{
    if (!v->chain.select_row[OW_CHAIN_FLOW_ASSETS] ||
        ow_chain_facts_flow_assets_clear(&v->facts))
        return 0;
    int64_t id = 0;
    if (first_id(v, "SELECT f.id FROM flows f WHERE f.id > ?1 AND (f.verdict_asset_src_all IS "
                    "NOT NULL OR f.verdict_asset_dest_all IS NOT NULL) AND NOT EXISTS "
                    "(SELECT 1 FROM chain c WHERE c.kind = 'flow_assets' AND c.row_id = f.id) "
                    "ORDER BY f.id LIMIT 1", v->legacy[OW_CHAIN_FLOW], NULL, &id) < 0)
        return -1;
    if (id)
        return found(v, "flows row %lld: assets of its endpoints set but never chained (edited)",
                     (long long)id);
    return 0;
}

/* A run's input hash is set only with its run_input record, once (schema 11 on). */
static int check_run_inputs(struct verifier *v)
{
    if (!v->chain.select_row[OW_CHAIN_RUN_INPUT])
        return 0;
    int64_t id = 0;
    if (first_id(v, "SELECT id FROM (SELECT r.id, r.input_sha256 IS NOT NULL AS set_, (SELECT "
                    "count(*) FROM chain c WHERE c.kind = 'run_input' AND c.row_id = r.id) AS n "
                    "FROM runs r WHERE r.id > ?1) WHERE n > 1 OR (n = 0 AND set_) ORDER BY id "
                    "LIMIT 1", v->legacy[OW_CHAIN_RUN], NULL, &id) < 0)
        return -1;
    if (id)
        return found(v, "runs row %lld: input hash set but not chained once (edited)",
                     (long long)id);
    return 0;
}

/* rule_hits are derived: they must equal the authorized flows counted per run and rule. */
static int check_rule_hits(struct verifier *v)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(v->db,
            "SELECT run_id, rule_id, hits, n FROM ("
            "  SELECT h.run_id, h.rule_id, h.hits, (SELECT count(*) FROM flows f WHERE "
            "    f.run_id = h.run_id AND f.verdict_status = 'authorized' AND "
            "    f.verdict_rule = h.rule_id) AS n FROM rule_hits h"
            "  UNION ALL"
            "  SELECT f.run_id, f.verdict_rule, 0, count(*) FROM flows f WHERE "
            "    f.verdict_status = 'authorized' AND f.verdict_rule <> '' AND NOT EXISTS "
            "    (SELECT 1 FROM rule_hits h WHERE h.run_id = f.run_id AND "
            "     h.rule_id = f.verdict_rule) GROUP BY f.run_id, f.verdict_rule"
            ") WHERE hits <> n ORDER BY run_id, rule_id LIMIT 1", -1, &s, NULL) != SQLITE_OK)
        return failed(v, "read rule_hits");
    int rc = sqlite3_step(s), result = 0;
    if (rc == SQLITE_ROW) {
        const unsigned char *rule = sqlite3_column_text(s, 1);
        result = found(v, "rule_hits run %lld rule \"%.64s\": %lld hits stored but %lld "
                          "authorized flows (edited)", (long long)sqlite3_column_int64(s, 0),
                       rule ? (const char *)rule : "", (long long)sqlite3_column_int64(s, 2),
                       (long long)sqlite3_column_int64(s, 3));
    } else if (rc != SQLITE_DONE) {
        result = failed(v, "read rule_hits");
    }
    sqlite3_finalize(s);
    return result;
}

/* Each evidence blob matches its own SHA-256 column (already chained; a cheap second look
 * that names the blob itself). */
static int check_evidence(struct verifier *v)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(v->db, "SELECT id, sha256, pcap FROM evidence ORDER BY id", -1, &s,
                           NULL) != SQLITE_OK)
        return failed(v, "read evidence");
    int result = 0, rc;
    while (result == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        const unsigned char *stored = sqlite3_column_text(s, 1);
        const void *blob = sqlite3_column_blob(s, 2);
        int n = sqlite3_column_bytes(s, 2);
        uint8_t d[OW_HASH_LEN];
        char hex[OW_HASH_HEX_LEN];
        ow_sha256(blob ? blob : "", blob && n > 0 ? (size_t)n : 0, d);
        ow_hex(d, sizeof d, hex);
        if (!stored || strcmp((const char *)stored, hex) != 0)
            result = found(v, "evidence row %lld: the packets do not match their SHA-256",
                           (long long)sqlite3_column_int64(s, 0));
    }
    if (result == 0 && rc != SQLITE_DONE)
        result = failed(v, "read evidence");
    sqlite3_finalize(s);
    return result;
}

/* The checks, in the order their findings are reported. */
enum check {
    CHECK_CHAIN, CHECK_COVERAGE, CHECK_AFTER_END, CHECK_RUNS, CHECK_DECODE_EVENTS,
    CHECK_FLOW_ENDS, CHECK_FLOW_ASSETS, CHECK_RUN_INPUTS, CHECK_RULE_HITS, CHECK_EVIDENCE, CHECK_CONTENT_ROOTS,
    CHECK_COUNT
};

static int run_check(struct verifier *v, int check)
{
    switch (check) {
    case CHECK_CHAIN:         return walk_chain(v);
    case CHECK_COVERAGE:      return check_coverage(v);
    case CHECK_AFTER_END:     return check_after_end(v);
    case CHECK_RUNS:          return check_runs(v);
    case CHECK_DECODE_EVENTS: return check_decode_events(v);
    case CHECK_FLOW_ENDS:     return check_flow_ends(v);
    case CHECK_FLOW_ASSETS:   return check_flow_assets(v);
    case CHECK_RUN_INPUTS:    return check_run_inputs(v);
    case CHECK_RULE_HITS:     return check_rule_hits(v);
    case CHECK_EVIDENCE:      return check_evidence(v);
    case CHECK_CONTENT_ROOTS: return v->schema >= 7 ? ow_content_roots_verify(v->db, v->r) : 0;
    default:                  return 0;
    }
}

/* The chain walk and the checks its facts answer here (about 60 % of the time); the content
 * roots, which read every flow again, on the second connection. */
static const int here_checks[] = { CHECK_CHAIN, CHECK_COVERAGE, CHECK_AFTER_END, CHECK_RUNS,
                                   CHECK_DECODE_EVENTS, CHECK_FLOW_ENDS, CHECK_FLOW_ASSETS,
                                   CHECK_RUN_INPUTS, CHECK_RULE_HITS, CHECK_EVIDENCE };
static const int there_checks[] = { CHECK_CONTENT_ROOTS };

/* One connection's share of the checks, run in order up to its first finding. */
struct share {
    struct verifier *v;        /* the connection it runs on */
    const int *checks;
    size_t n;
    int first;                 /* the check that found something; CHECK_COUNT: none */
    int rc;
    _Atomic int *own_first;    /* published as soon as found, for the other share */
    _Atomic int *other_first;  /* the other share's first finding: later checks are moot */
};

/* The second connection's share: its own verifier and result. */
struct there {
    struct share share;
    struct verifier v;
    struct ow_verify_result r;
    const char *path;          /* the store, opened read-only again */
    bool ran;                  /* it opened and read (else its checks run here after all) */
    int64_t head_seq;          /* the snapshot it read: the chain's last record */
    uint8_t head[OW_HASH_LEN];
};

static void run_share(struct share *s)
{
    s->first = CHECK_COUNT;
    s->rc = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (s->other_first &&
            atomic_load_explicit(s->other_first, memory_order_relaxed) < s->checks[i])
            return;
        int rc = run_check(s->v, s->checks[i]);
        if (rc != 0) {
            s->first = s->checks[i];
            s->rc = rc;
            if (s->own_first)
                atomic_store_explicit(s->own_first, s->first, memory_order_relaxed);
            return;
        }
    }
}

/* The chain's last record as this connection sees it: which snapshot it reads. */
static int chain_head(sqlite3 *db, int64_t *seq, uint8_t head[OW_HASH_LEN])
{
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT seq, hash FROM chain ORDER BY seq DESC LIMIT 1", -1,
                                &q, NULL);
    *seq = 0;
    memset(head, 0, OW_HASH_LEN);
    if (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        *seq = sqlite3_column_int64(q, 0);
        if (sqlite3_column_bytes(q, 1) == OW_HASH_LEN)
            memcpy(head, sqlite3_column_blob(q, 1), OW_HASH_LEN);
        rc = SQLITE_DONE;
    }
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? 0 : -1;
}

static void *there_main(void *arg)
{
    struct there *t = arg;
    char err[256];
    struct ow_store *ro = ow_store_open_readonly(t->path, err, sizeof err);
    if (!ro)
        return NULL;
    t->v.db = ow_store_handle(ro);
    t->v.r = &t->r;
    if (sqlite3_exec(t->v.db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK &&
        chain_head(t->v.db, &t->head_seq, t->head) == 0 &&
        ow_chain_init(&t->v.chain, t->v.db, 0) == 0) {
        t->ran = true;
        run_share(&t->share);
    }
    ow_chain_free(&t->v.chain);
    sqlite3_exec(t->v.db, "COMMIT", NULL, NULL, NULL);
    ow_store_close(ro);
    return NULL;
}

/* Every check, on one connection or shared over two; the first finding in check order. */
static int run_checks(struct verifier *v)
{
    static const int all[] = { CHECK_CHAIN, CHECK_COVERAGE, CHECK_AFTER_END, CHECK_RUNS,
                               CHECK_DECODE_EVENTS, CHECK_FLOW_ENDS, CHECK_FLOW_ASSETS,
                               CHECK_RUN_INPUTS, CHECK_RULE_HITS, CHECK_EVIDENCE,
                               CHECK_CONTENT_ROOTS };
    int64_t seq;
    uint8_t head[OW_HASH_LEN];
    const char *path = sqlite3_db_filename(v->db, "main");
    if (chain_head(v->db, &seq, head) < 0)
        return failed(v, "read chain");
    _Atomic int here_first = CHECK_COUNT, there_first = CHECK_COUNT;
    struct share here = { .v = v, .checks = all, .n = sizeof all / sizeof all[0] };
    struct there other = { .v = { .schema = v->schema }, .path = path }, *t = &other;
    t->share = (struct share){ .v = &t->v, .checks = there_checks,
                               .n = sizeof there_checks / sizeof there_checks[0],
                               .own_first = &there_first, .other_first = &here_first };
    memcpy(t->v.legacy, v->legacy, sizeof t->v.legacy);
    pthread_t thread;
    bool split = seq >= SPLIT_MIN_RECORDS && path && *path &&
                 ow_thread_start(&thread, "ow-verify", there_main, t) == 0;
    if (split) {
        here.checks = here_checks;
        here.n = sizeof here_checks / sizeof here_checks[0];
        here.own_first = &here_first;
        here.other_first = &there_first;
    }
    v->r->connections = split ? 2 : 1;
    run_share(&here);
    if (!split)
        return here.rc;
    pthread_join(thread, NULL);
    atomic_store(&here_first, here.first);
    if (!t->ran || t->head_seq != seq || memcmp(t->head, head, OW_HASH_LEN) != 0) {
        /* No second connection, or a writer appended between the two snapshots: its share
         * runs here, on this snapshot. */
        v->r->connections = 1;
        if (here.first != CHECK_COUNT && here.first < there_checks[0])
            return here.rc;
        struct share again = { .v = v, .checks = there_checks,
                               .n = sizeof there_checks / sizeof there_checks[0],
                               .other_first = &here_first };
        run_share(&again);
        return again.first < here.first ? again.rc : here.rc;
    }
    v->r->legacy_rows += t->r.legacy_rows;
    v->r->content_roots = t->r.content_roots;
    if (t->share.first < here.first) {
        memcpy(v->r->problem, t->r.problem, sizeof v->r->problem);
        return t->share.rc;
    }
    return here.rc;
}

int ow_verify_store(struct ow_store *st, const char *expect_head_hex, struct ow_verify_result *r)
{
    return ow_verify_store_sealed(st, expect_head_hex, NULL, NULL, r);
}

int ow_verify_store_sealed(struct ow_store *st, const char *expect_head_hex,
                           const uint8_t *root_key, const char *witness_path,
                           struct ow_verify_result *r)
{
    memset(r, 0, sizeof *r);
    struct verifier v = { .db = ow_store_handle(st), .r = r };
    if (!v.db) {
        snprintf(r->problem, sizeof r->problem, "no store");
        return -1;
    }
    if (expect_head_hex && *expect_head_hex) {
        if (parse_hex_hash(expect_head_hex, v.expect) < 0) {
            snprintf(r->problem, sizeof r->problem,
                     "expected head \"%.80s\" is not 64 hex digits", expect_head_hex);
            return -1;
        }
        v.have_expect = 1;
    }
    /* Missing tables, or tables of a later schema than user_version says, are damage. */
    char why[256];
    if (ow_store_schema_version(st) < 2) {
        snprintf(r->problem, sizeof r->problem,
                 "store schema %d has no hash chain: nothing in it is covered", ow_store_schema_version(st));
        if (ow_schema_tables_check(v.db, why, sizeof why) < 0)
            snprintf(r->problem, sizeof r->problem, "%s", why);
        return 3;
    }
    if (ow_schema_tables_check(v.db, why, sizeof why) < 0) {
        snprintf(r->problem, sizeof r->problem, "%s", why);
        return 3;
    }
    /* One snapshot: a writer may go on appending while we read. */
    if (sqlite3_exec(v.db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return failed(&v, "begin read");
    int result;
    const char *extra[OW_CHAIN_KIND_COUNT] = { 0 };
    int init = ow_chain_init(&v.chain, v.db, 0);
    if (init == 0)
        extra[OW_CHAIN_FLOW] = ow_chain_facts_flow_extra(v.chain.select_row[OW_CHAIN_FLOW_END],
                                                         v.chain.select_row[OW_CHAIN_FLOW_ASSETS]);
    if (init < 0 || ow_chain_scan(&v.chain, extra) < 0) {
        snprintf(r->problem, sizeof r->problem, "%s", v.chain.err);
        result = -1;
    } else {
        v.schema = ow_store_schema_version(st);
        result = load_legacy(&v);
        if (result == 0)
            result = run_checks(&v);
        if (result == 0 && root_key)
            result = ow_seal_verify(v.db, root_key, witness_path, r);
        if (result == 0 && v.have_expect && !r->expected_head_found)
            result = found(&v, "chain head %s is not in the chain: records were removed from "
                               "its end or the chain was rewritten", expect_head_hex);
    }
    ow_chain_free(&v.chain);
    ow_chain_facts_free(&v.facts);
    sqlite3_exec(v.db, "COMMIT", NULL, NULL, NULL);
    return result;
}
