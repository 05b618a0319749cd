/* eve_json.h — a flow record as one EVE-style JSON line (docs/store.md "EVE JSON lines"). */
#ifndef OW_EVE_JSON_H
#define OW_EVE_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/flow_record.h"

/* Writes the flow record as one line of JSON ending in '\n' (event_type "flow"). Strings
 * from the wire are escaped. Returns 0, or -1 on a write error. */
int ow_eve_write_flow(FILE *out, const struct ow_flow_record *rec);

/* The same line into a malloc'd string (caller frees), without the trailing newline. */
char *ow_eve_flow_string(const struct ow_flow_record *rec);

/* "2026-02-10T05:30:00.000000+0000" for a time in microseconds since the epoch (UTC). */
void ow_eve_timestamp(uint64_t ts_us, char *buf, size_t buflen);

/* Writes an alert on the flow as one JSON line (event_type "alert"): the common fields, an
 * `alert` object in Suricata's shape {action, gid, signature_id, rev, signature, category,
 * severity (1..3), rule} plus ours {id, kind, severity_name, reason} from rec->verdict,
 * `assets` {src, dest}, and the flow's flow/ndpi/li/ssh/tls/http/dns objects. 0, or -1. */
int ow_eve_write_alert(FILE *out, const struct ow_flow_record *rec, int64_t alert_id);

/* The alert line into a malloc'd string (caller frees), without the trailing newline. */
char *ow_eve_alert_string(const struct ow_flow_record *rec, int64_t alert_id);

/* What a line says about where it came from, beyond the record: the run's sensor, capture
 * interface and site, and for an alert its current triage. Members may be NULL or "" (left
 * out). The functions without _ctx write none of them. */
struct ow_triage_state;
struct ow_eve_context {
    const char *host;                        /* the sensor's name */
    const char *in_iface;                    /* the live capture's interface */
    const char *site;                        /* the policy's site */
    const struct ow_triage_state *triage;    /* alerts: NULL or never triaged = no triage */
};

char *ow_eve_flow_string_ctx(const struct ow_flow_record *rec, const struct ow_eve_context *ctx);
char *ow_eve_alert_string_ctx(const struct ow_flow_record *rec, int64_t alert_id,
                              const struct ow_eve_context *ctx);
int ow_eve_write_flow_ctx(FILE *out, const struct ow_flow_record *rec,
                          const struct ow_eve_context *ctx);
int ow_eve_write_alert_ctx(FILE *out, const struct ow_flow_record *rec, int64_t alert_id,
                           const struct ow_eve_context *ctx);

/* nDPI 4.2's name for risk bit i (ndpi_risk2str of ndpi_risk_enum i), NULL for bit 0
 * (no risk) and bits nDPI 4.2 does not define. db/ keeps its own table so it need not
 * link nDPI; tests/db checks the table against libndpi. */
#define OW_NDPI_RISK_BITS 42
const char *ow_ndpi_risk_name(unsigned bit);

/* Copies at most srclen bytes of src into dst as valid UTF-8: every byte that does not
 * start a well-formed UTF-8 sequence becomes U+FFFD. Stops at NUL. Returns the length
 * written (dst is always NUL-terminated; dstlen >= 1). */
size_t ow_utf8_sanitize(char *dst, size_t dstlen, const char *src, size_t srclen);

#endif
