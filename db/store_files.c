/* store_files.c — private modes for the store's files and read-only access that creates none. */
#include "db/store_files.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/private_file.h"

bool ow_store_path_special(const char *path)
{
    return !path || !*path || !strcmp(path, ":memory:") || !strncmp(path, "file:", 5);
}

int ow_store_files_make_private(const char *path, char *err, size_t errlen)
{
    static const char *const suffixes[] = { "", "-wal", "-shm" };
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        char name[4096];
        int n = snprintf(name, sizeof name, "%s%s", path, suffixes[i]);
        if (n < 0 || (size_t)n >= sizeof name) {
            snprintf(err, errlen, "%s: path too long", path);
            return -1;
        }
        if (ow_private_fix(name, true) < 0) {
            snprintf(err, errlen, "%s: cannot make it private (mode %04o): %s", name,
                     (unsigned)ow_private_mode(), strerror(errno));
            return -1;
        }
    }
    return 0;
}

static bool exists(const char *path, const char *suffix)
{
    char name[4096];
    int n = snprintf(name, sizeof name, "%s%s", path, suffix);
    struct stat sb;
    return n > 0 && (size_t)n < sizeof name && lstat(name, &sb) == 0 && S_ISREG(sb.st_mode);
}

bool ow_store_files_complete(const char *path)
{
    return exists(path, "-wal") && exists(path, "-shm");
}

int ow_store_snapshot_uri(const char *path, char *out, size_t outlen)
{
    static const char hex[] = "0123456789ABCDEF";
    static const char tail[] = "?immutable=1";
    size_t o = 0;
    if (outlen < 6)
        return -1;
    memcpy(out, "file:", 5);
    o = 5;
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= '0' && *p <= '9') || strchr("/._-~", *p);
        if (o + (plain ? 1 : 3) + sizeof tail > outlen)
            return -1;
        if (plain) {
            out[o++] = (char)*p;
        } else {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    memcpy(out + o, tail, sizeof tail);
    return 0;
}
