"""test_units.py — the service units in deploy/ and the sysusers entry: systemd-analyze verify
accepts both units without a single complaint (it exits 0 even on unknown keys, so any line it
prints fails the test), each has the hardening the deployment relies on, and
systemd-sysusers --dry-run accepts the users. Skips with one line where systemd is absent."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

SRC = os.environ.get("OW_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
OMW = os.environ.get("OMWITNESS")
failed = 0

NEEDED = {
    "omwitness-capture@.service": ["User=omwitness", "AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN",
                                   "CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN", "NoNewPrivileges=yes",
                                   "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
                                   "ReadWritePaths=/var/lib/omwitness", "RestrictAddressFamilies=",
                                   "SystemCallFilter=@system-service", "--group omwitness"],
    "omwitness-serve.service": ["User=omwitness-web", "SupplementaryGroups=omwitness", "NoNewPrivileges=yes",
                                "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
                                "ReadOnlyPaths=/var/lib/omwitness", "RestrictAddressFamilies=",
                                "SystemCallFilter=@system-service", "CapabilityBoundingSet=\n", "--tokens"],
}


def check(cond, what):
    global failed
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failed += 1


def main():
    if not shutil.which("systemd-analyze"):
        print("SKIP: systemd-analyze is not installed (no systemd here)")
        return 77
    bindir = os.path.dirname(os.path.abspath(OMW))
    with tempfile.TemporaryDirectory() as d:
        paths = []
        for unit, needs in NEEDED.items():
            text = open(os.path.join(SRC, "deploy", unit + ".in")).read().replace("@BINDIR@", bindir)
            for n in needs:
                check(n in text, f"{unit}: {n.strip()}")
            name = unit.replace("@.", "@eth0.")     # a template is verified as an instance
            p = os.path.join(d, name)
            with open(p, "w") as f:
                f.write(text)
            paths.append(p)
        r = subprocess.run(["systemd-analyze", "verify", "--man=no", *paths], capture_output=True, text=True)
        out = (r.stdout + r.stderr).strip()
        check(r.returncode == 0 and not out, f"systemd-analyze verify: exit {r.returncode} {out!r}")
    if shutil.which("systemd-sysusers"):
        r = subprocess.run(["systemd-sysusers", "--dry-run", os.path.join(SRC, "deploy", "omwitness.sysusers")],
                           capture_output=True, text=True)
        check(r.returncode == 0 and "Failed" not in r.stderr, f"systemd-sysusers --dry-run: {r.returncode}")
    else:
        print("note: systemd-sysusers is not installed: the sysusers entry is not checked")
    print(f"units: {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
