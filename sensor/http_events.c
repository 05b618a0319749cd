/* http_events.c — GET /api/events: Server-Sent Events, one `alert` event per alert as it is
 * stored. Each stream has its own read-only store handle and polls `alerts` by id > last
 * every POLL_MS (AUTOINCREMENT ids are never reused, so nothing is missed or repeated); its
 * statements are reset after every poll so no read snapshot outlives it. The connection's
 * own thread (thread-per-connection) blocks in the content callback between polls. */
#include "sensor/http_internal.h"

#include <poll.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/api_lookups.h"
#include "db/alert_view.h"
#include "db/eve_json.h"
#include "db/run_context.h"
#include "db/store.h"

#define POLL_MS 300
#define KEEPALIVE_MS 10000
#define ALERTS_PER_POLL 50

struct stream {
    struct ow_http *srv;
    int fd;                      /* the client's socket, to notice it hang up; -1 unknown */
    struct ow_store *st;
    struct ow_alert_poll *poll;
    struct ow_run_context run;   /* the last alert's run, reused while it does not change */
    int64_t last_id;
    bool li_visible;             /* the caller's role may see LI targets and LIIDs */
    char *buf;
    size_t len, pos, cap;
    uint64_t last_write_ms;
};

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int append(struct stream *s, const char *text, size_t n)
{
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + n + 1)
            cap *= 2;
        char *b = realloc(s->buf, cap);
        if (!b)
            return -1;
        s->buf = b;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, text, n);
    s->len += n;
    s->buf[s->len] = '\0';
    return 0;
}

/* Queues one `alert` event. EVE lines are one line of printable ASCII, so they fit a single
 * SSE data field as they are. */
static int queue_alert(struct stream *s, int64_t id)
{
    int status = 0;
    char *line = ow_alert_eve_line(s->st, id, &s->run, &status, NULL, NULL);
    if (status == 1)
        return 0;   /* gone: nothing to tell */
    if (!s->li_visible)
        line = ow_http_mask_eve_line(line);
    if (!line)
        return -1;
    char head[64];
    int n = snprintf(head, sizeof head, "id: %lld\nevent: alert\ndata: ", (long long)id);
    int rc = append(s, head, (size_t)n) < 0 || append(s, line, strlen(line)) < 0 ||
             append(s, "\n\n", 2) < 0 ? -1 : 0;
    free(line);
    return rc;
}

static int prepare_poll(struct stream *s)
{
    s->poll = ow_alert_poll_open(ow_store_handle(s->st));
    return s->poll ? 0 : -1;
}

/* A snapshot handle (a store without -wal/-shm) sees no later writes: take a new one. */
static int refresh_snapshot(struct stream *s)
{
    if (!ow_store_is_snapshot(s->st))
        return 0;
    char err[512];
    struct ow_store *st = ow_store_open_readonly(s->srv->db_path, err, sizeof err);
    if (!st)
        return -1;
    ow_alert_poll_close(s->poll);
    s->poll = NULL;
    ow_store_close(s->st);
    s->st = st;
    return prepare_poll(s);
}

/* Reads the ids of new alerts, then renders them; -1 on a store error. */
static int poll_alerts(struct stream *s)
{
    int64_t ids[ALERTS_PER_POLL];
    if (refresh_snapshot(s) < 0)
        return -1;
    int n = ow_alert_poll_ids(s->poll, s->last_id, ids, ALERTS_PER_POLL);
    if (n < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        if (queue_alert(s, ids[i]) < 0)
            return -1;
        s->last_id = ids[i];
    }
    return n;
}

static size_t drain(struct stream *s, char *out, size_t max)
{
    size_t n = s->len - s->pos < max ? s->len - s->pos : max;
    memcpy(out, s->buf + s->pos, n);
    s->pos += n;
    if (s->pos == s->len)
        s->pos = s->len = 0;
    s->last_write_ms = mono_ms();
    return n;
}

/* Waits POLL_MS; true when the client hung up meanwhile. Without this a closed stream
 * would hold its thread and store handle until the next keep-alive write failed. */
static bool client_gone(struct stream *s)
{
    if (s->fd < 0) {
        struct timespec nap = { 0, POLL_MS * 1000000L };
        nanosleep(&nap, NULL);
        return false;
    }
    struct pollfd p = { .fd = s->fd, .events = POLLRDHUP };
    if (poll(&p, 1, POLL_MS) <= 0)
        return false;
    if (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL))
        return true;
    /* Bytes the client sent after its request (we read none): wait without spinning. */
    struct timespec nap = { 0, POLL_MS * 1000000L };
    nanosleep(&nap, NULL);
    return false;
}

static ssize_t read_events(void *cls, uint64_t offset, char *out, size_t max)
{
    struct stream *s = cls;
    (void)offset;
    for (;;) {
        if (atomic_load(&s->srv->stopping))
            return MHD_CONTENT_READER_END_OF_STREAM;
        if (s->len > s->pos)
            return (ssize_t)drain(s, out, max);
        if (poll_alerts(s) < 0)
            return MHD_CONTENT_READER_END_WITH_ERROR;
        if (s->len > s->pos)
            continue;
        if (mono_ms() - s->last_write_ms >= KEEPALIVE_MS) {
            if (append(s, ": keep-alive\n\n", 14) < 0)
                return MHD_CONTENT_READER_END_WITH_ERROR;
            continue;
        }
        /* Leaving the page is the ordinary end of a stream, not an error. */
        if (client_gone(s))
            return MHD_CONTENT_READER_END_OF_STREAM;
    }
}

static void free_stream(void *cls)
{
    struct stream *s = cls;
    if (!s)
        return;
    ow_alert_poll_close(s->poll);
    ow_store_close(s->st);
    atomic_fetch_sub(&s->srv->streams, 1);
    free(s->buf);
    free(s);
}

/* The id to start after: Last-Event-ID (a reconnecting EventSource), ?last_id=, or else
 * the newest alert now, so a new stream carries only what is stored from now on. */
static int start_id(struct stream *s, struct MHD_Connection *c, struct ow_params *p)
{
    int64_t id = -1;
    const char *hdr = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID");
    if (hdr && *hdr) {
        char *end;
        long long v = strtoll(hdr, &end, 10);
        if (*end || v < 0 || hdr[0] < '0' || hdr[0] > '9') {
            snprintf(p->err, sizeof p->err, "Last-Event-ID must be an alert id");
            return -1;
        }
        id = v;
    } else if (ow_params_int(p, "last_id", 0, INT64_MAX, -1, &id) < 0) {
        return -1;
    }
    if (id < 0) {
        id = ow_api_last_alert_id(ow_store_handle(s->st));
    }
    s->last_id = id;
    return 0;
}

enum MHD_Result ow_http_serve_events(struct ow_http *srv, struct MHD_Connection *c)
{
    static const char *const allowed[] = { "last_id", NULL };
    struct ow_params p = { .c = c };
    if (ow_params_check(&p, allowed) < 0)
        return ow_http_send_error(c, MHD_HTTP_BAD_REQUEST, "%s", p.err);
    if (atomic_fetch_add(&srv->streams, 1) >= OW_HTTP_MAX_STREAMS) {
        atomic_fetch_sub(&srv->streams, 1);
        return ow_http_send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
                                  "too many open event streams (%d)", OW_HTTP_MAX_STREAMS);
    }
    struct stream *s = calloc(1, sizeof *s);
    char err[512] = "out of memory";
    if (s) {
        s->srv = srv;
        s->li_visible = ow_http_may_see_li(c);
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        s->fd = ci ? ci->connect_fd : -1;
        s->st = ow_store_open_readonly(srv->db_path, err, sizeof err);
    }
    if (!s || !s->st) {
        atomic_fetch_sub(&srv->streams, 1);
        free(s);
        return ow_http_send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "%s", err);
    }
    if (start_id(s, c, &p) < 0) {
        free_stream(s);
        return ow_http_send_error(c, MHD_HTTP_BAD_REQUEST, "%s", p.err);
    }
    if (prepare_poll(s) < 0) {
        free_stream(s);
        return ow_http_send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "cannot query the store");
    }
    static const char hello[] = "retry: 2000\n: omwitness alert stream\n\n";
    if (append(s, hello, sizeof hello - 1) < 0) {
        free_stream(s);
        return ow_http_send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    }
    s->last_write_ms = mono_ms();
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, read_events, s, free_stream);
    if (!r) {
        free_stream(s);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "text/event-stream; charset=utf-8");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Accel-Buffering", "no");
    ow_http_add_security_headers(r);
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}
