#!/bin/bash
# mpii_run.sh CLI OUTDIR MPII_DIR CHECKPOINT -- MODEL-OPTIONS…
# Records the MPII fixture (tests/data/mpii: 3 people; SynthPose pictures stand in for the images)
# with a 16-joint TransPose (the small official checkpoint with its last layer cut to 16 joints,
# made with Python's torch), then checks that `eval run.h5 --mpii-gt` prints the same PCKh table
# as `eval --mpii-preds` on the run's keypoints exported to 1-based JSON with h5py.
set -eu
cli=$1 out=$2 mpii=$3 checkpoint=$4
shift 5
rm -rf "$out" && mkdir -p "$out/images"
"$cli" synth --out "$out/synth" --n 3 --seed 2 --split val >/dev/null
i=0
for f in "$out"/synth/images/val/*.jpg; do
  cp "$f" "$out/images/$(printf '%09d' $i).jpg"
  i=$((i + 1))
done
/usr/bin/python3 - "$checkpoint" "$out/r16.pth" <<'PY'
import sys, torch
sd = torch.load(sys.argv[1], map_location="cpu")
sd["final_layer.weight"] = sd["final_layer.weight"][:16].clone()
sd["final_layer.bias"] = sd["final_layer.bias"][:16].clone()
torch.save(sd, sys.argv[2])
PY
"$cli" record "$@" --set MODEL.NUM_JOINTS=16 --checkpoint "$out/r16.pth" --dataset "$mpii/valid.json" \
  --images "$out/images" --out "$out/mpii.h5" 2>/dev/null
"$cli" inspect "$out/mpii.h5" | grep -E '^(dataset|keypoints):'
# The random model scores 0 everywhere, which would hide a wrong mapping: put the ground truth
# (0-based) into the run, with both wrists of the first person 100 px off, so the table is known.
/usr/bin/python3 - "$out/mpii.h5" "$mpii/valid.json" <<'PY'
import sys, json, h5py, numpy as np
f = h5py.File(sys.argv[1], "r+")
gt = json.load(open(sys.argv[2]))
k = f["samples/keypoints"]
for row, image in enumerate(f["samples/image_id"][:]):
    joints = np.array(gt[image]["joints"], dtype=np.float32) - 1
    if image == 0:
        joints[[10, 15], 0] += 100
    k[row, :, :2] = joints
PY
"$cli" eval "$out/mpii.h5" --mpii-gt "$mpii/gt_valid.mat" | tee "$out/from_run.txt"
/usr/bin/python3 - "$out/mpii.h5" "$out/preds.json" <<'PY'
import sys, json, h5py
f = h5py.File(sys.argv[1], "r")
order = f["samples/image_id"][:].argsort()
k = f["samples/keypoints"][:][order]
json.dump([[[float(x) + 1, float(y) + 1] for x, y, _ in person] for person in k], open(sys.argv[2], "w"))
PY
"$cli" eval --mpii-gt "$mpii/gt_valid.mat" --mpii-preds "$out/preds.json" > "$out/from_json.txt"
diff <(head -3 "$out/from_run.txt") <(head -3 "$out/from_json.txt") && echo "pckh tables agree"
