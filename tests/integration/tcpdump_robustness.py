#!/usr/bin/env python3
"""Robustness: replays every capture of tcpdump's test suite (many malformed on purpose).
Each must exit 0, or 2 with one clear line on stderr naming the file; never crash, hang,
leak or trip a sanitizer (the suite runs this in the ASan+UBSan build too). No flow may carry
an LI label, nor an O&M label that tests/om/corpus_labels.tsv (checked against tshark) does
not list."""
import concurrent.futures
import os
import subprocess
import sys
import tempfile

import owtest

TIMEOUT_S = 120
OM_LISTED = owtest.om_listed()
SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error:", "UndefinedBehaviorSanitizer")


def check(args):
    path, work = args
    db = os.path.join(work, os.path.basename(path) + ".db")
    stream = db + ".jsonl"
    li, om = [], []
    try:
        r = owtest.run(["replay", "--no-progress", "--threads", "2", "--db", db, "--jsonl", stream, path],
                       timeout=TIMEOUT_S)
        if os.path.exists(stream):
            flows = [e for e in owtest.jsonl(open(stream, encoding="utf-8").read()) if e.get("event_type") == "flow"]
            li = [e for e in flows if e.get("app_proto") in owtest.LI_LABELS]
            om = owtest.om_false_positives(path, flows, OM_LISTED)
    except subprocess.TimeoutExpired:
        return path, f"hung for more than {TIMEOUT_S} s"
    finally:
        for suffix in ("", "-wal", "-shm", ".jsonl"):
            if os.path.exists(db + suffix):
                os.unlink(db + suffix)
    if li:
        return path, f"{len(li)} flows labelled LI (false positive): {[e['app_proto'] for e in li]}"
    if om:
        return path, f"O&M labels tests/om/corpus_labels.tsv does not list (false positives): {om}"
    err = r.stderr.strip()
    if any(m in r.stderr for m in SANITIZER_MARKS):
        return path, "sanitizer report:\n" + err[:4000]
    if r.returncode == 0:
        return path, None
    if r.returncode == 2:
        lines = err.splitlines()
        if len(lines) == 1 and os.path.basename(path) in lines[0]:
            return path, None
        return path, f"exit 2 without one clear line naming the file: {err[:500]!r}"
    return path, f"exit {r.returncode}: {err[:2000]}"


def main():
    data = owtest.shared_data()
    folder = os.path.join(data, "pcaps", "tcpdump-tests")
    files = sorted(os.path.join(folder, f) for f in os.listdir(folder))
    with tempfile.TemporaryDirectory() as work:
        with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
            results = list(ex.map(check, [(f, work) for f in files]))
    bad = [(p, why) for p, why in results if why]
    print(f"tcpdump robustness: {len(files) - len(bad)}/{len(files)} captures handled cleanly")
    for p, why in bad:
        print(f"FAIL: {os.path.basename(p)}: {why}")
    return 1 if bad or len(files) < 800 else 0


if __name__ == "__main__":
    sys.exit(main())
