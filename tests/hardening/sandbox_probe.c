/* sandbox_probe.c — enters the capture's sandbox (sensor/sandbox.c) exactly as a capture does
 * once everything is open, then does one thing named on the command line. test_sandbox.py runs
 * each in its own process: what the capture needs must still work, and execve, ptrace, a new
 * socket, a new process or an ioctl outside the list must kill the process (SIGSYS).
 * Usage: sandbox_probe [--user NAME] ok|execve|ptrace|socket|fork|ioctl|status */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sensor/sandbox.h"

static void *thread_main(void *arg)
{
    (void)arg;
    return (void *)1;
}

/* What a capture does after the drop: threads, files it already named, time, memory. */
static int allowed_work(void)
{
    pthread_t t;
    void *res = NULL;
    if (pthread_create(&t, NULL, thread_main, NULL) != 0 || pthread_join(t, &res) != 0 || !res)
        return 1;
    char path[] = "/tmp/ow-sandbox-probe-XXXXXX";
    int fd = mkstemp(path);     /* openat with O_CREAT|O_EXCL: an output being written */
    if (fd < 0 || write(fd, "x", 1) != 1 || fsync(fd) != 0 || close(fd) != 0)
        return 2;
    char moved[sizeof path + 4];
    snprintf(moved, sizeof moved, "%s.new", path);
    if (rename(path, moved) != 0 || unlink(moved) != 0)
        return 3;
    void *p = malloc(1 << 20);
    if (!p)
        return 4;
    memset(p, 1, 1 << 20);
    free(p);
    return isatty(STDERR_FILENO) >= 0 ? 0 : 5;
}

int main(int argc, char **argv)
{
    const char *user = NULL;
    int i = 1;
    if (argc > 2 && !strcmp(argv[1], "--user")) {
        user = argv[2];
        i = 3;
    }
    if (i >= argc) {
        fprintf(stderr, "usage: sandbox_probe [--user NAME] ok|execve|ptrace|socket|fork|ioctl|status\n");
        return 2;
    }
    const char *what = argv[i];
    char err[256];
    struct ow_account acct;
    struct ow_sandbox sb = { .group = (gid_t)-1 };
    if (user) {
        if (ow_sandbox_find_user(user, &acct, err, sizeof err) < 0) {
            fprintf(stderr, "sandbox_probe: %s\n", err);
            return 2;
        }
        sb.user = &acct;
    }
    if (ow_sandbox_enter(&sb, err, sizeof err) < 0) {
        fprintf(stderr, "sandbox_probe: %s\n", err);
        return 3;
    }
    if (!strcmp(what, "ok"))
        return allowed_work();
    if (!strcmp(what, "status")) {
        /* The main thread's and a new thread's view of themselves. */
        pthread_t t;
        if (pthread_create(&t, NULL, thread_main, NULL) == 0)
            pthread_join(t, NULL);
        int fd = open("/proc/self/status", O_RDONLY);
        char buf[8192];
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
        if (n <= 0)
            return 4;
        buf[n] = '\0';
        fputs(buf, stdout);
        return 0;
    }
    if (!strcmp(what, "execve")) {
        char *args[] = { "/bin/true", NULL };
        execve("/bin/true", args, NULL);
        return 10;   /* refused without dying: the filter is wrong */
    }
    if (!strcmp(what, "ptrace")) {
        ptrace(PTRACE_TRACEME, 0, NULL, NULL);
        return 10;
    }
    if (!strcmp(what, "socket")) {
        socket(AF_INET, SOCK_STREAM, 0);
        return 10;
    }
    if (!strcmp(what, "fork")) {
        pid_t p = fork();
        if (p == 0)
            _exit(0);
        return 10;
    }
    if (!strcmp(what, "ioctl")) {
        int v = 0;
        ioctl(STDIN_FILENO, FIOASYNC, &v);
        return 10;
    }
    fprintf(stderr, "sandbox_probe: unknown probe '%s'\n", what);
    return 2;
}
