// TransPose-R and TransPose-H (private to models/): the official TransPoseR/TransPoseH modules
// with their state-dict names, and the PoseModel that runs them.
//
//   TransPoseConfig c = transposeConfig(ModelConfig::preset("transpose-r-a4"));
//   auto model = std::make_shared<TransPoseModel>(c);   // random weights; load with loadStateDict
#pragma once

#include "btranspose/bot_backbone.h"
#include "posescope/models/checkpoint.h"
#include "posescope/models/model_config.h"
#include "posescope/models/pose_model.h"
#include "transpose/encoder.h"
#include "transpose/hrnet.h"
#include "transpose/resnet.h"

#include <torch/torch.h>

#include <memory>
#include <optional>

namespace posescope::models::transpose {

struct TransPoseConfig {
    bool hrnet = false;  // TransPose-H (HRNet-S stem, stride 4, 1×1 head) or -R (ResNet-S, stride 8, deconv head)
    // BTranspose (MODEL.NAME btranspose): TransPose-R's encoder and head on a backbone of bottleneck
    // groups whose last `mhsaGroups` are BoT groups, all under "model_alpha." as the official code
    // nests them; the position embedding enters the first encoder layer only.
    bool bot = false;
    std::vector<int64_t> botPlanes = {64, 96, 128, 256}, botBlocks = {3, 4, 6, 3};
    int64_t mhsaGroups = 1, mhsaHeads = 4;
    int64_t imageWidth = 192, imageHeight = 256;
    int64_t heatmapWidth = 48, heatmapHeight = 64;
    int64_t joints = 17;
    int64_t dModel = 256, ffn = 1024, heads = 8, layers = 4;
    std::string posEmbedding = "sine";  // "sine", "learnable" or "none"
    std::vector<int64_t> resnetBlocks = {3, 4};
    int64_t deconvLayers = 1;
    std::vector<int64_t> deconvFilters = {256}, deconvKernels = {4};
    bool deconvBias = false;
    int64_t finalKernel = 1;
    int64_t stemWidth = 64;  // MODEL.EXTRA.STEM_WIDTH (PoseScope): the ResNet/HRNet stem's width
    double dropout = 0.1;    // MODEL.ENCODER_DROPOUT (PoseScope): nn.TransformerEncoderLayer's, training only
    HrnetSpec hrnetSpec;
};

/// Reads MODEL.* as the official code does (MODEL.NAME transpose_r / transpose_h). ConfigError otherwise.
TransPoseConfig transposeConfig(const ModelConfig& config);

/// An official BTranspose YAML (MODEL.NAME transpose_r: its code hard-codes the backbone) with a
/// checkpoint holding BTranspose's keys (model_alpha.*): the btranspose configuration with the
/// backbone and encoder sizes read off the checkpoint's shapes, the YAML's heads, input and head
/// otherwise. nullopt for any other checkpoint.
std::optional<ModelConfig> btransposeForCheckpoint(const ModelConfig& yaml, const Checkpoint& checkpoint);

class TransPoseImpl : public torch::nn::Module {
public:
    explicit TransPoseImpl(const TransPoseConfig& c);
    torch::Tensor forward(const torch::Tensor& x, TraceObserver* observer);
    /// The head on tokens [N, L, d] of a grid h × w.
    torch::Tensor head(const torch::Tensor& tokens, int64_t h, int64_t w);

    TransPoseConfig config;
    int64_t stride;  // 8 (R) or 4 (H)
    torch::Tensor pos_embedding;
    std::unique_ptr<ResnetStem> resnet;
    std::unique_ptr<HrnetStem> hrnet;
    std::unique_ptr<btranspose::BotBackbone> bot;
    torch::nn::Conv2d reduce{nullptr};
    Encoder global_encoder{nullptr};
    torch::nn::Sequential deconv_layers{nullptr};
    torch::nn::Conv2d final_layer{nullptr};
};
TORCH_MODULE(TransPose);

class TransPoseModel : public PoseModel {
public:
    explicit TransPoseModel(const TransPoseConfig& config);
    const ModelInfo& info() const override { return m_info; }
    torch::Tensor forward(const torch::Tensor& input, TraceObserver* observer = nullptr) const override;
    torch::Tensor headOnTokens(const LayerTrace& layer) const override;
    torch::Tensor forwardTraining(const torch::Tensor& input, TraceObserver* observer = nullptr) override;
    void initialiseForTraining() override;
    torch::Tensor attentionRows(const LayerTrace& layer, const torch::Tensor& queries) const override;
    torch::nn::Module& module() override { return *m_net; }

private:
    std::shared_ptr<TransPoseImpl> m_net;
    ModelInfo m_info;
};

}  // namespace posescope::models::transpose
