/* endpoint.c — text forms of addresses and protocol numbers. */
#include "common/endpoint.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* glibc's inet_ntop formats IPv4 through sprintf: 4 % of the writer's time, which writes
 * two addresses per flow. The dotted quad by hand gives the same text. */
static bool ipv4_to_text(const uint8_t a[4], char *buf, size_t buflen)
{
    char t[16];
    size_t n = 0;
    for (int i = 0; i < 4; i++) {
        unsigned v = a[i];
        if (v >= 100)
            t[n++] = (char)('0' + v / 100);
        if (v >= 10)
            t[n++] = (char)('0' + v / 10 % 10);
        t[n++] = (char)('0' + v % 10);
        t[n++] = i < 3 ? '.' : '\0';
    }
    if (n > buflen)
        return false;
    memcpy(buf, t, n);
    return true;
}

const char *ow_addr_to_text(const struct ow_endpoint *ep, char *buf, size_t buflen)
{
    if (ep->family != OW_AF_INET6) {
        if (!ipv4_to_text(ep->addr, buf, buflen) && buflen)
            snprintf(buf, buflen, "?");
        return buf;
    }
    if (!inet_ntop(AF_INET6, ep->addr, buf, (socklen_t)buflen))
        snprintf(buf, buflen, "?");
    return buf;
}

int ow_addr_from_text(const char *text, struct ow_endpoint *ep)
{
    uint8_t tmp[16] = {0};
    if (inet_pton(AF_INET, text, tmp) == 1) {
        ep->family = OW_AF_INET4;
    } else if (inet_pton(AF_INET6, text, tmp) == 1) {
        ep->family = OW_AF_INET6;
    } else {
        return -1;
    }
    memcpy(ep->addr, tmp, sizeof tmp);
    return 0;
}

const char *ow_l4_proto_name(uint8_t p)
{
    switch (p) {
    case 1:   return "ICMP";
    case 2:   return "IGMP";
    case 6:   return "TCP";
    case 17:  return "UDP";
    case 47:  return "GRE";
    case 50:  return "ESP";
    case 51:  return "AH";
    case 58:  return "IPv6-ICMP";
    case 89:  return "OSPF";
    case 103: return "PIM";
    case 112: return "VRRP";
    case 132: return "SCTP";
    default:  return NULL;
    }
}
