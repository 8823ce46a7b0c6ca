#include "occlusion_sample.h"

#include "posescope/analysis/coco_eval.h"
#include "posescope/datasets/error.h"

#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>

namespace posescope::analysis::detail {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Image → crop pixels through the sample's stored 2×3 transform.
cv::Point2d toCrop(const std::array<float, 6>& m, double x, double y) {
    return {m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5]};
}

}  // namespace

void addOcclusion(RunSample& s, const RunHeader& h, const models::PoseModel& model, const OcclusionInputs& in,
                  const OcclusionOptions& o) {
    const int K = h.keypoints(), L = h.layers;
    const cv::Size input(h.inputWidth, h.inputHeight);

    // Sliding windows.
    OcclusionTarget target;
    if (!s.groundTruth.empty() && in.area > 0) {
        target.keypoints.assign(s.groundTruth.begin(), s.groundTruth.end());
        target.area = in.area;
    }
    const SensitivityResult sr = slidingOcclusion(model, *in.image, in.cs, o, target);
    if (sr.rows != h.occlusionRows || sr.cols != h.occlusionCols)
        throw Error("occlusion: the window grid " + std::to_string(sr.rows) + "x" + std::to_string(sr.cols) +
                    " differs from the run's");
    s.occlusionScoreDrop = sr.scoreDrop.to(torch::kFloat32);
    s.occlusionDisplacement = sr.displacement.to(torch::kFloat32);
    s.occlusionOks = sr.oks.to(torch::kFloat32);
    s.referenceOks.clear();
    for (double v : sr.referenceOks)
        s.referenceOks.push_back(static_cast<float>(v));

    // The known occluder of each keypoint (not the person's own body) and the rows' mass on it.
    const torch::Tensor dependency = s.dependency.to(torch::kFloat32);  // [L, K, T]
    s.occluderId.assign(static_cast<size_t>(K), -1);
    s.occluderShare.assign(static_cast<size_t>(L * K), kNaN);
    std::map<int64_t, torch::Tensor> coverage;  // occluder id → [T]
    for (int k = 0; k < K && static_cast<size_t>(k) < in.occludedBy.size(); ++k) {
        const int64_t id = in.occludedBy[static_cast<size_t>(k)];
        if (id < 0 || id == s.annotationId) continue;
        s.occluderId[static_cast<size_t>(k)] = id;
        if (!coverage.count(id))
            for (const ObjectMask& m : in.occluderMasks)
                if (m.id == id)
                    coverage[id] = maskCoverage(decodeMask(m), in.cs, input, h.gridRows, h.gridCols).reshape({-1});
        const auto c = coverage.find(id);
        if (c == coverage.end() || L == 0) continue;
        const torch::Tensor rows = dependency.select(1, k);  // [L, T]
        const torch::Tensor share = ((rows * c->second).sum(-1) / rows.sum(-1).clamp_min(1e-12)).contiguous();
        for (int l = 0; l < L; ++l)
            s.occluderShare[static_cast<size_t>(l * K + k)] = share[l].item<float>();
    }

    if (h.targetedMargin <= 0) return;
    // One region per keypoint: around its labelled ground truth when that lies in the crop,
    // otherwise around the unoccluded prediction; then one per body part around its keypoints' points.
    std::vector<cv::Point2d> points;
    for (int k = 0; k < K; ++k) {
        const auto kk = static_cast<size_t>(k);
        cv::Point2d p = toCrop(s.cropTransform, s.keypoints[3 * kk], s.keypoints[3 * kk + 1]);
        if (s.groundTruth.size() == static_cast<size_t>(3 * K) && s.groundTruth[3 * kk + 2] > 0) {
            const cv::Point2d g = toCrop(s.cropTransform, s.groundTruth[3 * kk], s.groundTruth[3 * kk + 1]);
            if (g.x >= 0 && g.y >= 0 && g.x < input.width && g.y < input.height) p = g;
        }
        p.x = std::clamp(p.x, 0.0, input.width - 1.0);
        p.y = std::clamp(p.y, 0.0, input.height - 1.0);
        points.push_back(p);
    }
    const int R = h.targetedRegions();
    std::vector<cv::Rect> regions;
    for (int r = 0; r < R; ++r) {
        std::vector<cv::Point2d> hidden;
        for (int k : h.targetedRegionKeypoints(r))
            hidden.push_back(points[static_cast<size_t>(k)]);
        regions.push_back(keypointRegion(hidden, h.targetedMargin, input));
    }
    const std::vector<TargetedOcclusionResult> t = targetedOcclusions(model, *in.image, in.cs, regions, o);
    s.targetedRegion.clear();
    s.targetedKeypoints.clear();
    s.targetedShareBefore.clear();
    s.targetedShareAfter.clear();
    std::vector<torch::Tensor> ownRows, allRows;
    const int T = h.tokens();
    for (int k = 0; k < R; ++k) {
        const TargetedOcclusionResult& r = t[static_cast<size_t>(k)];
        s.targetedRegion.insert(s.targetedRegion.end(), {r.region.x, r.region.y, r.region.width, r.region.height});
        for (const models::Keypoint& q : r.after)
            s.targetedKeypoints.insert(s.targetedKeypoints.end(),
                                       {static_cast<float>(q.x), static_cast<float>(q.y), static_cast<float>(q.score)});
        if (r.dependencyAfter.defined()) {
            const torch::Tensor before = r.regionShareBefore.contiguous(), after = r.regionShareAfter.contiguous();
            s.targetedShareBefore.insert(s.targetedShareBefore.end(), before.data_ptr<float>(),
                                         before.data_ptr<float>() + before.numel());
            s.targetedShareAfter.insert(s.targetedShareAfter.end(), after.data_ptr<float>(),
                                        after.data_ptr<float>() + after.numel());
            // The hidden keypoints' own rows: a keypoint's, or the mean of a part's.
            const std::vector<int> own = h.targetedRegionKeypoints(k);
            ownRows.push_back(
                r.dependencyAfter.index_select(1, torch::tensor(std::vector<int64_t>(own.begin(), own.end())))
                    .mean(1));                                            // [L, T]
            if (h.targetedAllRows) allRows.push_back(r.dependencyAfter);  // [L, K, T]
        } else {
            s.targetedShareBefore.insert(s.targetedShareBefore.end(), static_cast<size_t>(L * K), kNaN);
            s.targetedShareAfter.insert(s.targetedShareAfter.end(), static_cast<size_t>(L * K), kNaN);
            ownRows.push_back(torch::full({L, T}, kNaN));
            if (h.targetedAllRows) allRows.push_back(torch::full({L, K, T}, kNaN));
        }
    }
    s.targetedRows = torch::stack(ownRows);
    if (h.targetedAllRows) s.targetedDependency = torch::stack(allRows);
}

}  // namespace posescope::analysis::detail
