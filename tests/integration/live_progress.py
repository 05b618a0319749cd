#!/usr/bin/env python3
"""A report over a running capture, and a capture killed with SIGKILL.

`omwitness capture --progress-seconds 2` on one end of a veth pair in a private network
namespace while tcpreplay sends real captures into the other end, under a policy whose
management network none of that traffic touches (so nothing alerts and the conclusion is
about coverage alone). While the capture still runs:
  - `report --from --to` over its first minutes gives the packets (from its latest progress
    record) and the flows seen so far;
  - /api/health counts the capture's packets and /api/runs shows the run's progress.
Then SIGKILL: the store verifies (`verify` exit 0), and the report's coverage ends at the
last progress record, with conclusion coverage_incomplete."""
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
from datetime import datetime, timezone

import apitest
import owtest

CAPTURES = ["ndpi-4.2/ssh.pcap", "ndpi-4.2/http_auth.pcap", "ndpi-4.2/NTPv4.pcap",
            "li/x2-demo-01.pcap"]
POLICY = """version: 1
site: progress-test
networks:
  management: [10.250.0.0/16]
assets:
  nms: {role: operations, addresses: [10.250.0.2]}
rules:
  - id: nms-self
    kind: operations
    from: nms
    to: nms
    service: {proto: udp, ports: [161]}
    app: [SNMP]
default: anomaly
"""


def sh(*args, check=True):
    return subprocess.run(list(args), capture_output=True, text=True, check=check)


def rfc3339(t):
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def report(db, t_from, t_to):
    r = owtest.run(["report", "--db", db, "--from", rfc3339(t_from), "--to", rfc3339(t_to),
                    "--format", "json"])
    if r.returncode != 0:
        raise RuntimeError(f"report exited {r.returncode}: {r.stderr}")
    return json.loads(r.stdout)


def main():
    data = owtest.shared_data()
    if os.geteuid() != 0:
        print("SKIP: live capture needs root for network namespaces")
        return owtest.SKIP
    for tool in ("ip", "tcpreplay"):
        if not shutil.which(tool):
            print(f"SKIP: {tool} is not installed")
            return owtest.SKIP
    ns = f"owprog{os.getpid()}"
    if sh("ip", "netns", "add", ns, check=False).returncode != 0:
        print("SKIP: cannot create a network namespace here (no CAP_SYS_ADMIN)")
        return owtest.SKIP
    pcaps = [os.path.join(data, "pcaps", c) for c in CAPTURES]
    failures = []
    try:
        nsx = ["ip", "netns", "exec", ns]
        sh(*nsx, "ip", "link", "add", "owA", "type", "veth", "peer", "name", "owB")
        for dev in ("owA", "owB"):
            sh(*nsx, "sysctl", "-qw", f"net.ipv6.conf.{dev}.disable_ipv6=1", check=False)
            sh(*nsx, "ip", "link", "set", dev, "up")
        sh(*nsx, "ip", "link", "set", "lo", "up")
        with tempfile.TemporaryDirectory() as work:
            db = os.path.join(work, "live.db")
            policy = os.path.join(work, "policy.yaml")
            open(policy, "w").write(POLICY)
            tokens = apitest.write_tokens(work)
            env = dict(os.environ, ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0")
            started = time.time()
            proc = subprocess.Popen(nsx + [owtest.omwitness(), "capture", "-i", "owB", "--threads", "2",
                                           "--db", db, "--policy", policy, "--progress-seconds", "2",
                                           "--listen", "127.0.0.1:0", "--tokens", tokens],
                                    stderr=subprocess.PIPE, text=True, env=env)
            port = None
            for _ in range(20):
                m = re.search(r"web UI on port (\d+)", proc.stderr.readline())
                if m:
                    port = int(m.group(1))
                    break
            if port is None:
                proc.kill()
                print("FAIL: capture --listen did not report its port")
                return 1
            sent = 0
            for _ in range(3):
                for p in pcaps:
                    r = sh(*nsx, "tcpreplay", "-i", "owA", "--mbps", "20", p)
                    m = re.search(r"Actual: (\d+) packets", r.stdout)
                    sent += int(m.group(1)) if m else 0
                time.sleep(1.0)
            time.sleep(5.0)                    # two more progress records
            # While it runs: the report, the health page, the runs API.
            running = report(db, started - 120, time.time() + 1)
            runs = running["runs"]
            pk = runs[0]["packets"] if runs else 0
            flows = running["flows"]["total"]
            print(f"running capture: report over its first minutes: {len(runs)} run, {pk} packets "
                  f"(tcpreplay sent {sent}), {flows} flows, conclusion {running['conclusion']}")
            if len(runs) != 1 or pk < sent * 0.9 or flows < 1:
                failures.append(f"report over the running capture: {runs} flows {running['flows']}")

            def api(path):
                code = ("import json, urllib.request; print(urllib.request.urlopen(urllib.request.Request("
                        f"'http://127.0.0.1:{port}{path}', headers={apitest.auth()!r}), timeout=10)"
                        ".read().decode())")
                return json.loads(sh(*nsx, sys.executable, "-c", code).stdout)

            health = api("/api/health")
            hp = health.get("capture", {}).get("packets", 0)
            run_api = api("/api/runs")["runs"][0]
            prog = run_api.get("progress") or {}
            print(f"/api/health: {hp} packets; /api/runs progress: {prog.get('packets')} packets, "
                  f"{prog.get('records')} records")
            if hp < sent * 0.9 or not prog or prog.get("packets", 0) < sent * 0.9:
                failures.append(f"health {health}; runs {run_api}")
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            killed = time.time()
            v = owtest.run(["verify", "--db", db])
            print(f"after SIGKILL: verify exit {v.returncode}: {v.stdout.strip()}")
            if v.returncode != 0:
                failures.append(f"verify after SIGKILL: {v.stdout}{v.stderr}")
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
                last_ts, last_packets, nprog = c.execute(
                    "SELECT last_ts, packets, (SELECT count(*) FROM run_progress) FROM run_progress "
                    "ORDER BY id DESC LIMIT 1").fetchone()
            after = report(db, started - 120, killed + 60)
            r0 = after["runs"][0]
            last_packet = datetime.strptime(r0["last_packet"][:19], "%Y-%m-%dT%H:%M:%S").replace(
                tzinfo=timezone.utc).timestamp() + float("0" + r0["last_packet"][19:26])
            print(f"report after SIGKILL: coverage ends {r0['last_packet']} (last of {nprog} progress "
                  f"records: {last_ts / 1e6:.6f}), packets {r0['packets']}, conclusion "
                  f"{after['conclusion']} ({'; '.join(after.get('conclusion_reasons', []))})")
            if abs(last_packet - last_ts / 1e6) > 1e-3 or r0["packets"] != last_packets:
                failures.append(f"coverage after SIGKILL does not end at the last progress record: {r0}")
            if after["conclusion"] != "coverage_incomplete":
                failures.append(f"conclusion after SIGKILL: {after['conclusion']}")
    finally:
        sh("ip", "netns", "del", ns, check=False)
    for f in failures:
        print("FAIL: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
