#!/usr/bin/env python3
"""report on the sample night: the whole night -> anomalies_found with its 10 alerts and their
reasons; the hour before the first incident -> no_unauthorized_access_observed with the LI
sessions listed; a period reaching before the capture -> coverage_incomplete; a run killed
before its end -> coverage_incomplete. The HTML page printed to PDF by headless chromium: A4,
a few pages, the conclusion and the chain head in its text."""
import hashlib
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

import evidence_common as ec
import owtest

failures = []


def expect(name, cond, detail=""):
    if not cond:
        failures.append(f"{name}: {detail}")


KEYS = None


def report(db, *extra):
    seal = ["--keys", KEYS] if KEYS else []
    r = owtest.run(["report", "--db", db, "--format", "json", *seal, *extra])
    if r.returncode != 0:
        failures.append(f"report {extra}: exit {r.returncode}: {r.stderr}")
        return {}
    return json.loads(r.stdout)


def pdf_checks(html, work, head):
    chromium = "/usr/bin/chromium"
    if not os.access(chromium, os.X_OK):
        print("note: /usr/bin/chromium is absent (scripts/setup.sh installs it): PDF part skipped")
        return
    pdf = os.path.join(work, "report.pdf")
    profile = os.path.join(work, "chromium-profile")
    r = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update",
                        "--disable-sync", f"--user-data-dir={profile}", f"--print-to-pdf={pdf}",
                        "file://" + os.path.abspath(html)],
                       capture_output=True, text=True, timeout=120)
    if not os.path.exists(pdf):
        failures.append(f"chromium made no PDF: {r.returncode} {r.stderr[-400:]}")
        return
    with open(pdf, "rb") as f:
        data = f.read()
    pages = None
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True).stdout
        m = re.search(r"^Pages:\s+(\d+)", info, re.M)
        pages = int(m.group(1)) if m else None
        size = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+) pts", info, re.M)
        expect("A4 pages", size and abs(float(size.group(1)) - 595) < 2 and
               abs(float(size.group(2)) - 842) < 2, info)
    else:
        pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    # 10 anomalies, 5 sessions, 1 run: a few pages, not one per row.
    expect("page count", pages is not None and 2 <= pages <= 8, f"{pages} pages")
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True).stdout
        flat = re.sub(r"\s+", "", text)
        for needle in ("Anomalies found", "li_unauthorized", "maintenance_outside_window",
                       "What was watched", "How completely", "CHG-2026-0142"):
            expect(f"PDF text has {needle}", re.sub(r"\s+", "", needle) in flat, "")
        expect("PDF text has the chain head", head in flat, head)
    else:
        print("note: pdftotext (poppler-utils) is absent: PDF text not checked")


def main():
    global KEYS
    ec.require_subcommand("report")
    with tempfile.TemporaryDirectory() as work:
        KEYS = ec.make_keys(work)
        db = os.path.join(work, "night.db")
        ec.replay_sample(db, KEYS)

        whole = report(db)
        expect("whole night: anomalies_found", whole.get("conclusion") == "anomalies_found",
               whole.get("conclusion"))
        alerts = whole.get("anomalies", {}).get("alerts", [])
        expect("10 anomalies listed", len(alerts) == 10, len(alerts))
        expect("every anomaly has a reason", all(a.get("reason") for a in alerts), alerts)
        stored = {row[0] for row in ec.query(db, "SELECT id FROM alerts")}
        expect("anomalies are the stored alerts", {a["alert_id"] for a in alerts} == stored, "")
        runs = whole.get("runs", [])
        sample_sha = hashlib.sha256(open(ec.sample()[0], "rb").read()).hexdigest()
        expect("one run with its file's hash", len(runs) == 1 and runs[0]["source_sha256"] == sample_sha,
               runs)
        expect("policy hash", runs and len(runs[0]["policy_sha256"]) == 64, runs)
        expect("coverage counted", whole.get("coverage", {}).get("packets", 0) > 0 and
               whole["coverage"]["kernel_drops"] == 0, whole.get("coverage"))
        integrity = whole.get("integrity", {})
        head = integrity.get("chain_head") or ""
        expect("integrity verified", integrity.get("verified") is True and len(head) == 64,
               integrity)
        sessions = whole.get("authorized_sessions", {}).get("sessions", [])
        kinds = {s["rule_kind"] for s in sessions}
        expect("LI and maintenance sessions", kinds == {"li", "maintenance"}, kinds)
        expect("maintenance ticket", any(s["ticket"] == "CHG-2026-0142" for s in sessions),
               sessions)
        flows_total = whole.get("flows", {}).get("total")
        expect("flows by verdict add up", flows_total == sum(
            whole.get("flows", {}).get("by_verdict", {}).values()), whole.get("flows"))
        first_alert = min(a["time"] for a in alerts) if alerts else ""

        # The capture's first hour: LI and operations traffic only.
        calm = report(db, "--from", "2026-02-10T00:00:00Z", "--to", "2026-02-10T01:00:00Z")
        expect("first hour before the first incident", first_alert > "2026-02-10T01:00:00",
               first_alert)
        expect("first hour: no_unauthorized_access_observed",
               calm.get("conclusion") == "no_unauthorized_access_observed",
               f"{calm.get('conclusion')} {calm.get('conclusion_reasons')}")
        expect("first hour: flows counted", 0 < calm.get("flows", {}).get("total", 0) < flows_total,
               calm.get("flows"))
        expect("first hour: LI sessions", any(s["rule_kind"] == "li" for s in
               calm.get("authorized_sessions", {}).get("sessions", [])), "")

        # Reaching back before the capture: the evening was not watched.
        early = report(db, "--from", "2026-02-09T22:00:00Z", "--to", "2026-02-10T01:00:00Z")
        expect("unwatched evening: coverage_incomplete",
               early.get("conclusion") == "coverage_incomplete", early.get("conclusion"))
        expect("unwatched stretch listed",
               len(early.get("coverage", {}).get("unwatched", [])) == 1, early.get("coverage"))

        # Signed: report verify passes untouched and fails after any one-byte change.
        root = os.path.join(KEYS, "root.pub")
        signed = os.path.join(work, "signed.json")
        r = owtest.run(["report", "--db", db, "--keys", KEYS, "-o", signed])
        expect("signed report written", r.returncode == 0, r.stderr)
        r = owtest.run(["report", "verify", signed, "--root-key", root])
        expect("untouched report verifies", r.returncode == 0 and "valid" in r.stdout,
               r.stdout + r.stderr)
        print(f"report verify, untouched: exit {r.returncode}")
        data = open(signed, "rb").read()
        doc = json.loads(data)
        expect("report embeds the checkpoint and certificates",
               doc["seal"]["sealed"] and doc["seal"]["checkpoint"]["reason"] == "run_end" and
               len(doc["seal"]["certificates"]) >= doc["signature"]["epoch"] and
               all(len(x["content_root"] or "") == 64 for x in doc["runs"]), doc.get("seal"))
        positions = sorted({0, 1, 2, len(data) // 7, len(data) // 3, len(data) // 2,
                            data.index(b'"conclusion"') + 16, data.index(b'"value"') + 12,
                            data.index(b'"content_root"') + 20, len(data) - 3, len(data) - 1})
        changed = os.path.join(work, "changed.json")
        codes = []
        for pos in positions:
            b = bytearray(data)
            b[pos] = ord(" ") if b[pos] != ord(" ") else ord("\t")
            if pos == data.index(b'"conclusion"') + 16:
                b[pos] = b[pos] ^ 0x20 if chr(b[pos]).isalpha() else ord("x")
            open(changed, "wb").write(bytes(b))
            r = owtest.run(["report", "verify", changed, "--root-key", root])
            codes.append(r.returncode)
            expect(f"one byte changed at {pos}: report verify fails", r.returncode == 3,
                   f"{r.returncode} {r.stdout}")
        print(f"report verify, one byte changed at {len(positions)} positions {positions}: "
              f"exit codes {codes}")
        os.mkdir(os.path.join(work, "other"))
        other = ec.make_keys(os.path.join(work, "other"), "other")
        r = owtest.run(["report", "verify", signed, "--root-key", os.path.join(other, "root.pub")])
        expect("another root key: report verify fails", r.returncode == 3, r.stdout)

        # A replay without a policy and a pcap with no packet prove nothing.
        nopol = os.path.join(work, "nopolicy.db")
        pcap, policy = ec.sample()
        r = owtest.run(["replay", "--no-progress", "--keys", KEYS, "--db", nopol, pcap])
        expect("replay without policy", r.returncode == 0, r.stderr)
        np_ = report(nopol)
        print(f"no --policy: {np_.get('conclusion')} {np_.get('conclusion_reasons')}")
        expect("no policy: coverage_incomplete naming it", np_.get("conclusion") ==
               "coverage_incomplete" and any("without a policy" in x for x in
                                             np_.get("conclusion_reasons", [])), np_)
        empty_pcap = os.path.join(work, "empty.pcap")
        open(empty_pcap, "wb").write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        empty = os.path.join(work, "empty.db")
        r = owtest.run(["replay", "--no-progress", "--keys", KEYS, "--policy", policy, "--db",
                        empty, empty_pcap])
        expect("replay of a zero-packet pcap", r.returncode == 0, r.stderr)
        ep = report(empty)
        print(f"zero-packet pcap: {ep.get('conclusion')} {ep.get('conclusion_reasons')}")
        expect("zero packets: coverage_incomplete naming it", ep.get("conclusion") ==
               "coverage_incomplete" and any("no packets" in x for x in
                                             ep.get("conclusion_reasons", [])), ep)
        # Unsealed evidence (a report without keys) is not proof either.
        KEYS, keys = None, KEYS
        us = report(db, "--from", "2026-02-10T00:00:00Z", "--to", "2026-02-10T01:00:00Z")
        KEYS = keys
        expect("unsealed: coverage_incomplete naming it", us.get("conclusion") ==
               "coverage_incomplete" and any("not sealed" in x for x in
                                             us.get("conclusion_reasons", [])), us)
        # A tampered store: evidence_invalid, whatever else it holds.
        bad = os.path.join(work, "tampered.db")
        ec.copy_store(db, bad)
        ec.sql(bad, "UPDATE flows SET pkts_toserver = pkts_toserver + 1 WHERE id = 5")
        tb = report(bad)
        print(f"tampered store: {tb.get('conclusion')} {tb.get('conclusion_reasons', [''])[0]}")
        expect("tampered: evidence_invalid", tb.get("conclusion") == "evidence_invalid", tb)

        # Bad usage.
        r = owtest.run(["report", "--db", db, "--from", "yesterday"])
        expect("bad --from", r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr)
        r = owtest.run(["report", "--db", db, "--format", "pdf"])
        expect("bad --format", r.returncode == 2, r.stderr)

        # HTML, printed.
        html = os.path.join(work, "report.html")
        r = owtest.run(["report", "--db", db, "--format", "html", "-o", html])
        expect("html report", r.returncode == 0 and os.path.getsize(html) > 2000, r.stderr)
        with open(html, encoding="utf-8") as f:
            page = f.read()
        expect("standalone page", "<script" not in page.lower() and "@page" in page and
               "http://" not in page and "https://" not in page, "")
        pdf_checks(html, work, head)

        # A run that never ended (killed) is not proof of anything.
        killed = os.path.join(work, "killed.db")
        pcap, policy = ec.sample()
        big = [pcap] * 400
        p = subprocess.Popen([owtest.omwitness(), "replay", "--no-progress", "--policy", policy,
                              "--keys", KEYS, "--db", killed, *big], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        deadline = time.time() + 20
        while time.time() < deadline:
            if os.path.exists(killed) and ec.query(killed, "SELECT count(*) FROM sqlite_schema "
                                                           "WHERE name = 'flows'")[0][0] and \
                    ec.query(killed, "SELECT count(*) FROM flows")[0][0] > 0:
                break
            time.sleep(0.01)
        p.send_signal(signal.SIGKILL)
        p.wait()
        if ec.query(killed, "SELECT count(*) FROM runs WHERE ended_wall IS NULL")[0][0]:
            k = report(killed)
            expect("killed run: coverage_incomplete or anomalies_found",
                   k.get("conclusion") in ("coverage_incomplete", "anomalies_found") and
                   any("did not end cleanly" in x for x in k.get("conclusion_reasons", [])),
                   k.get("conclusion_reasons"))
        else:
            print("note: the replay ended before it was killed; unended-run case not exercised")

    if failures:
        print("FAIL:\n  " + "\n  ".join(str(f) for f in failures))
        return 1
    print("ok: report conclusions, periods, HTML and PDF")
    return 0


if __name__ == "__main__":
    sys.exit(main())
