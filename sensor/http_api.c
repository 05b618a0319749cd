/* http_api.c — the HTTP server: binding, the token rule, request routing and the headers every
 * response carries. The endpoints themselves live in http_routes.c, http_events.c and
 * http_static.c. */
#include "sensor/http_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#define DEFAULT_LISTEN "127.0.0.1:8642"

static const char csp[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'";

void ow_http_add_security_headers(struct MHD_Response *r)
{
    ow_http_add_headers_with_csp(r, csp);
}

void ow_http_add_headers_with_csp(struct MHD_Response *r, const char *policy)
{
    MHD_add_response_header(r, "Content-Security-Policy", policy);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "Cross-Origin-Resource-Policy", "same-origin");
}

enum MHD_Result ow_http_send_json(struct MHD_Connection *c, unsigned status, json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(body);
    if (!text) {
        static char oom[] = "{\"error\":\"out of memory\"}";
        text = oom;
        status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        struct MHD_Response *r =
            MHD_create_response_from_buffer(strlen(oom), oom, MHD_RESPMEM_PERSISTENT);
        if (!r)
            return MHD_NO;
        ow_http_add_security_headers(r);
        enum MHD_Result ret = MHD_queue_response(c, status, r);
        MHD_destroy_response(r);
        return ret;
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    ow_http_add_security_headers(r);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

enum MHD_Result ow_http_send_error(struct MHD_Connection *c, unsigned status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* Messages may quote what the client sent: make them valid UTF-8 for jansson. */
    for (char *p = msg; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
            *p = '?';
    return ow_http_send_json(c, status, json_pack("{s:s}", "error", msg));
}

bool ow_http_addr_is_loopback(const char *addr)
{
    struct in_addr v4;
    struct in6_addr v6;
    if (inet_pton(AF_INET, addr, &v4) == 1)
        return (ntohl(v4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, addr, &v6) == 1) {
        if (IN6_IS_ADDR_LOOPBACK(&v6))
            return true;
        return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
    }
    return false;
}

int ow_http_new_token(char out[65])
{
    unsigned char raw[32];
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        got += (size_t)n;
    }
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
    return 0;
}

/* Splits "ADDR:PORT" or "[V6]:PORT" into a socket address. */
static int parse_listen(const char *text, struct sockaddr_storage *ss, socklen_t *sslen,
                        char *host, size_t hostlen, char *err, size_t errlen)
{
    const char *colon, *hstart = text;
    size_t hlen;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || close[1] != ':') {
            snprintf(err, errlen, "listen address '%s' is not [IPV6]:PORT", text);
            return -1;
        }
        hstart = text + 1;
        hlen = (size_t)(close - hstart);
        colon = close + 1;
    } else {
        colon = strrchr(text, ':');
        if (!colon) {
            snprintf(err, errlen, "listen address '%s' is not ADDR:PORT", text);
            return -1;
        }
        hlen = (size_t)(colon - text);
    }
    if (hlen == 0 || hlen >= hostlen) {
        snprintf(err, errlen, "listen address '%s' has no usable address", text);
        return -1;
    }
    memcpy(host, hstart, hlen);
    host[hlen] = '\0';
    char *end;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || errno || port < 0 || port > 65535) {
        snprintf(err, errlen, "listen address '%s': port must be 0..65535", text);
        return -1;
    }
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        *sslen = sizeof *sin;
    } else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)port);
        *sslen = sizeof *sin6;
    } else {
        snprintf(err, errlen, "listen address '%s': '%s' is not an IPv4 or IPv6 address",
                 text, host);
        return -1;
    }
    return 0;
}

/* Compares without stopping at the first difference, so timing says nothing about it. */
static bool token_equal(const char *given, const char *want)
{
    size_t gl = strlen(given), wl = strlen(want);
    unsigned char diff = gl != wl;
    for (size_t i = 0; i < wl; i++)
        diff |= (unsigned char)want[i] ^ (unsigned char)(i < gl ? given[i] : 0);
    return diff == 0;
}

static bool authorized(struct ow_http *srv, struct MHD_Connection *c, bool allow_query)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (h && !strncasecmp(h, "Bearer ", 7)) {
        const char *t = h + 7;
        while (*t == ' ')
            t++;
        return token_equal(t, srv->token);
    }
    if (allow_query) {
        const char *q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");
        if (q)
            return token_equal(q, srv->token);
    }
    return false;
}

/* Without a token, a page on another site could still reach us through DNS rebinding
 * (its name re-pointed at 127.0.0.1); it cannot make the browser send a loopback Host. */
static bool host_is_loopback(struct MHD_Connection *c)
{
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
    if (!host)
        return false;
    char name[64];
    size_t n;
    if (host[0] == '[') {
        const char *close = strchr(host, ']');
        if (!close)
            return false;
        n = (size_t)(close - host - 1);
        host++;
    } else {
        const char *colon = strchr(host, ':');
        n = colon ? (size_t)(colon - host) : strlen(host);
    }
    if (n == 0 || n >= sizeof name)
        return false;
    memcpy(name, host, n);
    name[n] = '\0';
    return !strcasecmp(name, "localhost") || ow_http_addr_is_loopback(name);
}

static enum MHD_Result send_unauthorized(struct MHD_Connection *c)
{
    static char body[] = "{\"error\":\"missing or wrong bearer token\"}";
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
    MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"omwitness\"");
    ow_http_add_security_headers(r);
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_UNAUTHORIZED, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
    struct ow_http *srv = cls;
    (void)version;
    bool post = !strcmp(method, "POST");
    /* A POST's body arrives in later calls; its request was checked in the first. */
    if (post && *con_cls)
        return ow_http_post_continue(srv, c, upload_data, upload_data_size, *con_cls);
    if (!post && strcmp(method, "GET") && strcmp(method, "HEAD")) {
        *upload_data_size = 0;
        return ow_http_send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED,
                                  "only GET and HEAD are served (and POST for triage)");
    }
    if (srv->check_host && !host_is_loopback(c))
        return ow_http_send_error(c, MHD_HTTP_MISDIRECTED_REQUEST,
                                  "this server answers only to a loopback Host");
    bool api = !strcmp(url, "/api") || !strncmp(url, "/api/", 5);
    if (!api) {
        if (post)
            return ow_http_send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED,
                                      "only GET and HEAD are served here");
        return ow_http_serve_static(srv, c, url);
    }
    bool events = !strcmp(url, "/api/events");
    if (srv->token && !authorized(srv, c, events && !post))
        return send_unauthorized(c);
    if (post)
        return ow_http_post_begin(srv, c, url, con_cls);
    if (events)
        return ow_http_serve_events(srv, c);
    return ow_http_route_api(srv, c, url);
}

static void request_done(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode why)
{
    (void)cls;
    (void)c;
    (void)why;
    if (con_cls && *con_cls) {
        ow_http_post_free(*con_cls);
        *con_cls = NULL;
    }
}

/* libmicrohttpd's own messages: a client that leaves a page while its event stream is open,
 * or drops a connection, is ordinary browsing and not worth a line on stderr; anything else
 * (a failure to bind, to create a thread ...) is. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    static const char *const ordinary[] = {
        "Closing connection (application error generating response)",
        "Failed to send", "Failed to receive", "Connection reset by peer", "Broken pipe",
        "closed by remote peer", "is no longer available", "Socket has been disconnected",
        "Error processing request data",
    };
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    for (size_t i = 0; i < sizeof ordinary / sizeof ordinary[0]; i++)
        if (strstr(msg, ordinary[i]))
            return;
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    fprintf(stderr, "omwitness: http: %s\n", msg);
}

static int hex_value(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Percent-decoding of paths and query values, in place. "%00" stays as it is: decoded, it
 * would silently cut the string short ("/index.html%00.js" read as "/index.html"). */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    char *out = s;
    for (const char *in = s; *in;) {
        int hi, lo;
        if (in[0] == '%' && (hi = hex_value(in[1])) >= 0 && (lo = hex_value(in[2])) >= 0 &&
            (hi | lo) != 0) {
            *out++ = (char)(hi * 16 + lo);
            in += 3;
        } else {
            *out++ = *in++;
        }
    }
    *out = '\0';
    return (size_t)(out - s);
}

static void free_server(struct ow_http *srv)
{
    if (!srv)
        return;
    if (srv->webui_fd >= 0)
        close(srv->webui_fd);
    free(srv->db_path);
    free(srv->webui_dir);
    if (srv->token) {
        explicit_bzero(srv->token, strlen(srv->token));
        free(srv->token);
    }
    pthread_mutex_destroy(&srv->rate_lock);
    free(srv);
}

struct ow_http *ow_http_start(const struct ow_http_config *cfg, char *err, size_t errlen)
{
    const char *listen = cfg->listen ? cfg->listen : DEFAULT_LISTEN;
    struct sockaddr_storage ss;
    socklen_t sslen;
    char host[INET6_ADDRSTRLEN + 1];
    if (parse_listen(listen, &ss, &sslen, host, sizeof host, err, errlen) < 0)
        return NULL;
    bool loopback = ow_http_addr_is_loopback(host);
    if ((!loopback || cfg->require_token) && (!cfg->token || !*cfg->token)) {
        snprintf(err, errlen, "listening on %s (not loopback) needs a bearer token", listen);
        return NULL;
    }
    if (cfg->token && strlen(cfg->token) < 16) {
        snprintf(err, errlen, "the bearer token must be at least 16 characters");
        return NULL;
    }
    if (!cfg->db_path) {
        snprintf(err, errlen, "no store given");
        return NULL;
    }
    struct ow_http *srv = calloc(1, sizeof *srv);
    if (!srv) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&srv->rate_lock, NULL);
    srv->webui_fd = -1;
    srv->db_path = strdup(cfg->db_path);
    srv->token = cfg->token ? strdup(cfg->token) : NULL;
    srv->webui_dir = cfg->webui_dir ? strdup(cfg->webui_dir) : NULL;
    srv->check_host = !cfg->token;
    srv->health_fn = cfg->health_fn;
    srv->health_ctx = cfg->health_ctx;
    srv->policy = cfg->policy;
    if (!srv->db_path || (cfg->token && !srv->token) || (cfg->webui_dir && !srv->webui_dir)) {
        snprintf(err, errlen, "out of memory");
        free_server(srv);
        return NULL;
    }
    if (srv->webui_dir) {
        srv->webui_fd = open(srv->webui_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (srv->webui_fd < 0) {
            snprintf(err, errlen, "%s: %s", srv->webui_dir, strerror(errno));
            free_server(srv);
            return NULL;
        }
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    srv->daemon = MHD_start_daemon(flags, 0, NULL, NULL, handle, srv,
                                   MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv,
                                   MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                                   MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
                                   MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
                                   MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
                                   MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
                                   MHD_OPTION_NOTIFY_COMPLETED, request_done, srv,
                                   MHD_OPTION_END);
    if (!srv->daemon) {
        snprintf(err, errlen, "cannot listen on %s (address in use or not available)", listen);
        free_server(srv);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : 0;
    return srv;
}

unsigned ow_http_port(const struct ow_http *srv)
{
    return srv ? srv->port : 0;
}

void ow_http_stop(struct ow_http *srv)
{
    if (!srv)
        return;
    atomic_store(&srv->stopping, true);
    MHD_stop_daemon(srv->daemon);
    free_server(srv);
}

enum MHD_Result ow_http_bad_params(struct ow_params *p)
{
    char msg[256];
    snprintf(msg, sizeof msg, "%s", p->err[0] ? p->err : "bad parameters");
    for (char *q = msg; *q; q++)
        if ((unsigned char)*q < 0x20 || (unsigned char)*q >= 0x7f)
            *q = '?';
    json_t *body = json_pack("{s:s}", "error", msg);
    if (body && p->param[0])
        json_object_set_new(body, "param", json_string(p->param));
    return ow_http_send_json(p->c, MHD_HTTP_BAD_REQUEST, body);
}
