#!/usr/bin/env python3
"""gen_li_pcaps.py — writes synthetic captures of LI traffic for the classifier tests.

Usage: gen_li_pcaps.py OUTDIR

Hand-built Ethernet/IPv4/TCP/UDP frames (standard library only). Every flow uses its own
server port so a test can look flows up by port; the expected labels are asserted by
tests/li/test_li_pcaps.c, not written here. Files:
  li_x2x3.pcap      X2 and X3 (ETSI TS 103 221-2): split PDUs, several PDUs per segment,
                    keep-alives first, out-of-order segments, UDP, keep-alive-only
  li_hi.pcap        HI2/HI3 PS-PDUs (ETSI TS 102 232-1): definite and indefinite BER, OID
                    length 7 and 8, keep-alives, out-of-order, a PDU larger than the
                    classifier's window; HI2 IRI records of 3GPP TS 33.108
  li_x1_hi1.pcap    X1 (TS 103 221-1) and HI1 (TS 103 120) XML over cleartext HTTP
  li_near_miss.pcap right prefixes with broken lengths, foreign XML, TLS: none may match
"""
import os
import struct
import sys

# ---------------------------------------------------------------- pcap and frames

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcapgen import PcapWriter, ber, ip4, tcp_frame as _tcp_frame, udp_frame as _udp_frame  # noqa: E402


def tcp_frame(src, dst, sport, dport, seq, ack, flags, payload=b""):
    return _tcp_frame(src, sport, dst, dport, seq, ack, flags, payload)


def udp_frame(src, dst, sport, dport, payload):
    return _udp_frame(src, sport, dst, dport, payload)


class Pcap:
    def __init__(self):
        self.frames = []
        self.t = 1767225600.0   # 2026-01-01T00:00:00Z

    def add(self, frame):
        self.t += 0.001
        self.frames.append((self.t, frame))

    def write(self, path):
        w = PcapWriter(path)
        for t, fr in self.frames:
            w.frame(t, fr)
        w.close()


FLAG_FIN, FLAG_SYN, FLAG_PSH, FLAG_ACK = 0x01, 0x02, 0x08, 0x10


class Tcp:
    """One TCP connection; data is sent as explicit segments, optionally out of order."""

    def __init__(self, pcap, cli, srv, cport, sport, handshake=True):
        self.p, self.addr, self.port = pcap, (cli, srv), (cport, sport)
        self.seq = [1000 + cport * 7, 5000 + sport * 3]
        if handshake:
            self.p.add(tcp_frame(cli, srv, cport, sport, self.seq[0], 0, FLAG_SYN))
            self.p.add(tcp_frame(srv, cli, sport, cport, self.seq[1], self.seq[0] + 1,
                                 FLAG_SYN | FLAG_ACK))
            self.seq = [self.seq[0] + 1, self.seq[1] + 1]
            self.p.add(tcp_frame(cli, srv, cport, sport, self.seq[0], self.seq[1], FLAG_ACK))

    def _frame(self, d, seq, data, flags=FLAG_PSH | FLAG_ACK):
        s, r = (0, 1) if d == 0 else (1, 0)
        return tcp_frame(self.addr[s], self.addr[r], self.port[s], self.port[r], seq,
                         self.seq[r], flags, data)

    def send(self, d, data, cuts=(), order=None):
        """Sends data from direction d (0 client) cut at the given offsets, in order
        (a permutation of the segment indexes) when given."""
        bounds = [0] + sorted(cuts) + [len(data)]
        segs = [(self.seq[d] + a, data[a:b]) for a, b in zip(bounds, bounds[1:]) if b > a]
        for i in (order if order is not None else range(len(segs))):
            self.p.add(self._frame(d, *segs[i]))
        self.seq[d] += len(data)

    def close(self):
        self.p.add(self._frame(0, self.seq[0], b"", FLAG_FIN | FLAG_ACK))
        self.p.add(self._frame(1, self.seq[1], b"", FLAG_FIN | FLAG_ACK))


# ---------------------------------------------------------------- X2/X3 (TS 103 221-2)

XID = bytes.fromhex("3f2504e04f8911d39a0c0305e82c3301")


def tlv(t, v):
    return struct.pack("!HH", t, len(v)) + v


def x2x3(pdu_type, fmt, direction, payload, tlvs=b"", xid=XID, corr=1, version=0x0005,
         hdr_len=None, payload_len=None):
    hl = 40 + len(tlvs) if hdr_len is None else hdr_len
    pl = len(payload) if payload_len is None else payload_len
    return (struct.pack("!HHIIHH", version, pdu_type, hl, pl, fmt, direction) + xid +
            struct.pack("!Q", corr) + tlvs + payload)


def x_keepalive(pdu_type, seqno):
    return x2x3(pdu_type, 0, 0, b"", tlv(8, struct.pack("!I", seqno)), xid=bytes(16), corr=0)


SIP = (b"INVITE sip:+4930123@ims.example SIP/2.0\r\nVia: SIP/2.0/UDP 10.1.1.1\r\n"
       b"Call-ID: abc@10.1.1.1\r\nContent-Length: 0\r\n\r\n")
TARGET = b"<E164Number>4930123456</E164Number>"


def ipv4_packet(n):
    body = struct.pack("!HHHH", 5060, 5060, 8 + n, 0) + bytes(range(n % 256)) [:n] + b"\0" * max(0, n - 256)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), 7, 0, 64, 17, 0,
                      ip4("10.9.9.9"), ip4("10.8.8.8"))
    return hdr + body


def rtp(seq):
    return struct.pack("!BBHII", 0x80, 8, seq, seq * 160, 0x1234) + b"\xd5" * 160


def gen_x2x3(out):
    p = Pcap()
    cli, srv = "10.20.1.10", "10.30.0.10"

    # X2: keep-alive exchange, then a SIP X2 PDU split three ways (inside the fixed header
    # and inside a TLV), then two PDUs in one segment.
    c = Tcp(p, cli, srv, 50001, 41001)
    c.send(0, x_keepalive(3, 1))
    c.send(1, x_keepalive(4, 1))
    tlvs = tlv(9, struct.pack("!II", 1767225600, 0)) + tlv(17, TARGET)
    first = x2x3(1, 9, 3, SIP, tlvs)
    c.send(0, first, cuts=(7, 52))
    c.send(0, x2x3(1, 5, 2, ipv4_packet(60), tlvs, corr=2) + x2x3(1, 9, 2, SIP, tlvs, corr=3))
    c.close()

    # X3: RTP content, keep-alives first, segments out of order.
    c = Tcp(p, cli, srv, 50002, 41002)
    c.send(0, x_keepalive(3, 7))
    c.send(1, x_keepalive(4, 7))
    stream = b"".join(x2x3(2, 8, 2, rtp(i), tlv(17, TARGET), corr=9) for i in range(3))
    c.send(0, stream, cuts=(100, 250, 400), order=(1, 0, 3, 2))
    c.close()

    # Keep-alives only: an X2/X3 connection with nothing to tell X2 from X3.
    c = Tcp(p, cli, srv, 50003, 41003)
    for i in range(3):
        c.send(0, x_keepalive(3, i))
        c.send(1, x_keepalive(4, i))
    c.close()

    # X2 over UDP, one PDU per datagram.
    for i in range(2):
        p.add(udp_frame(cli, srv, 50004, 41004, x2x3(1, 9, 3, SIP, tlv(17, TARGET), corr=i)))

    # X3 with version 0x0001 (early drafts), IPv4 content, no handshake seen.
    c = Tcp(p, cli, srv, 50005, 41005, handshake=False)
    c.send(0, x2x3(2, 5, 4, ipv4_packet(80), version=1) + x2x3(2, 5, 4, ipv4_packet(90), version=1))
    p.write(os.path.join(out, "li_x2x3.pcap"))


# ---------------------------------------------------------------- BER and PS-PDU (TS 102 232-1)


def ps_pdu(liid, seqno, payload, version=17, oid_len=7, indef=False):
    oid = bytes([4, 0, 2, 2, 5, 1, version]) + (b"\0" if oid_len == 8 else b"")
    comm = ber(0xA3, ber(0xA0, ber(0x80, b"ExampleOperator") + ber(0x81, b"med-01"), indef) +
               ber(0x82, b"NZ"), indef)
    header = (ber(0x80, oid) + ber(0x81, liid) + ber(0x82, b"NZ") + comm +
              ber(0x84, bytes([seqno])) + ber(0x85, b"20260101000000Z"))
    return ber(0x30, ber(0xA1, header, indef) + ber(0xA2, payload, indef), indef)


def iri_payload(indef=False):
    ipiri = ber(0xA2, ber(0x80, bytes([5, 3, 10, 1])) +
                ber(0xA1, ber(0x80, b"\x07") + ber(0x81, b"user1") + ber(0x83, b"\x01"), indef), indef)
    iri = ber(0x30, ber(0x80, b"\x01") + ber(0xA2, ipiri, indef), indef)
    return ber(0xA0, iri, indef)


def cc_payload(size=60, indef=False):
    ipcc = ber(0xA2, ber(0x80, bytes([5, 3, 10, 2])) + ber(0xA1, ber(0x80, ipv4_packet(size)), indef), indef)
    cc = ber(0x30, ber(0x80, b"\x00") + ber(0xA2, ipcc, indef), indef)
    return ber(0xA1, cc, indef)


def ka_payload(response=False):
    return ber(0xA2, bytes([0x84 if response else 0x83, 0]))


def hi2_record(liid, rec_tag=0xA1):
    oid = bytes([4, 0, 2, 2, 4, 1, 15, 5])       # 0.4.0.2.2.4.1.15.5 (UMTS HI2 r15 v5)
    return ber(rec_tag, ber(0x80, oid) + ber(0x81, liid) + ber(0xA3, ber(0x80, b"20260101000000Z")) +
               ber(0x84, b"\x00"))


def gen_hi(out):
    p = Pcap()
    cli, srv = "10.30.0.10", "198.51.100.20"

    # HI2, definite lengths, an IRI PDU split across segments, then a keep-alive.
    c = Tcp(p, cli, srv, 51001, 42001)
    c.send(0, ps_pdu(b"LIID-HI2-DEF", 1, iri_payload()), cuts=(3, 20, 70))
    c.send(0, ps_pdu(b"openli-1.0", 2, ka_payload()))
    c.send(1, ps_pdu(b"openli-1.0", 2, ka_payload(True)))
    c.close()

    # HI2, indefinite lengths throughout, version 43, three PDUs in one segment.
    c = Tcp(p, cli, srv, 51002, 42002)
    c.send(0, b"".join(ps_pdu(b"LIID-HI2-INDEF", i, iri_payload(True), version=43, indef=True)
                       for i in range(3)))
    c.close()

    # HI3, keep-alives both ways first (they alone do not decide), then CC out of order.
    c = Tcp(p, cli, srv, 51003, 42003)
    c.send(0, ps_pdu(b"openli-1.0", 1, ka_payload()))
    c.send(1, ps_pdu(b"openli-1.0", 1, ka_payload(True)))
    cc = ps_pdu(b"LIID-HI3", 2, cc_payload(100)) + ps_pdu(b"LIID-HI3", 3, cc_payload(40))
    c.send(0, cc, cuts=(50, 120, 200), order=(2, 0, 3, 1))
    c.close()

    # HI3, indefinite lengths, OID length 8 (old OpenLI), non-printable LIID.
    c = Tcp(p, cli, srv, 51004, 42004)
    c.send(0, ps_pdu(b"\x01\x02LI", 1, cc_payload(30, True), oid_len=8, indef=True) +
           ps_pdu(b"\x01\x02LI", 2, cc_payload(30, True), oid_len=8, indef=True))
    c.close()

    # HI2 as 3GPP TS 33.108 IRI records.
    c = Tcp(p, cli, srv, 51005, 42005)
    c.send(0, hi2_record(b"LIID-33108"))
    c.send(0, hi2_record(b"LIID-33108", 0xA4))
    c.close()

    # HI3 with one PDU larger than the classifier keeps (decided on its header).
    c = Tcp(p, cli, srv, 51006, 42006)
    big = ps_pdu(b"LIID-BIG", 1, cc_payload(6000))
    c.send(0, big, cuts=tuple(range(1400, len(big), 1400)))
    c.close()
    p.write(os.path.join(out, "li_hi.pcap"))


# ---------------------------------------------------------------- X1 / HI1 over HTTP

X1_BODY = b"""<?xml version="1.0" encoding="UTF-8"?>
<X1Request xmlns="http://uri.etsi.org/03221/X1/2017/10" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <x1RequestMessage xsi:type="ActivateTaskRequest">
    <admfIdentifier>admf-1</admfIdentifier>
    <neIdentifier>ne-core-1</neIdentifier>
    <messageTimestamp>2026-01-01T00:00:00Z</messageTimestamp>
    <version>v1.6.1</version>
    <x1TransactionId>5f2b0a4e-9b1c-4d2e-8f3a-1a2b3c4d5e6f</x1TransactionId>
    <taskDetails>
      <xId>29f28e1c-f230-486a-a860-f5a784ab9172</xId>
      <targetIdentifiers><targetIdentifier><e164Number>4930123456</e164Number></targetIdentifier></targetIdentifiers>
      <deliveryType>X2andX3</deliveryType>
    </taskDetails>
  </x1RequestMessage>
</X1Request>
"""

HI1_BODY = b"""<?xml version="1.0" encoding="UTF-8"?>
<HI1Message xmlns="http://uri.etsi.org/03120/common/2019/10/Core">
  <Header><SenderIdentifier><CountryCode>NL</CountryCode></SenderIdentifier></Header>
  <Payload><RequestPayload><ActionRequests/></RequestPayload></Payload>
</HI1Message>
"""


def http_post(path, body, ctype=b"application/xml"):
    return (b"POST " + path + b" HTTP/1.1\r\nHost: ne-core-1\r\nContent-Type: " + ctype +
            b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


def gen_x1_hi1(out):
    p = Pcap()
    c = Tcp(p, "10.30.0.5", "10.20.1.10", 52001, 43001)
    c.send(0, http_post(b"/X1/NE", X1_BODY), cuts=(30, 200))
    c.send(1, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    c.close()
    c = Tcp(p, "10.30.0.5", "10.40.0.1", 52002, 43002)
    c.send(0, http_post(b"/hi1", HI1_BODY))
    c.close()
    p.write(os.path.join(out, "li_x1_hi1.pcap"))


# ---------------------------------------------------------------- near-misses (none may match)


def gen_near_miss(out):
    p = Pcap()
    cli, srv = "10.20.1.11", "10.30.0.11"

    def flow(port, *client_data, server_data=b""):
        c = Tcp(p, cli, srv, 53000 + port % 1000, port)
        for d in client_data:
            c.send(0, d)
        if server_data:
            c.send(1, server_data)
        c.close()

    good = x2x3(1, 9, 3, SIP, tlv(17, TARGET))
    # 44001: TLV length one short: the TLV walk does not land on the header length.
    bad = bytearray(good)
    bad[42:44] = struct.pack("!H", len(TARGET) - 1)
    flow(44001, bytes(bad))
    # 44002: payload length 10 short: the next PDU starts inside the payload.
    flow(44002, x2x3(1, 9, 3, SIP, tlv(17, TARGET), payload_len=len(SIP) - 10) + good)
    # 44003: one PDU whose payload length promises more than the flow carries.
    flow(44003, x2x3(1, 9, 3, SIP, tlv(17, TARGET), payload_len=len(SIP) + 500))
    # 44004: PS-PDU outer length one too short (a child overruns it).
    pdu = bytearray(ps_pdu(b"LIID-X", 1, iri_payload()))
    pdu[1] -= 1
    flow(44004, bytes(pdu))
    # 44005: pSHeader length longer than the PDU.
    pdu = bytearray(ps_pdu(b"LIID-X", 1, iri_payload()))
    pdu[3] = 0x7F
    flow(44005, bytes(pdu) + bytes(pdu))
    # 44006: indefinite PDU missing its last end-of-contents, then another PDU.
    ind = ps_pdu(b"LIID-X", 1, iri_payload(True), indef=True)
    flow(44006, ind[:-2] + ind)
    # 44007: LIID length running past the header.
    pdu = bytearray(ps_pdu(b"LIID-X", 1, iri_payload()))
    at = pdu.index(b"\x81\x06LIID-X")
    pdu[at + 1] = 0x70
    flow(44007, bytes(pdu) + bytes(pdu))
    # 44008: 33.108 record whose inner element overruns the record.
    rec = bytearray(hi2_record(b"LIID-33108"))
    at = rec.index(b"\x81\x0aLIID")
    rec[at + 1] = 0x40
    flow(44008, bytes(rec) + bytes(rec))
    # 44009: HTTP XML in someone else's namespace.
    flow(44009, http_post(b"/soap", b'<?xml version="1.0"?><Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Body/></Envelope>'))
    # 44010: the PS-PDU prefix followed by garbage.
    flow(44010, bytes.fromhex("305ca15480080400020205011100") + b"\x99" * 80)
    # 44011: X2 keep-alive with a payload length.
    flow(44011, x2x3(3, 0, 0, b"", tlv(8, b"\0\0\0\1"), payload_len=4) + b"\0\0\0\0")
    # 44012: TLS ClientHello (X1 over TLS stays TLS).
    hello = bytes.fromhex("160301002f0100002b0303") + b"\x11" * 32 + bytes.fromhex("000002c02f0100")
    flow(44012, hello)
    # 44013: HI3 PDUs, the second one's outer length 5 too long, then a third.
    ok = ps_pdu(b"LIID-HI3", 1, cc_payload(40))
    longer = bytearray(ps_pdu(b"LIID-HI3", 2, cc_payload(40)))
    longer[1] += 5
    flow(44013, ok + bytes(longer) + ok)
    # 44014: X2 with version 0x0500 (major/minor swapped, an unconfirmed reading).
    flow(44014, x2x3(1, 9, 3, SIP, tlv(17, TARGET), version=0x0500) + good)
    # 44015: X2 fixed header right, PDU type 7.
    flow(44015, x2x3(7, 9, 3, SIP, tlv(17, TARGET)) + good)
    p.write(os.path.join(out, "li_near_miss.pcap"))


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: gen_li_pcaps.py OUTDIR\n")
        return 2
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    gen_x2x3(out)
    gen_hi(out)
    gen_x1_hi1(out)
    gen_near_miss(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
