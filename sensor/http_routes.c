/* http_routes.c — the JSON endpoints under /api/: validates each request's parameters, opens
 * a read-only store handle for it, and answers with the query's JSON (docs/webui.md). */
#include "sensor/http_internal.h"

#include <arpa/inet.h>
#include <sqlite3.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "classifiers/policy/policy.h"
#include "db/api_lookups.h"
#include "db/run_decode.h"
#include "db/alert_view.h"
#include "db/api_queries.h"
#include "db/eve_json.h"
#include "db/report.h"
#include "db/seal_keys.h"
#include "db/store.h"
#include "db/triage.h"
#include "common/alloc.h"
#include "common/anomaly_kinds.h"
#include "sensor/worker.h"


uint64_t ow_http_wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

struct ow_store *ow_http_open_store(struct ow_http *srv, struct MHD_Connection *c)
{
    char err[512];
    struct ow_store *st = ow_store_open_readonly(srv->db_path, err, sizeof err);
    if (!st)
        ow_http_send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "%s", err);
    return st;
}

/* Sends the result of a query (NULL: a 500 naming the error) and closes the store. */
static enum MHD_Result answer(struct MHD_Connection *c, struct ow_store *st, json_t *body,
                              const char *err)
{
    ow_store_close(st);
    if (!body)
        return ow_http_send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", err);
    return ow_http_send_json(c, MHD_HTTP_OK, body);
}

#define BAD_PARAMS(p) ow_http_bad_params(p)

/* A path component "/api/alerts/<id>" as a positive id; -1 when it is not one. */
static int64_t parse_id(const char *s, const char **rest)
{
    int64_t v = 0;
    const char *p = s;
    if (*p < '1' || *p > '9')
        return -1;
    while (*p >= '0' && *p <= '9') {
        if (v > (INT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (*p++ - '0');
    }
    *rest = p;
    return v;
}

/* An asset filter holding an address is a mistake the page should say so, not answer with
 * nothing: assets are names, addresses go to ip. */
static int check_asset_name(struct ow_params *p, const char *asset)
{
    char buf[64];
    if (asset && ow_normalise_ip(asset, buf, sizeof buf) == 0) {
        snprintf(p->param, sizeof p->param, "asset");
        snprintf(p->err, sizeof p->err, "asset takes an asset name; '%.64s' is an address "
                 "(filter addresses with ip)", asset);
        return -1;
    }
    return 0;
}

/* The filters every alert view takes (list, groups, chart). ipbuf holds the normalised ip. */
static int parse_alert_filters(struct ow_params *p, struct ow_alert_query *q, char *ipbuf,
                               size_t iplen)
{
    if ((q->nseverities = ow_params_list(p, "severity", ow_severity_names, q->severities,
                                         OW_API_MAX_CHOICES)) < 0 ||
        (q->nkinds = ow_params_list(p, "kind", ow_alert_kind_names, q->kinds, OW_API_MAX_CHOICES)) < 0 ||
        (q->ntriage = ow_params_list(p, "triage", ow_triage_statuses, q->triage,
                                     OW_API_MAX_CHOICES)) < 0 ||
        ow_params_time(p, "from", &q->from_us, &q->has_from) < 0 ||
        ow_params_time(p, "to", &q->to_us, &q->has_to) < 0 ||
        ow_params_name(p, "asset", 64, &q->asset) < 0 || check_asset_name(p, q->asset) < 0 ||
        ow_params_name(p, "rule", 64, &q->rule) < 0 ||
        ow_params_ip(p, "ip", ipbuf, iplen, &q->ip) < 0 ||
        ow_params_name(p, "community_id", 64, &q->community_id) < 0 ||
        ow_params_int(p, "run", 1, INT64_MAX, 0, &q->run_id) < 0)
        return -1;
    if (q->has_from && q->has_to && q->to_us <= q->from_us) {
        snprintf(p->param, sizeof p->param, "to");
        snprintf(p->err, sizeof p->err, "to must be later than from");
        return -1;
    }
    return 0;
}

static enum MHD_Result get_alerts(struct ow_http *srv, struct MHD_Connection *c)
{
    static const char *const allowed[] = { "severity", "kind", "triage", "from", "to", "asset",
                                           "rule", "ip", "community_id", "run", "after_id",
                                           "sort", "limit", "offset", NULL };
    struct ow_params p = { .c = c };
    struct ow_alert_query q = { 0 };
    char ipbuf[64];
    if (ow_params_check(&p, allowed) < 0 || parse_alert_filters(&p, &q, ipbuf, sizeof ipbuf) < 0 ||
        ow_params_int(&p, "after_id", 0, INT64_MAX, 0, &q.after_id) < 0 ||
        ow_params_choice(&p, "sort", ow_alert_sort_names, OW_SORT_TIME_DESC, &q.sort) < 0 ||
        ow_params_int(&p, "limit", 1, OW_HTTP_MAX_LIMIT, 100, &q.limit) < 0 ||
        ow_params_int(&p, "offset", 0, OW_HTTP_MAX_OFFSET, 0, &q.offset) < 0)
        return BAD_PARAMS(&p);
    struct ow_store *st = ow_http_open_store(srv, c);
    if (!st)
        return MHD_YES;
    char err[256];
    json_t *body = ow_api_alerts(ow_store_handle(st), &q, err, sizeof err);
    return answer(c, st, body, err);
}

static enum MHD_Result get_alert_groups(struct ow_http *srv, struct MHD_Connection *c)
{
    static const char *const allowed[] = { "severity", "kind", "triage", "from", "to", "asset",
                                           "rule", "ip", "community_id", "run", "sort", "limit",
                                           "offset", NULL };
    struct ow_params p = { .c = c };
    struct ow_alert_query q = { 0 };
    char ipbuf[64];
    int sort = 0;
    if (ow_params_check(&p, allowed) < 0 || parse_alert_filters(&p, &q, ipbuf, sizeof ipbuf) < 0 ||
        ow_params_choice(&p, "sort", ow_group_sort_names, 0, &sort) < 0 ||
        ow_params_int(&p, "limit", 1, OW_HTTP_MAX_LIMIT, 100, &q.limit) < 0 ||
        ow_params_int(&p, "offset", 0, OW_HTTP_MAX_OFFSET, 0, &q.offset) < 0)
        return BAD_PARAMS(&p);
    struct ow_store *st = ow_http_open_store(srv, c);
    if (!st)
        return MHD_YES;
    char err[256];
    json_t *body = ow_api_alert_groups(ow_store_handle(st), &q, sort, err, sizeof err);
    return answer(c, st, body, err);
}

/* The EVE line of a stored alert or flow as a JSON object. */
static json_t *eve_object(char *line)
{
    if (!line)
        return NULL;
    json_t *o = json_loads(line, 0, NULL);
    free(line);
    return o;
}

/* The rule an alert was held against: its definition from the policy serve was given, or
 * what the store recorded of it (kind, ticket) and why there is no more. NULL: no rule. */
static json_t *held_rule(struct ow_http *srv, sqlite3 *db, int64_t run_id, const char *rule)
{
    if (!rule || !*rule)
        return NULL;
    int idx = srv->policy ? ow_policy_rule_index(srv->policy, rule) : -1;
    struct ow_rule_text t;
    if (idx >= 0 && ow_policy_rule_describe(srv->policy, (size_t)idx, &t) == 0)
        return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:b}", "id", rule,
                         "kind", t.kind, "from", t.from, "to", t.to, "service", t.service,
                         "app", t.app, "window", t.window, "ticket", t.ticket, "vendor",
                         t.vendor, "interface", t.interface, "from_policy", 1);
    json_t *o = json_pack("{s:s,s:b}", "id", rule, "from_policy", 0);
    ow_api_run_rule(db, run_id, rule, o);
    json_object_set_new(o, "unavailable", json_string(srv->policy
        ? "the policy serve was given has no rule of this name (the run used another policy)"
        : "start serve with --policy FILE (the policy of the run) to see the rule's definition"));
    return o;
}

static enum MHD_Result get_alert(struct ow_http *srv, struct MHD_Connection *c, int64_t id)
{
    static const char *const allowed[] = { NULL };
    struct ow_params p = { .c = c };
    if (ow_params_check(&p, allowed) < 0)
        return BAD_PARAMS(&p);
    struct ow_store *st = ow_http_open_store(srv, c);
    if (!st)
        return MHD_YES;
    int64_t flow_row = 0, run_id = 0;
    int rc = 0;
    json_t *alert = eve_object(ow_alert_eve_line(st, id, NULL, &rc, &flow_row, &run_id));
    if (rc != 0) {
        json_decref(alert);
        ow_store_close(st);
        if (rc == 1)
            return ow_http_send_error(c, MHD_HTTP_NOT_FOUND, "no alert %lld", (long long)id);
        return ow_http_send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read alert %lld",
                                  (long long)id);
    }
    int frc = 0;
    json_t *flow = flow_row > 0 ? eve_object(ow_flow_eve_line(st, flow_row, NULL, &frc)) : NULL;
    ow_http_mask_eve(c, alert);
    ow_http_mask_eve(c, flow);
    sqlite3 *db = ow_store_handle(st);
    json_t *siblings = ow_api_flow_alerts(db, flow_row, id);
    json_t *history = ow_triage_history_json(db, id);
    json_t *rule = held_rule(srv, db, run_id,
                             json_string_value(json_object_get(json_object_get(alert, "alert"), "rule")));
    json_t *evidence = json_object();
    bool has_table = ow_api_has_table(db, "evidence");
    bool available = has_table && ow_api_evidence_stored(db, flow_row);
    json_object_set_new(evidence, "available", json_boolean(available));
    if (available && !ow_http_may_see_li(c) && (ow_api_flow_names_li(db, flow_row) != 0)) {
        json_object_set_new(evidence, "restricted", json_true());
        json_object_set_new(evidence, "why", json_string(
            "the packets carry LI targets or LIIDs in the clear: an li-officer may download them"));
    } else if (available) {
        char url[64];
        snprintf(url, sizeof url, "/api/alerts/%lld/evidence.pcap", (long long)id);
        json_object_set_new(evidence, "url", json_string(url));
    } else {
        json_object_set_new(evidence, "why", json_string(has_table
            ? "no packets were kept for this flow"
            : "this store keeps no evidence packets (made by an omwitness without them)"));
    }
    ow_store_close(st);
    if (!alert)
        return ow_http_send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot render alert");
    json_t *current = json_object_get(alert, "triage");
    json_t *open_state = current ? NULL : json_pack("{s:s}", "status", "open");
    enum MHD_Result ret = ow_http_send_json(c, MHD_HTTP_OK,
        json_pack("{s:I,s:I,s:I,s:o,s:o*,s:o,s:o,s:o,s:O,s:o}", "id", (json_int_t)id,
                  "run_id", (json_int_t)run_id, "flow_row", (json_int_t)flow_row, "alert", alert,
                  "flow", flow, "other_alerts", siblings, "evidence", evidence,
                  "triage_history", history ? history : json_array(),
                  "triage", current ? current : open_state,
                  "rule", rule ? rule : json_null()));
    json_decref(open_state);
    return ret;
}

static enum MHD_Result get_evidence(struct ow_http *srv, struct MHD_Connection *c, int64_t id)
{
    static const char *const allowed[] = { NULL };
    struct ow_params p = { .c = c };
    if (ow_params_check(&p, allowed) < 0)
        return BAD_PARAMS(&p);
    struct ow_store *st = ow_http_open_store(srv, c);
    if (!st)
        return MHD_YES;
    sqlite3 *db = ow_store_handle(st);
    int64_t flow_row = ow_api_alert_flow_row(db, id);
    if (flow_row <= 0) {
        ow_store_close(st);
        return ow_http_send_error(c, MHD_HTTP_NOT_FOUND, "no alert %lld", (long long)id);
    }
    /* The packets of an LI flow carry the targets and LIIDs in the clear; they cannot be
     * masked, so they are for an li-officer only. */
    enum MHD_Result refused;
    if (!ow_http_may_see_li(c) && ow_api_flow_names_li(db, flow_row) &&
        !ow_http_require_role(c, OW_HTTP_ROLE_LI_OFFICER, &refused)) {
        ow_store_close(st);
        return refused;
    }
    if (!ow_api_has_table(db, "evidence")) {
        ow_store_close(st);
        return ow_http_send_error(c, MHD_HTTP_NOT_FOUND,
                                  "this store keeps no evidence packets");
    }
    uint8_t *pcap = NULL;
    size_t len = 0;
    uint32_t packets = 0;
    int truncated = 0;
    int rc = ow_store_get_evidence(st, flow_row, &pcap, &len, &packets, &truncated);
    ow_store_close(st);
    if (rc == 1)
        return ow_http_send_error(c, MHD_HTTP_NOT_FOUND, "no packets were kept for alert %lld",
                                  (long long)id);
    if (rc == 2) {
        free(pcap);
        return ow_http_send_error(c, MHD_HTTP_CONFLICT,
                                  "the evidence of alert %lld does not match its stored hash "
                                  "(tampered); run omwitness verify", (long long)id);
    }
    if (rc != 0 || !pcap)
        return ow_http_send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                  "cannot read the evidence of alert %lld", (long long)id);
    struct MHD_Response *r = MHD_create_response_from_buffer(len, pcap, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(pcap);
        return MHD_NO;
    }
    char disp[96], count[32];
    snprintf(disp, sizeof disp, "attachment; filename=\"omwitness-alert-%lld.pcap\"", (long long)id);
    snprintf(count, sizeof count, "%u", packets);
    MHD_add_response_header(r, "Content-Type", "application/vnd.tcpdump.pcap");
    MHD_add_response_header(r, "Content-Disposition", disp);
    MHD_add_response_header(r, "X-Omwitness-Packets", count);
    MHD_add_response_header(r, "X-Omwitness-Truncated", truncated ? "1" : "0");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    ow_http_add_security_headers(r);
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

static int proto_number(const char *name)
{
    static const struct { const char *name; int num; } protos[] = {
        { "icmp", 1 }, { "igmp", 2 }, { "tcp", 6 }, { "udp", 17 }, { "gre", 47 }, { "esp", 50 },
        { "icmpv6", 58 }, { "ipv6-icmp", 58 }, { "ospf", 89 }, { "sctp", 132 },
    };
    for (size_t i = 0; i < sizeof protos / sizeof protos[0]; i++)
        if (!strcasecmp(name, protos[i].name))
            return protos[i].num;
    return -1;
}

static json_t *time_text(uint64_t us)
{
    char buf[64];
    ow_eve_timestamp(us, buf, sizeof buf);
    return json_string(buf);
}

/* /api/flows?state=open: a live capture's open flows, from the workers' memory (their
 * counters so far; stored counters come with each flow's end). Copies are at most a second
 * old; the first request of a while may find none yet and asks the workers to copy. */
static enum MHD_Result get_open_flows(struct ow_http *srv, struct MHD_Connection *c,
                                      int64_t limit)
{
    json_t *list = json_array();
    size_t total = 0;
    if (srv->open_flows_fn) {
        struct ow_open_flow *items = ow_calloc((size_t)limit, sizeof *items);
        if (!items) {
            json_decref(list);
            return ow_http_send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory");
        }
        size_t n = srv->open_flows_fn(srv->health_ctx, items, (size_t)limit, &total);
        for (size_t i = 0; i < n; i++) {
            const struct ow_open_flow *f = &items[i];
            char cip[OW_ADDR_TEXT_LEN], sip[OW_ADDR_TEXT_LEN];
            ow_addr_to_text(&f->client, cip, sizeof cip);
            ow_addr_to_text(&f->server, sip, sizeof sip);
            const char *pname = ow_l4_proto_name(f->l4_proto);
            json_t *o = json_pack("{s:I,s:o,s:I,s:I,s:s,s:i,s:s,s:i,s:o,s:I,s:I,s:I,s:I,s:s,"
                                  "s:b,s:s}",
                                  "flow_id", (json_int_t)f->flow_id,
                                  "timestamp", time_text(f->first_ts_us),
                                  "first_ts", (json_int_t)f->first_ts_us,
                                  "last_ts", (json_int_t)f->last_ts_us,
                                  "client_ip", cip, "client_port", (int)f->client.port,
                                  "server_ip", sip, "server_port", (int)f->server.port,
                                  "proto", pname ? json_string(pname) : json_integer(f->l4_proto),
                                  "pkts_toserver", (json_int_t)f->pkts_toserver,
                                  "pkts_toclient", (json_int_t)f->pkts_toclient,
                                  "bytes_toserver", (json_int_t)f->bytes_toserver,
                                  "bytes_toclient", (json_int_t)f->bytes_toclient,
                                  "state", ow_flow_state_name(f->state),
                                  "classified", (int)f->classified,
                                  "verdict_status", f->classified ?
                                      ow_verdict_status_name(f->verdict_status) : "");
            if (!o)
                continue;
            /* Strings from the wire: made valid UTF-8 by jansson's checks, or left out. */
            json_t *app = json_string(f->app_proto);
            if (app)
                json_object_set_new(o, "app_proto", app);
            json_t *kind = json_string(f->verdict_kind);
            if (kind)
                json_object_set_new(o, "verdict_kind", kind);
            json_t *cid = json_string(f->community_id);
            if (cid)
                json_object_set_new(o, "community_id", cid);
            json_array_append_new(list, o);
        }
        free(items);
    }
    json_t *body = json_pack("{s:s,s:b,s:I,s:o}", "state", "open", "live",
                             srv->open_flows_fn != NULL, "total", (json_int_t)total,
                             "flows", list);
    return answer(c, NULL, body, "out of memory");
}

static enum MHD_Result get_flows(struct ow_http *srv, struct MHD_Connection *c)
{
    static const char *const allowed[] = { "ip", "port", "app", "verdict", "community_id",
                                           "asset", "proto", "from", "to", "run", "limit",
                                           "offset", "state", NULL };
    struct ow_params p = { .c = c };
    struct ow_flow_query q = { .port = -1, .l4_proto = -1 };
    const char *proto = NULL;
    char ipbuf[INET6_ADDRSTRLEN];
    if (ow_params_check(&p, allowed) < 0 ||
        ow_params_ip(&p, "ip", ipbuf, sizeof ipbuf, &q.ip) < 0 ||
        ow_params_name(&p, "asset", 64, &q.asset) < 0 || check_asset_name(&p, q.asset) < 0 ||
        ow_params_int(&p, "port", 0, 65535, -1, &q.port) < 0 ||
        ow_params_name(&p, "app", 64, &q.app) < 0 ||
        (q.nverdicts = ow_params_list(&p, "verdict", ow_verdict_names, q.verdicts,
                                      OW_API_MAX_CHOICES)) < 0 ||
        ow_params_name(&p, "community_id", 64, &q.community_id) < 0 ||
        ow_params_name(&p, "proto", 16, &proto) < 0 ||
        ow_params_time(&p, "from", &q.from_us, &q.has_from) < 0 ||
        ow_params_time(&p, "to", &q.to_us, &q.has_to) < 0 ||
        ow_params_int(&p, "run", 1, INT64_MAX, 0, &q.run_id) < 0 ||
        ow_params_int(&p, "limit", 1, OW_HTTP_MAX_LIMIT, 100, &q.limit) < 0 ||
        ow_params_int(&p, "offset", 0, OW_HTTP_MAX_OFFSET, 0, &q.offset) < 0)
        return BAD_PARAMS(&p);
    const char *state = NULL;
    if (ow_params_name(&p, "state", 16, &state) < 0)
        return BAD_PARAMS(&p);
    if (state && strcmp(state, "open") == 0)
        return get_open_flows(srv, c, q.limit);
    if (state && strcmp(state, "stored") != 0) {
        snprintf(p.param, sizeof p.param, "state");
        snprintf(p.err, sizeof p.err, "state must be open or stored");
        return BAD_PARAMS(&p);
    }
    if (proto) {
        char *end;
        long n = strtol(proto, &end, 10);
        if (*end == '\0' && n >= 0 && n <= 255 && proto[0] >= '0' && proto[0] <= '9')
            q.l4_proto = n;
        else if ((q.l4_proto = proto_number(proto)) < 0) {
            snprintf(p.param, sizeof p.param, "proto");
            snprintf(p.err, sizeof p.err,
                     "proto must be tcp, udp, icmp, icmpv6, sctp, gre, ... or 0..255");
            return BAD_PARAMS(&p);
        }
    }
    if (q.has_from && q.has_to && q.to_us <= q.from_us) {
        snprintf(p.param, sizeof p.param, "to");
        snprintf(p.err, sizeof p.err, "to must be later than from");
        return BAD_PARAMS(&p);
    }
    struct ow_store *st = ow_http_open_store(srv, c);
    if (!st)
        return MHD_YES;
    char err[256];
    json_t *body = ow_api_flows(ow_store_handle(st), &q, err, sizeof err);
    return answer(c, st, body, err);
}

static enum MHD_Result get_flow(struct ow_http *srv, struct MHD_Connection *c, int64_t row)
{
    static const char *const allowed[] = { NULL };
    struct ow_params p = { .c = c };
    if (ow_params_check(&p, allowed) < 0)
        return BAD_PARAMS(&p);
    struct ow_store *st = ow_http_open_store(srv, c);
    if (!st)
        return MHD_YES;
    int rc = 0;
    json_t *flow = eve_object(ow_flow_eve_line(st, row, NULL, &rc));
    ow_http_mask_eve(c, flow);
    json_t *alerts = rc == 0 ? ow_api_flow_alerts(ow_store_handle(st), row, 0) : json_array();
    ow_store_close(st);
    if (rc == 1) {
        json_decref(alerts);
        return ow_http_send_error(c, MHD_HTTP_NOT_FOUND, "no flow %lld", (long long)row);
    }
    if (!flow) {
        json_decref(alerts);
        return ow_http_send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read flow %lld",
                                  (long long)row);
    }
    return ow_http_send_json(c, MHD_HTTP_OK, json_pack("{s:I,s:o,s:o}", "flow_row",
                             (json_int_t)row, "flow", flow, "alerts", alerts));
}

static enum MHD_Result get_runs(struct ow_http *srv, struct MHD_Connection *c)
{
    static const char *const allowed[] = { NULL };
    struct ow_params p = { .c = c };
    if (ow_params_check(&p, allowed) < 0)
        return BAD_PARAMS(&p);
    struct ow_store *st = ow_http_open_store(srv, c);
    if (!st)
        return MHD_YES;
    char err[256];
    return answer(c, st, ow_api_runs(ow_store_handle(st), err, sizeof err), err);
}

static enum MHD_Result get_rules(struct ow_http *srv, struct MHD_Connection *c)
{
    static const char *const allowed[] = { "run", NULL };
    struct ow_params p = { .c = c };
    int64_t run = 0;
    if (ow_params_check(&p, allowed) < 0 || ow_params_int(&p, "run", 1, INT64_MAX, 0, &run) < 0)
        return BAD_PARAMS(&p);
    size_t nrules = srv->policy ? ow_policy_rule_count(srv->policy) : 0;
    struct ow_api_rule_ref *refs = nrules ? calloc(nrules, sizeof *refs) : NULL;
    if (nrules && !refs)
        return ow_http_send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    bool oom = false;
    for (size_t i = 0; i < nrules; i++) {
        refs[i].id = ow_policy_rule_id(srv->policy, i);
        refs[i].kind = ow_policy_rule_kind(srv->policy, i);
        refs[i].ticket = ow_policy_rule_ticket(srv->policy, i);
        size_t nw = ow_policy_rule_window_count(srv->policy, i);
        struct ow_api_window *wins = nw ? calloc(nw, sizeof *wins) : NULL;
        if (nw && !wins) {
            oom = true;
            break;
        }
        for (size_t w = 0; w < nw; w++)
            ow_policy_rule_window(srv->policy, i, w, &wins[w].start_us, &wins[w].end_us);
        refs[i].windows = wins;
        refs[i].nwindows = nw;
    }
    struct ow_store *st = oom ? NULL : ow_http_open_store(srv, c);
    json_t *body = NULL;
    char err[256] = "";
    if (st)
        body = ow_api_rules(ow_store_handle(st), run, refs, nrules, err, sizeof err);
    for (size_t i = 0; i < nrules; i++)
        free((void *)refs[i].windows);
    free(refs);
    if (oom)
        return ow_http_send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    if (!st)
        return MHD_YES;
    return answer(c, st, body, err);
}

static enum MHD_Result get_timeline(struct ow_http *srv, struct MHD_Connection *c)
{
    static const char *const allowed[] = { "severity", "kind", "triage", "from", "to", "asset",
                                           "rule", "ip", "community_id", "run", "buckets", NULL };
    struct ow_params p = { .c = c };
    struct ow_alert_query q = { 0 };
    char ipbuf[64];
    int64_t buckets = 0;
    if (ow_params_check(&p, allowed) < 0 || parse_alert_filters(&p, &q, ipbuf, sizeof ipbuf) < 0 ||
        ow_params_int(&p, "buckets", 1, 500, 60, &buckets) < 0)
        return BAD_PARAMS(&p);
    struct ow_flow_query f = { .ip = q.ip, .port = -1, .asset = q.asset,
                               .community_id = q.community_id, .l4_proto = -1,
                               .run_id = q.run_id };
    struct ow_store *st = ow_http_open_store(srv, c);
    if (!st)
        return MHD_YES;
    char err[256];
    json_t *body = ow_api_timeline(ow_store_handle(st), &q, &f, (int)buckets, err, sizeof err);
    return answer(c, st, body, err);
}

static enum MHD_Result get_assets(struct ow_http *srv, struct MHD_Connection *c)
{
    static const char *const allowed[] = { "name", NULL };
    struct ow_params p = { .c = c };
    const char *name = NULL;
    if (ow_params_check(&p, allowed) < 0 || ow_params_name(&p, "name", 64, &name) < 0)
        return BAD_PARAMS(&p);
    size_t n = srv->policy ? ow_policy_asset_count(srv->policy) : 0;
    struct ow_asset_text *texts = n ? calloc(n, sizeof *texts) : NULL;
    struct ow_api_asset_ref *refs = n ? calloc(n, sizeof *refs) : NULL;
    if (n && (!texts || !refs)) {
        free(texts);
        free(refs);
        return ow_http_send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        ow_policy_asset_describe(srv->policy, i, &texts[i]);
        refs[i] = (struct ow_api_asset_ref){ texts[i].name, texts[i].role, texts[i].vendor,
                                             texts[i].addresses };
    }
    struct ow_store *st = ow_http_open_store(srv, c);
    json_t *body = NULL;
    char err[256] = "";
    if (st)
        body = ow_api_assets(ow_store_handle(st), name, refs, n, err, sizeof err);
    free(texts);
    free(refs);
    if (!st)
        return MHD_YES;
    if (body && name && !json_array_size(json_object_get(body, "assets"))) {
        json_decref(body);
        ow_store_close(st);
        return ow_http_send_error(c, MHD_HTTP_NOT_FOUND, "no asset named '%.64s' in the store%s",
                                  name, srv->policy ? " or the policy" : "");
    }
    return answer(c, st, body, err);
}

static enum MHD_Result get_summary(struct ow_http *srv, struct MHD_Connection *c)
{
    static const char *const allowed[] = { NULL };
    struct ow_params p = { .c = c };
    if (ow_params_check(&p, allowed) < 0)
        return BAD_PARAMS(&p);
    struct ow_store *st = ow_http_open_store(srv, c);
    if (!st)
        return MHD_YES;
    char err[256];
    json_t *body = ow_api_summary(ow_store_handle(st), err, sizeof err);
    if (body) {
        json_object_set_new(body, "live", json_boolean(srv->health_fn != NULL));
        json_object_set_new(body, "version", json_string(OW_VERSION));
    }
    return answer(c, st, body, err);
}

/* Live numbers from the capture, with packets/s measured between successive calls. */
static json_t *live_health(struct ow_http *srv)
{
    struct ow_health h = { 0 };
    srv->health_fn(srv->health_ctx, &h);
    uint64_t now = ow_http_wall_us();
    pthread_mutex_lock(&srv->rate_lock);
    if (srv->rate_prev_us && now > srv->rate_prev_us + 500000) {
        uint64_t dp = h.packets >= srv->rate_prev_packets ? h.packets - srv->rate_prev_packets : 0;
        srv->rate_pps = (double)dp * 1e6 / (double)(now - srv->rate_prev_us);
    }
    if (!srv->rate_prev_us || now > srv->rate_prev_us + 500000) {
        srv->rate_prev_us = now;
        srv->rate_prev_packets = h.packets;
    }
    double pps = srv->rate_pps;
    pthread_mutex_unlock(&srv->rate_lock);
    return json_pack("{s:I,s:I,s:I,s:I,s:f,s:I,s:I,s:I,s:I,s:I,s:I}",
                     "packets", (json_int_t)h.packets, "bytes", (json_int_t)h.bytes,
                     "drops_kernel", (json_int_t)h.drops_kernel,
                     "drops_internal", (json_int_t)h.drops_internal, "packets_per_s", pps,
                     "active_flows", (json_int_t)h.active_flows,
                     "flows_written", (json_int_t)h.flows_written,
                     "alerts_written", (json_int_t)h.alerts_written,
                     "ring_bytes", (json_int_t)h.ring_bytes,
                     "ring_capacity", (json_int_t)h.ring_capacity, "run_id", (json_int_t)h.run_id);
}

static enum MHD_Result get_health(struct ow_http *srv, struct MHD_Connection *c)
{
    static const char *const allowed[] = { NULL };
    struct ow_params p = { .c = c };
    if (ow_params_check(&p, allowed) < 0)
        return BAD_PARAMS(&p);
    json_t *body = json_object();
    json_object_set_new(body, "live", json_boolean(srv->health_fn != NULL));
    json_object_set_new(body, "now_us", json_integer((json_int_t)ow_http_wall_us()));
    json_object_set_new(body, "event_streams", json_integer(atomic_load(&srv->streams)));
    if (srv->health_fn)
        json_object_set_new(body, "capture", live_health(srv));
    /* The last stored run: a finished run's totals, or the one being written. */
    char err[512];
    struct ow_store *st = ow_store_open_readonly(srv->db_path, err, sizeof err);
    if (st) {
        json_t *runs = ow_api_runs(ow_store_handle(st), err, sizeof err);
        json_t *last = runs ? json_array_get(json_object_get(runs, "runs"), 0) : NULL;
        json_object_set(body, "last_run", last ? last : json_null());
        /* Why the last run's undecoded packets were not decoded, most common first. */
        json_t *events = last ? ow_run_decode_json(ow_store_handle(st),
                                                  json_integer_value(json_object_get(last, "id")))
                              : json_array();
        json_object_set_new(body, "last_run_decode_events", events ? events : json_array());
        json_decref(runs);
        ow_store_close(st);
        json_object_set_new(body, "store", json_string("ok"));
    } else {
        json_object_set_new(body, "store", json_string(err));
    }
    return ow_http_send_json(c, MHD_HTTP_OK, body);
}

static enum MHD_Result get_index(struct MHD_Connection *c)
{
    return ow_http_send_json(c, MHD_HTTP_OK, json_pack("{s:[s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s]}",
        "endpoints", "/api/summary", "/api/alerts", "/api/alerts/groups", "/api/alerts/{id}",
        "/api/alerts/{id}/evidence.pcap", "POST /api/alerts/{id}/triage", "/api/flows",
        "/api/flows/{row}", "/api/assets", "/api/runs", "/api/rules", "/api/timeline",
        "/api/health", "/api/report", "/api/events", "/api/session", "/api/meta"));
}

/* Who the caller is, so the pages can say so and know whether LI identities are shown. */
static enum MHD_Result get_session(struct MHD_Connection *c)
{
    static const char *const allowed[] = { NULL };
    struct ow_params p = { .c = c };
    if (ow_params_check(&p, allowed) < 0)
        return BAD_PARAMS(&p);
    return ow_http_send_json(c, MHD_HTTP_OK,
        json_pack("{s:s,s:s,s:b,s:b}", "name", ow_http_request_user(c),
                  "role", ow_http_role_name(ow_http_request_role(c)),
                  "li_visible", ow_http_may_see_li(c), "cookie", ow_http_request_by_cookie(c)));
}

/* The kind table itself, so the pages and scripts label and filter from what this build
 * emits instead of keeping copies of it. */
static enum MHD_Result get_meta(struct MHD_Connection *c)
{
    static const char *const allowed[] = { NULL };
    struct ow_params p = { .c = c };
    if (ow_params_check(&p, allowed) < 0)
        return BAD_PARAMS(&p);
    json_t *kinds = json_array(), *sevs = json_array();
    for (const struct ow_anomaly_kind_info *k = ow_anomaly_kinds; k->kind; k++)
        json_array_append_new(kinds, json_pack("{s:s,s:s,s:I,s:s,s:s,s:s}", "name", k->kind,
            "severity", ow_severity_name(k->severity), "signature_id", (json_int_t)k->signature_id,
            "signature", k->signature, "title", k->category, "description", k->description));
    for (const char *const *n = ow_severity_names; *n; n++)
        json_array_append_new(sevs, json_string(*n));
    return ow_http_send_json(c, MHD_HTTP_OK, json_pack("{s:s,s:o,s:o}", "version", OW_VERSION,
                                                       "anomaly_kinds", kinds, "severities", sevs));
}

enum MHD_Result ow_http_route_api(struct ow_http *srv, struct MHD_Connection *c, const char *url)
{
    const char *rest;
    int64_t id;
    if (!strcmp(url, "/api") || !strcmp(url, "/api/"))
        return get_index(c);
    if (!strcmp(url, "/api/alerts"))
        return get_alerts(srv, c);
    if (!strcmp(url, "/api/alerts/groups"))
        return get_alert_groups(srv, c);
    if (!strcmp(url, "/api/assets"))
        return get_assets(srv, c);
    if (!strncmp(url, "/api/alerts/", 12) && (id = parse_id(url + 12, &rest)) > 0) {
        if (!*rest)
            return get_alert(srv, c, id);
        if (!strcmp(rest, "/evidence.pcap"))
            return get_evidence(srv, c, id);
    }
    if (!strcmp(url, "/api/flows"))
        return get_flows(srv, c);
    if (!strncmp(url, "/api/flows/", 11) && (id = parse_id(url + 11, &rest)) > 0 && !*rest)
        return get_flow(srv, c, id);
    if (!strcmp(url, "/api/runs"))
        return get_runs(srv, c);
    if (!strcmp(url, "/api/rules"))
        return get_rules(srv, c);
    if (!strcmp(url, "/api/timeline"))
        return get_timeline(srv, c);
    if (!strcmp(url, "/api/summary"))
        return get_summary(srv, c);
    if (!strcmp(url, "/api/health"))
        return get_health(srv, c);
    if (!strcmp(url, "/api/report"))
        return ow_http_get_report(srv, c);
    if (!strcmp(url, "/api/session"))
        return get_session(c);
    if (!strcmp(url, "/api/meta"))
        return get_meta(c);
    return ow_http_send_error(c, MHD_HTTP_NOT_FOUND, "no such endpoint");
}
