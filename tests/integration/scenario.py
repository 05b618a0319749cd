#!/usr/bin/env python3
"""Scenario: the sample O&M night (scripts/gen_om_night.py) replayed against the sample policy
raises exactly one alert of the right kind and severity for each planted incident, and none
for the authorized SNMP, syslog, NTP, X1, X2, X3, HI2, HI3, NOC SSH and in-window vendor SSH.
Also checks that the committed examples/sample-om-night.pcap is what the generator writes,
that the clean night (--clean) raises no alert, and that with overlapping asset groups a
rule on the group and a rule on its member both reach the shared address."""
import filecmp
import os
import subprocess
import sys
import tempfile

import owtest

sys.path.insert(0, os.path.join(os.environ.get("OW_SOURCE_ROOT") or os.path.join(os.path.dirname(__file__), "..", ".."), "scripts"))
import pcapgen  # noqa: E402

ROOT = os.environ.get("OW_SOURCE_ROOT") or os.path.join(os.path.dirname(__file__), "..", "..")
INCIDENTS = {   # (client, client port, server, server port) -> (kind, severity)
    ("10.20.1.12", 38500, "203.0.113.77", 443): ("li_unauthorized", "critical"),       # X2 to a non-mediation host
    ("10.30.0.10", 50200, "192.0.2.99", 44444): ("li_unauthorized", "critical"),       # HI2 to a host that is not the LEMF
    ("10.99.0.7", 60200, "10.20.1.11", 22): ("maintenance_outside_window", "high"),    # vendor SSH after its window
    ("10.99.0.7", 60300, "10.20.2.21", 22): ("vendor_unauthorized", "high"),           # in window, element not on ticket
    ("10.98.0.4", 40023, "10.20.2.21", 23): ("vendor_unauthorized", "high"),           # Telnet, vendor without ticket
    ("10.20.2.21", 45443, "203.0.113.50", 443): ("egress_external", "high"),           # element's SSH to the internet
    ("10.30.1.50", 42000, "10.20.1.11", 8443): ("li_unauthorized", "critical"),        # TLS to X1 port, not the ADMF
    ("10.20.2.21", 53001, "8.8.8.8", 53): ("egress_external", "high"),                 # DNS to an outside resolver
    # acme built the core: its elements talking to the internet are egress, not vendor access
    ("10.20.1.12", 45444, "203.0.113.60", 443): ("egress_external", "high"),           # acme NE's SSH on 443
    ("10.20.1.11", 53002, "9.9.9.9", 53): ("egress_external", "high"),                 # acme NE's DNS outside
}
AUTHORIZED_APPS = {"snmp-poll": "SNMP", "syslog": "Syslog", "ntp": "NTP", "x1-provisioning": "TLS",
                   "x2-iri": "X2", "x3-cc": "X3", "hi2-iri": "HI2", "hi3-cc": "HI3", "noc-ssh": "SSH",
                   "chg-2026-0142": "SSH"}


def pcap_records(path):
    """(linktype, [frame bytes]) of a classic little-endian pcap file."""
    import struct
    data = open(path, "rb").read()
    magic, _, _, _, _, _, linktype = struct.unpack("<IHHiIII", data[:24])
    assert magic == 0xA1B2C3D4, hex(magic)
    frames, off = [], 24
    while off < len(data):
        _, _, incl, _ = struct.unpack("<IIII", data[off:off + 16])
        frames.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return linktype, frames


def evidence_check(work, db, alerts, flows):
    """Every alert's evidence pcap holds its whole (small) flow from the first packet on:
    for TCP the client's SYN; tshark reads it when it is installed."""
    import shutil
    failures = []
    by_id = {f["flow_id"]: f for f in flows}
    for a in alerts:
        out = os.path.join(work, f"alert{a['alert']['id']}.pcap")
        r = owtest.run(["evidence", "--alert", str(a["alert"]["id"]), "--db", db, "-o", out])
        if r.returncode != 0:
            failures.append(f"evidence for alert {a['alert']['id']}: exit {r.returncode}: {r.stderr}")
            continue
        linktype, frames = pcap_records(out)
        f = by_id[a["flow_id"]]
        want = f["flow"]["pkts_toserver"] + f["flow"]["pkts_toclient"]
        if linktype != 1 or len(frames) != want:
            failures.append(f"alert {a['alert']['id']}: {len(frames)} packets (linktype {linktype}), flow has {want}")
        if a["proto"] == "TCP" and frames and frames[0][14 + 20 + 13] & 0x12 != 0x02:
            failures.append(f"alert {a['alert']['id']}: evidence does not start with the SYN")
        if shutil.which("tshark"):
            t = subprocess.run(["tshark", "-r", out], capture_output=True, text=True)
            if t.returncode != 0 or len(t.stdout.splitlines()) != len(frames):
                failures.append(f"alert {a['alert']['id']}: tshark cannot read the evidence: {t.stderr[:200]}")
    # A smaller per-flow cap: the evidence still starts at the first packet and stops at the cap.
    capped = os.path.join(work, "capped.db")
    pcap = os.path.join(work, "night.pcap")
    policy = os.path.join(ROOT, "examples", "sample-policy.yaml")
    r = owtest.run(["replay", "--no-progress", "--evidence-packets", "3", "--policy", policy, "--db", capped, pcap])
    out = os.path.join(work, "capped.pcap")
    r2 = owtest.run(["evidence", "--alert", "1", "--db", capped, "-o", out])
    if r.returncode != 0 or r2.returncode != 0:
        failures.append(f"--evidence-packets 3: replay exit {r.returncode}, evidence exit {r2.returncode}: {r.stderr}{r2.stderr}")
    else:
        _, frames = pcap_records(out)
        if len(frames) != 3 or frames[0][14 + 20 + 13] & 0x12 != 0x02:
            failures.append(f"--evidence-packets 3: {len(frames)} packets, first flags {frames[0][47] if frames else None}")
    r = owtest.run(["evidence", "--alert", "999999", "--db", db, "-o", os.path.join(work, "none.pcap")])
    if r.returncode != 2 or len(r.stderr.strip().splitlines()) != 1:
        failures.append(f"evidence for an unknown alert: exit {r.returncode}, {r.stderr!r}")
    r = owtest.run(["verify", "--db", db])
    if r.returncode != 0:
        failures.append(f"verify after the scenario: exit {r.returncode}: {r.stdout}{r.stderr}")
    return failures


def overrun_check(work, policy):
    """acme's in-window SSH that runs from 03:30 to 05:10Z: past its window (ends 04:00Z) and
    past the 3,600 s active timeout: two authorized slices, one maintenance_overrun alert. And
    borealis's Telnet over the same 100 minutes: two anomalous slices, one alert."""
    import calendar
    failures = []
    pcap = os.path.join(work, "overrun.pcap")
    w = pcapgen.PcapWriter(pcap)
    t0 = calendar.timegm((2026, 2, 10, 3, 30, 0))
    s = pcapgen.TcpSession(w, t0, "10.99.0.7", 61000, "10.20.1.11", 22).open()
    s.reply(b"SSH-2.0-OpenSSH_8.4p1\r\n").send(b"SSH-2.0-OpenSSH_9.2p1\r\n")
    for _ in range(20):                      # a keystroke every 5 minutes for 100 minutes
        s.send(bytes(48), dt=300).reply(bytes(48), dt=0.05)
    s.close()
    s = pcapgen.TcpSession(w, t0 + 1, "10.98.0.4", 40100, "10.20.2.21", 23).open()
    s.reply(b"\xff\xfd\x18\xff\xfd\x20\xff\xfd\x23\xff\xfd\x27").send(b"\xff\xfb\x18\xff\xfb\x20")
    s.reply(b"\r\nran-1 login: ").send(b"root\r").reply(b"Password: ").send(b"x\r").reply(b"# ")
    for _ in range(20):
        s.send(b"ls\r", dt=300).reply(b"bin etc\r\n# ", dt=0.05)
    s.close()
    w.close()
    db = os.path.join(work, "overrun.db")
    r = owtest.run(["replay", "--no-progress", "--policy", policy, "--db", db, pcap])
    if r.returncode != 0:
        return [f"overrun replay exited {r.returncode}: {r.stderr}"]
    flows = owtest.jsonl(owtest.run(["flows", "--db", db, "--format", "jsonl"]).stdout)
    alerts = owtest.jsonl(owtest.run(["alerts", "--db", db, "--format", "jsonl"]).stdout)
    ssh = [f for f in flows if f["dest_port"] == 22]
    telnet = [f for f in flows if f["dest_port"] == 23]
    if len(ssh) != 2 or any(f["verdict"].get("rule") != "chg-2026-0142" or f["verdict"]["status"] != "authorized"
                            for f in ssh):
        failures.append(f"overrun: want 2 authorized slices under chg-2026-0142, got "
                        f"{[(f['flow']['start'], f['verdict']) for f in ssh]}")
    if len(telnet) != 2 or any(f["verdict"]["status"] != "anomaly" for f in telnet):
        failures.append(f"long Telnet: want 2 anomalous slices, got {[(f['flow']['start'], f['verdict']) for f in telnet]}")
    kinds = sorted((a["alert"]["kind"], a["alert"]["severity_name"], a["dest_port"]) for a in alerts)
    if kinds != [("maintenance_overrun", "medium", 22), ("vendor_unauthorized", "high", 23)]:
        failures.append(f"long sessions: want one maintenance_overrun and one vendor_unauthorized alert, got {kinds}")
    return failures


GROUPS_POLICY = """version: 1
networks: {management: [10.20.0.0/16, 10.30.0.0/16]}
assets:
  core-nf: {role: network-element, vendor: acme, addresses: [10.20.1.11, 10.20.1.12, 10.20.1.13]}
  mme:     {role: network-element, vendor: acme, addresses: [10.20.1.11]}
  nms:     {role: operations, addresses: [10.30.1.2]}
  noc:     {role: operations, addresses: [10.30.2.0/24]}
rules:
  - {id: group-ssh, kind: operations, from: noc, to: core-nf, service: {proto: tcp, ports: [22]}, app: SSH}
  - {id: member-snmp, kind: operations, from: nms, to: mme, service: {proto: udp, ports: [161]}, app: SNMP}
"""


def groups_check(work, pcap):
    """10.20.1.11 is in core-nf and in mme: the NOC's SSH reaches it by the rule on the group,
    the NMS's SNMP polls by the rule on the member; the alert of a flow the rules do not
    cover names the most specific asset (a tie between two /32s: the first in the file)."""
    failures = []
    policy = os.path.join(work, "groups.yaml")
    open(policy, "w").write(GROUPS_POLICY)
    db = os.path.join(work, "groups.db")
    jsonl = os.path.join(work, "groups.jsonl")
    r = owtest.run(["replay", "--no-progress", "--policy", policy, "--db", db, "--jsonl", jsonl, pcap])
    if r.returncode != 0:
        return [f"groups replay exited {r.returncode}: {r.stderr}"]
    flows = owtest.jsonl(owtest.run(["flows", "--db", db, "--format", "jsonl"]).stdout)
    to_mme = [f for f in flows if f["dest_ip"] == "10.20.1.11"]
    ssh = [f["verdict"].get("rule") for f in to_mme if f["dest_port"] == 22 and f["src_ip"].startswith("10.30.2.")]
    snmp = [f["verdict"].get("rule") for f in to_mme if f["dest_port"] == 161]
    if not ssh or set(ssh) != {"group-ssh"}:
        failures.append(f"groups: NOC SSH to the shared address: {ssh}, want group-ssh")
    if len(snmp) != 36 or set(snmp) != {"member-snmp"}:
        failures.append(f"groups: SNMP polls of the shared address: {len(snmp)} under {set(snmp)}, want 36 under member-snmp")
    alerts = owtest.jsonl(owtest.run(["alerts", "--db", db, "--format", "jsonl"]).stdout)
    ntp = [a for a in alerts if a["src_ip"] == "10.20.1.11" and a["dest_port"] == 123]
    if not ntp or any(a["assets"]["src"] != "core-nf" for a in ntp):
        failures.append(f"groups: alerts from the shared address name {[a['assets'] for a in ntp]}, want core-nf")
    # Every asset of the shared address, most specific first (a tie: the file's order), in
    # the stored alerts and flows and in the --jsonl stream; a single asset is listed alone.
    if any(a["assets"].get("src_all") != ["core-nf", "mme"] for a in ntp):
        failures.append(f"groups: src_all of alerts from the shared address: {[a['assets'].get('src_all') for a in ntp]}")
    if any(f["assets"].get("dest_all") != ["core-nf", "mme"] for f in to_mme):
        failures.append(f"groups: dest_all of flows to the shared address: {[f['assets'].get('dest_all') for f in to_mme][:3]}")
    nms = [f for f in flows if f["src_ip"] == "10.30.1.2"]
    if not nms or any(f["assets"].get("src_all") != ["nms"] for f in nms):
        failures.append(f"groups: src_all of the NMS's flows: {[f['assets'].get('src_all') for f in nms][:3]}")
    streamed = owtest.jsonl(open(jsonl).read())
    st_ntp = [e for e in streamed if e.get("event_type") == "alert" and e["src_ip"] == "10.20.1.11" and e["dest_port"] == 123]
    if len(st_ntp) != len(ntp) or any(e["assets"].get("src_all") != ["core-nf", "mme"] for e in st_ntp):
        failures.append(f"groups: streamed alerts from the shared address: {[e['assets'] for e in st_ntp]}")
    r = owtest.run(["verify", "--db", db])
    if r.returncode != 0:
        failures.append(f"groups: verify exited {r.returncode}: {r.stdout} {r.stderr}")
    return failures


def clean_check(work, policy):
    """The night without its incidents raises no alert."""
    pcap = os.path.join(work, "clean.pcap")
    subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen_om_night.py"), "--clean", pcap], check=True)
    db = os.path.join(work, "clean.db")
    r = owtest.run(["replay", "--no-progress", "--policy", policy, "--db", db, pcap])
    alerts = owtest.jsonl(owtest.run(["alerts", "--db", db, "--format", "jsonl"]).stdout)
    if r.returncode != 0 or alerts:
        return [f"clean night: exit {r.returncode}, {len(alerts)} alerts: "
                f"{[(a['src_ip'], a['dest_ip'], a['dest_port'], a['alert']['kind']) for a in alerts]}"]
    return []


def main():
    failures = []
    policy = os.path.join(ROOT, "examples", "sample-policy.yaml")
    with tempfile.TemporaryDirectory() as work:
        pcap = os.path.join(work, "night.pcap")
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen_om_night.py"), pcap], check=True)
        if not filecmp.cmp(pcap, os.path.join(ROOT, "examples", "sample-om-night.pcap"), shallow=False):
            failures.append("examples/sample-om-night.pcap differs from what scripts/gen_om_night.py writes")
        r = owtest.run(["policy", "check", policy])
        if r.returncode != 0:
            failures.append(f"policy check failed: {r.stderr}")
        db = os.path.join(work, "night.db")
        r = owtest.run(["replay", "--no-progress", "--threads", "2", "--policy", policy, "--db", db,
                        "--jsonl", os.path.join(work, "stream.jsonl"), pcap])
        if r.returncode != 0:
            failures.append(f"replay exited {r.returncode}: {r.stderr}")
        alerts = owtest.jsonl(owtest.run(["alerts", "--db", db, "--format", "jsonl"]).stdout)
        seen = {}
        for a in alerts:
            key = (a["src_ip"], a["src_port"], a["dest_ip"], a["dest_port"])
            seen.setdefault(key, []).append((a["alert"]["kind"], a["alert"]["severity_name"]))
            if not a["alert"].get("reason"):
                failures.append(f"alert {a['alert']['id']} has no reason")
        for key, want in INCIDENTS.items():
            got = seen.get(key, [])
            if got != [want]:
                failures.append(f"incident {key}: want one {want}, got {got}")
        for key, got in seen.items():
            if key not in INCIDENTS:
                failures.append(f"unexpected alert {key}: {got}")
        flows = owtest.jsonl(owtest.run(["flows", "--db", db, "--format", "jsonl"]).stdout)
        authorized = {}
        for f in flows:
            key = (f["src_ip"], f["src_port"], f["dest_ip"], f["dest_port"])
            v = f["verdict"]
            if key in INCIDENTS:
                if v["status"] != "anomaly":
                    failures.append(f"incident flow {key} is {v['status']}")
                continue
            if v["status"] != "authorized":
                failures.append(f"flow {key} {f['app_proto']} should be authorized, is {v}")
                continue
            authorized[v["rule"]] = authorized.get(v["rule"], 0) + 1
            if AUTHORIZED_APPS.get(v["rule"]) != f["app_proto"]:
                failures.append(f"flow {key} authorized by {v['rule']} as {f['app_proto']}")
        for rule in AUTHORIZED_APPS:
            if not authorized.get(rule):
                failures.append(f"no authorized flow under {rule}")
        failures += evidence_check(work, db, alerts, flows)
        streamed = owtest.jsonl(open(os.path.join(work, "stream.jsonl")).read())
        if sum(1 for e in streamed if e["event_type"] == "alert") != len(alerts):
            failures.append("--jsonl did not stream every alert")
        failures += overrun_check(work, policy)
        failures += clean_check(work, policy)
        failures += groups_check(work, pcap)
    print(f"scenario: {len(alerts)} alerts for {len(INCIDENTS)} incidents; authorized by rule: {authorized}; "
          f"{len(failures)} failures")
    for f in failures:
        print("FAIL: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
