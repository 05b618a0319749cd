/* private_file.c — private modes, owners and O_NOFOLLOW for the files omwitness writes. */
#include "common/private_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static gid_t reader_group = (gid_t)-1;
static uid_t file_owner = (uid_t)-1;
static gid_t file_owner_group = (gid_t)-1;

void ow_private_files_configure(gid_t group, uid_t owner, gid_t owner_group)
{
    reader_group = group;
    file_owner = owner;
    file_owner_group = owner_group;
}

mode_t ow_private_mode(void)
{
    return reader_group == (gid_t)-1 ? 0600 : 0640;
}

/* Mode and owner of an open regular file; others are left alone. */
static int fix_fd(int fd, bool secret, bool regular_only)
{
    struct stat sb;
    if (fstat(fd, &sb) < 0)
        return -1;
    if (!S_ISREG(sb.st_mode)) {
        if (!regular_only && (S_ISCHR(sb.st_mode) || S_ISFIFO(sb.st_mode)))
            return 0;
        errno = EINVAL;
        return -1;
    }
    uid_t uid = file_owner;
    gid_t gid = reader_group != (gid_t)-1 ? reader_group : file_owner_group;
    if ((uid != (uid_t)-1 && sb.st_uid != uid) || (gid != (gid_t)-1 && sb.st_gid != gid)) {
        if (fchown(fd, uid, gid) < 0)
            return -1;
    }
    mode_t want = secret ? 0600 : ow_private_mode();
    if ((sb.st_mode & 07777) != want && fchmod(fd, want) < 0)
        return -1;
    return 0;
}

static int open_private(const char *path, int extra, bool secret)
{
    mode_t mode = secret ? 0600 : ow_private_mode();
    int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | extra, mode);
    if (fd < 0)
        return -1;
    if (fix_fd(fd, secret, false) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int ow_private_open(const char *path, int extra)
{
    return open_private(path, extra, false);
}

int ow_secret_open(const char *path, int extra)
{
    return open_private(path, extra, true);
}

int ow_private_adopt(int fd, bool secret)
{
    return fix_fd(fd, secret, true);
}

FILE *ow_private_fopen(const char *path, const char *mode)
{
    bool append = mode[0] == 'a';
    int fd = ow_private_open(path, append ? O_APPEND : O_TRUNC);
    if (fd < 0)
        return NULL;
    FILE *f = fdopen(fd, append ? "a" : "w");
    if (!f) {
        int saved = errno;
        close(fd);
        errno = saved;
    }
    return f;
}

int ow_private_create(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, ow_private_mode());
    if (fd < 0)
        return errno == EEXIST ? 0 : -1;
    int rc = fix_fd(fd, false, true);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc < 0 ? -1 : 1;
}

/* By path through an O_PATH handle: closing an ordinary descriptor of a file SQLite has open
 * in this process would drop SQLite's POSIX locks on it (an O_PATH one does not). */
int ow_private_fix(const char *path, bool missing_ok)
{
    int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return missing_ok && errno == ENOENT ? 0 : -1;
    struct stat sb;
    int rc = fstat(fd, &sb);
    if (rc == 0 && !S_ISREG(sb.st_mode)) {
        errno = EINVAL;
        rc = -1;
    }
    uid_t uid = file_owner;
    gid_t gid = reader_group != (gid_t)-1 ? reader_group : file_owner_group;
    if (rc == 0 && ((uid != (uid_t)-1 && sb.st_uid != uid) || (gid != (gid_t)-1 && sb.st_gid != gid)))
        rc = fchownat(fd, "", uid, gid, AT_EMPTY_PATH);
    mode_t want = ow_private_mode();
    if (rc == 0 && (sb.st_mode & 07777) != want)
        rc = fchmodat(AT_FDCWD, path, want, AT_SYMLINK_NOFOLLOW);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}
