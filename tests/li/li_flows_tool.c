/* li_flows_tool.c — prints the LI or O&M label of every flow of the pcaps given (test helper). */
#include <arpa/inet.h>
#include <stdio.h>

#include "tests/li/li_pcap_flows.h"

int main(int argc, char **argv)
{
    int status = 0;
    for (int i = 1; i < argc; i++) {
        struct li_test_capture cap;
        char err[256];
        if (li_test_read_pcap(argv[i], &cap, err, sizeof err) != 0) {
            fprintf(stderr, "%s: %s\n", argv[i], err);
            status = 2;
            continue;
        }
        for (uint32_t f = 0; f < cap.n_flows; f++) {
            const struct li_test_flow *fl = &cap.flows[f];
            char c[64], s[64];
            inet_ntop(fl->family == 4 ? AF_INET : AF_INET6, fl->client_ip, c, sizeof c);
            inet_ntop(fl->family == 4 ? AF_INET : AF_INET6, fl->server_ip, s, sizeof s);
            printf("%s\t%s\t%s:%u\t%s:%u\t%s\t%u\txid=%s\tliid=%s\ttarget=%s\tfmt=%u\tpdus=%u\n",
                   argv[i], fl->l4_proto == 6 ? "TCP" : "UDP", c, fl->client_port, s,
                   fl->server_port,
                   fl->li.label ? ow_li_label_name(fl->li.label) : fl->om_label[0] ? fl->om_label : "-",
                   fl->li.label ? fl->li.confidence : fl->om_confidence, fl->li.xid, fl->li.liid, fl->li.target,
                   fl->li.payload_format, fl->li.pdu_count);
        }
        li_test_capture_free(&cap);
    }
    return status;
}
