#!/usr/bin/env python3
"""gen_om_pcaps.py — writes synthetic captures of O&M protocols for the classifier tests, built
from their specifications (docs/om-classifiers.md cites each), and a manifest of what each
flow is.

Usage: gen_om_pcaps.py OUTDIR

Files: om_tacacs.pcap om_snmp.pcap om_rmcp.pcap om_bfd.pcap om_ldp.pcap om_pfcp.pcap
om_ldap.pcap, and om_expect.json: one entry per flow {pcap, proto, client_port, server_port,
protocol, label, what}, label null for a near-miss (right start, broken later) that must stay
unlabelled. Every flow has its own client port. Standard library only; frames from pcapgen."""
import hashlib
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as g  # noqa: E402
from pcapgen import ber  # noqa: E402

T0 = 1767225600.0          # 2026-01-01T00:00:00Z
CLIENT, SERVER = "10.20.5.10", "10.20.5.20"


class Capture:
    """One pcap file and the expectations of its flows."""

    def __init__(self, outdir, name, protocol):
        self.path = os.path.join(outdir, name)
        self.name = name
        self.protocol = protocol
        self.w = g.PcapWriter(self.path)
        self.t = T0
        self.expect = []
        self.cport = 40000

    def next_flow(self, proto, sport, label, what):
        self.cport += 1
        self.t += 10
        self.expect.append({"pcap": self.name, "protocol": self.protocol, "proto": proto,
                            "client_port": self.cport, "server_port": sport, "label": label,
                            "what": what})
        return self.cport

    def udp_flow(self, sport, label, what, datagrams):
        """datagrams: [(from_client, payload)]"""
        cport = self.next_flow("UDP", sport, label, what)
        t = self.t
        for from_client, payload in datagrams:
            t += 0.01
            if from_client:
                self.w.udp(t, CLIENT, cport, SERVER, sport, payload)
            else:
                self.w.udp(t, SERVER, sport, CLIENT, cport, payload)

    def tcp_flow(self, sport, label, what, messages, mss=1400):
        """messages: [(from_client, payload)]"""
        cport = self.next_flow("TCP", sport, label, what)
        s = g.TcpSession(self.w, self.t, CLIENT, cport, SERVER, sport).open()
        for from_client, payload in messages:
            (s.send if from_client else s.reply)(payload, mss=mss)
        s.close()

    def close(self):
        self.w.close()


# ---------------------------------------------------------------- TACACS+ (RFC 8907)

TAC_KEY = b"testing123"


def tac_obfuscate(session_id, key, version, seq, body):
    """RFC 8907 section 4.5: body XOR MD5 pad chain."""
    pad, prev = b"", b""
    while len(pad) < len(body):
        prev = hashlib.md5(struct.pack("!I", session_id) + key + bytes([version, seq]) + prev).digest()
        pad += prev
    return bytes(a ^ b for a, b in zip(body, pad))


def tac(ptype, seq, body, session_id=0x1A2B3C4D, flags=0, version=0xC0, key=TAC_KEY, length=None):
    if not flags & 0x01:
        body = tac_obfuscate(session_id, key, version, seq, body)
    return struct.pack("!BBBBII", version, ptype, seq, flags, session_id,
                       len(body) if length is None else length) + body


def tac_authen_start(user=b"admin", port=b"tty0", rem=b"10.20.5.10", data=b"", authen_type=1):
    return struct.pack("!8B", 1, 1, authen_type, 1, len(user), len(port), len(rem), len(data)) + user + port + rem + data


def tac_authen_reply(status, msg=b"", data=b""):
    return struct.pack("!BBHH", status, 0, len(msg), len(data)) + msg + data


def tac_authen_continue(user_msg):
    return struct.pack("!HHB", len(user_msg), 0, 0) + user_msg


def tac_author_request(user=b"admin", args=(b"service=shell", b"cmd=show")):
    port, rem = b"tty0", b"10.20.5.10"
    return struct.pack("!8B", 6, 15, 1, 1, len(user), len(port), len(rem), len(args)) + \
        bytes(len(a) for a in args) + user + port + rem + b"".join(args)


def tac_author_response(status=1, args=(b"priv-lvl=15",)):
    return struct.pack("!BBHH", status, len(args), 0, 0) + bytes(len(a) for a in args) + b"".join(args)


def tac_acct_request(flag=0x02, args=(b"task_id=42", b"service=shell")):
    user, port, rem = b"admin", b"tty0", b"10.20.5.10"
    return struct.pack("!9B", flag, 6, 15, 1, 1, len(user), len(port), len(rem), len(args)) + \
        bytes(len(a) for a in args) + user + port + rem + b"".join(args)


def tac_acct_reply(status=1):
    return struct.pack("!HHB", 0, 0, status)


def gen_tacacs(out):
    c = Capture(out, "om_tacacs.pcap", "TACACS")
    c.tcp_flow(49, "TACACS", "ASCII login: START, GETPASS, CONTINUE, PASS (obfuscated)", [
        (True, tac(1, 1, tac_authen_start())),
        (False, tac(1, 2, tac_authen_reply(5, b"Password: "))),
        (True, tac(1, 3, tac_authen_continue(b"s3cret"))),
        (False, tac(1, 4, tac_authen_reply(1)))])
    c.tcp_flow(49, "TACACS", "PAP START and PASS (minor version 1, obfuscated)", [
        (True, tac(1, 1, tac_authen_start(data=b"s3cret", authen_type=2), version=0xC1)),
        (False, tac(1, 2, tac_authen_reply(1), version=0xC1))])
    c.tcp_flow(49, "TACACS", "authorization REQUEST and RESPONSE sent unencrypted", [
        (True, tac(2, 1, tac_author_request(), flags=0x01)),
        (False, tac(2, 2, tac_author_response(), flags=0x01))])
    c.tcp_flow(49, "TACACS", "accounting START and STOP, two sessions on one single-connect connection", [
        (True, tac(3, 1, tac_acct_request(0x02), session_id=7, flags=0x04)),
        (False, tac(3, 2, tac_acct_reply(), session_id=7, flags=0x04)),
        (True, tac(3, 1, tac_acct_request(0x04), session_id=8, flags=0x04)),
        (False, tac(3, 2, tac_acct_reply(), session_id=8, flags=0x04))])
    c.tcp_flow(4949, "TACACS", "authentication on a non-standard port, packets split in segments", [
        (True, tac(1, 1, tac_authen_start(user=b"operator" * 8))),
        (False, tac(1, 2, tac_authen_reply(2, b"Authentication failed" * 3)))], mss=7)
    # near-misses
    c.tcp_flow(49, None, "major version 0xB (not 0xC)", [
        (True, tac(1, 1, tac_authen_start(), version=0xB0)), (False, tac(1, 2, tac_authen_reply(1), version=0xB0))])
    c.tcp_flow(49, None, "server reply with an odd sequence number", [
        (True, tac(1, 1, tac_authen_start())), (False, tac(1, 3, tac_authen_reply(1)))])
    c.tcp_flow(49, None, "unencrypted START whose field lengths do not add up", [
        (True, tac(1, 1, tac_authen_start()[:-2], flags=0x01)), (False, tac(1, 2, tac_authen_reply(1), flags=0x01))])
    c.tcp_flow(49, None, "header announces 200 body bytes, 40 come", [
        (True, tac(1, 1, bytes(40), length=200))])
    c.tcp_flow(49, None, "two packets with different session ids without single-connect", [
        (True, tac(1, 1, tac_authen_start(), session_id=1)), (False, tac(1, 2, tac_authen_reply(1), session_id=2))])
    c.close()
    return c.expect


# ---------------------------------------------------------------- SNMP (RFC 3416)

def oid(*arcs):
    body = bytes([40 * arcs[0] + arcs[1]])
    for a in arcs[2:]:
        enc = [a & 0x7F]
        a >>= 7
        while a:
            enc.insert(0, 0x80 | (a & 0x7F))
            a >>= 7
        body += bytes(enc)
    return ber(0x06, body)


def integer(v):
    n = max(1, (v.bit_length() + 8) // 8)
    return ber(0x02, v.to_bytes(n, "big", signed=True))


SYS_UPTIME, SNMP_TRAP_OID, LINK_DOWN = (1, 3, 6, 1, 2, 1, 1, 3, 0), (1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0), \
    (1, 3, 6, 1, 6, 3, 1, 1, 5, 3)
IF_ADMIN = (1, 3, 6, 1, 2, 1, 2, 2, 1, 7, 3)


def varbinds(*pairs):
    return ber(0x30, b"".join(ber(0x30, oid(*o) + v) for o, v in pairs))


def snmp_pdu(tag, request_id, vbs, error=0, index=0):
    return ber(tag, integer(request_id) + integer(error) + integer(index) + vbs)


def snmp_msg(version, community, pdu):
    return ber(0x30, integer(version) + ber(0x04, community) + pdu)


def gen_snmp(out):
    c = Capture(out, "om_snmp.pcap", "SNMP")
    get = snmp_msg(1, b"public", snmp_pdu(0xA0, 1001, varbinds((SYS_UPTIME, b"\x05\x00"))))
    resp = snmp_msg(1, b"public", snmp_pdu(0xA2, 1001, varbinds((SYS_UPTIME, ber(0x43, b"\x01\x02\x03")))))
    c.udp_flow(161, "SNMP", "v2c get and response", [(True, get), (False, resp)])
    trap = snmp_msg(1, b"public", snmp_pdu(0xA7, 77, varbinds(
        (SYS_UPTIME, ber(0x43, b"\x00\x10\x00")), (SNMP_TRAP_OID, oid(*LINK_DOWN)), (IF_ADMIN, integer(2)))))
    c.udp_flow(162, "SNMP", "v2c trap to 162, one datagram", [(True, trap)])
    inform = snmp_msg(1, b"public", snmp_pdu(0xA6, 78, varbinds(
        (SYS_UPTIME, ber(0x43, b"\x00\x10\x01")), (SNMP_TRAP_OID, oid(*LINK_DOWN)))))
    c.udp_flow(162, "SNMP", "v2c inform and its response", [
        (True, inform), (False, snmp_msg(1, b"public", snmp_pdu(0xA2, 78, varbinds((SYS_UPTIME, b"\x05\x00")))))])
    v1trap = snmp_msg(0, b"public", ber(0xA4, oid(1, 3, 6, 1, 4, 1, 9999) + ber(0x40, bytes([10, 20, 5, 10])) +
                                       integer(2) + integer(0) + ber(0x43, b"\x01\x00") +
                                       varbinds((IF_ADMIN, integer(2)))))
    c.udp_flow(162, "SNMP", "v1 trap (linkDown)", [(True, v1trap)])
    setreq = snmp_msg(1, b"private", snmp_pdu(0xA3, 4242, varbinds((IF_ADMIN, integer(2)))))
    setresp = snmp_msg(1, b"private", snmp_pdu(0xA2, 4242, varbinds((IF_ADMIN, integer(2)))))
    c.udp_flow(161, "SNMP", "v2c set-request and response (ifAdminStatus down)", [(True, setreq), (False, setresp)])
    c.udp_flow(7001, "SNMP", "v2c set-request on port 7001 (RX's range)", [(True, setreq), (False, setresp)])
    bulk = snmp_msg(1, b"public", ber(0xA5, integer(55) + integer(0) + integer(10) + varbinds((IF_ADMIN, b"\x05\x00"))))
    c.udp_flow(161, "SNMP", "v2c get-bulk, no answer", [(True, bulk)])
    # v3 engine discovery (RFC 3414 section 4): noAuthNoPriv get, then a report
    usm = ber(0x04, ber(0x30, ber(0x04, b"") + integer(0) + integer(0) + ber(0x04, b"") + ber(0x04, b"") + ber(0x04, b"")))
    head = ber(0x30, integer(9001) + integer(65507) + ber(0x04, b"\x04") + integer(3))
    scoped = ber(0x30, ber(0x04, b"") + ber(0x04, b"") + snmp_pdu(0xA0, 9001, ber(0x30, b"")))
    report = ber(0x30, ber(0x04, b"\x80\x00\x1f\x88\x04") + ber(0x04, b"") +
                 snmp_pdu(0xA8, 9001, varbinds(((1, 3, 6, 1, 6, 3, 15, 1, 1, 4, 0), ber(0x41, b"\x01")))))
    c.udp_flow(161, "SNMP", "v3 discovery get and report", [
        (True, ber(0x30, integer(3) + head + usm + scoped)),
        (False, ber(0x30, integer(3) + ber(0x30, integer(9001) + integer(65507) + ber(0x04, b"\x00") + integer(3)) +
                    usm + report))])
    c.tcp_flow(1161, "SNMP", "v2c get over TCP (RFC 3430), two requests", [(True, get), (False, resp), (True, get), (False, resp)])
    # near-misses
    c.udp_flow(161, None, "version 2 (no such version)", [
        (True, snmp_msg(2, b"public", snmp_pdu(0xA0, 1, varbinds((SYS_UPTIME, b"\x05\x00")))))] * 2)
    c.udp_flow(162, None, "trap whose variable binding has a malformed OID", [
        (True, snmp_msg(1, b"public", snmp_pdu(0xA7, 5, ber(0x30, ber(0x30, ber(0x06, b"\x2b\x80\x01") + b"\x05\x00")))))])
    c.udp_flow(161, None, "message length past the end of the datagram", [(True, get[:-4])])
    c.udp_flow(161, None, "a stray byte after the message", [(True, get + b"\x00"), (False, resp)])
    c.udp_flow(161, None, "error-status 99", [(True, get), (False, snmp_msg(1, b"public", snmp_pdu(
        0xA2, 1001, varbinds((SYS_UPTIME, b"\x05\x00")), error=99)))])
    c.close()
    return c.expect


# ---------------------------------------------------------------- RMCP / ASF / IPMI

def rmcp(cls, body, seq=0xFF):
    return bytes([0x06, 0x00, seq, cls]) + body


def asf(msg_type, tag, data=b"", iana=4542):
    return struct.pack("!IBBBB", iana, msg_type, tag, 0, len(data)) + data


def ipmi_msg(rs, netfn, rq, seq, cmd, data=b"", bad_checksum=False):
    c1 = (-(rs + netfn)) & 0xFF
    body = bytes([rq, seq, cmd]) + data
    c2 = (-sum(body)) & 0xFF
    if bad_checksum:
        c2 ^= 0x55
    return bytes([rs, netfn, c1]) + body + bytes([c2])


def ipmi15(msg, auth=0, seq=0, sid=0):
    return bytes([auth]) + struct.pack("<II", seq, sid) + (bytes(16) if auth else b"") + bytes([len(msg)]) + msg


def ipmi20(ptype, payload, sid=0, seq=0, auth_code=None):
    hdr = bytes([0x06, ptype]) + struct.pack("<IIH", sid, seq, len(payload))
    pkt = hdr + payload
    if auth_code is not None:
        pad = (4 - (len(pkt) + 2) % 4) % 4
        pkt += b"\xff" * pad + bytes([pad, 0x07]) + auth_code
    return pkt


def alg(ptype, algo):
    return bytes([ptype, 0, 0, 8, algo, 0, 0, 0])


def gen_rmcp(out):
    c = Capture(out, "om_rmcp.pcap", "RMCP")
    pong = asf(0x40, 0x01, struct.pack("!IIBB6x", 4542, 0, 0x81, 0x00))
    c.udp_flow(623, "RMCP", "ASF presence ping and pong", [(True, rmcp(6, asf(0x80, 0x01))), (False, rmcp(6, pong))])
    c.udp_flow(623, "IPMI", "IPMI v1.5 Get Channel Authentication Capabilities", [
        (True, rmcp(7, ipmi15(ipmi_msg(0x20, 0x18, 0x81, 0x00, 0x38, b"\x0e\x04")))),
        (False, rmcp(7, ipmi15(ipmi_msg(0x81, 0x1C, 0x20, 0x00, 0x38, b"\x00\x01\x97\x04\x03\x00\x00\x00\x00"))))])
    osreq = bytes([0x01, 0x04, 0, 0]) + struct.pack("<I", 0xA0A2A3A4) + alg(0, 1) + alg(1, 1) + alg(2, 1)
    osresp = bytes([0x01, 0x00, 0x04, 0]) + struct.pack("<II", 0xA0A2A3A4, 0x02000100) + alg(0, 1) + alg(1, 1) + alg(2, 1)
    rakp1 = bytes([0x02, 0, 0, 0]) + struct.pack("<I", 0x02000100) + bytes(range(16)) + bytes([0x14, 0, 0, 5]) + b"admin"
    rakp2 = bytes([0x02, 0, 0, 0]) + struct.pack("<I", 0xA0A2A3A4) + bytes(range(16, 32)) + bytes(range(32, 48)) + bytes(20)
    rakp3 = bytes([0x03, 0, 0, 0]) + struct.pack("<I", 0x02000100) + bytes(20)
    rakp4 = bytes([0x03, 0, 0, 0]) + struct.pack("<I", 0xA0A2A3A4) + bytes(12)
    c.udp_flow(623, "IPMI", "RMCP+ open session and RAKP 1-4 (IPMI v2.0)", [
        (True, rmcp(7, ipmi20(0x10, osreq))), (False, rmcp(7, ipmi20(0x11, osresp))),
        (True, rmcp(7, ipmi20(0x12, rakp1))), (False, rmcp(7, ipmi20(0x13, rakp2))),
        (True, rmcp(7, ipmi20(0x14, rakp3))), (False, rmcp(7, ipmi20(0x15, rakp4)))])
    c.udp_flow(623, "IPMI", "IPMI v2.0 session: encrypted, authenticated payloads with pad and AuthCode", [
        (True, rmcp(7, ipmi20(0xC0, bytes(range(32)), sid=0x02000100, seq=3, auth_code=bytes(12)))),
        (False, rmcp(7, ipmi20(0xC0, bytes(range(48)), sid=0xA0A2A3A4, seq=3, auth_code=bytes(12))))])
    c.udp_flow(6230, "IPMI", "IPMI v1.5 on another port, MD5 auth type", [
        (True, rmcp(7, ipmi15(ipmi_msg(0x20, 0x18, 0x81, 0x04, 0x01), auth=2, seq=5, sid=0x1234))),
        (False, rmcp(7, ipmi15(ipmi_msg(0x81, 0x1C, 0x20, 0x04, 0x01, b"\x00" + bytes(15)), auth=2, seq=6, sid=0x1234)))])
    # near-misses
    c.udp_flow(623, None, "IPMI message whose second checksum is wrong", [
        (True, rmcp(7, ipmi15(ipmi_msg(0x20, 0x18, 0x81, 0x00, 0x38, b"\x0e\x04", bad_checksum=True))))] * 2)
    c.udp_flow(623, None, "ASF ping with a wrong IANA number", [(True, rmcp(6, asf(0x80, 0x01, iana=4543)))] * 2)
    c.udp_flow(623, None, "RMCP version 0x07", [(True, bytes([0x07, 0, 0xFF, 0x06]) + asf(0x80, 0x01))] * 2)
    c.udp_flow(623, None, "open session request whose first record is not the authentication one", [
        (True, rmcp(7, ipmi20(0x10, osreq[:8] + alg(1, 1) + alg(1, 1) + alg(2, 1))))] * 2)
    c.udp_flow(623, None, "ASF data length longer than the datagram", [(True, rmcp(6, asf(0x40, 0x01, pong[8:])[:-4]))] * 2)
    c.close()
    return c.expect


# ---------------------------------------------------------------- BFD (RFC 5880)

def bfd(state, my, your, diag=0, flags=0, mult=3, auth=b"", version=1, length=None):
    a = 0x04 if auth else 0
    body = struct.pack("!BBBBIIIII", (version << 5) | diag, (state << 6) | flags | a, mult,
                       24 + len(auth) if length is None else length, my, your, 300000, 300000, 0)
    return body + auth


def gen_bfd(out):
    c = Capture(out, "om_bfd.pcap", "BFD")
    c.udp_flow(3784, "BFD", "single-hop session coming up: Down, Init, Up", [
        (True, bfd(1, 0x11, 0)), (False, bfd(2, 0x22, 0x11)), (True, bfd(3, 0x11, 0x22)), (False, bfd(3, 0x22, 0x11))])
    md5 = struct.pack("!BBBBI", 2, 24, 1, 0, 7) + bytes(16)
    c.udp_flow(3784, "BFD", "keyed MD5 authentication", [(True, bfd(3, 5, 6, auth=md5)), (False, bfd(3, 6, 5, auth=md5))])
    c.udp_flow(4784, "BFD", "multihop, poll and final", [(True, bfd(3, 9, 10, flags=0x20)), (False, bfd(3, 10, 9, flags=0x10))])
    simple = struct.pack("!BBB", 1, 3 + 6, 1) + b"secret"
    c.udp_flow(3784, "BFD", "simple password, one packet", [(True, bfd(1, 0x31, 0, auth=simple))])
    # near-misses
    c.udp_flow(3784, None, "version 2", [(True, bfd(1, 1, 0, version=2))] * 3)
    c.udp_flow(3784, None, "Length 24 in a 28-byte datagram", [(True, bfd(1, 1, 0) + bytes(4))] * 3)
    c.udp_flow(3784, None, "My Discriminator zero", [(True, bfd(1, 0, 0))] * 3)
    c.udp_flow(3784, None, "state Up with Your Discriminator zero", [(True, bfd(3, 5, 0))] * 3)
    c.close()
    return c.expect


# ---------------------------------------------------------------- LDP (RFC 5036)

def ldp_tlv(t, v, u=0):
    return struct.pack("!HH", (u << 15) | t, len(v)) + v


def ldp_msg(t, msg_id, params, u=0, length=None):
    return struct.pack("!HHI", (u << 15) | t, 4 + len(params) if length is None else length, msg_id) + params


def ldp_pdu(msgs, lsr=bytes([10, 20, 5, 10]), space=0, version=1, length=None):
    body = lsr + struct.pack("!H", space) + msgs
    return struct.pack("!HH", version, len(body) if length is None else length) + body


HELLO_PARAMS = ldp_tlv(0x0400, struct.pack("!HH", 15, 0))
IPV4_TRANSPORT = ldp_tlv(0x0401, bytes([10, 20, 5, 10]))


def gen_ldp(out):
    c = Capture(out, "om_ldp.pcap", "LDP")
    hello = ldp_pdu(ldp_msg(0x0100, 1, HELLO_PARAMS + IPV4_TRANSPORT))
    cport = c.next_flow("UDP", 646, "LDP", "link hellos to 224.0.0.2")
    for i in range(3):
        c.w.udp(c.t + 5 * i, CLIENT, cport, "224.0.0.2", 646, hello)
    init = ldp_msg(0x0200, 2, ldp_tlv(0x0500, struct.pack("!HHBBH4sH", 1, 180, 0, 0, 4096, bytes([10, 20, 5, 20]), 0)))
    ka = ldp_msg(0x0201, 3, b"")
    addr = ldp_msg(0x0300, 4, ldp_tlv(0x0101, struct.pack("!H", 1) + bytes([10, 20, 5, 10])))
    mapping = ldp_msg(0x0400, 5, ldp_tlv(0x0100, bytes([2, 0, 1, 24, 10, 20, 7])) + ldp_tlv(0x0200, struct.pack("!I", 16)))
    c.tcp_flow(646, "LDP", "session: initialization, keepalives, address and label mapping", [
        (True, ldp_pdu(init)), (False, ldp_pdu(init + ka, lsr=bytes([10, 20, 5, 20]))), (True, ldp_pdu(ka)),
        (True, ldp_pdu(addr + mapping))])
    c.tcp_flow(6460, "LDP", "session on another port, one PDU split over segments", [
        (True, ldp_pdu(init + ka + addr)), (False, ldp_pdu(init + ka, lsr=bytes([10, 20, 5, 20])))], mss=5)
    # near-misses
    c.udp_flow(646, None, "version 2", [(True, ldp_pdu(ldp_msg(0x0100, 1, HELLO_PARAMS), version=2))] * 2)
    c.udp_flow(646, None, "message length past the PDU", [(True, ldp_pdu(ldp_msg(0x0100, 1, HELLO_PARAMS, length=40)))] * 2)
    c.udp_flow(646, None, "hello without Common Hello Parameters", [(True, ldp_pdu(ldp_msg(0x0100, 1, IPV4_TRANSPORT)))] * 2)
    c.tcp_flow(646, None, "PDU length shorter than its messages", [
        (True, ldp_pdu(init, length=14)), (False, ldp_pdu(init))])
    c.close()
    return c.expect


# ---------------------------------------------------------------- PFCP (3GPP TS 29.244)

def pfcp_ie(t, v):
    return struct.pack("!HH", t, len(v)) + v


def pfcp(msg_type, seq, ies, seid=None, version=1, s_flag=None, length=None):
    s = seid is not None if s_flag is None else s_flag
    hdr_rest = (struct.pack("!Q", seid or 0) if s else b"") + seq.to_bytes(3, "big") + b"\x00"
    body = hdr_rest + ies
    return struct.pack("!BBH", (version << 5) | (1 if s else 0), msg_type, len(body) if length is None else length) + body


RECOVERY = pfcp_ie(96, struct.pack("!I", 3976000000))
NODE_ID = pfcp_ie(60, bytes([0, 10, 20, 5, 10]))
CAUSE_OK = pfcp_ie(19, b"\x01")


def gen_pfcp(out):
    c = Capture(out, "om_pfcp.pcap", "PFCP")
    c.udp_flow(8805, "PFCP", "heartbeat request and response", [
        (True, pfcp(1, 1, RECOVERY)), (False, pfcp(2, 1, RECOVERY))])
    c.udp_flow(8805, "PFCP", "association setup request and response", [
        (True, pfcp(5, 2, NODE_ID + RECOVERY + pfcp_ie(89, b"\x01"))),
        (False, pfcp(6, 2, pfcp_ie(60, bytes([0, 10, 20, 5, 20])) + CAUSE_OK + RECOVERY + pfcp_ie(43, b"\x10\x00")))])
    fseid = pfcp_ie(57, b"\x02" + struct.pack("!Q", 0x1111) + bytes([10, 20, 5, 10]))
    create_pdr = pfcp_ie(1, pfcp_ie(56, b"\x00\x01") + pfcp_ie(29, struct.pack("!I", 100)) +
                         pfcp_ie(2, pfcp_ie(20, b"\x00")))
    c.udp_flow(8805, "PFCP", "session establishment request and response (SEID set)", [
        (True, pfcp(50, 3, NODE_ID + fseid + create_pdr, seid=0)),
        (False, pfcp(51, 3, NODE_ID + CAUSE_OK + fseid, seid=0x1111))])
    c.udp_flow(8805, "PFCP", "a heartbeat that gets no answer", [(True, pfcp(1, 9, RECOVERY))])
    # near-misses
    c.udp_flow(8805, None, "version 2", [(True, pfcp(1, 1, RECOVERY, version=2))] * 2)
    c.udp_flow(8805, None, "heartbeat with the S flag set", [(True, pfcp(1, 1, RECOVERY, s_flag=True))] * 2)
    c.udp_flow(8805, None, "IE length past the message", [(True, pfcp(1, 1, struct.pack("!HH", 96, 40) + b"\x00" * 4))] * 2)
    c.udp_flow(8805, None, "heartbeat without a Recovery Time Stamp", [(True, pfcp(1, 1, NODE_ID))] * 2)
    c.close()
    return c.expect


# ---------------------------------------------------------------- LDAP (RFC 4511)

def ldap(msg_id, op, controls=b""):
    return ber(0x30, integer(msg_id) + op + controls)


def bind_request(name=b"cn=admin,dc=example,dc=com", pw=b"secret"):
    return ber(0x60, integer(3) + ber(0x04, name) + ber(0x80, pw))


def result(tag, code=0, matched=b"", msg=b""):
    return ber(tag, ber(0x0A, bytes([code])) + ber(0x04, matched) + ber(0x04, msg))


def search_request(base=b"dc=example,dc=com", attr=b"cn", value=b"admin"):
    flt = ber(0xA3, ber(0x04, attr) + ber(0x04, value))
    return ber(0x63, ber(0x04, base) + ber(0x0A, b"\x02") + ber(0x0A, b"\x00") + integer(0) + integer(0) +
               ber(0x01, b"\x00") + flt + ber(0x30, ber(0x04, b"cn") + ber(0x04, b"mail")))


def search_entry(dn=b"cn=admin,dc=example,dc=com"):
    attrs = ber(0x30, ber(0x30, ber(0x04, b"cn") + ber(0x31, ber(0x04, b"admin"))))
    return ber(0x64, ber(0x04, dn) + attrs)


def gen_ldap(out):
    c = Capture(out, "om_ldap.pcap", "LDAP")
    c.tcp_flow(389, "LDAP", "simple bind, search, entry, done, unbind", [
        (True, ldap(1, bind_request())), (False, ldap(1, result(0x61))),
        (True, ldap(2, search_request())), (False, ldap(2, search_entry()) + ldap(2, result(0x65))),
        (True, ldap(3, ber(0x42, b"")))])
    gc_search = search_request(base=b"", attr=b"sAMAccountName", value=b"svc-backup")
    c.tcp_flow(3268, "LDAP", "global catalog search on 3268 (nDPI: MQTT)", [
        (True, ldap(1, gc_search)), (False, ldap(1, search_entry(b"CN=svc-backup,CN=Users,DC=corp,DC=example")) +
                                      ldap(1, result(0x65)))])
    starttls = ldap(1, ber(0x77, ber(0x80, b"1.3.6.1.4.1.1466.20037")))
    c.tcp_flow(389, "LDAP", "StartTLS, then TLS records", [
        (True, starttls), (False, ldap(1, ber(0x78, ber(0x0A, b"\x00") + ber(0x04, b"") + ber(0x04, b"")))),
        (True, g.tls_client_hello("ldap.example.com")), (False, g.tls_server_hello())])
    ctl = ber(0xA0, ber(0x30, ber(0x04, b"1.2.840.113556.1.4.319") + ber(0x04, ber(0x30, integer(100) + ber(0x04, b"")))))
    c.tcp_flow(389, "LDAP", "paged search with a control, PDUs split in 7-byte segments", [
        (True, ldap(5, search_request(), ctl)), (False, ldap(5, result(0x65), ctl))], mss=7)
    ping = ber(0x63, ber(0x04, b"") + ber(0x0A, b"\x00") + ber(0x0A, b"\x00") + integer(0) + integer(0) +
               ber(0x01, b"\x00") + ber(0xA0, ber(0xA3, ber(0x04, b"DnsDomain") + ber(0x04, b"corp.example"))) +
               ber(0x30, ber(0x04, b"Netlogon")))
    c.udp_flow(389, "LDAP", "connectionless LDAP ping (UDP 389)", [
        (True, ldap(7, ping)), (False, ldap(7, search_entry(b"")) + ldap(7, result(0x65)))])
    # near-misses
    c.tcp_flow(389, None, "negative message id", [(True, ber(0x30, ber(0x02, b"\xff") + bind_request())),
                                                  (False, ldap(1, result(0x61)))])
    c.tcp_flow(389, None, "unknown operation tag [APPLICATION 2] constructed", [
        (True, ldap(1, ber(0x62, ber(0x04, b"x")))), (False, ldap(1, result(0x61)))])
    c.tcp_flow(389, None, "bind whose credentials run past the request", [
        (True, ldap(1, ber(0x60, integer(3) + ber(0x04, b"cn=a") + b"\x80\x10abc"))), (False, ldap(1, result(0x61)))])
    c.tcp_flow(389, None, "indefinite length", [(True, b"\x30\x80" + integer(1) + bind_request() + b"\x00\x00"),
                                                (False, ldap(1, result(0x61)))])
    c.tcp_flow(389, None, "bind request with message id 0 (kept for notifications)", [
        (True, ldap(0, bind_request())), (False, ldap(0, result(0x61)))])
    c.close()
    return c.expect


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    expect = []
    for gen in (gen_tacacs, gen_snmp, gen_rmcp, gen_bfd, gen_ldp, gen_pfcp, gen_ldap):
        expect += gen(out)
    with open(os.path.join(out, "om_expect.json"), "w") as f:
        json.dump(expect, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
