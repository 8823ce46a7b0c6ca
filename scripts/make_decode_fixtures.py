#!/usr/bin/python3
"""Writes the heatmap-decoding fixtures under tests/data/decode (run once by hand; the outputs are
committed, so the C++ tests need no Python):

    /usr/bin/python3 scripts/make_decode_fixtures.py tests/data/decode

The decoding follows the official TransPose code step by step (lib/core/inference.py:
get_max_preds, gaussian_blur, taylor, get_final_preds; lib/utils/transforms.py: transform_preds
with the "(w-1)" get_affine_transform) and HRNet's POST_PROCESS quarter offset, with the same NumPy
dtypes (NumPy 1.x scalar promotion: run it with Debian's python3-numpy 1.24 and python3-opencv).

heatmaps.bin   [N, K, H, W] float32, little-endian, C order (Gaussian blobs plus noise, seeded,
               and a few hand-placed cases: non-positive maps, peaks on the Taylor-step borders).
expected.txt   "#" comments, "shape N K H W", "kernel 11", one "cs n cx cy sw sh" per sample
               (float32 values), then one "kp" line per keypoint:
               n k maxval  argmax_x argmax_y  quarter_x quarter_y  dark_x dark_y
                   argmax_img_x argmax_img_y  quarter_img_x quarter_img_y  dark_img_x dark_img_y
               Every number is printed with 9 significant digits (exact for float32).
"""
import os
import sys

import cv2
import numpy as np

N, K, H, W = 2, 17, 64, 48
KERNEL = 11


def make_heatmaps(rng):
    ys, xs = np.mgrid[0:H, 0:W].astype(np.float64)
    hm = np.zeros((N, K, H, W), dtype=np.float64)
    for n in range(N):
        for k in range(K):
            mx, my = rng.uniform(-1.0, W), rng.uniform(-1.0, H)
            sigma = rng.uniform(1.5, 3.0)
            amp = rng.uniform(0.15, 1.0)
            m = amp * np.exp(-((xs - mx) ** 2 + (ys - my) ** 2) / (2 * sigma ** 2))
            if rng.uniform() < 0.4:  # a weaker second blob
                m += 0.5 * amp * np.exp(-((xs - rng.uniform(0, W)) ** 2 + (ys - rng.uniform(0, H)) ** 2) / 8.0)
            hm[n, k] = m + rng.normal(0.0, 0.01, size=(H, W))

    def blob(cx, cy, amp=0.8, sigma=2.0):
        return amp * np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * sigma ** 2))

    # Hand-placed cases (keypoint rows of sample 0 and 1):
    hm[0, 0] = -np.abs(hm[0, 0]) - 0.01          # every value negative: coordinates zeroed
    hm[0, 1] = blob(1.3, 30.2)                   # argmax x = 1: no Taylor step, no quarter step
    hm[0, 2] = blob(46.2, 20.4)                  # argmax x = W-2: no Taylor step, quarter step
    hm[0, 3] = blob(2.3, 2.4)                    # argmax (2, 2): the first Taylor-step position
    hm[0, 4] = blob(44.7, 60.6)                  # argmax (45, 61): the last Taylor-step position
    hm[0, 5] = blob(20.0, 61.8)                  # argmax y = H-2: no Taylor step
    hm[1, 0] = 0.0                               # all zero: maxval 0, coordinates zeroed, 0/0 in the blur
    hm[1, 1] = blob(23.0, 31.0)                  # an exactly centred symmetric peak: zero offset
    return hm.astype(np.float32)


# ---- get_max_preds --------------------------------------------------------------------------
def max_preds(hm):
    n, k, _, w = hm.shape
    flat = hm.reshape((n, k, -1))
    idx = np.argmax(flat, 2).reshape((n, k, 1))
    maxvals = np.amax(flat, 2).reshape((n, k, 1))
    coords = np.tile(idx, (1, 1, 2)).astype(np.float32)
    coords[:, :, 0] = coords[:, :, 0] % w
    coords[:, :, 1] = np.floor(coords[:, :, 1] / w)
    coords *= np.tile(np.greater(maxvals, 0.0), (1, 1, 2)).astype(np.float32)
    return coords, maxvals


# ---- HRNet POST_PROCESS ---------------------------------------------------------------------
def quarter(hm, coords):
    out = coords.copy()
    h, w = hm.shape[2], hm.shape[3]
    for n in range(out.shape[0]):
        for k in range(out.shape[1]):
            m = hm[n][k]
            px = int(np.floor(out[n][k][0] + 0.5))
            py = int(np.floor(out[n][k][1] + 0.5))
            if 1 < px < w - 1 and 1 < py < h - 1:
                d = np.array([m[py][px + 1] - m[py][px - 1], m[py + 1][px] - m[py - 1][px]])
                out[n][k] += np.sign(d) * .25
    return out


# ---- DARK -----------------------------------------------------------------------------------
def blur_maps(hm, kernel):
    b = (kernel - 1) // 2
    out = hm.copy()
    for n in range(out.shape[0]):
        for k in range(out.shape[1]):
            top = np.max(out[n, k])
            padded = np.zeros((out.shape[2] + 2 * b, out.shape[3] + 2 * b))   # float64, as official
            padded[b:-b, b:-b] = out[n, k]
            padded = cv2.GaussianBlur(padded, (kernel, kernel), 0)
            out[n, k] = padded[b:-b, b:-b]
            out[n, k] *= top / np.max(out[n, k])
    return out


def newton_step(m, c):
    h, w = m.shape
    px, py = int(c[0]), int(c[1])
    if not (1 < px < w - 2 and 1 < py < h - 2):
        return
    # m[...] are np.float32 scalars; the Python-number factors promote to float64 as in NumPy 1.x.
    gx = 0.5 * (m[py][px + 1] - m[py][px - 1])
    gy = 0.5 * (m[py + 1][px] - m[py - 1][px])
    hxx = 0.25 * (m[py][px + 2] - 2 * m[py][px] + m[py][px - 2])
    hxy = 0.25 * (m[py + 1][px + 1] - m[py - 1][px + 1] - m[py + 1][px - 1] + m[py - 1][px - 1])
    hyy = 0.25 * (m[py + 2][px] - 2 * m[py][px] + m[py - 2][px])
    if hxx * hyy - hxy ** 2 != 0:
        hess = np.array([[hxx, hxy], [hxy, hyy]])
        grad = np.array([[gx], [gy]])
        c += (-np.linalg.inv(hess) @ grad)[:, 0]


def dark(hm, coords, kernel):
    lg = np.log(np.maximum(blur_maps(hm, kernel), 1e-10))
    out = coords.copy()
    for n in range(out.shape[0]):
        for k in range(out.shape[1]):
            newton_step(lg[n][k], out[n][k])
    return out


# ---- transform_preds ((w-1) convention) -----------------------------------------------------
def inverse_affine(center, scale, size):
    st = scale * 200.0
    sw = st[0]
    dw, dh = size
    d = (sw - 1) * -0.5
    src = np.zeros((3, 2), dtype=np.float32)
    dst = np.zeros((3, 2), dtype=np.float32)
    src[0, :] = center
    src[1, :] = center + [0.0 * np.cos(0.0) - d * np.sin(0.0), 0.0 * np.sin(0.0) + d * np.cos(0.0)]
    dst[0, :] = [(dw - 1) * 0.5, (dh - 1) * 0.5]
    dst[1, :] = np.array([(dw - 1) * 0.5, (dh - 1) * 0.5]) + np.array([0, (dw - 1) * -0.5], np.float32)

    def third(a, b):
        v = a - b
        return b + np.array([-v[1], v[0]], dtype=np.float32)

    src[2, :] = third(src[0, :], src[1, :])
    dst[2, :] = third(dst[0, :], dst[1, :])
    return cv2.getAffineTransform(np.float32(dst), np.float32(src))


def to_image(coords, centers, scales, size):
    out = coords.copy()  # float32, like get_final_preds' preds
    for n in range(coords.shape[0]):
        t = inverse_affine(centers[n], scales[n], size)
        res = np.zeros(coords[n].shape)
        for k in range(coords.shape[1]):
            res[k, 0:2] = np.dot(t, np.array([coords[n][k][0], coords[n][k][1], 1.]).T)[:2]
        out[n] = res
    return out


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(20240611)
    hm = make_heatmaps(rng)
    centers = np.array([[321.5, 187.25], [90.0, 402.75]], dtype=np.float32)
    scales = np.array([[1.03125, 1.375], [0.4453125, 0.59375]], dtype=np.float32)

    with np.errstate(invalid="ignore", divide="ignore"):
        coords, maxvals = max_preds(hm)
        q = quarter(hm, coords)
        d = dark(hm, coords, KERNEL)
    size = [W, H]
    imgs = [to_image(c, centers, scales, size) for c in (coords, q, d)]

    hm.astype("<f4").tofile(os.path.join(out_dir, "heatmaps.bin"))
    g = lambda v: "%.9g" % float(v)
    with open(os.path.join(out_dir, "expected.txt"), "w") as f:
        f.write("# written by scripts/make_decode_fixtures.py (official TransPose/HRNet decoding, NumPy %s, "
                "OpenCV %s)\n" % (np.__version__, cv2.__version__))
        f.write("shape %d %d %d %d\nkernel %d\n" % (N, K, H, W, KERNEL))
        for n in range(N):
            f.write("cs %d %s %s %s %s\n" % (n, g(centers[n, 0]), g(centers[n, 1]), g(scales[n, 0]), g(scales[n, 1])))
        for n in range(N):
            for k in range(K):
                vals = [maxvals[n, k, 0], coords[n, k, 0], coords[n, k, 1], q[n, k, 0], q[n, k, 1], d[n, k, 0],
                        d[n, k, 1]]
                for im in imgs:
                    vals += [im[n, k, 0], im[n, k, 1]]
                f.write("kp %d %d %s\n" % (n, k, " ".join(g(v) for v in vals)))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/data/decode")
