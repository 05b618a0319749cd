/* proto_stream.h — per-flow classification by omwitness's own classifiers (LI and O&M,
 * classifier.h): gathers the first payload bytes of each direction of a TCP or UDP flow (TCP
 * in sequence order across segments, UDP datagram by datagram, bounded), runs the
 * classifier table on them and decides one label with its fields. Memory is bounded per
 * flow and freed by ow_proto_stream_free once the worker is done. */
#ifndef OW_PROTO_STREAM_H
#define OW_PROTO_STREAM_H

#include <stdbool.h>
#include <stdint.h>

#include "common/flow_record.h"

/* Bytes kept per direction; beyond this the stream decides on what it has. */
#define OW_PROTO_MAX_BYTES 4096
/* UDP datagrams tracked per direction; later ones are not looked at. */
#define OW_PROTO_MAX_DATAGRAMS 64

enum ow_proto_state {
    OW_PROTO_PENDING = 0,   /* needs more bytes */
    OW_PROTO_DECIDED,       /* result final: it may carry no label */
};

/* A decision: an LI label with its fields, or an O&M label, or neither. */
struct ow_proto_result {
    struct ow_li_fields li;      /* li.label OW_LI_NONE unless an LI classifier decided */
    char    om_label[16];        /* "TACACS", "SNMP" ...; "" unless an O&M classifier decided */
    uint8_t om_confidence;       /* 0..100 */
};

struct ow_proto_stream;

struct ow_proto_stream *ow_proto_stream_new(uint8_t l4_proto);
void ow_proto_stream_free(struct ow_proto_stream *st);

/* One packet's payload. dir 0 = client→server, 1 = server→client. For TCP, seq is the
 * segment's sequence number and syn tells the segment had SYN (its seq+1 starts the
 * stream); the first payload seen fixes the start when no SYN was seen. Out-of-order
 * segments are placed by sequence number; only the in-order prefix is parsed. For UDP each
 * call is one datagram and PDUs never span datagrams. */
void ow_proto_stream_add(struct ow_proto_stream *st, int dir, uint32_t seq, bool syn,
                         const uint8_t *data, uint32_t len);

/* Current state; fills *out when decided. */
enum ow_proto_state ow_proto_stream_result(struct ow_proto_stream *st, struct ow_proto_result *out);

/* Decides on whatever has been seen (flow ended or the worker stops inspecting). */
void ow_proto_stream_finish(struct ow_proto_stream *st, struct ow_proto_result *out);

#endif
