#!/usr/bin/env bash
# replay_throughput.sh — packets/s and flows/s of `omwitness replay` over the nDPI test corpus
# (all of ../shared/data/pcaps/ndpi-4.2 in one run), with 1 and 2 worker threads, and peak
# memory (maximum resident set). Usage: bench/replay_throughput.sh [BUILD_DIR] [REPEAT]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
repeat=${2:-3}
exe=$build/sensor/omwitness
data=../shared/data/pcaps/ndpi-4.2
[[ -x $exe ]] || { echo "build first: $exe missing"; exit 1; }
[[ -d $data ]] || { echo "$data absent"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# Repeat the corpus so a run lasts long enough to measure.
files=()
for _ in $(seq "$repeat"); do files+=("$data"/*.pcap); done
for t in 1 2; do
  rm -f "$tmp"/b.db*
  /usr/bin/time -f "%e %M" -o "$tmp/time" "$exe" replay --no-progress --threads "$t" --db "$tmp/b.db" "${files[@]}" 2>/dev/null || true
  read -r secs rss < "$tmp/time"
  read -r pkts flows < <(sqlite3 "$tmp/b.db" "select sum(packets), sum(flows) from runs" | tr '|' ' ')
  awk -v t="$t" -v s="$secs" -v p="$pkts" -v f="$flows" -v r="$rss" \
    'BEGIN { printf "threads %d: %d packets, %d flows in %.2f s: %.0f packets/s, %.0f flows/s, max RSS %.0f MiB\n", t, p, f, s, p/s, f/s, r/1024 }'
done
