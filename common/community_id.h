/* community_id.h — Community ID v1 flow hashes (corelight/community-id-spec), computed by
 * omwitness itself because nDPI 4.2 gets flows between equal addresses wrong. */
#ifndef OW_COMMUNITY_ID_H
#define OW_COMMUNITY_ID_H

#include <stddef.h>
#include <stdint.h>

#include "common/endpoint.h"

/* Writes "1:<base64 SHA-1>" into out (at least 32 bytes). For ICMP/ICMPv6 pass the type as
 * src port and the code as dst port; the spec's request/reply pairing is applied here.
 * Returns 0, or -1 if out is too small or families differ. */
int ow_community_id(uint16_t seed, uint8_t l4_proto,
                    const struct ow_endpoint *src, const struct ow_endpoint *dst,
                    char *out, size_t outlen);

#endif
