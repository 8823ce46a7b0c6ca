// posescope-cli scales: a COCO run's accuracy by person scale (OKS AP/AR and keypoint errors per
// band of GT area) and the error decoding alone adds at each person size.
#include "cli.h"
#include "posescope/analysis/coco_eval.h"
#include "posescope/analysis/run_scales.h"
#include "posescope/analysis/run_store.h"
#include "posescope/analysis/scale_analysis.h"
#include "posescope/datasets/atomic_file.h"
#include "posescope/datasets/error.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace posescope::cli {
namespace {

// "192x256" → width, height.
std::pair<int, int> parseInputSize(const std::string& text) {
    const std::size_t x = text.find('x');
    auto number = [&](const std::string& s) {
        if (s.empty() || s.size() > 5 || s.find_first_not_of("0123456789") != std::string::npos) return 0;
        return std::stoi(s);
    };
    const int w = x == std::string::npos ? 0 : number(text.substr(0, x));
    const int h = x == std::string::npos ? 0 : number(text.substr(x + 1));
    if (w <= 0 || h <= 0) throw UsageError("--input must be WIDTHxHEIGHT in pixels, e.g. 192x256");
    return {w, h};
}

std::string number(double v, const char* format) {
    if (std::isnan(v)) return "-";
    char text[64];
    std::snprintf(text, sizeof text, format, v);
    return text;
}

// Tidy CSV: one value per line.
// The --csv table, kept in memory and written at the end in one atomic step (an interrupted or
// failed command leaves no half table, nor a truncated file of that name).
class Csv {
public:
    explicit Csv(const std::string& path) : m_path(path) {
        if (!path.empty()) m_text = "table,band,keypoint,decoder,person_height,count,metric,value\n";
    }
    void row(const std::string& table, const std::string& band, const std::string& keypoint, const std::string& decoder,
             const std::string& height, long long count, const std::string& metric, double value) {
        if (m_path.empty()) return;
        char v[64];
        std::snprintf(v, sizeof v, "%.17g", value);
        m_text += table + ',' + band + ',' + keypoint + ',' + decoder + ',' + height + ',' + std::to_string(count) +
                  ',' + metric + ',' + (std::isnan(value) ? "" : v) + '\n';
    }
    void close() {
        if (!m_path.empty()) writeFileAtomically(m_path, m_text);
    }

private:
    std::string m_path;
    std::string m_text;
};

void printAccuracy(const std::vector<analysis::BandAccuracy>& accuracy, Csv& csv) {
    std::printf("%-12s %10s %10s %8s %7s %7s %7s %7s\n", "band", "area min", "area max", "persons", "AP", "AP50",
                "AP75", "AR");
    for (const analysis::BandAccuracy& b : accuracy) {
        std::printf("%-12s %10g %10g %8lld %7.3f %7.3f %7.3f %7.3f\n", b.band.label.c_str(), b.band.min, b.band.max,
                    static_cast<long long>(b.persons), b.ap, b.ap50, b.ap75, b.ar);
        const std::pair<const char*, double> metrics[] = {
            {"AP", b.ap}, {"AP50", b.ap50}, {"AP75", b.ap75}, {"AR", b.ar}};
        for (const auto& [metric, value] : metrics)
            csv.row("accuracy", b.band.label, "", "", "", b.persons, metric, value);
    }
}

void printKeypointErrors(const analysis::KeypointErrorTable& t, const std::vector<std::string>& names, Csv& csv) {
    std::printf("%-16s", "keypoint");
    for (const analysis::AreaRange& b : t.bands)
        std::printf(" | %-22s", b.label.c_str());
    std::printf("\n%-16s", "");
    for (std::size_t b = 0; b < t.bands.size(); ++b)
        std::printf(" | %8s %7s %5s", "/sqrt(A)", "px", "n");
    std::printf("\n");
    auto cells = [&](const std::string& name, auto errorOf) {
        std::printf("%-16s", name.c_str());
        for (std::size_t b = 0; b < t.bands.size(); ++b) {
            const analysis::KeypointError& e = errorOf(b);
            std::printf(" | %8s %7s %5lld", number(e.meanNormalised, "%.3f").c_str(),
                        number(e.meanPixels, "%.2f").c_str(), static_cast<long long>(e.count));
            csv.row("keypoint_error", t.bands[b].label, name, "", "", e.count, "mean_normalised", e.meanNormalised);
            csv.row("keypoint_error", t.bands[b].label, name, "", "", e.count, "mean_pixels", e.meanPixels);
        }
        std::printf("\n");
    };
    for (int k = 0; k < t.keypoints; ++k) {
        const std::string name = static_cast<std::size_t>(k) < names.size() ? names[static_cast<std::size_t>(k)]
                                                                            : "keypoint " + std::to_string(k);
        cells(name, [&](std::size_t b) -> const analysis::KeypointError& { return t.at(b, k); });
    }
    cells("all keypoints", [&](std::size_t b) -> const analysis::KeypointError& { return t.overall[b]; });
    std::printf("%-16s", "persons");
    for (std::size_t b = 0; b < t.bands.size(); ++b)
        std::printf(" | %22lld", static_cast<long long>(t.persons[b]));
    std::printf("\n");
}

void printQuantisation(const analysis::QuantisationResult& q, Csv& csv) {
    const analysis::QuantisationOptions& o = q.options;
    std::printf(
        "Decoder quantisation error against person height (no model: ideal Gaussian heatmaps, sigma %g, at %dx%d "
        "for a %dx%d input; SimCC k %g, sigma %g; %d positions, seed %llu)\n",
        o.sigma, o.inputWidth / o.heatmapStride, o.inputHeight / o.heatmapStride, o.inputWidth, o.inputHeight,
        o.simccSplitRatio, o.simccSigma, o.samplesPerSize, static_cast<unsigned long long>(o.seed));
    std::printf("%-8s", "height");
    for (analysis::QuantisationDecoder d : o.decoders)
        std::printf(" | %-24s", analysis::quantisationDecoderName(d).c_str());
    std::printf("\n%-8s", "px");
    for (std::size_t d = 0; d < o.decoders.size(); ++d)
        std::printf(" | %7s %7s %8s", "mean px", "p95 px", "mean %h");
    std::printf("\n");
    const std::size_t H = o.personHeights.size();
    for (std::size_t h = 0; h < H; ++h) {
        std::printf("%-8g", o.personHeights[h]);
        for (std::size_t d = 0; d < o.decoders.size(); ++d) {
            const analysis::QuantisationRow& r = q.rows[d * H + h];
            std::printf(" | %7.3f %7.3f %8.4f", r.meanPixels, r.p95Pixels, 100 * r.meanNormalised);
            const std::string decoder = analysis::quantisationDecoderName(r.decoder);
            char height[32];
            std::snprintf(height, sizeof height, "%g", r.personHeight);
            const std::pair<const char*, double> metrics[] = {{"mean_pixels", r.meanPixels},
                                                              {"p95_pixels", r.p95Pixels},
                                                              {"mean_normalised", r.meanNormalised},
                                                              {"p95_normalised", r.p95Normalised},
                                                              {"mean_crop_pixels", r.meanCropPixels}};
            for (const auto& [metric, value] : metrics)
                csv.row("decoder_quantisation", "", "", decoder, height, r.samples, metric, value);
        }
        std::printf("\n");
    }
    std::printf("Mean error in crop pixels:");
    for (std::size_t d = 0; d < o.decoders.size(); ++d)
        std::printf(" %s %.3f%s", analysis::quantisationDecoderName(o.decoders[d]).c_str(),
                    q.rows[d * H].meanCropPixels, d + 1 < o.decoders.size() ? "," : "");
    std::printf(
        ". The crop rescales every person to the input (%g x height = %d px), so relative to the person's height "
        "(%%h) the error is the same at every size.\n",
        o.padding, o.inputHeight);
}

int runScales(const Args& a) {
    if (a.positional().size() > 1) throw UsageError("scales takes at most one run file");
    const bool decodersOnly = a.flag("--decoders");
    if (a.positional().empty() && !decodersOnly)
        throw UsageError("give a run file, or --decoders for the decoder table alone");

    analysis::ScaleAnalysisOptions options;
    if (a.has("--bands")) {
        try {
            options.bands = analysis::parseScaleBands(a.value("--bands"));
        } catch (const analysis::EvaluationError& e) {
            throw UsageError(std::string("--bands: ") + e.what());
        }
    }
    analysis::QuantisationOptions quantisation;
    quantisation.sigma = a.number("--sigma", quantisation.sigma);
    const long long samples = a.integer("--samples", quantisation.samplesPerSize);
    if (samples < 1 || samples > 1000000) throw UsageError("--samples must be between 1 and 1000000");
    quantisation.samplesPerSize = static_cast<int>(samples);
    const long long seed = a.integer("--seed", static_cast<long long>(quantisation.seed));
    if (seed < 0) throw UsageError("--seed must not be negative");
    quantisation.seed = static_cast<uint64_t>(seed);
    if (!(quantisation.sigma > 0)) throw UsageError("--sigma must be positive");

    if (a.has("--csv")) {
        std::vector<std::string> inputs = a.positional();
        if (a.has("--gt")) inputs.push_back(a.value("--gt"));
        checkOutput("--csv", a.value("--csv"), inputs);
    }
    Csv csv(a.value("--csv", ""));
    std::optional<analysis::RunReader> run;
    if (!a.positional().empty()) {
        run.emplace(analysis::RunReader::open(a.positional()[0]));
        quantisation = analysis::runQuantisationOptions(run->header(), quantisation);
    }
    if (a.has("--input")) {
        const auto [w, h] = parseInputSize(a.value("--input"));
        quantisation.inputWidth = w;
        quantisation.inputHeight = h;
    }
    if (quantisation.inputWidth % quantisation.heatmapStride != 0 ||
        quantisation.inputHeight % quantisation.heatmapStride != 0)
        throw UsageError("the input " + std::to_string(quantisation.inputWidth) + "x" +
                         std::to_string(quantisation.inputHeight) + " is not a multiple of the heatmap stride " +
                         std::to_string(quantisation.heatmapStride));

    if (run && !decodersOnly) {
        const analysis::RunHeader& h = run->header();
        const analysis::RunScaleAnalysis r = analysis::analyseRunScales(*run, a.value("--gt", ""), options);
        std::printf(
            "AP by person scale (GT area in pixels^2, bounds inclusive as pycocotools): final keypoints of %lld "
            "samples in %zu images, rescored and OKS-NMS as eval%s\n",
            static_cast<long long>(r.samples), r.images, h.complete ? "" : "; the run is incomplete");
        printAccuracy(r.accuracy, csv);
        const std::string skipped =
            r.rowsWithoutGt > 0 ? "; " + std::to_string(r.rowsWithoutGt) + " rows without a labelled GT person skipped"
                                : "";
        std::printf(
            "\nKeypoint error by person scale (labelled keypoints of %zu persons, unprocessed final keypoints): mean "
            "distance to the GT / sqrt(GT area), in pixels, and count%s\n",
            r.poses, skipped.c_str());
        printKeypointErrors(r.errors, h.keypointNames, csv);
        std::printf("\n");
    }
    printQuantisation(analysis::decoderQuantisation(quantisation), csv);
    csv.close();
    return 0;
}

}  // namespace

Command scalesCommand() {
    return {"scales", "accuracy by person scale: AP and keypoint error per area band; decoder error",
            "usage: posescope-cli scales run.h5 [--bands NAME=MIN:MAX,…] [--gt person_keypoints.json] [--csv out.csv]\n"
            "       posescope-cli scales --decoders [--input WIDTHxHEIGHT] [--csv out.csv]\n"
            "\n"
            "For a COCO-format run (posescope-cli record), per band of GT area (COCO's `area`, pixels²;\n"
            "bounds inclusive as pycocotools, so a person on a shared bound counts in both bands):\n"
            "  - OKS AP (.50:.95), AP50, AP75 and AR, exactly as pycocotools computes them for its\n"
            "    medium/large ranges, over the predictions `eval run.h5` scores (rescored, OKS-NMS), with\n"
            "    the number of GT persons with keypoints in the band;\n"
            "  - per keypoint, the mean distance between each recorded person's final keypoint and its GT\n"
            "    (labelled keypoints only) divided by sqrt(area), in pixels, and the count.\n"
            "Then, with no model, the error decoding alone adds against person height (16…512 px): ideal\n"
            "Gaussian heatmaps (argmax, argmax + quarter offset, DARK) and SimCC labels (k = 2) of\n"
            "keypoints at random sub-pixel positions, decoded and mapped back to the image, for a person\n"
            "filling 1/1.25 of the crop's height (mean and 95th percentile in image pixels, mean in % of\n"
            "the height), at the run's input size.\n"
            "\n"
            "  --bands SPEC   bands after 'all' (default small=0:1024,medium=1024:9216,large=9216:1e10)\n"
            "  --gt FILE      the annotation file, if it moved since recording\n"
            "  --csv FILE     every number as CSV: table,band,keypoint,decoder,person_height,count,metric,value\n"
            "  --decoders     only the decoder table (a run file then only gives its input size)\n"
            "  --input WxH    input size for the decoder table (default 192x256, or the run's)\n"
            "  --sigma S      heatmap Gaussian sigma in heatmap pixels (default 2)\n"
            "  --samples N    keypoint positions (default 2000; the same for every size)\n"
            "  --seed N       seed of the positions (default 1)\n",
            [](const std::vector<std::string>& argv) {
                const Args a(argv, {"--decoders"},
                             {"--bands", "--gt", "--csv", "--input", "--sigma", "--samples", "--seed"});
                return runScales(a);
            }};
}

}  // namespace posescope::cli
