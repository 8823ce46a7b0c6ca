// BTranspose's backbone (private to models/): the ResNet stem and bottleneck groups of the official
// TransPoseR_alpha, the last groups made of BoT blocks whose 3×3 convolution is the MHSA of
// leaderj1001/BottleneckTransformers, with the official state-dict names (conv1, bn1, layer1..4,
// each block conv1..3, bn1..3, shortcut.0/1; an MHSA block's conv2.0.{query,key,value,rel_h,rel_w}).
//
//   BotBackbone bb(alpha, {64, 96, 128, 256}, {3, 4, 6, 3}, /*mhsaGroups*/ 1, /*heads*/ 4, 32, 24);
//   torch::Tensor f = bb.forward(x, observer);   // [N, 4·256, H/8, W/8]; MHSA attention to observer
//
// The MHSA is computed exactly as that code does (research notes §1c): q, k, v from biased 1×1
// convolutions, channel c = head·d + i; energy[i, j] = q_i·k_j + p_i·q_j with p the per-head
// absolute factorised position (rel_w indexed by row, rel_h by column), no 1/√d scaling; softmax
// over keys; out_i = Σ_j attention[i, j]·v_j; no output projection. Its position parameters fix
// the grid (rows × cols) the block runs on.
#pragma once

#include "posescope/models/pose_model.h"

#include <torch/torch.h>

#include <vector>

namespace posescope::models::btranspose {

class MhsaImpl : public torch::nn::Module {
public:
    MhsaImpl(int64_t channels, int64_t rows, int64_t cols, int64_t heads);
    /// x [N, C, rows, cols] → [N, C, rows, cols]; `attention` (if given) receives [N, heads, L, L].
    torch::Tensor forward(const torch::Tensor& x, torch::Tensor* attention = nullptr);

    torch::nn::Conv2d query{nullptr}, key{nullptr}, value{nullptr};
    torch::Tensor rel_h, rel_w;
    int64_t heads, rows, cols;
};
TORCH_MODULE(Mhsa);

/// The official BTranspose Bottleneck: a 3×3 convolution (stride in it) or an MHSA as conv2, a
/// biased 1×1 shortcut convolution + BN when the shape changes.
class BotBlockImpl : public torch::nn::Module {
public:
    static constexpr int64_t kExpansion = 4;
    BotBlockImpl(int64_t inplanes, int64_t planes, int64_t stride, bool mhsa, int64_t heads, int64_t rows,
                 int64_t cols);
    torch::Tensor forward(const torch::Tensor& x, torch::Tensor* attention = nullptr);

    torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};  // conv2: when it is a convolution
    Mhsa mhsa{nullptr};                                                // conv2.0: when it is an MHSA
    torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
    torch::nn::Sequential shortcut{nullptr};
};
TORCH_MODULE(BotBlock);

class BotBackbone {
public:
    /// Registers conv1, bn1 and layer1..layerG on `parent`. Group g has planes[g] and blocks[g];
    /// group 1 (the second) has stride 2, the others 1, so everything after it runs at stride 8 on
    /// a rows × cols grid; the last `mhsaGroups` groups are BoT groups with `heads` heads.
    BotBackbone(torch::nn::Module& parent, const std::vector<int64_t>& planes, const std::vector<int64_t>& blocks,
                int64_t mhsaGroups, int64_t heads, int64_t rows, int64_t cols);
    /// Reports each MHSA's attention to an observer as the extra "mhsa_attention/block_<k>"
    /// ([N, heads, L, L], k counting the MHSA blocks in order), even when it does not want the
    /// encoder's attention (L is the stride-8 grid: the recorder takes rows of it).
    torch::Tensor forward(const torch::Tensor& x, TraceObserver* observer);
    int64_t outChannels() const { return m_outChannels; }

private:
    torch::nn::Conv2d m_conv1{nullptr};
    torch::nn::BatchNorm2d m_bn1{nullptr};
    std::vector<std::vector<BotBlock>> m_groups;
    int64_t m_outChannels = 0;
};

}  // namespace posescope::models::btranspose
