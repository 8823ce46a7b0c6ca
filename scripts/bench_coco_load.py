#!/usr/bin/python3
"""COCO keypoints JSON loading, C++ (CocoDataset::load) vs Python (json.load + pycocotools-style
indexing), side by side on a file of person_keypoints_train2017.json's size.

    /usr/bin/python3 scripts/bench_coco_load.py [REPEATS] [FILE]

Without FILE, writes (once) a synthetic file of train2017's shape to /tmp: 118,287 images,
262,465 person annotations with 17 keypoints, boxes, areas and segmentation polygons (~250 MB).
Each repeat runs C++ and Python in fresh processes, alternating, and records wall time and
peak resident memory. Prints a Markdown table for docs/benchmarks.md.
"""
import json
import os
import random
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "build", "tests", "coco_load_bench")
PY_LOAD = r"""
import json, resource, sys, time
from collections import defaultdict
t = time.perf_counter()
with open(sys.argv[1]) as f:
    d = json.load(f)
imgs = {im["id"]: im for im in d["images"]}
anns = {a["id"]: a for a in d["annotations"]}
cats = {c["id"]: c for c in d["categories"]}
img_to_anns = defaultdict(list)
for a in d["annotations"]:
    img_to_anns[a["image_id"]].append(a)
persons = 0
for im in d["images"]:
    for a in img_to_anns[im["id"]]:
        if not a["iscrowd"] and a["area"] > 0 and max(a["keypoints"]) > 0:
            persons += 1
print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, len(imgs), len(anns), persons)
"""


def make_file(path):
    rng = random.Random(2017)
    names = ["nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
             "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
             "right_knee", "left_ankle", "right_ankle"]
    images = [{"license": 1, "file_name": f"{i:012d}.jpg", "coco_url": f"images/train2017/{i:012d}.jpg",
               "height": 480, "width": 640, "date_captured": "2013-11-14 16:28:13", "flickr_url": "", "id": i}
              for i in range(1, 118288)]
    anns = []
    for a in range(1, 262466):
        x, y = rng.uniform(0, 500), rng.uniform(0, 350)
        w, h = rng.uniform(10, 140), rng.uniform(20, 130)
        kp = []
        for _ in range(17):
            v = rng.choice((0, 1, 2, 2))
            kp += [round(x + rng.uniform(0, w)), round(y + rng.uniform(0, h)), v] if v else [0, 0, 0]
        seg = [round(rng.uniform(x, x + w), 2) if i % 2 == 0 else round(rng.uniform(y, y + h), 2) for i in range(56)]
        anns.append({"segmentation": [seg], "num_keypoints": sum(1 for i in range(2, 51, 3) if kp[i] > 0),
                     "area": round(w * h * 0.6, 4), "iscrowd": 0, "keypoints": kp, "image_id": rng.randint(1, 118287),
                     "bbox": [round(x, 2), round(y, 2), round(w, 2), round(h, 2)], "category_id": 1, "id": a})
    data = {"info": {"description": "synthetic, train2017-shaped"}, "licenses": [], "images": images,
            "annotations": anns,
            "categories": [{"supercategory": "person", "id": 1, "name": "person", "keypoints": names,
                            "skeleton": [[16, 14], [14, 12], [17, 15], [15, 13], [12, 13], [6, 12], [7, 13], [6, 7],
                                         [6, 8], [7, 9], [8, 10], [9, 11], [2, 3], [1, 2], [1, 3], [2, 4], [3, 5],
                                         [4, 6], [5, 7]]}]}
    with open(path, "w") as f:
        json.dump(data, f)


def run(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.split()
    return float(out[0]), float(out[1]), out[2:]


def main(repeats, path):
    if not os.path.exists(path):
        make_file(path)
    cpp, py = [], []
    for _ in range(repeats):
        cpp.append(run([BENCH, path]))
        py.append(run([sys.executable, "-c", PY_LOAD, path]))
    assert cpp[0][2] == py[0][2], f"different counts: {cpp[0][2]} vs {py[0][2]}"
    size = os.path.getsize(path) / 1e6
    ct, pt = statistics.median(c[0] for c in cpp), statistics.median(p[0] for p in py)
    cm, pm = max(c[1] for c in cpp), max(p[1] for p in py)
    print(f"File: {size:.0f} MB, {cpp[0][2][0]} images, {cpp[0][2][1]} annotations, {cpp[0][2][2]} person instances; "
          f"median of {repeats} runs each.\n")
    print("| loader | time (s) | peak RSS (MB) | RSS / file size |")
    print("|---|---:|---:|---:|")
    print(f"| C++ CocoDataset::load | {ct:.2f} | {cm:.0f} | {cm / size:.1f}x |")
    print(f"| Python json.load + index | {pt:.2f} | {pm:.0f} | {pm / size:.1f}x |")
    print(f"\nC++ is {pt / ct:.1f}x faster.")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3,
         sys.argv[2] if len(sys.argv) > 2 else "/tmp/posescope_train2017_shaped.json")
