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

struct sqlite3;

#define OW_API_MAX_CHOICES 8

struct ow_alert_query {
    const char *severities[OW_API_MAX_CHOICES];   /* medium|high|critical */
    int nseverities;
    const char *kinds[OW_API_MAX_CHOICES];
    int nkinds;
    bool has_from, has_to;
    int64_t from_us, to_us;        /* alert ts (flow start) in [from, to) */
    const char *asset;             /* NULL, or src or dest asset name equals it */
    const char *rule;              /* NULL, or the alert's rule equals it */
    int64_t run_id;                /* 0: every run */
    int64_t after_id;              /* 0, or only ids > after_id */
    int64_t limit, offset;
};

/* {"total": N, "offset": o, "limit": l, "alerts": [...]}, newest first. */
json_t *ow_api_alerts(struct sqlite3 *db, const struct ow_alert_query *q, char *err, size_t errlen);

struct ow_flow_query {
    const char *ip;                /* NULL, or client or server address equals it (normalised) */
    int64_t port;                  /* -1, or client or server port equals it */
    const char *app;               /* NULL, or app_proto / nDPI app / master equals it (any case) */
    const char *verdicts[OW_API_MAX_CHOICES];
    int nverdicts;
    const char *community_id;
    int64_t l4_proto;              /* -1: any */
    bool has_from, has_to;
    int64_t from_us, to_us;        /* flow start in [from, to) */
    int64_t run_id;
    int64_t limit, offset;
};

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

/* Up to 20 alerts {id, kind, severity} raised on a flow row, leaving out alert except_id
 * (0: none left out). */
json_t *ow_api_flow_alerts(struct sqlite3 *db, int64_t flow_row, int64_t except_id);

/* Alerts and flows per time bucket over [from, to); with !has_from/!has_to the stored span.
 * {"from_us", "to_us", "bucket_us", "flows": [n...], "alerts": {"critical": [...], ...}} */
json_t *ow_api_timeline(struct sqlite3 *db, bool has_from, int64_t from_us, bool has_to,
                        int64_t to_us, int buckets, char *err, size_t errlen);

/* Counts for the page headers: flows by verdict, alerts by severity and kind, runs, the
 * schema version and which optional tables exist. */
json_t *ow_api_summary(struct sqlite3 *db, char *err, size_t errlen);

/* Whether the store has a table of that name (optional features: evidence, chain). */
bool ow_api_has_table(struct sqlite3 *db, const char *name);

/* A JSON string of a text column, made valid UTF-8 (bad bytes become U+FFFD). */
json_t *ow_api_text(const unsigned char *text, int len);

#endif
