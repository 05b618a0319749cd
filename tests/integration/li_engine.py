#!/usr/bin/env python3
"""LI classifiers through the whole engine (decode, workers, stream reassembly):
- x2-demo-01.pcap: one flow labelled X2 with its XID and target;
- etsi_10_pings.pcap: the TCP 44444 flow with data is HI2, the 44445 one HI3, with the LIID;
- scripts/gen_li_pcaps.py captures: every labelled kind appears, no near-miss is LI;
- labels override nDPI's in app_proto while the ndpi object keeps nDPI's own result."""
import os
import subprocess
import sys
import tempfile

import owtest

LI = {"X1", "X2", "X3", "HI1", "HI2", "HI3"}
ROOT = os.environ.get("OW_SOURCE_ROOT") or os.path.join(os.path.dirname(__file__), "..", "..")


def flows_of(work, pcaps, name):
    db = os.path.join(work, name + ".db")
    out = os.path.join(work, name + ".jsonl")
    r = owtest.run(["replay", "--no-progress", "--db", db, "--jsonl", out] + pcaps)
    if r.returncode != 0:
        print(f"FAIL: replay {pcaps} exited {r.returncode}: {r.stderr}")
        sys.exit(1)
    return [e for e in owtest.jsonl(open(out).read()) if e["event_type"] == "flow"]


def main():
    data = owtest.shared_data()
    failures = []
    with tempfile.TemporaryDirectory() as work:
        x2 = flows_of(work, [os.path.join(data, "pcaps", "li", "x2-demo-01.pcap")], "x2")
        labelled = [f for f in x2 if f["app_proto"] in LI]
        if len(labelled) != 1 or labelled[0]["app_proto"] != "X2":
            failures.append(f"x2-demo-01: want one X2 flow, got {[f['app_proto'] for f in x2]}")
        else:
            li = labelled[0]["li"]
            if li.get("xid") != "8c292fa1-5831-46ec-86be-bd85f2083299" or \
                    li.get("target") != "<E164Number>494012345678</E164Number>" or li.get("interface") != "X2" \
                    or li.get("payload_format") != 9 or li.get("pdu_count") != 1 or not li.get("confidence"):
                failures.append(f"x2-demo-01: li fields {li}")
            if labelled[0]["ndpi"]["protocol"] in LI:
                failures.append("x2-demo-01: the ndpi object must keep nDPI's own result")

        etsi = flows_of(work, [os.path.join(data, "pcaps", "li", "etsi_10_pings.pcap")], "etsi")
        by_port = {}
        for f in etsi:
            if f["app_proto"] in LI:
                by_port.setdefault(f["dest_port"], []).append((f["app_proto"], f["li"].get("liid")))
        if by_port.get(44444) != [("HI2", "XP45NN710T")] or by_port.get(44445) != [("HI3", "XP45NN710T")]:
            failures.append(f"etsi_10_pings: LI flows by port {by_port}")

        gen = os.path.join(work, "gen")
        os.mkdir(gen)
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen_li_pcaps.py"), gen], check=True)
        want = {"li_x2x3.pcap": {"X2", "X3"}, "li_hi.pcap": {"HI2", "HI3"}, "li_x1_hi1.pcap": {"X1", "HI1"}}
        for name, labels in want.items():
            got = {f["app_proto"] for f in flows_of(work, [os.path.join(gen, name)], name)} & LI
            if got != labels:
                failures.append(f"{name}: labels {sorted(got)}, want {sorted(labels)}")
        near = [f for f in flows_of(work, [os.path.join(gen, "li_near_miss.pcap")], "near") if f["app_proto"] in LI]
        if near:
            failures.append(f"li_near_miss.pcap: {len(near)} near-misses labelled LI: "
                            f"{[(f['dest_port'], f['app_proto']) for f in near]}")
    print(f"LI through the engine: {len(failures)} failures")
    for f in failures:
        print("FAIL: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
