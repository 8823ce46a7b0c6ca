// TokenPose and PPT (private to models/): one implementation of the official TokenPose_S_base,
// TokenPose_TB_base and TokenPose_L_base (leeyegy/TokenPose and HowieMa/PPT) with PPT's token
// pruning, the official state-dict names, and the PoseModel that runs them.
//
//   TokenPoseConfig c = tokenposeConfig(ModelConfig::preset("ppt-s"));
//   auto model = std::make_shared<TokenPoseModel>(c);    // random weights
//   loadStateDict(model->module(), tensors, path, {tokenposeKeyMap(), false});  // either layout
//
// Sequence: the J keypoint tokens, then the visual tokens (patches of the backbone's feature map,
// row-major). Module names follow TokenPose's layout (Residual(PreNorm(Attention))); PPT
// checkpoints, whose attention block lacks the Residual wrapper, load through tokenposeKeyMap().
// Pruning (PPT's human-token identification): after the attention of each layer in
// pruningLayers, the visual tokens are ranked by the head-averaged attention the keypoint tokens
// pay them, summed over keypoints, and the top ⌈N·r⌉ are kept (in descending score), with their
// position embedding; their original indices are tracked and reported to the trace.
#pragma once

#include "posescope/models/checkpoint.h"
#include "posescope/models/model_config.h"
#include "posescope/models/pose_model.h"
#include "transpose/hrnet.h"

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

namespace posescope::models::tokenpose {

/// The official base classes: S (conv stem + layer1, keys "features."), TB (T on pixels or B on
/// HRNet, keys "transformer." and "pre_feature."), L (HRNet + three chained transformers whose
/// keypoint tokens are concatenated for the head).
enum class Base { S, TB, L };

struct TokenPoseConfig {
    std::string name;  // MODEL.NAME: pose_tokenpose_t, _s, _b or _l
    Base base = Base::S;
    bool hrnet = false;  // B and L: HRNet stages 1–3 under pre_feature
    transpose::HrnetSpec hrnetSpec;
    int64_t imageWidth = 192, imageHeight = 256, heatmapWidth = 48, heatmapHeight = 64, joints = 17;
    int64_t dim = 192, depth = 12, heads = 8, mlpDim = 576;
    int64_t patchWidth = 3, patchHeight = 4;
    int64_t channels = 256;  // channels of the map cut into patches
    int64_t stemWidth = 64;  // S: the stem's width (MODEL.EXTRA.STEM_WIDTH, PoseScope's; layer1 gives 4x)
    int64_t hiddenHeatmapDim = 384;
    std::string posEmbedding = "sine-full";  // sine-full, sine, learnable or none (S only)
    double keepRatio = 1;                    // MODEL.PRUNING_RATIO (PPT); 1 keeps every token
    std::vector<int64_t> pruningLayers{3, 6, 9};

    int64_t featureStride() const { return base == Base::TB && !hrnet ? 1 : 4; }
    int64_t gridRows() const { return imageHeight / featureStride() / patchHeight; }
    int64_t gridCols() const { return imageWidth / featureStride() / patchWidth; }
    int64_t tokens() const { return gridRows() * gridCols(); }
    /// S scales attention by dim^-0.5, TB and L by (dim / heads)^-0.5.
    double attentionScale() const;
    int64_t headInput() const { return base == Base::L ? 3 * dim : dim; }
    /// LayerNorm → Linear → LayerNorm → Linear when headInput() ≤ hidden / 2, else LayerNorm → Linear.
    bool twoLayerHead() const { return static_cast<double>(headInput()) <= hiddenHeatmapDim * 0.5; }
    bool prunes() const { return keepRatio < 1; }
};

/// Reads MODEL.* as the official wrappers do (both repositories' YAMLs). ConfigError otherwise.
TokenPoseConfig tokenposeConfig(const ModelConfig& config);

/// PPT's attention keys (…layers.i.0.norm, …layers.i.0.fn.to_qkv) → TokenPose's
/// (…layers.i.0.fn.norm, …layers.i.0.fn.fn.to_qkv); every other key unchanged.
KeyMap tokenposeKeyMap();

/// One encoder of TokenPose (its `layers` as the official nn.ModuleList), with typed handles.
class TransformerImpl : public torch::nn::Module {
public:
    /// The official models use no dropout: its modules are registered (they hold the Sequentials'
    /// indices) and never change a value.
    TransformerImpl(int64_t dim, int64_t depth, int64_t mlpDim);
    struct Layer {
        torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
        torch::nn::Linear qkv{nullptr}, out{nullptr}, fc1{nullptr}, fc2{nullptr};
    };
    std::vector<Layer> blocks;
    torch::nn::ModuleList layers;
};
TORCH_MODULE(Transformer);

class TokenPoseImpl : public torch::nn::Module {
public:
    explicit TokenPoseImpl(const TokenPoseConfig& c);
    torch::Tensor forward(const torch::Tensor& x, TraceObserver* observer, double keepRatio);
    /// The head on keypoint tokens [N, J, headInput()] → heatmaps [N, J, h, w].
    torch::Tensor head(const torch::Tensor& keypointTokens);

    TokenPoseConfig config;
    // The parameters live on `root` (this module for S and T, or the "features"/"transformer"
    // child) under the official names.
    std::shared_ptr<torch::nn::Module> root;
    std::shared_ptr<transpose::HrnetBackboneImpl> pre_feature;  // B and L
    torch::Tensor keypoint_token, pos_embedding;
    torch::nn::Linear patch_to_embedding{nullptr};
    torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
    torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
    torch::nn::Sequential layer1{nullptr};
    std::vector<Transformer> transformers;  // one, or three for L
    torch::nn::Sequential mlp_head{nullptr};

private:
    torch::Tensor runTransformer(size_t which, torch::Tensor x, torch::Tensor& pos, torch::Tensor& visual,
                                 double keepRatio, int& stage, TraceObserver* observer);
};

class TokenPoseModel : public PoseModel {
public:
    explicit TokenPoseModel(const TokenPoseConfig& config);
    const ModelInfo& info() const override { return m_info; }
    torch::Tensor forward(const torch::Tensor& input, TraceObserver* observer = nullptr) const override;
    /// PPT with another keep ratio (1: TokenPose's computation on the same weights).
    torch::Tensor forward(const torch::Tensor& input, TraceObserver* observer, double keepRatio) const;
    torch::Tensor headOnTokens(const LayerTrace& layer) const override;
    torch::Tensor attentionRows(const LayerTrace& layer, const torch::Tensor& queries) const override;
    torch::Tensor forwardTraining(const torch::Tensor& input, TraceObserver* observer = nullptr) override;
    void setTrainingKeepRatio(double keepRatio) override;
    void initialiseForTraining() override;
    torch::nn::Module& module() override { return *m_net; }
    const TokenPoseConfig& config() const { return m_net->config; }

private:
    std::string name() const;
    std::shared_ptr<TokenPoseImpl> m_net;
    ModelInfo m_info;
    double m_trainingKeepRatio;
};

}  // namespace posescope::models::tokenpose
