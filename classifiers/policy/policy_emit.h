/* policy_emit.h — YAML writers for a loaded policy's parts and for the values `policy learn`
 * writes (classifiers/policy only). What they write, ow_policy_load reads back to the same
 * meaning. */
#ifndef OW_POLICY_EMIT_H
#define OW_POLICY_EMIT_H

#include <stdio.h>

#include "classifiers/policy/policy_internal.h"

/* A double-quoted YAML scalar, with '"', '\' and control bytes escaped. */
void pol_emit_str(FILE *out, const char *s);
/* A name (asset, rule id, vendor) plain when it is one, else quoted. */
void pol_emit_name(FILE *out, const char *s);
void pol_emit_cidr(FILE *out, const struct ow_cidr *c);
/* An RFC 3339 UTC time, to the microsecond when it has a fraction. */
void pol_emit_time(FILE *out, int64_t us);

/* "  name: {role: …, vendor: …, addresses: […], description: …}" and a newline. */
void pol_emit_asset(FILE *out, const struct ow_policy *p, size_t i);
/* The rule as a block list item; every line starts with prefix (e.g. "  "). */
void pol_emit_rule(FILE *out, const struct ow_policy *p, size_t i, const char *prefix);

#endif
