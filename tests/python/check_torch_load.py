#!/usr/bin/python3
"""check_torch_load.py FILE.pth EXPECTED.tsv [FILE-COLUMN]

Opens FILE.pth with Python's torch.load (Debian's python3-torch) and checks that it is a state
dict with exactly the keys, shapes, dtypes and values listed in EXPECTED.tsv (the format written by
scripts/make_pth_fixtures.py). With FILE-COLUMN, only rows whose first column equals it are used.
Exits non-zero with a message on the first difference.
"""
import collections
import math
import sys

import torch


def main(path, expected_path, file_column=None):
    sd = torch.load(path, map_location="cpu")
    if not isinstance(sd, collections.OrderedDict):
        sys.exit(f"{path}: torch.load returned {type(sd).__name__}, not an OrderedDict")
    rows = []
    with open(expected_path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if file_column is not None:
                if parts[0] != file_column:
                    continue
                parts = parts[1:]
            rows.append(parts)
    if list(sd.keys()) != [r[0] for r in rows]:
        sys.exit(f"{path}: keys differ: {list(sd.keys())[:5]}... vs {[r[0] for r in rows][:5]}...")
    for (name, shape, dtype, total, first), t in zip(rows, sd.values()):
        if str(list(t.shape)) != shape or str(t.dtype).replace("torch.", "") != dtype:
            sys.exit(f"{path}: {name}: {list(t.shape)} {t.dtype}, expected {shape} {dtype}")
        flat = t.reshape(-1).to(torch.float64)
        s = float(flat.sum()) if flat.numel() else 0.0
        if not math.isclose(s, float(total), rel_tol=1e-9, abs_tol=1e-9):
            sys.exit(f"{path}: {name}: sum {s!r}, expected {total}")
        want = [float(v) for v in first.split(",") if v]
        if flat[: len(want)].tolist() != want:
            sys.exit(f"{path}: {name}: first values {flat[:len(want)].tolist()}, expected {want}")
    print(f"{path}: {len(rows)} tensors match")


if __name__ == "__main__":
    main(*sys.argv[1:])
