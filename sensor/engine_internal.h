/* engine_internal.h — what the run's lifecycle (engine.c) shares with its two ways of
 * feeding packets, replay (engine_replay.c) and live capture (engine_capture.c). */
#ifndef OW_ENGINE_INTERNAL_H
#define OW_ENGINE_INTERNAL_H

#include "sensor/engine.h"

#include <errno.h>
#include <limits.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>
#include <sqlite3.h>

#include "classifiers/classifier.h"
#include "classifiers/policy/policy.h"
#include "db/content_root.h"
#include "db/run_decode.h"
#include "db/sealer.h"
#include "db/store.h"
#include "sensor/writer.h"
#include "sensor/cli_serve.h"
#include "sensor/dispatch.h"
#include "sensor/http_api.h"
#include "sensor/file_hash.h"
#include "common/private_file.h"
#include "sensor/sandbox.h"
#include "sensor/worker.h"
#include "common/alloc.h"

/* Each worker's input ring from each reader. A replay's reader waits when one is full, so
 * 8 MiB is enough. A live capture's drops the packet instead (the kernel must not stall), so
 * its rings are what absorbs the seconds when the workers get less CPU than the traffic needs
 * (the writer and other processes share the cores): 64 MiB per reader shared across the
 * workers, at least 8 MiB each; a ring's pages are all touched once it has wrapped, so this
 * is memory spent (docs/architecture.md, Performance, fifth round). */
#define IN_RING_BYTES (8u << 20)
#define IN_RING_BYTES_LIVE_PER_READER (64u << 20)
#define MAX_FRAME 262144u

struct engine {
    uint64_t decode_events[OW_DECODE_EVENT_COUNT];  /* summed over the readers at run end */
    const struct ow_engine_opts *o;
    int nworkers;
    struct ow_ndpi_module **ndpi;
    struct ow_policy *policy;
    struct ow_worker *workers;
    struct ow_ring **worker_outputs;   /* what the writer drains: each worker's output */
    struct ow_store *store;
    struct ow_writer writer;
    FILE *jsonl;
    int64_t run_id;
    bool writer_started;
    bool sealed;                  /* --keys: checkpoints, epochs, witnesses */
    struct ow_sealer sealer;
    bool start_failed;            /* a thread could not start: the run ends at once, unclean */
    bool indexes_deferred;        /* a bulk replay's flow indexes are still to be built */
    const char *input_sha256;     /* a replay's input hashes, recorded at its end */
};

uint64_t ow_engine_wall_us(void);
uint64_t ow_engine_mono_ms(void);
void ow_engine_free(struct engine *e);
int ow_engine_setup(struct engine *e, const struct ow_engine_opts *o, size_t nreaders, bool live);
int ow_engine_begin_run(struct engine *e, const struct ow_run_info *info);
int ow_engine_start_threads(struct engine *e);
int ow_engine_finish(struct engine *e, struct ow_dispatcher *const *readers, size_t nreaders,
                     uint64_t kernel_drops, bool clean);
void ow_engine_append_item(char *buf, size_t *used, const char *item);
/* The run's content root from its rows, inside the open end-of-run transaction (and the
 * deferred indexes built meanwhile). 0, or -1 with err. engine_root.c. */
int ow_engine_content_root(struct engine *e, uint8_t root[OW_HASH_LEN], int64_t *leaves,
                           char *err, size_t errlen);
int ow_engine_bad_usage(const char *cmd, const char *why);
int ow_engine_set_file_owners(const char *cmd, const struct ow_engine_opts *o,
                              struct ow_account *user, bool *switching, gid_t *group);

#endif
