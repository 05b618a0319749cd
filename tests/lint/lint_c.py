#!/usr/bin/env python3
"""lint_c.py — checks of the C sources that the compiler does not make, as Suricata's
coccinelle scripts do for its tree:

- banned calls: strcpy, strcat, sprintf, vsprintf and gets, which cannot be told how big their
  destination is (snprintf, memcpy with a checked length, or a sized append instead);
- unchecked allocations: the result of malloc, calloc, realloc, strdup, strndup,
  aligned_alloc or open_memstream (and the ow_ wrappers of common/alloc.h) must be returned to
  the caller, or tested against NULL within the next few lines (if (!p), p == NULL, if (p),
  p ? ..., || !p, cmocka's assert_non_null(p)). Anything else is flagged.

Comments and string literals are blanked first, so prose and messages do not trip it.
Usage: lint_c.py [ROOT]   (exit 1 and FILE:LINE: problem lines when something is found)."""
import os
import re
import sys

DIRS = ("sensor", "db", "classifiers", "tests", "bench")
BANNED = re.compile(r"(?<![\w.>])(strcpy|strcat|sprintf|vsprintf|gets)\s*\(")
ALLOC = re.compile(r"(?<![\w.>])(?:ow_)?(malloc|calloc|realloc|strdup|strndup|aligned_alloc|"
                   r"open_memstream|reallocarray)\s*\(")
LOOKAHEAD = 10


def blank_comments_and_strings(text):
    """Same length and line breaks, with comments and literals replaced by spaces."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("".join(ch if ch == "\n" else " " for ch in text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(c + " " * max(0, j - i - 2) + (c if j - i >= 2 else ""))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def target_of(lines, idx, start):
    """The variable an allocation starting at column start of line idx is assigned to (the
    statement may begin a line or two above), without a leading '*'; or None."""
    text = lines[idx][:start]
    for back in (1, 2):
        if "=" in text.replace("==", "").replace("!=", "") or idx - back < 0:
            break
        prev = lines[idx - back]
        if re.search(r"[;{}]\s*$", prev):
            break
        text = prev + " " + text
    # The last plain '=' (not ==, !=, <=, >=) of the statement, and the lvalue before it.
    pos = -1
    for m in re.finditer(r"(?<![=!<>])=(?!=)", text):
        pos = m.start()
    if pos < 0:
        return None
    m = re.search(r"\(\s*\*\s*([A-Za-z_]\w*)\s*\)\s*\[[^\]]*\]\s*$", text[:pos])
    if m:                     # a pointer to an array: char (*ids)[N] = malloc(...)
        return m.group(1)
    m = re.search(r"(\*?\s*[A-Za-z_]\w*(?:\s*(?:->|\.)\s*[A-Za-z_]\w*|\s*\[[^\]]*\])*)\s*$", text[:pos])
    return re.sub(r"\s+", "", m.group(1)).lstrip("*") if m else None


def checked(lines, idx, start, var):
    line = lines[idx]
    head = line[:start]
    # Inside a condition on the same line: if (!(p = malloc(...))), while ((p = ...)).
    if re.search(r"\b(if|while)\s*\(", head):
        return True
    if re.search(r"\breturn\b", head):
        return True
    if var is None:
        return False
    v = r"\*?" + re.escape(var)
    end = r"(?!\w)"
    pat = re.compile(rf"(!\(?{v}{end}(?!(->|\.|\[)))|({v}[!=]=NULL)|(NULL[!=]={v}{end})|"
                     rf"(\b(if|while)\({v}\))|({v}\?)|((\|\||&&){v}[)&|])|"
                     rf"(assert(_non_null|_true)?\({v}{end})|(\breturn{v};)")
    window = "\n".join(lines[idx:idx + LOOKAHEAD])[len(head):]
    # Spaces are left out on both sides, so "t->cells[i * n]" matches however it is spaced.
    return bool(pat.search(re.sub(r"[ \t\n]+", "", window.replace("return ", "return"))))


def lint_file(path, rel):
    text = blank_comments_and_strings(open(path, encoding="utf-8", errors="replace").read())
    lines = text.split("\n")
    problems = []
    for i, line in enumerate(lines):
        for m in BANNED.finditer(line):
            problems.append(f"{rel}:{i + 1}: {m.group(1)}() is banned (its destination size is unknown)")
        for m in ALLOC.finditer(line):
            prefix = line[:m.start()].strip()
            if prefix and re.fullmatch(r"[\w\s\*]+", prefix) and not re.search(r"\breturn\b", prefix):
                continue      # a declaration or definition ("void *ow_malloc(size_t n)")
            var = target_of(lines, i, m.start())
            if not checked(lines, i, m.start(), var):
                what = f"'{var}'" if var else "its result"
                problems.append(f"{rel}:{i + 1}: {m.group(1)}() result {what} is not checked for NULL "
                                f"within {LOOKAHEAD} lines")
    return problems


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                           os.path.join(os.path.dirname(__file__), "..", ".."))
    problems, files = [], 0
    for d in DIRS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, d)):
            dirnames[:] = [x for x in dirnames if x not in ("node_modules", "out") and not x.startswith(".")]
            for f in sorted(filenames):
                if f.endswith((".c", ".h")):
                    files += 1
                    p = os.path.join(dirpath, f)
                    problems += lint_file(p, os.path.relpath(p, root))
    for p in problems:
        print(p)
    print(f"lint_c: {files} files, {len(problems)} problem{'s' if len(problems) != 1 else ''}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
