/* cli_tables.h — how `omwitness alerts` and `omwitness flows` print stored rows: EVE lines
 * or terminal tables sized to their content, with every stored text made terminal-safe. */
#ifndef OW_CLI_TABLES_H
#define OW_CLI_TABLES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "db/listing.h"
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

/* Reader side: prints flows (optionally only one verdict status name) in EVE JSON lines or
 * as a table for terminals. Returns the number printed, or -1 on error. */
long ow_store_print_flows(struct ow_store *st, FILE *out, enum ow_output_format fmt,
                          const char *verdict_filter);

/* Prints alerts with id > *last_id_inout and ts >= since_us (0 = all), oldest id first, as
 * EVE alert lines or a table (its header comes with the first alert printed while
 * *last_id_inout is still 0, so polling never repeats it); sets *last_id_inout to the
 * highest id printed, so `alerts --follow` can poll. Returns the number printed, or -1. */
long ow_store_print_alerts(struct ow_store *st, FILE *out, enum ow_output_format fmt,
                           uint64_t since_us, int64_t *last_id_inout);

#endif
