#!/usr/bin/env python3
"""Content root (docs/evidence.md "Content root"): replaying the sample night with its policy
gives the same per-run root with --threads 1, 2 and 4 and on two fresh stores; the root is
in the report and printed by verify --content-root; it changes when the input does (the
night without its last packets). The whole nDPI corpus as one run (more flows than
sensor/engine_root.c reads on one connection, so the run's end reads them in chunks of
1,024 rows, taken in turn by two connections) stores the root verify recomputes on one,
and the same root on two fresh stores. (Not across thread counts: nDPI 4.2 labels some STUN
flows from a per-worker cache, see determinism.py.)"""
import json
import os
import sqlite3
import sys
import tempfile

import evidence_common as ec
import owtest


def root_of(db):
    r = owtest.run(["verify", "--db", db, "--content-root"])
    lines = [l for l in r.stdout.splitlines() if " content root " in l]
    if r.returncode != 0 or not lines:
        print(f"FAIL: verify --content-root {db}: {r.returncode} {r.stdout} {r.stderr}")
        sys.exit(1)
    return lines[0].split(" content root ")[1].split()[0]


def main():
    pcap, policy = ec.sample()
    rc = 0
    with tempfile.TemporaryDirectory() as work:
        roots = {}
        for name, threads in (("t1", 1), ("t2", 2), ("t4", 4), ("fresh-a", 2), ("fresh-b", 2)):
            db = os.path.join(work, name + ".db")
            r = owtest.run(["replay", "--no-progress", "--threads", str(threads), "--policy", policy,
                            "--db", db, pcap])
            if r.returncode != 0:
                print(f"FAIL: replay {name}: {r.stderr}")
                return 1
            roots[name] = root_of(db)
            print(f"{name} (--threads {threads}): content root {roots[name]}")
        if len(set(roots.values())) != 1:
            print("FAIL: content roots differ")
            rc = 1
        rep = json.loads(owtest.run(["report", "--db", os.path.join(work, "t1.db")]).stdout)
        if rep["runs"][0]["content_root"] != roots["t1"]:
            print(f"FAIL: the report's content root {rep['runs'][0]['content_root']} is not verify's")
            rc = 1
        # Another input, another root.
        raw = open(pcap, "rb").read()
        cut = os.path.join(work, "cut.pcap")
        open(cut, "wb").write(raw[:len(raw) * 9 // 10])
        db = os.path.join(work, "cut.db")
        owtest.run(["replay", "--no-progress", "--policy", policy, "--db", db, cut])
        other = root_of(db)
        if other == roots["t1"]:
            print("FAIL: a different input has the same content root")
            rc = 1
        rc |= corpus_in_halves(work)
    if rc == 0:
        print("ok: the content root is the same for --threads 1, 2, 4 and fresh stores")
    return rc


SPLIT_MIN_ROWS = 4096   # sensor/engine_root.c


def corpus_in_halves(work):
    data = os.environ.get("OW_SHARED_DATA") or os.path.join(
        os.path.dirname(__file__), "..", "..", "..", "shared", "data")
    nd = os.path.join(data, "pcaps", "ndpi-4.2")
    if not os.path.isdir(nd):
        print(f"SKIP (part): {nd} is absent, so the run end on two connections is not exercised")
        return 0
    corpus = sorted(os.path.join(nd, f) for f in os.listdir(nd))
    roots = []
    for threads in (2, 2):
        db = os.path.join(work, f"corpus{len(roots)}.db")
        # Damaged corpus files exit 2 with their packets kept; the run still ends.
        r = owtest.run(["replay", "--no-progress", "--threads", str(threads), "--db", db] + corpus)
        if r.returncode not in (0, 2):
            print(f"FAIL: corpus replay --threads {threads}: {r.returncode} {r.stderr[-500:]}")
            return 1
        con = sqlite3.connect(db)
        flows = con.execute("SELECT count(*) FROM flows").fetchone()[0]
        con.close()
        if flows <= SPLIT_MIN_ROWS:
            print(f"FAIL: the corpus made {flows} flows, too few to be read on two connections")
            return 1
        roots.append(root_of(db))   # verify recomputes it on one connection
        print(f"corpus --threads {threads}: {flows} flows, content root {roots[-1]}")
    if roots[0] != roots[1]:
        print("FAIL: the corpus's content roots differ between two fresh stores")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
