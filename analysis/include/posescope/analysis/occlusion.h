// Occlusion analysis: how each keypoint's prediction reacts when part of the input is hidden,
// and whether the model's attention points where the occlusion hurts.
//
// Usage:
//   OcclusionOptions o;  o.size = 32;  o.stride = 16;  o.fill = OccluderFill::Mean;  o.batch = 32;
//   OcclusionTarget gt;  gt.keypoints = annotation.keypoints;  gt.area = annotation.area;
//   SensitivityResult r = slidingOcclusion(*model, imageRgb, centerScale, o, gt);
//   torch::Tensor drop = r.map(9, SensitivityMeasure::ScoreDrop);       // [rows, cols], left wrist
//   torch::Tensor onCrop = sensitivityOnCrop(r, 9, SensitivityMeasure::Displacement);   // [H, W]
//   Agreement a = attentionAgreement(dependencyGrid, sensitivityOnGrid(r, 9, measure, 8, 6));
//   cv::Rect hidden = keypointRegion({wristInCrop}, 16, {192, 256});
//   TargetedOcclusionResult t = targetedOcclusion(*model, imageRgb, centerScale, hidden, o);
//   torch::Tensor moved = t.regionShareAfter - t.regionShareBefore;   // [layers, K]
//
// The crop of the person (the model input, as record makes it) is occluded by a size × size
// window in crop pixels at every position of a grid (top-left corners 0, stride, 2·stride, …, the
// last one flush with the border), filled with: the ImageNet mean colour (the mean the models
// normalise with), black, a Gaussian blur of the crop (σ `blurSigma`), uniform noise (one seeded
// noise image, so every window of a run sees the same noise), or a texture patch resized to the
// window. The variants go through the model `batch` at a time (one forward pass each; the results
// do not depend on the batch size). Per window and keypoint: the keypoint's score (heatmap peak,
// or SimCC's min of the two maxima) and its drop from the unoccluded pass, the displacement of the
// prediction from the unoccluded one (image pixels), and the keypoint's OKS term against the
// ground truth (exp(−d²/(2·area·(2σ_k)²)), NaN without a labelled GT) and its drop. A pixel's
// value on the crop is the mean over the windows covering it (Zeiler & Fergus).
// Targeted occlusion hides one region (around a keypoint or a body part) and reports how every
// keypoint's prediction and dependency rows (models::PoseModel traces, as record stores them)
// change, layer by layer: where does attention go when its target disappears?
// Agreement between an attention map and a sensitivity map on the same grid: Spearman's rank
// correlation (average ranks for ties) and the overlap of their top-k cells (k = ⌈fraction·cells⌉).
//
// Errors: posescope::Error for invalid options (size or stride < 1, size larger than the input,
// batch < 1, an empty texture for the texture fill, an empty region) and maps of different sizes; ModelError from
// the model. Thread-safety: the functions only read the model; concurrent calls are safe.
#pragma once

#include "posescope/analysis/occlusion_report.h"
#include "posescope/datasets/crop.h"
#include "posescope/models/heatmap_decode.h"
#include "posescope/models/pose_model.h"

#include <torch/types.h>
#include <opencv2/core.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace posescope::analysis {

enum class OccluderFill { Mean, Black, Blur, Noise, Texture };
/// "mean", "black", "blur", "noise", "texture"; parseOccluderFill throws posescope::Error otherwise.
std::string occluderFillName(OccluderFill fill);
OccluderFill parseOccluderFill(const std::string& name);

struct OcclusionOptions {
    int size = 32;    // window side, crop pixels
    int stride = 16;  // crop pixels
    OccluderFill fill = OccluderFill::Mean;
    double blurSigma = 8;  // Blur
    uint64_t seed = 1;     // Noise
    cv::Mat texture;       // Texture: RGB 8-bit, resized to the window
    int batch = 32;        // occluded variants per forward pass
    models::DecodeOptions decode;
    std::function<void(int64_t done, int64_t total)> progress;  // after each batch
    std::function<bool()> cancel;                               // true: stop after the current batch
};

/// The ground truth of the person, for the OKS terms (optional).
struct OcclusionTarget {
    std::vector<double> keypoints;  // K × (x, y, v) in image pixels; empty: no OKS
    double area = 0;                // the GT's COCO area (pixels²)
    std::vector<double> sigmas;     // per keypoint; empty: COCO's (17 keypoints) or 0.089
};

struct SensitivityResult {
    int rows = 0, cols = 0;                   // the window grid
    std::vector<cv::Rect> windows;            // rows × cols, row-major, crop pixels
    cv::Size inputSize;                       // the crop
    std::vector<models::Keypoint> reference;  // unoccluded predictions, image pixels
    std::vector<double> referenceOks;         // per keypoint, NaN without GT
    torch::Tensor score;                      // [P, K] float64, P = rows·cols; NaN where not evaluated
    torch::Tensor scoreDrop;                  // [P, K] reference score − score
    torch::Tensor displacement;               // [P, K] image pixels from the reference prediction
    torch::Tensor oks;                        // [P, K] OKS term; NaN without GT
    torch::Tensor oksDrop;                    // [P, K] reference OKS − OKS
    int64_t evaluated = 0;                    // windows evaluated (P unless cancelled)
    bool cancelled = false;

    /// [rows, cols] of one keypoint and measure.
    torch::Tensor map(int keypoint, SensitivityMeasure measure) const;
};

/// The sliding-window analysis of one person: `imageRgb` (8-bit RGB) cropped at `cs` to the
/// model's input size.
SensitivityResult slidingOcclusion(const models::PoseModel& model, const cv::Mat& imageRgb, const CenterScale& cs,
                                   const OcclusionOptions& options, const OcclusionTarget& target = {});

/// [H, W] (the crop): each pixel's mean over the windows covering it (0 where none does).
torch::Tensor sensitivityOnCrop(const SensitivityResult& result, int keypoint, SensitivityMeasure measure);
/// The crop map averaged into a rows × cols grid (e.g. the token grid), [rows, cols].
torch::Tensor sensitivityOnGrid(const SensitivityResult& result, int keypoint, SensitivityMeasure measure, int rows,
                                int cols);

/// The box of crop points (e.g. a keypoint, or the keypoints of a body part) grown by `margin`
/// pixels on every side and clipped to the crop of size `input`.
cv::Rect keypointRegion(const std::vector<cv::Point2d>& cropPoints, int margin, cv::Size input);

/// One region occluded: every keypoint's prediction and dependency rows before and after.
struct TargetedOcclusionResult {
    cv::Rect region;                                  // crop pixels
    std::vector<models::Keypoint> before, after;      // image pixels
    int gridRows = 0, gridCols = 0;                   // the token grid (0 for models without a trace)
    std::vector<int32_t> queryBefore, queryAfter;     // [K]: each keypoint's query cell
    torch::Tensor dependencyBefore, dependencyAfter;  // [layers, K, T] head-averaged rows (undefined without layers)
    torch::Tensor regionShareBefore,
        regionShareAfter;  // [layers, K]: each row's mass on the cells whose centre is in the region
};

/// Occludes `region` of the crop (fill as in `options`; texture resized to the region) and traces
/// the model before and after.
TargetedOcclusionResult targetedOcclusion(const models::PoseModel& model, const cv::Mat& imageRgb,
                                          const CenterScale& cs, const cv::Rect& region,
                                          const OcclusionOptions& options);
/// targetedOcclusion for several regions of one crop: one unoccluded pass, then the occluded
/// variants `options.batch` at a time (equal to one call per region).
std::vector<TargetedOcclusionResult> targetedOcclusions(const models::PoseModel& model, const cv::Mat& imageRgb,
                                                        const CenterScale& cs, const std::vector<cv::Rect>& regions,
                                                        const OcclusionOptions& options);

/// The sliding windows' grid for an input: cv::Size(columns, rows); and the windows, row-major.
cv::Size occlusionGrid(cv::Size input, int size, int stride);
std::vector<cv::Rect> occlusionWindows(cv::Size input, int size, int stride);

/// Each cell of a rows × cols grid over the crop of `input` size taken at `cs`: the share of its
/// area inside `imageMask` (8-bit, the image's size, nonzero inside), [rows, cols] float32 in
/// [0, 1] (e.g. where an occluder lies on the token grid).
torch::Tensor maskCoverage(const cv::Mat& imageMask, const CenterScale& cs, cv::Size input, int rows, int cols);

/// One sample's sliding-occlusion result rebuilt from an occlusion run (occlusion_report.h):
/// windows, reference predictions and the maps, as slidingOcclusion made them.
SensitivityResult storedSensitivity(const RunReader& run, int64_t row);

struct Agreement {
    double spearman = 0;     // rank correlation (NaN when a map is constant)
    double topKOverlap = 0;  // |top-k(a) ∩ top-k(b)| / k
    int k = 0;
};
/// Two maps of the same shape (e.g. a dependency grid and sensitivityOnGrid).
Agreement attentionAgreement(const torch::Tensor& attention, const torch::Tensor& sensitivity,
                             double topFraction = 0.1);

/// [2, layers, K] float64 of one sample of an occlusion run: per layer and keypoint the Spearman
/// correlation (NaN where undefined) and top-k overlap of its dependency map and its sensitivity
/// map averaged onto the token grid.
torch::Tensor sampleAgreement(const RunReader& run, int64_t row,
                              SensitivityMeasure measure = SensitivityMeasure::ScoreDrop, double topFraction = 0.1);

}  // namespace posescope::analysis
