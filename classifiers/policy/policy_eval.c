/* policy_eval.c — turns a classified flow into a verdict (docs/policy.md "Matching",
 * "Anomalies"): scope, the first matching rule in file order, otherwise the anomaly kind by
 * the precedence table, with a one-sentence reason naming what was expected and what was
 * seen. Reads only the immutable policy, so workers call it concurrently. */
#include "classifiers/policy/policy_internal.h"

#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/anomaly_kinds.h"
#include "common/timefmt.h"

enum { M_FROM = 1, M_TO = 2, M_SERVICE = 4, M_APP = 8, M_WINDOW = 16,
       M_ALL = M_FROM | M_TO | M_SERVICE | M_APP | M_WINDOW };

/* What evaluation knows about the flow's two ends. */
struct flow_ctx {
    const struct ow_policy *p;
    const struct ow_flow_record *rec;
    const struct pol_slot *cs, *ss;   /* every asset holding the client/server, NULL when none */
    int32_t ca, sa;                   /* the most specific of them, -1 when none */
    bool c_mgmt, s_mgmt;
};

static void ctx_endpoints(struct flow_ctx *f)
{
    f->cs = pol_slot_of(f->p, &f->rec->client);
    f->ss = pol_slot_of(f->p, &f->rec->server);
    f->ca = f->cs && f->cs->n_holders ? (int32_t)f->cs->holders[0] : -1;
    f->sa = f->ss && f->ss->n_holders ? (int32_t)f->ss->holders[0] : -1;
}

/* A bounded view of a fixed-size record field, whatever its last byte holds. */
static size_t field_len(const char *f, size_t size)
{
    return strnlen(f, size);
}

#define FIELD_EQ(name, field) field_eq((name), (field), sizeof(field))
static bool field_eq(const char *name, const char *field, size_t size)
{
    size_t n = field_len(field, size);
    return n && n == strlen(name) && strncasecmp(name, field, n) == 0;
}

static bool fields_same(const char *a, size_t asize, const char *b, size_t bsize)
{
    size_t n = field_len(a, asize);
    return n == field_len(b, bsize) && memcmp(a, b, n) == 0;
}

static bool sel_has(const struct ow_policy *p, const struct pol_selector *sel,
                    const struct ow_endpoint *ep, const struct pol_slot *slot)
{
    for (size_t i = 0; i < sel->n; i++) {
        const struct pol_sel_item *it = &sel->items[i];
        switch (it->type) {
        case POL_SEL_ASSET:
            if (pol_slot_has(slot, it->asset))
                return true;
            break;
        case POL_SEL_ROLE:
            if (slot && (slot->roles & (1u << it->role)))
                return true;
            break;
        case POL_SEL_VENDOR:
            if (pol_slot_has_vendor(p, slot, it->vendor))
                return true;
            break;
        default:
            if (ow_cidr_contains(&it->cidr, ep->family, ep->addr))
                return true;
            break;
        }
    }
    return false;
}

static bool service_fits(const struct pol_rule *r, const struct ow_flow_record *rec)
{
    if (r->proto && r->proto != rec->l4_proto)
        return false;
    if (r->n_ports == 0)
        return true;
    if (rec->l4_proto != IPPROTO_TCP && rec->l4_proto != IPPROTO_UDP && rec->l4_proto != IPPROTO_SCTP)
        return false;   /* ports only mean something for port-based protocols */
    for (size_t i = 0; i < r->n_ports; i++)
        if (rec->server.port >= r->ports[i].lo && rec->server.port <= r->ports[i].hi)
            return true;
    return false;
}

/* A flow with an LI label fits a rule only when the rule authorizes that label explicitly:
 * an li rule's interface (without `app`), or a label named in `app`. So a broad operations
 * rule can never hide LI traffic. */
static bool app_fits(const struct pol_rule *r, const struct ow_flow_record *rec)
{
    if (rec->li.label != OW_LI_NONE) {
        const char *label = ow_li_label_name(rec->li.label);
        if (!label[0])
            return false;
        if (r->n_apps == 0)
            return r->kind == OW_RULE_LI && r->interface == rec->li.label;
        for (size_t i = 0; i < r->n_apps; i++)
            if (strcasecmp(r->apps[i], label) == 0)
                return true;
        return false;
    }
    if (r->n_apps == 0)
        return true;
    /* app_proto differs from nDPI's name only when one of omwitness's own classifiers
     * labelled the flow: that label is then its classification, and nDPI's guess (LDAP
     * seen as MQTT, an SNMP set as RX) no longer counts. */
    bool ours = field_len(rec->app_proto, sizeof rec->app_proto) &&
                !fields_same(rec->app_proto, sizeof rec->app_proto, rec->ndpi_protocol,
                             sizeof rec->ndpi_protocol);
    for (size_t i = 0; i < r->n_apps; i++) {
        const char *a = r->apps[i];
        if (FIELD_EQ(a, rec->app_proto))
            return true;
        if (!ours && (FIELD_EQ(a, rec->ndpi_app) || FIELD_EQ(a, rec->ndpi_master) ||
                      FIELD_EQ(a, rec->ndpi_protocol)))
            return true;
    }
    return false;
}

static const struct pol_window *window_at(const struct pol_rule *r, uint64_t ts_us)
{
    int64_t t = ts_us > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)ts_us;
    for (size_t i = 0; i < r->n_windows; i++)
        if (t >= r->windows[i].start_us && t < r->windows[i].end_us)
            return &r->windows[i];
    return NULL;
}

static unsigned rule_match(const struct flow_ctx *f, const struct pol_rule *r)
{
    unsigned m = 0;
    if (sel_has(f->p, &r->from, &f->rec->client, f->cs))
        m |= M_FROM;
    if (sel_has(f->p, &r->to, &f->rec->server, f->ss))
        m |= M_TO;
    if (service_fits(r, f->rec))
        m |= M_SERVICE;
    if (app_fits(r, f->rec))
        m |= M_APP;
    if (r->kind != OW_RULE_MAINTENANCE || window_at(r, f->rec->first_ts_us))
        m |= M_WINDOW;
    return m;
}

/* ---- text for reasons -------------------------------------------------------------- */

struct text {
    char buf[1024];
    size_t len;
};

static void text_add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void text_add(struct text *t, const char *fmt, ...)
{
    if (t->len >= sizeof t->buf - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->buf + t->len, sizeof t->buf - t->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        t->len += (size_t)n < sizeof t->buf - t->len ? (size_t)n : sizeof t->buf - 1 - t->len;
}

void pol_copy_utf8(char *dst, size_t dstlen, const char *src)
{
    static const char ellipsis[] = "\xe2\x80\xa6";
    if (!dstlen)
        return;
    size_t len = strlen(src);
    if (len < dstlen) {
        memcpy(dst, src, len + 1);
        return;
    }
    if (dstlen < sizeof ellipsis) {
        dst[0] = '\0';
        return;
    }
    size_t cut = dstlen - sizeof ellipsis;   /* room for "…" and the NUL */
    while (cut > 0 && ((unsigned char)src[cut] & 0xc0) == 0x80)
        cut--;
    memcpy(dst, src, cut);
    memcpy(dst + cut, ellipsis, sizeof ellipsis);
}

/* Application names from nDPI are not wire bytes, but keep reasons plain text anyway. */
static void app_seen(const struct ow_flow_record *rec, char *out, size_t outlen)
{
    const char *src = "";
    size_t size = 0;
    if (rec->li.label != OW_LI_NONE) {
        src = ow_li_label_name(rec->li.label);
        size = strlen(src) + 1;
    } else if (rec->app_proto[0]) {
        src = rec->app_proto;
        size = sizeof rec->app_proto;
    } else if (rec->ndpi_protocol[0]) {
        src = rec->ndpi_protocol;
        size = sizeof rec->ndpi_protocol;
    }
    size_t n = field_len(src, size), o = 0;
    for (size_t i = 0; i < n && o + 1 < outlen; i++) {
        unsigned char ch = (unsigned char)src[i];
        out[o++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
    }
    if (outlen)
        out[o] = '\0';
    if (!o)
        snprintf(out, outlen, "unknown app");
}

static void add_endpoint(struct text *t, const struct ow_policy *p, const struct ow_endpoint *ep,
                         int32_t asset)
{
    char a[OW_ADDR_TEXT_LEN];
    if (ep->family != OW_AF_INET4 && ep->family != OW_AF_INET6)
        snprintf(a, sizeof a, "?");
    else
        ow_addr_to_text(ep, a, sizeof a);
    if (asset >= 0)
        text_add(t, "%s %s", p->assets[asset].name, a);
    else
        text_add(t, "%s", a);
}

static void add_time(struct text *t, uint64_t us)
{
    char ts[40];
    ow_rfc3339_format(us > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)us, ts, sizeof ts);
    text_add(t, "%s", ts);
}

/* "acme-jump 10.99.0.7 → ne-core 10.20.1.11 tcp/22 SSH at 2026-02-10T05:30:00Z" */
static void add_seen(struct text *t, const struct flow_ctx *f)
{
    const struct ow_flow_record *rec = f->rec;
    char app[72];
    add_endpoint(t, f->p, &rec->client, f->ca);
    text_add(t, " \xe2\x86\x92 ");
    add_endpoint(t, f->p, &rec->server, f->sa);
    if (rec->l4_proto == IPPROTO_TCP || rec->l4_proto == IPPROTO_UDP)
        text_add(t, " %s/%u", rec->l4_proto == IPPROTO_TCP ? "tcp" : "udp", rec->server.port);
    else if (ow_l4_proto_name(rec->l4_proto))
        text_add(t, " %s", ow_l4_proto_name(rec->l4_proto));
    else
        text_add(t, " proto %u", rec->l4_proto);
    app_seen(rec, app, sizeof app);
    text_add(t, " %s at ", app);
    add_time(t, rec->first_ts_us);
}

static void add_selector(struct text *t, const struct ow_policy *p, const struct pol_selector *s)
{
    for (size_t i = 0; i < s->n; i++) {
        const struct pol_sel_item *it = &s->items[i];
        if (i == 4) {
            text_add(t, " and %zu more", s->n - 4);
            return;
        }
        if (i)
            text_add(t, i + 1 == s->n ? " or " : ", ");
        if (it->type == POL_SEL_ASSET) {
            text_add(t, "%s", p->assets[it->asset].name);
        } else if (it->type == POL_SEL_ROLE) {
            text_add(t, "role:%s", ow_role_name(it->role));
        } else if (it->type == POL_SEL_VENDOR) {
            text_add(t, "vendor:%s", p->vendors[it->vendor]);
        } else {
            char c[64];
            text_add(t, "%s", ow_cidr_to_text(&it->cidr, c, sizeof c));
        }
    }
}

static void add_service(struct text *t, const struct pol_rule *r)
{
    const char *proto = r->proto == IPPROTO_TCP ? "tcp" : r->proto == IPPROTO_UDP ? "udp" : "any";
    if (r->n_ports == 0) {
        text_add(t, "%s any port", proto);
        return;
    }
    text_add(t, "%s/", proto);
    for (size_t i = 0; i < r->n_ports && i < 6; i++) {
        if (r->ports[i].lo == r->ports[i].hi)
            text_add(t, "%s%u", i ? "," : "", r->ports[i].lo);
        else
            text_add(t, "%s%u-%u", i ? "," : "", r->ports[i].lo, r->ports[i].hi);
    }
    if (r->n_ports > 6)
        text_add(t, ",…");
}

static void add_apps(struct text *t, const struct pol_rule *r)
{
    if (r->n_apps == 0) {
        text_add(t, "%s", r->kind == OW_RULE_LI ? ow_li_label_name(r->interface) : "any app");
        return;
    }
    for (size_t i = 0; i < r->n_apps && i < 6; i++)
        text_add(t, "%s%s", i ? (i + 1 == r->n_apps ? " or " : ", ") : "", r->apps[i]);
    if (r->n_apps > 6)
        text_add(t, " and %zu more", r->n_apps - 6);
}

/* "2026-02-10T01:00–04:00Z"; the end repeats the date only when it differs. */
static void add_window(struct text *t, const struct pol_window *w)
{
    char s[40], e[40];
    ow_rfc3339_format(w->start_us, s, sizeof s);
    ow_rfc3339_format(w->end_us, e, sizeof e);
    bool sec = strcmp(s + 16, ":00Z") != 0 || strcmp(e + 16, ":00Z") != 0;
    size_t keep = sec ? 19 : 16;   /* through seconds, or through minutes */
    bool same_day = strncmp(s, e, 10) == 0;
    text_add(t, "%.*s\xe2\x80\x93%.*sZ", (int)keep, s,
             (int)(same_day ? keep - 11 : keep), same_day ? e + 11 : e);
}

static void add_windows(struct text *t, const struct pol_rule *r)
{
    for (size_t i = 0; i < r->n_windows && i < 3; i++) {
        if (i)
            text_add(t, ", ");
        add_window(t, &r->windows[i]);
    }
    if (r->n_windows > 3)
        text_add(t, " and %zu more windows", r->n_windows - 3);
}

/* ---- verdicts ---------------------------------------------------------------------- */

static void set_rule(struct ow_verdict *v, const struct ow_policy *p, int32_t ri)
{
    if (ri < 0)
        return;
    const struct pol_rule *r = &p->rules[ri];
    snprintf(v->rule, sizeof v->rule, "%s", r->id);
    snprintf(v->ticket, sizeof v->ticket, "%s", r->ticket);
}

static void set_anomaly(struct ow_verdict *v, enum ow_anomaly_kind kind)
{
    const struct ow_anomaly_kind_info *k = ow_anomaly_kind(kind);
    v->status = OW_VERDICT_ANOMALY;
    v->severity = k->severity;
    snprintf(v->kind, sizeof v->kind, "%s", k->kind);
}

static bool li_role(uint8_t role)
{
    return role == OW_ROLE_LI_ADMIN || role == OW_ROLE_LI_MEDIATION || role == OW_ROLE_LEMF;
}

/* docs/policy.md: a vendor reaches the network through its vendor-access assets and the
 * other assets it owns; a network element's vendor is only its maker. */
static bool vendor_reach(const struct pol_asset *a)
{
    return a->role == OW_ROLE_VENDOR_ACCESS || (a->role != OW_ROLE_NETWORK_ELEMENT && a->vendor[0]);
}

/* The most specific asset of slot s that passes test, or NULL. */
static const struct pol_asset *first_holder(const struct ow_policy *p, const struct pol_slot *s,
                                            bool (*test)(const struct pol_asset *))
{
    for (uint32_t i = 0; s && i < s->n_holders; i++)
        if (test(&p->assets[s->holders[i]]))
            return &p->assets[s->holders[i]];
    return NULL;
}

static bool li_asset(const struct pol_asset *a)
{
    return li_role(a->role);
}

/* The anomaly for an in-scope flow no rule authorized, by the precedence table of docs/policy.md.
 * near_* are the first rules that match all but one condition (-1 when none). */
static void classify_anomaly(const struct flow_ctx *f, struct ow_verdict *v, struct text *t,
                             int32_t near_li, int32_t near_window, int32_t near_app)
{
    const struct ow_policy *p = f->p;
    const struct ow_flow_record *rec = f->rec;

    const struct pol_asset *li_end = first_holder(p, f->ss, li_asset);
    if (!li_end)
        li_end = first_holder(p, f->cs, li_asset);
    if (rec->li.label != OW_LI_NONE || li_end || near_li >= 0) {
        set_anomaly(v, OW_KIND_LI_UNAUTHORIZED);
        set_rule(v, p, near_li);
        add_seen(t, f);
        if (near_li >= 0) {
            const struct pol_rule *r = &p->rules[near_li];
            text_add(t, ": li rule %s allows %s to ", r->id, ow_li_label_name(r->interface));
            add_selector(t, p, &r->to);
            text_add(t, " ");
            add_service(t, r);
            text_add(t, " only from ");
            add_selector(t, p, &r->from);
        } else if (rec->li.label != OW_LI_NONE) {
            text_add(t, ": LI %s traffic that no li rule allows between these endpoints",
                     ow_li_label_name(rec->li.label));
        } else {
            text_add(t, ": %s is an LI asset (%s) and no rule allows this flow", li_end->name,
                     ow_role_name(li_end->role));
        }
        return;
    }
    if (near_window >= 0) {
        const struct pol_rule *r = &p->rules[near_window];
        set_anomaly(v, OW_KIND_MAINTENANCE_OUTSIDE_WINDOW);
        set_rule(v, p, near_window);
        add_seen(t, f);
        text_add(t, "; ticket %s (rule %s) allows ", r->ticket, r->id);
        add_windows(t, r);
        return;
    }
    const struct pol_asset *vend = first_holder(p, f->cs, vendor_reach);
    if (!vend)
        vend = first_holder(p, f->ss, vendor_reach);
    if (vend) {
        set_anomaly(v, OW_KIND_VENDOR_UNAUTHORIZED);
        set_rule(v, p, vend->vendor_rule);
        add_seen(t, f);
        if (vend->vendor_rule >= 0) {
            const struct pol_rule *r = &p->rules[vend->vendor_rule];
            text_add(t, ": %s belongs to vendor %s, allowed only by maintenance rules such as "
                     "%s (ticket %s), and none matches", vend->name, vend->vendor, r->id,
                     r->ticket);
        } else if (vend->role == OW_ROLE_VENDOR_ACCESS) {
            text_add(t, ": %s is vendor access and no maintenance rule allows this flow",
                     vend->name);
        } else {
            text_add(t, ": %s is run by vendor %s and no maintenance rule allows this flow",
                     vend->name, vend->vendor);
        }
        return;
    }
    if (near_app >= 0) {
        const struct pol_rule *r = &p->rules[near_app];
        set_anomaly(v, OW_KIND_PROTOCOL_MISMATCH);
        set_rule(v, p, near_app);
        add_seen(t, f);
        text_add(t, ": rule %s allows ", r->id);
        add_service(t, r);
        text_add(t, " for ");
        add_apps(t, r);
        text_add(t, " only");
        return;
    }
    if (f->c_mgmt && !f->s_mgmt) {
        set_anomaly(v, OW_KIND_EGRESS_EXTERNAL);
        add_seen(t, f);
        text_add(t, ": a management host opened a flow to an address outside "
                 "networks.management, and no rule allows it");
        return;
    }
    set_anomaly(v, OW_KIND_UNLISTED_FLOW);
    add_seen(t, f);
    text_add(t, ": no rule allows this flow");
}

/* cands == NULL: every rule, in order (the linear reference). */
static void evaluate(const struct ow_policy *p, struct ow_flow_record *rec, const uint32_t *cands,
                     size_t n_cands, bool linear)
{
    struct ow_verdict *v = &rec->verdict;
    struct flow_ctx f = { .p = p, .rec = rec };
    struct text t = { .len = 0 };
    t.buf[0] = '\0';

    memset(v, 0, sizeof *v);
    ctx_endpoints(&f);
    f.c_mgmt = ow_pt_lookup(&p->mgmt_tree, rec->client.family, rec->client.addr, NULL) >= 0;
    f.s_mgmt = ow_pt_lookup(&p->mgmt_tree, rec->server.family, rec->server.addr, NULL) >= 0;
    if (f.ca >= 0)
        snprintf(v->asset_src, sizeof v->asset_src, "%s", p->assets[f.ca].name);
    if (f.sa >= 0)
        snprintf(v->asset_dest, sizeof v->asset_dest, "%s", p->assets[f.sa].name);
    pol_slot_names(p, f.cs, v->asset_src_all, sizeof v->asset_src_all);
    pol_slot_names(p, f.ss, v->asset_dest_all, sizeof v->asset_dest_all);

    if (!f.c_mgmt && !f.s_mgmt) {
        v->status = OW_VERDICT_OUT_OF_SCOPE;
        add_seen(&t, &f);
        text_add(&t, ": neither endpoint is in networks.management");
        pol_copy_utf8(v->reason, sizeof v->reason, t.buf);
        return;
    }

    int32_t near_li = -1, near_window = -1, near_app = -1;
    size_t n = linear ? p->n_rules : n_cands;
    for (size_t k = 0; k < n; k++) {
        uint32_t ri = linear ? (uint32_t)k : cands[k];
        const struct pol_rule *r = &p->rules[ri];
        unsigned m = rule_match(&f, r);
        if (m == M_ALL) {
            v->status = OW_VERDICT_AUTHORIZED;
            set_rule(v, p, (int32_t)ri);
            add_seen(&t, &f);
            text_add(&t, ": allowed by %s rule %s", ow_rule_kind_name(r->kind), r->id);
            if (r->kind == OW_RULE_MAINTENANCE) {
                text_add(&t, " (ticket %s, ", r->ticket);
                add_window(&t, window_at(r, rec->first_ts_us));
                text_add(&t, ")");
            }
            pol_copy_utf8(v->reason, sizeof v->reason, t.buf);
            return;
        }
        if (!(m & M_TO))
            continue;
        if (near_li < 0 && r->kind == OW_RULE_LI && (m & M_SERVICE) && !(m & M_FROM))
            near_li = (int32_t)ri;
        if (near_window < 0 && r->kind == OW_RULE_MAINTENANCE && m == (M_ALL & ~M_WINDOW))
            near_window = (int32_t)ri;
        if (near_app < 0 && m == (M_ALL & ~M_APP))
            near_app = (int32_t)ri;
    }

    if (p->default_allow) {
        v->status = OW_VERDICT_AUTHORIZED;
        snprintf(v->rule, sizeof v->rule, "default");
        add_seen(&t, &f);
        text_add(&t, ": no rule matches; allowed by 'default: allow'");
    } else {
        classify_anomaly(&f, v, &t, near_li, near_window, near_app);
    }
    pol_copy_utf8(v->reason, sizeof v->reason, t.buf);
}

void pol_evaluate_linear(const struct ow_policy *p, struct ow_flow_record *rec)
{
    evaluate(p, rec, NULL, 0, true);
}

void ow_policy_evaluate(const struct ow_policy *p, struct ow_flow_record *rec)
{
    if (!p) {
        memset(&rec->verdict, 0, sizeof rec->verdict);
        return;
    }
    struct pol_candidates c;
    pol_candidates_init(&c);
    if (pol_index_candidates(p, &rec->server, pol_slot_of(p, &rec->server), &c) == 0)
        evaluate(p, rec, c.v, c.n, false);
    else
        evaluate(p, rec, NULL, 0, true);   /* out of memory: slower, same answer */
    pol_candidates_free(&c);
}

/* The maintenance rule and window an authorized verdict rests on, or NULL. */
static const struct pol_window *authorized_window(const struct ow_policy *p,
                                                  const struct ow_flow_record *rec,
                                                  const struct pol_rule **rule)
{
    const struct ow_verdict *v = &rec->verdict;
    if (!p || v->status != OW_VERDICT_AUTHORIZED)
        return NULL;
    char id[sizeof v->rule + 1];
    snprintf(id, sizeof id, "%.*s", (int)field_len(v->rule, sizeof v->rule), v->rule);
    int32_t ri = pol_rule_find(p, id);
    if (ri < 0 || p->rules[ri].kind != OW_RULE_MAINTENANCE)
        return NULL;
    *rule = &p->rules[ri];
    return window_at(*rule, rec->first_ts_us);
}

bool ow_policy_window_end(const struct ow_policy *p, const struct ow_flow_record *rec,
                          int64_t *end_us)
{
    const struct pol_rule *r = NULL;
    const struct pol_window *w = authorized_window(p, rec, &r);
    if (!w)
        return false;
    *end_us = w->end_us;
    return true;
}

bool ow_policy_check_overrun(const struct ow_policy *p, struct ow_flow_record *rec)
{
    struct ow_verdict *v = &rec->verdict;
    if (!p || v->status != OW_VERDICT_AUTHORIZED)
        return false;
    if (v->overrun)
        return true;
    const struct pol_rule *r = NULL;
    const struct pol_window *w = authorized_window(p, rec, &r);
    if (!w || rec->last_ts_us < (uint64_t)w->end_us)
        return false;

    struct flow_ctx f = { .p = p, .rec = rec };
    struct text t = { .len = 0 };
    t.buf[0] = '\0';
    ctx_endpoints(&f);
    v->overrun = 1;
    v->severity = ow_anomaly_kind(OW_KIND_MAINTENANCE_OVERRUN)->severity;
    snprintf(v->kind, sizeof v->kind, "%s", ow_anomaly_kind(OW_KIND_MAINTENANCE_OVERRUN)->kind);
    add_seen(&t, &f);
    text_add(&t, " ran until ");
    add_time(&t, rec->last_ts_us);
    text_add(&t, "; ticket %s (rule %s) allows ", r->ticket, r->id);
    add_window(&t, w);
    pol_copy_utf8(v->reason, sizeof v->reason, t.buf);
    return true;
}
