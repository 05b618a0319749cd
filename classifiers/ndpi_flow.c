/* ndpi_flow.c — nDPI 4.2 module setup, per-flow feeding and metadata copy-out. */
#include "classifiers/ndpi_flow.h"
#include "common/alloc.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ndpi_api.h>

/* ndpiReader's limits (example/ndpiReader.c, "due to telnet"). */
#define MAX_TCP_DISSECTED_PKTS 80
#define MAX_UDP_DISSECTED_PKTS 24

struct ow_ndpi_module {
    struct ndpi_detection_module_struct *mod;
};

static int load_optional(struct ndpi_detection_module_struct *mod, const char *path,
                         int (*loader)(struct ndpi_detection_module_struct *, const char *),
                         const char *what, char *err, size_t errlen)
{
    if (!path || !*path)
        return 0;
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot read nDPI %s file", path, what);
        return -1;
    }
    fclose(f);
    if (loader(mod, path) < 0) {
        snprintf(err, errlen, "%s: nDPI rejected the %s file", path, what);
        return -1;
    }
    return 0;
}

static int load_protos(struct ndpi_detection_module_struct *mod, const char *path)
{
    return ndpi_load_protocols_file(mod, (char *)path);
}

static int load_categories(struct ndpi_detection_module_struct *mod, const char *path)
{
    return ndpi_load_categories_file(mod, path);
}

static int load_risky(struct ndpi_detection_module_struct *mod, const char *path)
{
    return ndpi_load_risk_domain_file(mod, path);
}

static int load_ja3(struct ndpi_detection_module_struct *mod, const char *path)
{
    return ndpi_load_malicious_ja3_file(mod, path);
}

static int load_sha1(struct ndpi_detection_module_struct *mod, const char *path)
{
    return ndpi_load_malicious_sha1_file(mod, path);
}

struct ow_ndpi_module *ow_ndpi_module_new(const struct ow_ndpi_config *cfg, char *err, size_t errlen)
{
    struct ow_ndpi_module *m = ow_calloc(1, sizeof *m);
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    /* omwitness initialises libgcrypt itself before creating modules. */
    m->mod = ndpi_init_detection_module(ndpi_dont_init_libgcrypt);
    if (!m->mod) {
        snprintf(err, errlen, "nDPI could not create a detection module");
        free(m);
        return NULL;
    }
    NDPI_PROTOCOL_BITMASK all;
    NDPI_BITMASK_SET_ALL(all);
    ndpi_set_protocol_detection_bitmask2(m->mod, &all);
    if (cfg && (load_optional(m->mod, cfg->protos_file, load_protos, "protocols", err, errlen) ||
                load_optional(m->mod, cfg->categories_file, load_categories, "categories", err, errlen) ||
                load_optional(m->mod, cfg->risky_domains_file, load_risky, "risky domains", err, errlen) ||
                load_optional(m->mod, cfg->ja3_file, load_ja3, "JA3 fingerprints", err, errlen) ||
                load_optional(m->mod, cfg->sha1_file, load_sha1, "SHA-1 fingerprints", err, errlen))) {
        ndpi_exit_detection_module(m->mod);
        free(m);
        return NULL;
    }
    ndpi_finalize_initialization(m->mod);
    return m;
}

void ow_ndpi_module_free(struct ow_ndpi_module *m)
{
    if (!m)
        return;
    ndpi_exit_detection_module(m->mod);
    free(m);
}

struct ndpi_flow_struct *ow_ndpi_flow_new(void)
{
    return ow_calloc(1, SIZEOF_FLOW_STRUCT);
}

void ow_ndpi_flow_discard(struct ndpi_flow_struct *f)
{
    if (!f)
        return;
    ndpi_free_flow_data(f);
    free(f);
}

bool ow_ndpi_flow_feed(struct ow_ndpi_module *m, struct ndpi_flow_struct *f, uint8_t l4_proto,
                       const uint8_t *l3, uint32_t l3_len, uint64_t ts_us, uint64_t flow_packets,
                       struct ow_ndpi_last *last)
{
    bool enough = (l4_proto == IPPROTO_TCP && flow_packets > MAX_TCP_DISSECTED_PKTS) ||
                  (l4_proto == IPPROTO_UDP && flow_packets > MAX_UDP_DISSECTED_PKTS);
    if (l3_len > 65535)
        l3_len = 65535;
    ndpi_protocol p = ndpi_detection_process_packet(m->mod, f, l3, (unsigned short)l3_len,
                                                    ts_us / 1000);
    last->master = p.master_protocol;
    last->app = p.app_protocol;
    last->category = p.category;
    if (!last->first_ts_us)
        last->first_ts_us = ts_us ? ts_us : 1;
    /* Named by inspection, not a guess from the port or address nDPI may return meanwhile. */
    if (!last->named_packets && p.app_protocol != NDPI_PROTOCOL_UNKNOWN &&
        f->confidence >= NDPI_CONFIDENCE_DPI_CACHE) {
        last->named_packets = flow_packets > UINT32_MAX ? UINT32_MAX : (uint32_t)flow_packets;
        last->named_ts_us = ts_us;
    }
    if (enough)
        return true;
    bool unnamed_too_long = ts_us > last->first_ts_us &&
                            ts_us - last->first_ts_us >= OW_NDPI_UNNAMED_US;
    if (p.app_protocol == NDPI_PROTOCOL_UNKNOWN)
        return unnamed_too_long;
    if (ndpi_extra_dissection_possible(m->mod, f)) {
        if (!last->named_packets)
            return unnamed_too_long;
        return flow_packets - last->named_packets >= OW_NDPI_EXTRA_PACKETS ||
               ts_us - last->named_ts_us >= OW_NDPI_EXTRA_US;
    }
    return true;
}

static void copy_str(char *dst, size_t dstlen, const char *src)
{
    if (!src) {
        dst[0] = '\0';
        return;
    }
    size_t n = strnlen(src, dstlen - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static bool is_proto(ndpi_protocol p, uint16_t id)
{
    return p.master_protocol == id || p.app_protocol == id;
}

static void copy_metadata(struct ow_ndpi_module *m, struct ndpi_flow_struct *f, ndpi_protocol p,
                          struct ow_flow_record *rec)
{
    (void)m;
    /* protos is a union: read a member only when the flow is that protocol. */
    if (is_proto(p, NDPI_PROTOCOL_SSH)) {
        copy_str(rec->ssh_client, sizeof rec->ssh_client, f->protos.ssh.client_signature);
        copy_str(rec->ssh_server, sizeof rec->ssh_server, f->protos.ssh.server_signature);
        copy_str(rec->hassh_client, sizeof rec->hassh_client, f->protos.ssh.hassh_client);
        copy_str(rec->hassh_server, sizeof rec->hassh_server, f->protos.ssh.hassh_server);
    }
    if (is_proto(p, NDPI_PROTOCOL_TLS) || is_proto(p, NDPI_PROTOCOL_DTLS) ||
        is_proto(p, NDPI_PROTOCOL_QUIC)) {
        copy_str(rec->tls_sni, sizeof rec->tls_sni, f->host_server_name);
        copy_str(rec->ja3, sizeof rec->ja3, f->protos.tls_quic.ja3_client);
        copy_str(rec->ja3s, sizeof rec->ja3s, f->protos.tls_quic.ja3_server);
        if (f->protos.tls_quic.ssl_version) {
            char buf[32];
            u_int8_t unknown = 0;
            ndpi_ssl_version2str(buf, sizeof buf, f->protos.tls_quic.ssl_version, &unknown);
            copy_str(rec->tls_version, sizeof rec->tls_version, buf);
        }
    }
    if (is_proto(p, NDPI_PROTOCOL_HTTP)) {
        copy_str(rec->http_host, sizeof rec->http_host, f->host_server_name);
        copy_str(rec->http_user_agent, sizeof rec->http_user_agent, f->http.user_agent);
    }
    if (is_proto(p, NDPI_PROTOCOL_DNS) || is_proto(p, NDPI_PROTOCOL_MDNS) ||
        is_proto(p, NDPI_PROTOCOL_LLMNR))
        copy_str(rec->dns_query, sizeof rec->dns_query, f->host_server_name);
}

void ow_ndpi_flow_finish(struct ow_ndpi_module *m, struct ndpi_flow_struct *f, bool completed,
                         const struct ow_ndpi_last *last, struct ow_flow_record *rec)
{
    ndpi_protocol p = { .master_protocol = last->master, .app_protocol = last->app,
                        .category = (ndpi_protocol_category_t)last->category };
    /* As ndpiReader: a flow still being dissected when it ends is given up too. */
    if (!completed || p.app_protocol == NDPI_PROTOCOL_UNKNOWN) {
        u_int8_t guessed = 0;
        p = ndpi_detection_giveup(m->mod, f, 1, &guessed);
    }
    char name[64];
    ndpi_protocol2name(m->mod, p, name, sizeof name);
    copy_str(rec->ndpi_protocol, sizeof rec->ndpi_protocol, name);
    rec->ndpi_master[0] = '\0';
    if (p.master_protocol != NDPI_PROTOCOL_UNKNOWN && p.master_protocol != p.app_protocol)
        copy_str(rec->ndpi_master, sizeof rec->ndpi_master, ndpi_get_proto_name(m->mod, p.master_protocol));
    copy_str(rec->ndpi_app, sizeof rec->ndpi_app, ndpi_get_proto_name(m->mod, p.app_protocol));
    copy_str(rec->ndpi_category, sizeof rec->ndpi_category, ndpi_category_get_name(m->mod, p.category));
    copy_str(rec->ndpi_confidence, sizeof rec->ndpi_confidence, ndpi_confidence_get_name(f->confidence));
    rec->ndpi_risk = f->risk;
    copy_metadata(m, f, p, rec);
    ow_ndpi_flow_discard(f);
}

bool ow_ndpi_protocol_known(struct ow_ndpi_module *m, const char *name)
{
    u_int n = ndpi_get_num_supported_protocols(m->mod);
    for (u_int i = 0; i < n; i++) {
        const char *pn = ndpi_get_proto_name(m->mod, (u_int16_t)i);
        if (pn && strcasecmp(pn, name) == 0)
            return true;
    }
    return false;
}
