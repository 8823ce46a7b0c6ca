#!/usr/bin/env bash
# Redraws the README's workbench screenshots (docs/images/workbench_*.png) without a display, with
# `posescope --screenshot`, from the demo runs that scripts/start.sh records in build/demo (run it
# once first; without a display it records them and stops). Sample 56 and the left wrist for the
# views of one run, the first occlusion sample, and sample 2 for the Models tab.
#   scripts/screenshots.sh [OUTDIR]   (default docs/images)
set -euo pipefail
cd "$(dirname "$0")/.."
app=build/gui/posescope
demo=build/demo
out=${1:-docs/images}
for run in demo_transpose_r_val demo_transpose_h_val demo_hrpvt_val demo_transpose_r_occlusion; do
  [ -f "$demo/$run.h5" ] || { echo "screenshots: $demo/$run.h5 is missing: run scripts/start.sh once" >&2; exit 1; }
done
mkdir -p "$out"
export QT_QPA_PLATFORM=offscreen
shot() {
  local name=$1
  shift
  "$app" "$@" --screenshot "$out/workbench_$name.png"
  echo "wrote $out/workbench_$name.png"
}
r=$demo/demo_transpose_r_val.h5
shot dependencies "$r" --sample 56 --keypoint 9 --view dependencies
shot heatmaps "$r" --sample 56 --keypoint 9 --view heatmaps
shot image "$r" --sample 56 --keypoint 9 --view image --overlay dependency
shot layerwise "$r" --sample 56 --keypoint 9 --view layerwise
shot occlusion "$demo/demo_transpose_r_occlusion.h5" --sample 1 --keypoint 9 --view occlusion
shot models "$r" --add-model "$demo/demo_transpose_h_val.h5" --add-model "$demo/demo_hrpvt_val.h5" --sample 2 \
  --keypoint 9 --view models
