#!/bin/bash
# bench_train.sh [CONFIG.yaml…] [-- SAMPLES]: the training benchmark of docs/benchmarks.md.
# Generates a 300-image SynthPose split in a temporary folder and trains each configuration
# (default: the demo models' resources/models/demo_transpose_{r,h}.yaml) for one epoch of SAMPLES
# persons (default 160) with the full augmentation, batch 16, then prints the epoch's training
# samples/s and how long the optimisation loop waited for the loader thread.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cli=$(ls -t "$root"/build*/analysis/posescope-cli 2>/dev/null | head -1)  # the newest build
[ -n "$cli" ] || { echo "bench_train.sh: build posescope-cli first (scripts/setup.sh)" >&2; exit 1; }
configs=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do configs+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
samples=${1:-160}
[ ${#configs[@]} -gt 0 ] || configs=("$root/resources/models/demo_transpose_r.yaml" "$root/resources/models/demo_transpose_h.yaml")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$cli" synth --out "$work/data" --n 300 --seed 5 --split train >/dev/null 2>&1
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for c in "${configs[@]}"; do
  line=$("$cli" train --config "$c" --dataset "$work/data/annotations/person_keypoints_train.json" \
    --images "$work/data/images/train" --val-fraction 0.05 --max-val-samples 8 --epochs 1 --batch 16 \
    --max-samples "$samples" --out "$work/out" 2>/dev/null | grep '^epoch 1:')
  params=$("$cli" info "$work/out/final_state.pth" | sed -n 's/^parameters: *//p')
  echo "$(basename "$c"): ${line#*s, } (parameters: $params)"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
