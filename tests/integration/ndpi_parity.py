#!/usr/bin/env python3
"""nDPI parity: every flow that Debian's ndpiReader 4.2 lists for nDPI's own test pcaps
(../shared/data/ndpi-4.2-results) must be found among omwitness's flows with the same L4
protocol, the same two endpoints (either order) and the same nDPI protocol name. No flow may
carry an LI label, nor an O&M label that tests/om/corpus_labels.tsv (checked against
tshark) does not list.

Usage: ndpi_parity.py [--threads N] [--min-percent P] [--report FILE]"""
import argparse
import concurrent.futures
import ipaddress
import os
import re
import sys
import tempfile

import owtest

LINE = re.compile(
    r"^\t\d+\t(\S+) (\[[0-9a-fA-F:.]+\]|[0-9.]+):(\d+) (?:<->|->) (\[[0-9a-fA-F:.]+\]|[0-9.]+):(\d+) "
    r"(?:\[VLAN: \d+\])?\[proto: (?:[A-Za-z0-9_]+:)?[\d.]+/([^\]]+)\]")


def addr(text):
    """Addresses compare as addresses: ndpiReader writes '::' for a single zero group, inet_ntop does not."""
    text = text.strip("[]")
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return text


def reference_flows(result_file):
    flows = []
    with open(result_file, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = LINE.match(line)
            if m:
                l4, a, pa, b, pb, name = m.groups()
                flows.append((owtest.l4_number(l4), addr(a), int(pa), addr(b), int(pb), name))
    return flows


OM_LISTED = owtest.om_listed()


def replay(pcap, config, threads, workdir):
    db = os.path.join(workdir, os.path.basename(pcap) + ".db")
    out = os.path.join(workdir, os.path.basename(pcap) + ".jsonl")
    r = owtest.run(["replay", "--no-progress", "--threads", str(threads), "--ndpi-config", config,
                    "--db", db, "--jsonl", out, pcap])
    flows = {}
    li_labelled = []
    if os.path.exists(out):
        events = owtest.jsonl(open(out, encoding="utf-8").read())
        li_labelled += [f"O&M label not in tests/om/corpus_labels.tsv: {x}" for x in
                        owtest.om_false_positives(pcap, [e for e in events if e.get("event_type") == "flow"],
                                                  OM_LISTED)]
        for ev in events:
            if ev.get("event_type") != "flow":
                continue
            if ev["app_proto"] in owtest.LI_LABELS:
                li_labelled.append(f"{ev['src_ip']}:{ev['src_port']} -> {ev['dest_ip']}:{ev['dest_port']} {ev['app_proto']}")
            key = frozenset([(addr(ev["src_ip"]), ev["src_port"]), (addr(ev["dest_ip"]), ev["dest_port"])])
            flows.setdefault((owtest.l4_number(ev["proto"]), key), []).append(ev["ndpi"]["protocol"])
    return r.returncode, r.stderr.strip(), flows, li_labelled


def check_pcap(args):
    pcap, result, config, threads, workdir = args
    ref = reference_flows(result)
    rc, err, ours, li_labelled = replay(pcap, config, threads, workdir)
    misses = []
    for l4, a, pa, b, pb, name in ref:
        key = (l4, frozenset([(a, pa), (b, pb)]))
        got = ours.get(key)
        if not got:
            misses.append((l4, a, pa, b, pb, name, "no such flow"))
        elif name not in got:
            misses.append((l4, a, pa, b, pb, name, "omwitness says " + "/".join(sorted(set(got)))))
    return os.path.basename(pcap), rc, err, len(ref), misses, li_labelled, sum(len(v) for v in ours.values())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--min-percent", type=float, default=99.0)
    ap.add_argument("--report")
    opts = ap.parse_args()
    data = owtest.shared_data()
    pcaps_dir = os.path.join(data, "pcaps", "ndpi-4.2")
    results_dir = os.path.join(data, "ndpi-4.2-results")
    config = os.path.join(data, "ndpi-4.2-config")
    jobs = []
    with tempfile.TemporaryDirectory() as work:
        for name in sorted(os.listdir(pcaps_dir)):
            result = os.path.join(results_dir, name + ".out")
            if os.path.exists(result):
                jobs.append((os.path.join(pcaps_dir, name), result, config, opts.threads, work))
        total = matched = our_flows = 0
        failures = []
        lines = []
        with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
            for name, rc, err, nref, misses, li_labelled, nflows in ex.map(check_pcap, jobs):
                our_flows += nflows
                failures += [f"{name}: labelled LI: {x}" for x in li_labelled]
                total += nref
                matched += nref - len(misses)
                if rc not in (0, 2):
                    failures.append(f"{name}: exit {rc}: {err}")
                for m in misses:
                    l4, a, pa, b, pb, want, why = m
                    lines.append(f"{name}\t{l4} {a}:{pa} <-> {b}:{pb}\tndpiReader {want}\t{why}")
    pct = 100.0 * matched / total if total else 0.0
    summary = (f"nDPI parity: {matched}/{total} reference flows matched ({pct:.2f}%) over {len(jobs)} pcaps; "
               f"{our_flows} omwitness flows, {sum('labelled LI' in f for f in failures)} labelled LI, "
               f"{sum('O&M label' in f for f in failures)} O&M labels not listed")
    print(summary)
    for l in lines:
        print("  " + l)
    if opts.report:
        with open(opts.report, "w") as f:
            f.write(summary + "\n" + "\n".join(lines) + "\n")
    for f in failures:
        print("FAIL: " + f)
    if failures or pct < opts.min_percent or total < 6000:
        print(f"FAIL: need >= {opts.min_percent}% of >= 6000 reference flows and clean exits")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
