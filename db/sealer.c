/* sealer.c — the running side of sealing: certificate import, checkpoints, epochs. */
#include "db/sealer.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "db/store.h"

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int fail(struct ow_sealer *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct ow_sealer *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
    s->failed = true;
    return -1;
}

int ow_sealer_open(struct ow_sealer *s, const char *keys_dir, const char *witness_path,
                   const char *syslog_path, unsigned epoch_seconds, unsigned heartbeat_seconds)
{
    memset(s, 0, sizeof *s);
    s->witness.fd = s->witness.syslog_fd = -1;
    char err[512];
    if (ow_keydir_load(&s->keys, keys_dir, err, sizeof err) < 0)
        return fail(s, "%s", err);
    if (ow_witness_open(&s->witness, witness_path, syslog_path, err, sizeof err) < 0) {
        ow_keydir_free(&s->keys);
        return fail(s, "%s", err);
    }
    s->epoch_ms = (uint64_t)(epoch_seconds ? epoch_seconds : OW_EPOCH_SECONDS_DEFAULT) * 1000u;
    uint64_t hb = heartbeat_seconds ? heartbeat_seconds : OW_HEARTBEAT_SECONDS_DEFAULT;
    s->heartbeat_ms = hb * 1000u < s->epoch_ms ? hb * 1000u : s->epoch_ms;
    return 0;
}

struct cert_ctx {
    const struct ow_epoch_cert *c;
};

static int64_t insert_cert(sqlite3 *db, int64_t tail_seq, const uint8_t tail_head[32], void *arg)
{
    (void)tail_seq;
    (void)tail_head;
    const struct ow_epoch_cert *c = ((struct cert_ctx *)arg)->c;
    sqlite3_stmt *q = NULL;
    int64_t id = -1;
    if (sqlite3_prepare_v2(db, "INSERT INTO epoch_certs (sensor, epoch, public_key, issued_wall, "
                           "signature) VALUES (?, ?, ?, ?, ?)", -1, &q, NULL) == SQLITE_OK) {
        sqlite3_bind_text(q, 1, c->sensor, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 2, (int64_t)c->epoch);
        sqlite3_bind_blob(q, 3, c->public_key, sizeof c->public_key, SQLITE_STATIC);
        sqlite3_bind_int64(q, 4, (int64_t)c->issued_wall_us);
        sqlite3_bind_blob(q, 5, c->signature, sizeof c->signature, SQLITE_STATIC);
        if (sqlite3_step(q) == SQLITE_DONE)
            id = sqlite3_last_insert_rowid(db);
    }
    sqlite3_finalize(q);
    return id;
}

static int store_cert(struct ow_sealer *s, struct ow_store *st, const struct ow_epoch_cert *c)
{
    struct cert_ctx ctx = { c };
    if (ow_store_add_chained(st, OW_CHAIN_EPOCH_CERT, insert_cert, &ctx) < 0)
        return fail(s, "cannot store the certificate of epoch %" PRIu64 ": %s", c->epoch,
                    ow_store_errmsg(st));
    return 0;
}

/* The store's certificates must be a prefix of the key directory's: a store sealed by
 * another sensor's keys is not mixed with these. */
static int store_certs_known(struct ow_sealer *s, struct ow_store *st, uint64_t *have)
{
    sqlite3_stmt *q = NULL;
    *have = 0;
    if (sqlite3_prepare_v2(ow_store_handle(st), "SELECT sensor, epoch, public_key FROM "
                           "epoch_certs ORDER BY id", -1, &q, NULL) != SQLITE_OK)
        return fail(s, "cannot read the store's certificates: %s",
                    sqlite3_errmsg(ow_store_handle(st)));
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *sensor = (const char *)sqlite3_column_text(q, 0);
        uint64_t epoch = (uint64_t)sqlite3_column_int64(q, 1);
        const void *pub = sqlite3_column_blob(q, 2);
        if (epoch != *have + 1 || epoch > s->keys.ncerts || !sensor ||
            strcmp(sensor, s->keys.sensor) != 0 || sqlite3_column_bytes(q, 2) != 32 ||
            memcmp(pub, s->keys.certs[epoch - 1].public_key, 32) != 0) {
            sqlite3_finalize(q);
            return fail(s, "the store is sealed with other keys than %s (its certificate %"
                        PRIu64 " is not this key directory's)", s->keys.dir, *have + 1);
        }
        (*have)++;
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return fail(s, "cannot read the store's certificates");
    return 0;
}

int ow_sealer_begin(struct ow_sealer *s, struct ow_store *st)
{
    uint64_t have = 0;
    if (store_certs_known(s, st, &have) < 0)
        return -1;
    for (uint64_t e = have + 1; e <= s->keys.ncerts; e++)
        if (store_cert(s, st, &s->keys.certs[e - 1]) < 0)
            return -1;
    sqlite3_stmt *q = NULL;
    s->next_number = 1;
    if (sqlite3_prepare_v2(ow_store_handle(st), "SELECT coalesce(max(number), 0) FROM checkpoints",
                           -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
        s->next_number = (uint64_t)sqlite3_column_int64(q, 0) + 1;
    sqlite3_finalize(q);
    /* A new key for every run: the run's records are signed by a key no earlier run had. */
    struct ow_epoch_cert c;
    char err[512];
    if (ow_keydir_rotate(&s->keys, wall_us(), &c, err, sizeof err) < 0)
        return fail(s, "%s", err);
    json_t *line = ow_epoch_cert_json(&c);
    ow_witness_write(&s->witness, line);
    json_decref(line);
    if (store_cert(s, st, &c) < 0)
        return -1;
    s->epoch_started_ms = s->last_checkpoint_ms = mono_ms();
    return 0;
}

struct cp_ctx {
    struct ow_sealer *s;
    struct ow_checkpoint cp;
};

static int64_t insert_checkpoint(sqlite3 *db, int64_t tail_seq, const uint8_t tail_head[32],
                                 void *arg)
{
    struct cp_ctx *c = arg;
    struct ow_checkpoint *cp = &c->cp;
    cp->chain_seq = cp->records = (uint64_t)tail_seq;
    memcpy(cp->head, tail_head, OW_HASH_LEN);
    if (ow_checkpoint_sign(cp, c->s->keys.secret) < 0)
        return -1;
    sqlite3_stmt *q = NULL;
    int64_t id = -1;
    if (sqlite3_prepare_v2(db, "INSERT INTO checkpoints (sensor, epoch, number, chain_seq, head, "
                           "records, packet_ts, wall, reason, signature) VALUES "
                           "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &q, NULL) == SQLITE_OK) {
        sqlite3_bind_text(q, 1, cp->sensor, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 2, (int64_t)cp->epoch);
        sqlite3_bind_int64(q, 3, (int64_t)cp->number);
        sqlite3_bind_int64(q, 4, (int64_t)cp->chain_seq);
        sqlite3_bind_blob(q, 5, cp->head, OW_HASH_LEN, SQLITE_STATIC);
        sqlite3_bind_int64(q, 6, (int64_t)cp->records);
        sqlite3_bind_int64(q, 7, (int64_t)cp->packet_us);
        sqlite3_bind_int64(q, 8, (int64_t)cp->wall_us);
        sqlite3_bind_text(q, 9, cp->reason, -1, SQLITE_STATIC);
        sqlite3_bind_blob(q, 10, cp->signature, OW_ED25519_SIG_LEN, SQLITE_STATIC);
        if (sqlite3_step(q) == SQLITE_DONE)
            id = sqlite3_last_insert_rowid(db);
    }
    sqlite3_finalize(q);
    return id;
}

static void witness_checkpoint(struct ow_sealer *s, const struct ow_checkpoint *cp)
{
    json_t *line = ow_checkpoint_json(cp);
    if (line)
        ow_witness_write(&s->witness, line);
    json_decref(line);
}

int ow_sealer_checkpoint(struct ow_sealer *s, struct ow_store *st, const char *reason)
{
    struct cp_ctx c = { .s = s };
    memcpy(c.cp.sensor, s->keys.sensor, sizeof c.cp.sensor);
    c.cp.epoch = s->keys.epoch;
    c.cp.number = s->next_number;
    c.cp.packet_us = s->packet_us;
    c.cp.wall_us = wall_us();
    snprintf(c.cp.reason, sizeof c.cp.reason, "%s", reason);
    bool in_batch = !sqlite3_get_autocommit(ow_store_handle(st));
    if (ow_store_add_chained(st, OW_CHAIN_CHECKPOINT, insert_checkpoint, &c) < 0)
        return fail(s, "cannot store checkpoint %" PRIu64 ": %s", c.cp.number,
                    ow_store_errmsg(st));
    s->next_number++;
    s->last_checkpoint_ms = mono_ms();
    if (in_batch) {
        s->pending = c.cp;
        s->have_pending = true;
    } else {
        witness_checkpoint(s, &c.cp);
    }
    return 0;
}

void ow_sealer_committed(struct ow_sealer *s)
{
    if (s->have_pending)
        witness_checkpoint(s, &s->pending);
    s->have_pending = false;
}

bool ow_sealer_due(const struct ow_sealer *s)
{
    uint64_t now = mono_ms();
    return now - s->last_checkpoint_ms >= s->heartbeat_ms || now - s->epoch_started_ms >= s->epoch_ms;
}

int ow_sealer_tick(struct ow_sealer *s, struct ow_store *st)
{
    uint64_t now = mono_ms();
    if (now - s->epoch_started_ms >= s->epoch_ms) {
        /* The epoch's last word is signed by its own key, then that key is replaced. */
        if (ow_sealer_checkpoint(s, st, "epoch_end") < 0)
            return -1;
        struct ow_epoch_cert c;
        char err[512];
        if (ow_keydir_rotate(&s->keys, wall_us(), &c, err, sizeof err) < 0)
            return fail(s, "%s", err);
        json_t *line = ow_epoch_cert_json(&c);
        ow_witness_write(&s->witness, line);
        json_decref(line);
        s->epoch_started_ms = now;
        return store_cert(s, st, &c);
    }
    if (now - s->last_checkpoint_ms >= s->heartbeat_ms)
        return ow_sealer_checkpoint(s, st, "heartbeat");
    return 0;
}

int ow_sealer_retire(struct ow_sealer *s)
{
    struct ow_epoch_cert c;
    char err[512];
    if (ow_keydir_rotate(&s->keys, wall_us(), &c, err, sizeof err) < 0)
        return fail(s, "%s", err);
    json_t *line = ow_epoch_cert_json(&c);
    ow_witness_write(&s->witness, line);
    json_decref(line);
    return 0;
}

void ow_sealer_close(struct ow_sealer *s)
{
    ow_witness_close(&s->witness);
    ow_keydir_free(&s->keys);
}
