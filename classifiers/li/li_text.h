/* li_text.h — turns wire bytes into the bounded printable strings of struct ow_li_fields. */
#ifndef OW_LI_TEXT_H
#define OW_LI_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "classifiers/classifier.h"

/* Copies src into dst (size dstsz, always NUL-terminated) as-is when every byte is printable
 * ASCII, else as "hex:" followed by lowercase hex. Truncates to fit. */
void ow_li_printable(char *dst, size_t dstsz, const uint8_t *src, size_t len);

/* Formats 16 bytes as the canonical 36-character UUID text; dstsz must be at least 37. */
void ow_li_uuid_text(char *dst, size_t dstsz, const uint8_t uuid[16]);

/* First occurrence of needle in hay, or NULL; bounded by both lengths. */
const uint8_t *ow_li_memmem(const uint8_t *hay, size_t hay_len, const char *needle);

/* Keeps the flow's LIID: the first one seen, except that one from a data PDU replaces one
 * from a keep-alive. */
void ow_li_note_liid(struct ow_cls_evidence *ev, const uint8_t *liid, size_t len, bool from_data);

#endif
