/* sealer.h — sealing a running sensor's store (docs/evidence.md "Sealing"): at a run's
 * start the store gets every epoch certificate it lacks and a fresh epoch key; checkpoints
 * are signed and chained at the run's start, as heartbeats, at each epoch's end and at the
 * run's end; each is copied to the witnesses once committed; after the run's end the key
 * that signed it is rotated away, so nothing left on the host can re-sign that run. The
 * main thread uses it before the writer starts and after it stops; the writer in between. */
#ifndef OW_SEALER_H
#define OW_SEALER_H

#include <stdbool.h>
#include <stdint.h>

#include "db/checkpoint.h"
#include "db/seal_keys.h"
#include "db/witness.h"

struct ow_store;

#define OW_EPOCH_SECONDS_DEFAULT 900
#define OW_HEARTBEAT_SECONDS_DEFAULT 60

struct ow_sealer {
    struct ow_keydir keys;
    struct ow_witness witness;
    uint64_t epoch_ms, heartbeat_ms;     /* wall-time epoch length, heartbeat period */
    uint64_t epoch_started_ms;           /* monotonic */
    uint64_t last_checkpoint_ms;
    uint64_t next_number;
    uint64_t packet_us;                  /* newest packet time the writer has stored */
    bool have_pending;
    struct ow_checkpoint pending;        /* made in an open batch; witnessed after commit */
    bool failed;
    char err[512];
};

/* Loads the keys and opens the witnesses (before privileges are dropped). 0, or -1 with
 * s->err. */
int ow_sealer_open(struct ow_sealer *s, const char *keys_dir, const char *witness_path,
                   const char *syslog_path, unsigned epoch_seconds, unsigned heartbeat_seconds);

/* Before the run's first row: certificates the store lacks, a new epoch key. 0 or -1. */
int ow_sealer_begin(struct ow_sealer *s, struct ow_store *st);

/* Signs and chains a checkpoint of the chain as it stands. Outside a batch it is committed
 * and witnessed at once; inside one it is witnessed by ow_sealer_committed. 0 or -1. */
int ow_sealer_checkpoint(struct ow_sealer *s, struct ow_store *st, const char *reason);
void ow_sealer_committed(struct ow_sealer *s);

/* The writer's timer: a heartbeat checkpoint when one is due, and at an epoch's end a
 * checkpoint, a new key and its certificate. Call outside a batch. true when it wrote. */
bool ow_sealer_due(const struct ow_sealer *s);
int ow_sealer_tick(struct ow_sealer *s, struct ow_store *st);

/* After the run's final checkpoint is committed: the key that signed the run is replaced
 * (its certificate goes to the key directory and the witnesses; the next run chains it). */
int ow_sealer_retire(struct ow_sealer *s);

void ow_sealer_close(struct ow_sealer *s);

#endif
