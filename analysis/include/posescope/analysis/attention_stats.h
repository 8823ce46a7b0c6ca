// Attention statistics of a recorded run, per layer and per head: how spread each keypoint's
// attention row is (entropy), how far from the keypoint it reaches (mean attention distance), and
// how much of it falls inside the person's box and on other people — one result per run (per
// model); models are compared layer by layer at the same relative depth (run_header.h's
// layerAtSameDepth).
//
// Usage:
//   RunReader run = RunReader::open("run.h5");
//   AttentionStatsOptions o;
//   o.labelledOnly = true;                                    // keypoints with ground truth only
//   AttentionStats s = attentionStats(run, o);
//   for (int l = 0; l < s.layers; ++l)
//       std::cout << l << ' ' << s.layer[l].normalisedEntropy << ' ' << s.layer[l].relativeDistance << ' '
//                 << s.layer[l].boxShare << ' ' << s.layer[l].otherShare << '\n';
//   double e = s.head[l][h].entropy;                         // one head of layer l
//   int lb = layerAtSameDepth(l, s.layers, other.layers);     // the same depth in another model
//
// The rows are the run's recorded keypoint dependency rows (docs/hdf5-schema.md): `dependency`
// (head-averaged, `layer`) and `dependency_heads` (per head, `head`; for one-head runs the averaged
// rows are head 0), each the attention over the T = gridRows × gridCols visual tokens of the query
// at the keypoint's prediction (TransPose) or of the keypoint's own token (TokenPose/PPT). Every
// (row, keypoint) pair of the run is taken (labelledOnly: those with a ground truth v > 0), each
// layer and head of it once. Before measuring, a row is divided by its sum over the grid (token
// models' rows sum to what the keypoint tokens did not take; PPT's pruned tokens are 0); that sum
// is `mass`. A row summing to 0 is left out of the means (`count` says how many pairs are in).
// Geometry, in crop (model input) pixels: token t = r·cols + c is the cell [c·w, (c+1)·w) ×
// [r·h, (r+1)·h) with w = inputWidth / cols, h = inputHeight / rows, centre ((c+½)w, (r+½)h); the
// query is the keypoint's final prediction (image pixels) mapped by the sample's crop transform;
// a box is mapped by mapping its four corners and taking their bounding rectangle, clipped to the
// crop.
//   entropy            −Σ p_t ln p_t (nats); normalisedEntropy = entropy / ln T (T: the whole
//                      grid, so pruned layers stay below 1)
//   distance           Σ p_t ‖centre(t) − query‖ (crop pixels); relativeDistance = distance over
//                      the crop's diagonal √(W² + H²), so models of different input size compare
//   boxShare           Σ p_t · (the fraction of cell t's area inside the person's box: the
//                      sample's box) — cells weighted by how much of them the box covers (exact)
//   otherShare         Σ p_t · (the fraction of cell t's area inside some other person's box and
//                      outside the own box). Other persons: every other annotation of the sample's
//                      image in the run's annotation file (COCO format; crowd regions included,
//                      they mark people); for a row from a detected box (annotation id 0) the
//                      annotation that overlaps the box most (IoU ≥ 0.5) counts as the person
//                      itself. `otherShareWithOthers` averages only the pairs whose crop shows
//                      another person (some cell partly covered), `withOthers` counts them.
// The annotation file is AttentionStatsOptions::annotationFile, else the run's `dataset` as
// recorded, else that name beside the run (a run moved with its data). When there is none to use
// — an MPII run (its file names no other persons' boxes) or a missing file — `otherPeople` is
// false, `otherPeopleNote` says why and the other-people means are NaN; with
// requireOtherPeople the same is a FileError naming the file (or the run, for MPII). Means are
// over the pairs in `count`; NaN where a mean has no pair.
// Errors: RunFormatError for a run without dependency rows (no layers or no token grid);
// FileError naming the annotation file when it is malformed (CocoDataset::load) or lacks an image
// or annotation of the run; H5Error / RunFormatError while reading rows (RunReader).
// Thread-safety: reads `run` only; as RunReader (one per thread). The header includes no LibTorch
// type.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace posescope::analysis {

class RunReader;  // run_store.h

struct AttentionStatsOptions {
    bool labelledOnly = false;        // only keypoints whose ground truth is labelled (v > 0)
    std::string annotationFile;       // "" = the run's dataset (as recorded, else beside the run)
    bool requireOtherPeople = false;  // true: FileError instead of otherPeople = false
    std::function<void(int64_t done, int64_t total)> progress;  // after each row of the run
    std::function<bool()> cancel;                               // true: stop after the current row
};

/// Means over (row, keypoint) pairs of one layer's (or one head's) rows.
struct AttentionMeasures {
    int64_t count = 0;                // pairs whose row has mass > 0: the pairs in every mean below
    double mass = 0;                  // the row's sum over the grid before normalising (1 for TransPose)
    double entropy = 0;               // nats
    double normalisedEntropy = 0;     // entropy / ln T
    double distance = 0;              // crop pixels
    double relativeDistance = 0;      // distance / crop diagonal
    double boxShare = 0;              // inside the person's box
    double otherShare = 0;            // on other people's boxes outside the own box (NaN: !otherPeople)
    int64_t withOthers = 0;           // pairs whose crop shows another person
    double otherShareWithOthers = 0;  // otherShare over those pairs only (NaN when none)
};

struct AttentionStats {
    int layers = 0, heads = 0, tokens = 0;
    int64_t samples = 0;  // rows of the run read (all unless cancelled)
    int64_t pairs = 0;    // (row, keypoint) pairs taken (labelledOnly: labelled ones)
    double cropDiagonal = 0;
    bool otherPeople = false;                          // the other-people shares were computed
    std::string otherPeopleNote;                       // why not, when !otherPeople
    std::string annotationFile;                        // the annotation file used ("" when !otherPeople)
    std::vector<AttentionMeasures> layer;              // [layers]: the head-averaged rows (`dependency`)
    std::vector<std::vector<AttentionMeasures>> head;  // [layers][heads]: each head's rows
    bool cancelled = false;
};

AttentionStats attentionStats(const RunReader& run, const AttentionStatsOptions& options = {});

}  // namespace posescope::analysis
