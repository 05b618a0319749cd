/* listing.c — alerts and flows for the command line (db/listing.h): the rows a filter
 * selects, read back as records and printed as EVE lines (with their run's context and
 * triage, as the API shows them) or as a table sized to its content. */
#include "db/listing.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db/alert_view.h"
#include "db/eve_json.h"
#include "db/run_context.h"
#include "db/triage.h"
#include "common/endpoint.h"

/* ---- terminal-safe text ----------------------------------------------------------------- */

/* Control characters (C0, DEL, C1) and bidirectional overrides or isolates, which can move
 * the cursor, recolour the terminal or reorder what an analyst reads. */
static bool term_unsafe_cp(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0x200e || cp == 0x200f ||
           (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

const char *ow_term_safe(const char *src, size_t width, char *dst, size_t dstlen)
{
    char valid[1024];
    size_t n = ow_utf8_sanitize(valid, sizeof valid, src, strlen(src));
    size_t o = 0, chars = 0;
    for (size_t i = 0; i < n && chars < width;) {
        unsigned char c = (unsigned char)valid[i];
        size_t len = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
        if (i + len > n)
            break;
        uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1f : len == 3 ? c & 0x0f : c & 0x07;
        for (size_t k = 1; k < len; k++)
            cp = (cp << 6) | ((unsigned char)valid[i + k] & 0x3f);
        if (term_unsafe_cp(cp)) {
            if (o + 2 > dstlen)
                break;
            dst[o++] = '?';
        } else {
            if (o + len + 1 > dstlen)
                break;
            memcpy(dst + o, valid + i, len);
            o += len;
        }
        i += len;
        chars++;
    }
    dst[o] = '\0';
    return dst;
}

/* Characters (code points) of valid UTF-8. */
static size_t text_width(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

/* ---- a table whose columns fit their content ------------------------------------------- */

#define MAX_COLS 12
#define CELL_MAX 1200

struct table {
    int ncols;
    const char *head[MAX_COLS];
    bool right[MAX_COLS];        /* numbers, right-aligned */
    int flex;                    /* the column cut to fit the width (-1: none) */
    size_t w[MAX_COLS];
    char **cells;                /* nrows * ncols, terminal-safe */
    size_t nrows, cap;
};

static int table_add(struct table *t, char *const *cells)
{
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 64;
        char **more = realloc(t->cells, cap * (size_t)t->ncols * sizeof *more);
        if (!more)
            return -1;
        t->cells = more;
        t->cap = cap;
    }
    for (int c = 0; c < t->ncols; c++) {
        char safe[CELL_MAX * 4];
        ow_term_safe(cells[c] ? cells[c] : "", CELL_MAX, safe, sizeof safe);
        t->cells[t->nrows * (size_t)t->ncols + (size_t)c] = strdup(safe);
        if (!t->cells[t->nrows * (size_t)t->ncols + (size_t)c]) {
            for (int k = 0; k < c; k++)
                free(t->cells[t->nrows * (size_t)t->ncols + (size_t)k]);
            return -1;
        }
    }
    t->nrows++;
    return 0;
}

static void table_free(struct table *t)
{
    for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
}

/* One line: cells padded to the widths, the flex column (last) cut with "…". */
static int print_line(FILE *out, const struct table *t, char *const *cells, const size_t *w)
{
    for (int c = 0; c < t->ncols; c++) {
        const char *text = cells[c];
        size_t tw = text_width(text);
        bool last = c == t->ncols - 1;
        char cut[CELL_MAX * 4];
        if (tw > w[c]) {
            size_t keep = w[c] > 0 ? w[c] - 1 : 0;
            ow_term_safe(text, keep, cut, sizeof cut - 4);
            if (w[c] > 0) {
                size_t len = strlen(cut);
                memcpy(cut + len, "\xe2\x80\xa6", 4);   /* "…" and its NUL */
            }
            text = cut;
            tw = w[c];
        }
        size_t pad = w[c] > tw ? w[c] - tw : 0;
        if (t->right[c] && fprintf(out, "%*s", (int)pad, "") < 0)
            return -1;
        if (fputs(text, out) < 0)
            return -1;
        if (!t->right[c] && !last && fprintf(out, "%*s", (int)pad, "") < 0)
            return -1;
        if (!last && fputs("  ", out) < 0)
            return -1;
    }
    return fputc('\n', out) == EOF ? -1 : 0;
}

/* Column widths from the content (at least the header's); the flex column gets what the line
 * width leaves, but never less than its header. */
static void table_widths(struct table *t, const struct ow_list_style *s, const size_t *fixed)
{
    for (int c = 0; c < t->ncols; c++) {
        t->w[c] = text_width(t->head[c]);
        if (s->fixed_widths && fixed && fixed[c] > t->w[c])
            t->w[c] = fixed[c];
        for (size_t r = 0; r < t->nrows; r++) {
            size_t cw = text_width(t->cells[r * (size_t)t->ncols + (size_t)c]);
            if (cw > t->w[c])
                t->w[c] = cw;
        }
    }
    if (s->wide || !s->width || t->flex < 0)
        return;
    size_t used = 0;
    for (int c = 0; c < t->ncols; c++)
        if (c != t->flex)
            used += t->w[c] + 2;
    size_t left = s->width > used ? s->width - used : 0;
    size_t min = text_width(t->head[t->flex]);
    if (left < min)
        left = min;
    if (t->w[t->flex] > left)
        t->w[t->flex] = left;
}

static int table_print(FILE *out, struct table *t, const struct ow_list_style *s)
{
    if (s->header && print_line(out, t, (char *const *)t->head, t->w) < 0)
        return -1;
    for (size_t r = 0; r < t->nrows; r++)
        if (print_line(out, t, t->cells + r * (size_t)t->ncols, t->w) < 0)
            return -1;
    return 0;
}

/* ---- cells ------------------------------------------------------------------------------ */

static void cell_time(uint64_t ts_us, char *buf, size_t buflen)
{
    char full[64];
    ow_eve_timestamp(ts_us, full, sizeof full);
    /* "2026-02-10T05:30:00.000000+0000" -> "2026-02-10T05:30:00Z" */
    snprintf(buf, buflen, "%.19sZ", full);
}

static void cell_endpoint(const struct ow_endpoint *ep, char *buf, size_t buflen)
{
    char addr[OW_ADDR_TEXT_LEN];
    ow_addr_to_text(ep, addr, sizeof addr);
    if (ep->family == OW_AF_INET6)
        snprintf(buf, buflen, "[%s]:%u", addr, (unsigned)ep->port);
    else
        snprintf(buf, buflen, "%s:%u", addr, (unsigned)ep->port);
}

static const char *cell_proto(uint8_t l4, char *buf, size_t buflen)
{
    const char *name = ow_l4_proto_name(l4);
    if (name)
        return name;
    snprintf(buf, buflen, "%u", (unsigned)l4);
    return buf;
}

/* A reason reads "<flow summary>: <why>"; the table's other columns already hold the
 * summary, so a narrow table shows the why. */
static const char *reason_why(const char *reason)
{
    const char *colon = strstr(reason, ": ");
    return colon && colon[2] ? colon + 2 : reason;
}

static char *copy_field(const char *field, size_t cap)
{
    return strndup(field, strnlen(field, cap));
}

/* ---- ids --------------------------------------------------------------------------------- */

static int64_t *select_ids(sqlite3 *db, const char *sql, const struct ow_where *w, int64_t limit,
                           size_t *count, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    *count = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "query: %s", sqlite3_errmsg(db));
        return NULL;
    }
    size_t cap = 64, n = 0;
    int64_t *ids = malloc(cap * sizeof *ids);
    int rc = ids ? ow_where_bind(st, w, 1) : SQLITE_NOMEM;
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, w->n + 1, limit > 0 ? limit : -1);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        rc = SQLITE_OK;
        if (n == cap) {
            int64_t *more = realloc(ids, 2 * cap * sizeof *ids);
            if (!more) {
                rc = SQLITE_NOMEM;
                break;
            }
            ids = more;
            cap *= 2;
        }
        ids[n++] = sqlite3_column_int64(st, 0);
    }
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "query: %s", rc == SQLITE_NOMEM ? "out of memory" : sqlite3_errmsg(db));
        sqlite3_finalize(st);
        free(ids);
        return NULL;
    }
    sqlite3_finalize(st);
    *count = n;
    return ids;
}

static void reverse(int64_t *ids, size_t n)
{
    for (size_t i = 0; i < n / 2; i++) {
        int64_t t = ids[i];
        ids[i] = ids[n - 1 - i];
        ids[n - 1 - i] = t;
    }
}

/* ---- alerts ------------------------------------------------------------------------------ */

long ow_list_alerts(struct ow_store *st, FILE *out, const struct ow_alert_query *q, int order,
                    const struct ow_list_style *style, int64_t *max_id, char *err,
                    size_t errlen)
{
    sqlite3 *db = ow_store_handle(st);
    bool has_triage = ow_triage_available(db);
    struct ow_where w = { 0 };
    ow_alert_where(q, &w);
    if (w.overflow) {
        snprintf(err, errlen, "too many filters");
        return -1;
    }
    char sql[3072];
    /* With a limit: the newest N, as the API lists them, then turned oldest first. */
    int sort = q->limit > 0 ? OW_SORT_TIME_DESC : order;
    snprintf(sql, sizeof sql, "SELECT a.id FROM %s%s ORDER BY %s LIMIT ?",
             ow_alert_from_sql(has_triage), w.sql, ow_alert_order_sql(sort));
    size_t n = 0;
    int64_t *ids = select_ids(db, sql, &w, q->limit, &n, err, errlen);
    if (!ids)
        return -1;
    if (q->limit > 0)
        reverse(ids, n);
    if (max_id) {
        size_t m = 0;
        snprintf(sql, sizeof sql, "SELECT coalesce(max(a.id), 0) FROM %s%s LIMIT ?",
                 ow_alert_from_sql(has_triage), w.sql);
        int64_t *top = select_ids(db, sql, &w, 1, &m, err, errlen);
        if (!top) {
            free(ids);
            return -1;
        }
        if (m && top[0] > *max_id)
            *max_id = top[0];
        free(top);
    }

    struct table t = { .ncols = 10, .flex = 9,
                       .head = { "ID", "TIME", "SEVERITY", "KIND", "CLIENT", "SERVER", "APP",
                                 "RULE", "TRIAGE", "REASON" },
                       .right = { true } };
    static const size_t typical[10] = { 5, 20, 8, 19, 17, 17, 10, 15, 6, 0 };
    struct ow_flow_record *rec = calloc(1, sizeof *rec);
    struct ow_triage_state *tri = calloc(1, sizeof *tri);
    struct ow_run_context run = { 0 };
    long printed = 0;
    int failed = !rec || !tri;
    if (failed)
        snprintf(err, errlen, "out of memory");
    for (size_t i = 0; !failed && i < n; i++) {
        if (style->fmt == OW_FMT_JSONL) {
            int status = 0;
            char *line = ow_alert_eve_line(st, ids[i], &run, &status, NULL, NULL);
            if (status == 1)
                continue;
            if (!line || fputs(line, out) < 0 || fputc('\n', out) == EOF) {
                snprintf(err, errlen, line ? "write failed" : "cannot read alert %lld",
                         (long long)ids[i]);
                failed = 1;
            }
            free(line);
            printed += !failed;
            continue;
        }
        int64_t row = 0;
        int rc = ow_store_get_alert(st, ids[i], rec, &row);
        if (rc == 1)
            continue;
        if (rc != 0 || ow_triage_current(db, ids[i], tri) < 0) {
            snprintf(err, errlen, "cannot read alert %lld", (long long)ids[i]);
            failed = 1;
            break;
        }
        char id[24], when[32], client[64], server[64];
        snprintf(id, sizeof id, "%lld", (long long)ids[i]);
        cell_time(rec->first_ts_us, when, sizeof when);
        cell_endpoint(&rec->client, client, sizeof client);
        cell_endpoint(&rec->server, server, sizeof server);
        char *kind = copy_field(rec->verdict.kind, sizeof rec->verdict.kind);
        char *app = copy_field(rec->app_proto, sizeof rec->app_proto);
        char *rule = copy_field(rec->verdict.rule, sizeof rec->verdict.rule);
        char *reason = copy_field(rec->verdict.reason, sizeof rec->verdict.reason);
        char *cells[10] = { id, when, (char *)ow_severity_name(rec->verdict.severity), kind,
                            client, server, app, rule, tri->present ? tri->status : "open",
                            reason ? (char *)(style->wide ? reason : reason_why(reason)) : NULL };
        if (!kind || !app || !rule || !reason || table_add(&t, cells) < 0) {
            snprintf(err, errlen, "out of memory");
            failed = 1;
        }
        free(kind);
        free(app);
        free(rule);
        free(reason);
        printed += !failed;
    }
    if (!failed && style->fmt == OW_FMT_TABLE) {
        table_widths(&t, style, typical);
        if (table_print(out, &t, style) < 0) {
            snprintf(err, errlen, "write failed");
            failed = 1;
        }
    }
    table_free(&t);
    free(rec);
    free(tri);
    free(ids);
    return failed ? -1 : printed;
}

/* ---- flows ------------------------------------------------------------------------------- */

long ow_list_flows(struct ow_store *st, FILE *out, const struct ow_flow_query *q,
                   const struct ow_list_style *style, char *err, size_t errlen)
{
    sqlite3 *db = ow_store_handle(st);
    struct ow_where w = { 0 };
    ow_flow_where(q, &w);
    if (w.overflow) {
        snprintf(err, errlen, "too many filters");
        return -1;
    }
    char sql[2048];
    snprintf(sql, sizeof sql, "SELECT id FROM flows%s ORDER BY %s LIMIT ?", w.sql,
             q->limit > 0 ? "first_ts DESC, id DESC" : "first_ts, flow_id, id");
    size_t n = 0;
    int64_t *ids = select_ids(db, sql, &w, q->limit, &n, err, errlen);
    if (!ids)
        return -1;
    if (q->limit > 0)
        reverse(ids, n);

    struct table t = { .ncols = 8, .flex = -1,
                       .head = { "START", "PROTO", "CLIENT", "SERVER", "APP", "VERDICT", "PKTS",
                                 "BYTES" },
                       .right = { false, false, false, false, false, false, true, true } };
    struct ow_flow_record *rec = calloc(1, sizeof *rec);
    struct ow_run_context run = { 0 };
    long printed = 0;
    int failed = !rec;
    if (failed)
        snprintf(err, errlen, "out of memory");
    for (size_t i = 0; !failed && i < n; i++) {
        if (style->fmt == OW_FMT_JSONL) {
            int status = 0;
            char *line = ow_flow_eve_line(st, ids[i], &run, &status);
            if (status == 1)
                continue;
            if (!line || fputs(line, out) < 0 || fputc('\n', out) == EOF) {
                snprintf(err, errlen, line ? "write failed" : "cannot read flow %lld",
                         (long long)ids[i]);
                failed = 1;
            }
            free(line);
            printed += !failed;
            continue;
        }
        int rc = ow_store_get_flow(st, ids[i], rec);
        if (rc == 1)
            continue;
        if (rc != 0) {
            snprintf(err, errlen, "cannot read flow %lld", (long long)ids[i]);
            failed = 1;
            break;
        }
        char when[32], client[64], server[64], proto[8], verdict[160], pkts[24], bytes[24];
        cell_time(rec->first_ts_us, when, sizeof when);
        cell_endpoint(&rec->client, client, sizeof client);
        cell_endpoint(&rec->server, server, sizeof server);
        const char *detail = rec->verdict.kind[0] ? rec->verdict.kind : rec->verdict.rule;
        size_t dcap = rec->verdict.kind[0] ? sizeof rec->verdict.kind : sizeof rec->verdict.rule;
        snprintf(verdict, sizeof verdict, "%s%s%.*s", ow_verdict_status_name(rec->verdict.status),
                 detail[0] ? ":" : "", (int)strnlen(detail, dcap), detail);
        snprintf(pkts, sizeof pkts, "%llu",
                 (unsigned long long)(rec->pkts_toserver + rec->pkts_toclient));
        snprintf(bytes, sizeof bytes, "%llu",
                 (unsigned long long)(rec->bytes_toserver + rec->bytes_toclient));
        char *app = copy_field(rec->app_proto, sizeof rec->app_proto);
        char *cells[8] = { when, (char *)cell_proto(rec->l4_proto, proto, sizeof proto), client,
                           server, app, verdict, pkts, bytes };
        if (!app || table_add(&t, cells) < 0) {
            snprintf(err, errlen, "out of memory");
            failed = 1;
        }
        free(app);
        printed += !failed;
    }
    if (!failed && style->fmt == OW_FMT_TABLE) {
        table_widths(&t, style, NULL);
        if (table_print(out, &t, style) < 0) {
            snprintf(err, errlen, "write failed");
            failed = 1;
        }
    }
    table_free(&t);
    free(rec);
    free(ids);
    return failed ? -1 : printed;
}
