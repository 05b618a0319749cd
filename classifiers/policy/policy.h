/* policy.h — the operator's allowlist (docs/policy.md):
 * loading and validating the YAML policy, and evaluating a flow into a verdict. A loaded
 * policy is immutable, so every worker evaluates against it without locks. */
#ifndef OW_POLICY_H
#define OW_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/flow_record.h"

struct ow_policy;

/* Tells whether an application name is known (nDPI protocol names; LI labels are known to
 * the policy itself). NULL accepts every name. */
typedef bool (*ow_app_known_fn)(const char *name, void *ctx);

/* Loads and validates a policy file. NULL on error with err = "FILE:LINE:COL: problem". */
struct ow_policy *ow_policy_load(const char *path, ow_app_known_fn app_known, void *ctx,
                                 char *err, size_t errlen);
void ow_policy_free(struct ow_policy *p);

const char *ow_policy_site(const struct ow_policy *p);
const char *ow_policy_sha256(const struct ow_policy *p);   /* hex of the file's bytes */

/* Evaluates a flow whose classification is final: reads rec's client, server, l4_proto,
 * app_proto, li.label, ndpi_app, ndpi_master, ndpi_protocol and first_ts_us; fills
 * rec->verdict (asset_src/asset_dest name the most specific asset holding each endpoint,
 * asset_src_all/asset_dest_all every one of them). */
void ow_policy_evaluate(const struct ow_policy *p, struct ow_flow_record *rec);

/* For an authorized maintenance flow whose last packet lies at or after its window's end,
 * sets rec->verdict.overrun, kind, severity and reason (and returns true). */
bool ow_policy_check_overrun(const struct ow_policy *p, struct ow_flow_record *rec);

/* For a flow whose verdict authorizes it under a maintenance rule: the end (exclusive, µs
 * since the epoch) of the window its first packet fell in, so the caller can compare each
 * packet's time with it and raise maintenance_overrun at the first packet past it. */
bool ow_policy_window_end(const struct ow_policy *p, const struct ow_flow_record *rec,
                          int64_t *end_us);

/* Rules, in file order, for hit counts and the UI. */
size_t ow_policy_rule_count(const struct ow_policy *p);
const char *ow_policy_rule_id(const struct ow_policy *p, size_t i);
const char *ow_policy_rule_kind(const struct ow_policy *p, size_t i);   /* li|maintenance|operations */
const char *ow_policy_rule_interface(const struct ow_policy *p, size_t i); /* "X2" ..., "" unless li */
const char *ow_policy_rule_ticket(const struct ow_policy *p, size_t i);    /* "" when none */
/* A maintenance rule's windows (start inclusive, end exclusive, µs since the epoch), for the
 * maintenance calendar; other rules have none. */
size_t ow_policy_rule_window_count(const struct ow_policy *p, size_t i);
bool ow_policy_rule_window(const struct ow_policy *p, size_t i, size_t w, int64_t *start_us,
                           int64_t *end_us);

/* A rule and an asset as text for people (policy_describe.c): the web UI shows the rule an
 * alert was held against and each asset's definition. */
struct ow_rule_text {
    char from[512], to[512];     /* selectors: "li-admf", "role:network-element", "10.0.0.0/8" */
    char service[256];           /* "tcp/22", "udp/161,162", "any/ any port" */
    char app[512];               /* "SSH, TLS" or "any" */
    char window[512];            /* maintenance windows "START to END; ..." or "" */
    char kind[16], ticket[64], vendor[64], interface[8];
};
struct ow_asset_text {
    char name[64], role[32], vendor[64];
    char addresses[1024];        /* "10.20.1.0/24, fd00:20:1::/48" */
};
/* The index of rule id, or -1. */
int ow_policy_rule_index(const struct ow_policy *p, const char *id);
int ow_policy_rule_describe(const struct ow_policy *p, size_t i, struct ow_rule_text *t);
size_t ow_policy_asset_count(const struct ow_policy *p);
int ow_policy_asset_describe(const struct ow_policy *p, size_t i, struct ow_asset_text *t);

/* `omwitness policy check`: validates FILE and prints a summary (assets, rules by kind,
 * maintenance windows in force at now_us and the next one) to out. Returns 0 when valid,
 * 2 with err set when not. */
int ow_policy_check(const char *path, ow_app_known_fn app_known, void *ctx, uint64_t now_us,
                    FILE *out, char *err, size_t errlen);

#endif
