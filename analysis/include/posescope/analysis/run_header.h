// The description of a recorded run (attributes of "/" in docs/hdf5-schema.md), without the
// arrays: what views, the CLI and resume/merge checks need to know about a run.
//
// Usage:
//   const RunHeader& h = reader.header();              // RunReader or RunBrowser
//   std::cout << h.modelFamily << ", " << h.layers << " layers, level " << runLevelName(h.level);
//   if (auto d = identityDifference(a, b)) std::cerr << d->attribute << " differs\n";
//   if (!sampleDifference(a, b)) …;                     // same samples: compare row by row
//
// Errors: parseRunLevel throws std::invalid_argument. Thread-safety: plain values.
#pragma once

#include "posescope/datasets/skeleton.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace posescope::analysis {

/// What is stored per sample beyond keypoints: dependencies, the crop and layer-wise keypoints
/// always; heatmaps (float16) from Heatmaps up; full attention matrices (float16) only at Full.
enum class RunLevel { Keypoints, Heatmaps, Full };
std::string runLevelName(RunLevel level);
/// "keypoints", "heatmaps" or "full"; throws std::invalid_argument otherwise.
RunLevel parseRunLevel(const std::string& name);

/// The run's description, stored as attributes of "/" (names in docs/hdf5-schema.md).
struct RunHeader {
    std::string modelFamily, modelVariant;
    std::string config;        // the full model configuration as a JSON object
    std::string configSource;  // preset name or YAML file
    std::string checkpoint, checkpointSha256;
    std::string datasetKind;  // "coco" or "mpii"
    std::string dataset, datasetSha256, images;
    std::string boxes, boxesSha256;  // detections file, "" for ground-truth boxes
    std::string selection;           // "all", "first N" or "image ids …"
    std::vector<std::string> keypointNames;
    std::vector<std::pair<int, int>> skeleton;  // 0-based keypoint pairs
    std::vector<std::pair<int, int>> flipPairs;
    int inputWidth = 0, inputHeight = 0, heatmapWidth = 0, heatmapHeight = 0;
    int gridRows = 0, gridCols = 0, layers = 0, heads = 0;
    /// Keypoint tokens before the visual ones (TokenPose/PPT: 17; their dependency rows are the
    /// keypoint tokens' attention to the visual tokens); 0 for TransPose (rows of the visual token
    /// under each predicted keypoint).
    int keypointTokens = 0;
    /// PPT: the layers (0-based) after whose attention visual tokens are pruned, and the share
    /// kept at each; empty and 1 without pruning.
    std::vector<int> pruningLayers;
    double keepRatio = 1;
    /// BTranspose: the MHSA blocks of its BoT groups and their heads (0 for other families); their
    /// attention lies on the same token grid as the encoder's.
    int mhsaBlocks = 0, mhsaHeads = 0;
    /// Occlusion runs (`posescope-cli occlude`; occlusionWindow is 0 in a plain record): the
    /// sliding occluder's side and stride in crop pixels, its grid of windows, the fill with its
    /// settings as JSON ({"fill": "blur", "blur_sigma": 8, …}) and the margin of the regions hidden
    /// around each keypoint (0: no targeted occlusion).
    int occlusionWindow = 0, occlusionStride = 0, occlusionRows = 0, occlusionCols = 0;
    std::string occlusionFill;
    int targetedMargin = 0;
    bool targetedAllRows = false;  // every keypoint's rows after each targeted occlusion are kept
    /// The body parts hidden as one region each after the keypoints' regions (targeted region
    /// r ≥ keypoints() is part r − keypoints()); empty in runs recorded before parts existed.
    std::vector<BodyPart> targetedParts;
    std::string decoder = "dark";
    bool flip = false;
    bool layerwise = true;  // false: layer_keypoints hold NaN (recorded with --no-layerwise)
    RunLevel level = RunLevel::Keypoints;
    int shardIndex = 0, shardCount = 1;
    int64_t totalSamples = 0;  // samples of the whole (unsharded) selection
    int64_t firstIndex = 0;    // this file's slice: [firstIndex, firstIndex + plannedSamples)
    int64_t plannedSamples = 0;
    std::string posescopeVersion, created;
    // Written by finish(); empty/false while recording or after a crash.
    bool complete = false;
    std::string finished;
    int64_t skippedSamples = 0;

    int keypoints() const { return static_cast<int>(keypointNames.size()); }
    int tokens() const { return gridRows * gridCols; }
    int pruningStages() const { return static_cast<int>(pruningLayers.size()); }
    bool hasOcclusion() const { return occlusionWindow > 0; }
    int occlusionWindows() const { return occlusionRows * occlusionCols; }
    /// Targeted regions: one per keypoint, then one per body part (0 without targeted occlusion).
    int targetedRegions() const {
        return targetedMargin > 0 ? keypoints() + static_cast<int>(targetedParts.size()) : 0;
    }
    /// The keypoints hidden together in targeted region r ({r} for r < keypoints()).
    std::vector<int> targetedRegionKeypoints(int r) const;
    /// The keypoint's or the part's name of targeted region r.
    std::string targetedRegionName(int r) const;
};

/// The first attribute (of checkpoint_sha256, config, dataset_sha256, boxes_sha256, selection,
/// level, flip, layerwise, decoder, the occlusion settings, shard count, total_samples) on which two headers differ:
/// resume and merge accept only runs that agree on all of them.
struct RunDifference {
    std::string attribute, first, second;
};
std::optional<RunDifference> identityDifference(const RunHeader& a, const RunHeader& b);
/// The first attribute (dataset_sha256, boxes_sha256, selection, keypoints, first_index) on which
/// two runs' samples differ: runs of different models over the same samples agree on all of them,
/// so their rows can be compared one by one (side by side).
std::optional<RunDifference> sampleDifference(const RunHeader& a, const RunHeader& b);
/// The layer of a `toLayers`-layer model at the same relative depth as `layer` of a
/// `fromLayers`-layer one (the layer's middle); −1 stays −1 (every layer).
int layerAtSameDepth(int layer, int fromLayers, int toLayers);
/// A file a run names as it was given when recording (its dataset, image folder): as it is when it
/// exists or is absolute, else relative to the run's folder when it is there (a run moved with its
/// data, or read from another working folder), else as recorded.
std::string locateRecordedFile(const std::string& recorded, const std::string& runPath);

}  // namespace posescope::analysis
