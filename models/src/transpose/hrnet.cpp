// HRNet-S of TransPose-H; see hrnet.h for the contract. Names, order and arithmetic follow
// lib/models/transpose_h.py (BasicBlock, Bottleneck, HighResolutionModule, TransPoseH's
// _make_layer / _make_transition_layer / _make_stage / forward).
#include "transpose/hrnet.h"

#include "transpose/resnet.h"

#include "posescope/datasets/error.h"

#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/upsampling.h>

#include <string>
#include <utility>

namespace posescope::models::transpose {

namespace {

HrnetStageSpec stageSpec(const ModelConfig& c, const std::string& stage, const std::string& family) {
    const std::string k = "MODEL.EXTRA." + stage + ".";
    if (c.string(k + "BLOCK", "BASIC") != "BASIC")
        throw ConfigError(k + "BLOCK: " + family + " uses BASIC blocks in " + stage + " (" + c.source() + ")");
    if (c.string(k + "FUSE_METHOD", "SUM") != "SUM")
        throw ConfigError(k + "FUSE_METHOD: only SUM is defined (" + c.source() + ")");
    HrnetStageSpec s;
    s.modules = static_cast<int>(c.integer(k + "NUM_MODULES"));
    s.branches = static_cast<int>(c.integer(k + "NUM_BRANCHES"));
    for (long long v : c.integers(k + "NUM_BLOCKS"))
        s.blocks.push_back(static_cast<int>(v));
    for (long long v : c.integers(k + "NUM_CHANNELS"))
        s.channels.push_back(static_cast<int>(v));
    if (static_cast<int>(s.blocks.size()) != s.branches || static_cast<int>(s.channels.size()) != s.branches)
        throw ConfigError(k + "NUM_BLOCKS/NUM_CHANNELS must have NUM_BRANCHES entries (" + c.source() + ")");
    return s;
}

}  // namespace

HrnetSpec hrnetSpecFromConfig(const ModelConfig& c, const std::string& family) {
    HrnetSpec spec;
    spec.stage2 = stageSpec(c, "STAGE2", family);
    spec.stage3 = stageSpec(c, "STAGE3", family);
    return spec;
}

namespace {

namespace nn = torch::nn;

constexpr double kBnEps = 1e-5;  // every BatchNorm2d of the official model (momentum is irrelevant here)

nn::Conv2d conv(int in, int out, int kernel, int stride, int padding) {
    return nn::Conv2d(nn::Conv2dOptions(in, out, kernel).stride(stride).padding(padding).bias(false));
}

nn::BatchNorm2d bn(int channels) {
    return nn::BatchNorm2d(nn::BatchNorm2dOptions(channels).eps(kBnEps));
}

/// Sequential{0: conv, 1: BN[, 2: ReLU]}.
nn::Sequential convBn(int in, int out, int kernel, int stride, int padding, bool relu) {
    nn::Sequential s(conv(in, out, kernel, stride, padding), bn(out));
    if (relu) s->push_back(nn::ReLU());
    return s;
}

torch::Tensor run(std::vector<nn::Sequential>& steps, torch::Tensor x) {
    for (auto& step : steps)
        x = step->forward(x);
    return x;
}

std::string listText(const std::vector<int>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i)
        s += (i ? ", " : "") + std::to_string(v[i]);
    return s + "]";
}

void checkStage(const HrnetStageSpec& s, const char* name) {
    const std::string where = std::string("HRNet spec, ") + name + ": ";
    if (s.modules < 1) throw Error(where + "NUM_MODULES must be at least 1, got " + std::to_string(s.modules));
    if (s.branches < 1) throw Error(where + "NUM_BRANCHES must be at least 1, got " + std::to_string(s.branches));
    if (s.blocks.size() != static_cast<size_t>(s.branches))
        throw Error(where + "NUM_BRANCHES(" + std::to_string(s.branches) + ") <> NUM_BLOCKS" + listText(s.blocks));
    if (s.channels.size() != static_cast<size_t>(s.branches))
        throw Error(where + "NUM_BRANCHES(" + std::to_string(s.branches) + ") <> NUM_CHANNELS" + listText(s.channels));
    for (int b : s.blocks)
        if (b < 1) throw Error(where + "NUM_BLOCKS must be positive, got " + listText(s.blocks));
    for (int c : s.channels)
        if (c < 1) throw Error(where + "NUM_CHANNELS must be positive, got " + listText(s.channels));
}

}  // namespace

HrnetSpec HrnetSpec::official(int width) {
    HrnetSpec spec;
    spec.stage2 = HrnetStageSpec{1, 2, {4, 4}, {width, 2 * width}};
    spec.stage3 = HrnetStageSpec{4, 3, {4, 4, 4}, {width, 2 * width, 4 * width}};
    return spec;
}

// --- BasicBlock ---------------------------------------------------------------------

namespace hrnet {

BasicBlockImpl::BasicBlockImpl(int inplanes, int planes, int stride) {
    conv1 = register_module("conv1", conv(inplanes, planes, 3, stride, 1));
    bn1 = register_module("bn1", bn(planes));
    conv2 = register_module("conv2", conv(planes, planes, 3, 1, 1));
    bn2 = register_module("bn2", bn(planes));
    if (stride != 1 || inplanes != planes)
        downsample = register_module("downsample", convBn(inplanes, planes, 1, stride, 0, false));
}

torch::Tensor BasicBlockImpl::forward(const torch::Tensor& x) {
    torch::Tensor out = torch::relu(bn1->forward(conv1->forward(x)));
    out = bn2->forward(conv2->forward(out));
    out += downsample ? downsample->forward(x) : x;
    return torch::relu(out);
}

// --- HighResolutionModule ------------------------------------------------------------------------

HighResolutionModuleImpl::HighResolutionModuleImpl(const std::vector<int>& inChannels, const std::vector<int>& blocks,
                                                   const std::vector<int>& channels, bool multiScaleOutput) {
    const size_t n = channels.size();
    if (inChannels.size() != n || blocks.size() != n)
        throw Error("HighResolutionModule: NUM_BRANCHES(" + std::to_string(n) + ") <> NUM_INCHANNELS" +
                    listText(inChannels) + " / NUM_BLOCKS" + listText(blocks));

    // branches.<i>.<k>: the first block adapts the input channels (BASIC: expansion 1).
    auto branches = register_module("branches", nn::ModuleList());
    m_branches.resize(n);
    m_outChannels = inChannels;
    for (size_t i = 0; i < n; ++i) {
        auto branch = nn::ModuleList();
        for (int k = 0; k < blocks[i]; ++k) {
            BasicBlock block(k == 0 ? m_outChannels[i] : channels[i], channels[i]);
            branch->push_back(block);
            m_branches[i].push_back(block);
        }
        m_outChannels[i] = channels[i];
        branches->push_back(branch);
    }
    if (n == 1) return;  // the official fuse_layers is None: no fusion, no keys

    // fuse_layers.<i>.<j>, i < n (or only 0), from the branches' output channels.
    const std::vector<int>& c = m_outChannels;
    auto fuseLayers = register_module("fuse_layers", nn::ModuleList());
    const size_t rows = multiScaleOutput ? n : 1;
    m_fuse.resize(rows);
    for (size_t i = 0; i < rows; ++i) {
        auto row = nn::ModuleList();
        m_fuse[i].resize(n);
        for (size_t j = 0; j < n; ++j) {
            if (j > i) {  // 1x1 conv to c_i, BN, nearest upsampling by 2^(j-i)
                const double scale = static_cast<double>(1 << (j - i));
                nn::Sequential s(
                    conv(c[j], c[i], 1, 1, 0), bn(c[i]),
                    nn::Upsample(
                        nn::UpsampleOptions().scale_factor(std::vector<double>{scale, scale}).mode(torch::kNearest)));
                row->push_back(s);
                m_fuse[i][j].push_back(s);
            } else if (j == i) {
                row->push_back(nn::Identity());  // None
            } else {  // i-j stride-2 3x3 convs: c_j -> c_j (+ReLU) ..., the last c_j -> c_i without ReLU
                auto chain = nn::ModuleList();
                for (size_t k = 0; k < i - j; ++k) {
                    const bool last = k == i - j - 1;
                    nn::Sequential s = convBn(c[j], last ? c[i] : c[j], 3, 2, 1, !last);
                    chain->push_back(s);
                    m_fuse[i][j].push_back(s);
                }
                row->push_back(chain);
            }
        }
        fuseLayers->push_back(row);
    }
}

std::vector<torch::Tensor> HighResolutionModuleImpl::forward(std::vector<torch::Tensor> x) {
    const size_t n = m_branches.size();
    TORCH_CHECK(x.size() == n, "HighResolutionModule: expected ", n, " branch inputs, got ", x.size());
    for (size_t i = 0; i < n; ++i)
        for (auto& block : m_branches[i])
            x[i] = block->forward(x[i]);
    if (n == 1) return {x[0]};

    std::vector<torch::Tensor> fused;
    fused.reserve(m_fuse.size());
    for (size_t i = 0; i < m_fuse.size(); ++i) {
        torch::Tensor y = i == 0 ? x[0] : run(m_fuse[i][0], x[0]);
        for (size_t j = 1; j < n; ++j)
            y = i == j ? y + x[j] : y + run(m_fuse[i][j], x[j]);
        fused.push_back(torch::relu(y));
    }
    return fused;
}

}  // namespace hrnet

// --- HrnetStem -----------------------------------------------------------------------------------

namespace {

using hrnet::HighResolutionModule;
using Transition = std::vector<std::vector<nn::Sequential>>;

/// The official _make_transition_layer: slot i keeps branch i (None) when the channels agree,
/// adapts it with a stride-1 3x3 conv when they differ, and creates each new branch from the last
/// previous branch with a chain of stride-2 3x3 convs (intermediate steps keep its channels).
nn::ModuleList makeTransition(const std::vector<int>& pre, const std::vector<int>& cur, Transition& out) {
    auto list = nn::ModuleList();
    out.assign(cur.size(), {});
    for (size_t i = 0; i < cur.size(); ++i) {
        if (i < pre.size()) {
            if (cur[i] != pre[i]) {
                nn::Sequential s = convBn(pre[i], cur[i], 3, 1, 1, true);
                list->push_back(s);
                out[i].push_back(s);
            } else {
                list->push_back(nn::Identity());  // None
            }
        } else {
            auto chain = nn::ModuleList();
            const size_t steps = i + 1 - pre.size();
            for (size_t k = 0; k < steps; ++k) {
                const int in = pre.back();
                nn::Sequential s = convBn(in, k == steps - 1 ? cur[i] : in, 3, 2, 1, true);
                chain->push_back(s);
                out[i].push_back(s);
            }
            list->push_back(chain);
        }
    }
    return list;
}

/// The official _make_stage: `modules` HighResolutionModules; with !multiScaleOutput only the
/// last one fuses into branch 0 alone. Updates `channels` to the stage's output channels.
nn::ModuleList makeStage(const HrnetStageSpec& spec, std::vector<int>& channels, bool multiScaleOutput,
                         std::vector<HighResolutionModule>& out) {
    auto list = nn::ModuleList();
    for (int m = 0; m < spec.modules; ++m) {
        const bool multi = multiScaleOutput || m != spec.modules - 1;
        HighResolutionModule module(channels, spec.blocks, spec.channels, multi);
        channels = module->outChannels();
        list->push_back(module);
        out.push_back(module);
    }
    return list;
}

/// The official forward between stages: a non-None slot transforms the LAST previous output
/// (y_list[-1]), a None slot passes branch i through.
std::vector<torch::Tensor> applyTransition(Transition& t, const std::vector<torch::Tensor>& prev) {
    std::vector<torch::Tensor> out;
    out.reserve(t.size());
    for (size_t i = 0; i < t.size(); ++i)
        out.push_back(t[i].empty() ? prev.at(i) : run(t[i], prev.back()));
    return out;
}

}  // namespace

HrnetStem::HrnetStem(torch::nn::Module& parent, const HrnetSpec& spec) : m_spec(spec) {
    checkStage(spec.stage2, "STAGE2");
    checkStage(spec.stage3, "STAGE3");

    const int w = spec.stemWidth;
    if (w < 1) throw Error("HRNet spec: the stem width must be at least 1, got " + std::to_string(w));
    m_conv1 = parent.register_module("conv1", conv(3, w, 3, 2, 1));
    m_bn1 = parent.register_module("bn1", bn(w));
    m_conv2 = parent.register_module("conv2", conv(w, w, 3, 2, 1));
    m_bn2 = parent.register_module("bn2", bn(w));

    int64_t inplanes = w;  // layer1: 4 Bottlenecks of planes w (64 officially), as TransPose-R's (resnet.h)
    m_layer1 = parent.register_module("layer1", makeBottleneckLayer(inplanes, w, 4, 1));

    std::vector<int> channels{static_cast<int>(inplanes)};
    parent.register_module("transition1", makeTransition(channels, spec.stage2.channels, m_transition1));
    channels = spec.stage2.channels;
    parent.register_module("stage2", makeStage(spec.stage2, channels, true, m_stage2));
    parent.register_module("transition2", makeTransition(channels, spec.stage3.channels, m_transition2));
    channels = spec.stage3.channels;
    parent.register_module("stage3", makeStage(spec.stage3, channels, false, m_stage3));
    m_outChannels = channels.at(0);
}

torch::Tensor HrnetStem::forward(const torch::Tensor& input) {
    TORCH_CHECK(m_conv1, "HrnetStem: forward() on an empty stem");
    torch::Tensor x = torch::relu(m_bn1->forward(m_conv1->forward(input)));
    x = torch::relu(m_bn2->forward(m_conv2->forward(x)));
    x = m_layer1->forward(x);

    std::vector<torch::Tensor> y = applyTransition(m_transition1, {x});
    for (auto& module : m_stage2)
        y = module->forward(std::move(y));
    y = applyTransition(m_transition2, y);
    for (auto& module : m_stage3)
        y = module->forward(std::move(y));
    return y.at(0);
}

}  // namespace posescope::models::transpose
