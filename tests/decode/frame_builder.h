/* frame_builder.h — builds test frames byte by byte (Ethernet, tags, IP, tunnels, L4) so
 * each decode test states its packet explicitly. Lengths are patched when a layer ends. */
#ifndef OW_TEST_FRAME_BUILDER_H
#define OW_TEST_FRAME_BUILDER_H

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

struct fb {
    uint8_t buf[2048];
    uint32_t len;
};

static inline void fb_bytes(struct fb *f, const void *p, size_t n)
{
    memcpy(f->buf + f->len, p, n);
    f->len += (uint32_t)n;
}

static inline void fb_u8(struct fb *f, uint8_t v) { f->buf[f->len++] = v; }

static inline void fb_be16(struct fb *f, uint16_t v)
{
    fb_u8(f, (uint8_t)(v >> 8));
    fb_u8(f, (uint8_t)v);
}

static inline void fb_be32(struct fb *f, uint32_t v)
{
    fb_be16(f, (uint16_t)(v >> 16));
    fb_be16(f, (uint16_t)v);
}

static inline void fb_zeros(struct fb *f, size_t n)
{
    memset(f->buf + f->len, 0, n);
    f->len += (uint32_t)n;
}

static inline void fb_patch_be16(struct fb *f, uint32_t off, uint16_t v)
{
    f->buf[off] = (uint8_t)(v >> 8);
    f->buf[off + 1] = (uint8_t)v;
}

static inline void fb_eth(struct fb *f, uint16_t type)
{
    static const uint8_t macs[12] = { 0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6 };
    fb_bytes(f, macs, sizeof macs);
    fb_be16(f, type);
}

static inline void fb_vlan(struct fb *f, uint16_t tci, uint16_t next_type)
{
    fb_be16(f, tci);
    fb_be16(f, next_type);
}

static inline void fb_addr4(const char *text, uint8_t out[4]) { inet_pton(AF_INET, text, out); }
static inline void fb_addr6(const char *text, uint8_t out[16]) { inet_pton(AF_INET6, text, out); }

/* Starts an IPv4 header; returns its offset for fb_ipv4_end. frag_field is the flags +
 * fragment offset word (0x2000 = MF). */
static inline uint32_t fb_ipv4_begin(struct fb *f, uint8_t proto, const char *src, const char *dst,
                                     uint16_t id, uint16_t frag_field)
{
    uint32_t off = f->len;
    uint8_t a[4];
    fb_u8(f, 0x45);
    fb_u8(f, 0);
    fb_be16(f, 0);              /* total length, patched */
    fb_be16(f, id);
    fb_be16(f, frag_field);
    fb_u8(f, 64);
    fb_u8(f, proto);
    fb_be16(f, 0);
    fb_addr4(src, a);
    fb_bytes(f, a, 4);
    fb_addr4(dst, a);
    fb_bytes(f, a, 4);
    return off;
}

static inline void fb_ipv4_end(struct fb *f, uint32_t off)
{
    fb_patch_be16(f, off + 2, (uint16_t)(f->len - off));
}

static inline uint32_t fb_ipv6_begin(struct fb *f, uint8_t next, const char *src, const char *dst)
{
    uint32_t off = f->len;
    uint8_t a[16];
    fb_be32(f, 0x60000000);
    fb_be16(f, 0);              /* payload length, patched */
    fb_u8(f, next);
    fb_u8(f, 64);
    fb_addr6(src, a);
    fb_bytes(f, a, 16);
    fb_addr6(dst, a);
    fb_bytes(f, a, 16);
    return off;
}

static inline void fb_ipv6_end(struct fb *f, uint32_t off)
{
    fb_patch_be16(f, off + 4, (uint16_t)(f->len - off - 40));
}

static inline uint32_t fb_udp_begin(struct fb *f, uint16_t sport, uint16_t dport)
{
    uint32_t off = f->len;
    fb_be16(f, sport);
    fb_be16(f, dport);
    fb_be16(f, 0);
    fb_be16(f, 0);
    return off;
}

static inline void fb_udp_end(struct fb *f, uint32_t off)
{
    fb_patch_be16(f, off + 4, (uint16_t)(f->len - off));
}

static inline void fb_tcp(struct fb *f, uint16_t sport, uint16_t dport, uint32_t seq, uint8_t flags)
{
    fb_be16(f, sport);
    fb_be16(f, dport);
    fb_be32(f, seq);
    fb_be32(f, 0);
    fb_u8(f, 0x50);
    fb_u8(f, flags);
    fb_be16(f, 65535);
    fb_be32(f, 0);
}

static inline void fb_text(struct fb *f, const char *s) { fb_bytes(f, s, strlen(s)); }

#endif
