/* li_ps_pdu.h — ETSI TS 102 232-1 PS-PDU parser (HI2/HI3 handover over TCP, BER): checks
 * the li-psDomainId prefix, walks the PSHeader, reads the LIID and tells which Payload
 * CHOICE the PDU carries (IRI → HI2, CC → HI3, TRI keep-alives, HI1 operations). */
#ifndef OW_LI_PS_PDU_H
#define OW_LI_PS_PDU_H

#include <stddef.h>
#include <stdint.h>

#include "classifiers/li/li_ber.h"

#define OW_PS_PDU_MAX_LEN (16u << 20)

enum ow_ps_payload {
    OW_PS_PAYLOAD_UNSEEN = 0,
    OW_PS_PAYLOAD_IRI,        /* [0] iRIPayloadSequence */
    OW_PS_PAYLOAD_CC,         /* [1] cCPayloadSequence */
    OW_PS_PAYLOAD_TRI,        /* [2] tRIPayload: keep-alives, test and padding PDUs */
    OW_PS_PAYLOAD_HI1,        /* [3] hI1-Operation or [5] threeGPP-HI1-Operation */
    OW_PS_PAYLOAD_OTHER,      /* encryption container, iLHI, HI4 and later additions */
};

struct ow_ps_pdu {
    uint8_t  version;         /* last arc of li-psDomainId {0 4 0 2 2 5 1 v} */
    uint8_t  payload;         /* enum ow_ps_payload */
    const uint8_t *liid;      /* lawfulInterceptionIdentifier inside the buffer, or NULL */
    size_t   liid_len;
    int      header_ok;       /* PSHeader complete and valid, payload CHOICE seen */
    size_t   size;            /* whole PDU when OK; declared size when definite, else 0 */
};

/* OK: the whole PDU is inside avail and every length adds up. NEED_MORE: consistent so far
 * (pdu->header_ok says how far it got). BAD: not a PS-PDU. */
enum ow_parse ow_ps_pdu_parse(const uint8_t *buf, size_t avail, struct ow_ps_pdu *pdu);

#endif
