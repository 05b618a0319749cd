#!/usr/bin/env python3
"""seal_cost.py — what sealing costs a replay: the nDPI 4.2 corpus (../shared/data/pcaps/
ndpi-4.2, REPEAT times in one run) with the sample policy, replayed unsealed and sealed
(--keys, --witness) alternately on fresh stores, ROUNDS times each; prints each time, the
medians and the sealed overhead in percent (docs/evidence.md quotes it).
Usage: bench/seal_cost.py [--build DIR] [--repeat N] [--rounds N] [--threads N]"""
import argparse
import glob
import os
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    o = ap.parse_args()
    exe = os.path.join(o.build, "sensor", "omwitness")
    corpus = sorted(glob.glob(os.path.join(ROOT, "..", "shared", "data", "pcaps", "ndpi-4.2", "*.pcap")))
    if not os.access(exe, os.X_OK) or not corpus:
        raise SystemExit(f"need {exe} and ../shared/data/pcaps/ndpi-4.2")
    files = corpus * o.repeat
    policy = os.path.join(ROOT, "examples", "sample-policy.yaml")
    times = {"unsealed": [], "sealed": []}
    with tempfile.TemporaryDirectory() as work:
        keys = os.path.join(work, "keys")
        subprocess.run([exe, "keys", "init", "--dir", keys, "--sensor", "bench"], check=True,
                       stdout=subprocess.DEVNULL)
        for i in range(o.rounds):
            for mode in ("unsealed", "sealed"):
                db = os.path.join(work, f"{mode}{i}.db")
                seal = ["--keys", keys, "--witness", os.path.join(work, f"w{i}.jsonl")] \
                    if mode == "sealed" else []
                t0 = time.perf_counter()
                r = subprocess.run([exe, "replay", "--no-progress", "--threads", str(o.threads),
                                    "--policy", policy, "--db", db, *seal, *files],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                secs = time.perf_counter() - t0
                if r.returncode not in (0, 2):      # 2: the corpus's damaged captures
                    raise SystemExit(f"replay failed: {r.returncode}")
                times[mode].append(secs)
                print(f"round {i + 1} {mode}: {secs:.3f} s")
    u, s = statistics.median(times["unsealed"]), statistics.median(times["sealed"])
    print(f"median of {o.rounds}: unsealed {u:.3f} s, sealed {s:.3f} s: sealing costs "
          f"{100 * (s - u) / u:+.1f}% ({len(files)} files, --threads {o.threads})")


if __name__ == "__main__":
    main()
