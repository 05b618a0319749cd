/* file_hash.c — SHA-256 with libgcrypt. */
#include "sensor/file_hash.h"

#include <stdio.h>

#include <gcrypt.h>

void ow_crypto_init(void)
{
    if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
        gcry_check_version(NULL);
        gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
        gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
    }
}

static void to_hex(const unsigned char *d, char out[OW_SHA256_HEX_LEN])
{
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hx[d[i] >> 4];
        out[2 * i + 1] = hx[d[i] & 15];
    }
    out[64] = '\0';
}

void ow_sha256_hex(const void *data, size_t len, char out[OW_SHA256_HEX_LEN])
{
    unsigned char d[32];
    gcry_md_hash_buffer(GCRY_MD_SHA256, d, data, len);
    to_hex(d, out);
}

int ow_sha256_file(const char *path, char out[OW_SHA256_HEX_LEN])
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    gcry_md_hd_t h;
    if (gcry_md_open(&h, GCRY_MD_SHA256, 0)) {
        fclose(f);
        return -1;
    }
    unsigned char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        gcry_md_write(h, buf, n);
    int bad = ferror(f);
    fclose(f);
    if (!bad)
        to_hex(gcry_md_read(h, GCRY_MD_SHA256), out);
    gcry_md_close(h);
    return bad ? -1 : 0;
}
