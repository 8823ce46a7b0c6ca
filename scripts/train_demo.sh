#!/usr/bin/env bash
# Trains the bundled demo models from scratch, exactly as docs/demo-models.md reports them:
#   scripts/train_demo.sh [WORKDIR] [transpose|transpose-h|tokens|btranspose|hrpvt|all]
#                                   (default: build/demo_training, all; needs ~2.5 GB of disk)
# TransPose-R (resources/models/demo_transpose_r.{yaml,pth}):
# 1. SynthPose training data: 16,000 images (seed 101, ~38,700 persons); the validation split is
#    the bundled one (resources/demo/synthpose, seed 202).
# 2. Phase 1 at half resolution (input 96×128, heatmaps 24×32, σ 1.5): 3 epochs, Adam 2e-3 → 1e-4.
# 3. Phase 2 at the model's resolution (256×192, σ 2), from phase 1's weights (the sine position
#    embedding is recomputed for the larger grid): 2 epochs of 24,000 persons, Adam 5e-4 → 1e-5.
# 3a. Phase 3 on a larger set (32,000 images, seed 101), back at half resolution from phase 2's weights:
#     3 epochs of 64,000 persons, Adam 1e-3 → 5e-5 (both cores).
# 3b. Phase 4 at 256×192 from phase 3: 2 epochs of 9,000 persons, Adam 5e-4 → 1e-5, one thread
#     (R_THREADS), so that TransPose-H's phases can run beside it.
# 3c. Phase 5 at half resolution from phase 4: 3 epochs of every person of the larger set (~76,600),
#     another order (seed 3), Adam 7e-4 → 3e-5, both cores.
# 3d. Phase 6 at 256×192 from phase 5: 2 epochs of another 12,000 persons (seed 4), Adam 5e-4 → 1e-5,
#     one thread (TransPose-H's H4 runs beside it).
# 3e. Phase 7 at 256×192 from phase 6: 2 epochs of another 12,000 persons (seed 6), Adam 2.5e-4 → 1e-5,
#     one thread (beside H5).
# 3f. Phase 8 at 256×192 from phase 7: 3 epochs of another 16,000 persons (seed 9), Adam 3e-4 → 1e-5,
#     one thread (beside H8).
# 3g. Phase 9 at 256×192 from phase 8: 3 epochs of another 12,000 persons (seed 11), Adam 2e-4 → 1e-5,
#     one thread (beside H9).
# 3h. Phase 10 at three-quarter resolution (input 144×192, heatmaps 36×48, σ 1.5) from phase 9:
#     2 epochs of another 24,000 persons (seed 13), Adam 3e-4 → 1e-5, one thread (beside H10).
# 3i. Phase 11 at 256×192 from phase 10: 2 epochs of another 8,000 persons (seed 14), Adam 2e-4 → 1e-5,
#     one thread (beside H11). (A second such pair from phase 11 did not improve it: docs/demo-models.md.)
# Every phase without augmentation: the generator gives fresh people, poses and scenes.
# TransPose-H (resources/models/demo_transpose_h.{yaml,pth}; after phase 3 exists, run
# `scripts/train_demo.sh WORKDIR transpose-h` beside the transpose part's phase 4; it stops where a
# phase needs a TransPose-R phase not trained yet — run it again when that one is done):
# H1. Distilled from phase 3's TransPose-R at 96×128 (posescope-cli distill with the heatmap term
#     only: ground truth + the teacher's heatmaps), from scratch: 2 epochs of 24,000 persons of
#     the larger set, Adam 2e-3 → 1e-4, one thread (H_THREADS).
# H2. At 256×192 from H1, the teacher now phase 2's TransPose-R at 256×192: 2 epochs of 4,000
#     persons, Adam 5e-4 → 1e-5, one thread.
# H3. Once phase 4 is done, from H2 with phase 4's TransPose-R as the teacher: 2 epochs of another
#     2,500 persons (seed 2), Adam 2.5e-4 → 1e-5, both cores.
# H4. Once phase 5 is done, back at 96×128 from H3 with phase 5's TransPose-R as the teacher: 2 epochs
#     of 16,000 persons (seed 3), Adam 1e-3 → 5e-5, one thread (beside phase 6).
# H5. Once phase 6 is done, at 256×192 from H4 with phase 6's TransPose-R: 2 epochs of 2,500 persons
#     (seed 5), Adam 2.5e-4 → 1e-5, one thread (beside phase 7).
# H6. From H5, the same teacher: 2 epochs of another 2,500 persons (seed 7), Adam 2.5e-4 → 1e-5, both cores.
# H7. Once phase 7 is done, from H6 with phase 7's TransPose-R: 2 epochs of another 2,500 persons
#     (seed 8), Adam 2e-4 → 1e-5, both cores.
# H8. From H7, the same teacher (phase 7's TransPose-R): 2 epochs of another 6,000 persons (seed 10),
#     Adam 2e-4 → 1e-5, one thread (beside phase 8).
# H9. Once phase 8 is done, from H8 with phase 8's TransPose-R: 2 epochs of another 4,000 persons
#     (seed 12), Adam 2e-4 → 1e-5, one thread (beside phase 9).
# H10. From H9 with phase 9's TransPose-R: 2 epochs of another 4,000 persons (seed 15), Adam 2e-4 → 1e-5,
#     one thread (beside phases 10-11).
# H11. Once phase 10 is done, at three-quarter resolution from H10 with phase 10's TransPose-R (also at
#     three-quarter resolution): 2 epochs of another 6,000 persons (seed 16), Adam 3e-4 → 1e-5, one thread.
# H12. Once phase 11 is done, at 256×192 from H11 with phase 11's TransPose-R: 2 epochs of another 2,500
#     persons (seed 17), Adam 2e-4 → 1e-5, one thread.
# H13. From H12, the same teacher: 2 epochs of another 3,000 persons (seed 21), Adam 2e-4 → 1e-5, one thread.
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
shared=(--val "$val/annotations/person_keypoints_val.json" --val-images "$val/images/val" --no-augment --batch 16)
common=(--dataset "$work/train/annotations/person_keypoints_train.json" --images "$work/train/images/train"
  "${shared[@]}")
# TransPose-R's phases 3-7 and TransPose-H train on a larger set (32,000 images, 76,562 persons).
common2=(--dataset "$work/train2/annotations/person_keypoints_train.json" --images "$work/train2/images/train"
  "${shared[@]}")
need_train2() {
  [ -f "$work/train2/annotations/person_keypoints_train.json" ] ||
    "$cli" synth --out "$work/train2" --split train --n 32000 --seed 101
}
# Half resolution (input 96×128, heatmaps 24×32, σ 1.5) for the fast phases; the same for a teacher.
low=(--set "MODEL.IMAGE_SIZE=[96,128]" --set "MODEL.HEATMAP_SIZE=[24,32]" --sigma 1.5)
low_teacher=(--teacher-set "MODEL.IMAGE_SIZE=[96,128]" --teacher-set "MODEL.HEATMAP_SIZE=[24,32]")
# Three-quarter resolution (input 144×192, heatmaps 36×48, σ 1.5); the same for a teacher.
mid=(--set "MODEL.IMAGE_SIZE=[144,192]" --set "MODEL.HEATMAP_SIZE=[36,48]" --sigma 1.5)
mid_teacher=(--teacher-set "MODEL.IMAGE_SIZE=[144,192]" --teacher-set "MODEL.HEATMAP_SIZE=[36,48]")
resume() { [ -f "$1/checkpoint.pth" ] && [ ! -f "$1/final_state.pth" ] && echo --resume || true; }
# run_phase NAME THREADS COMMAND…: one resumable phase into $work/NAME, skipped once it has finished;
# THREADS empty: LibTorch's default (both cores).
run_phase() {
  local name=$1 threads=$2
  shift 2
  [ -f "$work/$name/final_state.pth" ] && return
  env ${threads:+OMP_NUM_THREADS=$threads} "$cli" "$@" --out "$work/$name" $(resume "$work/$name")
}
# A TransPose-H phase needs the TransPose-R phase that teaches it, unless it has finished: need_r N hM
need_r() {
  [ -f "$work/$2/final_state.pth" ] || [ -f "$work/phase$1/model_best.pth" ] ||
    { echo "train_demo: ${2^^} needs TransPose-R's phase $1: run this part again when it is done" >&2; exit 1; }
}
if [ "$part" = transpose ] || [ "$part" = all ]; then
  run_phase phase1 "" train --config "$config" "${low[@]}" --lr 0.002 --lr-end 0.0001 --epochs 3 "${common[@]}"
  run_phase phase2 "" train --config "$config" --init "$work/phase1/final_state.pth" --lr 0.0005 --lr-end 0.00001 \
    --epochs 2 --max-samples 24000 --validate-first "${common[@]}"
  need_train2
  run_phase phase3 "" train --config "$config" "${low[@]}" --init "$work/phase2/model_best.pth" --lr 0.001 \
    --lr-end 0.00005 --epochs 3 --max-samples 64000 --validate-first "${common2[@]}"
  r=${R_THREADS:-1}
  run_phase phase4 "$r" train --config "$config" --init "$work/phase3/model_best.pth" --lr 0.0005 --lr-end 0.00001 \
    --epochs 2 --max-samples 9000 --validate-first "${common2[@]}"
  run_phase phase5 "" train --config "$config" "${low[@]}" --init "$work/phase4/model_best.pth" --lr 0.0007 \
    --lr-end 0.00003 --epochs 3 --seed 3 --validate-first "${common2[@]}"
  run_phase phase6 "$r" train --config "$config" --init "$work/phase5/model_best.pth" --lr 0.0005 --lr-end 0.00001 \
    --epochs 2 --max-samples 12000 --seed 4 --validate-first "${common2[@]}"
  run_phase phase7 "$r" train --config "$config" --init "$work/phase6/model_best.pth" --lr 0.00025 --lr-end 0.00001 \
    --epochs 2 --max-samples 12000 --seed 6 "${common2[@]}"
  run_phase phase8 "$r" train --config "$config" --init "$work/phase7/model_best.pth" --lr 0.0003 --lr-end 0.00001 \
    --epochs 3 --max-samples 16000 --seed 9 "${common2[@]}"
  run_phase phase9 "$r" train --config "$config" --init "$work/phase8/model_best.pth" --lr 0.0002 --lr-end 0.00001 \
    --epochs 3 --max-samples 12000 --seed 11 "${common2[@]}"
  run_phase phase10 "$r" train --config "$config" "${mid[@]}" --init "$work/phase9/model_best.pth" --lr 0.0003 \
    --lr-end 0.00001 --epochs 2 --max-samples 24000 --seed 13 --validate-first "${common2[@]}"
  run_phase phase11 "$r" train --config "$config" --init "$work/phase10/model_best.pth" --lr 0.0002 --lr-end 0.00001 \
    --epochs 2 --max-samples 8000 --seed 14 --validate-first "${common2[@]}"
  echo "trained: $work/phase11/model_best.pth (copy it to resources/models/demo_transpose_r.pth)"
fi
if [ "$part" = transpose-h ] || [ "$part" = all ]; then
  # TransPose-H learns from the ground truth and the TransPose-R demo's heatmaps (distill with the
  # heatmap term only), each phase under a TransPose-R phase of its resolution (the header lists them).
  [ -f "$work/phase3/model_best.pth" ] || { echo "train_demo: train the TransPose-R phases first" >&2; exit 1; }
  need_train2
  hconfig=resources/models/demo_transpose_h.yaml
  hcommon=(--teacher "$config" --student "$hconfig" --attention-weight 0 --feature-weight 0 "${common2[@]}")
  h=${H_THREADS:-1}
  run_phase h1 "$h" distill --teacher-checkpoint "$work/phase3/model_best.pth" "${low_teacher[@]}" "${low[@]}" \
    --lr 0.002 --lr-end 0.0001 --epochs 2 --max-samples 24000 "${hcommon[@]}"
  run_phase h2 "$h" distill --teacher-checkpoint "$work/phase2/model_best.pth" --init "$work/h1/model_best.pth" \
    --lr 0.0005 --lr-end 0.00001 --epochs 2 --max-samples 4000 --validate-first "${hcommon[@]}"
  need_r 4 h3
  run_phase h3 "" distill --teacher-checkpoint "$work/phase4/model_best.pth" --init "$work/h2/model_best.pth" \
    --lr 0.00025 --lr-end 0.00001 --epochs 2 --max-samples 2500 --seed 2 "${hcommon[@]}"
  need_r 5 h4
  run_phase h4 "$h" distill --teacher-checkpoint "$work/phase5/model_best.pth" "${low_teacher[@]}" "${low[@]}" \
    --init "$work/h3/model_best.pth" --lr 0.001 --lr-end 0.00005 --epochs 2 --max-samples 16000 --seed 3 "${hcommon[@]}"
  need_r 6 h5
  run_phase h5 "$h" distill --teacher-checkpoint "$work/phase6/model_best.pth" --init "$work/h4/model_best.pth" \
    --lr 0.00025 --lr-end 0.00001 --epochs 2 --max-samples 2500 --seed 5 --validate-first "${hcommon[@]}"
  run_phase h6 "" distill --teacher-checkpoint "$work/phase6/model_best.pth" --init "$work/h5/model_best.pth" \
    --lr 0.00025 --lr-end 0.00001 --epochs 2 --max-samples 2500 --seed 7 "${hcommon[@]}"
  need_r 7 h7
  run_phase h7 "" distill --teacher-checkpoint "$work/phase7/model_best.pth" --init "$work/h6/model_best.pth" \
    --lr 0.0002 --lr-end 0.00001 --epochs 2 --max-samples 2500 --seed 8 "${hcommon[@]}"
  run_phase h8 "$h" distill --teacher-checkpoint "$work/phase7/model_best.pth" --init "$work/h7/model_best.pth" \
    --lr 0.0002 --lr-end 0.00001 --epochs 2 --max-samples 6000 --seed 10 "${hcommon[@]}"
  need_r 8 h9
  run_phase h9 "$h" distill --teacher-checkpoint "$work/phase8/model_best.pth" --init "$work/h8/model_best.pth" \
    --lr 0.0002 --lr-end 0.00001 --epochs 2 --max-samples 4000 --seed 12 "${hcommon[@]}"
  need_r 9 h10
  run_phase h10 "$h" distill --teacher-checkpoint "$work/phase9/model_best.pth" --init "$work/h9/model_best.pth" \
    --lr 0.0002 --lr-end 0.00001 --epochs 2 --max-samples 4000 --seed 15 "${hcommon[@]}"
  need_r 10 h11
  run_phase h11 "$h" distill --teacher-checkpoint "$work/phase10/model_best.pth" "${mid_teacher[@]}" "${mid[@]}" \
    --init "$work/h10/model_best.pth" --lr 0.0003 --lr-end 0.00001 --epochs 2 --max-samples 6000 --seed 16 \
    --validate-first "${hcommon[@]}"
  need_r 11 h12
  run_phase h12 "$h" distill --teacher-checkpoint "$work/phase11/model_best.pth" --init "$work/h11/model_best.pth" \
    --lr 0.0002 --lr-end 0.00001 --epochs 2 --max-samples 2500 --seed 17 --validate-first "${hcommon[@]}"
  run_phase h13 "$h" distill --teacher-checkpoint "$work/phase11/model_best.pth" --init "$work/h12/model_best.pth" \
    --lr 0.0002 --lr-end 0.00001 --epochs 2 --max-samples 3000 --seed 21 "${hcommon[@]}"
  echo "trained: $work/h13/model_best.pth (copy it to resources/models/demo_transpose_h.pth)"
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
