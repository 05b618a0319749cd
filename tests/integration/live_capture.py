#!/usr/bin/env python3
"""Live capture: a veth pair inside a private network namespace; `omwitness capture` listens
on one end while tcpreplay sends real captures into the other; SIGINT stops it, and every
flow of those captures must be in the store with the same packet counts a replay gives.
The capture also serves the web UI (--listen on the namespace's loopback): its live health
endpoint must count the packets while the capture runs."""
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

import apitest
import owtest

CAPTURES = ["ndpi-4.2/ssh.pcap", "ndpi-4.2/http_auth.pcap", "ndpi-4.2/NTPv4.pcap",
            "li/x2-demo-01.pcap", "li/etsi_10_pings.pcap"]


def sh(*args, check=True):
    return subprocess.run(list(args), capture_output=True, text=True, check=check)


def flow_set(db):
    rows = owtest.run(["flows", "--db", db, "--format", "jsonl"])
    out = {}
    for ev in owtest.jsonl(rows.stdout):
        key = (ev["proto"], ev["src_ip"], ev["src_port"], ev["dest_ip"], ev["dest_port"])
        f = ev["flow"]
        out[key] = (f["pkts_toserver"] + f["pkts_toclient"], ev["ndpi"]["protocol"])
    return out


def main():
    data = owtest.shared_data()
    if os.geteuid() != 0:
        print("SKIP: live capture needs root for network namespaces")
        return owtest.SKIP
    for tool in ("ip", "tcpreplay"):
        if not shutil.which(tool):
            print(f"SKIP: {tool} is not installed")
            return owtest.SKIP
    ns = f"owtest{os.getpid()}"
    if sh("ip", "netns", "add", ns, check=False).returncode != 0:
        print("SKIP: cannot create a network namespace here (no CAP_SYS_ADMIN)")
        return owtest.SKIP
    pcaps = [os.path.join(data, "pcaps", c) for c in CAPTURES]
    try:
        nsx = ["ip", "netns", "exec", ns]
        sh(*nsx, "ip", "link", "add", "owA", "type", "veth", "peer", "name", "owB")
        sh(*nsx, "ip", "link", "set", "owA", "up")
        sh(*nsx, "ip", "link", "set", "owB", "up")
        sh(*nsx, "ip", "link", "set", "lo", "up")
        # The veths must not send their own IPv6 router solicitations into the capture.
        with tempfile.TemporaryDirectory() as work:
            live_db = os.path.join(work, "live.db")
            ref_db = os.path.join(work, "replay.db")
            tokens = apitest.write_tokens(work)
            # The capture runs under its seccomp filter, which forbids the ptrace LeakSanitizer
            # stops the world with at exit (ASan build).
            env = dict(os.environ, ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0")
            proc = subprocess.Popen(nsx + [owtest.omwitness(), "capture", "-i", "owB", "--threads", "2",
                                           "--db", live_db, "--listen", "127.0.0.1:0",
                                           "--tokens", tokens],
                                    stderr=subprocess.PIPE, text=True, env=env)
            port = None
            for _ in range(20):                     # "omwitness capture: web UI on port N"
                line = proc.stderr.readline()
                m = re.search(r"web UI on port (\d+)", line)
                if m:
                    port = int(m.group(1))
                    break
            if port is None:
                proc.kill()
                print("FAIL: capture --listen did not report its port")
                return 1
            deadline = time.time() + 20
            while time.time() < deadline:          # capturing once the run row exists
                if os.path.exists(live_db):
                    try:
                        with sqlite3.connect(f"file:{live_db}?mode=ro", uri=True) as c:
                            if c.execute("select count(*) from runs").fetchone()[0]:
                                break
                    except sqlite3.Error:
                        pass
                time.sleep(0.1)
            else:
                proc.kill()
                print("FAIL: capture did not start: " + proc.stderr.read())
                return 1
            for p in pcaps:
                sh(*nsx, "tcpreplay", "-q", "-i", "owA", "--mbps", "20", p)
            time.sleep(1.0)
            fetch = ("import json, urllib.request; print(urllib.request.urlopen(urllib.request.Request("
                     f"'http://127.0.0.1:{port}/api/health', headers={apitest.auth()!r}), "
                     "timeout=10).read().decode())")
            health = json.loads(sh(*nsx, sys.executable, "-c", fetch).stdout)
            live_packets = health.get("capture", {}).get("packets", 0)
            if not health.get("live") or live_packets < 400:
                print(f"FAIL: /api/health during the capture: {health}")
                proc.kill()
                return 1
            proc.send_signal(signal.SIGINT)
            try:
                err = proc.communicate(timeout=30)[1]
            except subprocess.TimeoutExpired:
                proc.kill()
                print("FAIL: capture did not stop within 30 s of SIGINT")
                return 1
            if proc.returncode != 0:
                print(f"FAIL: capture exited {proc.returncode}: {err}")
                return 1
            r = owtest.run(["replay", "--no-progress", "--db", ref_db] + pcaps)
            if r.returncode != 0:
                print(f"FAIL: reference replay exited {r.returncode}: {r.stderr}")
                return 1
            live, ref = flow_set(live_db), flow_set(ref_db)
            missing = [k for k in ref if k not in live]
            wrong = [k for k in ref if k in live and live[k] != ref[k]]
            with sqlite3.connect(f"file:{live_db}?mode=ro", uri=True) as c:
                run = c.execute("select kind, source, clean_end, kernel_drops, internal_drops, packets "
                                "from runs").fetchone()
            print(f"live capture: {len(ref) - len(missing)}/{len(ref)} flows of {len(pcaps)} captures found; "
                  f"{len(wrong)} with other counts; run {run}; /api/health saw {live_packets} packets")
            for k in missing:
                print(f"  missing {k}")
            for k in wrong:
                print(f"  {k}: live {live[k]} replay {ref[k]}")
            if missing or wrong or run[0] != "capture" or run[2] != 1:
                return 1
            return 0
    finally:
        sh("ip", "netns", "del", ns, check=False)


if __name__ == "__main__":
    sys.exit(main())
