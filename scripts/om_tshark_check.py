#!/usr/bin/env python3
"""om_tshark_check.py — holds omwitness's O&M labels against Wireshark's dissectors, flow by
flow. Each capture goes through omwitness's classifiers (the test harness li_flows, which
prints exactly what they decided) and through tshark;
a flow carries protocol X for tshark when at least one of its packets is dissected as X and
is neither malformed nor flagged with an error. Ports omwitness labelled, and ports named in
a generator manifest, are decoded as the protocol in question, so tshark judges the bytes
and not the port.

Usage: om_tshark_check.py [--flows-tool BIN] [--expect om_expect.json] [--quiet] PCAP...
Prints per label: flows both agree on, flows only omwitness labels (disagreements) and
flows only tshark recognises (misses); exits 1 when omwitness labels a flow tshark does not
recognise as that protocol."""
import argparse
import collections
import ipaddress
import json
import os
import shutil
import subprocess
import sys

LABELS = ("TACACS", "SNMP", "RMCP", "IPMI", "BFD", "LDP", "PFCP", "LDAP")
# label -> (tshark decode-as name for tcp, for udp)
DECODE_AS = {"TACACS": ("tacplus", None), "SNMP": ("snmp", "snmp"), "RMCP": (None, "rmcp"),
             "IPMI": (None, "rmcp"), "BFD": (None, "bfd"), "LDP": ("ldp", "ldp"),
             "PFCP": (None, "pfcp"), "LDAP": ("ldap", "cldap")}
ERROR_SEVERITY = 8388608   # PI_ERROR in epan/proto.h


def tshark_label(protocols):
    """Our label for one packet's frame.protocols list, or None."""
    p = protocols.split(":")
    if "ipmi_session" in p:
        return "IPMI"
    if "asf" in p or ("rmcp" in p and "ipmi_session" not in p):
        return "RMCP"
    for name, label in (("tacplus", "TACACS"), ("snmp", "SNMP"), ("bfd", "BFD"), ("ldp", "LDP"),
                        ("pfcp", "PFCP"), ("ldap", "LDAP"), ("cldap", "LDAP")):
        if name in p:
            return label
    return None


def norm(addr):
    try:
        return str(ipaddress.ip_address(addr))
    except ValueError:
        return addr


def flow_key(proto, a, pa, b, pb):
    return (proto, frozenset([(norm(a), int(pa)), (norm(b), int(pb))]))


def our_flows(tool, pcap):
    """Labels of omwitness's own classifiers, from the test harness (li_flows): exactly what
    they decided, whatever nDPI guessed."""
    r = subprocess.run([tool, pcap], capture_output=True, text=True)
    flows = {}
    for line in r.stdout.splitlines():
        f = line.split("\t")
        if len(f) < 6:
            continue
        (a, pa), (b, pb) = f[2].rsplit(":", 1), f[3].rsplit(":", 1)
        key = flow_key(f[1], a, pa, b, pb)
        flows.setdefault(key, set()).add(f[4] if f[4] in LABELS else None)
    return flows


def tshark_flows(pcap, decode):
    cmd = ["tshark", "-n", "-r", pcap, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a",
           "-e", "ip.src", "-e", "ipv6.src", "-e", "ip.dst", "-e", "ipv6.dst",
           "-e", "tcp.srcport", "-e", "udp.srcport", "-e", "tcp.dstport", "-e", "udp.dstport",
           "-e", "frame.protocols", "-e", "_ws.malformed", "-e", "_ws.expert.severity"]
    for l4, port, name in sorted(decode):
        cmd[1:1] = ["-d", f"{l4}.port=={port},{name}"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    seen, broken = collections.defaultdict(set), collections.defaultdict(set)
    for line in r.stdout.splitlines():
        f = line.split("\t")
        if len(f) < 11:
            continue
        src = (f[0] or f[1]).split(",")[-1]
        dst = (f[2] or f[3]).split(",")[-1]
        proto = "TCP" if f[4] else "UDP" if f[5] else None
        if not proto or not src or not dst:
            continue
        sport = (f[4] or f[5]).split(",")[-1]
        dport = (f[6] or f[7]).split(",")[-1]
        label = tshark_label(f[8])
        if not label:
            continue
        key = flow_key(proto, src, sport, dst, dport)
        bad = f[9] != "" or str(ERROR_SEVERITY) in f[10].split(",")
        (broken if bad else seen)[key].add(label)
    return seen, broken


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flows-tool", default="build/tests/li/li_flows",
                    help="the classifier test harness that prints each flow's label")
    ap.add_argument("--expect")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("pcaps", nargs="+")
    o = ap.parse_args()
    if not shutil.which("tshark"):
        print("om_tshark_check: tshark is not installed")
        return 2
    hints = collections.defaultdict(set)
    near_misses = {}          # (pcap, proto, client port) -> what, for flows built to fail
    if o.expect:
        for e in json.load(open(o.expect)):
            name = DECODE_AS[e["protocol"]][e["proto"] == "UDP"]
            if name:
                hints[e["pcap"]].add((e["proto"].lower(), e["server_port"], name))
            if e["label"] is None:
                near_misses[(e["pcap"], e["proto"], e["client_port"])] = e["what"]
    counts = collections.defaultdict(lambda: [0, 0, 0])   # label -> agree, ours only, tshark only
    near = collections.Counter()                          # (label, tshark's view) of near-misses
    disagreements = []
    for pcap in o.pcaps:
        ours = our_flows(o.flows_tool, pcap)
        decode = set(hints.get(os.path.basename(pcap), set()))
        for (proto, ends), labels in ours.items():
            for label in labels - {None}:
                name = DECODE_AS[label][proto == "UDP"]
                for _, port in ends:
                    if name and port not in (49, 161, 162, 623, 646, 3784, 4784, 8805, 389):
                        decode.add((proto.lower(), port, name))
        seen, broken = tshark_flows(pcap, decode)
        for key in set(ours) | set(seen):
            mine = ours.get(key, {None}) - {None}
            theirs = seen.get(key, set())
            for label in mine | theirs:
                if label in mine and label in theirs:
                    counts[label][0] += 1
                elif label in mine:
                    counts[label][1] += 1
                    why = "malformed for tshark" if label in broken.get(key, set()) else "not this protocol for tshark"
                    disagreements.append(f"{os.path.basename(pcap)} {key[0]} {sorted(key[1])}: omwitness {label}, {why}")
                else:
                    built_to_fail = [w for (f, p, cp), w in near_misses.items()
                                     if f == os.path.basename(pcap) and p == key[0] and
                                     any(port == cp for _, port in key[1])]
                    if built_to_fail:
                        near[(label, "accepts")] += 1
                        continue
                    counts[label][2] += 1
                    if not o.quiet:
                        print(f"miss: {os.path.basename(pcap)} {key[0]} {sorted(key[1])}: tshark {label}, "
                              f"omwitness {sorted(mine) or 'nothing'}")
    for label in LABELS:
        a, m, t = counts[label]
        if a or m or t:
            print(f"{label:7s} agree {a:4d}  omwitness only {m:3d}  tshark only {t:3d}")
    for (label, view), n in sorted(near.items()):
        print(f"{label:7s} near-misses omwitness leaves unlabelled and tshark still dissects: {n}")
    for d in disagreements:
        print("DISAGREE: " + d)
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
