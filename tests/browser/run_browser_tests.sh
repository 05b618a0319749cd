#!/bin/sh
# run_browser_tests.sh — runs the web UI's browser tests (node's test runner driving Debian's
# chromium through playwright-core). Exits 77, which meson reports as skipped, with one line
# saying why when chromium, node or tests/browser/node_modules is missing.
dir=$(cd "$(dirname "$0")" && pwd)
if [ ! -x /usr/bin/chromium ]; then
  echo "SKIP: /usr/bin/chromium is missing (scripts/setup.sh installs it)"; exit 77
fi
if ! command -v node >/dev/null 2>&1; then
  echo "SKIP: node is missing (scripts/setup.sh installs nodejs)"; exit 77
fi
if [ ! -d "$dir/node_modules/playwright-core" ]; then
  echo "SKIP: $dir/node_modules is missing (run 'npm ci' there, or scripts/setup.sh)"; exit 77
fi
exec node --test --test-concurrency=1 "$dir"/*.test.mjs
