// What is inside a PyTorch checkpoint, without LibTorch: keys, shapes, dtypes, counts, and the
// model architecture PoseScope recognises. Used by `posescope-cli info` and the GUI.
//
// Usage:
//   posescope::models::CheckpointInfo info = posescope::models::inspectCheckpoint("tp_r_a4.pth");
//   for (const auto& t : info.tensors) std::cout << t.name << ' ' << t.dtype << '\n';
//   std::cout << info.architecture.family << ' ' << info.architecture.variant << '\n';
//
// Reads both the zip format of PyTorch >= 1.6 and the legacy pre-1.6 format, bare state dicts
// and wrapped checkpoints ({"state_dict": …}, {"model": …}, {"model_state": …}, DataParallel's
// "module." prefix). Executes nothing: any Python global outside a data-only allow-list is refused.
//
// Errors: posescope::FileError naming the file and the problem (truncated file, not a
// checkpoint, unknown opcode, refused global, missing or short storage record, …).
// Thread-safety: free functions without shared state; safe to call concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace posescope::models {

struct TensorInfo {
    std::string name;
    std::vector<int64_t> shape;
    std::string
        dtype;  // "float32", "float16", "bfloat16", "float64", "int64", "int32", "int16", "uint8", "int8", "bool"

    int64_t numel() const;
    std::string shapeText() const;  // "[64, 3, 7, 7]", "[]" for scalars
};

/// The model a state dict belongs to, recognised from its key names and shapes.
struct ArchitectureMatch {
    std::string family;   // "TransPose-R", "TransPose-H", "BTranspose", "TokenPose", "PPT", "PVT v2", "HRPVT", or empty
    std::string variant;  // the paper's name when the hyper-parameters match one ("A4", "H-A6", "b2"), else empty
    std::string details;  // hyper-parameters read from the shapes, e.g. "d_model 256, FFN 1024, 4 encoder layers"

    bool recognised() const { return !family.empty(); }
    std::string text() const;  // one line for people
};

struct CheckpointInfo {
    std::string path;
    std::string format;                 // "zip" (PyTorch >= 1.6) or "legacy" (pre-1.6)
    std::string stateDictKey;           // where the state dict was found ("" = the file is a bare state dict)
    bool strippedModulePrefix = false;  // keys had DataParallel's "module." prefix, removed
    std::vector<TensorInfo> tensors;    // state-dict order
    std::vector<std::pair<std::string, std::string>> metadata;  // other entries, e.g. {"epoch", "140"}
    int64_t parameterCount = 0;  // elements, without BatchNorm running statistics and counters
    int64_t elementCount = 0;    // elements of every tensor
    int64_t byteCount = 0;       // bytes of every tensor
    ArchitectureMatch architecture;
};

/// Reads `path` and summarises it. Throws FileError.
CheckpointInfo inspectCheckpoint(const std::string& path);

/// Elements of all tensors except BatchNorm running_mean/running_var/num_batches_tracked.
int64_t countParameters(const std::vector<TensorInfo>& tensors);

/// Recognises the model family and variant from key names and shapes (never throws).
ArchitectureMatch recogniseArchitecture(const std::vector<TensorInfo>& tensors);

}  // namespace posescope::models
