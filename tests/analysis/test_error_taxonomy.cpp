// Ronchi & Perona's error taxonomy on a hand-made image: one prediction with one keypoint of each
// error type, a prediction on nobody (a background false positive) and a person nobody predicted
// (a false negative); the ignore hooks of the COCO evaluation it rests on.
#include "posescope/analysis/coco_eval.h"
#include "posescope/analysis/error_taxonomy.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

using namespace posescope;
using namespace posescope::analysis;

namespace {

// A standing person around (x0, y0): left side at +x, right side at −x.
std::vector<double> person(double x0, double y0) {
    const double xy[17][2] = {{0, 0},     {10, -10}, {-10, -10}, {20, -5},  {-20, -5},  {40, 40},
                              {-40, 40},  {50, 90},  {-50, 90},  {55, 140}, {-55, 140}, {25, 150},
                              {-25, 150}, {25, 220}, {-25, 220}, {25, 290}, {-25, 290}};
    std::vector<double> k;
    for (const auto& p : xy)
        k.insert(k.end(), {x0 + p[0], y0 + p[1], 2});
    return k;
}

PersonAnnotation annotation(int64_t id, std::vector<double> keypoints) {
    PersonAnnotation a;
    a.id = id;
    a.imageId = 1;
    a.keypoints = std::move(keypoints);
    a.numKeypoints = 17;
    a.area = 10000;
    a.bbox = {0, 0, 100, 100};
    return a;
}

PosePrediction prediction(std::vector<double> xy, double score) {
    PosePrediction p;
    p.imageId = 1;
    p.score = score;
    for (size_t k = 0; k < 17; ++k)
        p.keypoints.insert(p.keypoints.end(), {xy[3 * k], xy[3 * k + 1], 1.0});
    return p;
}

}  // namespace

TEST(ErrorTaxonomy, EachErrorTypeOnAHandMadeImage) {
    const std::vector<ImageInfo> images = {{1, "1.jpg", 640, 480}};
    const std::vector<PersonAnnotation> gt = {annotation(10, person(100, 100)), annotation(20, person(400, 100))};
    std::vector<double> p = person(100, 100);
    const double sigma = cocoKeypointSigmas()[5];
    const double jitter = std::sqrt(-std::log(0.7) * 2 * 10000 * (2 * sigma) * (2 * sigma));  // ks 0.7
    p[3 * 5] += jitter;                                                                       // left shoulder: jitter
    p[3 * 7] = gt[0].keypoints[3 * 8];  // left elbow on its right elbow: inversion
    p[3 * 9] = gt[1].keypoints[3 * 9];  // left wrist on the other person's: swap
    p[3 * 9 + 1] = gt[1].keypoints[3 * 9 + 1];
    p[3 * 11 + 1] += 60;  // left hip 60 px off: miss
    const std::vector<PosePrediction> predictions = {prediction(p, 0.9),
                                                     prediction(std::vector<double>(51, 600.0), 0.95)};
    const ErrorTaxonomy t = errorTaxonomy(images, gt, predictions);

    ASSERT_EQ(t.matched.size(), 1u);  // the prediction on nobody matches nobody
    const MatchedPrediction& m = t.matched[0];
    EXPECT_EQ(m.prediction, 0u);
    EXPECT_EQ(m.gtId, 10);
    EXPECT_EQ(m.errors[0], static_cast<int>(PoseErrorType::Good));
    EXPECT_EQ(m.errors[5], static_cast<int>(PoseErrorType::Jitter));
    EXPECT_EQ(m.errors[7], static_cast<int>(PoseErrorType::Inversion));
    EXPECT_EQ(m.errors[9], static_cast<int>(PoseErrorType::Swap));
    EXPECT_EQ(m.swappedWith[9], 20);
    EXPECT_EQ(m.swappedWith[7], 0);
    EXPECT_EQ(m.errors[11], static_cast<int>(PoseErrorType::Miss));
    EXPECT_EQ(t.totals[static_cast<int>(PoseErrorType::Good)], 13);
    for (PoseErrorType e : {PoseErrorType::Jitter, PoseErrorType::Inversion, PoseErrorType::Swap, PoseErrorType::Miss})
        EXPECT_EQ(t.totals[static_cast<size_t>(e)], 1) << poseErrorName(e);
    // The breakdown sums back to the labelled keypoints of the matched predictions, per keypoint too.
    EXPECT_EQ(std::accumulate(t.totals.begin(), t.totals.end(), int64_t{0}), 17);
    for (size_t k = 0; k < 17; ++k)
        EXPECT_EQ(std::accumulate(t.counts[k].begin(), t.counts[k].end(), int64_t{0}), 1) << k;
    EXPECT_EQ(t.counts[9][static_cast<size_t>(PoseErrorType::Swap)], 1);
    // coco-analyze's corrections: on the GT's row, x moved by √(−ln s · 2·area·σ²).
    const double hipSigma = cocoKeypointSigmas()[11];
    EXPECT_NEAR(m.corrected[3 * 11], 125 + std::sqrt(-std::log(0.5) * 2 * 10000 * hipSigma * hipSigma), 1e-9);
    EXPECT_DOUBLE_EQ(m.corrected[3 * 11 + 1], 250);
    EXPECT_DOUBLE_EQ(m.corrected[3 * 0], p[0]);                  // good keypoints stay
    EXPECT_NEAR(m.corrected[3 * 9], gt[0].keypoints[27], 1e-6);  // the swap back on its own wrist (m ≈ 1)

    // AP: fixing errors never hurts here; with the background false positive and the missed
    // person ignored, the fixed prediction is perfect.
    EXPECT_LT(t.ap.baseline, t.ap.withoutJitter);
    EXPECT_LE(t.ap.baseline, t.ap.withoutMiss);
    EXPECT_LE(t.ap.withoutMiss, t.ap.withoutSwap);
    EXPECT_LE(t.ap.withoutSwap, t.ap.withoutInversion);
    EXPECT_LE(t.ap.withoutInversion, t.ap.withoutJitter);
    EXPECT_LT(t.ap.withoutJitter, t.ap.withoutBackgroundFp);
    EXPECT_LT(t.ap.withoutBackgroundFp, t.ap.withoutFalseNegatives);
    EXPECT_NEAR(t.ap.withoutFalseNegatives, 1.0, 1e-9);
    ASSERT_EQ(t.oksThresholds.size(), 10u);
    EXPECT_EQ(t.backgroundFalsePositives[0], std::vector<size_t>{1});
    EXPECT_EQ(t.falseNegatives[0], std::vector<int64_t>{20});
    EXPECT_EQ(t.falseNegatives[9], std::vector<int64_t>{20});
}

TEST(ErrorTaxonomy, APerfectPredictionIsAllGoodAndFlipPairsAreChecked) {
    const std::vector<ImageInfo> images = {{1, "1.jpg", 640, 480}};
    const std::vector<PersonAnnotation> gt = {annotation(10, person(100, 100))};
    const ErrorTaxonomy t = errorTaxonomy(images, gt, {prediction(person(100, 100), 1)});
    EXPECT_EQ(t.totals[0], 17);
    EXPECT_DOUBLE_EQ(t.ap.baseline, 1.0);
    EXPECT_DOUBLE_EQ(t.ap.withoutFalseNegatives, 1.0);
    EXPECT_TRUE(t.backgroundFalsePositives[0].empty());
    ErrorTaxonomyOptions bad;
    bad.flipPairs = {{1, 17}};
    EXPECT_THROW(errorTaxonomy(images, gt, {prediction(person(100, 100), 1)}, bad), EvaluationError);
}

TEST(CocoEval, IgnoreHooksAndCustomThresholdsReportMatches) {
    const std::vector<ImageInfo> images = {{1, "1.jpg", 640, 480}};
    const std::vector<PersonAnnotation> gt = {annotation(10, person(100, 100)), annotation(20, person(400, 100))};
    const std::vector<PosePrediction> predictions = {prediction(person(100, 100), 0.9),
                                                     prediction(std::vector<double>(51, 600.0), 0.95)};
    CocoEvalOptions o;
    o.oksThresholds = {0.5};
    const CocoEvalResult plain = evaluateCocoKeypoints(images, gt, predictions, o);
    ASSERT_EQ(plain.matchedGt.size(), 2u);
    EXPECT_EQ(plain.matchedGt[0], 10);
    EXPECT_EQ(plain.matchedGt[1], 0);
    // One of two persons found, after a higher-scored miss: precision 1/2 up to recall 1/2.
    EXPECT_NEAR(plain.precisionAt(0, 50, 0), 0.5, 1e-9);
    o.ignorePrediction = [](size_t, size_t p) { return p == 1; };
    EXPECT_NEAR(evaluateCocoKeypoints(images, gt, predictions, o).precisionAt(0, 50, 0), 1.0, 1e-9);
    o.ignoreGroundTruth = [](size_t, int64_t id) { return id == 20; };
    const CocoEvalResult both = evaluateCocoKeypoints(images, gt, predictions, o);
    EXPECT_NEAR(both.precisionAt(0, 100, 0), 1.0, 1e-9);  // recall 1 of the one person left
    o.oksThresholds = {1.5};
    EXPECT_THROW(evaluateCocoKeypoints(images, gt, predictions, o), EvaluationError);
}
