/* query_filter.c — alert and flow filters as SQL (db/query_filter.h). */
#include "db/query_filter.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "db/community_index.h"

const char *const ow_verdict_names[] = { "authorized", "anomaly", "out_of_scope", "unevaluated",
                                         NULL };

/* --- WHERE ------------------------------------------------------------------------------ */

void ow_where_add(struct ow_where *w, const char *fragment)
{
    size_t n = strlen(fragment);
    if (w->len + n + 8 >= sizeof w->sql) {
        w->overflow = true;
        return;
    }
    const char *glue = w->len ? " AND " : " WHERE ";
    size_t g = strlen(glue);
    memcpy(w->sql + w->len, glue, g);
    w->len += g;
    memcpy(w->sql + w->len, fragment, n);
    w->len += n;
    w->sql[w->len] = '\0';
}

void ow_where_int(struct ow_where *w, int64_t i)
{
    if (w->n == OW_WHERE_MAX_BINDS) {
        w->overflow = true;
        return;
    }
    w->v[w->n].is_text = false;
    w->v[w->n++].i = i;
}

void ow_where_text(struct ow_where *w, const char *s)
{
    if (w->n == OW_WHERE_MAX_BINDS) {
        w->overflow = true;
        return;
    }
    w->v[w->n].is_text = true;
    w->v[w->n++].s = s;
}

void ow_where_in(struct ow_where *w, const char *col, const char *const *names, int count)
{
    if (count <= 0)
        return;
    char frag[256];
    int len = snprintf(frag, sizeof frag, "%s IN (", col);
    for (int i = 0; i < count && len > 0 && (size_t)len < sizeof frag - 4; i++) {
        len += snprintf(frag + len, sizeof frag - (size_t)len, i ? ",?" : "?");
        ow_where_text(w, names[i]);
    }
    if (len < 0 || (size_t)len >= sizeof frag - 2) {
        w->overflow = true;
        return;
    }
    snprintf(frag + len, sizeof frag - (size_t)len, ")");
    ow_where_add(w, frag);
}

int ow_where_bind(sqlite3_stmt *st, const struct ow_where *w, int first)
{
    for (int i = 0; i < w->n; i++) {
        int rc = w->v[i].is_text
                     ? sqlite3_bind_text(st, first + i, w->v[i].s, -1, SQLITE_TRANSIENT)
                     : sqlite3_bind_int64(st, first + i, w->v[i].i);
        if (rc != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}

/* --- alerts ----------------------------------------------------------------------------- */

const char *const ow_alert_sort_names[] = {
    "-time", "time", "-severity", "severity", "kind", "-kind", "src", "-src", "dest", "-dest",
    "-id", "id", "triage", "-triage", NULL,
};

#define SEVERITY_RANK "(CASE a.severity WHEN 'critical' THEN 3 WHEN 'high' THEN 2 " \
                      "WHEN 'medium' THEN 1 ELSE 0 END)"
#define TRIAGE_RANK "(CASE coalesce(t.status, 'open') WHEN 'open' THEN 0 WHEN 'acknowledged' " \
                    "THEN 1 WHEN 'escalated' THEN 2 ELSE 3 END)"
#define NEWEST "a.ts DESC, a.id DESC"

const char *ow_alert_order_sql(int sort)
{
    static const char *const order[OW_SORT_COUNT] = {
        [OW_SORT_TIME_DESC] = NEWEST,
        [OW_SORT_TIME] = "a.ts, a.id",
        [OW_SORT_SEVERITY_DESC] = SEVERITY_RANK " DESC, " NEWEST,
        [OW_SORT_SEVERITY] = SEVERITY_RANK ", " NEWEST,
        [OW_SORT_KIND] = "a.kind, " NEWEST,
        [OW_SORT_KIND_DESC] = "a.kind DESC, " NEWEST,
        [OW_SORT_SRC] = "f.ip_family, f.client_ip, " NEWEST,
        [OW_SORT_SRC_DESC] = "f.ip_family DESC, f.client_ip DESC, " NEWEST,
        [OW_SORT_DEST] = "f.ip_family, f.server_ip, " NEWEST,
        [OW_SORT_DEST_DESC] = "f.ip_family DESC, f.server_ip DESC, " NEWEST,
        [OW_SORT_ID_DESC] = "a.id DESC",
        [OW_SORT_ID] = "a.id",
        [OW_SORT_TRIAGE] = TRIAGE_RANK ", " NEWEST,
        [OW_SORT_TRIAGE_DESC] = TRIAGE_RANK " DESC, " NEWEST,
    };
    return sort >= 0 && sort < OW_SORT_COUNT ? order[sort] : NEWEST;
}

const char *ow_alert_from_sql(bool has_triage)
{
    return has_triage
        ? "alerts a LEFT JOIN flows f ON f.id = a.flow_row LEFT JOIN triage t ON t.id = "
          "(SELECT max(t2.id) FROM triage t2 WHERE t2.alert_id = a.id)"
        : "alerts a LEFT JOIN flows f ON f.id = a.flow_row LEFT JOIN (SELECT NULL AS id, "
          "NULL AS status, NULL AS note, NULL AS actor, NULL AS at) t ON 0";
}

void ow_alert_where(const struct ow_alert_query *q, struct ow_where *w)
{
    ow_where_in(w, "a.severity", q->severities, q->nseverities);
    ow_where_in(w, "a.kind", q->kinds, q->nkinds);
    ow_where_in(w, "coalesce(t.status, 'open')", q->triage, q->ntriage);
    if (q->has_from) {
        ow_where_add(w, "a.ts >= ?");
        ow_where_int(w, q->from_us);
    }
    if (q->has_to) {
        ow_where_add(w, "a.ts < ?");
        ow_where_int(w, q->to_us);
    }
    if (q->asset) {
        ow_where_add(w, "(a.asset_src = ? OR a.asset_dest = ?)");
        ow_where_text(w, q->asset);
        ow_where_text(w, q->asset);
    }
    if (q->rule) {
        ow_where_add(w, "a.rule = ?");
        ow_where_text(w, q->rule);
    }
    if (q->ip) {
        ow_where_add(w, "(f.client_ip = ? OR f.server_ip = ?)");
        ow_where_text(w, q->ip);
        ow_where_text(w, q->ip);
    }
    if (q->community_id) {
        ow_where_add(w, OW_CID_LOOKUP_SQL("f.id"));
        ow_where_text(w, q->community_id);
    }
    if (q->run_id) {
        ow_where_add(w, "a.run_id = ?");
        ow_where_int(w, q->run_id);
    }
    if (q->after_id) {
        ow_where_add(w, "a.id > ?");
        ow_where_int(w, q->after_id);
    }
}

/* --- flows ------------------------------------------------------------------------------ */

void ow_flow_where(const struct ow_flow_query *q, struct ow_where *w)
{
    if (q->ip) {
        ow_where_add(w, "(client_ip = ? OR server_ip = ?)");
        ow_where_text(w, q->ip);
        ow_where_text(w, q->ip);
    }
    if (q->port >= 0) {
        ow_where_add(w, "(client_port = ? OR server_port = ?)");
        ow_where_int(w, q->port);
        ow_where_int(w, q->port);
    }
    if (q->app) {
        ow_where_add(w, "(app_proto = ? COLLATE NOCASE OR ndpi_app = ? COLLATE NOCASE"
                        " OR ndpi_master = ? COLLATE NOCASE OR ndpi_protocol = ? COLLATE NOCASE)");
        for (int i = 0; i < 4; i++)
            ow_where_text(w, q->app);
    }
    ow_where_in(w, "verdict_status", q->verdicts, q->nverdicts);
    if (q->community_id) {
        ow_where_add(w, OW_CID_LOOKUP_SQL("id"));
        ow_where_text(w, q->community_id);
    }
    if (q->asset) {
        ow_where_add(w, "(verdict_asset_src = ? OR verdict_asset_dest = ?)");
        ow_where_text(w, q->asset);
        ow_where_text(w, q->asset);
    }
    if (q->l4_proto >= 0) {
        ow_where_add(w, "l4_proto = ?");
        ow_where_int(w, q->l4_proto);
    }
    if (q->has_from) {
        ow_where_add(w, "first_ts >= ?");
        ow_where_int(w, q->from_us);
    }
    if (q->has_to) {
        ow_where_add(w, "first_ts < ?");
        ow_where_int(w, q->to_us);
    }
    if (q->run_id) {
        ow_where_add(w, "run_id = ?");
        ow_where_int(w, q->run_id);
    }
}

/* --- parsing helpers -------------------------------------------------------------------- */

int ow_normalise_ip(const char *in, char *out, size_t outlen)
{
    unsigned char buf[sizeof(struct in6_addr)];
    if (inet_pton(AF_INET, in, buf) == 1)
        return inet_ntop(AF_INET, buf, out, (socklen_t)outlen) ? 0 : -1;
    if (inet_pton(AF_INET6, in, buf) == 1)
        return inet_ntop(AF_INET6, buf, out, (socklen_t)outlen) ? 0 : -1;
    return -1;
}

int ow_parse_choices(const char *text, const char *const *choices, const char **out, int max,
                     const char *what, char *err, size_t errlen)
{
    int count = 0;
    const char *s = text;
    for (;;) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        const char *match = NULL;
        for (const char *const *c = choices; *c; c++)
            if (strlen(*c) == len && !strncmp(*c, s, len))
                match = *c;
        if (!match) {
            char shown[48];
            size_t n = len < sizeof shown - 1 ? len : sizeof shown - 1;
            for (size_t i = 0; i < n; i++)
                shown[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
            shown[n] = '\0';
            int w = snprintf(err, errlen, "%s: '%s' is not one of", what, shown);
            for (const char *const *c = choices; *c && w > 0 && (size_t)w < errlen; c++)
                w += snprintf(err + w, errlen - (size_t)w, " %s", *c);
            return -1;
        }
        bool dup = false;
        for (int i = 0; i < count; i++)
            if (out[i] == match)
                dup = true;
        if (!dup) {
            if (count == max) {
                snprintf(err, errlen, "%s lists too many values", what);
                return -1;
            }
            out[count++] = match;
        }
        if (!comma)
            break;
        s = comma + 1;
    }
    return count;
}
