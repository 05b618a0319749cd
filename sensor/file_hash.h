/* file_hash.h — SHA-256 as lowercase hex for run records: of buffers, and of a replay's
 * input files as they are read. */
#ifndef OW_FILE_HASH_H
#define OW_FILE_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define OW_SHA256_HEX_LEN 65

/* An input file read through SHA-256: each byte the stream reads is hashed as it arrives,
 * so the file is read once and the hash is of the very bytes that were replayed. */
struct ow_hashed_input {
    int fd;
    void *md;           /* libgcrypt's hash handle */
    uint64_t bytes;     /* read so far */
    int error;          /* errno of a failed read, or 0 */
    char *buf;          /* the stream's buffer, freed when the stream closes the file */
};

/* A stream over path (for pcap_fopen_offline) that feeds in's hash; NULL with errno.
 * Closing the stream closes the file, not the hash. */
FILE *ow_hashed_input_open(struct ow_hashed_input *in, const char *path);

/* Reads and hashes the rest of the file, past where the stream's reader stopped, and gives
 * the whole file's hash; frees the hash. Before the stream is closed. 0, or -1 with errno
 * (a read failed: then there is no hash). */
int ow_hashed_input_finish(struct ow_hashed_input *in, char out[OW_SHA256_HEX_LEN]);

/* Frees the hash without reading on (the stream was not a capture). */
void ow_hashed_input_drop(struct ow_hashed_input *in);
void ow_sha256_hex(const void *data, size_t len, char out[OW_SHA256_HEX_LEN]);

/* Initialises libgcrypt once, before any thread uses it. */
void ow_crypto_init(void);

#endif
