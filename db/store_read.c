/* store_read.c — reading rows back into flow records, the listings' entry points, and
 * evidence checked against its SHA-256 on the way out. Everything read back from the file is
 * treated as hostile: NULLs become empty, text is copied with bounds, numbers are
 * range-checked. */
#include "db/store_internal.h"

/* ---- reading back -------------------------------------------------------------------- */

static void column_text(sqlite3_stmt *s, int col, char *dst, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    int n = sqlite3_column_bytes(s, col);
    size_t len = 0;
    if (t && n > 0)
        len = (size_t)n < cap - 1 ? (size_t)n : cap - 1;
    if (len)
        memcpy(dst, t, len);
    dst[len] = '\0';
}

#define COLUMN_TEXT(s, col, f) column_text((s), (col), (f), sizeof(f))

static uint64_t column_u64(sqlite3_stmt *s, int col)
{
    int64_t v = sqlite3_column_int64(s, col);
    return v < 0 ? 0 : (uint64_t)v;
}

static unsigned column_bounded(sqlite3_stmt *s, int col, unsigned max)
{
    int64_t v = sqlite3_column_int64(s, col);
    return v < 0 || (uint64_t)v > max ? 0 : (unsigned)v;
}

/* Index of name among the names a naming function gives for 0..n-1 (default if none). */
static uint8_t name_index(const char *name, const char *(*namer)(uint8_t), unsigned n,
                          uint8_t fallback)
{
    for (unsigned i = 0; i < n; i++)
        if (strcmp(namer((uint8_t)i), name) == 0)
            return (uint8_t)i;
    return fallback;
}

static void column_endpoint(sqlite3_stmt *s, int ip_col, int port_col, struct ow_endpoint *ep)
{
    char text[OW_ADDR_TEXT_LEN];
    COLUMN_TEXT(s, ip_col, text);
    memset(ep, 0, sizeof *ep);
    if (ow_addr_from_text(text, ep) < 0)
        ep->family = OW_AF_INET4;              /* unreadable: shown as 0.0.0.0 */
    ep->port = (uint16_t)column_bounded(s, port_col, 65535);
}

/* Fills rec from a result row whose flow columns start at column base, in flow_col order. */
static void row_to_record(sqlite3_stmt *s, int base, struct ow_flow_record *r)
{
    char name[64];
    memset(r, 0, sizeof *r);
#define C(col) ((col) + base)
    r->flow_id = column_u64(s, C(FC_FLOW_ID));
    COLUMN_TEXT(s, C(FC_COMMUNITY_ID), r->community_id);
    r->first_ts_us = column_u64(s, C(FC_FIRST_TS));
    r->last_ts_us = column_u64(s, C(FC_LAST_TS));
    r->l4_proto = (uint8_t)column_bounded(s, C(FC_L4_PROTO), 255);
    column_endpoint(s, C(FC_CLIENT_IP), C(FC_CLIENT_PORT), &r->client);
    column_endpoint(s, C(FC_SERVER_IP), C(FC_SERVER_PORT), &r->server);
    r->icmp_type = (uint8_t)column_bounded(s, C(FC_ICMP_TYPE), 255);
    r->icmp_code = (uint8_t)column_bounded(s, C(FC_ICMP_CODE), 255);
    r->slice = column_bounded(s, C(FC_SLICE), UINT32_MAX);
    r->vlan_id = (uint16_t)column_bounded(s, C(FC_VLAN), 4095);
    r->tunnels = (uint16_t)column_bounded(s, C(FC_TUNNELS), 65535);
    r->pkts_toserver = column_u64(s, C(FC_PKTS_TOSERVER));
    r->pkts_toclient = column_u64(s, C(FC_PKTS_TOCLIENT));
    r->bytes_toserver = column_u64(s, C(FC_BYTES_TOSERVER));
    r->bytes_toclient = column_u64(s, C(FC_BYTES_TOCLIENT));
    r->later_fragments = column_bounded(s, C(FC_LATER_FRAGMENTS), UINT32_MAX);
    COLUMN_TEXT(s, C(FC_END_REASON), name);
    r->end_reason = name_index(name, ow_end_reason_name, OW_END_EVICTED + 1, OW_END_IDLE);
    /* No end recorded yet: the flow is open (its end comes with its flow_end record). */
    r->open = name[0] == '\0';
    r->state = !r->open ? OW_STATE_CLOSED
             : r->pkts_toclient ? OW_STATE_ESTABLISHED : OW_STATE_NEW;
    COLUMN_TEXT(s, C(FC_NDPI_PROTOCOL), r->ndpi_protocol);
    COLUMN_TEXT(s, C(FC_NDPI_MASTER), r->ndpi_master);
    COLUMN_TEXT(s, C(FC_NDPI_APP), r->ndpi_app);
    COLUMN_TEXT(s, C(FC_NDPI_CATEGORY), r->ndpi_category);
    COLUMN_TEXT(s, C(FC_NDPI_CONFIDENCE), r->ndpi_confidence);
    r->ndpi_risk = (uint64_t)sqlite3_column_int64(s, C(FC_NDPI_RISK));
    COLUMN_TEXT(s, C(FC_APP_PROTO), r->app_proto);
    COLUMN_TEXT(s, C(FC_SSH_CLIENT), r->ssh_client);
    COLUMN_TEXT(s, C(FC_SSH_SERVER), r->ssh_server);
    COLUMN_TEXT(s, C(FC_HASSH_CLIENT), r->hassh_client);
    COLUMN_TEXT(s, C(FC_HASSH_SERVER), r->hassh_server);
    COLUMN_TEXT(s, C(FC_TLS_SNI), r->tls_sni);
    COLUMN_TEXT(s, C(FC_JA3), r->ja3);
    COLUMN_TEXT(s, C(FC_JA3S), r->ja3s);
    COLUMN_TEXT(s, C(FC_TLS_VERSION), r->tls_version);
    COLUMN_TEXT(s, C(FC_HTTP_HOST), r->http_host);
    COLUMN_TEXT(s, C(FC_HTTP_USER_AGENT), r->http_user_agent);
    COLUMN_TEXT(s, C(FC_DNS_QUERY), r->dns_query);
    COLUMN_TEXT(s, C(FC_LI_INTERFACE), name);
    r->li.label = name[0] ? name_index(name, ow_li_label_name, OW_LI_HI3 + 1, OW_LI_NONE)
                          : OW_LI_NONE;
    r->li.confidence = (uint8_t)column_bounded(s, C(FC_LI_CONFIDENCE), 100);
    COLUMN_TEXT(s, C(FC_LI_XID), r->li.xid);
    COLUMN_TEXT(s, C(FC_LI_LIID), r->li.liid);
    COLUMN_TEXT(s, C(FC_LI_TARGET), r->li.target);
    r->li.payload_format = (uint16_t)column_bounded(s, C(FC_LI_PAYLOAD_FORMAT), 65535);
    r->li.pdu_count = column_bounded(s, C(FC_LI_PDU_COUNT), UINT32_MAX);
    COLUMN_TEXT(s, C(FC_VERDICT_STATUS), name);
    r->verdict.status = name_index(name, ow_verdict_status_name, OW_VERDICT_OUT_OF_SCOPE + 1,
                                   OW_VERDICT_UNEVALUATED);
    COLUMN_TEXT(s, C(FC_VERDICT_RULE), r->verdict.rule);
    COLUMN_TEXT(s, C(FC_VERDICT_KIND), r->verdict.kind);
    COLUMN_TEXT(s, C(FC_VERDICT_SEVERITY), name);
    r->verdict.severity = name[0] ? name_index(name, ow_severity_name, OW_SEV_CRITICAL + 1,
                                               OW_SEV_NONE)
                                  : OW_SEV_NONE;
    COLUMN_TEXT(s, C(FC_VERDICT_REASON), r->verdict.reason);
    COLUMN_TEXT(s, C(FC_VERDICT_ASSET_SRC), r->verdict.asset_src);
    COLUMN_TEXT(s, C(FC_VERDICT_ASSET_DEST), r->verdict.asset_dest);
    COLUMN_TEXT(s, C(FC_VERDICT_TICKET), r->verdict.ticket);
    r->verdict.overrun = sqlite3_column_int64(s, C(FC_VERDICT_OVERRUN)) != 0;
    r->alerted = r->verdict.status == OW_VERDICT_ANOMALY || r->verdict.overrun;
    /* Every asset of each endpoint where the flow recorded them (schema 8, shared addresses
     * only), else the single one. */
    if (sqlite3_column_count(s) > C(FC_COUNT + 1) &&
        sqlite3_column_type(s, C(FC_COUNT)) != SQLITE_NULL)
        COLUMN_TEXT(s, C(FC_COUNT), r->verdict.asset_src_all);
    else
        snprintf(r->verdict.asset_src_all, sizeof r->verdict.asset_src_all, "%.*s",
                 (int)strnlen(r->verdict.asset_src, sizeof r->verdict.asset_src),
                 r->verdict.asset_src);
    if (sqlite3_column_count(s) > C(FC_COUNT + 1) &&
        sqlite3_column_type(s, C(FC_COUNT + 1)) != SQLITE_NULL)
        COLUMN_TEXT(s, C(FC_COUNT + 1), r->verdict.asset_dest_all);
    else
        snprintf(r->verdict.asset_dest_all, sizeof r->verdict.asset_dest_all, "%.*s",
                 (int)strnlen(r->verdict.asset_dest, sizeof r->verdict.asset_dest),
                 r->verdict.asset_dest);
#undef C
}

/* Alert result rows: the alert's own columns, then the flow's (see alert_query). */
enum { AC_ID, AC_TS, AC_KIND, AC_SEVERITY, AC_RULE, AC_REASON, AC_ASSET_SRC, AC_ASSET_DEST,
       AC_FLOW_ROW, AC_FLOW_BASE };

static void alert_row_to_record(sqlite3_stmt *s, struct ow_flow_record *r)
{
    char severity[32];
    row_to_record(s, AC_FLOW_BASE, r);
    /* The alert's own time, even if its flow row is missing. */
    if (sqlite3_column_type(s, AC_FLOW_ROW) == SQLITE_NULL)
        r->first_ts_us = r->last_ts_us = column_u64(s, AC_TS);
    r->decided_ts_us = column_u64(s, AC_TS);
    r->alerted = 1;
    COLUMN_TEXT(s, AC_KIND, r->verdict.kind);
    COLUMN_TEXT(s, AC_SEVERITY, severity);
    r->verdict.severity = name_index(severity, ow_severity_name, OW_SEV_CRITICAL + 1, OW_SEV_NONE);
    COLUMN_TEXT(s, AC_RULE, r->verdict.rule);
    COLUMN_TEXT(s, AC_REASON, r->verdict.reason);
    COLUMN_TEXT(s, AC_ASSET_SRC, r->verdict.asset_src);
    COLUMN_TEXT(s, AC_ASSET_DEST, r->verdict.asset_dest);
    if (!r->verdict.asset_src_all[0])    /* the flow row is missing */
        memcpy(r->verdict.asset_src_all, r->verdict.asset_src, sizeof r->verdict.asset_src);
    if (!r->verdict.asset_dest_all[0])
        memcpy(r->verdict.asset_dest_all, r->verdict.asset_dest, sizeof r->verdict.asset_dest);
}

static int prepare_query(struct ow_store *st, const char *head, const char *tail,
                         sqlite3_stmt **out)
{
    char cols[2600], sql[4096];
    ow_store_flow_column_list_ends(cols, sizeof cols, "f.", st->flow_ends);
    ow_store_assets_all_columns(cols, sizeof cols, "f.", st->assets_all);
    snprintf(sql, sizeof sql, "%s %s %s", head, cols, tail);
    if (sqlite3_prepare_v2(st->db, sql, -1, out, NULL) != SQLITE_OK)
        return ow_store_db_err(st, "query");
    return 0;
}

static int alert_query(struct ow_store *st, const char *where, sqlite3_stmt **out)
{
    char tail[512];
    snprintf(tail, sizeof tail, "FROM alerts a LEFT JOIN flows f ON f.id = a.flow_row %s", where);
    return prepare_query(st, "SELECT a.id, a.ts, a.kind, a.severity, a.rule, a.reason, "
                             "a.asset_src, a.asset_dest, f.id,", tail, out);
}

int ow_store_get_flow(struct ow_store *st, int64_t flow_row, struct ow_flow_record *rec)
{
    sqlite3_stmt *s = NULL;
    if (!st || !rec || prepare_query(st, "SELECT", "FROM flows f WHERE f.id = ?", &s) < 0)
        return -1;
    sqlite3_bind_int64(s, 1, flow_row);
    int rc = sqlite3_step(s), result;
    if (rc == SQLITE_ROW) {
        row_to_record(s, 0, rec);
        result = 0;
    } else if (rc == SQLITE_DONE) {
        result = 1;
    } else {
        result = ow_store_db_err(st, "get flow");
    }
    sqlite3_finalize(s);
    return result;
}

int ow_store_each_flow(struct ow_store *st, int (*fn)(const struct ow_flow_record *rec, void *ctx),
                       void *ctx)
{
    sqlite3_stmt *s = NULL;
    if (!st || !fn || prepare_query(st, "SELECT", "FROM flows f ORDER BY f.id", &s) < 0)
        return -1;
    struct ow_flow_record rec;
    int rc, result = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        row_to_record(s, 0, &rec);
        if ((result = fn(&rec, ctx)) != 0)
            break;
    }
    if (result == 0 && rc != SQLITE_DONE)
        result = ow_store_db_err(st, "read flows");
    sqlite3_finalize(s);
    return result;
}

int ow_store_get_alert(struct ow_store *st, int64_t alert_id, struct ow_flow_record *rec,
                       int64_t *flow_row)
{
    sqlite3_stmt *s = NULL;
    if (!st || !rec || alert_query(st, "WHERE a.id = ?", &s) < 0)
        return -1;
    sqlite3_bind_int64(s, 1, alert_id);
    int rc = sqlite3_step(s), result;
    if (rc == SQLITE_ROW) {
        alert_row_to_record(s, rec);
        if (flow_row)
            *flow_row = sqlite3_column_int64(s, AC_FLOW_ROW);
        result = 0;
    } else if (rc == SQLITE_DONE) {
        result = 1;
    } else {
        result = ow_store_db_err(st, "get alert");
    }
    sqlite3_finalize(s);
    return result;
}

int ow_store_get_evidence(struct ow_store *st, int64_t flow_row, uint8_t **pcap, size_t *len,
                          uint32_t *packets, int *truncated)
{
    sqlite3_stmt *s = NULL;
    if (!st || !pcap || !len)
        return -1;
    *pcap = NULL;
    *len = 0;
    if (sqlite3_prepare_v2(st->db, "SELECT pcap, sha256, packets, truncated FROM evidence "
                                   "WHERE flow_row = ?", -1, &s, NULL) != SQLITE_OK)
        return ow_store_db_err(st, "get evidence");
    sqlite3_bind_int64(s, 1, flow_row);
    int rc = sqlite3_step(s), result = 0;
    if (rc == SQLITE_DONE) {
        result = 1;
    } else if (rc != SQLITE_ROW) {
        result = ow_store_db_err(st, "get evidence");
    } else {
        const void *blob = sqlite3_column_blob(s, 0);
        int n = sqlite3_column_bytes(s, 0);
        char stored[OW_HASH_HEX_LEN], actual[OW_HASH_HEX_LEN];
        uint8_t digest[OW_HASH_LEN];
        column_text(s, 1, stored, sizeof stored);
        ow_sha256(blob ? blob : "", blob && n > 0 ? (size_t)n : 0, digest);
        ow_hex(digest, sizeof digest, actual);
        if (strcmp(stored, actual) != 0) {
            ow_store_set_err(st, "evidence of flow row %lld does not match its SHA-256 %s",
                    (long long)flow_row, stored);
            result = 2;
        } else if (!(*pcap = ow_malloc(n > 0 ? (size_t)n : 1))) {
            ow_store_set_err(st, "get evidence: out of memory");
            result = -1;
        } else {
            if (n > 0)
                memcpy(*pcap, blob, (size_t)n);
            *len = n > 0 ? (size_t)n : 0;
            if (packets)
                *packets = (uint32_t)column_bounded(s, 2, UINT32_MAX);
            if (truncated)
                *truncated = sqlite3_column_int(s, 3) != 0;
        }
    }
    sqlite3_finalize(s);
    return result;
}
