"""owtest.py — helpers shared by the pcap integration tests: where things are, how to run
omwitness, how to skip when ../shared/data is absent (exit 77 is meson's 'skipped')."""
import json
import os
import subprocess
import sys

SKIP = 77


def shared_data():
    d = os.environ.get("OW_SHARED_DATA") or os.path.join(
        os.path.dirname(__file__), "..", "..", "..", "shared", "data")
    if not os.path.isdir(d):
        print(f"SKIP: {d} is absent (a clone without ../shared); this test needs its captures")
        sys.exit(SKIP)
    return os.path.abspath(d)


def omwitness():
    exe = os.environ.get("OMWITNESS")
    if not exe or not os.access(exe, os.X_OK):
        print("FAIL: OMWITNESS is not set to the built binary")
        sys.exit(1)
    return exe


def run(args, **kw):
    return subprocess.run([omwitness()] + args, capture_output=True, text=True, **kw)


def jsonl(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


LI_LABELS = {"X1", "X2", "X3", "HI1", "HI2", "HI3"}
OM_LABELS = {"TACACS", "SNMP", "RMCP", "IPMI", "BFD", "LDP", "PFCP", "LDAP"}


def om_listed():
    """The corpus flows omwitness's O&M classifiers label (tests/om/corpus_labels.tsv), each
    checked against tshark: {(capture file name, L4, frozenset of (ip, port)), label}."""
    root = os.environ.get("OW_SOURCE_ROOT") or os.path.join(os.path.dirname(__file__), "..", "..")
    listed = {}
    for line in open(os.path.join(root, "tests", "om", "corpus_labels.tsv")):
        if line.startswith("#") or not line.strip():
            continue
        rel, proto, client, server, label = line.rstrip("\n").split("\t")
        (a, pa), (b, pb) = client.rsplit(":", 1), server.rsplit(":", 1)
        listed[(os.path.basename(rel), proto, frozenset([(a, int(pa)), (b, int(pb))]))] = label
    return listed


def om_false_positives(capture, flows, listed):
    """Flow events whose app_proto is an O&M label our classifiers gave (it differs from
    nDPI's name) that the list does not hold."""
    bad = []
    for e in flows:
        label = e.get("app_proto")
        if label not in OM_LABELS or label == e.get("ndpi", {}).get("protocol"):
            continue
        key = (os.path.basename(capture), e["proto"],
               frozenset([(e["src_ip"], e["src_port"]), (e["dest_ip"], e["dest_port"])]))
        if listed.get(key) != label:
            bad.append(f"{e['src_ip']}:{e['src_port']} -> {e['dest_ip']}:{e['dest_port']} {label}")
    return bad

L4_NUMBERS = {"TCP": 6, "UDP": 17, "ICMP": 1, "ICMPV6": 58, "IPV6-ICMP": 58, "IGMP": 2,
              "VRRP": 112, "GRE": 47, "SCTP": 132, "OSPF": 89, "PIM": 103, "ESP": 50, "AH": 51}


def l4_number(name):
    name = str(name).upper()
    if name in L4_NUMBERS:
        return L4_NUMBERS[name]
    try:
        return int(name)
    except ValueError:
        return -1
