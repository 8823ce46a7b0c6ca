// MPII PCKh exactly as HRNet/TransPose's MPIIDataset.evaluate (lib/dataset/mpii.py) reports it.
//
// Usage:
//   std::vector<posescope::analysis::PckhSample> samples(n);
//   samples[i].predicted[2 * j] = x; samples[i].predicted[2 * j + 1] = y;   // joint j, MPII order
//   samples[i].groundTruth = …; samples[i].visible[j] = !jnt_missing;
//   samples[i].headSize = posescope::analysis::headSizeFromBox(x1, y1, x2, y2);
//   auto r = posescope::analysis::evaluatePckh(samples);
//   std::cout << r.head << " … " << r.mean << " " << r.meanAt01 << '\n';   // percentages
//
// Definition: a visible joint is correct when ‖pred − gt‖ / (0.6 · headSize) ≤ threshold; per joint
// PCKh = 100 · correct / visible. Reported groups: Head = head_top (9) alone; Shoulder, Elbow,
// Wrist, Hip, Knee, Ankle = the mean of the left and right joints; Mean = the per-joint PCKh
// weighted by visible counts, pelvis (6) and thorax (7) excluded; "Mean@0.1" = the same mean over
// the curve row 11, which is threshold 0.11, not 0.1 (np.arange(0, 0.51, 0.01)[11]: a known quirk of
// the HRNet code, kept so the numbers match the papers; the true @0.1 is weightedMean(curve[10])).
//
// Coordinates: predictions and ground truth in one frame (distances do not depend on the origin).
// HRNet compares 1-based MATLAB positions: gt_valid.mat's pos_gt_src with its float32 0-based
// predictions + 1 (added in float32); to reproduce its numbers bit for bit pass the 1-based ground
// truth and double(float(x) + 1.0f) for each predicted coordinate.
// Edge cases follow NumPy: a joint never visible gives NaN (0/0), and so does a mean it is part of;
// a head size of 0 makes that sample's visible joints wrong.
//
// Errors: EvaluationError for an empty sample list. Thread-safety: pure functions.
#pragma once

#include "posescope/analysis/coco_eval.h"
#include "posescope/datasets/mpii.h"

#include <array>
#include <cstdint>
#include <vector>

namespace posescope::analysis {

using posescope::kMpiiJoints;  // datasets/mpii.h
/// MPII joint order (HRNet's and gt_valid.mat's).
enum MpiiJoint : int {
    kRightAnkle = 0,
    kRightKnee,
    kRightHip,
    kLeftHip,
    kLeftKnee,
    kLeftAnkle,
    kPelvis,
    kThorax,
    kUpperNeck,
    kHeadTop,
    kRightWrist,
    kRightElbow,
    kRightShoulder,
    kLeftShoulder,
    kLeftElbow,
    kLeftWrist,
};

struct PckhSample {
    std::array<double, 2 * kMpiiJoints> predicted{};    // x, y per joint
    std::array<double, 2 * kMpiiJoints> groundTruth{};  // x, y per joint
    std::array<bool, kMpiiJoints> visible{};            // 1 − jnt_missing
    double headSize = 0;  // ‖head box diagonal‖ (headSizeFromBox), before the 0.6 SC_BIAS
};

struct PckhOptions {
    double threshold = 0.5;  // the PCKh threshold of `pckh` and of the groups
    double scBias = 0.6;     // SC_BIAS
};

struct PckhResult {
    std::array<double, kMpiiJoints> pckh{};         // percent, at options.threshold
    std::array<int64_t, kMpiiJoints> jointCount{};  // visible samples per joint
    /// Per-joint PCKh at thresholds[r] = r · 0.01, r = 0…50 (np.arange(0, 0.51, 0.01)): HRNet's pckAll.
    std::vector<std::array<double, kMpiiJoints>> curve;
    std::vector<double> thresholds;
    double head = 0, shoulder = 0, elbow = 0, wrist = 0, hip = 0, knee = 0, ankle = 0;
    double mean = 0;      // "Mean"
    double meanAt01 = 0;  // "Mean@0.1" as HRNet reports it (curve row 11 = threshold 0.11)

    /// Σ perJoint[j] · count[j] / Σ count over the joints except pelvis and thorax, summed as NumPy does.
    double weightedMean(const std::array<double, kMpiiJoints>& perJoint) const;
};

/// ‖(x2 − x1, y2 − y1)‖ of a head box (gt_valid.mat's headboxes_src).
double headSizeFromBox(double x1, double y1, double x2, double y2);

PckhResult evaluatePckh(const std::vector<PckhSample>& samples, const PckhOptions& options = {});

}  // namespace posescope::analysis
