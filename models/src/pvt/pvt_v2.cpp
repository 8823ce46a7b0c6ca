#include "pvt/pvt_v2.h"

#include <cmath>
#include <regex>

namespace posescope::models::pvt {
namespace {

torch::nn::LayerNorm layerNorm(int64_t c, double eps) {
    return torch::nn::LayerNorm(torch::nn::LayerNormOptions({c}).eps(eps));
}
torch::nn::Linear makeLinear(int64_t in, int64_t out, bool bias) {
    return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(bias));
}

// The official code: norm_layer = partial(nn.LayerNorm, eps=1e-6) for the blocks and stage norms;
// OverlapPatchEmbed and the attention's sr norm build nn.LayerNorm(dim) with the default 1e-5.
constexpr double kBlockEps = 1e-6;
constexpr double kDefaultEps = 1e-5;

// [N, L, C] tokens of an h × w map → [N, C, h, w].
torch::Tensor toMap(const torch::Tensor& tokens, int64_t h, int64_t w) {
    return tokens.transpose(1, 2).reshape({tokens.size(0), tokens.size(2), h, w});
}
// [N, C, h, w] → [N, h·w, C].
torch::Tensor toTokens(const torch::Tensor& map) {
    return map.flatten(2).transpose(1, 2);
}

}  // namespace

PvtV2Spec pvtV2Spec(const std::string& variant) {
    PvtV2Spec s;
    s.heads = {1, 2, 5, 8};
    s.srRatios = {8, 4, 2, 1};
    s.mlpRatios = {8, 8, 4, 4};
    s.dims = {64, 128, 320, 512};
    if (variant == "b0") {
        s.dims = {32, 64, 160, 256};
        s.depths = {2, 2, 2, 2};
    } else if (variant == "b1") {
        s.depths = {2, 2, 2, 2};
    } else if (variant == "b2") {
        s.depths = {3, 4, 6, 3};
    } else if (variant == "b2-li" || variant == "b2_li") {
        s.depths = {3, 4, 6, 3};
        s.linear = true;
    } else if (variant == "b3") {
        s.depths = {3, 4, 18, 3};
    } else if (variant == "b4") {
        s.depths = {3, 8, 27, 3};
    } else if (variant == "b5") {
        s.depths = {3, 6, 40, 3};
        s.mlpRatios = {4, 4, 4, 4};
    } else {
        throw ConfigError("PVT v2: unknown variant '" + variant + "' (b0, b1, b2, b2-li, b3, b4, b5)");
    }
    return s;
}

std::string timmToOriginalKey(const std::string& key) {
    static const std::regex patchEmbed(R"(^patch_embed\.(.*)$)");
    static const std::regex downsample(R"(^stages\.(\d+)\.downsample\.(.*)$)");
    static const std::regex block(R"(^stages\.(\d+)\.blocks\.(\d+)\.(.*)$)");
    static const std::regex stageNorm(R"(^stages\.(\d+)\.norm\.(.*)$)");
    static const std::regex dwconv(R"(^mlp\.dwconv\.(weight|bias)$)");
    std::smatch m;
    const auto stage = [&](int group) { return std::to_string(std::stoll(m[group].str()) + 1); };
    if (std::regex_match(key, m, patchEmbed)) return "patch_embed1." + m[1].str();
    if (std::regex_match(key, m, downsample)) return "patch_embed" + stage(1) + "." + m[2].str();
    if (std::regex_match(key, m, stageNorm)) return "norm" + stage(1) + "." + m[2].str();
    if (std::regex_match(key, m, block)) {
        const std::string prefix = "block" + stage(1) + "." + m[2].str() + ".";
        std::string rest = m[3].str();
        if (std::regex_match(rest, m, dwconv)) rest = "mlp.dwconv.dwconv." + m[1].str();
        return prefix + rest;
    }
    return key;
}

OverlapPatchEmbedImpl::OverlapPatchEmbedImpl(int64_t in, int64_t dim, int64_t kernel, int64_t stride) {
    proj = register_module(
        "proj", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, dim, kernel).stride(stride).padding(kernel / 2)));
    norm = register_module("norm", layerNorm(dim, kDefaultEps));
}

torch::Tensor OverlapPatchEmbedImpl::forward(const torch::Tensor& x, int64_t& h, int64_t& w) {
    const torch::Tensor map = proj->forward(x);
    h = map.size(2);
    w = map.size(3);
    return norm->forward(toTokens(map));
}

SpatialReductionAttentionImpl::SpatialReductionAttentionImpl(int64_t dim, int64_t heads_, int64_t srRatio_,
                                                             bool linear_, bool qkvBias)
    : heads(heads_), srRatio(srRatio_), linear(linear_) {
    if (dim % heads != 0)
        throw ConfigError("PVT v2: dim " + std::to_string(dim) + " is not divisible by " + std::to_string(heads) +
                          " heads");
    q = register_module("q", makeLinear(dim, dim, qkvBias));
    kv = register_module("kv", makeLinear(dim, 2 * dim, qkvBias));
    proj = register_module("proj", makeLinear(dim, dim, true));
    if (linear || srRatio > 1) {
        const int64_t k = linear ? 1 : srRatio;
        sr = register_module("sr", torch::nn::Conv2d(torch::nn::Conv2dOptions(dim, dim, k).stride(k)));
        norm = register_module("norm", layerNorm(dim, kDefaultEps));
    }
}

torch::Tensor SpatialReductionAttentionImpl::forward(const torch::Tensor& x, int64_t h, int64_t w,
                                                     torch::Tensor* attention) {
    const int64_t n = x.size(0), tokens = x.size(1), c = x.size(2), d = c / heads;
    const torch::Tensor query = q->forward(x).reshape({n, tokens, heads, d}).permute({0, 2, 1, 3});
    torch::Tensor source = x;
    if (linear) {
        const torch::Tensor pooled = torch::adaptive_avg_pool2d(toMap(x, h, w), {7, 7});
        source = torch::gelu(norm->forward(toTokens(sr->forward(pooled))));
    } else if (srRatio > 1) {
        source = norm->forward(toTokens(sr->forward(toMap(x, h, w))));
    }
    // kv's output channels are [2, heads, d]: k is the first half, each head-major.
    const torch::Tensor keyValue = kv->forward(source).reshape({n, -1, 2, heads, d}).permute({2, 0, 3, 1, 4});
    const torch::Tensor key = keyValue[0], value = keyValue[1];
    const double scale = 1.0 / std::sqrt(static_cast<double>(d));  // head_dim ** -0.5
    const torch::Tensor attn = torch::softmax(torch::matmul(query, key.transpose(-2, -1)) * scale, -1);
    if (attention) *attention = attn;
    return proj->forward(torch::matmul(attn, value).transpose(1, 2).reshape({n, tokens, c}));
}

DepthwiseConvImpl::DepthwiseConvImpl(int64_t channels) {
    dwconv = register_module(
        "dwconv", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, channels, 3).padding(1).groups(channels)));
}

ConvMlpImpl::ConvMlpImpl(int64_t dim, int64_t hidden, bool linear_) : linear(linear_) {
    fc1 = register_module("fc1", makeLinear(dim, hidden, true));
    dwconv = register_module("dwconv", DepthwiseConv(hidden));
    fc2 = register_module("fc2", makeLinear(hidden, dim, true));
}

torch::Tensor ConvMlpImpl::forward(const torch::Tensor& x, int64_t h, int64_t w) {
    torch::Tensor y = fc1->forward(x);
    if (linear) y = torch::relu(y);
    y = toTokens(dwconv->dwconv->forward(toMap(y, h, w)));
    return fc2->forward(torch::gelu(y));
}

PvtBlockImpl::PvtBlockImpl(int64_t dim, int64_t heads, int64_t mlpRatio, int64_t srRatio, bool linear, bool qkvBias) {
    norm1 = register_module("norm1", layerNorm(dim, kBlockEps));
    attn = register_module("attn", SpatialReductionAttention(dim, heads, srRatio, linear, qkvBias));
    norm2 = register_module("norm2", layerNorm(dim, kBlockEps));
    mlp = register_module("mlp", ConvMlp(dim, dim * mlpRatio, linear));
}

torch::Tensor PvtBlockImpl::forward(const torch::Tensor& x, int64_t h, int64_t w, torch::Tensor* attention) {
    const torch::Tensor y = x + attn->forward(norm1->forward(x), h, w, attention);
    return y + mlp->forward(norm2->forward(y), h, w);
}

PvtV2Backbone::PvtV2Backbone(torch::nn::Module& parent, const PvtV2Spec& spec) : m_spec(spec) {
    const size_t stages = spec.dims.size();
    for (const auto* v : {&spec.heads, &spec.depths, &spec.mlpRatios, &spec.srRatios})
        if (v->size() != stages) throw ConfigError("PVT v2: every stage needs a dim, heads, depth, mlp ratio and sr");
    int64_t in = 3;
    for (size_t s = 0; s < stages; ++s) {
        const std::string n = std::to_string(s + 1);
        const int64_t dim = spec.dims[s];
        m_patchEmbeds.push_back(
            parent.register_module("patch_embed" + n, OverlapPatchEmbed(in, dim, s == 0 ? 7 : 3, s == 0 ? 4 : 2)));
        torch::nn::ModuleList list;
        std::vector<PvtBlock> blocks;
        for (int64_t j = 0; j < spec.depths[s]; ++j) {
            blocks.push_back(
                PvtBlock(dim, spec.heads[s], spec.mlpRatios[s], spec.srRatios[s], spec.linear, spec.qkvBias));
            list->push_back(blocks.back());
        }
        parent.register_module("block" + n, list);
        m_blocks.push_back(std::move(blocks));
        m_norms.push_back(parent.register_module("norm" + n, layerNorm(dim, kBlockEps)));
        in = dim;
    }
}

std::vector<torch::Tensor> PvtV2Backbone::forward(const torch::Tensor& x, TraceObserver* observer,
                                                  const BlockHook& afterBlock) {
    if (x.dim() != 4 || x.size(1) != 3)
        throw ModelError("PVT v2: the input must be [N, 3, H, W], got " + std::to_string(x.dim()) + " dimensions" +
                         (x.dim() >= 2 ? " with " + std::to_string(x.size(1)) + " channels" : std::string()));
    std::vector<torch::Tensor> maps;
    torch::Tensor map = x;
    for (size_t s = 0; s < m_blocks.size(); ++s) {
        int64_t h = 0, w = 0;
        torch::Tensor tokens = m_patchEmbeds[s]->forward(map, h, w);
        for (size_t j = 0; j < m_blocks[s].size(); ++j) {
            torch::Tensor attention;
            tokens = m_blocks[s][j]->forward(tokens, h, w, observer ? &attention : nullptr);
            if (observer)
                observer->onExtra("sra_attention/stage_" + std::to_string(s + 1) + "/block_" + std::to_string(j),
                                  attention);
            if (afterBlock) tokens = afterBlock(s, j, tokens, h, w);
        }
        map = toMap(m_norms[s]->forward(tokens), h, w).contiguous();
        maps.push_back(map);
    }
    return maps;
}

}  // namespace posescope::models::pvt
