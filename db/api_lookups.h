/* api_lookups.h — the single-row lookups the HTTP routes and the event stream make beside
 * the listings of api_queries.h: whether a flow's packets name LI identities, what the store
 * recorded of a rule, whether evidence is stored, an alert's flow, the chain's head, and the
 * ids of alerts newer than one the stream has sent. Every statement the HTTP API runs is in
 * db/; sensor/http_*.c hold none. */
#ifndef OW_API_LOOKUPS_H
#define OW_API_LOOKUPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct sqlite3;

/* 1 when the flow's LI fields name a target or an LIID (its packets then carry them). */
int ow_api_flow_names_li(struct sqlite3 *db, int64_t flow_row);

/* What the store recorded of rule in run_id ({"kind","interface","ticket"} set on o); 1 when
 * found, 0 when not (or the store predates run rules). */
int ow_api_run_rule(struct sqlite3 *db, int64_t run_id, const char *rule, json_t *o);

/* True when packets are stored for the flow. */
bool ow_api_evidence_stored(struct sqlite3 *db, int64_t flow_row);

/* The flow row of alert id; 0 when there is no such alert. */
int64_t ow_api_alert_flow_row(struct sqlite3 *db, int64_t alert_id);

/* The chain's last record: its seq and hash in hex ("" and 0 for an empty chain). 0, or -1
 * on a store error. */
int ow_api_chain_head(struct sqlite3 *db, int64_t *seq, char *hex, size_t hexlen);

/* The highest alert id (0: none). */
int64_t ow_api_last_alert_id(struct sqlite3 *db);

/* The ids of alerts after a given one, oldest first, read by a statement prepared once per
 * stream. */
struct ow_alert_poll;
struct ow_alert_poll *ow_alert_poll_open(struct sqlite3 *db);
/* Up to max ids after `after` into ids; the count, or -1 on a store error. */
int ow_alert_poll_ids(struct ow_alert_poll *p, int64_t after, int64_t *ids, int max);
void ow_alert_poll_close(struct ow_alert_poll *p);

#endif
