#!/usr/bin/python3
"""Writes the small checkpoint fixtures under tests/data/pth with Debian's python3-torch.

Run once by hand (the outputs are committed; CI does not run this):
    /usr/bin/python3 scripts/make_pth_fixtures.py tests/data/pth

Each fixture <name>.pth gets <name>.expected.tsv: one line per state-dict entry,
key<TAB>shape<TAB>dtype<TAB>sum<TAB>first values, with values as torch.load reads them.
Also writes official_reference.tsv for the shared official fixtures when their folder is given.
"""
import collections
import io
import os
import sys
import zipfile

import numpy as np
import torch


def describe(sd):
    lines = []
    for k, t in sd.items():
        flat = t.detach().reshape(-1).to(torch.float64)
        first = ",".join(repr(float(x)) for x in flat[:4].tolist())
        lines.append("\t".join([k, str(list(t.shape)), str(t.dtype).replace("torch.", ""),
                                repr(float(flat.sum())) if flat.numel() else "0.0", first]))
    return "\n".join(lines) + "\n"


def base_state_dict():
    g = torch.Generator().manual_seed(7)
    sd = collections.OrderedDict()
    sd["conv.weight"] = torch.randn(4, 3, 3, 3, generator=g)
    sd["conv.bias"] = torch.randn(4, generator=g)
    sd["bn.running_mean"] = torch.randn(4, generator=g)
    sd["bn.num_batches_tracked"] = torch.tensor(1234, dtype=torch.int64)
    sd["fc.weight"] = torch.randn(2, 8, generator=g)
    return sd


def save(out, name, obj, sd, **kw):
    path = os.path.join(out, name + ".pth")
    torch.save(obj, path, **kw)
    back = torch.load(path)
    if sd is not None:
        with open(os.path.join(out, name + ".expected.tsv"), "w") as f:
            f.write(describe(sd))
    return back


def main(out, official=None):
    os.makedirs(out, exist_ok=True)
    sd = base_state_dict()
    save(out, "plain", sd, sd)
    save(out, "legacy", sd, sd, _use_new_zipfile_serialization=False)

    # Views: offsets, transposed strides, and storages shared between entries.
    g = torch.Generator().manual_seed(11)
    base = torch.randn(6, 5, generator=g)
    views = collections.OrderedDict()
    views["base"] = base
    views["rows"] = base[2:5]
    views["transposed"] = base.t()
    views["column"] = base[:, 3]
    views["strided"] = base[::2, 1::2]
    views["own"] = torch.arange(10, dtype=torch.float32)
    save(out, "views", views, views)
    save(out, "legacy_views", views, views, _use_new_zipfile_serialization=False)

    # Every dtype the reader supports.
    dt = collections.OrderedDict()
    dt["f16"] = torch.linspace(-2, 2, 7).to(torch.float16)
    dt["bf16"] = torch.linspace(-3, 3, 5).to(torch.bfloat16)
    dt["f64"] = torch.linspace(0, 1, 4, dtype=torch.float64)
    dt["i64"] = torch.tensor([-5, 0, 2**40], dtype=torch.int64)
    dt["i32"] = torch.tensor([-7, 9], dtype=torch.int32)
    dt["i16"] = torch.tensor([-300, 300], dtype=torch.int16)
    dt["u8"] = torch.tensor([0, 200, 255], dtype=torch.uint8)
    dt["i8"] = torch.tensor([-128, 5], dtype=torch.int8)
    dt["b"] = torch.tensor([True, False, True])
    dt["scalar"] = torch.tensor(3.5)
    dt["empty"] = torch.zeros(0, 3)
    save(out, "dtypes", dt, dt)

    # nn.Parameter objects (a dict of parameters rather than a state dict) pickle through
    # torch._utils._rebuild_parameter.
    params = collections.OrderedDict((k, torch.nn.Parameter(v, requires_grad=v.is_floating_point()))
                                     for k, v in sd.items())
    save(out, "parameters", params, sd)

    # Wrapped checkpoints, as training scripts write them.
    save(out, "wrapped_state_dict",
         {"epoch": 140, "perf": np.float64(0.7421), "model": "transpose_r", "state_dict": sd,
          "optimizer": {"state": {}, "param_groups": [{"lr": 1e-4, "betas": (0.9, 0.999), "params": [0, 1]}]}},
         sd)
    save(out, "wrapped_model", {"model": sd, "iteration": 5000}, sd)
    save(out, "wrapped_model_state", {"model_state": sd, "cfg": "TP_R_256x192.yaml", "best": 0.75}, sd)
    save(out, "dataparallel", collections.OrderedDict(("module." + k, v) for k, v in sd.items()), sd)

    # Saved from a GPU: the location tag says cuda:0 (no GPU is needed to write it).
    tag = torch.serialization.location_tag
    torch.serialization.location_tag = lambda storage: "cuda:0"
    try:
        torch.save(sd, os.path.join(out, "cuda_saved.pth"))
    finally:
        torch.serialization.location_tag = tag
    with open(os.path.join(out, "cuda_saved.expected.tsv"), "w") as f:
        f.write(describe(sd))

    # A pickled module instead of a state dict: must be refused without running anything.
    torch.save({"model": torch.nn.Linear(2, 2)}, os.path.join(out, "pickled_module.pth"))

    if official:
        with open(os.path.join(out, "official_reference.tsv"), "w") as f:
            for name in sorted(os.listdir(official)):
                if name.endswith(".pth"):
                    ref = torch.load(os.path.join(official, name), map_location="cpu")
                    for line in describe(ref).splitlines():
                        f.write(name + "\t" + line + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)
