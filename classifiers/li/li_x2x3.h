/* li_x2x3.h — ETSI TS 103 221-2 X2/X3 PDU parser: the 40-byte header, the conditional
 * attribute TLVs and a sanity check of the payload's first bytes by payload format. */
#ifndef OW_LI_X2X3_H
#define OW_LI_X2X3_H

#include <stddef.h>
#include <stdint.h>

#include "classifiers/li/li_ber.h"

#define OW_X2X3_FIXED_HDR   40
#define OW_X2X3_MAX_HDR     4096        /* larger TLV areas are not plausible; we could not see them */
#define OW_X2X3_MAX_PAYLOAD (16u << 20)
#define OW_X2X3_TLV_TARGET  17          /* Matched Target Identifier */
#define OW_X2X3_MAX_TLV_TYPE 64

enum ow_x2x3_type {
    OW_X2X3_X2 = 1,
    OW_X2X3_X3 = 2,
    OW_X2X3_KEEPALIVE = 3,
    OW_X2X3_KEEPALIVE_ACK = 4,
};

struct ow_x2x3_pdu {
    uint16_t version;
    uint16_t type;            /* enum ow_x2x3_type */
    uint32_t hdr_len;         /* fixed header plus TLVs */
    uint32_t payload_len;
    uint16_t payload_format;
    uint16_t payload_dir;
    uint8_t  xid[16];
    const uint8_t *target;    /* TLV 17 value inside the parsed buffer, NULL when absent */
    size_t   target_len;
    int      header_ok;       /* fixed header and every TLV present and valid */
    size_t   size;            /* hdr_len + payload_len */
};

/* Parses the PDU at buf. OK: the whole PDU is inside avail. NEED_MORE: every byte seen fits
 * (pdu->header_ok tells whether the header and TLVs were complete). BAD: not an X2/X3 PDU. */
enum ow_parse ow_x2x3_parse(const uint8_t *buf, size_t avail, struct ow_x2x3_pdu *pdu);

#endif
