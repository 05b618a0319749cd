#!/usr/bin/env python3
"""O&M classifiers through the whole engine (decode, workers, stream reassembly, policy):
- the captures scripts/gen_om_pcaps.py writes: every flow its manifest labels carries that
  label in app_proto (nDPI's own result stays in ndpi, even where nDPI said MQTT, BitTorrent
  or nothing), and every near-miss keeps nDPI's name;
- the real captures of ../shared/data that carry these protocols (tests/om/corpus_labels.tsv);
- a policy that allows app: [TACACS] and [IPMI] authorizes those flows, and a rule allowing
  MQTT does not cover LDAP that nDPI took for MQTT;
- when tshark is installed, scripts/om_tshark_check.py agrees with every label we give."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import owtest

ROOT = os.environ.get("OW_SOURCE_ROOT") or os.path.join(os.path.dirname(__file__), "..", "..")
OM = {"TACACS", "SNMP", "RMCP", "IPMI", "BFD", "LDP", "PFCP", "LDAP"}

POLICY = """version: 1
networks: {management: [10.20.0.0/16]}
assets:
  nas:   {role: network-element, addresses: [10.20.5.10]}
  aaa:   {role: infrastructure, addresses: [10.20.5.20]}
rules:
  - {id: tacacs, kind: operations, from: nas, to: aaa, service: {proto: tcp, ports: [49, 4949]}, app: [TACACS]}
  - {id: bmc, kind: operations, from: nas, to: aaa, service: {proto: udp, ports: [623, 6230]}, app: [IPMI]}
  - {id: gc-mqtt, kind: operations, from: nas, to: aaa, service: {proto: tcp, ports: [3268]}, app: [MQTT]}
"""


def flows_of(work, pcap, policy=None):
    db = os.path.join(work, "om.db")
    out = os.path.join(work, "om.jsonl")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.unlink(db + suffix)
    args = ["replay", "--no-progress", "--db", db, "--jsonl", out]
    if policy:
        args += ["--policy", policy]
    r = owtest.run(args + [pcap])
    if r.returncode != 0:
        print(f"FAIL: replay {pcap} exited {r.returncode}: {r.stderr}")
        sys.exit(1)
    return [e for e in owtest.jsonl(open(out).read()) if e["event_type"] == "flow"]


def main():
    failures = []
    counts = {}
    with tempfile.TemporaryDirectory() as work:
        gen = os.path.join(work, "gen")
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen_om_pcaps.py"), gen], check=True)
        manifest = json.load(open(os.path.join(gen, "om_expect.json")))
        by_file = {}
        for e in manifest:
            by_file.setdefault(e["pcap"], []).append(e)
        for name, entries in sorted(by_file.items()):
            flows = {(f["proto"], f["src_port"]): f for f in flows_of(work, os.path.join(gen, name))}
            for e in entries:
                f = flows.get((e["proto"], e["client_port"]))
                if not f:
                    failures.append(f"{name}: no flow from port {e['client_port']} ({e['what']})")
                    continue
                got, ndpi = f["app_proto"], f["ndpi"]["protocol"]
                if e["label"]:
                    counts[e["label"]] = counts.get(e["label"], 0) + 1
                    if got != e["label"]:
                        failures.append(f"{name} {e['what']}: app_proto {got}, want {e['label']}")
                    if ndpi in OM - {"SNMP", "LDAP"}:
                        failures.append(f"{name} {e['what']}: ndpi.protocol {ndpi} is not nDPI's own name")
                elif got != ndpi:
                    failures.append(f"{name} near-miss {e['what']}: app_proto {got} replaced nDPI's {ndpi}")
        # where nDPI 4.2 is wrong or silent, our label wins and nDPI's stays in ndpi
        ldap = {(f["dest_port"]): f for f in flows_of(work, os.path.join(gen, "om_ldap.pcap"))}
        if ldap[3268]["app_proto"] != "LDAP" or ldap[3268]["ndpi"]["protocol"] != "MQTT":
            failures.append(f"LDAP on 3268: app_proto {ldap[3268]['app_proto']}, ndpi {ldap[3268]['ndpi']['protocol']}"
                            " (want LDAP over nDPI's MQTT)")

        # real captures
        data = owtest.shared_data()
        listed = {}
        for line in open(os.path.join(ROOT, "tests", "om", "corpus_labels.tsv")):
            if line.startswith("#") or not line.strip():
                continue
            rel, proto, client, server, label = line.rstrip("\n").split("\t")
            listed.setdefault(rel, []).append((proto, client, server, label))
        real = 0
        for rel, want in sorted(listed.items()):
            flows = flows_of(work, os.path.join(data, "pcaps", rel))
            for proto, client, server, label in want:
                (cip, cport), (sip, sport) = client.rsplit(":", 1), server.rsplit(":", 1)
                ends = {(cip, int(cport)), (sip, int(sport))}
                match = [f for f in flows if f["proto"] == proto and
                         {(f["src_ip"], f["src_port"]), (f["dest_ip"], f["dest_port"])} == ends]
                if [f["app_proto"] for f in match] != [label]:
                    failures.append(f"{rel} {proto} {client} {server}: {[f['app_proto'] for f in match]}, want [{label}]")
                real += 1

        # the policy sees our labels
        policy = os.path.join(work, "om-policy.yaml")
        open(policy, "w").write(POLICY)
        r = owtest.run(["policy", "check", policy])
        if r.returncode != 0:
            failures.append(f"policy check refused app: [TACACS]/[IPMI]: {r.stderr.strip()}")
        for f in flows_of(work, os.path.join(gen, "om_tacacs.pcap"), policy):
            ok = f["verdict"]["status"] == "authorized" and f["verdict"]["rule"] == "tacacs"
            if (f["app_proto"] == "TACACS") != ok:
                failures.append(f"TACACS flow from {f['src_port']} ({f['app_proto']}): verdict {f['verdict']}")
        ipmi = [f for f in flows_of(work, os.path.join(gen, "om_rmcp.pcap"), policy) if f["app_proto"] == "IPMI"]
        if not ipmi or any(f["verdict"].get("rule") != "bmc" for f in ipmi):
            failures.append(f"IPMI flows not authorized by rule bmc: {[f['verdict'] for f in ipmi]}")
        gc = [f for f in flows_of(work, os.path.join(gen, "om_ldap.pcap"), policy) if f["dest_port"] == 3268]
        if [f["verdict"].get("kind") for f in gc] != ["protocol_mismatch"]:
            failures.append(f"LDAP on 3268 under an MQTT rule: {[f['verdict'] for f in gc]}")

        # tshark's dissectors agree with every label we give
        if shutil.which("tshark"):
            tool = os.path.join(os.path.dirname(owtest.omwitness()), "..", "tests", "li", "li_flows")
            pcaps = [os.path.join(gen, n) for n in sorted(by_file)] + \
                    [os.path.join(data, "pcaps", rel) for rel in sorted(listed)]
            r = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "om_tshark_check.py"), "--quiet",
                                "--flows-tool", tool, "--expect", os.path.join(gen, "om_expect.json")] + pcaps,
                               capture_output=True, text=True)
            print(r.stdout.strip())
            if r.returncode != 0:
                failures.append("tshark disagrees: " + r.stdout[-2000:] + r.stderr[-500:])
        else:
            print("tshark not installed: agreement with its dissectors not checked")
    print(f"O&M through the engine: generated labels {counts}, {real} real flows; {len(failures)} failures")
    for f in failures:
        print("FAIL: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
