// The rows of N recorded runs paired by sample, with each run's OKS and where the models disagree
// most; and layers matched by relative depth between models of different depths.
//
// Usage:
//   using namespace posescope::analysis;
//   RunPairing p = pairRunFiles({"transpose.h5", "ppt.h5"});  // or pairRuns({&readerA, &readerB})
//   sortByDisagreement(p.samples);                               // largest OKS difference first
//   const PairedSample& s = p.samples.front();
//   std::cout << s.imageId << ' ' << s.oks[0] << ' ' << s.oks[1] << ' ' << s.disagreement << '\n';
//   int layer = relativeLayer(/*layer*/ 2, /*layersFrom*/ 4, /*layersTo*/ 6);   // 3
//
// A sample's identity is (image id, annotation id) as the rows store them (RunSample::imageId,
// annotationId; within one dataset the image id names the image file), and, since detected boxes all
// store annotation id 0, the occurrence: the n-th row of an (image id, annotation id) in a run
// pairs with the n-th of the others (runs from the same boxes file record an image's detections
// in the same order). Rows of one run whose identity is missing from another are left out and
// counted in `unpaired`; the common samples follow the first run's row order. Runs must agree on
// the dataset (dataset_sha256), the boxes (boxes_sha256) and the number of keypoints; they may
// differ in selection, shard and model, so a subset run pairs with the whole one.
// OKS: keypointOks (coco_eval.h) of the row's final keypoints against the ground truth stored in
// the row, with the stored box as the GT box and its area w·h as the area (a run keeps no
// segmentation area), and COCO's sigmas for 17 keypoints, 0.1 for other keypoint sets (both as
// the workbench's sample list, RunBrowser's SampleFacts::oks), unless options give sigmas; NaN
// for a row without labelled GT keypoints. disagreement = max − min of the runs' OKS (0 for one
// run; NaN when any is NaN).
// relativeLayer is layerAtSameDepth (run_header.h), under the name the comparison code uses.
//
// Errors: EvaluationError (coco_eval.h) for no runs, a null reader or sigmas that do not match
// the keypoints; FileError naming a run that differs from the first in dataset, boxes or
// keypoints; H5Error / RunFormatError as RunReader::open and its column reads.
// Thread-safety: pure functions of their arguments; a RunReader must not be shared between
// threads (pairRunFiles opens its own readers). The header includes no LibTorch type.
#pragma once

#include "posescope/analysis/run_header.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace posescope::analysis {

class RunReader;  // run_store.h

struct PairingOptions {
    std::vector<double> sigmas;  // OKS sigmas, one per keypoint; empty: COCO's for 17, else 0.1 each
};

/// One sample recorded in every run.
struct PairedSample {
    int64_t imageId = 0, annotationId = 0;
    int occurrence = 0;         // its place among the rows of the same (image id, annotation id)
    std::vector<int64_t> rows;  // per run: the row
    std::vector<double> oks;    // per run: OKS of that row against its GT (NaN without GT)
    double disagreement = 0;    // max − min of oks (NaN when any is NaN)
};

struct RunPairing {
    std::vector<std::string> runs;      // the runs' paths, in the order given
    std::vector<PairedSample> samples;  // common to all runs, in the first run's row order
    std::vector<int64_t> unpaired;      // per run: rows whose sample is missing from another run
};

/// Pairs the rows of `runs` (at least one; none null).
RunPairing pairRuns(const std::vector<const RunReader*>& runs, const PairingOptions& options = {});
/// What pairRuns checks of each run against the first, from the headers alone: FileError naming
/// `otherPath` ("does not hold the samples of <firstPath>: its dataset_sha256 is …") for another
/// dataset, other boxes or another number of keypoints.
void requirePairable(const RunHeader& first, const std::string& firstPath, const RunHeader& other,
                     const std::string& otherPath);
/// The same for run files (opened and closed here). A name of its own: a braced pair of reader
/// pointers would also match std::vector<std::string>'s iterator-pair constructor.
RunPairing pairRunFiles(const std::vector<std::string>& runPaths, const PairingOptions& options = {});

/// Largest disagreement first (stable: ties keep their order); NaN disagreements last.
void sortByDisagreement(std::vector<PairedSample>& samples);

/// The layer of a `layersTo`-layer model at the relative depth of `layer` of a `layersFrom`-layer
/// one: the layer whose span holds the middle of `layer`'s (4 → 6 layers: 0→0, 1→2, 2→3, 3→5);
/// −1 (every layer) and invalid depths give −1. layerAtSameDepth (run_header.h) under another name.
int relativeLayer(int layer, int layersFrom, int layersTo);

}  // namespace posescope::analysis
