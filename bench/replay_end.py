#!/usr/bin/env python3
"""replay_end.py — how long a replay's end takes: its wall time, the writer's tail (from the
last worker thread's exit to the writer thread's, the queue it drains alone) and the run's
end (from the writer thread's exit to the process's: deferred indexes, content root, final
commit). Each build replays FILE --runs times, alternating, into a fresh store; medians and
ranges are printed. Threads are told apart by their names (ow-worker-N, ow-writer), read
from /proc every 5 ms. Usage: bench/replay_end.py FILE [--runs N] [--build DIR ...]"""
import argparse
import os
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def thread_names(pid):
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    names = []
    for t in tasks:
        try:
            with open(f"/proc/{pid}/task/{t}/comm") as f:
                names.append(f.read().strip())
        except OSError:
            pass
    return names


def one_replay(exe, pcap, work):
    db = os.path.join(work, "end.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.unlink(db + suffix)
    t0 = time.monotonic()
    p = subprocess.Popen([exe, "replay", "--no-progress", "--threads", "2", "--db", db, pcap],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen = False
    workers_gone = writer_gone = None
    while p.poll() is None:
        names = thread_names(p.pid)
        workers = any(n.startswith("ow-worker") for n in names)
        writer = "ow-writer" in names
        seen = seen or workers
        now = time.monotonic()
        if seen and not workers and workers_gone is None:
            workers_gone = now
        if seen and not writer and writer_gone is None:
            writer_gone = now
        time.sleep(0.005)
    end = time.monotonic()
    if p.returncode != 0:
        raise SystemExit(f"{exe} replay exited {p.returncode}")
    workers_gone = workers_gone or end
    writer_gone = writer_gone or end
    return end - t0, writer_gone - workers_gone, end - writer_gone


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pcap")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--build", action="append")
    o = ap.parse_args()
    builds = o.build or [os.path.join(ROOT, "build")]
    exes = [os.path.join(b, "sensor", "omwitness") for b in builds]
    for exe in exes:
        if not os.access(exe, os.X_OK):
            raise SystemExit(f"need {exe}")
    got = {exe: [] for exe in exes}
    with tempfile.TemporaryDirectory() as work:
        for _ in range(o.runs):
            for exe in exes:
                got[exe].append(one_replay(exe, o.pcap, work))
    for exe in exes:
        print(exe)
        for i, what in enumerate(("wall", "writer's tail", "run end")):
            v = [r[i] for r in got[exe]]
            print(f"  {what:14s} median {statistics.median(v):5.2f} s "
                  f"({min(v):.2f}-{max(v):.2f})")


if __name__ == "__main__":
    main()
