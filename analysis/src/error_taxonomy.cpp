// Ronchi & Perona's pose error taxonomy (error_taxonomy.h).
#include "posescope/analysis/error_taxonomy.h"

#include "posescope/datasets/skeleton.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

namespace posescope::analysis {
namespace {

// One candidate location of the image for a predicted keypoint: a person's keypoint (or its
// counterpart), with that person's area.
struct Candidate {
    const PersonAnnotation* person = nullptr;
    bool flipped = false;
};

double keypointSimilarity(double dx, double dy, double sigma, double area) {
    return std::exp(-(dx * dx + dy * dy) / ((2 * sigma) * (2 * sigma)) /
                    (area + std::numeric_limits<double>::epsilon()) / 2);
}

}  // namespace

std::string poseErrorName(PoseErrorType error) {
    switch (error) {
        case PoseErrorType::Good: return "good";
        case PoseErrorType::Jitter: return "jitter";
        case PoseErrorType::Inversion: return "inversion";
        case PoseErrorType::Swap: return "swap";
        case PoseErrorType::Miss: return "miss";
    }
    return "good";
}

ErrorTaxonomy errorTaxonomy(const std::vector<ImageInfo>& images, const std::vector<PersonAnnotation>& groundTruth,
                            const std::vector<PosePrediction>& predictions, const ErrorTaxonomyOptions& o) {
    const std::vector<double>& sigmas = o.eval.sigmas;
    const auto K = static_cast<int>(sigmas.size());
    // The counterpart of each keypoint (itself when it has none).
    std::vector<int> flipOf(static_cast<size_t>(K));
    for (int k = 0; k < K; ++k)
        flipOf[static_cast<size_t>(k)] = k;
    const auto pairs = o.flipPairs.empty() && K == 17 ? cocoSkeleton().flipPairs : o.flipPairs;
    for (const auto& [a, b] : pairs) {
        if (a < 0 || b < 0 || a >= K || b >= K)
            throw EvaluationError("error taxonomy: flip pair (" + std::to_string(a) + ", " + std::to_string(b) +
                                  ") outside the " + std::to_string(K) + " keypoints");
        flipOf[static_cast<size_t>(a)] = b;
        flipOf[static_cast<size_t>(b)] = a;
    }

    // The localisation matches.
    CocoEvalOptions locate = o.eval;
    locate.oksThresholds = {o.localisationOks};
    locate.ignorePrediction = nullptr;
    locate.ignoreGroundTruth = nullptr;
    const CocoEvalResult matches = evaluateCocoKeypoints(images, groundTruth, predictions, locate);
    std::map<int64_t, const PersonAnnotation*> gtById;
    std::map<int64_t, std::vector<const PersonAnnotation*>> gtByImage;
    for (const PersonAnnotation& g : groundTruth) {
        gtById[g.id] = &g;
        gtByImage[g.imageId].push_back(&g);
    }

    ErrorTaxonomy out;
    out.counts.assign(static_cast<size_t>(K), {});
    std::vector<PosePrediction> fixed[4];  // after fixing miss, +swap, +inversion, +jitter
    for (auto& f : fixed)
        f = predictions;
    const PoseErrorType order[4] = {PoseErrorType::Miss, PoseErrorType::Swap, PoseErrorType::Inversion,
                                    PoseErrorType::Jitter};
    for (std::size_t p = 0; p < predictions.size(); ++p) {
        const int64_t gtId = matches.matchedGt[p];
        if (gtId == 0) continue;
        const PersonAnnotation& own = *gtById.at(gtId);
        if (own.numKeypoints == 0 || own.keypoints.size() != static_cast<size_t>(3 * K)) continue;
        std::vector<Candidate> candidates = {{&own, false}};
        for (const PersonAnnotation* g : gtByImage[own.imageId])
            if (g->id != own.id && g->keypoints.size() == static_cast<size_t>(3 * K)) candidates.push_back({g, false});
        const size_t people = candidates.size();
        for (size_t c = 0; c < people; ++c)
            candidates.push_back({candidates[c].person, true});

        const PosePrediction& pred = predictions[p];
        MatchedPrediction m;
        m.prediction = p;
        m.gtId = gtId;
        m.errors.assign(static_cast<size_t>(K), -1);
        m.swappedWith.assign(static_cast<size_t>(K), 0);
        m.corrected = pred.keypoints;
        for (int k = 0; k < K; ++k) {
            const auto kk = static_cast<size_t>(k);
            if (own.keypoints[3 * kk + 2] <= 0) continue;
            double best = -std::numeric_limits<double>::infinity();
            size_t arg = 0;
            for (size_t c = 0; c < candidates.size(); ++c) {
                const PersonAnnotation& g = *candidates[c].person;
                const auto j = static_cast<size_t>(candidates[c].flipped ? flipOf[kk] : k);
                const double ks =
                    g.keypoints[3 * j + 2] > 0
                        ? keypointSimilarity(pred.keypoints[3 * kk] - g.keypoints[3 * j],
                                             pred.keypoints[3 * kk + 1] - g.keypoints[3 * j + 1], sigmas[kk], g.area)
                        : -1;
                if (ks > best) {
                    best = ks;
                    arg = c;
                }
            }
            best = std::max(best, 0.0);
            PoseErrorType e;
            if (best < o.jitterLow)
                e = PoseErrorType::Miss;
            else if (arg == 0)
                e = best >= o.jitterHigh ? PoseErrorType::Good : PoseErrorType::Jitter;
            else if (arg == people)
                e = PoseErrorType::Inversion;
            else
                e = PoseErrorType::Swap;
            m.errors[kk] = static_cast<int>(e);
            if (e == PoseErrorType::Swap) m.swappedWith[kk] = candidates[arg].person->id;
            ++out.counts[kk][static_cast<size_t>(e)];
            ++out.totals[static_cast<size_t>(e)];
            if (e != PoseErrorType::Good) {
                const double s = e == PoseErrorType::Jitter ? o.jitterHigh
                                 : e == PoseErrorType::Miss ? o.jitterLow
                                                            : std::clamp(best, std::numeric_limits<double>::epsilon(),
                                                                         1 - std::numeric_limits<double>::epsilon());
                m.corrected[3 * kk] =
                    own.keypoints[3 * kk] + std::sqrt(-std::log(s) * 2 * own.area * sigmas[kk] * sigmas[kk]);
                m.corrected[3 * kk + 1] = own.keypoints[3 * kk + 1];
            }
            // Fixes accumulate in coco-analyze's order: stage i fixes order[0..i].
            for (int stage = 0; stage < 4; ++stage)
                for (int i = 0; i <= stage; ++i)
                    if (e == order[i]) {
                        fixed[stage][p].keypoints[3 * kk] = m.corrected[3 * kk];
                        fixed[stage][p].keypoints[3 * kk + 1] = m.corrected[3 * kk + 1];
                    }
        }
        out.matched.push_back(std::move(m));
    }

    const auto ap = [&](const std::vector<PosePrediction>& preds, const CocoEvalOptions& options) {
        return evaluateCocoKeypoints(images, groundTruth, preds, options);
    };
    const CocoEvalResult baseline = ap(predictions, o.eval);
    out.ap.baseline = baseline.stats[0];
    out.ap.withoutMiss = ap(fixed[0], o.eval).stats[0];
    out.ap.withoutSwap = ap(fixed[1], o.eval).stats[0];
    out.ap.withoutInversion = ap(fixed[2], o.eval).stats[0];
    const CocoEvalResult allFixed = ap(fixed[3], o.eval);
    out.ap.withoutJitter = allFixed.stats[0];

    // Background false positives and false negatives of the fixed predictions, per threshold.
    out.oksThresholds = allFixed.iouThresholds;
    const size_t T = out.oksThresholds.size(), P = predictions.size();
    const AreaRange& range = o.eval.areaRanges.front();
    std::vector<std::set<size_t>> falsePositive(T);
    std::vector<std::set<int64_t>> missed(T);
    for (size_t t = 0; t < T; ++t) {
        std::set<int64_t> matchedIds;
        for (size_t p = 0; p < P; ++p) {
            const int64_t g = allFixed.matchedGt[t * P + p];
            if (g == 0)
                falsePositive[t].insert(p);
            else
                matchedIds.insert(g);
        }
        for (const PersonAnnotation& g : groundTruth) {
            const bool counts = !g.iscrowd && g.numKeypoints > 0 && g.area >= range.min && g.area <= range.max;
            if (counts && !matchedIds.count(g.id)) missed[t].insert(g.id);
        }
        if (t > 0) missed[t].insert(missed[t - 1].begin(), missed[t - 1].end());
        out.backgroundFalsePositives.emplace_back(falsePositive[t].begin(), falsePositive[t].end());
        out.falseNegatives.emplace_back(missed[t].begin(), missed[t].end());
    }
    CocoEvalOptions withoutFp = o.eval;
    withoutFp.ignorePrediction = [&](size_t t, size_t p) { return falsePositive[t].count(p) > 0; };
    out.ap.withoutBackgroundFp = ap(fixed[3], withoutFp).stats[0];
    CocoEvalOptions withoutFn = withoutFp;
    withoutFn.ignoreGroundTruth = [&](size_t t, int64_t id) { return missed[t].count(id) > 0; };
    out.ap.withoutFalseNegatives = ap(fixed[3], withoutFn).stats[0];
    return out;
}

}  // namespace posescope::analysis
