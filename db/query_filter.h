/* query_filter.h — the filters of alert and flow lists, turned into SQL once for every reader:
 * the HTTP API (db/api_queries.c) and the CLI (db/listing.c) build the same WHERE clause from
 * the same struct, so `alerts --ip X` and `/api/alerts?ip=X` cannot disagree. The SQL is made
 * of constant fragments; every value is bound. */
#ifndef OW_QUERY_FILTER_H
#define OW_QUERY_FILTER_H

#include "common/anomaly_kinds.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sqlite3;
struct sqlite3_stmt;

#define OW_API_MAX_CHOICES 8

/* --- a WHERE clause with its bound values ----------------------------------------------- */

#define OW_WHERE_MAX_BINDS 32

struct ow_where {
    char sql[1024];              /* "" or " WHERE a AND b ..." */
    size_t len;
    int n;
    struct {
        bool is_text;
        int64_t i;
        const char *s;
    } v[OW_WHERE_MAX_BINDS];
    bool overflow;               /* too many terms: refuse the query */
};

void ow_where_add(struct ow_where *w, const char *fragment);   /* ANDed */
void ow_where_int(struct ow_where *w, int64_t i);
void ow_where_text(struct ow_where *w, const char *s);
/* "col IN (?,?,?)" for a list of names. */
void ow_where_in(struct ow_where *w, const char *col, const char *const *names, int count);
/* Binds the values to parameters first, first + 1 ... */
int ow_where_bind(struct sqlite3_stmt *st, const struct ow_where *w, int first);

/* --- alerts ------------------------------------------------------------------------------ */

/* Sort orders of alert lists; newest first is the default. */
enum ow_alert_sort {
    OW_SORT_TIME_DESC = 0, OW_SORT_TIME, OW_SORT_SEVERITY_DESC, OW_SORT_SEVERITY,
    OW_SORT_KIND, OW_SORT_KIND_DESC, OW_SORT_SRC, OW_SORT_SRC_DESC, OW_SORT_DEST,
    OW_SORT_DEST_DESC, OW_SORT_ID_DESC, OW_SORT_ID, OW_SORT_TRIAGE, OW_SORT_TRIAGE_DESC,
    OW_SORT_COUNT
};
/* The names the API and CLI take ("-time", "time", "-severity" ...), NULL-terminated, in
 * enum order. */
extern const char *const ow_alert_sort_names[];

struct ow_alert_query {
    const char *severities[OW_API_MAX_CHOICES];   /* medium|high|critical */
    int nseverities;
    const char *kinds[OW_API_MAX_CHOICES];
    int nkinds;
    const char *triage[OW_API_MAX_CHOICES];       /* current status: open|acknowledged|... */
    int ntriage;
    bool has_from, has_to;
    int64_t from_us, to_us;        /* alert ts (flow start) in [from, to) */
    const char *asset;             /* NULL, or src or dest asset name equals it */
    const char *rule;              /* NULL, or the alert's rule equals it */
    const char *ip;                /* NULL, or client or server address equals it (normalised) */
    const char *community_id;      /* NULL, or the flow's Community ID equals it */
    int64_t run_id;                /* 0: every run */
    int64_t after_id;              /* 0, or only ids > after_id */
    int sort;                      /* enum ow_alert_sort */
    int64_t limit, offset;
};

/* FROM clause of alert queries: alerts a, their flow f and their current triage t (t.status
 * NULL when never triaged). has_triage: the store has the triage table. */
const char *ow_alert_from_sql(bool has_triage);
/* The WHERE clause of q (over a, f, t). */
void ow_alert_where(const struct ow_alert_query *q, struct ow_where *w);
/* ORDER BY terms for a sort (always ending in a unique key, so pages never overlap). */
const char *ow_alert_order_sql(int sort);

/* --- flows ------------------------------------------------------------------------------- */

struct ow_flow_query {
    const char *ip;                /* NULL, or client or server address equals it (normalised) */
    int64_t port;                  /* -1, or client or server port equals it */
    const char *app;               /* NULL, or app_proto / nDPI app / master equals it (any case) */
    const char *verdicts[OW_API_MAX_CHOICES];
    int nverdicts;
    const char *community_id;
    const char *asset;             /* NULL, or the client's or server's asset equals it */
    int64_t l4_proto;              /* -1: any */
    bool has_from, has_to;
    int64_t from_us, to_us;        /* flow start in [from, to) */
    int64_t run_id;
    int64_t limit, offset;
};

/* The WHERE clause of q over the flows table (unprefixed columns). */
void ow_flow_where(const struct ow_flow_query *q, struct ow_where *w);

/* --- values shared by the parsers of the API and the CLI --------------------------------- */

/* ow_severity_names and ow_alert_kind_names come from common/anomaly_kinds.h. */
extern const char *const ow_verdict_names[];    /* authorized ... unevaluated, NULL */

/* An address as the store writes it (what inet_ntop gives back). 0, or -1 if not one. */
int ow_normalise_ip(const char *in, char *out, size_t outlen);

/* Splits a comma list into names of choices (pointers into choices); -1 with a message
 * naming what for an unknown word or too many. Returns the count. */
int ow_parse_choices(const char *text, const char *const *choices, const char **out, int max,
                     const char *what, char *err, size_t errlen);

#endif
