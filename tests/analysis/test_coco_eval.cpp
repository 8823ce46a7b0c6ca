// COCO keypoint AP/AR against hand-computed pycocotools results.
//
// Reminders for the hand computations (pycocotools' accumulate): detections of all images are
// ranked by score (stable, images in id order); tp/fp are cumulative counts over that ranking,
// ignoring detections matched to ignored GTs; rc = tp/npig, pr = tp/(tp + fp + eps) with
// eps = 2.22e-16, so a lone true positive has precision 1/(1 + eps) (1 − 2.2e-16), not 1;
// precision is made non-increasing from the right, then read at 101 recall thresholds
// r = 0, .01, …, 1 at the first rank with rc ≥ r (0 past the last rank). AP is the mean over the
// 10 OKS thresholds .50:.05:.95 and the 101 recall thresholds; AR the mean of the final recalls.
#include "coco_cases.h"
#include "posescope/analysis/coco_eval.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

using namespace posescope;
using analysis::CocoEvalOptions;
using analysis::CocoEvalResult;
using analysis::evaluateCocoKeypoints;

namespace {

constexpr double kEps = 2.220446049250313e-16;
const double kLoneTp = 1.0 / (1.0 + kEps);  // precision of one true positive and no false positive
constexpr double kTol = 1e-12;

enum Stat { AP, AP50, AP75, APm, APl, AR, AR50, AR75, ARm, ARl };

using test::atOks;
using test::exactly;
using test::person;

// A GT without labelled keypoints (COCO stores zeros), e.g. a crowd region.
PersonAnnotation unlabelled(int64_t id, int64_t imageId, Box box, bool crowd) {
    PersonAnnotation a;
    a.id = id;
    a.imageId = imageId;
    a.keypoints.assign(51, 0.0);
    a.numKeypoints = 0;
    a.bbox = box;
    a.area = box.w * box.h;
    a.iscrowd = crowd;
    return a;
}

PosePrediction farAway(int64_t imageId, double score) {
    PersonAnnotation ghost = person(0, imageId, 5000, 5000, 100, 100, 10000);
    return exactly(ghost, score);
}

std::vector<ImageInfo> images(std::initializer_list<int64_t> ids) {
    std::vector<ImageInfo> out;
    for (int64_t id : ids)
        out.push_back({id, std::to_string(id) + ".jpg", 640, 480});
    return out;
}

}  // namespace

TEST(CocoEval, PerfectPredictionHasApOne) {
    // One large GT (area 10000 > 96²), one identical prediction: OKS 1 at every threshold, one TP:
    // precision 1/(1+eps) at all 101 recall thresholds, recall 1. No medium GT: APm = ARm = −1.
    const auto gt = person(7, 1, 100, 100, 100, 100, 10000);
    const auto r = evaluateCocoKeypoints(images({1}), {gt}, {exactly(gt, 0.8)});
    EXPECT_NEAR(r.stats[AP], 1.0, kTol);
    EXPECT_NEAR(r.stats[AP50], kLoneTp, kTol);
    EXPECT_NEAR(r.stats[AP75], kLoneTp, kTol);
    EXPECT_EQ(r.stats[APm], -1);
    EXPECT_NEAR(r.stats[APl], 1.0, kTol);
    EXPECT_EQ(r.stats[AR], 1.0);
    EXPECT_EQ(r.stats[AR50], 1.0);
    EXPECT_EQ(r.stats[AR75], 1.0);
    EXPECT_EQ(r.stats[ARm], -1);
    EXPECT_EQ(r.stats[ARl], 1.0);
    EXPECT_EQ(r.precisionAt(0, 0, 0), kLoneTp);
    EXPECT_EQ(r.precisionAt(9, 100, 2), kLoneTp);
    EXPECT_EQ(r.precisionAt(3, 50, 1), -1);  // medium: no GT
    EXPECT_EQ(r.recallAt(9, 0), 1.0);
}

TEST(CocoEval, ShapesAndThresholdsFollowNumpy) {
    const auto gt = person(1, 1, 0, 0, 100, 100, 10000);
    const auto r = evaluateCocoKeypoints(images({1}), {gt}, {exactly(gt, 1)});
    ASSERT_EQ(r.iouThresholds.size(), 10u);
    ASSERT_EQ(r.recallThresholds.size(), 101u);
    EXPECT_EQ(r.iouThresholds[0], .5);
    EXPECT_EQ(r.iouThresholds[5], .75);                 // the AP75 lookup is an exact comparison
    EXPECT_EQ(r.iouThresholds[8], 0.8999999999999999);  // numpy's linspace: .5 + 8·(.45/9)
    EXPECT_EQ(r.iouThresholds[9], .95);
    EXPECT_EQ(r.recallThresholds[57], 0.5700000000000001);  // 57 · .01
    EXPECT_EQ(r.categoryIds, std::vector<int64_t>{1});
    EXPECT_EQ(r.precision.size(), 10u * 101 * 1 * 3);
    EXPECT_EQ(r.recall.size(), 10u * 1 * 3);
}

TEST(CocoEval, SinglePredictionPassesTheThresholdsBelowItsOks) {
    // One GT, one prediction at OKS s: a TP (precision 1/(1+eps) everywhere, recall 1) at the
    // thresholds ≤ s, an FP (precision 0, recall 0) above. AP = AR = #(thresholds ≤ s)/10.
    const auto gt = person(1, 1, 100, 100, 100, 100, 10000);
    const struct {
        double oks;
        int passed;
    } cases[] = {{0.52, 1}, {0.68, 4}, {0.72, 5}, {0.83, 7}, {0.97, 10}, {0.3, 0}};
    for (const auto& c : cases) {
        const auto dt = atOks(gt, c.oks, 0.9);
        EXPECT_NEAR(analysis::keypointOks(gt, dt.keypoints), c.oks, 1e-12);
        const auto r = evaluateCocoKeypoints(images({1}), {gt}, {dt});
        EXPECT_NEAR(r.stats[AP], c.passed / 10.0, kTol) << c.oks;
        EXPECT_NEAR(r.stats[AR], c.passed / 10.0, kTol) << c.oks;
        EXPECT_NEAR(r.stats[AP50], c.passed >= 1 ? 1.0 : 0.0, kTol) << c.oks;
        EXPECT_NEAR(r.stats[AP75], c.passed >= 6 ? 1.0 : 0.0, kTol) << c.oks;
    }
}

TEST(CocoEval, FalsePositiveBetweenTruePositives) {
    // GTs A, B; predictions ranked: exact on A (.9), far from both (.8), exact on B (.7).
    // Every threshold: tp = [1,1,2], fp = [0,1,1] → rc = [.5,.5,1], pr = [1/(1+eps), 1/2, 2/3];
    // envelope → [1/(1+eps), 2/3, 2/3]. r = 0….50 (51 values) read rank 0, r = .51…1 (50) rank 2:
    // AP = (51/(1+eps) + 50·2/3)/101 = 0.834983…, AR = 1.
    const auto a = person(1, 1, 100, 100, 100, 100, 10000);
    const auto b = person(2, 1, 300, 100, 100, 100, 10000);
    const auto r = evaluateCocoKeypoints(images({1}), {a, b}, {exactly(a, .9), farAway(1, .8), exactly(b, .7)});
    const double expected = (51 * kLoneTp + 50 * (2.0 / 3.0)) / 101;
    EXPECT_NEAR(r.stats[AP], expected, kTol);
    EXPECT_NEAR(r.stats[AP50], expected, kTol);
    EXPECT_EQ(r.precisionAt(0, 50, 0), kLoneTp);
    EXPECT_EQ(r.precisionAt(0, 51, 0), 2.0 / 3.0);
    EXPECT_EQ(r.stats[AR], 1.0);
}

TEST(CocoEval, CrowdMatchesAreIgnoredNotFalsePositives) {
    // GT A regular; crowd region C elsewhere (no labelled keypoints: the k1 == 0 branch, OKS 1 for
    // points inside C's box enlarged to [x−w, x+2w]×[y−h, y+2h]). Ranked: two predictions inside C
    // (.9, .85), then exact on A (.8). A crowd GT can be matched again and again, so both are
    // ignored: tp = [0,0,1], fp = [0,0,0], pr = [0, 0, 1/(1+eps)] → envelope 1/(1+eps) everywhere.
    const auto a = person(1, 1, 100, 100, 100, 100, 10000);
    const auto crowd = unlabelled(2, 1, {500, 500, 200, 200}, true);
    const auto insideC1 = exactly(person(0, 1, 520, 520, 100, 100, 0), .9);
    const auto insideC2 = exactly(person(0, 1, 540, 560, 100, 100, 0), .85);
    const auto r = evaluateCocoKeypoints(images({1}), {a, crowd}, {insideC1, insideC2, exactly(a, .8)});
    EXPECT_NEAR(r.stats[AP], kLoneTp, kTol);
    EXPECT_EQ(r.stats[AR], 1.0);
}

TEST(CocoEval, IgnoredNonCrowdGtAbsorbsOnlyOneDetection) {
    // GT A regular; GT B not crowd but num_keypoints 0, so ignored (and not counted in npig).
    // Ranked: inside B (.9) → matched to B, ignored; inside B again (.85) → B is taken and not a
    // crowd → unmatched → FP; exact on A (.8) → TP. tp = [0,0,1], fp = [0,1,1]: rc = [0,0,1],
    // pr = [0, 0, 1/(2+eps) = .5] → envelope .5 everywhere: AP = .5, AR = 1 (B does not count).
    const auto a = person(1, 1, 100, 100, 100, 100, 10000);
    const auto b = unlabelled(2, 1, {500, 500, 200, 200}, false);
    const auto r = evaluateCocoKeypoints(images({1}), {a, b},
                                         {exactly(person(0, 1, 520, 520, 100, 100, 0), .9),
                                          exactly(person(0, 1, 540, 560, 100, 100, 0), .85), exactly(a, .8)});
    EXPECT_NEAR(r.stats[AP], 0.5, kTol);
    EXPECT_EQ(r.stats[AR], 1.0);

    // An image whose only GT is ignored and no detection: nothing to recall anywhere → −1.
    const auto only = evaluateCocoKeypoints(images({1}), {b}, {});
    EXPECT_EQ(only.stats[AP], -1);
    EXPECT_EQ(only.stats[AR], -1);
}

TEST(CocoEval, TiedScoresKeepResultOrder) {
    // Equal scores: the stable sort keeps result order. [TP, FP]: pr = [1/(1+eps), .5] → AP ≈ 1.
    // [FP, TP]: rc = [0, 1], pr = [0, .5] → envelope .5 → AP = .5.
    const auto a = person(1, 1, 100, 100, 100, 100, 10000);
    EXPECT_NEAR(evaluateCocoKeypoints(images({1}), {a}, {exactly(a, .5), farAway(1, .5)}).stats[AP], kLoneTp, kTol);
    EXPECT_NEAR(evaluateCocoKeypoints(images({1}), {a}, {farAway(1, .5), exactly(a, .5)}).stats[AP], 0.5, kTol);

    // Across images the concatenation is in image-id order, whatever the result order: the FP on
    // image 1 ranks before the TP on image 2 although the TP comes first in the results → AP .5.
    const auto onTwo = person(1, 2, 100, 100, 100, 100, 10000);
    const auto r = evaluateCocoKeypoints(images({2, 1}), {onTwo}, {exactly(onTwo, .5), farAway(1, .5)});
    EXPECT_NEAR(r.stats[AP], 0.5, kTol);
}

TEST(CocoEval, DetectionsOnImagesWithoutGtAreFalsePositives) {
    // Image 2 has no GT; its detection (.9) outranks the exact one on image 1 (.5):
    // rc = [0, 1], pr = [0, 1/(2+eps)] → AP .5, AR 1.
    const auto a = person(1, 1, 100, 100, 100, 100, 10000);
    const auto r = evaluateCocoKeypoints(images({1, 2}), {a}, {farAway(2, .9), exactly(a, .5)});
    EXPECT_NEAR(r.stats[AP], 0.5, kTol);
    EXPECT_EQ(r.stats[AR], 1.0);
}

TEST(CocoEval, AreaRangesSplitMediumAndLarge) {
    // M: medium GT (area 2500) on image 1, predicted exactly (.9; keypoint extent 40×40 = 1600).
    // L: large GT (area 20000) on image 2, predicted at OKS .62 (.8; extent > 96×120 > 96²).
    // large:  M ignored; its prediction matches M (ignored) → ignored. L passes .50, .55, .60 (not .65):
    //         AP = AR = 3/10.
    // medium: L ignored; at ≤ .60 its prediction matches L → ignored; above, it is unmatched and
    //         its area lies outside [32², 96²] → ignored too. M exact: AP ≈ 1, AR = 1.
    // all:    ≤ .60 (3 thresholds): two TPs → precision ≈ 1 everywhere. Above (7): TP then FP:
    //         rc = [.5, .5], pr = [1/(1+eps), .5]; r ≤ .5 (51 values) → 1/(1+eps), r > .5 → 0.
    //         AP = (3 + 7·51/101)/10 (×1/(1+eps)), AR = (3·1 + 7·.5)/10 = .65.
    const auto m = person(1, 1, 100, 100, 40, 40, 2500);
    const auto l = person(2, 2, 100, 100, 120, 120, 20000);
    const auto r = evaluateCocoKeypoints(images({1, 2}), {m, l}, {exactly(m, .9), atOks(l, .62, .8)});
    EXPECT_NEAR(r.stats[APl], 0.3, kTol);
    EXPECT_NEAR(r.stats[ARl], 0.3, kTol);
    EXPECT_NEAR(r.stats[APm], 1.0, kTol);
    EXPECT_EQ(r.stats[ARm], 1.0);
    EXPECT_NEAR(r.stats[AP], (3 + 7 * 51.0 / 101) / 10, kTol);
    EXPECT_NEAR(r.stats[AR], 0.65, kTol);
    EXPECT_NEAR(r.stats[AP50], 1.0, kTol);
    EXPECT_NEAR(r.stats[AP75], 51.0 / 101, kTol);
}

TEST(CocoEval, MaxDetsKeepsTheTopTwentyPerImage) {
    // 20 far-away predictions (.99 … .80) outrank the exact one (.5): with maxDets 20 it is cut, so
    // AP = AR = 0. With maxDets 21 it is the 21st rank: rc ends at 1, pr = 1/21 there → the
    // envelope gives 1/(21+eps) = 1/21 at every recall threshold: AP = 1/21, AR = 1.
    const auto a = person(1, 1, 100, 100, 100, 100, 10000);
    std::vector<PosePrediction> dts;
    for (int i = 0; i < 20; ++i)
        dts.push_back(farAway(1, .99 - i * .01));
    dts.push_back(exactly(a, .5));
    const auto cut = evaluateCocoKeypoints(images({1}), {a}, dts);
    EXPECT_EQ(cut.stats[AP], 0);
    EXPECT_EQ(cut.stats[AR], 0);
    CocoEvalOptions options;
    options.maxDets = 21;
    const auto kept = evaluateCocoKeypoints(images({1}), {a}, dts, options);
    EXPECT_NEAR(kept.stats[AP], 1.0 / 21, kTol);
    EXPECT_EQ(kept.stats[AR], 1.0);
    // Truncation is per image: 20 more detections on another image do not cut image 1's.
    std::vector<PosePrediction> spread(dts.begin(), dts.begin() + 10);
    for (int i = 0; i < 10; ++i)
        spread.push_back(farAway(2, .7 - i * .01));
    spread.push_back(exactly(a, .5));
    EXPECT_EQ(evaluateCocoKeypoints(images({1, 2}), {a}, spread).stats[AR], 1.0);
}

TEST(CocoEval, OksWithoutLabelledKeypointsMeasuresDistanceToTheEnlargedBox) {
    // k1 == 0: box [100, 100, 50, 40] → x ∈ [50, 200], y ∈ [60, 180]. Points inside count d = 0.
    const auto gt = unlabelled(1, 1, {100, 100, 50, 40}, false);
    auto dt = exactly(person(0, 1, 60, 70, 100, 100, 0), 1);
    EXPECT_EQ(analysis::keypointOks(gt, dt.keypoints), 1.0);
    // Joint 0 moved 10 px right of x1 = 200, joint 16 moved 10 px above y0 = 60 and 5 px left of x0:
    // e_j = d² / (2σ_j)² / (area + eps) / 2 with area 2000; OKS = (15 + e^−e0 + e^−e16) / 17.
    dt.keypoints[0] = 210;
    dt.keypoints[3 * 16] = 45;
    dt.keypoints[3 * 16 + 1] = 50;
    const auto sigmas = analysis::cocoKeypointSigmas();
    const double e0 = 100 / ((2 * sigmas[0]) * (2 * sigmas[0])) / (2000 + kEps) / 2;
    const double e16 = 125 / ((2 * sigmas[16]) * (2 * sigmas[16])) / (2000 + kEps) / 2;
    EXPECT_NEAR(analysis::keypointOks(gt, dt.keypoints), (15 + std::exp(-e0) + std::exp(-e16)) / 17, 1e-15);
}

TEST(CocoEval, OksAveragesOnlyLabelledKeypoints) {
    // Three labelled joints (one moved by d), the rest unlabelled and far off: OKS = (2 + e^−e)/3.
    auto gt = person(1, 1, 100, 100, 100, 100, 10000);
    for (int j = 3; j < 17; ++j)
        gt.keypoints[3 * j + 2] = 0;
    auto dt = exactly(gt, 1);
    for (int j = 3; j < 17; ++j)
        dt.keypoints[3 * j] += 500;
    dt.keypoints[3 * 1 + 1] += 4;
    const double sigma = analysis::cocoKeypointSigmas()[1];
    const double e = 16 / ((2 * sigma) * (2 * sigma)) / (10000 + kEps) / 2;
    EXPECT_NEAR(analysis::keypointOks(gt, dt.keypoints), (2 + std::exp(-e)) / 3, 1e-15);
}

TEST(CocoEval, GtIdZeroReadsAsUnmatched) {
    // pycocotools stores the matched GT id in dtMatches and tests it for non-zero: a GT with id 0
    // "matches" but counts as an FP, and its detection is not a TP → AP = AR = 0.
    const auto gt = person(0, 1, 100, 100, 100, 100, 10000);
    const auto r = evaluateCocoKeypoints(images({1}), {gt}, {exactly(gt, .9)});
    EXPECT_EQ(r.stats[AP], 0);
    EXPECT_EQ(r.stats[AR], 0);
}

TEST(CocoEval, OtherKeypointSetsUseTheirSigmas) {
    CocoEvalOptions options;
    options.sigmas = {0.05, 0.1, 0.15};
    PersonAnnotation gt;
    gt.id = 1;
    gt.imageId = 3;
    gt.keypoints = {10, 10, 2, 50, 60, 2, 90, 10, 1};
    gt.numKeypoints = 3;
    gt.bbox = {10, 10, 80, 50};
    gt.area = 4000;
    PosePrediction dt{3, 1, {10, 10, 1, 50, 60, 1, 90, 10, 1}, 0.7};
    const auto r = evaluateCocoKeypoints(images({3}), {gt}, {dt}, options);
    EXPECT_NEAR(r.stats[AP], 1.0, kTol);
    dt.keypoints.resize(51);
    EXPECT_THROW(evaluateCocoKeypoints(images({3}), {gt}, {dt}, options), analysis::EvaluationError);
}

TEST(CocoEval, NoPredictionsGiveZero) {
    const auto gt = person(1, 1, 100, 100, 100, 100, 10000);
    const auto r = evaluateCocoKeypoints(images({1}), {gt}, {});
    EXPECT_EQ(r.stats[AP], 0);
    EXPECT_EQ(r.stats[AR], 0);
    EXPECT_EQ(r.stats[APm], -1);
}

TEST(CocoEval, ResultsOnUnknownImagesAreAnError) {
    const auto gt = person(1, 1, 100, 100, 100, 100, 10000);
    try {
        evaluateCocoKeypoints(images({1}), {gt}, {exactly(gt, .9), farAway(99, .5)});
        FAIL() << "no error";
    } catch (const analysis::EvaluationError& e) {
        EXPECT_NE(std::string(e.what()).find("keypoint result 1: image_id 99 is not an image of the ground truth"),
                  std::string::npos)
            << e.what();
    }
    EXPECT_THROW(evaluateCocoKeypoints(images({1}), {gt}, {farAway(99, .5)}), Error);  // a posescope::Error
}

TEST(CocoEval, SummaryHasPycocotoolsFormat) {
    const auto gt = person(1, 1, 100, 100, 100, 100, 10000);
    const auto r = evaluateCocoKeypoints(images({1}), {gt}, {atOks(gt, .72, .9)});
    const std::string expected =
        " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets= 20 ] = 0.500\n"
        " Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets= 20 ] = 1.000\n"
        " Average Precision  (AP) @[ IoU=0.75      | area=   all | maxDets= 20 ] = 0.000\n"
        " Average Precision  (AP) @[ IoU=0.50:0.95 | area=medium | maxDets= 20 ] = -1.000\n"
        " Average Precision  (AP) @[ IoU=0.50:0.95 | area= large | maxDets= 20 ] = 0.500\n"
        " Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets= 20 ] = 0.500\n"
        " Average Recall     (AR) @[ IoU=0.50      | area=   all | maxDets= 20 ] = 1.000\n"
        " Average Recall     (AR) @[ IoU=0.75      | area=   all | maxDets= 20 ] = 0.000\n"
        " Average Recall     (AR) @[ IoU=0.50:0.95 | area=medium | maxDets= 20 ] = -1.000\n"
        " Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets= 20 ] = 0.500\n";
    EXPECT_EQ(analysis::formatCocoKeypointSummary(r), expected);
}
