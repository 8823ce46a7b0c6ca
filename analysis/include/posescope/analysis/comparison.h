// Models compared on the same samples: per recorded run its accuracy breakdowns, pose error
// taxonomy (with every error linked to the row it came from), attention statistics per layer, and
// across the runs the samples where they disagree most; written as tables for papers (CSV and
// LaTeX). What `posescope-cli compare` computes and writes.
//
// Usage:
//   using namespace posescope::analysis;
//   ComparisonOptions o;
//   o.topDisagreements = 20;
//   o.progress = [](const std::string& stage, int64_t done, int64_t total) { std::cerr << stage << '\n'; };
//   ComparisonReport r = compareRuns({"transpose.h5", "ppt.h5"}, o);
//   for (const ModelComparison& m : r.models)
//       std::cout << m.name << " AP " << m.breakdown.overall.ap << ", " << m.errorCases.size() << " errors\n";
//   for (const KeypointErrorCase& c : r.models[0].errorCases)
//       if (c.type == PoseErrorType::Swap) std::cout << "row " << c.row << " swaps " << c.keypoint << '\n';
//   std::vector<std::string> files = writeComparisonTables(r, "report/");
//
// Runs: COCO-format runs of the same samples as pairRunFiles accepts them (same dataset, boxes
// and keypoints; they may differ in model, order, selection and shard). Each run is analysed on
// its own: breakdownRun (breakdown.h), errorTaxonomy (error_taxonomy.h) of cocoInputOfRun's images,
// annotations and predictions (run_scales.h; the same input, so the taxonomy's baseline AP is the
// breakdown's AP), attentionStats (attention_stats.h) over its dependency rows. The runs are paired
// by sample (run_pairing.h) and `disagreements` are the paired samples with an OKS in every run,
// largest disagreement first (sortByDisagreement), at most topDisagreements of them. Layers are
// set side by side by relative depth: ModelComparison::firstModelLayer is layerAtSameDepth
// (run_header.h) of each layer in the first model.
// Error cases: per prediction matched at the taxonomy's localisation OKS (0.1) and each keypoint
// labelled in the matched person whose error is not good, one KeypointErrorCase with the row the
// prediction came from (RunCocoInput::predictionRows). Background cases at OKS 0.5 (the taxonomy's
// threshold nearest to it): the rows whose prediction, after fixing its keypoint errors, matches
// no GT (background false positives) and the GT persons no prediction matches at that or a lower
// threshold (false negatives), each with the first row recorded from it (−1: none).
// Names: modelDisplayNames — "family variant" (the file name when both are empty), with
// " · file name" where two models share a name, and " (i)" where they still do (a run twice).
//
// Tables (writeComparisonTables), each as `<name>.csv` and `<name>.tex`; the CSV's columns:
//   accuracy         model,breakdown,bin,statistic,value — breakdown all (bin all), size,
//                    people_in_crop; statistic ap, ap50, ap75, ar, persons (evaluated GTs)
//   keypoint_errors  model,keypoint,breakdown,bin,statistic,value — keypoint "all" or a name;
//                    breakdown all (bin all), visibility (visible, occluded), size, people_in_crop;
//                    statistic mean (of ‖prediction − GT‖ / √area), count. LaTeX: all, visible,
//                    occluded per keypoint
//   error_taxonomy   model,keypoint,statistic,value — keypoint "all" or a name with count_<type>
//                    and share_<type> (of the labelled keypoints of the matched predictions; type
//                    good, jitter, inversion, swap, miss); keypoint empty for ap_baseline,
//                    ap_without_miss, _swap, _inversion, _jitter, _background_fp,
//                    _false_negatives (cumulative), matched_predictions, predictions,
//                    background_oks, background_false_positives, false_negatives. LaTeX: per
//                    model the shares and the AP steps
//   attention        model,layer,relative_depth,first_model_layer,head,statistic,value — layers
//                    and heads 1-based, head empty for the head-averaged rows, relative depth
//                    (l + ½)/L; statistic count, mass, entropy, normalised_entropy, distance_px,
//                    relative_distance, box_share, other_share, with_others,
//                    other_share_with_others. LaTeX: head-averaged entropy / ln T, distance /
//                    diagonal, box share, other-people share per model and layer
//   pruning          (when a model prunes tokens) model,keypoint,bin,statistic,value — pruning
//                    models only; bin the pruned share's (breakdown.h); statistic mean, count
//   disagreement     rank,image_id,annotation_id,occurrence,disagreement,model,row,oks — one line
//                    per listed sample and model (rank 1: the largest)
// and, CSV only, error_cases (model,row,image_id,annotation_id,keypoint,type,swapped_with: every
// keypoint error case, type jitter, inversion, swap or miss, swapped_with the other person of a
// swap; then the background_fp cases, annotation id and keypoint empty, and the false_negative
// ones, keypoint empty, row empty without a row) and models (model,run,family,variant,layers,
// heads,samples,images,predictions,pruning).
// CSV: comma-separated with a header line, fields quoted where they hold a comma, quote or line
// break; numbers in the shortest form that reads back exactly (std::to_chars), NaN and
// pycocotools' −1 ("no GT") as empty fields. The measure tables are tidy — one value per line,
// keyed by model and their own columns — so any number of models, bins, layers and keypoints fits
// one layout; the list tables have one item per line.
// LaTeX: one booktabs `tabular` per file (\usepackage{booktabs}), \input-able, no float or
// caption; AP/AR and shares of error types in percent with one decimal, keypoint errors, attention
// measures and OKS with three decimals, counts as integers, "--" where a value is missing; names
// escaped (latexEscape). Where two or more models have a value the best is bold (every tied value
// at the printed precision): higher AP/AR, share of good keypoints and OKS; lower keypoint errors
// and shares of the other error types. Attention measures have no better direction: none bold.
//
// Errors: FileError naming a run that does not hold the samples of the first (pairRuns), that is
// not COCO-format, or as breakdownRun and attentionStats; EvaluationError for no runs or invalid
// options; H5Error / RunFormatError as RunReader. writeComparisonTables: FileError naming the
// directory when it cannot be created, or the file that cannot be written (each written
// atomically, writeFileAtomically); Error for a cancelled report.
// Thread-safety: compareRuns opens its own readers and calls the callbacks on the calling thread;
// it may run on any thread. The header includes no LibTorch type.
#pragma once

#include "posescope/analysis/attention_stats.h"
#include "posescope/analysis/breakdown.h"
#include "posescope/analysis/error_taxonomy.h"
#include "posescope/analysis/run_header.h"
#include "posescope/analysis/run_pairing.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace posescope::analysis {

struct ComparisonOptions {
    /// The annotation file of every run ("" = each run's own, as recorded); also the other people's
    /// boxes of the attention statistics unless attention.annotationFile is set.
    std::string gtFile;
    BreakdownOptions breakdown;
    ErrorTaxonomyOptions taxonomy;
    /// labelledOnly = true by default; its progress and cancel are replaced by the comparison's.
    AttentionStatsOptions attention = [] {
        AttentionStatsOptions o;
        o.labelledOnly = true;
        return o;
    }();
    std::size_t topDisagreements = 50;  // samples listed in ComparisonReport::disagreements
    double backgroundOks = 0.5;         // the OKS threshold of the background cases
    /// Stages "pairing", "breakdown <name>", "error taxonomy <name>", "attention <name>": (0, total)
    /// when a stage starts, then as it goes (attention: per row), (total, total) when it ends.
    std::function<void(const std::string& stage, int64_t done, int64_t total)> progress;
    std::function<bool()> cancel;  // true: stop after the current stage (attention: the current row)
};

/// A keypoint of a matched prediction whose error is not good.
struct KeypointErrorCase {
    int64_t row = -1;          // the run row the prediction came from
    int64_t imageId = 0;       // of the prediction
    int64_t annotationId = 0;  // the GT person the prediction matched
    int keypoint = 0;
    PoseErrorType type = PoseErrorType::Miss;
    int64_t swappedWith = 0;  // swaps: the other person's GT id; else 0
};

/// A whole pose: a background false positive (its row; annotationId 0) or a false negative (the
/// GT person; row: the first row recorded from it, −1 when none).
struct PoseCase {
    int64_t row = -1;
    int64_t imageId = 0;
    int64_t annotationId = 0;
};

struct ModelComparison {
    std::string run;   // its path
    std::string name;  // modelDisplayNames
    std::string family, variant;
    int layers = 0, heads = 0;
    std::vector<int> firstModelLayer;  // per layer: the first model's layer at the same relative depth
    RunBreakdown breakdown;
    int64_t predictions = 0;  // cocoInputOfRun's predictions (rescored, OKS-NMS'd): the taxonomy's input
    ErrorTaxonomy taxonomy;
    std::vector<KeypointErrorCase> errorCases;       // in prediction order, then keypoint order
    double backgroundOks = 0.5;                      // the threshold the background cases are at
    std::vector<PoseCase> backgroundFalsePositives;  // by row
    std::vector<PoseCase> falseNegatives;            // by GT id
    AttentionStats attention;
};

struct ComparisonReport {
    std::vector<ModelComparison> models;      // in the order given
    RunPairing pairing;                       // every paired sample, in the first run's row order
    std::vector<PairedSample> disagreements;  // sorted, largest first; at most topDisagreements
    bool cancelled = false;                   // stopped early: models and tables incomplete
    std::string gtFile;                       // the ground truth the models were scored against (absolute when found)
};

/// Compares the runs (at least one). Throws as described above.
ComparisonReport compareRuns(const std::vector<std::string>& runPaths, const ComparisonOptions& options = {});

/// The tables described above, written into `dir` (created when missing); returns the paths
/// written, in the order accuracy, keypoint_errors, error_taxonomy, attention, pruning (when a
/// model prunes), disagreement (each .csv then .tex), error_cases.csv, models.csv.
std::vector<std::string> writeComparisonTables(const ComparisonReport& report, const std::string& dir);

/// The names of models in tables and legends: family and variant ("" → the file name), with
/// " · <file name>" appended where two models share a name and " (i)" (1-based among them) where
/// they still do. `runPaths` and `headers` are parallel.
std::vector<std::string> modelDisplayNames(const std::vector<std::string>& runPaths,
                                           const std::vector<RunHeader>& headers);

/// `text` for LaTeX: _ & % $ # { } ~ ^ \ escaped, "·" as $\cdot$.
std::string latexEscape(const std::string& text);

}  // namespace posescope::analysis
