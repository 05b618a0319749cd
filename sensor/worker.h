/* worker.h — a worker thread: owns a flow table and an nDPI module, reads packets from one
 * ring per reader, classifies flows (nDPI, LI), evaluates the policy once a classification
 * is final, and hands finished flows to the writer through its output ring. */
#ifndef OW_WORKER_H
#define OW_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sensor/flow_table.h"
#include "sensor/messages.h"
#include "sensor/ring.h"

struct ow_ndpi_module;
struct ow_policy;

#define OW_LOST_KEYS 64

/* An open flow as the web UI lists it (/api/flows?state=open): its counters so far. */
struct ow_open_flow {
    uint64_t flow_id;
    uint64_t first_ts_us, last_ts_us;
    struct ow_endpoint client, server;
    uint8_t l4_proto;
    uint8_t state;                   /* enum ow_flow_state */
    uint8_t verdict_status;          /* enum ow_verdict_status; classified only */
    uint8_t classified;
    uint64_t pkts_toserver, pkts_toclient, bytes_toserver, bytes_toclient;
    char app_proto[64];
    char verdict_kind[32];
    char community_id[40];
};

/* Each worker's open flows, copied at its clock tick (once a second, not per packet) while
 * someone has asked for them lately; the HTTP thread reads them under the same mutex. */
#define OW_OPEN_SNAPSHOT_MAX 512
struct ow_open_snapshot {
    pthread_mutex_t lock;
    uint64_t taken_us;               /* packet time of the copy; 0: none yet */
    size_t n;
    size_t total;                    /* open flows in the table then */
    struct ow_open_flow items[OW_OPEN_SNAPSHOT_MAX];
};

struct ow_worker_config {
    size_t max_flows;        /* per worker */
    uint64_t evidence_budget;  /* bytes of evidence packets per worker and run; 0 = none */
    uint32_t evidence_flow_packets;   /* per anomalous flow; 0 = OW_EVIDENCE_FLOW_PKTS */
    uint32_t evidence_flow_bytes;     /* per anomalous flow; 0 = OW_EVIDENCE_FLOW_BYTES */
    bool open_snapshot;               /* keep a copy of the open flows for the web UI */
};

struct ow_worker {
    int index;
    pthread_t thread;
    struct ow_ring *in;      /* one per reader */
    size_t n_in;
    bool *in_ended;          /* worker-private: which readers have sent OW_MSG_END */
    struct ow_ring out;      /* to the writer */
    struct ow_msg_flow msg;  /* the flow message being made, packed onto out when sent */
    struct ow_ndpi_module *ndpi;
    const struct ow_policy *policy;
    struct ow_flow_table table;
    uint64_t evidence_budget, evidence_used;
    uint32_t evidence_flow_packets, evidence_flow_bytes;

    bool started;            /* its thread runs (ow_worker_start succeeded) */

    /* Flows whose packet was lost because no memory was left for them: when such a flow
     * shows up again it is missing its start, so it is stored unjudged, never with a verdict
     * built on a partial view (a missed SYN turns client and server round). Fixed size, so
     * remembering needs no memory. */
    struct ow_flow_key lost_keys[OW_LOST_KEYS];
    uint64_t lost_hashes[OW_LOST_KEYS];   /* 0: free slot */
    unsigned lost_next;

    /* Read by other threads only after join, or approximately for the health page. */
    _Atomic uint64_t flows_started;
    _Atomic uint64_t flows_unclassified;   /* classifier state could not be allocated */
    _Atomic uint64_t packets_lost;         /* no memory for a new flow: the packet is lost */
    _Atomic uint64_t evidence_lost;        /* alerts whose packets are incomplete (no memory) */
    _Atomic uint64_t flows_evicted;
    _Atomic uint64_t active_flows;

    struct ow_open_snapshot *open;   /* NULL: not kept */
    _Atomic uint64_t open_wanted_until_us;   /* packet time until which to keep copying */
};

/* The worker's own thread, at a tick: refreshes the copy ow_worker_open_flows reads, if it
 * was asked for lately (worker_open.c). */
void ow_worker_publish_open(struct ow_worker *w, uint64_t now_us);

/* Copies up to max of worker w's open flows, as of its latest tick, and asks it to keep
 * copying for a while (the first call may find none yet). Returns the count copied; *total
 * gets the worker's open flows then. Any thread. */
size_t ow_worker_open_flows(struct ow_worker *w, struct ow_open_flow *out, size_t max,
                            size_t *total);

/* The ring this worker's finished flows leave by (records of sensor/messages.h), for the
 * writer to drain; and the ring reader `reader` hands it packets by. The only ways other
 * stages reach a worker's queues. */
struct ow_ring *ow_worker_output(struct ow_worker *w);
struct ow_ring *ow_worker_input(struct ow_worker *w, size_t reader);

/* Sets up rings and table (n_in input rings of in_ring_bytes each). */
int ow_worker_init(struct ow_worker *w, int index, size_t n_in, size_t in_ring_bytes,
                   const struct ow_worker_config *cfg, struct ow_ndpi_module *ndpi,
                   const struct ow_policy *policy);
/* 0, or the error number when the thread could not start. */
int ow_worker_start(struct ow_worker *w);
/* For a worker whose thread could not start: tells the writer it is done, so a run whose
 * start failed half-way still ends cleanly. Only before the writer joins. */
void ow_worker_never_started(struct ow_worker *w);
/* Waits for a started worker; nothing for one that never started. */
void ow_worker_join(struct ow_worker *w);
void ow_worker_destroy(struct ow_worker *w);

/* Idle timeouts (seconds) by class, and the active timeout after which a long flow is
 * reported in slices. */
extern const uint32_t ow_idle_timeout_s[OW_TC_COUNT];
#define OW_ACTIVE_TIMEOUT_S 3600u
/* verdict.kind of a flow whose classifier state could not be allocated (verdict status
 * unevaluated): recorded, counted, never judged. */
#define OW_CLASSIFICATION_FAILED "classification_failed"
/* Packets after which a flow's LI inspection stops (it decides on what it has). */
#define OW_LI_MAX_PACKETS 80u

#endif
