/* policy_learn.h — a draft policy learned from a baseline of flows (docs/policy.md "Learning a draft",
 * docs/policy.md "Learning a draft"): the hosts seen, grouped by subnet and a role guessed
 * from the services they offer and use; one rule per recurring (client group, server group,
 * service, app) with its counts and first and last time seen; LI and vendor rules written
 * commented out behind "# review: " for an operator to accept, never allowed blindly. With a
 * base policy its networks, assets and rules are kept and only what they do not cover is
 * proposed. */
#ifndef OW_POLICY_LEARN_H
#define OW_POLICY_LEARN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "classifiers/policy/policy.h"

struct ow_learn;

/* base: the policy to extend, or NULL. It must outlive the learner. */
struct ow_learn *ow_learn_new(const struct ow_policy *base);
void ow_learn_free(struct ow_learn *l);

/* One stored flow of the baseline (continuation slices of a long flow add their counters
 * without counting as a new flow). 0, or -1 when out of memory. */
int ow_learn_add(struct ow_learn *l, const struct ow_flow_record *rec);

struct ow_learn_stats {
    size_t flows;            /* flows added (first slices) */
    size_t in_scope;         /* of them, touching the management networks */
    size_t covered;          /* of those, already authorized by the base policy */
    size_t assets, rules, review;   /* what the draft adds; review: rules left for review */
};

/* Writes the draft to out; source names the baseline in its header comment. Fills *stats
 * when not NULL. 0, or -1 when out of memory or the write failed. */
int ow_learn_write(struct ow_learn *l, FILE *out, const char *source, struct ow_learn_stats *stats);

#endif
