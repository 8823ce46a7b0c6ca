// The person crop against hand-computed cases (conventions in datasets/include/posescope/datasets/crop.h).
#include "posescope/datasets/crop.h"

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

using namespace posescope;

TEST(BoxToCenterScale, TallBoxIsWidenedAndPadded) {
    // center = (100 + 59/2, 50 + 119/2); w = 60 < 0.75·120 → w = 90; scale = (90, 120)/200 · 1.25.
    const CenterScale cs = boxToCenterScale({100, 50, 60, 120});
    EXPECT_FLOAT_EQ(cs.cx, 129.5f);
    EXPECT_FLOAT_EQ(cs.cy, 109.5f);
    EXPECT_FLOAT_EQ(cs.sw, 0.5625f);
    EXPECT_FLOAT_EQ(cs.sh, 0.75f);
}

TEST(BoxToCenterScale, WideBoxIsHeightened) {
    // w = 200 > 0.75·100 → h = 200/0.75; scale = (1, 1.3333)·1.25.
    const CenterScale cs = boxToCenterScale({10, 20, 200, 100});
    EXPECT_FLOAT_EQ(cs.cx, 109.5f);
    EXPECT_FLOAT_EQ(cs.cy, 69.5f);
    EXPECT_FLOAT_EQ(cs.sw, 1.25f);
    EXPECT_FLOAT_EQ(cs.sh, static_cast<float>(static_cast<float>(200 / 0.75 / 200) * 1.25));
    const CenterScale unpadded = boxToCenterScale({10, 20, 200, 100}, 0.75, 1.0);
    EXPECT_FLOAT_EQ(unpadded.sw, 1.0f);
}

TEST(CropTransform, MapsCenterToTheMiddleWithTheWMinusOneScale) {
    const CenterScale cs = boxToCenterScale({100, 50, 60, 120});  // 200·sw = 112.5
    const double k = 191.0 / 111.5;                               // (192 − 1)/(112.5 − 1)
    const cv::Mat m = cropTransform(cs, {192, 256});
    EXPECT_NEAR(m.at<double>(0, 0), k, 1e-5);
    EXPECT_NEAR(m.at<double>(0, 1), 0, 1e-6);
    EXPECT_NEAR(m.at<double>(1, 1), k, 1e-5);
    EXPECT_NEAR(m.at<double>(0, 2), 95.5 - k * 129.5, 1e-3);
    EXPECT_NEAR(m.at<double>(1, 2), 127.5 - k * 109.5, 1e-3);
    const cv::Point2d c = toCrop({129.5, 109.5}, cs, {192, 256});
    EXPECT_NEAR(c.x, 95.5, 1e-4);
    EXPECT_NEAR(c.y, 127.5, 1e-4);
}

TEST(CropTransform, HeatmapToImageUsesWMinusOneOver47) {
    // transform_preds: x = (x_hm − 23.5)·(112.5 − 1)/47 + 129.5, y = (y_hm − 31.5)·111.5/47 + 109.5.
    const CenterScale cs = boxToCenterScale({100, 50, 60, 120});
    const cv::Point2d corner = fromCrop({47, 63}, cs, {48, 64});
    EXPECT_NEAR(corner.x, 23.5 * 111.5 / 47 + 129.5, 1e-3);
    EXPECT_NEAR(corner.y, 31.5 * 111.5 / 47 + 109.5, 1e-3);
    const cv::Point2d origin = fromCrop({0, 0}, cs, {48, 64});
    EXPECT_NEAR(origin.x, -23.5 * 111.5 / 47 + 129.5, 1e-3);
    // Round trip.
    const cv::Point2d back = toCrop(fromCrop({12.25, 40.75}, cs, {48, 64}), cs, {48, 64});
    EXPECT_NEAR(back.x, 12.25, 1e-4);
    EXPECT_NEAR(back.y, 40.75, 1e-4);
}

TEST(CropTransform, RotationTurnsTheSourceBox) {
    // get_dir at 90°: the point (srcW − 1)/2 right of the center maps to the crop's top middle.
    const CenterScale cs = boxToCenterScale({100, 100, 150, 200});  // 200·sw = 187.5
    const cv::Mat m = cropTransform(cs, {192, 256}, 90);
    const double x = cs.cx + (187.5 - 1) / 2;
    const double y = cs.cy;
    EXPECT_NEAR(m.at<double>(0, 0) * x + m.at<double>(0, 1) * y + m.at<double>(0, 2), 95.5, 1e-3);
    EXPECT_NEAR(m.at<double>(1, 0) * x + m.at<double>(1, 1) * y + m.at<double>(1, 2), 32.0, 1e-3);
}

TEST(CropPerson, SamplesTheImageThroughTheTransform) {
    // An image whose channels hold x and y: bilinear sampling reproduces them (to 1/32 px).
    cv::Mat image(300, 400, CV_32FC2);
    for (int y = 0; y < image.rows; ++y)
        for (int x = 0; x < image.cols; ++x)
            image.at<cv::Vec2f>(y, x) = {static_cast<float>(x), static_cast<float>(y)};
    const CenterScale cs = boxToCenterScale({100, 50, 60, 120});
    const cv::Mat crop = cropPerson(image, cs, {192, 256});
    ASSERT_EQ(crop.size(), cv::Size(192, 256));
    for (const cv::Point p : {cv::Point(0, 0), cv::Point(95, 127), cv::Point(191, 255), cv::Point(40, 200)}) {
        const cv::Point2d src = fromCrop(p, cs, {192, 256});
        const cv::Vec2f v = crop.at<cv::Vec2f>(p);
        if (src.x < 0 || src.y < 0 || src.x > 399 || src.y > 299) {
            EXPECT_EQ(v[0], 0.0f);  // constant 0 border
        } else {
            EXPECT_NEAR(v[0], src.x, 0.04) << p;
            EXPECT_NEAR(v[1], src.y, 0.04) << p;
        }
    }
}
