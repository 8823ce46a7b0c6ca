// Accuracy breakdowns of a recorded COCO run (breakdown.h).
#include "posescope/analysis/breakdown.h"

#include "posescope/analysis/run_browser.h"
#include "posescope/analysis/run_scales.h"
#include "posescope/analysis/run_store.h"
#include "posescope/analysis/scale_analysis.h"
#include "posescope/datasets/crop.h"
#include "posescope/datasets/error.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <utility>

namespace posescope::analysis {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::size_t kNoBin = std::numeric_limits<std::size_t>::max();
const AreaRange kAll{"all", 0, 1e10};

bool inRange(double area, const AreaRange& r) {
    return !(area < r.min || area > r.max);  // pycocotools: bounds inclusive
}

// COCOeval evaluates a GT unless it is crowd or has num_keypoints == 0.
bool evaluated(const PersonAnnotation& g) {
    return !g.iscrowd && g.numKeypoints > 0;
}

void checkOptions(const BreakdownOptions& o) {
    auto fail = [](const std::string& what) { throw EvaluationError("breakdown options: " + what); };
    if (o.sizeBins.empty()) fail("no size bins");
    std::set<std::string> labels;
    for (std::size_t i = 0; i < o.sizeBins.size(); ++i) {
        const AreaRange& b = o.sizeBins[i];
        if (b.label.empty()) fail("a size bin has no name");
        if (b.label == "all") fail("the size bin name 'all' is reserved (the whole run is reported)");
        if (!labels.insert(b.label).second) fail("the size bin name '" + b.label + "' is used twice");
        if (!std::isfinite(b.min) || !std::isfinite(b.max) || !(b.min < b.max))
            fail("size bin '" + b.label + "': expected finite areas with MIN < MAX");
        if (i == 0 && b.min != 0) fail("the size bins must start at area 0 ('" + b.label + "' starts elsewhere)");
        if (i > 0 && b.min != o.sizeBins[i - 1].max)
            fail("size bin '" + b.label + "' does not start where '" + o.sizeBins[i - 1].label +
                 "' ends: the bins must be contiguous");
    }
    if (o.crowdingBins.empty()) fail("no people-in-crop bins");
    for (std::size_t i = 0; i < o.crowdingBins.size(); ++i)
        if (o.crowdingBins[i] < 0 || (i > 0 && o.crowdingBins[i] <= o.crowdingBins[i - 1]))
            fail("people-in-crop bounds must be ≥ 0 and strictly ascending");
    if (o.prunedShareEdges.empty()) fail("no pruned-share edges");
    for (std::size_t i = 0; i < o.prunedShareEdges.size(); ++i) {
        const double e = o.prunedShareEdges[i];
        if (!(e > 0 && e <= 1) || (i > 0 && !(e > o.prunedShareEdges[i - 1])))
            fail("pruned-share edges must lie in (0, 1] and ascend strictly");
    }
    if (o.prunedShareEdges.back() != 1) fail("the last pruned-share edge must be 1");
    if (o.pruningRadius < 0) fail("the pruning radius must be ≥ 0");
}

std::string number(double v) {
    std::ostringstream s;
    s << v;
    return s.str();
}

ErrorBins makeBins(std::vector<std::string> labels, int K) {
    ErrorBins b;
    b.keypoints = K;
    b.overall.assign(labels.size(), {});
    b.perKeypoint.assign(labels.size() * static_cast<std::size_t>(K), {});
    b.labels = std::move(labels);
    return b;
}

void add(ErrorSum& e, double value) {
    ++e.count;
    e.sum += value;
}

void add(ErrorBins& b, std::size_t bin, int k, double value) {
    add(b.overall[bin], value);
    add(b.perKeypoint[bin * static_cast<std::size_t>(b.keypoints) + static_cast<std::size_t>(k)], value);
}

AccuracyBin accuracyOf(const CocoEvalResult& r, std::size_t area, const std::string& label) {
    const BandAccuracy a = bandAccuracy(r, area);
    return {label, a.ap, a.ap50, a.ap75, a.ar, 0};
}

// The evaluated GT persons of each image, and how many of them a region of the image holds.
class PeopleIndex {
public:
    explicit PeopleIndex(const std::vector<PersonAnnotation>& annotations) {
        for (const PersonAnnotation& a : annotations)
            if (evaluated(a)) m_byImage[a.imageId].push_back(&a);
    }
    // Evaluated persons whose box overlaps [x0, x1] × [y0, y1] with a positive area.
    int count(int64_t imageId, double x0, double y0, double x1, double y1) const {
        const auto it = m_byImage.find(imageId);
        if (it == m_byImage.end()) return 0;
        int n = 0;
        for (const PersonAnnotation* a : it->second) {
            const Box& b = a->bbox;
            if (b.x < x1 && b.x + b.w > x0 && b.y < y1 && b.y + b.h > y0) ++n;
        }
        return n;
    }
    // The same for the crop of center (cx, cy) and scale (sw, sh): center ± 100·scale.
    int inCrop(int64_t imageId, double cx, double cy, double sw, double sh) const {
        return count(imageId, cx - 100 * sw, cy - 100 * sh, cx + 100 * sw, cy + 100 * sh);
    }

private:
    std::map<int64_t, std::vector<const PersonAnnotation*>> m_byImage;
};

// What every breakdown needs of a run and the options: COCO ground truth, sigmas for its keypoints.
void checkRun(const RunReader& run, const BreakdownOptions& o) {
    checkOptions(o);
    const RunHeader& h = run.header();
    if (h.datasetKind != "coco")
        throw FileError(run.path(),
                        "is " +
                            (h.datasetKind == "mpii" ? std::string("an MPII run") : "a '" + h.datasetKind + "' run") +
                            "; the breakdowns need COCO-format ground truth (person areas)");
    const int K = h.keypoints();
    if (K != static_cast<int>(o.eval.sigmas.size()))
        throw FileError(run.path(),
                        "has " + std::to_string(K) + " keypoints; " +
                            (o.eval.sigmas == cocoKeypointSigmas()
                                 ? std::string("OKS sigmas are known for COCO's 17 only")
                                 : "the options give " + std::to_string(o.eval.sigmas.size()) + " OKS sigmas"));
}

}  // namespace

double ErrorSum::mean() const {
    return count > 0 ? sum / static_cast<double>(count) : kNaN;
}

const ErrorSum& ErrorBins::at(std::size_t bin, int keypoint) const {
    if (bin >= labels.size() || keypoint < 0 || keypoint >= keypoints)
        throw EvaluationError("keypoint error bins: no bin " + std::to_string(bin) + ", keypoint " +
                              std::to_string(keypoint));
    return perKeypoint[bin * static_cast<std::size_t>(keypoints) + static_cast<std::size_t>(keypoint)];
}

std::vector<std::string> crowdingBinLabels(const std::vector<int>& bounds) {
    std::vector<std::string> labels;
    for (std::size_t i = 0; i < bounds.size(); ++i) {
        if (i + 1 == bounds.size())
            labels.push_back(std::to_string(bounds[i]) + "+");
        else if (bounds[i + 1] - 1 == bounds[i])
            labels.push_back(std::to_string(bounds[i]));
        else
            labels.push_back(std::to_string(bounds[i]) + "-" + std::to_string(bounds[i + 1] - 1));
    }
    return labels;
}

std::size_t crowdingBin(int people, const std::vector<int>& bounds) {
    std::size_t bin = 0;
    for (std::size_t i = 0; i < bounds.size(); ++i)
        if (people >= bounds[i]) bin = i;
    return bin;
}

std::vector<std::string> prunedShareBinLabels(const std::vector<double>& edges) {
    std::vector<std::string> labels = {"0"};
    double from = 0;
    for (double e : edges) {
        labels.push_back("(" + number(from) + ", " + number(e) + "]");
        from = e;
    }
    return labels;
}

std::size_t prunedShareBin(double share, const std::vector<double>& edges) {
    if (!(share > 0)) return 0;
    for (std::size_t i = 0; i < edges.size(); ++i)
        if (share <= edges[i]) return i + 1;
    return edges.size();  // above the last edge (1): only through rounding
}

RunBreakdown breakdownRun(const RunReader& run, const std::string& gtFile, const BreakdownOptions& o) {
    checkRun(run, o);
    return breakdownRun(run, cocoInputOfRun(run, gtFile), o);
}

RunBreakdown breakdownRun(const RunReader& run, const RunCocoInput& in, const BreakdownOptions& o) {
    checkRun(run, o);
    const RunHeader& h = run.header();
    const int K = h.keypoints();
    const auto rows = static_cast<std::size_t>(run.size());
    const std::vector<int64_t> imageIds = run.int64Column("image_id");
    const std::vector<float> center = run.floatColumn("center"), scale = run.floatColumn("scale");

    std::map<int64_t, const PersonAnnotation*> byId;
    for (const PersonAnnotation& a : in.annotations)
        byId.emplace(a.id, &a);
    const PeopleIndex people(in.annotations);

    // People in each row's crop, and each evaluated GT's (its first row's, else its box's crop).
    std::vector<int> rowPeople(rows);
    std::map<int64_t, std::size_t> firstRow;  // annotation id → row
    for (std::size_t r = 0; r < rows; ++r) {
        rowPeople[r] = people.inCrop(imageIds[r], center[2 * r], center[2 * r + 1], scale[2 * r], scale[2 * r + 1]);
        firstRow.emplace(in.rowAnnotationIds[r], r);
    }
    const double aspect = h.inputHeight > 0 ? static_cast<double>(h.inputWidth) / h.inputHeight : 0.75;
    std::map<int64_t, std::size_t> gtBin;  // evaluated GT id → people-in-crop bin
    for (const PersonAnnotation& a : in.annotations) {
        if (!evaluated(a)) continue;
        int n = 0;
        if (const auto it = firstRow.find(a.id); it != firstRow.end()) {
            n = rowPeople[it->second];
        } else {
            const CenterScale cs = boxToCenterScale(a.bbox, aspect, 1.25);
            n = people.inCrop(a.imageId, cs.cx, cs.cy, cs.sw, cs.sh);
        }
        gtBin[a.id] = crowdingBin(n, o.crowdingBins);
    }

    RunBreakdown out;
    out.run = run.path();
    out.keypointNames = h.keypointNames;
    out.samples = run.size();
    out.images = in.images.size();
    out.pruning = h.pruningStages() > 0;

    // ---- Accuracy: the whole run and the size bins in one evaluation ----
    auto evaluate = [&](const CocoEvalOptions& eo) {
        try {
            return evaluateCocoKeypoints(in.images, in.annotations, in.predictions, eo);
        } catch (const EvaluationError& e) {
            throw FileError(run.path(), e.what());
        }
    };
    CocoEvalOptions eo = o.eval;
    eo.ignorePrediction = nullptr;
    eo.ignoreGroundTruth = nullptr;
    eo.areaRanges = {kAll};
    eo.areaRanges.insert(eo.areaRanges.end(), o.sizeBins.begin(), o.sizeBins.end());
    const CocoEvalResult base = evaluate(eo);
    out.overall = accuracyOf(base, 0, kAll.label);
    for (std::size_t i = 0; i < o.sizeBins.size(); ++i)
        out.bySize.push_back(accuracyOf(base, i + 1, o.sizeBins[i].label));
    for (const PersonAnnotation& a : in.annotations) {
        if (!evaluated(a)) continue;
        if (inRange(a.area, kAll)) ++out.overall.persons;
        for (std::size_t i = 0; i < o.sizeBins.size(); ++i)
            if (inRange(a.area, o.sizeBins[i])) ++out.bySize[i].persons;
    }

    // ---- Accuracy per people-in-crop bin: the ignore hooks on the whole run's matches ----
    const std::size_t P = in.predictions.size();
    std::vector<std::size_t> predictionBin(P, kNoBin);  // by the row each prediction came from
    for (std::size_t p = 0; p < P; ++p)
        if (const int64_t r = in.predictionRows[p]; r >= 0)
            predictionBin[p] = crowdingBin(rowPeople[static_cast<std::size_t>(r)], o.crowdingBins);
    const std::vector<std::string> crowdingLabels = crowdingBinLabels(o.crowdingBins);
    for (std::size_t b = 0; b < o.crowdingBins.size(); ++b) {
        auto outside = [&](int64_t gtId) {
            const auto it = gtBin.find(gtId);
            return it == gtBin.end() || it->second != b;
        };
        CocoEvalOptions co = o.eval;
        co.areaRanges = {kAll};
        co.ignoreGroundTruth = [&](std::size_t, int64_t gtId) { return outside(gtId); };
        co.ignorePrediction = [&](std::size_t t, std::size_t p) {
            const int64_t matched = base.matchedGt[t * P + p];
            return matched != 0 ? outside(matched) : predictionBin[p] != b;
        };
        AccuracyBin a = accuracyOf(evaluate(co), 0, crowdingLabels[b]);
        for (const PersonAnnotation& g : in.annotations)
            if (evaluated(g) && inRange(g.area, kAll) && !outside(g.id)) ++a.persons;
        out.byCrowding.push_back(a);
    }

    // ---- Keypoint errors ----
    KeypointErrorBreakdown& e = out.errors;
    e.keypoints = K;
    e.perKeypoint.assign(static_cast<std::size_t>(K), {});
    e.byVisibility = makeBins({"visible", "occluded"}, K);
    std::vector<std::string> sizeLabels;
    for (const AreaRange& b : o.sizeBins)
        sizeLabels.push_back(b.label);
    e.bySize = makeBins(sizeLabels, K);
    e.byCrowding = makeBins(crowdingLabels, K);
    e.byPruning = makeBins(out.pruning ? prunedShareBinLabels(o.prunedShareEdges) : std::vector<std::string>{}, K);
    if (out.pruning && (h.gridRows <= 0 || h.gridCols <= 0 || h.inputWidth <= 0 || h.inputHeight <= 0))
        throw RunFormatError(run.path(), "a pruning run without a token grid or input size");
    for (std::size_t r = 0; r < rows; ++r) {
        const auto it = byId.find(in.rowAnnotationIds[r]);
        if (it == byId.end() || it->second->iscrowd || it->second->labelledKeypoints() == 0) {
            ++out.rowsWithoutGt;
            continue;
        }
        const PersonAnnotation& g = *it->second;
        if (!(g.area > 0)) {
            ++e.skippedWithoutArea;
            continue;
        }
        if (g.keypoints.size() != static_cast<std::size_t>(3 * K))
            throw FileError(run.path(), "annotation " + std::to_string(g.id) + " has " +
                                            std::to_string(g.keypoints.size()) + " keypoint values, expected " +
                                            std::to_string(3 * K));
        ++e.poses;
        const double root = std::sqrt(g.area);
        std::size_t sizeBin = 0;
        for (std::size_t i = 0; i < o.sizeBins.size(); ++i)
            if (g.area >= o.sizeBins[i].min) sizeBin = i;
        const std::size_t crowd = crowdingBin(rowPeople[r], o.crowdingBins);
        std::vector<uint8_t> alive;
        RunSample sample;  // pruning runs: the kept ranks, the crop transform and the stored GT
        if (out.pruning) {
            sample = run.sample(static_cast<int64_t>(r));
            alive =
                tokenPruningOf(sample, h, run.path()).aliveAt(std::numeric_limits<int>::max());  // after every pruning
            if (sample.groundTruth.size() != static_cast<std::size_t>(3 * K))
                throw RunFormatError(run.path(), "row " + std::to_string(r) + " has no ground truth keypoints");
        }
        const std::vector<double>& p = in.rowKeypoints[r];
        for (int k = 0; k < K; ++k) {
            const double gx = g.keypoints[3 * k], gy = g.keypoints[3 * k + 1], v = g.keypoints[3 * k + 2];
            if (!(v > 0)) continue;
            const double value = std::hypot(p[3 * k] - gx, p[3 * k + 1] - gy) / root;
            add(e.overall, value);
            add(e.perKeypoint[static_cast<std::size_t>(k)], value);
            add(e.byVisibility, v >= 2 ? 0 : 1, k, value);
            add(e.bySize, sizeBin, k, value);
            add(e.byCrowding, crowd, k, value);
            if (out.pruning) {
                // In float32 from the stored GT, as RunBrowser maps points into the crop.
                const float* t = sample.cropTransform.data();
                const float x = sample.groundTruth[static_cast<std::size_t>(3 * k)],
                            y = sample.groundTruth[static_cast<std::size_t>(3 * k + 1)];
                const float cx = t[0] * x + t[1] * y + t[2], cy = t[3] * x + t[4] * y + t[5];
                const double share = prunedShareAround(alive, h, tokenUnder(h, cx, cy), o.pruningRadius);
                add(e.byPruning, prunedShareBin(share, o.prunedShareEdges), k, value);
            }
        }
    }
    return out;
}

RunBreakdown breakdownRun(const std::string& runPath, const std::string& gtFile, const BreakdownOptions& options) {
    const RunReader run = RunReader::open(runPath);
    return breakdownRun(run, gtFile, options);
}

}  // namespace posescope::analysis
