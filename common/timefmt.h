/* timefmt.h — RFC 3339 timestamps <-> microseconds since the Unix epoch (UTC): policy windows,
 * --since/--from/--to, reasons and reports all read and write times through here. */
#ifndef OW_TIMEFMT_H
#define OW_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* Parses "2026-02-10T01:00:00Z", "2026-02-10T03:00:00.5+02:00" ... (seconds required,
 * 'T'/'t'/' ' separator, 'Z'/'z' or a ±HH:MM offset, up to 9 fraction digits kept to the
 * microsecond). Returns 0, or -1 when text is not such a time or names no real date. */
int ow_rfc3339_parse(const char *text, int64_t *us);

/* Writes "2026-02-10T01:00:00Z" (whole seconds, UTC); returns buf. */
const char *ow_rfc3339_format(int64_t us, char *buf, size_t buflen);

#endif
