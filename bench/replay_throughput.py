#!/usr/bin/env python3
"""replay_throughput.py — packets/s and flows/s of `omwitness replay` over nDPI's test corpus
(all of ../shared/data/pcaps/ndpi-4.2, REPEAT times in one run), with 1 and 2 worker
threads, and the peak resident memory of the process. With --policy the sample policy is
evaluated too. Usage: bench/replay_throughput.py [--build DIR] [--repeat N]"""
import argparse
import glob
import os
import resource
import sqlite3
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--policy", action="store_true", help="evaluate examples/sample-policy.yaml")
    o = ap.parse_args()
    exe = os.path.join(o.build, "sensor", "omwitness")
    corpus = sorted(glob.glob(os.path.join(ROOT, "..", "shared", "data", "pcaps", "ndpi-4.2", "*.pcap")))
    if not os.access(exe, os.X_OK) or not corpus:
        raise SystemExit(f"need {exe} and ../shared/data/pcaps/ndpi-4.2")
    files = corpus * o.repeat
    extra = ["--policy", os.path.join(ROOT, "examples", "sample-policy.yaml")] if o.policy else []
    for threads in (1, 2):
        with tempfile.TemporaryDirectory() as work:
            db = os.path.join(work, "b.db")
            t0 = time.perf_counter()
            subprocess.run([exe, "replay", "--no-progress", "--threads", str(threads), "--db", db] + extra + files,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            secs = time.perf_counter() - t0
            rss_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            with sqlite3.connect(db) as c:
                packets, flows = c.execute("select sum(packets), sum(flows) from runs").fetchone()
            print(f"threads {threads}: {packets} packets, {flows} flows in {secs:.2f} s: "
                  f"{packets / secs:,.0f} packets/s, {flows / secs:,.0f} flows/s; "
                  f"peak RSS so far {rss_mib:.0f} MiB")


if __name__ == "__main__":
    main()
