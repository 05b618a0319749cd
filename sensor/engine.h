/* engine.h — one run of the capture engine: loads the policy, starts the workers and the
 * writer, feeds them from pcap files (replay) or live interfaces (capture), and records the
 * run with its coverage counters. Returns the process exit code (README.md "Using it"). */
#ifndef OW_ENGINE_H
#define OW_ENGINE_H

#include <stdbool.h>
#include <stddef.h>

#include "classifiers/ndpi_flow.h"

struct ow_engine_opts {
    const char *db_path;
    const char *policy_path;      /* NULL: every flow unevaluated */
    const char *jsonl_path;       /* NULL: none; "-": stdout */
    int threads;
    size_t max_flows;             /* whole engine; split across workers */
    uint64_t evidence_mb;         /* evidence packets kept per run (MiB); 0 = default 1024 */
    uint32_t evidence_packets;    /* per anomalous flow; 0 = default 1000 */
    uint32_t evidence_kb;         /* per anomalous flow (KiB); 0 = default 2048 */
    struct ow_ndpi_config ndpi;
    bool progress;                /* progress on stderr (only when it is a terminal) */
    /* capture only */
    bool promisc;
    int buffer_mb;
    int snaplen;
    unsigned gap_seconds;         /* silence on an interface longer than this is a gap (default 300) */
    const char *listen;           /* serve the web UI and API while capturing; NULL = no */
    const char *tokens_path;      /* --tokens for --listen (NULL: a one-time login token) */
    const char *tls_cert_path;    /* --tls-cert/--tls-key for --listen */
    const char *tls_key_path;
    const char *webui_dir;        /* NULL: ow_http_default_webui() */
    const char *user;             /* --user: run as this user once everything is open */
    /* both commands */
    const char *keys_dir;         /* sealing keys (keys init); NULL: unsealed */
    const char *witness_path;     /* --witness FILE: checkpoints appended as JSON lines */
    bool witness_syslog;          /* --witness-syslog: checkpoints to /dev/log too */
    unsigned epoch_seconds;       /* a new epoch key this often (default 900) */
    unsigned heartbeat_seconds;   /* a checkpoint at least this often (default 60) */
    const char *group;            /* --group: files 0640 for this group (else 0600) */
    const char *sensor;           /* --sensor: the sensor's name (runs.sensor, EVE host) */
    unsigned progress_seconds;    /* capture: a progress record every N s (default 60) */
};

int ow_engine_replay(const struct ow_engine_opts *o, char *const *files, int nfiles);
int ow_engine_capture(const struct ow_engine_opts *o, char *const *ifaces, int nifaces);

#endif
