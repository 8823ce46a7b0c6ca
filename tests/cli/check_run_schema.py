"""check_run_schema.py RUN.h5 [LEVEL]: checks a run file against docs/hdf5-schema.md with h5py only.

Proves that a recorded run is readable without PoseScope: every attribute of the schema with its
type, every /samples array with the shape, dtype, chunking and compression the schema gives, the
JPEG crops decodable by their magic bytes, dependency rows that are attention rows (sum to 1).
Prints "schema ok: N samples, level L" or exits 1 naming the first mismatch.
"""
import json
import sys

import h5py
import numpy as np

STRINGS = ["format", "posescope_version", "created", "model_family", "model_variant", "config", "config_source",
           "checkpoint", "checkpoint_sha256", "dataset_kind", "dataset", "dataset_sha256", "images", "boxes",
           "boxes_sha256", "selection", "decoder", "level", "finished"]
INTS = ["format_version", "layers", "heads", "flip", "layerwise", "total_samples", "first_index", "planned_samples", "complete",
        "skipped_samples", "mhsa_blocks", "mhsa_heads"]
PAIRS = ["input_size", "heatmap_size", "token_grid", "shard"]


def fail(msg):
    sys.exit(f"schema mismatch: {msg}")


def main(path, want_level=None):
    f = h5py.File(path, "r")
    a = f.attrs
    for k in STRINGS:
        if k not in a or not isinstance(a[k], (bytes, str)):
            fail(f"attribute {k} missing or not a string")
    for k in INTS:
        if k not in a or np.asarray(a[k]).shape != () or not np.issubdtype(np.asarray(a[k]).dtype, np.integer):
            fail(f"attribute {k} missing or not an integer")
    for k in PAIRS:
        if np.asarray(a[k]).shape != (2,):
            fail(f"attribute {k} is not two integers")
    if a["format"] != b"posescope-run" and a["format"] != "posescope-run":
        fail("format is not posescope-run")
    json.loads(a["config"])
    names = [n.decode() if isinstance(n, bytes) else n for n in a["keypoint_names"]]
    K, L, H = len(names), int(a["layers"]), int(a["heads"])
    rows, cols = (int(x) for x in a["token_grid"])
    T = rows * cols
    w, h = (int(x) for x in a["heatmap_size"])
    for k in ("skeleton", "flip_pairs"):
        s = np.asarray(a[k])
        if s.ndim != 2 or s.shape[1] != 2 or s.max() >= K:
            fail(f"{k} is not pairs of keypoint indices")
    level = a["level"].decode() if isinstance(a["level"], bytes) else a["level"]
    if want_level and level != want_level:
        fail(f"level {level}, expected {want_level}")
    S = f["samples/index"].shape[0]
    n = int(f["committed_samples"][0])
    if n != S:
        fail(f"committed_samples {n} but {S} rows")
    expect = {
        "index": ((), "int64"), "image_id": ((), "int64"), "annotation_id": ((), "int64"),
        "box": ((4,), "float32"), "box_score": ((), "float32"), "center": ((2,), "float32"),
        "scale": ((2,), "float32"), "crop_transform": ((2, 3), "float32"),
        "ground_truth": ((K, 3), "float32"), "keypoints": ((K, 3), "float32"),
        "layer_keypoints": ((L, K, 3), "float32"), "query_tokens": ((K,), "int32"),
        "crop_jpeg_range": ((2,), "int64"), "dependency": ((L, K, T), "float16"),
    }
    if H > 1:
        expect["dependency_heads"] = ((L, H, K, T), "float16")
    if level in ("heatmaps", "full"):
        expect["heatmaps"] = ((K, h, w), "float16")
    if level == "full":
        expect["attention"] = ((L, H, T, T), "float16")
    prefix = int(a["keypoint_tokens"])
    if prefix not in (0, K):
        fail(f"keypoint_tokens is {prefix}: expected 0 (TransPose) or K = {K} (token models)")
    stages = np.asarray(a["pruning_layers"])
    keep = float(a["keep_ratio"])
    if stages.ndim != 1 or not (0 < keep <= 1) or (len(stages) > 0) != (keep < 1):
        fail("pruning_layers / keep_ratio are inconsistent")
    S_ = len(stages)
    if S_:
        expect["pruning_scores"] = ((S_, T), "float32")
        expect["kept_rank"] = ((S_, T), "int32")
    B = int(a["mhsa_blocks"])
    Hm = int(a["mhsa_heads"])
    if (B > 0) != (Hm > 0):
        fail("mhsa_blocks / mhsa_heads are inconsistent")
    if B:
        expect["mhsa_dependency"] = ((B, Hm, K, T), "float16")
        if level == "full":
            expect["mhsa_attention"] = ((B, Hm, T, T), "float16")
    occlusion = "occlusion_window" in a and int(np.asarray(a["occlusion_window"])[0]) > 0
    if occlusion:
        for k in ("occlusion_window", "occlusion_grid"):
            if np.asarray(a[k]).shape != (2,):
                fail(f"attribute {k} is not two integers")
        json.loads(a["occlusion_fill"])
        size, stride = (int(x) for x in a["occlusion_window"])
        gr, gc = (int(x) for x in a["occlusion_grid"])
        iw, ih = (int(x) for x in a["input_size"])
        # Top-left corners 0, stride, … with the last window flush with the border.
        def corners(extent):
            return len(range(0, extent - size, stride)) + 1
        if (gr, gc) != (corners(ih), corners(iw)):
            fail(f"occlusion_grid {gr}x{gc} does not follow from the window {size} and stride {stride}")
        W = gr * gc
        expect["occlusion_score_drop"] = ((W, K), "float32")
        expect["occlusion_displacement"] = ((W, K), "float32")
        expect["occlusion_oks"] = ((W, K), "float32")
        expect["reference_oks"] = ((K,), "float32")
        expect["occluder_id"] = ((K,), "int64")
        expect["occluder_share"] = ((L, K), "float32")
        if int(a["targeted_margin"]) > 0:
            # One region per keypoint, then one per body part (names + [P, K] 0/1 membership).
            P = 0
            if "targeted_part_names" in a:
                names = list(a["targeted_part_names"])
                members = np.asarray(a["targeted_part_keypoints"])
                P = len(names)
                if members.shape != (P, K) or not set(np.unique(members)) <= {0, 1} or (members.sum(1) == 0).any():
                    fail(f"targeted_part_keypoints is {members.shape}, expected ({P}, {K}) of 0/1 with a keypoint each")
            R = K + P
            expect["targeted_region"] = ((R, 4), "int32")
            expect["targeted_keypoints"] = ((R, K, 3), "float32")
            expect["targeted_share_before"] = ((R, L, K), "float32")
            expect["targeted_share_after"] = ((R, L, K), "float32")
            expect["targeted_rows"] = ((R, L, T), "float16")
            if int(a["targeted_all_rows"]):
                expect["targeted_dependency"] = ((R, L, K, T), "float16")
    if sorted(f["samples"].keys()) != sorted(expect):
        fail(f"/samples holds {sorted(f['samples'].keys())}, expected {sorted(expect)}")
    for name, (shape, dtype) in expect.items():
        d = f["samples"][name]
        if d.shape != (S,) + shape or d.dtype != np.dtype(dtype):
            fail(f"/samples/{name} is {d.shape} {d.dtype}, expected {(S,) + shape} {dtype}")
        large = name in ("dependency", "dependency_heads", "mhsa_dependency", "heatmaps", "attention",
                         "mhsa_attention", "pruning_scores", "kept_rank", "occlusion_score_drop",
                         "occlusion_displacement", "occlusion_oks", "targeted_keypoints", "targeted_share_before",
                         "targeted_share_after", "targeted_rows", "targeted_dependency")
        if d.maxshape[0] is not None or d.chunks is None:
            fail(f"/samples/{name} is not extensible and chunked")
        if large and (d.compression != "gzip" or not d.shuffle or d.chunks[0] != 1):
            fail(f"/samples/{name} is not deflated and shuffled with one sample per chunk")
        if not large and d.compression is not None:
            fail(f"/samples/{name} is compressed (small arrays are stored raw for crash safety)")
    idx = f["samples/index"][:]
    if S and (np.any(np.diff(idx) <= 0) or idx[0] < a["first_index"]):
        fail("sample indices are not increasing within the shard's slice")
    jpeg = f["crop_jpeg"]
    for off, size in f["samples/crop_jpeg_range"][:]:
        if bytes(jpeg[off:off + 2]) != b"\xff\xd8" or off + size > jpeg.shape[0]:
            fail("a crop is not a JPEG")
    if S:
        sums = f["samples/dependency"][0].astype(np.float64).sum(-1)
        if prefix == 0 and not np.allclose(sums, 1, atol=0.02):
            fail("dependency rows do not sum to 1")
        if prefix > 0 and (sums.max() > 1.02 or sums.min() <= 0):
            fail("keypoint-token rows over the visual tokens do not sum to (0, 1]")
        if B and not np.allclose(f["samples/mhsa_dependency"][0].astype(np.float64).sum(-1), 1, atol=0.02):
            fail("MHSA dependency rows do not sum to 1")
        if S_:
            ranks = f["samples/kept_rank"][0]
            scores = f["samples/pruning_scores"][0]
            n = T
            for st in range(S_):
                kept = int(np.ceil(n * keep - 1e-9))
                got = np.sort(ranks[st][ranks[st] >= 0])
                if not np.array_equal(got, np.arange(kept)):
                    fail(f"stage {st + 1} keeps ranks {got[:5]}…, expected 0..{kept - 1}")
                if np.isnan(scores[st]).sum() != T - n:
                    fail(f"stage {st + 1} scores {T - np.isnan(scores[st]).sum()} tokens, expected {n}")
                n = kept
        q = f["samples/query_tokens"][:]
        if q.min() < 0 or q.max() >= T:
            fail("query tokens outside the token grid")
    print(f"schema ok: {S} samples, level {level}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
