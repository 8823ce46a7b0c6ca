#include "posescope/datasets/skeleton.h"

#include "posescope/datasets/error.h"

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

TEST(Skeleton, StandardBodyPartsOfCocoAndMpii) {
    const std::vector<BodyPart> coco = standardBodyParts(cocoSkeleton().keypoints);
    ASSERT_EQ(coco.size(), 6u);
    EXPECT_EQ(coco[0], (BodyPart{"head", {0, 1, 2, 3, 4}}));
    EXPECT_EQ(coco[1], (BodyPart{"torso", {5, 6, 11, 12}}));
    EXPECT_EQ(coco[2], (BodyPart{"left_arm", {5, 7, 9}}));
    EXPECT_EQ(coco[5], (BodyPart{"right_leg", {12, 14, 16}}));
    const std::vector<BodyPart> mpii = standardBodyParts(mpiiSkeleton().keypoints);
    ASSERT_EQ(mpii.size(), 6u);
    EXPECT_EQ(mpii[0], (BodyPart{"head", {8, 9}}));
    EXPECT_EQ(mpii[1], (BodyPart{"torso", {2, 3, 6, 7, 12, 13}}));
    EXPECT_EQ(mpii[3], (BodyPart{"right_arm", {10, 11, 12}}));
    // Parts without any keypoint are left out.
    EXPECT_EQ(standardBodyParts({"nose", "left_wrist"}).size(), 2u);
}

TEST(Skeleton, ParseBodyPartsByNameAndIndex) {
    const auto& names = cocoSkeleton().keypoints;
    EXPECT_TRUE(parseBodyParts("none", names).empty());
    EXPECT_TRUE(parseBodyParts("  ", names).empty());
    EXPECT_EQ(parseBodyParts("auto", names), standardBodyParts(names));
    const std::vector<BodyPart> p = parseBodyParts("face = nose, left_eye,right_eye ; hands=9,10,9", names);
    ASSERT_EQ(p.size(), 2u);
    EXPECT_EQ(p[0], (BodyPart{"face", {0, 1, 2}}));
    EXPECT_EQ(p[1], (BodyPart{"hands", {9, 10}}));  // duplicates dropped
    auto message = [&](const std::string& spec) {
        try {
            parseBodyParts(spec, names);
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_NE(message("hands=9,tail").find("unknown keypoint \"tail\""), std::string::npos);
    EXPECT_NE(message("hands=17").find("unknown keypoint \"17\""), std::string::npos);
    EXPECT_NE(message("hands").find("is not name=keypoint"), std::string::npos);
    EXPECT_NE(message("a=1;a=2").find("named twice"), std::string::npos);
    EXPECT_NE(message("a=,").find("names no keypoint"), std::string::npos);
}
