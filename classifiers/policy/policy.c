/* policy.c — a loaded policy's lifetime and accessors, and `omwitness policy check`: validate
 * the file and print a summary (assets, rules by kind, maintenance windows now and next). */
#include "classifiers/policy/policy_internal.h"

#include <stdlib.h>
#include <string.h>

#include "common/timefmt.h"

const char *ow_role_name(unsigned role)
{
    static const char *const names[OW_ROLE_COUNT] = {
        "network-element", "li-admin", "li-mediation", "lemf", "operations", "vendor-access",
        "infrastructure",
    };
    return role < OW_ROLE_COUNT ? names[role] : "";
}

const char *ow_rule_kind_name(unsigned kind)
{
    static const char *const names[OW_RULE_KIND_COUNT] = { "li", "maintenance", "operations" };
    return kind < OW_RULE_KIND_COUNT ? names[kind] : "";
}

void ow_policy_free(struct ow_policy *p)
{
    if (!p)
        return;
    pol_index_free(p);
    for (size_t i = 0; i < p->n_assets; i++) {
        free(p->assets[i].addrs);
        free(p->assets[i].description);
    }
    free(p->assets);
    pol_slots_free(p);
    free(p->vendors);
    for (size_t i = 0; i < p->n_rules; i++) {
        struct pol_rule *r = &p->rules[i];
        free(r->from.items);
        free(r->to.items);
        free(r->ports);
        free(r->apps);
        free(r->windows);
        free(r->description);
    }
    free(p->rules);
    free(p->rules_by_id);
    free(p->mgmt);
    ow_pt_free(&p->mgmt_tree);
    ow_pt_free(&p->asset_tree);
    ow_pt_free(&p->to_cidr_tree);
    free(p);
}

const char *ow_policy_site(const struct ow_policy *p)
{
    return p ? p->site : "";
}

const char *ow_policy_sha256(const struct ow_policy *p)
{
    return p ? p->sha256 : "";
}

size_t ow_policy_rule_count(const struct ow_policy *p)
{
    return p ? p->n_rules : 0;
}

const char *ow_policy_rule_id(const struct ow_policy *p, size_t i)
{
    return p && i < p->n_rules ? p->rules[i].id : NULL;
}

const char *ow_policy_rule_kind(const struct ow_policy *p, size_t i)
{
    return p && i < p->n_rules ? ow_rule_kind_name(p->rules[i].kind) : NULL;
}

const char *ow_policy_rule_interface(const struct ow_policy *p, size_t i)
{
    return p && i < p->n_rules ? ow_li_label_name(p->rules[i].interface) : NULL;
}

const char *ow_policy_rule_ticket(const struct ow_policy *p, size_t i)
{
    return p && i < p->n_rules ? p->rules[i].ticket : NULL;
}

size_t ow_policy_rule_window_count(const struct ow_policy *p, size_t i)
{
    return p && i < p->n_rules ? p->rules[i].n_windows : 0;
}

bool ow_policy_rule_window(const struct ow_policy *p, size_t i, size_t w, int64_t *start_us,
                           int64_t *end_us)
{
    if (!p || i >= p->n_rules || w >= p->rules[i].n_windows)
        return false;
    *start_us = p->rules[i].windows[w].start_us;
    *end_us = p->rules[i].windows[w].end_us;
    return true;
}

int32_t pol_rule_find(const struct ow_policy *p, const char *id)
{
    size_t lo = 0, hi = p->n_rules;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(id, p->rules[p->rules_by_id[mid]].id);
        if (c == 0)
            return (int32_t)p->rules_by_id[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}

static void print_window(FILE *out, const struct pol_rule *r, const struct pol_window *w)
{
    char s[40], e[40];
    fprintf(out, "  %s (ticket %s): %s to %s\n", r->id, r->ticket,
            ow_rfc3339_format(w->start_us, s, sizeof s), ow_rfc3339_format(w->end_us, e, sizeof e));
}

static void print_summary(const struct ow_policy *p, uint64_t now_us, FILE *out)
{
    int64_t now = now_us > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)now_us;
    char buf[64];
    fprintf(out, "policy %s: valid\n", p->path);
    fprintf(out, "site: %s\n", p->site[0] ? p->site : "(none)");
    fprintf(out, "sha256: %s\n", p->sha256);
    fprintf(out, "management networks:");
    for (size_t i = 0; i < p->n_mgmt; i++)
        fprintf(out, " %s", ow_cidr_to_text(&p->mgmt[i], buf, sizeof buf));
    fprintf(out, "\n");

    size_t by_role[OW_ROLE_COUNT] = { 0 };
    for (size_t i = 0; i < p->n_assets; i++)
        by_role[p->assets[i].role]++;
    fprintf(out, "assets: %zu", p->n_assets);
    const char *sep = " (";
    for (unsigned r = 0; r < OW_ROLE_COUNT; r++) {
        if (!by_role[r])
            continue;
        fprintf(out, "%s%s %zu", sep, ow_role_name(r), by_role[r]);
        sep = ", ";
    }
    fprintf(out, "%s\n", p->n_assets ? ")" : "");

    size_t by_kind[OW_RULE_KIND_COUNT] = { 0 };
    for (size_t i = 0; i < p->n_rules; i++)
        by_kind[p->rules[i].kind]++;
    fprintf(out, "rules: %zu (li %zu, maintenance %zu, operations %zu)\n", p->n_rules,
            by_kind[OW_RULE_LI], by_kind[OW_RULE_MAINTENANCE], by_kind[OW_RULE_OPERATIONS]);
    fprintf(out, "default: %s\n", p->default_allow
            ? "allow (unmatched in-scope flows are authorized: no anomaly is ever raised)"
            : "anomaly");

    fprintf(out, "maintenance windows in force at %s:\n", ow_rfc3339_format(now, buf, sizeof buf));
    size_t in_force = 0;
    const struct pol_rule *next_rule = NULL;
    const struct pol_window *next = NULL;
    for (size_t i = 0; i < p->n_rules; i++) {
        const struct pol_rule *r = &p->rules[i];
        for (size_t w = 0; w < r->n_windows; w++) {
            const struct pol_window *win = &r->windows[w];
            if (now >= win->start_us && now < win->end_us) {
                print_window(out, r, win);
                in_force++;
            } else if (win->start_us > now && (!next || win->start_us < next->start_us)) {
                next = win;
                next_rule = r;
            }
        }
    }
    if (!in_force)
        fprintf(out, "  none\n");
    fprintf(out, "next maintenance window:\n");
    if (next)
        print_window(out, next_rule, next);
    else
        fprintf(out, "  none\n");
}

int ow_policy_check(const char *path, ow_app_known_fn app_known, void *ctx, uint64_t now_us,
                    FILE *out, char *err, size_t errlen)
{
    struct ow_policy *p = ow_policy_load(path, app_known, ctx, err, errlen);
    if (!p)
        return 2;
    if (out)
        print_summary(p, now_us, out);
    ow_policy_free(p);
    return 0;
}
