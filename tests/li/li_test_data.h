/* li_test_data.h — shared helpers for the LI tests: the shared-data path and file loading. */
#ifndef OW_TEST_LI_DATA_H
#define OW_TEST_LI_DATA_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Directory of the shared test data, or NULL when the environment does not provide it. */
static inline const char *li_test_shared_dir(void)
{
    const char *d = getenv("OW_SHARED_DATA");
    if (!d || !*d)
        return NULL;
    FILE *probe;
    char path[4096];
    snprintf(path, sizeof path, "%s/pcaps/li/x2-demo-01.pcap", d);
    probe = fopen(path, "rb");
    if (!probe)
        return NULL;
    fclose(probe);
    return d;
}

/* cmocka skip with the one-line reason the house rules ask for. */
#define LI_SKIP_NO_SHARED_DATA()                                                          \
    do {                                                                                  \
        print_message("SKIP: OW_SHARED_DATA unset or without pcaps/li (no shared test data)\n"); \
        skip();                                                                           \
    } while (0)

/* Reads dir/rel into a malloc'd buffer; NULL on failure. */
static inline uint8_t *li_test_load(const char *dir, const char *rel, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            uint8_t *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        if (got == 0)
            break;
        n += got;
    }
    fclose(f);
    *len = n;
    return buf;
}

#endif
