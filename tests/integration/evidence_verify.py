#!/usr/bin/env python3
"""verify on a replayed store: intact -> exit 0 with the row count and chain head; an edited
value, a deleted row, an inserted row and two swapped rows -> exit 3 naming the table and row;
--head with a report's chain head; bad usage -> 2."""
import os
import sys
import tempfile

import evidence_common as ec
import owtest

failures = []


def expect(name, cond, detail=""):
    if not cond:
        failures.append(f"{name}: {detail}")


def verify(db, *extra):
    return owtest.run(["verify", "--db", db, *extra])


def main():
    ec.require_subcommand("verify")
    with tempfile.TemporaryDirectory() as work:
        db = os.path.join(work, "night.db")
        ec.replay_sample(db)
        r = verify(db)
        expect("intact store verifies", r.returncode == 0 and "verified" in r.stdout,
               f"{r.returncode} {r.stdout} {r.stderr}")
        flows, alerts = ec.query(db, "SELECT (SELECT count(*) FROM flows), "
                                     "(SELECT count(*) FROM alerts)")[0]
        expect("sample night stored", flows > 50 and alerts == 10, f"{flows} flows {alerts} alerts")
        records = ec.query(db, "SELECT count(*) FROM chain")[0][0]
        expect("every row chained", f"verified {records} rows" in r.stdout, r.stdout)
        head = ec.query(db, "SELECT hex(chain_head) FROM runs WHERE id = 1")[0][0].lower()
        expect("run head is the chain head", f"chain head {head}" in r.stdout, r.stdout)

        # A second replay continues the chain; the first run's head stays in it.
        ec.replay_sample(db)
        r = verify(db, "--head", head)
        expect("second run continues the chain", r.returncode == 0 and "given head" in r.stdout,
               r.stdout + r.stderr)
        rows = ec.query(db, "SELECT id FROM flows WHERE run_id = 1 ORDER BY id")
        mid = rows[len(rows) // 2][0]
        anomaly = ec.query(db, "SELECT flow_row FROM alerts ORDER BY id LIMIT 1")[0][0]

        cases = [
            ("edited value", [f"UPDATE flows SET verdict_status = 'authorized' WHERE id = {anomaly}"],
             f"flows row {anomaly}"),
            ("edited alert", ["UPDATE alerts SET reason = 'nothing to see' WHERE id = 3"],
             "alerts row 3"),
            ("deleted row", [f"DELETE FROM flows WHERE id = {mid}"], f"flows row {mid}"),
            ("inserted row", ["INSERT INTO alerts (run_id, flow_row, ts, kind, severity) "
                              f"VALUES (1, {mid}, 1, 'x', 'medium')"], "not in the hash chain"),
            ("edited coverage", ["UPDATE runs SET kernel_drops = 0, packets = packets + 1 "
                                 "WHERE id = 1"], "runs row 1"),
        ]
        # Swap whole rows too: every column of two flows exchanged.
        cols = [c[1] for c in ec.query(db, "PRAGMA table_info(flows)") if c[1] != "id"]
        a, b = rows[1][0], rows[2][0]
        cases.append(("swapped whole rows",
                      ["CREATE TEMP TABLE t AS SELECT * FROM flows WHERE id IN "
                       f"({a}, {b})",
                       "UPDATE flows SET " + ", ".join(
                           f"{c} = (SELECT t.{c} FROM t WHERE t.id = CASE flows.id WHEN {a} "
                           f"THEN {b} ELSE {a} END)" for c in cols) + f" WHERE id IN ({a}, {b})"],
                      f"flows row {a}"))
        for name, statements, words in cases:
            copy = os.path.join(work, name.replace(" ", "_") + ".db")
            ec.copy_store(db, copy)
            expect(f"{name}: copy verifies", verify(copy).returncode == 0, "")
            ec.sql(copy, *statements)
            r = verify(copy)
            expect(f"{name}: exit 3", r.returncode == 3, f"{r.returncode} {r.stdout} {r.stderr}")
            expect(f"{name}: names the row", words in r.stdout and "TAMPERED" in r.stdout,
                   r.stdout)

        # Usage and unreadable input.
        r = verify(os.path.join(work, "absent.db"))
        expect("absent store", r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr)
        r = verify(db, "--head", "zz")
        expect("bad --head", r.returncode == 2, r.stderr)
        r = owtest.run(["verify", "--db", db, "extra"])
        expect("extra argument", r.returncode == 2, r.stderr)

    if failures:
        print("FAIL:\n  " + "\n  ".join(failures))
        return 1
    print("ok: verify finds edited, deleted, inserted and swapped rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
