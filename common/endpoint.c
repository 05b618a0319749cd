/* endpoint.c — text forms of addresses and protocol numbers. */
#include "common/endpoint.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

const char *ow_addr_to_text(const struct ow_endpoint *ep, char *buf, size_t buflen)
{
    int af = ep->family == OW_AF_INET6 ? AF_INET6 : AF_INET;
    if (!inet_ntop(af, ep->addr, buf, (socklen_t)buflen))
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
