/* li_xml.h — X1 (ETSI TS 103 221-1) and HI1 (ETSI TS 103 120) in cleartext: an HTTP
 * request or response whose XML body is in the ETSI X1 or TS 103 120 namespace. It reads
 * only the start of one direction; over TLS these flows are not seen here at all. */
#ifndef OW_LI_XML_H
#define OW_LI_XML_H

#include <stddef.h>
#include <stdint.h>

#include "classifiers/li/li_ber.h"

enum ow_xml_kind {
    OW_XML_NONE = 0,
    OW_XML_X1,
    OW_XML_HI1,
};

struct ow_xml_msg {
    uint8_t kind;             /* enum ow_xml_kind */
    int     root_seen;        /* X1Request/X1Response/X1TopLevelErrorResponse or HI1Message */
    const uint8_t *xid;       /* text of the first <xId> element, or NULL */
    size_t  xid_len;
    const uint8_t *target;    /* text of the first element inside <targetIdentifier…>, or NULL */
    size_t  target_len;
};

/* OK: an HTTP message with an X1 or HI1 XML body. NEED_MORE: an HTTP message whose headers
 * or XML body are not complete in avail. BAD: anything else. When final is set the bytes
 * are all there will be, so NEED_MORE is not returned. */
enum ow_parse ow_xml_parse(const uint8_t *buf, size_t avail, int final, struct ow_xml_msg *msg);

#endif
