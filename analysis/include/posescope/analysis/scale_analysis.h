// Accuracy by person scale: COCO OKS AP/AR and per-keypoint errors per band of GT area, and the
// error that decoding alone (heatmap argmax, quarter offset, DARK; SimCC) adds at each person size.
//
// Usage:
//   using namespace posescope::analysis;
//   ScaleAnalysisOptions o;                                   // all, small, medium, large
//   o.bands = parseScaleBands("small=0:1024,medium=1024:9216,large=9216:1e10");   // or your own
//   std::vector<ScaledPose> poses = …;                        // GT area, GT and predicted keypoints
//   ScaleAnalysisResult r = analyseScales(images, gt, predictions, poses, o);
//   for (const BandAccuracy& b : r.accuracy) std::cout << b.band.label << ' ' << b.ap << '\n';
//   double e = r.errors.at(/*band*/ 1, /*keypoint*/ 9).meanNormalised;    // small, left wrist
//
//   QuantisationResult q = decoderQuantisation({});          // 192×256 input, σ 2, 16…512 px
//   for (const QuantisationRow& row : q.rows) … row.decoder, row.personHeight, row.meanPixels …;
//
// Bands are pycocotools' area ranges: bounds are inclusive, so a person whose area is exactly a
// shared bound (32² = 1024, 96² = 9216) belongs to both neighbouring bands, as in COCOeval.
// Accuracy: one evaluateCocoKeypoints (pycocotools-exact) with the bands as its area ranges; a
// band's AP is the mean of its precision over the 10 OKS thresholds and 101 recall thresholds
// (AP50, AP75: one threshold), AR the mean of its recalls, −1 where the band has no GT (all as
// COCOeval.summarize reads its arrays). Within a band, GTs outside it are ignored and so are
// unmatched predictions whose keypoint extent lies outside it. `persons` counts the GTs a band
// evaluates: not crowd, num_keypoints > 0, area in the band.
// Keypoint errors: per band and keypoint, over the labelled (v > 0) keypoints of the poses whose
// GT area lies in the band, the mean ‖prediction − GT‖ in pixels and divided by sqrt(area).
// Decoder quantisation: see QuantisationOptions.
//
// Errors: EvaluationError (coco_eval.h) naming the problem for a malformed band string or band
// list, poses whose keypoint arrays differ in length, invalid quantisation options or points, and
// whatever evaluateCocoKeypoints refuses. Thread-safety: pure functions; safe to call concurrently.
#pragma once

#include "posescope/analysis/coco_eval.h"
#include "posescope/datasets/annotations.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace posescope::analysis {

/// all [0, 1e10], small [0, 32²], medium [32², 96²], large [96², 1e10]: COCO's bands plus a small
/// one (SynthPose has many small figures).
std::vector<AreaRange> defaultScaleBands();

/// "NAME=MIN:MAX[,NAME=MIN:MAX…]" (areas in pixels², e.g. "small=0:1024,large=9216:1e10") → "all"
/// [0, 1e10] followed by those bands, in order. Refuses (EvaluationError quoting the piece) an empty
/// spec or piece, a missing name, '=' or ':', numbers that do not parse or are not finite, MIN > MAX,
/// a repeated name, and the name "all" (always reported).
std::vector<AreaRange> parseScaleBands(const std::string& spec);

/// One band's pycocotools summary numbers.
struct BandAccuracy {
    AreaRange band;
    double ap = -1;       // OKS .50:.95
    double ap50 = -1;     // OKS .50
    double ap75 = -1;     // OKS .75
    double ar = -1;       // OKS .50:.95
    int64_t persons = 0;  // GTs evaluated: not crowd, num_keypoints > 0, area in the band
};

/// One predicted pose of a GT person, for the keypoint errors.
struct ScaledPose {
    double area = 0;                  // the GT's COCO `area`; poses with area ≤ 0 are skipped
    std::vector<double> groundTruth;  // K × (x, y, v)
    std::vector<double> predicted;    // K × (x, y, score)
};

struct KeypointError {
    int64_t count = 0;          // labelled keypoints (v > 0) averaged
    double meanPixels = 0;      // mean ‖prediction − GT‖ in image pixels (NaN when count is 0)
    double meanNormalised = 0;  // mean ‖prediction − GT‖ / sqrt(area) (NaN when count is 0)
};

struct KeypointErrorTable {
    std::vector<AreaRange> bands;
    int keypoints = 0;
    std::vector<KeypointError> errors;   // [band][keypoint], row-major
    std::vector<KeypointError> overall;  // [band]: every labelled keypoint of the band
    std::vector<int64_t> persons;        // [band]: poses in the band
    int64_t skippedWithoutArea = 0;      // poses with area ≤ 0 (no scale to normalise by)

    const KeypointError& at(std::size_t band, int keypoint) const;
};

struct ScaleAnalysisOptions {
    std::vector<AreaRange> bands = defaultScaleBands();  // labels distinct, min ≤ max
    CocoEvalOptions eval;                                // sigmas and maxDets; its areaRanges are replaced by `bands`
};

struct ScaleAnalysisResult {
    std::vector<BandAccuracy> accuracy;  // one per band, in the options' order
    KeypointErrorTable errors;
};

/// AP/AR per band: evaluateCocoKeypoints(images, gt, predictions) with `bands` as area ranges.
std::vector<BandAccuracy> accuracyByScale(const std::vector<ImageInfo>& images,
                                          const std::vector<PersonAnnotation>& groundTruth,
                                          const std::vector<PosePrediction>& predictions,
                                          const std::vector<AreaRange>& bands = defaultScaleBands(),
                                          const CocoEvalOptions& evalOptions = {});

/// A band's numbers from an evaluation (result.areaRanges[areaIndex]); persons is left 0.
BandAccuracy bandAccuracy(const CocoEvalResult& result, std::size_t areaIndex);

/// Mean keypoint errors per band and keypoint (K from the first pose; every pose must have 3·K
/// numbers in both arrays).
KeypointErrorTable keypointErrorsByScale(const std::vector<ScaledPose>& poses,
                                         const std::vector<AreaRange>& bands = defaultScaleBands());

/// accuracyByScale and keypointErrorsByScale with the same bands.
ScaleAnalysisResult analyseScales(const std::vector<ImageInfo>& images,
                                  const std::vector<PersonAnnotation>& groundTruth,
                                  const std::vector<PosePrediction>& predictions, const std::vector<ScaledPose>& poses,
                                  const ScaleAnalysisOptions& options = {});

// ---- Decoder quantisation ------------------------------------------------------------------

enum class QuantisationDecoder {
    Argmax,         // heatmap argmax (models::DecodeMethod::Argmax)
    QuarterOffset,  // argmax + HRNet's quarter offset
    Dark,           // DARK (TransPose's default decoder)
    SimCC,          // encodeSimCC then decodeSimCC (argmax over 1/k-pixel bins)
};
/// "argmax", "argmax+quarter", "dark", "simcc".
std::string quantisationDecoderName(QuantisationDecoder decoder);

/// The error decoding adds to an ideal model output, against person size. A keypoint at a random
/// position of the crop (uniform, away from the heatmap border by blurKernel/2 + 2 heatmap pixels;
/// the same `samplesPerSize` positions, drawn with `seed`, serve every size and decoder) becomes an
/// ideal Gaussian heatmap centred on it (σ `sigma` in heatmap pixels, heatmap = input / stride,
/// heatmap pixel i ↔ crop pixel stride·i as the targets are made) or ideal SimCC labels
/// (encodeSimCC), is decoded, and the Euclidean distance to the true position is measured in crop
/// pixels. A person of height h fills 1/padding of the crop's height (the official box padding), so
/// an image pixel is padding·h / inputHeight crop pixels: image error = crop error × padding·h /
/// inputHeight, normalised error = image error / h. Because the crop rescales every person to the
/// input, the normalised error is the same at every height (only the image-pixel error grows).
struct QuantisationOptions {
    int inputWidth = 192, inputHeight = 256;  // model input (crop) pixels
    int heatmapStride = 4;                    // heatmap = input / stride (both must divide)
    double sigma = 2;                         // heatmap Gaussian σ, heatmap pixels
    int blurKernel = 11;                      // DARK's blur (TransPose's TEST.BLUR_KERNEL)
    double simccSplitRatio = 2, simccSigma = 6;
    double padding = 1.25;  // crop height / person height
    std::vector<double> personHeights = {16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512};  // image px
    int samplesPerSize = 2000;
    uint64_t seed = 1;
    std::vector<QuantisationDecoder> decoders = {QuantisationDecoder::Argmax, QuantisationDecoder::QuarterOffset,
                                                 QuantisationDecoder::Dark, QuantisationDecoder::SimCC};
};

struct QuantisationRow {
    QuantisationDecoder decoder = QuantisationDecoder::Argmax;
    double personHeight = 0;    // image pixels
    double meanPixels = 0;      // image pixels
    double p95Pixels = 0;       // 95th percentile (NumPy's linear interpolation)
    double meanNormalised = 0;  // ÷ person height
    double p95Normalised = 0;   //
    double meanCropPixels = 0;  // the same error in crop pixels (no size dependence)
    int64_t samples = 0;
};

struct QuantisationResult {
    QuantisationOptions options;
    std::vector<QuantisationRow> rows;  // decoder-major: for each decoder, every height in order
};

QuantisationResult decoderQuantisation(const QuantisationOptions& options = {});

/// The crop-pixel error of `decoder` for keypoints at the given crop positions (x, y), each decoded
/// from its own ideal heatmap or labels as decoderQuantisation does. Points must lie inside the
/// input; heatmap decoders give meaningless errors near its border.
std::vector<double> decoderCropErrors(QuantisationDecoder decoder, const std::vector<std::array<double, 2>>& cropPoints,
                                      const QuantisationOptions& options = {});

}  // namespace posescope::analysis
