// Loading and saving PyTorch state dicts in C++, with no Python.
//
// Usage:
//   auto ckpt = posescope::models::loadCheckpoint("tp_r_256x192_enc4_d256_h1024_mh8.pth");
//   posescope::models::loadStateDict(*net, ckpt.tensors, ckpt.info.path);   // strict
//   posescope::models::saveStateDict(posescope::models::stateDictOf(*net), "mine.pth");
//
//   // Training checkpoints: nested dicts of numbers, strings and tensors, like torch.save(dict).
//   using V = posescope::models::CheckpointValue;
//   V root = V::dict({{V("epoch"), V(int64_t{3})}, {V("state_dict"), V::stateDict(stateDictOf(*net))}});
//   posescope::models::saveCheckpoint(root, "checkpoint.pth");
//   auto c = posescope::models::loadCheckpointContents("checkpoint.pth");
//   int epoch = std::stoi(c.values.at("epoch"));            // leaves by dotted path
//   torch::Tensor w = c.tensor("state_dict.final_layer.weight");
//
// loadCheckpoint reads what checkpoint_info.h describes (zip and legacy formats, wrapped
// checkpoints, "module." prefixes, CUDA tensors mapped to CPU). Storages shared between tensors
// stay shared; views keep their offsets and strides. saveStateDict writes the zip format of
// torch.save, which Python's torch.load opens.
//
// loadStateDict is strict: every missing, unexpected or mis-shaped key is listed in one
// StateDictMismatch error, and nothing is copied unless everything matches, so no parameter is
// ever left silently at its random initialisation. A key map renames (or drops, by returning
// std::nullopt) checkpoint keys before matching, for families whose official layouts differ.
//
// Errors: posescope::FileError (reading/writing), StateDictMismatch (strict loading).
// Thread-safety: free functions; the module passed to loadStateDict must not be used
// concurrently while it is being filled.
#pragma once

#include "posescope/datasets/error.h"
#include "posescope/models/checkpoint_info.h"

#include <torch/nn/module.h>
#include <torch/types.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace posescope::models {

/// Named tensors in state-dict order.
using StateDict = std::vector<std::pair<std::string, torch::Tensor>>;

struct Checkpoint {
    CheckpointInfo info;
    StateDict tensors;  // CPU tensors, state-dict order
};

/// Reads a .pth file. Throws FileError.
Checkpoint loadCheckpoint(const std::string& path);

/// Writes `tensors` as a zip-format state dict (an OrderedDict, like torch.save(model.state_dict())).
/// Writes to a temporary file beside `path` and renames it, so a failure never leaves a partial file.
/// Throws FileError.
void saveStateDict(const StateDict& tensors, const std::string& path);

/// A value of a checkpoint that holds more than a state dict (what torch.save writes for nested
/// dicts of numbers, strings and tensors). Dict keys are strings or integers.
struct CheckpointValue {
    enum class Kind { None, Bool, Int, Float, Str, Tensor, List, Tuple, Dict, OrderedDict };
    Kind kind = Kind::None;
    bool boolean = false;
    int64_t integer = 0;
    double real = 0;
    std::string text;
    torch::Tensor tensor;
    std::vector<CheckpointValue> items;                                // List, Tuple
    std::vector<std::pair<CheckpointValue, CheckpointValue>> entries;  // Dict, OrderedDict

    CheckpointValue() = default;
    explicit CheckpointValue(bool v) : kind(Kind::Bool), boolean(v) {}
    explicit CheckpointValue(int64_t v) : kind(Kind::Int), integer(v) {}
    explicit CheckpointValue(double v) : kind(Kind::Float), real(v) {}
    explicit CheckpointValue(std::string v) : kind(Kind::Str), text(std::move(v)) {}
    explicit CheckpointValue(const char* v) : kind(Kind::Str), text(v) {}
    explicit CheckpointValue(torch::Tensor v) : kind(Kind::Tensor), tensor(std::move(v)) {}
    static CheckpointValue list(std::vector<CheckpointValue> items, bool tuple = false);
    static CheckpointValue dict(std::vector<std::pair<CheckpointValue, CheckpointValue>> entries);
    /// A state dict as torch.save(model.state_dict()) writes it: an OrderedDict of tensors.
    static CheckpointValue stateDict(const StateDict& tensors);
};

/// Writes `root` in torch.save's zip format, atomically (temporary file, flushed to disk, renamed).
/// Tensors sharing a storage keep sharing it. Throws FileError.
void saveCheckpoint(const CheckpointValue& root, const std::string& path);

/// Every leaf of a checkpoint by dotted path: dict keys and list indices joined with '.'.
struct CheckpointContents {
    StateDict tensors;                          // file order
    std::map<std::string, std::string> values;  // non-tensor leaves as text (integers exact,
                                                // floats with 17 digits, True/False/None)
    /// The tensor at `path`; FileError naming `source` when there is none.
    const torch::Tensor& tensor(const std::string& path) const;
    /// The value at `path`; FileError naming `source` when there is none.
    const std::string& value(const std::string& path) const;
    std::string source;
};

/// Reads a whole checkpoint (zip or legacy format) into CheckpointContents. Throws FileError.
CheckpointContents loadCheckpointContents(const std::string& path);

/// A module's parameters and buffers under their state-dict names, in the order Python's
/// state_dict() lists them (each module's own parameters, then its buffers, then its children).
StateDict stateDictOf(const torch::nn::Module& module);

/// Maps a checkpoint key to a module key; std::nullopt drops the entry.
using KeyMap = std::function<std::optional<std::string>(const std::string&)>;

struct LoadOptions {
    KeyMap keyMap;  // empty: keys are used as they are
    /// Partial loading (e.g. an ImageNet backbone into a pose model): module keys the (mapped)
    /// file lacks keep their values. Unexpected and mis-shaped keys are still errors.
    bool allowMissing = false;
};

class StateDictMismatch : public FileError {
public:
    /// `note` (what the file is instead, when it is another model) is appended to the message,
    /// whose lists are then cut to their first 12 keys; the accessors keep every key.
    StateDictMismatch(const std::string& source, std::vector<std::string> missing, std::vector<std::string> unexpected,
                      std::vector<std::string> misshaped, const std::string& note = "");
    const std::vector<std::string>& missing() const { return m_missing; }        // in the module, not the file
    const std::vector<std::string>& unexpected() const { return m_unexpected; }  // in the file, not the module
    const std::vector<std::string>& misshaped() const { return m_misshaped; }    // "key: file [..] vs model [..]"

private:
    std::vector<std::string> m_missing;
    std::vector<std::string> m_unexpected;
    std::vector<std::string> m_misshaped;
};

/// Copies `tensors` into `module` strictly (see above). `source` names the file in errors.
void loadStateDict(torch::nn::Module& module, const StateDict& tensors, const std::string& source,
                   const LoadOptions& options = {});

}  // namespace posescope::models
