#!/usr/bin/env python3
"""eve_schema.py — omwitness's EVE lines are SIEM-native: every alert and flow event of the
sample night (as `alerts`/`flows --format jsonl` print them, as `--jsonl` streams them, and
with a triage record), with omwitness's own keys set aside as docs/store.md "EVE JSON lines" lists them,
validates against Suricata's EVE schema (../shared/data/suricata-eve/schema.json). Events of a
few nDPI captures add the ssh, tls, http and dns shapes. Negative controls (an event with a
string severity, a banner where Suricata has an object ...) must fail, so the check can fail.

Runs under Debian's python3 (/usr/bin/python3), whose python3-jsonschema does the
validating; skipped with one line where it or the schema is missing."""
import copy
import json
import os
import subprocess
import sys
import tempfile

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("OW_SOURCE_ROOT") or os.path.join(HERE, "..", "..")
SAMPLE = os.path.join(SRC, "examples", "sample-om-night.pcap")
POLICY = os.path.join(SRC, "examples", "sample-policy.yaml")
DEBIAN_PYTHON = "/usr/bin/python3"

# omwitness's own data (docs/store.md "EVE JSON lines"): top-level keys, and keys inside `alert`.
OWN_TOP = ("ndpi", "verdict", "li", "assets", "triage", "site")
OWN_ALERT = ("kind", "severity_name", "reason", "id")


def set_aside(event):
    e = copy.deepcopy(event)
    for k in OWN_TOP:
        e.pop(k, None)
    for k in OWN_ALERT:
        e.get("alert", {}).pop(k, None)
    return e


def validate_lines(paths, schema_path):
    """Runs in Debian's python: validates every event of the files, prints a JSON summary."""
    import jsonschema
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    v = cls(schema)
    out = {"checked": 0, "by_type": {}, "errors": []}
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                ev = json.loads(line)
                errs = sorted(v.iter_errors(set_aside(ev)), key=lambda e: list(e.path))
                out["checked"] += 1
                t = ev.get("event_type", "?")
                out["by_type"][t] = out["by_type"].get(t, 0) + 1
                for e in errs[:3]:
                    out["errors"].append(f"{os.path.basename(path)}:{n} {t} at "
                                         f"{'/'.join(map(str, e.path)) or '(top)'}: {e.message[:160]}")
    print(json.dumps(out))


def run(args, **kw):
    exe = os.environ.get("OMWITNESS")
    return subprocess.run([exe] + args, capture_output=True, text=True, timeout=300, **kw)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--validate":
        validate_lines(sys.argv[3:], sys.argv[2])
        return 0
    exe = os.environ.get("OMWITNESS")
    if not exe or not os.access(exe, os.X_OK):
        print("FAIL: OMWITNESS is not set to the built binary")
        return 1
    data = os.environ.get("OW_SHARED_DATA") or os.path.join(SRC, "..", "shared", "data")
    schema = os.path.join(data, "suricata-eve", "schema.json")
    if not os.path.isfile(schema):
        print(f"SKIP: {schema} is absent (a clone without ../shared)")
        return SKIP
    probe = subprocess.run([DEBIAN_PYTHON, "-c", "import jsonschema"], capture_output=True)
    if probe.returncode != 0:
        print(f"SKIP: {DEBIAN_PYTHON} has no jsonschema (scripts/setup.sh installs python3-jsonschema)")
        return SKIP
    failures = []
    with tempfile.TemporaryDirectory(prefix="ow-eve-") as work:
        db = os.path.join(work, "night.db")
        stream = os.path.join(work, "stream.jsonl")
        r = run(["replay", "--no-progress", "--policy", POLICY, "--db", db, "--jsonl", stream, SAMPLE])
        if r.returncode != 0:
            print(f"FAIL: replay: {r.stderr}")
            return 1
        first = run(["alerts", "--db", db, "--format", "jsonl", "--limit", "1"]).stdout
        aid = json.loads(first)["alert"]["id"]
        r = run(["triage", "--db", db, "--alert", str(aid), "--status", "closed", "--note", "vendor call, ticket extended"])
        if r.returncode != 0:
            failures.append(f"triage: {r.stderr}")
        files = {}
        for name, args in [("alerts", ["alerts", "--db", db, "--format", "jsonl"]),
                           ("flows", ["flows", "--db", db, "--format", "jsonl"])]:
            path = os.path.join(work, name + ".jsonl")
            with open(path, "w", encoding="utf-8") as f:
                f.write(run(args).stdout)
            files[name] = path
        files["stream"] = stream
        # Captures with the application shapes the sample night lacks.
        extra = [os.path.join(data, "pcaps", "ndpi-4.2", p) for p in
                 ("ssh.pcap", "http_auth.pcap", "dns_long_domainname.pcap", "443-curl.pcap", "google_ssl.pcap")]
        extra = [p for p in extra if os.path.isfile(p)]
        if extra:
            path = os.path.join(work, "ndpi.jsonl")
            r = run(["replay", "--no-progress", "--db", os.path.join(work, "ndpi.db"), "--jsonl", path, *extra])
            if r.returncode != 0:
                failures.append(f"replay of nDPI captures: {r.stderr}")
            files["ndpi"] = path

        events = {k: [json.loads(x) for x in open(p, encoding="utf-8") if x.strip()] for k, p in files.items()}
        alerts, flows = events["alerts"], events["flows"]
        if not alerts or not flows:
            failures.append(f"the sample night gave {len(alerts)} alerts and {len(flows)} flows")
        if not any("triage" in a for a in alerts):
            failures.append("no alert line carries its triage")
        shapes = {k for evs in events.values() for e in evs for k in ("ssh", "tls", "http", "dns") if k in e}
        if shapes != {"ssh", "tls", "http", "dns"}:
            failures.append(f"application shapes checked: {sorted(shapes)}, want ssh, tls, http and dns")
        if not all(isinstance(a["alert"]["severity"], int) and a["alert"].get("signature") and
                   isinstance(a["alert"].get("signature_id"), int) and a["alert"].get("category") and
                   a["alert"].get("action") == "allowed" for a in alerts):
            failures.append("an alert lacks Suricata's signature, signature_id, category, action or integer severity")
        if not all(a.get("host") and a.get("site") for a in alerts + flows):
            failures.append("an event lacks host or site")

        # Negative controls: each of these must fail validation.
        a0, f0 = alerts[0], flows[0]
        ssh = next((e for e in events.get("ndpi", []) + flows if "ssh" in e), None)
        bad = []
        b = copy.deepcopy(a0); b["alert"]["severity"] = b["alert"]["severity_name"]; bad.append(("string severity", b))
        b = copy.deepcopy(f0); b["flow_id"] = str(b["flow_id"]); bad.append(("string flow_id", b))
        b = copy.deepcopy(a0); b["alert"]["signature_id"] = "1400001"; bad.append(("string signature_id", b))
        b = copy.deepcopy(f0); b["flow"]["pkts_toserver"] = "7"; bad.append(("string counter", b))
        b = copy.deepcopy(f0); b["timestamp"] = "2026-02-10 05:30:00"; bad.append(("timestamp pattern", b))
        b = copy.deepcopy(f0); b["omwitness_extra"] = 1; bad.append(("unknown top-level key", b))
        if ssh:
            b = copy.deepcopy(ssh); b["ssh"]["client"] = "SSH-2.0-OpenSSH"; bad.append(("ssh banner as a string", b))
        b = copy.deepcopy(f0); b["tls"] = {"ja3": "abc"}; bad.append(("ja3 as a string", b))
        b = copy.deepcopy(f0); b["dns"] = {"query": "x"}; bad.append(("dns without version", b))
        b = copy.deepcopy(f0); b["http"] = {"user_agent": "x"}; bad.append(("http key of our own", b))
        controls = []
        for why, ev in bad:
            path = os.path.join(work, "bad-" + why.replace(" ", "_") + ".jsonl")
            with open(path, "w", encoding="utf-8") as f:
                f.write(json.dumps(ev) + "\n")
            controls.append((why, path))

        r = subprocess.run([DEBIAN_PYTHON, os.path.abspath(__file__), "--validate", schema, *files.values()],
                           capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            print(f"FAIL: validator: {r.stderr}")
            return 1
        good = json.loads(r.stdout)
        failures += good["errors"]
        caught = 0
        for why, path in controls:
            c = subprocess.run([DEBIAN_PYTHON, os.path.abspath(__file__), "--validate", schema, path],
                               capture_output=True, text=True, timeout=60)
            if json.loads(c.stdout)["errors"]:
                caught += 1
            else:
                failures.append(f"negative control not caught: {why}")
        counts = {k: len(v) for k, v in events.items()}
        print(f"eve_schema: {good['checked']} events validated against Suricata's schema "
              f"({counts}; by type {good['by_type']}), {len(good['errors'])} mismatches; "
              f"{caught} of {len(controls)} broken events refused")
    for f in failures:
        print("FAIL: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
