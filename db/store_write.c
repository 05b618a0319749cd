/* store_write.c — the writer's side of the store: runs, flows and their ends, alerts,
 * progress, evidence packets and run rules, each row chained in the transaction that
 * writes it. */
#include "db/store_internal.h"

#include "db/flow_values.h"

#include "common/anomaly_kinds.h"

/* ---- writer -------------------------------------------------------------------------- */

static int writable(struct ow_store *st)
{
    if (!st)
        return 0;
    if (st->readonly) {
        ow_store_set_err(st, "store opened read-only");
        return 0;
    }
    return 1;
}

int64_t ow_store_clamp_i64(uint64_t v)
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

/* Runs a prepared statement whose parameters are all bound before every step, and resets
 * it; the bindings stay (clearing them costs a release per parameter, 66 for a flow). */
static int step_bound(struct ow_store *st, sqlite3_stmt *s, const char *what)
{
    int rc = sqlite3_step(s);
    if (rc != SQLITE_DONE)
        ow_store_db_err(st, what);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Runs a prepared statement that returns no rows and resets it. */
static int step_done(struct ow_store *st, sqlite3_stmt *s, const char *what)
{
    int rc = sqlite3_step(s);
    int ok = rc == SQLITE_DONE;
    if (!ok)
        ow_store_db_err(st, what);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return ok ? 0 : -1;
}

/* One atomic unit of writes: a savepoint inside the open batch, or else a transaction of its
 * own, taken with BEGIN IMMEDIATE so that reading the chain's tail and appending to it cannot
 * interleave with another writer. A unit that fails leaves neither rows nor chain records. */
struct unit {
    int own;
    int light;          /* in a batch without a savepoint: undone by undo_unit */
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
    ow_chain_hold(&st->chain, 0);
    ow_store_set_err(st, "the open batch was rolled back by SQLite after an error (%s)",
            sqlite3_errmsg(st->db));
    return 1;
}

/* Part of the batch can no longer be kept or undone (held chain records lost in a failed
 * flush, or a unit whose undo failed): the whole batch is rolled back, and nothing more is
 * written until the writer commits and hears of it. The error already set says why. */
static void lose_batch(struct ow_store *st)
{
    char why[sizeof st->errmsg];
    memcpy(why, st->errmsg, sizeof why);
    ow_store_set_err(st, "%s; the batch was rolled back", why);
    sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    st->in_batch = 0;
    st->batch_lost = 1;
    ow_chain_forget(&st->chain);
    ow_chain_hold(&st->chain, 0);
    st->chain.held_lost = 0;
}

/* Inserts the chain records held so far in the batch, before a savepoint or the commit;
 * a failure loses the batch. */
static int flush_chain(struct ow_store *st, const char *what)
{
    if (ow_chain_flush(&st->chain) == 0)
        return 0;
    ow_store_set_err(st, "%s: %s", what, st->chain.err);
    lose_batch(st);
    return -1;
}

static int unit_begin(struct ow_store *st, struct unit *u, const char *what)
{
    if (st->batch_lost || batch_gone(st)) {
        ow_store_set_err(st, "%s: the open batch was lost after an error; nothing is written until it "
                "is committed", what);
        return -1;
    }
    u->light = 0;
    u->own = !st->in_batch;
    if (u->own) {
        if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
            return ow_store_db_err(st, what);
        ow_chain_forget(&st->chain);
    } else if (flush_chain(st, what) < 0 || step_done(st, st->savepoint, what) < 0) {
        return -1;
    }
    u->loaded = st->chain.loaded;
    u->seq = st->chain.seq;
    memcpy(u->head, st->chain.head, OW_HASH_LEN);
    return 0;
}

/* A flow's unit, or a flow end's, inside a batch takes no savepoint: a savepoint copies
 * every page the unit touches for the first time into its statement journal, and the flow's
 * row, its indexes and the chain touch many (a third of the writer's time in a replay,
 * docs/architecture.md). Each statement is still atomic on its own; a failure after the
 * first is undone by deleting the unit's rows (undo_unit), and where even that fails, the
 * batch is given up. Its chain records are held (ow_chain_hold), so undoing them is
 * mostly dropping them from memory. */
static int unit_begin_light(struct ow_store *st, struct unit *u, const char *what)
{
    if (!st->in_batch || st->batch_lost || batch_gone(st))
        return unit_begin(st, u, what);
    int64_t seq;
    uint8_t head[OW_HASH_LEN];
    if (ow_chain_tail(&st->chain, &seq, head) < 0) {
        ow_store_set_err(st, "%s: %s", what, st->chain.err);
        return -1;
    }
    u->own = 0;
    u->light = 1;
    u->loaded = 1;
    u->seq = seq;
    memcpy(u->head, head, OW_HASH_LEN);
    return 0;
}

static int step_undo(sqlite3_stmt *s, int64_t v)
{
    sqlite3_bind_int64(s, 1, v);
    int ok = sqlite3_step(s) == SQLITE_DONE;
    sqlite3_reset(s);
    return ok;
}

/* Undoes a flow's light unit that failed: its chain records, and (flow_row > 0) its flow
 * row with its alerts. */
static void undo_unit(struct ow_store *st, struct unit *u, int64_t flow_row)
{
    char why[sizeof st->errmsg];
    memcpy(why, st->errmsg, sizeof why);
    if (st->batch_lost)
        return;         /* a failed flush of held records has rolled it all back */
    if (batch_gone(st)) {
        ow_store_set_err(st, "%s; and SQLite rolled the whole batch back", why);
        return;
    }
    int ok = step_undo(st->undo_chain, u->seq);
    if (flow_row > 0)
        ok = ok && step_undo(st->undo_alerts, flow_row) && step_undo(st->undo_flow, flow_row);
    ow_chain_rewind(&st->chain, u->loaded, u->seq, u->head);
    if (!ok) {
        /* Part of the unit may still be there: nothing of this batch may be kept. */
        ow_store_set_err(st, "%s; undoing it failed too (%s)", why, sqlite3_errmsg(st->db));
        lose_batch(st);
        return;
    }
    memcpy(st->errmsg, why, sizeof why);
}

/* Ends the unit: kept when ok, else undone (and the error already set is kept). */
static int unit_end(struct ow_store *st, struct unit *u, int ok, const char *what)
{
    if (u->light)
        return ok ? 0 : -1;     /* the caller has undone a failure (undo_unit) */
    if (u->own) {
        if (ok && sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
            return 0;
        if (ok)
            ow_store_db_err(st, what);
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        ow_chain_forget(&st->chain);
        return -1;
    }
    if (ok && step_done(st, st->release, what) == 0)
        return 0;
    if (st->batch_lost)
        return -1;      /* a failed flush in the unit rolled the whole batch back */
    char why[sizeof st->errmsg];
    memcpy(why, st->errmsg, sizeof why);
    sqlite3_step(st->rollback_to);
    sqlite3_reset(st->rollback_to);
    sqlite3_step(st->release);
    sqlite3_reset(st->release);
    ow_chain_rewind(&st->chain, u->loaded, u->seq, u->head);
    if (batch_gone(st))
        ow_store_set_err(st, "%s; and SQLite rolled the whole batch back", why);
    return -1;
}

/* A failed append inside a batch may have been a flush of records held for earlier units
 * (c->held_lost): then the batch is lost, and the unit's undo finds it so. */
static int chain_failed(struct ow_store *st)
{
    ow_store_set_err(st, "%s", st->chain.err);
    if (st->chain.held_lost)
        lose_batch(st);
    return -1;
}

static int chain_append(struct ow_store *st, int kind, int64_t row_id, uint8_t *out)
{
    return ow_chain_append(&st->chain, kind, row_id, out) < 0 ? chain_failed(st) : 0;
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
    sqlite3_bind_int64(s, 8, ow_store_clamp_i64(info->started_wall_us));
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
        sqlite3_bind_int64(s, idx++, ow_store_clamp_i64(values[i]));
    sqlite3_bind_int(s, idx++, stats->clean_end ? 1 : 0);
    sqlite3_bind_int64(s, idx++, ow_store_clamp_i64(wall_clock_us()));
    sqlite3_bind_int64(s, idx, run_id);
    int ok = step_done(st, s, "end run") == 0;
    if (ok && sqlite3_changes(st->db) != 1) {
        ow_store_set_err(st, "end run: no open run %lld", (long long)run_id);
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

/* The input's hashes are known only once the replay has read every byte (sensor/
 * engine_replay.c); the run record, chained at the start, holds '' for them. */
int ow_store_set_run_input(struct ow_store *st, int64_t run_id, const char *sha256)
{
    struct unit u;
    if (!writable(st) || !sha256 || unit_begin(st, &u, "record the input's hash") < 0)
        return -1;
    sqlite3_stmt *s = NULL;
    int ok = sqlite3_prepare_v2(st->db, "UPDATE runs SET input_sha256 = ? WHERE id = ? AND "
                                "input_sha256 IS NULL AND ended_wall IS NULL", -1, &s,
                                NULL) == SQLITE_OK;
    if (!ok)
        ow_store_db_err(st, "record the input's hash");
    if (ok) {
        bind_str(s, 1, sha256);
        sqlite3_bind_int64(s, 2, run_id);
        ok = step_done(st, s, "record the input's hash") == 0;
    }
    if (ok && sqlite3_changes(st->db) != 1) {
        ow_store_set_err(st, "record the input's hash: no open run %lld without one",
                         (long long)run_id);
        ok = 0;
    }
    sqlite3_finalize(s);
    ok = ok && chain_append(st, OW_CHAIN_RUN_INPUT, run_id, NULL) == 0;
    return unit_end(st, &u, ok, "record the input's hash");
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
        ow_store_set_err(st, "%s", st->chain.err);
    if (ok && (row = insert(st->db, seq, head, ctx)) <= 0) {
        ow_store_db_err(st, "seal");
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
        ow_store_set_err(st, "begin batch: a batch is already open");
        return -1;
    }
    if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return ow_store_db_err(st, "begin batch");
    st->in_batch = 1;
    /* Another process may have appended since our last transaction. */
    ow_chain_forget(&st->chain);
    st->chain.held_lost = 0;
    ow_chain_hold(&st->chain, 1);
    return 0;
}

void ow_store_rollback_batch(struct ow_store *st)
{
    if (!writable(st) || !st->in_batch)
        return;
    sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    st->in_batch = 0;
    st->batch_lost = 0;
    ow_chain_forget(&st->chain);
    ow_chain_hold(&st->chain, 0);
}

/* A failed COMMIT is rolled back so the writer can carry on with the next batch; the
 * caller counts the lost rows. */
int ow_store_commit_batch(struct ow_store *st)
{
    if (!writable(st))
        return -1;
    if (st->batch_lost) {
        st->batch_lost = 0;
        ow_store_set_err(st, "commit batch: the batch had been rolled back after an error");
        return -1;
    }
    if (!st->in_batch) {
        ow_store_set_err(st, "commit batch: no batch open");
        return -1;
    }
    if (flush_chain(st, "commit batch") < 0) {
        st->batch_lost = 0;     /* heard of now */
        return -1;
    }
    st->in_batch = 0;
    ow_chain_forget(&st->chain);
    ow_chain_hold(&st->chain, 0);
    if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        ow_store_db_err(st, "commit batch");
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

static int chain_append_values(struct ow_store *st, int kind, int64_t row_id,
                               const struct ow_chain_value *v, int n)
{
    return ow_chain_append_values(&st->chain, kind, row_id, v, n, NULL) < 0 ? chain_failed(st) : 0;
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
    sqlite3_bind_int64(s, 3, ow_store_clamp_i64(r->decided_ts_us ? r->decided_ts_us : r->first_ts_us));
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
static int add_flow(struct ow_store *st, int64_t run_id, const struct ow_flow_record *rec,
                    const struct ow_flow_record *end, struct ow_stored_flow *ids);

int ow_store_add_flow_ids(struct ow_store *st, int64_t run_id, const struct ow_flow_record *rec,
                          struct ow_stored_flow *ids)
{
    return add_flow(st, run_id, rec, NULL, ids);
}

int ow_store_add_flow_ended(struct ow_store *st, int64_t run_id,
                            const struct ow_flow_record *verdict, const struct ow_flow_record *end,
                            struct ow_stored_flow *ids)
{
    if (!writable(st))
        return -1;
    if (!verdict || !end || !verdict->open || end->open) {
        ow_store_set_err(st, "add ended flow: needs an open verdict record and an end");
        return -1;
    }
    return add_flow(st, run_id, verdict, end, ids);
}

/* rec's columns; with end (rec then open), end's END_COLUMNS go into the same row, stored as
 * the verdict record and its later end would have left it. */
static int add_flow(struct ow_store *st, int64_t run_id, const struct ow_flow_record *rec,
                    const struct ow_flow_record *end, struct ow_stored_flow *ids)
{
    struct ow_stored_flow got = {0, 0, 0};
    struct unit u = { 0 };
    if (ids)
        *ids = got;
    if (!writable(st) || !rec || unit_begin_light(st, &u, "add flow") < 0)
        return -1;

    int ok = 0;
    struct ow_flow_values fv;
    ow_flow_values(&fv, run_id, rec);
    if (end)
        ow_flow_end_values(fv.v + 1 + FC_COUNT, end);
    ow_bind_changed(st->insert_flow, 1, fv.v, st->flow_bound, OW_FLOW_VALUES);
    if (step_bound(st, st->insert_flow, "insert flow") < 0)
        goto done;
    got.flow_row = sqlite3_last_insert_rowid(st->db);
    if (chain_append_values(st, OW_CHAIN_FLOW, got.flow_row, fv.v, 1 + FC_COUNT) < 0 ||
        add_assets_all(st, got.flow_row, rec) < 0 ||
        ((!rec->open || end) && chain_append_values(st, OW_CHAIN_FLOW_END, got.flow_row,
                                           fv.v + 1 + FC_COUNT, END_COLUMN_COUNT) < 0))
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
    if (!ok && u.light)
        undo_unit(st, &u, got.flow_row);
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
 * row's flow_end record. Inside a batch the unit takes no savepoint, as a flow's does, and
 * its record is held: the append can then fail only in a flush of held records, which has
 * lost the batch (and an UPDATE that failed changed nothing). */
int ow_store_end_flow(struct ow_store *st, int64_t flow_row, const struct ow_flow_record *rec)
{
    struct unit u = { 0 };
    if (!writable(st) || !rec || unit_begin_light(st, &u, "end flow") < 0)
        return -1;
    sqlite3_stmt *s = st->end_flow;
    struct ow_chain_value v[END_COLUMN_COUNT];
    ow_flow_end_values(v, rec);
    ow_bind_values(s, 1, v, END_COLUMN_COUNT);
    sqlite3_bind_int64(s, 1 + END_COLUMN_COUNT, flow_row);
    int ok = step_done(st, s, "end flow") == 0;
    if (ok && sqlite3_changes(st->db) != 1) {
        ow_store_set_err(st, "end flow: no open flow row %lld", (long long)flow_row);
        ok = 0;
    }
    if (ok && chain_append_values(st, OW_CHAIN_FLOW_END, flow_row, v, END_COLUMN_COUNT) < 0) {
        ok = 0;
        if (u.light && !st->batch_lost)
            lose_batch(st);     /* not a flush (a wrong value count): an end not chained */
    }
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
    sqlite3_bind_int64(s, 2, ow_store_clamp_i64(wall_clock_us()));
    if (p->first_ts_us) {
        sqlite3_bind_int64(s, 3, ow_store_clamp_i64(p->first_ts_us));
        sqlite3_bind_int64(s, 4, ow_store_clamp_i64(p->last_ts_us));
    } else {
        sqlite3_bind_null(s, 3);
        sqlite3_bind_null(s, 4);
    }
    const uint64_t values[] = { p->packets, p->bytes, p->kernel_drops, p->internal_drops,
                                p->gaps, p->flows };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
        sqlite3_bind_int64(s, 5 + (int)i, ow_store_clamp_i64(values[i]));
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
        ow_store_set_err(st, "evidence for flow row %lld: %zu bytes is over the %u-byte limit",
                (long long)flow_row, len, (unsigned)OW_EVIDENCE_MAX_BYTES);
        return -1;
    }
    char why[160];
    uint32_t counted = 0, linktype = 0;
    if (ow_pcap_image_check(pcap, len, &counted, &linktype, why, sizeof why) < 0) {
        ow_store_set_err(st, "evidence for flow row %lld: %s", (long long)flow_row, why);
        return -1;
    }
    if (counted != packets) {
        ow_store_set_err(st, "evidence for flow row %lld: %u packets announced, %u in the image",
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
