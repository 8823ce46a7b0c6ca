#!/bin/bash
# Submits a sharded recording and its merge (docs/cluster.md):
#
#   scripts/slurm/submit.sh SHARDS RUN_DIR OUT.h5 -- RECORD-OPTIONS…
#
# e.g. scripts/slurm/submit.sh 8 runs/tp_h_val runs/tp_h_val.h5 -- --config transpose-h-a4 \
#        --checkpoint tp_h_32_256x192_enc4_d64_h128_mh1.pth \
#        --dataset coco/annotations/person_keypoints_val2017.json --images coco/val2017 --flip
set -euo pipefail
if [ $# -lt 4 ] || [ "$4" != "--" ]; then
  echo "usage: scripts/slurm/submit.sh SHARDS RUN_DIR OUT.h5 -- RECORD-OPTIONS…" >&2
  exit 2
fi
shards=$1 run_dir=$2 out=$3
shift 4
here=$(cd "$(dirname "$0")" && pwd)
array=$(sbatch --parsable --array=0-$((shards - 1)) "$here/record_shard.sbatch" "$run_dir" -- "$@")
merge=$(sbatch --parsable --dependency=afterok:"${array%%;*}" "$here/merge_shards.sbatch" "$run_dir" "$out")
echo "submitted recording array $array ($shards shards) and merge job $merge"
