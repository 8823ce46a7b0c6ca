#!/usr/bin/env python3
"""bench_ppt.py [ROUNDS]: PPT (keep ratio 0.7) against TokenPose (the same model unpruned), side by side.

For each model pair (S-v1: 256 visual tokens; S-v2: 768) and batch size, the rounds alternate which
side runs first; each round runs build/tests/model_bench (fresh process, 2 threads, 2 warm-up and
N timed passes) for both. Prints a Markdown table: medians over rounds of each round's median,
and the speed-up TokenPose / PPT.
"""
import os
import statistics
import subprocess
import sys

BENCH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build", "tests", "model_bench")


def run(preset, batch, repeats, overrides):
    out = subprocess.run([BENCH, preset, str(batch), "0", str(repeats), "2", *overrides], check=True,
                         capture_output=True, text=True).stdout.split()
    return float(out[0])


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    pairs = [("S-v1", "ppt-s", []), ("S-v2 (2x2 patches)", "tokenpose-s-v2", ["MODEL.PRUNING_RATIO=0.7"])]
    print("| model | tokens | batch | TokenPose (ms) | PPT r = 0.7 (ms) | TokenPose / PPT |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, preset, prune in pairs:
        for batch, repeats in ((1, 7), (8, 3)):
            full, pruned = [], []
            for r in range(rounds):
                order = [("full", ["MODEL.PRUNING_RATIO=1.0"]), ("pruned", prune)]
                if r % 2:
                    order.reverse()
                for side, overrides in order:
                    ms = run(preset, batch, repeats, overrides)
                    (full if side == "full" else pruned).append(ms)
            f, p = statistics.median(full), statistics.median(pruned)
            tokens = 768 if "v2" in name else 256
            print(f"| {name} | {tokens} | {batch} | {f:.1f} | {p:.1f} | {f / p:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
