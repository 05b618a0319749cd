/* endpoint.h — IP addresses and transport endpoints as every stage of omwitness sees them.
 * IPv4 addresses sit in the first 4 bytes of addr with the rest zero, so two endpoints
 * compare with memcmp whatever their family. */
#ifndef OW_ENDPOINT_H
#define OW_ENDPOINT_H

#include <stdint.h>
#include <stddef.h>

enum { OW_AF_INET4 = 4, OW_AF_INET6 = 6 };

/* Longest text form of an address: IPv6 with embedded IPv4, plus NUL. */
#define OW_ADDR_TEXT_LEN 46

struct ow_endpoint {
    uint8_t  family;      /* OW_AF_INET4 or OW_AF_INET6 */
    uint8_t  addr[16];    /* network byte order */
    uint16_t port;        /* host byte order; 0 for protocols without ports */
};

/* Writes the address (no port) as inet_ntop does; returns buf. */
const char *ow_addr_to_text(const struct ow_endpoint *ep, char *buf, size_t buflen);

/* Parses "10.0.0.1" or "fd00::1" into ep (port untouched); 0 on success, -1 if not an address. */
int ow_addr_from_text(const char *text, struct ow_endpoint *ep);

/* Name of an IP protocol number as EVE writes it ("TCP", "UDP", "ICMP", "IPv6-ICMP", ...). */
const char *ow_l4_proto_name(uint8_t l4_proto);

#endif
