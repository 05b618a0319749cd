"""test_file_modes.py — the files omwitness writes are private: a new store and its -wal and
-shm, --jsonl, evidence -o and report -o are 0600 (0640 for the --group), an existing output
is made private before it is written, a symlink where an output goes is refused. As another
user (root only: setpriv), reading them fails, and so does the API without a token; `serve`
run as a user of the store's group reads the store and never creates a file in its
directory, not even when the -wal/-shm are gone."""
import grp
import os
import pwd
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time

import apitest

SRC = os.environ.get("OW_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
SAMPLE = os.path.join(SRC, "examples", "sample-om-night.pcap")
POLICY = os.path.join(SRC, "examples", "sample-policy.yaml")
OMW = os.environ.get("OMWITNESS")
failed = 0


def check(cond, what):
    global failed
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failed += 1


def omw(*args, prefix=()):
    return subprocess.run([*prefix, OMW, *args], capture_output=True, text=True, timeout=120)


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def modes_of(paths):
    return {os.path.basename(p): f"{mode(p):04o}" for p in paths}


def private_outputs(work):
    db = os.path.join(work, "a.db")
    jsonl = os.path.join(work, "a.jsonl")
    r = omw("replay", "--policy", POLICY, "--db", db, "--jsonl", jsonl, "--no-progress", SAMPLE)
    check(r.returncode == 0, f"replay: {r.stderr.strip()}")
    files = [db, db + "-wal", db + "-shm", jsonl]
    check(all(os.path.exists(p) for p in files), "the -wal and -shm stay after the writer closes")
    m = modes_of(files)
    print(f"  modes after replay: {m}")
    check(set(m.values()) == {"0600"}, f"store, -wal, -shm, --jsonl are 0600: {m}")
    pcap = os.path.join(work, "ev.pcap")
    with open(pcap, "w") as f:        # an existing, world-readable file at the output path
        f.write("old")
    os.chmod(pcap, 0o644)
    r = omw("evidence", "--alert", "1", "--db", db, "-o", pcap)
    check(r.returncode in (0, 2), f"evidence -o: {r.returncode} {r.stderr.strip()}")
    if r.returncode == 0:
        check(mode(pcap) == 0o600, f"evidence -o over a 0644 file leaves it 0600: {mode(pcap):04o}")
    report = os.path.join(work, "r.html")
    r = omw("report", "--db", db, "--format", "html", "-o", report)
    check(r.returncode == 0 and mode(report) == 0o600, f"report -o is 0600: exit {r.returncode}, "
          f"mode {mode(report) if os.path.exists(report) else 0:04o}")
    # A symlink planted where an output goes is refused, and its target left alone.
    target = os.path.join(work, "precious")
    with open(target, "w") as f:
        f.write("keep me")
    for args in (["replay", "--db", os.path.join(work, "b.db"), "--no-progress", "--jsonl",
                  os.path.join(work, "link1"), SAMPLE],
                 ["evidence", "--alert", "1", "--db", db, "-o", os.path.join(work, "link2")],
                 ["report", "--db", db, "-o", os.path.join(work, "link3")]):
        link = next(a for a in args if "link" in a)
        os.symlink(target, link)
        r = omw(*args)
        check(r.returncode == 2 and "cannot write" in r.stderr and open(target).read() == "keep me",
              f"{args[0]}: a symlink at the output is refused ({r.returncode} {r.stderr.strip()})")
    link = os.path.join(work, "link4.db")
    os.symlink(db, link)
    for args in (["replay", "--db", link, "--no-progress", SAMPLE], ["alerts", "--db", link]):
        r = omw(*args)
        check(r.returncode != 0 and "symbolic link" in r.stderr, f"{args[0]}: a store reached through a "
              f"symlink is refused ({r.returncode} {r.stderr.strip()})")
    return db, jsonl, pcap


def as_other_user(work, db, jsonl, pcap):
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        print("note: not root (or no setpriv): another user's access is not tried")
        return
    nobody = ["setpriv", "--reuid", "nobody", "--regid", "nogroup", "--clear-groups"]
    os.chmod(work, 0o755)
    for p in (db, db + "-wal", db + "-shm", jsonl, pcap):
        r = subprocess.run(nobody + ["cat", p], capture_output=True, text=True)
        check(r.returncode != 0 and "Permission denied" in r.stderr, f"nobody cannot read {os.path.basename(p)}")
    r = subprocess.run(nobody + [sys.executable, "-c", f"import sqlite3; sqlite3.connect('file:{db}?mode=ro', "
                                 "uri=True).execute('select count(*) from evidence').fetchall()"],
                       capture_output=True, text=True)
    check(r.returncode != 0, "nobody cannot open the store with sqlite3")
    r = omw("serve", "--db", db, "--listen", "127.0.0.1:0", prefix=nobody)
    check(r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1,
          f"serve as nobody outside the group: refused in one line: {r.stderr.strip()}")
    srv = apitest.Server(db)
    try:
        for path in ("/api/alerts/1/evidence.pcap", "/api/alerts", "/api/flows", "/api/events"):
            st, _, _ = apitest.request(srv.port, path, role=None)
            check(st == 401, f"{path} without a token: {st}")
    finally:
        srv.stop()


def group_reader(work):
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        print("note: not root (or no setpriv): serve as a group member is not tried")
        return
    group = "omwitness" if _has_group("omwitness") else "nogroup"
    gid = grp.getgrnam(group).gr_gid
    d = os.path.join(work, "shared")
    os.mkdir(d)
    os.chown(d, 0, gid)
    os.chmod(d, 0o775)          # the group may write here: a careless reader could create files
    db = os.path.join(d, "g.db")
    jsonl = os.path.join(d, "g.jsonl")
    r = omw("replay", "--policy", POLICY, "--group", group, "--db", db, "--jsonl", jsonl, "--no-progress", SAMPLE)
    check(r.returncode == 0, f"replay --group {group}: {r.stderr.strip()}")
    files = [db, db + "-wal", db + "-shm", jsonl]
    m = {os.path.basename(p): (f"{mode(p):04o}", grp.getgrgid(os.lstat(p).st_gid).gr_name) for p in files}
    print(f"  with --group {group}: {m}")
    check(all(v == ("0640", group) for v in m.values()), f"0640 and group {group}: {m}")
    before = sorted(os.listdir(d))
    reader = ["setpriv", "--reuid", "nobody", "--regid", group, "--clear-groups"]
    tokdir = tempfile.mkdtemp(prefix="ow-tok-")
    os.chmod(tokdir, 0o755)
    tokens = apitest.write_tokens(tokdir)
    os.chown(tokens, pwd.getpwnam("nobody").pw_uid, -1)
    env = dict(os.environ, PATH=os.environ.get("PATH", ""))
    proc = subprocess.Popen(reader + [OMW, "serve", "--db", db, "--listen", "127.0.0.1:0", "--tokens", tokens,
                                      "--webui", os.path.join(SRC, "webui-static")],
                            stderr=subprocess.PIPE, text=True, env=env)
    line = proc.stderr.readline()
    try:
        port = int(line.split("port ")[1].split(",")[0])
    except (IndexError, ValueError):
        check(False, f"serve as nobody:{group} started: {line!r}")
        proc.kill()
        return
    try:
        st, _, s = apitest.get_json(port, "/api/summary")
        check(st == 200 and s["alerts"] > 0, f"serve as nobody in group {group} reads the 0640 store ({st})")
        st, _, _ = apitest.request(port, "/api/alerts/3/evidence.pcap")
        check(st in (200, 404), f"and its evidence ({st})")
        check(sorted(os.listdir(d)) == before, f"no file created in the store's directory: {sorted(os.listdir(d))}")
        # Another program (sqlite3 here) opens the store for writing and closes it last: the
        # -wal and -shm are deleted. The reader must still answer, creating neither.
        con = sqlite3.connect(db)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.close()
        gone = sorted(os.listdir(d))
        check(db + "-wal" not in [os.path.join(d, x) for x in gone], f"-wal removed by sqlite3: {gone}")
        for _ in range(3):
            st, _, s = apitest.get_json(port, "/api/summary")
        check(st == 200 and s["alerts"] > 0, f"serve still answers without -wal/-shm ({st})")
        check(sorted(os.listdir(d)) == gone, f"and creates nothing: {sorted(os.listdir(d))}")
        # A new run by the writer brings them back, owned by it; the reader sees its alerts.
        r = omw("replay", "--policy", POLICY, "--group", group, "--db", db, "--no-progress", SAMPLE)
        st, _, s2 = apitest.get_json(port, "/api/summary")
        check(r.returncode == 0 and st == 200 and s2["alerts"] == 2 * s["alerts"],
              f"a second run is seen by the reader: {s['alerts']} then {s2.get('alerts')}")
        owners = {x: pwd.getpwuid(os.lstat(os.path.join(d, x)).st_uid).pw_name for x in os.listdir(d)}
        check(all(o == "root" for o in owners.values()), f"every file is the writer's: {owners}")
    finally:
        proc.send_signal(2)
        proc.wait(timeout=15)
        shutil.rmtree(os.path.dirname(tokens), ignore_errors=True)


def _has_group(name):
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def main():
    if not OMW:
        print("FAIL: OMWITNESS is not set")
        return 1
    work = tempfile.mkdtemp(prefix="ow-modes-")
    try:
        db, jsonl, pcap = private_outputs(work)
        as_other_user(work, db, jsonl, pcap)
        group_reader(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"file modes: {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
