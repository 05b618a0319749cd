#!/usr/bin/env python3
"""bench_learn.py — how long `omwitness policy learn` takes on a large baseline. Writes a
capture of FLOWS flows (default 100,000) of an O&M day over a few thousand hosts — SNMP
polls, NTP, syslog, DNS, NOC SSH sessions, X2 from the elements to two mediation functions —
then times (wall and CPU), median of RUNS:
  learn PCAP      replaying the capture into a temporary store and learning from it;
  learn --db      learning from a store that already holds the baseline;
and checks each draft passes `policy check`. Usage:
  bench/bench_learn.py [--build DIR] [--flows N] [--runs N] [--threads N]"""
import argparse
import os
import random
import resource
import statistics
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import pcapgen as g  # noqa: E402
import gen_li_pcaps as li  # noqa: E402

T0 = 1767225600.0


def write_baseline(path, n_flows):
    """n_flows distinct flows, in time order, over one day."""
    rnd = random.Random(42)
    w = g.PcapWriter(path)
    nes = [f"10.20.{i // 200}.{10 + i % 200}" for i in range(2000)]
    nms = [f"10.30.1.{2 + i}" for i in range(4)]
    noc = [f"10.30.2.{10 + i}" for i in range(40)]
    ntp, dns, mdf = "10.30.1.100", "10.30.1.53", ["10.30.0.10", "10.30.0.11"]
    snmp_get, snmp_resp = g.snmp_get(), g.snmp_response()
    ntp3, ntp4 = g.ntp_packet(3), g.ntp_packet(4)
    x2 = li.x2x3(1, 9, 2, li.SIP, li.tlv(17, b"<E164Number>4915123456789</E164Number>"))
    step = 86400.0 / n_flows
    t = T0
    for i in range(n_flows):
        t += step
        kind = rnd.random()
        port = 20000 + i % 40000
        ne = nes[rnd.randrange(len(nes))]
        if kind < 0.55:
            m = nms[rnd.randrange(4)]
            w.udp(t, m, port, ne, 161, snmp_get)
            w.udp(t + 0.002, ne, 161, m, port, snmp_resp)
        elif kind < 0.75:
            w.udp(t, ne, port, ntp, 123, ntp3)
            w.udp(t + 0.001, ntp, 123, ne, port, ntp4)
        elif kind < 0.88:
            w.udp(t, ne, port, nms[0], 514, b"<30>Jan  1 00:00:00 ne sshd[1]: session opened for user ops")
        elif kind < 0.97:
            w.udp(t, ne, port, dns, 53, g.dns_query(f"ne{i % 500}.dc1-om.example", i & 0xFFFF))
            w.udp(t + 0.001, dns, 53, ne, port, g.dns_query(f"ne{i % 500}.dc1-om.example", i & 0xFFFF))
        elif kind < 0.995:
            s = g.TcpSession(w, t, noc[rnd.randrange(len(noc))], port, ne, 22, gap=0.0001).open()
            s.reply(b"SSH-2.0-OpenSSH_8.4p1\r\n").send(b"SSH-2.0-OpenSSH_9.2p1\r\n").close()
        else:
            s = g.TcpSession(w, t, ne, port, mdf[rnd.randrange(2)], 9999, gap=0.0001).open()
            s.send(x2).close()
    w.close()


def timed(cmd):
    """Wall seconds, CPU seconds (user + system) of the command, its last stderr line."""
    t = time.monotonic()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    r = subprocess.run(cmd, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {r.returncode}: {r.stderr}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return time.monotonic() - t, cpu, r.stderr.strip().splitlines()[-1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--flows", type=int, default=100000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    o = ap.parse_args()
    exe = os.path.join(o.build, "sensor", "omwitness")
    with tempfile.TemporaryDirectory() as work:
        pcap = os.path.join(work, "baseline.pcap")
        t = time.monotonic()
        write_baseline(pcap, o.flows)
        print(f"baseline: {o.flows} flows, {os.path.getsize(pcap) / 1e6:.1f} MB, written in "
              f"{time.monotonic() - t:.1f} s")
        db = os.path.join(work, "baseline.db")
        subprocess.run([exe, "replay", "--no-progress", "--threads", str(o.threads), "--db", db, pcap],
                       check=True, capture_output=True)
        draft = os.path.join(work, "draft.yaml")
        for name, cmd in (("learn PCAP", [exe, "policy", "learn", "--no-progress", "--threads", str(o.threads),
                                          "-o", draft, pcap]),
                          ("learn --db", [exe, "policy", "learn", "--no-progress", "-o", draft, "--db", db])):
            times, cpus, last = [], [], ""
            for _ in range(o.runs):
                s, cpu, last = timed(cmd)
                times.append(s)
                cpus.append(cpu)
                check = subprocess.run([exe, "policy", "check", draft], capture_output=True, text=True)
                if check.returncode != 0:
                    raise SystemExit(f"draft fails policy check: {check.stderr}")
            print(f"{name}: median {statistics.median(times):.2f} s wall, {statistics.median(cpus):.2f} s CPU "
                  f"of {o.runs} runs ({', '.join(f'{x:.2f}' for x in times)}); {last}")


if __name__ == "__main__":
    main()
