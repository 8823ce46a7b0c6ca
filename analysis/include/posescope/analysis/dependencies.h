// Keypoint dependencies (TransPose's "dependency areas") and layer-wise heatmaps from a trace.
//
// Usage:
//   models::Trace trace;  torch::Tensor hm = model->forward(input, &trace);
//   auto queries = keypointQueries(decodeHeatmaps(hm)[0], model->info());          // crop pixels
//   int token = queryToken(queries[9], trace.layers[2], model->info());             // left wrist
//   torch::Tensor grid = attentionMap(trace.layers[2], token, AttentionDirection::Dependency);
//   torch::Tensor crop = upsampleToCrop(grid, model->info());                        // [H, W]
//   cv::Mat onImage = cropMapToImage(crop, centerScale, image.size());
//   std::vector<torch::Tensor> perLayer = layerwiseHeatmaps(*model, trace);          // head on each layer
//   KeypointRows rows = keypointRows(*model, trace, decodeOutput(model->info(), hm), 768);  // each layer
//
// As visualize.py defines them: the query token of a crop point is (int(y/ds), int(x/ds)) with
// ds the encoder's stride; "dependency" is the query's attention row (where it draws from, sums
// to 1), "affect" its column (who attends to it); maps are head-averaged unless a head is chosen;
// upsampling is bilinear with align_corners=false. Families with prefix tokens (TokenPose) and
// pruned layers (PPT) are handled through LayerTrace::visualTokens: pruned positions are 0.
// Errors: ModelError for an out-of-range token or head. Thread-safety: pure functions.
#pragma once

#include "posescope/datasets/crop.h"
#include "posescope/models/heatmap_decode.h"
#include "posescope/models/pose_model.h"

#include <opencv2/core.hpp>

#include <cstdint>
#include <vector>

namespace posescope::analysis {

enum class AttentionDirection { Dependency, Affect };

/// Predicted keypoints in output coordinates (models::decodeOutput) → crop pixels (heatmaps:
/// × input/heatmap + 0.5, as the demo; SimCC: as they are).
std::vector<cv::Point2d> keypointQueries(const std::vector<models::Keypoint>& heatmapKeypoints,
                                         const models::ModelInfo& info);
/// The grid index (row·cols + col) of the token under a crop point, clamped to the grid.
int queryToken(cv::Point2d cropPoint, const models::LayerTrace& layer, const models::ModelInfo& info);
/// [gridRows, gridCols] attention of sample `sample` between the token and every visual token.
torch::Tensor attentionMap(const models::LayerTrace& layer, int token, AttentionDirection direction, int head = -1,
                           int sample = 0);
/// A grid map bilinearly upsampled to the model input (crop) size; values ≤ threshold set to 0
/// when threshold > 0.
torch::Tensor upsampleToCrop(const torch::Tensor& grid, const models::ModelInfo& info, double threshold = 0);
/// A crop-sized map warped back onto the original image (CV_32F, image size).
cv::Mat cropMapToImage(const torch::Tensor& cropMap, const CenterScale& cs, cv::Size imageSize);
/// Every traced layer's attention rows of each keypoint's query on the whole grid of `gridTokens`
/// cells (visual columns only; pruned tokens 0): the keypoint's own token (token models) or the
/// visual token under its prediction. `outputKeypoints` are decodeOutput's, one list per sample.
/// ModelError for a pass without traced layers.
struct KeypointRows {
    std::vector<torch::Tensor> perHead;        // per layer [N, heads, K, T]
    std::vector<torch::Tensor> mean;           // per layer [N, K, T], averaged over heads
    std::vector<std::vector<int32_t>> tokens;  // [N][K]: the grid cell under each prediction
};
KeypointRows keypointRows(const models::PoseModel& model, const models::Trace& trace,
                          const std::vector<std::vector<models::Keypoint>>& outputKeypoints, int64_t gridTokens);
/// The model's head applied to every layer's tokens: one heatmap tensor per layer. `passOutput`,
/// the output of the traced pass itself (unflipped), stands for the last layer when given: it is
/// the head on the last layer's tokens, and a deconvolution head (TransPose-R) is costly.
std::vector<torch::Tensor> layerwiseHeatmaps(const models::PoseModel& model, const models::Trace& trace,
                                             const torch::Tensor& passOutput = {});

}  // namespace posescope::analysis
