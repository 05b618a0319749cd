#!/usr/bin/env python3
"""Durability: a sealed replay (--keys, --witness) of every nDPI 4.2 test capture in one run,
with --jsonl, killed with SIGKILL at 8 different moments. After each kill the store opens,
`verify --root-key --witness` exits 0 (the unended run's rows were chained as they were
inserted, every witnessed checkpoint is in the store, the key directory survived the kill
wherever it fell in a rotation; a kill before the first run's first commit leaves a store
with no records, which claims nothing; one before the store was made leaves none),
`report --keys` makes a signed report that `report verify` accepts, and every flow_id the
JSONL file shows is in the store (the writer writes JSON lines only after their batch
commits)."""
import glob
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

import evidence_common as ec
import owtest

KILLS = 8


def main():
    data = owtest.shared_data()
    ec.require_subcommand("verify")
    pcaps = sorted(glob.glob(os.path.join(data, "pcaps", "ndpi-4.2", "*.pcap")))
    if not pcaps:
        print("SKIP: no captures in pcaps/ndpi-4.2")
        return owtest.SKIP
    _, policy = ec.sample()
    rng = random.Random(20260210)
    failures = []
    with tempfile.TemporaryDirectory() as work:
        # How long a whole replay takes, to spread the kills over it.
        db = os.path.join(work, "full.db")
        t0 = time.monotonic()
        r = owtest.run(["replay", "--no-progress", "--policy", policy, "--db", db, *pcaps])
        full = time.monotonic() - t0
        # Exit 2 names the corpus's damaged captures (their readable packets are kept).
        if r.returncode not in (0, 2) or not os.path.exists(db):
            print(f"FAIL: full replay: {r.returncode} {r.stderr[-500:]}")
            return 1
        r = owtest.run(["verify", "--db", db])
        if r.returncode != 0:
            failures.append(f"full replay does not verify: {r.stdout} {r.stderr}")

        # One store across all kills: each new run continues the chain after a crash.
        db = os.path.join(work, "killed.db")
        keys = ec.make_keys(work)
        witness = os.path.join(work, "witness.jsonl")
        root = os.path.join(keys, "root.pub")
        killed_mid_run = 0
        for i in range(KILLS):
            jsonl = os.path.join(work, f"run{i}.jsonl")
            delay = rng.uniform(0.05, max(0.1, full * 0.9))
            p = subprocess.Popen([owtest.omwitness(), "replay", "--no-progress", "--policy", policy,
                                  "--db", db, "--jsonl", jsonl, "--keys", keys, "--witness",
                                  witness, *pcaps],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(delay)
            killed_mid_run += p.poll() is None
            p.send_signal(signal.SIGKILL)
            p.wait()

            if not os.path.exists(db):
                # Killed before the store was made (a store appears whole, db/store_open.c):
                # nothing can have been streamed, and the next run makes it.
                streamed = os.path.exists(jsonl) and os.path.getsize(jsonl) > 0
                if streamed or i == KILLS - 1:
                    failures.append(f"kill {i} after {delay:.2f}s: no store, but "
                                    f"{'flows were streamed' if streamed else 'the last run made none'}")
                print(f"kill {i} after {delay:.2f}s: before the store was made; nothing streamed")
                continue
            r = owtest.run(["verify", "--db", db, "--root-key", root, "--witness", witness])
            if r.returncode != 0:
                failures.append(f"kill {i} after {delay:.2f}s: verify {r.returncode}: "
                                f"{r.stdout.strip()} {r.stderr.strip()}")
            tail = [l for l in r.stdout.splitlines() if "after the last checkpoint" in l]
            rep = os.path.join(work, f"report{i}.json")
            rr = owtest.run(["report", "--db", db, "--keys", keys, "-o", rep])
            rv = owtest.run(["report", "verify", rep, "--root-key", root]) if rr.returncode == 0 else rr
            if rr.returncode != 0 or rv.returncode != 0:
                failures.append(f"kill {i}: report {rr.returncode} {rr.stderr.strip()} / report "
                                f"verify {rv.returncode} {rv.stdout.strip()}")
            else:
                conclusion = json.load(open(rep)).get("conclusion")
                print(f"kill {i}: sealed store verifies ({tail[0].split(': ', 1)[1] if tail else '?'}); "
                      f"signed report verifies, {conclusion}")
            r = owtest.run(["flows", "--db", db, "--format", "jsonl"])
            if r.returncode != 0:
                failures.append(f"kill {i}: the store does not open: {r.stderr.strip()}")
                continue
            stored = {row[0] for row in ec.query(db, "SELECT flow_id FROM flows")}
            seen = set()
            # A kill before the output was opened leaves no file: nothing was streamed.
            lines = [""]
            if os.path.exists(jsonl):
                with open(jsonl, encoding="utf-8") as f:
                    lines = f.read().split("\n")
            # The last line may be cut by the kill; every complete line must be stored.
            for line in lines[:-1]:
                seen.add(json.loads(line)["flow_id"])
            missing = seen - stored
            if missing:
                failures.append(f"kill {i} after {delay:.2f}s: {len(missing)} of {len(seen)} "
                                f"streamed flows are not in the store")
            print(f"kill {i} after {delay:.2f}s: {len(seen)} flows streamed, all stored; "
                  f"store verifies")
        runs = ec.query(db, "SELECT count(*), sum(ended_wall IS NULL) FROM runs")[0]
        print(f"{runs[0]} runs, {runs[1]} never ended; {killed_mid_run} of {KILLS} kills hit a "
              f"running replay (full replay {full:.2f}s)")
        if killed_mid_run < KILLS // 2:
            failures.append(f"only {killed_mid_run} of {KILLS} kills hit a running replay")

    if failures:
        print("FAIL:\n  " + "\n  ".join(failures))
        return 1
    print("ok: every kill left a store that verifies and holds every streamed flow")
    return 0


if __name__ == "__main__":
    sys.exit(main())
