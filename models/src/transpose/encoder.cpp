#include "transpose/encoder.h"

#include <cmath>

namespace posescope::models::transpose {

SelfAttentionImpl::SelfAttentionImpl(int64_t d_, int64_t heads_, double dropout_)
    : d(d_), heads(heads_), dropout(dropout_) {
    in_proj_weight = register_parameter("in_proj_weight", torch::empty({3 * d, d}));
    in_proj_bias = register_parameter("in_proj_bias", torch::zeros({3 * d}));
    out_proj = register_module("out_proj", torch::nn::Linear(d, d));
    torch::nn::init::xavier_uniform_(in_proj_weight);
}

torch::Tensor SelfAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& pos, torch::Tensor* weights,
                                         std::pair<torch::Tensor, torch::Tensor>* projections) {
    const int64_t n = x.size(0), l = x.size(1), hd = d / heads;
    const auto w = in_proj_weight.chunk(3);
    const auto b = in_proj_bias.chunk(3);
    // q and k in one product ([N, L, 2d]; q = k's input = x + pos), v from x.
    const torch::Tensor qkBoth = torch::nn::functional::linear(
        pos.defined() ? x + pos : x, in_proj_weight.narrow(0, 0, 2 * d), in_proj_bias.narrow(0, 0, 2 * d));
    const torch::Tensor q = qkBoth.narrow(2, 0, d);  // row stride 2d
    const torch::Tensor k = qkBoth.narrow(2, d, d);
    const torch::Tensor v = torch::nn::functional::linear(x, w[2], b[2]);
    if (is_training() || torch::GradMode::is_enabled()) {
        // Training: out= kernels and in-place softmax do not support autograd; the same products
        // on [N, H, L, hd] views, then nn.MultiheadAttention's dropout on the weights.
        const auto heads4 = [&](const torch::Tensor& t) { return t.view({n, l, heads, hd}).transpose(1, 2); };
        // The scale on q ([N, L, d]) rather than on the [N, H, L, L] product, as 1.13 does.
        const torch::Tensor attn =
            torch::softmax(torch::matmul(heads4(q * (1.0 / std::sqrt(double(hd)))), heads4(k).transpose(2, 3)), -1);
        const torch::Tensor dropped = dropout > 0 ? torch::dropout(attn, dropout, is_training()) : attn;
        const torch::Tensor context = torch::matmul(dropped, heads4(v)).transpose(1, 2).reshape({n, l, d});
        if (weights) *weights = attn;
        if (projections) *projections = {q, k};
        return out_proj->forward(context);
    }
    // Per sample, the heads of a [L, d] matrix are [H, L, hd] views (row stride d or 2d): the batched
    // products read them in place (no head-split copies), the 1/sqrt(hd) scale rides on the product
    // (alpha) and the softmax runs in place, so the only [H, L, L] buffer is the one returned.
    const double scale = 1.0 / std::sqrt(static_cast<double>(hd));
    torch::Tensor attn = torch::empty({n, heads, l, l}, x.options());
    torch::Tensor context = torch::empty({n, heads, l, hd}, x.options());
    for (int64_t i = 0; i < n; ++i) {
        const torch::Tensor qi = q[i].view({l, heads, hd}).transpose(0, 1);
        const torch::Tensor ki = k[i].view({l, heads, hd}).transpose(0, 1);
        torch::Tensor ai = attn[i];
        at::baddbmm_out(ai, ai, qi, ki.transpose(1, 2), /*beta=*/0.0, /*alpha=*/scale);
    }
    at::_softmax_out(attn, attn, -1, false);
    for (int64_t i = 0; i < n; ++i) {
        torch::Tensor ci = context[i];
        at::bmm_out(ci, attn[i], v[i].view({l, heads, hd}).transpose(0, 1));
    }
    if (weights) *weights = attn;
    if (projections) *projections = {q, k};
    return out_proj->forward(context.transpose(1, 2).reshape({n, l, d}));
}

torch::Tensor SelfAttentionImpl::rows(const torch::Tensor& queries, const torch::Tensor& keys,
                                      const torch::Tensor& which) const {
    const int64_t n = queries.size(0), l = queries.size(1), m = which.size(1), hd = d / heads;
    const torch::Tensor picked = queries.gather(1, which.unsqueeze(-1).expand({n, m, d}));  // [N, Q, d]
    const torch::Tensor q = picked.view({n, m, heads, hd}).transpose(1, 2);                 // [N, H, Q, hd]
    const torch::Tensor k = keys.reshape({n, l, heads, hd}).permute({0, 2, 3, 1});          // [N, H, hd, L]
    // The same scaling as the pass: the product times 1/sqrt(hd), then the softmax over keys.
    return torch::softmax(torch::matmul(q, k).mul_(1.0 / std::sqrt(static_cast<double>(hd))), -1);
}

EncoderLayerImpl::EncoderLayerImpl(int64_t d, int64_t heads, int64_t ffn, double dropout_) : dropout(dropout_) {
    self_attn = register_module("self_attn", SelfAttention(d, heads, dropout));
    linear1 = register_module("linear1", torch::nn::Linear(d, ffn));
    linear2 = register_module("linear2", torch::nn::Linear(ffn, d));
    norm1 = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d}).eps(1e-5)));
    norm2 = register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d}).eps(1e-5)));
}

torch::Tensor EncoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& pos, torch::Tensor* weights,
                                        std::pair<torch::Tensor, torch::Tensor>* projections) {
    if (is_training()) {  // nn.TransformerEncoderLayer's dropout1, dropout, dropout2 (post-norm)
        const torch::Tensor src =
            norm1->forward(x + torch::dropout(self_attn->forward(x, pos, weights, projections), dropout, true));
        const torch::Tensor hidden = torch::dropout(torch::relu(linear1->forward(src)), dropout, true);
        return norm2->forward(src + torch::dropout(linear2->forward(hidden), dropout, true));
    }
    const torch::Tensor src = norm1->forward(self_attn->forward(x, pos, weights, projections).add_(x));
    return norm2->forward(linear2->forward(linear1->forward(src).relu_()).add_(src));
}

EncoderImpl::EncoderImpl(int64_t count, int64_t d, int64_t heads, int64_t ffn, double dropout) {
    layers = register_module("layers", torch::nn::ModuleList());
    for (int64_t i = 0; i < count; ++i)
        layers->push_back(EncoderLayer(d, heads, ffn, dropout));
}

torch::Tensor EncoderImpl::forward(const torch::Tensor& x, const torch::Tensor& pos, TraceObserver* observer, int rows,
                                   int cols) {
    torch::Tensor out = x;
    torch::Tensor grid;
    const bool keep = observer && observer->wantsAttention();
    for (size_t i = 0; i < layers->size(); ++i) {
        torch::Tensor weights;
        std::pair<torch::Tensor, torch::Tensor> projections;
        const torch::Tensor& layerPos = i == 0 || !posOnlyAtFirst ? pos : torch::Tensor();
        out = layers->ptr<EncoderLayerImpl>(i)->forward(out, layerPos, keep ? &weights : nullptr,
                                                        observer ? &projections : nullptr);
        if (observer) {
            LayerTrace t;
            t.index = static_cast<int>(i);
            if (keep) {
                t.attention = weights;
                // sum / heads as nn.MultiheadAttention averages; one head is its own average (a
                // view: copying [N, L, L] per layer would cost more than the attention itself).
                const int64_t heads = weights.size(1);
                t.attentionMean = heads == 1 ? weights.select(1, 0) : weights.sum(1).div_(static_cast<double>(heads));
            }
            t.queries = projections.first;
            t.keys = projections.second;
            t.tokens = out;
            if (!grid.defined()) grid = torch::arange(out.size(1), torch::kInt64).expand({out.size(0), out.size(1)});
            t.visualTokens = grid;
            t.gridRows = rows;
            t.gridCols = cols;
            observer->onLayer(t);
        }
    }
    return out;
}

torch::Tensor sinePositionEmbedding(int64_t h, int64_t w, int64_t d) {
    // float32 throughout, as the official code computes it.
    const double scale = 2 * M_PI;
    const float eps = 1e-6f;
    const torch::Tensor ones = torch::ones({1, h, w}, torch::kFloat32);
    torch::Tensor y = ones.cumsum(1, torch::kFloat32);
    torch::Tensor x = ones.cumsum(2, torch::kFloat32);
    y = y / (y.index({torch::indexing::Slice(), torch::indexing::Slice(-1, torch::indexing::None)}) + eps) * scale;
    x = x /
        (x.index(
             {torch::indexing::Slice(), torch::indexing::Slice(), torch::indexing::Slice(-1, torch::indexing::None)}) +
         eps) *
        scale;
    const int64_t f = d / 2;
    torch::Tensor dimT = torch::arange(f, torch::kFloat32);
    dimT = torch::pow(10000.0, 2 * torch::div(dimT, 2, "floor") / f);
    torch::Tensor px = x.unsqueeze(-1) / dimT;
    torch::Tensor py = y.unsqueeze(-1) / dimT;
    using torch::indexing::Slice;
    px = torch::stack({px.index({Slice(), Slice(), Slice(), Slice(0, torch::indexing::None, 2)}).sin(),
                       px.index({Slice(), Slice(), Slice(), Slice(1, torch::indexing::None, 2)}).cos()},
                      4)
             .flatten(3);
    py = torch::stack({py.index({Slice(), Slice(), Slice(), Slice(0, torch::indexing::None, 2)}).sin(),
                       py.index({Slice(), Slice(), Slice(), Slice(1, torch::indexing::None, 2)}).cos()},
                      4)
             .flatten(3);
    // [1, h, w, d] -> [1, d, h, w] -> [h·w, 1, d]
    const torch::Tensor pos = torch::cat({py, px}, 3).permute({0, 3, 1, 2});
    return pos.flatten(2).permute({2, 0, 1}).contiguous();
}

torch::Tensor resizePositionEmbedding(const torch::Tensor& pos, int64_t h, int64_t w, int64_t newH, int64_t newW) {
    const int64_t d = pos.size(2);
    const torch::Tensor grid = pos.view({h, w, 1, d}).permute({2, 3, 0, 1});  // [1, d, h, w]
    const torch::Tensor resized =
        torch::nn::functional::interpolate(grid, torch::nn::functional::InterpolateFuncOptions()
                                                     .size(std::vector<int64_t>{newH, newW})
                                                     .mode(torch::kBilinear)
                                                     .align_corners(true));
    return resized.flatten(2).permute({2, 0, 1}).contiguous();  // [newH·newW, 1, d]
}

}  // namespace posescope::models::transpose
