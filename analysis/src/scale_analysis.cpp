// Accuracy by person scale and decoder quantisation (scale_analysis.h).
#include "posescope/analysis/scale_analysis.h"

#include "numpy_compat.h"
#include "posescope/models/heatmap_decode.h"
#include "posescope/models/simcc.h"

#include <torch/types.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <random>
#include <set>

namespace posescope::analysis {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool inBand(double area, const AreaRange& band) {
    return !(area < band.min || area > band.max);  // pycocotools: ignore when outside, bounds kept
}

void checkBands(const std::vector<AreaRange>& bands) {
    if (bands.empty()) throw EvaluationError("scale bands: no bands");
    std::set<std::string> labels;
    for (const AreaRange& b : bands) {
        if (b.label.empty()) throw EvaluationError("scale bands: a band has no name");
        if (!labels.insert(b.label).second)
            throw EvaluationError("scale bands: the name '" + b.label + "' is used twice");
        if (!std::isfinite(b.min) || !std::isfinite(b.max) || b.min > b.max)
            throw EvaluationError("scale band '" + b.label + "': expected finite areas with MIN ≤ MAX");
    }
}

// pycocotools' summarize: np.mean(s[s > -1]), or −1 when nothing is above −1.
double meanAboveMinusOne(const std::vector<double>& values) {
    std::vector<double> kept;
    for (double v : values)
        if (v > -1) kept.push_back(v);
    if (kept.empty()) return -1;
    return npcompat::sum(kept) / static_cast<double>(kept.size());
}

double parseArea(const std::string& text, const std::string& piece) {
    const char* begin = text.c_str();
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(begin, &end);
    if (text.empty() || end != begin + text.size() || errno == ERANGE || !std::isfinite(v))
        throw EvaluationError("scale band '" + piece + "': '" + text + "' is not a finite number");
    return v;
}

// NumPy's percentile (linear interpolation) of values, which it sorts.
double percentile(std::vector<double> values, double q) {
    if (values.empty()) return kNaN;
    std::sort(values.begin(), values.end());
    const double position = q / 100.0 * static_cast<double>(values.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(position));
    const std::size_t hi = std::min(lo + 1, values.size() - 1);
    const double fraction = position - static_cast<double>(lo);
    return values[lo] + (values[hi] - values[lo]) * fraction;
}

double mean(const std::vector<double>& values) {
    if (values.empty()) return kNaN;
    return npcompat::sum(values) / static_cast<double>(values.size());
}

void checkQuantisationOptions(const QuantisationOptions& o) {
    auto fail = [](const std::string& what) { throw EvaluationError("decoder quantisation: " + what); };
    if (o.inputWidth <= 0 || o.inputHeight <= 0) fail("the input size must be positive");
    if (o.heatmapStride <= 0) fail("the heatmap stride must be positive");
    if (o.inputWidth % o.heatmapStride != 0 || o.inputHeight % o.heatmapStride != 0)
        fail("the heatmap stride " + std::to_string(o.heatmapStride) + " does not divide the input " +
             std::to_string(o.inputWidth) + "x" + std::to_string(o.inputHeight));
    if (!(o.sigma > 0)) fail("sigma must be positive");
    if (o.blurKernel < 3 || o.blurKernel % 2 == 0) fail("the DARK blur kernel must be odd and at least 3");
    if (!(o.simccSplitRatio > 0) || !(o.simccSigma > 0)) fail("the SimCC split ratio and sigma must be positive");
    if (!(o.padding > 0)) fail("the padding must be positive");
    if (o.samplesPerSize < 1) fail("samples per size must be at least 1");
    for (double h : o.personHeights)
        if (!(h > 0) || !std::isfinite(h)) fail("person heights must be positive");
}

// Uniform in [0, 1) from the top 53 bits: the same numbers on every standard library.
double uniform(std::mt19937_64& rng) {
    return static_cast<double>(rng() >> 11) * (1.0 / 9007199254740992.0);
}

constexpr int64_t kChunk = 512;  // heatmaps decoded per call (bounds the memory)

}  // namespace

std::vector<AreaRange> defaultScaleBands() {
    return {{"all", 0, 1e10}, {"small", 0, 32.0 * 32}, {"medium", 32.0 * 32, 96.0 * 96}, {"large", 96.0 * 96, 1e10}};
}

std::vector<AreaRange> parseScaleBands(const std::string& spec) {
    if (spec.empty()) throw EvaluationError("scale bands: empty; expected NAME=MIN:MAX[,NAME=MIN:MAX…]");
    std::vector<AreaRange> bands = {{"all", 0, 1e10}};
    std::size_t start = 0;
    while (start <= spec.size()) {
        const std::size_t comma = std::min(spec.find(',', start), spec.size());
        const std::string piece = spec.substr(start, comma - start);
        start = comma + 1;
        if (piece.empty()) throw EvaluationError("scale bands '" + spec + "': an empty band (stray ',')");
        const std::size_t eq = piece.find('=');
        if (eq == std::string::npos) throw EvaluationError("scale band '" + piece + "': expected NAME=MIN:MAX");
        if (eq == 0) throw EvaluationError("scale band '" + piece + "': no name before '='");
        const std::string value = piece.substr(eq + 1);
        const std::size_t colon = value.find(':');
        if (colon == std::string::npos)
            throw EvaluationError("scale band '" + piece + "': expected MIN:MAX (areas in pixels²) after '='");
        AreaRange band{piece.substr(0, eq), parseArea(value.substr(0, colon), piece),
                       parseArea(value.substr(colon + 1), piece)};
        if (band.min > band.max) throw EvaluationError("scale band '" + piece + "': MIN is above MAX");
        if (band.label == "all")
            throw EvaluationError("scale band '" + piece + "': the name 'all' is reserved (every person is reported)");
        for (const AreaRange& b : bands)
            if (b.label == band.label)
                throw EvaluationError("scale band '" + piece + "': the name '" + band.label + "' is used twice");
        bands.push_back(band);
    }
    return bands;
}

const KeypointError& KeypointErrorTable::at(std::size_t band, int keypoint) const {
    if (band >= bands.size() || keypoint < 0 || keypoint >= keypoints)
        throw EvaluationError("keypoint error table: no band " + std::to_string(band) + ", keypoint " +
                              std::to_string(keypoint));
    return errors[band * static_cast<std::size_t>(keypoints) + static_cast<std::size_t>(keypoint)];
}

BandAccuracy bandAccuracy(const CocoEvalResult& r, std::size_t a) {
    if (a >= r.areaRanges.size())
        throw EvaluationError("band accuracy: no area range " + std::to_string(a) + " in the evaluation");
    const std::size_t T = r.iouThresholds.size(), R = r.recallThresholds.size(), K = r.categoryIds.size(),
                      A = r.areaRanges.size();
    // _summarizeKps's selection: every IoU threshold, or the one equal to iouThr.
    auto summarize = [&](bool ap, double iouThr, bool anyIou) {
        std::vector<double> s;
        for (std::size_t t = 0; t < T; ++t) {
            if (!anyIou && r.iouThresholds[t] != iouThr) continue;
            if (ap) {
                for (std::size_t ri = 0; ri < R; ++ri)
                    for (std::size_t k = 0; k < K; ++k)
                        s.push_back(r.precision[((t * R + ri) * K + k) * A + a]);
            } else {
                for (std::size_t k = 0; k < K; ++k)
                    s.push_back(r.recall[(t * K + k) * A + a]);
            }
        }
        return meanAboveMinusOne(s);
    };
    BandAccuracy b;
    b.band = r.areaRanges[a];
    b.ap = summarize(true, 0, true);
    b.ap50 = summarize(true, .5, false);
    b.ap75 = summarize(true, .75, false);
    b.ar = summarize(false, 0, true);
    return b;
}

std::vector<BandAccuracy> accuracyByScale(const std::vector<ImageInfo>& images,
                                          const std::vector<PersonAnnotation>& groundTruth,
                                          const std::vector<PosePrediction>& predictions,
                                          const std::vector<AreaRange>& bands, const CocoEvalOptions& evalOptions) {
    checkBands(bands);
    CocoEvalOptions options = evalOptions;
    options.areaRanges = bands;
    const CocoEvalResult r = evaluateCocoKeypoints(images, groundTruth, predictions, options);
    std::vector<BandAccuracy> out;
    for (std::size_t a = 0; a < bands.size(); ++a) {
        BandAccuracy b = bandAccuracy(r, a);
        // The GTs evaluateImg does not ignore in this band (gt['ignore'] = iscrowd or num_keypoints == 0).
        for (const PersonAnnotation& g : groundTruth)
            if (!g.iscrowd && g.numKeypoints > 0 && inBand(g.area, bands[a])) ++b.persons;
        out.push_back(b);
    }
    return out;
}

KeypointErrorTable keypointErrorsByScale(const std::vector<ScaledPose>& poses, const std::vector<AreaRange>& bands) {
    checkBands(bands);
    KeypointErrorTable t;
    t.bands = bands;
    const std::size_t B = bands.size();
    std::size_t K = poses.empty() ? 0 : poses.front().groundTruth.size() / 3;
    for (std::size_t i = 0; i < poses.size(); ++i) {
        const ScaledPose& p = poses[i];
        if (p.groundTruth.size() != 3 * K || p.predicted.size() != 3 * K || K == 0)
            throw EvaluationError("keypoint errors: pose " + std::to_string(i) + " has " +
                                  std::to_string(p.groundTruth.size()) + " ground-truth and " +
                                  std::to_string(p.predicted.size()) + " predicted values, expected " +
                                  std::to_string(3 * std::max<std::size_t>(K, 1)) + " each");
    }
    t.keypoints = static_cast<int>(K);
    // Distances per (band, keypoint), summed in pose order with NumPy's pairwise summation.
    std::vector<std::vector<double>> pixels(B * K), normalised(B * K);
    std::vector<std::vector<double>> allPixels(B), allNormalised(B);
    t.persons.assign(B, 0);
    for (const ScaledPose& p : poses) {
        if (!(p.area > 0)) {
            ++t.skippedWithoutArea;
            continue;
        }
        const double scale = std::sqrt(p.area);
        for (std::size_t b = 0; b < B; ++b) {
            if (!inBand(p.area, bands[b])) continue;
            ++t.persons[b];
            for (std::size_t k = 0; k < K; ++k) {
                if (!(p.groundTruth[3 * k + 2] > 0)) continue;
                const double d = std::hypot(p.predicted[3 * k] - p.groundTruth[3 * k],
                                            p.predicted[3 * k + 1] - p.groundTruth[3 * k + 1]);
                pixels[b * K + k].push_back(d);
                normalised[b * K + k].push_back(d / scale);
                allPixels[b].push_back(d);
                allNormalised[b].push_back(d / scale);
            }
        }
    }
    auto summary = [](const std::vector<double>& px, const std::vector<double>& norm) {
        return KeypointError{static_cast<int64_t>(px.size()), mean(px), mean(norm)};
    };
    for (std::size_t i = 0; i < B * K; ++i)
        t.errors.push_back(summary(pixels[i], normalised[i]));
    for (std::size_t b = 0; b < B; ++b)
        t.overall.push_back(summary(allPixels[b], allNormalised[b]));
    return t;
}

ScaleAnalysisResult analyseScales(const std::vector<ImageInfo>& images,
                                  const std::vector<PersonAnnotation>& groundTruth,
                                  const std::vector<PosePrediction>& predictions, const std::vector<ScaledPose>& poses,
                                  const ScaleAnalysisOptions& options) {
    ScaleAnalysisResult r;
    r.accuracy = accuracyByScale(images, groundTruth, predictions, options.bands, options.eval);
    r.errors = keypointErrorsByScale(poses, options.bands);
    return r;
}

std::string quantisationDecoderName(QuantisationDecoder decoder) {
    switch (decoder) {
        case QuantisationDecoder::Argmax: return "argmax";
        case QuantisationDecoder::QuarterOffset: return "argmax+quarter";
        case QuantisationDecoder::Dark: return "dark";
        case QuantisationDecoder::SimCC: return "simcc";
    }
    return "?";
}

std::vector<double> decoderCropErrors(QuantisationDecoder decoder, const std::vector<std::array<double, 2>>& points,
                                      const QuantisationOptions& o) {
    checkQuantisationOptions(o);
    for (std::size_t i = 0; i < points.size(); ++i) {
        const auto& p = points[i];
        if (!(p[0] >= 0 && p[0] <= o.inputWidth - 1 && p[1] >= 0 && p[1] <= o.inputHeight - 1))
            throw EvaluationError("decoder quantisation: point " + std::to_string(i) + " (" + std::to_string(p[0]) +
                                  ", " + std::to_string(p[1]) + ") lies outside the " + std::to_string(o.inputWidth) +
                                  "x" + std::to_string(o.inputHeight) + " input");
    }
    std::vector<double> errors;
    errors.reserve(points.size());
    const int64_t n = static_cast<int64_t>(points.size());
    if (decoder == QuantisationDecoder::SimCC) {
        models::SimCCOptions so;
        so.splitRatio = o.simccSplitRatio;
        so.sigmaX = so.sigmaY = o.simccSigma;
        for (int64_t first = 0; first < n; first += kChunk) {
            const int64_t m = std::min(kChunk, n - first);
            torch::Tensor kp = torch::empty({1, m, 2}, torch::kFloat64);
            auto acc = kp.accessor<double, 3>();
            for (int64_t i = 0; i < m; ++i) {
                acc[0][i][0] = points[static_cast<std::size_t>(first + i)][0];
                acc[0][i][1] = points[static_cast<std::size_t>(first + i)][1];
            }
            const models::SimCCTargets t =
                models::encodeSimCC(kp, torch::ones({1, m}), o.inputWidth, o.inputHeight, so);
            const auto decoded = models::decodeSimCC(t.x, t.y, so);
            for (int64_t i = 0; i < m; ++i) {
                const auto& p = points[static_cast<std::size_t>(first + i)];
                const models::Keypoint& k = decoded[0][static_cast<std::size_t>(i)];
                errors.push_back(std::hypot(k.x - p[0], k.y - p[1]));
            }
        }
        return errors;
    }
    models::DecodeOptions decode;
    decode.blurKernel = o.blurKernel;
    decode.method = decoder == QuantisationDecoder::Argmax          ? models::DecodeMethod::Argmax
                    : decoder == QuantisationDecoder::QuarterOffset ? models::DecodeMethod::ArgmaxQuarterOffset
                                                                    : models::DecodeMethod::Dark;
    const int64_t w = o.inputWidth / o.heatmapStride, h = o.inputHeight / o.heatmapStride;
    const double stride = o.heatmapStride;
    const double twoSigma2 = 2 * o.sigma * o.sigma;
    for (int64_t first = 0; first < n; first += kChunk) {
        const int64_t m = std::min(kChunk, n - first);
        torch::Tensor maps = torch::empty({1, m, h, w}, torch::kFloat32);
        float* data = maps.data_ptr<float>();
        for (int64_t i = 0; i < m; ++i) {
            const auto& p = points[static_cast<std::size_t>(first + i)];
            const double u = p[0] / stride, v = p[1] / stride;  // heatmap pixels (targets: joints / stride)
            float* map = data + i * h * w;
            for (int64_t y = 0; y < h; ++y)
                for (int64_t x = 0; x < w; ++x) {
                    const double dx = static_cast<double>(x) - u, dy = static_cast<double>(y) - v;
                    map[y * w + x] = static_cast<float>(std::exp(-(dx * dx + dy * dy) / twoSigma2));
                }
        }
        const auto decoded = models::decodeHeatmaps(maps, decode);
        for (int64_t i = 0; i < m; ++i) {
            const auto& p = points[static_cast<std::size_t>(first + i)];
            const models::Keypoint& k = decoded[0][static_cast<std::size_t>(i)];
            errors.push_back(std::hypot(k.x * stride - p[0], k.y * stride - p[1]));
        }
    }
    return errors;
}

QuantisationResult decoderQuantisation(const QuantisationOptions& o) {
    checkQuantisationOptions(o);
    // Positions away from the heatmap border, so that neither the Gaussian's truncation nor DARK's
    // zero-padded blur reaches the peak.
    const double margin = o.blurKernel / 2 + 2;
    const double w = o.inputWidth / o.heatmapStride, h = o.inputHeight / o.heatmapStride;
    const double spanX = w - 1 - 2 * margin, spanY = h - 1 - 2 * margin;
    if (!(spanX > 0) || !(spanY > 0))
        throw EvaluationError("decoder quantisation: the " + std::to_string(o.inputWidth) + "x" +
                              std::to_string(o.inputHeight) + " input leaves no heatmap pixels " +
                              std::to_string(static_cast<int>(margin)) + " away from the border");
    std::mt19937_64 rng(o.seed);
    std::vector<std::array<double, 2>> points(static_cast<std::size_t>(o.samplesPerSize));
    for (auto& p : points) {
        p[0] = (margin + spanX * uniform(rng)) * o.heatmapStride;
        p[1] = (margin + spanY * uniform(rng)) * o.heatmapStride;
    }
    QuantisationResult result;
    result.options = o;
    for (QuantisationDecoder decoder : o.decoders) {
        const std::vector<double> crop = decoderCropErrors(decoder, points, o);
        const double cropMean = mean(crop);
        for (double height : o.personHeights) {
            const double toImage = o.padding * height / o.inputHeight;  // image pixels per crop pixel
            std::vector<double> image(crop.size()), normalised(crop.size());
            for (std::size_t i = 0; i < crop.size(); ++i) {
                image[i] = crop[i] * toImage;
                normalised[i] = image[i] / height;
            }
            QuantisationRow row;
            row.decoder = decoder;
            row.personHeight = height;
            row.meanPixels = mean(image);
            row.p95Pixels = percentile(image, 95);
            row.meanNormalised = mean(normalised);
            row.p95Normalised = percentile(normalised, 95);
            row.meanCropPixels = cropMean;
            row.samples = static_cast<int64_t>(crop.size());
            result.rows.push_back(row);
        }
    }
    return result;
}

}  // namespace posescope::analysis
