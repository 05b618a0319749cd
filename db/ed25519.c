/* ed25519.c — Ed25519 signatures with libgcrypt's ECC API ((flags eddsa), hash SHA-512, as
 * RFC 8032 section 5.1 specifies). Secrets are copied into S-expressions only for the call
 * and wiped after; they never reach a log line. */
#include "db/ed25519.h"

#include <string.h>

#include <gcrypt.h>

#include "db/hash_chain.h"

/* What omwitness signs is small (certificates, checkpoints, a report's hash); libgcrypt
 * 1.10's EdDSA aborts on messages of some hundred kilobytes, so larger ones are refused. */
#define MSG_MAX 65536

/* libgcrypt is set up by the hash chain's one-time init (ow_sha256 runs it). */
static void crypto_ready(void)
{
    uint8_t d[OW_HASH_LEN];
    ow_sha256("", 0, d);
}

static int mpi_bytes(gcry_sexp_t key, const char *token, uint8_t *out, size_t len)
{
    gcry_sexp_t t = gcry_sexp_find_token(key, token, 0);
    if (!t)
        return -1;
    size_t n = 0;
    const char *p = gcry_sexp_nth_data(t, 1, &n);
    int rc = -1;
    /* libgcrypt may prefix a compressed point with 0x40 (the "native" EdDSA format). */
    if (p && n == len + 1 && (uint8_t)p[0] == 0x40) {
        p++;
        n--;
    }
    if (p && n == len) {
        memcpy(out, p, len);
        rc = 0;
    }
    gcry_sexp_release(t);
    return rc;
}

int ow_ed25519_keygen(uint8_t public_key[OW_ED25519_KEY_LEN], uint8_t secret[OW_ED25519_KEY_LEN])
{
    crypto_ready();
    gcry_sexp_t params = NULL, key = NULL;
    if (gcry_sexp_build(&params, NULL, "(genkey(ecc(curve Ed25519)(flags eddsa)))") != 0)
        return -1;
    int rc = gcry_pk_genkey(&key, params) == 0 ? 0 : -1;
    gcry_sexp_release(params);
    if (rc == 0) {
        gcry_sexp_t priv = gcry_sexp_find_token(key, "private-key", 0);
        rc = priv && mpi_bytes(priv, "d", secret, OW_ED25519_KEY_LEN) == 0 &&
             mpi_bytes(priv, "q", public_key, OW_ED25519_KEY_LEN) == 0 ? 0 : -1;
        gcry_sexp_release(priv);
    }
    gcry_sexp_release(key);
    return rc;
}

static int secret_sexp(const uint8_t secret[OW_ED25519_KEY_LEN], gcry_sexp_t *out)
{
    return gcry_sexp_build(out, NULL, "(private-key(ecc(curve Ed25519)(flags eddsa)(d %b)))",
                           (int)OW_ED25519_KEY_LEN, secret) == 0 ? 0 : -1;
}

int ow_ed25519_sign(const uint8_t secret[OW_ED25519_KEY_LEN], const void *msg, size_t len,
                    uint8_t sig[OW_ED25519_SIG_LEN])
{
    if (len > MSG_MAX)
        return -1;
    crypto_ready();
    gcry_sexp_t key = NULL, data = NULL, s = NULL;
    int rc = -1;
    if (secret_sexp(secret, &key) < 0)
        return -1;
    if (gcry_sexp_build(&data, NULL, "(data(flags eddsa)(hash-algo sha512)(value %b))",
                        (int)len, len ? msg : "") == 0 &&
        gcry_pk_sign(&s, data, key) == 0 &&
        mpi_bytes(s, "r", sig, 32) == 0 && mpi_bytes(s, "s", sig + 32, 32) == 0)
        rc = 0;
    gcry_sexp_release(s);
    gcry_sexp_release(data);
    gcry_sexp_release(key);
    return rc;
}

int ow_ed25519_public(const uint8_t secret[OW_ED25519_KEY_LEN],
                      uint8_t public_key[OW_ED25519_KEY_LEN])
{
    crypto_ready();
    gcry_sexp_t key = NULL;
    gcry_ctx_t ctx = NULL;
    if (secret_sexp(secret, &key) < 0)
        return -1;
    int rc = -1;
    /* The context derives q from d when the key has none. */
    if (gcry_mpi_ec_new(&ctx, key, NULL) == 0) {
        gcry_mpi_t q = gcry_mpi_ec_get_mpi("q@eddsa", ctx, 1);
        if (q) {
            unsigned int nbits = 0;
            const uint8_t *p = gcry_mpi_get_opaque(q, &nbits);
            size_t n = (nbits + 7) / 8;
            if (p && n == OW_ED25519_KEY_LEN + 1 && p[0] == 0x40) {
                p++;
                n--;
            }
            if (p && n == OW_ED25519_KEY_LEN) {
                memcpy(public_key, p, OW_ED25519_KEY_LEN);
                rc = 0;
            }
            gcry_mpi_release(q);
        }
        gcry_ctx_release(ctx);
    }
    gcry_sexp_release(key);
    return rc;
}

int ow_ed25519_verify(const uint8_t public_key[OW_ED25519_KEY_LEN], const void *msg, size_t len,
                      const uint8_t sig[OW_ED25519_SIG_LEN])
{
    if (len > MSG_MAX)
        return -1;
    crypto_ready();
    gcry_sexp_t key = NULL, data = NULL, s = NULL;
    int rc = -1;
    if (gcry_sexp_build(&key, NULL, "(public-key(ecc(curve Ed25519)(flags eddsa)(q %b)))",
                        (int)OW_ED25519_KEY_LEN, public_key) == 0 &&
        gcry_sexp_build(&data, NULL, "(data(flags eddsa)(hash-algo sha512)(value %b))",
                        (int)len, len ? msg : "") == 0 &&
        gcry_sexp_build(&s, NULL, "(sig-val(eddsa(r %b)(s %b)))", 32, sig, 32, sig + 32) == 0 &&
        gcry_pk_verify(s, data, key) == 0)
        rc = 0;
    gcry_sexp_release(s);
    gcry_sexp_release(data);
    gcry_sexp_release(key);
    return rc;
}

static int nibble(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int ow_unhex(const char *hex, uint8_t *out, size_t len)
{
    if (!hex || strlen(hex) != 2 * len)
        return -1;
    for (size_t i = 0; i < len; i++) {
        int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}
