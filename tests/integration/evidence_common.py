"""evidence_common.py — shared by the evidence_* integration tests: the sample night and its
policy, a store replayed from them, and a skip while the subcommands are not dispatched."""
import os
import shutil
import sqlite3
import sys

import owtest


def source_root():
    return os.environ.get("OW_SOURCE_ROOT") or os.path.join(os.path.dirname(__file__), "..", "..")


def sample():
    root = source_root()
    pcap = os.path.join(root, "examples", "sample-om-night.pcap")
    policy = os.path.join(root, "examples", "sample-policy.yaml")
    for p in (pcap, policy):
        if not os.path.exists(p):
            print(f"FAIL: {p} is missing")
            sys.exit(1)
    return pcap, policy


def require_subcommand(cmd):
    r = owtest.run([cmd, "--help"])
    if r.returncode != 0 or "usage: omwitness " + cmd not in r.stdout:
        print(f"SKIP: 'omwitness {cmd}' is not dispatched by sensor/main.c yet")
        sys.exit(owtest.SKIP)


def make_keys(work, sensor="test-sensor"):
    """A test key directory (keys init); returns its path."""
    keys = os.path.join(work, "keys")
    r = owtest.run(["keys", "init", "--dir", keys, "--sensor", sensor])
    if r.returncode != 0:
        print(f"FAIL: keys init: {r.returncode} {r.stderr}")
        sys.exit(1)
    return keys


def replay_sample(db, keys=None, *extra):
    pcap, policy = sample()
    seal = ["--keys", keys] if keys else []
    r = owtest.run(["replay", "--no-progress", "--policy", policy, "--db", db, *seal, *extra, pcap])
    if r.returncode != 0:
        print(f"FAIL: replay of the sample night: {r.returncode} {r.stderr}")
        sys.exit(1)


def copy_store(src, dst):
    """A consistent copy of a store (its WAL checkpointed into the copy)."""
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    a.close()
    b.close()


def sql(db, *statements):
    con = sqlite3.connect(db)
    con.execute("PRAGMA foreign_keys = OFF")
    for s in statements:
        con.execute(s)
    con.commit()
    con.close()


def query(db, statement, *args):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows = con.execute(statement, args).fetchall()
    con.close()
    return rows
