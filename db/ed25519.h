/* ed25519.h — Ed25519 (RFC 8032) through libgcrypt: key generation, signing and verifying,
 * on raw 32-byte keys and 64-byte signatures. The only place omwitness talks to libgcrypt's
 * public-key API, so the S-expression handling is in one file. */
#ifndef OW_ED25519_H
#define OW_ED25519_H

#include <stddef.h>
#include <stdint.h>

#define OW_ED25519_KEY_LEN 32
#define OW_ED25519_SIG_LEN 64

/* A new key pair: secret is the 32-byte seed (RFC 8032's private key). 0 or -1. */
int ow_ed25519_keygen(uint8_t public_key[OW_ED25519_KEY_LEN], uint8_t secret[OW_ED25519_KEY_LEN]);

/* The public key of a seed. 0 or -1. */
int ow_ed25519_public(const uint8_t secret[OW_ED25519_KEY_LEN],
                      uint8_t public_key[OW_ED25519_KEY_LEN]);

/* Signs msg (at most 64 KiB, may be empty). 0 or -1. */
int ow_ed25519_sign(const uint8_t secret[OW_ED25519_KEY_LEN], const void *msg, size_t len,
                    uint8_t sig[OW_ED25519_SIG_LEN]);

/* 0 when sig is public_key's signature of msg, -1 otherwise (bad key, bad signature). */
int ow_ed25519_verify(const uint8_t public_key[OW_ED25519_KEY_LEN], const void *msg, size_t len,
                      const uint8_t sig[OW_ED25519_SIG_LEN]);

/* Lowercase hex in, bytes out: exactly 2 * len hex digits. 0 or -1. */
int ow_unhex(const char *hex, uint8_t *out, size_t len);

#endif
