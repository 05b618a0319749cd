/* cli_tables.c — prints stored alerts and flows for the command line (sensor/cli_tables.h):
 * EVE lines (with their run's context and triage, as the API shows them) or a table sized to
 * its content. db/listing.c picks the rows. */
#include "sensor/cli_tables.h"

#include <stdlib.h>
#include <string.h>

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

/* ---- alerts ------------------------------------------------------------------------------ */

long ow_list_alerts(struct ow_store *st, FILE *out, const struct ow_alert_query *q, int order,
                    const struct ow_list_style *style, int64_t *max_id, char *err,
                    size_t errlen)
{
    struct sqlite3 *db = ow_store_handle(st);
    size_t n = 0;
    int64_t *ids = ow_list_alert_ids(st, q, order, max_id, &n, err, errlen);
    if (!ids)
        return -1;

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
    size_t n = 0;
    int64_t *ids = ow_list_flow_ids(st, q, &n, err, errlen);
    if (!ids)
        return -1;

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

/* ---- the store's print entry points ------------------------------------------------ */

long ow_store_print_flows(struct ow_store *st, FILE *out, enum ow_output_format fmt,
                          const char *verdict_filter)
{
    if (!st || !out)
        return -1;
    struct ow_flow_query q = { .port = -1, .l4_proto = -1 };
    if (verdict_filter && *verdict_filter) {
        bool known = false;
        for (unsigned i = 0; i <= OW_VERDICT_OUT_OF_SCOPE; i++)
            known = known || strcmp(ow_verdict_status_name((uint8_t)i), verdict_filter) == 0;
        if (!known) {
            ow_store_set_err(st, "unknown verdict status \"%.40s\" (authorized, anomaly, out_of_scope, "
                        "unevaluated)", verdict_filter);
            return -1;
        }
        q.verdicts[0] = verdict_filter;
        q.nverdicts = 1;
    }
    struct ow_list_style style = { .fmt = fmt, .header = true };
    char err[256];
    long n = ow_list_flows(st, out, &q, &style, err, sizeof err);
    if (n < 0)
        ow_store_set_err(st, "%s", err);
    return n;
}

long ow_store_print_alerts(struct ow_store *st, FILE *out, enum ow_output_format fmt,
                           uint64_t since_us, int64_t *last_id_inout)
{
    if (!st || !out)
        return -1;
    int64_t after = last_id_inout ? *last_id_inout : 0;
    struct ow_alert_query q = { .after_id = after, .has_from = since_us > 0,
                                .from_us = since_us > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)since_us };
    /* The table header goes out once, on the first call: polling calls again and again. */
    struct ow_list_style style = { .fmt = fmt, .header = after == 0, .fixed_widths = true };
    int64_t top = after;
    char err[256];
    long n = ow_list_alerts(st, out, &q, OW_SORT_ID, &style, &top, err, sizeof err);
    if (n < 0)
        ow_store_set_err(st, "%s", err);
    if (n >= 0 && last_id_inout)
        *last_id_inout = top;
    return n;
}
