/* eve_json.h — a flow record as one EVE-style JSON line (DESIGN.md "Output"). */
#ifndef OW_EVE_JSON_H
#define OW_EVE_JSON_H

#include <stdio.h>

#include "sensor/flow_record.h"

/* Writes the flow record as one line of JSON ending in '\n' (event_type "flow"). Strings
 * from the wire are escaped. Returns 0, or -1 on a write error. */
int ow_eve_write_flow(FILE *out, const struct ow_flow_record *rec);

/* The same line into a malloc'd string (caller frees), without the trailing newline. */
char *ow_eve_flow_string(const struct ow_flow_record *rec);

/* "2026-02-10T05:30:00.000000+0000" for a time in microseconds since the epoch (UTC). */
void ow_eve_timestamp(uint64_t ts_us, char *buf, size_t buflen);

#endif
