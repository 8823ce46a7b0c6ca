#!/usr/bin/env bash
# Trains the bundled demo model TransPose-R (resources/models/demo_transpose_r.{yaml,pth}) from
# scratch, exactly as docs/demo-models.md reports it:
#   scripts/train_demo.sh [WORKDIR]        (default: build/demo_training; needs ~1 GB of disk)
# 1. SynthPose training data: 16,000 images (seed 101, ~38,700 persons); the validation split is
#    the bundled one (resources/demo/synthpose, seed 202).
# 2. Phase 1 at half resolution (input 96×128, heatmaps 24×32, σ 1.5): 3 epochs, Adam 2e-3 → 1e-4.
# 3. Phase 2 at the model's resolution (256×192, σ 2), from phase 1's weights (the sine position
#    embedding is recomputed for the larger grid): 2 epochs of 24,000 persons, Adam 5e-4 → 1e-5.
# Both phases without augmentation: the generator gives fresh people, poses and scenes.
# Every phase resumes after a kill (--resume), so the script can be run again to continue.
set -euo pipefail
cd "$(dirname "$0")/.."
cli=build/analysis/posescope-cli
[ -x "$cli" ] || scripts/setup.sh
work=${1:-build/demo_training}
val=resources/demo/synthpose
config=resources/models/demo_transpose_r.yaml
mkdir -p "$work"
[ -f "$work/train/annotations/person_keypoints_train.json" ] ||
  "$cli" synth --out "$work/train" --split train --n 16000 --seed 101
common=(--dataset "$work/train/annotations/person_keypoints_train.json" --images "$work/train/images/train"
  --val "$val/annotations/person_keypoints_val.json" --val-images "$val/images/val" --no-augment --batch 16)
resume() { [ -f "$1/checkpoint.pth" ] && [ ! -f "$1/final_state.pth" ] && echo --resume || true; }
if [ ! -f "$work/phase1/final_state.pth" ]; then
  "$cli" train --config "$config" --set "MODEL.IMAGE_SIZE=[96,128]" --set "MODEL.HEATMAP_SIZE=[24,32]" --sigma 1.5 \
    --lr 0.002 --lr-end 0.0001 --epochs 3 "${common[@]}" --out "$work/phase1" $(resume "$work/phase1")
fi
if [ ! -f "$work/phase2/final_state.pth" ]; then
  "$cli" train --config "$config" --init "$work/phase1/final_state.pth" --lr 0.0005 --lr-end 0.00001 --epochs 2 \
    --max-samples 24000 --validate-first "${common[@]}" --out "$work/phase2" $(resume "$work/phase2")
fi
echo "trained: $work/phase2/model_best.pth (copy it to resources/models/demo_transpose_r.pth)"
