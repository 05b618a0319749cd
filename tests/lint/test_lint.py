"""test_lint.py — runs lint_c.py over the tree (it must find nothing) and over a planted file
(it must find each banned call and each unchecked allocation in it, and nothing in the
checked ones), so the check itself is shown to work."""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
LINT = os.path.join(HERE, "lint_c.py")
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))

PLANTED = r'''
/* strcpy(a, b) in a comment is fine, and so is "sprintf(" in a string */
void f(char *d, const char *s, size_t n)
{
    strcpy(d, s);                       /* 4: banned */
    strcat(d, s);                       /* 5: banned */
    sprintf(d, "%s", s);                /* 6: banned */
    char *a = malloc(n);                /* 7: never checked */
    memcpy(a, s, n);
    char *b = malloc(n);
    if (!b)
        return;
    char *c = ow_calloc(1, n);
    if (c == NULL)
        return;
    struct x *t = calloc(1, sizeof *t), *u = calloc(1, sizeof *u);   /* 15: u unchecked */
    if (!t)
        return;
    t->p = n ? strdup(s) : NULL;        /* 18: never checked */
    use(t->p);
    if (!(t->q = realloc(t->q, n)))
        return;
    snprintf(d, n, "%s", s);
    char line[80];
    fgets(line, sizeof line, stdin);
}
'''


def main():
    r = subprocess.run([sys.executable, LINT, ROOT], capture_output=True, text=True)
    print(r.stdout.strip())
    ok = r.returncode == 0
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, "sensor"))
        with open(os.path.join(d, "sensor", "planted.c"), "w") as f:
            f.write(PLANTED)
        p = subprocess.run([sys.executable, LINT, d], capture_output=True, text=True)
    found = sorted(int(line.split(":")[1]) for line in p.stdout.splitlines() if line.startswith("sensor/"))
    want = [5, 6, 7, 8, 16, 19]          # 1-based lines of the planted file (it starts with \n)
    print(f"planted file: flagged lines {found}, expected {want}")
    ok = ok and found == want and p.returncode == 1
    print("lint: " + ("ok" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
