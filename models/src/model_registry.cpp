#include "posescope/models/model_registry.h"

#include "posescope/models/checkpoint_info.h"

#include "hrpvt/hrpvt_model.h"
#include "posescope/models/checkpoint.h"
#include "tokenpose/tokenpose_model.h"
#include "transpose/transpose_model.h"

#include <algorithm>

namespace posescope::models {

void registerBuiltinModels(ModelRegistry& registry) {
    registry.add({"TransPose",
                  {"transpose_r", "transpose_h"},
                  [](const ModelConfig& c) -> std::shared_ptr<PoseModel> {
                      return std::make_shared<transpose::TransPoseModel>(transpose::transposeConfig(c));
                  },
                  {},
                  {}});  // the official names as they are
    registry.add({"BTranspose",
                  {"btranspose"},  // PoseScope's name; the official YAMLs say transpose_r (see below)
                  [](const ModelConfig& c) -> std::shared_ptr<PoseModel> {
                      return std::make_shared<transpose::TransPoseModel>(transpose::transposeConfig(c));
                  },
                  {},
                  transpose::btransposeForCheckpoint});
    registry.add({"TokenPose",
                  {"pose_tokenpose_t", "pose_tokenpose_s", "pose_tokenpose_b", "pose_tokenpose_l"},
                  [](const ModelConfig& c) -> std::shared_ptr<PoseModel> {
                      return std::make_shared<tokenpose::TokenPoseModel>(tokenpose::tokenposeConfig(c));
                  },
                  tokenpose::tokenposeKeyMap(),
                  {}});
    registry.add({"HRPVT",
                  {"hrpvt"},  // PoseScope's name (HRPVT has no public code)
                  [](const ModelConfig& c) -> std::shared_ptr<PoseModel> {
                      return std::make_shared<hrpvt::HrpvtModel>(hrpvt::hrpvtConfig(c));
                  },
                  hrpvt::hrpvtKeyMap(),  // timm's PVT v2 names; no ImageNet classifier
                  {}});
}

void ModelRegistry::add(ModelFamily family) {
    m_families.push_back(std::move(family));
}

std::shared_ptr<PoseModel> ModelRegistry::create(const ModelConfig& config) const {
    return family(config).create(config);
}

const ModelFamily& ModelRegistry::family(const ModelConfig& config) const {
    const std::string name = config.string("MODEL.NAME");
    std::string known;
    for (const ModelFamily& f : m_families)
        for (const std::string& n : f.modelNames) {
            if (n == name) return f;
            known += (known.empty() ? "" : ", ") + n;
        }
    throw ConfigError("MODEL.NAME: no model family builds '" + name + "' (known: " + known + ") (" + config.source() +
                      ")");
}

const ModelRegistry& ModelRegistry::builtin() {
    static const ModelRegistry registry = [] {
        ModelRegistry r;
        registerBuiltinModels(r);
        return r;
    }();
    return registry;
}

std::shared_ptr<PoseModel> createModel(const ModelConfig& config) {
    return ModelRegistry::builtin().create(config);
}

std::shared_ptr<const PoseModel> loadModel(const ModelConfig& config, const std::string& checkpointPath) {
    const Checkpoint ckpt = loadCheckpoint(checkpointPath);
    ModelConfig built = config;
    for (const ModelFamily& f : ModelRegistry::builtin().families())
        if (f.claimCheckpoint)
            if (std::optional<ModelConfig> claimed = f.claimCheckpoint(config, ckpt)) built = std::move(*claimed);
    std::shared_ptr<PoseModel> model = createModel(built);
    LoadOptions options;
    options.keyMap = ModelRegistry::builtin().family(built).keyMap;
    try {
        loadStateDict(model->module(), ckpt.tensors, checkpointPath, options);
    } catch (const StateDictMismatch& e) {
        // Say what the file is when it is another model: the key lists alone do not.
        std::vector<TensorInfo> tensors;
        for (const auto& [name, t] : ckpt.tensors)
            tensors.push_back({name, t.sizes().vec(), ""});
        const ArchitectureMatch file = recogniseArchitecture(tensors);
        const std::string built = model->info().family;
        if (!file.recognised()) {
            // Mostly not this model's keys: a checkpoint of something else (listing all would be kilobytes).
            const size_t modelKeys = stateDictOf(model->module()).size();
            const size_t present = modelKeys - std::min(modelKeys, e.missing().size());
            if (2 * present >= modelKeys) throw;
            throw StateDictMismatch(e.file(), e.missing(), e.unexpected(), e.misshaped(),
                                    "; the file holds " + std::to_string(present) + " of the " +
                                        std::to_string(modelKeys) + " keys of the " + built +
                                        " the configuration builds (" + config.source() +
                                        ") and matches no architecture PoseScope recognises");
        }
        if (file.family == built) throw;
        throw StateDictMismatch(e.file(), e.missing(), e.unexpected(), e.misshaped(),
                                "; the file is a checkpoint of " + file.text() + ", the configuration builds " + built +
                                    " (" + config.source() + ")");
    }
    model->module().eval();
    return model;
}

}  // namespace posescope::models
