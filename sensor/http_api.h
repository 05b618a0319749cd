/* http_api.h — the HTTP server behind `serve` and `capture --listen`: the browser UI's static
 * files and a read-only JSON API over the evidence store (docs/webui.md). It runs on its own
 * threads (libmicrohttpd, one thread per connection) and reads the store through its own
 * read-only SQLite handles, so the writer never waits for it. */
#ifndef OW_HTTP_API_H
#define OW_HTTP_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ow_policy;

/* What a live capture reports about itself; all counters since the capture began. */
struct ow_health {
    uint64_t packets;            /* packets read from the sources */
    uint64_t bytes;
    uint64_t drops_kernel;       /* pcap_stats ps_drop (+ ps_ifdrop) */
    uint64_t drops_internal;     /* packets dropped because a worker ring was full */
    uint64_t active_flows;       /* flows in the workers' tables now */
    uint64_t flows_written;      /* flows committed to the store */
    uint64_t alerts_written;
    uint64_t ring_bytes;         /* bytes queued in the rings now (queue depth) */
    uint64_t ring_capacity;      /* the rings' total size, 0 if unknown */
    int64_t  run_id;             /* the run being written, 0 if unknown */
};

/* Fills *out; called from HTTP threads, so it must be thread-safe (atomics are enough). */
typedef void (*ow_health_fn)(void *ctx, struct ow_health *out);

struct ow_http_config {
    const char *listen;          /* "ADDR:PORT", "[V6ADDR]:PORT"; NULL = "127.0.0.1:8642";
                                  * port 0 picks a free port (see ow_http_port) */
    const char *db_path;         /* the evidence store (read-only handles) */
    const char *webui_dir;       /* directory of the static UI; NULL = no UI, API only */
    const char *token;           /* bearer token; NULL = none. Required (start fails without
                                  * one) when listen is not a loopback address */
    bool require_token;          /* ask for the token even on loopback (tests) */
    ow_health_fn health_fn;      /* NULL when serving a stored db */
    void *health_ctx;
    const struct ow_policy *policy;   /* optional: lists rules with no hits too; must outlive
                                       * the server */
};

struct ow_http;

/* Starts serving. NULL on failure with a one-line reason in err. */
struct ow_http *ow_http_start(const struct ow_http_config *cfg, char *err, size_t errlen);

/* The port actually bound (useful with port 0). */
unsigned ow_http_port(const struct ow_http *srv);

/* Ends open event streams, stops the threads and frees everything. NULL is allowed. */
void ow_http_stop(struct ow_http *srv);

/* True for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104 ("loopback" for the token rule). */
bool ow_http_addr_is_loopback(const char *addr);

/* A new random token (getrandom): 64 lowercase hex characters and a NUL in out[65]. */
int ow_http_new_token(char out[65]);

/* Reads a bearer token from a file (first line, surrounding whitespace removed; at least 16
 * printable characters). 0, or -1 with a one-line reason in err. */
int ow_read_token_file(const char *path, char *token, size_t tokenlen, char *err, size_t errlen);

/* Decides the bearer token for a server listening on listen ("ADDR:PORT"): read from
 * token_file when given; else generated (64 hex characters, *generated set) when the
 * address is not loopback or require is set; else none (token ""). 0, or -1 with err. */
int ow_http_choose_token(const char *listen, const char *token_file, bool require,
                         char *token, size_t tokenlen, bool *generated, char *err, size_t errlen);

#endif
