// posescope-cli eval: COCO OKS AP/AR of a keypoint results file, or MPII PCKh of predictions.
#include "cli.h"
#include "posescope/analysis/coco_eval.h"
#include "posescope/analysis/pckh.h"
#include "posescope/datasets/coco.h"
#include "posescope/datasets/error.h"
#include "posescope/datasets/mpii.h"

#include <cstdio>
#include <iostream>

namespace posescope::cli {
namespace {

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
    } catch (const analysis::EvaluationError& e) {
        throw FileError(a.value("--results"), e.what());
    }
    return 0;
}

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
    const analysis::PckhResult r = analysis::evaluatePckh(samples);
    std::printf("| Head | Shoulder | Elbow | Wrist | Hip | Knee | Ankle | Mean | Mean@0.1 |\n");
    std::printf("|---|---|---|---|---|---|---|---|---|\n");
    std::printf("| %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f |\n", r.head, r.shoulder, r.elbow,
                r.wrist, r.hip, r.knee, r.ankle, r.mean, r.weightedMean(r.curve[10]));
    std::printf(
        "PCKh@0.5 over %zu samples. Mean@0.1 uses threshold 0.1; HRNet's table reports threshold 0.11 "
        "as \"Mean@0.1\": %.3f.\n",
        samples.size(), r.meanAt01);
    return 0;
}

}  // namespace

Command evalCommand() {
    return {"eval", "score keypoint results: COCO OKS AP/AR, or MPII PCKh",
            "usage: posescope-cli eval --gt person_keypoints.json --results results.json [--max-dets N]\n"
            "       posescope-cli eval --mpii-gt gt_valid.mat --mpii-preds pred.mat\n"
            "\n"
            "COCO: scores a keypoint results file (COCO results format: image_id, category_id,\n"
            "keypoints, score; any model's) exactly as pycocotools' COCOeval for keypoints does, and\n"
            "prints its 10-number summary.\n"
            "\n"
            "MPII: scores predictions (pred.mat as the HRNet/TransPose code writes it: N×16×2,\n"
            "1-based pixels; or JSON [[[x, y], …16], …]) against gt_valid.mat and prints PCKh@0.5 per\n"
            "joint group with Mean and Mean@0.1, as lib/dataset/mpii.py reports them.\n"
            "\n"
            "  --max-dets N   detections per image kept by score (default 20)\n",
            [](const std::vector<std::string>& argv) {
                const Args a(argv, {}, {"--gt", "--results", "--max-dets", "--mpii-gt", "--mpii-preds"});
                if (!a.positional().empty()) throw UsageError("eval takes no positional arguments");
                if (a.has("--mpii-gt") || a.has("--mpii-preds")) return evalMpii(a);
                if (!a.has("--gt") || !a.has("--results"))
                    throw UsageError("give --gt and --results (COCO), or --mpii-gt and --mpii-preds (MPII)");
                return evalCoco(a);
            }};
}

}  // namespace posescope::cli
