/* migrations.h — the evidence store's schema, built by numbered migrations that run in
 * order, each in its own transaction, tracked by PRAGMA user_version. */
#ifndef OW_MIGRATIONS_H
#define OW_MIGRATIONS_H

#include <stddef.h>

#include <sqlite3.h>

/* PRAGMA application_id of an omwitness store: "OWIT". */
#define OW_STORE_APPLICATION_ID 0x4F574954

/* The newest schema version this build knows. */
int ow_migrations_latest(void);

/* Applies every migration newer than the file's user_version. Refuses a file whose
 * user_version is newer than ours, or that belongs to another application. 0, or -1 with
 * a one-line reason in err. */
int ow_migrate(sqlite3 *db, char *err, size_t errlen);

/* PRAGMA user_version, or -1 if it cannot be read (e.g. not a database). */
int ow_schema_version_of(sqlite3 *db);

/* Checks that db is an omwitness store this build can read (application_id ours and
 * 1 <= user_version <= latest). 0, or -1 with a reason in err. */
int ow_schema_check(sqlite3 *db, char *err, size_t errlen);

/* The tables the store's user_version promises are all there, and none of a later version
 * (a lowered user_version). 0, or -1 with the table named in err. */
int ow_schema_tables_check(sqlite3 *db, char *err, size_t errlen);

#endif
