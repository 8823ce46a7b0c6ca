// Figures for papers from recorded runs, drawn once with QPainter and written as PNG (at a chosen
// DPI), SVG or PDF (skeletons, labels, stars and colourbars as vectors; crops and maps as
// embedded images). A FigureSpec describes a figure completely and round-trips through JSON: the
// workbench writes one beside every export, and `posescope-cli figure spec.json` draws the same
// figure again headlessly, for the spec's samples or a batch of them.
//
// Kinds:
//   dependencies  rows = layers, columns = keypoints (each keypoint's predicted location is the
//                 query), or one column for a chosen crop point; an optional first column shows
//                 the crop with the ground-truth and predicted poses; TransPose's figure.
//                 BTranspose runs can add rows of their BoT blocks' MHSA above the layers.
//   heatmaps      one row: each keypoint's final heatmap, then their maximum (runs recorded with
//                 --level heatmaps or full).
//   pose          the crop with the person box, both poses and the keypoint names.
//   layerwise     a plot over the layers for one keypoint: its layer-wise peak, the entropy of its
//                 dependency row, its distances to the final prediction and the ground truth.
//   tokens        PPT runs: the crop per pruning stage (or at the chosen layers) with the pruned
//                 patches dark, the kept ones tinted by the score that ranked them, and ground-truth
//                 keypoints that fell into pruned patches crossed out (PPT's Fig. 5).
//   pruning       PPT runs, over every row: the keypoints' error against the share of the tokens
//                 around them (3×3) that were pruned (the spec's keypoints, or all).
//   image         the original image around the person (or all of it) with the box, both poses
//                 and the names, optionally under a heatmap or a dependency map carried from the
//                 crop back to the image (needs the run's dataset images; datasets need none).
//   scales        COCO-format runs, over every row (run_scales.h): AP, AP50 and AP75 per band of GT
//                 area with its persons, the mean keypoint error ÷ sqrt(area) per keypoint and
//                 band, and each decoder's quantisation error against person height (log axis) at
//                 the run's input size, in image pixels or % of the height; the workbench's Scales
//                 tab.
//   sensitivity   occlusion runs (posescope-cli occlude): one panel per keypoint, the crop under the
//                 keypoint's sensitivity map (score drop, displacement or OKS drop of each occluder
//                 position, spec `measure`), its prediction (star) and ground truth (ring) marked.
//   targeted      occlusion runs with targeted occlusions: for the hidden keypoint keypoints[0]
//                 (or the body part `part`), rows = layers, columns = before / after hiding its
//                 region: its dependency map (a part: its keypoints' mean, or with keypoints[0]
//                 that keypoint's, in runs keeping every row), the region as a
//                 rectangle, the ground truth (rings) and the prediction then (stars), and the
//                 layer's share of the row on the region ("on region 0.21 → 0.08"). The maps
//                 are head-averaged (as the rows recorded after hiding).
//   occlusion     occlusion runs, over every row of the run and of `runs` (one model each): per layer
//                 the agreement of attention with the causal effect (Spearman, top-k overlap),
//                 occluded against visible keypoints (entropy, share on the occluder, on the symmetric
//                 and on the adjacent joints), and the hidden keypoint's share on its region before
//                 and after a targeted occlusion; layers by relative depth when the models' depths
//                 differ. The workbench's Occlusion tab.
//   models        one sample in several runs side by side (`run`, then the spec's `runs`, rows
//                 paired by sample as run_pairing.h does; FileError naming a run of other
//                 samples): columns = runs, rows = the pose (each run's prediction over its crop)
//                 and `run`'s layers (or the spec's), each other run at the layer of the same
//                 relative depth (layerAtSameDepth; "its layer n" written when depths differ),
//                 for keypoints[0]; one more column with every run's prediction (own colour) on
//                 the first crop and, for two runs of one input size, the difference of their
//                 maps (each min–max normalised unless the scale is shared; blue – white – red,
//                 ±largest). The colour scale is one for all runs when `scale` is shared. A
//                 sample missing from a run says so in its panels.
//   comparison    the runs `run` and `runs` compared over every sample (comparison.h), the spec's
//                 `chart`: accuracy (AP overall, per size bin and per people-in-crop bin),
//                 errors (the error types' shares per model; the AP with each type fixed in
//                 turn), attention (per layer: entropy ÷ ln T, distance ÷ crop diagonal, share in
//                 the person's box, on other people; by relative depth when depths differ) or
//                 keypoints (error ÷ √area per keypoint). One colour per model.
//
// Usage:
//   FigureSpec spec;  spec.run = "run.h5";  spec.rows = {12};  spec.keypoints = {9, 10};
//   auto run = RunBrowser::open(spec.run);
//   FigureRenderer renderer(*run);
//   renderer.write(spec, 12, "fig.pdf");                 // .png / .svg / .pdf by extension
//   writeFigureSpec(spec, "fig.json");
//   FigureSpec again = readFigureSpec("fig.json");
//   // on screen: painter.scale(…); renderer.paint(painter, spec, 12);   (sizes in points)
//
// Drawing text needs a QGuiApplication; headless programs call ensureGuiApplication() first.
// Errors: FileError naming the spec file and the JSON path of a bad field (readFigureSpec), or the
// output file and the reason (write); RunFormatError when the run lacks what the figure needs
// (e.g. affect maps without --level full); posescope::Error ("figure: layer 7 out of range …")
// for a spec that does not fit the run. Scales figures throw as analyseRunScales: FileError naming
// the run when it is not COCO-format, or the annotation file when it is missing or malformed.
// Sensitivity, targeted and occlusion figures of a run without an occlusion analysis (or without
// targeted occlusions) throw RunFormatError naming the run ("run.h5: holds no occlusion analysis
// (record it with posescope-cli occlude)"); an extra run of an occlusion figure is named the same way.
// Thread-safety: a FigureRenderer belongs to one thread (it caches panels); QPainter on images is
// safe on any thread, but ensureGuiApplication() must be called from the main thread.
#pragma once

#include "posescope/analysis/comparison.h"
#include "posescope/analysis/run_browser.h"
#include "posescope/analysis/run_scales.h"
#include "posescope/analysis/scale_analysis.h"

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

class QPainter;

namespace posescope::analysis {

enum class FigureKind {
    Dependencies,
    Heatmaps,
    Pose,
    Layerwise,
    Image,
    Tokens,
    Pruning,
    Scales,
    Sensitivity,
    Targeted,
    Occlusion,
    Models,
    Comparison
};
/// What an image figure lays over the image: nothing, a heatmap (keypoints[0], or the maximum
/// over keypoints without one) or a dependency map (layers[0] or the last layer, keypoints[0]
/// or the first keypoint, or the chosen point) or, for occlusion runs, a keypoint's sensitivity
/// map (keypoints[0] or the first keypoint; the spec's `measure`).
enum class ImageOverlay { None, Heatmap, Dependency, Sensitivity };
/// How a scales figure shows the decoders' quantisation error: in image pixels, or normalised by
/// the person's height (drawn in % of it).
enum class QuantisationUnit { Pixels, Normalised };
std::string figureKindName(FigureKind kind);

struct FigureSpec {
    FigureKind kind = FigureKind::Dependencies;
    std::string run;               // the recorded run (.h5)
    std::vector<int64_t> rows{0};  // samples (rows of the run); a figure per row
    std::vector<int> layers;       // 0-based; empty: every layer
    std::vector<int> keypoints;    // 0-based; empty: every keypoint
    int head = -1;                 // −1: averaged over heads
    std::vector<int> mhsaBlocks;   // dependencies, BTranspose runs: rows of these BoT MHSA blocks (0-based)
                                   //   above the encoder layers' (empty: none)
    int mhsaHead = -1;             // the MHSA rows' head (−1: averaged over the MHSA's heads)
    MapDirection direction = MapDirection::Dependency;
    bool usePoint = false;          // one column for the crop point (pointX, pointY) instead of keypoints
    double pointX = 0, pointY = 0;  // crop pixels
    std::string colormap = "viridis";
    bool sharedScale = false;  // one colour scale for every panel (0 … largest value) vs min–max per panel
    double threshold = 0;      // hide map values below this fraction of the scale (0 … 1)
    double alpha = 0.7;        // map opacity over the crop
    bool showPose = true;      // dependencies: first column with the poses; image: the poses drawn
    bool showColorbar = true;
    bool showLabels = true;                     // pose: keypoint names
    double panelWidthMm = 22;                   // one panel's width on paper
    int dpi = 300;                              // PNG resolution
    ImageOverlay overlay = ImageOverlay::None;  // image figures
    bool wholeImage = false;                    // image figures: the whole image, not the person's surroundings
    double context = 0.25;                      // image figures: margin around the crop's area, × its size
    std::string bands;  // scales figures: parseScaleBands's "NAME=MIN:MAX,…" ("" → defaultScaleBands())
    std::string gt;     // scales figures: the annotation file ("" → the one the run was recorded from)
    QuantisationUnit quantisationUnit = QuantisationUnit::Pixels;  // scales figures
    /// Sensitivity figures: the map shown; occlusion figures: the effect attention is compared with.
    SensitivityMeasure measure = SensitivityMeasure::ScoreDrop;
    std::vector<std::string> runs;   // occlusion figures: more occlusion runs (one model each) beside `run`
    std::string chart = "accuracy";  // comparison figures: accuracy, errors, attention or keypoints
    std::string part;    // targeted figures: the body part hidden (its name in the run); keypoints[0] is then watched
    std::string output;  // batch output pattern; "{row}" becomes the row ("" → derived from the spec file)
};

/// The spec as JSON (every field written, so the file documents itself).
std::string figureSpecJson(const FigureSpec& spec);
/// Parses a spec; missing fields keep their defaults. `file` names it in errors.
FigureSpec parseFigureSpec(const std::string& json, const std::string& file);
FigureSpec readFigureSpec(const std::string& path);
void writeFigureSpec(const FigureSpec& spec, const std::string& path);

/// What a scales figure draws: the run's scale analysis (the spec's bands, against its gt) and the
/// decoders' quantisation error at the run's input size (runQuantisationOptions).
struct ScaleFigureData {
    RunScaleAnalysis scales;
    QuantisationResult quantisation;
};
/// Computes it for `spec` (its run, bands and gt); throws as analyseRunScales.
ScaleFigureData scaleFigureData(const RunBrowser& run, const FigureSpec& spec);

/// One model of an occlusion figure: its run summarised (occlusion_report.h, top 10 % of the cells,
/// the spec's measure) and the name its legend shows (family and variant, with the file name when
/// two models share them).
struct OcclusionFigureModel {
    std::string run;
    std::string name;
    int targetedMargin = 0;  // pixels around each keypoint (0: no targeted occlusions)
    OcclusionReport report;
};
struct OcclusionFigureData {
    std::vector<OcclusionFigureModel> models;  // `run` first, then the spec's `runs`
};
/// Computes it for `spec`: `run` (the spec's run) and the spec's `runs`, each opened here. Throws
/// RunFormatError naming a run without an occlusion analysis, and as RunBrowser::open.
OcclusionFigureData occlusionFigureData(const RunBrowser& run, const FigureSpec& spec);

/// What a comparison figure draws: compareRuns (comparison.h) of `run` and the spec's `runs`.
ComparisonReport comparisonFigureData(const RunBrowser& run, const FigureSpec& spec);

/// The figures of `posescope-cli compare` into `dir` (created when missing): chart_accuracy,
/// chart_errors, chart_attention and chart_keypoints (comparison figures of the report), and for
/// two or more models disagreement_1 … _N, the models figure of the `samples` samples they
/// disagree on most (report.disagreements) at the keypoint whose predictions lie furthest apart;
/// each as .pdf and .png with its spec (.json) beside it. Returns the paths written. Needs a
/// QGuiApplication (ensureGuiApplication). FileError naming a file or the folder that cannot be
/// written; Error for a cancelled or empty report.
std::vector<std::string> writeComparisonFigures(const ComparisonReport& report, const std::string& dir,
                                                std::size_t samples = 3);

/// Where each panel of a figure lies (points), for hit-testing clicks in views.
struct FigurePanel {
    double x = 0, y = 0, width = 0, height = 0;  // points
    /// −1: not a map (the pose column); −3: a BoT MHSA row; −4: a sensitivity map. Targeted
    /// figures: per layer the panel before, then the one after hiding the region.
    int layer = -1;
    int mhsaBlock = -1;  // the MHSA block of a −3 panel
    int keypoint = -1;   // −1: the chosen point or the maximum of heatmaps
    /// Figure points → crop pixels (2×3 row-major): where a click on this panel lands in the crop.
    std::array<double, 6> toCrop{1, 0, 0, 0, 1, 0};
    int model = 0;  // models figures: the run (0: `run`, i: runs[i − 1]); −1: the column of them all
};
struct FigureLayout {
    double width = 0, height = 0;  // points
    std::vector<FigurePanel> panels;
    double cropWidth = 0, cropHeight = 0;  // pixels of the crop a panel shows
};

class FigureRenderer {
public:
    /// Draws from a run (every kind) or a dataset (pose figures; the other kinds need model
    /// results and throw Error saying so). The source must outlive the renderer.
    explicit FigureRenderer(const SampleSource& source);
    ~FigureRenderer();
    /// The layout of the figure of `row` (image figures differ per row; the others do not).
    FigureLayout layout(const FigureSpec& spec, int64_t row) const;
    FigureLayout layout(const FigureSpec& spec) const {
        return layout(spec, spec.rows.empty() ? 0 : spec.rows.front());
    }
    /// Draws the figure of `row` with its top-left at (0, 0), in points. Crops and maps are drawn
    /// at the crop's resolution, or, given the device pixels per point of a screen, at the size
    /// they are shown (faster; colours and layout are the same).
    void paint(QPainter& painter, const FigureSpec& spec, int64_t row, double pixelsPerPoint = 0) const;
    /// Writes the figure of `row` to `path` (.png, .svg or .pdf; FileError otherwise or on failure).
    void write(const FigureSpec& spec, int64_t row, const std::string& path) const;
    /// Scales figures: draw `data` (as scaleFigureData gives for `spec`, e.g. what the workbench's
    /// Scales tab computed already) for specs with the spec's bands and gt, instead of computing it.
    void setScaleData(const FigureSpec& spec, ScaleFigureData data);
    /// Occlusion figures: draw `data` (as occlusionFigureData gives, e.g. what the workbench's
    /// Occlusion tab computed) for specs with the spec's `runs` and measure, instead of computing it.
    void setOcclusionData(const FigureSpec& spec, OcclusionFigureData data);
    /// Comparison figures: draw `report` (as comparisonFigureData gives, e.g. what the workbench's
    /// Models tab computed) for specs with the spec's `runs`, instead of computing it.
    void setComparisonData(const FigureSpec& spec, ComparisonReport report);

private:
    struct Cache;
    const RunBrowser& run(FigureKind kind) const;                            // the source as a run, or Error
    const OcclusionFigureData& occlusionData(const FigureSpec& spec) const;  // cached, computed when missing
    const ComparisonReport& comparisonData(const FigureSpec& spec) const;    // cached, computed when missing
    const SampleSource& m_source;
    std::unique_ptr<Cache> m_cache;
};

/// The output path of `row` for a batch: the spec's pattern with {row} replaced (or, without a
/// pattern, `fallback` with "_<row>" before its extension when there are several rows).
std::string figureOutputPath(const FigureSpec& spec, int64_t row, const std::string& fallback);

/// Creates a QGuiApplication on the offscreen platform unless one exists (for headless drawing).
void ensureGuiApplication();

}  // namespace posescope::analysis
