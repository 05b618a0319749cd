/* seal_verify.c — checks a sealed store against its root public key and its witnesses.
 * Certificates and checkpoints are taken in chain order; each check names what failed. */
#include "db/seal_verify.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/content_root.h"

static int found(struct ow_verify_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int found(struct ow_verify_result *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->problem, sizeof r->problem, fmt, ap);
    va_end(ap);
    return 3;
}

static int db_failed(sqlite3 *db, struct ow_verify_result *r, const char *what)
{
    snprintf(r->problem, sizeof r->problem, "%s: %s", what, sqlite3_errmsg(db));
    return -1;
}

static void column_str(sqlite3_stmt *s, int col, char *out, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    int n = sqlite3_column_bytes(s, col);
    if (!t || n < 0 || (size_t)n >= cap) {
        out[0] = '\0';
        return;
    }
    memcpy(out, t, (size_t)n);
    out[n] = '\0';
}

static int column_bytes(sqlite3_stmt *s, int col, uint8_t *out, size_t n)
{
    const void *p = sqlite3_column_blob(s, col);
    if (!p || sqlite3_column_bytes(s, col) != (int)n)
        return -1;
    memcpy(out, p, n);
    return 0;
}

struct certs {
    struct ow_epoch_cert *v;
    size_t n;
};

/* Epoch 1 signed by the root key, each next one by the one before, one sensor. */
static int check_certs(sqlite3 *db, const uint8_t root[32], struct certs *cs,
                       struct ow_verify_result *r)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "SELECT e.id, e.sensor, e.epoch, e.public_key, e.issued_wall, "
                           "e.signature, c.seq FROM chain c JOIN epoch_certs e ON c.kind = "
                           "'epoch_cert' AND c.row_id = e.id ORDER BY c.seq", -1, &s, NULL) != SQLITE_OK)
        return db_failed(db, r, "read epoch_certs");
    int rc, result = 0;
    size_t cap = 0;
    while (result == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct ow_epoch_cert c = { 0 };
        long long id = sqlite3_column_int64(s, 0);
        column_str(s, 1, c.sensor, sizeof c.sensor);
        c.epoch = (uint64_t)sqlite3_column_int64(s, 2);
        c.issued_wall_us = (uint64_t)sqlite3_column_int64(s, 4);
        if (column_bytes(s, 3, c.public_key, 32) < 0 || column_bytes(s, 5, c.signature, 64) < 0) {
            result = found(r, "epoch_certs row %lld: a key or signature of the wrong size", id);
            break;
        }
        if (c.epoch != cs->n + 1 || (cs->n && strcmp(c.sensor, cs->v[0].sensor) != 0)) {
            result = found(r, "epoch_certs row %lld: epoch %" PRIu64 " of sensor \"%s\" where "
                           "epoch %zu was due (certificates removed or forged)", id, c.epoch,
                           c.sensor, cs->n + 1);
            break;
        }
        const uint8_t *issuer = cs->n ? cs->v[cs->n - 1].public_key : root;
        if (ow_epoch_cert_verify(&c, issuer) < 0) {
            result = found(r, "epoch_certs row %lld: the certificate of epoch %" PRIu64 " is not "
                           "signed by %s (forged, or sealed with other keys)", id, c.epoch,
                           cs->n ? "the previous epoch key" : "this root key");
            break;
        }
        if (cs->n == cap) {
            cap = cap ? 2 * cap : 64;
            struct ow_epoch_cert *more = realloc(cs->v, cap * sizeof *cs->v);
            if (!more) {
                snprintf(r->problem, sizeof r->problem, "out of memory");
                result = -1;
                break;
            }
            cs->v = more;
        }
        cs->v[cs->n++] = c;
    }
    if (result == 0 && rc != SQLITE_DONE)
        result = db_failed(db, r, "read epoch_certs");
    sqlite3_finalize(s);
    /* A store that holds no record claims nothing, sealed or not: a run killed before its
     * first commit leaves one. Emptied after a checkpoint was witnessed, --witness says so. */
    if (result == 0 && cs->n == 0 && r->head_seq > 0)
        result = found(r, "the store is not sealed: it holds no epoch certificate (made without "
                       "--keys, or its certificates were removed)");
    r->certs = cs->n;
    return result;
}

/* The hash of chain record seq (verified by the walk already). 0, 1 absent, -1. */
static int record_hash(sqlite3 *db, int64_t seq, uint8_t out[OW_HASH_LEN])
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "SELECT hash FROM chain WHERE seq = ?", -1, &s, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(s, 1, seq);
    int rc = sqlite3_step(s), result = 1;
    if (rc == SQLITE_ROW)
        result = column_bytes(s, 0, out, OW_HASH_LEN) == 0 ? 0 : 1;
    else if (rc != SQLITE_DONE)
        result = -1;
    sqlite3_finalize(s);
    return result;
}

static int check_checkpoints(sqlite3 *db, const struct certs *cs, struct ow_verify_result *r)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "SELECT k.id, k.sensor, k.epoch, k.number, k.chain_seq, k.head, "
                           "k.records, k.packet_ts, k.wall, k.reason, k.signature, c.seq, "
                           "(SELECT e.seq FROM chain e JOIN epoch_certs x ON e.kind = 'epoch_cert' "
                           "AND e.row_id = x.id WHERE x.epoch = k.epoch) FROM chain c JOIN "
                           "checkpoints k ON c.kind = 'checkpoint' AND c.row_id = k.id ORDER BY "
                           "c.seq", -1, &s, NULL) != SQLITE_OK)
        return db_failed(db, r, "read checkpoints");
    int rc, result = 0;
    uint64_t prev_epoch = 0, prev_seq = 0;
    while (result == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct ow_checkpoint cp = { 0 };
        long long id = sqlite3_column_int64(s, 0);
        column_str(s, 1, cp.sensor, sizeof cp.sensor);
        cp.epoch = (uint64_t)sqlite3_column_int64(s, 2);
        cp.number = (uint64_t)sqlite3_column_int64(s, 3);
        cp.chain_seq = (uint64_t)sqlite3_column_int64(s, 4);
        cp.records = (uint64_t)sqlite3_column_int64(s, 6);
        cp.packet_us = (uint64_t)sqlite3_column_int64(s, 7);
        cp.wall_us = (uint64_t)sqlite3_column_int64(s, 8);
        column_str(s, 9, cp.reason, sizeof cp.reason);
        int64_t own = sqlite3_column_int64(s, 11);
        int64_t cert_seq = sqlite3_column_type(s, 12) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 12);
        if (column_bytes(s, 5, cp.head, 32) < 0 || column_bytes(s, 10, cp.signature, 64) < 0) {
            result = found(r, "checkpoints row %lld: a head or signature of the wrong size", id);
            break;
        }
        if (cp.epoch == 0 || cp.epoch > cs->n || cert_seq < 0 || cert_seq > own) {
            result = found(r, "checkpoint #%" PRIu64 " (row %lld): signed in epoch %" PRIu64
                           ", which has no earlier certificate in the store", cp.number, id,
                           cp.epoch);
            break;
        }
        if (strcmp(cp.sensor, cs->v[0].sensor) != 0 ||
            ow_checkpoint_verify(&cp, cs->v[cp.epoch - 1].public_key) < 0) {
            result = found(r, "checkpoint #%" PRIu64 " (row %lld, epoch %" PRIu64 "): its "
                           "signature does not verify (the checkpoint was changed or forged)",
                           cp.number, id, cp.epoch);
            break;
        }
        uint8_t h[OW_HASH_LEN] = { 0 };
        int hr = cp.chain_seq ? record_hash(db, (int64_t)cp.chain_seq, h) : 0;
        if (hr < 0) {
            result = db_failed(db, r, "read chain");
            break;
        }
        if (hr == 1 || memcmp(h, cp.head, OW_HASH_LEN) != 0) {
            char hex[OW_HASH_HEX_LEN];
            ow_hex(cp.head, OW_HASH_LEN, hex);
            result = found(r, "checkpoint #%" PRIu64 " (epoch %" PRIu64 ") signed chain record #%"
                           PRIu64 " with hash %s, but the chain's record #%" PRIu64 " is not that "
                           "one: records up to it were rewritten (the chain was recomputed)",
                           cp.number, cp.epoch, cp.chain_seq, hex, cp.chain_seq);
            break;
        }
        if (cp.number != r->checkpoints + 1 || cp.epoch < prev_epoch ||
            cp.chain_seq < prev_seq || cp.records != cp.chain_seq ||
            (int64_t)cp.chain_seq >= own) {
            result = found(r, "checkpoint #%" PRIu64 " (row %lld): out of sequence (checkpoint "
                           "#%" PRIu64 " was due; checkpoints removed or reordered)", cp.number,
                           id, r->checkpoints + 1);
            break;
        }
        prev_epoch = cp.epoch;
        prev_seq = cp.chain_seq;
        r->checkpoints++;
        r->have_checkpoint = 1;
        r->last_checkpoint = cp;
        r->last_checkpoint_record = own;
    }
    if (result == 0 && rc != SQLITE_DONE)
        result = db_failed(db, r, "read checkpoints");
    sqlite3_finalize(s);
    if (result == 0 && !r->have_checkpoint && r->head_seq > 0)
        result = found(r, "the store holds %lld records and no checkpoint: nothing in it is "
                       "sealed (checkpoints removed)", (long long)r->head_seq);
    return result;
}

/* A run that ended is sealed by the checkpoint made in the same transaction; a run end no
 * checkpoint covers was appended afterwards. */
static int check_runs_sealed(sqlite3 *db, struct ow_verify_result *r)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "SELECT row_id, seq FROM chain WHERE kind = 'run_end' AND seq > ? "
                           "ORDER BY seq LIMIT 1", -1, &s, NULL) != SQLITE_OK)
        return db_failed(db, r, "read chain");
    sqlite3_bind_int64(s, 1, r->have_checkpoint ? (int64_t)r->last_checkpoint.chain_seq : 0);
    int rc = sqlite3_step(s), result = 0;
    if (rc == SQLITE_ROW)
        result = found(r, "runs row %lld (chain #%lld): the run ended but no checkpoint seals "
                       "its end (records appended after the last checkpoint)",
                       (long long)sqlite3_column_int64(s, 0), (long long)sqlite3_column_int64(s, 1));
    else if (rc != SQLITE_DONE)
        result = db_failed(db, r, "read chain");
    sqlite3_finalize(s);
    return result;
}

static int check_witness(sqlite3 *db, const char *path, struct ow_verify_result *r)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        snprintf(r->problem, sizeof r->problem, "witness %s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM checkpoints WHERE number = ? AND sensor = ? AND "
                           "epoch = ? AND chain_seq = ? AND head = ? AND records = ? AND "
                           "packet_ts = ? AND wall = ? AND reason = ? AND signature = ?", -1, &s,
                           NULL) != SQLITE_OK) {
        fclose(f);
        return db_failed(db, r, "read checkpoints");
    }
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t n;
    int result = 0;
    while (result == 0 && (n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (n > 0 && line[n - 1] == '\n')
            line[--n] = '\0';
        struct ow_checkpoint cp;
        struct ow_epoch_cert cert;
        int kind = ow_witness_line_parse(line, (size_t)n, &cp, &cert);
        if (kind < 0) {
            result = found(r, "witness %s line %zu: not a checkpoint or certificate line", path,
                           lineno);
            break;
        }
        if (kind != 1)
            continue;
        sqlite3_bind_int64(s, 1, (int64_t)cp.number);
        sqlite3_bind_text(s, 2, cp.sensor, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, (int64_t)cp.epoch);
        sqlite3_bind_int64(s, 4, (int64_t)cp.chain_seq);
        sqlite3_bind_blob(s, 5, cp.head, OW_HASH_LEN, SQLITE_STATIC);
        sqlite3_bind_int64(s, 6, (int64_t)cp.records);
        sqlite3_bind_int64(s, 7, (int64_t)cp.packet_us);
        sqlite3_bind_int64(s, 8, (int64_t)cp.wall_us);
        sqlite3_bind_text(s, 9, cp.reason, -1, SQLITE_STATIC);
        sqlite3_bind_blob(s, 10, cp.signature, OW_ED25519_SIG_LEN, SQLITE_STATIC);
        int rc = sqlite3_step(s);
        sqlite3_reset(s);
        if (rc == SQLITE_ROW) {
            r->witnessed++;
        } else if (rc == SQLITE_DONE) {
            char hex[OW_HASH_HEX_LEN];
            ow_hex(cp.head, OW_HASH_LEN, hex);
            result = found(r, "witnessed checkpoint #%" PRIu64 " (epoch %" PRIu64 ", %s, chain "
                           "record #%" PRIu64 " head %.16s...) is not in the store: records were "
                           "cut or the store was replaced", cp.number, cp.epoch, cp.reason,
                           cp.chain_seq, hex);
        } else {
            result = db_failed(db, r, "read checkpoints");
        }
    }
    free(line);
    sqlite3_finalize(s);
    fclose(f);
    return result;
}

int ow_seal_verify(sqlite3 *db, const uint8_t root_key[32], const char *witness_path,
                   struct ow_verify_result *r)
{
    struct certs cs = { 0 };
    int rc = check_certs(db, root_key, &cs, r);
    if (rc == 0)
        rc = check_checkpoints(db, &cs, r);
    if (rc == 0)
        rc = check_runs_sealed(db, r);
    if (rc == 0 && witness_path)
        rc = check_witness(db, witness_path, r);
    free(cs.v);
    if (rc == 0) {
        r->unsealed_records = r->head_seq > r->last_checkpoint_record ?
            (uint64_t)(r->head_seq - r->last_checkpoint_record) : 0;
        r->seal_checked = 1;
    }
    return rc;
}

int ow_content_roots_verify(sqlite3 *db, struct ow_verify_result *r)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "SELECT run_id, root, leaves FROM content_roots ORDER BY run_id",
                           -1, &s, NULL) != SQLITE_OK)
        return db_failed(db, r, "read content_roots");
    int rc, result = 0;
    while (result == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t run = sqlite3_column_int64(s, 0), leaves = 0;
        uint8_t want[OW_HASH_LEN], got[OW_HASH_LEN];
        char err[256];
        if (column_bytes(s, 1, want, OW_HASH_LEN) < 0) {
            result = found(r, "content_roots run %lld: not a 32-byte root", (long long)run);
            break;
        }
        if (ow_content_root_compute(db, run, got, &leaves, err, sizeof err) < 0) {
            snprintf(r->problem, sizeof r->problem, "%s", err);
            result = -1;
            break;
        }
        if (memcmp(want, got, OW_HASH_LEN) != 0 || leaves != sqlite3_column_int64(s, 2))
            result = found(r, "runs row %lld: its content root does not match its flows, alerts "
                           "and evidence as stored (%lld flows now, %lld when sealed)",
                           (long long)run, (long long)leaves, (long long)sqlite3_column_int64(s, 2));
        else
            r->content_roots++;
    }
    if (result == 0 && rc != SQLITE_DONE)
        result = db_failed(db, r, "read content_roots");
    sqlite3_finalize(s);
    return result;
}
