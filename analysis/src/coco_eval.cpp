// COCOeval(iouType='keypoints'), step by step as pycocotools runs it: loadRes, _prepare,
// computeOks, evaluateImg, accumulate, summarize. Comments name the pycocotools step each part
// reproduces; numpy's sorting and summation orders come from numpy_compat.
#include "posescope/analysis/coco_eval.h"

#include "numpy_compat.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <set>
#include <unordered_map>
#include <utility>

namespace posescope::analysis {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// np.min / np.max over a list: NaN propagates.
double nanMin(double a, double b) {
    return (std::isnan(a) || std::isnan(b)) ? kNaN : std::min(a, b);
}
double nanMax(double a, double b) {
    return (std::isnan(a) || std::isnan(b)) ? kNaN : std::max(a, b);
}

struct Detection {  // one loadRes'd result
    int64_t id = 0;
    const PosePrediction* source = nullptr;
    double area = 0;
};

using ImageCategory = std::pair<int64_t, int64_t>;

// Per image and category: GT and DT indices in pycocotools' order (file order within an image).
struct Prepared {
    std::map<ImageCategory, std::vector<const PersonAnnotation*>> gts;
    std::map<ImageCategory, std::vector<const Detection*>> dts;
};

// evaluateImg's output for one (category, area range, image).
struct ImageEval {
    bool present = false;                 // pycocotools returns None when there is neither GT nor DT
    std::vector<double> dtScores;         // D, by score
    std::vector<int64_t> dtMatches;       // [T][D]: matched GT id, 0 = none
    std::vector<unsigned char> dtIgnore;  // [T][D]
    std::vector<unsigned char> gtIgnore;  // G
    std::vector<int64_t> gtIds;           // G, in the order of gtIgnore
};

std::vector<double> variances(const std::vector<double>& sigmas) {
    std::vector<double> vars(sigmas.size());
    for (std::size_t k = 0; k < sigmas.size(); ++k) {
        const double twice = sigmas[k] * 2;
        vars[k] = twice * twice;  // (sigmas * 2) ** 2
    }
    return vars;
}

int labelledCount(const std::vector<double>& keypoints) {
    int count = 0;
    for (std::size_t i = 2; i < keypoints.size(); i += 3)
        count += keypoints[i] > 0 ? 1 : 0;
    return count;
}

// computeOks for one (dt, gt) pair. `vars` are (2σ)².
double oks(const PersonAnnotation& gt, int k1, const std::vector<double>& d, const std::vector<double>& vars) {
    const std::size_t k = vars.size();
    const std::vector<double>& g = gt.keypoints;
    const double x0 = gt.bbox.x - gt.bbox.w;
    const double x1 = gt.bbox.x + gt.bbox.w * 2;
    const double y0 = gt.bbox.y - gt.bbox.h;
    const double y1 = gt.bbox.y + gt.bbox.h * 2;
    const double areaEps = gt.area + npcompat::kSpacingOne;
    std::vector<double> terms;
    terms.reserve(k);
    for (std::size_t j = 0; j < k; ++j) {
        const double xd = d[3 * j];
        const double yd = d[3 * j + 1];
        double dx = 0;
        double dy = 0;
        if (k1 > 0) {
            if (!(g[3 * j + 2] > 0)) continue;  // e = e[vg > 0]
            dx = xd - g[3 * j];
            dy = yd - g[3 * j + 1];
        } else {
            const double left = nanMax(0.0, x0 - xd);
            const double right = nanMax(0.0, xd - x1);
            const double top = nanMax(0.0, y0 - yd);
            const double bottom = nanMax(0.0, yd - y1);
            dx = left + right;
            dy = top + bottom;
        }
        const double dx2 = dx * dx;
        const double dy2 = dy * dy;
        const double d2 = dx2 + dy2;
        double e = d2 / vars[j];
        e = e / areaEps;
        e = e / 2;
        terms.push_back(std::exp(-e));
    }
    const double total = npcompat::sum(terms);
    return total / static_cast<double>(terms.size());
}

void checkGtKeypoints(const PersonAnnotation& gt, int k1, std::size_t k) {
    if (k1 > 0 && gt.keypoints.size() != 3 * k) {
        throw EvaluationError("ground truth annotation " + std::to_string(gt.id) + ": " +
                              std::to_string(gt.keypoints.size()) + " keypoint values, expected " +
                              std::to_string(3 * k) + " (3 per sigma)");
    }
}

void checkOptions(const CocoEvalOptions& options) {
    if (options.sigmas.empty()) throw EvaluationError("COCO keypoint evaluation: no keypoint sigmas");
    if (options.maxDets < 0) throw EvaluationError("COCO keypoint evaluation: maxDets must not be negative");
    for (double t : options.oksThresholds)
        if (!(t > 0 && t <= 1)) throw EvaluationError("COCO keypoint evaluation: OKS thresholds must be in (0, 1]");
}

// Score order of a list of detections: np.argsort(-score, kind='mergesort').
template <typename T, typename Score>
std::vector<std::size_t> byScore(const std::vector<T>& items, Score score) {
    std::vector<double> negated(items.size());
    for (std::size_t i = 0; i < items.size(); ++i)
        negated[i] = -score(items[i]);
    return npcompat::argsortStable(negated);
}

// Mean of the entries > −1 (pycocotools' _summarize), −1 when there are none.
double meanAboveMinusOne(const std::vector<double>& values) {
    std::vector<double> kept;
    for (double v : values) {
        if (v > -1) kept.push_back(v);
    }
    if (kept.empty()) return -1;
    return npcompat::sum(kept) / static_cast<double>(kept.size());
}

}  // namespace

std::vector<double> cocoKeypointSigmas() {
    const double tenths[17] = {.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62, 1.07, 1.07, .87, .87, .89, .89};
    std::vector<double> sigmas(17);
    for (int i = 0; i < 17; ++i)
        sigmas[i] = tenths[i] / 10.0;
    return sigmas;
}

double CocoEvalResult::precisionAt(int t, int r, int a, int k) const {
    const std::size_t R = recallThresholds.size(), K = categoryIds.size(), A = areaRanges.size();
    return precision.at(((static_cast<std::size_t>(t) * R + r) * K + k) * A + a);
}

double CocoEvalResult::recallAt(int t, int a, int k) const {
    const std::size_t K = categoryIds.size(), A = areaRanges.size();
    return recall.at((static_cast<std::size_t>(t) * K + k) * A + a);
}

double keypointOks(const PersonAnnotation& gt, const std::vector<double>& predictedKeypoints,
                   const std::vector<double>& sigmas) {
    if (sigmas.empty()) throw EvaluationError("OKS: no keypoint sigmas");
    if (predictedKeypoints.size() != 3 * sigmas.size()) {
        throw EvaluationError("OKS: the prediction has " + std::to_string(predictedKeypoints.size()) +
                              " keypoint values, expected " + std::to_string(3 * sigmas.size()));
    }
    const int k1 = labelledCount(gt.keypoints);
    checkGtKeypoints(gt, k1, sigmas.size());
    return oks(gt, k1, predictedKeypoints, variances(sigmas));
}

CocoEvalResult evaluateCocoKeypoints(const std::vector<ImageInfo>& images,
                                     const std::vector<PersonAnnotation>& groundTruth,
                                     const std::vector<PosePrediction>& predictions, const CocoEvalOptions& options) {
    checkOptions(options);
    const std::size_t numKeypoints = options.sigmas.size();

    // Params: imgIds = np.unique(sorted GT image ids), catIds = the GT categories, sorted.
    std::vector<int64_t> imgIds;
    for (const auto& image : images)
        imgIds.push_back(image.id);
    std::sort(imgIds.begin(), imgIds.end());
    imgIds.erase(std::unique(imgIds.begin(), imgIds.end()), imgIds.end());
    const std::set<int64_t> imageSet(imgIds.begin(), imgIds.end());
    std::vector<int64_t> catIds;
    for (const auto& ann : groundTruth)
        catIds.push_back(ann.categoryId);
    std::sort(catIds.begin(), catIds.end());
    catIds.erase(std::unique(catIds.begin(), catIds.end()), catIds.end());
    const std::set<int64_t> categorySet(catIds.begin(), catIds.end());

    // loadRes: every result on a GT image; id = position + 1; area and box from the keypoints' extent.
    std::vector<Detection> detections(predictions.size());
    for (std::size_t i = 0; i < predictions.size(); ++i) {
        const PosePrediction& p = predictions[i];
        if (imageSet.count(p.imageId) == 0) {
            throw EvaluationError("keypoint result " + std::to_string(i) + ": image_id " + std::to_string(p.imageId) +
                                  " is not an image of the ground truth (results do not correspond to the "
                                  "current COCO set)");
        }
        if (p.keypoints.size() != 3 * numKeypoints) {
            throw EvaluationError("keypoint result " + std::to_string(i) + ": " + std::to_string(p.keypoints.size()) +
                                  " keypoint values, expected " + std::to_string(3 * numKeypoints));
        }
        double xMin = p.keypoints[0], xMax = p.keypoints[0], yMin = p.keypoints[1], yMax = p.keypoints[1];
        for (std::size_t j = 1; j < numKeypoints; ++j) {
            xMin = nanMin(xMin, p.keypoints[3 * j]);
            xMax = nanMax(xMax, p.keypoints[3 * j]);
            yMin = nanMin(yMin, p.keypoints[3 * j + 1]);
            yMax = nanMax(yMax, p.keypoints[3 * j + 1]);
        }
        const double width = xMax - xMin;
        const double height = yMax - yMin;
        detections[i].id = static_cast<int64_t>(i) + 1;
        detections[i].source = &p;
        detections[i].area = width * height;
    }

    // _prepare: getAnnIds(imgIds, catIds) walks the images in order and each image's annotations in
    // file order; loadAnns then looks every id up in an id -> annotation index (the last one wins).
    std::unordered_map<int64_t, const PersonAnnotation*> gtById;
    std::map<int64_t, std::vector<const PersonAnnotation*>> gtByImage;
    for (const auto& ann : groundTruth) {
        gtById[ann.id] = &ann;
        gtByImage[ann.imageId].push_back(&ann);
    }
    std::map<int64_t, std::vector<const Detection*>> dtByImage;
    for (const auto& det : detections)
        dtByImage[det.source->imageId].push_back(&det);

    Prepared prepared;
    for (int64_t imgId : imgIds) {
        if (auto it = gtByImage.find(imgId); it != gtByImage.end()) {
            for (const PersonAnnotation* ann : it->second) {
                if (categorySet.count(ann->categoryId) == 0) continue;
                const PersonAnnotation* resolved = gtById.at(ann->id);
                prepared.gts[{resolved->imageId, resolved->categoryId}].push_back(resolved);
            }
        }
        if (auto it = dtByImage.find(imgId); it != dtByImage.end()) {
            for (const Detection* det : it->second) {
                if (categorySet.count(det->source->categoryId) == 0) continue;
                prepared.dts[{imgId, det->source->categoryId}].push_back(det);
            }
        }
    }
    // gt['ignore'] = iscrowd or num_keypoints == 0.
    auto gtIgnoreFlag = [](const PersonAnnotation* g) { return g->iscrowd || g->numKeypoints == 0; };

    CocoEvalResult result;
    result.iouThresholds = options.oksThresholds.empty() ? npcompat::linspace(.5, 0.95, 10) : options.oksThresholds;
    result.recallThresholds = npcompat::linspace(.0, 1.00, 101);
    result.categoryIds = catIds;
    result.areaRanges = options.areaRanges;
    result.maxDets = options.maxDets;
    const std::vector<double>& iouThrs = result.iouThresholds;
    const std::vector<double>& recThrs = result.recallThresholds;
    const std::size_t T = iouThrs.size(), R = recThrs.size(), K = catIds.size(), A = options.areaRanges.size(),
                      I = imgIds.size();
    const std::size_t maxDet = static_cast<std::size_t>(options.maxDets);
    const std::vector<double> vars = variances(options.sigmas);
    static const std::vector<const PersonAnnotation*> kNoGts;
    static const std::vector<const Detection*> kNoDts;

    std::vector<ImageEval> evalImgs(K * A * I);  // [K][A][I], the order of pycocotools' evalImgs
    result.matchedGt.assign(T * predictions.size(), 0);
    for (std::size_t ki = 0; ki < K; ++ki) {
        for (std::size_t ii = 0; ii < I; ++ii) {
            const ImageCategory key{imgIds[ii], catIds[ki]};
            const auto gIt = prepared.gts.find(key);
            const auto dIt = prepared.dts.find(key);
            const auto& gts = gIt != prepared.gts.end() ? gIt->second : kNoGts;
            const auto& dtsAll = dIt != prepared.dts.end() ? dIt->second : kNoDts;
            if (gts.empty() && dtsAll.empty()) continue;  // evaluateImg returns None

            // computeOks / evaluateImg: detections by score (stable), at most maxDets of them.
            const auto dtOrder = byScore(dtsAll, [](const Detection* d) { return d->source->score; });
            std::vector<const Detection*> dts;
            for (std::size_t i = 0; i < dtOrder.size() && i < maxDet; ++i)
                dts.push_back(dtsAll[dtOrder[i]]);
            const std::size_t D = dts.size(), G = gts.size();

            std::vector<double> ious;  // [D][G] in the GT's original order; empty when D or G is 0
            if (D > 0 && G > 0) {
                ious.resize(D * G);
                for (std::size_t j = 0; j < G; ++j) {
                    const int k1 = labelledCount(gts[j]->keypoints);
                    checkGtKeypoints(*gts[j], k1, numKeypoints);
                    for (std::size_t i = 0; i < D; ++i)
                        ious[i * G + j] = oks(*gts[j], k1, dts[i]->source->keypoints, vars);
                }
            }

            for (std::size_t ai = 0; ai < A; ++ai) {
                const AreaRange& range = options.areaRanges[ai];
                ImageEval& out = evalImgs[(ki * A + ai) * I + ii];
                out.present = true;
                // _ignore, then GTs with _ignore last (stable).
                std::vector<double> gtIgnoreValues(G);
                for (std::size_t j = 0; j < G; ++j) {
                    const double area = gts[j]->area;
                    const bool ignore = gtIgnoreFlag(gts[j]) || (area < range.min || area > range.max);
                    gtIgnoreValues[j] = ignore ? 1.0 : 0.0;
                }
                const auto gtind = npcompat::argsortStable(gtIgnoreValues);
                std::vector<const PersonAnnotation*> gt(G);
                out.gtIgnore.resize(G);
                out.gtIds.resize(G);
                std::vector<bool> iscrowd(G);
                for (std::size_t j = 0; j < G; ++j) {
                    gt[j] = gts[gtind[j]];
                    out.gtIds[j] = gt[j]->id;
                    out.gtIgnore[j] = gtIgnoreValues[gtind[j]] != 0 ? 1 : 0;
                    iscrowd[j] = gt[j]->iscrowd;
                }

                out.dtScores.resize(D);
                for (std::size_t i = 0; i < D; ++i)
                    out.dtScores[i] = dts[i]->source->score;
                out.dtMatches.assign(T * D, 0);
                out.dtIgnore.assign(T * D, 0);
                std::vector<int64_t> gtm(T * G, 0);
                if (!ious.empty()) {
                    for (std::size_t t = 0; t < T; ++t) {
                        for (std::size_t i = 0; i < D; ++i) {
                            double iou = std::min(iouThrs[t], 1 - 1e-10);
                            std::ptrdiff_t m = -1;
                            for (std::size_t j = 0; j < G; ++j) {
                                // A GT already matched is skipped unless it is a crowd region.
                                if (gtm[t * G + j] > 0 && !iscrowd[j]) continue;
                                // Matched to a regular GT and only ignored ones are left: stop.
                                if (m > -1 && out.gtIgnore[m] == 0 && out.gtIgnore[j] == 1) break;
                                const double candidate = ious[i * G + gtind[j]];
                                if (candidate < iou) continue;
                                iou = candidate;
                                m = static_cast<std::ptrdiff_t>(j);
                            }
                            if (m == -1) continue;
                            out.dtIgnore[t * D + i] = out.gtIgnore[m];
                            out.dtMatches[t * D + i] = gt[m]->id;
                            gtm[t * G + m] = dts[i]->id;
                        }
                    }
                }
                // Unmatched detections outside the area range are ignored.
                for (std::size_t i = 0; i < D; ++i) {
                    const double area = dts[i]->area;
                    const bool outside = area < range.min || area > range.max;
                    const auto index = static_cast<std::size_t>(dts[i]->id - 1);
                    for (std::size_t t = 0; t < T; ++t) {
                        if (out.dtMatches[t * D + i] == 0 && outside) out.dtIgnore[t * D + i] = 1;
                        if (options.ignorePrediction && options.ignorePrediction(t, index)) out.dtIgnore[t * D + i] = 1;
                        if (ai == 0) result.matchedGt[t * predictions.size() + index] = out.dtMatches[t * D + i];
                    }
                }
            }
        }
    }

    // accumulate
    result.precision.assign(T * R * K * A, -1.0);
    result.recall.assign(T * K * A, -1.0);
    for (std::size_t ki = 0; ki < K; ++ki) {
        for (std::size_t ai = 0; ai < A; ++ai) {
            std::vector<const ImageEval*> E;
            for (std::size_t ii = 0; ii < I; ++ii) {
                const ImageEval& e = evalImgs[(ki * A + ai) * I + ii];
                if (e.present) E.push_back(&e);
            }
            if (E.empty()) continue;
            std::vector<double> negatedScores;
            std::size_t npig = 0;
            std::vector<std::size_t> npigAt(T, 0);  // GTs not ignored, per threshold (ignoreGroundTruth)
            for (const ImageEval* e : E) {
                for (double s : e->dtScores)
                    negatedScores.push_back(-s);
                for (std::size_t j = 0; j < e->gtIgnore.size(); ++j) {
                    if (e->gtIgnore[j] != 0) continue;
                    ++npig;
                    for (std::size_t t = 0; t < T; ++t)
                        npigAt[t] += options.ignoreGroundTruth && options.ignoreGroundTruth(t, e->gtIds[j]) ? 0 : 1;
                }
            }
            const auto inds = npcompat::argsortStable(negatedScores);
            const std::size_t nd = inds.size();
            // (image, position) of every concatenated detection, for dtm/dtIg[:, inds].
            std::vector<std::pair<const ImageEval*, std::size_t>> where;
            where.reserve(nd);
            for (const ImageEval* e : E) {
                for (std::size_t i = 0; i < e->dtScores.size(); ++i)
                    where.emplace_back(e, i);
            }
            if (npig == 0) continue;
            for (std::size_t t = 0; t < T; ++t) {
                if (npigAt[t] == 0) continue;
                std::vector<double> rc(nd), pr(nd);
                double tp = 0, fp = 0;
                for (std::size_t n = 0; n < nd; ++n) {
                    const auto [e, i] = where[inds[n]];
                    const std::size_t D = e->dtScores.size();
                    const bool matched = e->dtMatches[t * D + i] != 0;
                    const bool ignored = e->dtIgnore[t * D + i] != 0;
                    if (matched && !ignored) tp += 1;
                    if (!matched && !ignored) fp += 1;
                    rc[n] = tp / static_cast<double>(npigAt[t]);
                    const double sum = fp + tp;
                    const double denominator = sum + npcompat::kSpacingOne;
                    pr[n] = tp / denominator;
                }
                result.recall[(t * K + ki) * A + ai] = nd > 0 ? rc[nd - 1] : 0;
                for (std::size_t n = nd; n-- > 1;) {
                    if (pr[n] > pr[n - 1]) pr[n - 1] = pr[n];
                }
                // q[ri] = pr[searchsorted(rc, recThrs[ri], 'left')]; the first index past the end
                // raises IndexError in pycocotools, which leaves that and all later q at 0.
                for (std::size_t r = 0; r < R; ++r) {
                    const auto pos = static_cast<std::size_t>(
                        std::lower_bound(rc.begin(), rc.end(), recThrs[r], npcompat::sortLess) - rc.begin());
                    double q = 0;
                    if (pos >= nd) {
                        for (; r < R; ++r)
                            result.precision[((t * R + r) * K + ki) * A + ai] = 0;
                        break;
                    }
                    q = pr[pos];
                    result.precision[((t * R + r) * K + ki) * A + ai] = q;
                }
            }
        }
    }

    // summarize (_summarizeKps)
    auto summarize = [&](bool ap, double iouThr, bool anyIou, const std::string& areaLabel) {
        std::vector<std::size_t> ts, as;
        for (std::size_t t = 0; t < T; ++t) {
            if (anyIou || iouThrs[t] == iouThr) ts.push_back(t);
        }
        for (std::size_t a = 0; a < A; ++a) {
            if (options.areaRanges[a].label == areaLabel) as.push_back(a);
        }
        std::vector<double> s;
        for (std::size_t t : ts) {
            if (ap) {
                for (std::size_t r = 0; r < R; ++r) {
                    for (std::size_t k = 0; k < K; ++k) {
                        for (std::size_t a : as)
                            s.push_back(result.precision[((t * R + r) * K + k) * A + a]);
                    }
                }
            } else {
                for (std::size_t k = 0; k < K; ++k) {
                    for (std::size_t a : as)
                        s.push_back(result.recall[(t * K + k) * A + a]);
                }
            }
        }
        return meanAboveMinusOne(s);
    };
    result.stats[0] = summarize(true, 0, true, "all");
    result.stats[1] = summarize(true, .5, false, "all");
    result.stats[2] = summarize(true, .75, false, "all");
    result.stats[3] = summarize(true, 0, true, "medium");
    result.stats[4] = summarize(true, 0, true, "large");
    result.stats[5] = summarize(false, 0, true, "all");
    result.stats[6] = summarize(false, .5, false, "all");
    result.stats[7] = summarize(false, .75, false, "all");
    result.stats[8] = summarize(false, 0, true, "medium");
    result.stats[9] = summarize(false, 0, true, "large");
    return result;
}

std::string formatCocoKeypointSummary(const CocoEvalResult& result) {
    char range[64] = "";
    if (!result.iouThresholds.empty()) {
        std::snprintf(range, sizeof range, "%0.2f:%0.2f", result.iouThresholds.front(), result.iouThresholds.back());
    }
    struct Line {
        bool ap;
        const char* iou;
        const char* area;
    };
    const Line lines[10] = {{true, range, "all"},    {true, "0.50", "all"},  {true, "0.75", "all"},
                            {true, range, "medium"}, {true, range, "large"}, {false, range, "all"},
                            {false, "0.50", "all"},  {false, "0.75", "all"}, {false, range, "medium"},
                            {false, range, "large"}};
    std::string out;
    for (int i = 0; i < 10; ++i) {
        char line[256];
        std::snprintf(line, sizeof line, " %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3d ] = %0.3f\n",
                      lines[i].ap ? "Average Precision" : "Average Recall", lines[i].ap ? "(AP)" : "(AR)", lines[i].iou,
                      lines[i].area, result.maxDets, result.stats[i]);
        out += line;
    }
    return out;
}

}  // namespace posescope::analysis
