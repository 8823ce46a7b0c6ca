// The pose error taxonomy of Ronchi & Perona ("Benchmarking and Error Diagnosis in Multi-Instance
// Pose Estimation", ICCV 2017; their coco-analyze): every keypoint of a prediction matched to a
// person is good, jitter, inversion, swap or miss; the AP gained by fixing each type; and the
// background false positives and false negatives.
//
// Usage:
//   ErrorTaxonomy t = errorTaxonomy(images, groundTruth, predictions);   // as evaluateCocoKeypoints
//   std::cout << t.totals[int(PoseErrorType::Swap)] << " swaps; AP " << t.ap.baseline << " → "
//             << t.ap.withoutMiss << " without misses\n";
//
// As coco-analyze: predictions are matched to the ground truth by COCOeval's greedy matching at
// OKS `localisationOks` (0.1), in the first area range of `eval` (COCO's "all"). For a matched
// prediction and each keypoint k labelled in the matched person, the keypoint similarity
// ks = exp(−d²/(2·area·(2σ_k)²)) is taken against the candidates, in this order: the matched
// person's keypoint k, every other person's of the image, the matched person's left/right
// counterpart of k (flip pairs), every other person's counterpart (each candidate with its own
// area; unlabelled candidates count −1). With m the largest ks and its first candidate:
// good m ≥ 0.85 on the own keypoint; jitter 0.5 ≤ m < 0.85 on the own keypoint; inversion m ≥ 0.5
// on the own counterpart; swap m ≥ 0.5 on another person's keypoint or counterpart; miss m < 0.5.
// (coco-analyze calls good m > 0.85, leaving m = 0.85 unclassified; here the types partition the
// labelled keypoints.) Corrected keypoints are coco-analyze's: y on the GT, x = GT x + √(−ln s ·
// 2·area·σ_k²) with s = 0.85 (jitter), 0.5 (miss) or m (inversion, swap), area the matched
// person's. AP is then recomputed with the errors fixed cumulatively in coco-analyze's order —
// miss, swap, inversion, jitter — then with the background false positives (predictions matching
// no GT at a threshold, after the fixes) ignored at that threshold, then also the false negatives
// (GTs no prediction matches at that or a lower threshold). coco-analyze's optimal rescoring is
// not part of it (runs already carry the official rescoring).
//
// Errors: EvaluationError as evaluateCocoKeypoints, and for flip pairs outside the keypoints.
// Thread-safety: a pure function of its arguments.
#pragma once

#include "posescope/analysis/coco_eval.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace posescope::analysis {

enum class PoseErrorType { Good, Jitter, Inversion, Swap, Miss };
constexpr int kPoseErrorTypeTypes = 5;
/// "good", "jitter", "inversion", "swap", "miss".
std::string poseErrorName(PoseErrorType error);

struct ErrorTaxonomyOptions {
    CocoEvalOptions eval;
    double localisationOks = 0.1;
    double jitterLow = 0.5, jitterHigh = 0.85;
    std::vector<std::pair<int, int>> flipPairs;  // empty: COCO's left/right pairs
};

struct MatchedPrediction {
    std::size_t prediction = 0;        // index into the predictions
    int64_t gtId = 0;                  // the person it matched
    std::vector<int> errors;           // per keypoint: a PoseErrorType, −1 where the GT keypoint is unlabelled
    std::vector<int64_t> swappedWith;  // per keypoint: the other person's GT id for swaps, else 0
    std::vector<double> corrected;     // K × (x, y, score)
};

struct TaxonomyAp {
    double baseline = 0;
    double withoutMiss = 0, withoutSwap = 0, withoutInversion = 0, withoutJitter = 0;  // cumulative
    double withoutBackgroundFp = 0, withoutFalseNegatives = 0;                         // cumulative
};

struct ErrorTaxonomy {
    std::vector<MatchedPrediction> matched;
    std::vector<std::array<int64_t, kPoseErrorTypeTypes>> counts;  // per keypoint
    std::array<int64_t, kPoseErrorTypeTypes> totals{};
    TaxonomyAp ap;
    std::vector<double> oksThresholds;
    std::vector<std::vector<std::size_t>> backgroundFalsePositives;  // per threshold: prediction indices
    std::vector<std::vector<int64_t>> falseNegatives;                // per threshold: GT ids
};

ErrorTaxonomy errorTaxonomy(const std::vector<ImageInfo>& images, const std::vector<PersonAnnotation>& groundTruth,
                            const std::vector<PosePrediction>& predictions, const ErrorTaxonomyOptions& options = {});

}  // namespace posescope::analysis
