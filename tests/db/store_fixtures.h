/* store_fixtures.h — cmocka setup/teardown of a scratch store directory and a checked
 * ow_store_open, shared by the store, chain and report tests. Include after cmocka.h. */
#ifndef OW_TEST_DB_STORE_FIXTURES_H
#define OW_TEST_DB_STORE_FIXTURES_H

#include "db/store.h"
#include "fixtures.h"

static inline int setup_dir(void **state)
{
    struct fixture_dir *d = calloc(1, sizeof *d);
    if (!d)
        return -1;
    fixture_dir_make(d);
    *state = d;
    return 0;
}

static inline int teardown_dir(void **state)
{
    fixture_dir_remove(*state);
    free(*state);
    return 0;
}

static inline struct ow_store *open_store(const char *path)
{
    char err[256] = "";
    struct ow_store *st = ow_store_open(path, err, sizeof err);
    if (!st)
        fail_msg("open %s: %s", path, err);
    return st;
}

#endif
