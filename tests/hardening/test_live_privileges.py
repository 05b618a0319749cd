"""test_live_privileges.py — `capture --user` for real, in a private network namespace: once
the capture runs, every one of its threads (workers, writer, source, HTTP server, HTTP
connection threads included) shows a non-zero uid and gid, no capabilities, no_new_privs and
seccomp filter mode in /proc/PID/task/*/status; the capture still stores the flows of the
sample night sent over a veth and serves the UI and API; its files belong to the user and are
private; the store verifies. The capture is sealed (--keys, --witness, 1 s epochs and
heartbeats), so epoch keys rotate in the key directory after root was given up, under the
seccomp allowlist, and `verify --root-key --witness` passes with epoch-end checkpoints in
the store. Then as the service unit starts it: already the user, with
CAP_NET_RAW and CAP_NET_ADMIN as ambient capabilities (setpriv), which it drops the same way.
And started as root without --user it warns once. Needs root (skips with one line
otherwise)."""
import json
import os
import pwd
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

import apitest

SRC = os.environ.get("OW_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
SAMPLE = os.path.join(SRC, "examples", "sample-om-night.pcap")
POLICY = os.path.join(SRC, "examples", "sample-policy.yaml")
failed = 0


def check(cond, what):
    global failed
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failed += 1


def sh(*args, check=True):
    return subprocess.run(list(args), capture_output=True, text=True, check=check)


def thread_status(pid):
    out = {}
    for tid in sorted(os.listdir(f"/proc/{pid}/task"), key=int):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                text = f.read()
        except FileNotFoundError:
            continue          # a connection thread that just ended
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        out[tid] = {k: fields[k].split() for k in ("Name", "Uid", "Gid", "Groups", "CapEff",
                                                    "CapPrm", "CapAmb", "NoNewPrivs", "Seccomp")
                    if k in fields}
    return out


def http_get(nsx, port, path, role="admin"):
    """(status, body) of a GET from inside the namespace."""
    hdr = f"-H 'Authorization: Bearer {apitest.TOKENS[role]}'" if role else ""
    r = sh(*nsx, "sh", "-c", f"curl -s -m 10 {hdr} -o /dev/stdout -w '\\n%{{http_code}}' "
           f"http://127.0.0.1:{port}{path}", check=False)
    body, _, code = r.stdout.rpartition("\n")
    return int(code or 0), body


def as_the_unit_starts_it(nsx, omw, pw, work, env):
    """systemd's User= and AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN, done by setpriv."""
    if not shutil.which("setpriv"):
        print("note: no setpriv: the service unit's way of starting is not tried")
        return
    state = os.path.join(work, "state")
    os.mkdir(state, 0o750)
    os.chown(state, pw.pw_uid, pw.pw_gid)
    db = os.path.join(state, "unit.db")
    prefix = ["setpriv", "--reuid", str(pw.pw_uid), "--regid", str(pw.pw_gid), "--clear-groups",
              "--inh-caps", "+net_raw,+net_admin", "--ambient-caps", "+net_raw,+net_admin", "--"]
    proc = subprocess.Popen(nsx + prefix + [omw, "capture", "-i", "owB", "--threads", "1", "--db", db,
                                            "--policy", POLICY, "--no-progress"],
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.time() + 20
        while time.time() < deadline and not os.path.exists(db + "-wal"):
            time.sleep(0.1)
        time.sleep(0.5)
        sh(*nsx, "tcpreplay", "-q", "-i", "owA", "--mbps", "20", SAMPLE)
        status = thread_status(proc.pid)
        for tid, s in status.items():
            print(f"  unit-style task {tid} {s.get('Name', ['?'])[0]:<12} Uid: {' '.join(s['Uid'])}  CapEff: "
                  f"{s['CapEff'][0]}  CapAmb: {s.get('CapAmb', ['?'])[0]}  NoNewPrivs: {s['NoNewPrivs'][0]}  "
                  f"Seccomp: {s['Seccomp'][0]}")
        check(status and all(s["CapEff"] == ["0000000000000000"] and s.get("CapAmb") == ["0000000000000000"]
                             and s["CapPrm"] == ["0000000000000000"] and s["NoNewPrivs"] == ["1"]
                             and s["Seccomp"] == ["2"] and int(s["Uid"][0]) == pw.pw_uid
                             for s in status.values()),
              f"started as the unit does ({len(status)} threads): the ambient capabilities are dropped too")
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        err = proc.communicate(timeout=30)[1]
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
            packets = c.execute("SELECT packets FROM runs").fetchone()[0]
        check(proc.returncode == 0 and packets >= 421, f"it captured {packets} packets and exited "
              f"{proc.returncode} {err.strip()}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def root_warns(nsx, omw, work, env):
    db = os.path.join(work, "root.db")
    proc = subprocess.Popen(nsx + [omw, "capture", "-i", "owB", "--threads", "1", "--db", db, "--no-progress"],
                            stderr=subprocess.PIPE, text=True, env=env)
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    err = proc.communicate(timeout=30)[1]
    check(proc.returncode == 0 and err.count("running as root") == 1,
          f"as root without --user: one warning ({err.strip()!r})")


def main():
    omw = os.environ.get("OMWITNESS")
    if os.geteuid() != 0:
        print("SKIP: the privilege drop needs root (and network namespaces)")
        return 77
    for tool in ("ip", "tcpreplay", "curl"):
        if not shutil.which(tool):
            print(f"SKIP: {tool} is not installed")
            return 77
    user = "omwitness"
    try:
        pw = pwd.getpwnam(user)
    except KeyError:
        user = "nobody"
        pw = pwd.getpwnam(user)
        print("note: no user omwitness (scripts/setup.sh adds it); running as nobody")
    ns = f"owpriv{os.getpid()}"
    if sh("ip", "netns", "add", ns, check=False).returncode != 0:
        print("SKIP: cannot create a network namespace here")
        return 77
    work = tempfile.mkdtemp(prefix="ow-priv-")
    os.chmod(work, 0o755)        # root's: the dropped capture can create nothing here
    proc = None
    try:
        nsx = ["ip", "netns", "exec", ns]
        sh(*nsx, "ip", "link", "add", "owA", "type", "veth", "peer", "name", "owB")
        for link in ("owA", "owB", "lo"):
            sh(*nsx, "ip", "link", "set", link, "up")
        tokens = apitest.write_tokens(work)
        db = os.path.join(work, "live.db")
        jsonl = os.path.join(work, "live.jsonl")
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"  # LSan needs ptrace
        # The store already holds a replayed night (made by root): the capture takes it over
        # as its user, and its alerts are there to be triaged through the dropped server.
        seal_home = tempfile.mkdtemp(prefix="ow-priv-keys-")
        os.chmod(seal_home, 0o755)    # the dropped capture walks through it to its key directory
        keys = os.path.join(seal_home, "keys")
        witness = os.path.join(seal_home, "witness.jsonl")
        r = subprocess.run([omw, "keys", "init", "--dir", keys, "--sensor", "live"], capture_output=True,
                           text=True, env=env)
        check(r.returncode == 0, f"keys init: {r.stderr.strip()}")
        r = subprocess.run([omw, "replay", "--policy", POLICY, "--db", db, "--keys", keys, "--witness",
                            witness, SAMPLE], capture_output=True, text=True, env=env)
        check(r.returncode == 0, f"a replay made the store first: {r.stderr.strip()}")
        proc = subprocess.Popen(nsx + [omw, "capture", "-i", "owB", "--threads", "2", "--db", db,
                                       "--policy", POLICY, "--jsonl", jsonl, "--user", user,
                                       "--keys", keys, "--witness", witness, "--epoch-seconds", "1",
                                       "--heartbeat-seconds", "1",
                                       "--listen", "127.0.0.1:0", "--tokens", tokens],
                                stderr=subprocess.PIPE, text=True, env=env)
        port = None
        lines = []
        deadline = time.time() + 20
        while time.time() < deadline and port is None:
            line = proc.stderr.readline()
            if not line:
                break
            lines.append(line.strip())
            m = re.search(r"web UI on port (\d+)", line)
            if m:
                port = int(m.group(1))
        check(port is not None, f"capture --user {user} --listen started: {lines}")
        if port is None:
            return 1
        check(not any("running as root" in l for l in lines), "no root warning with --user")
        # An event stream held open: its connection thread must show the same.
        sse = subprocess.Popen(nsx + ["curl", "-s", "-N", "-m", "20", "-H",
                                      f"Authorization: Bearer {apitest.TOKENS['admin']}",
                                      f"http://127.0.0.1:{port}/api/events"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        time.sleep(1.0)
        sh(*nsx, "tcpreplay", "-q", "-i", "owA", "--mbps", "20", SAMPLE)
        time.sleep(1.0)
        status = thread_status(proc.pid)
        names = sorted({s.get("Name", ["?"])[0] for s in status.values()})
        print(f"  {len(status)} threads: {', '.join(names)}")
        for tid, s in status.items():
            print(f"  task {tid} {s.get('Name', ['?'])[0]:<15} Uid: {' '.join(s['Uid'])}  Gid: "
                  f"{' '.join(s['Gid'])}  CapEff: {s['CapEff'][0]}  NoNewPrivs: {s['NoNewPrivs'][0]}"
                  f"  Seccomp: {s['Seccomp'][0]}")
        check(len(status) >= 6, f"workers, writer, source and HTTP threads all listed ({len(status)})")
        check(any(s.get("Name", [""])[0].startswith("MHD-conn") for s in status.values()),
              "an HTTP connection thread (the event stream) is among them")
        for tid, s in status.items():
            check(all(int(x) == pw.pw_uid for x in s["Uid"]) and all(int(x) != 0 for x in s["Gid"])
                  and s.get("Groups", []) in ([], [str(pw.pw_gid)]) and
                  s["CapEff"] == ["0000000000000000"] and s["CapPrm"] == ["0000000000000000"] and
                  s.get("CapAmb", ["0000000000000000"]) == ["0000000000000000"] and
                  s["NoNewPrivs"] == ["1"] and s["Seccomp"] == ["2"],
                  f"task {tid}: uid {pw.pw_uid}, no capabilities, no_new_privs, seccomp")
        code, body = http_get(nsx, port, "/api/health")
        health = json.loads(body) if code == 200 else {}
        packets = health.get("capture", {}).get("packets", 0)
        check(code == 200 and health.get("live") and packets >= 400,
              f"the dropped capture answers /api/health: {code}, {packets} packets")
        code, body = http_get(nsx, port, "/")
        check(code == 200 and "<html" in body.lower(), f"the dropped capture serves the UI ({code})")
        code, _ = http_get(nsx, port, "/api/summary", role=None)
        check(code == 401, f"the API without a token: {code}")
        # A triage is a store write from an HTTP thread, after the drop.
        code, body = http_get(nsx, port, "/api/alerts?limit=1")
        alerts = json.loads(body).get("alerts", []) if code == 200 else []
        if alerts:
            r = sh(*nsx, "curl", "-s", "-m", "10", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                   "-H", f"Authorization: Bearer {apitest.TOKENS['analyst']}", "-H", "Content-Type: application/json",
                   "-d", '{"status":"acknowledged","note":"seen live"}',
                   f"http://127.0.0.1:{port}/api/alerts/{alerts[0]['id']}/triage", check=False)
            check(r.stdout == "201", f"triage through the dropped capture's server: {r.stdout}")
        else:
            check(False, "the replayed alerts are listed by the dropped capture's server")
        check(proc.poll() is None, "the capture is still running after all that")
        proc.send_signal(signal.SIGINT)
        try:
            err = proc.communicate(timeout=30)[1]
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            err = "(killed after 30 s)"
        sse.kill()
        sse.wait()
        check(proc.returncode == 0, f"capture exit {proc.returncode} {err.strip()[-300:]}")
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
            run_id, run_packets, clean = c.execute("SELECT id, packets, clean_end FROM runs "
                                                   "WHERE kind = 'capture'").fetchone()
            flows = c.execute("SELECT count(*) FROM flows WHERE run_id = ?", (run_id,)).fetchone()[0]
            alerts = c.execute("SELECT count(*) FROM alerts WHERE run_id = ?", (run_id,)).fetchone()[0]
        # tcpreplay sends the night in a few milliseconds, so flows that reuse a 5-tuple hours
        # apart merge: fewer flows than a replay gives, every packet still counted.
        check(run_packets >= 421 and flows >= 20 and alerts >= 5 and clean == 1,
              f"stored {run_packets} packets, {flows} flows and {alerts} alerts of the sample "
              f"night (421 packets sent); clean end {clean}")
        for name in ("live.db", "live.db-wal", "live.db-shm", "live.jsonl"):
            st = os.lstat(os.path.join(work, name))
            check(st.st_uid == pw.pw_uid and (st.st_mode & 0o777) == 0o600,
                  f"{name}: owner {st.st_uid}, mode {st.st_mode & 0o777:04o}")
        check(sorted(os.listdir(work)) == ["live.db", "live.db-shm", "live.db-wal", "live.jsonl",
                                            "tokens"], f"no other file: {sorted(os.listdir(work))}")
        r = subprocess.run([omw, "verify", "--db", db, "--root-key", os.path.join(keys, "root.pub"),
                            "--witness", witness], capture_output=True, text=True, env=env)
        check(r.returncode == 0, f"the sealed store verifies with its root key and witness: "
              f"{r.stdout.strip()} {r.stderr.strip()}")
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
            epochs = c.execute("SELECT count(*) FROM checkpoints WHERE reason = 'epoch_end'").fetchone()[0]
        check(epochs >= 1, f"epoch keys rotated during the dropped capture: {epochs} epoch ends")
        for name in ("epoch.key", "certs"):
            st = os.lstat(os.path.join(keys, name))
            check(st.st_uid == pw.pw_uid and (name != "epoch.key" or (st.st_mode & 0o777) == 0o600),
                  f"keys/{name}: owner {st.st_uid}, mode {st.st_mode & 0o777:04o}")
        check(not os.path.exists(os.path.join(keys, "epoch.key.new")), "no rotation left half done")
        shutil.rmtree(seal_home, ignore_errors=True)
        as_the_unit_starts_it(nsx, omw, pw, work, env)
        root_warns(nsx, omw, work, env)
    finally:
        if proc and proc.poll() is None:
            proc.kill()
            proc.wait()
        sh("ip", "netns", "del", ns, check=False)
        shutil.rmtree(work, ignore_errors=True)
    print(f"live privileges: {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
