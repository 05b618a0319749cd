/* flow_msg.c — the packed flow message of the worker→writer ring. */
#include "sensor/flow_msg.h"

#include <string.h>

#include "common/flow_pack.h"

struct wire {
    uint32_t type;                 /* OW_MSG_FLOW */
    uint32_t what;
    uint8_t *evidence;
    uint32_t evidence_len;
    uint32_t evidence_packets;
    uint32_t evidence_truncated;
    uint32_t rec_len;              /* bytes of the packed record */
    uint64_t rec[];                /* the packed record, every field */
};

void ow_flow_msg_send(struct ow_ring *r, const struct ow_msg_flow *m)
{
    struct wire *x = ow_ring_reserve_wait(r, sizeof *x + ow_flow_packed_max());
    x->type = OW_MSG_FLOW;
    x->what = m->what;
    x->evidence = m->evidence;
    x->evidence_len = m->evidence_len;
    x->evidence_packets = m->evidence_packets;
    x->evidence_truncated = m->evidence_truncated;
    x->rec_len = (uint32_t)ow_flow_pack_to(&m->rec, true, x->rec);
    ow_ring_commit_len(r, sizeof *x + x->rec_len);
}

int ow_flow_msg_read(const void *rec, size_t len, struct ow_msg_flow *out)
{
    const struct wire *x = rec;
    if (len < sizeof *x || x->type != OW_MSG_FLOW || x->rec_len > len - sizeof *x)
        return -1;
    out->type = OW_MSG_FLOW;
    out->what = x->what;
    out->evidence = x->evidence;
    out->evidence_len = x->evidence_len;
    out->evidence_packets = x->evidence_packets;
    out->evidence_truncated = (uint8_t)x->evidence_truncated;
    ow_flow_unpack((const struct ow_flow_packed *)x->rec, &out->rec);
    return 0;
}
