#!/usr/bin/env bash
# Trains the bundled demo models from scratch, exactly as docs/demo-models.md reports them:
#   scripts/train_demo.sh [WORKDIR] [transpose|tokens|btranspose|hrpvt|all]   (default: build/demo_training, all;
#                                                             needs ~1 GB of disk)
# TransPose-R (resources/models/demo_transpose_r.{yaml,pth}):
# 1. SynthPose training data: 16,000 images (seed 101, ~38,700 persons); the validation split is
#    the bundled one (resources/demo/synthpose, seed 202).
# 2. Phase 1 at half resolution (input 96×128, heatmaps 24×32, σ 1.5): 3 epochs, Adam 2e-3 → 1e-4.
# 3. Phase 2 at the model's resolution (256×192, σ 2), from phase 1's weights (the sine position
#    embedding is recomputed for the larger grid): 2 epochs of 24,000 persons, Adam 5e-4 → 1e-5.
# Both phases without augmentation: the generator gives fresh people, poses and scenes.
# TokenPose and DPPT (resources/models/demo_tokenpose, demo_dppt):
# 4. The TokenPose teacher and the PPT student trained alone (demo_dppt.yaml; PPT's keep-ratio
#    warm-up: every token for half an epoch, then a cosine to 0.7 at epoch 2): 3 epochs of the
#    same 20,000 persons, batch 16, Adam 2e-3 → 1e-4 on a cosine, no augmentation. The two are
#    independent: on 2 cores run them side by side with OMP_NUM_THREADS=1 each.
# 5. The DPPT student: the same student and schedule under the trained teacher (posescope-cli
#    distill, every term's weight 1).
# BTranspose (resources/models/demo_btranspose.yaml; demo_btranspose_dino.pth, demo_btranspose_scratch.pth):
# 6. From scratch: 2 epochs of 20,000 persons, batch 16, Adam 2e-3 → 1e-4, no augmentation.
# 7. DINO: pre-training of the backbone on 2,000 unlabelled training images for 2 epochs (batch 32,
#    head 12288 → 512 → 256 → 4096 with BatchNorm, lr 5e-4, teacher momentum 0.99, warm-up and
#    last-layer freeze 0.2 epochs), then fine-tuning from its teacher backbone with the schedule
#    of 6 on 16,000 persons, so that both take about the same time (docs/demo-models.md).
#    6 and 7 are independent: run them side by side with OMP_NUM_THREADS=1 each.
# HRPVT (resources/models/demo_hrpvt.{yaml,pth}):
# 8. From scratch at 256×192 (SimCC labels σ 6 bins, k = 1, mmpose's KL loss): 2 epochs of 12,000
#    persons, batch 16, Adam 2e-3 → 1e-4 on a cosine, no augmentation; then from its best weights
#    2 more epochs of another 12,000 persons (seed 2), Adam 1e-3 → 5e-5.
# Every phase resumes after a kill (--resume), so the script can be run again to continue.
set -euo pipefail
cd "$(dirname "$0")/.."
cli=build/analysis/posescope-cli
[ -x "$cli" ] || scripts/setup.sh
work=${1:-build/demo_training}
part=${2:-all}
val=resources/demo/synthpose
config=resources/models/demo_transpose_r.yaml
mkdir -p "$work"
[ -f "$work/train/annotations/person_keypoints_train.json" ] ||
  "$cli" synth --out "$work/train" --split train --n 16000 --seed 101
common=(--dataset "$work/train/annotations/person_keypoints_train.json" --images "$work/train/images/train"
  --val "$val/annotations/person_keypoints_val.json" --val-images "$val/images/val" --no-augment --batch 16)
resume() { [ -f "$1/checkpoint.pth" ] && [ ! -f "$1/final_state.pth" ] && echo --resume || true; }
if [ "$part" = transpose ] || [ "$part" = all ]; then
  if [ ! -f "$work/phase1/final_state.pth" ]; then
    "$cli" train --config "$config" --set "MODEL.IMAGE_SIZE=[96,128]" --set "MODEL.HEATMAP_SIZE=[24,32]" --sigma 1.5 \
      --lr 0.002 --lr-end 0.0001 --epochs 3 "${common[@]}" --out "$work/phase1" $(resume "$work/phase1")
  fi
  if [ ! -f "$work/phase2/final_state.pth" ]; then
    "$cli" train --config "$config" --init "$work/phase1/final_state.pth" --lr 0.0005 --lr-end 0.00001 --epochs 2 \
      --max-samples 24000 --validate-first "${common[@]}" --out "$work/phase2" $(resume "$work/phase2")
  fi
  echo "trained: $work/phase2/model_best.pth (copy it to resources/models/demo_transpose_r.pth)"
fi
if [ "$part" = tokens ] || [ "$part" = all ]; then
  tcommon=("${common[@]}" --max-samples 20000 --epochs 3 --lr 0.002 --lr-end 0.0001)
  keep=(--keep-warmup 0.5 --keep-decay-end 2)
  [ -f "$work/tokenpose/final_state.pth" ] ||
    "$cli" train --config resources/models/demo_tokenpose.yaml "${tcommon[@]}" --out "$work/tokenpose" $(resume "$work/tokenpose")
  [ -f "$work/ppt/final_state.pth" ] ||
    "$cli" train --config resources/models/demo_dppt.yaml "${keep[@]}" "${tcommon[@]}" --out "$work/ppt" $(resume "$work/ppt")
  [ -f "$work/dppt/final_state.pth" ] ||
    "$cli" distill --teacher resources/models/demo_tokenpose.yaml --teacher-checkpoint "$work/tokenpose/model_best.pth" \
      --student resources/models/demo_dppt.yaml "${keep[@]}" "${tcommon[@]}" --out "$work/dppt" $(resume "$work/dppt")
  echo "trained: copy $work/tokenpose/model_best.pth to resources/models/demo_tokenpose.pth and"
  echo "         $work/dppt/model_best.pth to resources/models/demo_dppt.pth"
fi
if [ "$part" = btranspose ] || [ "$part" = all ]; then
  bconfig=resources/models/demo_btranspose.yaml
  bcommon=("${common[@]}" --lr 0.002 --lr-end 0.0001 --epochs 2)
  [ -f "$work/btranspose_scratch/final_state.pth" ] ||
    "$cli" train --config "$bconfig" "${bcommon[@]}" --max-samples 20000 --out "$work/btranspose_scratch" \
      $(resume "$work/btranspose_scratch")
  if [ ! -f "$work/btranspose_dino.done" ]; then  # its teacher is exported after every epoch: mark the end
    dino_resume=$([ -f "$work/btranspose_dino/checkpoint.pth" ] && echo --resume || true)
    "$cli" pretrain --method dino --config "$bconfig" --images "$work/train/images/train" --max-images 2000 --epochs 2 \
      --batch 32 --out-dim 4096 --hidden-dim 512 --bn-in-head --warmup-epochs 0.2 --freeze-last-layer 0.2 \
      --teacher-momentum 0.99 --lr 0.0005 --out "$work/btranspose_dino" $dino_resume
    touch "$work/btranspose_dino.done"
  fi
  [ -f "$work/btranspose_finetune/final_state.pth" ] ||
    "$cli" train --config "$bconfig" "${bcommon[@]}" --init "$work/btranspose_dino/teacher_backbone.pth" \
      --init-prefix model_alpha. --max-samples 16000 --out "$work/btranspose_finetune" $(resume "$work/btranspose_finetune")
  echo "trained: copy $work/btranspose_finetune/model_best.pth to resources/models/demo_btranspose_dino.pth and"
  echo "         $work/btranspose_scratch/model_best.pth to resources/models/demo_btranspose_scratch.pth"
fi
if [ "$part" = hrpvt ] || [ "$part" = all ]; then
  [ -f "$work/hrpvt/final_state.pth" ] ||
    "$cli" train --config resources/models/demo_hrpvt.yaml "${common[@]}" --lr 0.002 --lr-end 0.0001 --epochs 2 \
      --max-samples 12000 --out "$work/hrpvt" $(resume "$work/hrpvt")
  [ -f "$work/hrpvt2/final_state.pth" ] ||
    "$cli" train --config resources/models/demo_hrpvt.yaml "${common[@]}" --init "$work/hrpvt/model_best.pth" \
      --lr 0.001 --lr-end 0.00005 --epochs 2 --max-samples 12000 --seed 2 --out "$work/hrpvt2" $(resume "$work/hrpvt2")
  echo "trained: copy $work/hrpvt2/model_best.pth to resources/models/demo_hrpvt.pth"
fi
