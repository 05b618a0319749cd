/* health_server.c — starts the HTTP server through ow_http_start with a health callback, as
 * `capture --listen` does, over a given store; the counters grow with wall time (1000
 * packets/s) so the test can check the live health endpoint and its packets/s. Prints
 * "listening on port N" and serves until SIGINT/SIGTERM.
 * Usage: health_server DB WEBUI_DIR TOKENS_FILE */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>

#include "sensor/http_api.h"

static struct timespec started;

static void fake_health(void *ctx, struct ow_health *out)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double s = (double)(now.tv_sec - started.tv_sec) + (double)(now.tv_nsec - started.tv_nsec) / 1e9;
    out->packets = (uint64_t)(s * 1000.0);
    out->bytes = out->packets * 100;
    out->drops_kernel = 7;
    out->drops_internal = 3;
    out->active_flows = 42;
    out->flows_written = 11;
    out->alerts_written = 2;
    out->ring_bytes = 4096;
    out->ring_capacity = 65536;
    out->run_id = *(int64_t *)ctx;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: health_server DB WEBUI_DIR TOKENS_FILE\n");
        return 2;
    }
    static int64_t run_id = 9;
    clock_gettime(CLOCK_MONOTONIC, &started);
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    struct ow_http_config cfg = { .listen = "127.0.0.1:0", .db_path = argv[1], .webui_dir = argv[2],
                                  .tokens_path = argv[3], .health_fn = fake_health,
                                  .health_ctx = &run_id };
    char err[256];
    struct ow_http *srv = ow_http_start(&cfg, err, sizeof err);
    if (!srv) {
        fprintf(stderr, "health_server: %s\n", err);
        return 1;
    }
    fprintf(stderr, "health_server: listening on port %u\n", ow_http_port(srv));
    int sig;
    sigwait(&stop, &sig);
    ow_http_stop(srv);
    return 0;
}
