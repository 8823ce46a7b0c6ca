// Rows of N runs paired by sample, their OKS and disagreement (run_pairing.h).
#include "posescope/analysis/run_pairing.h"

#include "posescope/analysis/coco_eval.h"
#include "posescope/analysis/run_header.h"
#include "posescope/analysis/run_store.h"
#include "posescope/datasets/error.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <tuple>
#include <utility>

namespace posescope::analysis {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

using Identity = std::tuple<int64_t, int64_t, int>;  // image id, annotation id, occurrence

// What pairing needs of a run's rows, read as whole columns.
struct RunRows {
    std::vector<Identity> identities;  // per row
    std::vector<double> oks;           // per row
};

RunRows readRows(const RunReader& run, const std::vector<double>& sigmas) {
    const int K = run.header().keypoints();
    const auto n = static_cast<std::size_t>(run.size());
    const std::vector<int64_t> images = run.int64Column("image_id"), annotations = run.int64Column("annotation_id");
    const std::vector<float> box = run.floatColumn("box"), gt = run.floatColumn("ground_truth"),
                             kp = run.floatColumn("keypoints");
    const auto k3 = static_cast<std::size_t>(3 * K);
    if (images.size() != n || annotations.size() != n || box.size() != 4 * n || gt.size() != k3 * n ||
        kp.size() != k3 * n)
        throw RunFormatError(run.path(), "its sample columns disagree with its " + std::to_string(n) + " rows and " +
                                             std::to_string(K) + " keypoints");
    RunRows out;
    out.identities.reserve(n);
    out.oks.reserve(n);
    std::map<std::pair<int64_t, int64_t>, int> seen;
    for (std::size_t r = 0; r < n; ++r) {
        const int occurrence = seen[{images[r], annotations[r]}]++;
        out.identities.emplace_back(images[r], annotations[r], occurrence);
        PersonAnnotation a;
        a.keypoints.assign(gt.begin() + static_cast<std::ptrdiff_t>(k3 * r),
                           gt.begin() + static_cast<std::ptrdiff_t>(k3 * (r + 1)));
        const float* b = &box[4 * r];
        a.bbox = {b[0], b[1], b[2], b[3]};
        a.area = static_cast<double>(b[2]) * b[3];
        a.numKeypoints = a.labelledKeypoints();
        if (a.numKeypoints == 0) {
            out.oks.push_back(kNaN);
            continue;
        }
        const std::vector<double> predicted(kp.begin() + static_cast<std::ptrdiff_t>(k3 * r),
                                            kp.begin() + static_cast<std::ptrdiff_t>(k3 * (r + 1)));
        out.oks.push_back(keypointOks(a, predicted, sigmas));
    }
    return out;
}

}  // namespace

void requirePairable(const RunHeader& a, const std::string& firstPath, const RunHeader& b,
                     const std::string& otherPath) {
    auto fail = [&](const std::string& attribute, const std::string& mine, const std::string& theirs) {
        throw FileError(otherPath, "does not hold the samples of " + firstPath + ": its " + attribute + " is '" +
                                       theirs + "', not '" + mine + "'");
    };
    if (a.datasetSha256 != b.datasetSha256) fail("dataset_sha256", a.datasetSha256, b.datasetSha256);
    if (a.boxesSha256 != b.boxesSha256) fail("boxes_sha256", a.boxesSha256, b.boxesSha256);
    if (a.keypoints() != b.keypoints())
        fail("number of keypoints", std::to_string(a.keypoints()), std::to_string(b.keypoints()));
}

RunPairing pairRuns(const std::vector<const RunReader*>& runs, const PairingOptions& options) {
    if (runs.empty()) throw EvaluationError("run pairing: no runs");
    for (std::size_t i = 0; i < runs.size(); ++i)
        if (runs[i] == nullptr) throw EvaluationError("run pairing: run " + std::to_string(i) + " is null");
    for (std::size_t i = 1; i < runs.size(); ++i)
        requirePairable(runs[0]->header(), runs[0]->path(), runs[i]->header(), runs[i]->path());
    const int K = runs[0]->header().keypoints();
    std::vector<double> sigmas = options.sigmas;
    if (sigmas.empty())
        sigmas = K == static_cast<int>(cocoKeypointSigmas().size())
                     ? cocoKeypointSigmas()
                     : std::vector<double>(static_cast<std::size_t>(K), 0.1);
    if (sigmas.size() != static_cast<std::size_t>(K))
        throw EvaluationError("run pairing: " + std::to_string(sigmas.size()) + " OKS sigmas for " + std::to_string(K) +
                              " keypoints");

    RunPairing out;
    std::vector<RunRows> rows;
    std::vector<std::map<Identity, int64_t>> rowOf(runs.size());  // per run: identity → row
    for (std::size_t i = 0; i < runs.size(); ++i) {
        out.runs.push_back(runs[i]->path());
        rows.push_back(readRows(*runs[i], sigmas));
        for (std::size_t r = 0; r < rows[i].identities.size(); ++r)
            rowOf[i].emplace(rows[i].identities[r], static_cast<int64_t>(r));
    }
    out.unpaired.assign(runs.size(), 0);
    for (std::size_t r = 0; r < rows[0].identities.size(); ++r) {
        const Identity& id = rows[0].identities[r];
        PairedSample s;
        std::tie(s.imageId, s.annotationId, s.occurrence) = id;
        bool everywhere = true;
        for (std::size_t i = 0; i < runs.size(); ++i) {
            const auto it = rowOf[i].find(id);
            if (it == rowOf[i].end()) {
                everywhere = false;
                break;
            }
            s.rows.push_back(it->second);
            s.oks.push_back(rows[i].oks[static_cast<std::size_t>(it->second)]);
        }
        if (!everywhere) continue;
        const bool anyNaN = std::any_of(s.oks.begin(), s.oks.end(), [](double v) { return std::isnan(v); });
        s.disagreement =
            anyNaN ? kNaN
                   : *std::max_element(s.oks.begin(), s.oks.end()) - *std::min_element(s.oks.begin(), s.oks.end());
        out.samples.push_back(std::move(s));
    }
    for (std::size_t i = 0; i < runs.size(); ++i)
        out.unpaired[i] = static_cast<int64_t>(rows[i].identities.size() - out.samples.size());
    return out;
}

RunPairing pairRunFiles(const std::vector<std::string>& runPaths, const PairingOptions& options) {
    std::vector<RunReader> readers;
    readers.reserve(runPaths.size());
    for (const std::string& path : runPaths)
        readers.push_back(RunReader::open(path));
    std::vector<const RunReader*> pointers;
    for (const RunReader& r : readers)
        pointers.push_back(&r);
    return pairRuns(pointers, options);
}

void sortByDisagreement(std::vector<PairedSample>& samples) {
    std::stable_sort(samples.begin(), samples.end(), [](const PairedSample& a, const PairedSample& b) {
        if (std::isnan(a.disagreement)) return false;
        if (std::isnan(b.disagreement)) return true;
        return a.disagreement > b.disagreement;
    });
}

int relativeLayer(int layer, int layersFrom, int layersTo) {
    return layerAtSameDepth(layer, layersFrom, layersTo);
}

}  // namespace posescope::analysis
