/* run_decode.h — owns the run_decode_events table: why frames of a run ended their decode,
 * written once at run end, read by report, health and verify. The store knows no event list
 * of its own; names and classes come from the sensor's table. */
#ifndef OW_RUN_DECODE_H
#define OW_RUN_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct sqlite3;

/* Stores the non-zero counts[i] of events names[i] (class classes[i]) for run_id.
 * 0, or -1 with the reason in err. */
int ow_run_decode_store(struct sqlite3 *db, int64_t run_id, size_t n, const char *const names[],
                        const char *const classes[], const uint64_t counts[], char *err,
                        size_t errlen);

/* Array of {"event","class","count"}, most common first, summed over run_id or, with
 * run_id 0, over every run. NULL on error; an empty array on a store older than the table. */
json_t *ow_run_decode_json(struct sqlite3 *db, int64_t run_id);

/* The same, summed over the runs whose "id" members the JSON array runs holds (as a
 * report's runs list does). */
json_t *ow_run_decode_json_runs(struct sqlite3 *db, const json_t *runs);

/* Runs whose events do not add up to their stored packets_malformed (malformed class) and
 * packets_not_ip (unsupported and not_ip classes). Runs without any event row are taken as
 * older than the table unless their counters are zero. Returns the number of such runs
 * (the first named in err), or -1 on a read error. */
int ow_run_decode_check(struct sqlite3 *db, char *err, size_t errlen);

#endif
