/* run_context.h — what an EVE line says about the run it came from: the sensor's name
 * (`host`), the live capture's interface (`in_iface`) and the policy's site (`site`), read
 * from the run's row so that a line printed from the store equals the line streamed live. */
#ifndef OW_RUN_CONTEXT_H
#define OW_RUN_CONTEXT_H

#include <stdint.h>

#include "db/eve_json.h"

struct sqlite3;

struct ow_run_context {
    int64_t run_id;              /* the run loaded (0: none yet) */
    char host[256];
    char in_iface[64];
    char site[128];
};

/* Loads run run_id into *c (a no-op when c already holds it, so a caller printing many rows
 * keeps one). An unknown run leaves every member empty. 0, or -1 on a store error. */
int ow_run_context_load(struct sqlite3 *db, int64_t run_id, struct ow_run_context *c);

/* The EVE context of a loaded run (pointing into c), with triage (may be NULL). */
struct ow_eve_context ow_run_context_eve(const struct ow_run_context *c,
                                         const struct ow_triage_state *triage);

/* The sensor's name for a run: the run's recorded sensor when the store records one (a
 * `sensor` column in runs), else this machine's host name. The one place that decides what
 * EVE's `host` says. */
void ow_run_sensor_name(struct sqlite3 *db, int64_t run_id, char *out, size_t outlen);

#endif
