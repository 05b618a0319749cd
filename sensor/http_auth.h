/* http_auth.h — who may use the API: the --tokens file (lines "name role token"), a one-time
 * login token when there is none, and the browser sessions a login opens (an HttpOnly,
 * SameSite=Strict cookie). Tokens and session ids are kept as SHA-256 digests and compared in
 * constant time. Thread-safe: the HTTP threads share one table. */
#ifndef OW_HTTP_AUTH_H
#define OW_HTTP_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sensor/http_api.h"

#define OW_AUTH_NAME_MAX 64
#define OW_AUTH_SESSION_HEX 64            /* a session id: 32 random bytes in hex */
#define OW_AUTH_MIN_TOKEN_BITS 128
#define OW_AUTH_SESSION_SECONDS (12 * 3600)

struct ow_auth;

struct ow_identity {
    char name[OW_AUTH_NAME_MAX];
    enum ow_http_role role;
};

/* Reads a tokens file. It must be a regular file of ours (or root's), mode 0600 or 0640; every
 * line "name role token" (# comments and blank lines allowed), roles analyst, li-officer or
 * admin, names and tokens unique, every token at least 128 bits strong by its alphabet and
 * not visibly repetitive. NULL with one line (FILE:LINE: why) in err otherwise. */
struct ow_auth *ow_auth_load(const char *path, char *err, size_t errlen);

/* No tokens file: one login token (64 hex characters from getrandom, role admin, name
 * "login") that works once, at /login. */
struct ow_auth *ow_auth_one_time(char token_hex[65], char *err, size_t errlen);

void ow_auth_free(struct ow_auth *a);

/* A bearer token from the tokens file (the one-time login token is not one). */
bool ow_auth_bearer(struct ow_auth *a, const char *token, struct ow_identity *who);

/* /login: a file token or the unused one-time token opens a session; its id (hex) goes to
 * session_hex[OW_AUTH_SESSION_HEX + 1]. False for anything else or when out of randomness. */
bool ow_auth_login(struct ow_auth *a, const char *token, char *session_hex,
                   struct ow_identity *who);
/* True when the one-time login token has been used (its file can go). */
bool ow_auth_one_time_used(struct ow_auth *a);

/* A session cookie's id; false when unknown or expired. */
bool ow_auth_session(struct ow_auth *a, const char *session_hex, struct ow_identity *who);
void ow_auth_logout(struct ow_auth *a, const char *session_hex);

/* How many bits a token is worth by its alphabet (16 per hex, 64 per base64 character, 94
 * per printable one), or 0 when it is visibly repetitive (one character over a quarter of it,
 * fewer than 8 distinct, or a repeated pattern). */
unsigned ow_auth_token_bits(const char *token);

/* A role by name ("analyst", "li-officer", "admin"); OW_HTTP_ROLE_NONE when unknown. */
enum ow_http_role ow_http_role_from_name(const char *name);

#endif
