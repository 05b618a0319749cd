/* eve_signatures.c — the signature table of db/eve_signatures.h. */
#include "db/eve_signatures.h"

#include <string.h>

#include "common/flow_record.h"

static const struct ow_alert_signature table[] = {
    { "li_unauthorized", 1400001, "omwitness: LI traffic outside the allowlist",
      "Lawful-interception traffic or LI system reached without an authorizing rule" },
    { "maintenance_outside_window", 1400002, "omwitness: vendor maintenance outside its window",
      "Maintenance session outside its approved window" },
    { "maintenance_overrun", 1400003, "omwitness: vendor maintenance overran its window",
      "Approved maintenance session still running after its window" },
    { "vendor_unauthorized", 1400004, "omwitness: vendor access without a maintenance rule",
      "Vendor access not covered by a maintenance rule" },
    { "protocol_mismatch", 1400005, "omwitness: allowed port used for another application",
      "Application does not match the rule for this service" },
    { "egress_external", 1400006, "omwitness: management host connected outside the network",
      "Management host opened a flow outside the management networks" },
    { "unlisted_flow", 1400007, "omwitness: flow no rule of the allowlist lists",
      "Management network flow not on the allowlist" },
    { NULL, 0, NULL, NULL },
};

static const struct ow_alert_signature unknown = {
    "", 1400000, "omwitness: policy anomaly", "Policy anomaly",
};

const struct ow_alert_signature *ow_alert_signature(const char *kind)
{
    for (const struct ow_alert_signature *s = table; kind && s->kind; s++)
        if (!strcmp(s->kind, kind))
            return s;
    return &unknown;
}

const struct ow_alert_signature *ow_alert_signatures(void)
{
    return table;
}

int ow_eve_severity_number(uint8_t severity)
{
    switch (severity) {
    case OW_SEV_CRITICAL: return 1;
    case OW_SEV_HIGH: return 2;
    default: return 3;
    }
}
