#include "hrpvt/hrpm.h"

#include <algorithm>
#include <cctype>

namespace posescope::models::hrpvt {
namespace {

namespace F = torch::nn::functional;

std::string join(const std::vector<int64_t>& v) {
    std::string s;
    for (size_t i = 0; i < v.size(); ++i)
        s += (i ? ", " : "") + std::to_string(v[i]);
    return "[" + s + "]";
}

torch::Tensor upsample(const torch::Tensor& x, int64_t h, int64_t w) {
    if (x.size(2) == h && x.size(3) == w) return x;
    return F::interpolate(
        x, F::InterpolateFuncOptions().size(std::vector<int64_t>{h, w}).mode(torch::kBilinear).align_corners(false));
}

void initialiseConvBn(ConvBnImpl& m) {
    torch::NoGradGuard noGrad;
    torch::nn::init::kaiming_normal_(m.conv->weight, 0.0, torch::kFanOut, torch::kReLU);
    m.bn->weight.fill_(1.0);
    m.bn->bias.zero_();
    m.bn->running_mean.zero_();
    m.bn->running_var.fill_(1.0);
}

// Lower case without '-', '_' and spaces.
std::string squash(const std::string& text) {
    std::string s;
    for (char c : text)
        if (c != '-' && c != '_' && c != ' ') s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

void validate(const HrpmConfig& c, const pvt::PvtV2Spec& spec) {
    if (spec.dims.empty()) throw ConfigError("HRPM: the backbone has no stages");
    if (c.rates.empty()) throw ConfigError("HRPM: the dilation rates are empty (need at least one branch)");
    for (int64_t r : c.rates)
        if (r < 1) throw ConfigError("HRPM: dilation rates must be ≥ 1, got " + join(c.rates));
    if (c.levels < 0) throw ConfigError("HRPM: levels must be ≥ 0, got " + std::to_string(c.levels));
    if (c.blocks < 1) throw ConfigError("HRPM: blocks must be ≥ 1, got " + std::to_string(c.blocks));
    if (c.width < 0) throw ConfigError("HRPM: width must be ≥ 0 (0 = stage 1's), got " + std::to_string(c.width));
    if (c.insertion == HrpmInsertion::LayerWise) {
        if (c.width != 0 && c.width != spec.dims[0])
            throw ConfigError("HRPM: layer-wise blocks work on stage 1's tokens, so width must be 0 or " +
                              std::to_string(spec.dims[0]) + ", got " + std::to_string(c.width));
        if (spec.depths.empty() || spec.depths[0] < 1)
            throw ConfigError("HRPM: layer-wise insertion needs stage 1 to have blocks");
    }
}

}  // namespace

HrpmInsertion parseHrpmInsertion(const std::string& text) {
    const std::string s = squash(text);
    if (s == "stagewise") return HrpmInsertion::StageWise;
    if (s == "layerwise") return HrpmInsertion::LayerWise;
    throw ConfigError("HRPM: unknown insertion '" + text + "' (stage-wise, layer-wise)");
}

PyramidFusion parsePyramidFusion(const std::string& text) {
    const std::string s = squash(text);
    if (s == "sum") return PyramidFusion::Sum;
    if (s == "concat") return PyramidFusion::Concat;
    throw ConfigError("HRPM: unknown pyramid fusion '" + text + "' (sum, concat)");
}

std::string toString(HrpmInsertion insertion) {
    return insertion == HrpmInsertion::StageWise ? "stage-wise" : "layer-wise";
}

std::string toString(PyramidFusion fusion) {
    return fusion == PyramidFusion::Sum ? "sum" : "concat";
}

ConvBnImpl::ConvBnImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t dilation) {
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel)
                                                         .stride(stride)
                                                         .padding(dilation * (kernel / 2))
                                                         .dilation(dilation)
                                                         .bias(false)));
    bn = register_module("bn", torch::nn::BatchNorm2d(out));
}

torch::Tensor ConvBnImpl::forward(const torch::Tensor& x) {
    return bn->forward(conv->forward(x));
}

HrpmBlockImpl::HrpmBlockImpl(int64_t channels, const std::vector<int64_t>& rates, int64_t levels)
    : m_channels(channels) {
    if (channels < 1) throw ConfigError("HRPM: a block needs ≥ 1 channel, got " + std::to_string(channels));
    if (rates.empty()) throw ConfigError("HRPM: the dilation rates are empty (need at least one branch)");
    for (int64_t r : rates)
        if (r < 1) throw ConfigError("HRPM: dilation rates must be ≥ 1, got " + join(rates));
    if (levels < 0) throw ConfigError("HRPM: levels must be ≥ 0, got " + std::to_string(levels));
    branch = register_module("branch", torch::nn::ModuleList());
    for (int64_t r : rates)
        branch->push_back(ConvBn(channels, channels, 3, 1, r));
    down = register_module("down", torch::nn::ModuleList());
    for (int64_t l = 0; l < levels; ++l)
        down->push_back(ConvBn(channels, channels, 3, 2, 1));
    const auto parts = static_cast<int64_t>(rates.size()) + levels;
    fuse = register_module("fuse", ConvBn(parts * channels, channels, 1));
}

torch::Tensor HrpmBlockImpl::forward(const torch::Tensor& x) {
    if (x.dim() != 4 || x.size(1) != m_channels)
        throw ModelError("HRPM block: the input must be [N, " + std::to_string(m_channels) + ", H, W], got " +
                         std::to_string(x.dim()) + " dimensions" +
                         (x.dim() >= 2 ? " with " + std::to_string(x.size(1)) + " channels" : std::string()));
    const int64_t h = x.size(2), w = x.size(3);
    std::vector<torch::Tensor> parts;
    torch::Tensor y = x;
    for (const auto& m : *branch) {  // hierarchical: each branch on the previous one's output
        y = torch::relu(m->as<ConvBnImpl>()->forward(y));
        parts.push_back(y);
    }
    torch::Tensor level = y;
    for (const auto& m : *down) {  // progressive downsampling: 1/2, 1/4, … of the map
        level = torch::relu(m->as<ConvBnImpl>()->forward(level));
        parts.push_back(upsample(level, h, w));
    }
    return x + fuse->forward(torch::cat(parts, 1));
}

void HrpmBlockImpl::initialise() {
    for (const auto& m : *branch)
        initialiseConvBn(*m->as<ConvBnImpl>());
    for (const auto& m : *down)
        initialiseConvBn(*m->as<ConvBnImpl>());
    initialiseConvBn(*fuse);
    torch::NoGradGuard noGrad;
    fuse->bn->weight.zero_();  // the residual branch starts at 0: the block is the identity
}

HrpmImpl::HrpmImpl(const HrpmConfig& config, const pvt::PvtV2Spec& spec) : m_config(config), m_stageDims(spec.dims) {
    validate(config, spec);
    m_width = config.width == 0 ? spec.dims[0] : config.width;
    torch::nn::ModuleList laterals;
    for (int64_t dim : spec.dims) {
        m_laterals.push_back(ConvBn(dim, m_width, 1));
        laterals->push_back(m_laterals.back());
    }
    register_module("lateral", laterals);
    if (config.fusion == PyramidFusion::Concat)
        m_merge = register_module("merge", ConvBn(static_cast<int64_t>(spec.dims.size()) * m_width, m_width, 1));
    const bool layerWise = config.insertion == HrpmInsertion::LayerWise;
    const int64_t count = config.blocks * (layerWise ? spec.depths[0] : 1);
    const int64_t channels = layerWise ? spec.dims[0] : m_width;
    torch::nn::ModuleList blocks;
    for (int64_t k = 0; k < count; ++k) {
        m_blocks.push_back(HrpmBlock(channels, config.rates, config.levels));
        blocks->push_back(m_blocks.back());
    }
    register_module("blocks", blocks);
}

torch::Tensor HrpmImpl::forward(pvt::PvtV2Backbone& backbone, const torch::Tensor& image, TraceObserver* observer) {
    const pvt::PvtV2Spec& spec = backbone.spec();
    if (spec.dims != m_stageDims)
        throw ModelError("HRPM: built for stage widths " + join(m_stageDims) + ", the backbone has " + join(spec.dims));
    if (m_config.insertion == HrpmInsertion::LayerWise &&
        static_cast<int64_t>(m_blocks.size()) != m_config.blocks * spec.depths[0])
        throw ModelError("HRPM: built for " + std::to_string(m_blocks.size() / static_cast<size_t>(m_config.blocks)) +
                         " stage-1 blocks, the backbone has " + std::to_string(spec.depths[0]));
    return forward(backbone.forward(image, observer, blockHook()));
}

torch::Tensor HrpmImpl::forward(const std::vector<torch::Tensor>& maps) {
    if (maps.size() != m_stageDims.size())
        throw ModelError("HRPM: expected " + std::to_string(m_stageDims.size()) + " stage maps, got " +
                         std::to_string(maps.size()));
    for (size_t s = 0; s < maps.size(); ++s)
        if (maps[s].dim() != 4 || maps[s].size(1) != m_stageDims[s] || maps[s].size(0) != maps[0].size(0))
            throw ModelError(
                "HRPM: stage map " + std::to_string(s + 1) + " must be [N, " + std::to_string(m_stageDims[s]) +
                ", h, w] with stage 1's N, got " + std::to_string(maps[s].dim()) + " dimensions" +
                (maps[s].dim() >= 2 ? " with " + std::to_string(maps[s].size(1)) + " channels" : std::string()));
    const int64_t h = maps[0].size(2), w = maps[0].size(3);
    std::vector<torch::Tensor> parts;
    torch::Tensor fused;
    for (size_t s = 0; s < maps.size(); ++s) {
        const torch::Tensor y = upsample(m_laterals[s]->forward(maps[s]), h, w);
        if (m_config.fusion == PyramidFusion::Concat)
            parts.push_back(y);
        else
            fused = s == 0 ? y : fused + y;
    }
    if (m_config.fusion == PyramidFusion::Concat) fused = m_merge->forward(torch::cat(parts, 1));
    if (m_config.insertion == HrpmInsertion::StageWise)
        for (auto& block : m_blocks)
            fused = block->forward(fused);
    return fused;
}

pvt::BlockHook HrpmImpl::blockHook() {
    if (m_config.insertion != HrpmInsertion::LayerWise) return {};
    return [this](size_t stage, size_t block, const torch::Tensor& tokens, int64_t h, int64_t w) {
        return stage == 0 ? afterBlock(block, tokens, h, w) : tokens;
    };
}

torch::Tensor HrpmImpl::afterBlock(size_t block, const torch::Tensor& tokens, int64_t h, int64_t w) {
    const auto per = static_cast<size_t>(m_config.blocks);
    if (m_config.insertion != HrpmInsertion::LayerWise || (block + 1) * per > m_blocks.size())
        throw ModelError("HRPM: no layer-wise blocks after stage-1 block " + std::to_string(block));
    if (tokens.dim() != 3 || tokens.size(1) != h * w || tokens.size(2) != m_stageDims[0])
        throw ModelError("HRPM: stage-1 tokens must be [N, " + std::to_string(h * w) + ", " +
                         std::to_string(m_stageDims[0]) + "]");
    torch::Tensor map = tokens.transpose(1, 2).reshape({tokens.size(0), tokens.size(2), h, w});
    for (size_t b = 0; b < per; ++b)
        map = m_blocks[block * per + b]->forward(map);
    return map.flatten(2).transpose(1, 2).contiguous();
}

void HrpmImpl::initialise() {
    for (auto& l : m_laterals)
        initialiseConvBn(*l);
    if (m_merge) initialiseConvBn(*m_merge);
    for (auto& b : m_blocks)
        b->initialise();
}

int64_t hrpmBlockParameters(int64_t channels, int64_t rates, int64_t levels) {
    const int64_t c = channels;
    return (rates + levels) * (9 * c * c + 2 * c) + (rates + levels) * c * c + 2 * c;
}

int64_t hrpmParameters(const HrpmConfig& config, const pvt::PvtV2Spec& spec) {
    validate(config, spec);
    const int64_t w = config.width == 0 ? spec.dims[0] : config.width;
    int64_t n = 0;
    for (int64_t dim : spec.dims)
        n += dim * w + 2 * w;
    if (config.fusion == PyramidFusion::Concat) n += static_cast<int64_t>(spec.dims.size()) * w * w + 2 * w;
    const auto rates = static_cast<int64_t>(config.rates.size());
    if (config.insertion == HrpmInsertion::StageWise)
        n += config.blocks * hrpmBlockParameters(w, rates, config.levels);
    else
        n += spec.depths[0] * config.blocks * hrpmBlockParameters(spec.dims[0], rates, config.levels);
    return n;
}

}  // namespace posescope::models::hrpvt
