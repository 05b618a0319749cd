/* hash_chain.h — the evidence store's hash chain (docs/evidence.md): which columns of which
 * table make up each kind of chained record, their canonical bytes, and the running
 * SHA-256 (hash = SHA-256(previous hash || canonical bytes)). The writer appends a record
 * in the same transaction as the row it covers; verify recomputes with the same code. */
#ifndef OW_HASH_CHAIN_H
#define OW_HASH_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#define OW_HASH_LEN 32
#define OW_HASH_HEX_LEN (2 * OW_HASH_LEN + 1)

/* Kinds of chained records, stored by name in chain.kind. */
enum ow_chain_kind {
    OW_CHAIN_RUN = 0,      /* a run's start: what was watched, with which policy */
    OW_CHAIN_RUN_END,      /* a run's end: coverage counters, clean end */
    OW_CHAIN_FLOW,
    OW_CHAIN_ALERT,
    OW_CHAIN_EVIDENCE,
    OW_CHAIN_RUN_RULE,
    OW_CHAIN_TRIAGE,       /* an analyst's triage record (schema 5 on) */
    OW_CHAIN_FLOW_END,     /* a flow's end: final counters, reason (schema 6 on) */
    OW_CHAIN_PROGRESS,     /* a running capture's coverage so far (schema 6 on) */
    OW_CHAIN_EPOCH_CERT,   /* an epoch key's certificate (schema 7 on, docs/evidence.md) */
    OW_CHAIN_CHECKPOINT,   /* a signed checkpoint of the chain before it (schema 7 on) */
    OW_CHAIN_CONTENT_ROOT, /* a run's content root (schema 7 on) */
    OW_CHAIN_FLOW_ASSETS,  /* every asset of a shared endpoint (schema 8 on) */
    OW_CHAIN_RUN_INPUT,    /* a replay's input SHA-256, of the bytes it read (schema 11 on) */
    OW_CHAIN_KIND_COUNT
};

const char *ow_chain_kind_name(int kind);          /* "run", "flow" ... */
int ow_chain_kind_from_name(const char *name);     /* -1 when unknown */
const char *ow_chain_kind_table(int kind);         /* the table the row lives in */

/* Records a writer holds back in a batch, to insert them OW_CHAIN_HELD at a time with one
 * multi-row INSERT: one statement per record was a third of the writer's time on a replay
 * (docs/architecture.md, "Tenth round"). */
#define OW_CHAIN_HELD 128

struct ow_chain_held {
    int64_t seq, row_id;
    int kind;
    uint8_t hash[OW_HASH_LEN];
};

struct ow_chain {
    sqlite3 *db;
    sqlite3_stmt *select_row[OW_CHAIN_KIND_COUNT];
    int ncols[OW_CHAIN_KIND_COUNT];  /* hashed columns of each kind the store has */
    /* With ow_chain_scan: per kind, a cursor over the table in id order, and the id it
     * stands on (0: not stepped, or at the end). */
    sqlite3_stmt *scan[OW_CHAIN_KIND_COUNT];
    int64_t scan_at[OW_CHAIN_KIND_COUNT];
    int scan_extra[OW_CHAIN_KIND_COUNT];   /* the scan's first column of the caller's extras */
    int last_scan;                  /* the scan the last record was hashed from, or -1 */
    sqlite3_stmt *tail, *insert;
    int loaded;                     /* seq and head are the file's tail in this transaction */
    int64_t seq;                    /* the last record's seq (0: empty chain) */
    uint8_t head[OW_HASH_LEN];      /* the last record's hash (zeros: empty chain) */
    void *md;                       /* a SHA-256 context reused record after record, or NULL */
    int hold;                       /* appended records wait in held (ow_chain_hold) */
    int nheld;
    struct ow_chain_held held[OW_CHAIN_HELD];
    sqlite3_stmt *insert_held;      /* OW_CHAIN_HELD rows at once; prepared at first use */
    int held_lost;                  /* a failed flush lost held records: the transaction is void */
    char err[256];
};

/* Prepares the statements (persistent ones for a writer). A kind whose table the store does
 * not have (an older schema) gets no statement: its records read as missing rows. 0, or -1
 * with c->err set. */
int ow_chain_init(struct ow_chain *c, sqlite3 *db, int persistent);
void ow_chain_free(struct ow_chain *c);

/* For a reader that hashes records in chain order (verify): rows are then read by cursors
 * that step forward through each table, since a kind's rows come in rising id order, rather
 * than by a lookup per record; a record out of that order costs one lookup. 0 or -1. */
int ow_chain_scan(struct ow_chain *c, const char *const extra[OW_CHAIN_KIND_COUNT]);

/* extra (may be NULL; so may any entry): per kind, expressions its scan selects after its
 * own columns. Once a record was hashed, ow_chain_scan_row gives the scan it was hashed from,
 * standing on its row (column 0 the id, then the hashed columns of that scan's kind: a
 * flow_end record may be hashed from the flow scan), and in *extra_col (may be NULL) the
 * column of that scan's first extra. NULL when there is none. */
sqlite3_stmt *ow_chain_scan_row(struct ow_chain *c, int *extra_col);

/* The hash of record (kind, row_id) at position seq after prev, from the row as stored.
 * 0 done, 1 the row does not exist, -1 error (c->err). */
int ow_chain_record_hash(struct ow_chain *c, int kind, int64_t seq, int64_t row_id,
                         const uint8_t prev[OW_HASH_LEN], uint8_t out[OW_HASH_LEN]);

/* A column value as it is bound for a row being written: a record can then be hashed from
 * what was written instead of being read back. The bytes hashed are the ones SQLite returns
 * for the value, provided each is bound to a column of its own type (INTEGER to INTEGER,
 * TEXT to TEXT), so no affinity converts it on the way in. */
struct ow_chain_value {
    int type;           /* SQLITE_INTEGER, SQLITE_TEXT or SQLITE_NULL */
    int64_t i;          /* SQLITE_INTEGER */
    const char *p;      /* SQLITE_TEXT: n bytes, no NUL among them */
    int n;
};

/* The kind's hashed columns, comma-separated in canonical order (for the writer to check
 * its statements against), and how many there are. */
const char *ow_chain_kind_columns(int kind);
int ow_chain_kind_column_count(int kind);

/* Appends a record for a row just written, inside the caller's write transaction; the tail
 * is read from the file once per transaction (ow_chain_forget), so several processes
 * writing one store in turn still build one chain. out (may be NULL) gets the new head. */
int ow_chain_append(struct ow_chain *c, int kind, int64_t row_id, uint8_t out[OW_HASH_LEN]);

/* The same, hashed from the n values just bound for the row's columns (in the kind's order)
 * rather than read back: one SELECT less per record on the writer's hot path. verify still
 * reads every row back, so a value that was stored otherwise than bound breaks the chain
 * there. -1 (c->err) when n is not the kind's column count. */
int ow_chain_append_values(struct ow_chain *c, int kind, int64_t row_id,
                           const struct ow_chain_value *v, int n, uint8_t out[OW_HASH_LEN]);

/* The chain's tail in this transaction (read from the file when not loaded): the last seq
 * (0: empty) and its hash. 0 or -1. */
int ow_chain_tail(struct ow_chain *c, int64_t *seq, uint8_t head[OW_HASH_LEN]);

/* The in-memory tail is no longer the file's (a new transaction, or a rollback). Held
 * records are dropped: flush them first to keep them. */
void ow_chain_forget(struct ow_chain *c);

/* From ow_chain_hold(c, 1) on, appended records are hashed at once (the tail and each
 * append's out are as before) but inserted only when OW_CHAIN_HELD are held, or at
 * ow_chain_flush. The caller flushes before its transaction commits and before anything
 * reads the chain table; the records must all be of this transaction. hold 0 flushes. 0, or
 * -1 when a flush failed. A failed flush has lost the held records while the rows they cover
 * stay: c->held_lost is then set, and the caller must roll the transaction back. */
int ow_chain_hold(struct ow_chain *c, int hold);
int ow_chain_flush(struct ow_chain *c);

/* Puts the tail back to an earlier (seq, head) of this transaction (a unit that failed, whose
 * rows the caller removes): held records after seq are dropped, and loaded 0 drops all. The
 * caller deletes the records after seq that were already inserted. */
void ow_chain_rewind(struct ow_chain *c, int loaded, int64_t seq, const uint8_t head[OW_HASH_LEN]);

void ow_sha256(const void *data, size_t len, uint8_t out[OW_HASH_LEN]);
/* SHA-256(prefix || data), without copying data. */
void ow_sha256_prefixed(uint8_t prefix, const void *data, size_t len, uint8_t out[OW_HASH_LEN]);
/* Lowercase hex of len bytes; out holds 2 * len + 1. */
void ow_hex(const uint8_t *bytes, size_t len, char *out);

#endif
