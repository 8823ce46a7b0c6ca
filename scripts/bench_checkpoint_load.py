#!/usr/bin/python3
"""Checkpoint loading, C++ (posescope loadCheckpoint) vs Python (torch.load), side by side.

    /usr/bin/python3 scripts/bench_checkpoint_load.py [REPEATS]

Writes each official fixture and a large synthetic state dict (TransPose-H-A6-sized, written with
torch.save into a temporary folder), then for each file measures the median of REPEATS loads in
both, alternating C++ and Python per file so machine noise hits both alike. Prints a Markdown
table for docs/benchmarks.md. Needs build/tests/checkpoint_load_bench (scripts/setup.sh builds it).
"""
import collections
import os
import statistics
import subprocess
import sys
import tempfile
import time

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "build", "tests", "checkpoint_load_bench")
OFFICIAL = os.path.join(ROOT, "..", "shared", "fixtures", "official")


def python_ms(path, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        torch.load(path, map_location="cpu")
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def cpp_ms(path, repeats):
    out = subprocess.run([BENCH, path, str(repeats)], check=True, capture_output=True, text=True).stdout
    return float(out.split()[0])


def main(repeats):
    torch.set_num_threads(os.cpu_count())
    files = [os.path.join(OFFICIAL, f) for f in sorted(os.listdir(OFFICIAL)) if f.endswith(".pth")]
    with tempfile.TemporaryDirectory() as tmp:
        big = collections.OrderedDict()
        g = torch.Generator().manual_seed(0)
        for i in range(1000):  # ~17.5 M float32 parameters in 1000 tensors, like TransPose-H-A6
            big[f"layer{i}.weight"] = torch.randn(17500, generator=g)
        big_path = os.path.join(tmp, "synthetic_17M.pth")
        torch.save(big, big_path)
        files.append(big_path)
        print(f"| file | size (MB) | C++ loadCheckpoint (ms) | Python torch.load (ms) | Python / C++ |")
        print(f"|---|---:|---:|---:|---:|")
        for path in files:
            c = cpp_ms(path, repeats)
            p = python_ms(path, repeats)
            size = os.path.getsize(path) / 1e6
            print(f"| {os.path.basename(path)} | {size:.1f} | {c:.1f} | {p:.1f} | {p / c:.2f}x |")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
