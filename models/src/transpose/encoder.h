// The TransPose transformer encoder (private to models/): DETR-style post-norm layers with ReLU,
// the position embedding added to queries and keys (never values) in every layer, no final norm.
// Parameter names are those of the official `global_encoder` (nn.MultiheadAttention's
// in_proj_weight/in_proj_bias/out_proj, linear1/2, norm1/2), so checkpoints load unchanged.
//
//   Encoder enc(/*layers*/ 4, /*d*/ 256, /*heads*/ 8, /*ffn*/ 1024);
//   parent.register_module("global_encoder", enc);
//   torch::Tensor out = enc->forward(tokens /*[N,L,d]*/, pos /*[1,L,d]*/, observer, grid);
//
// The attention computation follows torch 1.13's F.multi_head_attention_forward: separate q/k/v
// projections (q = k = x + pos, v = x), q scaled by 1/sqrt(head_dim) before QKᵀ, softmax over keys,
// head average = sum over heads / heads. With an observer, each layer reports its per-head and
// head-averaged attention and its output tokens, computed in the same pass.
// Training (the module in train() mode or autograd on): the same arithmetic with autograd-friendly
// operations and nn.TransformerEncoderLayer's dropout (on the attention weights, after the
// attention, inside and after the feed-forward); inference uses in-place, copy-free kernels.
#pragma once

#include "posescope/models/pose_model.h"

#include <torch/torch.h>

namespace posescope::models::transpose {

class SelfAttentionImpl : public torch::nn::Module {
public:
    SelfAttentionImpl(int64_t d, int64_t heads, double dropout = 0.1);
    /// Returns the attention output [N,L,d] (`pos` undefined: none added); `weights` receives the per-head softmax
    /// [N,H,L,L], `projections` the unscaled queries and keys ([N,L,d] each).
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& pos, torch::Tensor* weights,
                          std::pair<torch::Tensor, torch::Tensor>* projections = nullptr);
    /// Softmax rows of chosen queries [N,Q] from traced projections → [N,H,Q,L].
    torch::Tensor rows(const torch::Tensor& queries, const torch::Tensor& keys, const torch::Tensor& which) const;

    torch::Tensor in_proj_weight, in_proj_bias;
    torch::nn::Linear out_proj{nullptr};
    int64_t d, heads;
    double dropout;
};
TORCH_MODULE(SelfAttention);

class EncoderLayerImpl : public torch::nn::Module {
public:
    EncoderLayerImpl(int64_t d, int64_t heads, int64_t ffn, double dropout = 0.1);
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& pos, torch::Tensor* weights,
                          std::pair<torch::Tensor, torch::Tensor>* projections = nullptr);

    SelfAttention self_attn{nullptr};
    torch::nn::Linear linear1{nullptr}, linear2{nullptr};
    torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
    double dropout;
};
TORCH_MODULE(EncoderLayer);

class EncoderImpl : public torch::nn::Module {
public:
    EncoderImpl(int64_t layers, int64_t d, int64_t heads, int64_t ffn, double dropout = 0.1);
    /// x: [N, L, d] tokens of a rows × cols grid; pos: [1, L, d]. Reports each layer to `observer`.
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& pos, TraceObserver* observer, int rows,
                          int cols);

    torch::nn::ModuleList layers;
    /// BTranspose (pe_only_at_begin): the position embedding enters the first layer only.
    bool posOnlyAtFirst = false;
};
TORCH_MODULE(Encoder);

/// TransPose's 2-D sine position embedding, [h·w, 1, d] (token = row·w + col), float32, computed
/// as the official _make_sine_position_embedding does.
torch::Tensor sinePositionEmbedding(int64_t h, int64_t w, int64_t d);

/// A stored [h·w, 1, d] embedding resized to another grid as the official test code does
/// (bilinear, align_corners=True).
torch::Tensor resizePositionEmbedding(const torch::Tensor& pos, int64_t h, int64_t w, int64_t newH, int64_t newW);

}  // namespace posescope::models::transpose
