/* engine_frames.h — Ethernet/IPv4 frames for the engine tests, and the packet message a
 * reader would queue for one: decoded by the real decoder, so key, hash and offsets are the
 * ones the engine computes. */
#ifndef OW_TEST_ENGINE_FRAMES_H
#define OW_TEST_ENGINE_FRAMES_H

#include <pcap/pcap.h>

#include "sensor/decode.h"
#include "sensor/messages.h"
#include "sensor/packet.h"
#include "sensor/ring.h"
#include "tests/decode/frame_builder.h"

enum { TF_FIN = 0x01, TF_SYN = 0x02, TF_RST = 0x04, TF_ACK = 0x10 };

static inline void udp_frame(struct fb *f, const char *src, uint16_t sport, const char *dst,
                             uint16_t dport, const char *payload)
{
    f->len = 0;
    fb_eth(f, 0x0800);
    uint32_t ip = fb_ipv4_begin(f, 17, src, dst, 1, 0);
    uint32_t u = fb_udp_begin(f, sport, dport);
    fb_text(f, payload);
    fb_udp_end(f, u);
    fb_ipv4_end(f, ip);
}

static inline void tcp_frame(struct fb *f, const char *src, uint16_t sport, const char *dst,
                             uint16_t dport, uint8_t flags)
{
    f->len = 0;
    fb_eth(f, 0x0800);
    uint32_t ip = fb_ipv4_begin(f, 6, src, dst, 1, 0);
    fb_tcp(f, sport, dport, 1000, flags);
    fb_ipv4_end(f, ip);
}

static inline void icmp_echo_frame(struct fb *f, const char *src, const char *dst)
{
    f->len = 0;
    fb_eth(f, 0x0800);
    uint32_t ip = fb_ipv4_begin(f, 1, src, dst, 1, 0);
    fb_u8(f, 8);
    fb_u8(f, 0);
    fb_be16(f, 0);
    fb_be32(f, 0x00010001);
    fb_ipv4_end(f, ip);
}

/* Decodes f as the reader does and queues it on r; the decoded key goes to *key if asked. */
static inline void push_frame(struct ow_ring *r, uint64_t ts_us, const struct fb *f,
                              struct ow_flow_key *key)
{
    struct ow_packet pkt;
    memset(&pkt, 0, sizeof pkt);
    pkt.ts_us = ts_us;
    pkt.caplen = pkt.wirelen = f->len;
    assert_int_equal(ow_decode(DLT_EN10MB, f->buf, f->len, &pkt), OW_DECODE_OK);
    struct ow_msg_packet *m = ow_ring_reserve_wait(r, sizeof *m + f->len);
    memset(m, 0, sizeof *m);
    m->type = OW_MSG_PACKET;
    m->dlt = DLT_EN10MB;
    bool from_a;
    ow_flow_key_from_packet(&pkt, &m->key, &from_a);
    m->from_a = from_a;
    m->key_hash = ow_flow_key_hash(&m->key);
    m->pkt = pkt;
    memcpy(m + 1, f->buf, f->len);
    if (key)
        *key = m->key;
    ow_ring_commit(r);
}

static inline void push_tick(struct ow_ring *r, uint64_t now_us)
{
    struct ow_msg_tick *t = ow_ring_reserve_wait(r, sizeof *t);
    t->type = OW_MSG_TICK;
    t->now_us = now_us;
    ow_ring_commit(r);
}

static inline void push_end(struct ow_ring *r)
{
    struct ow_msg_end *e = ow_ring_reserve_wait(r, sizeof *e);
    e->type = OW_MSG_END;
    ow_ring_commit(r);
}

#endif
