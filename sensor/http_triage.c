/* http_triage.c — POST /api/alerts/{id}/triage, the API's only write: who may triage, the
 * checks that keep another site from triaging through the analyst's browser (Origin,
 * Sec-Fetch-Site, a JSON content type), the request body, and the chained triage record. */
#include "sensor/http_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "db/store.h"
#include "db/triage.h"

#define MAX_BODY 4096

struct post_state {
    int64_t alert_id;
    bool refused;                /* a response is queued: swallow the rest of the body */
    bool too_big;
    size_t len;
    char body[MAX_BODY + 1];
};

/* Whether this request may write a triage record, and as whom: the request is signed in
 * (http_api.c), its role must be analyst or above, and the record names the token. Roles
 * are checked here and nowhere else. */
static bool may_triage(struct ow_http *srv, struct MHD_Connection *c, char *who, size_t wholen)
{
    (void)srv;
    snprintf(who, wholen, "%s", ow_http_request_user(c));
    return ow_http_request_role(c) >= OW_HTTP_ROLE_ANALYST && who[0];
}

/* Host header's authority ("127.0.0.1:8642") equals Origin's ("http://127.0.0.1:8642"). */
static bool origin_matches_host(const char *origin, const char *host)
{
    const char *auth = NULL;
    if (!strncasecmp(origin, "http://", 7))
        auth = origin + 7;
    else if (!strncasecmp(origin, "https://", 8))
        auth = origin + 8;
    return auth && host && *host && !strcasecmp(auth, host);
}

/* NULL when the request may come from the page itself; else why it is refused. A browser
 * sends Sec-Fetch-Site and Origin with every cross-site POST; clients that are not browsers
 * (curl, scripts) send neither and are held to the token rule alone. */
static const char *cross_site(struct MHD_Connection *c)
{
    const char *site = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Sec-Fetch-Site");
    if (site && strcmp(site, "same-origin") && strcmp(site, "none"))
        return "cross-site request refused (Sec-Fetch-Site)";
    const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
    if (origin && !origin_matches_host(origin, host))
        return "cross-site request refused (Origin is not this server)";
    return NULL;
}

static bool json_content_type(struct MHD_Connection *c)
{
    const char *t = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    if (!t || strncasecmp(t, "application/json", 16))
        return false;
    return t[16] == '\0' || t[16] == ';' || t[16] == ' ';
}

/* "/api/alerts/<id>/triage" -> id, else -1. */
static int64_t triage_path(const char *url)
{
    static const char head[] = "/api/alerts/";
    if (strncmp(url, head, sizeof head - 1))
        return -1;
    const char *p = url + sizeof head - 1;
    int64_t v = 0;
    if (*p < '1' || *p > '9')
        return -1;
    while (*p >= '0' && *p <= '9') {
        if (v > (INT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (*p++ - '0');
    }
    return strcmp(p, "/triage") ? -1 : v;
}

static enum MHD_Result refuse(struct post_state *ps, struct MHD_Connection *c, unsigned status,
                              const char *msg)
{
    if (ps)
        ps->refused = true;
    return ow_http_send_error(c, status, "%s", msg);
}

enum MHD_Result ow_http_post_begin(struct ow_http *srv, struct MHD_Connection *c, const char *url,
                                   void **con_cls)
{
    struct post_state *ps = calloc(1, sizeof *ps);
    if (!ps)
        return MHD_NO;
    *con_cls = ps;
    ps->alert_id = triage_path(url);
    if (ps->alert_id < 0)
        return refuse(ps, c, MHD_HTTP_METHOD_NOT_ALLOWED,
                      "POST is served only at /api/alerts/{id}/triage");
    const char *why = cross_site(c);
    /* Signed in with the cookie, the request must show it came from our own pages. */
    if (!why && ow_http_request_by_cookie(c) && !ow_http_request_same_origin(c))
        why = "cross-site request refused (a cookie sign-in needs Origin or Sec-Fetch-Site "
              "of this server)";
    if (why)
        return refuse(ps, c, MHD_HTTP_FORBIDDEN, why);
    if (!json_content_type(c))
        return refuse(ps, c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                      "the body must be JSON (Content-Type: application/json)");
    char who[64];
    if (!may_triage(srv, c, who, sizeof who))
        return refuse(ps, c, MHD_HTTP_FORBIDDEN, "this token may not triage alerts");
    return MHD_YES;
}

static enum MHD_Result finish(struct ow_http *srv, struct MHD_Connection *c, struct post_state *ps)
{
    if (ps->too_big)
        return refuse(ps, c, MHD_HTTP_CONTENT_TOO_LARGE, "the body is larger than 4096 bytes");
    ps->body[ps->len] = '\0';
    json_error_t jerr;
    json_t *req = json_loadb(ps->body, ps->len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(req)) {
        json_decref(req);
        return refuse(ps, c, MHD_HTTP_BAD_REQUEST,
                      "the body must be a JSON object {\"status\": ..., \"note\": ...}");
    }
    const char *key;
    json_t *v;
    json_object_foreach(req, key, v) {
        if (strcmp(key, "status") && strcmp(key, "note") && strcmp(key, "by")) {
            json_decref(req);
            return refuse(ps, c, MHD_HTTP_BAD_REQUEST, "unknown member in the body "
                          "(status, note and by are known)");
        }
        if (!json_is_string(v)) {
            json_decref(req);
            return refuse(ps, c, MHD_HTTP_BAD_REQUEST, "status, note and by must be strings");
        }
    }
    const char *status = json_string_value(json_object_get(req, "status"));
    const char *note = json_string_value(json_object_get(req, "note"));
    const char *by = json_string_value(json_object_get(req, "by"));
    if (!ow_triage_status_valid(status)) {
        json_decref(req);
        return refuse(ps, c, MHD_HTTP_BAD_REQUEST,
                      "status must be open, acknowledged, escalated or closed");
    }
    char who[64];
    if (!may_triage(srv, c, who, sizeof who)) {
        json_decref(req);
        return refuse(ps, c, MHD_HTTP_FORBIDDEN, "this token may not triage alerts");
    }
    /* The record names the token that signed in; a name typed in the page is kept beside
     * it, never instead of it. */
    char by_text[OW_TRIAGE_BY_MAX + 1];
    int n = -1;
    if (by && *by && strcmp(by, who) && strlen(who) + strlen(by) + 7 <= OW_TRIAGE_BY_MAX)
        n = snprintf(by_text, sizeof by_text, "%s (for %s)", who, by);
    if (n < 0 || (size_t)n >= sizeof by_text)
        snprintf(by_text, sizeof by_text, "%s", who);
    char err[512];
    struct ow_store *st = ow_store_open(srv->db_path, err, sizeof err);
    if (!st) {
        json_decref(req);
        if (access(srv->db_path, W_OK) != 0)
            return refuse(ps, c, MHD_HTTP_SERVICE_UNAVAILABLE,
                          "this server may only read the store (it runs as a reader in the "
                          "store's group, or read-only): triage with 'omwitness triage' as the "
                          "store's owner, or run serve as its owner");
        return refuse(ps, c, MHD_HTTP_SERVICE_UNAVAILABLE, err);
    }
    struct ow_triage_state *t = calloc(1, sizeof *t);
    int rc = t ? ow_triage_add(st, ps->alert_id, status, note, by_text, 0, t, err, sizeof err)
               : -1;
    json_decref(req);
    json_t *history = rc == 0 ? ow_triage_history_json(ow_store_handle(st), ps->alert_id) : NULL;
    ow_store_close(st);
    if (rc != 0) {
        free(t);
        json_decref(history);
        if (rc == 1)
            return refuse(ps, c, MHD_HTTP_NOT_FOUND, err);
        return refuse(ps, c, rc == 2 ? MHD_HTTP_BAD_REQUEST : MHD_HTTP_INTERNAL_SERVER_ERROR,
                      rc == -1 && !t ? "out of memory" : err);
    }
    json_t *state = ow_triage_state_json(t);
    json_object_set_new(state, "id", json_integer(t->id));
    free(t);
    ps->refused = true;   /* answered */
    return ow_http_send_json(c, MHD_HTTP_CREATED,
                             json_pack("{s:I,s:o,s:o}", "alert_id", (json_int_t)ps->alert_id,
                                       "triage", state, "history",
                                       history ? history : json_array()));
}

enum MHD_Result ow_http_post_continue(struct ow_http *srv, struct MHD_Connection *c,
                                      const char *upload_data, size_t *upload_data_size,
                                      void *con_cls)
{
    struct post_state *ps = con_cls;
    if (*upload_data_size) {
        if (!ps->refused) {
            if (ps->len + *upload_data_size > MAX_BODY)
                ps->too_big = true;
            else {
                memcpy(ps->body + ps->len, upload_data, *upload_data_size);
                ps->len += *upload_data_size;
            }
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (ps->refused)
        return MHD_YES;
    return finish(srv, c, ps);
}

void ow_http_post_free(void *con_cls)
{
    free(con_cls);
}
