/* worker.c — per-flow work: lookup, counters, TCP state, timeouts, nDPI and LI/O&M feeding,
 * verdict, and the hand-off to the writer: a flow's record (and its alert) as soon as its
 * verdict is known, a maintenance overrun at the first packet past its window, and the
 * flow's end with its final counters (docs/evidence.md, "Record model"). */
#include "sensor/worker.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "classifiers/ndpi_flow.h"
#include "classifiers/policy/policy.h"
#include "classifiers/proto_stream.h"
#include "common/community_id.h"
#include "sensor/evidence_buf.h"
#include "sensor/flow_msg.h"
#include "sensor/messages.h"
#include "common/alloc.h"

const uint32_t ow_idle_timeout_s[OW_TC_COUNT] = {
    [OW_TC_TCP_NEW] = 60,
    [OW_TC_TCP_EST] = 3600,
    [OW_TC_TCP_CLOSED] = 30,
    [OW_TC_UDP] = 180,
    [OW_TC_OTHER] = 60,
};

enum { TH_FIN = 0x01, TH_SYN = 0x02, TH_RST = 0x04, TH_ACK = 0x10 };

int ow_worker_init(struct ow_worker *w, int index, size_t n_in, size_t in_ring_bytes,
                   const struct ow_worker_config *cfg, struct ow_ndpi_module *ndpi,
                   const struct ow_policy *policy)
{
    memset(w, 0, sizeof *w);
    w->index = index;
    w->ndpi = ndpi;
    w->policy = policy;
    w->n_in = n_in;
    w->evidence_budget = cfg->evidence_budget;
    w->evidence_flow_packets = cfg->evidence_flow_packets ? cfg->evidence_flow_packets : OW_EVIDENCE_FLOW_PKTS;
    w->evidence_flow_bytes = cfg->evidence_flow_bytes ? cfg->evidence_flow_bytes : OW_EVIDENCE_FLOW_BYTES;
    w->in = ow_calloc(n_in, sizeof *w->in);
    w->in_ended = ow_calloc(n_in, sizeof *w->in_ended);
    if (!w->in || !w->in_ended)
        return -1;
    for (size_t i = 0; i < n_in; i++)
        if (ow_ring_init(&w->in[i], in_ring_bytes) < 0)
            return -1;
    /* 9.8 MiB to the writer, about 24,000 packed flow records (4,096 whole ones): in a live
     * capture the writer, not the worker, is the slow side (about 30,000 flows/s,
     * docs/architecture.md, Performance), and with room for 256 a burst of new flows stalled
     * the worker until its input ring overflowed. */
    if (ow_ring_init(&w->out, 4096 * sizeof(struct ow_msg_flow)) < 0)
        return -1;
    if (ow_flow_table_init(&w->table, cfg->max_flows) < 0)
        return -1;
    if (cfg->open_snapshot) {
        w->open = ow_calloc(1, sizeof *w->open);
        if (!w->open || pthread_mutex_init(&w->open->lock, NULL) != 0) {
            free(w->open);
            w->open = NULL;
            return -1;
        }
    }
    return 0;
}

void ow_worker_destroy(struct ow_worker *w)
{
    for (size_t i = 0; w->in && i < w->n_in; i++)   /* init may have failed before w->in */
        ow_ring_destroy(&w->in[i]);
    free(w->in);
    free(w->in_ended);
    ow_ring_destroy(&w->out);
    ow_flow_table_destroy(&w->table);
    if (w->open) {
        pthread_mutex_destroy(&w->open->lock);
        free(w->open);
        w->open = NULL;
    }
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

/* Deterministic across runs and thread counts; < 2^53 so JavaScript reads it exactly. */
static uint64_t make_flow_id(uint64_t key_hash, uint64_t first_ts_us)
{
    uint64_t id = mix64(key_hash ^ mix64(first_ts_us)) & ((1ULL << 53) - 1);
    return id ? id : 1;
}

/* app_proto: the LI label, else the O&M label the classifiers left there, else nDPI's name. */
static void set_app_proto(struct ow_flow_record *rec)
{
    const char *label = ow_li_label_name(rec->li.label);
    if (!*label && rec->app_proto[0])
        return;
    const char *src = *label ? label : rec->ndpi_protocol;
    size_t n = strnlen(src, sizeof rec->app_proto - 1);
    memcpy(rec->app_proto, src, n);
    rec->app_proto[n] = '\0';
}

static void drop_evidence(struct ow_worker *w, struct ow_flow *f)
{
    if (f->evidence) {
        /* The budget counts packet records only, as keep_evidence adds them. */
        w->evidence_used -= f->evidence->len - OW_EVIDENCE_HEADER_LEN;
        ow_evidence_free(f->evidence);
        f->evidence = NULL;
    }
    f->evidence_done = true;
}

static void evaluate(struct ow_worker *w, struct ow_flow *f)
{
    struct ow_flow_record *rec = f->rec;   /* whole until the verdict record goes out */
    /* The deciding packet is the latest one so far (or the last one, at the flow's end). */
    f->cnt.decided_ts_us = f->cnt.last_ts_us;
    ow_flow_counts_put(&f->cnt, rec);      /* the policy reads the flow's times */
    set_app_proto(rec);
    if (w->policy)
        ow_policy_evaluate(w->policy, rec);
    else
        rec->verdict.status = OW_VERDICT_UNEVALUATED;
    f->classified = true;
    f->verdict_status = rec->verdict.status;
    int64_t end_us;
    f->window_end_us = 0;
    if (w->policy && rec->verdict.status == OW_VERDICT_AUTHORIZED &&
        ow_policy_window_end(w->policy, rec, &end_us))
        f->window_end_us = end_us;
    if (rec->verdict.status != OW_VERDICT_ANOMALY)
        drop_evidence(w, f);    /* only an alert's flow keeps its packets */
}

/* Keeps the packet for the flow's evidence: every flow's first packets until its verdict,
 * then an anomaly's up to the per-flow cap, within the run's budget. */
static void keep_evidence(struct ow_worker *w, struct ow_flow *f, const struct ow_msg_packet *m)
{
    if (!f->evidence || f->evidence_done)
        return;
    bool anomaly = f->classified && f->verdict_status == OW_VERDICT_ANOMALY;
    /* Before the verdict every flow keeps a little; never more than an anomaly may keep. */
    uint32_t max_pkts = w->evidence_flow_packets, max_bytes = w->evidence_flow_bytes;
    if (!anomaly) {
        if (max_pkts > OW_EVIDENCE_PREVERDICT_PKTS)
            max_pkts = OW_EVIDENCE_PREVERDICT_PKTS;
        if (max_bytes > OW_EVIDENCE_PREVERDICT_BYTES)
            max_bytes = OW_EVIDENCE_PREVERDICT_BYTES;
    }
    uint32_t before = f->evidence->len;
    if (w->evidence_used + 16u + m->pkt.caplen > w->evidence_budget) {
        f->evidence->truncated = true;
        f->evidence_done = true;
        return;
    }
    if (!ow_evidence_add(f->evidence, m->pkt.ts_us, m->pkt.caplen, m->pkt.wirelen,
                         (const uint8_t *)(m + 1), max_pkts, max_bytes)) {
        if (f->evidence->oom) {
            f->evidence_oom = true;
            f->evidence_done = true;
        } else if (anomaly) {
            f->evidence_done = true;   /* cap reached */
        }
    }
    w->evidence_used += f->evidence->len - before;
}

/* Classification is final when nDPI and omwitness's classifiers have both decided. */
static void maybe_classified(struct ow_worker *w, struct ow_flow *f)
{
    if (!f->classified && !f->ndpi && !f->cls)
        evaluate(w, f);
}

static void take_classification(struct ow_flow *f, const struct ow_proto_result *res)
{
    f->rec->li = res->li;
    if (res->om_label[0])
        snprintf(f->rec->app_proto, sizeof f->rec->app_proto, "%s", res->om_label);
    ow_proto_stream_free(f->cls);
    f->cls = NULL;
}

/* nDPI 4.2 files the first SSH banner it sees as the client's; servers usually speak first,
 * so put the banners back on the sides that sent them. (HASSH it assigns correctly.) */
static void ndpi_done(struct ow_worker *w, struct ow_flow *f, bool completed)
{
    ow_ndpi_flow_finish(w->ndpi, f->ndpi, completed, &f->ndpi_last, f->rec);
    f->ndpi = NULL;
    if (f->ssh_server_spoke_first) {
        struct ow_flow_record *r = f->rec;
        char tmp[sizeof r->ssh_client];
        memcpy(tmp, r->ssh_client, sizeof tmp);
        memcpy(r->ssh_client, r->ssh_server, sizeof tmp);
        memcpy(r->ssh_server, tmp, sizeof tmp);
    }
}

static void note_ssh_banner(struct ow_flow *f, const uint8_t *payload, uint32_t len, bool toserver)
{
    if (!f->ssh_banner_seen && len >= 4 && memcmp(payload, "SSH-", 4) == 0) {
        f->ssh_banner_seen = true;
        f->ssh_server_spoke_first = !toserver;
    }
}

static void finish_classifiers(struct ow_worker *w, struct ow_flow *f)
{
    if (f->ndpi)
        ndpi_done(w, f, false);
    if (f->cls) {
        struct ow_proto_result res;
        ow_proto_stream_finish(f->cls, &res);
        take_classification(f, &res);
    }
    maybe_classified(w, f);
}

static void community_id_of(struct ow_flow_record *rec)
{
    struct ow_endpoint c = rec->client, s = rec->server;
    if (rec->l4_proto == IPPROTO_ICMP || rec->l4_proto == IPPROTO_ICMPV6) {
        c.port = rec->icmp_type;
        s.port = rec->icmp_code;
    }
    if (ow_community_id(0, rec->l4_proto, &c, &s, rec->community_id, sizeof rec->community_id) < 0)
        rec->community_id[0] = '\0';
}

/* The message to the writer holding f's record; the caller completes it and sends it
 * (send_flow). */
static struct ow_msg_flow *flow_msg(struct ow_worker *w, uint32_t what, const struct ow_flow *f)
{
    struct ow_msg_flow *m = &w->msg;
    m->type = OW_MSG_FLOW;
    m->what = what;
    ow_flow_record_of(f, &m->rec);
    m->evidence = NULL;
    m->evidence_len = m->evidence_packets = 0;
    m->evidence_truncated = 0;
    return m;
}

/* The writer may be behind: wait, never lose a flow. */
static void send_flow(struct ow_worker *w)
{
    ow_flow_msg_send(&w->out, &w->msg);
}

static bool flow_alerted(const struct ow_flow_record *rec)
{
    return rec->verdict.status == OW_VERDICT_ANOMALY || rec->verdict.overrun || rec->late_overrun;
}

/* EVE flow.state of a running flow: new until the other side has answered. */
static uint8_t live_state(const struct ow_flow *f)
{
    return f->synack_seen || f->cnt.pkts_toclient ? OW_STATE_ESTABLISHED : OW_STATE_NEW;
}

/* The verdict is known and the flow still runs: its record and alert go out now, so the
 * alert is stored and streamed within the writer's batch deadline of the deciding packet. */
static void report_verdict(struct ow_worker *w, struct ow_flow *f)
{
    f->reported = true;
    struct ow_msg_flow *m = flow_msg(w, OW_FLOW_VERDICT, f);
    m->rec.open = 1;
    m->rec.state = live_state(f);
    m->rec.alerted = flow_alerted(&m->rec);
    send_flow(w);
    ow_flow_pack_record(f);    /* only packets change it now */
}

/* Authorized maintenance past its window's end: maintenance_overrun at this packet, once per
 * flow (later slices are not checked again). */
static void check_window(struct ow_worker *w, struct ow_flow *f)
{
    if (!f->window_end_us || f->overrun_reported || !f->reported ||
        f->cnt.last_ts_us < (uint64_t)f->window_end_us)
        return;
    f->overrun_reported = true;
    struct ow_msg_flow *m = flow_msg(w, OW_FLOW_OVERRUN, f);
    if (!ow_policy_check_overrun(w->policy, &m->rec))
        return;         /* the policy disagrees */
    m->rec.decided_ts_us = f->cnt.last_ts_us;
    send_flow(w);
    f->cnt.late_overrun = 1;
}

/* Reports the flow's end to the writer (the record is copied): its end record, or, when its
 * verdict record never went out, the whole flow at once. */
static void emit_flow(struct ow_worker *w, struct ow_flow *f, uint8_t reason)
{
    finish_classifiers(w, f);
    bool whole = !f->reported;
    struct ow_msg_flow *m = flow_msg(w, whole ? OW_FLOW_WHOLE : OW_FLOW_END, f);
    struct ow_flow_record *rec = &m->rec;
    /* A long session reported in slices raises its overrun once, on the slice handed over
     * here (the flow's own verdict stays plain); later slices are not checked again. */
    if (whole && w->policy && rec->verdict.status == OW_VERDICT_AUTHORIZED &&
        !f->overrun_reported && ow_policy_check_overrun(w->policy, rec))
        f->overrun_reported = true;
    rec->end_reason = reason;
    rec->open = 0;
    rec->state = OW_STATE_CLOSED;
    rec->alerted = flow_alerted(rec);
    if (f->evidence && rec->verdict.status == OW_VERDICT_ANOMALY && f->evidence->packets) {
        bool truncated;
        m->evidence = ow_evidence_take(f->evidence, &m->evidence_len, &m->evidence_packets, &truncated);
        m->evidence_truncated = truncated;
        f->evidence = NULL;    /* the writer owns it now; it stays counted in the run's budget */
    }
    /* An alert whose packets are incomplete for want of memory is said to be so. */
    if (f->evidence_oom && rec->verdict.status == OW_VERDICT_ANOMALY) {
        m->evidence_truncated = 1;
        atomic_fetch_add_explicit(&w->evidence_lost, 1, memory_order_relaxed);
        f->evidence_oom = false;
    }
    drop_evidence(w, f);       /* later slices of a long flow carry no evidence */
    send_flow(w);
}

static void end_flow(struct ow_worker *w, struct ow_flow *f, uint8_t reason)
{
    emit_flow(w, f, reason);
    ow_flow_table_remove(&w->table, f);
    atomic_store_explicit(&w->active_flows, w->table.count, memory_order_relaxed);
}

static bool is_expired(const struct ow_flow *f, uint64_t now_us)
{
    return now_us >= f->cnt.last_ts_us + (uint64_t)ow_idle_timeout_s[f->tclass] * 1000000u;
}

static void sweep(struct ow_worker *w, uint64_t now_us)
{
    for (uint8_t c = 0; c < OW_TC_COUNT; c++) {
        struct ow_flow *f;
        while ((f = ow_flow_table_oldest(&w->table, c)) && is_expired(f, now_us))
            end_flow(w, f, c == OW_TC_TCP_CLOSED ? OW_END_TCP_CLOSED : OW_END_IDLE);
    }
}

static uint8_t class_of(const struct ow_flow *f)
{
    switch (f->key.l4_proto) {
    case IPPROTO_TCP:
        if (f->rst_seen || (f->fin_toserver && f->fin_toclient))
            return OW_TC_TCP_CLOSED;
        if (f->syn_seen && !f->synack_seen && f->cnt.pkts_toclient == 0)
            return OW_TC_TCP_NEW;
        return OW_TC_TCP_EST;
    case IPPROTO_UDP:
        return OW_TC_UDP;
    default:
        return OW_TC_OTHER;
    }
}

/* When the table is full the least recently used flow goes first, whatever its class. */
static void evict_one(struct ow_worker *w)
{
    struct ow_flow *victim = NULL;
    for (uint8_t c = 0; c < OW_TC_COUNT; c++) {
        struct ow_flow *f = ow_flow_table_oldest(&w->table, c);
        if (f && (!victim || f->cnt.last_ts_us < victim->cnt.last_ts_us))
            victim = f;
    }
    if (victim) {
        end_flow(w, victim, OW_END_EVICTED);
        atomic_fetch_add_explicit(&w->flows_evicted, 1, memory_order_relaxed);
    }
}

static void start_record(struct ow_flow *f, const struct ow_packet *pkt, bool from_a,
                         uint64_t key_hash)
{
    struct ow_flow_record *rec = f->rec;
    /* The initiator is the SYN sender; a SYN-ACK seen first means the receiver started it. */
    bool sender_is_client = !((pkt->tcp_flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK) &&
                              pkt->l4_proto == IPPROTO_TCP);
    f->client_is_a = sender_is_client ? from_a : !from_a;
    rec->client = sender_is_client ? pkt->src : pkt->dst;
    rec->server = sender_is_client ? pkt->dst : pkt->src;
    if (pkt->l4_proto == IPPROTO_ICMP || pkt->l4_proto == IPPROTO_ICMPV6) {
        rec->client.port = 0;
        rec->server.port = 0;
        rec->icmp_type = pkt->icmp_type;
        rec->icmp_code = pkt->icmp_code;
    }
    rec->l4_proto = pkt->l4_proto;
    rec->vlan_id = pkt->vlan_id;
    community_id_of(rec);
    f->cnt.first_ts_us = pkt->ts_us;
    f->cnt.last_ts_us = pkt->ts_us;
    f->cnt.flow_id = make_flow_id(key_hash, pkt->ts_us);
}

static void remember_lost(struct ow_worker *w, const struct ow_flow_key *key, uint64_t hash)
{
    uint64_t h = hash ? hash : 1;
    for (unsigned i = 0; i < OW_LOST_KEYS; i++)
        if (w->lost_hashes[i] == h && ow_flow_key_equal(&w->lost_keys[i], key))
            return;
    unsigned slot = w->lost_next++ % OW_LOST_KEYS;
    w->lost_keys[slot] = *key;
    w->lost_hashes[slot] = h;
}

static bool take_lost(struct ow_worker *w, const struct ow_flow_key *key, uint64_t hash)
{
    uint64_t h = hash ? hash : 1;
    for (unsigned i = 0; i < OW_LOST_KEYS; i++)
        if (w->lost_hashes[i] == h && ow_flow_key_equal(&w->lost_keys[i], key)) {
            w->lost_hashes[i] = 0;
            return true;
        }
    return false;
}

/* The classifier state could not be allocated, or the flow's first packets were lost for want
 * of memory: the flow is kept and counted, but marked and never judged, since a verdict
 * without its classification, or on a partial view, could be a false alert (or a false
 * all-clear). */
static void classification_failed(struct ow_worker *w, struct ow_flow *f, const char *why)
{
    ow_ndpi_flow_discard(f->ndpi);
    f->ndpi = NULL;
    ow_proto_stream_free(f->cls);
    f->cls = NULL;
    struct ow_verdict *v = &f->rec->verdict;
    memset(v, 0, sizeof *v);
    v->status = OW_VERDICT_UNEVALUATED;
    snprintf(v->kind, sizeof v->kind, "%s", OW_CLASSIFICATION_FAILED);
    snprintf(v->reason, sizeof v->reason, "classification failed: %s, so the flow was "
             "recorded without a verdict", why);
    f->classified = true;
    f->verdict_status = v->status;
    f->cnt.decided_ts_us = f->cnt.last_ts_us;
    drop_evidence(w, f);
    atomic_fetch_add_explicit(&w->flows_unclassified, 1, memory_order_relaxed);
}

static struct ow_flow *new_flow(struct ow_worker *w, const struct ow_msg_packet *m, bool from_a,
                                const struct ow_flow_key *key)
{
    struct ow_flow *f = ow_flow_table_insert(&w->table, key, m->key_hash, OW_TC_OTHER);
    if (!f && ow_flow_table_full(&w->table)) {
        evict_one(w);
        f = ow_flow_table_insert(&w->table, key, m->key_hash, OW_TC_OTHER);
    }
    if (!f) {
        /* Out of memory (evicting a flow would not help): the packet is lost. */
        atomic_fetch_add_explicit(&w->packets_lost, 1, memory_order_relaxed);
        remember_lost(w, key, m->key_hash);
        return NULL;
    }
    start_record(f, &m->pkt, from_a, m->key_hash);
    f->ndpi = ow_ndpi_flow_new();
    bool failed = !f->ndpi;
    if (w->policy && w->evidence_budget) {
        f->evidence = ow_evidence_new(m->dlt);
        f->evidence_oom = f->evidence == NULL;
    }
    f->evidence_done = f->evidence == NULL;
    if (m->pkt.l4_proto == IPPROTO_TCP || m->pkt.l4_proto == IPPROTO_UDP) {
        f->cls = ow_proto_stream_new(m->pkt.l4_proto);
        failed = failed || !f->cls;
    }
    if (take_lost(w, key, m->key_hash))
        classification_failed(w, f, "its first packets were lost for want of memory");
    else if (failed)
        classification_failed(w, f, "no memory for the classifiers' state");
    atomic_fetch_add_explicit(&w->flows_started, 1, memory_order_relaxed);
    atomic_store_explicit(&w->active_flows, w->table.count, memory_order_relaxed);
    return f;
}

/* A long flow is reported in slices: the record so far goes out, counters start again and
 * the classification carries over. */
static void cut_slice(struct ow_worker *w, struct ow_flow *f, uint64_t ts_us)
{
    emit_flow(w, f, OW_END_ACTIVE);
    struct ow_flow_counts *c = &f->cnt;
    c->slice++;
    c->first_ts_us = ts_us;
    c->last_ts_us = ts_us;
    c->pkts_toserver = c->pkts_toclient = 0;
    c->bytes_toserver = c->bytes_toclient = 0;
    c->later_fragments = 0;
    c->flow_id = make_flow_id(f->hash, ts_us);
    c->late_overrun = 0;
    c->decided_ts_us = ts_us;     /* the carried-over verdict holds from the slice's start */
    f->reported = false;          /* the new slice's record goes out with this packet */
}

static void update_tcp_state(struct ow_flow *f, const struct ow_packet *pkt, bool toserver)
{
    uint8_t fl = pkt->tcp_flags;
    if ((fl & (TH_SYN | TH_ACK)) == TH_SYN)
        f->syn_seen = true;
    if ((fl & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK))
        f->synack_seen = true;
    if (fl & TH_RST)
        f->rst_seen = true;
    if (fl & TH_FIN) {
        if (toserver)
            f->fin_toserver = true;
        else
            f->fin_toclient = true;
    }
}

static void handle_packet(struct ow_worker *w, const struct ow_msg_packet *m)
{
    const struct ow_packet *pkt = &m->pkt;
    const uint8_t *frame = (const uint8_t *)(m + 1);
    const struct ow_flow_key *key = &m->key;
    bool from_a = m->from_a;

    struct ow_flow *f = ow_flow_table_find(&w->table, key, m->key_hash);
    if (f && is_expired(f, pkt->ts_us)) {
        end_flow(w, f, f->tclass == OW_TC_TCP_CLOSED ? OW_END_TCP_CLOSED : OW_END_IDLE);
        f = NULL;
    }
    /* A new SYN on a closed connection is a new connection reusing the ports. */
    if (f && pkt->l4_proto == IPPROTO_TCP && f->tclass == OW_TC_TCP_CLOSED &&
        (pkt->tcp_flags & (TH_SYN | TH_ACK)) == TH_SYN) {
        end_flow(w, f, OW_END_TCP_CLOSED);
        f = NULL;
    }
    if (!f && !(f = new_flow(w, m, from_a, key)))
        return;
    if (pkt->ts_us >= f->cnt.first_ts_us + (uint64_t)OW_ACTIVE_TIMEOUT_S * 1000000u)
        cut_slice(w, f, pkt->ts_us);

    struct ow_flow_counts *c = &f->cnt;
    bool toserver = from_a == f->client_is_a;
    f->packets++;
    if (toserver) {
        c->pkts_toserver++;
        c->bytes_toserver += pkt->wirelen;
    } else {
        c->pkts_toclient++;
        c->bytes_toclient += pkt->wirelen;
    }
    if (pkt->ts_us > c->last_ts_us)
        c->last_ts_us = pkt->ts_us;
    c->tunnels |= pkt->tunnels;
    if (pkt->l4_proto == IPPROTO_TCP)
        update_tcp_state(f, pkt, toserver);
    keep_evidence(w, f, m);

    if (pkt->frag == OW_FRAG_LATER) {
        c->later_fragments++;   /* no L4 header: nothing for the classifiers */
    } else {
        if (f->ndpi) {
            if (pkt->l4_proto == IPPROTO_TCP)
                note_ssh_banner(f, frame + pkt->payload_off, pkt->payload_len, toserver);
            if (ow_ndpi_flow_feed(w->ndpi, f->ndpi, pkt->l4_proto, frame + pkt->l3_off,
                                  pkt->l3_len, pkt->ts_us, f->packets, &f->ndpi_last))
                ndpi_done(w, f, true);
        }
        if (f->cls) {
            struct ow_proto_result res;
            if (pkt->payload_len || (pkt->tcp_flags & TH_SYN))
                ow_proto_stream_add(f->cls, toserver ? 0 : 1, pkt->tcp_seq,
                                    (pkt->tcp_flags & TH_SYN) != 0, frame + pkt->payload_off,
                                    pkt->payload_len);
            bool decided = ow_proto_stream_result(f->cls, &res) == OW_PROTO_DECIDED;
            if (!decided && f->packets >= OW_LI_MAX_PACKETS) {
                ow_proto_stream_finish(f->cls, &res);
                decided = true;
            }
            if (decided) {
                take_classification(f, &res);
                /* An LI or O&M label is the flow's application whatever nDPI would still
                 * find, so the verdict need not wait for nDPI's packet cap: an unknown
                 * protocol to nDPI (X2 over plain TCP) would hold the alert for 80 packets. */
                if (f->ndpi && (f->rec->li.label != OW_LI_NONE || f->rec->app_proto[0]))
                    ndpi_done(w, f, false);
            }
        }
        maybe_classified(w, f);
    }
    if (f->classified && !f->reported)
        report_verdict(w, f);
    check_window(w, f);
    ow_flow_table_touch(&w->table, f, class_of(f));
}

static void flush_all(struct ow_worker *w)
{
    for (uint8_t c = 0; c < OW_TC_COUNT; c++) {
        struct ow_flow *f;
        while ((f = ow_flow_table_oldest(&w->table, c)))
            end_flow(w, f, OW_END_SHUTDOWN);
    }
}

static void *worker_main(void *arg)
{
    struct ow_worker *w = arg;
    size_t ended = 0;
    bool *in_ended = w->in_ended;
    unsigned spins = 0;
    while (ended < w->n_in) {
        bool any = false;
        for (size_t i = 0; i < w->n_in; i++) {
            if (in_ended[i])
                continue;
            /* Take a bounded batch from each reader so none starves the others. */
            for (int k = 0; k < 256; k++) {
                size_t len;
                const uint32_t *type = ow_ring_peek(&w->in[i], &len);
                if (!type)
                    break;
                any = true;
                uint32_t t = *type;
                if (t == OW_MSG_PACKET)
                    handle_packet(w, (const struct ow_msg_packet *)type);
                else if (t == OW_MSG_TICK) {
                    uint64_t now = ((const struct ow_msg_tick *)type)->now_us;
                    sweep(w, now);
                    ow_worker_publish_open(w, now);
                }
                ow_ring_release(&w->in[i]);
                if (t == OW_MSG_END) {
                    in_ended[i] = true;
                    ended++;
                    break;
                }
            }
        }
        if (any)
            spins = 0;
        else
            ow_ring_backoff(&spins);
    }
    flush_all(w);
    struct ow_msg_end *done = ow_ring_reserve_wait(&w->out, sizeof *done);
    done->type = OW_MSG_WORKER_DONE;
    ow_ring_commit(&w->out);
    return NULL;
}

int ow_worker_start(struct ow_worker *w)
{
    char name[16];
    snprintf(name, sizeof name, "ow-worker-%d", w->index);
    int rc = ow_thread_start(&w->thread, name, worker_main, w);
    w->started = rc == 0;
    return rc;
}

struct ow_ring *ow_worker_output(struct ow_worker *w)
{
    return &w->out;
}

struct ow_ring *ow_worker_input(struct ow_worker *w, size_t reader)
{
    return reader < w->n_in ? &w->in[reader] : NULL;
}

void ow_worker_never_started(struct ow_worker *w)
{
    struct ow_msg_end *done = ow_ring_reserve_wait(&w->out, sizeof *done);
    done->type = OW_MSG_WORKER_DONE;
    ow_ring_commit(&w->out);
}

void ow_worker_join(struct ow_worker *w)
{
    if (w->started)
        pthread_join(w->thread, NULL);
    w->started = false;
}
