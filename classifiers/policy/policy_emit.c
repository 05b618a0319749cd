/* policy_emit.c — writes a loaded policy's parts back as YAML that ow_policy_load reads to
 * the same meaning: `policy learn` keeps the assets and rules of the file it extends this
 * way (their comments are not kept; descriptions are). Every value that is not a plain
 * name is written double-quoted with its special bytes escaped. */
#include "classifiers/policy/policy_emit.h"

#include <netinet/in.h>
#include <string.h>

#include "common/timefmt.h"

static bool plain_token(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n &&
           s[0] != '-' && s[0] != '.';
}

void pol_emit_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(out, "\\x%02x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

void pol_emit_name(FILE *out, const char *s)
{
    if (plain_token(s))
        fputs(s, out);
    else
        pol_emit_str(out, s);
}

void pol_emit_cidr(FILE *out, const struct ow_cidr *c)
{
    char buf[64];
    pol_emit_str(out, ow_cidr_to_text(c, buf, sizeof buf));
}

void pol_emit_time(FILE *out, int64_t us)
{
    char buf[48];
    ow_rfc3339_format(us, buf, sizeof buf);
    int64_t frac = us % 1000000;
    if (frac < 0)
        frac += 1000000;
    if (frac) {
        size_t n = strlen(buf);           /* "...:SSZ" -> "...:SS.ffffffZ" */
        snprintf(buf + n - 1, sizeof buf - (n - 1), ".%06lldZ", (long long)frac);
    }
    pol_emit_str(out, buf);
}

void pol_emit_asset(FILE *out, const struct ow_policy *p, size_t i)
{
    const struct pol_asset *a = &p->assets[i];
    fputs("  ", out);
    pol_emit_name(out, a->name);
    fprintf(out, ": {role: %s", ow_role_name(a->role));
    if (a->vendor[0]) {
        fputs(", vendor: ", out);
        pol_emit_name(out, a->vendor);
    }
    fputs(", addresses: [", out);
    for (size_t k = 0; k < a->n_addrs; k++) {
        if (k)
            fputs(", ", out);
        pol_emit_cidr(out, &a->addrs[k]);
    }
    fputs("]", out);
    if (a->description) {
        fputs(", description: ", out);
        pol_emit_str(out, a->description);
    }
    fputs("}\n", out);
}

static void emit_selector(FILE *out, const struct ow_policy *p, const struct pol_selector *s)
{
    fputs("[", out);
    for (size_t i = 0; i < s->n; i++) {
        const struct pol_sel_item *it = &s->items[i];
        if (i)
            fputs(", ", out);
        switch (it->type) {
        case POL_SEL_ASSET:
            pol_emit_name(out, p->assets[it->asset].name);
            break;
        case POL_SEL_ROLE:
            fprintf(out, "\"role:%s\"", ow_role_name(it->role));
            break;
        case POL_SEL_VENDOR: {
            char v[OW_NAME_MAX + 8];
            snprintf(v, sizeof v, "vendor:%s", p->vendors[it->vendor]);
            pol_emit_str(out, v);
            break;
        }
        default:
            pol_emit_cidr(out, &it->cidr);
            break;
        }
    }
    fputs("]", out);
}

void pol_emit_rule(FILE *out, const struct ow_policy *p, size_t i, const char *prefix)
{
    const struct pol_rule *r = &p->rules[i];
    fprintf(out, "%s- id: ", prefix);
    pol_emit_name(out, r->id);
    fprintf(out, "\n%s  kind: %s\n", prefix, ow_rule_kind_name(r->kind));
    if (r->kind == OW_RULE_LI)
        fprintf(out, "%s  interface: %s\n", prefix, ow_li_label_name(r->interface));
    if (r->ticket[0]) {
        fprintf(out, "%s  ticket: ", prefix);
        pol_emit_str(out, r->ticket);
        fputs("\n", out);
    }
    if (r->vendor[0]) {
        fprintf(out, "%s  vendor: ", prefix);
        pol_emit_name(out, r->vendor);
        fputs("\n", out);
    }
    if (r->description) {
        fprintf(out, "%s  description: ", prefix);
        pol_emit_str(out, r->description);
        fputs("\n", out);
    }
    fprintf(out, "%s  from: ", prefix);
    emit_selector(out, p, &r->from);
    fprintf(out, "\n%s  to: ", prefix);
    emit_selector(out, p, &r->to);
    fputs("\n", out);
    if (r->proto || r->n_ports) {
        fprintf(out, "%s  service: {proto: %s", prefix,
                r->proto == IPPROTO_TCP ? "tcp" : r->proto == IPPROTO_UDP ? "udp" : "any");
        if (r->n_ports) {
            fputs(", ports: [", out);
            for (size_t k = 0; k < r->n_ports; k++) {
                if (r->ports[k].lo == r->ports[k].hi)
                    fprintf(out, "%s%u", k ? ", " : "", r->ports[k].lo);
                else
                    fprintf(out, "%s\"%u-%u\"", k ? ", " : "", r->ports[k].lo, r->ports[k].hi);
            }
            fputs("]", out);
        }
        fputs("}\n", out);
    }
    if (r->n_apps) {
        fprintf(out, "%s  app: [", prefix);
        for (size_t k = 0; k < r->n_apps; k++) {
            if (k)
                fputs(", ", out);
            pol_emit_str(out, r->apps[k]);
        }
        fputs("]\n", out);
    }
    if (r->n_windows) {
        fprintf(out, "%s  window:\n", prefix);
        for (size_t k = 0; k < r->n_windows; k++) {
            fprintf(out, "%s    - {start: ", prefix);
            pol_emit_time(out, r->windows[k].start_us);
            fputs(", end: ", out);
            pol_emit_time(out, r->windows[k].end_us);
            fputs("}\n", out);
        }
    }
}
