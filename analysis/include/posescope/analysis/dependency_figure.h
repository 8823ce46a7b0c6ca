// The dependency figure of TransPose's visualize.py, rendered headless with OpenCV: one row per
// encoder layer, the first column the crop with the predicted skeleton, then one column per query
// (each keypoint) with its attention map over the crop and a star at the query.
//
// Usage:
//   DependencyFigure fig;
//   fig.crop = denormalizedCropRgb;  fig.queries = queries;  fig.labels = names;
//   fig.maps = maps;                  // [layer][query] → [H, W] crop-sized maps
//   cv::Mat rgb = renderDependencyFigure(fig);  saveFigure(rgb, "fig.png");
//
// Each panel is min–max scaled on its own, as the official figures are. The colormap is
// OpenCV's (TURBO by default; the official script used matplotlib's nipy_spectral).
// Errors: saveFigure throws FileError. Thread-safety: pure functions.
#pragma once

#include "posescope/datasets/skeleton.h"

#include <torch/types.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <string>
#include <vector>

namespace posescope::analysis {

struct DependencyFigure {
    cv::Mat crop;                                  // RGB, 8-bit, the model input size
    std::vector<cv::Point2d> queries;              // crop pixels, one per column
    std::vector<std::string> labels;               // column labels (keypoint names)
    std::vector<std::vector<torch::Tensor>> maps;  // [layer][query], crop-sized
    std::vector<std::string> rowLabels;            // one per row of maps; empty: "Layer 0", "Layer 1", …
    const Skeleton* skeleton = &cocoSkeleton();    // for the first column; queries[0..K) are its keypoints
    int colormap = cv::COLORMAP_TURBO;
    double alpha = 0.79;  // map opacity over the crop
    double scale = 1.0;   // panel size relative to the crop
};

cv::Mat renderDependencyFigure(const DependencyFigure& figure);
/// A crop ([3, H, W] ImageNet-normalised RGB tensor) back to an 8-bit RGB image.
cv::Mat denormalizeCrop(const torch::Tensor& input);
/// Writes an RGB figure as PNG/JPEG by extension. Throws FileError.
void saveFigure(const cv::Mat& rgb, const std::string& path);

}  // namespace posescope::analysis
