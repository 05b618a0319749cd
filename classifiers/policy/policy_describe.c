/* policy_describe.c — a loaded policy's rules and assets as text for people: what a rule
 * allows (from, to, service, app, window) and each asset's role, vendor and addresses, for
 * the web UI's alert and asset pages. Reads the policy only. */
#include "classifiers/policy/policy_internal.h"

#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/endpoint.h"
#include "common/timefmt.h"

/* Appends to buf (NUL-terminated, cut when full). */
static void put(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void put(char *buf, size_t len, const char *fmt, ...)
{
    size_t used = strnlen(buf, len);
    if (used + 1 >= len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + used, len - used, fmt, ap);
    va_end(ap);
}

static void cidr_text(const struct ow_cidr *c, char *out, size_t outlen)
{
    struct ow_endpoint ep = { .family = c->family };
    memcpy(ep.addr, c->addr, sizeof ep.addr);
    char addr[OW_ADDR_TEXT_LEN];
    ow_addr_to_text(&ep, addr, sizeof addr);
    unsigned full = c->family == OW_AF_INET6 ? 128 : 32;
    if (c->plen == full)
        snprintf(out, outlen, "%s", addr);
    else
        snprintf(out, outlen, "%s/%u", addr, (unsigned)c->plen);
}

static void selector_text(const struct ow_policy *p, const struct pol_selector *sel, char *out,
                          size_t outlen)
{
    out[0] = '\0';
    for (size_t i = 0; i < sel->n; i++) {
        const struct pol_sel_item *it = &sel->items[i];
        char cidr[64];
        if (i)
            put(out, outlen, ", ");
        switch (it->type) {
        case POL_SEL_ASSET:
            put(out, outlen, "%s", it->asset < p->n_assets ? p->assets[it->asset].name : "?");
            break;
        case POL_SEL_ROLE:
            put(out, outlen, "role:%s", ow_role_name(it->role));
            break;
        case POL_SEL_CIDR:
            cidr_text(&it->cidr, cidr, sizeof cidr);
            put(out, outlen, "%s", cidr);
            break;
        default:
            put(out, outlen, "?");
            break;
        }
    }
    if (!sel->n)
        snprintf(out, outlen, "any");
}

int ow_policy_rule_index(const struct ow_policy *p, const char *id)
{
    return p && id ? pol_rule_find(p, id) : -1;
}

int ow_policy_rule_describe(const struct ow_policy *p, size_t i, struct ow_rule_text *t)
{
    memset(t, 0, sizeof *t);
    if (!p || i >= p->n_rules)
        return -1;
    const struct pol_rule *r = &p->rules[i];
    selector_text(p, &r->from, t->from, sizeof t->from);
    selector_text(p, &r->to, t->to, sizeof t->to);
    put(t->service, sizeof t->service, "%s",
        r->proto == IPPROTO_TCP ? "tcp" : r->proto == IPPROTO_UDP ? "udp" : "any");
    for (size_t k = 0; k < r->n_ports; k++) {
        put(t->service, sizeof t->service, "%s", k ? "," : "/");
        if (r->ports[k].lo == r->ports[k].hi)
            put(t->service, sizeof t->service, "%u", (unsigned)r->ports[k].lo);
        else
            put(t->service, sizeof t->service, "%u-%u", (unsigned)r->ports[k].lo,
                (unsigned)r->ports[k].hi);
    }
    if (!r->n_ports)
        put(t->service, sizeof t->service, " any port");
    for (size_t k = 0; k < r->n_apps; k++)
        put(t->app, sizeof t->app, "%s%s", k ? ", " : "", r->apps[k]);
    if (!r->n_apps)
        put(t->app, sizeof t->app, "any");
    for (size_t k = 0; k < r->n_windows; k++) {
        char a[32], b[32];
        ow_rfc3339_format(r->windows[k].start_us, a, sizeof a);
        ow_rfc3339_format(r->windows[k].end_us, b, sizeof b);
        put(t->window, sizeof t->window, "%s%s to %s", k ? "; " : "", a, b);
    }
    snprintf(t->kind, sizeof t->kind, "%s", ow_rule_kind_name(r->kind));
    snprintf(t->ticket, sizeof t->ticket, "%s", r->ticket);
    snprintf(t->vendor, sizeof t->vendor, "%s", r->vendor);
    snprintf(t->interface, sizeof t->interface, "%s",
             r->kind == OW_RULE_LI ? ow_li_label_name(r->interface) : "");
    return 0;
}

size_t ow_policy_asset_count(const struct ow_policy *p)
{
    return p ? p->n_assets : 0;
}

int ow_policy_asset_describe(const struct ow_policy *p, size_t i, struct ow_asset_text *t)
{
    memset(t, 0, sizeof *t);
    if (!p || i >= p->n_assets)
        return -1;
    const struct pol_asset *a = &p->assets[i];
    snprintf(t->name, sizeof t->name, "%s", a->name);
    snprintf(t->role, sizeof t->role, "%s", ow_role_name(a->role));
    snprintf(t->vendor, sizeof t->vendor, "%s", a->vendor);
    for (size_t k = 0; k < a->n_addrs; k++) {
        char cidr[64];
        cidr_text(&a->addrs[k], cidr, sizeof cidr);
        put(t->addresses, sizeof t->addresses, "%s%s", k ? ", " : "", cidr);
    }
    return 0;
}
