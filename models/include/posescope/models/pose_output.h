// A model's raw output (PoseModel::forward) → keypoints, flip test and viewable heatmaps, for every
// output kind: heatmaps (TransPose, TokenPose/PPT, BTranspose) and SimCC (HRPVT).
//
// Usage:
//   const ModelInfo& info = model->info();
//   torch::Tensor out = model->forward(input);
//   out = averageFlip(out, flipBackOutput(info, model->forward(flipWidth(input)), pairs));
//   auto people = decodeOutputToImage(info, out, centerScales, {DecodeMethod::Dark});   // image pixels
//   torch::Tensor maps = outputHeatmaps(info, out);            // [N, K, h, w] to show or store
//
// Heatmaps: decodeHeatmaps with the options, in heatmap pixels; flipBack; the maps as they are.
// SimCC: decodeSimCC with info.simcc (the options' method and kernel are not used), in crop pixels
// (info.outputWidth/outputHeight are the input size, so the same fromCrop maps both kinds to the
// image); flipSimCC on each half; the maps are the outer product of the two axes' softmax
// distributions (the joint of independent x and y), summed into cells of k·4 bins: [N, K, H/4, W/4],
// the stride-4 grid of the heatmap families (a keypoint's map sums to 1).
// Errors: ModelError (pose_model.h) naming the expected shape for an output that does not fit
// `info`. Thread-safety: pure functions.
#pragma once

#include "posescope/datasets/crop.h"
#include "posescope/models/heatmap_decode.h"
#include "posescope/models/pose_model.h"

#include <torch/types.h>

#include <utility>
#include <vector>

namespace posescope::models {

/// N × K keypoints in output pixels (heatmap pixels, or crop pixels for SimCC).
std::vector<std::vector<Keypoint>> decodeOutput(const ModelInfo& info, const torch::Tensor& output,
                                                const DecodeOptions& options = {});

/// The size of decodeOutput's coordinate frame for `output`: its heatmaps' size, or the input
/// size for SimCC (what heatmapToImage needs to map decodeOutput's keypoints to the image).
cv::Size outputFrameSize(const ModelInfo& info, const torch::Tensor& output);

/// decodeOutput, then fromCrop with the output size: image pixels.
std::vector<std::vector<Keypoint>> decodeOutputToImage(const ModelInfo& info, const torch::Tensor& output,
                                                       const std::vector<CenterScale>& cs,
                                                       const DecodeOptions& options = {});

/// The output of the width-flipped input in the original's layout (average with averageFlip).
torch::Tensor flipBackOutput(const ModelInfo& info, const torch::Tensor& flippedOutput,
                             const std::vector<std::pair<int, int>>& flipPairs);

/// SimCC output [N, K, Wx + Wy] → (x logits [N, K, Wx], y logits [N, K, Wy]).
std::pair<torch::Tensor, torch::Tensor> splitSimCC(const ModelInfo& info, const torch::Tensor& output);

/// Heatmaps to view or record: [N, K, h, w] (see above for SimCC).
torch::Tensor outputHeatmaps(const ModelInfo& info, const torch::Tensor& output);

/// The size of outputHeatmaps' maps: the heatmap size, or input / 4 for SimCC.
cv::Size outputHeatmapSize(const ModelInfo& info);

}  // namespace posescope::models
