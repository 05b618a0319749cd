/* file_hash.c — SHA-256 with libgcrypt: of buffers, and of input files as they are read
 * (a stdio stream whose reads feed the hash, so libpcap reads the file once). */
#include "sensor/file_hash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <gcrypt.h>

#define HASHED_INPUT_BUFFER ((size_t)1 << 20)

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

static ssize_t hashed_read(void *cookie, char *buf, size_t size)
{
    struct ow_hashed_input *in = cookie;
    ssize_t n;
    do
        n = read(in->fd, buf, size);
    while (n < 0 && errno == EINTR);
    if (n > 0) {
        gcry_md_write((gcry_md_hd_t)in->md, buf, (size_t)n);
        in->bytes += (uint64_t)n;
    } else if (n < 0) {
        in->error = errno;
    }
    return n;
}

static int hashed_close(void *cookie)
{
    struct ow_hashed_input *in = cookie;
    int rc = in->fd >= 0 ? close(in->fd) : 0;
    in->fd = -1;
    /* fclose reads nothing more once the file is closed, and leaves a buffer it was given
     * to its owner. */
    free(in->buf);
    in->buf = NULL;
    return rc;
}

FILE *ow_hashed_input_open(struct ow_hashed_input *in, const char *path)
{
    *in = (struct ow_hashed_input){ .fd = open(path, O_RDONLY | O_CLOEXEC) };
    if (in->fd < 0)
        return NULL;
    gcry_md_hd_t h;
    if (gcry_md_open(&h, GCRY_MD_SHA256, 0) != 0) {
        close(in->fd);
        in->fd = -1;
        errno = ENOMEM;
        return NULL;
    }
    in->md = h;
    cookie_io_functions_t io = { .read = hashed_read, .close = hashed_close };
    in->buf = malloc(HASHED_INPUT_BUFFER);
    FILE *f = in->buf ? fopencookie(in, "r", io) : NULL;
    if (!f) {
        gcry_md_close(h);
        in->md = NULL;
        close(in->fd);
        in->fd = -1;
        free(in->buf);
        in->buf = NULL;
        errno = ENOMEM;
        return NULL;
    }
    /* Large reads: one read(2) per MiB rather than one per 8 KiB of the default buffer. The
     * buffer must be given: glibc ignores the size when setvbuf is to allocate it (strace
     * showed 8,192-byte reads, 130,000 of them for the benchmark's 1 GB capture). */
    setvbuf(f, in->buf, _IOFBF, HASHED_INPUT_BUFFER);
    return f;
}

int ow_hashed_input_finish(struct ow_hashed_input *in, char out[OW_SHA256_HEX_LEN])
{
    gcry_md_hd_t h = in->md;
    if (!h) {
        errno = EINVAL;
        return -1;
    }
    /* A capture libpcap stops reading (a damaged record) is still hashed whole. */
    unsigned char rest[16384];
    while (!in->error && in->fd >= 0) {
        ssize_t n = read(in->fd, rest, sizeof rest);
        if (n > 0)
            gcry_md_write(h, rest, (size_t)n);
        else if (n == 0)
            break;
        else if (errno != EINTR)
            in->error = errno;
    }
    int rc = in->error || in->fd < 0 ? -1 : 0;
    if (rc == 0)
        to_hex(gcry_md_read(h, GCRY_MD_SHA256), out);
    else
        errno = in->error ? in->error : EBADF;
    gcry_md_close(h);
    in->md = NULL;
    return rc;
}

void ow_hashed_input_drop(struct ow_hashed_input *in)
{
    if (in->md)
        gcry_md_close((gcry_md_hd_t)in->md);
    in->md = NULL;
}
