// Person rescoring and OKS-NMS exactly as the official HRNet/TransPose COCO pipelines apply them
// (COCODataset.evaluate and lib/nms/nms.py: oks_iou, oks_nms) before pycocotools.
//
// Usage:
//   std::vector<posescope::analysis::PersonPose> people;          // one per person box
//   people.push_back({imageId, keypoints /* x, y, maxval per joint */,
//                     posescope::analysis::areaFromScale(sx, sy), boxScore});
//   auto results = posescope::analysis::rescoreAndNms(people);    // COCO keypoint results
//   auto r = posescope::analysis::evaluateCocoKeypoints(images, gt, results);
//
// The pipeline: per person, score = box score × mean of the keypoint scores above 0.2 (× 0 when
// none is); per image (images in first-seen order), greedy OKS-NMS at 0.9: take the highest score,
// drop every remaining person whose OKS with it is above the threshold, repeat. The order is
// NumPy's `scores.argsort()[::-1]`, which is NOT stable: with ≤ 16 people in an image tied scores
// come out last index first; with more, the order is that of NumPy's introsort (reproduced for
// NumPy ≤ 1.24, and later NumPy on CPUs without AVX-512; NumPy ≥ 1.25 on AVX-512 CPUs uses a
// SIMD sort whose tie order differs). HRNet keeps predictions as float32; with
// OksNmsOptions::float32Keypoints (default) the OKS distances are computed in float32 as there.
//
// Errors: EvaluationError when keypoints are not 3 × sigmas.size() numbers or sigmas are empty.
// Thread-safety: pure functions of their arguments; safe to call concurrently.
#pragma once

#include "posescope/analysis/coco_eval.h"
#include "posescope/datasets/annotations.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace posescope::analysis {

/// One person box's prediction as HRNet's validate() collects it.
struct PersonPose {
    int64_t imageId = 0;
    std::vector<double> keypoints;  // x, y, score (heatmap maxval) per joint
    double area = 0;                // areaFromScale(scale): the box area with HRNet's 1.25 padding
    double score = 0;               // the box score (rescoreAndNms), or the person score (oksNms)
};

struct OksNmsOptions {
    double oksThreshold = 0.9;    // OKS_THRE: suppress when OKS > threshold
    double inVisThreshold = 0.2;  // IN_VIS_THRE: keypoint scores above it count in the person score
    std::vector<double> sigmas = cocoKeypointSigmas();
    bool float32Keypoints = true;  // round keypoints to float32 (oks_iou's distances, the results)
    int64_t categoryId = 1;        // of the results
};

/// np.prod(scale * 200) with HRNet's float32 scale: the area oks_nms and its OKS use.
double areaFromScale(double scaleX, double scaleY);

/// COCODataset.evaluate's rescoring: boxScore × mean(keypoint scores > inVisThreshold), or 0 when
/// no keypoint score is above it. `keypoints` holds x, y, score per joint.
double personScore(double boxScore, const std::vector<double>& keypoints, double inVisThreshold = 0.2);

/// oks_iou(g, d, a_g, a_d) with in_vis_thre None: mean over all joints of
/// exp(−d²/(2σ_var·((a_g + a_d)/2 + eps))) with σ_var = (2σ)².
double oksOverlap(const std::vector<double>& a, const std::vector<double>& b, double areaA, double areaB,
                  const OksNmsOptions& options = {});

/// `scores.argsort()[::-1]`: NumPy's default (introsort) ascending order, reversed.
std::vector<std::size_t> numpyDescendingOrder(const std::vector<double>& scores);

/// oks_nms on one image's people (imageId is not looked at): the kept indices, in keep order.
std::vector<std::size_t> oksNms(const std::vector<PersonPose>& people, const OksNmsOptions& options = {});

/// The whole of COCODataset.evaluate before pycocotools: groups people by image (first-seen
/// order), rescores them, applies oks_nms per image, and returns the results in the order HRNet
/// writes them to its results file (which fixes the result ids and so pycocotools' tie order).
std::vector<PosePrediction> rescoreAndNms(const std::vector<PersonPose>& people, const OksNmsOptions& options = {});

}  // namespace posescope::analysis
