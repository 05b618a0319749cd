#!/usr/bin/env python3
"""A store written by the previous release migrates and verifies (migration 6).

data/store-schema5.db was made by main's binary before migration 6 (schema 5: the sample
night replayed with the sample policy, and one triage record). Read-only, it verifies as it
is; opened for writing (a replay into it) it migrates to schema 6 (flow end columns,
run_progress, runs.sensor), and then its old rows and the new run's rows, with their
flow_end records, all verify. Its old flows read as closed, with their counts unchanged."""
import hashlib
import json
import os
import shutil
import sqlite3
import sys
import tempfile

import owtest

HERE = os.path.dirname(os.path.abspath(__file__))


def flows(db):
    r = owtest.run(["flows", "--db", db, "--format", "jsonl", "--limit", "100000"])
    if r.returncode != 0:
        raise RuntimeError(f"flows exited {r.returncode}: {r.stderr}")
    return list(owtest.jsonl(r.stdout))


def main():
    src = os.environ.get("OW_SOURCE_ROOT") or os.path.join(HERE, "..", "..")
    fixture = os.path.join(HERE, "data", "store-schema5.db")
    failures = []
    with tempfile.TemporaryDirectory() as work:
        db = os.path.join(work, "old.db")
        shutil.copy(fixture, db)
        os.chmod(db, 0o600)
        with sqlite3.connect(db) as c:
            before = c.execute("PRAGMA user_version").fetchone()[0]
            old_counts = c.execute("SELECT id, pkts_toserver + pkts_toclient FROM flows ORDER BY id").fetchall()
        v = owtest.run(["verify", "--db", db])
        print(f"schema {before} store from main: verify exit {v.returncode}: {v.stdout.strip()}")
        if v.returncode != 0:
            failures.append(f"the old store does not verify before migrating: {v.stdout}{v.stderr}")
        old_flows = flows(db)
        r = owtest.run(["replay", "--no-progress", "--db", db, "--sensor", "migrated",
                        "--policy", os.path.join(src, "examples", "sample-policy.yaml"),
                        os.path.join(src, "examples", "sample-om-night.pcap")])
        if r.returncode != 0:
            failures.append(f"replay into the old store exited {r.returncode}: {r.stderr}")
        with sqlite3.connect(db) as c:
            after = c.execute("PRAGMA user_version").fetchone()[0]
            kept = c.execute("SELECT id, pkts_toserver + pkts_toclient FROM flows WHERE id <= ? ORDER BY id",
                             (old_counts[-1][0],)).fetchall()
            ends = c.execute("SELECT count(*) FROM chain WHERE kind = 'flow_end'").fetchone()[0]
            new_flows = c.execute("SELECT count(*) FROM flows WHERE id > ?", (old_counts[-1][0],)).fetchone()[0]
            sensor = c.execute("SELECT sensor FROM runs ORDER BY id DESC LIMIT 1").fetchone()[0]
        v2 = owtest.run(["verify", "--db", db])
        print(f"after migration to schema {after} and a new run ({new_flows} flows, {ends} flow_end "
              f"records, sensor {sensor!r}): verify exit {v2.returncode}: {v2.stdout.strip()}")
        if after < 6 or v2.returncode != 0:      # 6, or later (7: sealing, 8: assets)
            failures.append(f"schema {after}; verify: {v2.stdout}{v2.stderr}")
        if kept != old_counts:
            failures.append("the old flows' rows changed")
        if ends != new_flows or sensor != "migrated":
            failures.append(f"{ends} flow_end records for {new_flows} new flows; sensor {sensor!r}")
        old_again = flows(db)[:0] or [f for f in flows(db) if f.get("host") != "migrated"]
        states = {f["flow"].get("state") for f in old_again}
        if states != {"closed"} or len(old_again) != len(old_flows):
            failures.append(f"old flows after migration: {len(old_again)} (was {len(old_flows)}), "
                            f"states {states}")
        rep = owtest.run(["report", "--db", db, "--format", "json"])
        if rep.returncode != 0 or not json.loads(rep.stdout)["integrity"]["verified"]:
            failures.append(f"report on the migrated store: {rep.returncode} {rep.stderr}")
        else:
            # The old runs' hashes are in their run records; the new run's, recorded at its end.
            sample = os.path.join(src, "examples", "sample-om-night.pcap")
            want = hashlib.sha256(open(sample, "rb").read()).hexdigest()
            hashes = [r["source_sha256"] for r in json.loads(rep.stdout)["runs"]]
            if len(hashes) < 2 or hashes[-1] != want or not all(len(h) == 64 for h in hashes):
                failures.append(f"file hashes in the report {hashes}, the sample's is {want}")
    for f in failures:
        print("FAIL: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
