// Plain data for pose annotations, shared by every dataset format, the evaluators and SynthPose.
//
// Usage:
//   posescope::PersonAnnotation a;
//   a.keypoints = {x0, y0, v0, x1, y1, v1, …};   // COCO order, 3 numbers per keypoint
//   int visible = a.labelledKeypoints();
//
// Conventions are COCO's: keypoint visibility v = 0 not labelled, 1 labelled but occluded,
// 2 labelled and visible; boxes are [x, y, width, height] in pixels of the original image.
// Errors: none (plain data). Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace posescope {

struct Box {
    double x = 0;
    double y = 0;
    double w = 0;
    double h = 0;
};

struct ImageInfo {
    int64_t id = 0;
    std::string fileName;  // relative to the dataset's image folder
    int width = 0;
    int height = 0;
};

struct PersonAnnotation {
    int64_t id = 0;
    int64_t imageId = 0;
    int64_t categoryId = 1;
    std::vector<double> keypoints;  // x, y, v per keypoint (3·K numbers)
    int numKeypoints = 0;           // as stored in the file (COCO counts v > 0)
    Box bbox;
    double area = 0;
    bool iscrowd = false;
    // SynthPose extension ("occluded_by" in the JSON): per keypoint, the id of the occluder
    // covering it, or -1. Empty for datasets without it.
    std::vector<int64_t> occludedBy;

    int keypointCount() const { return static_cast<int>(keypoints.size() / 3); }
    /// Keypoints with v > 0.
    int labelledKeypoints() const;
};

/// A detected person box (COCO results format: image_id, category_id, bbox, score).
struct Detection {
    int64_t imageId = 0;
    int64_t categoryId = 1;
    Box bbox;
    double score = 0;
};

/// A predicted pose (COCO keypoint results format: image_id, category_id, keypoints, score).
struct PosePrediction {
    int64_t imageId = 0;
    int64_t categoryId = 1;
    std::vector<double> keypoints;  // x, y, score per keypoint
    double score = 0;
};

}  // namespace posescope
