/* test_flow_pack.c — a decided flow's packed record: every field comes back from the round
 * trip (numbers as they were, strings whole, an unterminated one cut at its field's end),
 * a flow table entry gives the same record to the writer packed as whole, and a decided
 * flow's entry and packed record stay within 512 bytes besides the strings it holds
 * (issue 12, docs/architecture.md "Memory"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/flow_pack.h"
#include "sensor/flow_table.h"

#define SET(field, text) snprintf((field), sizeof(field), "%s", (text))
#define FILL(field, c) do { memset((field), (c), sizeof(field) - 1); (field)[sizeof(field) - 1] = '\0'; } while (0)

/* Every field set: the numbers to distinct values, every string to its longest. */
static void full_record(struct ow_flow_record *r)
{
    memset(r, 0, sizeof *r);
    r->flow_id = 0x1234567890ULL;
    r->first_ts_us = 1700000000000001ULL;
    r->last_ts_us = 1700000000900002ULL;
    r->client.family = 6;
    for (int i = 0; i < 16; i++) {
        r->client.addr[i] = (uint8_t)(i + 1);
        r->server.addr[i] = (uint8_t)(0xf0 + i);
    }
    r->client.port = 40001;
    r->server.family = 6;
    r->server.port = 443;
    r->l4_proto = 6;
    r->end_reason = 0;          /* set at hand-over, not packed */
    r->vlan_id = 4094;
    r->tunnels = 3;
    r->icmp_type = 8;
    r->icmp_code = 1;
    r->slice = 7;
    r->decided_ts_us = 1700000000000500ULL;
    r->late_overrun = 1;
    r->pkts_toserver = 11;
    r->pkts_toclient = 12;
    r->bytes_toserver = 1300;
    r->bytes_toclient = 1400;
    r->later_fragments = 5;
    r->ndpi_risk = 0x8000000000000001ULL;
    r->li.label = OW_LI_X2;
    r->li.confidence = 90;
    r->li.payload_format = 0x1234;
    r->li.pdu_count = 77;
    r->verdict.status = OW_VERDICT_ANOMALY;
    r->verdict.severity = OW_SEV_CRITICAL;
    r->verdict.overrun = 1;
    char c = 'a';
    FILL(r->community_id, c++); FILL(r->ndpi_protocol, c++); FILL(r->ndpi_master, c++);
    FILL(r->ndpi_app, c++); FILL(r->ndpi_category, c++); FILL(r->ndpi_confidence, c++);
    FILL(r->app_proto, c++); FILL(r->ssh_client, c++); FILL(r->ssh_server, c++);
    FILL(r->hassh_client, c++); FILL(r->hassh_server, c++); FILL(r->tls_sni, c++);
    FILL(r->ja3, c++); FILL(r->ja3s, c++); FILL(r->tls_version, c++); FILL(r->http_host, c++);
    FILL(r->http_user_agent, c++); FILL(r->dns_query, c++); FILL(r->li.xid, c++);
    FILL(r->li.liid, c++); FILL(r->li.target, c++); FILL(r->verdict.rule, c++);
    FILL(r->verdict.kind, c++); FILL(r->verdict.reason, c++); FILL(r->verdict.asset_src, c++);
    FILL(r->verdict.asset_dest, c++); FILL(r->verdict.asset_src_all, c++);
    FILL(r->verdict.asset_dest_all, c++); FILL(r->verdict.ticket, c++);
}

static struct ow_flow_counts counts_of(const struct ow_flow_record *r)
{
    struct ow_flow_counts c = {
        .flow_id = r->flow_id, .first_ts_us = r->first_ts_us, .last_ts_us = r->last_ts_us,
        .decided_ts_us = r->decided_ts_us, .pkts_toserver = r->pkts_toserver,
        .pkts_toclient = r->pkts_toclient, .bytes_toserver = r->bytes_toserver,
        .bytes_toclient = r->bytes_toclient, .later_fragments = r->later_fragments,
        .slice = r->slice, .tunnels = r->tunnels, .late_overrun = r->late_overrun,
    };
    return c;
}

static void test_round_trip_every_field(void **state)
{
    (void)state;
    struct ow_flow_record *r = malloc(sizeof *r), *back = malloc(sizeof *back);
    assert_non_null(r);
    assert_non_null(back);
    full_record(r);
    struct ow_flow_packed *p = ow_flow_pack(r);
    assert_non_null(p);
    memset(back, 0xee, sizeof *back);
    ow_flow_unpack(p, back);
    /* What packets change is not in the pack: the worker lays it over. */
    assert_int_equal(back->pkts_toserver, 0);
    assert_int_equal(back->flow_id, 0);
    struct ow_flow_counts c = counts_of(r);
    ow_flow_counts_put(&c, back);
    assert_memory_equal(back, r, sizeof *r);
    ow_flow_packed_free(p);
    free(r);
    free(back);
}

/* As the ring to the writer carries it: every field, the changing ones too. */
static void test_round_trip_with_changing_fields(void **state)
{
    (void)state;
    struct ow_flow_record *r = malloc(sizeof *r), *back = malloc(sizeof *back);
    unsigned char *buf = malloc(ow_flow_packed_max());
    assert_non_null(r);
    assert_non_null(back);
    assert_non_null(buf);
    full_record(r);
    r->end_reason = OW_END_EVICTED;
    r->open = 1;
    r->state = OW_STATE_ESTABLISHED;
    r->alerted = 1;
    size_t n = ow_flow_pack_to(r, true, buf);
    /* Every string at its longest: the bound is reached, not passed. */
    assert_int_equal(n, ow_flow_packed_max());
    assert_int_equal(ow_flow_packed_size((const struct ow_flow_packed *)buf), n);
    ow_flow_unpack((const struct ow_flow_packed *)buf, back);
    assert_memory_equal(back, r, sizeof *r);
    free(buf);
    free(r);
    free(back);
}

static void test_unterminated_string_is_cut(void **state)
{
    (void)state;
    struct ow_flow_record *r = calloc(1, sizeof *r), *back = malloc(sizeof *back);
    assert_non_null(r);
    assert_non_null(back);
    memset(r->verdict.reason, 'x', sizeof r->verdict.reason);   /* no NUL in the field */
    memcpy(r->tls_sni, "after.example", 14);
    struct ow_flow_packed *p = ow_flow_pack(r);
    assert_non_null(p);
    ow_flow_unpack(p, back);
    assert_int_equal(strlen(back->verdict.reason), sizeof back->verdict.reason - 1);
    assert_string_equal(back->tls_sni, "after.example");   /* the next string is its own */
    ow_flow_packed_free(p);
    free(r);
    free(back);
}

static struct ow_flow_key key1(void)
{
    struct ow_flow_key k;
    memset(&k, 0, sizeof k);
    k.family = 4;
    k.l4_proto = 6;
    k.addr_a[0] = 10;
    k.addr_b[0] = 10;
    k.addr_b[3] = 2;
    k.port_a = 40001;
    k.port_b = 443;
    return k;
}

/* A typical decided flow: TLS to a named server, out of scope of the policy. */
static void tls_flow(struct ow_flow_record *r)
{
    memset(r, 0, sizeof *r);
    r->client.family = r->server.family = 4;
    r->client.port = 40001;
    r->server.port = 443;
    r->l4_proto = 6;
    SET(r->community_id, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
    SET(r->ndpi_protocol, "TLS.Google");
    SET(r->ndpi_master, "TLS");
    SET(r->ndpi_app, "Google");
    SET(r->ndpi_category, "Web");
    SET(r->ndpi_confidence, "DPI");
    SET(r->app_proto, "TLS.Google");
    SET(r->tls_sni, "www.google.com");
    SET(r->ja3, "bc6c386f480ee97b9d9e52d472b772d8");
    SET(r->ja3s, "9d9ce860f1b1cbef07b019450cb368d8");
    SET(r->tls_version, "TLSv1.3");
    r->verdict.status = OW_VERDICT_OUT_OF_SCOPE;
    SET(r->verdict.reason, "no asset of the policy is an endpoint of this flow");
}

static size_t strings_held(const struct ow_flow_record *r)
{
    return strlen(r->community_id) + strlen(r->ndpi_protocol) + strlen(r->ndpi_master) +
           strlen(r->ndpi_app) + strlen(r->ndpi_category) + strlen(r->ndpi_confidence) +
           strlen(r->app_proto) + strlen(r->tls_sni) + strlen(r->ja3) + strlen(r->ja3s) +
           strlen(r->tls_version) + strlen(r->verdict.reason);
}

static void test_entry_packed_and_whole_agree(void **state)
{
    (void)state;
    struct ow_flow_table t;
    assert_int_equal(ow_flow_table_init(&t, 16), 0);
    struct ow_flow_key k = key1();
    struct ow_flow *f = ow_flow_table_insert(&t, &k, 99, OW_TC_TCP_EST);
    assert_non_null(f);
    assert_non_null(f->rec);
    assert_null(f->packed);
    tls_flow(f->rec);
    f->cnt.flow_id = 42;
    f->cnt.first_ts_us = 1000;
    f->cnt.last_ts_us = 2000;
    f->cnt.pkts_toserver = 3;

    struct ow_flow_record *whole = malloc(sizeof *whole), *packed = malloc(sizeof *packed);
    assert_non_null(whole);
    assert_non_null(packed);
    ow_flow_record_of(f, whole);
    assert_int_equal(whole->flow_id, 42);
    assert_int_equal(whole->pkts_toserver, 3);

    ow_flow_pack_record(f);
    assert_null(f->rec);
    assert_non_null(f->packed);
    f->cnt.pkts_toserver++;              /* packets still count once packed */
    ow_flow_record_of(f, packed);
    assert_int_equal(packed->pkts_toserver, 4);
    packed->pkts_toserver = 3;
    assert_memory_equal(packed, whole, sizeof *whole);

    /* The memory goal: entry plus packed record within 512 bytes besides the strings. */
    size_t held = sizeof *f + ow_flow_packed_size(f->packed) - strings_held(whole);
    print_message("decided flow: %zu-byte entry + %zu-byte packed record (%zu of strings)\n",
                  sizeof *f, ow_flow_packed_size(f->packed), strings_held(whole));
    assert_true(held <= 512);

    ow_flow_table_remove(&t, f);         /* frees the packed record (ASan's leak check) */
    assert_null(f->packed);
    ow_flow_table_destroy(&t);
    free(whole);
    free(packed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_every_field),
        cmocka_unit_test(test_round_trip_with_changing_fields),
        cmocka_unit_test(test_unterminated_string_is_cut),
        cmocka_unit_test(test_entry_packed_and_whole_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
