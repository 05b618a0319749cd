/* policy_learn.c — learns a draft policy from a baseline of flows (policy_learn.h). Flows are
 * kept compactly as they come; the draft is worked out when it is written, because which
 * networks are the management ones (without a base policy) is only known once every flow
 * has been seen. Everything is decided by fixed rules over the flows, so the same baseline
 * always gives the same draft. */
#include "classifiers/policy/policy_learn.h"

#include <netinet/in.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "classifiers/policy/policy_emit.h"
#include "classifiers/policy/policy_internal.h"
#include "common/timefmt.h"

/* What a host was seen doing, for its role guess. */
enum {
    H_SERVER = 1u << 0, H_CLIENT = 1u << 1,
    H_SEND_X23 = 1u << 2, H_RECV_X23 = 1u << 3,       /* X2/X3: the NE sends, mediation receives */
    H_SEND_HI = 1u << 4, H_RECV_HI = 1u << 5,         /* HI2/HI3: mediation sends, LEMF receives */
    H_SEND_X1 = 1u << 6, H_RECV_X1 = 1u << 7,         /* X1/HI1: the ADMF provisions the NE */
    H_SNMP_AGENT = 1u << 8, H_SNMP_MANAGER = 1u << 9,
    H_SYSLOG_SENDER = 1u << 10, H_SYSLOG_RECEIVER = 1u << 11,
    H_SERVES_INFRA = 1u << 12,                        /* NTP, DNS, TACACS, RADIUS, LDAP, Kerberos */
    H_ROUTING = 1u << 13,                             /* BFD, LDP, PFCP, BGP speakers */
    H_INTERACTIVE = 1u << 14,                         /* opens SSH, Telnet, RDP, VNC sessions */
    H_SERVES_ACCESS = 1u << 15,                       /* offers SSH, Telnet, NETCONF, ... */
};

enum { FLOW_UNJUDGED = 0, FLOW_COVERED, FLOW_OUT_OF_SCOPE, FLOW_PROPOSE };

struct lhost {
    uint8_t family;
    uint8_t addr[16];
    uint32_t flags;
    bool in_mgmt, used;
    int32_t asset;           /* the base policy's most specific asset holding it, -1 */
    int32_t group;           /* index into the draft's groups */
};

struct lflow {
    uint32_t c, s;           /* host indices */
    uint16_t sport;
    uint8_t proto, li, state;
    uint8_t base_kind;       /* with a base policy: the review kind its anomaly calls for */
    bool first_slice;
    uint32_t app;            /* index into the interned names */
    uint64_t first, last, bytes;
};

/* A group of hosts as the draft names it: a learned asset, or an asset of the base policy. */
struct lgroup {
    char name[OW_NAME_MAX];
    uint8_t role;
    int32_t asset;           /* base asset index, or -1 for a learned one */
    uint8_t family, net[16]; /* learned: the subnet the hosts share */
    uint32_t flags;          /* learned: every flag of its hosts */
    uint32_t *hosts;
    size_t n_hosts, cap_hosts;
};

/* What a proposed rule is; all but KIND_OPS are written for review. */
enum { KIND_LI = 0, KIND_VENDOR, KIND_EGRESS, KIND_OPS };

struct lrule {
    uint32_t cg, sg, app;
    uint8_t proto, kind, li;
    uint16_t port;
    uint64_t flows, bytes, first, last;
};

struct ow_learn {
    const struct ow_policy *base;
    struct lhost *hosts;
    size_t n_hosts, cap_hosts;
    uint32_t *host_index;    /* open addressing: host + 1, 0 empty */
    size_t index_cap;
    struct lflow *flows;
    size_t n_flows, cap_flows;
    char (*names)[OW_APP_NAME_MAX];
    size_t n_names, cap_names;
    struct ow_learn_stats stats;
};

static uint64_t hash_bytes(const uint8_t *p, size_t n, uint64_t h)
{
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static bool grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return true;
    size_t nc = *cap ? *cap * 2 : 64;
    void *nv = realloc(*v, nc * size);
    if (!nv)
        return false;
    *v = nv;
    *cap = nc;
    return true;
}

struct ow_learn *ow_learn_new(const struct ow_policy *base)
{
    struct ow_learn *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->base = base;
    l->index_cap = 1024;
    l->host_index = calloc(l->index_cap, sizeof *l->host_index);
    if (!l->host_index) {
        free(l);
        return NULL;
    }
    return l;
}

void ow_learn_free(struct ow_learn *l)
{
    if (!l)
        return;
    free(l->hosts);
    free(l->host_index);
    free(l->flows);
    free(l->names);
    free(l);
}

static size_t slot_of(const struct ow_learn *l, uint8_t family, const uint8_t addr[16])
{
    size_t mask = l->index_cap - 1;
    size_t i = (size_t)hash_bytes(addr, 16, 0xcbf29ce484222325ull ^ family) & mask;
    while (l->host_index[i]) {
        const struct lhost *h = &l->hosts[l->host_index[i] - 1];
        if (h->family == family && memcmp(h->addr, addr, 16) == 0)
            break;
        i = (i + 1) & mask;
    }
    return i;
}

static int64_t host_of(struct ow_learn *l, const struct ow_endpoint *ep)
{
    size_t i = slot_of(l, ep->family, ep->addr);
    if (l->host_index[i])
        return l->host_index[i] - 1;
    if ((l->n_hosts + 1) * 2 > l->index_cap) {
        size_t cap = l->index_cap * 2;
        uint32_t *ni = calloc(cap, sizeof *ni);
        if (!ni)
            return -1;
        free(l->host_index);
        l->host_index = ni;
        l->index_cap = cap;
        for (size_t h = 0; h < l->n_hosts; h++)
            l->host_index[slot_of(l, l->hosts[h].family, l->hosts[h].addr)] = (uint32_t)h + 1;
        i = slot_of(l, ep->family, ep->addr);
    }
    if (!grow((void **)&l->hosts, &l->cap_hosts, l->n_hosts, sizeof *l->hosts))
        return -1;
    struct lhost *h = &l->hosts[l->n_hosts];
    memset(h, 0, sizeof *h);
    h->family = ep->family;
    memcpy(h->addr, ep->addr, 16);
    h->asset = -1;
    h->group = -1;
    if (l->base) {
        const struct pol_slot *s = pol_slot_of(l->base, ep);
        if (s && s->n_holders)
            h->asset = (int32_t)s->holders[0];
        h->in_mgmt = ow_pt_lookup(&l->base->mgmt_tree, ep->family, ep->addr, NULL) >= 0;
    }
    l->host_index[i] = (uint32_t)++l->n_hosts;
    return (int64_t)l->n_hosts - 1;
}

/* Few distinct application names: a linear list. */
static int64_t name_of(struct ow_learn *l, const char *name)
{
    for (size_t i = 0; i < l->n_names; i++)
        if (strcmp(l->names[i], name) == 0)
            return (int64_t)i;
    if (!grow((void **)&l->names, &l->cap_names, l->n_names, sizeof *l->names))
        return -1;
    snprintf(l->names[l->n_names], OW_APP_NAME_MAX, "%s", name);
    return (int64_t)l->n_names++;
}

static bool printable_name(const char *s)
{
    if (!s[0])
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x21 || *p > 0x7e)
            return false;
    return true;
}

/* The name a rule's `app` can use for the flow: its LI label, omwitness's own O&M label,
 * else nDPI's master protocol ("TLS" for "TLS.Google") or application. */
static void app_name(const struct ow_flow_record *rec, char *out, size_t len)
{
    char ndpi[sizeof rec->ndpi_protocol], app[sizeof rec->app_proto];
    snprintf(ndpi, sizeof ndpi, "%.*s", (int)strnlen(rec->ndpi_protocol, sizeof rec->ndpi_protocol - 1),
             rec->ndpi_protocol);
    snprintf(app, sizeof app, "%.*s", (int)strnlen(rec->app_proto, sizeof rec->app_proto - 1), rec->app_proto);
    const char *li = ow_li_label_name(rec->li.label);
    if (li[0])
        snprintf(out, len, "%s", li);
    else if (app[0] && strcmp(app, ndpi) != 0)
        snprintf(out, len, "%s", app);
    else if (rec->ndpi_master[0])
        snprintf(out, len, "%.*s", (int)strnlen(rec->ndpi_master, sizeof rec->ndpi_master - 1), rec->ndpi_master);
    else if (rec->ndpi_app[0])
        snprintf(out, len, "%.*s", (int)strnlen(rec->ndpi_app, sizeof rec->ndpi_app - 1), rec->ndpi_app);
    else
        snprintf(out, len, "Unknown");
    if (!printable_name(out))
        snprintf(out, len, "Unknown");
}

static bool is(const char *a, const char *b)
{
    return strcasecmp(a, b) == 0;
}

/* Evidence for the role guesses: what the flow's application says each end is doing. */
static void note_roles(struct lhost *c, struct lhost *s, const char *app, uint16_t port)
{
    c->flags |= H_CLIENT;
    s->flags |= H_SERVER;
    if (is(app, "X2") || is(app, "X3")) {
        c->flags |= H_SEND_X23;
        s->flags |= H_RECV_X23;
    } else if (is(app, "HI2") || is(app, "HI3")) {
        c->flags |= H_SEND_HI;
        s->flags |= H_RECV_HI;
    } else if (is(app, "X1") || is(app, "HI1")) {
        c->flags |= H_SEND_X1;
        s->flags |= H_RECV_X1;
    } else if (is(app, "SNMP")) {
        if (port == 162) {                    /* a trap or inform: the agent sends it */
            c->flags |= H_SNMP_AGENT;
            s->flags |= H_SNMP_MANAGER;
        } else {
            c->flags |= H_SNMP_MANAGER;
            s->flags |= H_SNMP_AGENT;
        }
    } else if (is(app, "Syslog")) {
        c->flags |= H_SYSLOG_SENDER;
        s->flags |= H_SYSLOG_RECEIVER;
    } else if (is(app, "NTP") || is(app, "DNS") || is(app, "TACACS") || is(app, "Radius") ||
               is(app, "LDAP") || is(app, "Kerberos")) {
        s->flags |= H_SERVES_INFRA;
    } else if (is(app, "BFD") || is(app, "LDP") || is(app, "PFCP") || is(app, "BGP")) {
        c->flags |= H_ROUTING;
        s->flags |= H_ROUTING;
    } else if (is(app, "SSH") || is(app, "Telnet") || is(app, "RDP") || is(app, "VNC") ||
               is(app, "TeamViewer") || is(app, "AnyDesk")) {
        c->flags |= H_INTERACTIVE;
        s->flags |= H_SERVES_ACCESS;
    }
}

int ow_learn_add(struct ow_learn *l, const struct ow_flow_record *rec)
{
    if (rec->client.family != OW_AF_INET4 && rec->client.family != OW_AF_INET6)
        return 0;
    if (rec->server.family != rec->client.family)
        return 0;
    int64_t c = host_of(l, &rec->client), s = host_of(l, &rec->server);
    char app[OW_APP_NAME_MAX];
    app_name(rec, app, sizeof app);
    int64_t a = name_of(l, app);
    if (c < 0 || s < 0 || a < 0 || !grow((void **)&l->flows, &l->cap_flows, l->n_flows, sizeof *l->flows))
        return -1;
    struct lflow *f = &l->flows[l->n_flows++];
    memset(f, 0, sizeof *f);
    f->c = (uint32_t)c;
    f->s = (uint32_t)s;
    f->sport = rec->server.port;
    f->proto = rec->l4_proto;
    f->li = rec->li.label;
    f->app = (uint32_t)a;
    f->first = rec->first_ts_us;
    f->last = rec->last_ts_us > rec->first_ts_us ? rec->last_ts_us : rec->first_ts_us;
    f->bytes = rec->bytes_toserver + rec->bytes_toclient;
    f->first_slice = rec->slice == 0;
    note_roles(&l->hosts[c], &l->hosts[s], app, rec->server.port);
    if (l->base) {
        struct ow_flow_record copy = *rec;
        ow_policy_evaluate(l->base, &copy);
        f->state = copy.verdict.status == OW_VERDICT_AUTHORIZED ? FLOW_COVERED
                 : copy.verdict.status == OW_VERDICT_OUT_OF_SCOPE ? FLOW_OUT_OF_SCOPE : FLOW_PROPOSE;
        /* The base policy's own judgement says which proposals must not be allowed blindly:
         * a flow that reaches an li rule's service is LI even without a label. */
        const char *k = copy.verdict.kind;
        f->base_kind = !strcmp(k, "li_unauthorized") ? KIND_LI
                     : !strcmp(k, "vendor_unauthorized") || !strcmp(k, "maintenance_outside_window") ? KIND_VENDOR
                     : !strcmp(k, "egress_external") ? KIND_EGRESS : KIND_OPS;
    }
    return 0;
}

/* ---- working out the draft ---------------------------------------------------------- */

static bool private_addr(const struct lhost *h)
{
    const uint8_t *a = h->addr;
    if (h->family == OW_AF_INET4)
        return a[0] == 10 || (a[0] == 172 && (a[1] & 0xF0) == 16) || (a[0] == 192 && a[1] == 168) ||
               (a[0] == 100 && (a[1] & 0xC0) == 64);
    return (a[0] & 0xFE) == 0xFC;                /* fc00::/7 unique local */
}

static struct ow_cidr net_of(const struct lhost *h, unsigned v4_len, unsigned v6_len)
{
    struct ow_cidr c;
    memset(&c, 0, sizeof c);
    c.family = h->family;
    c.plen = (uint8_t)(h->family == OW_AF_INET4 ? v4_len : v6_len);
    memcpy(c.addr, h->addr, c.plen / 8);
    return c;
}

static int cmp_cidr(const void *a, const void *b)
{
    const struct ow_cidr *x = a, *y = b;
    if (x->family != y->family)
        return x->family < y->family ? -1 : 1;
    int c = memcmp(x->addr, y->addr, 16);
    return c ? c : (x->plen > y->plen) - (x->plen < y->plen);
}

/* Without a base policy the management networks are the /16s (IPv6 /48s) of the private
 * addresses that offer a service: the network elements and the servers around them.
 * Clients that only ever reach in from elsewhere (vendor jump hosts) stay outside, as the
 * design's sample policy has them. Falls back to every private address, then to every
 * server. */
static struct ow_cidr *derive_mgmt(struct ow_learn *l, size_t *n_out)
{
    struct ow_cidr *v = malloc((l->n_hosts ? l->n_hosts : 1) * sizeof *v);
    size_t n = 0;
    if (!v)
        return NULL;
    for (int pass = 0; pass < 3 && n == 0; pass++)
        for (size_t i = 0; i < l->n_hosts; i++) {
            const struct lhost *h = &l->hosts[i];
            bool want = pass == 0 ? private_addr(h) && (h->flags & H_SERVER)
                      : pass == 1 ? private_addr(h) : (h->flags & H_SERVER) != 0;
            if (want)
                v[n++] = net_of(h, 16, 48);
        }
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_cidr);
    size_t out = 0;
    for (size_t i = 0; i < n; i++)
        if (!out || cmp_cidr(&v[i], &v[out - 1]) != 0)
            v[out++] = v[i];
    *n_out = out;
    return v;
}

static uint8_t guess_role(const struct lhost *h)
{
    uint32_t f = h->flags;
    if (f & (H_RECV_X23 | H_SEND_HI))
        return OW_ROLE_LI_MEDIATION;
    if (f & H_RECV_HI)
        return OW_ROLE_LEMF;
    if (f & H_SEND_X1)
        return OW_ROLE_LI_ADMIN;
    if (f & (H_RECV_X1 | H_SEND_X23 | H_SNMP_AGENT | H_ROUTING | H_SYSLOG_SENDER))
        return OW_ROLE_NETWORK_ELEMENT;
    if (f & H_SERVES_INFRA)
        return OW_ROLE_INFRASTRUCTURE;
    if (f & (H_SNMP_MANAGER | H_SYSLOG_RECEIVER))
        return OW_ROLE_OPERATIONS;
    if (!h->in_mgmt && (f & H_INTERACTIVE) && !(f & H_SERVER))
        return OW_ROLE_VENDOR_ACCESS;
    if (h->in_mgmt && (f & H_SERVER))
        return OW_ROLE_NETWORK_ELEMENT;
    if (!h->in_mgmt && (f & H_SERVER))
        return OW_ROLE_INFRASTRUCTURE;
    return OW_ROLE_OPERATIONS;
}

static const char *role_short(uint8_t role)
{
    static const char *const names[OW_ROLE_COUNT] = {
        "ne", "li-admin", "li-med", "lemf", "ops", "vendor", "infra",
    };
    return role < OW_ROLE_COUNT ? names[role] : "host";
}

/* What a learned group was seen doing, for its comment. */
static void describe_flags(uint32_t f, char *out, size_t len)
{
    static const struct { uint32_t bit; const char *what; } words[] = {
        { H_RECV_X23, "receives X2/X3" }, { H_SEND_X23, "sends X2/X3" },
        { H_RECV_HI, "receives HI2/HI3" }, { H_SEND_HI, "sends HI2/HI3" },
        { H_SEND_X1, "provisions over X1/HI1" }, { H_RECV_X1, "is provisioned over X1/HI1" },
        { H_SNMP_AGENT, "answers SNMP" }, { H_SNMP_MANAGER, "polls with SNMP" },
        { H_SYSLOG_SENDER, "sends syslog" }, { H_SYSLOG_RECEIVER, "collects syslog" },
        { H_SERVES_INFRA, "serves NTP/DNS/AAA" }, { H_ROUTING, "speaks BFD/LDP/PFCP/BGP" },
        { H_INTERACTIVE, "opens interactive sessions" }, { H_SERVES_ACCESS, "offers interactive access" },
    };
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (f & words[i].bit) {
            int n = snprintf(out + used, len - used, "%s%s", used ? ", " : "", words[i].what);
            if (n < 0 || (size_t)n >= len - used)
                break;
            used += (size_t)n;
        }
    if (!used)
        snprintf(out, len, "%s", (f & H_SERVER) ? "offers other services" : "only opens flows");
}

static void subnet_text(const struct lgroup *g, char *out, size_t len)
{
    if (g->family == OW_AF_INET4) {
        snprintf(out, len, "%u-%u-%u", g->net[0], g->net[1], g->net[2]);
    } else {
        snprintf(out, len, "%x-%x-%x-%x", g->net[0] << 8 | g->net[1], g->net[2] << 8 | g->net[3],
                 g->net[4] << 8 | g->net[5], g->net[6] << 8 | g->net[7]);
    }
}

struct draft {
    struct ow_learn *l;
    struct ow_prefix_tree mgmt_tree;
    struct ow_cidr *mgmt;
    size_t n_mgmt;
    struct lgroup *groups;
    size_t n_groups, cap_groups;
    struct lrule *rules;
    size_t n_rules, cap_rules;
    uint64_t first, last;
};

static bool name_taken(const struct draft *d, const char *name)
{
    const struct ow_policy *b = d->l->base;
    for (size_t i = 0; b && i < b->n_assets; i++)
        if (strcmp(b->assets[i].name, name) == 0)
            return true;
    for (size_t i = 0; i < d->n_groups; i++)
        if (strcmp(d->groups[i].name, name) == 0)
            return true;
    return false;
}

/* The group of host h: its base asset's, or a learned one by role and subnet. */
static int64_t group_of(struct draft *d, struct lhost *h)
{
    if (h->group >= 0)
        return h->group;
    uint8_t role = h->asset >= 0 ? d->l->base->assets[h->asset].role : guess_role(h);
    struct ow_cidr net = net_of(h, 24, 64);
    size_t g;
    for (g = 0; g < d->n_groups; g++) {
        const struct lgroup *x = &d->groups[g];
        if (h->asset >= 0 ? x->asset == h->asset
                          : x->asset < 0 && x->role == role && x->family == net.family &&
                            memcmp(x->net, net.addr, 16) == 0)
            break;
    }
    if (g == d->n_groups) {
        if (!grow((void **)&d->groups, &d->cap_groups, d->n_groups, sizeof *d->groups))
            return -1;
        struct lgroup *x = &d->groups[d->n_groups];
        memset(x, 0, sizeof *x);
        x->role = role;
        x->asset = h->asset;
        x->family = net.family;
        memcpy(x->net, net.addr, 16);
        if (h->asset >= 0) {
            snprintf(x->name, sizeof x->name, "%s", d->l->base->assets[h->asset].name);
        } else {
            char sub[48], name[OW_NAME_MAX];
            subnet_text(x, sub, sizeof sub);
            snprintf(name, sizeof name, "%s-%s", role_short(role), sub);
            snprintf(x->name, sizeof x->name, "%s", name);
            for (int k = 2; name_taken(d, x->name); k++)
                snprintf(x->name, sizeof x->name, "%.50s-%d", name, k);
        }
        d->n_groups++;
    }
    struct lgroup *x = &d->groups[g];
    if (x->asset < 0) {
        if (!grow((void **)&x->hosts, &x->cap_hosts, x->n_hosts, sizeof *x->hosts))
            return -1;
        x->hosts[x->n_hosts++] = (uint32_t)(h - d->l->hosts);
        x->flags |= h->flags;
    }
    h->group = (int32_t)g;
    return (int64_t)g;
}

static bool li_role_of(uint8_t r)
{
    return r == OW_ROLE_LI_ADMIN || r == OW_ROLE_LI_MEDIATION || r == OW_ROLE_LEMF;
}

/* docs/policy.md: the vendor-access assets and the other non-NE assets a vendor owns. */
static bool vendor_group(const struct draft *d, const struct lgroup *g)
{
    if (g->role == OW_ROLE_VENDOR_ACCESS)
        return true;
    return g->asset >= 0 && g->role != OW_ROLE_NETWORK_ELEMENT &&
           d->l->base->assets[g->asset].vendor[0];
}

static int cmp_rule(const void *a, const void *b, void *ctx)
{
    const struct draft *d = ctx;
    const struct lrule *x = a, *y = b;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    int c = strcmp(d->groups[x->cg].name, d->groups[y->cg].name);
    if (!c)
        c = strcmp(d->groups[x->sg].name, d->groups[y->sg].name);
    if (!c)
        c = (x->proto > y->proto) - (x->proto < y->proto);
    if (!c)
        c = strcmp(d->l->names[x->app], d->l->names[y->app]);
    if (!c)
        c = (x->port > y->port) - (x->port < y->port);
    return c;
}

static int rule_add(struct draft *d, const struct lflow *f, uint32_t cg, uint32_t sg)
{
    const struct lgroup *c = &d->groups[cg], *s = &d->groups[sg];
    const struct lhost *ch = &d->l->hosts[f->c], *sh = &d->l->hosts[f->s];
    uint8_t kind = f->li || li_role_of(c->role) || li_role_of(s->role) ? KIND_LI
                 : vendor_group(d, c) || vendor_group(d, s) ? KIND_VENDOR
                 : ch->in_mgmt && !sh->in_mgmt ? KIND_EGRESS : KIND_OPS;
    if (d->l->base && f->base_kind < kind)
        kind = f->base_kind;
    bool ports = f->proto == IPPROTO_TCP || f->proto == IPPROTO_UDP || f->proto == IPPROTO_SCTP;
    uint16_t port = ports ? f->sport : 0;
    for (size_t i = d->n_rules; i-- > 0;) {   /* the baseline's flows repeat: look back first */
        struct lrule *r = &d->rules[i];
        if (r->cg == cg && r->sg == sg && r->proto == f->proto && r->port == port &&
            r->app == f->app && r->kind == kind && r->li == f->li) {
            r->flows += f->first_slice;
            r->bytes += f->bytes;
            if (f->first < r->first)
                r->first = f->first;
            if (f->last > r->last)
                r->last = f->last;
            return 0;
        }
        if (d->n_rules - i > 64)
            break;
    }
    if (!grow((void **)&d->rules, &d->cap_rules, d->n_rules, sizeof *d->rules))
        return -1;
    struct lrule *r = &d->rules[d->n_rules++];
    *r = (struct lrule){ .cg = cg, .sg = sg, .app = f->app, .proto = f->proto, .kind = kind,
                         .li = f->li, .port = port, .flows = f->first_slice, .bytes = f->bytes,
                         .first = f->first, .last = f->last };
    return 0;
}

/* Rules that differ only in their server port become one rule with every port. */
static void merge_ports(struct draft *d)
{
    size_t out = 0;
    for (size_t i = 0; i < d->n_rules; i++) {
        struct lrule *r = &d->rules[i];
        if (out) {
            struct lrule *p = &d->rules[out - 1];
            if (p->cg == r->cg && p->sg == r->sg && p->proto == r->proto && p->app == r->app &&
                p->kind == r->kind && p->li == r->li && p->port == r->port) {
                p->flows += r->flows;
                p->bytes += r->bytes;
                p->first = r->first < p->first ? r->first : p->first;
                p->last = r->last > p->last ? r->last : p->last;
                continue;
            }
        }
        d->rules[out++] = *r;
    }
    d->n_rules = out;
}

static bool same_service_group(const struct lrule *a, const struct lrule *b)
{
    return a->cg == b->cg && a->sg == b->sg && a->proto == b->proto && a->app == b->app &&
           a->kind == b->kind && a->li == b->li;
}

static uint8_t li_interface(const struct draft *d, const struct lrule *r)
{
    if (r->li)
        return r->li;
    uint8_t c = d->groups[r->cg].role, s = d->groups[r->sg].role;
    if (c == OW_ROLE_LI_ADMIN || s == OW_ROLE_LI_ADMIN)
        return OW_LI_X1;
    if (c == OW_ROLE_LI_MEDIATION && s == OW_ROLE_LEMF)
        return OW_LI_HI2;
    return OW_LI_X2;
}

static void rule_id(struct draft *d, const struct lrule *r, char *out, size_t len, char (*used)[OW_NAME_MAX],
                    size_t n_used)
{
    static const char *const kinds[] = { "li", "maint", "egress", "ops" };
    char base[OW_NAME_MAX];
    const char *proto = r->proto == IPPROTO_TCP ? "tcp" : r->proto == IPPROTO_UDP ? "udp" : "ip";
    snprintf(base, sizeof base, "%s-%.20s-to-%.20s-%s%u", kinds[r->kind], d->groups[r->cg].name,
             d->groups[r->sg].name, proto, r->port);
    snprintf(out, len, "%s", base);
    for (int k = 2;; k++) {
        bool taken = d->l->base && pol_rule_find(d->l->base, out) >= 0;
        for (size_t i = 0; i < n_used && !taken; i++)
            taken = strcmp(used[i], out) == 0;
        if (!taken)
            return;
        snprintf(out, len, "%.50s-%d", base, k);
    }
}

static void fmt_time(uint64_t us, char *buf, size_t len)
{
    ow_rfc3339_format(us > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)us, buf, len);
}

static void write_group(FILE *out, const struct draft *d, const struct lgroup *g)
{
    char what[256], addr[OW_ADDR_TEXT_LEN];
    describe_flags(g->flags, what, sizeof what);
    fprintf(out, "  # %zu host%s; role guessed: %s\n", g->n_hosts, g->n_hosts == 1 ? "" : "s", what);
    fprintf(out, "  %s: {role: %s, addresses: [", g->name, ow_role_name(g->role));
    for (size_t k = 0; k < g->n_hosts; k++) {
        const struct lhost *h = &d->l->hosts[g->hosts[k]];
        struct ow_endpoint ep = { .family = h->family };
        memcpy(ep.addr, h->addr, 16);
        ow_addr_to_text(&ep, addr, sizeof addr);
        fprintf(out, "%s%s%s%s", k ? ", " : "", k && k % 8 == 0 ? "\n      " : "",
                h->family == OW_AF_INET6 ? "\"" : "", addr);
        if (h->family == OW_AF_INET6)
            fputc('"', out);
    }
    fputs("]}\n", out);
}

static int cmp_host_addr(const void *a, const void *b, void *ctx)
{
    const struct lhost *h = ctx;
    const struct lhost *x = &h[*(const uint32_t *)a], *y = &h[*(const uint32_t *)b];
    if (x->family != y->family)
        return x->family < y->family ? -1 : 1;
    return memcmp(x->addr, y->addr, 16);
}

static int cmp_group_name(const void *a, const void *b, void *ctx)
{
    const struct lgroup *g = ctx;
    return strcmp(g[*(const uint32_t *)a].name, g[*(const uint32_t *)b].name);
}

/* One rule (the ports of rules[i..j) merged), active or behind "# review: ". */
static void write_rule(FILE *out, struct draft *d, size_t i, size_t j, const char *id)
{
    const struct lrule *r = &d->rules[i];
    uint64_t flows = 0, bytes = 0, first = UINT64_MAX, last = 0;
    for (size_t k = i; k < j; k++) {
        flows += d->rules[k].flows;
        bytes += d->rules[k].bytes;
        first = d->rules[k].first < first ? d->rules[k].first : first;
        last = d->rules[k].last > last ? d->rules[k].last : last;
    }
    const struct lgroup *cg = &d->groups[r->cg], *sg = &d->groups[r->sg];
    const char *app = d->l->names[r->app];
    bool review = r->kind != KIND_OPS;
    const char *p = review ? "  # review: " : "  ";
    char t1[40], t2[40];
    fmt_time(first, t1, sizeof t1);
    fmt_time(last, t2, sizeof t2);
    fputs("\n", out);
    if (r->kind == KIND_LI)
        fprintf(out, "%s# LI traffic (%s): allow it only for an interception interface the "
                "operator provisioned\n", p, ow_li_label_name(li_interface(d, r)));
    else if (r->kind == KIND_VENDOR)
        fprintf(out, "%s# vendor access: needs a change ticket and its window; the window below "
                "is only when it was seen\n", p);
    else if (r->kind == KIND_EGRESS)
        fprintf(out, "%s# a management host opened flows to outside networks.management: allow "
                "them only if they are meant\n", p);
    fprintf(out, "%s# %" PRIu64 " flow%s, %" PRIu64 " bytes, first seen %s, last seen %s\n", p, flows,
            flows == 1 ? "" : "s", bytes, t1, t2);
    fprintf(out, "%s- id: %s\n", p, id);
    fprintf(out, "%s  kind: %s\n", p, r->kind == KIND_LI ? "li" : r->kind == KIND_VENDOR ? "maintenance"
                                                                                        : "operations");
    if (r->kind == KIND_LI)
        fprintf(out, "%s  interface: %s\n", p, ow_li_label_name(li_interface(d, r)));
    if (r->kind == KIND_VENDOR) {
        const struct lgroup *v = vendor_group(d, cg) ? cg : sg;
        fprintf(out, "%s  ticket: \"CHANGE-TICKET-NEEDED\"\n", p);
        if (v->asset >= 0 && d->l->base->assets[v->asset].vendor[0]) {
            fprintf(out, "%s  vendor: ", p);
            pol_emit_name(out, d->l->base->assets[v->asset].vendor);
            fputs("\n", out);
        }
    }
    fprintf(out, "%s  from: %s\n%s  to: %s\n", p, cg->name, p, sg->name);
    if (r->proto == IPPROTO_TCP || r->proto == IPPROTO_UDP || r->proto == IPPROTO_SCTP) {
        fprintf(out, "%s  service: {proto: %s, ports: [", p, r->proto == IPPROTO_TCP ? "tcp" : r->proto == IPPROTO_UDP ? "udp" : "any");
        for (size_t k = i; k < j;) {
            size_t e = k;
            while (e + 1 < j && d->rules[e + 1].port == d->rules[e].port + 1)
                e++;
            if (e == k)
                fprintf(out, "%s%u", k > i ? ", " : "", d->rules[k].port);
            else
                fprintf(out, "%s\"%u-%u\"", k > i ? ", " : "", d->rules[k].port, d->rules[e].port);
            k = e + 1;
        }
        fputs("]}\n", out);
    }
    fprintf(out, "%s  app: [", p);
    pol_emit_str(out, app);
    fputs("]\n", out);
    if (r->kind == KIND_VENDOR) {
        /* the hours it was seen in: [first hour, hour after the last) */
        int64_t hour = 3600ll * 1000000;
        int64_t s = (int64_t)(first / (uint64_t)hour) * hour, e = ((int64_t)(last / (uint64_t)hour) + 1) * hour;
        fprintf(out, "%s  window: {start: ", p);
        pol_emit_time(out, s);
        fputs(", end: ", out);
        pol_emit_time(out, e);
        fputs("}\n", out);
    }
}

static void draft_free(struct draft *d)
{
    for (size_t g = 0; g < d->n_groups; g++)
        free(d->groups[g].hosts);
    free(d->groups);
    free(d->rules);
    free(d->mgmt);
    ow_pt_free(&d->mgmt_tree);
}

int ow_learn_write(struct ow_learn *l, FILE *out, const char *source, struct ow_learn_stats *stats)
{
    struct draft d = { .l = l, .first = UINT64_MAX };
    const struct ow_policy *b = l->base;
    int rc = -1;
    memset(&l->stats, 0, sizeof l->stats);
    if (ow_pt_init(&d.mgmt_tree) != 0)
        return -1;

    /* scope */
    if (!b) {
        d.mgmt = derive_mgmt(l, &d.n_mgmt);
        if (!d.mgmt)
            goto out;
        for (size_t i = 0; i < d.n_mgmt; i++)
            if (ow_pt_insert(&d.mgmt_tree, &d.mgmt[i], (int32_t)i, NULL) < 0)
                goto out;
        for (size_t h = 0; h < l->n_hosts; h++)
            l->hosts[h].in_mgmt = ow_pt_lookup(&d.mgmt_tree, l->hosts[h].family, l->hosts[h].addr, NULL) >= 0;
    }
    for (size_t i = 0; i < l->n_flows; i++) {
        struct lflow *f = &l->flows[i];
        if (!b)
            f->state = l->hosts[f->c].in_mgmt || l->hosts[f->s].in_mgmt ? FLOW_PROPOSE : FLOW_OUT_OF_SCOPE;
        if (!f->first_slice)
            continue;
        l->stats.flows++;
        l->stats.in_scope += f->state != FLOW_OUT_OF_SCOPE;
        l->stats.covered += f->state == FLOW_COVERED;
        d.first = f->first < d.first ? f->first : d.first;
        d.last = f->last > d.last ? f->last : d.last;
    }

    /* groups and rules for what is not covered */
    for (size_t i = 0; i < l->n_flows; i++) {
        struct lflow *f = &l->flows[i];
        if (f->state != FLOW_PROPOSE)
            continue;
        int64_t cg = group_of(&d, &l->hosts[f->c]), sg = group_of(&d, &l->hosts[f->s]);
        if (cg < 0 || sg < 0 || rule_add(&d, f, (uint32_t)cg, (uint32_t)sg) != 0)
            goto out;
    }
    if (d.n_rules > 1)
        qsort_r(d.rules, d.n_rules, sizeof *d.rules, cmp_rule, &d);
    merge_ports(&d);

    /* the draft */
    char t1[40], t2[40];
    fmt_time(d.first == UINT64_MAX ? 0 : d.first, t1, sizeof t1);
    fmt_time(d.last, t2, sizeof t2);
    fprintf(out, "# Draft policy written by `omwitness policy learn` from %s:\n"
                 "# %zu flows seen from %s to %s, %zu of them in scope%s.\n"
                 "# Read every asset and rule before using it: the roles are guesses from the services\n"
                 "# the hosts offer, and the rules allow exactly what was seen. Rules for LI interfaces\n"
                 "# and vendor access are not active: each line of them starts with \"# review: \"; to\n"
                 "# accept one as written, remove that prefix from its lines.\n",
            source, l->stats.flows, t1, t2, l->stats.in_scope, b ? ", the others kept as the base policy has them" : "");
    if (b && l->stats.covered)
        fprintf(out, "# %zu in-scope flows were already authorized by the base policy (%s).\n", l->stats.covered,
                b->path);
    fputs("version: 1\n", out);
    fputs("site: ", out);
    pol_emit_str(out, b && b->site[0] ? b->site : "learned");
    fputs("\nnetworks:\n  management: [", out);
    const struct ow_cidr *mgmt = b ? b->mgmt : d.mgmt;
    size_t n_mgmt = b ? b->n_mgmt : d.n_mgmt;
    for (size_t i = 0; i < n_mgmt; i++) {
        if (i)
            fputs(", ", out);
        pol_emit_cidr(out, &mgmt[i]);
    }
    if (!n_mgmt)
        fputs("\"10.0.0.0/8\"", out);   /* an empty baseline: the design's own example */
    fputs("]\nassets:\n", out);
    for (size_t i = 0; b && i < b->n_assets; i++)
        pol_emit_asset(out, b, i);
    uint32_t *order = malloc((d.n_groups ? d.n_groups : 1) * sizeof *order);
    if (!order)
        goto out;
    size_t n_order = 0;
    for (size_t g = 0; g < d.n_groups; g++)
        if (d.groups[g].asset < 0) {
            if (d.groups[g].n_hosts > 1)
                qsort_r(d.groups[g].hosts, d.groups[g].n_hosts, sizeof *d.groups[g].hosts,
                        cmp_host_addr, l->hosts);
            order[n_order++] = (uint32_t)g;
        }
    if (n_order > 1)
        qsort_r(order, n_order, sizeof *order, cmp_group_name, d.groups);
    if (b && n_order)
        fputs("  # learned:\n", out);
    for (size_t k = 0; k < n_order; k++)
        write_group(out, &d, &d.groups[order[k]]);
    free(order);
    l->stats.assets = n_order;

    fputs("rules:\n", out);
    for (size_t i = 0; b && i < b->n_rules; i++)
        pol_emit_rule(out, b, i, "  ");
    char (*ids)[OW_NAME_MAX] = malloc((d.n_rules ? d.n_rules : 1) * sizeof *ids);
    if (!ids)
        goto out;
    size_t n_ids = 0;
    for (size_t i = 0; i < d.n_rules;) {
        size_t j = i + 1;
        while (j < d.n_rules && same_service_group(&d.rules[i], &d.rules[j]))
            j++;
        rule_id(&d, &d.rules[i], ids[n_ids], sizeof ids[n_ids], ids, n_ids);
        write_rule(out, &d, i, j, ids[n_ids]);
        l->stats.rules++;
        l->stats.review += d.rules[i].kind != KIND_OPS;
        n_ids++;
        i = j;
    }
    free(ids);
    fprintf(out, "default: %s\n", b && b->default_allow ? "allow" : "anomaly");
    rc = ferror(out) ? -1 : 0;
out:
    if (stats)
        *stats = l->stats;
    draft_free(&d);
    return rc;
}
