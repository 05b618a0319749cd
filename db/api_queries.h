/* api_queries.h — the read-only queries behind the HTTP API, each answering with a jansson
 * object ready to send. Filters arrive validated (sensor/http_params.c); the SQL is built
 * from fixed fragments and every value is a bound parameter. Wire strings are made valid
 * UTF-8 before they enter JSON. */
#ifndef OW_API_QUERIES_H
#define OW_API_QUERIES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/query_filter.h"

struct sqlite3;

/* {"total": N, "offset": o, "limit": l, "alerts": [...]}, newest first. */
json_t *ow_api_alerts(struct sqlite3 *db, const struct ow_alert_query *q, char *err, size_t errlen);

/* Alerts grouped by (kind, client address, server address) with count, first and last time,
 * highest severity, assets, how many are still open and up to OW_API_GROUP_IDS ids (newest
 * first): {"total", "offset", "limit", "groups": [...]}. sort: an index of
 * ow_group_sort_names. */
#define OW_API_GROUP_IDS 500
extern const char *const ow_group_sort_names[];
json_t *ow_api_alert_groups(struct sqlite3 *db, const struct ow_alert_query *q, int sort,
                            char *err, size_t errlen);

/* {"total", "offset", "limit", "flows": [...]}, newest first. */
json_t *ow_api_flows(struct sqlite3 *db, const struct ow_flow_query *q, char *err, size_t errlen);

/* {"runs": [...]} newest first, every column of the runs table. */
json_t *ow_api_runs(struct sqlite3 *db, char *err, size_t errlen);

/* {"rules": [{rule, kind?, hits, alerts}], "runs": [{run_id, rule, hits}],
 *  "maintenance": [{rule, ticket, flows, first_us, last_us, overrun}], "outside_window": [...]}
 * run_id 0: every run. Rules named in policy_rules (id, kind pairs; may be NULL) are listed
 * even without hits. */
struct ow_api_window { int64_t start_us, end_us; };

struct ow_api_rule_ref {
    const char *id;
    const char *kind;
    const char *ticket;                  /* maintenance rules, "" otherwise */
    const struct ow_api_window *windows; /* planned maintenance windows */
    size_t nwindows;
};
json_t *ow_api_rules(struct sqlite3 *db, int64_t run_id, const struct ow_api_rule_ref *policy_rules,
                     size_t npolicy_rules, char *err, size_t errlen);

/* Assets: flows by verdict, alerts by severity (and still open), first and last time seen
 * and the addresses seen, per asset name that flows or alerts carry; with policy refs, also
 * each policy asset's role, vendor and addresses, including assets nothing was seen for.
 * name: only that asset (NULL: all). {"assets": [...], "policy_loaded"} by name. */
struct ow_api_asset_ref {
    const char *name, *role, *vendor, *addresses;
};
json_t *ow_api_assets(struct sqlite3 *db, const char *name, const struct ow_api_asset_ref *refs,
                      size_t nrefs, char *err, size_t errlen);

/* Up to 20 alerts {id, kind, severity} raised on a flow row, leaving out alert except_id
 * (0: none left out). */
json_t *ow_api_flow_alerts(struct sqlite3 *db, int64_t flow_row, int64_t except_id);

/* Alerts and flows per time bucket over [aq->from, aq->to); without them the stored span.
 * The alert series counts the alerts aq selects; the flow series the flows fq selects (its
 * own time range is ignored). {"from_us", "to_us", "bucket_us", "empty" (a store without
 * flows), "flows": [n...], "alerts": {"critical": [...], ...}} */
json_t *ow_api_timeline(struct sqlite3 *db, const struct ow_alert_query *aq,
                        const struct ow_flow_query *fq, int buckets, char *err, size_t errlen);

/* Counts for the page headers: flows by verdict, alerts by severity and kind, runs, the
 * schema version and which optional tables exist. */
json_t *ow_api_summary(struct sqlite3 *db, char *err, size_t errlen);

/* Whether the store has a table of that name (optional features: evidence, chain). */
bool ow_api_has_table(struct sqlite3 *db, const char *name);

/* A JSON string of a text column, made valid UTF-8 (bad bytes become U+FFFD). */
json_t *ow_api_text(const unsigned char *text, int len);

#endif
