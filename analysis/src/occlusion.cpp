#include "posescope/analysis/occlusion.h"

#include "posescope/analysis/coco_eval.h"
#include "posescope/analysis/dependencies.h"
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

// Fills `window` of the normalised crop `input` [3, H, W] with the fill (or the texture patch).
void occlude(torch::Tensor input, const cv::Rect& window, const torch::Tensor& fill, const torch::Tensor& patch) {
    torch::Tensor region =
        input.slice(1, window.y, window.y + window.height).slice(2, window.x, window.x + window.width);
    region.copy_(patch.defined()
                     ? patch
                     : fill.slice(1, window.y, window.y + window.height).slice(2, window.x, window.x + window.width));
}

torch::Tensor texturePatch(const cv::Mat& texture, cv::Size size) {
    cv::Mat resized;
    cv::resize(texture, resized, size, 0, 0, cv::INTER_AREA);
    return models::normalizeCrop(resized);
}

void checkFill(const OcclusionOptions& o) {
    if (o.fill == OccluderFill::Texture && o.texture.empty())
        throw Error("occlusion: the texture fill needs a texture image");
    if (o.fill == OccluderFill::Texture && o.texture.type() != CV_8UC3)
        throw Error("occlusion: the texture must be an 8-bit RGB image");
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
    if (o.batch < 1) throw Error("occlusion: the batch must be at least 1");
    checkFill(o);
    OcclusionTarget gt = target;
    if (gt.sigmas.empty())
        gt.sigmas = info.keypoints == 17 ? cocoKeypointSigmas() : std::vector<double>(info.keypoints, 0.089);

    const cv::Mat crop = cropPerson(imageRgb, cs, input);
    const torch::Tensor base = models::normalizeCrop(crop);
    const torch::Tensor fill = wholeFill(crop, o);
    const torch::Tensor patch =  // Texture: [3, size, size]
        o.fill == OccluderFill::Texture ? texturePatch(o.texture, cv::Size(o.size, o.size)) : torch::Tensor();

    SensitivityResult r;
    r.inputSize = input;
    const cv::Size grid = occlusionGrid(input, o.size, o.stride);
    r.rows = grid.height;
    r.cols = grid.width;
    r.windows = occlusionWindows(input, o.size, o.stride);
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
        for (int64_t p = begin; p < end; ++p)
            occlude(batch[p - begin], r.windows[static_cast<size_t>(p)], fill, patch);
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

cv::Rect keypointRegion(const std::vector<cv::Point2d>& cropPoints, int margin, cv::Size input) {
    if (cropPoints.empty()) throw Error("occlusion: a region needs at least one point");
    double x0 = cropPoints[0].x, y0 = cropPoints[0].y, x1 = x0, y1 = y0;
    for (const cv::Point2d& p : cropPoints) {
        x0 = std::min(x0, p.x);
        y0 = std::min(y0, p.y);
        x1 = std::max(x1, p.x);
        y1 = std::max(y1, p.y);
    }
    const cv::Rect box(
        cv::Point(static_cast<int>(std::floor(x0)) - margin, static_cast<int>(std::floor(y0)) - margin),
        cv::Point(static_cast<int>(std::floor(x1)) + margin + 1, static_cast<int>(std::floor(y1)) + margin + 1));
    return box & cv::Rect(0, 0, input.width, input.height);
}

std::vector<TargetedOcclusionResult> targetedOcclusions(const models::PoseModel& model, const cv::Mat& imageRgb,
                                                        const CenterScale& cs, const std::vector<cv::Rect>& regions,
                                                        const OcclusionOptions& o) {
    const models::ModelInfo& info = model.info();
    const cv::Size input(info.inputWidth, info.inputHeight);
    std::vector<cv::Rect> inside;
    for (const cv::Rect& region : regions) {
        inside.push_back(region & cv::Rect(0, 0, input.width, input.height));
        if (inside.back().area() == 0)
            throw Error("occlusion: the region " + std::to_string(region.x) + "," + std::to_string(region.y) + " " +
                        std::to_string(region.width) + "x" + std::to_string(region.height) + " is outside the " +
                        std::to_string(input.width) + "x" + std::to_string(input.height) + " crop");
    }
    if (o.batch < 1) throw Error("occlusion: the batch must be at least 1");
    checkFill(o);
    const cv::Mat crop = cropPerson(imageRgb, cs, input);
    const torch::Tensor base = models::normalizeCrop(crop);
    const torch::Tensor fill = wholeFill(crop, o);

    // Runs a batch of inputs: keypoints in the image, the head-averaged rows [layers][N, K, T]
    // with their query cells.
    struct Traced {
        std::vector<std::vector<models::Keypoint>> keypoints;
        std::vector<std::vector<int32_t>> query;
        std::vector<torch::Tensor> rows;
    };
    const int rowsOfGrid = info.gridRows, colsOfGrid = info.gridCols;
    const int64_t T = int64_t{rowsOfGrid} * colsOfGrid;
    const auto run = [&](const torch::Tensor& batch) {
        models::Trace trace;
        trace.keepAttention = false;  // the rows come from the projections
        const torch::Tensor out = model.forward(batch, &trace);
        const auto decoded = models::decodeOutput(info, out, o.decode);
        Traced t;
        t.keypoints = models::heatmapToImage(decoded, std::vector<CenterScale>(static_cast<size_t>(batch.size(0)), cs),
                                             models::outputFrameSize(info, out));
        if (!trace.layers.empty()) {
            const KeypointRows rows = keypointRows(model, trace, decoded, T);
            t.query = rows.tokens;
            for (const torch::Tensor& m : rows.mean)
                t.rows.push_back(m.to(torch::kFloat32));
        }
        return t;
    };
    const Traced reference = run(base.unsqueeze(0));
    std::vector<torch::Tensor> before;
    for (const torch::Tensor& m : reference.rows)
        before.push_back(m[0]);
    const torch::Tensor dependencyBefore = before.empty() ? torch::Tensor() : torch::stack(before);  // [L, K, T]
    const double cellW = static_cast<double>(input.width) / std::max(1, colsOfGrid);
    const double cellH = static_cast<double>(input.height) / std::max(1, rowsOfGrid);
    const auto share = [](const torch::Tensor& rows, const torch::Tensor& mask) {
        return (rows * mask).sum(-1) / rows.sum(-1).clamp_min(1e-12);
    };

    std::vector<TargetedOcclusionResult> results;
    for (size_t begin = 0; begin < inside.size(); begin += static_cast<size_t>(o.batch)) {
        const size_t end = std::min(inside.size(), begin + static_cast<size_t>(o.batch));
        torch::Tensor batch = base.unsqueeze(0).repeat({static_cast<int64_t>(end - begin), 1, 1, 1});
        for (size_t i = begin; i < end; ++i)
            occlude(batch[static_cast<int64_t>(i - begin)], inside[i], fill,
                    o.fill == OccluderFill::Texture ? texturePatch(o.texture, inside[i].size()) : torch::Tensor());
        const Traced after = run(batch);
        for (size_t i = begin; i < end; ++i) {
            const auto b = static_cast<int64_t>(i - begin);
            TargetedOcclusionResult r;
            r.region = inside[i];
            r.before = reference.keypoints[0];
            r.after = after.keypoints[static_cast<size_t>(b)];
            if (dependencyBefore.defined()) {
                r.gridRows = rowsOfGrid;
                r.gridCols = colsOfGrid;
                r.queryBefore = reference.query[0];
                r.queryAfter = after.query[static_cast<size_t>(b)];
                std::vector<torch::Tensor> rowsAfter;
                for (const torch::Tensor& m : after.rows)
                    rowsAfter.push_back(m[b]);
                r.dependencyBefore = dependencyBefore;
                r.dependencyAfter = torch::stack(rowsAfter);
                // The grid cells whose centre lies in the region.
                torch::Tensor mask = torch::zeros({T}, torch::kFloat32);
                for (int row = 0; row < rowsOfGrid; ++row)
                    for (int col = 0; col < colsOfGrid; ++col)
                        if (cv::Rect2d(r.region).contains(cv::Point2d((col + 0.5) * cellW, (row + 0.5) * cellH)))
                            mask[row * colsOfGrid + col] = 1;
                r.regionShareBefore = share(r.dependencyBefore, mask);
                r.regionShareAfter = share(r.dependencyAfter, mask);
            }
            results.push_back(std::move(r));
        }
    }
    return results;
}

TargetedOcclusionResult targetedOcclusion(const models::PoseModel& model, const cv::Mat& imageRgb,
                                          const CenterScale& cs, const cv::Rect& region, const OcclusionOptions& o) {
    return targetedOcclusions(model, imageRgb, cs, {region}, o).front();
}

cv::Size occlusionGrid(cv::Size input, int size, int stride) {
    if (size < 1 || stride < 1 || size > std::min(input.width, input.height))
        throw Error("occlusion: the window (" + std::to_string(size) + " px, stride " + std::to_string(stride) +
                    ") must be at least 1 px and fit the " + std::to_string(input.width) + "x" +
                    std::to_string(input.height) + " input");
    return {static_cast<int>(corners(input.width, size, stride).size()),
            static_cast<int>(corners(input.height, size, stride).size())};
}

std::vector<cv::Rect> occlusionWindows(cv::Size input, int size, int stride) {
    occlusionGrid(input, size, stride);  // checks the window
    std::vector<cv::Rect> out;
    for (int y : corners(input.height, size, stride))
        for (int x : corners(input.width, size, stride))
            out.emplace_back(x, y, size, size);
    return out;
}

torch::Tensor maskCoverage(const cv::Mat& imageMask, const CenterScale& cs, cv::Size input, int rows, int cols) {
    if (imageMask.empty() || imageMask.type() != CV_8UC1) throw Error("occlusion: the mask must be an 8-bit image");
    if (rows < 1 || cols < 1) throw Error("occlusion: the grid must have at least one cell");
    cv::Mat unit;
    imageMask.convertTo(unit, CV_32F);
    cv::threshold(unit, unit, 0, 1, cv::THRESH_BINARY);
    cv::Mat inCrop;
    cv::warpAffine(unit, inCrop, cropTransform(cs, input), input, cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);
    const torch::Tensor t = torch::from_blob(inCrop.data, {1, input.height, input.width}, torch::kFloat32).clone();
    return torch::adaptive_avg_pool2d(t, {rows, cols})[0];
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
