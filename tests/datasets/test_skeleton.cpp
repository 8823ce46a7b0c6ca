#include "posescope/datasets/skeleton.h"

#include <gtest/gtest.h>

using namespace posescope;

TEST(Skeleton, CocoOrderAndFlipPairs) {
    const Skeleton& s = cocoSkeleton();
    ASSERT_EQ(s.size(), 17);
    EXPECT_EQ(s.indexOf("nose"), 0);
    EXPECT_EQ(s.indexOf("right_ankle"), 16);
    EXPECT_EQ(s.indexOf("tail"), -1);
    EXPECT_EQ(s.flipped(0), 0);
    for (int i = 1; i < 17; ++i) {
        const std::string& name = s.keypoints[static_cast<size_t>(i)];
        const std::string& partner = s.keypoints[static_cast<size_t>(s.flipped(i))];
        // left_x <-> right_x
        EXPECT_EQ(name.substr(name.find('_')), partner.substr(partner.find('_'))) << name;
        EXPECT_NE(name, partner);
        EXPECT_EQ(s.flipped(s.flipped(i)), i);
    }
    EXPECT_EQ(s.limbs.size(), 19u);
}

TEST(Skeleton, MpiiOrderAndFlipPairs) {
    const Skeleton& s = mpiiSkeleton();
    ASSERT_EQ(s.size(), 16);
    EXPECT_EQ(s.flipped(s.indexOf("right_ankle")), s.indexOf("left_ankle"));
    EXPECT_EQ(s.flipped(s.indexOf("right_wrist")), s.indexOf("left_wrist"));
    EXPECT_EQ(s.flipped(s.indexOf("head_top")), s.indexOf("head_top"));
    for (const auto& [a, b] : s.limbs) {
        EXPECT_GE(a, 0);
        EXPECT_LT(b, 16);
    }
}
