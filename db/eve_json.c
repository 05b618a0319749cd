/* eve_json.c — flow records as EVE-style JSON lines (docs/store.md "EVE JSON lines"), built with
 * jansson. Wire strings are made valid UTF-8 first (bad bytes become U+FFFD) and the line is
 * written with JSON_ENSURE_ASCII, so every line is pure ASCII: control characters and all
 * non-ASCII text arrive as \uXXXX escapes and cannot reach a terminal or a log raw. */
#include "db/eve_json.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "db/eve_signatures.h"
#include "db/triage.h"
#include "common/endpoint.h"
#include "common/alloc.h"

/* ndpi_risk2str() of nDPI 4.2 for ndpi_risk_enum 1..41 (ndpi_utils.c). */
static const char *const risk_names[OW_NDPI_RISK_BITS] = {
    [1]  = "XSS Attack",
    [2]  = "SQL Injection",
    [3]  = "RCE Injection",
    [4]  = "Binary Application Transfer",
    [5]  = "Known Protocol on Non Standard Port",
    [6]  = "Self-signed Certificate",
    [7]  = "Obsolete TLS Version (1.1 or older)",
    [8]  = "Weak TLS Cipher",
    [9]  = "TLS Expired Certificate",
    [10] = "TLS Certificate Mismatch",
    [11] = "HTTP Suspicious User-Agent",
    [12] = "HTTP Numeric IP Address",
    [13] = "HTTP Suspicious URL",
    [14] = "HTTP Suspicious Header",
    [15] = "TLS (probably) Not Carrying HTTPS",
    [16] = "Suspicious DGA Domain name",
    [17] = "Malformed Packet",
    [18] = "SSH Obsolete Client Version/Cipher",
    [19] = "SSH Obsolete Server Version/Cipher",
    [20] = "SMB Insecure Version",
    [21] = "TLS Suspicious ESNI Usage",
    [22] = "Unsafe Protocol",
    [23] = "Suspicious DNS Traffic",
    [24] = "Missing SNI TLS Extension",
    [25] = "HTTP Suspicious Content",
    [26] = "Risky ASN",
    [27] = "Risky Domain Name",
    [28] = "Possibly Malicious JA3 Fingerprint",
    [29] = "Possibly Malicious SSL Cert. SHA1 Fingerprint",
    [30] = "Desktop/File Sharing Session",
    [31] = "Uncommon TLS ALPN",
    [32] = "TLS Certificate Validity Too Long",
    [33] = "TLS Suspicious Extension",
    [34] = "TLS Fatal Alert",
    [35] = "Suspicious Entropy",
    [36] = "Clear-Text Credentials",
    [37] = "DNS Packet Larger Than 512 bytes",
    [38] = "Fragmented DNS Message",
    [39] = "Text Contains Non-Printable Characters",
    [40] = "Possible Exploit Detected",
    [41] = "TLS Certificate About To Expire",
};

const char *ow_ndpi_risk_name(unsigned bit)
{
    return bit < OW_NDPI_RISK_BITS ? risk_names[bit] : NULL;
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629 table: no overlongs, no
 * surrogates, nothing above U+10FFFF), or 0 if it is not one. */
static size_t utf8_sequence_len(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)      need = 2;
    else if (c == 0xE0)              { need = 3; lo = 0xA0; }
    else if (c >= 0xE1 && c <= 0xEC) need = 3;
    else if (c == 0xED)              { need = 3; hi = 0x9F; }
    else if (c >= 0xEE && c <= 0xEF) need = 3;
    else if (c == 0xF0)              { need = 4; lo = 0x90; }
    else if (c >= 0xF1 && c <= 0xF3) need = 4;
    else if (c == 0xF4)              { need = 4; hi = 0x8F; }
    else                             return 0;
    if (avail < need)
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < need; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return need;
}

size_t ow_utf8_sanitize(char *dst, size_t dstlen, const char *src, size_t srclen)
{
    static const char replacement[] = "\xEF\xBF\xBD";
    const unsigned char *s = (const unsigned char *)src;
    size_t o = 0;
    if (dstlen == 0)
        return 0;
    for (size_t i = 0; i < srclen && s[i] != '\0';) {
        size_t n = utf8_sequence_len(s + i, srclen - i);
        const char *piece = n ? (const char *)s + i : replacement;
        size_t plen = n ? n : 3;
        if (o + plen >= dstlen)
            break;
        memcpy(dst + o, piece, plen);
        o += plen;
        i += n ? n : 1;
    }
    dst[o] = '\0';
    return o;
}

void ow_eve_timestamp(uint64_t ts_us, char *buf, size_t buflen)
{
    time_t secs = (time_t)(ts_us / 1000000u);
    unsigned usec = (unsigned)(ts_us % 1000000u);
    struct tm tm;
    if (buflen == 0)
        return;
    if (!gmtime_r(&secs, &tm) || tm.tm_year + 1900 > 9999) {
        snprintf(buf, buflen, "9999-12-31T23:59:59.999999+0000");
        return;
    }
    snprintf(buf, buflen, "%04d-%02d-%02dT%02d:%02d:%02d.%06u+0000",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, usec);
}

/* A JSON string from a bounded record field (which may lack its NUL if the record is
 * corrupt: strnlen keeps us inside the array). */
static json_t *wire_string(const char *field, size_t cap)
{
    char buf[3 * 512 + 1];
    size_t len = strnlen(field, cap);
    size_t n = ow_utf8_sanitize(buf, sizeof buf, field, len);
    json_t *j = json_stringn(buf, n);
    return j ? j : json_string("");
}

#define FIELD(f) (f), sizeof(f)

static void set_string(json_t *obj, const char *key, const char *field, size_t cap)
{
    json_object_set_new(obj, key, wire_string(field, cap));
}

/* Sets the key only when the field is not empty. */
static void set_string_if(json_t *obj, const char *key, const char *field, size_t cap)
{
    if (cap > 0 && field[0] != '\0')
        set_string(obj, key, field, cap);
}

static json_t *json_u64(uint64_t v)
{
    return json_integer(v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v);
}

/* Adds obj under key when it has members, else drops it: objects without data are left out. */
static void set_object_if(json_t *root, const char *key, json_t *obj)
{
    if (obj && json_object_size(obj) > 0)
        json_object_set_new(root, key, obj);
    else
        json_decref(obj);
}

/* A context string (host, interface, site): at most 255 bytes, made valid UTF-8. */
static void set_context_if(json_t *obj, const char *key, const char *text)
{
    if (text && text[0])
        set_string(obj, key, text, 256);
}

static void add_common(json_t *root, const struct ow_flow_record *rec, const char *event_type,
                       const struct ow_eve_context *ctx)
{
    char buf[64];
    /* An alert's time is the packet time at which it was raised; a flow's its start. */
    uint64_t ts = rec->first_ts_us;
    if (strcmp(event_type, "alert") == 0 && rec->decided_ts_us)
        ts = rec->decided_ts_us;
    ow_eve_timestamp(ts, buf, sizeof buf);
    json_object_set_new(root, "timestamp", json_string(buf));
    json_object_set_new(root, "event_type", json_string(event_type));
    json_object_set_new(root, "flow_id", json_u64(rec->flow_id));
    if (ctx) {
        set_context_if(root, "host", ctx->host);
        set_context_if(root, "in_iface", ctx->in_iface);
    }
    set_string_if(root, "community_id", FIELD(rec->community_id));

    char addr[OW_ADDR_TEXT_LEN];
    ow_addr_to_text(&rec->client, addr, sizeof addr);
    json_object_set_new(root, "src_ip", json_string(addr));
    json_object_set_new(root, "src_port", json_integer(rec->client.port));
    ow_addr_to_text(&rec->server, addr, sizeof addr);
    json_object_set_new(root, "dest_ip", json_string(addr));
    json_object_set_new(root, "dest_port", json_integer(rec->server.port));

    const char *proto = ow_l4_proto_name(rec->l4_proto);
    if (!proto) {
        snprintf(buf, sizeof buf, "%u", (unsigned)rec->l4_proto);
        proto = buf;
    }
    json_object_set_new(root, "proto", json_string(proto));
    if (rec->l4_proto == IPPROTO_ICMP || rec->l4_proto == IPPROTO_ICMPV6) {
        json_object_set_new(root, "icmp_type", json_integer(rec->icmp_type));
        json_object_set_new(root, "icmp_code", json_integer(rec->icmp_code));
    }
    if (rec->vlan_id)
        json_object_set_new(root, "vlan", json_pack("[i]", (int)rec->vlan_id));
    set_string_if(root, "app_proto", FIELD(rec->app_proto));
    if (ctx)
        set_context_if(root, "site", ctx->site);
}

static json_t *flow_object(const struct ow_flow_record *rec)
{
    char ts[64];
    json_t *o = json_object();
    json_object_set_new(o, "pkts_toserver", json_u64(rec->pkts_toserver));
    json_object_set_new(o, "pkts_toclient", json_u64(rec->pkts_toclient));
    json_object_set_new(o, "bytes_toserver", json_u64(rec->bytes_toserver));
    json_object_set_new(o, "bytes_toclient", json_u64(rec->bytes_toclient));
    ow_eve_timestamp(rec->first_ts_us, ts, sizeof ts);
    json_object_set_new(o, "start", json_string(ts));
    ow_eve_timestamp(rec->last_ts_us, ts, sizeof ts);
    json_object_set_new(o, "end", json_string(ts));
    /* As known when the line is written: an open flow has no reason yet. */
    json_object_set_new(o, "state", json_string(ow_flow_state_name(rec->open ? rec->state
                                                                             : OW_STATE_CLOSED)));
    if (!rec->open)
        json_object_set_new(o, "reason", json_string(ow_eve_end_reason_name(rec->end_reason)));
    json_object_set_new(o, "alerted", json_boolean(rec->alerted));
    return o;
}

static json_t *ndpi_object(const struct ow_flow_record *rec)
{
    json_t *o = json_object();
    set_string_if(o, "protocol", FIELD(rec->ndpi_protocol));
    set_string_if(o, "category", FIELD(rec->ndpi_category));
    set_string_if(o, "confidence", FIELD(rec->ndpi_confidence));
    if (rec->ndpi_risk) {
        json_t *risks = json_array();
        for (unsigned bit = 0; bit < 64; bit++) {
            if (!(rec->ndpi_risk & ((uint64_t)1 << bit)))
                continue;
            const char *name = ow_ndpi_risk_name(bit);
            char unknown[32];
            if (!name) {
                snprintf(unknown, sizeof unknown, "risk_%u", bit);
                name = unknown;
            }
            json_array_append_new(risks, json_string(name));
        }
        json_object_set_new(o, "risks", risks);
    }
    return o;
}

static json_t *li_object(const struct ow_li_fields *li)
{
    const char *label = ow_li_label_name(li->label);
    if (label[0] == '\0')
        return NULL;
    json_t *o = json_object();
    json_object_set_new(o, "interface", json_string(label));
    set_string_if(o, "xid", FIELD(li->xid));
    set_string_if(o, "liid", FIELD(li->liid));
    set_string_if(o, "target", FIELD(li->target));
    if (li->label == OW_LI_X2 || li->label == OW_LI_X3)   /* TS 103 221-2 header field */
        json_object_set_new(o, "payload_format", json_integer(li->payload_format));
    json_object_set_new(o, "pdu_count", json_integer(li->pdu_count));
    json_object_set_new(o, "confidence", json_integer(li->confidence));
    return o;
}

/* "SSH-2.0-OpenSSH_9.2p1 Debian-2" as Suricata splits it: proto_version "2.0",
 * software_version "OpenSSH_9.2p1" (what follows a space is a comment, left out). A line
 * that is not a banner keeps its text as the software version. */
static json_t *ssh_side(const char *banner, size_t cap, const char *hassh, size_t hcap)
{
    json_t *o = json_object();
    size_t n = strnlen(banner, cap);
    if (n > 0) {
        const char *sw = banner;
        size_t swlen = n;
        if (n > 4 && !memcmp(banner, "SSH-", 4)) {
            const char *dash = memchr(banner + 4, '-', n - 4);
            if (dash) {
                json_object_set_new(o, "proto_version",
                                    wire_string(banner + 4, (size_t)(dash - banner - 4)));
                sw = dash + 1;
                swlen = n - (size_t)(sw - banner);
                const char *space = memchr(sw, ' ', swlen);
                if (space)
                    swlen = (size_t)(space - sw);
            }
        }
        json_object_set_new(o, "software_version", wire_string(sw, swlen));
    }
    size_t hn = strnlen(hassh, hcap);
    if (hn > 0) {
        /* Suricata writes the MD5 in lowercase hex; nDPI gives it in uppercase. */
        char lower[sizeof ((struct ow_flow_record *)0)->hassh_client];
        size_t k = 0;
        for (; k < hn && k + 1 < sizeof lower; k++)
            lower[k] = (hassh[k] >= 'A' && hassh[k] <= 'F') ? (char)(hassh[k] - 'A' + 'a')
                                                           : hassh[k];
        lower[k] = '\0';
        json_object_set_new(o, "hassh", json_pack("{s:o}", "hash", wire_string(lower, k)));
    }
    return o;
}

/* nDPI names TLS versions "TLSv1.2"; Suricata writes "TLS 1.2" (and "TLSv1", "SSLv3"). */
static json_t *tls_version(const char *v, size_t cap)
{
    static const struct { const char *ndpi, *suricata; } map[] = {
        { "TLSv1.1", "TLS 1.1" }, { "TLSv1.2", "TLS 1.2" }, { "TLSv1.3", "TLS 1.3" },
    };
    size_t n = strnlen(v, cap);
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strlen(map[i].ndpi) == n && !memcmp(map[i].ndpi, v, n))
            return json_string(map[i].suricata);
    return wire_string(v, cap);
}

static json_t *hash_object(const char *hash, size_t cap)
{
    return strnlen(hash, cap) ? json_pack("{s:o}", "hash", wire_string(hash, cap)) : NULL;
}

/* li (ours), and ssh, tls, http, dns in Suricata's shapes: present only when they hold
 * something. */
static void add_metadata(json_t *root, const struct ow_flow_record *rec)
{
    set_object_if(root, "li", li_object(&rec->li));

    json_t *ssh = json_object();
    set_object_if(ssh, "client", ssh_side(FIELD(rec->ssh_client), FIELD(rec->hassh_client)));
    set_object_if(ssh, "server", ssh_side(FIELD(rec->ssh_server), FIELD(rec->hassh_server)));
    set_object_if(root, "ssh", ssh);

    json_t *tls = json_object();
    set_string_if(tls, "sni", FIELD(rec->tls_sni));
    if (rec->tls_version[0])
        json_object_set_new(tls, "version", tls_version(FIELD(rec->tls_version)));
    set_object_if(tls, "ja3", hash_object(FIELD(rec->ja3)));
    set_object_if(tls, "ja3s", hash_object(FIELD(rec->ja3s)));
    set_object_if(root, "tls", tls);

    json_t *http = json_object();
    set_string_if(http, "hostname", FIELD(rec->http_host));
    set_string_if(http, "http_user_agent", FIELD(rec->http_user_agent));
    set_object_if(root, "http", http);

    /* A query as Suricata's EVE DNS version 3 writes it. */
    if (rec->dns_query[0])
        json_object_set_new(root, "dns", json_pack("{s:i,s:s,s:[{s:o}]}", "version", 3, "type",
                                                   "request", "queries", "rrname",
                                                   wire_string(FIELD(rec->dns_query))));
}

/* "a,b,c" as ["a", "b", "c"]: asset names hold no comma (policy check refuses one). */
static json_t *names_array(const char *list, size_t cap)
{
    json_t *arr = json_array();
    size_t n = strnlen(list, cap), start = 0;
    for (size_t i = 0; arr && i <= n; i++) {
        if (i == n || list[i] == ',') {
            if (i > start)
                json_array_append_new(arr, json_stringn(list + start, i - start));
            start = i + 1;
        }
    }
    return arr;
}

/* The most specific asset of each endpoint, and every asset holding it (docs/store.md). */
static json_t *assets_object(const struct ow_flow_record *rec)
{
    json_t *assets = json_object();
    if (!assets)
        return NULL;
    set_string(assets, "src", FIELD(rec->verdict.asset_src));
    set_string(assets, "dest", FIELD(rec->verdict.asset_dest));
    json_object_set_new(assets, "src_all", names_array(FIELD(rec->verdict.asset_src_all)));
    json_object_set_new(assets, "dest_all", names_array(FIELD(rec->verdict.asset_dest_all)));
    return assets;
}

static json_t *flow_event(const struct ow_flow_record *rec, const struct ow_eve_context *ctx)
{
    json_t *root = json_object();
    if (!root)
        return NULL;
    add_common(root, rec, "flow", ctx);
    json_object_set_new(root, "flow", flow_object(rec));
    set_object_if(root, "ndpi", ndpi_object(rec));

    json_t *verdict = json_object();
    json_object_set_new(verdict, "status", json_string(ow_verdict_status_name(rec->verdict.status)));
    set_string_if(verdict, "rule", FIELD(rec->verdict.rule));
    set_string_if(verdict, "kind", FIELD(rec->verdict.kind));
    json_object_set_new(root, "verdict", verdict);
    json_object_set_new(root, "assets", assets_object(rec));

    add_metadata(root, rec);
    return root;
}

static json_t *alert_event(const struct ow_flow_record *rec, int64_t alert_id,
                           const struct ow_eve_context *ctx)
{
    json_t *root = json_object();
    if (!root)
        return NULL;
    add_common(root, rec, "alert", ctx);

    /* Suricata's keys (action, gid, signature_id, rev, signature, category, severity, rule)
     * with their types, then ours (id, kind, severity_name, reason). */
    char kind[sizeof rec->verdict.kind + 1];
    snprintf(kind, sizeof kind, "%.*s", (int)strnlen(rec->verdict.kind, sizeof rec->verdict.kind),
             rec->verdict.kind);
    const struct ow_anomaly_kind_info *sig = ow_alert_signature(kind);
    json_t *alert = json_object();
    json_object_set_new(alert, "action", json_string("allowed"));
    json_object_set_new(alert, "gid", json_integer(OW_EVE_ALERT_GID));
    json_object_set_new(alert, "signature_id", json_integer(sig->signature_id));
    json_object_set_new(alert, "rev", json_integer(OW_EVE_ALERT_REV));
    json_object_set_new(alert, "signature", json_string(sig->signature));
    json_object_set_new(alert, "category", json_string(sig->category));
    json_object_set_new(alert, "severity",
                        json_integer(ow_eve_severity_number(rec->verdict.severity)));
    set_string(alert, "rule", FIELD(rec->verdict.rule));
    json_object_set_new(alert, "id", json_integer(alert_id));
    set_string(alert, "kind", FIELD(rec->verdict.kind));
    json_object_set_new(alert, "severity_name",
                        json_string(ow_severity_name(rec->verdict.severity)));
    set_string(alert, "reason", FIELD(rec->verdict.reason));
    json_object_set_new(root, "alert", alert);

    json_object_set_new(root, "assets", assets_object(rec));

    json_t *triage = ctx ? ow_triage_state_json(ctx->triage) : NULL;
    if (triage)
        json_object_set_new(root, "triage", triage);

    json_object_set_new(root, "flow", flow_object(rec));
    set_object_if(root, "ndpi", ndpi_object(rec));
    add_metadata(root, rec);
    return root;
}

/* jansson leaves DEL (0x7f) raw, as JSON allows; it can only occur inside a string, so
 * writing it as \u007F keeps the line printable ASCII without changing its meaning. */
static char *escape_del(char *s)
{
    size_t dels = 0, len = 0;
    for (; s[len]; len++)
        dels += s[len] == 0x7f;
    if (dels == 0)
        return s;
    char *out = ow_malloc(len + dels * 5 + 1);
    if (out) {
        size_t o = 0;
        for (size_t i = 0; i < len; i++) {
            if (s[i] == 0x7f) {
                memcpy(out + o, "\\u007F", 6);
                o += 6;
            } else {
                out[o++] = s[i];
            }
        }
        out[o] = '\0';
    }
    free(s);
    return out;
}

static char *dump(json_t *root)
{
    if (!root)
        return NULL;
    char *s = json_dumps(root, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
    json_decref(root);
    return s ? escape_del(s) : NULL;
}

static int write_line(FILE *out, char *line)
{
    if (!line)
        return -1;
    int rc = fputs(line, out) < 0 || fputc('\n', out) == EOF ? -1 : 0;
    free(line);
    return rc;
}

/* jansson leaves out what it cannot allocate; an event short of a field is worse than none. */
static json_t *complete(json_t *root)
{
    if (root && ow_alloc_failed()) {
        json_decref(root);
        return NULL;
    }
    return root;
}

char *ow_eve_flow_string_ctx(const struct ow_flow_record *rec, const struct ow_eve_context *ctx)
{
    ow_alloc_failed_reset();
    return dump(complete(flow_event(rec, ctx)));
}

char *ow_eve_alert_string_ctx(const struct ow_flow_record *rec, int64_t alert_id,
                              const struct ow_eve_context *ctx)
{
    ow_alloc_failed_reset();
    return dump(complete(alert_event(rec, alert_id, ctx)));
}

int ow_eve_write_flow_ctx(FILE *out, const struct ow_flow_record *rec,
                          const struct ow_eve_context *ctx)
{
    return write_line(out, ow_eve_flow_string_ctx(rec, ctx));
}

int ow_eve_write_alert_ctx(FILE *out, const struct ow_flow_record *rec, int64_t alert_id,
                           const struct ow_eve_context *ctx)
{
    return write_line(out, ow_eve_alert_string_ctx(rec, alert_id, ctx));
}

char *ow_eve_flow_string(const struct ow_flow_record *rec)
{
    return ow_eve_flow_string_ctx(rec, NULL);
}

char *ow_eve_alert_string(const struct ow_flow_record *rec, int64_t alert_id)
{
    return ow_eve_alert_string_ctx(rec, alert_id, NULL);
}

int ow_eve_write_flow(FILE *out, const struct ow_flow_record *rec)
{
    return ow_eve_write_flow_ctx(out, rec, NULL);
}

int ow_eve_write_alert(FILE *out, const struct ow_flow_record *rec, int64_t alert_id)
{
    return ow_eve_write_alert_ctx(out, rec, alert_id, NULL);
}
