/* decode_events.h — owns the list of reasons a frame ends its decode without an IP packet,
 * each with a stable name (stored with every run, so names are never reused or renamed) and
 * the counter class it falls into. The classes match the run's stored counters:
 * malformed events add up to packets_malformed; unsupported and not_ip events add up to
 * packets_not_ip. */
#ifndef OW_DECODE_EVENTS_H
#define OW_DECODE_EVENTS_H

#include <stddef.h>

/* X(id, name, class): class is M (malformed), U (unsupported) or N (not IP). */
#define OW_DECODE_EVENT_LIST(X) \
    X(NONE,                    "none",                    N) \
    X(NULL_FRAME,              "null_frame",              M) \
    X(UNSUPPORTED_LINKTYPE,    "unsupported_linktype",    U) \
    X(ETH_HEADER_SHORT,        "eth_header_short",        M) \
    X(ETH_LLC_BAD_LENGTH,      "eth_llc_bad_length",      M) \
    X(ETH_LLC_SHORT,           "eth_llc_short",           M) \
    X(ETH_LLC_NOT_SNAP,        "eth_llc_not_snap",        N) \
    X(ETH_SNAP_SHORT,          "eth_snap_short",          M) \
    X(VLAN_TAG_SHORT,          "vlan_tag_short",          M) \
    X(UNSUPPORTED_ETHERTYPE,   "unsupported_ethertype",   N) \
    X(FABRICPATH_SHORT,        "fabricpath_short",        M) \
    X(NESTING_TOO_DEEP,        "nesting_too_deep",        U) \
    X(MPLS_LABEL_SHORT,        "mpls_label_short",        M) \
    X(MPLS_PAYLOAD_SHORT,      "mpls_payload_short",      M) \
    X(MPLS_PAYLOAD_NOT_IP,     "mpls_payload_not_ip",     U) \
    X(PPPOE_HEADER_SHORT,      "pppoe_header_short",      M) \
    X(PPPOE_NOT_SESSION,       "pppoe_not_session",       N) \
    X(PPP_PROTOCOL_SHORT,      "ppp_protocol_short",      M) \
    X(PPP_NOT_IP,              "ppp_not_ip",              N) \
    X(PPP_LINK_SHORT,          "ppp_link_short",          M) \
    X(CHDLC_HEADER_SHORT,      "chdlc_header_short",      M) \
    X(SLL_HEADER_SHORT,        "sll_header_short",        M) \
    X(SLL2_HEADER_SHORT,       "sll2_header_short",       M) \
    X(NULL_HEADER_SHORT,       "null_header_short",       M) \
    X(NULL_FAMILY_NOT_IP,      "null_family_not_ip",      N) \
    X(WLAN_HEADER_SHORT,       "wlan_header_short",       M) \
    X(WLAN_NOT_DATA,           "wlan_not_data",           N) \
    X(WLAN_NULL_DATA,          "wlan_null_data",          N) \
    X(WLAN_PROTECTED,          "wlan_protected",          N) \
    X(WLAN_LLC_SHORT,          "wlan_llc_short",          M) \
    X(WLAN_LLC_NOT_SNAP,       "wlan_llc_not_snap",       N) \
    X(RADIOTAP_HEADER_SHORT,   "radiotap_header_short",   M) \
    X(RADIOTAP_BAD_LENGTH,     "radiotap_bad_length",     M) \
    X(IP_VERSION_SHORT,        "ip_version_short",        M) \
    X(IP_BAD_VERSION,          "ip_bad_version",          M) \
    X(IPV4_HEADER_SHORT,       "ipv4_header_short",       M) \
    X(IPV4_BAD_VERSION,        "ipv4_bad_version",        M) \
    X(IPV4_BAD_IHL,            "ipv4_bad_ihl",            M) \
    X(IPV4_TOTAL_LEN_SHORT,    "ipv4_total_len_short",    M) \
    X(IPV4_OPTIONS_TRUNCATED,  "ipv4_options_truncated",  M) \
    X(IPV6_HEADER_SHORT,       "ipv6_header_short",       M) \
    X(IPV6_BAD_VERSION,        "ipv6_bad_version",        M) \
    X(IPV6_EXT_CHAIN_TOO_LONG, "ipv6_ext_chain_too_long", M) \
    X(IPV6_EXT_HEADER_SHORT,   "ipv6_ext_header_short",   M) \
    X(IPV6_FRAG_HEADER_SHORT,  "ipv6_frag_header_short",  M) \
    X(IPV6_EXT_TRUNCATED,      "ipv6_ext_truncated",      M) \
    X(TCP_HEADER_SHORT,        "tcp_header_short",        M) \
    X(TCP_BAD_DATA_OFFSET,     "tcp_bad_data_offset",     M) \
    X(UDP_HEADER_SHORT,        "udp_header_short",        M) \
    X(SCTP_HEADER_SHORT,       "sctp_header_short",       M) \
    X(ICMP_HEADER_SHORT,       "icmp_header_short",       M) \
    X(ERSPAN_HEADER_SHORT,     "erspan_header_short",     M) \
    X(ERSPAN_NOT_ETHERNET,     "erspan_not_ethernet",     U) \
    X(WCCP_HEADER_SHORT,       "wccp_header_short",       M) \
    X(ORPHAN_FRAGMENT,         "orphan_fragment",         M)

enum ow_decode_event {
#define OW_DEV_ENUM(id, name, cls) OW_DEV_##id,
    OW_DECODE_EVENT_LIST(OW_DEV_ENUM)
#undef OW_DEV_ENUM
    OW_DECODE_EVENT_COUNT
};

enum ow_decode_event_class { OW_DEV_CLASS_M, OW_DEV_CLASS_U, OW_DEV_CLASS_N };

/* Stable name ("ipv4_header_short"); "unknown" outside the enum. */
const char *ow_decode_event_name(enum ow_decode_event ev);
/* "malformed", "unsupported" or "not_ip". */
const char *ow_decode_event_class_name(enum ow_decode_event ev);
enum ow_decode_event_class ow_decode_event_class(enum ow_decode_event ev);

#endif
