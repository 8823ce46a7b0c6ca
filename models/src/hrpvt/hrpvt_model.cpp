#include "hrpvt/hrpvt_model.h"

#include <cmath>
#include <string>
#include <vector>

namespace posescope::models::hrpvt {
namespace {

const char* const kExtra = "MODEL.EXTRA.";

std::vector<int64_t> stageList(const ModelConfig& c, const std::string& key, const std::vector<int64_t>& fallback) {
    const std::vector<long long> v = c.integers(kExtra + key, {fallback.begin(), fallback.end()});
    if (v.size() != 4)
        throw ConfigError(std::string(kExtra) + key + ": expected 4 values (one per stage), got " +
                          std::to_string(v.size()) + " (" + c.source() + ")");
    for (long long x : v)
        if (x < 1)
            throw ConfigError(std::string(kExtra) + key + ": every value must be at least 1 (" + c.source() + ")");
    return {v.begin(), v.end()};
}

// The token grid of each stage for an input of h × w (the patch embeddings' arithmetic).
std::vector<std::pair<int64_t, int64_t>> stageGrids(int64_t h, int64_t w) {
    std::vector<std::pair<int64_t, int64_t>> g;
    h = (h - 1) / 4 + 1;  // 7×7, stride 4, padding 3
    w = (w - 1) / 4 + 1;
    for (int s = 0; s < 4; ++s) {
        g.emplace_back(h, w);
        h = (h - 1) / 2 + 1;  // 3×3, stride 2, padding 1
        w = (w - 1) / 2 + 1;
    }
    return g;
}

std::pair<int64_t, int64_t> keyGrid(const pvt::PvtV2Spec& spec, size_t stage, std::pair<int64_t, int64_t> grid) {
    if (spec.linear) return {7, 7};
    const int64_t sr = spec.srRatios[stage];
    return sr > 1 ? std::pair{grid.first / sr, grid.second / sr} : grid;
}

// Turns the backbone's SRA extras into LayerTraces on the common grid, and passes everything on.
class SraLayers : public TraceObserver {
public:
    SraLayers(TraceObserver& user, const pvt::PvtV2Spec& spec, int64_t inputH, int64_t inputW, int64_t rows,
              int64_t cols)
        : m_user(user), m_spec(spec), m_grids(stageGrids(inputH, inputW)), m_rows(rows), m_cols(cols) {}
    bool wantsAttention() const override { return true; }
    void onLayer(const LayerTrace& layer) override { m_user.onLayer(layer); }
    void onExtra(const std::string& name, const torch::Tensor& value) override {
        m_user.onExtra(name, value);
        const std::string prefix = "sra_attention/stage_";
        if (name.rfind(prefix, 0) != 0) return;
        const auto stage = static_cast<size_t>(std::stoi(name.substr(prefix.size())) - 1);
        const auto [qh, qw] = m_grids.at(stage);
        const auto [kh, kw] = keyGrid(m_spec, stage, m_grids.at(stage));
        const int64_t n = value.size(0), T = m_rows * m_cols;
        // Head mean, then each common cell's mean of its queries' rows.
        torch::Tensor a = value.mean(1).view({n, qh, qw, kh * kw}).permute({0, 3, 1, 2});
        a = torch::adaptive_avg_pool2d(a, {m_rows, m_cols}).reshape({n, kh * kw, T}).transpose(1, 2);
        if (kh != m_rows || kw != m_cols) {  // keys on another grid: area-resample, renormalise
            a = torch::adaptive_avg_pool2d(a.reshape({n, T, kh, kw}), {m_rows, m_cols}).reshape({n, T, T});
            a = a / a.sum(-1, true).clamp_min(1e-12);
        }
        LayerTrace lt;
        lt.index = m_next++;
        lt.attentionMean = a.contiguous();
        lt.attention = lt.attentionMean.unsqueeze(1);
        lt.visualTokens = torch::arange(T, torch::kInt64).expand({n, T});
        lt.gridRows = static_cast<int>(m_rows);
        lt.gridCols = static_cast<int>(m_cols);
        m_user.onLayer(lt);
    }

private:
    TraceObserver& m_user;
    const pvt::PvtV2Spec& m_spec;
    std::vector<std::pair<int64_t, int64_t>> m_grids;
    int64_t m_rows, m_cols;
    int m_next = 0;
};

}  // namespace

HrpvtConfig hrpvtConfig(const ModelConfig& c) {
    HrpvtConfig h;
    const std::vector<long long> size = c.integers("MODEL.IMAGE_SIZE", {192, 256});
    if (size.size() != 2 || size[0] < 32 || size[1] < 32)
        throw ConfigError("MODEL.IMAGE_SIZE: expected [width, height] of at least 32 pixels (" + c.source() + ")");
    h.imageWidth = size[0];
    h.imageHeight = size[1];
    h.joints = c.integer("MODEL.NUM_JOINTS", 17);
    if (h.joints < 1) throw ConfigError("MODEL.NUM_JOINTS must be positive (" + c.source() + ")");
    h.pvtVariant = c.string(std::string(kExtra) + "PVT", "b2");
    try {
        h.pvt = pvt::pvtV2Spec(h.pvtVariant);
    } catch (const ConfigError& e) {
        throw ConfigError(std::string(kExtra) + "PVT: " + e.what() + " (" + c.source() + ")");
    }
    bool custom = false;
    const auto override = [&](const char* key, std::vector<int64_t>& field) {
        if (!c.has(std::string(kExtra) + key)) return;
        const std::vector<int64_t> v = stageList(c, key, field);
        custom = custom || v != field;
        field = v;
    };
    override("PVT_DIMS", h.pvt.dims);
    override("PVT_DEPTHS", h.pvt.depths);
    override("PVT_HEADS", h.pvt.heads);
    override("PVT_MLP_RATIOS", h.pvt.mlpRatios);
    override("PVT_SR_RATIOS", h.pvt.srRatios);
    if (custom) h.pvtVariant = "custom";
    for (size_t s = 0; s < 4; ++s)
        if (h.pvt.dims[s] % h.pvt.heads[s] != 0)
            throw ConfigError(std::string(kExtra) + "PVT_HEADS: stage " + std::to_string(s + 1) + "'s width " +
                              std::to_string(h.pvt.dims[s]) + " is not divisible by its " +
                              std::to_string(h.pvt.heads[s]) + " heads (" + c.source() + ")");
    const auto grids = stageGrids(h.imageHeight, h.imageWidth);
    for (size_t s = 0; s < 4; ++s)
        if (!h.pvt.linear && grids[s].first < h.pvt.srRatios[s])
            throw ConfigError("MODEL.IMAGE_SIZE: stage " + std::to_string(s + 1) + "'s grid is smaller than its " +
                              "spatial-reduction ratio " + std::to_string(h.pvt.srRatios[s]) + " (" + c.source() + ")");
    try {
        h.hrpm.width = c.integer(std::string(kExtra) + "HRPM_WIDTH", 0);
        const std::vector<long long> rates = c.integers(std::string(kExtra) + "HRPM_RATES", {1, 2, 5});
        h.hrpm.rates.assign(rates.begin(), rates.end());
        h.hrpm.levels = c.integer(std::string(kExtra) + "HRPM_LEVELS", 2);
        h.hrpm.blocks = c.integer(std::string(kExtra) + "HRPM_BLOCKS", 1);
        h.hrpm.insertion = parseHrpmInsertion(c.string(std::string(kExtra) + "HRPM_INSERTION", "stage-wise"));
        h.hrpm.fusion = parsePyramidFusion(c.string(std::string(kExtra) + "HRPM_FUSION", "sum"));
        hrpmParameters(h.hrpm, h.pvt);  // validates
    } catch (const ConfigError& e) {
        throw ConfigError(std::string(kExtra) + "HRPM_*: " + e.what() + " (" + c.source() + ")");
    }
    h.simcc.splitRatio = c.number(std::string(kExtra) + "SIMCC_SPLIT_RATIO", 2.0);
    h.simcc.sigmaX = c.number(std::string(kExtra) + "SIMCC_SIGMA_X", 6.0);
    h.simcc.sigmaY = c.number(std::string(kExtra) + "SIMCC_SIGMA_Y", h.simcc.sigmaX);
    h.simcc.beta = c.number(std::string(kExtra) + "SIMCC_BETA", 1.0);
    h.simcc.labelSoftmax = c.boolean(std::string(kExtra) + "SIMCC_LABEL_SOFTMAX", false);
    h.simcc.normalize = c.boolean(std::string(kExtra) + "SIMCC_NORMALIZE", false);
    const std::pair<const char*, double> positive[] = {{"SIMCC_SPLIT_RATIO", h.simcc.splitRatio},
                                                       {"SIMCC_SIGMA_X", h.simcc.sigmaX},
                                                       {"SIMCC_SIGMA_Y", h.simcc.sigmaY},
                                                       {"SIMCC_BETA", h.simcc.beta}};
    for (const auto& [key, value] : positive)
        if (!(value > 0) || !std::isfinite(value))
            throw ConfigError(std::string(kExtra) + key + " must be positive (" + c.source() + ")");
    return h;
}

KeyMap hrpvtKeyMap() {
    return [](const std::string& key) -> std::optional<std::string> {
        if (key.rfind("head.", 0) == 0) return std::nullopt;  // the ImageNet classifier
        return pvt::timmToOriginalKey(key);
    };
}

HrpvtNetImpl::HrpvtNetImpl(const HrpvtConfig& c) : config(c) {
    backbone = std::make_unique<pvt::PvtV2Backbone>(*this, c.pvt);
    hrpm = register_module("hrpm", Hrpm(c.hrpm, c.pvt));
    const auto grid = stageGrids(c.imageHeight, c.imageWidth).front();
    simcc_head = register_module("simcc_head", SimCCHead(hrpm->width(), c.joints, grid.first, grid.second, c.imageWidth,
                                                         c.imageHeight, c.simcc.splitRatio));
}

torch::Tensor HrpvtNetImpl::forward(const torch::Tensor& image, TraceObserver* observer) {
    const torch::Tensor hr = hrpm->forward(*backbone, image, observer);
    if (observer) observer->onExtra("features/hrpm", hr);
    const auto [x, y] = simcc_head->forward(hr);
    return torch::cat({x, y}, 2);
}

HrpvtModel::HrpvtModel(const HrpvtConfig& c) : m_net(std::make_shared<HrpvtNetImpl>(c)) {
    m_net->eval();
    m_info.family = "HRPVT";
    m_info.variant = c.pvtVariant + " " + toString(c.hrpm.insertion);
    m_info.inputWidth = static_cast<int>(c.imageWidth);
    m_info.inputHeight = static_cast<int>(c.imageHeight);
    m_info.outputWidth = m_info.inputWidth;  // SimCC decodes to crop pixels
    m_info.outputHeight = m_info.inputHeight;
    m_info.output = OutputKind::SimCC;
    m_info.simcc = c.simcc;
    m_info.keypoints = static_cast<int>(c.joints);
    for (int64_t d : c.pvt.depths)
        m_info.encoderLayers += static_cast<int>(d);
    m_info.heads = 1;  // head-averaged: the stages have different head counts
    m_info.dModel = static_cast<int>(c.pvt.dims.back());
    const auto grid = keyGrid(c.pvt, 0, stageGrids(c.imageHeight, c.imageWidth).front());
    m_info.gridRows = static_cast<int>(grid.first);
    m_info.gridCols = static_cast<int>(grid.second);
    m_info.layerwiseHeatmaps = false;
}

std::string HrpvtModel::name() const {
    return m_info.family + " " + m_info.variant;
}

torch::Tensor HrpvtModel::run(const torch::Tensor& input, TraceObserver* observer) const {
    const HrpvtConfig& c = m_net->config;
    if (input.dim() != 4 || input.size(1) != 3 || input.size(2) != c.imageHeight || input.size(3) != c.imageWidth)
        throw ModelError(name() + ": expected an input [N, 3, " + std::to_string(c.imageHeight) + ", " +
                         std::to_string(c.imageWidth) + "] (the SimCC head's Linears fix the size), got " +
                         c10::str(input.sizes()));
    if (input.scalar_type() != torch::kFloat32) throw ModelError(name() + ": expected a float32 input");
    try {
        if (!observer) return m_net->forward(input.contiguous(), nullptr);
        SraLayers layers(*observer, c.pvt, c.imageHeight, c.imageWidth, m_info.gridRows, m_info.gridCols);
        return m_net->forward(input.contiguous(), &layers);
    } catch (const c10::Error& e) {
        throw ModelError(name() + ": " + e.what_without_backtrace());
    }
}

torch::Tensor HrpvtModel::forward(const torch::Tensor& input, TraceObserver* observer) const {
    torch::NoGradGuard noGrad;
    return run(input, observer).contiguous();
}

torch::Tensor HrpvtModel::forwardTraining(const torch::Tensor& input, TraceObserver* observer) {
    return run(input, observer);
}

torch::Tensor HrpvtModel::headOnTokens(const LayerTrace& layer) const {
    (void)layer;
    throw ModelError(name() +
                     ": layer-wise heatmaps are not defined: the SimCC head reads HRPM's fused map, "
                     "not a block's tokens");
}

torch::Tensor HrpvtModel::attentionRows(const LayerTrace& layer, const torch::Tensor& queries) const {
    if (!layer.attentionMean.defined() || layer.attentionMean.dim() != 3)
        throw ModelError(name() + ": attention rows need a layer traced by this model");
    const int64_t B = layer.attentionMean.size(0), T = layer.attentionMean.size(1);
    if (queries.dim() != 2 || queries.size(0) != B || queries.scalar_type() != torch::kInt64)
        throw ModelError(name() + ": attention rows need queries [N, Q] int64 with N = " + std::to_string(B) +
                         ", got " + c10::str(queries.sizes()));
    if (queries.numel() > 0 && (queries.min().item<int64_t>() < 0 || queries.max().item<int64_t>() >= T))
        throw ModelError(name() + ": attention rows: a query is outside the grid of " + std::to_string(T) + " cells");
    torch::NoGradGuard noGrad;
    const int64_t Q = queries.size(1);
    return layer.attentionMean.gather(1, queries.unsqueeze(-1).expand({B, Q, T})).unsqueeze(1);
}

void HrpvtModel::initialiseForTraining() {
    torch::NoGradGuard noGrad;
    for (const auto& item : m_net->named_modules("", false)) {
        torch::nn::Module& m = *item.value();
        if (auto* linear = dynamic_cast<torch::nn::LinearImpl*>(&m)) {
            linear->weight.normal_(0, 0.02);  // trunc_normal_(std=.02): timm's ±2 bounds are 100σ away
            if (linear->bias.defined()) linear->bias.zero_();
        } else if (auto* ln = dynamic_cast<torch::nn::LayerNormImpl*>(&m)) {
            ln->weight.fill_(1);
            ln->bias.zero_();
        } else if (auto* conv = dynamic_cast<torch::nn::Conv2dImpl*>(&m)) {
            const auto& o = conv->options;
            const double fanOut =
                static_cast<double>((*o.kernel_size())[0] * (*o.kernel_size())[1] * o.out_channels() / o.groups());
            conv->weight.normal_(0, std::sqrt(2.0 / fanOut));
            if (conv->bias.defined()) conv->bias.zero_();
        }
    }
    m_net->hrpm->initialise();
    m_net->simcc_head->initialise();
}

}  // namespace posescope::models::hrpvt
