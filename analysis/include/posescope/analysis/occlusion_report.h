// Occlusion runs (`posescope-cli occlude`, record.h's OcclusionRecipe) summarised: does a layer's
// attention point where hiding the input hurts, where does attention go when a keypoint's region
// is hidden, and how do occluded keypoints differ from visible ones — one report per run (per
// model), so models can be set side by side.
//
// Usage:
//   RunReader run = RunReader::open("occ.h5");
//   OcclusionReport r = occlusionReport(run);
//   for (int l = 0; l < r.layers; ++l)
//       std::cout << l << ' ' << r.all.spearman[l] << ' ' << r.all.topKOverlap[l] << '\n';
//
// Agreement: per sample, layer and keypoint, the head-averaged dependency row on the token grid
// against the sensitivity map averaged onto the same grid (sensitivityOnGrid), by
// attentionAgreement. A map without variation (no window changed the keypoint) has no Spearman
// and is left out of the Spearman means; top-k overlap is always defined. Means are over the
// (sample, keypoint) pairs that have a value; `visible` and `occluded` keep the labelled
// keypoints with v = 2 and v = 1. Targeted: per layer, the mean share of the hidden keypoint's
// own row on its hidden region before and after hiding it, the same for every other keypoint's
// row, and the mean displacement (image pixels) of the hidden keypoint's prediction and of the
// others'; the same per body part (`parts`: its keypoints hidden, the others not). `visibility` is visibilityStats(run)
// (with the occluder share). One sample's maps come back through occlusion.h (storedSensitivity, sampleAgreement) or,
// without LibTorch types, through RunBrowser (run_browser.h).
// Errors: RunFormatError for a run without occlusion arrays (a plain record), posescope::Error
// for a top fraction outside (0, 1]. Thread-safety: reads `run` only; as RunReader. The header
// includes no LibTorch type.
#pragma once

#include "posescope/analysis/visibility_stats.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace posescope::analysis {

class RunReader;  // run_store.h

/// Which effect of an occluder a sensitivity map shows: the keypoint's score drop, how far its
/// prediction moves (image pixels), or the drop of its OKS term.
enum class SensitivityMeasure { ScoreDrop, Displacement, OksDrop };
/// "score", "displacement", "oks"; parseSensitivityMeasure throws posescope::Error otherwise.
std::string sensitivityMeasureName(SensitivityMeasure measure);
SensitivityMeasure parseSensitivityMeasure(const std::string& name);

struct OcclusionReportOptions {
    SensitivityMeasure measure = SensitivityMeasure::ScoreDrop;
    double topFraction = 0.1;
    std::function<void(int64_t done, int64_t total)> progress;
    std::function<bool()> cancel;
};

struct LayerAgreement {
    std::vector<double> spearman, topKOverlap;  // per layer, means
    std::vector<int64_t> spearmanCount, count;  // per layer: pairs in each mean
};

/// Targeted occlusion of one body part over a run: the part's keypoints ("hidden") against the
/// others, as OcclusionReport's keypoint-region means.
struct PartEffect {
    std::string name;
    std::vector<int> keypoints;
    std::vector<double> hiddenShareBefore, hiddenShareAfter;  // per layer: the part's keypoints' rows on it
    std::vector<double> otherShareBefore, otherShareAfter;    // per layer: every other keypoint's
    double hiddenDisplacement = 0, otherDisplacement = 0;     // image pixels
};

struct OcclusionReport {
    int layers = 0, keypoints = 0;
    int64_t samples = 0;
    LayerAgreement all, visible, occluded;
    std::vector<double> keypointSpearman;  // layers × K, means over samples
    std::vector<double> peakScoreDrop;     // per keypoint: mean over samples of its largest score drop
    bool targeted = false;
    std::vector<double> hiddenShareBefore, hiddenShareAfter;  // per layer
    std::vector<double> otherShareBefore, otherShareAfter;    // per layer
    double hiddenDisplacement = 0, otherDisplacement = 0;     // image pixels
    std::vector<PartEffect> parts;                            // the run's body parts, in its order
    VisibilityStats visibility;
    bool cancelled = false;
};

OcclusionReport occlusionReport(const RunReader& run, const OcclusionReportOptions& options = {});

}  // namespace posescope::analysis
