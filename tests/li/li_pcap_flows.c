/* li_pcap_flows.c — minimal decoding and flow table for the classifier tests (see the header). */
#include "tests/li/li_pcap_flows.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classifiers/proto_stream.h"

#define MAX_FLOWS 200000

struct table_entry {
    struct li_test_flow flow;
    struct ow_proto_stream *stream;
    int decided;
};

struct reader {
    struct table_entry *entries;
    uint32_t n, cap;
};

struct l4_packet {
    uint8_t family, proto;
    const uint8_t *src, *dst;
    uint16_t sport, dport;
    uint32_t seq;
    int syn;
    const uint8_t *payload;
    uint32_t len;
};

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int decode_l4(const uint8_t *p, uint32_t len, struct l4_packet *pk)
{
    if (pk->proto == 6) {
        if (len < 20)
            return -1;
        uint32_t off = (uint32_t)(p[12] >> 4) * 4;
        if (off < 20 || off > len)
            return -1;
        pk->sport = rd16(p);
        pk->dport = rd16(p + 2);
        pk->seq = rd32(p + 4);
        pk->syn = (p[13] & 0x02) != 0;
        pk->payload = p + off;
        pk->len = len - off;
        return 0;
    }
    if (pk->proto == 17) {
        if (len < 8)
            return -1;
        pk->sport = rd16(p);
        pk->dport = rd16(p + 2);
        uint32_t ulen = rd16(p + 4);
        if (ulen < 8)
            return -1;
        pk->payload = p + 8;
        pk->len = (ulen < len ? ulen : len) - 8;
        return 0;
    }
    return -1;
}

static int decode_ip(const uint8_t *p, uint32_t len, struct l4_packet *pk)
{
    if (len < 1)
        return -1;
    if ((p[0] >> 4) == 4) {
        if (len < 20)
            return -1;
        uint32_t ihl = (uint32_t)(p[0] & 0x0F) * 4;
        uint32_t total = rd16(p + 2);
        if (ihl < 20 || total < ihl || ihl > len)
            return -1;
        if (total < len)
            len = total;
        if (rd16(p + 6) & 0x3FFF)
            return -1;                        /* fragments are the engine's job */
        pk->family = 4;
        pk->proto = p[9];
        pk->src = p + 12;
        pk->dst = p + 16;
        return decode_l4(p + ihl, len - ihl, pk);
    }
    if ((p[0] >> 4) == 6) {
        if (len < 40)
            return -1;
        uint32_t plen = rd16(p + 4);
        if (40 + plen < len)
            len = 40 + plen;
        uint8_t next = p[6];
        uint32_t off = 40;
        /* hop-by-hop, routing, destination options */
        while ((next == 0 || next == 43 || next == 60) && off + 8 <= len) {
            uint32_t ext = ((uint32_t)p[off + 1] + 1) * 8;
            next = p[off];
            off += ext;
        }
        if (off > len)
            return -1;
        pk->family = 6;
        pk->proto = next;
        pk->src = p + 8;
        pk->dst = p + 24;
        return decode_l4(p + off, len - off, pk);
    }
    return -1;
}

static int decode_frame(int dlt, const uint8_t *p, uint32_t len, struct l4_packet *pk)
{
    uint32_t off = 0;
    uint16_t type = 0;

    switch (dlt) {
    case DLT_EN10MB:
        if (len < 14)
            return -1;
        type = rd16(p + 12);
        off = 14;
        while ((type == 0x8100 || type == 0x88a8) && off + 4 <= len) {
            type = rd16(p + off + 2);
            off += 4;
        }
        break;
    case DLT_LINUX_SLL:
        if (len < 16)
            return -1;
        type = rd16(p + 14);
        off = 16;
        break;
#ifdef DLT_LINUX_SLL2
    case DLT_LINUX_SLL2:
        if (len < 20)
            return -1;
        type = rd16(p);
        off = 20;
        break;
#endif
    case DLT_RAW:        /* 12 or 14 depending on the platform; LINKTYPE_RAW is 101 */
    case 101:
#ifdef DLT_IPV4
    case DLT_IPV4:
    case DLT_IPV6:
#endif
        return decode_ip(p, len, pk);
    case DLT_NULL:
    case DLT_LOOP:
        if (len < 4)
            return -1;
        return decode_ip(p + 4, len - 4, pk);
    case DLT_PPP:
        /* RFC 1662 framing: optional address/control FF 03, then the protocol */
        if (len >= 2 && p[0] == 0xFF && p[1] == 0x03)
            off = 2;
        if (off + 2 > len)
            return -1;
        type = rd16(p + off);
        off += 2;
        if (type == 0x0021)
            type = 0x0800;
        else if (type == 0x0057)
            type = 0x86DD;
        break;
    default:
        return -1;
    }
    if (off > len || (type != 0x0800 && type != 0x86DD))
        return -1;
    return decode_ip(p + off, len - off, pk);
}

static int same_endpoint(const uint8_t *a, uint16_t ap, const uint8_t *b, uint16_t bp, int alen)
{
    return ap == bp && memcmp(a, b, (size_t)alen) == 0;
}

/* The flow of pk and the direction it travels (0 client→server), creating it if new. */
static struct table_entry *find_flow(struct reader *r, const struct l4_packet *pk, int *dir)
{
    int alen = pk->family == 4 ? 4 : 16;
    for (uint32_t i = r->n; i-- > 0;) {
        struct li_test_flow *f = &r->entries[i].flow;
        if (f->l4_proto != pk->proto || f->family != pk->family)
            continue;
        if (same_endpoint(f->client_ip, f->client_port, pk->src, pk->sport, alen) &&
            same_endpoint(f->server_ip, f->server_port, pk->dst, pk->dport, alen)) {
            *dir = 0;
            return &r->entries[i];
        }
        if (same_endpoint(f->client_ip, f->client_port, pk->dst, pk->dport, alen) &&
            same_endpoint(f->server_ip, f->server_port, pk->src, pk->sport, alen)) {
            *dir = 1;
            return &r->entries[i];
        }
    }
    if (r->n >= MAX_FLOWS)
        return NULL;
    if (r->n == r->cap) {
        uint32_t cap = r->cap ? r->cap * 2 : 64;
        struct table_entry *e = realloc(r->entries, cap * sizeof *e);
        if (!e)
            return NULL;
        r->entries = e;
        r->cap = cap;
    }
    struct table_entry *e = &r->entries[r->n++];
    memset(e, 0, sizeof *e);
    e->flow.l4_proto = pk->proto;
    e->flow.family = pk->family;
    memcpy(e->flow.client_ip, pk->src, (size_t)alen);
    memcpy(e->flow.server_ip, pk->dst, (size_t)alen);
    e->flow.client_port = pk->sport;
    e->flow.server_port = pk->dport;
    e->stream = ow_proto_stream_new(pk->proto);
    *dir = 0;
    return e;
}

static void keep_result(struct li_test_flow *f, const struct ow_proto_result *res)
{
    f->li = res->li;
    memcpy(f->om_label, res->om_label, sizeof f->om_label);
    f->om_confidence = res->om_confidence;
}

int li_test_read_pcap(const char *path, struct li_test_capture *cap, char *errbuf, size_t errlen)
{
    char pcap_err[PCAP_ERRBUF_SIZE];
    memset(cap, 0, sizeof *cap);
    pcap_t *pc = pcap_open_offline(path, pcap_err);
    if (!pc) {
        snprintf(errbuf, errlen, "%s", pcap_err);
        return -1;
    }
    int dlt = pcap_datalink(pc);
    struct reader r = { 0 };
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc;

    while ((rc = pcap_next_ex(pc, &h, &data)) >= 0) {
        if (rc == 0)
            continue;
        cap->packets++;
        struct l4_packet pk;
        memset(&pk, 0, sizeof pk);
        if (decode_frame(dlt, data, h->caplen, &pk) != 0)
            continue;
        int dir = 0;
        struct table_entry *e = find_flow(&r, &pk, &dir);
        if (!e)
            continue;
        e->flow.packets++;
        if (pk.len > 0)
            e->flow.payload_packets++;
        if (e->decided) {
            if (pk.len > 0)
                e->flow.packets_after_decision++;
            continue;
        }
        ow_proto_stream_add(e->stream, dir, pk.seq, pk.syn, pk.payload, pk.len);
        struct ow_proto_result res;
        if (ow_proto_stream_result(e->stream, &res) == OW_PROTO_DECIDED) {
            /* What the worker does: keep the result, free the state now. */
            keep_result(&e->flow, &res);
            ow_proto_stream_free(e->stream);
            e->stream = NULL;
            e->decided = 1;
        }
    }
    pcap_close(pc);

    cap->flows = calloc(r.n ? r.n : 1, sizeof *cap->flows);
    for (uint32_t i = 0; i < r.n; i++) {
        if (!r.entries[i].decided) {
            struct ow_proto_result res;
            ow_proto_stream_finish(r.entries[i].stream, &res);
            keep_result(&r.entries[i].flow, &res);
            ow_proto_stream_free(r.entries[i].stream);
        }
        if (cap->flows)
            cap->flows[i] = r.entries[i].flow;
    }
    cap->n_flows = cap->flows ? r.n : 0;
    free(r.entries);
    return 0;
}

void li_test_capture_free(struct li_test_capture *cap)
{
    free(cap->flows);
    memset(cap, 0, sizeof *cap);
}

const struct li_test_flow *li_test_flow_by_port(const struct li_test_capture *cap, uint16_t port)
{
    for (uint32_t i = 0; i < cap->n_flows; i++)
        if (cap->flows[i].server_port == port)
            return &cap->flows[i];
    return NULL;
}
