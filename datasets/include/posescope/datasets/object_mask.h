// The pixel region of one object of an image as COCO's uncompressed RLE (run-length encoding),
// e.g. the visible region of each SynthPose occluder ("occluder_masks" in the JSON).
//
// Usage:
//   cv::Mat mask = cv::Mat::zeros(height, width, CV_8U);
//   cv::circle(mask, {40, 30}, 10, 255, cv::FILLED);
//   posescope::ObjectMask m = posescope::encodeMask(mask, 1500, 1);   // id 1500 of image 1
//   cv::Mat back = posescope::decodeMask(m);                          // 255 inside, 0 outside
//   bool inside = back.at<uchar>(y, x) != 0;
//
// The counts are pycocotools' uncompressed RLE: run lengths over the pixels in column-major
// order (x outer, y inner), alternating 0s and 1s and starting with a run of 0s (which may be
// empty); they sum to width·height. In JSON a mask is written as
//   {"id": 1500, "image_id": 1, "segmentation": {"size": [height, width], "counts": [...]}}
// and pycocotools' maskUtils.frPyObjects reads "segmentation" as it is.
//
// Errors: posescope::Error when encodeMask is given something other than a 2-D single-channel
// 8-bit matrix, or when decodeMask's counts do not sum to width·height (or a size is negative).
// Thread-safety: plain data and pure functions; safe from any thread.
#pragma once

#include <opencv2/core.hpp>

#include <cstdint>
#include <vector>

namespace posescope {

/// A binary mask of one object of an image as COCO's uncompressed RLE: run lengths over the
/// pixels in column-major order (x outer, y inner, as pycocotools), the first run counting 0s
/// (may be 0).
struct ObjectMask {
    int64_t id = 0;       // the object's id (SynthPose: an occluder shape's or a person's id)
    int64_t imageId = 0;  // the image it belongs to
    int width = 0;        // the image's size
    int height = 0;
    std::vector<uint32_t> counts;
};

/// Encodes `mask` (CV_8U, one channel; nonzero = inside) as the RLE of object `id` of image
/// `imageId`. An all-zero mask gives counts {width·height}, an empty matrix counts {0}.
ObjectMask encodeMask(const cv::Mat& mask, int64_t id, int64_t imageId);

/// The mask as a CV_8U matrix of height × width, 255 inside and 0 outside. Throws Error when the
/// counts do not sum to width·height.
cv::Mat decodeMask(const ObjectMask& m);

}  // namespace posescope
