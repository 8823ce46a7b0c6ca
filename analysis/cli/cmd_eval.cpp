// posescope-cli eval: COCO OKS AP/AR of a keypoint results file, or MPII PCKh of predictions.
#include "cli.h"
#include "posescope/analysis/coco_eval.h"
#include "posescope/analysis/error_taxonomy.h"
#include "posescope/analysis/pckh.h"
#include "posescope/analysis/run_scales.h"
#include "posescope/analysis/run_store.h"
#include "posescope/datasets/coco.h"
#include "posescope/datasets/error.h"
#include "posescope/datasets/mpii.h"

#include <cstdio>
#include <iostream>

namespace posescope::cli {
namespace {

// Ronchi & Perona's breakdown (--errors): per keypoint the share of each error type, the AP as
// each type is fixed, and the background false positives / false negatives.
void printTaxonomy(const std::vector<ImageInfo>& images, const std::vector<PersonAnnotation>& gt,
                   const std::vector<PosePrediction>& predictions, const std::vector<std::string>& names,
                   const analysis::CocoEvalOptions& eval) {
    analysis::ErrorTaxonomyOptions o;
    o.eval = eval;
    const analysis::ErrorTaxonomy t = analysis::errorTaxonomy(images, gt, predictions, o);
    std::printf("\nerror taxonomy (Ronchi & Perona): %zu predictions matched at OKS 0.1; share of labelled keypoints\n",
                t.matched.size());
    std::printf("  %-16s %7s %7s %9s %7s %7s\n", "keypoint", "good", "jitter", "inversion", "swap", "miss");
    const auto row = [](const std::string& name, const std::array<int64_t, analysis::kPoseErrorTypeTypes>& c) {
        int64_t n = 0;
        for (int64_t v : c)
            n += v;
        const auto pct = [&](size_t i) {
            return n > 0 ? 100.0 * static_cast<double>(c[i]) / static_cast<double>(n) : 0;
        };
        std::printf("  %-16s %6.1f%% %6.1f%% %8.1f%% %6.1f%% %6.1f%%\n", name.c_str(), pct(0), pct(1), pct(2), pct(3),
                    pct(4));
    };
    for (size_t k = 0; k < t.counts.size(); ++k)
        row(k < names.size() ? names[k] : std::to_string(k), t.counts[k]);
    row("all", t.totals);
    std::printf(
        "AP %.3f; fixing miss %.3f, + swap %.3f, + inversion %.3f, + jitter %.3f; "
        "+ without background FP %.3f, + without FN %.3f\n",
        t.ap.baseline, t.ap.withoutMiss, t.ap.withoutSwap, t.ap.withoutInversion, t.ap.withoutJitter,
        t.ap.withoutBackgroundFp, t.ap.withoutFalseNegatives);
    if (!t.oksThresholds.empty())
        std::printf("at OKS %.2f: %zu background false positives of %zu predictions, %zu false negatives\n",
                    t.oksThresholds.front(), t.backgroundFalsePositives.front().size(), predictions.size(),
                    t.falseNegatives.front().size());
}

int evalCoco(const Args& a) {
    const CocoDataset gt = CocoDataset::load(a.value("--gt"));
    const int keypoints = static_cast<int>(gt.keypointNames().size());
    const std::vector<PosePrediction> results = loadKeypointResults(a.value("--results"), keypoints);
    analysis::CocoEvalOptions options;
    options.maxDets = static_cast<int>(a.integer("--max-dets", 20));
    if (options.maxDets < 1) throw UsageError("--max-dets must be at least 1");
    if (keypoints != static_cast<int>(options.sigmas.size()))
        throw FileError(a.value("--gt"),
                        "has " + std::to_string(keypoints) + " keypoints; OKS sigmas are known for COCO's 17 only");
    try {
        const auto r = analysis::evaluateCocoKeypoints(gt.images(), gt.annotations(), results, options);
        std::cout << analysis::formatCocoKeypointSummary(r);
        if (a.flag("--errors")) printTaxonomy(gt.images(), gt.annotations(), results, gt.keypointNames(), options);
    } catch (const analysis::EvaluationError& e) {
        throw FileError(a.value("--results"), e.what());
    }
    return 0;
}

void printPckh(const analysis::PckhResult& r, size_t samples);

int evalMpii(const Args& a) {
    const MpiiGroundTruth gt = loadMpiiGroundTruth(a.value("--mpii-gt"));
    const std::vector<std::array<double, 2 * kMpiiJoints>> preds = loadMpiiPredictions(a.value("--mpii-preds"));
    if (preds.size() != gt.size())
        throw FileError(a.value("--mpii-preds"), "has " + std::to_string(preds.size()) + " samples, the ground truth " +
                                                     std::to_string(gt.size()));
    std::vector<analysis::PckhSample> samples(gt.size());
    for (size_t i = 0; i < gt.size(); ++i) {
        samples[i].predicted = preds[i];
        samples[i].groundTruth = gt.joints[i];
        for (int j = 0; j < kMpiiJoints; ++j)
            samples[i].visible[static_cast<size_t>(j)] = !gt.missing[i][static_cast<size_t>(j)];
        samples[i].headSize = gt.headSize[i];
    }
    printPckh(analysis::evaluatePckh(samples), samples.size());
    return 0;
}

void printPckh(const analysis::PckhResult& r, size_t samples) {
    std::printf("| Head | Shoulder | Elbow | Wrist | Hip | Knee | Ankle | Mean | Mean@0.1 |\n");
    std::printf("|---|---|---|---|---|---|---|---|---|\n");
    std::printf("| %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f |\n", r.head, r.shoulder, r.elbow,
                r.wrist, r.hip, r.knee, r.ankle, r.mean, r.weightedMean(r.curve[10]));
    std::printf(
        "PCKh@0.5 over %zu samples. Mean@0.1 uses threshold 0.1; HRNet's table reports threshold 0.11 "
        "as \"Mean@0.1\": %.3f.\n",
        samples, r.meanAt01);
}

// Scores a recorded run: its final keypoints, or one layer's layer-wise keypoints (--layer).
int evalRun(const Args& a, const std::string& path) {
    const analysis::RunReader run = analysis::RunReader::open(path);
    const analysis::RunHeader& h = run.header();
    const long long layer = a.integer("--layer", -1);
    if ((a.has("--layer") && layer < 0) || layer >= h.layers)
        throw UsageError("--layer must be between 0 and " + std::to_string(h.layers - 1));
    if (layer >= 0 && !h.layerwise)
        throw FileError(path, "was recorded with --no-layerwise: it has no layer-wise keypoints");
    const int K = h.keypoints();
    auto keypointsOf = [&](const analysis::RunSample& s) {
        const float* p = layer < 0 ? s.keypoints.data() : s.layerKeypoints.data() + 3 * K * layer;
        return std::vector<double>(p, p + 3 * K);
    };
    const std::string what = layer < 0 ? "final keypoints" : "layer " + std::to_string(layer) + " keypoints";
    if (h.datasetKind == "images")
        throw FileError(path,
                        "is a run over your own images (" + h.images + "): it has no ground truth to score against");
    if (h.datasetKind == "coco") {
        if (a.has("--mpii-gt") || a.has("--mpii-preds"))
            throw UsageError("--mpii-gt is for MPII runs; " + path + " is a COCO-format run (its ground truth: --gt)");
        const analysis::RunCocoInput in = analysis::cocoInputOfRun(run, a.value("--gt", ""), static_cast<int>(layer));
        try {
            const auto r = analysis::evaluateCocoKeypoints(in.images, in.annotations, in.predictions);
            std::cout << analysis::formatCocoKeypointSummary(r);
            if (a.flag("--errors")) printTaxonomy(in.images, in.annotations, in.predictions, h.keypointNames, {});
        } catch (const analysis::EvaluationError& e) {
            throw FileError(path, e.what());
        }
        std::printf("OKS AP of the %s of %lld samples in %zu images (rescored and OKS-NMS as the official code)%s\n",
                    what.c_str(), static_cast<long long>(run.size()), in.images.size(),
                    h.complete ? "" : "; the run is incomplete");
        return 0;
    }
    if (!a.has("--mpii-gt")) throw UsageError("an MPII run needs --mpii-gt gt_valid.mat for the head sizes");
    const MpiiGroundTruth gt = loadMpiiGroundTruth(a.value("--mpii-gt"));
    std::vector<analysis::PckhSample> samples;
    for (int64_t row = 0; row < run.size(); ++row) {
        const analysis::RunSample s = run.sample(row);
        if (s.imageId < 0 || static_cast<size_t>(s.imageId) >= gt.size())
            throw FileError(a.value("--mpii-gt"), "has no sample " + std::to_string(s.imageId) + " of the run");
        const auto i = static_cast<size_t>(s.imageId);
        const std::vector<double> kps = keypointsOf(s);
        analysis::PckhSample p;
        for (int j = 0; j < kMpiiJoints; ++j) {
            // The run stores 0-based pixels; MPII's ground truth is 1-based.
            p.predicted[static_cast<size_t>(2 * j)] = kps[static_cast<size_t>(3 * j)] + 1;
            p.predicted[static_cast<size_t>(2 * j + 1)] = kps[static_cast<size_t>(3 * j + 1)] + 1;
            p.visible[static_cast<size_t>(j)] = !gt.missing[i][static_cast<size_t>(j)];
        }
        p.groundTruth = gt.joints[i];
        p.headSize = gt.headSize[i];
        samples.push_back(p);
    }
    printPckh(analysis::evaluatePckh(samples), samples.size());
    std::printf("(%s)\n", what.c_str());
    return 0;
}

}  // namespace

Command evalCommand() {
    return {"eval", "score keypoint results: COCO OKS AP/AR, or MPII PCKh",
            "usage: posescope-cli eval --gt person_keypoints.json --results results.json [--max-dets N] [--errors]\n"
            "       posescope-cli eval --mpii-gt gt_valid.mat --mpii-preds pred.mat\n"
            "       posescope-cli eval run.h5 [--layer L] [--errors] [--gt person_keypoints.json | --mpii-gt "
            "gt_valid.mat]\n"
            "\n"
            "COCO: scores a keypoint results file (COCO results format: image_id, category_id,\n"
            "keypoints, score; any model's) exactly as pycocotools' COCOeval for keypoints does, and\n"
            "prints its 10-number summary.\n"
            "\n"
            "MPII: scores predictions (pred.mat as the HRNet/TransPose code writes it: N×16×2,\n"
            "1-based pixels; or JSON [[[x, y], …16], …]) against gt_valid.mat and prints PCKh@0.5 per\n"
            "joint group with Mean and Mean@0.1, as lib/dataset/mpii.py reports them.\n"
            "\n"
            "A run file (posescope-cli record): COCO runs get OKS AP over the images they cover, after\n"
            "the official rescoring and OKS-NMS, against the annotation file the run names (or --gt);\n"
            "MPII runs get PCKh (--mpii-gt is needed). --layer L scores layer L's layer-wise keypoints.\n"
            "\n"
            "  --max-dets N   detections per image kept by score (default 20)\n"
            "  --errors       COCO: also Ronchi & Perona's error taxonomy (coco-analyze): per keypoint the\n"
            "                 share of good, jitter, inversion, swap and miss, the AP with each error type\n"
            "                 fixed in turn, and the background false positives and false negatives\n",
            [](const std::vector<std::string>& argv) {
                const Args a(argv, {"--errors"},
                             {"--gt", "--results", "--max-dets", "--mpii-gt", "--mpii-preds", "--layer"});
                if (a.positional().size() > 1) throw UsageError("eval takes at most one run file");
                if (a.positional().size() == 1) return evalRun(a, a.positional()[0]);
                if (a.has("--mpii-gt") || a.has("--mpii-preds")) return evalMpii(a);
                if (!a.has("--gt") || !a.has("--results"))
                    throw UsageError("give --gt and --results (COCO), or --mpii-gt and --mpii-preds (MPII)");
                return evalCoco(a);
            }};
}

}  // namespace posescope::cli
