/* policy_internal.h — the in-memory form of a loaded policy, shared by the loader
 * (policy_parse.c), the rule index (policy_index.c), evaluation (policy_eval.c) and the
 * summary (policy.c). Not part of the contract: only classifiers/policy and its tests use it. */
#ifndef OW_POLICY_INTERNAL_H
#define OW_POLICY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "classifiers/policy/policy.h"
#include "classifiers/policy/prefix_tree.h"

#define OW_NAME_MAX 64          /* asset names, rule ids, tickets, vendors, incl. NUL */
#define OW_APP_NAME_MAX 64

enum ow_rule_kind { OW_RULE_LI = 0, OW_RULE_MAINTENANCE, OW_RULE_OPERATIONS, OW_RULE_KIND_COUNT };

enum ow_role {
    OW_ROLE_NETWORK_ELEMENT = 0,
    OW_ROLE_LI_ADMIN,
    OW_ROLE_LI_MEDIATION,
    OW_ROLE_LEMF,
    OW_ROLE_OPERATIONS,
    OW_ROLE_VENDOR_ACCESS,
    OW_ROLE_INFRASTRUCTURE,
    OW_ROLE_COUNT
};

const char *ow_role_name(unsigned role);
const char *ow_rule_kind_name(unsigned kind);

struct pol_asset {
    char name[OW_NAME_MAX];
    char vendor[OW_NAME_MAX];      /* "" when none */
    uint8_t role;                  /* enum ow_role */
    int32_t vendor_id;             /* index into ow_policy.vendors, -1 when none */
    int32_t vendor_rule;           /* first maintenance rule naming this asset's vendor, -1 */
    struct ow_cidr *addrs;
    size_t n_addrs;
    char *description;             /* NULL when none; kept so `policy learn` can write it back */
};

/* One prefix that one or more assets list. The asset tree maps each listed prefix to its
 * slot, so a longest-prefix lookup finds, for any address, the slot whose `holders` are
 * every asset holding that address: the assets listing this prefix and those listing any
 * shorter prefix that contains it, most specific first (longest prefix; on a tie, the
 * first in the file). Built once at load, read-only afterwards. */
struct pol_slot {
    struct ow_cidr prefix;
    uint32_t *own;                 /* assets listing exactly this prefix, in file order */
    uint32_t n_own, cap_own;
    uint32_t *holders;             /* see above; holders[0] names the endpoint */
    uint32_t n_holders;
    uint32_t *sorted;              /* holders in index order, for membership tests */
    uint32_t roles;                /* bit r set when a holder has role r */
    uint32_t *vendors;             /* distinct vendor indices of the holders */
    uint32_t n_vendors;
};

enum pol_sel_type { POL_SEL_ASSET = 0, POL_SEL_ROLE, POL_SEL_VENDOR, POL_SEL_CIDR };

struct pol_sel_item {
    uint8_t type;                  /* enum pol_sel_type */
    uint8_t role;                  /* POL_SEL_ROLE */
    uint32_t asset;                /* POL_SEL_ASSET */
    uint32_t vendor;               /* POL_SEL_VENDOR: index into ow_policy.vendors */
    struct ow_cidr cidr;           /* POL_SEL_CIDR */
};

struct pol_selector {
    struct pol_sel_item *items;
    size_t n;
};

struct pol_port_range { uint16_t lo, hi; };
struct pol_window { int64_t start_us, end_us; };   /* start inclusive, end exclusive */

struct pol_rule {
    char id[OW_NAME_MAX];
    char ticket[OW_NAME_MAX];      /* "" when none */
    char vendor[OW_NAME_MAX];      /* maintenance only, "" when none */
    uint8_t kind;                  /* enum ow_rule_kind */
    uint8_t interface;             /* enum ow_li_label, li rules only */
    uint8_t proto;                 /* 0 = any, 6 = tcp, 17 = udp */
    struct pol_selector from, to;
    struct pol_port_range *ports;  /* n_ports == 0: any port */
    size_t n_ports;
    char (*apps)[OW_APP_NAME_MAX]; /* n_apps == 0: any classification */
    size_t n_apps;
    struct pol_window *windows;    /* maintenance rules only */
    size_t n_windows;
    char *description;             /* NULL when none */
};

/* Rules whose `to` names one server key (an asset, or one CIDR), split so that a flow's
 * server port finds its rules by binary search instead of a scan. */
struct pol_port_entry { uint16_t port; uint32_t rule; };

struct pol_bucket {
    struct pol_port_entry *by_port;   /* sorted by (port, rule) */
    size_t n_by_port, cap_by_port;
    uint32_t *wide;                    /* rules with any port or wide ranges, in rule order */
    size_t n_wide, cap_wide;
};

struct ow_policy {
    char path[512];
    char site[128];
    char sha256[65];
    bool default_allow;

    struct ow_cidr *mgmt;
    size_t n_mgmt;
    struct ow_prefix_tree mgmt_tree;

    struct pol_asset *assets;
    size_t n_assets;
    struct ow_prefix_tree asset_tree;   /* listed prefix -> slot index */
    struct pol_slot *slots;
    size_t n_slots, cap_slots;
    char (*vendors)[OW_NAME_MAX];       /* distinct asset vendors, first spelling seen */
    size_t n_vendors, cap_vendors;

    struct pol_rule *rules;
    size_t n_rules;
    uint32_t *rules_by_id;              /* rule indices sorted by id, for lookups by name */

    /* Index for evaluation (policy_index.c). */
    struct pol_bucket *asset_buckets;   /* one per asset */
    struct pol_bucket role_buckets[OW_ROLE_COUNT];   /* `to: role:<role>` items */
    struct pol_bucket *vendor_buckets;  /* `to: vendor:<name>` items, one per vendor */
    struct pol_bucket *cidr_buckets;    /* one per distinct CIDR in a `to` */
    size_t n_cidr_buckets;
    struct ow_prefix_tree to_cidr_tree; /* CIDR -> cidr_buckets index */
};

int  pol_index_build(struct ow_policy *p);
void pol_index_free(struct ow_policy *p);

/* Candidate rules for a flow's server (ascending, no duplicates): a superset of the rules
 * whose `to` holds the server and whose ports allow its port. */
struct pol_candidates {
    uint32_t *v;
    size_t n, cap;
    uint32_t inline_buf[256];
};
void pol_candidates_init(struct pol_candidates *c);
void pol_candidates_free(struct pol_candidates *c);
int  pol_index_candidates(const struct ow_policy *p, const struct ow_endpoint *server,
                          const struct pol_slot *server_slot, struct pol_candidates *c);

/* The slot holding addr (its most specific listed prefix), or NULL when no asset holds it. */
const struct pol_slot *pol_slot_of(const struct ow_policy *p, const struct ow_endpoint *ep);
/* True when asset a holds an address of slot s. */
bool pol_slot_has(const struct pol_slot *s, uint32_t a);
/* True when some asset holding an address of slot s has that vendor. */
bool pol_slot_has_vendor(const struct ow_policy *p, const struct pol_slot *s, uint32_t vendor);
/* Files prefix c as listed by asset (assets are added in file order). 0, or -1 when out of memory. */
int  pol_slot_add(struct ow_policy *p, const struct ow_cidr *c, uint32_t asset);
/* Computes every slot's holders once all assets are read. 0, or -1 when out of memory. */
int  pol_slots_finish(struct ow_policy *p);
void pol_slots_free(struct ow_policy *p);
/* Every holder's name, comma-separated, most specific first, within len bytes ("" for NULL). */
void pol_slot_names(const struct ow_policy *p, const struct pol_slot *s, char *out, size_t len);

/* Vendor index (names compare case-insensitively), or -1. */
int32_t pol_vendor_find(const struct ow_policy *p, const char *name);

/* Evaluates against every rule in file order without the index: the reference the index
 * is tested against. */
void pol_evaluate_linear(const struct ow_policy *p, struct ow_flow_record *rec);

/* Rule index by id, or -1. */
int32_t pol_rule_find(const struct ow_policy *p, const char *id);

/* Copies src into dst (dstlen bytes), cutting at a UTF-8 character boundary and ending
 * with "…" when it does not fit. */
void pol_copy_utf8(char *dst, size_t dstlen, const char *src);

#endif
