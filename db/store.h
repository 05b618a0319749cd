/* store.h — the evidence store: one SQLite file in WAL mode, schema from numbered migrations.
 * Only the writer thread writes (ow_store_open); readers (CLI queries, HTTP API) open their
 * own read-only handles (ow_store_open_readonly). SQL takes bound parameters only. */
#ifndef OW_STORE_H
#define OW_STORE_H

#include <stdint.h>
#include <stdio.h>

#include "common/flow_record.h"

struct ow_store;

/* What a run is: one replay (of one or more files) or one live capture. */
struct ow_run_info {
    const char *kind;            /* "replay" or "capture" */
    const char *source;          /* file paths or interface names, comma-separated */
    const char *source_sha256;   /* hex SHA-256 of the file(s) for replay; "" for capture */
    const char *site;            /* policy site, "" without policy */
    const char *policy_sha256;   /* "" without policy */
    const char *version;         /* omwitness version */
    int         threads;
    uint64_t    started_wall_us; /* wall-clock time the run began */
    const char *sensor;          /* the sensor's name (EVE host); "" or NULL: the host name */
};

/* How a run went; stored when it ends. */
struct ow_run_stats {
    uint64_t first_ts_us, last_ts_us;      /* packet time span */
    uint64_t packets, bytes;
    uint64_t packets_malformed;            /* decode failed: counted, skipped */
    uint64_t packets_not_ip;
    uint64_t kernel_drops;                 /* pcap_stats ps_drop (+ ps_ifdrop) */
    uint64_t internal_drops;               /* rings full in live capture */
    uint64_t flows;
    uint64_t flows_evicted;
    uint64_t gaps;                         /* stretches of silence on a live source */
    int      clean_end;                    /* 1 when the run ended normally */
};

/* Opens (creating if needed) and migrates the store for writing. NULL on failure with a
 * one-line reason in err. */
struct ow_store *ow_store_open(const char *path, char *err, size_t errlen);

/* Opens an existing store read-only; NULL (and err) if absent or not an omwitness store. */
struct ow_store *ow_store_open_readonly(const char *path, char *err, size_t errlen);

void ow_store_close(struct ow_store *st);

/* 1 when a read-only handle reads the file as it stood at open (the store had no -wal/-shm,
 * db/store_files.h): it sees no later writes, so a long-lived reader reopens it. */
int ow_store_is_snapshot(struct ow_store *st);

/* Schema version after migrations. */
int ow_store_schema_version(struct ow_store *st);

/* Writer side. Rows go into an open transaction: begin_batch ... add ... commit_batch. */
int64_t ow_store_begin_run(struct ow_store *st, const struct ow_run_info *info);
int ow_store_begin_batch(struct ow_store *st);
int ow_store_add_flow(struct ow_store *st, int64_t run_id, const struct ow_flow_record *rec);
int ow_store_commit_batch(struct ow_store *st);
/* Gives the open batch up: everything written in it is undone. */
void ow_store_rollback_batch(struct ow_store *st);
int ow_store_end_run(struct ow_store *st, int64_t run_id, const struct ow_run_stats *stats);

/* A replay's input SHA-256 (hex, one per file, comma-separated as source_sha256 was), of the
 * bytes the replay read: set once, at the run's end, before ow_store_end_run, and chained as
 * the run's run_input record. 0, or -1. */
int ow_store_set_run_input(struct ow_store *st, int64_t run_id, const char *sha256);

/* How the command line prints stored rows (sensor/cli_tables.h). */
enum ow_output_format { OW_FMT_TABLE = 0, OW_FMT_JSONL };

struct sqlite3 *ow_store_handle(struct ow_store *st);

/* --- Errors, schema version, per-flow writes and reads. --- */

/* The last error on this handle, one line ("" if none). */
const char *ow_store_errmsg(struct ow_store *st);
/* Sets it, for callers that print the store's rows (sensor/cli_tables.c). */
void ow_store_set_err(struct ow_store *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* What one add_flow wrote: the flow's row id and the ids of the alerts it raised (0 when
 * none), so the writer can stream the alert lines with the ids users will ask for. */
struct ow_stored_flow {
    int64_t flow_row;
    int64_t alert_id;            /* the anomaly's alert */
    int64_t overrun_alert_id;    /* maintenance_overrun */
};

/* ow_store_add_flow that also reports the row ids (ids may be NULL). */
int ow_store_add_flow_ids(struct ow_store *st, int64_t run_id, const struct ow_flow_record *rec,
                          struct ow_stored_flow *ids);

/* Record model (docs/evidence.md): ow_store_add_flow_ids writes a flow whose
 * verdict is known; with rec->open it is still running (no end yet), else its end columns go
 * in with it and a flow_end record is chained right after its flow record. */

/* A flow whose end came before its verdict record was written: one row holding what the
 * verdict record and then ow_store_end_flow would have stored (verdict's columns, end's end
 * columns), chained as flow then flow_end. The writer uses it within one batch, where
 * nothing outside could have seen the open row. 0, or -1. */
int ow_store_add_flow_ended(struct ow_store *st, int64_t run_id,
                            const struct ow_flow_record *verdict, const struct ow_flow_record *end,
                            struct ow_stored_flow *ids);

/* Records the end of an open flow row: final counters, end time and reason, a late overrun,
 * the verdict's packet time; chained as flow_end. 0, or -1 (also when the row has ended). */
int ow_store_end_flow(struct ow_store *st, int64_t flow_row, const struct ow_flow_record *rec);

/* Inserts one alert on flow_row (e.g. maintenance_overrun raised after the verdict), with
 * alert's verdict as its kind, severity, rule, reason and assets and alert->decided_ts_us as
 * its time; chained. */
int ow_store_add_alert(struct ow_store *st, int64_t run_id, int64_t flow_row,
                       const struct ow_flow_record *alert, int64_t *alert_id);

/* A running capture's coverage so far (packets, bytes, drops, gaps, flows, packet-time
 * span), chained as a progress record. */
struct ow_run_stats;
int ow_store_add_progress(struct ow_store *st, int64_t run_id, const struct ow_run_stats *p);

/* The record an overrun alert is shown with: rec with its verdict turned into the
 * maintenance_overrun alert (kind, severity medium, reason); pass it to ow_eve_write_alert. */
void ow_store_overrun_view(const struct ow_flow_record *rec, struct ow_flow_record *view);

/* Loads alert alert_id: rec gets its flow with the verdict replaced by the alert's kind,
 * severity, rule, reason and assets; *flow_row (if not NULL) the flow's row id.
 * 0 found, 1 no such alert, -1 error. */
int ow_store_get_alert(struct ow_store *st, int64_t alert_id, struct ow_flow_record *rec,
                       int64_t *flow_row);

/* Loads the flow stored in row flow_row. 0 found, 1 no such row, -1 error. */
int ow_store_get_flow(struct ow_store *st, int64_t flow_row, struct ow_flow_record *rec);

/* Calls fn with every stored flow, in row order, until it returns non-zero (returned as is).
 * 0 when all were read, -1 on a store error. */
int ow_store_each_flow(struct ow_store *st, int (*fn)(const struct ow_flow_record *rec, void *ctx),
                       void *ctx);

/* --- Evidence, run rules and the hash chain (docs/evidence.md). --- */

/* The writer's page cache (PRAGMA cache_size, KiB): 64 MiB, and 8 MiB while a bulk replay
 * has its random-key indexes deferred (db/bulk_indexes.h): its pages are then appended to in
 * order, and the larger cache only filled up with pages it would not read again. */
#define OW_STORE_CACHE_KIB 65536
#define OW_STORE_BULK_CACHE_KIB 8192
/* The page size of a new store, and the WAL bytes between checkpoints (db/store_open.c). */
#define OW_STORE_PAGE_SIZE 16384
#define OW_STORE_WAL_CHECKPOINT_BYTES (16L * 1024 * 1024)

#define OW_PCAP_HEADER_LEN 24
/* The store refuses larger images; the worker's own caps are far below (1,000 packets,
 * 2 MiB per flow). */
#define OW_EVIDENCE_MAX_BYTES (64u * 1024u * 1024u)

/* Stores an anomalous flow's packets: a complete classic pcap file image (24-byte header and
 * records), checked record by record (packets must equal the records in it), with its
 * SHA-256, packets, bytes and truncated flag (1 when a cap cut it short), chained. One per
 * flow row. 0, or -1 with ow_store_errmsg. Inside a batch or on its own. */
int ow_store_add_evidence(struct ow_store *st, int64_t flow_row, const uint8_t *pcap,
                          size_t len, uint32_t packets, int truncated);

/* Records one rule of the policy a run is judged by (call once per rule after begin_run),
 * so the report can tell LI and maintenance sessions apart and show their tickets.
 * kind: li|maintenance|operations; interface: X1..HI3 for li rules, else ""; ticket may be
 * "". 0 or -1. */
int ow_store_add_run_rule(struct ow_store *st, int64_t run_id, const char *rule_id,
                          const char *kind, const char *interface, const char *ticket);

/* Checks a classic pcap image: magic (us or ns, either byte order), every record's length
 * within the image, no bytes left over. Sets packets and linktype. 0, or -1 with why. */
int ow_pcap_image_check(const uint8_t *pcap, size_t len, uint32_t *packets, uint32_t *linktype,
                        char *why, size_t whylen);

/* Loads the evidence of flow row flow_row: *pcap (malloc'd; free it) and *len. 0 found,
 * 1 none, 2 the blob does not match its stored SHA-256 (tampered), -1 error. */
int ow_store_get_evidence(struct ow_store *st, int64_t flow_row, uint8_t **pcap, size_t *len,
                          uint32_t *packets, int *truncated);

/* --- Sealing (docs/evidence.md "Sealing"). --- */

/* Writes one chained row of a sealing table in one unit (a savepoint inside an open batch,
 * else a transaction of its own): insert gets the handle and the chain's tail (the seq and
 * hash of the last record before this row) and inserts the row, returning its id (or -1);
 * the row is then chained as kind. Returns the row id, or -1 with ow_store_errmsg. */
typedef int64_t (*ow_store_insert_fn)(struct sqlite3 *db, int64_t tail_seq,
                                      const uint8_t tail_head[32], void *ctx);
int64_t ow_store_add_chained(struct ow_store *st, int kind, ow_store_insert_fn insert, void *ctx);

#endif
