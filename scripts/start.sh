#!/usr/bin/env bash
# Quick start, command 1: installs what is missing, builds in Release, and starts the PoseScope app
# on the bundled demo: the demo models (resources/models/) recorded over the bundled SynthPose
# validation split (resources/demo/synthpose/), so the views show learned attention at once.
#   scripts/start.sh [more runs or checkpoints to open]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

# Record each bundled demo model over the demo split once (a few seconds each; kept in build/demo,
# and recorded again when the model or its configuration is newer than the run).
data=resources/demo/synthpose
runs=()
mkdir -p build/demo
for weights in resources/models/demo_*.pth; do
  [ -e "$weights" ] || continue
  name=$(basename "$weights" .pth)
  run=build/demo/${name}_val.h5
  config=resources/models/$name.yaml
  [ -f "$config" ] || config=resources/models/${name%_*}.yaml  # demo_btranspose_dino → demo_btranspose
  if [ ! -f "$run" ] || [ "$weights" -nt "$run" ] || [ "$config" -nt "$run" ]; then
    rm -f "$run.partial.h5"
    build/analysis/posescope-cli record --config "$config" --checkpoint "$weights" \
      --dataset "$data/annotations/person_keypoints_val.json" --images "$data/images/val" \
      --level heatmaps --out "$run.partial.h5"
    mv "$run.partial.h5" "$run"
  fi
  runs+=("$run")
done
# And one occlusion run (the Occlusion tab): the demo TransPose-R over the first 12 persons, a
# 32 px occluder at stride 32 and each keypoint's region hidden in turn (about half a minute).
occ=build/demo/demo_transpose_r_occlusion.h5
if [ -f resources/models/demo_transpose_r.pth ] &&
  { [ ! -f "$occ" ] || [ resources/models/demo_transpose_r.pth -nt "$occ" ]; }; then
  rm -f "$occ.partial.h5"
  build/analysis/posescope-cli occlude --config resources/models/demo_transpose_r.yaml \
    --checkpoint resources/models/demo_transpose_r.pth --dataset "$data/annotations/person_keypoints_val.json" \
    --images "$data/images/val" --subset 12 --stride 32 --out "$occ.partial.h5"
  mv "$occ.partial.h5" "$occ"
fi
[ -f "$occ" ] && runs+=("$occ")

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [ -z "${QT_QPA_PLATFORM:-}" ]; then
  echo "start: built build/gui/posescope and the demo runs (${runs[*]:-none}), but there is no display to show them on." >&2
  echo "start: run this from a desktop session, or use the headless build/analysis/posescope-cli." >&2
  exit 1
fi
exec build/gui/posescope "${runs[@]}" "$@"
