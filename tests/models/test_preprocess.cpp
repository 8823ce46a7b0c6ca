// Model input and flip testing (models/include/posescope/models/preprocess.h, flip.h) against
// hand-computed values and torchvision's arithmetic written with LibTorch ops.
#include "posescope/datasets/error.h"
#include "posescope/datasets/skeleton.h"
#include "posescope/models/flip.h"
#include "posescope/models/preprocess.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

using namespace posescope;
using namespace posescope::models;

namespace {

cv::Mat gradientImage(int w, int h) {
    cv::Mat img(h, w, CV_8UC3);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            img.at<cv::Vec3b>(y, x) = cv::Vec3b(x * 7 % 256, y * 5 % 256, (x + 3 * y) % 256);
    return img;
}

}  // namespace

TEST(Preprocess, NormalizesKnownPixelValuesInRgbOrder) {
    cv::Mat img(1, 2, CV_8UC3);
    img.at<cv::Vec3b>(0, 0) = cv::Vec3b(0, 255, 128);  // R, G, B
    img.at<cv::Vec3b>(0, 1) = cv::Vec3b(255, 0, 51);
    const torch::Tensor t = normalizeCrop(img);
    ASSERT_EQ(t.sizes(), (std::vector<int64_t>{3, 1, 2}));
    ASSERT_EQ(t.scalar_type(), torch::kFloat32);
    // (0 − .485)/.229 = −2.1179039…, (1 − .456)/.224 = 2.4285714…, (128/255 − .406)/.225 = 0.4264924…
    EXPECT_NEAR(t[0][0][0].item<float>(), -2.1179039, 2e-6);
    EXPECT_NEAR(t[1][0][0].item<float>(), 2.4285714, 2e-6);
    EXPECT_NEAR(t[2][0][0].item<float>(), 0.42649238, 2e-6);
    EXPECT_NEAR(t[0][0][1].item<float>(), 2.2489083, 2e-6);   // (1 − .485)/.229
    EXPECT_NEAR(t[1][0][1].item<float>(), -2.0357143, 2e-6);  // (0 − .456)/.224
    EXPECT_NEAR(t[2][0][1].item<float>(), -0.9155556, 2e-6);  // (.2 − .406)/.225
    // The exact float32 expression: u / 255.f, then (v − mean) / std with float32 constants.
    EXPECT_EQ(t[2][0][0].item<float>(), (128.0f / 255.0f - 0.406f) / 0.225f);
}

TEST(Preprocess, IsBitIdenticalToToTensorAndNormalize) {
    // torchvision: from_numpy(HWC).permute(2, 0, 1).float().div(255), then sub_(mean).div_(std).
    const cv::Mat img = gradientImage(37, 23);
    const torch::Tensor raw = torch::from_blob(img.data, {img.rows, img.cols, 3}, torch::kUInt8);
    const torch::Tensor mean = torch::tensor({0.485, 0.456, 0.406}, torch::kFloat32).view({3, 1, 1});
    const torch::Tensor stdev = torch::tensor({0.229, 0.224, 0.225}, torch::kFloat32).view({3, 1, 1});
    const torch::Tensor expected =
        raw.permute({2, 0, 1}).contiguous().to(torch::kFloat32).div(255).sub(mean).div(stdev);
    EXPECT_TRUE(torch::equal(normalizeCrop(img), expected));
}

TEST(Preprocess, PersonCropsWithTheInputAspectRatioAndPadding) {
    const cv::Mat img = gradientImage(320, 240);
    const Box box{50, 30, 80, 150};
    const PersonInput in = preprocessPerson(img, box);
    const CenterScale cs = boxToCenterScale(box, 0.75, 1.25);
    EXPECT_EQ(in.centerScale.cx, cs.cx);
    EXPECT_EQ(in.centerScale.sw, cs.sw);
    EXPECT_EQ(in.centerScale.sh, cs.sh);
    ASSERT_EQ(in.tensor.sizes(), (std::vector<int64_t>{3, 256, 192}));
    EXPECT_TRUE(torch::equal(in.tensor, normalizeCrop(cropPerson(img, cs, {192, 256}))));
    // Another input size: aspect ratio W/H = 0.75 as well for 288×384; 0.5 for 128×256.
    const PersonInput narrow = preprocessPerson(img, box, {128, 256});
    EXPECT_EQ(narrow.centerScale.sw, boxToCenterScale(box, 0.5, 1.25).sw);
    EXPECT_EQ(narrow.tensor.sizes(), (std::vector<int64_t>{3, 256, 128}));
}

TEST(Preprocess, OutsideTheImageIsZeroBeforeNormalisation) {
    // A box much larger than a uniform image: the border is black (0), i.e. −mean/std after Normalize.
    cv::Mat img(20, 20, CV_8UC3, cv::Scalar(255, 255, 255));
    const PersonInput in = preprocessPerson(img, {0, 0, 20, 20});
    EXPECT_FLOAT_EQ(in.tensor[0][128][96].item<float>(), (1.0f - 0.485f) / 0.229f);  // the centre: white
    EXPECT_FLOAT_EQ(in.tensor[1][0][0].item<float>(), (0.0f - 0.456f) / 0.224f);     // a corner: outside
}

TEST(Preprocess, BatchStacksThePersonsOfAnImage) {
    const cv::Mat img = gradientImage(200, 150);
    const std::vector<CenterScale> cs = {boxToCenterScale({10, 10, 50, 100}), boxToCenterScale({80, 20, 60, 60})};
    const torch::Tensor b = preprocessBatch(img, cs, {48, 64});
    ASSERT_EQ(b.sizes(), (std::vector<int64_t>{2, 3, 64, 48}));
    EXPECT_TRUE(torch::equal(b[0], preprocessCrop(img, cs[0], {48, 64})));
    EXPECT_TRUE(torch::equal(b[1], preprocessCrop(img, cs[1], {48, 64})));
    EXPECT_EQ(preprocessBatch(img, {}).sizes(), (std::vector<int64_t>{0, 3, 256, 192}));
}

TEST(Preprocess, RejectsImagesThatAreNotRgb8) {
    EXPECT_THROW(normalizeCrop(cv::Mat()), Error);
    EXPECT_THROW(normalizeCrop(cv::Mat(4, 4, CV_8UC1, cv::Scalar(0))), Error);
    EXPECT_THROW(preprocessPerson(cv::Mat(4, 4, CV_32FC3, cv::Scalar(0)), {0, 0, 2, 2}), Error);
    EXPECT_THROW(preprocessBatch(cv::Mat(), {CenterScale{}}), Error);
}

TEST(Flip, FlipWidthReversesTheLastDimension) {
    const torch::Tensor x = torch::arange(24, torch::kFloat32).view({1, 2, 3, 4});
    const torch::Tensor f = flipWidth(x);
    for (int c = 0; c < 2; ++c)
        for (int y = 0; y < 3; ++y)
            for (int i = 0; i < 4; ++i)
                EXPECT_EQ(f[0][c][y][i].item<float>(), x[0][c][y][3 - i].item<float>());
    EXPECT_THROW(flipWidth(torch::zeros({2, 3, 4})), Error);
}

TEST(Flip, FlipBackMirrorsThenSwapsThePairs) {
    // Channel c of [1, 5, 2, 3] holds 100·c + 10·y + x; pairs (1, 2), (3, 4).
    const torch::Tensor hm = torch::empty({1, 5, 2, 3});
    for (int c = 0; c < 5; ++c)
        for (int y = 0; y < 2; ++y)
            for (int x = 0; x < 3; ++x)
                hm[0][c][y][x] = 100 * c + 10 * y + x;
    const torch::Tensor out = flipBack(hm, {{1, 2}, {3, 4}});
    const int source[5] = {0, 2, 1, 4, 3};
    for (int c = 0; c < 5; ++c)
        for (int y = 0; y < 2; ++y)
            for (int x = 0; x < 3; ++x)
                EXPECT_EQ(out[0][c][y][x].item<float>(), 100 * source[c] + 10 * y + (2 - x))
                    << c << " " << y << " " << x;
    EXPECT_TRUE(torch::equal(hm, flipBack(out, {{1, 2}, {3, 4}})));  // an involution
}

TEST(Flip, FlipBackWithTheCocoPairs) {
    const auto& pairs = cocoSkeleton().flipPairs;
    ASSERT_EQ(pairs.size(), 8u);
    const torch::Tensor hm = torch::rand({2, 17, 4, 5});
    const torch::Tensor out = flipBack(hm, pairs);
    EXPECT_TRUE(torch::equal(out.select(1, 0), hm.select(1, 0).flip({2})));  // the nose stays
    for (int k = 1; k < 17; ++k) {
        const int partner = k % 2 == 1 ? k + 1 : k - 1;  // (1, 2), (3, 4), …, (15, 16)
        EXPECT_EQ(cocoSkeleton().flipped(k), partner);
        EXPECT_TRUE(torch::equal(out.select(1, k), hm.select(1, partner).flip({2}))) << k;
    }
}

TEST(Flip, FlipBackRejectsBadInput) {
    EXPECT_THROW(flipBack(torch::zeros({17, 4, 5}), {}), Error);
    EXPECT_THROW(flipBack(torch::zeros({1, 3, 4, 5}), {{1, 3}}), Error);
    EXPECT_THROW(flipBack(torch::zeros({1, 3, 4, 5}), {{-1, 2}}), Error);
}

TEST(Flip, AverageIsHalfTheSum) {
    const torch::Tensor a = torch::tensor({1.0f, 2.0f, -3.0f});
    const torch::Tensor b = torch::tensor({3.0f, 0.5f, 1.0f});
    EXPECT_TRUE(torch::equal(averageFlip(a, b), torch::tensor({2.0f, 1.25f, -1.0f})));
}

TEST(Flip, FlipTestHasNoPixelShift) {
    // A mirror-consistent "model" (heatmaps = the input itself, no left/right channels): the flipped
    // pass lands on exactly the same pixels, so flip testing returns the plain output unchanged. A
    // one-pixel shift (HRNet's SHIFT_HEATMAP) would move every column by one.
    const torch::Tensor x = torch::rand({2, 3, 8, 6});
    int calls = 0;
    const auto identity = [&](const torch::Tensor& t) {
        ++calls;
        return t.clone();
    };
    EXPECT_TRUE(torch::equal(flipTest(identity, x, {}), x));
    EXPECT_EQ(calls, 2);
    // With pairs: forward(x) and flipBack(forward(flip(x))) averaged, as validate() does.
    const std::vector<std::pair<int, int>> pairs = {{1, 2}};
    const auto scale = [](const torch::Tensor& t) { return t * torch::tensor({1.0f, 2.0f, 3.0f}).view({1, 3, 1, 1}); };
    const torch::Tensor expected = (scale(x) + flipBack(scale(flipWidth(x)), pairs)) * 0.5;
    EXPECT_TRUE(torch::equal(flipTest(scale, x, pairs), expected));
}
