// The model families PoseScope knows, registered explicitly in one visible function.
//
// Usage:
//   const ModelRegistry& r = ModelRegistry::builtin();            // filled by registerBuiltinModels
//   std::shared_ptr<PoseModel> m = r.create(ModelConfig::preset("transpose-h-a6"));
//   for (const auto& f : r.families()) std::cout << f.name << '\n';
//
// A family is chosen by the configuration's MODEL.NAME (the official code's names:
// transpose_r, transpose_h, …). No static self-registration: adding a family means adding one
// line to registerBuiltinModels() (src/model_registry.cpp).
// Errors: create() throws ConfigError for an unknown MODEL.NAME, listing the known ones.
// Thread-safety: builtin() is initialised once, thread-safely; the registry is then read-only.
#pragma once

#include "posescope/models/checkpoint.h"
#include "posescope/models/model_config.h"
#include "posescope/models/pose_model.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace posescope::models {

struct ModelFamily {
    std::string name;                     // "TransPose"
    std::vector<std::string> modelNames;  // MODEL.NAME values it builds: "transpose_r", "transpose_h"
    std::function<std::shared_ptr<PoseModel>(const ModelConfig&)> create;
    /// Renames official checkpoint keys that differ from the module's (empty: none), e.g. PPT's
    /// attention keys onto TokenPose's; loadModel and training's --init apply it.
    KeyMap keyMap;
    /// Optional. For a configuration whose MODEL.NAME belongs to another family (official files
    /// share names: BTranspose's YAMLs say transpose_r): the configuration to build when this
    /// family recognises `checkpoint` as its own, else nullopt. loadModel asks every family.
    std::function<std::optional<ModelConfig>(const ModelConfig&, const Checkpoint& checkpoint)> claimCheckpoint;
};

class ModelRegistry {
public:
    void add(ModelFamily family);
    const std::vector<ModelFamily>& families() const { return m_families; }
    std::shared_ptr<PoseModel> create(const ModelConfig& config) const;
    /// The family that builds MODEL.NAME; ConfigError listing the known names otherwise.
    const ModelFamily& family(const ModelConfig& config) const;
    static const ModelRegistry& builtin();

private:
    std::vector<ModelFamily> m_families;
};

/// Adds every family PoseScope ships. The one place where families are listed.
void registerBuiltinModels(ModelRegistry& registry);

}  // namespace posescope::models
