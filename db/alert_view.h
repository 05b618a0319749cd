/* alert_view.h — the EVE line of a stored alert or flow as every reader prints it: the record
 * read back from the store, with its run's host, interface and site and, for an alert, its
 * current triage. The CLI, the API and the event stream all go through here, so the same
 * alert reads the same everywhere. */
#ifndef OW_ALERT_VIEW_H
#define OW_ALERT_VIEW_H

#include <stdint.h>

struct ow_store;
struct ow_run_context;

/* The alert's EVE line (malloc'd, no newline). cache (may be NULL) keeps the last run's
 * context between calls. *status: 0 found, 1 no such alert, -1 error (NULL returned unless
 * 0). flow_row and run_id (may be NULL) get the alert's. */
char *ow_alert_eve_line(struct ow_store *st, int64_t alert_id, struct ow_run_context *cache,
                        int *status, int64_t *flow_row, int64_t *run_id);

/* The flow's EVE line (malloc'd, no newline); *status as above. */
char *ow_flow_eve_line(struct ow_store *st, int64_t flow_row, struct ow_run_context *cache,
                       int *status);

#endif
