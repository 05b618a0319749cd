/* eve_signatures.c — the EVE view of the kind table in common/anomaly_kinds.c. */
#include "db/eve_signatures.h"

#include "common/flow_record.h"

static const struct ow_anomaly_kind_info unknown = {
    "", OW_SEV_NONE, 1400000, "omwitness: policy anomaly", "Policy anomaly",
    "The policy does not allow this flow.",
};

const struct ow_anomaly_kind_info *ow_alert_signature(const char *kind)
{
    const struct ow_anomaly_kind_info *s = ow_anomaly_kind_named(kind);
    return s ? s : &unknown;
}

const struct ow_anomaly_kind_info *ow_alert_signatures(void)
{
    return ow_anomaly_kinds;
}

int ow_eve_severity_number(uint8_t severity)
{
    switch (severity) {
    case OW_SEV_CRITICAL: return 1;
    case OW_SEV_HIGH: return 2;
    default: return 3;
    }
}
