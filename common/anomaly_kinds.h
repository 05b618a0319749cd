/* anomaly_kinds.h — the one table of policy anomaly kinds: the name stored and served, the
 * severity the engine gives it, the EVE signature id and title a SIEM sees, and the kind in
 * words. The engine emits by enum; the store, EVE export, API and web UI read this table, so
 * a kind is added or renamed here and nowhere else. A released kind keeps its id forever. */
#ifndef OW_ANOMALY_KINDS_H
#define OW_ANOMALY_KINDS_H

#include <stdint.h>

/* X(enum, name, severity, signature id, signature title, category, description for the
 * alert page), in signature id order. */
#define OW_ANOMALY_KIND_LIST(X)                                                                         \
    X(OW_KIND_LI_UNAUTHORIZED, "li_unauthorized", OW_SEV_CRITICAL, 1400001,                             \
      "omwitness: LI traffic outside the allowlist",                                                    \
      "Lawful-interception traffic or LI system reached without an authorizing rule",                   \
      "Lawful-interception traffic (or traffic to an LI system) that no LI rule of the policy allows. " \
      "Only the listed administration, mediation and LEMF systems may exchange LI interfaces.")         \
    X(OW_KIND_MAINTENANCE_OUTSIDE_WINDOW, "maintenance_outside_window", OW_SEV_HIGH, 1400002,           \
      "omwitness: vendor maintenance outside its window",                                               \
      "Maintenance session outside its approved window",                                                \
      "A maintenance session the policy knows, but outside its approved window.")                       \
    X(OW_KIND_MAINTENANCE_OVERRUN, "maintenance_overrun", OW_SEV_MEDIUM, 1400003,                       \
      "omwitness: vendor maintenance overran its window",                                               \
      "Approved maintenance session still running after its window",                                    \
      "An approved maintenance session that was still running after its window ended.")                 \
    X(OW_KIND_VENDOR_UNAUTHORIZED, "vendor_unauthorized", OW_SEV_HIGH, 1400004,                         \
      "omwitness: vendor access without a maintenance rule",                                            \
      "Vendor access not covered by a maintenance rule",                                                \
      "A vendor-access host took part in a flow that no maintenance rule allows.")                      \
    X(OW_KIND_PROTOCOL_MISMATCH, "protocol_mismatch", OW_SEV_HIGH, 1400005,                             \
      "omwitness: allowed port used for another application",                                           \
      "Application does not match the rule for this service",                                           \
      "A rule allows this port, but for another application than the one seen.")                        \
    X(OW_KIND_EGRESS_EXTERNAL, "egress_external", OW_SEV_HIGH, 1400006,                                 \
      "omwitness: management host connected outside the network",                                       \
      "Management host opened a flow outside the management networks",                                  \
      "A management host opened a connection to an address outside the management networks.")           \
    X(OW_KIND_UNLISTED_FLOW, "unlisted_flow", OW_SEV_MEDIUM, 1400007,                                   \
      "omwitness: flow no rule of the allowlist lists",                                                 \
      "Management network flow not on the allowlist",                                                   \
      "A flow in the management network that no rule of the policy lists.")

enum ow_anomaly_kind {
#define OW_KIND_ENUM_(e, name, sev, id, sig, cat, desc) e,
    OW_ANOMALY_KIND_LIST(OW_KIND_ENUM_)
#undef OW_KIND_ENUM_
    OW_KIND_COUNT
};

struct ow_anomaly_kind_info {
    const char *kind;            /* "li_unauthorized" ... */
    uint8_t severity;            /* enum ow_severity */
    int64_t signature_id;        /* in Suricata's range for local rules (1000000-1999999) */
    const char *signature;       /* "omwitness: LI traffic outside the allowlist" */
    const char *category;        /* the kind in words */
    const char *description;     /* why it fired, in a sentence or two, for people */
};

/* OW_KIND_COUNT entries in signature id order, then one whose kind is NULL. */
extern const struct ow_anomaly_kind_info ow_anomaly_kinds[];

/* The names alone, same order, NULL-terminated (for filter parsing). */
extern const char *const ow_alert_kind_names[];

/* The severity names, mildest first, NULL-terminated. */
extern const char *const ow_severity_names[];

/* The entry of a kind. */
const struct ow_anomaly_kind_info *ow_anomaly_kind(enum ow_anomaly_kind k);

/* The entry named so, or NULL for a kind this build does not know. */
const struct ow_anomaly_kind_info *ow_anomaly_kind_named(const char *name);

#endif
