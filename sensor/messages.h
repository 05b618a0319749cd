/* messages.h — the records that cross the rings: reader→worker (a packet with its bytes, a
 * clock tick, end of input) and worker→writer (a flow's verdict, its end, an alert raised
 * later on a running flow, end of work). */
#ifndef OW_MESSAGES_H
#define OW_MESSAGES_H

#include <stdint.h>

#include "common/flow_record.h"
#include "sensor/packet.h"

enum ow_msg_type {
    OW_MSG_PACKET = 1,   /* struct ow_msg_packet followed by caplen bytes */
    OW_MSG_TICK,         /* struct ow_msg_tick: packet time moved on */
    OW_MSG_END,          /* this reader has no more input */
    OW_MSG_FLOW,         /* struct ow_msg_flow: a flow's verdict or end (worker→writer) */
    OW_MSG_WORKER_DONE,  /* the worker has flushed everything (worker→writer) */
};

struct ow_msg_packet {
    uint32_t type;
    int32_t  dlt;
    uint64_t key_hash;
    struct ow_flow_key key;      /* computed once, by the reader */
    uint8_t  from_a;             /* the sender is the key's endpoint a */
    struct ow_packet pkt;
    /* caplen bytes of the frame follow */
};

struct ow_msg_tick {
    uint32_t type;
    uint64_t now_us;
};

struct ow_msg_end {
    uint32_t type;
};

/* What an OW_MSG_FLOW says (docs/evidence.md, "Record model"). Messages of one flow come from
 * one worker's ring, in order: VERDICT, then OVERRUN at most once, then END. */
enum ow_flow_msg {
    OW_FLOW_VERDICT = 1,   /* the verdict is known, the flow still runs (rec.open = 1) */
    OW_FLOW_END,           /* a flow whose VERDICT was sent has ended: final counters */
    OW_FLOW_WHOLE,         /* a flow ended before its verdict record went out: both at once */
    OW_FLOW_OVERRUN,       /* maintenance_overrun at the first packet past the window */
};

struct ow_msg_flow {
    uint32_t type;
    uint32_t what;                 /* enum ow_flow_msg */
    struct ow_flow_record rec;
    /* An anomalous flow's packets as a complete pcap file image (malloc'd; the writer owns
     * and frees it), or NULL. */
    uint8_t *evidence;
    uint32_t evidence_len;
    uint32_t evidence_packets;
    uint8_t  evidence_truncated;   /* the per-flow or per-run cap cut it short */
};

#endif
