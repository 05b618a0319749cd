/* http_api.h — the HTTP server behind `serve` and `capture --listen`: the browser UI's static
 * files and a read-only JSON API over the evidence store (docs/webui.md). It runs on its own
 * threads (libmicrohttpd, one thread per connection) and reads the store through its own
 * read-only SQLite handles, so the writer never waits for it. */
#ifndef OW_HTTP_API_H
#define OW_HTTP_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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

/* The capture's open flows from the workers' memory (sensor/worker.h): up to max into out,
 * *total the open flows there are. Thread-safe. */
struct ow_open_flow;
typedef size_t (*ow_open_flows_fn)(void *ctx, struct ow_open_flow *out, size_t max,
                                   size_t *total);

/* Who may do what (docs/webui.md "Access"): an analyst reads everything but LI targets and
 * LIIDs, which are masked; an li-officer sees them too; admin is everything. Ordered. */
enum ow_http_role {
    OW_HTTP_ROLE_NONE = 0,
    OW_HTTP_ROLE_ANALYST,
    OW_HTTP_ROLE_LI_OFFICER,
    OW_HTTP_ROLE_ADMIN,
};
const char *ow_http_role_name(enum ow_http_role role);

struct ow_http_config {
    const char *command;         /* "serve" or "capture", for messages; NULL = "serve" */
    const char *listen;          /* "ADDR:PORT", "[V6ADDR]:PORT"; NULL = "127.0.0.1:8642";
                                  * port 0 picks a free port (see ow_http_port) */
    const char *db_path;         /* the evidence store (read-only handles) */
    const char *webui_dir;       /* directory of the static UI; NULL = no UI, API only */
    const char *tokens_path;     /* --tokens FILE ("name role token" lines); NULL: a one-time
                                  * login token is made and written to a private file */
    /* --tls-cert/--tls-key (PEM): both or neither; required when listen is not loopback. */
    const char *tls_cert_path;
    const char *tls_key_path;
    ow_health_fn health_fn;      /* NULL when serving a stored db */
    void *health_ctx;
    ow_open_flows_fn open_flows_fn;   /* NULL when serving a stored db; ctx is health_ctx */
    const struct ow_policy *policy;   /* optional: lists rules with no hits too; must outlive
                                       * the server */
};

struct ow_http;

/* Everything that can fail because of the configuration, and everything that needs files or
 * privileges: reads the tokens and TLS files, opens the UI directory, binds and listens.
 * Starts no thread, so a capture can drop its privileges between this and ow_http_run.
 * NULL on failure with a one-line reason in err. */
struct ow_http *ow_http_prepare(const struct ow_http_config *cfg, char *err, size_t errlen);

/* Starts serving (libmicrohttpd's threads and the request-deadline watchdog). 0, or -1 with
 * err; the server must still be stopped. */
int ow_http_run(struct ow_http *srv, char *err, size_t errlen);

/* ow_http_prepare and ow_http_run in one. */
struct ow_http *ow_http_start(const struct ow_http_config *cfg, char *err, size_t errlen);

/* The port actually bound (useful with port 0). */
unsigned ow_http_port(const struct ow_http *srv);

/* Tells the operator where to go: "listening on port N", and without --tokens how to sign
 * in: the login URL when out is a terminal, else only the file holding the one-time token
 * (a token must not end up in a log). */
void ow_http_announce(const struct ow_http *srv, FILE *out);

/* The file holding the one-time login token, NULL with --tokens. */
const char *ow_http_login_file(const struct ow_http *srv);

/* Ends open event streams, stops the threads, removes the login token file and frees
 * everything. NULL is allowed. */
void ow_http_stop(struct ow_http *srv);

/* True for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104 ("loopback": no TLS needed). */
bool ow_http_addr_is_loopback(const char *addr);

/* The web UI directory used when --webui is not given: the installed copy, else this source
 * tree's webui-static/ (a binary run from its build directory). */
const char *ow_http_default_webui(void);

#endif
