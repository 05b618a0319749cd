/* file_hash.c — SHA-256 with libgcrypt. */
#include "sensor/file_hash.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* A regular file is hashed from a read-only mapping: the page cache's pages are hashed where
 * they are, with no copy into a buffer and no read(2) per 64 KiB (a replay's input is hashed
 * before the run starts, so this is on the critical path: docs/architecture.md,
 * Performance). A file cut short while it is mapped ends the process (SIGBUS) rather than
 * hashing other bytes than were replayed. 1 on success, 0 when it cannot be mapped (then it is read), -1 on error. */
static int sha256_mapped(const char *path, char out[OW_SHA256_HEX_LEN])
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size <= 0) {
        close(fd);
        return 0;
    }
    size_t len = (size_t)sb.st_size;
    void *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
        return 0;
    madvise(p, len, MADV_SEQUENTIAL);
    gcry_md_hd_t h;
    int rc = -1;
    if (!gcry_md_open(&h, GCRY_MD_SHA256, 0)) {
        /* In slices, so the pages already hashed can be dropped from the mapping early. */
        const size_t slice = (size_t)8 << 20;
        for (size_t off = 0; off < len; off += slice) {
            size_t n = len - off < slice ? len - off : slice;
            gcry_md_write(h, (const unsigned char *)p + off, n);
            madvise((unsigned char *)p + off, n, MADV_DONTNEED);
        }
        to_hex(gcry_md_read(h, GCRY_MD_SHA256), out);
        gcry_md_close(h);
        rc = 1;
    }
    munmap(p, len);
    return rc;
}

int ow_sha256_file(const char *path, char out[OW_SHA256_HEX_LEN])
{
    int m = sha256_mapped(path, out);
    if (m)
        return m > 0 ? 0 : -1;
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
