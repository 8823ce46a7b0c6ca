#!/bin/bash
# bench_train_vs_pytorch.sh [PERSONS] [EPOCHS]: the same network trained on the same data by
# posescope-cli train and by PyTorch eager (scripts/bench_train_reference.py), one after the
# other: loss per epoch (the learning must match) and training samples/s (docs/benchmarks.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cli=$(ls -t "$root"/build*/analysis/posescope-cli 2>/dev/null | head -1)
[ -n "$cli" ] || { echo "bench_train_vs_pytorch.sh: build posescope-cli first" >&2; exit 1; }
persons=${1:-3000} epochs=${2:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# One centred person per image, no occluders: a set on which both sides learn within 3 epochs.
"$cli" synth --out "$work/d" --n "$persons" --seed 303 --split train --max-people 1 --occluders 0 --width 320 --height 320 >/dev/null 2>&1
"$cli" synth --out "$work/d" --n 150 --seed 404 --split val --max-people 1 --occluders 0 --width 320 --height 320 >/dev/null 2>&1
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "posescope-cli train:"
"$cli" train --config "$root/resources/models/demo_transpose_r.yaml" --set "MODEL.IMAGE_SIZE=[96, 128]" \
  --set "MODEL.HEATMAP_SIZE=[24, 32]" --set MODEL.ENCODER_LAYERS=0 --sigma 1.5 --no-augment --lr 0.002 \
  --epochs "$epochs" --batch 16 --dataset "$work/d/annotations/person_keypoints_train.json" \
  --images "$work/d/images/train" --val "$work/d/annotations/person_keypoints_val.json" \
  --val-images "$work/d/images/val" --out "$work/out" 2>/dev/null | grep '^epoch' | sed 's/, lr [^,]*//; s/, [0-9]* s,/,/'
echo "PyTorch eager (crops precomputed):"
/usr/bin/python3 "$root/scripts/bench_train_reference.py" "$work/d" "$persons" "$epochs" | grep '^epoch'
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
