/* http_conn.c — every open connection, for two jobs: the deadline for receiving a whole
 * request (a client trickling one byte at a time keeps libmicrohttpd's inactivity timeout
 * from ever firing; the deadline cuts it after OW_HTTP_REQUEST_DEADLINE_MS however busy it
 * looks), and the identity of the request being handled (for route handlers that check
 * roles). libmicrohttpd caps connections per client address itself.
 *
 * A connection is "receiving" from the moment it opens, and again after each response, until
 * its next request has fully arrived. A watchdog thread shuts down the socket of any
 * connection receiving for longer than the deadline; libmicrohttpd's thread then sees it
 * closed and cleans up. The close notification removes the entry under the same lock before
 * libmicrohttpd closes the descriptor, so the watchdog never touches a reused descriptor. */
#include "sensor/http_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "common/alloc.h"

struct ow_conn {
    struct ow_conn *prev, *next;
    int fd;
    uint64_t since_ms;
    bool receiving;
    bool cut;
    bool by_cookie;
    struct ow_identity who;
};

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void ow_http_conn_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                         enum MHD_ConnectionNotificationCode code)
{
    struct ow_http *srv = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        struct ow_conn *k = ow_calloc(1, sizeof *k);
        if (!k) {
            /* Untracked it would escape the deadline: refuse it instead. */
            if (ci)
                shutdown(ci->connect_fd, SHUT_RDWR);
            *socket_context = NULL;
            return;
        }
        k->fd = ci ? ci->connect_fd : -1;
        k->since_ms = mono_ms();
        k->receiving = true;
        pthread_mutex_lock(&srv->conn_lock);
        k->next = srv->conns;
        if (srv->conns)
            srv->conns->prev = k;
        srv->conns = k;
        pthread_mutex_unlock(&srv->conn_lock);
        *socket_context = k;
        return;
    }
    struct ow_conn *k = *socket_context;
    if (!k)
        return;
    pthread_mutex_lock(&srv->conn_lock);
    if (k->prev)
        k->prev->next = k->next;
    else
        srv->conns = k->next;
    if (k->next)
        k->next->prev = k->prev;
    pthread_mutex_unlock(&srv->conn_lock);
    free(k);
    *socket_context = NULL;
}

static struct ow_conn *conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

void ow_http_conn_request_received(struct ow_http *srv, struct MHD_Connection *c)
{
    struct ow_conn *k = conn_of(c);
    if (!k)
        return;
    pthread_mutex_lock(&srv->conn_lock);
    k->receiving = false;
    pthread_mutex_unlock(&srv->conn_lock);
}

void ow_http_conn_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                            enum MHD_RequestTerminationCode toe)
{
    struct ow_http *srv = cls;
    (void)con_cls;
    (void)toe;
    struct ow_conn *k = conn_of(c);
    if (!k)
        return;
    pthread_mutex_lock(&srv->conn_lock);
    k->receiving = true;
    k->since_ms = mono_ms();
    memset(&k->who, 0, sizeof k->who);
    k->by_cookie = false;
    pthread_mutex_unlock(&srv->conn_lock);
}

void ow_http_conn_set_identity(struct MHD_Connection *c, const struct ow_identity *who,
                               bool by_cookie)
{
    struct ow_conn *k = conn_of(c);
    if (!k)
        return;
    k->who = *who;
    k->by_cookie = by_cookie;
}

enum ow_http_role ow_http_request_role(struct MHD_Connection *c)
{
    struct ow_conn *k = conn_of(c);
    return k ? k->who.role : OW_HTTP_ROLE_NONE;
}

const char *ow_http_request_user(struct MHD_Connection *c)
{
    struct ow_conn *k = conn_of(c);
    return k ? k->who.name : "";
}

bool ow_http_request_by_cookie(struct MHD_Connection *c)
{
    struct ow_conn *k = conn_of(c);
    return k && k->by_cookie;
}

static void *watchdog_main(void *arg)
{
    struct ow_http *srv = arg;
    pthread_mutex_lock(&srv->conn_lock);
    while (!srv->watchdog_stop) {
        uint64_t now = mono_ms();
        for (struct ow_conn *k = srv->conns; k; k = k->next) {
            if (k->receiving && !k->cut && k->fd >= 0 &&
                now - k->since_ms > OW_HTTP_REQUEST_DEADLINE_MS) {
                shutdown(k->fd, SHUT_RDWR);
                k->cut = true;
                atomic_fetch_add(&srv->conns_cut, 1);
            }
        }
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += 200 * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&srv->watchdog_cond, &srv->conn_lock, &until);
    }
    pthread_mutex_unlock(&srv->conn_lock);
    return NULL;
}

int ow_http_conn_start(struct ow_http *srv)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&srv->watchdog_cond, &attr);
    pthread_condattr_destroy(&attr);
    srv->watchdog_stop = false;
    int rc = ow_thread_start(&srv->watchdog, "ow-http-watch", watchdog_main, srv);
    srv->watchdog_running = rc == 0;
    return rc;
}

void ow_http_conn_stop(struct ow_http *srv)
{
    if (!srv->watchdog_running)
        return;
    pthread_mutex_lock(&srv->conn_lock);
    srv->watchdog_stop = true;
    pthread_cond_signal(&srv->watchdog_cond);
    pthread_mutex_unlock(&srv->conn_lock);
    pthread_join(srv->watchdog, NULL);
    srv->watchdog_running = false;
    pthread_cond_destroy(&srv->watchdog_cond);
}
