/* test_decode_frames.c — decode of hand-built frames, one per link type and encapsulation,
 * plus truncation of every frame at every length (run under ASan to prove no overread). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include <pcap/pcap.h>

#include "sensor/decode.h"
#include "sensor/decode_events.h"
#include "tests/decode/frame_builder.h"

enum { TCP = 6, UDP = 17, ICMP = 1, ICMPV6 = 58, GRE = 47, IPIP = 4, IPV6 = 41, ESP = 50 };

/* Decodes from a heap copy of exactly caplen bytes so ASan sees any read past the end. */
static enum ow_decode_status decode_len(int dlt, const struct fb *f, uint32_t caplen,
                                        struct ow_packet *pkt)
{
    uint8_t *copy = malloc(caplen ? caplen : 1);
    assert_non_null(copy);
    memcpy(copy, f->buf, caplen);
    memset(pkt, 0xa5, sizeof *pkt);    /* decode must not leave any of this behind */
    pkt->ts_us = 1;
    pkt->caplen = caplen;
    pkt->wirelen = caplen;
    enum ow_decode_status status = ow_decode(dlt, copy, caplen, pkt);
    free(copy);
    return status;
}

static enum ow_decode_status decode_fb(int dlt, const struct fb *f, struct ow_packet *pkt)
{
    return decode_len(dlt, f, f->len, pkt);
}

static void assert_addr(const struct ow_endpoint *ep, const char *text)
{
    struct ow_endpoint want;
    memset(&want, 0, sizeof want);
    if (strchr(text, ':')) {
        want.family = OW_AF_INET6;
        fb_addr6(text, want.addr);
    } else {
        want.family = OW_AF_INET4;
        fb_addr4(text, want.addr);
    }
    assert_int_equal(ep->family, want.family);
    assert_memory_equal(ep->addr, want.addr, 16);
}

/* Ethernet / IPv4 / TCP "GET" with 6 bytes of Ethernet padding after the IP packet. */
static void build_eth_tcp(struct fb *f)
{
    memset(f, 0, sizeof *f);
    fb_eth(f, 0x0800);
    uint32_t ip = fb_ipv4_begin(f, TCP, "10.0.0.1", "10.0.0.2", 7, 0x4000);
    fb_tcp(f, 40000, 80, 0x11223344, 0x18);
    fb_text(f, "GET");
    fb_ipv4_end(f, ip);
    fb_zeros(f, 6);
}

static void test_ethernet_ipv4_tcp(void **state)
{
    (void)state;
    struct fb f;
    struct ow_packet pkt;
    build_eth_tcp(&f);
    assert_int_equal(decode_fb(DLT_EN10MB, &f, &pkt), OW_DECODE_OK);
    assert_int_equal(pkt.ts_us, 1);
    assert_int_equal(pkt.caplen, f.len);
    assert_int_equal(pkt.l3_off, 14);
    assert_int_equal(pkt.l3_len, 20 + 20 + 3);   /* padding is not part of the packet */
    assert_int_equal(pkt.l4_proto, TCP);
    assert_addr(&pkt.src, "10.0.0.1");
    assert_addr(&pkt.dst, "10.0.0.2");
    assert_int_equal(pkt.src.port, 40000);
    assert_int_equal(pkt.dst.port, 80);
    assert_int_equal(pkt.tcp_flags, 0x18);
    assert_int_equal(pkt.tcp_seq, 0x11223344);
    assert_int_equal(pkt.payload_off, 54);
    assert_int_equal(pkt.payload_len, 3);
    assert_memory_equal(f.buf + pkt.payload_off, "GET", 3);
    assert_int_equal(pkt.vlan_id, 0);
    assert_int_equal(pkt.tunnels, 0);
    assert_int_equal(pkt.frag, OW_FRAG_NONE);
}

static void test_snaplen_cut_ip_packet(void **state)
{
    (void)state;
    struct fb f;
    struct ow_packet pkt;
    build_eth_tcp(&f);
    /* Captured up to the end of the TCP header: the IP total length says 3 more. */
    assert_int_equal(decode_len(DLT_EN10MB, &f, 54, &pkt), OW_DECODE_OK);
    assert_int_equal(pkt.l3_len, 40);
    assert_int_equal(pkt.payload_len, 0);
    assert_int_equal(pkt.dst.port, 80);
}

static void test_vlan_and_qinq(void **state)
{
    (void)state;
    static const uint16_t outer_types[] = { 0x8100, 0x88a8, 0x9100 };
    for (size_t i = 0; i < 3; i++) {
        struct fb f = { .len = 0 };
        struct ow_packet pkt;
        fb_eth(&f, outer_types[i]);
        fb_vlan(&f, 0x2000 | 10, 0x8100);        /* priority bits must not leak into the id */
        fb_vlan(&f, 0x0fff & 200, 0x0800);
        uint32_t ip = fb_ipv4_begin(&f, UDP, "192.0.2.1", "192.0.2.2", 1, 0);
        uint32_t udp = fb_udp_begin(&f, 53, 5353);
        fb_text(&f, "x");
        fb_udp_end(&f, udp);
        fb_ipv4_end(&f, ip);
        assert_int_equal(decode_fb(DLT_EN10MB, &f, &pkt), OW_DECODE_OK);
        assert_int_equal(pkt.vlan_id, 200);
        assert_int_equal(pkt.l3_off, 22);
        assert_int_equal(pkt.src.port, 53);
        assert_int_equal(pkt.dst.port, 5353);
        assert_int_equal(pkt.payload_len, 1);
    }
}

static void test_mpls_stack(void **state)
{
    (void)state;
    struct fb f = { .len = 0 };
    struct ow_packet pkt;
    fb_eth(&f, 0x8847);
    fb_be32(&f, (16u << 12) | 64);               /* label 16, not bottom */
    fb_be32(&f, (17u << 12) | 0x100 | 64);       /* label 17, bottom of stack */
    uint32_t ip = fb_ipv6_begin(&f, UDP, "2001:db8::1", "2001:db8::2");
    uint32_t udp = fb_udp_begin(&f, 1000, 2000);
    fb_udp_end(&f, udp);
    fb_ipv6_end(&f, ip);
    assert_int_equal(decode_fb(DLT_EN10MB, &f, &pkt), OW_DECODE_OK);
    assert_true(pkt.tunnels & OW_TUNNEL_MPLS);
    assert_int_equal(pkt.l3_off, 22);
    assert_addr(&pkt.src, "2001:db8::1");
    assert_int_equal(pkt.src.port, 1000);

    /* A pseudowire control word (first nibble 0) is not guessed at. */
    f.buf[22] = 0x00;
    assert_int_equal(decode_fb(DLT_EN10MB, &f, &pkt), OW_DECODE_UNSUPPORTED);
}

static void build_pppoe(struct fb *f, uint16_t ppp_proto)
{
    memset(f, 0, sizeof *f);
    fb_eth(f, 0x8864);
    fb_u8(f, 0x11);
    fb_u8(f, 0x00);
    fb_be16(f, 0x1234);
    uint32_t len_at = f->len;
    fb_be16(f, 0);
    fb_be16(f, ppp_proto);
    uint32_t ip = fb_ipv4_begin(f, TCP, "100.64.0.1", "198.51.100.7", 9, 0);
    fb_tcp(f, 50000, 443, 1, 0x02);
    fb_ipv4_end(f, ip);
    fb_patch_be16(f, len_at, (uint16_t)(f->len - len_at - 2));
}

static void test_pppoe_session(void **state)
{
    (void)state;
    struct fb f;
    struct ow_packet pkt;
    build_pppoe(&f, 0x0021);
    assert_int_equal(decode_fb(DLT_EN10MB, &f, &pkt), OW_DECODE_OK);
    assert_true(pkt.tunnels & OW_TUNNEL_PPPOE);
    assert_int_equal(pkt.l3_off, 22);
    assert_addr(&pkt.dst, "198.51.100.7");
    assert_int_equal(pkt.dst.port, 443);
    assert_int_equal(pkt.tcp_flags, 0x02);

    build_pppoe(&f, 0xc021);                     /* LCP */
    assert_int_equal(decode_fb(DLT_EN10MB, &f, &pkt), OW_DECODE_NOT_IP);
    build_pppoe(&f, 0x0021);
    f.buf[13] = 0x63;                            /* 0x8863: discovery stage */
    assert_int_equal(decode_fb(DLT_EN10MB, &f, &pkt), OW_DECODE_NOT_IP);
}

static void test_ipv6_extension_headers(void **state)
{
    (void)state;
    struct fb f = { .len = 0 };
    struct ow_packet pkt;
    fb_eth(&f, 0x86dd);
    uint32_t ip = fb_ipv6_begin(&f, 0, "fe80::1", "ff02::16");
    fb_u8(&f, 43); fb_u8(&f, 0); fb_zeros(&f, 6);            /* hop-by-hop, 8 bytes */
    fb_u8(&f, 60); fb_u8(&f, 1); fb_zeros(&f, 14);           /* routing, 16 bytes */
    fb_u8(&f, 51); fb_u8(&f, 0); fb_zeros(&f, 6);            /* destination options */
    fb_u8(&f, ICMPV6); fb_u8(&f, 4); fb_zeros(&f, 22);       /* AH, (4+2)*4 = 24 bytes */
    fb_u8(&f, 143); fb_u8(&f, 0); fb_be16(&f, 0); fb_be32(&f, 0);
    fb_ipv6_end(&f, ip);
    assert_int_equal(decode_fb(DLT_EN10MB, &f, &pkt), OW_DECODE_OK);
    assert_int_equal(pkt.l4_proto, ICMPV6);
    assert_int_equal(pkt.icmp_type, 143);
    assert_int_equal(pkt.src.port, 0);
    assert_int_equal(pkt.l3_len, 40 + 8 + 16 + 8 + 24 + 8);
    assert_int_equal(pkt.payload_len, 0);

    /* ESP ends the chain: a flow with no ports. */
    f = (struct fb){ .len = 0 };
    fb_eth(&f, 0x86dd);
    ip = fb_ipv6_begin(&f, ESP, "2001:db8::1", "2001:db8::2");
    fb_be32(&f, 0x1000);
    fb_be32(&f, 1);
    fb_ipv6_end(&f, ip);
    assert_int_equal(decode_fb(DLT_EN10MB, &f, &pkt), OW_DECODE_OK);
    assert_int_equal(pkt.l4_proto, ESP);
    assert_int_equal(pkt.src.port, 0);
    assert_int_equal(pkt.payload_len, 8);

    /* An extension header longer than the packet is malformed. */
    f = (struct fb){ .len = 0 };
    fb_eth(&f, 0x86dd);
    ip = fb_ipv6_begin(&f, 0, "2001:db8::1", "2001:db8::2");
    fb_u8(&f, UDP); fb_u8(&f, 5); fb_zeros(&f, 6);
    fb_ipv6_end(&f, ip);
    assert_int_equal(decode_fb(DLT_EN10MB, &f, &pkt), OW_DECODE_MALFORMED);
}

static void build_ipv4_fragment(struct fb *f, uint16_t frag_field, int with_udp)
{
    memset(f, 0, sizeof *f);
    fb_eth(f, 0x0800);
    uint32_t ip = fb_ipv4_begin(f, UDP, "10.1.1.1", "10.2.2.2", 0xbeef, frag_field);
    if (with_udp) {
        fb_be16(f, 5060);
        fb_be16(f, 5061);
        fb_be16(f, 3000);                        /* length of the whole datagram */
        fb_be16(f, 0);
    }
    fb_zeros(f, 64);
    fb_ipv4_end(f, ip);
}

static void test_ipv4_fragments(void **state)
{
    (void)state;
    struct fb f;
    struct ow_packet pkt;
    build_ipv4_fragment(&f, 0x2000, 1);
    assert_int_equal(decode_fb(DLT_EN10MB, &f, &pkt), OW_DECODE_OK);
    assert_int_equal(pkt.frag, OW_FRAG_FIRST);
    assert_int_equal(pkt.frag_id, 0xbeef);
    assert_int_equal(pkt.src.port, 5060);
    assert_int_equal(pkt.dst.port, 5061);
    assert_int_equal(pkt.payload_len, 64);       /* bounded by this fragment, not UDP length */

    build_ipv4_fragment(&f, 185, 0);             /* offset 1480, last fragment */
    assert_int_equal(decode_fb(DLT_EN10MB, &f, &pkt), OW_DECODE_OK);
    assert_int_equal(pkt.frag, OW_FRAG_LATER);
    assert_int_equal(pkt.frag_id, 0xbeef);
    assert_int_equal(pkt.l4_proto, UDP);
    assert_int_equal(pkt.src.port, 0);
    assert_int_equal(pkt.dst.port, 0);
    assert_int_equal(pkt.payload_len, 0);
    assert_int_equal(pkt.l3_len, 20 + 64);
}

static void build_ipv6_fragment(struct fb *f, uint16_t offset_field)
{
    memset(f, 0, sizeof *f);
    fb_eth(f, 0x86dd);
    uint32_t ip = fb_ipv6_begin(f, 44, "2001:db8::a", "2001:db8::b");
    fb_u8(f, UDP);
    fb_u8(f, 0);
    fb_be16(f, offset_field);
    fb_be32(f, 0xcafef00d);
    if ((offset_field >> 3) == 0) {
        uint32_t udp = fb_udp_begin(f, 4500, 4501);
        fb_udp_end(f, udp);
    }
    fb_zeros(f, 32);
    fb_ipv6_end(f, ip);
}

static void test_ipv6_fragments(void **state)
{
    (void)state;
    struct fb f;
    struct ow_packet pkt;
    build_ipv6_fragment(&f, 0x0001);             /* offset 0, M */
    assert_int_equal(decode_fb(DLT_EN10MB, &f, &pkt), OW_DECODE_OK);
    assert_int_equal(pkt.frag, OW_FRAG_FIRST);
    assert_int_equal(pkt.frag_id, 0xcafef00d);
    assert_int_equal(pkt.l4_proto, UDP);
    assert_int_equal(pkt.src.port, 4500);

    build_ipv6_fragment(&f, (uint16_t)(100 << 3));
    assert_int_equal(decode_fb(DLT_EN10MB, &f, &pkt), OW_DECODE_OK);
    assert_int_equal(pkt.frag, OW_FRAG_LATER);
    assert_int_equal(pkt.frag_id, 0xcafef00d);
    assert_int_equal(pkt.l4_proto, UDP);
    assert_int_equal(pkt.src.port, 0);
    assert_int_equal(pkt.payload_len, 0);

    build_ipv6_fragment(&f, 0x0000);             /* atomic fragment: a whole packet */
    assert_int_equal(decode_fb(DLT_EN10MB, &f, &pkt), OW_DECODE_OK);
    assert_int_equal(pkt.frag, OW_FRAG_NONE);
    assert_int_equal(pkt.src.port, 4500);
}

/* Ethernet / IPv4 / GRE (flags) / inner. */
static void build_gre(struct fb *f, uint16_t flags, uint16_t proto)
{
    memset(f, 0, sizeof *f);
    fb_eth(f, 0x0800);
    uint32_t outer = fb_ipv4_begin(f, GRE, "203.0.113.1", "203.0.113.2", 1, 0);
    fb_be16(f, flags);
    fb_be16(f, proto);
    if (flags & 0x8000) fb_be32(f, 0);           /* checksum */
    if (flags & 0x2000) fb_be32(f, 42);          /* key */
    if (flags & 0x1000) fb_be32(f, 7);           /* sequence */
    if (proto == 0x6558) {
        fb_eth(f, 0x8100);
        fb_vlan(f, 33, 0x0800);
    }
    uint32_t inner = fb_ipv4_begin(f, TCP, "172.16.0.1", "172.16.0.2", 2, 0);
    fb_tcp(f, 1234, 22, 99, 0x10);
    fb_text(f, "SSH-2.0");
    fb_ipv4_end(f, inner);
    fb_ipv4_end(f, outer);
}

static void test_gre(void **state)
{
    (void)state;
    struct fb f;
    struct ow_packet pkt;
    static const uint16_t flag_sets[] = { 0x0000, 0x2000, 0x3000, 0xb000 };
    for (size_t i = 0; i < 4; i++) {
        build_gre(&f, flag_sets[i], 0x0800);
        assert_int_equal(decode_fb(DLT_EN10MB, &f, &pkt), OW_DECODE_OK);
        assert_int_equal(pkt.tunnels, OW_TUNNEL_GRE);
        assert_addr(&pkt.src, "172.16.0.1");
        assert_int_equal(pkt.l4_proto, TCP);
        assert_int_equal(pkt.src.port, 1234);
        assert_int_equal(pkt.dst.port, 22);
        assert_int_equal(pkt.payload_len, 7);
        assert_int_equal(pkt.l3_off, 14 + 20 + 4 + 4 * __builtin_popcount(flag_sets[i]));
    }

    build_gre(&f, 0x2000, 0x6558);               /* Ethernet bridged over GRE, VLAN inside */
    assert_int_equal(decode_fb(DLT_EN10MB, &f, &pkt), OW_DECODE_OK);
    assert_int_equal(pkt.tunnels, OW_TUNNEL_GRE);
    assert_int_equal(pkt.vlan_id, 33);
    assert_int_equal(pkt.dst.port, 22);

    build_gre(&f, 0x0000, 0x88be);               /* ERSPAN: not opened, the GRE flow stays */
    assert_int_equal(decode_fb(DLT_EN10MB, &f, &pkt), OW_DECODE_OK);
    assert_int_equal(pkt.tunnels, 0);
    assert_int_equal(pkt.l4_proto, GRE);
    assert_addr(&pkt.src, "203.0.113.1");
    assert_int_equal(pkt.src.port, 0);
    assert_int_equal(pkt.payload_len, pkt.l3_len - 20);
}

static void test_pptp_gre(void **state)
{
    (void)state;
    struct fb f = { .len = 0 };
    struct ow_packet pkt;
    fb_eth(&f, 0x0800);
    uint32_t outer = fb_ipv4_begin(&f, GRE, "198.51.100.1", "198.51.100.2", 1, 0);
    fb_be16(&f, 0x3081);                         /* K, S, A, version 1 */
    fb_be16(&f, 0x880b);
    uint32_t len_at = f.len;
    fb_be16(&f, 0);                              /* payload length */
    fb_be16(&f, 0x0042);                         /* call id */
    fb_be32(&f, 5);                              /* sequence */
    fb_be32(&f, 4);                              /* acknowledgment */
    uint32_t ppp = f.len;
    fb_u8(&f, 0xff);
    fb_u8(&f, 0x03);
    fb_be16(&f, 0x0021);
    uint32_t inner = fb_ipv4_begin(&f, UDP, "192.168.0.10", "192.168.0.1", 3, 0);
    uint32_t udp = fb_udp_begin(&f, 33333, 53);
    fb_udp_end(&f, udp);
    fb_ipv4_end(&f, inner);
    fb_patch_be16(&f, len_at, (uint16_t)(f.len - ppp));
    fb_ipv4_end(&f, outer);
    assert_int_equal(decode_fb(DLT_EN10MB, &f, &pkt), OW_DECODE_OK);
    assert_int_equal(pkt.tunnels, OW_TUNNEL_GRE);
    assert_addr(&pkt.src, "192.168.0.10");
    assert_int_equal(pkt.dst.port, 53);
}

static void test_ip_in_ip(void **state)
{
    (void)state;
    struct fb f = { .len = 0 };
    struct ow_packet pkt;
    fb_eth(&f, 0x0800);                          /* 6in4 */
    uint32_t outer = fb_ipv4_begin(&f, IPV6, "192.0.2.10", "192.0.2.20", 1, 0);
    uint32_t inner = fb_ipv6_begin(&f, TCP, "2001:db8:1::1", "2001:db8:2::2");
    fb_tcp(&f, 8080, 51000, 5, 0x12);
    fb_ipv6_end(&f, inner);
    fb_ipv4_end(&f, outer);
    assert_int_equal(decode_fb(DLT_EN10MB, &f, &pkt), OW_DECODE_OK);
    assert_int_equal(pkt.tunnels, OW_TUNNEL_IPIP);
    assert_int_equal(pkt.l3_off, 34);
    assert_int_equal(pkt.l3_len, 60);
    assert_addr(&pkt.dst, "2001:db8:2::2");
    assert_int_equal(pkt.src.port, 8080);

    f = (struct fb){ .len = 0 };                 /* 4in6 */
    fb_eth(&f, 0x86dd);
    outer = fb_ipv6_begin(&f, IPIP, "2001:db8::1", "2001:db8::2");
    inner = fb_ipv4_begin(&f, ICMP, "10.9.9.9", "10.8.8.8", 1, 0);
    fb_u8(&f, 8); fb_u8(&f, 0); fb_be16(&f, 0); fb_be32(&f, 0x00010001);
    fb_ipv4_end(&f, inner);
    fb_ipv6_end(&f, outer);
    assert_int_equal(decode_fb(DLT_EN10MB, &f, &pkt), OW_DECODE_OK);
    assert_int_equal(pkt.tunnels, OW_TUNNEL_IPIP);
    assert_int_equal(pkt.l4_proto, ICMP);
    assert_int_equal(pkt.icmp_type, 8);
    assert_addr(&pkt.src, "10.9.9.9");
}

static void test_tunnel_depth_is_bounded(void **state)
{
    (void)state;
    struct fb f = { .len = 0 };
    struct ow_packet pkt;
    uint32_t ip[8];
    fb_eth(&f, 0x0800);
    for (int i = 0; i < 8; i++) ip[i] = fb_ipv4_begin(&f, i < 7 ? IPIP : UDP, "10.0.0.1", "10.0.0.2", 1, 0);
    uint32_t udp = fb_udp_begin(&f, 1, 2);
    fb_udp_end(&f, udp);
    for (int i = 7; i >= 0; i--) fb_ipv4_end(&f, ip[i]);
    assert_int_equal(decode_fb(DLT_EN10MB, &f, &pkt), OW_DECODE_OK);
    assert_int_equal(pkt.l4_proto, IPIP);       /* stopped before the UDP header */
    assert_int_equal(pkt.l3_off, 14 + 4 * 20);
    assert_int_equal(pkt.src.port, 0);
}

/* Ethernet / IPv4 / UDP 2152 / GTPv1-U T-PDU with sequence and one extension header. */
static void build_gtpu(struct fb *f, uint8_t msg_type)
{
    memset(f, 0, sizeof *f);
    fb_eth(f, 0x0800);
    uint32_t outer = fb_ipv4_begin(f, UDP, "10.100.0.1", "10.100.0.2", 1, 0);
    uint32_t udp = fb_udp_begin(f, 2152, 2152);
    fb_u8(f, 0x36);                              /* version 1, PT, E, S */
    fb_u8(f, msg_type);
    uint32_t len_at = f->len;
    fb_be16(f, 0);
    fb_be32(f, 0x01020304);                      /* TEID */
    fb_be16(f, 77);                              /* sequence */
    fb_u8(f, 0);                                 /* N-PDU */
    fb_u8(f, 0x85);                              /* next: PDU session container */
    fb_u8(f, 1); fb_u8(f, 0x10); fb_u8(f, 0x09); fb_u8(f, 0x00);
    uint32_t inner = fb_ipv4_begin(f, TCP, "100.72.1.5", "93.184.216.34", 3, 0x4000);
    fb_tcp(f, 44444, 443, 123456, 0x02);
    fb_ipv4_end(f, inner);
    fb_patch_be16(f, len_at, (uint16_t)(f->len - len_at - 6));
    fb_udp_end(f, udp);
    fb_ipv4_end(f, outer);
}

static void test_gtpu(void **state)
{
    (void)state;
    struct fb f;
    struct ow_packet pkt;
    build_gtpu(&f, 0xff);
    assert_int_equal(decode_fb(DLT_EN10MB, &f, &pkt), OW_DECODE_OK);
    assert_int_equal(pkt.tunnels, OW_TUNNEL_GTPU);
    assert_int_equal(pkt.l3_off, 14 + 20 + 8 + 12 + 4);
    assert_addr(&pkt.src, "100.72.1.5");
    assert_addr(&pkt.dst, "93.184.216.34");
    assert_int_equal(pkt.src.port, 44444);
    assert_int_equal(pkt.dst.port, 443);
    assert_int_equal(pkt.tcp_flags, 0x02);

    build_gtpu(&f, 0x01);                        /* echo request: the GTP flow itself */
    assert_int_equal(decode_fb(DLT_EN10MB, &f, &pkt), OW_DECODE_OK);
    assert_int_equal(pkt.tunnels, 0);
    assert_addr(&pkt.src, "10.100.0.1");
    assert_int_equal(pkt.src.port, 2152);
    assert_int_equal(pkt.l4_proto, UDP);
}

/* IPv4 / UDP 111 -> 222 / "data", appended after whatever link header f already holds. */
static void build_ipv4_udp_at(struct fb *f)
{
    uint32_t ip = fb_ipv4_begin(f, UDP, "127.0.0.1", "127.0.0.2", 1, 0);
    uint32_t udp = fb_udp_begin(f, 111, 222);
    fb_text(f, "data");
    fb_udp_end(f, udp);
    fb_ipv4_end(f, ip);
}

static void expect_udp_at(int dlt, const struct fb *f, uint32_t l3_off)
{
    struct ow_packet pkt;
    assert_int_equal(decode_fb(dlt, f, &pkt), OW_DECODE_OK);
    assert_int_equal(pkt.l3_off, l3_off);
    assert_int_equal(pkt.src.port, 111);
    assert_int_equal(pkt.dst.port, 222);
    assert_int_equal(pkt.payload_len, 4);
}

static void test_link_types(void **state)
{
    (void)state;
    struct fb f;

    f = (struct fb){ .len = 0 };                 /* Linux cooked v1 */
    fb_be16(&f, 0); fb_be16(&f, 1); fb_be16(&f, 6); fb_zeros(&f, 8); fb_be16(&f, 0x0800);
    build_ipv4_udp_at(&f);
    expect_udp_at(DLT_LINUX_SLL, &f, 16);

    f = (struct fb){ .len = 0 };                 /* Linux cooked v2 */
    fb_be16(&f, 0x0800); fb_be16(&f, 0); fb_be32(&f, 2); fb_be16(&f, 1);
    fb_u8(&f, 0); fb_u8(&f, 6); fb_zeros(&f, 8);
    build_ipv4_udp_at(&f);
    expect_udp_at(DLT_LINUX_SLL2, &f, 20);

    f = (struct fb){ .len = 0 };                 /* BSD loopback, little-endian host */
    fb_u8(&f, 2); fb_zeros(&f, 3);
    build_ipv4_udp_at(&f);
    expect_udp_at(DLT_NULL, &f, 4);
    f.buf[0] = 0; f.buf[3] = 2;                  /* same, big-endian host / DLT_LOOP */
    expect_udp_at(DLT_NULL, &f, 4);
    expect_udp_at(DLT_LOOP, &f, 4);

    f = (struct fb){ .len = 0 };
    build_ipv4_udp_at(&f);
    expect_udp_at(DLT_RAW, &f, 0);
    expect_udp_at(101, &f, 0);
    expect_udp_at(DLT_IPV4, &f, 0);

    f = (struct fb){ .len = 0 };                 /* PPP with address/control */
    fb_u8(&f, 0xff); fb_u8(&f, 0x03); fb_be16(&f, 0x0021);
    build_ipv4_udp_at(&f);
    expect_udp_at(DLT_PPP, &f, 4);
    expect_udp_at(DLT_PPP_SERIAL, &f, 4);

    f = (struct fb){ .len = 0 };                 /* PPP, protocol field compressed */
    fb_u8(&f, 0x21);
    build_ipv4_udp_at(&f);
    expect_udp_at(DLT_PPP, &f, 1);

    f = (struct fb){ .len = 0 };                 /* Cisco HDLC, also seen on PPP_SERIAL */
    fb_u8(&f, 0x0f); fb_u8(&f, 0x00); fb_be16(&f, 0x0800);
    build_ipv4_udp_at(&f);
    expect_udp_at(DLT_C_HDLC, &f, 4);
    expect_udp_at(DLT_PPP_SERIAL, &f, 4);

    f = (struct fb){ .len = 0 };                 /* 802.3 length + LLC/SNAP */
    fb_eth(&f, 0);
    fb_u8(&f, 0xaa); fb_u8(&f, 0xaa); fb_u8(&f, 0x03); fb_zeros(&f, 3); fb_be16(&f, 0x0800);
    build_ipv4_udp_at(&f);
    fb_patch_be16(&f, 12, (uint16_t)(f.len - 14));
    expect_udp_at(DLT_EN10MB, &f, 22);

    f = (struct fb){ .len = 0 };                 /* radiotap + 802.11 QoS data + SNAP */
    fb_u8(&f, 0); fb_u8(&f, 0); fb_u8(&f, 8); fb_u8(&f, 0); fb_be32(&f, 0);
    fb_u8(&f, 0x88); fb_u8(&f, 0x01); fb_zeros(&f, 22); fb_be16(&f, 0);
    fb_u8(&f, 0xaa); fb_u8(&f, 0xaa); fb_u8(&f, 0x03); fb_zeros(&f, 3); fb_be16(&f, 0x0800);
    build_ipv4_udp_at(&f);
    expect_udp_at(DLT_IEEE802_11_RADIO, &f, 8 + 26 + 8);

    f = (struct fb){ .len = 0 };                 /* raw IPv6 on DLT_RAW and DLT_IPV6 */
    uint32_t ip = fb_ipv6_begin(&f, UDP, "::1", "::1");
    uint32_t udp = fb_udp_begin(&f, 111, 222);
    fb_text(&f, "data");
    fb_udp_end(&f, udp);
    fb_ipv6_end(&f, ip);
    expect_udp_at(DLT_RAW, &f, 0);
    expect_udp_at(DLT_IPV6, &f, 0);

    f = (struct fb){ .len = 0 };                 /* BSD loopback, IPv6 on Darwin */
    fb_be32(&f, 30);
    ip = fb_ipv6_begin(&f, UDP, "::1", "::2");
    udp = fb_udp_begin(&f, 111, 222);
    fb_text(&f, "data");
    fb_udp_end(&f, udp);
    fb_ipv6_end(&f, ip);
    expect_udp_at(DLT_LOOP, &f, 4);
}

static void test_not_ip_and_unsupported(void **state)
{
    (void)state;
    struct fb f = { .len = 0 };
    struct ow_packet pkt;
    fb_eth(&f, 0x0806);
    fb_zeros(&f, 28);
    assert_int_equal(decode_fb(DLT_EN10MB, &f, &pkt), OW_DECODE_NOT_IP);

    f = (struct fb){ .len = 0 };                 /* 802.3 + LLC for spanning tree */
    fb_eth(&f, 38);
    fb_u8(&f, 0x42); fb_u8(&f, 0x42); fb_u8(&f, 0x03); fb_zeros(&f, 35);
    assert_int_equal(decode_fb(DLT_EN10MB, &f, &pkt), OW_DECODE_NOT_IP);

    assert_false(ow_decode_supports_dlt(DLT_FRELAY));
    assert_true(ow_decode_supports_dlt(DLT_EN10MB));
    assert_true(ow_decode_supports_dlt(DLT_LINUX_SLL2));
    assert_int_equal(decode_fb(DLT_FRELAY, &f, &pkt), OW_DECODE_UNSUPPORTED);
    assert_int_equal(pkt.l4_proto, 0);           /* failed decode leaves nothing behind */
    assert_int_equal(pkt.src.family, 0);
}

static void test_malformed_headers(void **state)
{
    (void)state;
    struct fb f;
    struct ow_packet pkt;

    build_eth_tcp(&f);
    f.buf[14] = 0x44;                            /* IHL 4 */
    assert_int_equal(decode_fb(DLT_EN10MB, &f, &pkt), OW_DECODE_MALFORMED);

    build_eth_tcp(&f);
    fb_patch_be16(&f, 16, 19);                   /* total length below the header */
    assert_int_equal(decode_fb(DLT_EN10MB, &f, &pkt), OW_DECODE_MALFORMED);

    build_eth_tcp(&f);
    f.buf[14] = 0x55;                            /* version 5 behind EtherType 0x0800 */
    assert_int_equal(decode_fb(DLT_EN10MB, &f, &pkt), OW_DECODE_MALFORMED);

    build_eth_tcp(&f);
    f.buf[14 + 20 + 12] = 0x40;                  /* TCP data offset 4 words */
    assert_int_equal(decode_fb(DLT_EN10MB, &f, &pkt), OW_DECODE_MALFORMED);

    build_eth_tcp(&f);
    f.buf[14 + 20 + 12] = 0xf0;                  /* options run past the packet: no payload */
    assert_int_equal(decode_fb(DLT_EN10MB, &f, &pkt), OW_DECODE_OK);
    assert_int_equal(pkt.dst.port, 80);
    assert_int_equal(pkt.payload_len, 0);

    build_eth_tcp(&f);
    fb_patch_be16(&f, 16, 20 + 10);              /* IP says the TCP header is cut short */
    assert_int_equal(decode_fb(DLT_EN10MB, &f, &pkt), OW_DECODE_MALFORMED);
}

static void test_sctp_and_icmp(void **state)
{
    (void)state;
    struct fb f = { .len = 0 };
    struct ow_packet pkt;
    fb_eth(&f, 0x0800);
    uint32_t ip = fb_ipv4_begin(&f, 132, "10.0.0.1", "10.0.0.2", 1, 0);
    fb_be16(&f, 2905); fb_be16(&f, 2906); fb_be32(&f, 1); fb_be32(&f, 0);
    fb_zeros(&f, 16);
    fb_ipv4_end(&f, ip);
    assert_int_equal(decode_fb(DLT_EN10MB, &f, &pkt), OW_DECODE_OK);
    assert_int_equal(pkt.l4_proto, 132);
    assert_int_equal(pkt.src.port, 2905);
    assert_int_equal(pkt.dst.port, 2906);
    assert_int_equal(pkt.payload_len, 16);

    f = (struct fb){ .len = 0 };
    fb_eth(&f, 0x0800);
    ip = fb_ipv4_begin(&f, ICMP, "10.0.0.1", "10.0.0.2", 1, 0);
    fb_u8(&f, 3); fb_u8(&f, 3); fb_be16(&f, 0); fb_be32(&f, 0);
    fb_zeros(&f, 28);
    fb_ipv4_end(&f, ip);
    assert_int_equal(decode_fb(DLT_EN10MB, &f, &pkt), OW_DECODE_OK);
    assert_int_equal(pkt.icmp_type, 3);
    assert_int_equal(pkt.icmp_code, 3);
    assert_int_equal(pkt.src.port, 0);
    assert_int_equal(pkt.dst.port, 0);
    assert_int_equal(pkt.payload_len, 28);
}

/* Ethernet / IPv4 / GRE with sequence / ERSPAN II header / Ethernet / IPv4 / UDP. */
static void test_erspan_and_fabricpath(void **state)
{
    (void)state;
    struct fb f = { .len = 0 };
    struct ow_packet pkt;
    fb_eth(&f, 0x0800);
    uint32_t outer = fb_ipv4_begin(&f, GRE, "10.0.0.1", "10.0.0.2", 1, 0);
    fb_be16(&f, 0x1000);
    fb_be16(&f, 0x88be);
    fb_be32(&f, 1);                              /* sequence */
    fb_be32(&f, 0x10640001);                     /* ERSPAN II: version 1, VLAN 100, session 1 */
    fb_be32(&f, 0);
    fb_eth(&f, 0x0800);
    uint32_t inner = fb_ipv4_begin(&f, UDP, "192.168.7.1", "192.168.7.2", 1, 0);
    uint32_t udp = fb_udp_begin(&f, 161, 40000);
    fb_udp_end(&f, udp);
    fb_ipv4_end(&f, inner);
    fb_ipv4_end(&f, outer);
    assert_int_equal(decode_fb(DLT_EN10MB, &f, &pkt), OW_DECODE_OK);
    assert_int_equal(pkt.tunnels, OW_TUNNEL_GRE);
    assert_addr(&pkt.src, "192.168.7.1");
    assert_int_equal(pkt.src.port, 161);
    assert_int_equal(pkt.l3_off, 14 + 20 + 8 + 8 + 14);

    f = (struct fb){ .len = 0 };                 /* FabricPath: outer MACs, 0x8903, FTag/TTL */
    fb_eth(&f, 0x8903);
    fb_be16(&f, 0x0001);
    fb_eth(&f, 0x8100);
    fb_vlan(&f, 7, 0x0800);
    build_ipv4_udp_at(&f);
    assert_int_equal(decode_fb(DLT_EN10MB, &f, &pkt), OW_DECODE_OK);
    assert_int_equal(pkt.vlan_id, 7);
    assert_int_equal(pkt.l3_off, 16 + 14 + 4);
    assert_int_equal(pkt.dst.port, 222);

    /* FabricPath headers stacked without end: bounded, no deep recursion. */
    f = (struct fb){ .len = 0 };
    for (int i = 0; i < 100; i++) {
        fb_eth(&f, 0x8903);
        fb_be16(&f, 0);
    }
    assert_int_equal(decode_fb(DLT_EN10MB, &f, &pkt), OW_DECODE_UNSUPPORTED);
}

/* Ethernet / IPv4 / UDP 5247 / CAPWAP (HLEN 2 words, T=1, WBID=1) / 802.11 data / SNAP / IPv4. */
static void test_capwap(void **state)
{
    (void)state;
    struct fb f = { .len = 0 };
    struct ow_packet pkt;
    fb_eth(&f, 0x0800);
    uint32_t outer = fb_ipv4_begin(&f, UDP, "192.168.10.10", "192.168.10.9", 1, 0);
    uint32_t udp = fb_udp_begin(&f, 12380, 5247);
    fb_u8(&f, 0x00);
    fb_u8(&f, 2 << 3);
    fb_u8(&f, (1 << 1) | 1);
    fb_u8(&f, 0x00);
    fb_be32(&f, 0);
    fb_u8(&f, 0x08); fb_u8(&f, 0x01); fb_zeros(&f, 22);         /* data, to-DS */
    fb_u8(&f, 0xaa); fb_u8(&f, 0xaa); fb_u8(&f, 0x03); fb_zeros(&f, 3); fb_be16(&f, 0x0800);
    build_ipv4_udp_at(&f);
    fb_udp_end(&f, udp);
    fb_ipv4_end(&f, outer);
    assert_int_equal(decode_fb(DLT_EN10MB, &f, &pkt), OW_DECODE_OK);
    assert_int_equal(pkt.tunnels, 1u << 5);
    assert_int_equal(pkt.src.port, 111);
    assert_int_equal(pkt.l3_off, 14 + 20 + 8 + 8 + 24 + 8);

    f.buf[14 + 20 + 8] = 0x01;                   /* DTLS preamble: the CAPWAP flow itself */
    assert_int_equal(decode_fb(DLT_EN10MB, &f, &pkt), OW_DECODE_OK);
    assert_int_equal(pkt.tunnels, 0);
    assert_int_equal(pkt.dst.port, 5247);
}

/* The first fragment of a GRE packet is the GRE flow, like the later fragments that follow. */
static void test_fragmented_tunnel_is_not_opened(void **state)
{
    (void)state;
    struct fb f;
    struct ow_packet pkt;
    build_gre(&f, 0x0000, 0x0800);
    fb_patch_be16(&f, 14 + 6, 0x2000);           /* MF */
    assert_int_equal(decode_fb(DLT_EN10MB, &f, &pkt), OW_DECODE_OK);
    assert_int_equal(pkt.frag, OW_FRAG_FIRST);
    assert_int_equal(pkt.tunnels, 0);
    assert_int_equal(pkt.l4_proto, GRE);
    assert_addr(&pkt.src, "203.0.113.1");
}

/* Every prefix of a frame decodes to MALFORMED or OK; when OK, everything decode points at
 * lies inside the captured prefix and the ports are ones the frame really carries. */
static void truncate_everywhere(int dlt, const struct fb *f, const uint16_t (*port_pairs)[2],
                                size_t n_pairs, uint32_t *ok_count)
{
    for (uint32_t caplen = 0; caplen <= f->len; caplen++) {
        struct ow_packet pkt;
        enum ow_decode_status status = decode_len(dlt, f, caplen, &pkt);
        if (status != OW_DECODE_OK) {
            assert_int_equal(status, OW_DECODE_MALFORMED);
            continue;
        }
        (*ok_count)++;
        assert_true(pkt.l3_off + pkt.l3_len <= caplen);
        assert_true(pkt.payload_off + pkt.payload_len <= caplen);
        assert_true(pkt.payload_off >= pkt.l3_off);
        bool known = false;
        for (size_t i = 0; i < n_pairs; i++)
            if (pkt.src.port == port_pairs[i][0] && pkt.dst.port == port_pairs[i][1]) known = true;
        assert_true(known);
    }
}

static void test_truncation_at_every_offset(void **state)
{
    (void)state;
    struct fb f;
    uint32_t ok = 0;

    build_eth_tcp(&f);
    static const uint16_t tcp_ports[][2] = { { 40000, 80 } };
    truncate_everywhere(DLT_EN10MB, &f, tcp_ports, 1, &ok);
    assert_int_equal(ok, f.len - 54 + 1);        /* OK from the end of the TCP header on */

    ok = 0;
    build_gtpu(&f, 0xff);
    static const uint16_t gtp_ports[][2] = { { 2152, 2152 }, { 44444, 443 } };
    truncate_everywhere(DLT_EN10MB, &f, gtp_ports, 2, &ok);
    assert_true(ok > 0);

    static const uint16_t gre_ports[][2] = { { 0, 0 }, { 1234, 22 } };
    build_gre(&f, 0xb000, 0x0800);
    truncate_everywhere(DLT_EN10MB, &f, gre_ports, 2, &ok);
    build_gre(&f, 0x2000, 0x6558);
    truncate_everywhere(DLT_EN10MB, &f, gre_ports, 2, &ok);

    static const uint16_t frag_ports[][2] = { { 4500, 4501 }, { 0, 0 } };
    build_ipv6_fragment(&f, 0x0001);
    truncate_everywhere(DLT_EN10MB, &f, frag_ports, 2, &ok);
    build_ipv6_fragment(&f, 0x0320);
    truncate_everywhere(DLT_EN10MB, &f, frag_ports, 2, &ok);

    static const uint16_t pppoe_ports[][2] = { { 50000, 443 } };
    build_pppoe(&f, 0x0021);
    truncate_everywhere(DLT_EN10MB, &f, pppoe_ports, 1, &ok);
}

/* Random bytes behind every link type: no crash, no read outside the frame. */
static void test_random_frames(void **state)
{
    (void)state;
    static const int dlts[] = { DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_NULL,
                                DLT_LOOP, DLT_PPP, DLT_PPP_SERIAL, DLT_C_HDLC,
                                DLT_IEEE802_11_RADIO, DLT_PPP_ETHER };
    uint32_t seed = 12345;
    struct fb f;
    for (int round = 0; round < 20000; round++) {
        build_gtpu(&f, 0xff);
        /* Flip a few bytes of a valid frame so decode gets deep before it meets nonsense. */
        for (int k = 0; k < 4; k++) {
            seed = seed * 1103515245u + 12345u;
            f.buf[(seed >> 8) % f.len] = (uint8_t)(seed >> 24);
        }
        seed = seed * 1103515245u + 12345u;
        uint32_t caplen = (seed >> 8) % (f.len + 1);
        struct ow_packet pkt;
        int dlt = dlts[round % (int)(sizeof dlts / sizeof dlts[0])];
        if (decode_len(dlt, &f, caplen, &pkt) == OW_DECODE_OK) {
            assert_true(pkt.l3_off + pkt.l3_len <= caplen);
            assert_true(pkt.payload_off + pkt.payload_len <= caplen);
        }
    }
}

/* Each failure names the check that ended it, and the status follows the event's class. */
static void expect_event(int dlt, const struct fb *f, uint32_t caplen, enum ow_decode_status st,
                         enum ow_decode_event ev)
{
    struct ow_packet pkt;
    assert_int_equal(decode_len(dlt, f, caplen, &pkt), st);
    assert_string_equal(ow_decode_event_name((enum ow_decode_event)pkt.decode_event),
                        ow_decode_event_name(ev));
}

static void test_decode_events(void **state)
{
    (void)state;
    struct fb f;
    build_eth_tcp(&f);
    expect_event(DLT_EN10MB, &f, f.len, OW_DECODE_OK, OW_DEV_NONE);
    expect_event(DLT_EN10MB, &f, 10, OW_DECODE_MALFORMED, OW_DEV_ETH_HEADER_SHORT);
    expect_event(DLT_EN10MB, &f, 14 + 19, OW_DECODE_MALFORMED, OW_DEV_IPV4_HEADER_SHORT);
    expect_event(DLT_EN10MB, &f, 14 + 20 + 10, OW_DECODE_MALFORMED, OW_DEV_TCP_HEADER_SHORT);
    expect_event(9999, &f, f.len, OW_DECODE_UNSUPPORTED, OW_DEV_UNSUPPORTED_LINKTYPE);

    build_eth_tcp(&f);
    f.buf[14] = 0x55;
    expect_event(DLT_EN10MB, &f, f.len, OW_DECODE_MALFORMED, OW_DEV_IPV4_BAD_VERSION);
    f.buf[14] = 0x44;
    expect_event(DLT_EN10MB, &f, f.len, OW_DECODE_MALFORMED, OW_DEV_IPV4_BAD_IHL);

    build_eth_tcp(&f);
    f.buf[16] = 0;
    f.buf[17] = 10;
    expect_event(DLT_EN10MB, &f, f.len, OW_DECODE_MALFORMED, OW_DEV_IPV4_TOTAL_LEN_SHORT);

    build_eth_tcp(&f);
    f.buf[14 + 20 + 12] = 0x40;
    expect_event(DLT_EN10MB, &f, f.len, OW_DECODE_MALFORMED, OW_DEV_TCP_BAD_DATA_OFFSET);

    build_eth_tcp(&f);
    f.buf[12] = 0x88;     /* LLDP */
    f.buf[13] = 0xcc;
    expect_event(DLT_EN10MB, &f, f.len, OW_DECODE_NOT_IP, OW_DEV_UNSUPPORTED_ETHERTYPE);
}

/* Names are stored with runs: each is set and none is used twice. */
static void test_decode_event_names(void **state)
{
    (void)state;
    assert_string_equal(ow_decode_event_name(OW_DEV_IPV4_HEADER_SHORT), "ipv4_header_short");
    assert_string_equal(ow_decode_event_class_name(OW_DEV_UNSUPPORTED_LINKTYPE), "unsupported");
    for (int a = 0; a < OW_DECODE_EVENT_COUNT; a++) {
        assert_non_null(ow_decode_event_name((enum ow_decode_event)a));
        for (int b = a + 1; b < OW_DECODE_EVENT_COUNT; b++)
            assert_string_not_equal(ow_decode_event_name((enum ow_decode_event)a),
                                    ow_decode_event_name((enum ow_decode_event)b));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ethernet_ipv4_tcp),
        cmocka_unit_test(test_snaplen_cut_ip_packet),
        cmocka_unit_test(test_vlan_and_qinq),
        cmocka_unit_test(test_mpls_stack),
        cmocka_unit_test(test_pppoe_session),
        cmocka_unit_test(test_ipv6_extension_headers),
        cmocka_unit_test(test_ipv4_fragments),
        cmocka_unit_test(test_ipv6_fragments),
        cmocka_unit_test(test_gre),
        cmocka_unit_test(test_pptp_gre),
        cmocka_unit_test(test_ip_in_ip),
        cmocka_unit_test(test_tunnel_depth_is_bounded),
        cmocka_unit_test(test_gtpu),
        cmocka_unit_test(test_link_types),
        cmocka_unit_test(test_erspan_and_fabricpath),
        cmocka_unit_test(test_capwap),
        cmocka_unit_test(test_fragmented_tunnel_is_not_opened),
        cmocka_unit_test(test_not_ip_and_unsupported),
        cmocka_unit_test(test_malformed_headers),
        cmocka_unit_test(test_sctp_and_icmp),
        cmocka_unit_test(test_truncation_at_every_offset),
        cmocka_unit_test(test_random_frames),
        cmocka_unit_test(test_decode_events),
        cmocka_unit_test(test_decode_event_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
