/* bench_writer.c — the evidence store's write path at scale, without packets: FLOWS synthetic
 * decided flows, each written as the writer thread writes them (sensor/writer.c): its flow
 * record at the verdict (open, chained) and, one batch later, its flow_end (chained), in
 * transactions of BATCH rows (by default the writer's own, OW_WRITER_BATCH_ROWS),
 * synchronous=FULL and WAL as a capture has them. With MODE "ended", each flow's end comes
 * within its verdict's batch, and the writer stores the two as one ended row (its common
 * case). With MODE "bulk", flows are written as in "ended", on the path a bulk replay takes
 * (db/bulk_indexes.h): the deferrable indexes dropped and the smaller page cache set, and
 * built again after the last batch, timed on their own. Prints chained flows/s (one flow =
 * both records) and the store's size; with more than 400,000 flows, also the rate of each
 * 200,000 in turn, which shows whether the writer slows as the store grows.
 * Usage: bench_writer [FLOWS [BATCH [DIR [open|ended|bulk]]]] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db/bulk_indexes.h"
#include "db/store.h"
#include "common/community_id.h"
#include "common/flow_record.h"
#include "sensor/writer.h"      /* OW_WRITER_BATCH_ROWS: the writer thread's batch */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A flow as nDPI decides most of the corpus's: TCP, a protocol, an application, a category. */
static void make_flow(struct ow_flow_record *r, uint64_t i)
{
    memset(r, 0, sizeof *r);
    r->flow_id = i + 1;
    r->first_ts_us = 1770701400000000ull + i * 1000u;
    r->last_ts_us = r->first_ts_us + 2500000u;
    char a[32], b[32];
    snprintf(a, sizeof a, "10.%u.%u.%u", (unsigned)(i >> 16) & 255, (unsigned)(i >> 8) & 255,
             (unsigned)i & 255);
    snprintf(b, sizeof b, "172.16.%u.%u", (unsigned)(i >> 8) & 255, (unsigned)(i * 7) & 255);
    if (ow_addr_from_text(a, &r->client) < 0 || ow_addr_from_text(b, &r->server) < 0)
        abort();
    r->client.port = (uint16_t)(1024 + i % 60000);
    r->server.port = 443;
    r->l4_proto = 6;
    r->pkts_toserver = 10;
    r->pkts_toclient = 8;
    r->bytes_toserver = 1500;
    r->bytes_toclient = 9000;
    ow_community_id(0, r->l4_proto, &r->client, &r->server, r->community_id,
                    sizeof r->community_id);
    snprintf(r->ndpi_protocol, sizeof r->ndpi_protocol, "TLS");
    snprintf(r->ndpi_app, sizeof r->ndpi_app, "TLS.Google");
    snprintf(r->ndpi_category, sizeof r->ndpi_category, "Web");
    snprintf(r->ndpi_confidence, sizeof r->ndpi_confidence, "DPI");
    snprintf(r->app_proto, sizeof r->app_proto, "tls");
    r->open = 1;
}

int main(int argc, char **argv)
{
    long flows = argc > 1 ? atol(argv[1]) : 200000;
    long batch = argc > 2 ? atol(argv[2]) : OW_WRITER_BATCH_ROWS;
    const char *dir = argc > 3 ? argv[3] : "/tmp";
    int bulk_mode = argc > 4 && strcmp(argv[4], "bulk") == 0;
    int ended_mode = bulk_mode || (argc > 4 && strcmp(argv[4], "ended") == 0);
    if (flows <= 0 || batch <= 1)
        return 2;
    char path[512];
    snprintf(path, sizeof path, "%s/bench_writer.%ld.db", dir, (long)getpid());
    char err[512];
    struct ow_store *st = ow_store_open(path, err, sizeof err);
    if (!st) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    struct ow_run_info info = {
        .kind = "replay", .source = "bench", .source_sha256 = "00", .site = "",
        .policy_sha256 = "", .version = "bench", .threads = 2, .started_wall_us = 1,
    };
    /* What an index costs: BENCH_DROP_INDEXES=flows_community_id,chain_row,... */
    const char *drop = getenv("BENCH_DROP_INDEXES");
    while (drop && *drop) {
        size_t n = strcspn(drop, ",");
        char sql[200];
        snprintf(sql, sizeof sql, "DROP INDEX %.*s", (int)n, drop);
        if (sqlite3_exec(ow_store_handle(st), sql, NULL, NULL, NULL) != SQLITE_OK) {
            fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(ow_store_handle(st)));
            return 1;
        }
        drop += n + (drop[n] == ',');
    }
    /* What a setting would give: BENCH_SQL="PRAGMA wal_autocheckpoint = 4000", run after the
     * store is open (and before the bulk path sets its own). */
    const char *extra = getenv("BENCH_SQL");
    if (extra && sqlite3_exec(ow_store_handle(st), extra, NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "%s: %s\n", extra, sqlite3_errmsg(ow_store_handle(st)));
        return 1;
    }
    if (bulk_mode && ow_bulk_indexes_defer(st, (uint64_t)flows) != 1) {
        fprintf(stderr, "bench_writer: the bulk path did not defer the indexes: %s\n",
                ow_store_errmsg(st));
        return 1;
    }
    int64_t run = ow_store_begin_run(st, &info);
    int64_t *rows = calloc((size_t)flows, sizeof *rows);
    if (run <= 0 || !rows)
        return 1;
    struct ow_flow_record r;
    long half = batch / 2, ended = 0;
    double t0 = now_s(), t_part = t0;
    long next_part = 200000;
    for (long i = 0; i < flows || ended < flows;) {
        if (ow_store_begin_batch(st) != 0)
            goto bad;
        long opened = 0;
        /* ended: each flow's end comes in its verdict's batch (two rows of the writer's
         * batch, one row in the store); the writer's common case in a replay. */
        for (; ended_mode && i < flows && opened < half; i++, opened++) {
            struct ow_flow_record e;
            make_flow(&r, (uint64_t)i);
            e = r;
            e.open = 0;
            e.end_reason = OW_END_TCP_CLOSED;
            struct ow_stored_flow ids = { 0 };
            if (ow_store_add_flow_ended(st, run, &r, &e, &ids) != 0)
                goto bad;
            ended++;
        }
        for (; !ended_mode && i < flows && opened < half; i++, opened++) {
            make_flow(&r, (uint64_t)i);
            struct ow_stored_flow ids = { 0 };
            if (ow_store_add_flow_ids(st, run, &r, &ids) != 0)
                goto bad;
            rows[i] = ids.flow_row;
        }
        /* The ends of the flows opened by the batch before (all of them at the last). */
        long upto = ended_mode ? ended : i < flows ? i - opened : flows;
        for (; ended < upto; ended++) {
            make_flow(&r, (uint64_t)ended);
            r.open = 0;
            r.end_reason = OW_END_TCP_CLOSED;
            if (ow_store_end_flow(st, rows[ended], &r) != 0)
                goto bad;
        }
        if (ow_store_commit_batch(st) != 0)
            goto bad;
        if (flows > 400000 && ended >= next_part) {
            double t = now_s();
            printf("  flows %ld-%ld: %.0f flows/s\n", next_part - 200000, next_part,
                   200000.0 / (t - t_part));
            t_part = t;
            next_part += 200000;
        }
    }
    double dt = now_s() - t0, dt_build = 0;
    if (bulk_mode) {
        double t1 = now_s();
        if (ow_bulk_indexes_build(st) != 0)
            goto bad;
        dt_build = now_s() - t1;
    }
    struct ow_run_stats stats = { 0 };
    ow_store_end_run(st, run, &stats);
    ow_store_close(st);
    struct stat sb;
    stat(path, &sb);
    printf("%ld chained flows (flow + flow_end) in %.3f s: %.0f flows/s, batch %ld rows, "
           "store %.1f MiB\n", flows, dt, (double)flows / dt, batch,
           (double)sb.st_size / 1048576.0);
    if (bulk_mode)
        printf("deferred indexes built in %.3f s: %.0f flows/s with the build\n", dt_build,
               (double)flows / (dt + dt_build));
    free(rows);
    char side[600];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    return 0;
bad:
    fprintf(stderr, "bench_writer: %s\n", ow_store_errmsg(st));
    return 1;
}
