/* checkpoint.h — signed checkpoints (docs/evidence.md "Checkpoints"): what one says, the
 * bytes that are signed, and its JSON form, which is both a witness line and the report's
 * "checkpoint". Also the JSON form of epoch certificates. Parsers here take hostile input
 * (a witness file, a report) and check every field. */
#ifndef OW_CHECKPOINT_H
#define OW_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "db/ed25519.h"
#include "db/hash_chain.h"
#include "db/seal_keys.h"

#define OW_CHECKPOINT_REASON_MAX 15

struct ow_checkpoint {
    char sensor[OW_SENSOR_NAME_MAX + 1];
    uint64_t epoch;                     /* the epoch key that signs it */
    uint64_t number;                    /* 1, 2, ... in its store */
    uint64_t chain_seq;                 /* the last chain record it covers (0: none yet) */
    uint8_t head[OW_HASH_LEN];          /* that record's hash (zeros when none) */
    uint64_t records;                   /* records covered (= chain_seq: seq has no holes) */
    uint64_t packet_us;                 /* newest packet time seen */
    uint64_t wall_us;
    char reason[OW_CHECKPOINT_REASON_MAX + 1];   /* run_start heartbeat epoch_end run_end */
    uint8_t signature[OW_ED25519_SIG_LEN];
};

/* "omwitness checkpoint v1\0", u16 sensor length, sensor, u64 epoch, number, chain_seq,
 * 32-byte head, u64 records, packet_us, wall_us, u16 reason length, reason (big-endian).
 * Length, or 0 when cap is too small. */
size_t ow_checkpoint_message(const struct ow_checkpoint *cp, uint8_t *buf, size_t cap);
int ow_checkpoint_sign(struct ow_checkpoint *cp, const uint8_t secret[OW_ED25519_KEY_LEN]);
int ow_checkpoint_verify(const struct ow_checkpoint *cp, const uint8_t pub[OW_ED25519_KEY_LEN]);

/* JSON objects: {"type":"checkpoint", ...} and {"type":"epoch_cert", ...}. */
json_t *ow_checkpoint_json(const struct ow_checkpoint *cp);
json_t *ow_epoch_cert_json(const struct ow_epoch_cert *c);
/* 0, or -1 when o is not exactly such an object (every field present, typed, in range). */
int ow_checkpoint_from_json(const json_t *o, struct ow_checkpoint *cp);
int ow_epoch_cert_from_json(const json_t *o, struct ow_epoch_cert *c);

/* One witness line (without its newline): 1 a checkpoint (cp filled), 2 a certificate
 * (cert filled), -1 not a witness line. */
int ow_witness_line_parse(const char *line, size_t len, struct ow_checkpoint *cp,
                          struct ow_epoch_cert *cert);

#endif
