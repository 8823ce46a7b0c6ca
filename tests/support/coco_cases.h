// Hand-built COCO keypoint cases for evaluation tests: a person with all 17 keypoints labelled on
// a grid over its box, a prediction equal to it, and one at a chosen OKS.
//
//   const PersonAnnotation gt = test::person(7, 1, 100, 100, 100, 100);   // area w·h unless given
//   PosePrediction p = test::atOks(gt, 0.62, /*score*/ 0.9);                // every OKS term 0.62
#pragma once

#include "posescope/analysis/coco_eval.h"
#include "posescope/datasets/annotations.h"

#include <cmath>
#include <cstdint>

namespace posescope::test {

/// A person whose 17 keypoints (all labelled, v = 2) span the w×h box at (x, y), 5 columns × 4
/// rows; its area is `area`, or w·h when negative.
inline PersonAnnotation person(int64_t id, int64_t imageId, double x, double y, double w, double h, double area = -1) {
    PersonAnnotation a;
    a.id = id;
    a.imageId = imageId;
    a.keypoints.resize(51);
    for (int j = 0; j < 17; ++j) {
        a.keypoints[3 * j] = x + w * (j % 5) / 4.0;
        a.keypoints[3 * j + 1] = y + h * (j / 5) / 3.0;
        a.keypoints[3 * j + 2] = 2;
    }
    a.numKeypoints = 17;
    a.bbox = {x, y, w, h};
    a.area = area < 0 ? w * h : area;
    return a;
}

/// A prediction at the ground truth's keypoints (keypoint scores 0.9 play no part in OKS).
inline PosePrediction exactly(const PersonAnnotation& gt, double score) {
    PosePrediction p;
    p.imageId = gt.imageId;
    p.keypoints = gt.keypoints;
    for (int j = 0; j < 17; ++j)
        p.keypoints[3 * j + 2] = 0.9;
    p.score = score;
    return p;
}

/// A prediction whose OKS with `gt` is `oks`: every joint moved along x by d_j with
/// d_j² / (2σ_j)² / area / 2 = −ln(oks), so every term of the mean is exp(ln oks) = oks.
inline PosePrediction atOks(const PersonAnnotation& gt, double oks, double score) {
    PosePrediction p = exactly(gt, score);
    const auto sigmas = analysis::cocoKeypointSigmas();
    for (int j = 0; j < 17; ++j) {
        const double var = (2 * sigmas[static_cast<size_t>(j)]) * (2 * sigmas[static_cast<size_t>(j)]);
        p.keypoints[static_cast<size_t>(3 * j)] += std::sqrt(-std::log(oks) * 2 * var * gt.area);
    }
    return p;
}

}  // namespace posescope::test
