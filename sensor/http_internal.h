/* http_internal.h — what the HTTP server's files share: the server state, response helpers
 * and query-parameter validation. Not for use outside sensor/http_*.c. */
#ifndef OW_HTTP_INTERNAL_H
#define OW_HTTP_INTERNAL_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "sensor/http_api.h"
#include "sensor/http_auth.h"

struct ow_conn;

struct ow_http {
    struct MHD_Daemon *daemon;
    const char *command;         /* "serve" or "capture" */
    char *db_path;
    char *webui_dir;             /* NULL: no UI */
    int webui_fd;                /* O_DIRECTORY handle on webui_dir, -1 when none */
    int listen_fd;               /* bound and listening; libmicrohttpd owns it once running */
    bool ipv6;
    char host[64];               /* the listening address as given, for the login URL */
    unsigned port;
    struct ow_auth *auth;
    char *login_file;            /* one-time login token's file (no --tokens), else NULL */
    char *login_url;             /* the URL that uses it */
    char *tls_cert, *tls_key;    /* PEM, NULL without TLS */
    ow_health_fn health_fn;
    void *health_ctx;
    ow_open_flows_fn open_flows_fn;
    const struct ow_policy *policy;
    _Atomic bool stopping;       /* tells event streams to end */
    _Atomic int streams;         /* open event streams */

    pthread_mutex_t rate_lock;   /* packets/s from successive health samples */
    uint64_t rate_prev_us, rate_prev_packets;
    double rate_pps;

    /* Open connections and the request-deadline watchdog (http_conn.c). */
    pthread_mutex_t conn_lock;
    struct ow_conn *conns;
    pthread_t watchdog;
    pthread_cond_t watchdog_cond;
    bool watchdog_running, watchdog_stop;
    _Atomic uint64_t conns_cut;  /* connections cut at the request deadline */
    _Atomic unsigned log_lines;  /* libmicrohttpd messages passed on (capped) */

    /* The last report built (http_routes.c), and what it was built from: the chain's head
     * and the store files as they were. A report verifies the whole store, so a repeated
     * request over an unchanged store is answered from here. */
    pthread_mutex_t report_lock;
    struct json_t *report_doc;
    char report_key[512];
};

/* Limits shared by the endpoints. */
#define OW_HTTP_MAX_LIMIT   500      /* rows per page */
#define OW_HTTP_MAX_OFFSET  10000000
#define OW_HTTP_MAX_STREAMS 32       /* concurrent /api/events */
#define OW_HTTP_MAX_CONNECTIONS 128
#define OW_HTTP_MAX_PER_CLIENT 16    /* connections from one address */
#define OW_HTTP_REQUEST_DEADLINE_MS 10000   /* to receive a whole request, idle time included */
#define OW_HTTP_IDLE_TIMEOUT_S 30    /* no byte either way (libmicrohttpd's own timeout) */

/* Shared by the endpoints (http_routes.c, http_report.c): the wall clock in microseconds,
 * and a read-only store handle (NULL after a 503 naming why). */
uint64_t ow_http_wall_us(void);
struct ow_store *ow_http_open_store(struct ow_http *srv, struct MHD_Connection *c);
/* GET /api/report (http_report.c). */
enum MHD_Result ow_http_get_report(struct ow_http *srv, struct MHD_Connection *c);

/* Sign-in (http_signin.c): the request's token or cookie is checked; /login and /logout. */
bool ow_http_authenticate(struct ow_http *srv, struct MHD_Connection *c);
enum MHD_Result ow_http_send_unauthorized(struct MHD_Connection *c);
enum MHD_Result ow_http_handle_login(struct ow_http *srv, struct MHD_Connection *c);
enum MHD_Result ow_http_handle_logout(struct ow_http *srv, struct MHD_Connection *c);

/* ---- who is asking (http_conn.c) ------------------------------------------------------
 * Every /api/ route runs after the request was authenticated (a bearer token from --tokens
 * or a session cookie); these say as whom. A route that changes anything checks the role
 * (ow_http_require_role) and, for requests that came with the cookie, that they came from
 * our own pages (ow_http_request_same_origin), since a browser sends cookies along with
 * requests other sites make it send. */
enum ow_http_role ow_http_request_role(struct MHD_Connection *c);
const char *ow_http_request_user(struct MHD_Connection *c);    /* the token's name */
bool ow_http_request_by_cookie(struct MHD_Connection *c);
/* True when the request may act for the caller: it carried a bearer token (no browser adds
 * one by itself), or its Origin (else Sec-Fetch-Site) says our own origin. */
bool ow_http_request_same_origin(struct MHD_Connection *c);
/* True when the request's role is need or above; otherwise queues a 403 naming the role
 * needed into *ret and returns false. */
bool ow_http_require_role(struct MHD_Connection *c, enum ow_http_role need, enum MHD_Result *ret);
/* LI targets and LIIDs identify people under interception: below li-officer they are
 * replaced by OW_HTTP_MASKED in every EVE object or line before it is sent. */
#define OW_HTTP_MASKED "[masked]"
bool ow_http_may_see_li(struct MHD_Connection *c);
void ow_http_mask_eve(struct MHD_Connection *c, json_t *eve);   /* by the caller's role */
void ow_http_mask_eve_li(json_t *eve);                           /* whoever asks */
/* An EVE line with its LI identities masked (takes line; NULL when out of memory). */
char *ow_http_mask_eve_line(char *line);

/* Connection tracking (http_conn.c), wired into libmicrohttpd by http_api.c. */
void ow_http_conn_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                         enum MHD_ConnectionNotificationCode code);
void ow_http_conn_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                            enum MHD_RequestTerminationCode toe);
void ow_http_conn_request_received(struct ow_http *srv, struct MHD_Connection *c);
void ow_http_conn_set_identity(struct MHD_Connection *c, const struct ow_identity *who,
                               bool by_cookie);
int ow_http_conn_start(struct ow_http *srv);
void ow_http_conn_stop(struct ow_http *srv);

/* --tls-cert/--tls-key in memory, checked as a pair (http_tls.c). */
int ow_tls_load(const char *cert_path, const char *key_path, char **cert_pem, char **key_pem,
                char *err, size_t errlen);

/* Responses. Each queues a response (with the security headers) and returns MHD's result.
 * send_json takes ownership of body. */
enum MHD_Result ow_http_send_json(struct MHD_Connection *c, unsigned status, json_t *body);
enum MHD_Result ow_http_send_error(struct MHD_Connection *c, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Adds the headers every response carries (CSP, nosniff, no framing, no referrer). */
void ow_http_add_security_headers(struct MHD_Response *r);
/* The same headers with another Content-Security-Policy (the report's script-less page). */
void ow_http_add_headers_with_csp(struct MHD_Response *r, const char *policy);

/* Static UI files under srv->webui_dir (http_static.c). */
enum MHD_Result ow_http_serve_static(struct ow_http *srv, struct MHD_Connection *c,
                                     const char *url);

/* JSON endpoints under /api/ except /api/events (http_routes.c). */
enum MHD_Result ow_http_route_api(struct ow_http *srv, struct MHD_Connection *c, const char *url);

/* GET /api/events: Server-Sent Events, one per new alert (http_events.c). */
enum MHD_Result ow_http_serve_events(struct ow_http *srv, struct MHD_Connection *c);

/* POST /api/alerts/{id}/triage (http_triage.c): begin checks the request and keeps its
 * state in *con_cls; continue takes the body and answers when it is complete; free is
 * called when the request ends. */
enum MHD_Result ow_http_post_begin(struct ow_http *srv, struct MHD_Connection *c, const char *url,
                                   void **con_cls);
enum MHD_Result ow_http_post_continue(struct ow_http *srv, struct MHD_Connection *c,
                                      const char *upload_data, size_t *upload_data_size,
                                      void *con_cls);
void ow_http_post_free(void *con_cls);

/* Query parameters (http_params.c). Each returns 0, or -1 with a message for a 400 in err. */
struct ow_params {
    struct MHD_Connection *c;
    char err[256];
    char param[48];              /* the parameter that failed, for the 400's "param" */
};
/* Fails on any parameter not in the NULL-terminated allowed list, and on repeated ones. */
int ow_params_check(struct ow_params *p, const char *const *allowed);
/* The value, or NULL when absent; "" counts as absent. */
const char *ow_params_get(struct ow_params *p, const char *name);
/* Decimal integer in [min, max]; *out keeps def when absent. */
int ow_params_int(struct ow_params *p, const char *name, int64_t min, int64_t max, int64_t def,
                  int64_t *out);
/* RFC 3339 time in microseconds; *present says whether it was given. */
int ow_params_time(struct ow_params *p, const char *name, int64_t *out, bool *present);
/* Printable ASCII text of at most maxlen bytes (names, rule ids); NULL when absent. */
int ow_params_name(struct ow_params *p, const char *name, size_t maxlen, const char **out);
/* Comma-separated words, each one of choices; up to max words into out. Returns the count
 * (0 when absent), or -1. */
int ow_params_list(struct ow_params *p, const char *name, const char *const *choices,
                   const char **out, int max);
/* One word of choices; *out its index (def when absent). */
int ow_params_choice(struct ow_params *p, const char *name, const char *const *choices, int def,
                     int *out);
/* An IPv4 or IPv6 address, normalised into buf (as the store writes it); *out NULL when
 * absent. */
int ow_params_ip(struct ow_params *p, const char *name, char *buf, size_t buflen,
                 const char **out);
/* A 400 naming the parameter: {"error": ..., "param": ...}. */
enum MHD_Result ow_http_bad_params(struct ow_params *p);

#endif
