/* sandbox.c — user switch, capability drop, no_new_privs and the seccomp allowlist. */
#include "sensor/sandbox.h"

#include <errno.h>
#include <grp.h>
#include <linux/sched.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <termios.h>
#include <unistd.h>

#include <cap-ng.h>
#include <seccomp.h>

int ow_sandbox_find_user(const char *name, struct ow_account *out, char *err, size_t errlen)
{
    errno = 0;
    struct passwd *pw = getpwnam(name);
    if (!pw) {
        snprintf(err, errlen, "--user %s: %s", name, errno ? strerror(errno) : "no such user");
        return -1;
    }
    if (pw->pw_uid == 0) {
        snprintf(err, errlen, "--user %s: that is root; name an unprivileged user", name);
        return -1;
    }
    out->uid = pw->pw_uid;
    out->gid = pw->pw_gid;
    snprintf(out->name, sizeof out->name, "%s", name);
    return 0;
}

int ow_sandbox_find_group(const char *name, gid_t *out, char *err, size_t errlen)
{
    errno = 0;
    struct group *gr = getgrnam(name);
    if (!gr) {
        snprintf(err, errlen, "--group %s: %s", name, errno ? strerror(errno) : "no such group");
        return -1;
    }
    *out = gr->gr_gid;
    return 0;
}

bool ow_sandbox_running_as_root(void)
{
    return geteuid() == 0;
}

/* ---- the allowlist -------------------------------------------------------------------- */

/* Every call the capture makes once it runs: its threads (workers, writer, sources, HTTP),
 * SQLite (the writer's handle and the HTTP server's read-only ones), libpcap on the open
 * handles, libmicrohttpd and GnuTLS on the listening socket, and glibc underneath them.
 * Anything else kills the process. The reasons are in docs/hardening.md. */
static const char *const allowed[] = {
    /* memory (mlock: libgcrypt's secure memory for private keys) */
    "brk", "mmap", "munmap", "mremap", "mprotect", "madvise", "mlock", "mlock2", "munlock",
    /* threads and their synchronisation */
    "futex", "set_robust_list", "get_robust_list", "rseq", "sched_yield", "sched_getaffinity",
    "gettid", "getpid", "exit", "exit_group", "restart_syscall",
    "rt_sigprocmask", "rt_sigaction", "rt_sigreturn", "sigaltstack",
    /* time */
    "clock_gettime", "clock_getres", "gettimeofday", "time", "nanosleep", "clock_nanosleep",
    /* files already named: the store and its -wal/-shm, outputs, the web UI, key rotation */
    "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "lseek",
    "openat", "open", "close", "fstat", "newfstatat", "stat", "lstat", "statx",
    "fcntl", "flock", "fsync", "fdatasync", "ftruncate", "fallocate",
    "unlink", "unlinkat", "rename", "renameat", "renameat2",
    "access", "faccessat", "faccessat2", "readlink", "readlinkat", "getcwd",
    "fchmod", "fchown", "getdents64", "dup", "dup3",
    /* waiting on descriptors */
    "poll", "ppoll", "select", "pselect6", "epoll_create1", "epoll_ctl", "epoll_wait",
    "epoll_pwait", "eventfd2", "pipe2",
    /* sockets that are already open: the listening one, accepted ones, the capture ones, a
     * witness's syslog socket. No socket(), socketpair() or connect(). */
    "accept", "accept4", "recvfrom", "recvmsg", "sendto", "sendmsg", "sendfile", "shutdown",
    "getsockopt", "setsockopt", "getsockname", "getpeername",
    /* identity queries (SQLite asks geteuid before creating a file) */
    "getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid",
    /* randomness for TLS sessions, login sessions and epoch keys (libgcrypt's pool also
     * mixes in getrusage when it makes a key) */
    "getrandom", "getrusage",
    /* resource queries glibc makes */
    "getrlimit", "prlimit64", "uname", "sysinfo",
};

static int add(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned nargs,
               const struct scmp_arg_cmp *args)
{
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR)
        return 0;    /* not a call of this architecture (open on aarch64, say) */
    return seccomp_rule_add_array(ctx, action, nr, nargs, args);
}

/* A condition on argument arg (libseccomp's SCMP_An macros leave datum_b to the compiler,
 * which clang warns about). For SCMP_CMP_MASKED_EQ a is the mask and b the value. */
static struct scmp_arg_cmp compare(unsigned arg, enum scmp_compare op, scmp_datum_t a,
                                   scmp_datum_t b)
{
    return (struct scmp_arg_cmp){ .arg = arg, .op = op, .datum_a = a, .datum_b = b };
}

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    char msg[96];
    int n = snprintf(msg, sizeof msg, "omwitness: seccomp: system call %d is not allowed\n",
                     si->si_syscall);
    if (n > 0 && write(STDERR_FILENO, msg, (size_t)n) < 0)
        _exit(159);
    _exit(159);
}

static int install_filter(char *err, size_t errlen)
{
    /* OMWITNESS_SECCOMP_DEBUG=1 names the refused call on stderr before dying, instead of
     * the kernel killing silently: for finding what a new library version needs. */
    const char *debug = getenv("OMWITNESS_SECCOMP_DEBUG");
    bool trap = debug && !strcmp(debug, "1");
    scmp_filter_ctx ctx = seccomp_init(trap ? SCMP_ACT_TRAP : SCMP_ACT_KILL_PROCESS);
    if (!ctx) {
        snprintf(err, errlen, "seccomp: cannot start a filter");
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; !rc && i < sizeof allowed / sizeof allowed[0]; i++)
        rc = add(ctx, SCMP_ACT_ALLOW, allowed[i], 0, NULL);
    /* New threads only: a clone without CLONE_THREAD would be a new process. glibc tries
     * clone3 first, whose flags live in memory a filter cannot read: ENOSYS sends it back
     * to clone. */
    struct scmp_arg_cmp thread_only = compare(0, SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD);
    if (!rc)
        rc = add(ctx, SCMP_ACT_ALLOW, "clone", 1, &thread_only);
    if (!rc)
        rc = add(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL);
    /* Signals to this process only (abort, raise). */
    struct scmp_arg_cmp self = compare(0, SCMP_CMP_EQ, (scmp_datum_t)getpid(), 0);
    if (!rc)
        rc = add(ctx, SCMP_ACT_ALLOW, "tgkill", 1, &self);
    /* Thread names (libmicrohttpd names its threads); no other prctl. */
    static const unsigned long prctls[] = { PR_SET_NAME, PR_GET_NAME };
    for (size_t i = 0; !rc && i < sizeof prctls / sizeof prctls[0]; i++) {
        struct scmp_arg_cmp opt = compare(0, SCMP_CMP_EQ, prctls[i], 0);
        rc = add(ctx, SCMP_ACT_ALLOW, "prctl", 1, &opt);
    }
    /* isatty() and the byte counts a socket has waiting; no other ioctl. */
    static const unsigned long ioctls[] = { TCGETS, FIONREAD, FIONBIO };
    for (size_t i = 0; !rc && i < sizeof ioctls / sizeof ioctls[0]; i++) {
        struct scmp_arg_cmp req = compare(1, SCMP_CMP_EQ, ioctls[i], 0);
        rc = add(ctx, SCMP_ACT_ALLOW, "ioctl", 1, &req);
    }
    if (!rc)
        rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
    if (rc) {
        snprintf(err, errlen, "seccomp: cannot build the filter: %s", strerror(-rc));
        seccomp_release(ctx);
        return -1;
    }
    if (trap) {
        struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
        sigemptyset(&sa.sa_mask);
        sigaction(SIGSYS, &sa, NULL);
    }
    rc = seccomp_load(ctx);
    seccomp_release(ctx);
    if (rc) {
        snprintf(err, errlen, "seccomp: cannot install the filter: %s", strerror(-rc));
        return -1;
    }
    return 0;
}

/* ---- dropping ------------------------------------------------------------------------- */

static int switch_user(const struct ow_sandbox *sb, char *err, size_t errlen)
{
    const struct ow_account *u = sb->user;
    gid_t gid = sb->group != (gid_t)-1 ? sb->group : u->gid;
    /* While still root: no capability may come back through the bounding or ambient sets. */
    capng_clear(CAPNG_SELECT_ALL);
    if (capng_apply(CAPNG_SELECT_BOUNDS) != 0 || capng_apply(CAPNG_SELECT_AMBIENT) != 0) {
        snprintf(err, errlen, "cannot clear the bounding and ambient capability sets");
        return -1;
    }
    if (setgroups(0, NULL) != 0 || setresgid(gid, gid, gid) != 0 ||
        setresuid(u->uid, u->uid, u->uid) != 0) {
        snprintf(err, errlen, "cannot switch to user %s: %s", u->name, strerror(errno));
        return -1;
    }
    uid_t r, e, s;
    gid_t rg, eg, sg;
    if (getresuid(&r, &e, &s) != 0 || getresgid(&rg, &eg, &sg) != 0 || r != u->uid ||
        e != u->uid || s != u->uid || rg != gid || eg != gid || sg != gid ||
        getgroups(0, NULL) != 0) {
        snprintf(err, errlen, "the switch to user %s did not take", u->name);
        return -1;
    }
    /* A process that gave up root must not be able to take it back. */
    if (setuid(0) == 0) {
        snprintf(err, errlen, "could become root again after switching to %s", u->name);
        return -1;
    }
    return 0;
}

int ow_sandbox_enter(const struct ow_sandbox *sb, char *err, size_t errlen)
{
    if (sb->user) {
        if (geteuid() != 0) {
            snprintf(err, errlen, "--user %s needs root (or start as that user)", sb->user->name);
            return -1;
        }
        if (switch_user(sb, err, errlen) < 0)
            return -1;
    }
    /* Whatever is left (ambient capabilities a service manager gave, or root kept): gone. A
     * bounding set we may not clear without CAP_SETPCAP matters no more once no_new_privs is
     * set, and execve is refused anyway. */
    capng_clear(CAPNG_SELECT_CAPS | CAPNG_SELECT_AMBIENT);
    if (capng_apply(CAPNG_SELECT_CAPS) != 0 || capng_apply(CAPNG_SELECT_AMBIENT) != 0) {
        snprintf(err, errlen, "cannot drop capabilities");
        return -1;
    }
    capng_get_caps_process();
    if (capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE) {
        snprintf(err, errlen, "capabilities remain after dropping them");
        return -1;
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        snprintf(err, errlen, "cannot set no_new_privs: %s", strerror(errno));
        return -1;
    }
    return install_filter(err, errlen);
}
