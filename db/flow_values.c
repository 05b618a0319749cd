/* flow_values.c — a flow's column values as one array, in the INSERT's parameter order: the
 * writer binds it and hashes the chain records from it, so what is hashed is what was
 * bound. */
#include "db/flow_values.h"

static void set_int(struct ow_chain_value *v, int64_t i)
{
    *v = (struct ow_chain_value){ .type = SQLITE_INTEGER, .i = i };
}

static void set_u64(struct ow_chain_value *v, uint64_t i)
{
    set_int(v, ow_store_clamp_i64(i));
}

static void set_str(struct ow_chain_value *v, const char *text)
{
    text = text ? text : "";
    *v = (struct ow_chain_value){ .type = SQLITE_TEXT, .p = text, .n = (int)strlen(text) };
}

/* A bounded record field: never reads past the array even without a NUL. */
static void set_bounded(struct ow_chain_value *v, const char *field, size_t cap)
{
    *v = (struct ow_chain_value){ .type = SQLITE_TEXT, .p = field, .n = (int)strnlen(field, cap) };
}

#define SET_FIELD(v, f) set_bounded((v), (f), sizeof(f))

static void set_null(struct ow_chain_value *v)
{
    *v = (struct ow_chain_value){ .type = SQLITE_NULL };
}

void ow_bind_values(sqlite3_stmt *s, int first, const struct ow_chain_value *v, int n)
{
    for (int i = 0; i < n; i++) {
        if (v[i].type == SQLITE_INTEGER)
            sqlite3_bind_int64(s, first + i, v[i].i);
        else if (v[i].type == SQLITE_TEXT)
            sqlite3_bind_text(s, first + i, v[i].p, v[i].n, SQLITE_STATIC);
        else
            sqlite3_bind_null(s, first + i);
    }
}

void ow_bind_changed(sqlite3_stmt *s, int first, const struct ow_chain_value *v,
                     struct ow_chain_value *bound, int n)
{
    static const char empty[] = "";
    for (int i = 0; i < n; i++) {
        struct ow_chain_value want = v[i];
        /* An empty text is bound as one static "": equal to the last one whatever record
         * it came from, and SQLite never keeps a pointer into a record that is gone. */
        if (want.type == SQLITE_TEXT && want.n <= 0) {
            want.p = empty;
            want.n = 0;
        }
        struct ow_chain_value *had = &bound[i];
        bool same = had->type == want.type &&
                    (want.type == SQLITE_INTEGER ? had->i == want.i
                     : want.type == SQLITE_TEXT ? had->p == want.p && had->n == want.n
                     : true);
        if (same)
            continue;
        if (want.type == SQLITE_INTEGER)
            sqlite3_bind_int64(s, first + i, want.i);
        else if (want.type == SQLITE_TEXT)
            sqlite3_bind_text(s, first + i, want.p, want.n, SQLITE_STATIC);
        else
            sqlite3_bind_null(s, first + i);
        *had = want;
    }
}

void ow_flow_end_values(struct ow_chain_value *v, const struct ow_flow_record *r)
{
    set_u64(&v[0], r->last_ts_us);
    set_u64(&v[1], r->pkts_toserver);
    set_u64(&v[2], r->pkts_toclient);
    set_u64(&v[3], r->bytes_toserver);
    set_u64(&v[4], r->bytes_toclient);
    set_int(&v[5], r->later_fragments);
    set_str(&v[6], ow_end_reason_name(r->end_reason));
    set_int(&v[7], r->late_overrun ? 1 : 0);
    if (r->decided_ts_us)
        set_u64(&v[8], r->decided_ts_us);
    else
        set_null(&v[8]);
}

void ow_flow_values(struct ow_flow_values *fv, int64_t run_id, const struct ow_flow_record *r)
{
    struct ow_chain_value *v = fv->v;
    ow_addr_to_text(&r->client, fv->client, sizeof fv->client);
    ow_addr_to_text(&r->server, fv->server, sizeof fv->server);
    set_int(&v[0], run_id);
#define V(col) (&v[(col) + 1])
    set_u64(V(FC_FLOW_ID), r->flow_id);
    SET_FIELD(V(FC_COMMUNITY_ID), r->community_id);
    set_u64(V(FC_FIRST_TS), r->first_ts_us);
    set_u64(V(FC_LAST_TS), r->last_ts_us);
    set_int(V(FC_L4_PROTO), r->l4_proto);
    set_int(V(FC_IP_FAMILY), r->client.family == OW_AF_INET6 ? 6 : 4);
    set_str(V(FC_CLIENT_IP), fv->client);
    set_int(V(FC_CLIENT_PORT), r->client.port);
    set_str(V(FC_SERVER_IP), fv->server);
    set_int(V(FC_SERVER_PORT), r->server.port);
    set_int(V(FC_ICMP_TYPE), r->icmp_type);
    set_int(V(FC_ICMP_CODE), r->icmp_code);
    set_int(V(FC_SLICE), r->slice);
    set_int(V(FC_VLAN), r->vlan_id);
    set_int(V(FC_TUNNELS), r->tunnels);
    set_u64(V(FC_PKTS_TOSERVER), r->pkts_toserver);
    set_u64(V(FC_PKTS_TOCLIENT), r->pkts_toclient);
    set_u64(V(FC_BYTES_TOSERVER), r->bytes_toserver);
    set_u64(V(FC_BYTES_TOCLIENT), r->bytes_toclient);
    set_int(V(FC_LATER_FRAGMENTS), r->later_fragments);
    /* An open flow's record has no end yet: its end comes with the flow_end record. */
    set_str(V(FC_END_REASON), r->open ? "" : ow_end_reason_name(r->end_reason));
    SET_FIELD(V(FC_NDPI_PROTOCOL), r->ndpi_protocol);
    SET_FIELD(V(FC_NDPI_MASTER), r->ndpi_master);
    SET_FIELD(V(FC_NDPI_APP), r->ndpi_app);
    SET_FIELD(V(FC_NDPI_CATEGORY), r->ndpi_category);
    SET_FIELD(V(FC_NDPI_CONFIDENCE), r->ndpi_confidence);
    /* A bitmap: stored as the same 64 bits, read back bit for bit. */
    set_int(V(FC_NDPI_RISK), (int64_t)r->ndpi_risk);
    SET_FIELD(V(FC_APP_PROTO), r->app_proto);
    SET_FIELD(V(FC_SSH_CLIENT), r->ssh_client);
    SET_FIELD(V(FC_SSH_SERVER), r->ssh_server);
    SET_FIELD(V(FC_HASSH_CLIENT), r->hassh_client);
    SET_FIELD(V(FC_HASSH_SERVER), r->hassh_server);
    SET_FIELD(V(FC_TLS_SNI), r->tls_sni);
    SET_FIELD(V(FC_JA3), r->ja3);
    SET_FIELD(V(FC_JA3S), r->ja3s);
    SET_FIELD(V(FC_TLS_VERSION), r->tls_version);
    SET_FIELD(V(FC_HTTP_HOST), r->http_host);
    SET_FIELD(V(FC_HTTP_USER_AGENT), r->http_user_agent);
    SET_FIELD(V(FC_DNS_QUERY), r->dns_query);
    set_str(V(FC_LI_INTERFACE), ow_li_label_name(r->li.label));
    set_int(V(FC_LI_CONFIDENCE), r->li.confidence);
    SET_FIELD(V(FC_LI_XID), r->li.xid);
    SET_FIELD(V(FC_LI_LIID), r->li.liid);
    SET_FIELD(V(FC_LI_TARGET), r->li.target);
    set_int(V(FC_LI_PAYLOAD_FORMAT), r->li.payload_format);
    set_int(V(FC_LI_PDU_COUNT), r->li.pdu_count);
    set_str(V(FC_VERDICT_STATUS), ow_verdict_status_name(r->verdict.status));
    SET_FIELD(V(FC_VERDICT_RULE), r->verdict.rule);
    SET_FIELD(V(FC_VERDICT_KIND), r->verdict.kind);
    set_str(V(FC_VERDICT_SEVERITY), ow_severity_name(r->verdict.severity));
    SET_FIELD(V(FC_VERDICT_REASON), r->verdict.reason);
    SET_FIELD(V(FC_VERDICT_ASSET_SRC), r->verdict.asset_src);
    SET_FIELD(V(FC_VERDICT_ASSET_DEST), r->verdict.asset_dest);
    SET_FIELD(V(FC_VERDICT_TICKET), r->verdict.ticket);
    set_int(V(FC_VERDICT_OVERRUN), r->verdict.overrun ? 1 : 0);
    /* A flow that ended before (or as) its verdict was reached: its end columns go in with
     * it, and the caller chains its flow_end record right after the flow record. */
    if (r->open)
        for (int i = 0; i < END_COLUMN_COUNT; i++)
            set_null(V(FC_COUNT + i));
    else
        ow_flow_end_values(V(FC_COUNT), r);
#undef V
}
