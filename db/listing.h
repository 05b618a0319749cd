/* listing.h — which stored alerts and flows a command-line filter selects (the API's
 * filters, db/query_filter.h), as row ids in listing order; sensor/cli_tables.h prints
 * them. */
#ifndef OW_LISTING_H
#define OW_LISTING_H

#include <stdint.h>
#include <stddef.h>

#include "db/query_filter.h"
#include "db/store.h"

/* The ids of the alerts q selects. q->limit 0: all, in order (OW_SORT_TIME: oldest first,
 * OW_SORT_ID: by id, for polling); q->limit N: the N newest, oldest first (the set the API
 * answers for limit=N). *max_id (may be NULL) gets the highest id q selects, for polling
 * after it. Returns an array of *count ids to free, or NULL with the reason in err. */
int64_t *ow_list_alert_ids(struct ow_store *st, const struct ow_alert_query *q, int order,
                           int64_t *max_id, size_t *count, char *err, size_t errlen);

/* The ids of the flows q selects, oldest first; q->limit N: the N newest, oldest first. */
int64_t *ow_list_flow_ids(struct ow_store *st, const struct ow_flow_query *q, size_t *count,
                          char *err, size_t errlen);

#endif
