#!/usr/bin/env bash
# test.sh — the project's test command (README, .ci/run): installs what is missing, builds
# and runs the whole suite twice — a normal build and an ASan+UBSan build — builds a release
# build with gcc and a plain one with clang and runs their unit and hardening checks, then
# runs each libFuzzer target for a bounded time. Warnings are errors in every build here
# (-Dwerror=true), not in a user's own build. Prints "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)

scripts/setup.sh || { echo "setup failed"; exit 1; }

passed=0 failed=0 skipped=0
run_suite() {   # $1 build dir, $2... meson setup options
  local dir=$1; shift
  if [[ ! -f "$dir/build.ninja" ]]; then
    meson setup "$dir" -Dwerror=true "$@" >/dev/null || { echo "meson setup $dir failed"; failed=$((failed + 1)); return; }
  else
    meson configure "$dir" -Dwerror=true "$@" >/dev/null || { echo "meson configure $dir failed"; failed=$((failed + 1)); return; }
  fi
  if ! ninja -C "$dir" >/dev/null; then
    ninja -C "$dir" | tail -40
    echo "build in $dir failed"; failed=$((failed + 1)); return
  fi
  meson test -C "$dir" --print-errorlogs --num-processes 2 "${MESON_TEST_ARGS[@]}"
  local log="$dir/meson-logs/testlog.json"
  if [[ -f "$log" ]]; then
    read -r p f s < <(python3 - "$log" <<'PY'
import json, sys
p = f = s = 0
for line in open(sys.argv[1]):
    r = json.loads(line).get("result")
    if r in ("OK", "EXPECTEDFAIL"): p += 1
    elif r == "SKIP": s += 1
    else: f += 1
print(p, f, s)
PY
)
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  else
    failed=$((failed + 1))
  fi
}

MESON_TEST_ARGS=()
echo "== normal build =="
run_suite build
echo "== ASan+UBSan build =="
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
MESON_TEST_ARGS=(--timeout-multiplier 4)
run_suite build-asan -Db_sanitize=address,undefined -Db_lundef=false

# Other compilers and build types: they must build without a warning; their unit tests and
# hardening checks (readelf, the sandbox) run, not the whole suite again.
unset ASAN_OPTIONS UBSAN_OPTIONS
MESON_TEST_ARGS=(--suite decode --suite db --suite engine --suite li --suite policy --suite build-checks)
echo "== release build (gcc) =="
CC=gcc run_suite build-release --buildtype=release
echo "== plain build (clang) =="
if command -v clang >/dev/null; then
  CC=clang run_suite build-clang --buildtype=plain
else
  echo "SKIP: clang is not installed"; skipped=$((skipped + 1))
fi

if [[ -x tests/fuzz/run_fuzzers.sh ]]; then
  echo "== fuzzers (${OW_FUZZ_SECONDS:-20} s each) =="
  if tests/fuzz/run_fuzzers.sh "${OW_FUZZ_SECONDS:-20}"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
fi

echo
echo "$passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 ]]
