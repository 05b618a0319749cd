/* li_pcap_flows.h — test-only pcap → flow harness for omwitness's classifiers (LI and O&M):
 * reads a capture with libpcap (Ethernet, VLAN, Linux SLL/SLL2, PPP, raw IP, null/loopback;
 * IPv4/IPv6; TCP/UDP), keys flows by a simple 5-tuple (client = first sender), feeds each
 * flow's payloads to ow_proto_stream_add and reports the labels of every flow. Not the
 * capture engine. */
#ifndef OW_TEST_LI_PCAP_FLOWS_H
#define OW_TEST_LI_PCAP_FLOWS_H

#include <stdint.h>

#include "common/flow_record.h"

struct li_test_flow {
    uint8_t  l4_proto;
    uint8_t  family;              /* 4 or 6 */
    uint8_t  client_ip[16], server_ip[16];
    uint16_t client_port, server_port;
    uint32_t packets;
    uint32_t payload_packets;
    uint32_t packets_after_decision; /* payload packets that arrived after the label was final */
    struct ow_li_fields li;
    char     om_label[16];        /* O&M label, "" when none */
    uint8_t  om_confidence;
};

struct li_test_capture {
    struct li_test_flow *flows;
    uint32_t n_flows;
    uint64_t packets;
};

/* Reads path; 0 on success, -1 when libpcap cannot open it (errbuf then says why). */
int li_test_read_pcap(const char *path, struct li_test_capture *cap, char *errbuf, size_t errlen);
void li_test_capture_free(struct li_test_capture *cap);

/* The flow whose server port is port (first one), or NULL. */
const struct li_test_flow *li_test_flow_by_port(const struct li_test_capture *cap, uint16_t port);

#endif
