// Loading and saving PyTorch state dicts in C++, with no Python.
//
// Usage:
//   auto ckpt = posescope::models::loadCheckpoint("tp_r_256x192_enc4_d256_h1024_mh8.pth");
//   posescope::models::loadStateDict(*net, ckpt.tensors, ckpt.info.path);   // strict
//   posescope::models::saveStateDict(posescope::models::stateDictOf(*net), "mine.pth");
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

/// A module's parameters and buffers under their state-dict names, in the order Python's
/// state_dict() lists them (each module's own parameters, then its buffers, then its children).
StateDict stateDictOf(const torch::nn::Module& module);

/// Maps a checkpoint key to a module key; std::nullopt drops the entry.
using KeyMap = std::function<std::optional<std::string>(const std::string&)>;

struct LoadOptions {
    KeyMap keyMap;  // empty: keys are used as they are
};

class StateDictMismatch : public FileError {
public:
    StateDictMismatch(const std::string& source, std::vector<std::string> missing, std::vector<std::string> unexpected,
                      std::vector<std::string> misshaped);
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
