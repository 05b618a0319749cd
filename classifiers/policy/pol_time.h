/* pol_time.h — RFC 3339 timestamps <-> microseconds since the Unix epoch (UTC), for policy
 * windows. Named apart from sensor/timefmt.h, which links into the same binary. */
#ifndef OW_POL_TIME_H
#define OW_POL_TIME_H

#include <stddef.h>
#include <stdint.h>

/* Parses "2026-02-10T01:00:00Z", "2026-02-10T03:00:00.5+02:00" ... (seconds required,
 * 'T'/'t'/' ' separator, 'Z'/'z' or a ±HH:MM offset, up to 9 fraction digits kept to the
 * microsecond). Returns 0, or -1 when text is not such a time or names no real date. */
int ow_pol_time_parse(const char *text, int64_t *us);

/* Writes "2026-02-10T01:00:00Z" (whole seconds, UTC); returns buf. */
const char *ow_pol_time_format(int64_t us, char *buf, size_t buflen);

/* Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t ow_pol_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
