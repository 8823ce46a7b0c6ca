// Reports on a checkpoint for people and scripts: text, JSON, and parameters per module.
//
// Usage:
//   auto info = posescope::models::inspectCheckpoint("tp_r_a4.pth");
//   std::cout << posescope::analysis::formatCheckpointText(info);
//   for (auto& m : posescope::analysis::parametersByModule(info, 1)) plot(m.module, m.parameters);
//
// Errors: none (pure formatting). Thread-safety: pure functions.
#pragma once

#include "posescope/models/checkpoint_info.h"

#include <cstdint>
#include <string>
#include <vector>

namespace posescope::analysis {

struct ModuleShare {
    std::string module;      // key prefix of `depth` components, e.g. "layer1" or "global_encoder.layers"
    int64_t parameters = 0;  // as countParameters() counts them
    int tensors = 0;
};

/// Groups tensors by the first `depth` dot-separated components of their names (numeric
/// components such as layer indices are kept), in first-seen order.
std::vector<ModuleShare> parametersByModule(const models::CheckpointInfo& info, int depth = 1);

/// A human-readable report: format, wrapper, architecture, counts, metadata, then one line per
/// tensor (key, shape, dtype) unless `listTensors` is false.
std::string formatCheckpointText(const models::CheckpointInfo& info, bool listTensors = true);

/// The same content as a JSON object (keys "path", "format", "state_dict_key",
/// "stripped_module_prefix", "architecture", "parameters", "elements", "bytes", "metadata", "tensors").
std::string formatCheckpointJson(const models::CheckpointInfo& info);

}  // namespace posescope::analysis
