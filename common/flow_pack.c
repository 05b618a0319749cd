/* flow_pack.c — a flow record packed: its numeric fields copied as they are, its strings as
 * lengths and bytes. The three tables below name every field of struct ow_flow_record:
 * the numbers fixed once a flow is decided, the ones packets change or the hand-over sets
 * (packed only for the ring to the writer; the worker keeps the former in its counters,
 * sensor/flow_table.h), and the strings. The size check beneath them trips when a field is
 * added, so that it is sorted into one of them. */
#include "common/flow_pack.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"

#define FIELD(m) { offsetof(struct ow_flow_record, m), sizeof(((struct ow_flow_record *)0)->m) }

struct field {
    uint16_t off, size;
};

/* Identity, classification and verdict numbers: fixed once the flow is decided. */
#define NUMERIC_FIELDS(X) \
    X(client) X(server) X(l4_proto) X(vlan_id) X(icmp_type) X(icmp_code) X(ndpi_risk) \
    X(li.label) X(li.confidence) X(li.payload_format) X(li.pdu_count) \
    X(verdict.status) X(verdict.severity) X(verdict.overrun)

/* What packets change (the worker keeps them beside the packed record) and what is set when
 * the record is handed to the writer: packed only for the ring to the writer. */
#define CHANGING_FIELDS(X) \
    X(flow_id) X(first_ts_us) X(last_ts_us) X(end_reason) X(tunnels) X(slice) X(open) \
    X(state) X(alerted) X(late_overrun) X(decided_ts_us) X(pkts_toserver) \
    X(pkts_toclient) X(bytes_toserver) X(bytes_toclient) X(later_fragments)

#define STRING_FIELDS(X) \
    X(community_id) X(ndpi_protocol) X(ndpi_master) X(ndpi_app) X(ndpi_category) \
    X(ndpi_confidence) X(app_proto) X(ssh_client) X(ssh_server) X(hassh_client) \
    X(hassh_server) X(tls_sni) X(ja3) X(ja3s) X(tls_version) X(http_host) \
    X(http_user_agent) X(dns_query) X(li.xid) X(li.liid) X(li.target) X(verdict.rule) \
    X(verdict.kind) X(verdict.reason) X(verdict.asset_src) X(verdict.asset_dest) \
    X(verdict.asset_src_all) X(verdict.asset_dest_all) X(verdict.ticket)

#define AS_FIELD(m) FIELD(m),
#define AS_SIZE(m) + sizeof(((struct ow_flow_record *)0)->m)
#define AS_ONE(m) + 1

static const struct field numeric[] = { NUMERIC_FIELDS(AS_FIELD) };
static const struct field changing[] = { CHANGING_FIELDS(AS_FIELD) };
static const struct field strings[] = { STRING_FIELDS(AS_FIELD) };

enum {
    FIXED_BYTES = 0 NUMERIC_FIELDS(AS_SIZE),
    CHANGING_BYTES = 0 CHANGING_FIELDS(AS_SIZE),
    STRING_BYTES = 0 STRING_FIELDS(AS_SIZE),
    N_STRINGS = 0 STRING_FIELDS(AS_ONE),
};

/* Added a field to struct ow_flow_record? Put it in one of the tables above (a changing one
 * in the worker's struct ow_flow_counts too), then update this size.
 * tests/engine/test_flow_pack.c checks the round trip of every field. */
_Static_assert(sizeof(struct ow_flow_record) == 2360, "struct ow_flow_record changed");

struct ow_flow_packed {
    uint16_t text_len;
    uint8_t  with_changing;   /* the changing fields follow the fixed ones */
    uint8_t  unused;
    uint16_t len[N_STRINGS];
    unsigned char bytes[];    /* fixed fields, [changing fields], strings */
};

static size_t copy_out(unsigned char *to, const unsigned char *rec, const struct field *f,
                       size_t n)
{
    unsigned char *p = to;
    for (size_t i = 0; i < n; i++) {
        memcpy(p, rec + f[i].off, f[i].size);
        p += f[i].size;
    }
    return (size_t)(p - to);
}

static size_t copy_in(unsigned char *rec, const unsigned char *from, const struct field *f,
                      size_t n)
{
    const unsigned char *p = from;
    for (size_t i = 0; i < n; i++) {
        memcpy(rec + f[i].off, p, f[i].size);
        p += f[i].size;
    }
    return (size_t)(p - from);
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

size_t ow_flow_packed_max(void)
{
    return sizeof(struct ow_flow_packed) + FIXED_BYTES + CHANGING_BYTES + STRING_BYTES - N_STRINGS;
}

static size_t string_lengths(const unsigned char *base, uint16_t *len)
{
    size_t text_len = 0;
    for (size_t i = 0; i < N_STRINGS; i++) {
        len[i] = (uint16_t)strnlen((const char *)base + strings[i].off, strings[i].size - 1u);
        text_len += len[i];
    }
    return text_len;
}

static size_t pack(const unsigned char *base, bool with_changing, const uint16_t *len,
                   size_t text_len, struct ow_flow_packed *p)
{
    p->text_len = (uint16_t)text_len;   /* the string fields add up to under 2,360 */
    p->with_changing = with_changing;
    p->unused = 0;
    memcpy(p->len, len, sizeof p->len);
    unsigned char *at = p->bytes;
    at += copy_out(at, base, numeric, COUNT(numeric));
    if (with_changing)
        at += copy_out(at, base, changing, COUNT(changing));
    for (size_t i = 0; i < N_STRINGS; i++) {
        memcpy(at, base + strings[i].off, len[i]);
        at += len[i];
    }
    return (size_t)(at - (unsigned char *)p);
}

size_t ow_flow_pack_to(const struct ow_flow_record *rec, bool with_changing, void *buf)
{
    uint16_t len[N_STRINGS];
    size_t text_len = string_lengths((const unsigned char *)rec, len);
    return pack((const unsigned char *)rec, with_changing, len, text_len, buf);
}

struct ow_flow_packed *ow_flow_pack(const struct ow_flow_record *rec)
{
    uint16_t len[N_STRINGS];
    size_t text_len = string_lengths((const unsigned char *)rec, len);
    struct ow_flow_packed *p = ow_malloc(sizeof *p + FIXED_BYTES + text_len);
    if (!p)
        return NULL;
    pack((const unsigned char *)rec, false, len, text_len, p);
    return p;
}

void ow_flow_unpack(const struct ow_flow_packed *p, struct ow_flow_record *out)
{
    memset(out, 0, sizeof *out);
    unsigned char *base = (unsigned char *)out;
    const unsigned char *at = p->bytes;
    at += copy_in(base, at, numeric, COUNT(numeric));
    if (p->with_changing)
        at += copy_in(base, at, changing, COUNT(changing));
    for (size_t i = 0; i < N_STRINGS; i++) {
        memcpy(base + strings[i].off, at, p->len[i]);   /* the NUL is the memset's */
        at += p->len[i];
    }
}

size_t ow_flow_packed_size(const struct ow_flow_packed *p)
{
    return sizeof *p + FIXED_BYTES + (p->with_changing ? CHANGING_BYTES : 0) + p->text_len;
}

void ow_flow_packed_free(struct ow_flow_packed *p)
{
    free(p);
}
