/* store_files.c — private modes for the store's files, read-only access that creates none,
 * and the temporary name a new store is built under. */
#include "db/store_files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
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

#define CREATING ".creating-"

int ow_store_files_creating_name(const char *path, pid_t pid, char *out, size_t outlen)
{
    /* Room for SQLite's "-journal" after it. */
    int n = snprintf(out, outlen, "%s" CREATING "%ld", path, (long)pid);
    return n < 0 || (size_t)n + sizeof "-journal" > outlen ? -1 : 0;
}

int ow_store_files_move_new(const char *tmp, const char *path)
{
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    /* A file system without RENAME_NOREPLACE: a hard link refuses an existing name too. */
    if (link(tmp, path) < 0)
        return -1;
    return 0;
}

void ow_store_files_remove_creating(const char *tmp)
{
    static const char *const suffixes[] = { "", "-journal", "-wal", "-shm" };
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        char name[4096];
        int n = snprintf(name, sizeof name, "%s%s", tmp, suffixes[i]);
        if (n > 0 && (size_t)n < sizeof name)
            unlink(name);
    }
}

void ow_store_files_sweep_creating(const char *path)
{
    char dir[4096];
    int n = snprintf(dir, sizeof dir, "%s", path);
    if (n < 0 || (size_t)n >= sizeof dir)
        return;
    char *slash = strrchr(dir, '/');
    const char *base = slash ? slash + 1 : path;
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    char prefix[NAME_MAX + 1];
    n = snprintf(prefix, sizeof prefix, "%s" CREATING, base);
    if (n < 0 || (size_t)n >= sizeof prefix)
        return;
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, prefix, (size_t)n) != 0)
            continue;
        char *end = NULL;
        errno = 0;
        long pid = strtol(e->d_name + n, &end, 10);
        /* Only the database's own name; its side files go with it. */
        if (errno || end == e->d_name + n || *end || pid <= 0 || pid > INT_MAX)
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;   /* still running (or not ours to ask): its store is not debris */
        char tmp[4096];
        if (ow_store_files_creating_name(path, (pid_t)pid, tmp, sizeof tmp) == 0)
            ow_store_files_remove_creating(tmp);
    }
    closedir(d);
}
