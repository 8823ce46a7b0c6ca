// Flip testing as the official TransPose validation does it (lib/core/function.py::validate).
//
// Usage:
//   const auto& pairs = posescope::cocoSkeleton().flipPairs;
//   torch::Tensor out = model->forward(input);                                  // [N, K, h, w]
//   torch::Tensor flipped = model->forward(posescope::models::flipWidth(input));
//   torch::Tensor avg = posescope::models::averageFlip(out, posescope::models::flipBack(flipped, pairs));
//   // or in one call:
//   torch::Tensor avg2 = posescope::models::flipTest(
//       [&](const torch::Tensor& x) { return model->forward(x); }, input, pairs);
//
// TransPose does NOT shift the flipped heatmaps by one pixel: TEST.SHIFT_HEATMAP is in its yaml
// files but never read. With the (w−1) crop convention the mirror x' → W−1−x' of the input is
// exactly x → w−1−x on the heatmaps, so no shift is needed. (HRNet shifts; TransPose does not.)
// Errors: posescope::Error for a tensor that is not 4-D or a pair index outside [0, K).
// Thread-safety: pure functions; flipTest calls `forward` twice on the calling thread.
#pragma once

#include <torch/types.h>

#include <functional>
#include <utility>
#include <vector>

namespace posescope::models {

/// Reverses the last (width) dimension: np.flip(x, 3) on an [N, C, H, W] batch.
torch::Tensor flipWidth(const torch::Tensor& batch);

/// flip_back: flips [N, K, h, w] heatmaps along width, then swaps the channels of each pair.
torch::Tensor flipBack(const torch::Tensor& heatmaps, const std::vector<std::pair<int, int>>& flipPairs);

/// (output + flippedBack) * 0.5, in the tensors' dtype.
torch::Tensor averageFlip(const torch::Tensor& output, const torch::Tensor& flippedBack);

/// forward(input) and forward(flipWidth(input)), flipped back and averaged.
torch::Tensor flipTest(const std::function<torch::Tensor(const torch::Tensor&)>& forward, const torch::Tensor& input,
                       const std::vector<std::pair<int, int>>& flipPairs);

}  // namespace posescope::models
