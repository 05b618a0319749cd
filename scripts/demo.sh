#!/usr/bin/env bash
# demo.sh — the README's first command: installs what is missing, builds omwitness, replays
# the bundled sample night (examples/sample-om-night.pcap) against the sample policy
# (examples/sample-policy.yaml) into build/sample.db, and shows the alerts.
set -euo pipefail
cd "$(dirname "$0")/.."
OW_SETUP_BROWSER=0 scripts/setup.sh
[[ -f build/build.ninja ]] || meson setup build >/dev/null
ninja -C build >/dev/null
rm -f build/sample.db build/sample.db-wal build/sample.db-shm
build/sensor/omwitness replay --policy examples/sample-policy.yaml --db build/sample.db \
  examples/sample-om-night.pcap
echo
build/sensor/omwitness alerts --db build/sample.db --format table
echo
echo "flows: build/sensor/omwitness flows --db build/sample.db --format table"
