#!/usr/bin/env python3
"""gen_hostile_pcap.py — a capture whose wire strings are HTML/script injection payloads, for
the web UI's injection test. Usage: gen_hostile_pcap.py OUT.pcap

Each session is an anomaly under examples/sample-policy.yaml, so it raises an alert whose
detail page shows the hostile string:
  TLS SNI      from ne-core to an outside address (egress_external)
  SSH banners  acme's jump host to ne-core outside its window (maintenance_outside_window)
  HI2 LIID     the mediation function to a host that is not the LEMF (li_unauthorized)
Every payload, if it ever ran, would set window.__pwned; the test asserts it stays unset."""
import calendar
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
import gen_li_pcaps as li  # noqa: E402
import pcapgen as g  # noqa: E402

T0 = calendar.timegm((2026, 2, 11, 6, 0, 0))
CORE1, MDF, ACME_JUMP = "10.20.1.11", "10.30.0.10", "10.99.0.7"

SNI = "<script>window.__pwned='sni'</script>.example"
SSH_CLIENT = "SSH-2.0-\"><img src=x onerror=\"window.__pwned='ssh'\">"
SSH_SERVER = "SSH-2.0-<svg onload=window.__pwned='sshd'>"
LIID = b"<img src=x onerror=window.__pwned='liid'>"


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    w = g.PcapWriter(sys.argv[1])
    s = g.TcpSession(w, T0, CORE1, 41555, "203.0.113.66", 443).open()
    s.send(g.tls_client_hello(SNI)).reply(g.tls_server_hello()).close()

    s = g.TcpSession(w, T0 + 60, ACME_JUMP, 60555, CORE1, 22).open()
    s.reply((SSH_SERVER + "\r\n").encode()).send((SSH_CLIENT + "\r\n").encode())
    s.send(bytes(range(64))).reply(bytes(range(96))).close()

    s = g.TcpSession(w, T0 + 120, MDF, 50555, "192.0.2.98", 44444).open()
    s.send(li.ps_pdu(LIID, 0, li.ka_payload()))
    for i in range(3):
        s.send(li.ps_pdu(LIID, i + 1, li.iri_payload()), dt=1.0)
    s.close()
    w.close()


if __name__ == "__main__":
    main()
