#include "btranspose/bot_backbone.h"

#include <string>

namespace posescope::models::btranspose {
namespace {

torch::nn::Conv2d conv(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t pad, bool bias) {
    return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, k).stride(stride).padding(pad).bias(bias));
}
// The official blocks use nn.BatchNorm2d's defaults (eps 1e-5, momentum 0.1), as the stem does.
torch::nn::BatchNorm2d bn(int64_t c) {
    return torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(c).eps(1e-5).momentum(0.1));
}

}  // namespace

MhsaImpl::MhsaImpl(int64_t channels, int64_t rows_, int64_t cols_, int64_t heads_)
    : heads(heads_), rows(rows_), cols(cols_) {
    query = register_module("query", conv(channels, channels, 1, 1, 0, true));
    key = register_module("key", conv(channels, channels, 1, 1, 0, true));
    value = register_module("value", conv(channels, channels, 1, 1, 0, true));
    const int64_t d = channels / heads;
    rel_h = register_parameter("rel_h", torch::randn({1, heads, d, 1, cols}));
    rel_w = register_parameter("rel_w", torch::randn({1, heads, d, rows, 1}));
}

torch::Tensor MhsaImpl::forward(const torch::Tensor& x, torch::Tensor* attention) {
    const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3), d = c / heads;
    if (h != rows || w != cols)
        throw ModelError("BTranspose: an MHSA block built for a " + std::to_string(rows) + "x" + std::to_string(cols) +
                         " grid got " + std::to_string(h) + "x" + std::to_string(w) +
                         " (its position parameters fix the input size)");
    const auto split = [&](const torch::Tensor& t) { return t.contiguous().view({n, heads, d, h * w}); };
    const torch::Tensor q = split(query->forward(x)), k = split(key->forward(x)), v = split(value->forward(x));
    const torch::Tensor contentContent = torch::matmul(q.permute({0, 1, 3, 2}), k);  // q_i·k_j
    const torch::Tensor position = (rel_h + rel_w).view({1, heads, d, h * w}).permute({0, 1, 3, 2});
    const torch::Tensor energy = contentContent + torch::matmul(position, q);  // + p_i·q_j
    const torch::Tensor attn = torch::softmax(energy, -1);
    if (attention) *attention = attn;
    return torch::matmul(v, attn.permute({0, 1, 3, 2})).view({n, c, h, w});
}

BotBlockImpl::BotBlockImpl(int64_t inplanes, int64_t planes, int64_t stride, bool withMhsa, int64_t heads, int64_t rows,
                           int64_t cols) {
    conv1 = register_module("conv1", conv(inplanes, planes, 1, 1, 0, false));
    bn1 = register_module("bn1", bn(planes));
    if (withMhsa) {
        if (stride != 1) throw ConfigError("BTranspose: an MHSA block with stride 2 is not supported");
        mhsa = Mhsa(planes, rows, cols, heads);
        register_module("conv2", torch::nn::Sequential(mhsa));
    } else {
        conv2 = register_module("conv2", conv(planes, planes, 3, stride, 1, false));
    }
    bn2 = register_module("bn2", bn(planes));
    conv3 = register_module("conv3", conv(planes, planes * kExpansion, 1, 1, 0, false));
    bn3 = register_module("bn3", bn(planes * kExpansion));
    if (stride != 1 || inplanes != planes * kExpansion)
        shortcut = register_module("shortcut", torch::nn::Sequential(conv(inplanes, planes * kExpansion, 1, stride, 0,
                                                                          /*bias=*/true),
                                                                     bn(planes * kExpansion)));
}

torch::Tensor BotBlockImpl::forward(const torch::Tensor& x, torch::Tensor* attention) {
    torch::Tensor out = torch::relu(bn1->forward(conv1->forward(x)));
    out = torch::relu(bn2->forward(mhsa ? mhsa->forward(out, attention) : conv2->forward(out)));
    out = bn3->forward(conv3->forward(out));
    return torch::relu(out + (shortcut ? shortcut->forward(x) : x));
}

BotBackbone::BotBackbone(torch::nn::Module& parent, const std::vector<int64_t>& planes,
                         const std::vector<int64_t>& blocks, int64_t mhsaGroups, int64_t heads, int64_t rows,
                         int64_t cols) {
    m_conv1 = parent.register_module("conv1", conv(3, 64, 7, 2, 3, false));
    m_bn1 = parent.register_module("bn1", bn(64));
    int64_t inplanes = 64;
    const int64_t groups = static_cast<int64_t>(planes.size());
    for (int64_t g = 0; g < groups; ++g) {
        torch::nn::Sequential layer;
        std::vector<BotBlock> group;
        const bool withMhsa = g >= groups - mhsaGroups;
        for (int64_t b = 0; b < blocks[static_cast<size_t>(g)]; ++b) {
            const int64_t stride = g == 1 && b == 0 ? 2 : 1;
            group.push_back(BotBlock(inplanes, planes[static_cast<size_t>(g)], stride, withMhsa, heads, rows, cols));
            layer->push_back(group.back());
            inplanes = planes[static_cast<size_t>(g)] * BotBlockImpl::kExpansion;
        }
        parent.register_module("layer" + std::to_string(g + 1), layer);
        m_groups.push_back(std::move(group));
    }
    m_outChannels = inplanes;
}

torch::Tensor BotBackbone::forward(const torch::Tensor& x, TraceObserver* observer) {
    torch::Tensor y = torch::relu(m_bn1->forward(m_conv1->forward(x)));
    y = torch::max_pool2d(y, 3, 2, 1);
    const bool keep = observer != nullptr;
    int block = 0;
    for (auto& group : m_groups)
        for (BotBlock& b : group) {
            torch::Tensor attention;
            y = b->forward(y, keep && b->mhsa ? &attention : nullptr);
            if (attention.defined()) observer->onExtra("mhsa_attention/block_" + std::to_string(block), attention);
            if (b->mhsa) ++block;
        }
    return y;
}

}  // namespace posescope::models::btranspose
