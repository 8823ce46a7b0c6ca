#!/bin/bash
# bench_record.sh [PRESET…] [-- SAMPLES ROUNDS]: the run store benchmark of docs/benchmarks.md.
# Generates a 30-image SynthPose split in a temporary folder and runs tests/bench/record_bench.cpp
# (plain inference vs record at each level, bytes per sample, resume cost, read latency on a
# 10,000-sample file) for each preset (default: transpose-h-a4 transpose-r-a4).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-}
for d in build build-lead; do
  [ -z "$build" ] && [ -x "$root/$d/tests/record_bench" ] && build=$root/$d
done
[ -n "$build" ] || { echo "bench_record.sh: build tests/record_bench first (scripts/setup.sh)" >&2; exit 1; }
presets=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do presets+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
samples=${1:-16} rounds=${2:-3}
[ ${#presets[@]} -gt 0 ] || presets=(transpose-h-a4 transpose-r-a4)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build/analysis/posescope-cli" synth --out "$work/data" --n 30 --seed 5 --split val >/dev/null
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for p in "${presets[@]}"; do
  "$build/tests/record_bench" "$p" "$work/data/annotations/person_keypoints_val.json" "$work/data/images/val" \
    "$samples" "$work/$p" "$rounds"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
