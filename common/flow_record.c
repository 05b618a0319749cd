/* flow_record.c — names of the enumerations a flow record carries. */
#include "common/flow_record.h"

const char *ow_verdict_status_name(uint8_t s)
{
    switch (s) {
    case OW_VERDICT_AUTHORIZED:   return "authorized";
    case OW_VERDICT_ANOMALY:      return "anomaly";
    case OW_VERDICT_OUT_OF_SCOPE: return "out_of_scope";
    default:                      return "unevaluated";
    }
}

const char *ow_severity_name(uint8_t s)
{
    switch (s) {
    case OW_SEV_MEDIUM:   return "medium";
    case OW_SEV_HIGH:     return "high";
    case OW_SEV_CRITICAL: return "critical";
    default:              return "";
    }
}

const char *ow_li_label_name(uint8_t l)
{
    static const char *const names[] = { "", "X1", "X2", "X3", "HI1", "HI2", "HI3" };
    return l < sizeof names / sizeof names[0] ? names[l] : "";
}

const char *ow_flow_state_name(uint8_t state)
{
    switch (state) {
    case OW_STATE_NEW:         return "new";
    case OW_STATE_ESTABLISHED: return "established";
    default:                   return "closed";
    }
}

/* docs/store.md "EVE JSON lines": timeout|active_timeout|evicted|end_of_input|shutdown. */
const char *ow_eve_end_reason_name(uint8_t r)
{
    switch (r) {
    case OW_END_IDLE:
    case OW_END_TCP_CLOSED: return "timeout";
    case OW_END_ACTIVE:     return "active_timeout";
    case OW_END_EVICTED:    return "evicted";
    default:                return "shutdown";
    }
}

const char *ow_end_reason_name(uint8_t r)
{
    switch (r) {
    case OW_END_IDLE:       return "idle";
    case OW_END_ACTIVE:     return "active_timeout";
    case OW_END_TCP_CLOSED: return "closed";
    case OW_END_SHUTDOWN:   return "shutdown";
    case OW_END_EVICTED:    return "evicted";
    default:                return "unknown";
    }
}
