/* flow_msg.h — a flow message on the worker→writer ring: its header as it is, its record
 * packed (common/flow_pack.h), so that a ring holds five to six times as many flows as it
 * would whole records, and a burst of flows the writer cannot yet store waits there rather
 * than stalling the worker. The writer reads each back into a whole struct ow_msg_flow. */
#ifndef OW_FLOW_MSG_H
#define OW_FLOW_MSG_H

#include <stddef.h>

#include "sensor/messages.h"
#include "sensor/ring.h"

/* Puts m on the ring, waiting for room (a flow is never lost). */
void ow_flow_msg_send(struct ow_ring *r, const struct ow_msg_flow *m);
/* The ring record at rec (len bytes, of type OW_MSG_FLOW) as a whole message; -1 when it is
 * not one (cannot happen between our own worker and writer). */
int ow_flow_msg_read(const void *rec, size_t len, struct ow_msg_flow *out);

#endif
