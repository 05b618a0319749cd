"""pcapgen.py — writes classic pcap files of hand-built Ethernet/IPv4/TCP/UDP frames with
correct checksums, and plays TCP sessions (handshake, data in segments, close) with real
sequence numbers. Standard library only; used by the sample and test capture generators."""
import struct

LINKTYPE_ETHERNET = 1


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4(addr: str) -> bytes:
    return bytes(int(x) for x in addr.split("."))


def mac_for(addr: str) -> bytes:
    return b"\x02\x00" + ip4(addr)


def ipv4_frame(src: str, dst: str, proto: int, l4: bytes, ip_id: int = 1) -> bytes:
    """Ethernet + IPv4 (DF, TTL 64, checksummed) around an L4 segment."""
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), ip_id & 0xFFFF, 0x4000, 64, proto, 0,
                      ip4(src), ip4(dst))
    hdr = hdr[:10] + struct.pack("!H", checksum(hdr)) + hdr[12:]
    return mac_for(dst) + mac_for(src) + b"\x08\x00" + hdr + l4


def udp_frame(src, sport, dst, dport, payload: bytes, ip_id: int = 1) -> bytes:
    l4 = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 17, len(l4))
    csum = checksum(pseudo + l4) or 0xFFFF
    return ipv4_frame(src, dst, 17, l4[:6] + struct.pack("!H", csum) + l4[8:], ip_id)


def tcp_frame(src, sport, dst, dport, seq, ack, flags, payload: bytes = b"", ip_id: int = 1) -> bytes:
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4,
                      flags, 65535, 0, 0)
    pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 6, len(hdr) + len(payload))
    csum = checksum(pseudo + hdr + payload)
    return ipv4_frame(src, dst, 6, hdr[:16] + struct.pack("!H", csum) + hdr[18:] + payload, ip_id)


class PcapWriter:
    def __init__(self, path):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, LINKTYPE_ETHERNET))
        self.ip_id = 1

    def close(self):
        self.f.close()

    def frame(self, t: float, data: bytes):
        sec = int(t)
        usec = int(round((t - sec) * 1e6))
        if usec >= 1000000:
            sec, usec = sec + 1, usec - 1000000
        self.f.write(struct.pack("<IIII", sec, usec, len(data), len(data)) + data)

    def _next_id(self):
        self.ip_id = (self.ip_id + 1) & 0xFFFF
        return self.ip_id

    def udp(self, t, src, sport, dst, dport, payload: bytes):
        self.frame(t, udp_frame(src, sport, dst, dport, payload, self._next_id()))

    def tcp(self, t, src, sport, dst, dport, seq, ack, flags, payload=b""):
        self.frame(t, tcp_frame(src, sport, dst, dport, seq, ack, flags, payload, self._next_id()))


FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


class TcpSession:
    """A TCP connection between client and server; times advance by `gap` per segment."""

    def __init__(self, w: PcapWriter, t, client, cport, server, sport, gap=0.01, isn_c=1000, isn_s=5000):
        self.w, self.t, self.gap = w, t, gap
        self.c, self.cp, self.s, self.sp = client, cport, server, sport
        self.cseq, self.sseq = isn_c, isn_s

    def _tick(self, dt=None):
        self.t += self.gap if dt is None else dt
        return self.t

    def open(self):
        self.w.tcp(self._tick(0), self.c, self.cp, self.s, self.sp, self.cseq, 0, SYN)
        self.cseq += 1
        self.w.tcp(self._tick(), self.s, self.sp, self.c, self.cp, self.sseq, self.cseq, SYN | ACK)
        self.sseq += 1
        self.w.tcp(self._tick(), self.c, self.cp, self.s, self.sp, self.cseq, self.sseq, ACK)
        return self

    def segments(self, data, mss):
        return [data[i:i + mss] for i in range(0, len(data), mss)] or [b""]

    def send(self, data: bytes, mss=1400, dt=None):
        """Client → server, in segments of at most mss bytes."""
        for seg in self.segments(data, mss):
            self.w.tcp(self._tick(dt), self.c, self.cp, self.s, self.sp, self.cseq, self.sseq, PSH | ACK, seg)
            self.cseq += len(seg)
        return self

    def reply(self, data: bytes, mss=1400, dt=None):
        """Server → client."""
        for seg in self.segments(data, mss):
            self.w.tcp(self._tick(dt), self.s, self.sp, self.c, self.cp, self.sseq, self.cseq, PSH | ACK, seg)
            self.sseq += len(seg)
        return self

    def wait(self, seconds):
        self.t += seconds
        return self

    def close(self):
        self.w.tcp(self._tick(), self.c, self.cp, self.s, self.sp, self.cseq, self.sseq, FIN | ACK)
        self.cseq += 1
        self.w.tcp(self._tick(), self.s, self.sp, self.c, self.cp, self.sseq, self.cseq, FIN | ACK)
        self.sseq += 1
        self.w.tcp(self._tick(), self.c, self.cp, self.s, self.sp, self.cseq, self.sseq, ACK)
        return self


# ---- application payloads that nDPI 4.2 recognises ----

def ber(tag: int, body: bytes, indefinite: bool = False) -> bytes:
    """One BER TLV; indefinite=True writes the 0x80 length form with its end-of-contents."""
    if indefinite:
        return bytes([tag, 0x80]) + body + b"\0\0"
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    lb = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(lb)]) + lb + body


def snmp_get(community=b"public", request_id=0x1234) -> bytes:
    oid = ber(0x06, bytes([0x2B, 6, 1, 2, 1, 1, 3, 0]))          # sysUpTime.0
    varbind = ber(0x30, ber(0x30, oid + b"\x05\x00"))
    pdu = ber(0xA0, ber(0x02, request_id.to_bytes(4, "big")) + ber(0x02, b"\0") + ber(0x02, b"\0") + varbind)
    return ber(0x30, ber(0x02, b"\x01") + ber(0x04, community) + pdu)


def snmp_response(community=b"public", request_id=0x1234) -> bytes:
    oid = ber(0x06, bytes([0x2B, 6, 1, 2, 1, 1, 3, 0]))
    varbind = ber(0x30, ber(0x30, oid + ber(0x43, (123456).to_bytes(4, "big"))))
    pdu = ber(0xA2, ber(0x02, request_id.to_bytes(4, "big")) + ber(0x02, b"\0") + ber(0x02, b"\0") + varbind)
    return ber(0x30, ber(0x02, b"\x01") + ber(0x04, community) + pdu)


def ntp_packet(mode: int) -> bytes:
    return bytes([0x20 | mode]) + bytes([2, 6, 0xEC]) + bytes(44)


def dns_query(name: str, qid=0x4242) -> bytes:
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + q + struct.pack("!HH", 1, 1)


def tls_client_hello(sni: str) -> bytes:
    name = sni.encode()
    sni_ext = struct.pack("!HHHBH", 0, len(name) + 5, len(name) + 3, 0, len(name)) + name
    groups = struct.pack("!HHH", 10, 4, 2) + struct.pack("!H", 0x001D)
    sigalgs = struct.pack("!HHH", 13, 4, 2) + struct.pack("!H", 0x0403)
    versions = struct.pack("!HHB", 43, 3, 2) + struct.pack("!H", 0x0304)
    exts = sni_ext + groups + sigalgs + versions
    ciphers = struct.pack("!HHH", 4, 0x1301, 0x1302)
    body = struct.pack("!H", 0x0303) + bytes(range(32)) + b"\x00" + ciphers + b"\x01\x00" + \
        struct.pack("!H", len(exts)) + exts
    hs = bytes([1]) + len(body).to_bytes(3, "big") + body
    return bytes([0x16, 0x03, 0x01]) + struct.pack("!H", len(hs)) + hs


def tls_server_hello() -> bytes:
    exts = struct.pack("!HHH", 43, 2, 0x0304)
    body = struct.pack("!H", 0x0303) + bytes(range(32, 64)) + b"\x00" + struct.pack("!H", 0x1301) + b"\x00" + \
        struct.pack("!H", len(exts)) + exts
    hs = bytes([2]) + len(body).to_bytes(3, "big") + body
    return bytes([0x16, 0x03, 0x03]) + struct.pack("!H", len(hs)) + hs

