// MPII PCKh as HRNet/TransPose's MPIIDataset.evaluate computes it, on hand-made joints.
#include "posescope/analysis/pckh.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace posescope;
using analysis::PckhSample;

namespace {

// A sample whose ground truth joints sit on a grid and whose predictions are moved along x by
// `errors[j]` pixels. Head size h → normaliser 0.6·h (6 for h = 10, 12 for h = 20, exactly).
PckhSample sample(double headSize, const std::array<double, 16>& errors, const std::array<bool, 16>& visible) {
    PckhSample s;
    s.headSize = headSize;
    s.visible = visible;
    for (int j = 0; j < 16; ++j) {
        s.groundTruth[2 * j] = 100 + 10 * j;
        s.groundTruth[2 * j + 1] = 200 + 5 * j;
        s.predicted[2 * j] = s.groundTruth[2 * j] + errors[j];
        s.predicted[2 * j + 1] = s.groundTruth[2 * j + 1];
    }
    return s;
}

std::array<bool, 16> allVisible() {
    std::array<bool, 16> v;
    v.fill(true);
    return v;
}

}  // namespace

TEST(Pckh, HandMadeJointsAndGroups) {
    // Sample A: head size 10 → normaliser 6, all joints visible. Normalised errors per joint:
    //   0: 0    1: 3/6 = .5 (≤ .5: correct)  2: 3.6/6 = .6   3: 1.2/6 = .2   4: .63/6 = .105
    //   5: 2    6: 0    7: 2    8: 0    9: .3/6 = .05   10: .6   11: 0   12: 0   13: .6   14: .2   15: .2
    // Sample B: head size 20 → normaliser 12. Errors 0 except 5: 12/12 = 1 (wrong), 13: 6/12 = .5
    //   (correct); joints 2, 9, 10 invisible with an error of 100 px that must not count.
    const std::array<double, 16> errorsA = {0, 3, 3.6, 1.2, .63, 12, 0, 12, 0, .3, 3.6, 0, 0, 3.6, 1.2, 1.2};
    std::array<double, 16> errorsB{};
    errorsB[5] = 12;
    errorsB[13] = 6;
    errorsB[2] = errorsB[9] = errorsB[10] = 100;
    auto visibleB = allVisible();
    visibleB[2] = visibleB[9] = visibleB[10] = false;
    const auto r = analysis::evaluatePckh({sample(10, errorsA, allVisible()), sample(20, errorsB, visibleB)});

    // Counts: 2 everywhere, 1 for joints 2, 9, 10. PCKh@.5 = 100·correct/count:
    const std::array<double, 16> expected = {100, 100, 0, 100, 100, 0, 100, 50, 100, 100, 0, 100, 100, 50, 100, 100};
    for (int j = 0; j < 16; ++j)
        EXPECT_DOUBLE_EQ(r.pckh[j], expected[j]) << "joint " << j;
    EXPECT_EQ(r.jointCount[2], 1);
    EXPECT_EQ(r.jointCount[0], 2);
    // Groups: Head = head_top alone; the others the mean of left and right.
    EXPECT_EQ(r.head, 100);     // 9
    EXPECT_EQ(r.shoulder, 75);  // (13: 50 + 12: 100) / 2
    EXPECT_EQ(r.elbow, 100);    // 14, 11
    EXPECT_EQ(r.wrist, 50);     // 15: 100, 10: 0
    EXPECT_EQ(r.hip, 50);       // 3: 100, 2: 0
    EXPECT_EQ(r.knee, 100);     // 4, 1
    EXPECT_EQ(r.ankle, 50);     // 5: 0, 0: 100
    // Mean: Σ PCKh·count / Σ count without pelvis (6) and thorax (7): total count 11·2 + 3·1 = 25,
    // Σ = 9·(100·2) + 100·1 (joint 9) + 50·2 (joint 13) = 2000 → 80.
    EXPECT_NEAR(r.mean, 80, 1e-12);
    // "Mean@0.1" is read at threshold .11: correct at ≤ .11 in A are 0, 4 (.105), 6, 8, 9, 11, 12;
    // in B every visible joint but 5 and 13. Per joint (×count): 0: 200, 1: 100, 3: 100, 4: 200,
    // 8: 200, 9: 100, 11: 200, 12: 200, 14: 100, 15: 100, others 0 → 1500 / 25 = 60.
    EXPECT_NEAR(r.meanAt01, 60, 1e-12);
    EXPECT_EQ(r.thresholds[11], 11 * 0.01);
    // At exactly .1, joint 4 of A (.105) is wrong: 1400 / 25 = 56.
    EXPECT_NEAR(r.weightedMean(r.curve[10]), 56, 1e-12);
    ASSERT_EQ(r.curve.size(), 51u);
    EXPECT_EQ(r.curve[50], r.pckh);  // threshold .5 is the last curve point
    EXPECT_EQ(r.curve[0][1], 50.0);  // at 0 only exact joints count: joint 1 is exact in B only
}

TEST(Pckh, JointNeverVisibleIsNaN) {
    // The right wrist is never visible: 0/0 = NaN as in NumPy, and so are the wrist group and the
    // mean that weighs it (NaN · 0). A pelvis never visible is left out of the mean.
    std::array<double, 16> errors{};
    auto visible = allVisible();
    visible[analysis::kRightWrist] = false;
    auto r = analysis::evaluatePckh({sample(10, errors, visible)});
    EXPECT_TRUE(std::isnan(r.pckh[analysis::kRightWrist]));
    EXPECT_TRUE(std::isnan(r.wrist));
    EXPECT_TRUE(std::isnan(r.mean));
    EXPECT_EQ(r.head, 100);
    visible = allVisible();
    visible[analysis::kPelvis] = false;
    r = analysis::evaluatePckh({sample(10, errors, visible)});
    EXPECT_TRUE(std::isnan(r.pckh[analysis::kPelvis]));
    EXPECT_NEAR(r.mean, 100, 1e-12);
}

TEST(Pckh, HeadSizeIsTheBoxDiagonal) {
    EXPECT_EQ(analysis::headSizeFromBox(10, 20, 13, 24), 5.0);
    EXPECT_THROW(analysis::evaluatePckh({}), analysis::EvaluationError);
}
