"""test_sandbox.py — the capture's sandbox, one probe process each (sandbox_probe.c): after
the drop, threads, files, time and memory still work; execve, ptrace, a new socket, fork and
an ioctl outside the list kill the process with SIGSYS; /proc shows no capabilities,
no_new_privs and seccomp filter mode. As root it also switches to an unprivileged user."""
import os
import pwd
import signal
import subprocess
import sys

probe = os.environ.get("OW_SANDBOX_PROBE")
failed = 0


def check(cond, what):
    global failed
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failed += 1


def run(*args):
    env = dict(os.environ)
    # LeakSanitizer stops the world with ptrace at exit, which the filter forbids.
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
    return subprocess.run([probe, *args], capture_output=True, text=True, timeout=30, env=env)


def status_fields(text):
    out = {}
    for line in text.splitlines():
        k, _, v = line.partition(":")
        out[k] = v.split()
    return out


def main():
    if not probe or not os.access(probe, os.X_OK):
        print("FAIL: OW_SANDBOX_PROBE is not set to the built probe")
        return 1
    r = run("ok")
    check(r.returncode == 0, f"allowed work after the drop: exit {r.returncode} {r.stderr.strip()}")
    for what in ("execve", "ptrace", "socket", "fork", "ioctl"):
        r = run(what)
        check(r.returncode == -signal.SIGSYS,
              f"{what} after the drop kills the process with SIGSYS (got {r.returncode})")
    users = []
    if os.geteuid() == 0:
        for name in ("omwitness", "nobody"):
            try:
                pwd.getpwnam(name)
                users.append(name)
                break
            except KeyError:
                pass
    else:
        print("note: not root, so the user switch is not exercised here")
    for user in [None] + users:
        args = (["--user", user] if user else []) + ["status"]
        r = run(*args)
        f = status_fields(r.stdout)
        who = f"--user {user}" if user else "same user"
        check(r.returncode == 0, f"{who}: status probe ran ({r.returncode} {r.stderr.strip()})")
        if r.returncode:
            continue
        print(f"  {who}: " + "  ".join(f"{k}: {' '.join(f.get(k, []))}" for k in
                                       ("Uid", "Gid", "Groups", "CapEff", "CapPrm", "CapAmb", "NoNewPrivs", "Seccomp")))
        check(f["CapEff"] == ["0000000000000000"] and f["CapPrm"] == ["0000000000000000"] and
              f.get("CapAmb") == ["0000000000000000"], f"{who}: no capabilities left")
        check(f["NoNewPrivs"] == ["1"] and f["Seccomp"] == ["2"], f"{who}: no_new_privs and a seccomp filter")
        if user:
            uid = pwd.getpwnam(user).pw_uid
            check(all(int(x) == uid for x in f["Uid"]) and all(int(x) != 0 for x in f["Gid"]),
                  f"{who}: every uid is {uid}, no gid is 0")
            check(f.get("Groups", []) == [], f"{who}: no supplementary groups")
            check(f["CapBnd"] == ["0000000000000000"], f"{who}: empty bounding set")
        r2 = run(*(["--user", user] if user else []), "execve")
        check(r2.returncode == -signal.SIGSYS, f"{who}: execve kills ({r2.returncode})")
    print(f"sandbox: {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
