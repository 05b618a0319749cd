/* flow_record.h — the compact record omwitness keeps for a flow once nDPI's state is freed:
 * identity, counters, classification, LI fields, metadata and verdict. It has no pointers
 * and a fixed size, so it crosses the worker→writer ring by copy, and every string in it is
 * NUL-terminated and bounded (strings from the wire are kept raw: escape when shown). */
#ifndef OW_FLOW_RECORD_H
#define OW_FLOW_RECORD_H

#include <stdint.h>

#include "common/endpoint.h"

enum ow_verdict_status {
    OW_VERDICT_UNEVALUATED = 0,   /* no policy loaded */
    OW_VERDICT_AUTHORIZED,
    OW_VERDICT_ANOMALY,
    OW_VERDICT_OUT_OF_SCOPE,
};

enum ow_severity {
    OW_SEV_NONE = 0,
    OW_SEV_MEDIUM,
    OW_SEV_HIGH,
    OW_SEV_CRITICAL,
};

/* Why the worker closed the flow. */
enum ow_flow_end_reason {
    OW_END_IDLE = 0,       /* no packet for the protocol's idle timeout */
    OW_END_ACTIVE,         /* active timeout: a long flow is cut in slices */
    OW_END_TCP_CLOSED,     /* FIN both ways or RST, then a new SYN or the close timeout */
    OW_END_SHUTDOWN,       /* end of input or capture stopped */
    OW_END_EVICTED,        /* flow table full */
};

/* EVE flow.state. */
enum ow_flow_state {
    OW_STATE_NEW = 0,      /* no answer seen yet */
    OW_STATE_ESTABLISHED,
    OW_STATE_CLOSED,       /* ended */
};

/* LI labels (classifiers/li). */
enum ow_li_label {
    OW_LI_NONE = 0,
    OW_LI_X1, OW_LI_X2, OW_LI_X3, OW_LI_HI1, OW_LI_HI2, OW_LI_HI3,
};

struct ow_li_fields {
    uint8_t  label;              /* enum ow_li_label */
    uint8_t  confidence;         /* 0..100 */
    char     xid[40];            /* X2/X3 XID as UUID text, or X1 XID */
    char     liid[80];           /* HI2/HI3 lawfulInterceptionIdentifier (printable form) */
    char     target[128];        /* X2/X3 TLV 17 target identifier (printable form) */
    uint16_t payload_format;     /* X2/X3 header payload format */
    uint32_t pdu_count;          /* PDUs parsed in the inspected bytes */
};

struct ow_verdict {
    uint8_t status;              /* enum ow_verdict_status */
    uint8_t severity;            /* enum ow_severity, anomalies only */
    uint8_t overrun;             /* authorized maintenance that outlived its window */
    char    rule[64];            /* matching rule id (authorized), or the nearest rule */
    char    kind[32];            /* anomaly kind, e.g. "li_unauthorized" */
    char    reason[384];         /* one sentence: expected vs seen */
    char    asset_src[64];       /* asset name of the client, "" if none */
    char    asset_dest[64];      /* asset name of the server, "" if none */
    char    asset_src_all[192];  /* every asset holding the client, comma-separated, most specific first */
    char    asset_dest_all[192]; /* the same for the server */
    char    ticket[64];          /* maintenance ticket of the rule, when there is one */
};

struct ow_flow_record {
    uint64_t flow_id;            /* deterministic: hash of key and first packet time, < 2^53 */
    uint64_t first_ts_us;        /* packet time of the first packet */
    uint64_t last_ts_us;         /* packet time of the last packet */

    struct ow_endpoint client;   /* initiator: TCP SYN sender, else first packet's sender */
    struct ow_endpoint server;
    uint8_t  l4_proto;
    uint8_t  end_reason;         /* enum ow_flow_end_reason */
    uint16_t vlan_id;
    uint16_t tunnels;            /* OW_TUNNEL_* seen on this flow */
    uint8_t  icmp_type;          /* first ICMP packet's type/code, for Community ID */
    uint8_t  icmp_code;
    uint32_t slice;              /* 0, or n for the n-th continuation after active timeouts */
    /* Record model: a flow is written when its verdict is reached (open = 1,
     * counters so far) and again when it ends (open = 0, final counters). */
    uint8_t  open;               /* the flow is still running: end_reason means nothing yet */
    uint8_t  state;              /* enum ow_flow_state, as the worker last saw it */
    uint8_t  alerted;            /* an alert was raised on this flow */
    uint8_t  late_overrun;       /* maintenance_overrun raised after the verdict record */
    uint64_t decided_ts_us;      /* packet time at which the verdict was reached (0: unknown) */

    uint64_t pkts_toserver, pkts_toclient;
    uint64_t bytes_toserver, bytes_toclient;   /* wire bytes of the frames */
    uint32_t later_fragments;                 /* non-first IP fragments counted here */

    char community_id[40];       /* "1:" + base64 SHA-1 */

    /* nDPI's result (classifiers/ndpi_flow). */
    char     ndpi_protocol[64];  /* ndpi_protocol2name, e.g. "TLS.Google" */
    char     ndpi_master[32];    /* master protocol name, "" when none */
    char     ndpi_app[32];       /* app protocol name */
    char     ndpi_category[32];
    char     ndpi_confidence[32];
    uint64_t ndpi_risk;          /* bit i = ndpi_risk_enum i */

    /* The flow's application label: the LI label when there is one, else ndpi_protocol. */
    char app_proto[64];

    /* Metadata copied out of nDPI before its state is freed ("" when absent). */
    char ssh_client[48], ssh_server[48];
    char hassh_client[33], hassh_server[33];
    char tls_sni[80], ja3[33], ja3s[33], tls_version[16];
    char http_host[80], http_user_agent[128];
    char dns_query[80];

    struct ow_li_fields li;
    struct ow_verdict verdict;
};

const char *ow_verdict_status_name(uint8_t status);
const char *ow_severity_name(uint8_t severity);
const char *ow_li_label_name(uint8_t label);   /* "X2" ..., "" for none */
const char *ow_end_reason_name(uint8_t reason);
const char *ow_flow_state_name(uint8_t state);          /* "new", "established", "closed" */
const char *ow_eve_end_reason_name(uint8_t reason);     /* EVE flow.reason: timeout ... */

#endif
