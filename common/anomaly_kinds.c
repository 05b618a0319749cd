/* anomaly_kinds.c — the anomaly kind table of common/anomaly_kinds.h. */
#include "common/anomaly_kinds.h"

#include <stddef.h>
#include <string.h>

#include "common/flow_record.h"

const struct ow_anomaly_kind_info ow_anomaly_kinds[] = {
#define OW_KIND_ROW_(e, name, sev, id, sig, cat, desc) { name, sev, id, sig, cat, desc },
    OW_ANOMALY_KIND_LIST(OW_KIND_ROW_)
#undef OW_KIND_ROW_
    { NULL, OW_SEV_NONE, 0, NULL, NULL, NULL },
};

const char *const ow_alert_kind_names[] = {
#define OW_KIND_NAME_(e, name, sev, id, sig, cat, desc) name,
    OW_ANOMALY_KIND_LIST(OW_KIND_NAME_)
#undef OW_KIND_NAME_
    NULL,
};

const char *const ow_severity_names[] = { "medium", "high", "critical", NULL };

const struct ow_anomaly_kind_info *ow_anomaly_kind(enum ow_anomaly_kind k)
{
    return &ow_anomaly_kinds[(unsigned)k < OW_KIND_COUNT ? k : OW_KIND_UNLISTED_FLOW];
}

const struct ow_anomaly_kind_info *ow_anomaly_kind_named(const char *name)
{
    for (const struct ow_anomaly_kind_info *s = ow_anomaly_kinds; name && s->kind; s++)
        if (!strcmp(s->kind, name))
            return s;
    return NULL;
}
