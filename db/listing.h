/* listing.h — `omwitness alerts` and `omwitness flows`: the stored alerts and flows a filter
 * selects (the API's filters, db/query_filter.h), printed as EVE lines or as a table for a
 * terminal whose columns are as wide as what they hold. Table cells are terminal-safe: every
 * control character, escape sequence and bidirectional override shows as '?'. */
#ifndef OW_LISTING_H
#define OW_LISTING_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "db/query_filter.h"
#include "db/store.h"

struct ow_list_style {
    enum ow_output_format fmt;
    bool wide;                   /* table: nothing cut, reasons whole */
    unsigned width;              /* table: the line's width; the reason column takes what is
                                  * left (0: no limit) */
    bool header;                 /* table: print the header line, also when nothing matches */
    bool fixed_widths;           /* table: typical widths instead of content widths, for
                                  * rows printed as they arrive (--follow) */
};

/* Prints the alerts q selects. q->limit 0: all, in order (OW_SORT_TIME: oldest first,
 * OW_SORT_ID: by id, for polling); q->limit N: the N newest, oldest first (the set the API
 * answers for limit=N). *max_id (may be NULL) gets the highest id q selects, for polling
 * after it. Returns the number printed, or -1 with ow_store_errmsg-like text in err. */
long ow_list_alerts(struct ow_store *st, FILE *out, const struct ow_alert_query *q, int order,
                    const struct ow_list_style *style, int64_t *max_id, char *err,
                    size_t errlen);

/* Prints the flows q selects, oldest first; q->limit N: the N newest, oldest first. */
long ow_list_flows(struct ow_store *st, FILE *out, const struct ow_flow_query *q,
                   const struct ow_list_style *style, char *err, size_t errlen);

/* Copies src into dst as terminal-safe UTF-8 of at most width characters (see above). */
const char *ow_term_safe(const char *src, size_t width, char *dst, size_t dstlen);

#endif
