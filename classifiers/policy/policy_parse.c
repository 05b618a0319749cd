/* policy_parse.c — loads a policy file with libyaml into struct ow_policy and validates it
 * (docs/policy.md "Format"). Every problem is reported as "FILE:LINE:COL: problem" at the
 * node that causes it. The schema is strict: unknown or repeated keys are errors, because a
 * typo in an allowlist must never silently widen or narrow it. */
#include "classifiers/policy/policy_internal.h"

#include <netinet/in.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>
#include <gcrypt.h>

#include "common/timefmt.h"

#define POLICY_MAX_BYTES (64u << 20)

struct loader {
    const char *path;
    yaml_document_t *doc;
    struct ow_policy *p;
    ow_app_known_fn app_known;
    void *app_ctx;
    char *err;
    size_t errlen;
    uint32_t *assets_by_name;      /* asset indices sorted by name */
    size_t n_named;                /* entries in assets_by_name */
    yaml_mark_t *rule_marks;       /* where each rule's id is, for duplicate reports */
};

static bool fail_at(struct loader *L, yaml_mark_t m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool fail_at(struct loader *L, yaml_mark_t m, const char *fmt, ...)
{
    char msg[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* The message quotes the file; keep terminal control bytes out of it. */
    for (char *c = msg; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    if (L->errlen)
        snprintf(L->err, L->errlen, "%s:%zu:%zu: %s", L->path, m.line + 1, m.column + 1, msg);
    return false;
}

#define fail(L, node, ...) fail_at((L), (node)->start_mark, __VA_ARGS__)

static yaml_node_t *node_at(struct loader *L, int id)
{
    return yaml_document_get_node(L->doc, id);
}

/* A scalar's text, or NULL (with the error set) when node is not a clean scalar. */
static const char *scalar(struct loader *L, yaml_node_t *n, const char *what)
{
    if (n->type != YAML_SCALAR_NODE) {
        fail(L, n, "%s must be a single value", what);
        return NULL;
    }
    const char *s = (const char *)n->data.scalar.value;
    if (strlen(s) != n->data.scalar.length) {
        fail(L, n, "%s contains a NUL byte", what);
        return NULL;
    }
    return s;
}

/* Items of a value that may be one scalar or a sequence of scalars. */
static bool scalar_list(struct loader *L, yaml_node_t *n, const char *what,
                        yaml_node_t ***items, size_t *count)
{
    *items = NULL;
    *count = 0;
    if (n->type == YAML_SCALAR_NODE) {
        *items = malloc(sizeof **items);
        if (!*items)
            return fail(L, n, "out of memory");
        (*items)[0] = n;
        *count = 1;
        return true;
    }
    if (n->type != YAML_SEQUENCE_NODE)
        return fail(L, n, "%s must be a value or a list of values", what);
    size_t len = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (len == 0)
        return fail(L, n, "%s is an empty list%s", what,
                    strncmp(what, "networks", 8) && strcmp(what, "addresses")
                        ? ": this rule could never match" : "");
    *items = calloc(len, sizeof **items);
    if (!*items)
        return fail(L, n, "out of memory");
    for (size_t i = 0; i < len; i++) {
        yaml_node_t *it = node_at(L, n->data.sequence.items.start[i]);
        if (!it || !scalar(L, it, what)) {
            free(*items);
            *items = NULL;
            return it ? false : fail(L, n, "bad list item");
        }
        (*items)[i] = it;
    }
    *count = len;
    return true;
}

/* Checks that n is a mapping whose keys are all among keys[], each at most once, and
 * writes each key's value node (or NULL) to out[]. */
static bool fields(struct loader *L, yaml_node_t *n, const char *what,
                   const char *const *keys, size_t nkeys, yaml_node_t **out)
{
    if (n->type != YAML_MAPPING_NODE)
        return fail(L, n, "%s must be a mapping", what);
    for (size_t k = 0; k < nkeys; k++)
        out[k] = NULL;
    for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
        yaml_node_t *kn = node_at(L, pr->key), *vn = node_at(L, pr->value);
        if (!kn || !vn)
            return fail(L, n, "malformed mapping");
        const char *key = scalar(L, kn, "a key");
        if (!key)
            return false;
        size_t k;
        for (k = 0; k < nkeys; k++)
            if (strcmp(key, keys[k]) == 0)
                break;
        if (k == nkeys) {
            char expected[256] = "";
            for (size_t j = 0; j < nkeys; j++) {
                size_t used = strlen(expected);
                snprintf(expected + used, sizeof expected - used, "%s%s", j ? ", " : "", keys[j]);
            }
            return fail(L, kn, "unknown key '%.64s' in %s (expected one of: %s)", key, what,
                        expected);
        }
        if (out[k])
            return fail(L, kn, "key '%s' appears twice in %s", key, what);
        out[k] = vn;
    }
    return true;
}

static bool name_ok(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len >= OW_NAME_MAX)
        return false;
    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= '0' && s[0] <= '9')))
        return false;
    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == len;
}

static bool printable_ok(const char *s, size_t max)
{
    size_t len = strlen(s);
    if (len >= max)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
            return false;
    return true;
}

static int role_from_name(const char *s)
{
    for (unsigned r = 0; r < OW_ROLE_COUNT; r++)
        if (strcmp(s, ow_role_name(r)) == 0)
            return (int)r;
    return -1;
}

static int li_label_from_name(const char *s)
{
    for (unsigned l = OW_LI_X1; l <= OW_LI_HI3; l++)
        if (strcasecmp(s, ow_li_label_name((uint8_t)l)) == 0)
            return (int)l;
    return -1;
}

static void roles_list(char *buf, size_t len)
{
    buf[0] = '\0';
    for (unsigned r = 0; r < OW_ROLE_COUNT; r++) {
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, "%s%s", r ? ", " : "", ow_role_name(r));
    }
}

/* ---- networks ---------------------------------------------------------------------- */

static bool parse_networks(struct loader *L, yaml_node_t *n)
{
    static const char *const keys[] = { "management" };
    yaml_node_t *v[1] = { NULL };
    if (!fields(L, n, "networks", keys, 1, v))
        return false;
    if (!v[0])
        return fail(L, n, "networks needs 'management': the list of management prefixes");
    yaml_node_t **items;
    size_t count;
    if (!scalar_list(L, v[0], "networks.management", &items, &count))
        return false;
    struct ow_policy *p = L->p;
    p->mgmt = calloc(count, sizeof *p->mgmt);
    if (!p->mgmt) {
        free(items);
        return fail(L, n, "out of memory");
    }
    for (size_t i = 0; i < count; i++) {
        char why[128];
        const char *t = (const char *)items[i]->data.scalar.value;
        if (ow_cidr_parse(t, &p->mgmt[i], why, sizeof why) != 0) {
            fail(L, items[i], "bad network '%.64s': %s", t, why);
            free(items);
            return false;
        }
        if (ow_pt_insert(&p->mgmt_tree, &p->mgmt[i], (int32_t)i, NULL) < 0) {
            free(items);
            return fail(L, n, "out of memory");
        }
        p->n_mgmt++;
    }
    free(items);
    return true;
}

/* ---- assets ------------------------------------------------------------------------ */

static int32_t asset_find(const struct loader *L, const char *name)
{
    size_t lo = 0, hi = L->n_named;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(name, L->p->assets[L->assets_by_name[mid]].name);
        if (c == 0)
            return (int32_t)L->assets_by_name[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}

int32_t pol_vendor_find(const struct ow_policy *p, const char *name)
{
    for (size_t i = 0; i < p->n_vendors; i++)
        if (strcasecmp(p->vendors[i], name) == 0)
            return (int32_t)i;
    return -1;
}

/* Vendors are few (one per equipment maker or contractor), so a list searched linearly. */
static bool vendor_intern(struct ow_policy *p, const char *name, int32_t *id)
{
    *id = pol_vendor_find(p, name);
    if (*id >= 0)
        return true;
    if (p->n_vendors == p->cap_vendors) {
        size_t cap = p->cap_vendors ? p->cap_vendors * 2 : 4;
        char (*nv)[OW_NAME_MAX] = realloc(p->vendors, cap * sizeof *nv);
        if (!nv)
            return false;
        p->vendors = nv;
        p->cap_vendors = cap;
    }
    snprintf(p->vendors[p->n_vendors], OW_NAME_MAX, "%s", name);
    *id = (int32_t)p->n_vendors++;
    return true;
}

static bool parse_asset(struct loader *L, yaml_node_t *kn, yaml_node_t *vn, struct pol_asset *a,
                        int32_t index)
{
    static const char *const keys[] = { "role", "vendor", "addresses", "description" };
    yaml_node_t *v[4];
    const char *name = scalar(L, kn, "an asset name");
    if (!name)
        return false;
    if (!name_ok(name))
        return fail(L, kn, "bad asset name '%.64s' (1-63 letters, digits, '.', '_', '-', "
                    "starting with a letter or digit)", name);
    {
        struct ow_cidr c;
        char why[96];
        if (ow_cidr_parse(name, &c, why, sizeof why) == 0)
            return fail(L, kn, "asset name '%s' reads as an address", name);
    }
    if (asset_find(L, name) >= 0)
        return fail(L, kn, "asset '%s' is defined twice", name);
    snprintf(a->name, sizeof a->name, "%s", name);
    a->vendor_id = -1;
    a->vendor_rule = -1;
    if (!fields(L, vn, "an asset", keys, 4, v))
        return false;
    if (!v[0])
        return fail(L, vn, "asset '%s' needs a role", name);
    const char *role = scalar(L, v[0], "role");
    if (!role)
        return false;
    int r = role_from_name(role);
    if (r < 0) {
        char roles[256];
        roles_list(roles, sizeof roles);
        return fail(L, v[0], "unknown role '%.64s' (expected one of: %s)", role, roles);
    }
    a->role = (uint8_t)r;
    if (v[1]) {
        const char *vendor = scalar(L, v[1], "vendor");
        if (!vendor)
            return false;
        if (!name_ok(vendor))
            return fail(L, v[1], "bad vendor name '%.64s'", vendor);
        snprintf(a->vendor, sizeof a->vendor, "%s", vendor);
        if (!vendor_intern(L->p, vendor, &a->vendor_id))
            return fail(L, v[1], "out of memory");
    }
    if (v[3]) {
        const char *d = scalar(L, v[3], "description");
        if (!d)
            return false;
        if (!(a->description = strdup(d)))
            return fail(L, v[3], "out of memory");
    }
    if (!v[2])
        return fail(L, vn, "asset '%s' needs addresses", name);
    yaml_node_t **items;
    size_t count;
    if (!scalar_list(L, v[2], "addresses", &items, &count))
        return false;
    a->addrs = calloc(count, sizeof *a->addrs);
    struct ow_prefix_tree mine;   /* this asset's own prefixes: the same address twice is an error */
    if (!a->addrs || ow_pt_init(&mine) != 0) {
        free(items);
        return fail(L, vn, "out of memory");
    }
    bool ok = true;
    for (size_t i = 0; i < count && ok; i++) {
        char why[128], other[64];
        const char *t = (const char *)items[i]->data.scalar.value;
        struct ow_cidr *c = &a->addrs[a->n_addrs];
        if (ow_cidr_parse(t, c, why, sizeof why) != 0) {
            ok = fail(L, items[i], "bad address '%.64s': %s", t, why);
            break;
        }
        int32_t dup = ow_pt_find(&mine, c), outer = ow_pt_parent(&mine, c);
        if (dup >= 0)
            ok = fail(L, items[i], "address %.64s is listed twice in asset '%s'", t, name);
        else if (outer >= 0)
            ok = fail(L, items[i], "address %.64s is listed twice in asset '%s': it is inside %s, "
                      "listed before", t, name, ow_cidr_to_text(&a->addrs[outer], other, sizeof other));
        else if (ow_pt_has_longer(&mine, c))
            ok = fail(L, items[i], "address %.64s is listed twice in asset '%s': it holds an "
                      "address listed before", t, name);
        else if (ow_pt_insert(&mine, c, (int32_t)a->n_addrs, NULL) < 0 ||
                 pol_slot_add(L->p, c, (uint32_t)index) != 0)
            ok = fail(L, vn, "out of memory");
        else
            a->n_addrs++;
    }
    ow_pt_free(&mine);
    free(items);
    return ok;
}

static bool parse_assets(struct loader *L, yaml_node_t *n)
{
    struct ow_policy *p = L->p;
    if (n->type != YAML_MAPPING_NODE)
        return fail(L, n, "assets must be a mapping of asset name to {role, vendor, addresses}");
    size_t count = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    if (count > INT32_MAX / 2)
        return fail(L, n, "too many assets");
    p->assets = calloc(count ? count : 1, sizeof *p->assets);
    L->assets_by_name = calloc(count ? count : 1, sizeof *L->assets_by_name);
    if (!p->assets || !L->assets_by_name)
        return fail(L, n, "out of memory");
    for (size_t i = 0; i < count; i++) {
        yaml_node_pair_t *pr = &n->data.mapping.pairs.start[i];
        yaml_node_t *kn = node_at(L, pr->key), *vn = node_at(L, pr->value);
        if (!kn || !vn)
            return fail(L, n, "malformed mapping");
        p->n_assets = i + 1;   /* so that free() sees the addresses even on failure */
        if (!parse_asset(L, kn, vn, &p->assets[i], (int32_t)i))
            return false;
        /* Keep names sorted as we go so a duplicate is caught where it appears. */
        size_t pos = 0, hi = i;
        while (pos < hi) {
            size_t mid = (pos + hi) / 2;
            if (strcmp(p->assets[L->assets_by_name[mid]].name, p->assets[i].name) < 0)
                pos = mid + 1;
            else
                hi = mid;
        }
        memmove(&L->assets_by_name[pos + 1], &L->assets_by_name[pos], (i - pos) * sizeof(uint32_t));
        L->assets_by_name[pos] = (uint32_t)i;
        L->n_named = i + 1;
    }
    if (pol_slots_finish(p) != 0)
        return fail(L, n, "out of memory");
    return true;
}

/* ---- rules ------------------------------------------------------------------------- */

static bool parse_selector(struct loader *L, yaml_node_t *n, const char *what,
                           struct pol_selector *sel)
{
    yaml_node_t **items;
    size_t count;
    if (!scalar_list(L, n, what, &items, &count))
        return false;
    sel->items = calloc(count, sizeof *sel->items);
    if (!sel->items) {
        free(items);
        return fail(L, n, "out of memory");
    }
    bool ok = true;
    for (size_t i = 0; i < count && ok; i++) {
        const char *t = (const char *)items[i]->data.scalar.value;
        struct pol_sel_item *it = &sel->items[i];
        if (strncmp(t, "role:", 5) == 0) {
            const char *rn = t + 5;
            while (*rn == ' ')
                rn++;
            int r = role_from_name(rn);
            if (r < 0) {
                char roles[256];
                roles_list(roles, sizeof roles);
                ok = fail(L, items[i], "unknown role '%.64s' in %s (expected one of: %s)", rn,
                          what, roles);
                break;
            }
            size_t holders = 0;
            for (size_t a = 0; a < L->p->n_assets; a++)
                holders += L->p->assets[a].role == r;
            if (!holders) {
                ok = fail(L, items[i], "%s role:%s names no asset: this rule could never match",
                          what, rn);
                break;
            }
            it->type = POL_SEL_ROLE;
            it->role = (uint8_t)r;
        } else if (strncmp(t, "vendor:", 7) == 0) {
            const char *vn = t + 7;
            while (*vn == ' ')
                vn++;
            int32_t v = pol_vendor_find(L->p, vn);
            if (!name_ok(vn)) {
                ok = fail(L, items[i], "bad vendor name '%.64s' in %s", vn, what);
                break;
            }
            if (v < 0) {
                ok = fail(L, items[i], "%s vendor:%s is the vendor of no asset: this rule could "
                          "never match", what, vn);
                break;
            }
            it->type = POL_SEL_VENDOR;
            it->vendor = (uint32_t)v;
        } else {
            int32_t a = asset_find(L, t);
            if (a >= 0) {
                it->type = POL_SEL_ASSET;
                it->asset = (uint32_t)a;
            } else {
                char why[128];
                if (ow_cidr_parse(t, &it->cidr, why, sizeof why) != 0) {
                    /* names cannot hold ':' or '/', nor be all digits and dots */
                    if (strpbrk(t, ":/") || strspn(t, "0123456789.") == strlen(t))
                        ok = fail(L, items[i], "bad address in %s '%.64s': %s", what, t, why);
                    else
                        ok = fail(L, items[i], "unknown asset '%.64s' in %s", t, what);
                    break;
                }
                it->type = POL_SEL_CIDR;
            }
        }
        sel->n++;
    }
    free(items);
    return ok;
}

static bool parse_port(struct loader *L, yaml_node_t *n, struct pol_port_range *r)
{
    const char *t = scalar(L, n, "a port");
    if (!t)
        return false;
    unsigned long lo, hi;
    char *end;
    const char *dash = strchr(t, '-');
    size_t len = strlen(t);
    if (len == 0 || len > 11 || strspn(t, "0123456789-") != len || t[0] == '-' ||
        (dash && (dash[1] == '\0' || strchr(dash + 1, '-'))))
        return fail(L, n, "bad port '%.32s' (a number 0-65535 or a range \"a-b\")", t);
    errno = 0;
    lo = strtoul(t, &end, 10);
    hi = dash ? strtoul(dash + 1, NULL, 10) : lo;
    if (errno || lo > 65535 || hi > 65535)
        return fail(L, n, "port '%.32s' out of range 0-65535", t);
    if (hi < lo)
        return fail(L, n, "empty port range '%.32s': it ends before it starts, so this rule "
                    "could never match", t);
    r->lo = (uint16_t)lo;
    r->hi = (uint16_t)hi;
    return true;
}

static bool parse_service(struct loader *L, yaml_node_t *n, struct pol_rule *r)
{
    static const char *const keys[] = { "proto", "ports" };
    yaml_node_t *v[2];
    if (!fields(L, n, "service", keys, 2, v))
        return false;
    r->proto = 0;
    if (v[0]) {
        const char *proto = scalar(L, v[0], "proto");
        if (!proto)
            return false;
        if (strcasecmp(proto, "tcp") == 0)
            r->proto = IPPROTO_TCP;
        else if (strcasecmp(proto, "udp") == 0)
            r->proto = IPPROTO_UDP;
        else if (strcasecmp(proto, "any") != 0)
            return fail(L, v[0], "unknown proto '%.32s' (expected tcp, udp or any)", proto);
    }
    if (v[1]) {
        yaml_node_t **items;
        size_t count;
        if (!scalar_list(L, v[1], "ports", &items, &count))
            return false;
        r->ports = calloc(count, sizeof *r->ports);
        if (!r->ports) {
            free(items);
            return fail(L, n, "out of memory");
        }
        for (size_t i = 0; i < count; i++) {
            if (!parse_port(L, items[i], &r->ports[i])) {
                free(items);
                return false;
            }
            r->n_ports++;
        }
        free(items);
    }
    return true;
}

static bool parse_apps(struct loader *L, yaml_node_t *n, struct pol_rule *r)
{
    yaml_node_t **items;
    size_t count;
    if (!scalar_list(L, n, "app", &items, &count))
        return false;
    r->apps = calloc(count, sizeof *r->apps);
    if (!r->apps) {
        free(items);
        return fail(L, n, "out of memory");
    }
    bool ok = true;
    for (size_t i = 0; i < count && ok; i++) {
        const char *t = (const char *)items[i]->data.scalar.value;
        if (!printable_ok(t, OW_APP_NAME_MAX) || !t[0]) {
            ok = fail(L, items[i], "bad app name '%.64s'", t);
            break;
        }
        int label = li_label_from_name(t);
        if (label >= 0) {
            if (r->kind != OW_RULE_LI)
                ok = fail(L, items[i], "LI label %s in a %s rule: LI interfaces are authorized "
                          "by rules of kind li", ow_li_label_name((uint8_t)label),
                          ow_rule_kind_name(r->kind));
            else if (r->interface && label != r->interface)
                ok = fail(L, items[i], "app %s contradicts the rule's interface %s",
                          ow_li_label_name((uint8_t)label), ow_li_label_name(r->interface));
        } else if (L->app_known && !L->app_known(t, L->app_ctx)) {
            ok = fail(L, items[i], "unknown app '%.64s' (not an nDPI protocol name, an LI label "
                      "X1 X2 X3 HI1 HI2 HI3 nor an O&M label such as TACACS or IPMI)", t);
        }
        if (!ok)
            break;
        snprintf(r->apps[i], OW_APP_NAME_MAX, "%s", t);
        r->n_apps++;
    }
    free(items);
    return ok;
}

static bool parse_window(struct loader *L, yaml_node_t *n, struct pol_window *w)
{
    static const char *const keys[] = { "start", "end" };
    yaml_node_t *v[2];
    if (!fields(L, n, "window", keys, 2, v))
        return false;
    if (!v[0] || !v[1])
        return fail(L, n, "a window needs both start and end");
    for (int i = 0; i < 2; i++) {
        const char *t = scalar(L, v[i], i ? "end" : "start");
        if (!t)
            return false;
        int64_t *dst = i ? &w->end_us : &w->start_us;
        if (ow_rfc3339_parse(t, dst) != 0)
            return fail(L, v[i], "bad time '%.64s' (RFC 3339 with seconds and an offset, e.g. "
                        "2026-02-10T01:00:00Z or 2026-02-10T03:00:00+02:00)", t);
    }
    if (w->end_us < w->start_us)
        return fail(L, v[1], "window ends before it starts");
    if (w->end_us == w->start_us)
        return fail(L, v[1], "window is empty (end equals start): this rule could never match");
    return true;
}

static bool parse_windows(struct loader *L, yaml_node_t *n, struct pol_rule *r)
{
    size_t count = 1;
    if (n->type == YAML_SEQUENCE_NODE) {
        count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
        if (count == 0)
            return fail(L, n, "window is an empty list: this rule could never match");
    } else if (n->type != YAML_MAPPING_NODE) {
        return fail(L, n, "window must be {start, end} or a list of them");
    }
    r->windows = calloc(count, sizeof *r->windows);
    if (!r->windows)
        return fail(L, n, "out of memory");
    for (size_t i = 0; i < count; i++) {
        yaml_node_t *w = n->type == YAML_SEQUENCE_NODE ? node_at(L, n->data.sequence.items.start[i]) : n;
        if (!w)
            return fail(L, n, "bad list item");
        if (!parse_window(L, w, &r->windows[i]))
            return false;
        r->n_windows++;
    }
    return true;
}

static bool parse_rule(struct loader *L, yaml_node_t *n, struct pol_rule *r, yaml_mark_t *id_mark)
{
    enum { K_ID, K_KIND, K_IFACE, K_TICKET, K_VENDOR, K_FROM, K_TO, K_SERVICE, K_APP, K_WINDOW,
           K_DESC, K_COUNT };
    static const char *const keys[K_COUNT] = { "id", "kind", "interface", "ticket", "vendor",
        "from", "to", "service", "app", "window", "description" };
    yaml_node_t *v[K_COUNT];
    if (!fields(L, n, "a rule", keys, K_COUNT, v))
        return false;
    if (!v[K_ID])
        return fail(L, n, "rule needs an id");
    const char *id = scalar(L, v[K_ID], "id");
    if (!id)
        return false;
    if (!name_ok(id))
        return fail(L, v[K_ID], "bad rule id '%.64s' (1-63 letters, digits, '.', '_', '-', "
                    "starting with a letter or digit)", id);
    if (strcmp(id, "default") == 0)
        return fail(L, v[K_ID], "rule id 'default' is reserved for the default verdict");
    snprintf(r->id, sizeof r->id, "%s", id);
    *id_mark = v[K_ID]->start_mark;

    if (!v[K_KIND])
        return fail(L, n, "rule '%s' needs a kind (li, maintenance or operations)", id);
    const char *kind = scalar(L, v[K_KIND], "kind");
    if (!kind)
        return false;
    unsigned k;
    for (k = 0; k < OW_RULE_KIND_COUNT; k++)
        if (strcmp(kind, ow_rule_kind_name(k)) == 0)
            break;
    if (k == OW_RULE_KIND_COUNT)
        return fail(L, v[K_KIND], "unknown rule kind '%.32s' (expected li, maintenance or "
                    "operations)", kind);
    r->kind = (uint8_t)k;

    if (r->kind == OW_RULE_LI) {
        if (!v[K_IFACE])
            return fail(L, n, "li rule '%s' needs an interface (X1 X2 X3 HI1 HI2 HI3)", id);
        const char *iface = scalar(L, v[K_IFACE], "interface");
        if (!iface)
            return false;
        int label = li_label_from_name(iface);
        if (label < 0)
            return fail(L, v[K_IFACE], "unknown interface '%.32s' (expected X1 X2 X3 HI1 HI2 "
                        "HI3)", iface);
        r->interface = (uint8_t)label;
    } else if (v[K_IFACE]) {
        return fail(L, v[K_IFACE], "interface is only for li rules ('%s' is %s)", id, kind);
    }

    if (v[K_TICKET]) {
        const char *t = scalar(L, v[K_TICKET], "ticket");
        if (!t)
            return false;
        if (!t[0] || !printable_ok(t, OW_NAME_MAX))
            return fail(L, v[K_TICKET], "bad ticket '%.64s' (1-63 printable ASCII characters)", t);
        snprintf(r->ticket, sizeof r->ticket, "%s", t);
    } else if (r->kind == OW_RULE_MAINTENANCE) {
        return fail(L, n, "maintenance rule '%s' needs a ticket", id);
    }

    if (v[K_VENDOR]) {
        if (r->kind != OW_RULE_MAINTENANCE)
            return fail(L, v[K_VENDOR], "vendor is only for maintenance rules");
        const char *vendor = scalar(L, v[K_VENDOR], "vendor");
        if (!vendor)
            return false;
        if (pol_vendor_find(L->p, vendor) < 0)
            return fail(L, v[K_VENDOR], "vendor '%.64s' is the vendor of no asset", vendor);
        snprintf(r->vendor, sizeof r->vendor, "%s", vendor);
    }

    if (!v[K_FROM])
        return fail(L, n, "rule '%s' needs from (the clients it allows)", id);
    if (!v[K_TO])
        return fail(L, n, "rule '%s' needs to (the servers it allows)", id);
    if (!parse_selector(L, v[K_FROM], "from", &r->from) || !parse_selector(L, v[K_TO], "to", &r->to))
        return false;
    if (v[K_SERVICE] && !parse_service(L, v[K_SERVICE], r))
        return false;
    if (v[K_APP] && !parse_apps(L, v[K_APP], r))
        return false;

    if (v[K_WINDOW]) {
        if (r->kind != OW_RULE_MAINTENANCE)
            return fail(L, v[K_WINDOW], "window is only for maintenance rules");
        if (!parse_windows(L, v[K_WINDOW], r))
            return false;
    } else if (r->kind == OW_RULE_MAINTENANCE) {
        return fail(L, n, "maintenance rule '%s' needs a window", id);
    }
    if (v[K_DESC]) {
        const char *d = scalar(L, v[K_DESC], "description");
        if (!d)
            return false;
        if (!(r->description = strdup(d)))
            return fail(L, v[K_DESC], "out of memory");
    }
    return true;
}

static int cmp_rule_id(const void *a, const void *b, void *ctx)
{
    const struct pol_rule *rs = ctx;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    int c = strcmp(rs[x].id, rs[y].id);
    return c ? c : (x > y) - (x < y);
}

static bool parse_rules(struct loader *L, yaml_node_t *n)
{
    struct ow_policy *p = L->p;
    if (n->type != YAML_SEQUENCE_NODE)
        return fail(L, n, "rules must be a list");
    size_t count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (count > INT32_MAX / 2)
        return fail(L, n, "too many rules");
    p->rules = calloc(count ? count : 1, sizeof *p->rules);
    p->rules_by_id = calloc(count ? count : 1, sizeof *p->rules_by_id);
    L->rule_marks = calloc(count ? count : 1, sizeof *L->rule_marks);
    if (!p->rules || !p->rules_by_id || !L->rule_marks)
        return fail(L, n, "out of memory");
    for (size_t i = 0; i < count; i++) {
        yaml_node_t *rn = node_at(L, n->data.sequence.items.start[i]);
        if (!rn)
            return fail(L, n, "bad list item");
        p->n_rules = i + 1;
        if (!parse_rule(L, rn, &p->rules[i], &L->rule_marks[i]))
            return false;
    }
    for (size_t i = 0; i < count; i++)
        p->rules_by_id[i] = (uint32_t)i;
    qsort_r(p->rules_by_id, count, sizeof *p->rules_by_id, cmp_rule_id, p->rules);
    for (size_t i = 1; i < count; i++) {
        const struct pol_rule *a = &p->rules[p->rules_by_id[i - 1]], *b = &p->rules[p->rules_by_id[i]];
        if (strcmp(a->id, b->id) == 0)
            return fail_at(L, L->rule_marks[p->rules_by_id[i]], "duplicate rule id '%s' (first "
                           "defined at line %zu)", b->id, L->rule_marks[p->rules_by_id[i - 1]].line + 1);
    }
    /* The first maintenance rule naming each asset's vendor, for vendor_unauthorized reasons. */
    int32_t *first = malloc((p->n_vendors ? p->n_vendors : 1) * sizeof *first);
    if (!first)
        return fail(L, n, "out of memory");
    for (size_t v = 0; v < p->n_vendors; v++)
        first[v] = -1;
    for (size_t i = count; i-- > 0;) {
        int32_t v = p->rules[i].kind == OW_RULE_MAINTENANCE && p->rules[i].vendor[0]
                        ? pol_vendor_find(p, p->rules[i].vendor) : -1;
        if (v >= 0)
            first[v] = (int32_t)i;
    }
    for (size_t a = 0; a < p->n_assets; a++)
        p->assets[a].vendor_rule = p->assets[a].vendor_id >= 0 ? first[p->assets[a].vendor_id] : -1;
    free(first);
    return true;
}

/* ---- top level --------------------------------------------------------------------- */

/* "rules:" or "assets:" with nothing after them: YAML's empty value, meaning none. */
static bool empty_value(const yaml_node_t *n)
{
    return n->type == YAML_SCALAR_NODE && n->data.scalar.length == 0 &&
           n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

static bool parse_top(struct loader *L, yaml_node_t *root)
{
    enum { T_VERSION, T_SITE, T_NETWORKS, T_ASSETS, T_RULES, T_DEFAULT, T_COUNT };
    static const char *const keys[T_COUNT] = { "version", "site", "networks", "assets", "rules",
                                               "default" };
    yaml_node_t *v[T_COUNT];
    struct ow_policy *p = L->p;
    if (!fields(L, root, "the policy", keys, T_COUNT, v))
        return false;
    if (!v[T_VERSION])
        return fail(L, root, "policy needs 'version: 1'");
    const char *ver = scalar(L, v[T_VERSION], "version");
    if (!ver)
        return false;
    if (strcmp(ver, "1") != 0)
        return fail(L, v[T_VERSION], "unsupported policy version '%.16s' (expected 1)", ver);
    if (v[T_SITE]) {
        const char *site = scalar(L, v[T_SITE], "site");
        if (!site)
            return false;
        if (!printable_ok(site, sizeof p->site))
            return fail(L, v[T_SITE], "bad site name (at most 127 printable ASCII characters)");
        snprintf(p->site, sizeof p->site, "%s", site);
    }
    if (!v[T_NETWORKS])
        return fail(L, root, "policy needs 'networks: {management: [...]}'");
    if (!parse_networks(L, v[T_NETWORKS]))
        return false;
    if (v[T_ASSETS] && !empty_value(v[T_ASSETS]) && !parse_assets(L, v[T_ASSETS]))
        return false;
    if (v[T_RULES] && !empty_value(v[T_RULES]) && !parse_rules(L, v[T_RULES]))
        return false;
    if (v[T_DEFAULT]) {
        const char *d = scalar(L, v[T_DEFAULT], "default");
        if (!d)
            return false;
        if (strcmp(d, "allow") == 0)
            p->default_allow = true;
        else if (strcmp(d, "anomaly") != 0)
            return fail(L, v[T_DEFAULT], "default must be anomaly or allow, not '%.32s'", d);
    }
    return true;
}

static unsigned char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, used = 0;
    unsigned char *buf = malloc(cap);
    while (buf) {
        if (used == cap) {
            if (cap >= POLICY_MAX_BYTES) {
                snprintf(err, errlen, "%s: policy file larger than %u MiB", path,
                         POLICY_MAX_BYTES >> 20);
                free(buf);
                fclose(f);
                return NULL;
            }
            unsigned char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + used, 1, cap - used, f);
        used += got;
        if (got == 0)
            break;
    }
    if (!buf || ferror(f)) {
        snprintf(err, errlen, "cannot read %s: %s", path, buf ? strerror(errno) : "out of memory");
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *len = used;
    return buf;
}

static void sha256_hex(const unsigned char *data, size_t len, char out[65])
{
    unsigned char digest[32];
    if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
        /* Only when nobody set libgcrypt up yet (tests, the bench, `policy check`). */
        gcry_check_version(NULL);
        gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
    }
    gcry_md_hash_buffer(GCRY_MD_SHA256, digest, data, len);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

struct ow_policy *ow_policy_load(const char *path, ow_app_known_fn app_known, void *ctx,
                                 char *err, size_t errlen)
{
    char dummy[8];
    if (!err || !errlen) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = '\0';
    size_t len = 0;
    unsigned char *bytes = read_file(path, &len, err, errlen);
    if (!bytes)
        return NULL;

    struct ow_policy *p = calloc(1, sizeof *p);
    if (!p || ow_pt_init(&p->mgmt_tree) || ow_pt_init(&p->asset_tree) ||
        ow_pt_init(&p->to_cidr_tree)) {
        snprintf(err, errlen, "%s: out of memory", path);
        free(bytes);
        ow_policy_free(p);
        return NULL;
    }
    snprintf(p->path, sizeof p->path, "%s", path);
    sha256_hex(bytes, len, p->sha256);

    yaml_parser_t parser;
    yaml_document_t doc;
    struct loader L = { .path = path, .doc = &doc, .p = p, .app_known = app_known,
                        .app_ctx = ctx, .err = err, .errlen = errlen };
    bool ok = false;
    if (!yaml_parser_initialize(&parser)) {
        snprintf(err, errlen, "%s: out of memory", path);
        goto out_bytes;
    }
    yaml_parser_set_input_string(&parser, bytes, len);
    if (!yaml_parser_load(&parser, &doc)) {
        fail_at(&L, parser.problem_mark, "YAML syntax error: %s%s%s",
                parser.problem ? parser.problem : "unknown problem",
                parser.context ? " " : "", parser.context ? parser.context : "");
        goto out_parser;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root) {
        yaml_mark_t start = { 0, 0, 0 };
        fail_at(&L, start, "empty policy file");
    } else if (root->type != YAML_MAPPING_NODE) {
        fail(&L, root, "the policy must be a mapping (version, site, networks, assets, rules, "
             "default)");
    } else if (parse_top(&L, root)) {
        yaml_document_t next;
        if (!yaml_parser_load(&parser, &next)) {
            fail_at(&L, parser.problem_mark, "YAML syntax error: %s",
                    parser.problem ? parser.problem : "unknown problem");
        } else {
            yaml_node_t *extra = yaml_document_get_root_node(&next);
            if (extra)
                fail(&L, extra, "more than one YAML document in the policy file");
            else
                ok = true;
            yaml_document_delete(&next);
        }
    }
    if (ok && pol_index_build(p) != 0) {
        snprintf(err, errlen, "%s: out of memory building the rule index", path);
        ok = false;
    }
    yaml_document_delete(&doc);
out_parser:
    yaml_parser_delete(&parser);
out_bytes:
    free(bytes);
    free(L.assets_by_name);
    free(L.rule_marks);
    if (!ok) {
        ow_policy_free(p);
        return NULL;
    }
    return p;
}
