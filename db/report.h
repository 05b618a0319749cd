/* report.h — `omwitness report`: what was watched over a period, how completely, which
 * authorized LI and maintenance sessions happened, every anomaly, the policy hashes, the
 * chain head and its verification, and the conclusion (docs/evidence.md "The report").
 * The report is built once as a JSON document; the HTML page is rendered from it. */
#ifndef OW_REPORT_H
#define OW_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

struct ow_store;

/* Rows listed per section (sessions, anomalies); the counts are always complete and a
 * cut list says how many it left out. */
#define OW_REPORT_LIST_MAX 10000
/* Stretches of the period no run watched, shorter than this, are not reported. */
#define OW_REPORT_UNWATCHED_MIN_US (60ll * 1000000ll)

struct ow_report_options {
    int has_from, has_to;
    int64_t from_us, to_us;          /* packet time, [from, to) */
    const char *store_path;          /* shown in the report */
    uint64_t generated_wall_us;      /* when the report was made */
    const char *keys_dir;            /* sealing keys: the store is verified against their
                                      * root.pub (NULL: evidence taken as unsealed) */
};

/* The report document; NULL with err on failure. json_decref it. */
json_t *ow_report_build(struct ow_store *st, const struct ow_report_options *o, char *err,
                        size_t errlen);

/* Writes the document as indented JSON (ASCII only). 0 or -1. */
int ow_report_write_json(const json_t *report, FILE *out);

/* Writes a standalone HTML page (inline CSS, no scripts, A4 print layout). 0 or -1. */
int ow_report_write_html(const json_t *report, FILE *out);

/* A time as the report writes it, "2026-02-10T05:30:00.123456Z" (UTC); JSON null for none
 * (us <= 0). The API's copy of a cached report restamps "generated" with it. */
json_t *ow_report_time_json(int64_t us);

#endif
