// Read-only access to a recorded run for views and figures, without LibTorch types: the samples
// with the facts the workbench filters on, the crop image, the pose in crop pixels and the
// dependency maps, all as plain arrays.
//
// Usage:
//   auto run = RunBrowser::open("run.h5");                           // a SampleSource
//   for (const SampleFacts& f : run->facts()) if (f.occluded > 0 && f.oks < 0.5) …;
//   cv::Mat crop = run->crop(12);                                      // RGB, input size
//   SamplePose pose = run->pose(12);                                   // crop pixels
//   GridMap map = run->dependencyMap(12, {/*layer*/ 2, /*keypoint*/ 9});  // token grid
//
// Dependency maps come from the recorded rows (the query token under each predicted keypoint);
// "affect" maps, maps per head of one-head-per-row runs, and the map of any token (a clicked
// point) need a run recorded with --level full (the whole attention matrices): asking a run that
// lacks them throws RunFormatError with what to record instead.
// Errors: H5Error / RunFormatError (both posescope::FileError, naming the file) as RunReader.
// Thread-safety: one RunBrowser per thread; a RunBrowser is not shared between threads.
#pragma once

#include "posescope/analysis/occlusion_report.h"
#include "posescope/analysis/run_header.h"
#include "posescope/models/model_config.h"

#include <opencv2/core.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace posescope::analysis {

/// Per-sample facts for listing and filtering (computed once from the stored keypoints).
struct SampleFacts {
    int64_t row = 0, index = 0, imageId = 0, annotationId = 0;
    double boxArea = 0;     // w·h of the person box, original pixels
    int labelled = 0;       // keypoints with ground truth (v > 0)
    int visible = 0;        // v = 2
    int occluded = 0;       // v = 1 (labelled but covered)
    double oks = -1;        // OKS of the prediction against the ground truth (box area); −1 without GT
    double meanScore = 0;   // mean predicted keypoint score
    double meanError = -1;  // mean distance of labelled keypoints in crop pixels; −1 without GT
};

/// A sample's pose in crop (model input) pixels.
struct SamplePose {
    std::vector<std::array<float, 3>> groundTruth;          // (x, y, v) per keypoint; v = 0 unlabelled
    std::vector<std::array<float, 3>> predicted;            // (x, y, score)
    std::vector<std::vector<std::array<float, 3>>> layers;  // per layer: layer-wise keypoints (NaN if not recorded)
    std::array<float, 4> box{};                             // person box corners in the crop: x0, y0, x1, y1
};

/// How one keypoint's prediction forms over the layers (the layer-wise heatmaps decoded).
struct LayerStats {
    int layer = 0;
    float score = 0;       // peak of the layer-wise heatmap (NaN when not recorded)
    float toFinal = 0;     // distance to the final prediction, crop pixels (NaN when not recorded)
    float toTruth = 0;     // distance to the ground truth, crop pixels (NaN when unlabelled)
    float entropy = 0;     // of the keypoint's head-averaged dependency row, in bits
    float maxEntropy = 0;  // log2(tokens): a uniform row
};

/// PPT runs: which visual tokens each pruning kept, in the model's order, and the scores that
/// ranked them, on the token grid (row-major).
struct TokenPruning {
    std::vector<int> layers;                 // the layer (0-based) after whose attention each stage prunes
    std::vector<std::vector<float>> scores;  // per stage, per token: its score (NaN: pruned before)
    std::vector<std::vector<int>> ranks;     // per stage, per token: rank among the kept (0 = best), −1 pruned
    bool empty() const { return layers.empty(); }
    /// Per token: alive in `layer`'s attention (1) or pruned before it (0).
    std::vector<uint8_t> aliveAt(int layer) const;
};

struct RunSample;
/// A stored row's pruning stages (empty when the header has none); RunFormatError naming `path`
/// when the row's scores or ranks are not stages × tokens long.
TokenPruning tokenPruningOf(const RunSample& sample, const RunHeader& header, const std::string& path);
/// The token under a crop point, as the recorder picks query tokens (clamped to the grid).
int tokenUnder(const RunHeader& header, double cropX, double cropY);
/// The share of the tokens within `radius` cells of `token` (the square clamped to the grid) that
/// `alive` (per token, as TokenPruning::aliveAt) marks pruned.
double prunedShareAround(const std::vector<uint8_t>& alive, const RunHeader& header, int token, int radius);

/// Per-keypoint error against how much of its neighbourhood the pruning removed, over a run.
struct PruningErrorBin {
    double shareFrom = 0, shareTo = 0;  // share of the (2r+1)² tokens around the ground truth pruned
    int64_t count = 0;                  // labelled keypoints in the bin
    double meanError = 0;               // mean distance prediction – ground truth, crop pixels (NaN when empty)
};

enum class MapDirection { Dependency, Affect };

/// Which map: layer, keypoint (its predicted location is the query), head (−1 averages), or an
/// explicit query token (−1: the keypoint's). BTranspose runs: mhsaBlock ≥ 0 asks for that BoT
/// MHSA block's map instead of an encoder layer's (head then counts the MHSA's heads).
struct MapRequest {
    int layer = 0;
    int keypoint = 0;
    int head = -1;
    MapDirection direction = MapDirection::Dependency;
    int token = -1;
    int mhsaBlock = -1;
};

/// A map on the token grid (row-major, rows × cols) or on the heatmap grid.
struct GridMap {
    int rows = 0, cols = 0;
    std::vector<float> values;
    float maxValue() const;
    float minValue() const;
};

/// Occlusion runs with targeted occlusions: what hiding one region (around a keypoint or a body
/// part) did (crop pixels).
struct TargetedView {
    int hidden = 0;                              // the region: keypoint r < K, else body part r − K
    std::string name;                            // the keypoint's or the part's name
    std::vector<int> keypoints;                  // the keypoints hidden together ({r} for a keypoint)
    std::array<int, 4> region{};                 // x, y, w, h
    std::vector<std::array<float, 3>> after;     // every keypoint's prediction then (x, y, score)
    std::vector<float> shareBefore, shareAfter;  // layers × K: each row's mass on the region
};

/// What the workbench lists and draws: a recorded run (RunBrowser) or a dataset without model
/// results (DatasetBrowser, dataset_browser.h).
class SampleSource {
public:
    virtual ~SampleSource() = default;
    /// The description. A dataset fills keypoint names, skeleton, input size and its files, with
    /// no layers (layers = 0) and no model.
    virtual const RunHeader& header() const = 0;
    /// The run file, or the dataset's annotation file.
    virtual const std::string& path() const = 0;
    virtual int64_t size() const = 0;
    /// Facts of every row (read on first use, then cached).
    virtual const std::vector<SampleFacts>& facts() const = 0;
    /// The crop the model sees (RGB, CV_8UC3, input size).
    virtual cv::Mat crop(int64_t row) const = 0;
    /// The pose in crop pixels (a dataset has no prediction: `predicted` is empty).
    virtual SamplePose pose(int64_t row) const = 0;
    /// The affine map image → crop pixels of a row (2×3 row-major, cv::warpAffine's matrix).
    virtual std::array<double, 6> cropTransform(int64_t row) const = 0;
    /// The original image of a row (RGB, CV_8UC3). A run finds it through the dataset and image
    /// folder it was recorded from (as recorded, or relative to the run's folder); FileError
    /// naming the run and what is missing when they are gone (the crop view still works).
    virtual cv::Mat image(int64_t row) const = 0;
    /// The original image's file of a row.
    virtual std::string imagePath(int64_t row) const = 0;
};

class RunBrowser : public SampleSource {
public:
    /// Opens a run (complete or killed); throws as RunReader::open.
    static std::unique_ptr<RunBrowser> open(const std::string& path);
    ~RunBrowser() override;

    const RunHeader& header() const override;
    const std::string& path() const override;
    int64_t size() const override;
    const std::vector<SampleFacts>& facts() const override;
    /// The stored crop decoded to RGB (CV_8UC3, input size).
    cv::Mat crop(int64_t row) const override;
    /// The stored crop's JPEG bytes.
    std::string cropJpeg(int64_t row) const;
    SamplePose pose(int64_t row) const override;
    std::array<double, 6> cropTransform(int64_t row) const override;
    cv::Mat image(int64_t row) const override;
    std::string imagePath(int64_t row) const override;
    /// The token grid map of a request; throws RunFormatError when the run lacks what it needs.
    GridMap dependencyMap(int64_t row, const MapRequest& request) const;
    /// The token under a crop point (as the recorder picks query tokens).
    int tokenAt(float cropX, float cropY) const;
    /// Per layer: score, distances and attention entropy of one keypoint.
    std::vector<LayerStats> layerStats(int64_t row, int keypoint) const;
    /// One keypoint's final heatmap, or with keypoint −1 the maximum over keypoints; level ≥ heatmaps.
    GridMap heatmap(int64_t row, int keypoint) const;
    bool hasHeatmaps() const;
    /// The model configuration the run was recorded with (every key, overrides applied), to run
    /// the same model again. ConfigError / FileError when the stored JSON cannot be read back.
    models::ModelConfig modelConfig() const;
    bool hasAttention() const;
    /// The pruning of a row (empty for runs without token pruning).
    TokenPruning tokenPruning(int64_t row) const;
    bool hasPruning() const { return header().pruningStages() > 0; }
    /// Over every row: each labelled keypoint's error, binned by the share of its neighbourhood
    /// (the tokens within `radius` of the ground truth's, clamped to the grid) pruned before the
    /// last layer. `keypoints` empty: all. RunFormatError for a run without pruning.
    std::vector<PruningErrorBin> pruningError(const std::vector<int>& keypoints, int radius = 1, int bins = 5) const;
    /// Occlusion runs (posescope-cli occlude; RunFormatError otherwise):
    bool hasOcclusion() const { return header().hasOcclusion(); }
    bool hasTargeted() const { return header().hasOcclusion() && header().targetedMargin > 0; }
    /// One keypoint's sensitivity over the crop (input size; each pixel the mean over the
    /// windows covering it).
    GridMap sensitivityMap(int64_t row, int keypoint, SensitivityMeasure measure) const;
    /// What hiding targeted region `hidden` did (header().targetedRegions(): one per keypoint,
    /// then one per body part), and a keypoint's dependency map in `layer` then (token grid;
    /// compare with dependencyMap): the hidden keypoint's own, or for a part the mean of its
    /// keypoints' (keypoint −1), or any keypoint's in runs recorded with --targeted-all-rows
    /// (RunFormatError otherwise).
    TargetedView targeted(int64_t row, int hidden) const;
    GridMap targetedMap(int64_t row, int hidden, int layer, int keypoint = -1) const;
    bool hasTargetedAllRows() const { return hasTargeted() && header().targetedAllRows; }
    /// The whole run summarised (occlusion_report.h).
    OcclusionReport occlusionReport(const OcclusionReportOptions& options = {}) const;

private:
    struct State;
    explicit RunBrowser(std::unique_ptr<State> s);
    std::unique_ptr<State> m;
};

}  // namespace posescope::analysis
