// Person rescoring and OKS-NMS as HRNet/TransPose's COCODataset.evaluate and nms.py apply them.
#include "posescope/analysis/pose_nms.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace posescope;
using analysis::OksNmsOptions;
using analysis::PersonPose;

namespace {

// 17 joints spread over 100×100 at (x, y), each with heatmap score `kptScore`.
PersonPose pose(int64_t imageId, double x, double y, double score, double kptScore = 0.9) {
    PersonPose p;
    p.imageId = imageId;
    p.keypoints.resize(51);
    for (int j = 0; j < 17; ++j) {
        p.keypoints[3 * j] = x + 25.0 * (j % 5);
        p.keypoints[3 * j + 1] = y + 33.0 * (j / 5);
        p.keypoints[3 * j + 2] = kptScore;
    }
    p.area = 40000;
    p.score = score;
    return p;
}

// `base` moved along x so that oks_iou(base, moved) ≈ oks (same area): each joint by d_j with
// d_j² / (2σ_j)² / area / 2 = −ln(oks).
PersonPose movedTo(const PersonPose& base, double oks, double score) {
    PersonPose p = base;
    const auto sigmas = analysis::cocoKeypointSigmas();
    for (int j = 0; j < 17; ++j) {
        const double var = (2 * sigmas[j]) * (2 * sigmas[j]);
        p.keypoints[3 * j] += std::sqrt(-std::log(oks) * 2 * var * base.area);
    }
    p.score = score;
    return p;
}

}  // namespace

TEST(OksNms, OverlapOfMovedPoses) {
    const auto a = pose(1, 100, 100, 1);
    EXPECT_EQ(analysis::oksOverlap(a.keypoints, a.keypoints, a.area, a.area), 1.0);
    // float32 coordinates move the OKS by ~1e-7 at most here.
    EXPECT_NEAR(analysis::oksOverlap(a.keypoints, movedTo(a, .95, 1).keypoints, a.area, a.area), .95, 1e-6);
    OksNmsOptions exact;
    exact.float32Keypoints = false;
    EXPECT_NEAR(analysis::oksOverlap(a.keypoints, movedTo(a, .85, 1).keypoints, a.area, a.area, exact), .85, 1e-14);
    // The area is the mean of both: areas 20000 and 60000 give the same OKS as 40000 and 40000.
    EXPECT_NEAR(analysis::oksOverlap(a.keypoints, movedTo(a, .85, 1).keypoints, 20000, 60000, exact), .85, 1e-14);
}

TEST(OksNms, SuppressesAboveThresholdInScoreOrder) {
    // Order by score: 1 (.9), 2 (.8), 0 (.7), 3 (.6). Keep 1; OKS(1, 0) ≈ .95 > .9 drops 0,
    // OKS(1, 2) ≈ 0 and OKS(1, 3) ≈ .85 keep them. Keep 2; OKS(2, 3) ≈ 0. Keep 3. → [1, 2, 3].
    const auto base = pose(1, 100, 100, .7);
    const auto top = movedTo(base, .95, .9);
    const std::vector<PersonPose> people = {base, top, pose(1, 600, 600, .8), movedTo(top, .85, .6)};
    EXPECT_EQ(analysis::oksNms(people), (std::vector<std::size_t>{1, 2, 3}));
}

TEST(OksNms, IsGreedy) {
    // A (.9) suppresses B (.8, OKS .95); C (.7) overlaps B by .95 but A only by ≈ .95⁴ ≈ .81: since
    // B is already gone, C stays. → [0, 2].
    const auto a = pose(1, 100, 100, .9);
    const auto b = movedTo(a, .95, .8);
    const auto c = movedTo(b, .95, .7);
    EXPECT_EQ(analysis::oksNms({a, b, c}), (std::vector<std::size_t>{0, 2}));
    OksNmsOptions loose;
    loose.oksThreshold = 0.99;
    EXPECT_EQ(analysis::oksNms({a, b, c}, loose), (std::vector<std::size_t>{0, 1, 2}));
}

TEST(OksNms, TiesFollowNumpyArgsortReversed) {
    // np.argsort([.5, .9, .5, .1]) = [3, 0, 2, 1] (insertion sort below 17 elements: stable), so
    // reversed the later of two tied scores comes first: [1, 2, 0, 3].
    EXPECT_EQ(analysis::numpyDescendingOrder({.5, .9, .5, .1}), (std::vector<std::size_t>{1, 2, 0, 3}));
    // 20 elements go through NumPy's quicksort partitioning; the expected order is what
    // np.argsort(v)[::-1] returns (NumPy 1.24): not simply "ties in reverse index order".
    const std::vector<double> v = {.5, .7, .5, .9, .5, .7, .5, .1, .5, .7, .5, .9, .5, .7, .5, .1, .5, .7, .5, .9};
    EXPECT_EQ(analysis::numpyDescendingOrder(v),
              (std::vector<std::size_t>{19, 3, 11, 13, 1, 5, 9, 17, 12, 14, 10, 18, 8, 6, 4, 16, 2, 0, 7, 15}));
    // With identical poses and tied scores the survivor is the one NumPy puts first.
    const auto a = pose(1, 100, 100, .5);
    EXPECT_EQ(analysis::oksNms({a, a, a}), (std::vector<std::size_t>{2}));
}

TEST(PersonScore, BoxScoreTimesMeanOfConfidentKeypoints) {
    // Keypoint scores .1, .3, .5, .2 (not > .2): mean(.3, .5) = .4; × box .8 = .32.
    std::vector<double> keypoints = {0, 0, .1, 0, 0, .3, 0, 0, .5, 0, 0, .2};
    EXPECT_NEAR(analysis::personScore(.8, keypoints), .32, 1e-15);
    EXPECT_EQ(analysis::personScore(.8, {0, 0, .1, 0, 0, .2}), 0.0);  // none above .2
    EXPECT_NEAR(analysis::personScore(.8, keypoints, 0.05), .8 * (1.1 / 4), 1e-15);
}

TEST(PersonScore, AreaFromScaleIsFloat32) {
    EXPECT_EQ(analysis::areaFromScale(1.0, 1.25), 50000.0);  // 200 × 250
    // 0.3 and 0.7 are first rounded to float32 like HRNet's scale arrays.
    const float w = 0.3f * 200.0f, h = 0.7f * 200.0f;
    EXPECT_EQ(analysis::areaFromScale(0.3, 0.7), static_cast<double>(w * h));
}

TEST(RescoreAndNms, ReproducesTheResultsFileOrder) {
    // Image 5 is seen first. On it, p0 (box .9, kpt .8 → .72) suppresses p2 (box .95, kpt .7 →
    // .665; OKS .95). On image 3, q1 (box .6, kpt .9 → .54) outranks q0 (box .9, kpt .3 → .27).
    const auto p0 = pose(5, 100, 100, .9, .8);
    const auto q0 = pose(3, 100, 100, .9, .3);
    const auto p2 = movedTo(pose(5, 100, 100, .95, .7), .95, .95);
    const auto q1 = pose(3, 700, 100, .6, .9);
    auto input = std::vector<PersonPose>{p0, q0, p2, q1};
    input[0].keypoints[0] = 100.1;
    const auto results = analysis::rescoreAndNms(input);
    ASSERT_EQ(results.size(), 3u);
    EXPECT_EQ(results[0].imageId, 5);
    EXPECT_NEAR(results[0].score, .9 * static_cast<double>(.8f), 1e-15);  // the mean of 17 float32 .8
    EXPECT_EQ(results[0].keypoints[0], static_cast<double>(100.1f));      // float32 like all_preds
    EXPECT_EQ(results[0].categoryId, 1);
    EXPECT_EQ(results[1].imageId, 3);
    EXPECT_NEAR(results[1].score, .6 * static_cast<double>(.9f), 1e-15);
    EXPECT_EQ(results[1].keypoints[0], 700.0);
    EXPECT_EQ(results[2].imageId, 3);
    EXPECT_NEAR(results[2].score, .9 * static_cast<double>(.3f), 1e-15);
}

TEST(OksNms, WrongKeypointCountIsAnError) {
    auto bad = pose(1, 0, 0, 1);
    bad.keypoints.pop_back();
    EXPECT_THROW(analysis::oksNms({pose(1, 0, 0, 1), bad}), analysis::EvaluationError);
    EXPECT_TRUE(analysis::oksNms({}).empty());
}
