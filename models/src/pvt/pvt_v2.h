// The PVT v2 backbone (private to models/), exactly as whai362/PVT's pvt_v2.py computes it, with its
// original state-dict names (research notes §3).
//
//   auto root = std::make_shared<torch::nn::Module>();              // stateDictOf wants a shared root
//   pvt::PvtV2Backbone pvt(*root, pvt::pvtV2Spec("b2"));
//   LoadOptions timm;  timm.keyMap = [](const std::string& k) { return std::optional(pvt::timmToOriginalKey(k)); };
//   loadStateDict(*root, ckpt.tensors, path, timm);                  // timm keys (original: no map)
//   std::vector<torch::Tensor> maps = pvt.forward(x, observer);   // 4 × [N, C_s, H/2^(s+1), W/2^(s+1)]
//
// Registered on the parent: patch_embed{1..4}.{proj,norm}; block{s}.{j}.{norm1, attn.{q, kv, proj,
// sr, norm}, norm2, mlp.{fc1, dwconv.dwconv, fc2}} (sr/norm only where sr_ratio > 1 or linear);
// norm{1..4}. LayerNorm eps: 1e-6 for the blocks' norm1/norm2 and the stage norms, 1e-5 for the
// patch-embed and spatial-reduction norms (as the official code). GELU is the exact (erf) one.
// Spatial-reduction attention: q = Linear(x), kv from the sr-strided conv map (+ LayerNorm), or in
// the linear variant from AdaptiveAvgPool2d(7) → 1×1 conv → LayerNorm → GELU; kv's channels are
// [2, heads, head_dim] (k first), scale head_dim^-0.5. No position embedding, no head.
//
// Errors: pvtV2Spec throws ConfigError for an unknown variant; forward throws ModelError for an
// input that is not [N, 3, H, W] (LibTorch errors, e.g. a map smaller than sr, pass through).
// Thread-safety: forward only reads the modules, so concurrent calls are safe once loaded.
#pragma once

#include "posescope/models/pose_model.h"

#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

namespace posescope::models::pvt {

struct PvtV2Spec {
    std::vector<int64_t> dims, heads, depths, mlpRatios, srRatios;  // one per stage
    bool linear = false;                                            // the "-li" models
    bool qkvBias = true;
};

/// "b0" … "b5", "b2-li" (the official pvt_v2_b*; "b2_li" is accepted too). ConfigError otherwise.
PvtV2Spec pvtV2Spec(const std::string& variant);

/// A timm PVT v2 key (patch_embed, stages.{s}.downsample/blocks.{j}/norm, mlp.dwconv) as the
/// original code names it; original keys (and anything else) come back unchanged.
std::string timmToOriginalKey(const std::string& key);

class OverlapPatchEmbedImpl : public torch::nn::Module {
public:
    OverlapPatchEmbedImpl(int64_t in, int64_t dim, int64_t kernel, int64_t stride);
    /// NCHW → normalised tokens [N, h·w, C] of the convolution's h × w map.
    torch::Tensor forward(const torch::Tensor& x, int64_t& h, int64_t& w);
    torch::nn::Conv2d proj{nullptr};
    torch::nn::LayerNorm norm{nullptr};
};
TORCH_MODULE(OverlapPatchEmbed);

class SpatialReductionAttentionImpl : public torch::nn::Module {
public:
    SpatialReductionAttentionImpl(int64_t dim, int64_t heads, int64_t srRatio, bool linear, bool qkvBias);
    /// x [N, H·W, C] → [N, H·W, C]; `attention` (if given) receives [N, heads, H·W, N_kv].
    torch::Tensor forward(const torch::Tensor& x, int64_t h, int64_t w, torch::Tensor* attention = nullptr);
    torch::nn::Linear q{nullptr}, kv{nullptr}, proj{nullptr};
    torch::nn::Conv2d sr{nullptr};       // sr_ratio > 1 or linear
    torch::nn::LayerNorm norm{nullptr};  // with sr
    int64_t heads, srRatio;
    bool linear;
};
TORCH_MODULE(SpatialReductionAttention);

/// The official DWConv wrapper (its only child is "dwconv", hence mlp.dwconv.dwconv).
class DepthwiseConvImpl : public torch::nn::Module {
public:
    explicit DepthwiseConvImpl(int64_t channels);
    torch::nn::Conv2d dwconv{nullptr};
};
TORCH_MODULE(DepthwiseConv);

class ConvMlpImpl : public torch::nn::Module {
public:
    ConvMlpImpl(int64_t dim, int64_t hidden, bool linear);
    torch::Tensor forward(const torch::Tensor& x, int64_t h, int64_t w);
    torch::nn::Linear fc1{nullptr}, fc2{nullptr};
    DepthwiseConv dwconv{nullptr};
    bool linear;
};
TORCH_MODULE(ConvMlp);

class PvtBlockImpl : public torch::nn::Module {
public:
    PvtBlockImpl(int64_t dim, int64_t heads, int64_t mlpRatio, int64_t srRatio, bool linear, bool qkvBias);
    torch::Tensor forward(const torch::Tensor& x, int64_t h, int64_t w, torch::Tensor* attention = nullptr);
    torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
    SpatialReductionAttention attn{nullptr};
    ConvMlp mlp{nullptr};
};
TORCH_MODULE(PvtBlock);

/// Called after block `block` (from 0) of stage `stage` (from 0) with its output tokens [N, h·w, C];
/// what it returns goes on to the next block (or the stage norm) in their place. HRPVT's layer-wise
/// HRPM uses it (hrpvt/hrpm.h).
using BlockHook =
    std::function<torch::Tensor(size_t stage, size_t block, const torch::Tensor& tokens, int64_t h, int64_t w)>;

class PvtV2Backbone {
public:
    /// Registers the four stages on `parent` under the original names (above).
    PvtV2Backbone(torch::nn::Module& parent, const PvtV2Spec& spec);
    /// The four stage maps after each stage's LayerNorm, NCHW. With an observer, each block's
    /// post-softmax attention goes to it as the extra "sra_attention/stage_<s>/block_<j>"
    /// ([N, heads, N_q, N_kv], s from 1, j from 0), whatever wantsAttention() says. A non-empty
    /// `afterBlock` replaces each block's output tokens by what it returns (after the observer saw
    /// the block's attention); without one the computation is unchanged.
    std::vector<torch::Tensor> forward(const torch::Tensor& x, TraceObserver* observer,
                                       const BlockHook& afterBlock = {});
    const PvtV2Spec& spec() const { return m_spec; }

private:
    PvtV2Spec m_spec;
    std::vector<OverlapPatchEmbed> m_patchEmbeds;
    std::vector<std::vector<PvtBlock>> m_blocks;
    std::vector<torch::nn::LayerNorm> m_norms;
};

}  // namespace posescope::models::pvt
