/* decode_events.c — owns the name and class tables of the decode events. */
#include "sensor/decode_events.h"

#define OW_DEV_NAME(id, name, cls) name,
static const char *const names[OW_DECODE_EVENT_COUNT] = { OW_DECODE_EVENT_LIST(OW_DEV_NAME) };
#undef OW_DEV_NAME
#define OW_DEV_CLS(id, name, cls) OW_DEV_CLASS_##cls,
static const unsigned char classes[OW_DECODE_EVENT_COUNT] = { OW_DECODE_EVENT_LIST(OW_DEV_CLS) };
#undef OW_DEV_CLS

const char *ow_decode_event_name(enum ow_decode_event ev)
{
    return (unsigned)ev < OW_DECODE_EVENT_COUNT ? names[ev] : "unknown";
}

enum ow_decode_event_class ow_decode_event_class(enum ow_decode_event ev)
{
    return (unsigned)ev < OW_DECODE_EVENT_COUNT ? (enum ow_decode_event_class)classes[ev]
                                                 : OW_DEV_CLASS_M;
}

const char *ow_decode_event_class_name(enum ow_decode_event ev)
{
    switch (ow_decode_event_class(ev)) {
    case OW_DEV_CLASS_M: return "malformed";
    case OW_DEV_CLASS_U: return "unsupported";
    default: return "not_ip";
    }
}
