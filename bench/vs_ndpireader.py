#!/usr/bin/env python3
"""vs_ndpireader.py — replay speed and peak memory of omwitness against ndpiReader on the same
big capture (bench/gen_corpus_copies.py: the nDPI corpus N times, one file per link type).
Runs the two tools alternately in the same run, RUNS times, each on every file of the capture
in turn (a file per process, for both), and reports per tool the median over runs of the summed
wall time and of the largest peak RSS (from wait4), then the ratios:
  speed  = ndpiReader wall / omwitness wall   (goal >= 2.5)
  memory = omwitness RSS / ndpiReader RSS     (goal <= 0.5)
omwitness runs as `replay --threads T --db FRESH` without and then with the sample policy
(evidence and chain on, as by default). Usage:
  bench/vs_ndpireader.py [--build DIR] [--copies 24] [--data DIR] [--runs 3] [--threads 2]"""
import argparse
import glob
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def timed(argv):
    """(wall seconds, peak RSS bytes) of one process run to its end."""
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(argv)}: exit {os.waitstatus_to_exitcode(status)}")
    return wall, ru.ru_maxrss * 1024


def run_tool(make_argv, files):
    wall, rss = 0.0, 0
    for f in files:
        w, r = timed(make_argv(f))
        wall += w
        rss = max(rss, r)
    return wall, rss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--copies", type=int, default=24)
    ap.add_argument("--data", default=None, help="where the capture is (built there if absent)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    o = ap.parse_args()
    exe = os.path.join(o.build, "sensor", "omwitness")
    ndpi = shutil.which("ndpiReader")
    if not os.access(exe, os.X_OK) or not ndpi:
        sys.exit(f"need {exe} and ndpiReader")
    data = o.data or os.path.join(tempfile.gettempdir(), f"omwitness-bench-x{o.copies}")
    if not glob.glob(os.path.join(data, "big-*.pcap")):
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_corpus_copies.py"),
                        "--copies", str(o.copies), "--out", data], check=True)
    files = sorted(glob.glob(os.path.join(data, "big-*.pcap")), key=os.path.getsize, reverse=True)
    size = sum(os.path.getsize(f) for f in files)
    policy = os.path.join(ROOT, "examples", "sample-policy.yaml")
    work = tempfile.mkdtemp(prefix="ow-vs-")

    def ow(extra):
        def argv(f):
            db = os.path.join(work, "b.db")
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(db + suffix):
                    os.unlink(db + suffix)
            return [exe, "replay", "--no-progress", "--threads", str(o.threads), "--db", db] + extra + [f]
        return argv

    tools = {
        "ndpiReader": lambda f: [ndpi, "-q", "-i", f],
        "omwitness": ow([]),
        "omwitness --policy": ow(["--policy", policy]),
    }
    results = {name: [] for name in tools}
    try:
        for _ in range(o.runs):
            for name, argv in tools.items():
                results[name].append(run_tool(argv, files))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"capture: {len(files)} files, {size / 1e9:.2f} GB ({o.copies} copies); {o.runs} runs, "
          f"alternating; omwitness --threads {o.threads}")
    med = {}
    for name, rs in results.items():
        wall = statistics.median(r[0] for r in rs)
        rss = statistics.median(r[1] for r in rs)
        med[name] = (wall, rss)
        runs = ", ".join(f"{w:.2f}" for w, _ in rs)
        print(f"{name:20s} wall {wall:6.2f} s (runs {runs})  peak RSS {rss / 2**20:6.0f} MiB")
    nw, nr = med["ndpiReader"]
    for name in ("omwitness", "omwitness --policy"):
        w, r = med[name]
        print(f"{name:20s} speed {nw / w:.2f}x ndpiReader (goal 2.5), memory {r / nr:.2f}x (goal 0.5)")


if __name__ == "__main__":
    main()
