/* http_api.c — the HTTP server's life and its request routing: binding (with TLS when
 * asked), the one-time login file, and which handler a request goes to. Sign-in and LI
 * masking live in http_signin.c, response headers in http_response.c, tokens and sessions
 * in http_auth.c, connection limits and the request deadline in http_conn.c, the endpoints
 * in http_routes.c, http_events.c and http_static.c. */
#include "sensor/http_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/private_file.h"

#define DEFAULT_LISTEN "127.0.0.1:8642"

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

/* ---- who is asking --------------------------------------------------------------------- */

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
    struct ow_http *srv = cls;
    (void)version;
    bool post = !strcmp(method, "POST");
    /* A POST's body arrives in later calls; its request was checked in the first. The
     * request deadline (http_conn.c) stops once the whole request is in: with the headers
     * for GET and HEAD, when the body is complete for a POST. */
    if (post && *con_cls) {
        if (*upload_data_size == 0)
            ow_http_conn_request_received(srv, c);
        return ow_http_post_continue(srv, c, upload_data, upload_data_size, *con_cls);
    }
    if (!post)
        ow_http_conn_request_received(srv, c);
    if (!post && strcmp(method, "GET") && strcmp(method, "HEAD")) {
        *upload_data_size = 0;
        return ow_http_send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED,
                                  "only GET and HEAD are served (and POST for triage)");
    }
    bool api = !strcmp(url, "/api") || !strncmp(url, "/api/", 5);
    if (!api && post)
        return ow_http_send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED,
                                  "only GET and HEAD are served here");
    if (!strcmp(url, "/login"))
        return ow_http_handle_login(srv, c);
    if (!strcmp(url, "/logout"))
        return ow_http_handle_logout(srv, c);
    if (!api)
        return ow_http_serve_static(srv, c, url);
    if (!ow_http_authenticate(srv, c))
        return ow_http_send_unauthorized(c);
    if (post)
        return ow_http_post_begin(srv, c, url, con_cls);
    if (!strcmp(url, "/api/events"))
        return ow_http_serve_events(srv, c);
    return ow_http_route_api(srv, c, url);
}

/* The end of every request: the connection waits for its next one (the request deadline
 * starts again), and a POST's state goes. */
static void request_done(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode why)
{
    ow_http_conn_completed(cls, c, con_cls, why);
    if (con_cls && *con_cls) {
        ow_http_post_free(*con_cls);
        *con_cls = NULL;
    }
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
    if (srv->listen_fd >= 0)
        close(srv->listen_fd);
    if (srv->login_file) {
        unlink(srv->login_file);
        free(srv->login_file);
    }
    if (srv->login_url) {
        explicit_bzero(srv->login_url, strlen(srv->login_url));
        free(srv->login_url);
    }
    free(srv->db_path);
    free(srv->webui_dir);
    free(srv->tls_cert);
    if (srv->tls_key) {
        explicit_bzero(srv->tls_key, strlen(srv->tls_key));
        free(srv->tls_key);
    }
    ow_auth_free(srv->auth);
    pthread_mutex_destroy(&srv->rate_lock);
    pthread_mutex_destroy(&srv->conn_lock);
    json_decref(srv->report_doc);
    pthread_mutex_destroy(&srv->report_lock);
    free(srv);
}

/* libmicrohttpd's own messages. A client that leaves a page while its event stream is open,
 * or drops a connection, is ordinary browsing and not worth a line; anything else (a failure
 * to create a thread, a client speaking plain HTTP to the TLS port ...) is, but a client can
 * cause those at will, so only the first few are passed on. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    struct ow_http *srv = cls;
    static const char *const ordinary[] = {
        "Closing connection (application error generating response)",
        "Failed to send", "Failed to receive", "Connection reset by peer", "Broken pipe",
        "closed by remote peer", "is no longer available", "Socket has been disconnected",
        "Error processing request data",
    };
    char msg[256];
    vsnprintf(msg, sizeof msg, fmt, ap);
    for (size_t i = 0; i < sizeof ordinary / sizeof ordinary[0]; i++)
        if (strstr(msg, ordinary[i]))
            return;
    unsigned n = atomic_fetch_add(&srv->log_lines, 1);
    if (n > 20)
        return;
    size_t len = strlen(msg);
    while (len && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
        msg[--len] = '\0';
    for (char *p = msg; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
            *p = '?';
    fprintf(stderr, "omwitness %s: http: %s%s\n", srv->command, msg,
            n == 20 ? " (further HTTP messages are not shown)" : "");
}

/* Where the one-time login token goes: the service's runtime directory, the user's, or a
 * new private file in the temporary directory. The file holds the token and its URL. */
static int write_login_file(struct ow_http *srv, const char *token, char *err, size_t errlen)
{
    const char *scheme = srv->tls_cert ? "https" : "http";
    const char *host = srv->host;
    if (!strcmp(host, "0.0.0.0"))
        host = "127.0.0.1";
    else if (!strcmp(host, "::"))
        host = "::1";
    bool v6 = strchr(host, ':') != NULL;
    char url[256];
    snprintf(url, sizeof url, "%s://%s%s%s:%u/login?token=%s", scheme, v6 ? "[" : "", host,
             v6 ? "]" : "", srv->port, token);
    srv->login_url = ow_strdup(url);
    explicit_bzero(url, sizeof url);
    if (!srv->login_url) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    char path[4096];
    const char *dir = getenv("RUNTIME_DIRECTORY");
    if (!dir || !*dir)
        dir = getenv("XDG_RUNTIME_DIR");
    int fd = -1;
    if (dir && *dir && dir[0] == '/') {
        size_t dl = strcspn(dir, ":");     /* systemd may list several */
        snprintf(path, sizeof path, "%.*s/omwitness-%s-%ld.login", (int)dl, dir, srv->command,
                 (long)getpid());
        fd = ow_secret_open(path, O_EXCL | O_TRUNC);
    }
    if (fd < 0) {
        const char *tmp = getenv("TMPDIR");
        snprintf(path, sizeof path, "%s/omwitness-login-XXXXXX",
                 tmp && tmp[0] == '/' ? tmp : "/tmp");
        fd = mkstemp(path);    /* 0600, created exclusively */
        if (fd >= 0 && ow_private_adopt(fd, true) < 0) {   /* the --user's, to remove it */
            close(fd);
            unlink(path);
            fd = -1;
        }
    }
    if (fd < 0) {
        snprintf(err, errlen, "cannot write the login token file %s: %s", path, strerror(errno));
        return -1;
    }
    srv->login_file = ow_strdup(path);
    size_t tl = strlen(token), ul = strlen(srv->login_url);
    bool ok = srv->login_file && write(fd, token, tl) == (ssize_t)tl && write(fd, "\n", 1) == 1 &&
              write(fd, srv->login_url, ul) == (ssize_t)ul && write(fd, "\n", 1) == 1;
    ok = close(fd) == 0 && ok;
    if (!ok) {
        if (!srv->login_file)
            unlink(path);
        snprintf(err, errlen, "cannot write the login token file %s", path);
        return -1;
    }
    return 0;
}

static int bind_listen(struct ow_http *srv, const struct sockaddr_storage *ss, socklen_t sslen,
                       const char *where, char *err, size_t errlen)
{
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", where, strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ss->ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, (const struct sockaddr *)ss, sslen) < 0 || listen(fd, 128) < 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", where, strerror(errno));
        close(fd);
        return -1;
    }
    struct sockaddr_storage got;
    socklen_t gl = sizeof got;
    if (getsockname(fd, (struct sockaddr *)&got, &gl) == 0)
        srv->port = ntohs(got.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&got)->sin6_port
                                                    : ((struct sockaddr_in *)&got)->sin_port);
    srv->listen_fd = fd;
    return 0;
}

struct ow_http *ow_http_prepare(const struct ow_http_config *cfg, char *err, size_t errlen)
{
    const char *listen = cfg->listen ? cfg->listen : DEFAULT_LISTEN;
    struct sockaddr_storage ss;
    socklen_t sslen;
    char host[INET6_ADDRSTRLEN + 1];
    if (parse_listen(listen, &ss, &sslen, host, sizeof host, err, errlen) < 0)
        return NULL;
    bool tls = cfg->tls_cert_path || cfg->tls_key_path;
    if (!ow_http_addr_is_loopback(host) && !tls) {
        snprintf(err, errlen, "listening on %s (not loopback) needs TLS: give --tls-cert and "
                 "--tls-key", listen);
        return NULL;
    }
    if (!cfg->db_path) {
        snprintf(err, errlen, "no store given");
        return NULL;
    }
    struct ow_http *srv = ow_calloc(1, sizeof *srv);
    if (!srv) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&srv->rate_lock, NULL);
    pthread_mutex_init(&srv->conn_lock, NULL);
    pthread_mutex_init(&srv->report_lock, NULL);
    srv->webui_fd = -1;
    srv->listen_fd = -1;
    srv->command = cfg->command ? cfg->command : "serve";
    srv->ipv6 = ss.ss_family == AF_INET6;
    snprintf(srv->host, sizeof srv->host, "%s", host);
    srv->db_path = ow_strdup(cfg->db_path);
    srv->webui_dir = cfg->webui_dir ? ow_strdup(cfg->webui_dir) : NULL;
    srv->health_fn = cfg->health_fn;
    srv->health_ctx = cfg->health_ctx;
    srv->open_flows_fn = cfg->open_flows_fn;
    srv->policy = cfg->policy;
    if (!srv->db_path || (cfg->webui_dir && !srv->webui_dir)) {
        snprintf(err, errlen, "out of memory");
        free_server(srv);
        return NULL;
    }
    char login_token[65] = "";
    if (cfg->tokens_path)
        srv->auth = ow_auth_load(cfg->tokens_path, err, errlen);
    else
        srv->auth = ow_auth_one_time(login_token, err, errlen);
    if (!srv->auth ||
        (tls && ow_tls_load(cfg->tls_cert_path, cfg->tls_key_path, &srv->tls_cert,
                            &srv->tls_key, err, errlen) < 0)) {
        explicit_bzero(login_token, sizeof login_token);
        free_server(srv);
        return NULL;
    }
    if (srv->webui_dir) {
        srv->webui_fd = open(srv->webui_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (srv->webui_fd < 0) {
            snprintf(err, errlen, "%s: %s", srv->webui_dir, strerror(errno));
            explicit_bzero(login_token, sizeof login_token);
            free_server(srv);
            return NULL;
        }
    }
    if (bind_listen(srv, &ss, sslen, listen, err, errlen) < 0 ||
        (!cfg->tokens_path && write_login_file(srv, login_token, err, errlen) < 0)) {
        explicit_bzero(login_token, sizeof login_token);
        free_server(srv);
        return NULL;
    }
    explicit_bzero(login_token, sizeof login_token);
    return srv;
}

int ow_http_run(struct ow_http *srv, char *err, size_t errlen)
{
    int rc = ow_http_conn_start(srv);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start the HTTP watchdog thread: %s", strerror(rc));
        return -1;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_ERROR_LOG | (srv->ipv6 ? MHD_USE_IPv6 : 0) |
                     (srv->tls_cert ? MHD_USE_TLS : 0);
    if (srv->tls_cert)
        srv->daemon = MHD_start_daemon(flags, 0, NULL, NULL, handle, srv,
            MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv,
            MHD_OPTION_LISTEN_SOCKET, srv->listen_fd,
            MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
            MHD_OPTION_NOTIFY_CONNECTION, ow_http_conn_notify, srv,
            MHD_OPTION_NOTIFY_COMPLETED, request_done, srv,
            MHD_OPTION_CONNECTION_LIMIT, (unsigned)OW_HTTP_MAX_CONNECTIONS,
            MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)OW_HTTP_MAX_PER_CLIENT,
            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)OW_HTTP_IDLE_TIMEOUT_S,
            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
            MHD_OPTION_HTTPS_MEM_CERT, srv->tls_cert,
            MHD_OPTION_HTTPS_MEM_KEY, srv->tls_key,
            MHD_OPTION_HTTPS_PRIORITIES, "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
            MHD_OPTION_END);
    else
        srv->daemon = MHD_start_daemon(flags, 0, NULL, NULL, handle, srv,
            MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv,
            MHD_OPTION_LISTEN_SOCKET, srv->listen_fd,
            MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
            MHD_OPTION_NOTIFY_CONNECTION, ow_http_conn_notify, srv,
            MHD_OPTION_NOTIFY_COMPLETED, request_done, srv,
            MHD_OPTION_CONNECTION_LIMIT, (unsigned)OW_HTTP_MAX_CONNECTIONS,
            MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)OW_HTTP_MAX_PER_CLIENT,
            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)OW_HTTP_IDLE_TIMEOUT_S,
            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
            MHD_OPTION_END);
    if (!srv->daemon) {
        snprintf(err, errlen, "cannot start the HTTP server on port %u", srv->port);
        return -1;
    }
    srv->listen_fd = -1;    /* libmicrohttpd closes it when it stops */
    return 0;
}

struct ow_http *ow_http_start(const struct ow_http_config *cfg, char *err, size_t errlen)
{
    struct ow_http *srv = ow_http_prepare(cfg, err, errlen);
    if (srv && ow_http_run(srv, err, errlen) < 0) {
        ow_http_stop(srv);
        return NULL;
    }
    return srv;
}

unsigned ow_http_port(const struct ow_http *srv)
{
    return srv ? srv->port : 0;
}

const char *ow_http_login_file(const struct ow_http *srv)
{
    return srv ? srv->login_file : NULL;
}

void ow_http_announce(const struct ow_http *srv, FILE *out)
{
    if (!srv || !srv->login_file || ow_auth_one_time_used(srv->auth))
        return;
    if (isatty(fileno(out)))
        fprintf(out, "omwitness %s: sign in at %s (it works once)\n", srv->command,
                srv->login_url);
    else
        fprintf(out, "omwitness %s: sign in with the one-time login URL in %s\n", srv->command,
                srv->login_file);
}

void ow_http_stop(struct ow_http *srv)
{
    if (!srv)
        return;
    atomic_store(&srv->stopping, true);
    if (srv->daemon)
        MHD_stop_daemon(srv->daemon);
    ow_http_conn_stop(srv);
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
