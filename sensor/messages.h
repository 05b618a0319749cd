/* messages.h — the records that cross the rings: reader→worker (a packet with its bytes, a
 * clock tick, end of input) and worker→writer (a finished flow, end of work). */
#ifndef OW_MESSAGES_H
#define OW_MESSAGES_H

#include <stdint.h>

#include "sensor/flow_record.h"
#include "sensor/packet.h"

enum ow_msg_type {
    OW_MSG_PACKET = 1,   /* struct ow_msg_packet followed by caplen bytes */
    OW_MSG_TICK,         /* struct ow_msg_tick: packet time moved on */
    OW_MSG_END,          /* this reader has no more input */
    OW_MSG_FLOW,         /* struct ow_msg_flow: a flow ended (worker→writer) */
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

struct ow_msg_flow {
    uint32_t type;
    struct ow_flow_record rec;
    /* An anomalous flow's packets as a complete pcap file image (malloc'd; the writer owns
     * and frees it), or NULL. */
    uint8_t *evidence;
    uint32_t evidence_len;
    uint32_t evidence_packets;
    uint8_t  evidence_truncated;   /* the per-flow or per-run cap cut it short */
};

#endif
