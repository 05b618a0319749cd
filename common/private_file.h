/* private_file.h — how omwitness creates the files it writes: the store and its -wal/-shm,
 * evidence and report outputs, JSON lines, witness and key files. They are mode 0600, or 0640
 * with a reader group (--group); outputs are opened with O_NOFOLLOW, so a symlink planted
 * where a file is expected is refused rather than followed; and when the process is about to
 * give up root for --user, they are given to that user, so it can go on writing them. */
#ifndef OW_PRIVATE_FILE_H
#define OW_PRIVATE_FILE_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

/* Process-wide, set once by the command line before anything is opened. group: the group
 * that may read the files ((gid_t)-1: none, mode 0600). owner/owner_group: who the files
 * must belong to ((uid_t)-1: whoever creates them). */
void ow_private_files_configure(gid_t group, uid_t owner, gid_t owner_group);
mode_t ow_private_mode(void);     /* 0600, or 0640 with a group */

/* Opens an output for writing, creating it private: O_WRONLY | O_CREAT | O_NOFOLLOW |
 * O_CLOEXEC plus extra (O_TRUNC or O_APPEND). An existing regular file is given the private
 * mode and owner before anything is written. Character devices and FIFOs (/dev/null, a pipe)
 * are accepted as they are; anything else fails with EINVAL. -1 with errno on failure. */
int ow_private_open(const char *path, int extra);
/* The same as a stdio stream; mode "w" (truncate) or "a" (append). */
FILE *ow_private_fopen(const char *path, const char *mode);

/* Secret files (private keys): always 0600 and never the reader group's. */
int ow_secret_open(const char *path, int extra);

/* Gives a file opened by other means (mkstemp) the private mode and owner (secret: 0600
 * always). 0, or -1 with errno. */
int ow_private_adopt(int fd, bool secret);

/* Creates path empty and private when it does not exist (O_EXCL). 1 when it was created, 0
 * when it existed, -1 with errno. */
int ow_private_create(const char *path);
/* Gives an existing regular file the private mode and owner; 0 when absent too (missing_ok),
 * -1 with errno. A symlink is refused. */
int ow_private_fix(const char *path, bool missing_ok);

#endif
