/* li_stream.h — per-flow LI classification: gathers the first payload bytes of each direction
 * of a TCP or UDP flow (TCP in sequence order across segments, bounded), runs the LI
 * parsers (X1, X2/X3, HI1, HI2/HI3) on them and decides a label with its fields.
 * Memory is bounded per flow and freed by ow_li_stream_free once the worker is done. */
#ifndef OW_LI_STREAM_H
#define OW_LI_STREAM_H

#include <stdbool.h>
#include <stdint.h>

#include "sensor/flow_record.h"

/* Bytes kept per direction; beyond this the stream decides on what it has. */
#define OW_LI_MAX_BYTES 4096

enum ow_li_state {
    OW_LI_PENDING = 0,   /* needs more bytes */
    OW_LI_DECIDED,       /* result final: label may be OW_LI_NONE (not LI) */
};

struct ow_li_stream;

struct ow_li_stream *ow_li_stream_new(uint8_t l4_proto);
void ow_li_stream_free(struct ow_li_stream *st);

/* One packet's payload. dir 0 = client→server, 1 = server→client. For TCP, seq is the
 * segment's sequence number and syn tells the segment had SYN (its seq+1 starts the
 * stream); the first payload seen fixes the start when no SYN was seen. Out-of-order
 * segments are placed by sequence number; only the in-order prefix is parsed. */
void ow_li_stream_add(struct ow_li_stream *st, int dir, uint32_t seq, bool syn,
                      const uint8_t *data, uint32_t len);

/* Current state; fills *out when decided. */
enum ow_li_state ow_li_stream_result(struct ow_li_stream *st, struct ow_li_fields *out);

/* Decides on whatever has been seen (flow ended or the worker stops inspecting). */
void ow_li_stream_finish(struct ow_li_stream *st, struct ow_li_fields *out);

#endif
