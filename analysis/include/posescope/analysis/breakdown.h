// Accuracy breakdowns of one recorded COCO-format run: AP/AR for the whole run, per person size and
// per number of people in the crop, and the per-keypoint error by visibility, size, people in the
// crop and (PPT) the share of the tokens around the keypoint that were pruned.
//
// Usage:
//   using namespace posescope::analysis;
//   RunBreakdown b = breakdownRun("run.h5");                 // the annotation file the run names
//   for (const AccuracyBin& a : b.byCrowding) std::cout << a.label << ' ' << a.ap << ' ' << a.persons << '\n';
//   const ErrorSum& e = b.errors.byVisibility.at(/*occluded*/ 1, /*keypoint*/ 9);
//   std::cout << e.mean() << " over " << e.count << " occluded left wrists\n";
//
// Input: cocoInputOfRun (run_scales.h): the images the run covers, all their annotations, and the
// rows rescored and OKS-NMS'd as `eval run.h5` scores them.
// Persons: a GT person is evaluated when not crowd and num_keypoints > 0 (COCOeval's ignore rule);
// `persons` counts the evaluated GTs of a bin.
// People in the crop: of a row, the number of evaluated GT persons of its image whose box (bbox,
// positive-area overlap) intersects the row's crop: the image region center ± 100·scale of the
// stored center and scale (the crop's extent); for a GT-box row that includes the person itself. A GT person's count is
// that of the first row recorded from it, or, when the run has no row of it (a detection run, a subset cutting an
// image), that of the official crop of its own box (boxToCenterScale with the input's aspect ratio and 1.25 padding).
// Bins are given by ascending lower bounds (default 1, 2, 3: "1", "2", "3+"); the first bin also
// takes counts below its bound (a detected box over no labelled person counts 0).
// Accuracy: one evaluateCocoKeypoints (pycocotools-exact) with "all" and the size bins as area
// ranges, so the whole run and the size bins are COCO's numbers (pycocotools' inclusive bounds: a
// person whose area is exactly a shared bound, 32² or 96², counts in both neighbouring size bins;
// unmatched predictions are ignored outside a bin by their keypoint extent's area). Per people-in-
// crop bin a second evaluation with the ignore hooks: GTs outside the bin are ignored, and so are
// predictions matched (at that OKS threshold, in the whole run's evaluation) to a GT outside it,
// and unmatched predictions whose row lies outside it (predictions are traced back to their rows
// through RunCocoInput::predictionRows).
// Keypoint errors: over the rows recorded from a labelled (v > 0 somewhere), non-crowd GT person
// with area > 0 (scaledPosesOfRun's rows; area ≤ 0 ones are counted in skippedWithoutArea), each
// labelled keypoint's ‖prediction − GT‖ / sqrt(GT area) (the row's final keypoints, unprocessed).
// Every breakdown partitions those keypoints, so in each the bins' counts and sums add up to the
// totals (up to floating-point summation order for the sums): visibility "visible" (v ≥ 2) and
// "occluded" (0 < v < 2); size bins half-open [min, max) (the last one closed), which is why they
// must be contiguous from 0; people-in-crop bins by the row's own count; pruned share (runs of a
// token-pruning model only, else empty): the share of the tokens within `pruningRadius` cells of
// the token under the GT keypoint (mapped into the crop by the stored crop transform, clamped to the
// grid; the neighbourhood clamped too) that are not alive after the last pruning, as
// RunBrowser::pruningError (run_browser.h) and the `pruning` figure compute it; bins "0" (nothing
// pruned) then (e_{i−1}, e_i] for the edges e (default 0.5, 1).
//
// Errors: FileError naming the run for a run that is not COCO-format, for keypoints without OKS
// sigmas and for what the evaluation refuses; EvaluationError (coco_eval.h) for invalid options
// (bins not contiguous from 0, labels repeated, bounds not ascending, edges not ending at 1, a
// negative radius); FileError naming the annotation file (CocoDataset::load); H5Error /
// RunFormatError as RunReader::open and RunReader's reads.
// Thread-safety: pure functions of their arguments; a RunReader must not be shared between threads
// (the path overload opens its own). The header includes no LibTorch type.
#pragma once

#include "posescope/analysis/coco_eval.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace posescope::analysis {

class RunReader;      // run_store.h
struct RunCocoInput;  // run_scales.h

struct BreakdownOptions {
    /// Person size bins (areas in pixels²), contiguous from 0: each max is the next min. Default:
    /// small [0, 32²], medium [32², 96²], large [96², 1e10] (scale_analysis.h's bands without "all").
    std::vector<AreaRange> sizeBins = {
        {"small", 0, 32.0 * 32}, {"medium", 32.0 * 32, 96.0 * 96}, {"large", 96.0 * 96, 1e10}};
    /// Lower bounds of the people-in-crop bins, strictly ascending, ≥ 0; the last bin is open ("3+").
    std::vector<int> crowdingBins = {1, 2, 3};
    /// Upper edges of the pruned-share bins after the bin "0": ascending in (0, 1], the last 1.
    std::vector<double> prunedShareEdges = {0.5, 1};
    int pruningRadius = 1;  // the neighbourhood: (2r + 1)² token cells, clamped to the grid
    CocoEvalOptions eval;   // sigmas (one per keypoint) and maxDets; area ranges and hooks are set here
};

/// One bin's pycocotools summary numbers (−1 where the bin has no evaluated GT).
struct AccuracyBin {
    std::string label;
    double ap = -1;       // OKS .50:.95
    double ap50 = -1;     // OKS .50
    double ap75 = -1;     // OKS .75
    double ar = -1;       // OKS .50:.95
    int64_t persons = 0;  // evaluated GTs in the bin
};

/// A sum of normalised keypoint errors, kept as count and sum so that bins add up.
struct ErrorSum {
    int64_t count = 0;  // labelled keypoints
    double sum = 0;     // Σ ‖prediction − GT‖ / sqrt(GT area)
    /// sum / count; NaN when count is 0.
    double mean() const;
};

/// One breakdown of the keypoint errors: bins × keypoints.
struct ErrorBins {
    std::vector<std::string> labels;  // one per bin
    int keypoints = 0;
    std::vector<ErrorSum> overall;      // [bin]: every keypoint
    std::vector<ErrorSum> perKeypoint;  // [bin][keypoint], row-major
    /// perKeypoint of (bin, keypoint); EvaluationError when out of range.
    const ErrorSum& at(std::size_t bin, int keypoint) const;
};

struct KeypointErrorBreakdown {
    int keypoints = 0;
    ErrorSum overall;                   // every labelled keypoint of the poses
    std::vector<ErrorSum> perKeypoint;  // [keypoint]
    ErrorBins byVisibility;             // "visible" (v ≥ 2), "occluded" (0 < v < 2)
    ErrorBins bySize;                   // the options' size bins, half-open
    ErrorBins byCrowding;               // people in the crop
    ErrorBins byPruning;                // pruned share; no bins for runs without pruning
    int64_t poses = 0;                  // rows whose keypoints count (labelled non-crowd GT, area > 0)
    int64_t skippedWithoutArea = 0;     // rows of such a GT with area ≤ 0
};

struct RunBreakdown {
    std::string run;  // its path
    std::vector<std::string> keypointNames;
    int64_t samples = 0;                  // rows of the run
    std::size_t images = 0;               // images the run covers
    int64_t rowsWithoutGt = 0;            // rows not from a labelled, non-crowd GT person
    AccuracyBin overall;                  // "all": COCO's AP of the run
    std::vector<AccuracyBin> bySize;      // the size bins (pycocotools' bounds)
    std::vector<AccuracyBin> byCrowding;  // people in the crop
    KeypointErrorBreakdown errors;
    bool pruning = false;  // the run's model prunes tokens (errors.byPruning filled)
};

/// The breakdowns of a COCO run's final keypoints against `gtFile` ("" = the annotation file the
/// run was recorded from).
RunBreakdown breakdownRun(const RunReader& run, const std::string& gtFile = "", const BreakdownOptions& options = {});
/// The same from the run's COCO input already read (cocoInputOfRun), e.g. shared with other analyses.
RunBreakdown breakdownRun(const RunReader& run, const RunCocoInput& input, const BreakdownOptions& options = {});
/// The same for the run file at `runPath` (opened and closed here).
RunBreakdown breakdownRun(const std::string& runPath, const std::string& gtFile = "",
                          const BreakdownOptions& options = {});

/// The bin labels of people-in-crop lower bounds: {1, 2, 3} → "1", "2", "3+"; {1, 3} → "1-2", "3+".
std::vector<std::string> crowdingBinLabels(const std::vector<int>& lowerBounds);
/// The bin of a people-in-crop count: the last bin whose lower bound is ≤ count, else the first.
std::size_t crowdingBin(int peopleInCrop, const std::vector<int>& lowerBounds);
/// The bin labels of pruned-share edges: {0.5, 1} → "0", "(0, 0.5]", "(0.5, 1]".
std::vector<std::string> prunedShareBinLabels(const std::vector<double>& edges);
/// The bin of a pruned share in [0, 1]: 0 for exactly 0, else 1 + the first edge it does not exceed.
std::size_t prunedShareBin(double share, const std::vector<double>& edges);

}  // namespace posescope::analysis
