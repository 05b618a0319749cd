/* chain_facts.c — the facts verify's chain walk gathers on its way (see chain_facts.h). The
 * walk reads every chained row anyway; noting a bit or a run id per row there costs far
 * less than the four table scans it replaces (about 0.8 s of 1.8 s on a 434k-flow store,
 * docs/architecture.md "Performance"). */
#include "db/chain_facts.h"

#include <stdlib.h>
#include <string.h>

#define END_SET_SQL                                                                           \
    "(end_ts IS NOT NULL OR end_pkts_toserver IS NOT NULL OR end_pkts_toclient IS NOT NULL " \
    "OR end_bytes_toserver IS NOT NULL OR end_bytes_toclient IS NOT NULL OR "                \
    "end_later_fragments IS NOT NULL OR ended_reason IS NOT NULL OR end_overrun IS NOT NULL " \
    "OR decided_ts IS NOT NULL)"
#define ASSETS_SET_SQL \
    "(verdict_asset_src_all IS NOT NULL OR verdict_asset_dest_all IS NOT NULL)"

const char *ow_chain_facts_flow_extra(bool has_end, bool has_assets)
{
    /* Always two extras, so their positions do not depend on the schema. */
    if (has_end && has_assets)
        return END_SET_SQL ", " ASSETS_SET_SQL;
    if (has_end)
        return END_SET_SQL ", 0";
    if (has_assets)
        return "0, " ASSETS_SET_SQL;
    return "0, 0";
}

/* Grows s to hold id (words doubling, never past limit): false when it cannot. */
static bool idset_reach(struct ow_idset *s, int64_t id, int64_t limit)
{
    if (id < 1 || id > limit)
        return false;
    size_t need = (size_t)(id / 64) + 1;
    if (need <= s->words)
        return true;
    size_t most = (size_t)(limit / 64) + 1, words = s->words ? s->words : 1024;
    while (words < need)
        words *= 2;
    if (words > most)
        words = most;
    uint64_t *more = realloc(s->bits, words * sizeof *more);
    if (!more)
        return false;
    memset(more + s->words, 0, (words - s->words) * sizeof *more);
    s->bits = more;
    s->words = words;
    return true;
}

static void idset_set(struct ow_idset *s, int64_t id, int64_t limit)
{
    if (!idset_reach(s, id, limit)) {
        s->overflow = true;
        return;
    }
    s->bits[id / 64] |= (uint64_t)1 << (id % 64);
}

/* 1 in the set, 0 not, -1 not known (an id the set could not hold was set). */
static int idset_has(const struct ow_idset *s, int64_t id)
{
    if (id >= 1 && (uint64_t)(id / 64) < s->words && (s->bits[id / 64] >> (id % 64)) & 1)
        return 1;
    return s->overflow ? -1 : 0;
}

#define TRACKED_PER_RECORD 4
#define TRACKED_AT_LEAST 65536

void ow_chain_facts_init(struct ow_chain_facts *f)
{
    memset(f, 0, sizeof *f);
    f->limit = TRACKED_AT_LEAST;
}

void ow_chain_facts_free(struct ow_chain_facts *f)
{
    free(f->run_ended.bits);
    free(f->flow_run);
    free(f->flow_end_set.bits);
    free(f->flow_end_chained.bits);
    free(f->flow_assets_set.bits);
    free(f->flow_assets_chained.bits);
    memset(f, 0, sizeof *f);
}

static void flow_run_set(struct ow_chain_facts *f, int64_t flow, int64_t run)
{
    if (flow < 1 || flow > f->limit || run < 1 || run > UINT32_MAX)
        return;     /* left unknown: whoever asks is unsure */
    if ((size_t)flow >= f->flow_run_len) {
        size_t len = f->flow_run_len ? f->flow_run_len : 65536;
        while (len <= (size_t)flow)
            len *= 2;
        if (len > (size_t)f->limit + 1)
            len = (size_t)f->limit + 1;
        uint32_t *more = realloc(f->flow_run, len * sizeof *more);
        if (!more)
            return;
        memset(more + f->flow_run_len, 0, (len - f->flow_run_len) * sizeof *more);
        f->flow_run = more;
        f->flow_run_len = len;
    }
    f->flow_run[flow] = (uint32_t)run;
}

static int64_t flow_run_get(const struct ow_chain_facts *f, int64_t flow)
{
    return flow >= 1 && (size_t)flow < f->flow_run_len ? f->flow_run[flow] : 0;
}

/* A row of run is chained now: after the run's end, or not sure, makes the check look. */
static void chained_in_run(struct ow_chain_facts *f, int64_t run)
{
    if (run < 1 || idset_has(&f->run_ended, run) != 0)
        f->after_end_suspect = true;
}

/* The integer in column col, or 0 when it holds anything else (never a row id). */
static int64_t int_column(sqlite3_stmt *s, int col)
{
    return sqlite3_column_type(s, col) == SQLITE_INTEGER ? sqlite3_column_int64(s, col) : 0;
}

static void record_flow(struct ow_chain_facts *f, int64_t row, sqlite3_stmt *s, int extras)
{
    if (!s || extras < 1 || sqlite3_column_count(s) < extras + 2) {
        f->after_end_suspect = true;
        f->flow_end_set.overflow = f->flow_assets_set.overflow = true;
        return;
    }
    int64_t run = int_column(s, 1);
    chained_in_run(f, run);
    flow_run_set(f, row, run);
    if (sqlite3_column_int(s, extras))
        idset_set(&f->flow_end_set, row, f->limit);
    if (sqlite3_column_int(s, extras + 1))
        idset_set(&f->flow_assets_set, row, f->limit);
}

void ow_chain_facts_record(struct ow_chain_facts *f, int kind, int64_t row, sqlite3_stmt *s,
                           int extra_col)
{
    if (kind < 0 || kind >= OW_CHAIN_KIND_COUNT)
        return;
    f->records[kind]++;
    f->limit += TRACKED_PER_RECORD;
    switch (kind) {
    case OW_CHAIN_RUN_END:
        idset_set(&f->run_ended, row, f->limit);
        break;
    case OW_CHAIN_RUN_INPUT:
        chained_in_run(f, row);
        break;
    case OW_CHAIN_FLOW:
        record_flow(f, row, s, extra_col);
        break;
    case OW_CHAIN_FLOW_END:
        idset_set(&f->flow_end_chained, row, f->limit);
        chained_in_run(f, flow_run_get(f, row));
        break;
    case OW_CHAIN_FLOW_ASSETS:
        idset_set(&f->flow_assets_chained, row, f->limit);
        break;
    case OW_CHAIN_ALERT:
    case OW_CHAIN_RUN_RULE:     /* both have run_id first */
        chained_in_run(f, s ? int_column(s, 1) : 0);
        break;
    case OW_CHAIN_EVIDENCE:     /* flow_row first: the run is its flow's */
        chained_in_run(f, s ? flow_run_get(f, int_column(s, 1)) : 0);
        break;
    default:
        break;
    }
}

bool ow_chain_facts_after_end_clear(const struct ow_chain_facts *f)
{
    return f->complete && !f->after_end_suspect;
}

/* Every id in set is in chained. */
static bool all_chained(const struct ow_idset *set, const struct ow_idset *chained)
{
    if (set->overflow || chained->overflow)
        return false;
    for (size_t w = 0; w < set->words; w++) {
        uint64_t have = w < chained->words ? chained->bits[w] : 0;
        if (set->bits[w] & ~have)
            return false;
    }
    return true;
}

bool ow_chain_facts_flow_ends_clear(const struct ow_chain_facts *f)
{
    return f->complete && all_chained(&f->flow_end_set, &f->flow_end_chained);
}

bool ow_chain_facts_flow_assets_clear(const struct ow_chain_facts *f)
{
    return f->complete && all_chained(&f->flow_assets_set, &f->flow_assets_chained);
}
