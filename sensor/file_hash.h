/* file_hash.h — SHA-256 of files and buffers as lowercase hex, for run records. */
#ifndef OW_FILE_HASH_H
#define OW_FILE_HASH_H

#include <stddef.h>

#define OW_SHA256_HEX_LEN 65

/* 0 on success; -1 when the file cannot be read. */
int ow_sha256_file(const char *path, char out[OW_SHA256_HEX_LEN]);
void ow_sha256_hex(const void *data, size_t len, char out[OW_SHA256_HEX_LEN]);

/* Initialises libgcrypt once, before any thread uses it. */
void ow_crypto_init(void);

#endif
