// A recorded row of a hand-made COCO person, for tests that write runs with RunWriter: the crop as
// the recorder makes it (center/scale of the box at the 192 × 256 input's aspect, ×1.25, and its
// affine), the ground truth, the given final keypoints repeated as every layer's, no JPEG.
//
//   RunSample s = test::personRow(0, gt, predicted, /*layers*/ 2);   // then set dependency, boxScore…
#pragma once

#include "posescope/analysis/run_store.h"
#include "posescope/datasets/annotations.h"
#include "posescope/datasets/crop.h"

#include <opencv2/core.hpp>

#include <cstdint>
#include <vector>

namespace posescope::test {

inline analysis::RunSample personRow(int64_t index, const PersonAnnotation& a, const std::vector<double>& predicted,
                                     int layers) {
    analysis::RunSample s;
    s.index = index;
    s.imageId = a.imageId;
    s.annotationId = a.id;
    s.box = {static_cast<float>(a.bbox.x), static_cast<float>(a.bbox.y), static_cast<float>(a.bbox.w),
             static_cast<float>(a.bbox.h)};
    const CenterScale cs = boxToCenterScale(a.bbox, 192.0 / 256, 1.25);
    s.center = {cs.cx, cs.cy};
    s.scale = {cs.sw, cs.sh};
    const cv::Mat t = cropTransform(cs, cv::Size(192, 256));
    for (int i = 0; i < 6; ++i)
        s.cropTransform[static_cast<size_t>(i)] = static_cast<float>(t.at<double>(i / 3, i % 3));
    s.groundTruth.assign(a.keypoints.begin(), a.keypoints.end());
    s.keypoints.assign(predicted.begin(), predicted.end());
    for (int l = 0; l < layers; ++l)
        s.layerKeypoints.insert(s.layerKeypoints.end(), s.keypoints.begin(), s.keypoints.end());
    s.queryTokens.assign(17, 0);
    s.cropJpeg = "not a jpeg";
    return s;
}

}  // namespace posescope::test
