"""test_faults.py — fault injection over a replay of the sample night (faultsim.c), in the
manner of SQLite's do_faultsim_test: for each domain the fault-free run counts the fallible
calls, then runs are made in which the Nth one fails (every N early on, where set-up happens,
then a stride through the rest of the run):

  ours    omwitness's allocations and thread starts: flows, classifier state, evidence,
          rings, the writer's JSON buffer, worker and writer threads
  sqlite  SQLite's allocations, during flow, alert, evidence and run writes
  json    jansson's, while EVE lines are rendered for --jsonl
  ioerr   a write, sync or truncate of a store file returns SQLITE_IOERR
  full    the same returns SQLITE_FULL

Every run is sealed (its own keys), so epoch certificates, checkpoints and content roots are
written under the faults too.

After each run: a fault that took effect is reported (exit 1, lines on stderr) and one that
the code could absorb changes nothing; a store the fault left verifies (nothing
half-written), and against the root key too (every checkpoint and certificate whole, the
run's end sealed, its first records committed with its first checkpoint, so a run cut short
leaves at most a tail after its last checkpoint, or no record at all); a store whose making
the fault hit is absent or empty and opens as a new store; no alert appears
that the fault-free run does not have, none on a flow stored as classification failed; a run
is marked as ended cleanly only when everything the fault-free run stores is there. The
summary counts the injection points and the code sites they hit."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

FAULTSIM = os.environ.get("OW_FAULTSIM")
SRC = os.environ.get("OW_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
POLICY = os.path.join(SRC, "examples", "sample-policy.yaml")
PCAP = os.path.join(SRC, "examples", "sample-om-night.pcap")
PLAN = {  # domain: (every N up to, then this many more spread over the rest)
    "ours": (60, 50),
    "sqlite": (15, 30),
    "json": (5, 15),
    "ioerr": (20, 25),
    "full": (5, 15),
}
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def run(domain, points, work):
    d = tempfile.mkdtemp(dir=work)
    arg = "count" if points == "count" else ",".join(map(str, points))
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "detect_leaks=1")
    r = subprocess.run([FAULTSIM, domain, arg, d, POLICY, PCAP], capture_output=True, text=True,
                       timeout=900, env=env)
    if r.returncode != 0:
        fail(f"{domain}: faultsim exited {r.returncode}: {r.stderr[-2000:]}")
        return []
    shutil.rmtree(d, ignore_errors=True)
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


def sites(addresses):
    if not addresses or not shutil.which("addr2line"):
        return {}
    r = subprocess.run(["addr2line", "-f", "-s", "-e", FAULTSIM, *addresses], capture_output=True, text=True)
    out = r.stdout.splitlines()
    return {a: f"{out[2 * i]} ({out[2 * i + 1]})" for i, a in enumerate(addresses) if 2 * i + 1 < len(out)}


def main():
    if not FAULTSIM or not os.access(FAULTSIM, os.X_OK):
        print("FAIL: OW_FAULTSIM is not set to the built faultsim")
        return 1
    base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    work = tempfile.mkdtemp(prefix="ow-faults-", dir=base)
    total_points = total_fired = 0
    try:
        for domain, (dense, spread) in PLAN.items():
            base_run = run(domain, "count", work)
            if not base_run:
                continue
            b = base_run[0]
            baseline = {tuple(a) for a in b["alerts"]}
            if b["rc"] != 0 or b["verify"] != 0 or b.get("seal") != 0 or not baseline:
                fail(f"{domain}: the fault-free run: exit {b['rc']}, verify {b['verify']}, "
                     f"{len(baseline)} alerts: {b['stderr']}")
                continue
            calls = b["calls"]
            points = list(range(1, min(dense, calls) + 1))
            if calls > dense:
                step = max(1, (calls - dense) // spread)
                points += list(range(dense + step, calls + 1, step))[:spread]
            results = run(domain, points, work)
            fired = reported = absorbed = sealed = 0
            messages, where = {}, {}
            for r in results:
                n = r["n"]
                tag = f"{domain} N={n}"
                lines = [l for l in r["stderr"].splitlines() if l.strip()]
                if r["fired"]:
                    fired += 1
                    if r.get("site"):
                        where[r["site"]] = where.get(r["site"], 0) + 1
                if r["rc"] != 0:
                    reported += 1
                    if not r["fired"]:
                        fail(f"{tag}: exit {r['rc']} without a fault: {r['stderr']}")
                    if not lines or not all(l.startswith("omwitness") for l in lines):
                        fail(f"{tag}: exit {r['rc']} without saying why: {r['stderr']!r}")
                    for l in lines:
                        key = l.split(": ", 2)[-1][:70]
                        messages[key] = messages.get(key, 0) + 1
                elif r["fired"]:
                    absorbed += 1
                    got = {tuple(a) for a in r.get("alerts", [])}
                    if got != baseline or r.get("flows") != b["flows"] or r.get("unclassified"):
                        fail(f"{tag}: exit 0 after a fault, but the store differs from the fault-free "
                             f"run ({len(got)} alerts, {r.get('flows')} flows)")
                if r.get("empty") and not r.get("reopens"):
                    fail(f"{tag}: the store the fault left empty cannot be opened again")
                if r.get("store"):
                    if r.get("verify") != 0:
                        fail(f"{tag}: the store does not verify after the fault: {r.get('problem')}")
                    # The run's first records commit with its first checkpoint, so whatever
                    # a fault leaves is sealed up to its last commit: or holds no record.
                    if r.get("seal") == 0:
                        sealed += 1
                    else:
                        fail(f"{tag}: the store the fault left does not verify with the root "
                             f"key: {r.get('seal_problem')}")
                    extra = {tuple(a) for a in r.get("alerts", [])} - baseline
                    if extra:
                        fail(f"{tag}: alerts the fault-free run does not raise: {sorted(extra)}")
                    if r.get("unclassified_alerts"):
                        fail(f"{tag}: an alert on a flow whose classification failed")
                    complete = ({tuple(a) for a in r.get("alerts", [])} == baseline and
                                r.get("flows") == b["flows"] and not r.get("unclassified"))
                    if r.get("runs_clean") and not complete:
                        fail(f"{tag}: a run marked as ended cleanly lacks flows or alerts, or has "
                             f"unclassified ones")
            total_points += len(results)
            total_fired += fired
            print(f"{domain}: {calls} fallible calls in the fault-free run; {len(results)} injection points "
                  f"run, {fired} fired: {reported} reported and exited 1, {absorbed} absorbed with the "
                  f"store exactly as without the fault; {sealed} stores verify with the root key")
            for m, k in sorted(messages.items(), key=lambda x: -x[1])[:12]:
                print(f"    {k:3d}x {m}")
            if where:
                named = sites(sorted(where))
                funcs = sorted({named.get(a, a).split(" (")[0] for a in where})
                print(f"    {len(where)} distinct code sites, in {len(funcs)} functions: {', '.join(funcs)}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"faults: {total_points} injection points, {total_fired} fired, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
