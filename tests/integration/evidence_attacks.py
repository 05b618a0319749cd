#!/usr/bin/env python3
"""Attacks on stores of the sample night sealed with a test root key, one
case each. The attacker writes the store directly and recomputes whatever it can
(attacker.py: every chain hash, every content root, the runs' chain heads); it holds the
key directory's current epoch key, which has signed nothing of the replayed runs (the key
that sealed a run is rotated away at its end). For every case `verify --root-key` (with
--witness where the case needs a copy of the checkpoints outside the store: a cut tail, a
deleted run, an emptied or substituted store) must exit 3 and name the finding. The
untouched store, and the untouched store rechained by the attacker's code, verify (exit 0),
which shows the re-implementation is faithful."""
import json
import os
import shutil
import sqlite3
import struct
import sys
import tempfile

import attacker
import evidence_common as ec
import owtest

failures = []


def expect(name, cond, detail=""):
    if not cond:
        failures.append(f"{name}: {detail}")


def verify(db, keys, witness=None):
    args = ["verify", "--db", db, "--root-key", os.path.join(keys, "root.pub")]
    if witness:
        args += ["--witness", witness]
    return owtest.run(args)


def replay(db, keys, witness, pcap, policy):
    args = ["replay", "--no-progress", "--keys", keys, "--policy", policy, "--db", db]
    if witness:
        args += ["--witness", witness]
    r = owtest.run(args + [pcap])
    if r.returncode != 0:
        print(f"FAIL: sealed replay: {r.returncode} {r.stderr}")
        sys.exit(1)


def drop_flow_packets(src, dst, ip):
    """An edited pcap: the sample night without the packets to or from one address."""
    raw = open(src, "rb").read()
    out = bytearray(raw[:24])
    magic = struct.unpack("<I", raw[:4])[0]
    end = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    linktype = struct.unpack(end + "I", raw[20:24])[0]
    off = 24
    target = bytes(int(x) for x in ip.split("."))
    dropped = 0
    while off + 16 <= len(raw):
        incl = struct.unpack(end + "I", raw[off + 8:off + 12])[0]
        pkt = raw[off + 16:off + 16 + incl]
        l3 = 14 if linktype == 1 else 0
        hit = len(pkt) >= l3 + 20 and (pkt[l3 + 12:l3 + 16] == target or pkt[l3 + 16:l3 + 20] == target)
        if hit:
            dropped += 1
        else:
            out += raw[off:off + 16 + incl]
        off += 16 + incl
    open(dst, "wb").write(bytes(out))
    return dropped


def main():
    ec.require_subcommand("verify")
    pcap, policy = ec.sample()
    with tempfile.TemporaryDirectory() as work:
        keys = os.path.join(work, "keys")
        r = owtest.run(["keys", "init", "--dir", keys, "--sensor", "test-sensor"])
        if r.returncode != 0:
            print(f"FAIL: keys init: {r.returncode} {r.stderr}")
            return 1
        one, one_w = os.path.join(work, "one.db"), os.path.join(work, "one.witness")
        replay(one, keys, one_w, pcap, policy)
        two, two_w = os.path.join(work, "two.db"), os.path.join(work, "two.witness")
        replay(two, keys, two_w, pcap, policy)
        replay(two, keys, two_w, pcap, policy)

        r = verify(one, keys, one_w)
        expect("untouched store verifies", r.returncode == 0, r.stdout + r.stderr)
        print(f"untouched: exit {r.returncode}: {r.stdout.strip().splitlines()[-2:]}")
        same = os.path.join(work, "same.db")
        ec.copy_store(one, same)
        con = attacker.open_rw(same)
        attacker.rechain(con)
        con.commit()
        con.close()
        r = verify(same, keys, one_w)
        expect("the attacker's encoding is faithful (rechained untouched store verifies)",
               r.returncode == 0, r.stdout + r.stderr)

        alert_flow = ec.query(one, "SELECT flow_row FROM alerts ORDER BY id LIMIT 1")[0][0]
        plain = ec.query(one, "SELECT id FROM flows WHERE verdict_status = 'authorized' "
                              "ORDER BY id LIMIT 1 OFFSET 10")[0][0]
        rule = ec.query(one, "SELECT rule_id FROM run_rules ORDER BY id LIMIT 1")[0][0]

        def delete_alert_flow(con, renumber):
            fid = alert_flow
            aids = [a for a, in con.execute("SELECT id FROM alerts WHERE flow_row = ?", (fid,))]
            eids = [e for e, in con.execute("SELECT id FROM evidence WHERE flow_row = ?", (fid,))]
            con.execute("DELETE FROM alerts WHERE flow_row = ?", (fid,))
            con.execute("DELETE FROM evidence WHERE flow_row = ?", (fid,))
            con.execute("DELETE FROM flows WHERE id = ?", (fid,))
            for kind, ids in (("alert", aids), ("evidence", eids), ("flow", [fid]), ("flow_end", [fid])):
                for i in ids:
                    con.execute("DELETE FROM chain WHERE kind = ? AND row_id = ?", (kind, i))
            if renumber:
                # Close the holes: every later id moves down, references follow.
                con.execute("UPDATE flows SET id = id - 1 WHERE id > ?", (fid,))
                con.execute("UPDATE alerts SET flow_row = flow_row - 1 WHERE flow_row > ?", (fid,))
                con.execute("UPDATE evidence SET flow_row = flow_row - 1 WHERE flow_row > ?", (fid,))
                # Through negative ids: (kind, row_id) is unique at every step.
                con.execute("UPDATE chain SET row_id = 1 - row_id WHERE kind IN ('flow', 'flow_end') "
                            "AND row_id > ?", (fid,))
                con.execute("UPDATE chain SET row_id = -row_id WHERE kind IN ('flow', 'flow_end') "
                            "AND row_id < 0")
                for table, kind, gone in (("alerts", "alert", aids), ("evidence", "evidence", eids)):
                    for g in sorted(gone, reverse=True):
                        con.execute(f"UPDATE {table} SET id = id - 1 WHERE id > ?", (g,))
                        con.execute("UPDATE chain SET row_id = 1 - row_id WHERE kind = ? AND row_id > ?",
                                    (kind, g))
                        con.execute("UPDATE chain SET row_id = -row_id WHERE kind = ? AND row_id < 0",
                                    (kind,))
                con.execute("UPDATE triage SET alert_id = alert_id - ? WHERE alert_id > ?",
                            (len(aids), min(aids)))
                con.execute("UPDATE sqlite_sequence SET seq = seq - ? WHERE name = 'alerts'", (len(aids),))
                con.execute("UPDATE sqlite_sequence SET seq = seq - ? WHERE name = 'evidence'", (len(eids),))
            con.execute("UPDATE runs SET flows = flows - 1 WHERE id = 1")
            attacker.rechain(con)

        def rewrite_authorized(con):
            fid = alert_flow
            aids = [a for a, in con.execute("SELECT id FROM alerts WHERE flow_row = ?", (fid,))]
            con.execute("UPDATE flows SET verdict_status = 'authorized', verdict_rule = ?, "
                        "verdict_kind = '', verdict_severity = '', verdict_reason = '' WHERE id = ?",
                        (rule, fid))
            con.execute("INSERT INTO rule_hits (run_id, rule_id, hits) VALUES (1, ?, 1) ON CONFLICT "
                        "(run_id, rule_id) DO UPDATE SET hits = hits + 1", (rule,))
            for a in aids:
                con.execute("DELETE FROM alerts WHERE id = ?", (a,))
                con.execute("DELETE FROM chain WHERE kind = 'alert' AND row_id = ?", (a,))
            for e, in con.execute("SELECT id FROM evidence WHERE flow_row = ?", (fid,)).fetchall():
                con.execute("DELETE FROM evidence WHERE id = ?", (e,))
                con.execute("DELETE FROM chain WHERE kind = 'evidence' AND row_id = ?", (e,))
            attacker.rechain(con)

        def cut_tail(con):
            # Back to how a crashed run looks: no end, no final checkpoint, no content root.
            last = con.execute("SELECT max(seq) FROM chain WHERE kind = 'run_end'").fetchone()[0]
            cut = con.execute("SELECT min(seq) FROM chain WHERE kind = 'content_root' AND seq < ?",
                              (last,)).fetchone()[0]
            for kind, row in con.execute("SELECT kind, row_id FROM chain WHERE seq >= ?", (cut,)).fetchall():
                if kind == "checkpoint":
                    con.execute("DELETE FROM checkpoints WHERE id = ?", (row,))
                elif kind == "content_root":
                    con.execute("DELETE FROM content_roots WHERE id = ?", (row,))
            con.execute("DELETE FROM chain WHERE seq >= ?", (cut,))
            con.execute("UPDATE runs SET first_ts = NULL, last_ts = NULL, packets = 0, bytes = 0, "
                        "packets_malformed = 0, packets_not_ip = 0, kernel_drops = 0, "
                        "internal_drops = 0, flows = 0, flows_evicted = 0, gaps = 0, clean_end = 0, "
                        "ended_wall = NULL, chain_head = NULL, input_sha256 = NULL "
                        "WHERE id = (SELECT max(id) FROM runs)")

        def delete_last_run(con):
            run = con.execute("SELECT max(id) FROM runs").fetchone()[0]
            start = con.execute("SELECT seq FROM chain WHERE kind = 'run' AND row_id = ?", (run,)).fetchone()[0]
            # Everything from the run's certificate (made just before it) on.
            start = con.execute("SELECT coalesce(max(seq), ?) FROM chain WHERE kind = 'epoch_cert' "
                                "AND seq < ?", (start, start)).fetchone()[0]
            for kind, row in con.execute("SELECT kind, row_id FROM chain WHERE seq >= ?", (start,)).fetchall():
                table = attacker.KINDS[kind][0]
                con.execute(f"DELETE FROM {table} WHERE id = ?", (row,))
            con.execute("DELETE FROM rule_hits WHERE run_id = ?", (run,))
            con.execute("DELETE FROM chain WHERE seq >= ?", (start,))

        def delete_everything(con):
            for t in ("chain", "triage", "evidence", "alerts", "rule_hits", "run_rules", "flows",
                      "content_roots", "checkpoints", "epoch_certs", "runs"):
                con.execute(f"DELETE FROM {t}")

        def append_flow(con):
            cols = attacker.KINDS["flow"][1]
            con.execute(f"INSERT INTO flows ({cols}) SELECT {cols} FROM flows WHERE id = ?", (plain,))
            new = con.execute("SELECT max(id) FROM flows").fetchone()[0]
            con.execute("UPDATE flows SET first_ts = first_ts + 1000000, last_ts = last_ts + 1000000 "
                        "WHERE id = ?", (new,))
            attacker.append_record(con, "flow", new)

        def append_run(con):
            cols = attacker.KINDS["run"][1]
            con.execute(f"INSERT INTO runs ({cols}) SELECT {cols} FROM runs WHERE id = 1")
            run = con.execute("SELECT max(id) FROM runs").fetchone()[0]
            attacker.append_record(con, "run", run)
            fcols = attacker.KINDS["flow"][1].replace("run_id, ", "")
            con.execute(f"INSERT INTO flows (run_id, {fcols}) SELECT ?, {fcols} FROM flows WHERE id = ?",
                        (run, plain))
            attacker.append_record(con, "flow", con.execute("SELECT max(id) FROM flows").fetchone()[0])
            con.execute("INSERT INTO rule_hits (run_id, rule_id, hits) SELECT ?, verdict_rule, 1 "
                        "FROM flows WHERE id = ?", (run, plain))
            con.execute("UPDATE runs SET first_ts = 1, last_ts = 2, packets = 10, bytes = 1000, "
                        "flows = 1, clean_end = 1, ended_wall = started_wall + 1 WHERE id = ?", (run,))
            h = attacker.append_record(con, "run_end", run)
            con.execute("UPDATE runs SET chain_head = ? WHERE id = ?", (h, run))

        def forge_legacy(con):
            con.execute("UPDATE chain_legacy SET runs_max = (SELECT max(id) FROM runs), "
                        "flows_max = (SELECT max(id) FROM flows), alerts_max = (SELECT max(id) FROM alerts)")
            con.execute("DELETE FROM flows WHERE id = ?", (alert_flow,))
            con.execute("DELETE FROM alerts WHERE flow_row = ?", (alert_flow,))

        cases = [
            ("edit a value", one, None,
             lambda c: c.execute("UPDATE flows SET pkts_toserver = pkts_toserver + 1 WHERE id = ?", (plain,)),
             "does not match its hash"),
            ("delete a row", one, None,
             lambda c: c.execute("DELETE FROM flows WHERE id = ?", (plain,)), "missing"),
            ("delete a row and its record", one, None,
             lambda c: (c.execute("DELETE FROM flows WHERE id = ?", (plain,)),
                        c.execute("DELETE FROM chain WHERE kind = 'flow' AND row_id = ?", (plain,))),
             "missing"),
            ("delete an alert with its flow and evidence, chain recomputed", one, None,
             lambda c: delete_alert_flow(c, False), "checkpoint #"),
            ("the same with the ids renumbered", one, None,
             lambda c: delete_alert_flow(c, True), "checkpoint #"),
            ("rewrite an anomaly as authorized, chain recomputed", one, None, rewrite_authorized,
             "checkpoint #"),
            ("cut the tail", one, one_w, cut_tail, "witnessed checkpoint"),
            ("delete the last run", two, two_w, delete_last_run, "witnessed checkpoint"),
            ("delete everything", one, one_w, delete_everything, "witnessed checkpoint #1"),
            ("delete the chain, certificates and checkpoints, keep the rows", one, None,
             lambda c: [c.execute(f"DELETE FROM {t}") for t in ("chain", "checkpoints",
                                                                "epoch_certs")],
             "not in the hash chain"),
            ("append a forged flow to a sealed run", one, None, append_flow, "after the end of its run"),
            ("append a forged run with valid records", one, None, append_run, "no checkpoint seals"),
            ("forge chain_legacy", one, None, forge_legacy, "not covered by the hash chain"),
            ("downgrade user_version", one, None,
             lambda c: c.execute("PRAGMA user_version = 1"), "version was lowered"),
            ("drop the chain table", one, None, lambda c: c.execute("DROP TABLE chain"), "no table chain"),
        ]
        for name, base, witness, mutate, words in cases:
            db = os.path.join(work, name.replace(" ", "_").replace(",", "") + ".db")
            ec.copy_store(base, db)
            con = attacker.open_rw(db)
            mutate(con)
            con.commit()
            con.close()
            r = verify(db, keys, witness)
            finding = r.stdout.strip().split("TAMPERED: ", 1)[-1]
            print(f"{name}: exit {r.returncode}: {finding}")
            expect(name, r.returncode == 3 and words in r.stdout, f"{r.returncode} {r.stdout} {r.stderr}")

        # The limit without a witness: an emptied store cannot be told from a new one. It
        # claims nothing, so it verifies, and its report does not conclude absence.
        db = os.path.join(work, "emptied_unwitnessed.db")
        ec.copy_store(one, db)
        con = attacker.open_rw(db)
        delete_everything(con)
        con.commit()
        con.close()
        r = verify(db, keys)
        expect("an emptied store, no witness, verifies as holding nothing", r.returncode == 0 and
               "holds no records" in r.stdout, f"{r.returncode} {r.stdout} {r.stderr}")
        rep = os.path.join(work, "emptied.json")
        rr = owtest.run(["report", "--db", db, "--keys", keys, "-o", rep])
        conclusion = json.load(open(rep)).get("conclusion") if rr.returncode == 0 else rr.stderr
        expect("an emptied store's report claims no absence", conclusion == "coverage_incomplete",
               conclusion)
        print(f"delete everything, no witness: exit {r.returncode}; report {conclusion}")

        # A downgraded store is refused by the writer too: migration 2 must not re-run.
        db = os.path.join(work, "downgrade_write.db")
        ec.copy_store(one, db)
        ec.sql(db, "PRAGMA user_version = 1")
        r = owtest.run(["replay", "--no-progress", "--db", db, pcap])
        expect("a downgraded store is not migrated", r.returncode != 0 and "lowered" in r.stderr,
               f"{r.returncode} {r.stderr}")
        db = os.path.join(work, "nochain_write.db")
        ec.copy_store(one, db)
        ec.sql(db, "DROP TABLE chain", "PRAGMA user_version = 2")
        r = owtest.run(["replay", "--no-progress", "--db", db, pcap])
        expect("a store without its chain table is not migrated", r.returncode != 0 and
               "no table chain" in r.stderr, f"{r.returncode} {r.stderr}")

        # Substitute a store replayed from an edited pcap, with the original source hash.
        edited = os.path.join(work, "edited.pcap")
        victim = ec.query(one, "SELECT server_ip FROM flows WHERE id = ?", alert_flow)[0][0]
        dropped = drop_flow_packets(pcap, edited, victim)
        sub = os.path.join(work, "substitute.db")
        replay(sub, keys, None, edited, policy)
        # Sealed honestly by the keys the intruder holds: only the witness can tell.
        r = verify(sub, keys, one_w)
        print(f"substitute a store sealed in a later epoch from an edited pcap: exit "
              f"{r.returncode}: {r.stdout.strip().split('TAMPERED: ', 1)[-1]}")
        expect("substituted store (sealed later)", r.returncode == 3 and "witnessed checkpoint" in r.stdout,
               r.stdout + r.stderr)
        sha = ec.query(one, "SELECT input_sha256, source FROM runs WHERE id = 1")[0]
        con = attacker.open_rw(sub)
        con.execute("UPDATE runs SET input_sha256 = ?, source = ?", sha)
        attacker.rechain(con)
        con.commit()
        con.close()
        r = verify(sub, keys, one_w)
        print(f"substitute a store replayed from an edited pcap ({dropped} packets of "
              f"{victim} removed): exit {r.returncode}: {r.stdout.strip().split('TAMPERED: ', 1)[-1]}")
        expect("substituted store", r.returncode == 3 and "TAMPERED" in r.stdout, r.stdout + r.stderr)
    if failures:
        print("FAIL:\n  " + "\n  ".join(failures))
        return 1
    print("ok: every attack on the sealed store is caught")
    return 0


if __name__ == "__main__":
    sys.exit(main())
