#include "posescope/analysis/occlusion_report.h"

#include "posescope/analysis/occlusion.h"
#include "posescope/analysis/run_store.h"

#include "posescope/datasets/error.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace posescope::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double mean(double sum, int64_t count) {
    return count > 0 ? sum / static_cast<double>(count) : kNaN;
}

struct AgreementSums {
    std::vector<double> spearman, top;
    std::vector<int64_t> spearmanCount, count;
    explicit AgreementSums(int layers) : spearman(layers), top(layers), spearmanCount(layers), count(layers) {}
    void add(int layer, double rho, double topK) {
        const auto l = static_cast<size_t>(layer);
        if (!std::isnan(rho)) {
            spearman[l] += rho;
            ++spearmanCount[l];
        }
        top[l] += topK;
        ++count[l];
    }
    LayerAgreement finish() const {
        LayerAgreement a;
        for (size_t l = 0; l < spearman.size(); ++l) {
            a.spearman.push_back(mean(spearman[l], spearmanCount[l]));
            a.topKOverlap.push_back(mean(top[l], count[l]));
        }
        a.spearmanCount = spearmanCount;
        a.count = count;
        return a;
    }
};

void requireOcclusion(const RunReader& run) {
    if (!run.header().hasOcclusion())
        throw RunFormatError(run.path(), "holds no occlusion analysis (record it with posescope-cli occlude)");
}

}  // namespace

std::string sensitivityMeasureName(SensitivityMeasure measure) {
    switch (measure) {
        case SensitivityMeasure::ScoreDrop: return "score";
        case SensitivityMeasure::Displacement: return "displacement";
        case SensitivityMeasure::OksDrop: return "oks";
    }
    return "score";
}

SensitivityMeasure parseSensitivityMeasure(const std::string& name) {
    for (SensitivityMeasure m :
         {SensitivityMeasure::ScoreDrop, SensitivityMeasure::Displacement, SensitivityMeasure::OksDrop})
        if (sensitivityMeasureName(m) == name) return m;
    throw Error("unknown sensitivity measure '" + name + "' (score, displacement or oks)");
}

SensitivityResult storedSensitivity(const RunReader& run, int64_t row) {
    requireOcclusion(run);
    const RunHeader& h = run.header();
    const RunSample s = run.sample(row);
    const int K = h.keypoints();
    SensitivityResult r;
    r.inputSize = cv::Size(h.inputWidth, h.inputHeight);
    r.rows = h.occlusionRows;
    r.cols = h.occlusionCols;
    r.windows = occlusionWindows(r.inputSize, h.occlusionWindow, h.occlusionStride);
    if (static_cast<int>(r.windows.size()) != h.occlusionWindows())
        throw RunFormatError(run.path(), "the occlusion grid does not match its window and stride");
    torch::Tensor reference = torch::empty({K}, torch::kFloat64);
    for (int k = 0; k < K; ++k) {
        const auto i = static_cast<size_t>(3 * k);
        r.reference.push_back({s.keypoints[i], s.keypoints[i + 1], s.keypoints[i + 2]});
        r.referenceOks.push_back(s.referenceOks[static_cast<size_t>(k)]);
        reference[k] = s.keypoints[i + 2];
    }
    r.scoreDrop = run.array(row, "occlusion_score_drop").to(torch::kFloat64);
    r.score = reference.unsqueeze(0) - r.scoreDrop;
    r.displacement = run.array(row, "occlusion_displacement").to(torch::kFloat64);
    r.oks = run.array(row, "occlusion_oks").to(torch::kFloat64);
    r.oksDrop = torch::tensor(r.referenceOks, torch::kFloat64).unsqueeze(0) - r.oks;
    r.evaluated = static_cast<int64_t>(r.windows.size());
    return r;
}

torch::Tensor sampleAgreement(const RunReader& run, int64_t row, SensitivityMeasure measure, double topFraction) {
    const SensitivityResult s = storedSensitivity(run, row);
    const RunHeader& h = run.header();
    const int K = h.keypoints(), L = h.layers;
    const torch::Tensor dependency = run.dependency(row);  // [L, K, T]
    torch::Tensor out = torch::full({2, L, K}, kNaN, torch::kFloat64);
    for (int k = 0; k < K; ++k) {
        const torch::Tensor sensitivity = sensitivityOnGrid(s, k, measure, h.gridRows, h.gridCols);
        for (int l = 0; l < L; ++l) {
            const Agreement a =
                attentionAgreement(dependency[l][k].reshape({h.gridRows, h.gridCols}), sensitivity, topFraction);
            out[0][l][k] = a.spearman;
            out[1][l][k] = a.topKOverlap;
        }
    }
    return out;
}

OcclusionReport occlusionReport(const RunReader& run, const OcclusionReportOptions& o) {
    requireOcclusion(run);
    if (!(o.topFraction > 0 && o.topFraction <= 1)) throw Error("occlusion report: the top fraction must be in (0, 1]");
    const RunHeader& h = run.header();
    const int K = h.keypoints(), L = h.layers;
    OcclusionReport r;
    r.layers = L;
    r.keypoints = K;
    r.targeted = h.targetedMargin > 0;
    AgreementSums all(L), visible(L), occluded(L);
    std::vector<double> perKeypoint(static_cast<size_t>(L * K)), peak(static_cast<size_t>(K));
    std::vector<int64_t> perKeypointCount(static_cast<size_t>(L * K)), peakCount(static_cast<size_t>(K));
    // Targeted sums: index 0 = the keypoint regions together, 1 + p = body part p.
    struct TargetedSums {
        std::vector<double> hiddenBefore, hiddenAfter, otherBefore, otherAfter;
        int64_t hiddenCount = 0, otherCount = 0;
        double hiddenMoved = 0, otherMoved = 0;
    };
    std::vector<TargetedSums> sums(1 + h.targetedParts.size());
    for (TargetedSums& t : sums)
        t.hiddenBefore = t.hiddenAfter = t.otherBefore = t.otherAfter = std::vector<double>(static_cast<size_t>(L));
    for (int64_t row = 0; row < run.size(); ++row) {
        if (o.cancel && o.cancel()) {
            r.cancelled = true;
            break;
        }
        const RunSample s = run.sample(row);
        const torch::Tensor a = sampleAgreement(run, row, o.measure, o.topFraction).contiguous();
        const auto acc = a.accessor<double, 3>();
        const torch::Tensor drop = run.array(row, "occlusion_score_drop").to(torch::kFloat64);
        const torch::Tensor largest = std::get<0>(drop.nan_to_num(-1e30).max(0)).contiguous();  // [K]
        for (int k = 0; k < K; ++k) {
            const auto ki = static_cast<size_t>(k);
            const float v = s.groundTruth[3 * ki + 2];
            for (int l = 0; l < L; ++l) {
                const double rho = acc[0][l][k], top = acc[1][l][k];
                all.add(l, rho, top);
                if (v >= 2) visible.add(l, rho, top);
                if (v > 0 && v < 2) occluded.add(l, rho, top);
                if (!std::isnan(rho)) {
                    perKeypoint[static_cast<size_t>(l * K + k)] += rho;
                    ++perKeypointCount[static_cast<size_t>(l * K + k)];
                }
            }
            const double p = largest[k].item<double>();
            if (p > -1e29) {
                peak[ki] += p;
                ++peakCount[ki];
            }
        }
        if (r.targeted) {
            // share[hidden][layer][keypoint]; predictions after hiding [hidden][keypoint][xys]
            for (int hk = 0; hk < h.targetedRegions(); ++hk) {
                TargetedSums& sum = sums[static_cast<size_t>(std::max(0, hk - K + 1))];
                const std::vector<int> hiddenKeypoints = h.targetedRegionKeypoints(hk);
                for (int k = 0; k < K; ++k) {
                    const bool hidden = std::count(hiddenKeypoints.begin(), hiddenKeypoints.end(), k) > 0;
                    const size_t at = static_cast<size_t>(hk) * static_cast<size_t>(3 * K) + 3 * static_cast<size_t>(k);
                    const double moved =
                        std::hypot(s.targetedKeypoints[at] - s.keypoints[3 * static_cast<size_t>(k)],
                                   s.targetedKeypoints[at + 1] - s.keypoints[3 * static_cast<size_t>(k) + 1]);
                    bool counted = false;
                    for (int l = 0; l < L; ++l) {
                        const size_t i = (static_cast<size_t>(hk) * static_cast<size_t>(L) + static_cast<size_t>(l)) *
                                             static_cast<size_t>(K) +
                                         static_cast<size_t>(k);
                        const double before = s.targetedShareBefore[i], after = s.targetedShareAfter[i];
                        if (std::isnan(before) || std::isnan(after)) continue;
                        counted = true;
                        (hidden ? sum.hiddenBefore : sum.otherBefore)[static_cast<size_t>(l)] += before;
                        (hidden ? sum.hiddenAfter : sum.otherAfter)[static_cast<size_t>(l)] += after;
                    }
                    if (!counted) continue;
                    if (hidden) {
                        sum.hiddenMoved += moved;
                        ++sum.hiddenCount;
                    } else {
                        sum.otherMoved += moved;
                        ++sum.otherCount;
                    }
                }
            }
        }
        ++r.samples;
        if (o.progress) o.progress(row + 1, run.size());
    }
    r.all = all.finish();
    r.visible = visible.finish();
    r.occluded = occluded.finish();
    for (size_t i = 0; i < perKeypoint.size(); ++i)
        r.keypointSpearman.push_back(mean(perKeypoint[i], perKeypointCount[i]));
    for (size_t k = 0; k < peak.size(); ++k)
        r.peakScoreDrop.push_back(mean(peak[k], peakCount[k]));
    if (r.targeted) {
        for (size_t i = 0; i < sums.size(); ++i) {
            const TargetedSums& sum = sums[i];
            PartEffect e;
            for (size_t l = 0; l < static_cast<size_t>(L); ++l) {
                e.hiddenShareBefore.push_back(mean(sum.hiddenBefore[l], sum.hiddenCount));
                e.hiddenShareAfter.push_back(mean(sum.hiddenAfter[l], sum.hiddenCount));
                e.otherShareBefore.push_back(mean(sum.otherBefore[l], sum.otherCount));
                e.otherShareAfter.push_back(mean(sum.otherAfter[l], sum.otherCount));
            }
            e.hiddenDisplacement = mean(sum.hiddenMoved, sum.hiddenCount);
            e.otherDisplacement = mean(sum.otherMoved, sum.otherCount);
            if (i == 0) {
                r.hiddenShareBefore = e.hiddenShareBefore;
                r.hiddenShareAfter = e.hiddenShareAfter;
                r.otherShareBefore = e.otherShareBefore;
                r.otherShareAfter = e.otherShareAfter;
                r.hiddenDisplacement = e.hiddenDisplacement;
                r.otherDisplacement = e.otherDisplacement;
            } else {
                e.name = h.targetedParts[i - 1].name;
                e.keypoints = h.targetedParts[i - 1].keypoints;
                r.parts.push_back(std::move(e));
            }
        }
    }
    bool labelled = false;
    const std::vector<float> gt = run.floatColumn("ground_truth");
    for (size_t i = 2; i < gt.size(); i += 3)
        labelled = labelled || gt[i] > 0;
    if (labelled) r.visibility = visibilityStats(run);
    return r;
}

}  // namespace posescope::analysis
