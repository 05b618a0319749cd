/* li_ber.h — a tiny bounded BER reader for the BER parsers (LI, and SNMP and LDAP among the
 * O&M ones): reads one tag/length header and finds the end of an element (definite or
 * indefinite length) without ever reading past the buffer it is given. It knows nothing
 * about any ASN.1 module. */
#ifndef OW_LI_BER_H
#define OW_LI_BER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "classifiers/classifier.h"   /* enum ow_parse */

#define OW_BER_CLASS_UNIVERSAL   0x00
#define OW_BER_CLASS_CONTEXT     0x80

/* Nesting limit when walking indefinite-length elements: hostile input cannot recurse deeper. */
#define OW_BER_MAX_DEPTH 24

struct ow_ber_hdr {
    uint8_t  cls;          /* OW_BER_CLASS_*, top two bits of the identifier octet */
    uint8_t  constructed;
    uint32_t tag;          /* tag number */
    size_t   hdr_len;      /* identifier + length octets */
    size_t   len;          /* content length; 0 when indefinite */
    int      indefinite;
};

/* Reads the identifier and length octets at buf. BAD for malformed headers (reserved length
 * 0xFF, more than 4 length octets, indefinite length on a primitive, tag number over 2^28). */
enum ow_parse ow_ber_read_hdr(const uint8_t *buf, size_t avail, struct ow_ber_hdr *h);

/* Total size (header, content and end-of-contents octets) of the element at buf, in *total.
 * For definite lengths this needs only the header; indefinite ones are walked child by child.
 * NEED_MORE when the element does not end inside avail bytes. */
enum ow_parse ow_ber_element_size(const uint8_t *buf, size_t avail, size_t *total);

/* Like ow_ber_element_size, but also checks that the children of every constructed element,
 * definite or not, tile its content exactly (what "the lengths add up" means for BER). */
enum ow_parse ow_ber_element_check(const uint8_t *buf, size_t avail, size_t *total);

/* A range of BER content that is all in memory, read element by element with definite
 * lengths only (what SNMP and LDAP allow: RFC 3417 section 8, RFC 4511 section 5.1). */
struct ow_ber_cursor {
    const uint8_t *buf;
    size_t pos, end;          /* the unread part is buf[pos..end) */
};

/* Takes the next element of c: its identifier octet (low tag numbers only) and a cursor over
 * its content. False when c is empty, or the element is malformed, indefinite, uses a high
 * tag number, or does not end inside c. */
bool ow_ber_next(struct ow_ber_cursor *c, uint8_t *ident, struct ow_ber_cursor *content);

/* The value of a non-negative INTEGER (or ENUMERATED) content of 1..5 bytes that fits in 32
 * bits. False otherwise. */
bool ow_ber_uint(const struct ow_ber_cursor *content, uint32_t *value);

/* True when content is a valid OBJECT IDENTIFIER encoding: at least one byte, minimal
 * base-128 sub-identifiers, the last one complete. */
bool ow_ber_oid_ok(const struct ow_ber_cursor *content);

#endif
