/* http_auth.c — the tokens file, the one-time login token and browser sessions. */
#include "sensor/http_auth.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gcrypt.h>

#include "common/alloc.h"

#define MAX_TOKENS 1000
#define MAX_SESSIONS 256
#define MAX_TOKEN_LEN 256
#define MAX_FILE_BYTES (256 * 1024)

struct entry {
    uint8_t digest[32];
    struct ow_identity who;
};

struct session {
    uint8_t digest[32];
    struct ow_identity who;
    int64_t expires_s;
    bool live;
};

struct ow_auth {
    pthread_mutex_t lock;
    struct entry *tokens;
    size_t ntokens;
    bool one_time;               /* tokens[0] is the login token, good for one login */
    bool one_time_used;
    struct session sessions[MAX_SESSIONS];
};

static const char *const role_names[] = {
    [OW_HTTP_ROLE_NONE] = "none", [OW_HTTP_ROLE_ANALYST] = "analyst",
    [OW_HTTP_ROLE_LI_OFFICER] = "li-officer", [OW_HTTP_ROLE_ADMIN] = "admin",
};

const char *ow_http_role_name(enum ow_http_role r)
{
    return (unsigned)r < sizeof role_names / sizeof role_names[0] ? role_names[r] : "none";
}

enum ow_http_role ow_http_role_from_name(const char *name)
{
    for (unsigned r = OW_HTTP_ROLE_ANALYST; r <= OW_HTTP_ROLE_ADMIN; r++)
        if (!strcmp(name, role_names[r]))
            return (enum ow_http_role)r;
    return OW_HTTP_ROLE_NONE;
}

static void digest(const char *text, uint8_t out[32])
{
    if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
        gcry_check_version(NULL);
        gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
        gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
    }
    gcry_md_hash_buffer(GCRY_MD_SHA256, out, text, strlen(text));
}

static bool same_digest(const uint8_t *a, const uint8_t *b)
{
    uint8_t diff = 0;
    for (int i = 0; i < 32; i++)
        diff |= a[i] ^ b[i];
    return diff == 0;
}

static int random_hex(char *out, size_t nbytes)
{
    uint8_t raw[64];
    if (nbytes > sizeof raw)
        return -1;
    for (size_t got = 0; got < nbytes;) {
        ssize_t n = getrandom(raw + got, nbytes - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < nbytes; i++) {
        out[2 * i] = hx[raw[i] >> 4];
        out[2 * i + 1] = hx[raw[i] & 15];
    }
    out[2 * nbytes] = '\0';
    explicit_bzero(raw, sizeof raw);
    return 0;
}

unsigned ow_auth_token_bits(const char *t)
{
    size_t n = strlen(t);
    if (n == 0)
        return 0;
    unsigned counts[256] = { 0 }, distinct = 0, most = 0;
    bool hex = true, b64 = true;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)t[i];
        if (counts[ch]++ == 0)
            distinct++;
        if (counts[ch] > most)
            most = counts[ch];
        bool h = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
        bool b = h || (ch >= 'g' && ch <= 'z') || (ch >= 'G' && ch <= 'Z') || ch == '-' ||
                 ch == '_' || ch == '+' || ch == '/' || ch == '=';
        hex = hex && h;
        b64 = b64 && b;
    }
    if (distinct < 8 || most * 4 > n + 4)
        return 0;
    /* A pattern repeated ("abcdefgh" eight times) is worth one copy of it. */
    for (size_t p = 1; p <= n / 2; p++) {
        size_t i = p;
        while (i < n && t[i] == t[i - p])
            i++;
        if (i == n)
            return 0;
    }
    double per = hex ? 4.0 : b64 ? 6.0 : 6.55;
    return (unsigned)(per * (double)n);
}

static struct ow_auth *auth_new(size_t cap)
{
    struct ow_auth *a = ow_calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->tokens = ow_calloc(cap ? cap : 1, sizeof *a->tokens);
    if (!a->tokens) {
        free(a);
        return NULL;
    }
    pthread_mutex_init(&a->lock, NULL);
    return a;
}

void ow_auth_free(struct ow_auth *a)
{
    if (!a)
        return;
    explicit_bzero(a->tokens, sizeof *a->tokens * (a->ntokens ? a->ntokens : 1));
    free(a->tokens);
    explicit_bzero(a->sessions, sizeof a->sessions);
    pthread_mutex_destroy(&a->lock);
    free(a);
}

/* Reads the whole file after checking what it is and who may read it. */
static char *read_tokens_file(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat sb;
    char *buf = NULL;
    if (fstat(fd, &sb) < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
    } else if (!S_ISREG(sb.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
    } else if ((sb.st_mode & 0777) != 0600 && (sb.st_mode & 0777) != 0640 &&
               (sb.st_mode & 0777) != 0400 && (sb.st_mode & 0777) != 0440) {
        snprintf(err, errlen, "%s: mode %04o lets others read or change the tokens; it must be "
                 "0600 or 0640 (chmod 600 %s)", path, (unsigned)(sb.st_mode & 0777), path);
    } else if (sb.st_uid != geteuid() && sb.st_uid != 0) {
        snprintf(err, errlen, "%s: belongs to uid %u; it must be ours or root's", path,
                 (unsigned)sb.st_uid);
    } else if (sb.st_size > MAX_FILE_BYTES) {
        snprintf(err, errlen, "%s: larger than %d KiB", path, MAX_FILE_BYTES / 1024);
    } else if (!(buf = ow_malloc((size_t)sb.st_size + 1))) {
        snprintf(err, errlen, "%s: out of memory", path);
    } else {
        size_t got = 0;
        while (got < (size_t)sb.st_size) {
            ssize_t n = read(fd, buf + got, (size_t)sb.st_size - got);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            got += (size_t)n;
        }
        if (got != (size_t)sb.st_size) {
            snprintf(err, errlen, "%s: short read", path);
            free(buf);
            buf = NULL;
        } else {
            buf[got] = '\0';
        }
    }
    close(fd);
    return buf;
}

static bool name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= OW_AUTH_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == '@'))
            return false;
    }
    return true;
}

static bool token_chars_ok(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
            return false;
    return true;
}

/* One "name role token" line into e; 0, or -1 with the reason. */
static int parse_line(char *line, struct entry *e, char *why, size_t whylen)
{
    char *save = NULL, *name = strtok_r(line, " \t", &save), *role = strtok_r(NULL, " \t", &save),
         *token = strtok_r(NULL, " \t", &save), *extra = strtok_r(NULL, " \t", &save);
    if (!role || !token || extra) {
        snprintf(why, whylen, "expected 'name role token'");
        return -1;
    }
    if (!name_ok(name)) {
        snprintf(why, whylen, "the name must be 1 to %d of [A-Za-z0-9._@-]", OW_AUTH_NAME_MAX - 1);
        return -1;
    }
    enum ow_http_role r = ow_http_role_from_name(role);
    if (r == OW_HTTP_ROLE_NONE) {
        snprintf(why, whylen, "role '%.32s' of '%s' is not analyst, li-officer or admin", role, name);
        return -1;
    }
    size_t n = strlen(token);
    if (n > MAX_TOKEN_LEN || !token_chars_ok(token)) {
        snprintf(why, whylen, "the token of '%s' must be up to %d printable characters", name,
                 MAX_TOKEN_LEN);
        return -1;
    }
    unsigned bits = ow_auth_token_bits(token);
    if (bits < OW_AUTH_MIN_TOKEN_BITS) {
        snprintf(why, whylen, "the token of '%s' is too weak (about %u bits; %d needed: 32 random "
                 "hex characters, e.g. from 'openssl rand -hex 32')", name, bits,
                 OW_AUTH_MIN_TOKEN_BITS);
        return -1;
    }
    snprintf(e->who.name, sizeof e->who.name, "%s", name);
    e->who.role = r;
    digest(token, e->digest);
    explicit_bzero(token, n);
    return 0;
}

struct ow_auth *ow_auth_load(const char *path, char *err, size_t errlen)
{
    char *text = read_tokens_file(path, err, errlen);
    if (!text)
        return NULL;
    size_t len = strlen(text);
    struct ow_auth *a = auth_new(MAX_TOKENS);
    if (!a) {
        snprintf(err, errlen, "%s: out of memory", path);
        explicit_bzero(text, len);
        free(text);
        return NULL;
    }
    int lineno = 0, bad = 0;
    for (char *p = text, *line; !bad && (line = strsep(&p, "\n"));) {
        lineno++;
        size_t ll = strlen(line);
        if (ll && line[ll - 1] == '\r')
            line[--ll] = '\0';
        char *s = line + strspn(line, " \t");
        if (!*s || *s == '#')
            continue;
        if (a->ntokens == MAX_TOKENS) {
            snprintf(err, errlen, "%s:%d: more than %d tokens", path, lineno, MAX_TOKENS);
            bad = 1;
            break;
        }
        char why[256];
        struct entry *e = &a->tokens[a->ntokens];
        if (parse_line(s, e, why, sizeof why) < 0) {
            snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
            bad = 1;
            break;
        }
        for (size_t i = 0; i < a->ntokens; i++) {
            if (!strcmp(a->tokens[i].who.name, e->who.name)) {
                snprintf(err, errlen, "%s:%d: the name '%s' appears twice", path, lineno,
                         e->who.name);
                bad = 1;
            } else if (same_digest(a->tokens[i].digest, e->digest)) {
                snprintf(err, errlen, "%s:%d: '%s' has the same token as '%s'", path, lineno,
                         e->who.name, a->tokens[i].who.name);
                bad = 1;
            }
        }
        a->ntokens++;
    }
    explicit_bzero(text, len);
    free(text);
    if (!bad && a->ntokens == 0) {
        snprintf(err, errlen, "%s: no tokens in it (lines 'name role token')", path);
        bad = 1;
    }
    if (bad) {
        ow_auth_free(a);
        return NULL;
    }
    return a;
}

struct ow_auth *ow_auth_one_time(char token_hex[65], char *err, size_t errlen)
{
    struct ow_auth *a = auth_new(1);
    if (!a) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (random_hex(token_hex, 32) < 0) {
        snprintf(err, errlen, "cannot make a login token: %s", strerror(errno));
        ow_auth_free(a);
        return NULL;
    }
    digest(token_hex, a->tokens[0].digest);
    snprintf(a->tokens[0].who.name, sizeof a->tokens[0].who.name, "login");
    a->tokens[0].who.role = OW_HTTP_ROLE_ADMIN;
    a->ntokens = 1;
    a->one_time = true;
    return a;
}

/* The entry a token belongs to, or -1. Looks at every entry whatever matches first. */
static long find_token(struct ow_auth *a, const char *token)
{
    if (!token || !*token || strlen(token) > MAX_TOKEN_LEN)
        return -1;
    uint8_t d[32];
    digest(token, d);
    long found = -1;
    for (size_t i = 0; i < a->ntokens; i++)
        if (same_digest(a->tokens[i].digest, d))
            found = (long)i;
    return found;
}

bool ow_auth_bearer(struct ow_auth *a, const char *token, struct ow_identity *who)
{
    if (a->one_time)
        return false;
    long i = find_token(a, token);
    if (i < 0)
        return false;
    *who = a->tokens[i].who;
    return true;
}

static int64_t now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

bool ow_auth_login(struct ow_auth *a, const char *token, char *session_hex,
                   struct ow_identity *who)
{
    long i = find_token(a, token);
    if (i < 0)
        return false;
    pthread_mutex_lock(&a->lock);
    bool ok = !(a->one_time && a->one_time_used);
    if (ok && random_hex(session_hex, OW_AUTH_SESSION_HEX / 2) < 0)
        ok = false;
    if (ok) {
        /* A free slot, else the one closest to expiry. */
        struct session *slot = &a->sessions[0];
        int64_t t = now_s();
        for (size_t k = 0; k < MAX_SESSIONS; k++) {
            struct session *s = &a->sessions[k];
            if (!s->live || s->expires_s <= t) {
                slot = s;
                break;
            }
            if (s->expires_s < slot->expires_s)
                slot = s;
        }
        digest(session_hex, slot->digest);
        slot->who = a->tokens[i].who;
        slot->expires_s = t + OW_AUTH_SESSION_SECONDS;
        slot->live = true;
        *who = slot->who;
        if (a->one_time)
            a->one_time_used = true;
    }
    pthread_mutex_unlock(&a->lock);
    return ok;
}

bool ow_auth_one_time_used(struct ow_auth *a)
{
    pthread_mutex_lock(&a->lock);
    bool used = a->one_time && a->one_time_used;
    pthread_mutex_unlock(&a->lock);
    return used;
}

static bool session_hex_ok(const char *s)
{
    if (!s || strlen(s) != OW_AUTH_SESSION_HEX)
        return false;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return false;
    return true;
}

bool ow_auth_session(struct ow_auth *a, const char *session_hex, struct ow_identity *who)
{
    if (!session_hex_ok(session_hex))
        return false;
    uint8_t d[32];
    digest(session_hex, d);
    int64_t t = now_s();
    bool found = false;
    pthread_mutex_lock(&a->lock);
    for (size_t k = 0; k < MAX_SESSIONS; k++) {
        struct session *s = &a->sessions[k];
        if (s->live && same_digest(s->digest, d) && s->expires_s > t) {
            *who = s->who;
            found = true;
        }
    }
    pthread_mutex_unlock(&a->lock);
    return found;
}

void ow_auth_logout(struct ow_auth *a, const char *session_hex)
{
    if (!session_hex_ok(session_hex))
        return;
    uint8_t d[32];
    digest(session_hex, d);
    pthread_mutex_lock(&a->lock);
    for (size_t k = 0; k < MAX_SESSIONS; k++)
        if (a->sessions[k].live && same_digest(a->sessions[k].digest, d))
            memset(&a->sessions[k], 0, sizeof a->sessions[k]);
    pthread_mutex_unlock(&a->lock);
}
