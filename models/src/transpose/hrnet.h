// HRNet-S, the CNN backbone of TransPose-H (lib/models/transpose_h.py of yangsenius/TransPose):
// the HRNet stem + layer1 + transition1 + stage2 + transition2 + stage3, no stage 4, and only the
// highest-resolution branch (1/4 of the input) comes out. Private to models/.
//
// Contract. The official TransPoseH registers the backbone's parts directly at its root, so its
// state-dict keys are "conv1.weight", "layer1.0.downsample.0.weight", "stage3.3.fuse_layers.0.2.1.bias",
// … with no prefix. HrnetStem therefore does not own its modules: its constructor registers them on
// the module you pass (normally the whole model, inside that model's constructor), under exactly the
// official names and in the official order, and keeps typed handles for forward():
//
//   conv1, bn1, conv2, bn2            the stem (3x3 s2 convs, no bias; BN eps 1e-5)
//   layer1                            4 Bottlenecks, planes 64 (256 channels out), layer1.0.downsample.{0,1}
//   transition1, stage2, transition2, stage3
//
// Python's None entries (transition slots that pass a branch through, fuse_layers[i][i]) are
// parameter-free torch::nn::Identity modules, so every index stays aligned and they add no keys.
// nn.Upsample and nn.ReLU are registered where the official Sequentials hold them (no keys either).
// Because stateDictOf / Python's state_dict list a module's own parameters first and then its
// children in registration order, construct the stem BEFORE registering the parent's later
// children (reduce, global_encoder, final_layer); top-level parameters such as pos_embedding may
// be registered at any time and still come first.
//
// Usage (the TransPose-H model):
//   struct TransPoseHImpl : torch::nn::Module {
//       explicit TransPoseHImpl(const HrnetSpec& spec)
//           : backbone(*this, spec) {                          // conv1 … stage3, registered on *this
//           pos_embedding = register_parameter("pos_embedding", sinePe, /*requires_grad=*/false);
//           reduce = register_module("reduce", torch::nn::Conv2d(
//               torch::nn::Conv2dOptions(backbone.outChannels(), d, 1).bias(false)));
//           …                                                   // global_encoder, final_layer
//       }
//       torch::Tensor forward(const torch::Tensor& x) { return final(encode(reduce(backbone.forward(x)))); }
//       HrnetStem backbone;   // declared before the other members it is used to build
//       …
//   };
//
// Or stand-alone (its own root, same keys): HrnetBackbone net(HrnetSpec::official(32));
//   torch::Tensor f = net->forward(input);        // [N,3,256,192] -> [N,32,64,48]
//
// forward(x): x is [N,3,H,W] float32 with H and W multiples of 16, the coarsest branch's stride
// (the fuse layers' nearest upsampling must land on the finer branch's size, exactly as in Python;
// 256x192 gives branches of 64x48, 32x24, 16x12). It returns branch 0 of the last stage-3 module,
// [N, stage3.channels[0], H/4, W/4]. The computation is the official one step by step: ReLU after
// each stem BN; non-None transitions of transition2 take the LAST stage-2 output (y_list[-1]);
// fusion starts from x[0] (or its transform), adds the other branches in order and applies ReLU
// after the sum; the last stage-3 module fuses only into branch 0 (multi_scale_output=False).
// Put the parent in eval() for inference (BatchNorm running statistics).
//
// Errors: HrnetStem's constructor throws posescope::Error for an inconsistent spec (branch counts
// that differ from the blocks/channels lists, non-positive counts). forward() throws LibTorch's
// c10::Error for a wrongly shaped input.
// Thread-safety: like any torch::nn::Module — concurrent forward() calls in eval mode under
// NoGradGuard are fine; construction and loading must not overlap with use.
#pragma once

#include "posescope/models/model_config.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <string>
#include <vector>

namespace posescope::models::transpose {

/// One HRNet stage as the official yaml's EXTRA.STAGEn describes it, with BLOCK: BASIC and
/// FUSE_METHOD: SUM (the only values the TransPose-H configurations use).
struct HrnetStageSpec {
    int modules = 1;            // NUM_MODULES: HighResolutionModules in the stage
    int branches = 1;           // NUM_BRANCHES
    std::vector<int> blocks;    // NUM_BLOCKS: BasicBlocks per branch (size == branches)
    std::vector<int> channels;  // NUM_CHANNELS per branch (size == branches)
};

struct HrnetSpec {
    HrnetStageSpec stage2;
    HrnetStageSpec stage3;
    int stemWidth = 64;  // conv1/conv2 channels and layer1's planes (64 officially; MODEL.EXTRA.STEM_WIDTH)

    /// The official HRNet-S of width W (TransPose-H-S: 32; H-A4/A5/A6: 48): stage2 1 module,
    /// 2 branches [W,2W], 4 blocks each; stage3 4 modules, 3 branches [W,2W,4W], 4 blocks each.
    static HrnetSpec official(int width);
};

/// MODEL.EXTRA.STAGE2/STAGE3 of an official YAML (TransPose-H, TokenPose-B/L); `family` names the
/// model in errors. ConfigError for other blocks or fusions, or inconsistent lists.
HrnetSpec hrnetSpecFromConfig(const ModelConfig& config, const std::string& family);

// --- Building blocks (registered under the official attribute names) -------------------------
// HRNet's own blocks; layer1 uses the Bottleneck of TransPose-R's ResNet-S (resnet.h).
namespace hrnet {

/// HRNet's BasicBlock: conv1 (3x3, stride), bn1, ReLU, conv2 (3x3), bn2, + residual, ReLU.
/// `downsample` (Sequential{0: 1x1 conv, 1: BN}) exists only when stride != 1 or channels change.
class BasicBlockImpl : public torch::nn::Module {
public:
    BasicBlockImpl(int inplanes, int planes, int stride = 1);
    torch::Tensor forward(const torch::Tensor& x);

private:
    torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
    torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
    torch::nn::Sequential downsample{nullptr};
};
TORCH_MODULE(BasicBlock);

/// The official HighResolutionModule (BASIC blocks, SUM fusion): children `branches`
/// (ModuleList of Sequential-like lists of BasicBlocks) and `fuse_layers` (absent for a single
/// branch; only row 0 when !multiScaleOutput).
class HighResolutionModuleImpl : public torch::nn::Module {
public:
    /// `inChannels` are the branches' input channels (the official num_inchannels).
    HighResolutionModuleImpl(const std::vector<int>& inChannels, const std::vector<int>& blocks,
                             const std::vector<int>& channels, bool multiScaleOutput);
    /// One tensor per branch in, one per fused output (all branches, or only branch 0) out.
    std::vector<torch::Tensor> forward(std::vector<torch::Tensor> x);
    /// The branches' output channels (the official get_num_inchannels()).
    const std::vector<int>& outChannels() const { return m_outChannels; }

private:
    std::vector<std::vector<BasicBlock>> m_branches;
    // m_fuse[i][j]: steps applied to branch j for output i, in order; empty for i == j.
    std::vector<std::vector<std::vector<torch::nn::Sequential>>> m_fuse;
    std::vector<int> m_outChannels;
};
TORCH_MODULE(HighResolutionModule);

}  // namespace hrnet

// --- The backbone ------------------------------------------------------------------------------

/// Registers the backbone's modules on a parent and runs them (see the contract at the top).
/// A default-constructed HrnetStem is empty; assign a constructed one before use.
class HrnetStem {
public:
    HrnetStem() = default;
    HrnetStem(torch::nn::Module& parent, const HrnetSpec& spec);

    /// [N,3,H,W] -> branch 0 of stage 3, [N, outChannels(), H/4, W/4].
    torch::Tensor forward(const torch::Tensor& x);

    int outChannels() const { return m_outChannels; }
    const HrnetSpec& spec() const { return m_spec; }

private:
    // A transition slot: empty = None (pass the branch through); otherwise steps applied in order.
    using Transition = std::vector<std::vector<torch::nn::Sequential>>;

    HrnetSpec m_spec;
    int m_outChannels = 0;
    torch::nn::Conv2d m_conv1{nullptr}, m_conv2{nullptr};
    torch::nn::BatchNorm2d m_bn1{nullptr}, m_bn2{nullptr};
    torch::nn::Sequential m_layer1{nullptr};  // ResNet Bottlenecks (resnet.h)
    Transition m_transition1, m_transition2;
    std::vector<hrnet::HighResolutionModule> m_stage2, m_stage3;
};

/// HrnetStem on its own root module (keys exactly as in the official model, minus pos_embedding,
/// reduce, global_encoder and final_layer).
class HrnetBackboneImpl : public torch::nn::Module {
public:
    explicit HrnetBackboneImpl(const HrnetSpec& spec) : m_stem(*this, spec) {}
    torch::Tensor forward(const torch::Tensor& x) { return m_stem.forward(x); }
    const HrnetStem& stem() const { return m_stem; }

private:
    HrnetStem m_stem;
};
TORCH_MODULE(HrnetBackbone);

}  // namespace posescope::models::transpose
