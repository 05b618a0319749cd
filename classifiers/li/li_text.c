/* li_text.c — printable copies, UUID text and a bounded substring search. */
#include "classifiers/li/li_text.h"

#include <stdio.h>
#include <string.h>

void ow_li_printable(char *dst, size_t dstsz, const uint8_t *src, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    int printable = 1;

    if (dstsz == 0)
        return;
    for (size_t i = 0; i < len; i++) {
        if (src[i] < 0x20 || src[i] > 0x7E) {
            printable = 0;
            break;
        }
    }
    size_t out = 0;
    if (printable) {
        for (size_t i = 0; i < len && out + 1 < dstsz; i++)
            dst[out++] = (char)src[i];
    } else {
        static const char prefix[] = "hex:";
        for (size_t i = 0; prefix[i] && out + 1 < dstsz; i++)
            dst[out++] = prefix[i];
        for (size_t i = 0; i < len && out + 2 < dstsz; i++) {
            dst[out++] = hex[src[i] >> 4];
            dst[out++] = hex[src[i] & 0x0F];
        }
    }
    dst[out] = '\0';
}

void ow_li_uuid_text(char *dst, size_t dstsz, const uint8_t u[16])
{
    snprintf(dst, dstsz,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7],
             u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

const uint8_t *ow_li_memmem(const uint8_t *hay, size_t hay_len, const char *needle)
{
    size_t n = strlen(needle);
    if (n == 0 || n > hay_len)
        return NULL;
    return memmem(hay, hay_len, needle, n);
}

void ow_li_note_liid(struct ow_cls_evidence *ev, const uint8_t *liid, size_t len, bool from_data)
{
    if (!liid || (ev->li.liid[0] && (ev->liid_from_data || !from_data)))
        return;
    ow_li_printable(ev->li.liid, sizeof ev->li.liid, liid, len);
    ev->liid_from_data = from_data;
}
