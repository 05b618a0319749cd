#!/usr/bin/env python3
"""`policy learn` on the sample night (docs/policy.md "Learning a draft"):
- the clean night (scripts/gen_om_night.py --clean) gives a draft that passes `policy check`;
  replaying the night against it alerts only on flows the draft marked "# review:", and with
  the review items accepted as written (the prefix removed) on none;
- the night with incidents, against the accepted draft, alerts on every one of its incidents
  (none of their flows is in the baseline);
- --db on a store of the same night writes the same draft;
- --policy examples/sample-policy.yaml keeps that policy: every flow keeps its verdict, and
  what the policy did not cover (the incidents) is proposed for review only;
- the draft file is private (0600), and bad invocations fail with one line and exit 2."""
import os
import re
import stat
import subprocess
import sys
import tempfile

import owtest
import scenario

ROOT = os.environ.get("OW_SOURCE_ROOT") or os.path.join(os.path.dirname(__file__), "..", "..")
SAMPLE_POLICY = os.path.join(ROOT, "examples", "sample-policy.yaml")
SAMPLE_NIGHT = os.path.join(ROOT, "examples", "sample-om-night.pcap")


def replay(work, name, pcap, policy):
    db = os.path.join(work, name + ".db")
    r = owtest.run(["replay", "--no-progress", "--policy", policy, "--db", db, pcap])
    if r.returncode != 0:
        raise SystemExit(f"FAIL: replay {pcap} against {policy}: exit {r.returncode}: {r.stderr}")
    flows = owtest.jsonl(owtest.run(["flows", "--db", db, "--format", "jsonl"]).stdout)
    alerts = owtest.jsonl(owtest.run(["alerts", "--db", db, "--format", "jsonl"]).stdout)
    return flows, alerts


def key(e):
    return (e["src_ip"], e["src_port"], e["dest_ip"], e["dest_port"])


def accept_reviews(draft, out):
    text = open(draft).read()
    open(out, "w").write(text.replace("# review: ", ""))
    return re.findall(r"# review: - id: (\S+)", text)


def main():
    failures = []
    with tempfile.TemporaryDirectory() as work:
        clean = os.path.join(work, "clean.pcap")
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen_om_night.py"), "--clean", clean], check=True)
        draft = os.path.join(work, "draft.yaml")
        r = owtest.run(["policy", "learn", "--no-progress", "-o", draft, clean])
        if r.returncode != 0:
            print(f"FAIL: policy learn exited {r.returncode}: {r.stderr}")
            return 1
        print(r.stderr.strip())
        if stat.S_IMODE(os.stat(draft).st_mode) != 0o600:
            failures.append(f"draft mode {oct(stat.S_IMODE(os.stat(draft).st_mode))}, want 0600")
        r = owtest.run(["policy", "check", draft])
        if r.returncode != 0:
            failures.append(f"draft fails policy check: {r.stderr}")
        accepted = os.path.join(work, "accepted.yaml")
        review_ids = accept_reviews(draft, accepted)
        r = owtest.run(["policy", "check", accepted])
        if r.returncode != 0:
            failures.append(f"draft with its review items accepted fails policy check: {r.stderr}")
        if len(review_ids) != 5:
            failures.append(f"review items: {review_ids}, want the X2, X3, HI2, HI3 and vendor SSH rules")

        # the baseline against the draft, and against the draft accepted
        _, alerts = replay(work, "clean-draft", clean, draft)
        flows_acc, alerts_acc = replay(work, "clean-accepted", clean, accepted)
        rule_of = {key(f): f["verdict"].get("rule") for f in flows_acc}
        for a in alerts:
            if rule_of.get(key(a)) not in review_ids:
                failures.append(f"alert on a flow no review item covers: {key(a)} {a['app_proto']} {a['alert']['kind']}")
        if not alerts:
            failures.append("the draft raised no alert at all: the LI and vendor flows must wait for review")
        if alerts_acc:
            failures.append(f"accepted draft still alerts on the baseline: {[key(a) for a in alerts_acc]}")
        unauthorized = [key(f) for f in flows_acc if f["verdict"]["status"] != "authorized"]
        if unauthorized:
            failures.append(f"baseline flows the accepted draft does not authorize: {unauthorized}")

        # the night with incidents against the accepted draft
        _, alerts = replay(work, "night-accepted", SAMPLE_NIGHT, accepted)
        seen = {key(a) for a in alerts}
        for k in scenario.INCIDENTS:
            if k not in seen:
                failures.append(f"incident {k} raised no alert against the accepted draft")
        if len(alerts) != len(scenario.INCIDENTS):
            failures.append(f"{len(alerts)} alerts for {len(scenario.INCIDENTS)} incidents: "
                            f"{sorted(seen - set(scenario.INCIDENTS))} are not incidents")

        # from a store: the same draft
        db = os.path.join(work, "clean-store.db")
        owtest.run(["replay", "--no-progress", "--db", db, clean])
        from_db = os.path.join(work, "from-db.yaml")
        r = owtest.run(["policy", "learn", "--no-progress", "-o", from_db, "--db", db])
        body = lambda p: open(p).read().split("\n", 1)[1]   # noqa: E731 (the header names the source)
        if r.returncode != 0 or body(from_db) != body(draft):
            failures.append(f"learn --db differs from learn PCAP (exit {r.returncode}: {r.stderr})")

        # extending the sample policy
        ext = os.path.join(work, "extended.yaml")
        r = owtest.run(["policy", "learn", "--no-progress", "--policy", SAMPLE_POLICY, "-o", ext, SAMPLE_NIGHT])
        print(r.stderr.strip())
        if r.returncode != 0 or owtest.run(["policy", "check", ext]).returncode != 0:
            failures.append(f"learn --policy: exit {r.returncode}: {r.stderr}")
        else:
            base_flows, _ = replay(work, "night-base", SAMPLE_NIGHT, SAMPLE_POLICY)
            ext_flows, _ = replay(work, "night-ext", SAMPLE_NIGHT, ext)
            verdict = lambda f: (f["verdict"]["status"], f["verdict"].get("rule"), f["verdict"].get("kind"))  # noqa: E731
            base_v = {key(f): verdict(f) for f in base_flows}
            for f in ext_flows:
                if base_v.get(key(f)) != verdict(f):
                    failures.append(f"--policy changed a verdict: {key(f)} {base_v.get(key(f))} -> {verdict(f)}")
            text = open(ext).read()
            active = re.findall(r"^  - id: (\S+)", text, re.M)
            proposed = re.findall(r"# review: - id: (\S+)", text)
            base_ids = re.findall(r"^  - id: (\S+)", open(SAMPLE_POLICY).read(), re.M)
            if active != base_ids:
                failures.append(f"--policy: active rules {active}, want the sample's {base_ids}")
            if len(proposed) < 8:
                failures.append(f"--policy: only {len(proposed)} proposals for the night's 10 incidents")

        # bad invocations
        for args in (["policy", "learn"], ["policy", "learn", "--db", os.path.join(work, "nope.db")],
                     ["policy", "learn", "--db", db, clean], ["policy", "learn", "--bogus", clean],
                     ["policy", "learn", "--policy", os.path.join(work, "nope.yaml"), clean]):
            r = owtest.run(args)
            if r.returncode != 2 or len(r.stderr.strip().splitlines()) != 1:
                failures.append(f"{' '.join(args[2:])}: exit {r.returncode}, stderr {r.stderr!r}")
    print(f"policy learn: {len(failures)} failures")
    for f in failures:
        print("FAIL: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
