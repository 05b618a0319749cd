/* seal_keys.h — the sensor's sealing keys (docs/evidence.md "Keys"): the root key pair made
 * by `keys init`, the current epoch key, and the certificates that link each epoch key to
 * the previous one (root for epoch 1). Files in the key directory:
 *   root.pub   root public key, hex, one line (what a regulator registers)
 *   root.key   root private key (seed), hex, 0600; meant to leave the host, never read here
 *   epoch.key  the current epoch key: sensor, epoch, public and secret key, 0600
 *   certs      every epoch certificate so far, one line each (public)
 * A rotation makes key n+1, certifies it with key n, appends the certificate, writes
 * epoch.key.new, overwrites epoch.key with zeros (fsync), renames the new file over it and
 * fsyncs the directory: key n is gone from disk once the call returns. */
#ifndef OW_SEAL_KEYS_H
#define OW_SEAL_KEYS_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "db/ed25519.h"

#define OW_SENSOR_NAME_MAX 63
#define OW_DEFAULT_KEYS_DIR "/var/lib/omwitness/keys"

struct ow_epoch_cert {
    char sensor[OW_SENSOR_NAME_MAX + 1];
    uint64_t epoch;                          /* 1, 2, ... */
    uint8_t public_key[OW_ED25519_KEY_LEN];  /* epoch key `epoch` */
    uint64_t issued_wall_us;
    uint8_t signature[OW_ED25519_SIG_LEN];   /* by epoch key epoch-1, root for epoch 1 */
};

/* The signed bytes of a certificate (docs/evidence.md): "omwitness epoch cert v1\0",
 * u16 sensor length, sensor, u64 epoch, 32-byte key, u64 issued (big-endian). Returns the
 * length, 0 when cap is too small. */
size_t ow_epoch_cert_message(const struct ow_epoch_cert *c, uint8_t *buf, size_t cap);
int ow_epoch_cert_verify(const struct ow_epoch_cert *c, const uint8_t issuer[OW_ED25519_KEY_LEN]);

/* One certs-file line (no newline): "cert SENSOR EPOCH PUBHEX ISSUED_US SIGHEX". Parse:
 * 0, or -1 when it is not exactly that. */
int ow_epoch_cert_format(const struct ow_epoch_cert *c, char *buf, size_t cap);
int ow_epoch_cert_parse(const char *line, size_t len, struct ow_epoch_cert *c);

/* A sensor name: 1..63 of [A-Za-z0-9._-]. */
int ow_sensor_name_ok(const char *name);

struct ow_keydir {
    char dir[PATH_MAX];
    char sensor[OW_SENSOR_NAME_MAX + 1];
    uint64_t epoch;
    uint8_t public_key[OW_ED25519_KEY_LEN];
    uint8_t secret[OW_ED25519_KEY_LEN];
    uint8_t root_public[OW_ED25519_KEY_LEN];
    struct ow_epoch_cert *certs;             /* the certs file, epochs 1..epoch in order */
    size_t ncerts;
};

/* keys init: creates dir (0700) and the four files; refuses when a key is already there.
 * root_pub gets the root public key. 0, or -1 with err. */
int ow_keys_init(const char *dir, const char *sensor, uint8_t root_pub[OW_ED25519_KEY_LEN],
                 char *err, size_t errlen);

/* Loads epoch.key, root.pub and certs, and checks they agree (the cert chain from root.pub
 * reaches the epoch key). 0, or -1 with err. */
int ow_keydir_load(struct ow_keydir *k, const char *dir, char *err, size_t errlen);

/* Makes the next epoch key, certified by the current one, and erases the current one from
 * disk. out (may be NULL) gets the new certificate. 0, or -1 with err (the old key is kept). */
int ow_keydir_rotate(struct ow_keydir *k, uint64_t wall_us, struct ow_epoch_cert *out,
                     char *err, size_t errlen);

/* Gives the directory and its files (not root.key) to uid:gid, so a capture that drops
 * root for --user can go on rotating keys. 0, or -1 with err. */
int ow_keydir_chown(const char *dir, unsigned uid, unsigned gid, char *err, size_t errlen);

/* Wipes the secret and frees the certificates. */
void ow_keydir_free(struct ow_keydir *k);

/* Reads a root public key file (root.pub: 64 hex digits, optional newline). 0 or -1. */
int ow_root_key_load(const char *path, uint8_t pub[OW_ED25519_KEY_LEN], char *err, size_t errlen);

/* Hex SHA-256 of a public key: its fingerprint. out holds 65 bytes. */
void ow_key_fingerprint(const uint8_t pub[OW_ED25519_KEY_LEN], char *out);

#endif
