/* sandbox.h — what a capture gives up once its interfaces, store, outputs, keys, witnesses
 * and listening socket are open, and before its worker, writer and HTTP threads start: root
 * (--user: switch to that user and group, no supplementary groups), every capability
 * (libcap-ng; ambient and bounding sets too), the right to gain privileges again
 * (PR_SET_NO_NEW_PRIVS), and every system call it does not need: a seccomp allowlist
 * (libseccomp) that kills the process on anything else, execve, ptrace and new sockets
 * among them. docs/hardening.md lists the calls allowed and why. */
#ifndef OW_SANDBOX_H
#define OW_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct ow_account {
    uid_t uid;
    gid_t gid;                   /* the account's own group */
    char name[64];
};

/* Looks up a user (getpwnam) or a group (getgrnam): they read /etc/passwd and NSS, so before
 * anything else. 0, or -1 with a one-line reason in err. */
int ow_sandbox_find_user(const char *name, struct ow_account *out, char *err, size_t errlen);
int ow_sandbox_find_group(const char *name, gid_t *out, char *err, size_t errlen);

struct ow_sandbox {
    const struct ow_account *user;   /* switch to it (needs root); NULL: keep the uid */
    gid_t group;                     /* the group to run as with user ((gid_t)-1: its own) */
};

/* Drops everything as described above. Must be called before any thread is started (the
 * filter is also synchronised to every thread, should one exist). 0, or -1 with a one-line
 * reason in err: the caller must then stop, not run with privileges it meant to lose. */
int ow_sandbox_enter(const struct ow_sandbox *sb, char *err, size_t errlen);

/* True when the process runs as root and will not switch user: the capture warns once. */
bool ow_sandbox_running_as_root(void);

#endif
