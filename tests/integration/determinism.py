#!/usr/bin/env python3
"""Determinism: replaying the same captures with --threads 1, 2 and 4 gives the same flows.

1. An O&M-like mixed capture (management protocols, LI captures, tunnels, fragments, IPv6)
   replayed as one run: `flows --format jsonl`, sorted, must be byte-identical.
2. The whole nDPI test corpus as one run: every flow's identity, counters and timing must be
   identical; nDPI labels too, except STUN flows, whose label nDPI 4.2 may take from its STUN
   cache keyed by the client's address and port across servers (docs/threads.md). Those must
   stay under 0.5% of the flows."""
import json
import os
import sys
import tempfile

import owtest

MIXED = ["ssh.pcap", "ftp.pcap", "http_auth.pcap", "syslog.pcapng", "NTPv4.pcap", "tftp.pcap",
         "rdp.pcap", "vnc.pcap", "anydesk.pcap", "IEC104.pcap", "modbus.pcap", "netflowv9.pcap",
         "kerberos.pcap", "smbv1.pcap", "dns_doh.pcap", "dns_fragmented.pcap",
         "ip_fragmented_garbage.pcap", "ipv6_in_gtp.pcap", "http_ipv6.pcap", "openvpn.pcap",
         "wireguard.pcap", "quic.pcap", "tls_long_cert.pcap", "BGP_Cisco_hdlc_slarp.pcap",
         "6in4tunnel.pcap", "4in6tunnel.pcap"]


def flows_sorted(work, files, threads):
    db = os.path.join(work, f"t{threads}-{len(files)}.db")
    r = owtest.run(["replay", "--no-progress", "--threads", str(threads), "--db", db] + files)
    if r.returncode not in (0, 2):
        print(f"FAIL: replay --threads {threads} exited {r.returncode}: {r.stderr}")
        sys.exit(1)
    out = owtest.run(["flows", "--db", db, "--format", "jsonl"])
    if out.returncode != 0:
        print(f"FAIL: flows exited {out.returncode}: {out.stderr}")
        sys.exit(1)
    return sorted(out.stdout.splitlines())


def main():
    data = owtest.shared_data()
    nd = os.path.join(data, "pcaps", "ndpi-4.2")
    li = os.path.join(data, "pcaps", "li")
    mixed = [os.path.join(nd, f) for f in MIXED if os.path.exists(os.path.join(nd, f))]
    mixed += [os.path.join(li, f) for f in sorted(os.listdir(li))]
    sample = os.path.join(os.environ.get("OW_SOURCE_ROOT", "."), "examples", "sample-om-night.pcap")
    if os.path.exists(sample):
        mixed.append(sample)
    corpus = sorted(os.path.join(nd, f) for f in os.listdir(nd))
    rc = 0
    with tempfile.TemporaryDirectory() as work:
        base = flows_sorted(work, mixed, 1)
        for t in (2, 4):
            other = flows_sorted(work, mixed, t)
            same = other == base
            print(f"mixed capture ({len(mixed)} files, {len(base)} flows): --threads 1 vs {t}: "
                  f"{'identical' if same else 'DIFFERENT'}")
            if not same or len(base) < 150:
                rc = 1

        def by_id(lines):
            return {json.loads(l)["flow_id"]: json.loads(l) for l in lines}

        one = by_id(flows_sorted(work, corpus, 1))
        for t in (2, 4):
            other = by_id(flows_sorted(work, corpus, t))
            if set(other) != set(one):
                print(f"FAIL: corpus --threads {t}: flow sets differ ({len(set(one) ^ set(other))} flows)")
                rc = 1
                continue
            label_diffs, other_diffs = [], []
            for fid, a in one.items():
                b = other[fid]
                if a == b:
                    continue
                a2, b2 = dict(a), dict(b)
                for ev in (a2, b2):
                    ev.pop("ndpi", None)
                    ev.pop("app_proto", None)
                if a2 != b2:
                    other_diffs.append(fid)
                elif a["ndpi"]["protocol"].startswith("STUN") or b["ndpi"]["protocol"].startswith("STUN"):
                    label_diffs.append(fid)
                else:
                    other_diffs.append(fid)
            print(f"nDPI corpus ({len(one)} flows): --threads 1 vs {t}: {len(other_diffs)} flows differ, "
                  f"{len(label_diffs)} STUN labels differ (nDPI's STUN cache)")
            if other_diffs or len(label_diffs) > len(one) * 0.005:
                rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
