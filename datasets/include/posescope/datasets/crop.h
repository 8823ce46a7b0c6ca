// The person crop of the official TransPose/DarkPose pipelines and its inverse.
//
// Usage:
//   posescope::CenterScale cs = posescope::boxToCenterScale(box);          // aspect 0.75, ×1.25
//   cv::Mat crop = posescope::cropPerson(rgb, cs, {192, 256});              // model input
//   cv::Point2d p = posescope::fromCrop({23.5, 31.5}, cs, {48, 64});        // heatmap → image
//
// Conventions (lib/dataset/coco.py::_xywh2cs and lib/utils/transforms.py, the "(w−1)" versions):
//   center = (x + (w−1)/2, y + (h−1)/2); the box is widened or heightened to the aspect ratio;
//   scale = [w, h] / 200 × padding, in float32 as the official code computes it. The crop maps the
//   center to ((W−1)/2, (H−1)/2) and scales by (W−1)/(200·scale_w − 1); it is built with
//   cv::getAffineTransform from the same three float32 point pairs, so the matrices are identical.
// Errors: none (degenerate boxes give degenerate transforms). Thread-safety: pure functions.
#pragma once

#include "posescope/datasets/annotations.h"

#include <opencv2/core.hpp>

namespace posescope {

struct CenterScale {
    float cx = 0;
    float cy = 0;
    float sw = 0;  // box width / 200 (pixel_std), after aspect fixing and padding
    float sh = 0;
};

CenterScale boxToCenterScale(const Box& box, double aspectRatio = 0.75, double padding = 1.25);

/// The 2×3 (CV_64F) affine matrix from image to a crop of `outputSize`, or back when `inverse`.
/// `rotationDeg` rotates the source box (training augmentation; 0 at test time).
cv::Mat cropTransform(const CenterScale& cs, cv::Size outputSize, double rotationDeg = 0, bool inverse = false);

/// The crop itself: cv::warpAffine, bilinear, constant 0 border.
cv::Mat cropPerson(const cv::Mat& image, const CenterScale& cs, cv::Size outputSize, double rotationDeg = 0);

/// A point of a crop (or heatmap) of `size` mapped back to the image (transform_preds).
cv::Point2d fromCrop(cv::Point2d p, const CenterScale& cs, cv::Size size);
/// An image point mapped into a crop (or heatmap) of `size`.
cv::Point2d toCrop(cv::Point2d p, const CenterScale& cs, cv::Size size);

}  // namespace posescope
