// COCO keypoint AP/AR (OKS), computed exactly as pycocotools' COCOeval(iouType='keypoints').
//
// Usage:
//   std::vector<posescope::ImageInfo> images = …;              // the images evaluated (all of them)
//   std::vector<posescope::PersonAnnotation> gt = …;           // COCO person_keypoints annotations
//   std::vector<posescope::PosePrediction> results = …;        // keypoint results, in file order
//   auto r = posescope::analysis::evaluateCocoKeypoints(images, gt, results);
//   std::cout << posescope::analysis::formatCocoKeypointSummary(r);   // pycocotools' 10 lines
//   double ap = r.stats[0];
//
// Semantics are pycocotools' (loadRes + evaluate + accumulate + summarize): result ids are the
// 1-based positions in `predictions` (so their order breaks score ties), GT ids are used as given
// (an id of 0 reads as "unmatched", as in pycocotools), the images evaluated are the distinct GT
// image ids, sorted, and the categories the distinct GT category ids. Two deliberate differences:
// an empty `predictions` evaluates to AP 0 (pycocotools raises IndexError), and summaries use
// options.maxDets where pycocotools hard-codes 20 (identical with the default options).
//
// Errors: EvaluationError when a prediction names an image that is not in `images` (pycocotools'
// "Results do not correspond to current coco set"), when a prediction's keypoints are not
// 3 × sigmas.size() numbers, when a GT with labelled keypoints has another count, or for invalid
// options. Thread-safety: pure functions of their arguments; safe to call concurrently.
#pragma once

#include "posescope/datasets/annotations.h"
#include "posescope/datasets/error.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace posescope::analysis {

/// Invalid input to an evaluation (COCO OKS, OKS-NMS, PCKh). what() names the item and the problem.
class EvaluationError : public Error {
public:
    using Error::Error;
};

/// pycocotools' kpt_oks_sigmas: [.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62, 1.07, 1.07,
/// .87, .87, .89, .89] / 10 (COCO's 17 keypoints, in COCO order).
std::vector<double> cocoKeypointSigmas();

struct AreaRange {
    std::string label;  // summaries look up "all", "medium" and "large"
    double min = 0;     // inclusive bounds on the area, as in pycocotools
    double max = 0;
};

struct CocoEvalOptions {
    std::vector<double> sigmas = cocoKeypointSigmas();  // one per keypoint
    int maxDets = 20;                                   // detections kept per image, by score
    std::vector<AreaRange> areaRanges = {
        {"all", 0, 1e10}, {"medium", 32.0 * 32, 96.0 * 96}, {"large", 96.0 * 96, 1e10}};
    /// OKS thresholds; empty: COCO's .50:.05:.95 (the summary's AP50/AP75 need .5 and .75).
    std::vector<double> oksThresholds;
    /// After matching, before accumulating (coco-analyze's background error analysis): ignore a
    /// prediction (0-based index into `predictions`) or a GT (by id) at threshold index t.
    std::function<bool(std::size_t t, std::size_t prediction)> ignorePrediction;
    std::function<bool(std::size_t t, int64_t gtId)> ignoreGroundTruth;
};

struct CocoEvalResult {
    /// AP, AP50, AP75, AP medium, AP large, AR, AR50, AR75, AR medium, AR large; −1 where no GT.
    std::array<double, 10> stats{};
    std::vector<double> iouThresholds;     // T = 10: np.linspace(.5, .95, 10)
    std::vector<double> recallThresholds;  // R = 101: np.linspace(0, 1, 101)
    std::vector<int64_t> categoryIds;      // K, sorted (one for COCO person keypoints)
    std::vector<AreaRange> areaRanges;     // A
    int maxDets = 20;
    std::vector<double> precision;  // [T][R][K][A], row-major; −1 where the setting has no GT
    std::vector<double> recall;     // [T][K][A]
    /// [T][predictions]: the GT id each prediction matched in the first area range (0: none,
    /// including predictions beyond maxDets).
    std::vector<int64_t> matchedGt;

    double precisionAt(int t, int r, int a, int k = 0) const;
    double recallAt(int t, int a, int k = 0) const;
};

/// OKS between one GT and one predicted pose (x, y, score per keypoint), as COCOeval.computeOks:
/// mean of exp(−d²/(2·area·(2σ)²)) over the GT's labelled keypoints, or, when it has none, with d
/// the distance to the GT box enlarged to [x−w, x+2w]×[y−h, y+2h] over all keypoints.
double keypointOks(const PersonAnnotation& gt, const std::vector<double>& predictedKeypoints,
                   const std::vector<double>& sigmas = cocoKeypointSigmas());

CocoEvalResult evaluateCocoKeypoints(const std::vector<ImageInfo>& images,
                                     const std::vector<PersonAnnotation>& groundTruth,
                                     const std::vector<PosePrediction>& predictions,
                                     const CocoEvalOptions& options = {});

/// pycocotools' summarize() printout for keypoints: 10 lines such as
/// " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets= 20 ] = 0.743", each ending in '\n'.
std::string formatCocoKeypointSummary(const CocoEvalResult& result);

}  // namespace posescope::analysis
