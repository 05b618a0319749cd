/* chain_facts.h — what verify's chain walk learns about the rows as it passes them, so that
 * the checks after it need not scan the tables again: how many records of each kind name a
 * row (coverage), which runs had ended when a row of theirs was chained (rows appended after
 * a run's end), and which flows have an end or a list of assets set and which were chained
 * (set but never chained). A fact only ever clears a check: where the walk cannot be sure
 * (an id beyond what it tracks, a row it has not passed, a value that is not an integer), the
 * check runs its query, which also names the row. */
#ifndef OW_CHAIN_FACTS_H
#define OW_CHAIN_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "db/hash_chain.h"

/* Ids 1..limit, one bit each, grown as ids come; an id beyond limit is not tracked. */
struct ow_idset {
    uint64_t *bits;
    size_t words;
    bool overflow;            /* an id beyond limit (or memory) was set: the set is partial */
};

struct ow_chain_facts {
    bool complete;            /* the walk went through the whole chain with no finding */
    int64_t limit;            /* the largest id tracked now: grows with the records walked */
    uint64_t records[OW_CHAIN_KIND_COUNT];  /* records walked, per kind */
    struct ow_idset run_ended;              /* runs whose run_end the walk has passed */
    uint32_t *flow_run;                     /* each walked flow's run id (0: not known) */
    size_t flow_run_len;
    struct ow_idset flow_end_set, flow_end_chained;
    struct ow_idset flow_assets_set, flow_assets_chained;
    bool after_end_suspect;   /* a row may have been chained after its run's end */
};

/* The extras the flow scan must select (ow_chain_scan): whether the flow's end columns and
 * its lists of assets are set. has_end/has_assets: the store has those columns. */
const char *ow_chain_facts_flow_extra(bool has_end, bool has_assets);

/* Ids are tracked up to 4 times the records walked so far plus 65,536: a store's ids are
 * dense, a hostile one's need not be, and the memory stays in proportion to the chain
 * actually read whatever ids or seq numbers the file claims. */
void ow_chain_facts_init(struct ow_chain_facts *f);
void ow_chain_facts_free(struct ow_chain_facts *f);

/* A record the walk hashed and found matching: kind, its row, and the scan standing on the
 * row with the column of its first extra (ow_chain_scan_row; s NULL when there is none,
 * which makes the facts unsure). */
void ow_chain_facts_record(struct ow_chain_facts *f, int kind, int64_t row, sqlite3_stmt *s,
                           int extra_col);

/* true: the walk proves no row was chained after its run's end. */
bool ow_chain_facts_after_end_clear(const struct ow_chain_facts *f);

/* true: every flow with its end set (assets: its lists of assets set) had that record in
 * the chain. Meaningful only once coverage holds (every flow row was walked). */
bool ow_chain_facts_flow_ends_clear(const struct ow_chain_facts *f);
bool ow_chain_facts_flow_assets_clear(const struct ow_chain_facts *f);

#endif
