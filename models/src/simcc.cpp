#include "posescope/models/simcc.h"

#include "posescope/models/pose_model.h"

#include <torch/torch.h>

#include <cmath>
#include <sstream>
#include <string>

namespace posescope::models {

namespace {

constexpr double kPi = 3.14159265358979323846;

std::string shapeOf(const torch::Tensor& t) {
    if (!t.defined()) return "an undefined tensor";
    std::ostringstream s;
    s << "[";
    for (int64_t i = 0; i < t.dim(); ++i)
        s << (i ? ", " : "") << t.size(i);
    s << "]";
    return s.str();
}

[[noreturn]] void shapeError(const char* what, const std::string& expected, const torch::Tensor& got) {
    throw ModelError(std::string(what) + ": expected " + expected + ", got " + shapeOf(got));
}

void checkPositive(const char* what, const char* name, double value) {
    if (!(value > 0))
        throw ModelError(std::string(what) + ": " + name + " must be positive, got " + std::to_string(value));
}

// np.around(size · k): the codec's bin count.
int64_t roundedBins(int size, double k) {
    return static_cast<int64_t>(std::nearbyint(size * k));
}

// predX [N, K, *] and predY [N, K, *] with the same N and K.
void checkPredictions(const char* what, const torch::Tensor& predX, const torch::Tensor& predY) {
    if (!predX.defined() || predX.dim() != 3) shapeError(what, "predX [N, K, Wx]", predX);
    if (!predY.defined() || predY.dim() != 3 || predY.size(0) != predX.size(0) || predY.size(1) != predX.size(1))
        shapeError(
            what, "predY [" + std::to_string(predX.size(0)) + ", " + std::to_string(predX.size(1)) + ", Wy] (as predX)",
            predY);
}

// One axis's Gaussian labels for all keypoints: exp(−(i − μ)² / (2σ²)) in float32, as NumPy computes
// it from a float32 grid and an int64 μ (value-based casting keeps float32), optionally / σ√(2π).
torch::Tensor gaussianLabels(const torch::Tensor& mu, int64_t bins, double sigma, bool normalize) {
    const torch::Tensor grid = torch::arange(bins, torch::kFloat32).view({1, 1, bins});
    const torch::Tensor d = grid - mu.unsqueeze(-1);
    torch::Tensor labels = torch::exp(-(d * d) / static_cast<float>(2 * sigma * sigma));
    if (normalize) labels = labels / static_cast<float>(sigma * std::sqrt(kPi * 2));
    return labels;
}

// NumPy's argmax (the first maximum; the first NaN if any) and amax (NaN propagates) of a row.
void rowMax(const float* v, int64_t n, int64_t& index, float& value) {
    index = 0;
    value = v[0];
    if (std::isnan(value)) return;
    for (int64_t i = 1; i < n; ++i) {
        if (std::isnan(v[i])) {
            index = i;
            value = v[i];
            return;
        }
        if (v[i] > value) {
            index = i;
            value = v[i];
        }
    }
}

}  // namespace

SimCCTargets encodeSimCC(const torch::Tensor& keypoints, const torch::Tensor& visible, int inputWidth, int inputHeight,
                         const SimCCOptions& options) {
    constexpr const char* what = "encodeSimCC";
    if (!keypoints.defined() || keypoints.dim() != 3 || keypoints.size(2) != 2)
        shapeError(what, "keypoints [N, K, 2]", keypoints);
    const int64_t n = keypoints.size(0), k = keypoints.size(1);
    if (!visible.defined() || visible.dim() != 2 || visible.size(0) != n || visible.size(1) != k)
        shapeError(what, "visible [" + std::to_string(n) + ", " + std::to_string(k) + "]", visible);
    checkPositive(what, "inputWidth", inputWidth);
    checkPositive(what, "inputHeight", inputHeight);
    checkPositive(what, "splitRatio", options.splitRatio);
    checkPositive(what, "sigmaX", options.sigmaX);
    checkPositive(what, "sigmaY", options.sigmaY);
    const int64_t wx = roundedBins(inputWidth, options.splitRatio);
    const int64_t wy = roundedBins(inputHeight, options.splitRatio);

    // np.around(keypoints * k) in the keypoints' own float dtype (torch::round is half to even).
    torch::Tensor points = keypoints.detach().to(torch::kCPU);
    if (!points.is_floating_point()) points = points.to(torch::kFloat32);
    const torch::Tensor mu = torch::round(points * options.splitRatio).to(torch::kFloat64).contiguous();
    const torch::Tensor vis = visible.detach().to(torch::kCPU, torch::kFloat64).contiguous();

    torch::Tensor weight = vis.to(torch::kFloat32).clone();
    torch::Tensor labelled = torch::zeros({n, k}, torch::kFloat32);  // 1 where the labels are kept
    const auto m = mu.accessor<double, 3>();
    const auto v = vis.accessor<double, 2>();
    auto w = weight.accessor<float, 2>();
    auto keep = labelled.accessor<float, 2>();
    const double rx = 3 * options.sigmaX, ry = 3 * options.sigmaY;
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < k; ++j) {
            if (v[i][j] < 0.5) continue;  // unlabelled: zero labels, weight as given
            const double mx = m[i][j][0], my = m[i][j][1];
            const bool finite = std::isfinite(mx) && std::isfinite(my);
            if (!finite || mx - rx >= static_cast<double>(wx) || my - ry >= static_cast<double>(wy) ||
                mx + rx + 1 < 0 || my + ry + 1 < 0) {
                w[i][j] = 0;
                continue;
            }
            keep[i][j] = 1;
        }

    // Rows not kept get μ = 0 (so no NaN/inf enters the products) and are then zeroed by the mask.
    const torch::Tensor mask = labelled.unsqueeze(-1);
    const torch::Tensor muF = torch::where(mask > 0, mu.to(torch::kFloat32), torch::zeros({}, torch::kFloat32));
    SimCCTargets targets;
    targets.x = gaussianLabels(muF.select(2, 0), wx, options.sigmaX, options.normalize) * mask;
    targets.y = gaussianLabels(muF.select(2, 1), wy, options.sigmaY, options.normalize) * mask;
    targets.weight = weight;
    return targets;
}

torch::Tensor simccLoss(const torch::Tensor& predX, const torch::Tensor& predY, const SimCCTargets& targets,
                        const SimCCOptions& options) {
    constexpr const char* what = "simccLoss";
    checkPredictions(what, predX, predY);
    if (!targets.x.defined() || !targets.x.sizes().equals(predX.sizes()))
        shapeError(what, "targets.x " + shapeOf(predX) + " (as predX)", targets.x);
    if (!targets.y.defined() || !targets.y.sizes().equals(predY.sizes()))
        shapeError(what, "targets.y " + shapeOf(predY) + " (as predY)", targets.y);
    const int64_t n = predX.size(0), k = predX.size(1);
    if (!targets.weight.defined() || targets.weight.dim() != 2 || targets.weight.size(0) != n ||
        targets.weight.size(1) != k)
        shapeError(what, "targets.weight [" + std::to_string(n) + ", " + std::to_string(k) + "]", targets.weight);

    // One axis in its prediction's dtype and device; the targets never take gradients.
    auto axis = [&](const torch::Tensor& pred, const torch::Tensor& target) {
        const auto opts = pred.options().requires_grad(false);
        const torch::Tensor weight = targets.weight.detach().to(opts).reshape({-1});
        const torch::Tensor p = pred.reshape({-1, pred.size(-1)});
        torch::Tensor t = target.detach().to(opts).reshape({-1, target.size(-1)});
        const torch::Tensor logPt = torch::log_softmax(p * options.beta, 1);
        if (options.labelSoftmax) t = torch::softmax(t * options.beta, 1);
        const torch::Tensor kl = torch::kl_div(logPt, t, at::Reduction::None, /*log_target=*/false);
        return (kl.mean(1) * weight).sum();
    };
    const torch::Tensor lossX = axis(predX, targets.x);
    return (lossX + axis(predY, targets.y).to(lossX.options())) / static_cast<double>(k);
}

std::vector<std::vector<Keypoint>> decodeSimCC(const torch::Tensor& predX, const torch::Tensor& predY,
                                               const SimCCOptions& options) {
    constexpr const char* what = "decodeSimCC";
    checkPredictions(what, predX, predY);
    checkPositive(what, "splitRatio", options.splitRatio);
    if (predX.size(2) == 0 || predY.size(2) == 0)
        throw ModelError(std::string(what) + ": expected at least one bin per axis, got predX " + shapeOf(predX) +
                         " and predY " + shapeOf(predY));
    const torch::Tensor x = predX.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    const torch::Tensor y = predY.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    const int64_t n = x.size(0), k = x.size(1), wx = x.size(2), wy = y.size(2);
    const float ratio = static_cast<float>(options.splitRatio);
    const float* px = x.data_ptr<float>();
    const float* py = y.data_ptr<float>();

    std::vector<std::vector<Keypoint>> people(static_cast<size_t>(n), std::vector<Keypoint>(static_cast<size_t>(k)));
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < k; ++j) {
            int64_t bx = 0, by = 0;
            float vx = 0, vy = 0;
            rowMax(px + (i * k + j) * wx, wx, bx, vx);
            rowMax(py + (i * k + j) * wy, wy, by, vy);
            const float score = vx > vy ? vy : vx;  // max_val_x[mask] = max_val_y[mask], mask = x > y
            float lx = static_cast<float>(bx), ly = static_cast<float>(by);
            if (score <= 0.f) lx = ly = -1.f;
            Keypoint& out = people[static_cast<size_t>(i)][static_cast<size_t>(j)];
            const float fx = lx / ratio, fy = ly / ratio;
            out.x = fx;
            out.y = fy;
            out.score = score;
        }
    return people;
}

std::pair<torch::Tensor, torch::Tensor> flipSimCC(const torch::Tensor& predX, const torch::Tensor& predY,
                                                  const std::vector<std::pair<int, int>>& flipPairs) {
    constexpr const char* what = "flipSimCC";
    checkPredictions(what, predX, predY);
    const int64_t k = predX.size(1);
    std::vector<int64_t> order(static_cast<size_t>(k));
    for (int64_t i = 0; i < k; ++i)
        order[static_cast<size_t>(i)] = i;
    for (const auto& [a, b] : flipPairs) {
        if (a < 0 || a >= k || b < 0 || b >= k)
            throw ModelError(std::string(what) + ": flip pair (" + std::to_string(a) + ", " + std::to_string(b) +
                             ") outside the " + std::to_string(k) + " keypoints");
        std::swap(order[static_cast<size_t>(a)], order[static_cast<size_t>(b)]);
    }
    const torch::Tensor index = torch::tensor(order, torch::kLong).to(predX.device());
    return {predX.index_select(1, index).flip({-1}), predY.index_select(1, index.to(predY.device()))};
}

SimCCHeadImpl::SimCCHeadImpl(int64_t inChannels, int64_t keypoints, int64_t featureH, int64_t featureW, int64_t inputW,
                             int64_t inputH, double splitRatio)
    : m_inChannels(inChannels), m_featureH(featureH), m_featureW(featureW) {
    constexpr const char* what = "SimCCHead";
    checkPositive(what, "inChannels", static_cast<double>(inChannels));
    checkPositive(what, "keypoints", static_cast<double>(keypoints));
    checkPositive(what, "featureH", static_cast<double>(featureH));
    checkPositive(what, "featureW", static_cast<double>(featureW));
    checkPositive(what, "splitRatio", splitRatio);
    // int(input_size · k), as mmpose's SimCCHead sizes its Linears.
    const auto wx = static_cast<int64_t>(static_cast<double>(inputW) * splitRatio);
    const auto wy = static_cast<int64_t>(static_cast<double>(inputH) * splitRatio);
    checkPositive(what, "int(inputW * splitRatio)", static_cast<double>(wx));
    checkPositive(what, "int(inputH * splitRatio)", static_cast<double>(wy));
    final_layer = register_module("final_layer", torch::nn::Conv2d(torch::nn::Conv2dOptions(inChannels, keypoints, 1)));
    mlp_head_x = register_module("mlp_head_x", torch::nn::Linear(featureH * featureW, wx));
    mlp_head_y = register_module("mlp_head_y", torch::nn::Linear(featureH * featureW, wy));
}

void SimCCHeadImpl::initialise() {
    torch::NoGradGuard noGrad;
    torch::nn::init::normal_(final_layer->weight, 0.0, 0.001);
    torch::nn::init::zeros_(final_layer->bias);
    for (torch::nn::Linear* linear : {&mlp_head_x, &mlp_head_y}) {
        torch::nn::init::normal_((*linear)->weight, 0.0, 0.01);
        torch::nn::init::zeros_((*linear)->bias);
    }
}

std::pair<torch::Tensor, torch::Tensor> SimCCHeadImpl::forward(const torch::Tensor& x) {
    if (!x.defined() || x.dim() != 4 || x.size(1) != m_inChannels || x.size(2) != m_featureH || x.size(3) != m_featureW)
        shapeError("SimCCHead",
                   "[N, " + std::to_string(m_inChannels) + ", " + std::to_string(m_featureH) + ", " +
                       std::to_string(m_featureW) + "]",
                   x);
    const torch::Tensor flat = torch::flatten(final_layer->forward(x), 2);  // [N, K, h·w]
    return {mlp_head_x->forward(flat), mlp_head_y->forward(flat)};
}

}  // namespace posescope::models
