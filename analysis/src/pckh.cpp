// MPIIDataset.evaluate (HRNet/TransPose lib/dataset/mpii.py), with NumPy's operation order.
#include "posescope/analysis/pckh.h"

#include "numpy_compat.h"

#include <cmath>
#include <limits>

namespace posescope::analysis {

namespace {

constexpr std::size_t kCurvePoints = 51;   // np.arange(0, 0.5 + 0.01, 0.01)
constexpr std::size_t kHrnetMeanRow = 11;  // pckAll[11, :] ("Mean@0.1")

bool excludedFromMean(int joint) {
    return joint == kPelvis || joint == kThorax;
}

}  // namespace

double headSizeFromBox(double x1, double y1, double x2, double y2) {
    const double dx = x2 - x1;
    const double dy = y2 - y1;
    const double dx2 = dx * dx;
    const double dy2 = dy * dy;
    return std::sqrt(dx2 + dy2);
}

double PckhResult::weightedMean(const std::array<double, kMpiiJoints>& perJoint) const {
    int64_t total = 0;
    for (int j = 0; j < kMpiiJoints; ++j) {
        if (!excludedFromMean(j)) total += jointCount[j];
    }
    if (total == 0) return std::numeric_limits<double>::quiet_NaN();  // NumPy: a fully masked sum
    const double denominator = static_cast<double>(total);
    std::array<double, kMpiiJoints> weighted{};
    for (int j = 0; j < kMpiiJoints; ++j) {
        if (excludedFromMean(j)) continue;  // masked: filled with 0 before the sum
        const double ratio = static_cast<double>(jointCount[j]) / denominator;
        weighted[j] = perJoint[j] * ratio;
    }
    return npcompat::sum(weighted.data(), weighted.size());
}

PckhResult evaluatePckh(const std::vector<PckhSample>& samples, const PckhOptions& options) {
    if (samples.empty()) throw EvaluationError("PCKh: no samples to evaluate");
    PckhResult result;
    result.thresholds.resize(kCurvePoints);
    const double step = (0.0 + 0.01) - 0.0;  // np.arange fills start + i·delta
    for (std::size_t r = 0; r < kCurvePoints; ++r)
        result.thresholds[r] = 0.0 + static_cast<double>(r) * step;

    // scaled_uv_err[j][n] = ‖pred − gt‖ / (headSize · SC_BIAS) · visible
    const std::size_t n = samples.size();
    std::vector<std::array<double, kMpiiJoints>> scaled(n);
    for (std::size_t s = 0; s < n; ++s) {
        const PckhSample& sample = samples[s];
        const double headSize = sample.headSize * options.scBias;
        for (int j = 0; j < kMpiiJoints; ++j) {
            const double dx = sample.predicted[2 * j] - sample.groundTruth[2 * j];
            const double dy = sample.predicted[2 * j + 1] - sample.groundTruth[2 * j + 1];
            const double dx2 = dx * dx;
            const double dy2 = dy * dy;
            const double err = std::sqrt(dx2 + dy2);
            const double ratio = err / headSize;
            scaled[s][j] = ratio * (sample.visible[j] ? 1.0 : 0.0);
        }
        for (int j = 0; j < kMpiiJoints; ++j)
            result.jointCount[j] += sample.visible[j] ? 1 : 0;
    }

    auto pckAt = [&](double threshold) {
        std::array<double, kMpiiJoints> pck{};
        for (int j = 0; j < kMpiiJoints; ++j) {
            int64_t correct = 0;
            for (std::size_t s = 0; s < n; ++s)
                correct += (samples[s].visible[j] && scaled[s][j] <= threshold) ? 1 : 0;
            const double hundredTimes = 100. * static_cast<double>(correct);
            pck[j] = hundredTimes / static_cast<double>(result.jointCount[j]);  // 0/0 = NaN as NumPy
        }
        return pck;
    };
    result.pckh = pckAt(options.threshold);
    result.curve.reserve(kCurvePoints);
    for (double threshold : result.thresholds)
        result.curve.push_back(pckAt(threshold));

    const auto& p = result.pckh;
    result.head = p[kHeadTop];
    result.shoulder = 0.5 * (p[kLeftShoulder] + p[kRightShoulder]);
    result.elbow = 0.5 * (p[kLeftElbow] + p[kRightElbow]);
    result.wrist = 0.5 * (p[kLeftWrist] + p[kRightWrist]);
    result.hip = 0.5 * (p[kLeftHip] + p[kRightHip]);
    result.knee = 0.5 * (p[kLeftKnee] + p[kRightKnee]);
    result.ankle = 0.5 * (p[kLeftAnkle] + p[kRightAnkle]);
    result.mean = result.weightedMean(result.pckh);
    result.meanAt01 = result.weightedMean(result.curve[kHrnetMeanRow]);
    return result;
}

}  // namespace posescope::analysis
