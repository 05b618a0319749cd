/* witness.c — the witness outputs. The file is opened O_APPEND|O_NOFOLLOW and 0600, each
 * line written with one write() and fsynced, so a line is whole or absent; syslog lines
 * carry the same JSON as their message. */
#include "db/witness.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/private_file.h"

int ow_witness_open(struct ow_witness *w, const char *path, const char *syslog_path,
                    char *err, size_t errlen)
{
    memset(w, 0, sizeof *w);
    w->fd = w->syslog_fd = -1;
    if (gethostname(w->host, sizeof w->host - 1) != 0 || !w->host[0])
        snprintf(w->host, sizeof w->host, "-");
    /* RFC 5424 HOSTNAME: printable ASCII without spaces. */
    for (char *p = w->host; *p; p++)
        if (*p <= ' ' || *p > '~')
            *p = '_';
    if (path) {
        w->fd = ow_private_open(path, O_APPEND);
        if (w->fd < 0) {
            snprintf(err, errlen, "--witness %s: cannot open: %s", path, strerror(errno));
            return -1;
        }
    }
    if (syslog_path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(syslog_path) >= sizeof sa.sun_path) {
            snprintf(err, errlen, "--witness-syslog: socket path too long");
            ow_witness_close(w);
            return -1;
        }
        memcpy(sa.sun_path, syslog_path, strlen(syslog_path) + 1);
        w->syslog_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (w->syslog_fd < 0 || connect(w->syslog_fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
            snprintf(err, errlen, "--witness-syslog: cannot reach %s: %s", syslog_path,
                     strerror(errno));
            ow_witness_close(w);
            return -1;
        }
    }
    return 0;
}

static int write_line(int fd, const char *p, size_t n)
{
    for (;;) {
        ssize_t r = write(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        /* O_APPEND: a short write would split a line; treat it as a failure. */
        return r == (ssize_t)n ? 0 : -1;
    }
}

int ow_witness_write(struct ow_witness *w, const json_t *line)
{
    if (w->fd < 0 && w->syslog_fd < 0)
        return 0;
    char *text = json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
    if (!text)
        return -1;
    int rc = 0;
    size_t n = strlen(text);
    if (w->fd >= 0) {
        char *l = malloc(n + 1);
        if (!l || (memcpy(l, text, n), l[n] = '\n', write_line(w->fd, l, n + 1) < 0) ||
            fsync(w->fd) != 0)
            rc = -1;
        free(l);
    }
    if (w->syslog_fd >= 0) {
        /* <PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG; facility 13 (log audit), notice. */
        char stamp[32];
        struct timespec ts;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
        size_t cap = n + 256;
        char *msg = malloc(cap);
        int m = msg ? snprintf(msg, cap, "<109>1 %s.%06ldZ %s omwitness %ld seal - %s", stamp,
                               (long)(ts.tv_nsec / 1000), w->host, (long)getpid(), text) : -1;
        if (m < 0 || (size_t)m >= cap || send(w->syslog_fd, msg, (size_t)m, 0) != m)
            rc = -1;
        free(msg);
    }
    free(text);
    if (rc < 0 && !w->failed) {
        w->failed = true;
        fprintf(stderr, "omwitness: a witness could not be written: %s\n", strerror(errno));
    }
    return rc;
}

void ow_witness_close(struct ow_witness *w)
{
    if (w->fd >= 0)
        close(w->fd);
    if (w->syslog_fd >= 0)
        close(w->syslog_fd);
    w->fd = w->syslog_fd = -1;
}
