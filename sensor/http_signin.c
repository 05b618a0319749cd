/* http_signin.c — who is asking and what they may see: the bearer token or session cookie
 * of a request, sign-in and sign-out, same-origin checks for writes, roles, and the masking
 * of LI fields for those who may not see them. Tokens and sessions themselves live in
 * http_auth.c. */
#include "sensor/http_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *cookie_name(const struct ow_http *srv)
{
    /* Under TLS the __Host- prefix makes the browser refuse the cookie from anything but a
     * secure, host-only, Path=/ Set-Cookie. */
    return srv->tls_cert ? "__Host-ow_session" : "ow_session";
}

static const char *bearer_of(struct MHD_Connection *c)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7))
        return NULL;
    h += 7;
    while (*h == ' ')
        h++;
    return h;
}

/* A bearer token from --tokens, else the session cookie. */
bool ow_http_authenticate(struct ow_http *srv, struct MHD_Connection *c)
{
    struct ow_identity who = { .role = OW_HTTP_ROLE_NONE };
    const char *bearer = bearer_of(c);
    if (bearer) {
        if (!ow_auth_bearer(srv->auth, bearer, &who))
            return false;
        ow_http_conn_set_identity(c, &who, false);
        return true;
    }
    const char *sid = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, cookie_name(srv));
    if (!sid || !ow_auth_session(srv->auth, sid, &who))
        return false;
    ow_http_conn_set_identity(c, &who, true);
    return true;
}

bool ow_http_request_same_origin(struct MHD_Connection *c)
{
    if (!ow_http_request_by_cookie(c))
        return ow_http_request_role(c) != OW_HTTP_ROLE_NONE;
    const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
    if (origin && host) {
        const char *rest = !strncmp(origin, "https://", 8) ? origin + 8
                         : !strncmp(origin, "http://", 7) ? origin + 7 : NULL;
        return rest && !strcasecmp(rest, host);
    }
    if (origin)
        return false;
    const char *site = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Sec-Fetch-Site");
    return site && !strcmp(site, "same-origin");
}

bool ow_http_require_role(struct MHD_Connection *c, enum ow_http_role need, enum MHD_Result *ret)
{
    enum ow_http_role have = ow_http_request_role(c);
    if (have >= need)
        return true;
    *ret = ow_http_send_error(c, MHD_HTTP_FORBIDDEN, "this needs the %s role (%s has %s)",
                              ow_http_role_name(need), ow_http_request_user(c),
                              ow_http_role_name(have));
    return false;
}

bool ow_http_may_see_li(struct MHD_Connection *c)
{
    return ow_http_request_role(c) >= OW_HTTP_ROLE_LI_OFFICER;
}

void ow_http_mask_eve_li(json_t *eve)
{
    json_t *li = json_is_object(eve) ? json_object_get(eve, "li") : NULL;
    if (!json_is_object(li))
        return;
    static const char *const keys[] = { "liid", "target" };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *v = json_string_value(json_object_get(li, keys[i]));
        if (v && *v)
            json_object_set_new(li, keys[i], json_string(OW_HTTP_MASKED));
    }
}

void ow_http_mask_eve(struct MHD_Connection *c, json_t *eve)
{
    if (!ow_http_may_see_li(c))
        ow_http_mask_eve_li(eve);
}

char *ow_http_mask_eve_line(char *line)
{
    if (!line || !strstr(line, "\"li\":"))
        return line;
    json_t *eve = json_loads(line, 0, NULL);
    free(line);
    if (!eve)
        return NULL;
    ow_http_mask_eve_li(eve);
    char *out = json_dumps(eve, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
    json_decref(eve);
    return out;
}

enum MHD_Result ow_http_send_unauthorized(struct MHD_Connection *c)
{
    static char body[] = "{\"error\":\"sign in: a bearer token from --tokens, or the session "
                         "cookie /login sets\"}";
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
    MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"omwitness\"");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    ow_http_add_security_headers(r);
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_UNAUTHORIZED, r);
    MHD_destroy_response(r);
    return ret;
}

/* An empty answer with a redirect and a cookie line (either may be NULL). */
static enum MHD_Result send_redirect(struct MHD_Connection *c, const char *location,
                                     const char *cookie)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    if (cookie)
        MHD_add_response_header(r, "Set-Cookie", cookie);
    MHD_add_response_header(r, "Location", location);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    ow_http_add_security_headers(r);
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_SEE_OTHER, r);
    MHD_destroy_response(r);
    return ret;
}

/* GET /login?token=T (a link, as `serve` prints it: answered with a redirect to /) or with
 * "Authorization: Bearer T" (the page's sign-in form: answered with who signed in). Either
 * way the session cookie is set; the token itself is never in a URL afterwards. */
enum MHD_Result ow_http_handle_login(struct ow_http *srv, struct MHD_Connection *c)
{
    static const char *const allowed[] = { "token", NULL };
    struct ow_params p = { .c = c };
    if (ow_params_check(&p, allowed) < 0)
        return ow_http_send_error(c, MHD_HTTP_BAD_REQUEST, "%s", p.err);
    const char *query = ow_params_get(&p, "token");
    const char *token = query ? query : bearer_of(c);
    char sid[OW_AUTH_SESSION_HEX + 1];
    struct ow_identity who;
    if (!token || !ow_auth_login(srv->auth, token, sid, &who))
        return ow_http_send_error(c, MHD_HTTP_UNAUTHORIZED,
                                  "that token is wrong, or the one-time token was used already");
    if (srv->login_file && ow_auth_one_time_used(srv->auth))
        unlink(srv->login_file);
    char cookie[256];
    snprintf(cookie, sizeof cookie, "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d%s",
             cookie_name(srv), sid, OW_AUTH_SESSION_SECONDS, srv->tls_cert ? "; Secure" : "");
    explicit_bzero(sid, sizeof sid);
    enum MHD_Result ret;
    if (query) {
        ret = send_redirect(c, "/", cookie);
    } else {
        json_t *body = json_pack("{s:s,s:s}", "name", who.name, "role",
                                 ow_http_role_name(who.role));
        char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
        json_decref(body);
        struct MHD_Response *r = text ? MHD_create_response_from_buffer(strlen(text), text,
                                                                        MHD_RESPMEM_MUST_FREE)
                                      : NULL;
        if (!r) {
            free(text);
            explicit_bzero(cookie, sizeof cookie);
            return MHD_NO;
        }
        MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
        MHD_add_response_header(r, "Set-Cookie", cookie);
        MHD_add_response_header(r, "Cache-Control", "no-store");
        ow_http_add_security_headers(r);
        ret = MHD_queue_response(c, MHD_HTTP_OK, r);
        MHD_destroy_response(r);
    }
    explicit_bzero(cookie, sizeof cookie);
    return ret;
}

enum MHD_Result ow_http_handle_logout(struct ow_http *srv, struct MHD_Connection *c)
{
    const char *sid = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, cookie_name(srv));
    if (sid)
        ow_auth_logout(srv->auth, sid);
    char cookie[128];
    snprintf(cookie, sizeof cookie, "%s=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0%s",
             cookie_name(srv), srv->tls_cert ? "; Secure" : "");
    return send_redirect(c, "/", cookie);
}
