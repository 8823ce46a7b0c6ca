// HRPVT (private to models/): PVT v2 + the High-Resolution Pyramid Module + a SimCC head, built
// from a ModelConfig, and the PoseModel that runs it (docs/models/hrpvt.md).
//
//   HrpvtConfig c = hrpvtConfig(ModelConfig::preset("hrpvt-b2"));
//   auto model = std::make_shared<HrpvtModel>(c);                 // random weights
//   loadStateDict(model->module(), tensors, path, {hrpvtKeyMap(), false});
//   torch::Tensor out = model->forward(input, &trace);            // [N, K, Wx + Wy] SimCC logits
//
// State dict: the backbone at the root under PVT v2's original names (patch_embed1…, block1.0…,
// norm1…, so ImageNet checkpoints load by prefix), `hrpm.*` (hrpm.h), `simcc_head.{final_layer,
// mlp_head_x, mlp_head_y}.*` (simcc.h; fed by HRPM's stride-4 map).
// Attention: every PVT v2 block is one "layer" of the trace. Its spatial-reduction attention
// (queries of the stage's grid × reduced keys) is averaged over heads (the stages differ in head
// count) and mapped onto one common grid, the reduced-key grid (stride 32 for the sr ratios
// 8, 4, 2, 1; 7 × 7 for the linear variant): each cell's row is the mean of the rows of the stage's
// queries inside it, and keys on another grid are area-resampled and renormalised. So
// LayerTrace::attention is [N, 1, T, T] over that grid, like the encoders' square matrices, and
// dependency maps, records and views work unchanged; the raw per-head matrices still reach the
// observer as "sra_attention/stage_<s>/block_<j>" and the fused map as "features/hrpm".
// Errors: ConfigError for an invalid configuration (naming the key and the source); forward throws
// ModelError for an input of the wrong shape (the head's Linears fix the size).
// Thread-safety: forward() only reads the modules (eval mode): concurrent calls are safe.
#pragma once

#include "hrpvt/hrpm.h"
#include "posescope/models/checkpoint.h"
#include "posescope/models/model_config.h"
#include "posescope/models/pose_model.h"
#include "posescope/models/simcc.h"
#include "pvt/pvt_v2.h"

#include <torch/torch.h>

#include <memory>
#include <string>

namespace posescope::models::hrpvt {

struct HrpvtConfig {
    std::string pvtVariant = "b2";  // MODEL.EXTRA.PVT, or "custom" when the stage lists are overridden
    pvt::PvtV2Spec pvt;
    HrpmConfig hrpm;
    SimCCOptions simcc;
    int64_t imageWidth = 192, imageHeight = 256, joints = 17;
};

/// Reads MODEL.IMAGE_SIZE, MODEL.NUM_JOINTS, MODEL.EXTRA.PVT (+ optional PVT_DIMS, PVT_DEPTHS,
/// PVT_HEADS, PVT_MLP_RATIOS, PVT_SR_RATIOS), MODEL.EXTRA.HRPM_* and MODEL.EXTRA.SIMCC_*.
HrpvtConfig hrpvtConfig(const ModelConfig& config);

/// timm's PVT v2 names → the original ones; the ImageNet classifier (head.*) is dropped.
KeyMap hrpvtKeyMap();

class HrpvtNetImpl : public torch::nn::Module {
public:
    explicit HrpvtNetImpl(const HrpvtConfig& c);
    /// image → SimCC logits [N, K, Wx + Wy]; the observer sees the backbone's extras.
    torch::Tensor forward(const torch::Tensor& image, TraceObserver* observer);
    HrpvtConfig config;
    std::unique_ptr<pvt::PvtV2Backbone> backbone;
    Hrpm hrpm{nullptr};
    SimCCHead simcc_head{nullptr};
};
TORCH_MODULE(HrpvtNet);

class HrpvtModel : public PoseModel {
public:
    explicit HrpvtModel(const HrpvtConfig& config);
    const ModelInfo& info() const override { return m_info; }
    torch::Tensor forward(const torch::Tensor& input, TraceObserver* observer = nullptr) const override;
    /// HRPVT has no head on a block's tokens: ModelError.
    torch::Tensor headOnTokens(const LayerTrace& layer) const override;
    /// Rows of the traced (pooled) matrix: [N, 1, Q, T].
    torch::Tensor attentionRows(const LayerTrace& layer, const torch::Tensor& queries) const override;
    torch::nn::Module& module() override { return *m_net; }
    torch::Tensor forwardTraining(const torch::Tensor& input, TraceObserver* observer = nullptr) override;
    /// PVT v2's init (Linear trunc-normal 0.02, LayerNorm 1/0, conv N(0, √(2/fan_out))), HRPM's
    /// (identity blocks), the SimCC head's.
    void initialiseForTraining() override;

private:
    torch::Tensor run(const torch::Tensor& input, TraceObserver* observer) const;
    std::string name() const;
    std::shared_ptr<HrpvtNetImpl> m_net;  // forward() is const, the modules' forward is not
    ModelInfo m_info;
};

}  // namespace posescope::models::hrpvt
