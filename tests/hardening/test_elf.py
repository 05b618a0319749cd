"""test_elf.py — the omwitness binary is built hardened, read off its ELF with readelf: a
position-independent executable, full RELRO (a GNU_RELRO segment and BIND_NOW), no executable
stack, the stack protector (__stack_chk_fail) and FORTIFY (__*_chk functions; not with
buildtype=plain or -O0, where FORTIFY does nothing)."""
import os
import re
import shutil
import subprocess
import sys

exe = os.environ.get("OMWITNESS")
optimization = os.environ.get("OW_OPTIMIZATION", "2")
failed = 0


def check(cond, what):
    global failed
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failed += 1


def readelf(*args):
    return subprocess.run(["readelf", "-W", *args, exe], capture_output=True, text=True, check=True).stdout


def main():
    if not shutil.which("readelf"):
        print("SKIP: readelf (binutils) is not installed")
        return 77
    header, dynamic, segments, syms = readelf("-h"), readelf("-d"), readelf("-l"), readelf("--dyn-syms")
    etype = re.search(r"Type:\s+(.*)", header).group(1)
    check(etype.startswith("DYN"), f"PIE: ELF type {etype}")
    flags = " ".join(m[1] for m in re.findall(r"\((FLAGS|FLAGS_1)\)\s+(.*)", dynamic))
    check("BIND_NOW" in flags or re.search(r"\bNOW\b", flags), f"BIND_NOW: dynamic flags {flags!r}")
    check("PIE" in flags, f"FLAGS_1 PIE: {flags!r}")
    check("GNU_RELRO" in segments, "a GNU_RELRO segment (with BIND_NOW: full RELRO)")
    stack = re.search(r"GNU_STACK.*\s(R[W ]?E?)\s+0x", segments)
    check(stack and "E" not in stack.group(1), f"no executable stack: {stack.group(1) if stack else 'no GNU_STACK'}")
    names = set(re.findall(r"\s(__\w+)@", syms))
    check("__stack_chk_fail" in names, "stack protector: __stack_chk_fail is imported")
    chk = sorted(n for n in names if n.endswith("_chk") and n != "__stack_chk_fail")
    if optimization in ("0", "plain"):
        print(f"note: optimization {optimization}: FORTIFY does nothing there, not checked ({chk})")
    else:
        check(len(chk) >= 3, f"FORTIFY: checked libc calls imported: {', '.join(chk)}")
    print(f"elf: {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
