#!/bin/bash
# bench_occlude.sh [SAMPLES] [MODEL…]: the occlusion-run benchmark of docs/benchmarks.md.
# For each bundled demo model (default: transpose_r tokenpose hrpvt), records the first SAMPLES
# (default 6) persons of the bundled SynthPose validation split with `record` and with `occlude`
# (32 px windows at stride 16, 16 px targeted regions, default batches), back to back in one run,
# and prints samples/s of each and their ratio.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cli=${CLI:-$root/build/analysis/posescope-cli}
[ -x "$cli" ] || { echo "bench_occlude.sh: build posescope-cli first (scripts/setup.sh)" >&2; exit 1; }
samples=${1:-6}
shift || true
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(transpose_r tokenpose hrpvt)
data=$root/resources/demo/synthpose
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '| model | record samples/s | occlude samples/s | occlude ÷ record time |\n|---|---:|---:|---:|\n'
for m in "${models[@]}"; do
  args=(--config "$root/resources/models/demo_$m.yaml" --checkpoint "$root/resources/models/demo_$m.pth"
        --dataset "$data/annotations/person_keypoints_val.json" --images "$data/images/val" --subset "$samples")
  t0=$(date +%s.%N)
  "$cli" record "${args[@]}" --out "$work/$m.h5" >/dev/null 2>&1
  t1=$(date +%s.%N)
  "$cli" occlude "${args[@]}" --out "$work/${m}_occ.h5" >/dev/null 2>&1
  t2=$(date +%s.%N)
  awk -v m="$m" -v n="$samples" -v a="$t0" -v b="$t1" -v c="$t2" \
    'BEGIN { r = b - a; o = c - b; printf "| %s demo | %.2f | %.3f | %.0f× |\n", m, n / r, n / o, o / r }'
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
