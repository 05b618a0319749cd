/* timefmt.h — RFC 3339 times to and from microseconds since the epoch (UTC). */
#ifndef OW_TIMEFMT_H
#define OW_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* Parses "2026-02-10T01:00:00Z", "...T01:00:00.5+02:00", "2026-02-10 01:00:00-05:30".
 * Returns 0, or -1 when text is not such a time (every field range-checked). */
int ow_rfc3339_parse(const char *text, int64_t *us_out);

/* "2026-02-10T05:30:00Z" (seconds precision, UTC). */
void ow_rfc3339_format(int64_t us, char *buf, size_t buflen);

#endif
