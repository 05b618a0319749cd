/* seal_keys.c — the key directory: keys init, loading the current epoch key, rotation with
 * erasure of the old key, and the certificate encoding. Key files are opened with
 * O_NOFOLLOW and created 0600; secrets are wiped from memory when no longer needed and are
 * never written to a message. */
#include "db/seal_keys.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "db/hash_chain.h"
#include "db/seal_bytes.h"
#include "common/private_file.h"

#define EPOCH_KEY_MAGIC "omwitness epoch key v1"
#define CERT_MAGIC "omwitness epoch cert v1"
#define FILE_MAX 4096              /* epoch.key, root.pub: far smaller */
#define CERTS_MAX (64u << 20)      /* one line per epoch: decades of 15-minute epochs */

static void wipe(void *p, size_t n)
{
    volatile uint8_t *v = p;
    while (n--)
        *v++ = 0;
}

int ow_sensor_name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > OW_SENSOR_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

size_t ow_epoch_cert_message(const struct ow_epoch_cert *c, uint8_t *buf, size_t cap)
{
    struct ow_bytes b = { .p = buf, .cap = cap };
    ow_bytes_put(&b, CERT_MAGIC, sizeof CERT_MAGIC);   /* with its NUL */
    ow_bytes_str(&b, c->sensor);
    ow_bytes_u64(&b, c->epoch);
    ow_bytes_put(&b, c->public_key, sizeof c->public_key);
    ow_bytes_u64(&b, c->issued_wall_us);
    return b.overflow ? 0 : b.len;
}

int ow_epoch_cert_verify(const struct ow_epoch_cert *c, const uint8_t issuer[OW_ED25519_KEY_LEN])
{
    uint8_t msg[256];
    size_t n = ow_epoch_cert_message(c, msg, sizeof msg);
    return n && ow_ed25519_verify(issuer, msg, n, c->signature) == 0 ? 0 : -1;
}

static int cert_sign(struct ow_epoch_cert *c, const uint8_t secret[OW_ED25519_KEY_LEN])
{
    uint8_t msg[256];
    size_t n = ow_epoch_cert_message(c, msg, sizeof msg);
    return n && ow_ed25519_sign(secret, msg, n, c->signature) == 0 ? 0 : -1;
}

int ow_epoch_cert_format(const struct ow_epoch_cert *c, char *buf, size_t cap)
{
    char pub[2 * OW_ED25519_KEY_LEN + 1], sig[2 * OW_ED25519_SIG_LEN + 1];
    ow_hex(c->public_key, sizeof c->public_key, pub);
    ow_hex(c->signature, sizeof c->signature, sig);
    int n = snprintf(buf, cap, "cert %s %" PRIu64 " %s %" PRIu64 " %s", c->sensor, c->epoch,
                     pub, c->issued_wall_us, sig);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

/* A decimal without sign, leading zeros or overflow. */
static int parse_u64(const char *s, size_t n, uint64_t *out)
{
    if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* Splits line into n fields separated by single spaces; each field is copied to a bounded
 * buffer. */
static int split(const char *line, size_t len, char fields[][160], int n)
{
    size_t pos = 0;
    for (int i = 0; i < n; i++) {
        size_t start = pos;
        while (pos < len && line[pos] != ' ')
            pos++;
        size_t flen = pos - start;
        if (flen == 0 || flen >= 160)
            return -1;
        memcpy(fields[i], line + start, flen);
        fields[i][flen] = '\0';
        if (memchr(fields[i], '\0', flen))
            return -1;
        if (i < n - 1) {
            if (pos >= len)
                return -1;
            pos++;
        }
    }
    return pos == len ? 0 : -1;
}

int ow_epoch_cert_parse(const char *line, size_t len, struct ow_epoch_cert *c)
{
    char f[6][160];
    memset(c, 0, sizeof *c);
    if (split(line, len, f, 6) < 0 || strcmp(f[0], "cert") != 0 || !ow_sensor_name_ok(f[1]) ||
        parse_u64(f[2], strlen(f[2]), &c->epoch) < 0 || c->epoch == 0 ||
        ow_unhex(f[3], c->public_key, sizeof c->public_key) < 0 ||
        parse_u64(f[4], strlen(f[4]), &c->issued_wall_us) < 0 ||
        ow_unhex(f[5], c->signature, sizeof c->signature) < 0)
        return -1;
    memcpy(c->sensor, f[1], strlen(f[1]) + 1);
    return 0;
}

void ow_key_fingerprint(const uint8_t pub[OW_ED25519_KEY_LEN], char *out)
{
    uint8_t d[OW_HASH_LEN];
    ow_sha256(pub, OW_ED25519_KEY_LEN, d);
    ow_hex(d, sizeof d, out);
}

/* ---- files --------------------------------------------------------------------------- */

static int path_in(char *buf, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(buf, cap, "%s/%s", dir, name);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

static int write_all(int fd, const void *p, size_t n)
{
    const uint8_t *q = p;
    while (n) {
        ssize_t w = write(fd, q, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        q += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads a whole small file (no symlink) into buf, NUL-terminated. Length, or -1. */
static ssize_t read_small(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t got = 0;
    for (;;) {
        if (got + 1 >= cap) {
            close(fd);
            errno = EFBIG;
            return -1;
        }
        ssize_t r = read(fd, buf + got, cap - 1 - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    buf[got] = '\0';
    return (ssize_t)got;
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Writes a secret file that must not exist yet (O_EXCL), fsynced. */
static int write_new_secret(const char *path, const char *text)
{
    int fd = ow_secret_open(path, O_EXCL);
    if (fd < 0)
        return -1;
    int rc = write_all(fd, text, strlen(text)) == 0 && fsync(fd) == 0 ? 0 : -1;
    int e = errno;
    if (close(fd) != 0 && rc == 0)
        rc = -1;
    errno = e;
    return rc;
}

static int append_cert(const char *dir, const struct ow_epoch_cert *c)
{
    char path[PATH_MAX], line[512];
    if (path_in(path, sizeof path, dir, "certs") < 0 || ow_epoch_cert_format(c, line, sizeof line) < 0)
        return -1;
    size_t n = strlen(line);
    line[n++] = '\n';
    int fd = ow_private_open(path, O_APPEND);
    if (fd < 0)
        return -1;
    int rc = write_all(fd, line, n) == 0 && fsync(fd) == 0 ? 0 : -1;
    if (close(fd) != 0)
        rc = -1;
    return rc;
}

static int epoch_key_text(const struct ow_keydir *k, const uint8_t secret[OW_ED25519_KEY_LEN],
                          uint64_t epoch, const uint8_t pub[OW_ED25519_KEY_LEN], char *buf,
                          size_t cap)
{
    char pub_hex[65], sec_hex[65];
    ow_hex(pub, OW_ED25519_KEY_LEN, pub_hex);
    ow_hex(secret, OW_ED25519_KEY_LEN, sec_hex);
    int n = snprintf(buf, cap, EPOCH_KEY_MAGIC "\nsensor %s\nepoch %" PRIu64 "\npublic %s\n"
                     "secret %s\n", k->sensor, epoch, pub_hex, sec_hex);
    wipe(sec_hex, sizeof sec_hex);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

static int set_err(char *err, size_t errlen, const char *fmt, const char *a, int e)
{
    snprintf(err, errlen, fmt, a, e ? strerror(e) : "");
    return -1;
}

int ow_keys_init(const char *dir, const char *sensor, uint8_t root_pub[OW_ED25519_KEY_LEN],
                 char *err, size_t errlen)
{
    if (!ow_sensor_name_ok(sensor)) {
        snprintf(err, errlen, "sensor name '%.80s' is not 1 to 63 of A-Z a-z 0-9 . _ -",
                 sensor ? sensor : "");
        return -1;
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return set_err(err, errlen, "%s: cannot create: %s", dir, errno);
    struct stat sb;
    if (lstat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return set_err(err, errlen, "%s: not a directory%s", dir, 0);
    char p_pub[PATH_MAX], p_root[PATH_MAX], p_epoch[PATH_MAX], p_certs[PATH_MAX];
    if (path_in(p_pub, sizeof p_pub, dir, "root.pub") < 0 ||
        path_in(p_root, sizeof p_root, dir, "root.key") < 0 ||
        path_in(p_epoch, sizeof p_epoch, dir, "epoch.key") < 0 ||
        path_in(p_certs, sizeof p_certs, dir, "certs") < 0)
        return set_err(err, errlen, "%s: path too long%s", dir, 0);
    const char *existing[] = { p_pub, p_root, p_epoch, p_certs };
    for (size_t i = 0; i < 4; i++)
        if (lstat(existing[i], &sb) == 0)
            return set_err(err, errlen, "%s exists: keys are made once (move the directory "
                           "away to start over)%s", existing[i], 0);

    uint8_t root_sec[32], epoch_sec[32];
    struct ow_keydir k = { 0 };
    snprintf(k.sensor, sizeof k.sensor, "%s", sensor);
    struct ow_epoch_cert c = { .epoch = 1 };
    snprintf(c.sensor, sizeof c.sensor, "%s", sensor);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    c.issued_wall_us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
    int rc = -1;
    char text[512];
    if (ow_ed25519_keygen(root_pub, root_sec) < 0 || ow_ed25519_keygen(c.public_key, epoch_sec) < 0 ||
        cert_sign(&c, root_sec) < 0) {
        snprintf(err, errlen, "cannot make Ed25519 keys (libgcrypt)");
        goto out;
    }
    char hex[65];
    ow_hex(root_sec, 32, hex);
    snprintf(text, sizeof text, "%s\n", hex);
    wipe(hex, sizeof hex);
    if (write_new_secret(p_root, text) < 0) {
        set_err(err, errlen, "%s: cannot write: %s", p_root, errno);
        goto out;
    }
    ow_hex(root_pub, 32, hex);
    snprintf(text, sizeof text, "%s\n", hex);
    if (write_new_secret(p_pub, text) < 0) {
        set_err(err, errlen, "%s: cannot write: %s", p_pub, errno);
        goto out;
    }
    if (epoch_key_text(&k, epoch_sec, 1, c.public_key, text, sizeof text) < 0 ||
        write_new_secret(p_epoch, text) < 0) {
        set_err(err, errlen, "%s: cannot write: %s", p_epoch, errno);
        goto out;
    }
    if (append_cert(dir, &c) < 0 || fsync_dir(dir) < 0) {
        set_err(err, errlen, "%s: cannot write its certificate: %s", p_certs, errno);
        goto out;
    }
    rc = 0;
out:
    wipe(text, sizeof text);
    wipe(root_sec, sizeof root_sec);
    wipe(epoch_sec, sizeof epoch_sec);
    return rc;
}

int ow_root_key_load(const char *path, uint8_t pub[OW_ED25519_KEY_LEN], char *err, size_t errlen)
{
    char buf[256];
    ssize_t n = read_small(path, buf, sizeof buf);
    if (n < 0)
        return set_err(err, errlen, "%s: cannot read: %s", path, errno);
    if (n > 0 && buf[n - 1] == '\n')
        buf[--n] = '\0';
    if (ow_unhex(buf, pub, OW_ED25519_KEY_LEN) < 0)
        return set_err(err, errlen, "%s: not a root public key (64 lowercase hex digits)%s",
                       path, 0);
    return 0;
}

/* epoch.key's five lines, exactly. */
static int parse_epoch_key(char *text, struct ow_keydir *k)
{
    char *save = NULL, *line = strtok_r(text, "\n", &save);
    if (!line || strcmp(line, EPOCH_KEY_MAGIC) != 0)
        return -1;
    const char *names[] = { "sensor ", "epoch ", "public ", "secret " };
    char *vals[4];
    for (int i = 0; i < 4; i++) {
        line = strtok_r(NULL, "\n", &save);
        size_t pl = strlen(names[i]);
        if (!line || strncmp(line, names[i], pl) != 0)
            return -1;
        vals[i] = line + pl;
    }
    if (strtok_r(NULL, "\n", &save) || !ow_sensor_name_ok(vals[0]) ||
        parse_u64(vals[1], strlen(vals[1]), &k->epoch) < 0 || k->epoch == 0 ||
        ow_unhex(vals[2], k->public_key, 32) < 0 || ow_unhex(vals[3], k->secret, 32) < 0)
        return -1;
    memcpy(k->sensor, vals[0], strlen(vals[0]) + 1);
    return 0;
}

static int load_certs(struct ow_keydir *k, char *err, size_t errlen)
{
    char path[PATH_MAX];
    if (path_in(path, sizeof path, k->dir, "certs") < 0)
        return set_err(err, errlen, "%s: path too long%s", k->dir, 0);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
    if (!f) {
        if (fd >= 0)
            close(fd);
        return set_err(err, errlen, "%s: cannot read: %s", path, errno);
    }
    char line[600];
    size_t cap = 0, lineno = 0;
    int rc = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t n = strlen(line);
        if (n == 0 || line[n - 1] != '\n') {
            rc = -1;
            break;
        }
        line[--n] = '\0';
        if (k->ncerts == cap) {
            cap = cap ? 2 * cap : 64;
            if (cap * sizeof *k->certs > CERTS_MAX) {
                rc = -1;
                break;
            }
            struct ow_epoch_cert *more = realloc(k->certs, cap * sizeof *k->certs);
            if (!more) {
                rc = -1;
                break;
            }
            k->certs = more;
        }
        struct ow_epoch_cert *c = &k->certs[k->ncerts];
        if (ow_epoch_cert_parse(line, n, c) < 0 || c->epoch != k->ncerts + 1 ||
            strcmp(c->sensor, k->sensor) != 0) {
            rc = -1;
            break;
        }
        k->ncerts++;
    }
    fclose(f);
    if (rc < 0) {
        snprintf(err, errlen, "%s line %zu: not the next epoch certificate of sensor %s", path,
                 lineno, k->sensor);
        return -1;
    }
    return 0;
}

/* Zeroes the file at path where it lies and fsyncs it (absent: nothing to do). */
static int erase_file(const char *path)
{
    int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -1;
    struct stat sb;
    uint8_t zeros[FILE_MAX] = { 0 };
    int rc = 0;
    if (fstat(fd, &sb) != 0 || (sb.st_size > 0 && (sb.st_size > (off_t)sizeof zeros ||
        pwrite(fd, zeros, (size_t)sb.st_size, 0) != (ssize_t)sb.st_size || fsync(fd) != 0)))
        rc = -1;
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

int ow_keydir_load(struct ow_keydir *k, const char *dir, char *err, size_t errlen)
{
    memset(k, 0, sizeof *k);
    if (snprintf(k->dir, sizeof k->dir, "%s", dir) >= (int)sizeof k->dir)
        return set_err(err, errlen, "%s: path too long%s", dir, 0);
    char path[PATH_MAX], p_key[PATH_MAX], p_new[PATH_MAX], text[FILE_MAX];
    if (path_in(path, sizeof path, dir, "root.pub") < 0 ||
        path_in(p_key, sizeof p_key, dir, "epoch.key") < 0 ||
        path_in(p_new, sizeof p_new, dir, "epoch.key.new") < 0)
        return set_err(err, errlen, "%s: path too long%s", dir, 0);
    if (ow_root_key_load(path, k->root_public, err, errlen) < 0)
        return -1;
    /* Certificates first: the epoch key is the one the last certificate names. */
    char sensor_hint[OW_SENSOR_NAME_MAX + 1] = "";
    for (int i = 0; i < 2 && !sensor_hint[0]; i++) {
        ssize_t n = read_small(i ? p_new : p_key, text, sizeof text);
        struct ow_keydir probe = { 0 };
        if (n >= 0 && parse_epoch_key(text, &probe) == 0)
            memcpy(sensor_hint, probe.sensor, sizeof sensor_hint);
        wipe(&probe, sizeof probe);
        wipe(text, sizeof text);
    }
    if (!sensor_hint[0]) {
        snprintf(err, errlen, "%s/epoch.key: missing or not an epoch key (run omwitness keys "
                 "init --dir %s)", dir, dir);
        return -1;
    }
    memcpy(k->sensor, sensor_hint, sizeof k->sensor);
    if (load_certs(k, err, errlen) < 0) {
        ow_keydir_free(k);
        return -1;
    }
    const uint8_t *issuer = k->root_public;
    for (size_t i = 0; i < k->ncerts; i++) {
        if (ow_epoch_cert_verify(&k->certs[i], issuer) < 0) {
            snprintf(err, errlen, "%s/certs: the certificate of epoch %zu does not verify",
                     dir, i + 1);
            ow_keydir_free(k);
            return -1;
        }
        issuer = k->certs[i].public_key;
    }
    /* A rotation cut short leaves the new key as epoch.key.new, certified or not yet: the
     * file that holds the last certified key is the current one. */
    int loaded = -1;
    for (int i = 0; i < 2 && loaded < 0; i++) {
        ssize_t n = read_small(i ? p_new : p_key, text, sizeof text);
        uint8_t derived[32];
        if (n >= 0 && parse_epoch_key(text, k) == 0 && k->ncerts > 0 &&
            k->epoch == k->ncerts && strcmp(k->sensor, sensor_hint) == 0 &&
            memcmp(k->public_key, k->certs[k->ncerts - 1].public_key, 32) == 0 &&
            ow_ed25519_public(k->secret, derived) == 0 && memcmp(derived, k->public_key, 32) == 0)
            loaded = i;
        wipe(text, sizeof text);
    }
    if (loaded < 0) {
        ow_keydir_free(k);
        snprintf(err, errlen, "%s: no epoch key file holds the last certified key (%zu "
                 "certificates)", dir, k->ncerts);
        return -1;
    }
    if (loaded == 1) {
        /* Finish the rotation: the old key must not stay on disk. Best effort for a reader
         * that may not write here; the sensor's next rotation erases it too. */
        if (erase_file(p_key) == 0 && rename(p_new, p_key) == 0)
            fsync_dir(dir);
    }
    return 0;
}

int ow_keydir_rotate(struct ow_keydir *k, uint64_t wall_us, struct ow_epoch_cert *out,
                     char *err, size_t errlen)
{
    struct ow_epoch_cert c = { .epoch = k->epoch + 1, .issued_wall_us = wall_us };
    memcpy(c.sensor, k->sensor, sizeof c.sensor);
    uint8_t secret[32];
    char text[512], p_key[PATH_MAX], p_new[PATH_MAX];
    int rc = -1;
    if (path_in(p_key, sizeof p_key, k->dir, "epoch.key") < 0 ||
        path_in(p_new, sizeof p_new, k->dir, "epoch.key.new") < 0)
        return set_err(err, errlen, "%s: path too long%s", k->dir, 0);
    struct ow_epoch_cert *more = realloc(k->certs, (k->ncerts + 1) * sizeof *k->certs);
    if (!more) {
        snprintf(err, errlen, "key rotation: out of memory");
        return -1;
    }
    k->certs = more;
    if (ow_ed25519_keygen(c.public_key, secret) < 0 || cert_sign(&c, k->secret) < 0) {
        snprintf(err, errlen, "key rotation: cannot make the next Ed25519 key");
        goto out;
    }
    /* The new key on disk first, then its certificate, then the old key erased where it
     * lies (a journaling or copy-on-write file system may keep old blocks:
     * docs/evidence.md) and the new file put in its place. A crash at any point leaves one
     * file holding the last certified key (ow_keydir_load). */
    if (erase_file(p_new) < 0 || (unlink(p_new) != 0 && errno != ENOENT)) {
        set_err(err, errlen, "%s: cannot remove a stale file: %s", p_new, errno);
        goto out;
    }
    if (epoch_key_text(k, secret, c.epoch, c.public_key, text, sizeof text) < 0 ||
        write_new_secret(p_new, text) < 0) {
        set_err(err, errlen, "%s: cannot write: %s", p_new, errno);
        goto out;
    }
    if (append_cert(k->dir, &c) < 0) {
        set_err(err, errlen, "%s/certs: cannot append: %s", k->dir, errno);
        goto out;
    }
    if (erase_file(p_key) < 0) {
        set_err(err, errlen, "%s: cannot erase: %s", p_key, errno);
        goto out;
    }
    if (rename(p_new, p_key) != 0 || fsync_dir(k->dir) != 0) {
        set_err(err, errlen, "%s: cannot replace: %s", p_key, errno);
        goto out;
    }
    wipe(k->secret, sizeof k->secret);
    memcpy(k->secret, secret, sizeof secret);
    memcpy(k->public_key, c.public_key, sizeof c.public_key);
    k->epoch = c.epoch;
    k->certs[k->ncerts++] = c;
    if (out)
        *out = c;
    rc = 0;
out:
    wipe(secret, sizeof secret);
    wipe(text, sizeof text);
    return rc;
}

void ow_keydir_free(struct ow_keydir *k)
{
    wipe(k->secret, sizeof k->secret);
    free(k->certs);
    k->certs = NULL;
    k->ncerts = 0;
}

int ow_keydir_chown(const char *dir, unsigned uid, unsigned gid, char *err, size_t errlen)
{
    const char *names[] = { ".", "root.pub", "epoch.key", "certs" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[PATH_MAX];
        if (path_in(path, sizeof path, dir, names[i]) < 0)
            return set_err(err, errlen, "%s: path too long%s", dir, 0);
        int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (i == 0 ? O_DIRECTORY : 0));
        if (fd < 0 || fchown(fd, (uid_t)uid, (gid_t)gid) != 0) {
            int e = errno;
            if (fd >= 0)
                close(fd);
            return set_err(err, errlen, "%s: cannot give it to the capture's user: %s", path, e);
        }
        close(fd);
    }
    return 0;
}
