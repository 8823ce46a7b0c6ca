"""compare_runs.py A.h5 B.h5: checks with h5py that two run files hold the same samples.

Rows are matched by /samples/index; every /samples array must agree (integers and float16 arrays
exactly, float32 within 1e-5 relative; NaN equals NaN) and each sample's JPEG crop bytes must be identical. Prints
"equal N samples" or exits 1 naming the first difference.
"""
import sys

import h5py
import numpy as np


def rows(f):
    idx = f["samples/index"][:]
    if len(np.unique(idx)) != len(idx):
        sys.exit(f"{f.filename}: duplicated samples")
    return idx


def main(a_path, b_path):
    a, b = h5py.File(a_path, "r"), h5py.File(b_path, "r")
    ia, ib = rows(a), rows(b)
    if not np.array_equal(np.sort(ia), np.sort(ib)):
        sys.exit(f"different samples: {len(ia)} vs {len(ib)} (missing {sorted(set(ia) - set(ib))[:10]})")
    oa, ob = np.argsort(ia), np.argsort(ib)
    if sorted(a["samples"].keys()) != sorted(b["samples"].keys()):
        sys.exit(f"different arrays: {sorted(a['samples'].keys())} vs {sorted(b['samples'].keys())}")
    for name in a["samples"].keys():
        if name == "crop_jpeg_range":
            continue
        x, y = a["samples"][name][:][oa], b["samples"][name][:][ob]
        if x.dtype == np.float32:
            ok = np.allclose(x, y, rtol=1e-5, atol=1e-5, equal_nan=True)
        elif x.dtype == np.float16:
            ok = np.array_equal(x, y, equal_nan=True)
        else:
            ok = np.array_equal(x, y)
        if not ok:
            sys.exit(f"/samples/{name} differs (max |diff| {np.abs(x.astype(float) - y.astype(float)).max()})")
    ra, rb = a["samples/crop_jpeg_range"][:][oa], b["samples/crop_jpeg_range"][:][ob]
    ja, jb = a["crop_jpeg"][:], b["crop_jpeg"][:]
    for (sa, na), (sb, nb) in zip(ra, rb):
        if bytes(ja[sa:sa + na]) != bytes(jb[sb:sb + nb]):
            sys.exit("a crop JPEG differs")
    for key in ("checkpoint_sha256", "dataset_sha256", "config", "level", "flip", "total_samples"):
        if a.attrs[key] != b.attrs[key]:
            sys.exit(f"attribute {key} differs")
    print(f"equal {len(ia)} samples")


if __name__ == "__main__":
    main(*sys.argv[1:3])
