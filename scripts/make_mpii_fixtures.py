#!/usr/bin/python3
"""Writes tiny MPII fixtures under tests/data/mpii (run once by hand; the outputs are committed):

    /usr/bin/python3 scripts/make_mpii_fixtures.py tests/data/mpii

valid.json in the HRNet/TransPose annot format, and the matching gt_valid.mat ground truth as
scipy.io.savemat writes it, compressed (gt_valid.mat) and not (gt_valid_plain.mat), with the
variables the official evaluation reads: dataset_joints (cell), jnt_missing (16×N),
pos_gt_src (16×2×N), headboxes_src (2×2×N). Needs python3-scipy.
"""
import json
import os
import sys

import numpy as np
import scipy.io

NAMES = ["rank", "rkne", "rhip", "lhip", "lkne", "lank", "pelv", "thor", "neck", "head",
         "rwri", "relb", "rsho", "lsho", "lelb", "lwri"]


def official_pckh(preds, gt):
    """The name_value numbers of lib/dataset/mpii.py::evaluate (Head … Ankle, Mean, Mean@0.1)."""
    jnt_visible = 1 - gt["jnt_missing"]
    uv_err = np.linalg.norm(np.transpose(preds, [1, 2, 0]) - gt["pos_gt_src"], axis=1)
    heads = gt["headboxes_src"]
    headsizes = np.linalg.norm(heads[1, :, :] - heads[0, :, :], axis=0) * 0.6
    scaled = np.multiply(np.divide(uv_err, np.multiply(headsizes, np.ones((len(uv_err), 1)))), jnt_visible)
    jnt_count = np.sum(jnt_visible, axis=1)
    pckh = np.divide(100. * np.sum(np.multiply(scaled <= 0.5, jnt_visible), axis=1), jnt_count)
    rng = np.arange(0, 0.5 + 0.01, 0.01)
    pck_all = np.zeros((len(rng), 16))
    for r in range(len(rng)):
        pck_all[r, :] = np.divide(100. * np.sum(np.multiply(scaled <= rng[r], jnt_visible), axis=1), jnt_count)
    pckh = np.ma.array(pckh, mask=False)
    pckh.mask[6:8] = True
    jnt_count = np.ma.array(jnt_count, mask=False)
    jnt_count.mask[6:8] = True
    ratio = jnt_count / np.sum(jnt_count).astype(np.float64)
    return [pckh[9], 0.5 * (pckh[13] + pckh[12]), 0.5 * (pckh[14] + pckh[11]), 0.5 * (pckh[15] + pckh[10]),
            0.5 * (pckh[3] + pckh[2]), 0.5 * (pckh[4] + pckh[1]), 0.5 * (pckh[5] + pckh[0]),
            np.sum(pckh * ratio), np.sum(pck_all[10, :] * ratio), np.sum(pck_all[11, :] * ratio)]


def main(out):
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(5)
    n = 3
    joints = rng.uniform(50, 400, size=(n, 16, 2)).round(1)
    vis = np.ones((n, 16), dtype=int)
    vis[1, 3] = 0
    vis[2, 10:12] = 0
    anno = []
    for i in range(n):
        anno.append({"joints_vis": vis[i].tolist(), "joints": joints[i].tolist(),
                     "image": f"{i:09d}.jpg", "scale": float(1.5 + i * 0.25),
                     "center": [float(200 + 10 * i), float(220 - 5 * i)]})
    with open(os.path.join(out, "valid.json"), "w") as f:
        json.dump(anno, f)
    heads = np.zeros((2, 2, n))
    for i in range(n):
        x, y = joints[i, 9]
        heads[:, :, i] = [[x - 15 - i, y - 10], [x + 15 + i, y + 20 + 2 * i]]
    gt = {
        "dataset_joints": np.array([[np.array([name]) for name in NAMES]], dtype=object),
        "jnt_missing": (1 - vis).T.astype(np.float64),
        "pos_gt_src": np.transpose(joints, [1, 2, 0]),
        "headboxes_src": heads,
    }
    scipy.io.savemat(os.path.join(out, "gt_valid.mat"), gt, do_compression=True)
    scipy.io.savemat(os.path.join(out, "gt_valid_plain.mat"), gt, do_compression=False)
    # Predictions as lib/dataset/mpii.py saves them (preds + 1, N×16×2), and the PCKh the official
    # evaluation code computes for them (the same NumPy steps), for the CLI test.
    preds = joints + rng.normal(0, 6, size=joints.shape)
    preds[0, 0] += 40  # one clear miss
    scipy.io.savemat(os.path.join(out, "pred.mat"), {"preds": preds})
    with open(os.path.join(out, "pckh_expected.txt"), "w") as f:
        f.write(" ".join(f"{v:.3f}" for v in official_pckh(preds, gt)) + "\n")
    with open(os.path.join(out, "head_sizes.txt"), "w") as f:
        for i in range(n):
            f.write(repr(float(np.linalg.norm(heads[1, :, i] - heads[0, :, i]))) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
