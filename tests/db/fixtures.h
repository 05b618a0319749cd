/* fixtures.h — flow records and scratch files shared by the db tests. */
#ifndef OW_TEST_DB_FIXTURES_H
#define OW_TEST_DB_FIXTURES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/community_id.h"
#include "common/flow_record.h"

/* 2026-02-10T05:30:00Z */
#define FIXTURE_T0_US 1770701400000000ull

static inline void fixture_copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src);
}
#define FIX_SET(field, text) fixture_copy((field), sizeof(field), (text))

/* A TCP flow client:cport -> server:sport starting at t0 + offset_s seconds. */
static inline void fixture_flow(struct ow_flow_record *r, uint64_t flow_id, const char *client,
                                uint16_t cport, const char *server, uint16_t sport,
                                unsigned offset_s)
{
    memset(r, 0, sizeof *r);
    r->flow_id = flow_id;
    r->first_ts_us = FIXTURE_T0_US + (uint64_t)offset_s * 1000000u + 123456u;
    r->last_ts_us = r->first_ts_us + 2500000u;
    if (ow_addr_from_text(client, &r->client) < 0 || ow_addr_from_text(server, &r->server) < 0)
        abort();
    r->client.port = cport;
    r->server.port = sport;
    r->l4_proto = 6;
    r->end_reason = OW_END_TCP_CLOSED;
    r->pkts_toserver = 10;
    r->pkts_toclient = 8;
    r->bytes_toserver = 1500;
    r->bytes_toclient = 9000;
    ow_community_id(0, r->l4_proto, &r->client, &r->server, r->community_id,
                    sizeof r->community_id);
    FIX_SET(r->ndpi_protocol, "SSH");
    FIX_SET(r->ndpi_app, "SSH");
    FIX_SET(r->ndpi_category, "RemoteAccess");
    FIX_SET(r->ndpi_confidence, "DPI");
    FIX_SET(r->app_proto, "SSH");
}

/* A scratch directory and a store path in it; removed by fixture_cleanup. */
struct fixture_dir {
    char dir[64];
    char db[128];
};

static inline void fixture_dir_make(struct fixture_dir *d)
{
    snprintf(d->dir, sizeof d->dir, "/tmp/ow-dbtest.XXXXXX");
    if (!mkdtemp(d->dir))
        abort();
    snprintf(d->db, sizeof d->db, "%s/store.db", d->dir);
}

static inline void fixture_dir_remove(struct fixture_dir *d)
{
    static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
    char path[160];
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(path, sizeof path, "%s%s", d->db, suffixes[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/other", d->dir);
    unlink(path);
    rmdir(d->dir);
}

#endif
