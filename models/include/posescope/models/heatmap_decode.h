// Heatmaps → keypoints, as the official pipelines decode them (lib/core/inference.py).
//
// Usage:
//   torch::Tensor hm = flipTest(forward, input, cocoSkeleton().flipPairs);    // [N, 17, 64, 48]
//   std::vector<posescope::CenterScale> cs = …;                              // one per sample
//   auto people = posescope::models::decodeToImage(hm, cs);                  // DARK, kernel 11
//   for (const auto& k : people[0]) draw(k.x, k.y, k.score);                // image pixels
//
//   using posescope::models::DecodeMethod;
//   auto raw = posescope::models::decodeHeatmaps(hm, {DecodeMethod::Argmax});  // heatmap pixels
//
// Methods (score = the raw maximum of each map in every case):
//   Argmax               get_max_preds: first maximum of the flattened map, x = i % w, y = i / w;
//                        (0, 0) where the maximum is <= 0 (or NaN).
//   ArgmaxQuarterOffset  HRNet's POST_PROCESS: ±0.25 px toward the higher neighbour, per axis, when
//                        1 < x < w−1 and 1 < y < h−1 (sign of hm[y][x+1] − hm[y][x−1] and so on).
//   Dark                 TransPose's default: Gaussian blur (ksize blurKernel, sigma from OpenCV)
//                        of the zero-padded map in float64, rescaled to the original maximum,
//                        log(max(hm, 1e-10)) in float32, one Newton step −H⁻¹∇ at the argmax
//                        when 1 < x < w−2, 1 < y < h−2 and det H != 0, with NumPy 1.x's dtypes.
// Image mapping: posescope::fromCrop(p, cs, {w, h}) — transform_preds with the (w−1) convention,
// for every method. Coordinates are rounded to float32, as the official arrays store them.
// Errors: posescope::Error for heatmaps that are not 4-D, a cs count != N, or an even/<3 kernel.
// Thread-safety: pure functions; safe to call concurrently.
#pragma once

#include "posescope/datasets/crop.h"
#include "posescope/models/decode_method.h"

#include <torch/types.h>

#include <vector>

namespace posescope::models {

struct DecodeOptions {
    DecodeMethod method = DecodeMethod::Dark;
    int blurKernel = 11;  // TEST.BLUR_KERNEL of the TransPose yamls (the cfg default is 3); odd, >= 3
};

struct Keypoint {
    double x = 0;
    double y = 0;
    double score = 0;  // maxval: the raw heatmap maximum
};

/// [N, K, h, w] heatmaps (any float dtype/device; decoded as float32 on the CPU) → N × K keypoints
/// in heatmap pixels.
std::vector<std::vector<Keypoint>> decodeHeatmaps(const torch::Tensor& heatmaps, const DecodeOptions& options = {});

/// Heatmap-pixel keypoints (decodeHeatmaps) through fromCrop(p, cs[n], heatmapSize) → image
/// pixels (float32-rounded, as transform_preds stores them); scores unchanged.
std::vector<std::vector<Keypoint>> heatmapToImage(std::vector<std::vector<Keypoint>> people,
                                                  const std::vector<CenterScale>& cs, cv::Size heatmapSize);

/// decodeHeatmaps, then heatmapToImage.
std::vector<std::vector<Keypoint>> decodeToImage(const torch::Tensor& heatmaps, const std::vector<CenterScale>& cs,
                                                 const DecodeOptions& options = {});

}  // namespace posescope::models
