#!/usr/bin/env python3
"""live_drops.py — live capture loss: a private network namespace with a veth pair (no address
outside the namespace, nothing routed), `omwitness capture -i owB --threads T` on one end and
tcpreplay sending a generated capture into the other, RUNS times at each rate; prints per run
the packets sent, the packets the run stored, and its kernel and internal drops.

The input is generated (tcpreplay stops at a malformed record, and many corpus files have
some): FLOWS TCP flows of 10 well-formed Ethernet/IPv4 packets (SYN, SYN-ACK, ACK, 5 data
packets of 200 bytes, FIN, FIN), interleaved 1,000 flows at a time, with valid checksums;
20,000 flows and 10 packets = 200,000 packets, looped LOOPS times (default 10: 2 M packets).
Rates: --pps N (default 400000) and tcpreplay's top speed (--topspeed). Bounded: every step
has a timeout and the namespace is deleted at the end.
Usage (root): bench/live_drops.py [--build DIR] [--runs 5] [--flows 20000] [--loops 10]"""
import argparse
import os
import signal
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def packet(src, dst, sport, dport, seq, ack, flags, payload):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    pseudo = struct.pack("!4s4sBBH", src, dst, 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00"
    return eth + ip + tcp


def flow_packets(i):
    c = bytes([10, 1 + (i >> 16) % 200, (i >> 8) & 255, i & 255])
    s = bytes([10, 250, (i >> 8) & 255, 1 + i % 250])
    cp, sp = 1024 + i % 60000, 80
    data = b"GET / HTTP/1.1\r\nHost: bench.example\r\n\r\n".ljust(200, b"x")
    a, b = 1000, 5000
    out = [packet(c, s, cp, sp, a, 0, 0x02, b""), packet(s, c, sp, cp, b, a + 1, 0x12, b""),
           packet(c, s, cp, sp, a + 1, b + 1, 0x10, b"")]
    seq = a + 1
    for _ in range(5):
        out.append(packet(c, s, cp, sp, seq, b + 1, 0x18, data))
        seq += len(data)
    out.append(packet(c, s, cp, sp, seq, b + 1, 0x11, b""))
    out.append(packet(s, c, sp, cp, b + 1, seq + 1, 0x11, b""))
    return out


def write_pcap(path, flows):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        t = 1_700_000_000_000_000
        for base in range(0, flows, 1000):
            group = [flow_packets(i) for i in range(base, min(base + 1000, flows))]
            for k in range(10):
                for pk in group:
                    f.write(struct.pack("<IIII", t // 1_000_000, t % 1_000_000, len(pk[k]), len(pk[k])))
                    f.write(pk[k])
                    t += 10
    return flows * 10


def sh(*a, timeout=60, check=True):
    return subprocess.run(a, check=check, timeout=timeout, capture_output=True, text=True)


def one_run(exe, ns, pcap, db, rate, loops, threads):
    nsx = ["ip", "netns", "exec", ns]
    proc = subprocess.Popen(nsx + [exe, "capture", "-i", "owB", "--threads", str(threads),
                                   "--db", db], stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    rate_args = ["--topspeed"] if rate == "top" else ["--pps", str(rate)]
    t0 = time.perf_counter()
    r = sh(*nsx, "tcpreplay", "-q", "-i", "owA", "--loop", str(loops), *rate_args, pcap,
           timeout=120, check=False)
    wall = time.perf_counter() - t0
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    try:
        proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return None
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
        packets, kd, idr = c.execute("select packets, kernel_drops, internal_drops from runs "
                                     "order by id desc limit 1").fetchone()
    return packets, kd, idr, wall, r.returncode


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--flows", type=int, default=20000)
    ap.add_argument("--loops", type=int, default=10)
    ap.add_argument("--pps", type=int, default=400000)
    ap.add_argument("--threads", type=int, default=2)
    o = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("needs root (network namespaces)")
    exe = os.path.join(o.build, "sensor", "omwitness")
    ns = f"owbench{os.getpid()}"
    sh("ip", "netns", "add", ns)
    try:
        nsx = ["ip", "netns", "exec", ns]
        sh(*nsx, "ip", "link", "add", "owA", "type", "veth", "peer", "name", "owB")
        for dev in ("owA", "owB"):
            sh(*nsx, "sysctl", "-qw", f"net.ipv6.conf.{dev}.disable_ipv6=1", check=False)
            sh(*nsx, "ip", "link", "set", dev, "up")
        with tempfile.TemporaryDirectory() as work:
            pcap = os.path.join(work, "flows.pcap")
            per_loop = write_pcap(pcap, o.flows)
            sent = per_loop * o.loops
            print(f"{o.flows} TCP flows x 10 packets, {o.loops} loops: {sent} packets per run (a run's packets include its internal drops)")
            for rate in (o.pps, "top"):
                for i in range(o.runs):
                    db = os.path.join(work, f"live-{rate}-{i}.db")
                    res = one_run(exe, ns, pcap, db, rate, o.loops, o.threads)
                    if res is None:
                        print(f"rate {rate} run {i + 1}: capture did not stop")
                        continue
                    packets, kd, idr, wall, rc = res
                    print(f"rate {rate} run {i + 1}: sent {sent} in {wall:.2f} s "
                          f"({sent / wall:,.0f} pps, tcpreplay exit {rc}); stored {packets}; "
                          f"kernel drops {kd}, internal drops {idr}; uncounted "
                          f"{sent - packets - kd}")
                    os.unlink(db)
    finally:
        sh("ip", "netns", "del", ns, check=False)


if __name__ == "__main__":
    main()
