// A COCO run as evaluation input and its scale analysis (run_scales.h).
#include "posescope/analysis/run_scales.h"

#include "posescope/analysis/pose_nms.h"
#include "posescope/analysis/run_store.h"
#include "posescope/datasets/coco.h"
#include "posescope/datasets/error.h"

#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <utility>

namespace posescope::analysis {

namespace {

void requireCoco(const RunReader& run, const std::string& purpose) {
    const std::string& kind = run.header().datasetKind;
    if (kind == "coco") return;
    const std::string what = kind == "mpii"     ? "an MPII run"
                             : kind == "images" ? "a run over your own images (no ground truth)"
                                                : "a '" + kind + "' run";
    throw FileError(run.path(), "is " + what + "; " + purpose);
}

bool sameValue(double a, double b) {
    return a == b || (std::isnan(a) && std::isnan(b));
}

// The row each of rescoreAndNms(people)'s predictions came from. Rescoring and OKS-NMS keep a
// row's image and keypoints (rounded to float32, as a run's keypoints already are) and give it
// personScore(box score, keypoints); rows of one image are tried in the order oksNms considers
// them, so of identical predictions the one it can keep is taken. −1 where none matches.
std::vector<int64_t> predictionRowsOf(const std::vector<PersonPose>& people,
                                      const std::vector<PosePrediction>& predictions) {
    const OksNmsOptions nms;  // rescoreAndNms's defaults
    std::vector<std::vector<double>> keypoints(people.size());
    std::vector<double> scores(people.size());
    std::map<int64_t, std::vector<std::size_t>> rowsOfImage;
    for (std::size_t r = 0; r < people.size(); ++r) {
        keypoints[r] = people[r].keypoints;
        if (nms.float32Keypoints)
            for (double& v : keypoints[r])
                v = static_cast<double>(static_cast<float>(v));
        scores[r] = personScore(people[r].score, keypoints[r], nms.inVisThreshold);
        rowsOfImage[people[r].imageId].push_back(r);
    }
    for (auto& [image, rows] : rowsOfImage) {
        std::vector<double> s;
        for (std::size_t r : rows)
            s.push_back(scores[r]);
        std::vector<std::size_t> ordered;
        for (std::size_t i : numpyDescendingOrder(s))
            ordered.push_back(rows[i]);
        rows = std::move(ordered);
    }
    auto matches = [&](std::size_t r, const PosePrediction& p) {
        if (!sameValue(scores[r], p.score) || keypoints[r].size() != p.keypoints.size()) return false;
        for (std::size_t i = 0; i < p.keypoints.size(); ++i)
            if (!sameValue(keypoints[r][i], p.keypoints[i])) return false;
        return true;
    };
    std::vector<bool> used(people.size(), false);
    std::vector<int64_t> out(predictions.size(), -1);
    for (std::size_t p = 0; p < predictions.size(); ++p) {
        const auto it = rowsOfImage.find(predictions[p].imageId);
        if (it == rowsOfImage.end()) continue;
        for (std::size_t r : it->second)
            if (!used[r] && matches(r, predictions[p])) {
                used[r] = true;
                out[p] = static_cast<int64_t>(r);
                break;
            }
    }
    return out;
}

}  // namespace

RunCocoInput cocoInputOfRun(const RunReader& run, const std::string& gtFile, int layer) {
    const RunHeader& h = run.header();
    requireCoco(run, "COCO evaluation needs a COCO-format run");
    const int K = h.keypoints();
    const std::string gtPath = gtFile.empty() ? locateRecordedFile(h.dataset, run.path()) : gtFile;
    std::error_code ec;
    if (gtFile.empty() && !std::filesystem::exists(gtPath, ec))
        throw FileError(run.path(), "was recorded from the annotation file " + h.dataset +
                                        ", which is not there (nor beside the run): give it with --gt");
    const CocoDataset gt = CocoDataset::load(gtPath);
    // Another file than the run was recorded from may be right (a copy, the full file of a
    // subset), but one of another dataset whose ids happen to overlap (SynthPose splits of other
    // seeds) would score every prediction against other people: every row's person must be in it.
    const auto notTheRunsDataset = [&](int64_t row, const std::string& why) {
        return FileError(gtPath, "does not hold the persons " + run.path() + " was recorded on (row " +
                                     std::to_string(row) + ": " + why +
                                     "); give the annotation file the run was recorded from");
    };
    RunCocoInput in;
    std::vector<PersonPose> people;
    std::set<int64_t> imageIds;
    for (int64_t row = 0; row < run.size(); ++row) {
        const RunSample s = run.sample(row);
        if (!gt.image(s.imageId)) throw notTheRunsDataset(row, "no image " + std::to_string(s.imageId));
        if (s.annotationId > 0) {
            const PersonAnnotation* a = gt.annotation(s.annotationId);
            const std::string which = "annotation " + std::to_string(s.annotationId);
            if (!a || a->imageId != s.imageId)
                throw notTheRunsDataset(row, which + " of image " + std::to_string(s.imageId) + " is not in it");
            if (s.groundTruth.size() == a->keypoints.size())
                for (size_t i = 0; i < a->keypoints.size(); ++i)
                    if (std::fabs(a->keypoints[i] - s.groundTruth[i]) > 0.01)
                        throw notTheRunsDataset(row, which + " has other keypoints than the run stored");
        }
        const float* p = layer < 0 ? s.keypoints.data() : s.layerKeypoints.data() + 3 * K * layer;
        std::vector<double> keypoints(p, p + 3 * K);
        people.push_back({s.imageId, keypoints, areaFromScale(s.scale[0], s.scale[1]), s.boxScore});
        imageIds.insert(s.imageId);
        in.rowAnnotationIds.push_back(s.annotationId);
        in.rowKeypoints.push_back(std::move(keypoints));
    }
    for (const ImageInfo& img : gt.images())
        if (imageIds.count(img.id)) in.images.push_back(img);
    for (const PersonAnnotation& ann : gt.annotations())
        if (imageIds.count(ann.imageId)) in.annotations.push_back(ann);
    try {
        in.predictions = rescoreAndNms(people);
        in.predictionRows = predictionRowsOf(people, in.predictions);
    } catch (const EvaluationError& e) {
        throw FileError(run.path(), e.what());
    }
    return in;
}

std::vector<ScaledPose> scaledPosesOfRun(const RunCocoInput& in) {
    std::map<int64_t, const PersonAnnotation*> byId;
    for (const PersonAnnotation& ann : in.annotations)
        byId[ann.id] = &ann;
    std::vector<ScaledPose> poses;
    for (std::size_t row = 0; row < in.rowKeypoints.size(); ++row) {
        const auto it = byId.find(in.rowAnnotationIds[row]);
        if (it == byId.end() || it->second->iscrowd || it->second->labelledKeypoints() == 0) continue;
        poses.push_back({it->second->area, it->second->keypoints, in.rowKeypoints[row]});
    }
    return poses;
}

RunScaleAnalysis analyseRunScales(const RunReader& run, const std::string& gtFile,
                                  const ScaleAnalysisOptions& options) {
    const RunHeader& h = run.header();
    requireCoco(run, "the scale analysis needs COCO-format ground truth (person areas)");
    if (h.keypoints() != static_cast<int>(options.eval.sigmas.size()))
        throw FileError(run.path(),
                        "has " + std::to_string(h.keypoints()) + " keypoints; " +
                            (options.eval.sigmas == cocoKeypointSigmas()
                                 ? std::string("OKS sigmas are known for COCO's 17 only")
                                 : "the options give " + std::to_string(options.eval.sigmas.size()) + " OKS sigmas"));
    const RunCocoInput in = cocoInputOfRun(run, gtFile);
    const std::vector<ScaledPose> poses = scaledPosesOfRun(in);
    RunScaleAnalysis r;
    try {
        static_cast<ScaleAnalysisResult&>(r) = analyseScales(in.images, in.annotations, in.predictions, poses, options);
    } catch (const EvaluationError& e) {
        throw FileError(run.path(), e.what());
    }
    r.samples = run.size();
    r.images = in.images.size();
    r.poses = poses.size();
    r.rowsWithoutGt = in.rowKeypoints.size() - poses.size();
    return r;
}

RunScaleAnalysis analyseRunScales(const std::string& runPath, const std::string& gtFile,
                                  const ScaleAnalysisOptions& options) {
    const RunReader run = RunReader::open(runPath);
    return analyseRunScales(run, gtFile, options);
}

QuantisationOptions runQuantisationOptions(const RunHeader& h, QuantisationOptions base) {
    base.inputWidth = h.inputWidth;
    base.inputHeight = h.inputHeight;
    if (h.heatmapWidth > 0 && h.inputWidth % h.heatmapWidth == 0) base.heatmapStride = h.inputWidth / h.heatmapWidth;
    return base;
}

}  // namespace posescope::analysis
