#include "posescope/analysis/occlusion.h"

#include "posescope/analysis/coco_eval.h"
#include "posescope/datasets/error.h"
#include "posescope/models/pose_output.h"
#include "posescope/models/preprocess.h"

#include <torch/torch.h>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace posescope::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Top-left corners 0, stride, … with the last window flush with the border.
std::vector<int> corners(int extent, int size, int stride) {
    std::vector<int> out;
    const int last = extent - size;
    for (int x = 0;; x += stride) {
        out.push_back(std::min(x, last));
        if (x >= last) break;
    }
    return out;
}

// The fill of the whole crop for the fills that do not depend on the window ([3, H, W]).
torch::Tensor wholeFill(const cv::Mat& crop, const OcclusionOptions& o) {
    switch (o.fill) {
        case OccluderFill::Mean:  // the normalisation mean: 0 after normalising
            return torch::zeros({3, crop.rows, crop.cols});
        case OccluderFill::Black: return models::normalizeCrop(cv::Mat(crop.size(), CV_8UC3, cv::Scalar::all(0)));
        case OccluderFill::Blur: {
            cv::Mat blurred;
            cv::GaussianBlur(crop, blurred, cv::Size(), o.blurSigma, o.blurSigma, cv::BORDER_REFLECT101);
            return models::normalizeCrop(blurred);
        }
        case OccluderFill::Noise: {
            cv::Mat noise(crop.size(), CV_8UC3);
            cv::RNG rng(o.seed);
            rng.fill(noise, cv::RNG::UNIFORM, cv::Scalar::all(0), cv::Scalar::all(256));
            return models::normalizeCrop(noise);
        }
        case OccluderFill::Texture: break;
    }
    return {};
}

double oksTerm(const models::Keypoint& p, const OcclusionTarget& t, size_t k) {
    if (t.keypoints.size() <= 3 * k + 2 || t.keypoints[3 * k + 2] <= 0 || t.area <= 0) return kNaN;
    const double sigma = k < t.sigmas.size() ? t.sigmas[k] : 0.089;
    const double dx = p.x - t.keypoints[3 * k], dy = p.y - t.keypoints[3 * k + 1];
    return std::exp(-(dx * dx + dy * dy) / (2 * t.area * (2 * sigma) * (2 * sigma)));
}

// Ranks 1…n with ties averaged.
std::vector<double> ranks(const std::vector<double>& v) {
    std::vector<size_t> order(v.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
    std::vector<double> r(v.size());
    for (size_t i = 0; i < order.size();) {
        size_t j = i;
        while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]])
            ++j;
        const double mean = (static_cast<double>(i) + static_cast<double>(j)) / 2 + 1;
        for (size_t m = i; m <= j; ++m)
            r[order[m]] = mean;
        i = j + 1;
    }
    return r;
}

std::vector<size_t> topIndices(const std::vector<double>& v, int k) {
    std::vector<size_t> order(v.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] > v[b]; });
    order.resize(static_cast<size_t>(k));
    std::sort(order.begin(), order.end());
    return order;
}

}  // namespace

std::string occluderFillName(OccluderFill fill) {
    switch (fill) {
        case OccluderFill::Mean: return "mean";
        case OccluderFill::Black: return "black";
        case OccluderFill::Blur: return "blur";
        case OccluderFill::Noise: return "noise";
        case OccluderFill::Texture: return "texture";
    }
    return "mean";
}

OccluderFill parseOccluderFill(const std::string& name) {
    for (OccluderFill f :
         {OccluderFill::Mean, OccluderFill::Black, OccluderFill::Blur, OccluderFill::Noise, OccluderFill::Texture})
        if (occluderFillName(f) == name) return f;
    throw Error("unknown occluder fill '" + name + "' (mean, black, blur, noise or texture)");
}

torch::Tensor SensitivityResult::map(int keypoint, SensitivityMeasure measure) const {
    const torch::Tensor& t = measure == SensitivityMeasure::ScoreDrop      ? scoreDrop
                             : measure == SensitivityMeasure::Displacement ? displacement
                                                                           : oksDrop;
    if (keypoint < 0 || keypoint >= t.size(1))
        throw Error("sensitivity: keypoint " + std::to_string(keypoint) + " out of range (" +
                    std::to_string(t.size(1)) + " keypoints)");
    return t.select(1, keypoint).view({rows, cols});
}

SensitivityResult slidingOcclusion(const models::PoseModel& model, const cv::Mat& imageRgb, const CenterScale& cs,
                                   const OcclusionOptions& o, const OcclusionTarget& target) {
    const models::ModelInfo& info = model.info();
    const cv::Size input(info.inputWidth, info.inputHeight);
    if (o.size < 1 || o.stride < 1 || o.size > std::min(input.width, input.height))
        throw Error("occlusion: the window (" + std::to_string(o.size) + " px, stride " + std::to_string(o.stride) +
                    ") must be at least 1 px and fit the " + std::to_string(input.width) + "x" +
                    std::to_string(input.height) + " input");
    if (o.batch < 1) throw Error("occlusion: the batch must be at least 1");
    if (o.fill == OccluderFill::Texture && o.texture.empty())
        throw Error("occlusion: the texture fill needs a texture image");
    if (o.fill == OccluderFill::Texture && o.texture.type() != CV_8UC3)
        throw Error("occlusion: the texture must be an 8-bit RGB image");
    OcclusionTarget gt = target;
    if (gt.sigmas.empty())
        gt.sigmas = info.keypoints == 17 ? cocoKeypointSigmas() : std::vector<double>(info.keypoints, 0.089);

    const cv::Mat crop = cropPerson(imageRgb, cs, input);
    const torch::Tensor base = models::normalizeCrop(crop);
    const torch::Tensor fill = wholeFill(crop, o);
    torch::Tensor patch;  // Texture: [3, size, size]
    if (o.fill == OccluderFill::Texture) {
        cv::Mat resized;
        cv::resize(o.texture, resized, cv::Size(o.size, o.size), 0, 0, cv::INTER_AREA);
        patch = models::normalizeCrop(resized);
    }

    SensitivityResult r;
    r.inputSize = input;
    const std::vector<int> xs = corners(input.width, o.size, o.stride), ys = corners(input.height, o.size, o.stride);
    r.rows = static_cast<int>(ys.size());
    r.cols = static_cast<int>(xs.size());
    for (int y : ys)
        for (int x : xs)
            r.windows.emplace_back(x, y, o.size, o.size);
    const auto P = static_cast<int64_t>(r.windows.size());
    const int K = info.keypoints;

    const auto decode = [&](const torch::Tensor& batch) {
        const torch::Tensor out = model.forward(batch);
        return models::decodeOutputToImage(info, out, std::vector<CenterScale>(static_cast<size_t>(batch.size(0)), cs),
                                           o.decode);
    };
    r.reference = decode(base.unsqueeze(0))[0];
    for (int k = 0; k < K; ++k)
        r.referenceOks.push_back(oksTerm(r.reference[static_cast<size_t>(k)], gt, static_cast<size_t>(k)));

    const auto options = torch::TensorOptions().dtype(torch::kFloat64);
    r.score = torch::full({P, K}, kNaN, options);
    r.scoreDrop = r.score.clone();
    r.displacement = r.score.clone();
    r.oks = r.score.clone();
    r.oksDrop = r.score.clone();
    auto score = r.score.accessor<double, 2>(), drop = r.scoreDrop.accessor<double, 2>();
    auto moved = r.displacement.accessor<double, 2>(), oks = r.oks.accessor<double, 2>();
    auto oksDrop = r.oksDrop.accessor<double, 2>();
    for (int64_t begin = 0; begin < P; begin += o.batch) {
        const int64_t end = std::min(P, begin + o.batch);
        torch::Tensor batch = base.unsqueeze(0).repeat({end - begin, 1, 1, 1});
        for (int64_t p = begin; p < end; ++p) {
            const cv::Rect& w = r.windows[static_cast<size_t>(p)];
            torch::Tensor region = batch[p - begin].slice(1, w.y, w.y + w.height).slice(2, w.x, w.x + w.width);
            region.copy_(patch.defined() ? patch : fill.slice(1, w.y, w.y + w.height).slice(2, w.x, w.x + w.width));
        }
        const auto people = decode(batch);
        for (int64_t p = begin; p < end; ++p)
            for (int k = 0; k < K; ++k) {
                const models::Keypoint& q = people[static_cast<size_t>(p - begin)][static_cast<size_t>(k)];
                const models::Keypoint& ref = r.reference[static_cast<size_t>(k)];
                score[p][k] = q.score;
                drop[p][k] = ref.score - q.score;
                moved[p][k] = std::hypot(q.x - ref.x, q.y - ref.y);
                oks[p][k] = oksTerm(q, gt, static_cast<size_t>(k));
                oksDrop[p][k] = r.referenceOks[static_cast<size_t>(k)] - oks[p][k];
            }
        r.evaluated = end;
        if (o.progress) o.progress(end, P);
        if (end < P && o.cancel && o.cancel()) {
            r.cancelled = true;
            break;
        }
    }
    return r;
}

torch::Tensor sensitivityOnCrop(const SensitivityResult& r, int keypoint, SensitivityMeasure measure) {
    const torch::Tensor values = r.map(keypoint, measure).reshape({-1}).contiguous();
    torch::Tensor sum = torch::zeros({r.inputSize.height, r.inputSize.width}, torch::kFloat64);
    torch::Tensor count = torch::zeros_like(sum);
    const auto v = values.accessor<double, 1>();
    for (size_t p = 0; p < r.windows.size(); ++p) {
        const double x = v[static_cast<int64_t>(p)];
        if (std::isnan(x)) continue;
        const cv::Rect& w = r.windows[p];
        sum.slice(0, w.y, w.y + w.height).slice(1, w.x, w.x + w.width).add_(x);
        count.slice(0, w.y, w.y + w.height).slice(1, w.x, w.x + w.width).add_(1);
    }
    return torch::where(count > 0, sum / count.clamp_min(1), torch::zeros_like(sum));
}

torch::Tensor sensitivityOnGrid(const SensitivityResult& r, int keypoint, SensitivityMeasure measure, int rows,
                                int cols) {
    if (rows < 1 || cols < 1) throw Error("sensitivity: the grid must have at least one cell");
    const torch::Tensor crop = sensitivityOnCrop(r, keypoint, measure);
    return torch::adaptive_avg_pool2d(crop.unsqueeze(0), {rows, cols})[0];
}

Agreement attentionAgreement(const torch::Tensor& attention, const torch::Tensor& sensitivity, double topFraction) {
    if (attention.sizes() != sensitivity.sizes())
        throw Error("agreement: the maps differ in shape (" + c10::str(attention.sizes()) + " and " +
                    c10::str(sensitivity.sizes()) + ")");
    if (!(topFraction > 0 && topFraction <= 1)) throw Error("agreement: the top fraction must be in (0, 1]");
    const torch::Tensor a = attention.to(torch::kFloat64).reshape({-1}).contiguous();
    const torch::Tensor s = sensitivity.to(torch::kFloat64).reshape({-1}).contiguous();
    const std::vector<double> av(a.data_ptr<double>(), a.data_ptr<double>() + a.numel());
    const std::vector<double> sv(s.data_ptr<double>(), s.data_ptr<double>() + s.numel());
    Agreement g;
    const std::vector<double> ra = ranks(av), rs = ranks(sv);
    const double n = static_cast<double>(ra.size());
    double ma = 0, ms = 0;
    for (size_t i = 0; i < ra.size(); ++i) {
        ma += ra[i] / n;
        ms += rs[i] / n;
    }
    double cov = 0, va = 0, vs = 0;
    for (size_t i = 0; i < ra.size(); ++i) {
        cov += (ra[i] - ma) * (rs[i] - ms);
        va += (ra[i] - ma) * (ra[i] - ma);
        vs += (rs[i] - ms) * (rs[i] - ms);
    }
    const auto constant = [](const std::vector<double>& v) {
        return std::all_of(v.begin(), v.end(), [&](double x) { return x == v.front(); });
    };
    g.spearman = constant(av) || constant(sv) ? kNaN : cov / std::sqrt(va * vs);
    g.k = std::max(1, static_cast<int>(std::ceil(topFraction * n - 1e-9)));
    const std::vector<size_t> ta = topIndices(av, g.k), ts = topIndices(sv, g.k);
    std::vector<size_t> both;
    std::set_intersection(ta.begin(), ta.end(), ts.begin(), ts.end(), std::back_inserter(both));
    g.topKOverlap = static_cast<double>(both.size()) / g.k;
    return g;
}

}  // namespace posescope::analysis
