/* eve_signatures.h — how each omwitness alert kind appears to a SIEM that reads Suricata's
 * EVE: a stable signature id, a short signature title and a category in words, and the
 * Suricata severity number (1 critical, 2 high, 3 medium). The table is the contract
 * documented in docs/store.md; a released kind keeps its id forever. */
#ifndef OW_EVE_SIGNATURES_H
#define OW_EVE_SIGNATURES_H

#include <stdint.h>

#include "common/anomaly_kinds.h"

/* gid and rev written with every alert, as Suricata does. */
#define OW_EVE_ALERT_GID 1
#define OW_EVE_ALERT_REV 1

/* The entry of a kind; an unknown kind (a newer omwitness, a damaged store) gets a generic
 * entry rather than none, so every alert line has a signature. Never NULL. */
const struct ow_anomaly_kind_info *ow_alert_signature(const char *kind);

/* Every known entry in signature id order, NULL-terminated by kind (for docs and tests). */
const struct ow_anomaly_kind_info *ow_alert_signatures(void);

/* Suricata's severity number for an omwitness severity (enum ow_severity): critical 1,
 * high 2, medium 3 (and 3 for none, the mildest). */
int ow_eve_severity_number(uint8_t severity);

#endif
