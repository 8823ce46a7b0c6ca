// A recorded COCO-format run as COCO evaluation input, and its accuracy by person scale: what
// `posescope-cli eval run.h5`, `posescope-cli scales run.h5` and the workbench's Scales tab share.
//
// Usage:
//   using namespace posescope::analysis;
//   RunScaleAnalysis r = analyseRunScales("run.h5");          // the annotation file the run names
//   for (const BandAccuracy& b : r.accuracy) std::cout << b.band.label << ' ' << b.ap << '\n';
//
//   RunReader reader = RunReader::open("run.h5");              // run_store.h
//   QuantisationResult q = decoderQuantisation(runQuantisationOptions(reader.header()));
//   RunCocoInput in = cocoInputOfRun(reader, "person_keypoints_val.json", /*layer*/ 1);
//   CocoEvalResult e = evaluateCocoKeypoints(in.images, in.annotations, in.predictions);
//
// The evaluation input is what `eval run.h5` scores: the images the run covers and their
// annotations, the rows' keypoints rescored and OKS-NMS'd as the official code does
// (rescoreAndNms), and the row each prediction came from (predictionRows: traced by image,
// keypoints and person score, which rescoring and NMS leave untouched; of rows of one image with
// identical keypoints and score, the one NMS considers first, the only one it can keep unless
// their box areas differ and a third pose suppresses just one of them). The scale analysis is
// analyseScales over it; its keypoint errors take every row recorded from a non-crowd GT person
// with labelled keypoints (v > 0), the row's final keypoints unprocessed against that GT.
//
// Errors: FileError naming the run for a run that is not COCO-format (MPII has no person areas),
// for keypoints without OKS sigmas (options.eval.sigmas) and for what the evaluation refuses
// (EvaluationError's message); FileError naming the annotation file when it is missing or
// malformed (CocoDataset::load); H5Error / RunFormatError naming the run as RunReader::open.
// Thread-safety: pure functions of their arguments; a RunReader must not be shared between
// threads (the path overload opens its own, so it may run on any thread).
#pragma once

#include "posescope/analysis/run_header.h"
#include "posescope/analysis/scale_analysis.h"
#include "posescope/datasets/annotations.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace posescope::analysis {

class RunReader;

/// A COCO run as COCO evaluation input.
struct RunCocoInput {
    std::vector<ImageInfo> images;                  // the images the run covers, in the file's order
    std::vector<PersonAnnotation> annotations;      // all annotations of those images
    std::vector<PosePrediction> predictions;        // rescored and OKS-NMS'd, as `eval run.h5` scores
    std::vector<int64_t> predictionRows;            // per prediction: the run row it came from (−1: untraced)
    std::vector<int64_t> rowAnnotationIds;          // per row: the annotation it was recorded from
    std::vector<std::vector<double>> rowKeypoints;  // per row: K × (x, y, score), unprocessed
};

/// The run's rows (final keypoints, or layer `layer`'s layer-wise ones) against `gtFile` ("" =
/// the annotation file the run was recorded from, as recorded). FileError for a non-COCO run.
RunCocoInput cocoInputOfRun(const RunReader& run, const std::string& gtFile = "", int layer = -1);

/// The poses of keypointErrorsByScale: per row recorded from a labelled, non-crowd GT person, its
/// GT area and keypoints with the row's keypoints.
std::vector<ScaledPose> scaledPosesOfRun(const RunCocoInput& input);

/// analyseScales of a run, with what the CLI reports beside it.
struct RunScaleAnalysis : ScaleAnalysisResult {
    int64_t samples = 0;            // rows of the run
    std::size_t images = 0;         // images the run covers
    std::size_t poses = 0;          // rows with a labelled GT person (the keypoint errors' poses)
    std::size_t rowsWithoutGt = 0;  // rows skipped for the keypoint errors (crowd, unlabelled, unknown)
};

/// The scale analysis of a COCO run's final keypoints against `gtFile` ("" = the run's own).
RunScaleAnalysis analyseRunScales(const RunReader& run, const std::string& gtFile = "",
                                  const ScaleAnalysisOptions& options = {});
/// The same for the run file at `runPath` (opened and closed here; no LibTorch type involved).
RunScaleAnalysis analyseRunScales(const std::string& runPath, const std::string& gtFile = "",
                                  const ScaleAnalysisOptions& options = {});

/// `base` with the run's input size and heatmap stride (input / heatmap width when it divides).
QuantisationOptions runQuantisationOptions(const RunHeader& header, QuantisationOptions base = {});

}  // namespace posescope::analysis
