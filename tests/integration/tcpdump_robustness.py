#!/usr/bin/env python3
"""Robustness: replays every capture of tcpdump's test suite (many malformed on purpose).
Each must exit 0, or 2 with one clear line on stderr naming the file; never crash, hang,
leak or trip a sanitizer (the suite runs this in the ASan+UBSan build too). No flow may carry
an LI label, nor an O&M label that tests/om/corpus_labels.tsv (checked against tshark) does
not list. Each ended run's decode events must add up to its stored malformed and not-IP
counters, and it must record the SHA-256 of the whole file, also where libpcap stopped at a
damaged record part-way. The most common reasons over the whole corpus are printed."""
import collections
import concurrent.futures
import hashlib
import os
import sqlite3
import subprocess
import sys
import tempfile

import owtest

TIMEOUT_S = 120
OM_LISTED = owtest.om_listed()
SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error:", "UndefinedBehaviorSanitizer")


def decode_events(db):
    """(Counter of event -> count, mismatch or None) over the ended runs of db."""
    events = collections.Counter()
    if not os.path.exists(db):
        return events, None
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        for run_id, malformed, not_ip in con.execute(
                "SELECT id, packets_malformed, packets_not_ip FROM runs WHERE ended_wall IS NOT NULL"):
            m = n = 0
            for event, cls, count in con.execute(
                    "SELECT event, class, count FROM run_decode_events WHERE run_id = ?", (run_id,)):
                events[event] += count
                if cls == "malformed":
                    m += count
                else:
                    n += count
            if (m, n) != (malformed, not_ip):
                return events, (f"run {run_id}: decode events add up to {m} malformed and {n} not IP, "
                                f"the run stores {malformed} and {not_ip}")
    finally:
        con.close()
    return events, None


def input_hash_mismatch(db, path):
    """Why the ended runs of db do not record path's SHA-256, or None."""
    if not os.path.exists(db):
        return None
    want = hashlib.sha256(open(path, "rb").read()).hexdigest()
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        for run_id, got in con.execute("SELECT id, input_sha256 FROM runs WHERE ended_wall IS NOT NULL"):
            if got != want:
                return f"run {run_id} records the input hash {got!r}, the file's is {want}"
    finally:
        con.close()
    return None


def check(args):
    path, work = args
    db = os.path.join(work, os.path.basename(path) + ".db")
    stream = db + ".jsonl"
    li, om = [], []
    events, mismatch = collections.Counter(), None
    try:
        r = owtest.run(["replay", "--no-progress", "--threads", "2", "--db", db, "--jsonl", stream, path],
                       timeout=TIMEOUT_S)
        if os.path.exists(stream):
            flows = [e for e in owtest.jsonl(open(stream, encoding="utf-8").read()) if e.get("event_type") == "flow"]
            li = [e for e in flows if e.get("app_proto") in owtest.LI_LABELS]
            om = owtest.om_false_positives(path, flows, OM_LISTED)
        events, mismatch = decode_events(db)
        mismatch = mismatch or input_hash_mismatch(db, path)
    except subprocess.TimeoutExpired:
        return path, f"hung for more than {TIMEOUT_S} s", events
    finally:
        for suffix in ("", "-wal", "-shm", ".jsonl"):
            if os.path.exists(db + suffix):
                os.unlink(db + suffix)
    if mismatch:
        return path, mismatch, events
    if li:
        return path, f"{len(li)} flows labelled LI (false positive): {[e['app_proto'] for e in li]}", events
    if om:
        return path, f"O&M labels tests/om/corpus_labels.tsv does not list (false positives): {om}", events
    err = r.stderr.strip()
    if any(m in r.stderr for m in SANITIZER_MARKS):
        return path, "sanitizer report:\n" + err[:4000], events
    if r.returncode == 0:
        return path, None, events
    if r.returncode == 2:
        lines = err.splitlines()
        if len(lines) == 1 and os.path.basename(path) in lines[0]:
            return path, None, events
        return path, f"exit 2 without one clear line naming the file: {err[:500]!r}", events
    return path, f"exit {r.returncode}: {err[:2000]}", events


def main():
    data = owtest.shared_data()
    folder = os.path.join(data, "pcaps", "tcpdump-tests")
    files = sorted(os.path.join(folder, f) for f in os.listdir(folder))
    with tempfile.TemporaryDirectory() as work:
        with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
            results = list(ex.map(check, [(f, work) for f in files]))
    bad = [(p, why) for p, why, _ in results if why]
    total = collections.Counter()
    for _, _, events in results:
        total.update(events)
    print(f"tcpdump robustness: {len(files) - len(bad)}/{len(files)} captures handled cleanly")
    print("most common decode events: " +
          ", ".join(f"{event} {count}" for event, count in total.most_common(5)))
    for p, why in bad:
        print(f"FAIL: {os.path.basename(p)}: {why}")
    return 1 if bad or len(files) < 800 else 0


if __name__ == "__main__":
    sys.exit(main())
