#!/usr/bin/env python3
"""gen_om_night.py — writes the sample capture: one night (2026-02-10, 00:00–06:00Z) on the
small O&M site of examples/sample-policy.yaml. Authorized traffic: SNMP polls, syslog, NTP,
X1 provisioning over TLS, X2/X3 from the core to the mediation function, HI2/HI3 from the
mediation function to the LEMF, NOC SSH, and acme's SSH inside its change window. Incidents
(each should raise one alert; see tests/integration/scenario.py):
  1 X2 from a network element to an outside host on port 443          li_unauthorized
  2 HI2 from the mediation function to a host that is not the LEMF    li_unauthorized
  3 acme SSH to the core after its window closed                     maintenance_outside_window
  4 acme SSH inside the window to the RAN, which the ticket omits    vendor_unauthorized
  5 Telnet from borealis's jump host, which has no ticket            vendor_unauthorized
  6 the RAN's SSH to an internet host on port 443                     egress_external
  7 TLS to the core's X1 port from a host that is not the ADMF        li_unauthorized
  8 DNS from the RAN to an outside resolver every 30 s                egress_external
  9 an acme-built core element's SSH to an internet host on port 443 egress_external
 10 DNS from an acme-built core element to an outside resolver       egress_external
(acme built the core and holds its maintenance ticket; a network element's vendor is its
maker, not a way in, so its own flows to the internet are egress, not vendor access.)

With --clean the night has the authorized traffic only: a baseline for `policy learn`.

usage: gen_om_night.py [--clean] OUT.pcap"""
import calendar
import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_li_pcaps as li  # noqa: E402
import pcapgen as g  # noqa: E402

T0 = calendar.timegm((2026, 2, 10, 0, 0, 0))

NMS, NTP, ADMF, MDF, LEMF = "10.30.1.2", "10.30.1.3", "10.30.0.5", "10.30.0.10", "198.51.100.20"
CORE1, CORE2, RAN1 = "10.20.1.11", "10.20.1.12", "10.20.2.21"
NOC_PC, ACME_JUMP, BOREALIS_JUMP = "10.30.2.15", "10.99.0.7", "10.98.0.4"
XID = uuid.UUID("5f1c2a8e-3b7d-4c1e-9a2f-0d6b8e4a1c35").bytes
TARGET = b"<E164Number>4915123456789</E164Number>"


def at(h, m=0, s=0.0):
    return T0 + h * 3600 + m * 60 + s


def ssh(w, t, client, cport, server, sport, minutes=5, client_banner="SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u2",
        server_banner="SSH-2.0-OpenSSH_8.4p1"):
    s = g.TcpSession(w, t, client, cport, server, sport).open()
    s.reply((server_banner + "\r\n").encode()).send((client_banner + "\r\n").encode())
    for i in range(6):     # encrypted-looking interactive traffic
        s.send(bytes((i * 37 + k) & 0xFF for k in range(64)), dt=minutes * 60 / 12)
        s.reply(bytes((i * 53 + k) & 0xFF for k in range(96)), dt=0.05)
    s.close()


def tls(w, t, client, cport, server, sport, sni):
    s = g.TcpSession(w, t, client, cport, server, sport).open()
    s.send(g.tls_client_hello(sni)).reply(g.tls_server_hello())
    s.send(bytes([0x17, 0x03, 0x03, 0x00, 0x20]) + bytes(32))
    s.reply(bytes([0x17, 0x03, 0x03, 0x00, 0x40]) + bytes(64)).close()


def x2_connection(w, t, ne, cport, server, sport, pdu_type=1, count=4):
    s = g.TcpSession(w, t, ne, cport, server, sport).open()
    s.send(li.x_keepalive(3, 0))                     # keep-alive
    s.reply(li.x_keepalive(4, 0))                    # keep-alive ack
    payload = li.SIP if pdu_type == 1 else li.rtp(1)
    fmt = 9 if pdu_type == 1 else 8                  # SIP message / RTP packet
    pdus = b"".join(li.x2x3(pdu_type, fmt, 2, payload, li.tlv(8, i.to_bytes(4, "big")) + li.tlv(17, TARGET), XID)
                    for i in range(count))
    s.send(pdus, mss=120)                            # PDUs split across segments
    s.close()


def hi_connection(w, t, mdf, cport, server, sport, kind, liid=b"LIID-DC1-0042", count=3):
    s = g.TcpSession(w, t, mdf, cport, server, sport).open()
    s.send(li.ps_pdu(liid, 0, li.ka_payload()))
    for i in range(count):
        payload = li.cc_payload() if kind == "cc" else li.iri_payload()
        s.send(li.ps_pdu(liid, i + 1, payload), dt=1.0)
    s.close()


def main():
    args = sys.argv[1:]
    clean = "--clean" in args
    args = [a for a in args if a != "--clean"]
    if len(args) != 1:
        sys.exit(__doc__)
    w = g.PcapWriter(args[0])
    events = []   # (time, function, args): written in time order

    # --- authorized ---
    for i in range(0, 36):                           # SNMP every 10 minutes to both elements
        for ne in (CORE1, RAN1):
            t = at(0, i * 10, 1 + (ne == RAN1))
            events.append((t, "snmp", (ne,)))
    for k, (h, m) in enumerate([(0, 5), (1, 47), (3, 12), (5, 33)]):
        events.append((at(h, m), "syslog", (CORE1 if k % 2 == 0 else RAN1, k)))
    for h in range(0, 6):
        events.append((at(h, 17), "ntp", (CORE1,)))
    events.append((at(0, 30), "tls", (ADMF, 41000, CORE1, 8443, "ne-core-1.x1.dc1-om.example")))
    events.append((at(0, 40), "x2", (CORE1, 38000, MDF, 9999, 1)))
    events.append((at(0, 41), "x2", (CORE1, 38001, MDF, 9998, 2)))
    events.append((at(0, 50), "hi", (MDF, 50100, LEMF, 44444, "iri")))
    events.append((at(0, 51), "hi", (MDF, 50101, LEMF, 44445, "cc")))
    events.append((at(0, 45), "ssh", (NOC_PC, 50022, CORE1, 22)))
    events.append((at(2, 0), "ssh", (ACME_JUMP, 60100, CORE1, 22, 20)))

    # --- incidents ---
    incidents = []
    incidents.append((at(3, 10), "x2", (CORE2, 38500, "203.0.113.77", 443, 1)))           # 1
    incidents.append((at(3, 40), "hi", (MDF, 50200, "192.0.2.99", 44444, "iri")))            # 2
    incidents.append((at(5, 30), "ssh", (ACME_JUMP, 60200, CORE1, 22)))                      # 3
    incidents.append((at(2, 30), "ssh", (ACME_JUMP, 60300, RAN1, 22)))                       # 4
    incidents.append((at(4, 10), "telnet", (BOREALIS_JUMP, 40023, RAN1, 23)))                # 5
    incidents.append((at(4, 40), "ssh", (RAN1, 45443, "203.0.113.50", 443)))                 # 6
    incidents.append((at(1, 20), "tls", ("10.30.1.50", 42000, CORE1, 8443, "ne-core-1.x1.dc1-om.example")))  # 7
    for i in range(20):                                                                   # 8
        incidents.append((at(5, 0, 30 * i), "dns", (RAN1, 53001, "8.8.8.8", i)))
    incidents.append((at(4, 52), "ssh", (CORE2, 45444, "203.0.113.60", 443)))             # 9
    for i in range(10):                                                                   # 10
        incidents.append((at(5, 41, 30 * i), "dns", (CORE1, 53002, "9.9.9.9", 100 + i)))
    if not clean:
        events += incidents

    # Sessions are written whole, so write them in start order; packets of different
    # sessions never overlap in time because each lasts well under the gaps between them.
    for t, kind, args in sorted(events, key=lambda e: e[0]):
        if kind == "snmp":
            ne, = args
            w.udp(t, NMS, 40161, ne, 161, g.snmp_get())
            w.udp(t + 0.004, ne, 161, NMS, 40161, g.snmp_response())
        elif kind == "syslog":
            ne, k = args
            msg = f"<30>Feb 10 {int((t - T0) // 3600):02d}:{int((t - T0) % 3600 // 60):02d}:00 ne-{k} " \
                  f"sshd[22{k}1]: session opened for user ops"
            w.udp(t, ne, 514, NMS, 514, msg.encode())
        elif kind == "ntp":
            ne, = args
            w.udp(t, ne, 123, NTP, 123, g.ntp_packet(3))
            w.udp(t + 0.002, NTP, 123, ne, 123, g.ntp_packet(4))
        elif kind == "tls":
            tls(w, t, *args)
        elif kind == "x2":
            ne, cport, server, sport, ptype = args
            x2_connection(w, t, ne, cport, server, sport, ptype)
        elif kind == "hi":
            hi_connection(w, t, *args)
        elif kind == "ssh":
            ssh(w, t, *args)
        elif kind == "telnet":
            client, cport, server, sport = args
            s = g.TcpSession(w, t, client, cport, server, sport).open()
            s.reply(b"\xff\xfd\x18\xff\xfd\x20\xff\xfd\x23\xff\xfd\x27")
            s.send(b"\xff\xfb\x18\xff\xfb\x20\xff\xfb\x23\xff\xfb\x27")
            s.reply(b"\xff\xfa\x20\x01\xff\xf0\xff\xfa\x23\x01\xff\xf0")
            s.send(b"\xff\xfa\x20\x0038400,38400\xff\xf0")
            s.reply(b"\r\nran-1 login: ")
            for ch in b"root\r":
                s.send(bytes([ch]), dt=0.2)
                s.reply(bytes([ch]), dt=0.01)
            s.reply(b"Password: ")
            s.send(b"vendor123\r", dt=0.5)
            s.reply(b"\r\nWelcome\r\n# ").close()
        elif kind == "dns":
            ne, port, resolver, i = args
            w.udp(t, ne, port, resolver, 53, g.dns_query(f"c{i}.update-check.example.net", 0x4000 + i))
            w.udp(t + 0.02, resolver, 53, ne, port, g.dns_query(f"c{i}.update-check.example.net", 0x4000 + i))
    w.close()


if __name__ == "__main__":
    main()
