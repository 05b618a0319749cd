/* store_files.h — the store's files on disk: the database and the -wal and -shm SQLite keeps
 * beside it. The writer makes all three private (0600, or 0640 for a reader group) and keeps
 * the -wal and -shm after it closes, so a reader never has to create a file in the store's
 * directory (it may not be allowed to, and a file it made would not be the writer's). A new
 * store is built under a temporary name and moved into place whole. */
#ifndef OW_STORE_FILES_H
#define OW_STORE_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* True for names SQLite does not treat as a plain file (":memory:", "file:" URIs, ""). */
bool ow_store_path_special(const char *path);

/* Gives the database, its -wal and its -shm the private mode and owner (sensor/
 * private_file.h); absent ones are skipped. 0, or -1 with a one-line reason in err. */
int ow_store_files_make_private(const char *path, char *err, size_t errlen);

/* True when both the -wal and the -shm exist, so a read-only handle creates nothing. */
bool ow_store_files_complete(const char *path);

/* "file:PATH?immutable=1" with PATH percent-encoded, for a read-only handle on a store whose
 * -wal/-shm are gone (closed by another program): it reads the file as it is, takes no locks
 * and creates nothing. 0, or -1 when it does not fit. */
int ow_store_snapshot_uri(const char *path, char *out, size_t outlen);

/* A new store is made under "PATH.creating-PID" and then moved to PATH (db/store_open.c). */
int ow_store_files_creating_name(const char *path, pid_t pid, char *out, size_t outlen);
/* Moves the new store to path, never over a file already there (EEXIST: another process
 * made one first). 0, or -1 with errno. */
int ow_store_files_move_new(const char *tmp, const char *path);
/* Removes a temporary store and its SQLite side files; absent ones are skipped. */
void ow_store_files_remove_creating(const char *tmp);
/* Removes the temporary stores of processes that no longer run (killed while creating). */
void ow_store_files_sweep_creating(const char *path);

#endif
