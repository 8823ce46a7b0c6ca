// SimCC (models/include/posescope/models/simcc.h): label encoding and decoding round trips, mmpose's
// weight rules, KLDiscretLoss against a hand-written reference, flip_vectors, and the head's shapes.
#include "posescope/datasets/skeleton.h"
#include "posescope/models/flip.h"
#include "posescope/models/pose_model.h"
#include "posescope/models/simcc.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <functional>
#include <string>

using namespace posescope;
using namespace posescope::models;

namespace {

constexpr int kW = 192, kH = 256;

SimCCOptions withRatio(double k) {
    SimCCOptions o;
    o.splitRatio = k;
    return o;
}

// KLDiscretLoss written out in float64: Σ over axes, people and keypoints of
// w · mean_i(t·log t − t·log_softmax(p·β)), divided by K.
double referenceLoss(const torch::Tensor& px, const torch::Tensor& py, const SimCCTargets& t, const SimCCOptions& o) {
    const int64_t n = px.size(0), k = px.size(1);
    double total = 0;
    for (const auto& [pred, target] : {std::pair{px, t.x}, std::pair{py, t.y}}) {
        const int64_t bins = pred.size(2);
        for (int64_t i = 0; i < n; ++i)
            for (int64_t j = 0; j < k; ++j) {
                const torch::Tensor p = pred[i][j].to(torch::kFloat64) * o.beta;
                torch::Tensor l = target[i][j].to(torch::kFloat64);
                if (o.labelSoftmax) l = torch::softmax(l * o.beta, 0);
                const double maxP = p.max().item<double>();
                double sumExp = 0;
                for (int64_t b = 0; b < bins; ++b)
                    sumExp += std::exp(p[b].item<double>() - maxP);
                const double logZ = maxP + std::log(sumExp);
                double kl = 0;
                for (int64_t b = 0; b < bins; ++b) {
                    const double tb = l[b].item<double>();
                    if (tb > 0) kl += tb * std::log(tb);
                    kl -= tb * (p[b].item<double>() - logZ);
                }
                total += t.weight[i][j].item<double>() * kl / static_cast<double>(bins);
            }
    }
    return total / static_cast<double>(k);
}

template <typename F>
void expectModelError(F&& f, const std::string& needle) {
    try {
        f();
        ADD_FAILURE() << "no ModelError; expected one mentioning \"" << needle << "\"";
    } catch (const ModelError& e) {
        EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
}

}  // namespace

TEST(SimCC, EncodeDecodeRoundTripsWithinHalfABin) {
    torch::manual_seed(7);
    for (const double k : {2.0, 3.0}) {
        const SimCCOptions o = withRatio(k);
        // Inside [0, w − 1) × [0, h − 1), so round(x·k) is a bin.
        torch::Tensor kp = torch::rand({4, 17, 2}, torch::kFloat32);
        kp.select(2, 0).mul_(kW - 1);
        kp.select(2, 1).mul_(kH - 1);
        const SimCCTargets t = encodeSimCC(kp, torch::ones({4, 17}), kW, kH, o);
        ASSERT_EQ(t.x.sizes(), (torch::IntArrayRef{4, 17, static_cast<int64_t>(std::lround(kW * k))}));
        ASSERT_EQ(t.y.sizes(), (torch::IntArrayRef{4, 17, static_cast<int64_t>(std::lround(kH * k))}));
        EXPECT_TRUE(torch::equal(t.weight, torch::ones({4, 17})));
        const auto people = decodeSimCC(t.x, t.y, o);
        ASSERT_EQ(people.size(), 4u);
        const float kf = static_cast<float>(k);
        for (int64_t i = 0; i < 4; ++i)
            for (int64_t j = 0; j < 17; ++j) {
                const float x = kp[i][j][0].item<float>(), y = kp[i][j][1].item<float>();
                const Keypoint& p = people[static_cast<size_t>(i)][static_cast<size_t>(j)];
                // The bin is np.around(x·k) in float32; the location is bin / k in float32.
                EXPECT_EQ(p.x, static_cast<double>(std::nearbyint(x * kf) / kf)) << x;
                EXPECT_EQ(p.y, static_cast<double>(std::nearbyint(y * kf) / kf)) << y;
                EXPECT_LE(std::abs(p.x - x), 0.5 / k + 1e-6);
                EXPECT_LE(std::abs(p.y - y), 0.5 / k + 1e-6);
                EXPECT_EQ(p.score, 1.0);  // the unnormalised Gaussian's peak
            }
    }
}

TEST(SimCC, LabelsAreMmposeGaussians) {
    SimCCOptions o;
    o.sigmaX = 4.9;
    o.sigmaY = 5.66;
    // 10.25·2 = 20.5 rounds half to even (20); 33.75·2 = 67.5 → 68.
    const torch::Tensor kp = torch::tensor({10.25f, 33.75f}).view({1, 1, 2});
    SimCCTargets t = encodeSimCC(kp, torch::ones({1, 1}), kW, kH, o);
    EXPECT_EQ(t.x[0][0].argmax().item<int64_t>(), 20);
    EXPECT_EQ(t.y[0][0].argmax().item<int64_t>(), 68);
    EXPECT_FLOAT_EQ(t.x[0][0][25].item<float>(), static_cast<float>(std::exp(-25.0 / (2 * 4.9 * 4.9))));
    EXPECT_FLOAT_EQ(t.y[0][0][60].item<float>(), static_cast<float>(std::exp(-64.0 / (2 * 5.66 * 5.66))));

    o.normalize = true;
    t = encodeSimCC(kp, torch::ones({1, 1}), kW, kH, o);
    EXPECT_FLOAT_EQ(t.x[0][0][20].item<float>(), static_cast<float>(1 / (4.9 * std::sqrt(2 * M_PI))));
    EXPECT_NEAR(t.x[0][0].sum().item<double>(), 1.0, 1e-4);  // a whole Gaussian inside the bins
}

TEST(SimCC, InvisibleAndFarOutsideKeypointsGetWeightZero) {
    const SimCCOptions o;  // k = 2, σ = 6: the Gaussian spans μ − 18 … μ + 19 (mmpose's 3σ rule)
    const float nan = std::nanf("");
    const torch::Tensor kp = torch::tensor({
                                               50.f,   60.f,   // 0: visible, inside
                                               50.f,   60.f,   // 1: invisible
                                               -100.f, 60.f,   // 2: far left
                                               50.f,   400.f,  // 3: far below
                                               201.f,  60.f,   // 4: μx = 402, left edge 384 = Wx: outside
                                               200.5f, 60.f,   // 5: μx = 401, left edge 383: a tail inside
                                               -10.f,  60.f,   // 6: μx = −20, right edge −1: outside
                                               -9.5f,  60.f,   // 7: μx = −19, right edge 0: a tail inside
                                               nan,    60.f,   // 8: not a number
                                               50.f,   60.f,   // 9: visible 0.3 < 0.5: unlabelled
                                           })
                                 .view({1, 10, 2});
    torch::Tensor vis = torch::ones({1, 10});
    vis[0][1] = 0;
    vis[0][9] = 0.3;
    const SimCCTargets t = encodeSimCC(kp, vis, kW, kH, o);
    const std::vector<float> expected = {1, 0, 0, 0, 0, 1, 0, 1, 0, 0.3f};
    for (int64_t j = 0; j < 10; ++j) {
        EXPECT_FLOAT_EQ(t.weight[0][j].item<float>(), expected[static_cast<size_t>(j)]) << "keypoint " << j;
        const bool labelled = j == 0 || j == 5 || j == 7;
        EXPECT_EQ(t.x[0][j].sum().item<float>() > 0, labelled) << "keypoint " << j;
        EXPECT_EQ(t.y[0][j].sum().item<float>() > 0, labelled) << "keypoint " << j;
    }
    EXPECT_FLOAT_EQ(t.x[0][5][383].item<float>(), static_cast<float>(std::exp(-324.0 / 72)));  // (383 − 401)²
    EXPECT_FALSE(torch::isnan(t.x).any().item<bool>());
}

TEST(SimCC, LossOfPerfectLogitsIsZeroAndMatchesTheReference) {
    torch::manual_seed(3);
    torch::Tensor kp = torch::rand({2, 5, 2}) * 150 + 10;
    torch::Tensor vis = torch::ones({2, 5});
    vis[1][3] = 0;
    SimCCOptions o;
    o.normalize = true;
    const SimCCTargets t = encodeSimCC(kp, vis, kW, kH, o);

    // With labelSoftmax the labels become softmax(labels·β) and log_softmax(labels·β) is exactly
    // their logarithm: KL = 0 (RTMPose's setting: unnormalised labels, β = 10).
    SimCCOptions soft;
    soft.beta = 10;
    soft.labelSoftmax = true;
    const SimCCTargets raw = encodeSimCC(kp, vis, kW, kH, soft);
    const torch::Tensor zero = simccLoss(raw.x, raw.y, raw, soft);
    EXPECT_EQ(zero.dim(), 0);
    EXPECT_LE(std::abs(zero.item<double>()), 1e-6);
    EXPECT_NEAR(zero.item<double>(), referenceLoss(raw.x, raw.y, raw, soft), 1e-6);

    // Logits that put the peak three bins off lose more.
    const torch::Tensor shifted = simccLoss(torch::roll(raw.x, 3, 2), torch::roll(raw.y, 3, 2), raw, soft);
    EXPECT_GT(shifted.item<double>(), 1e-4);
    EXPECT_NEAR(shifted.item<double>(), referenceLoss(torch::roll(raw.x, 3, 2), torch::roll(raw.y, 3, 2), raw, soft),
                1e-6);

    // Raw labels as targets (the default): the log-normalised labels are the best logits, and
    // random logits agree with the float64 reference (sum over people, divided by K).
    // (The invisible keypoint's all-zero rows stay 0 / tiny = 0.)
    const torch::Tensor logX = torch::log(t.x / t.x.sum(2, true).clamp_min(1e-30));
    const torch::Tensor logY = torch::log(t.y / t.y.sum(2, true).clamp_min(1e-30));
    const torch::Tensor px = torch::randn({2, 5, kW * 2}, torch::kFloat64) * 3;
    const torch::Tensor py = torch::randn({2, 5, kH * 2}, torch::kFloat64) * 3;
    const double random = simccLoss(px, py, t, o).item<double>();
    EXPECT_NEAR(random, referenceLoss(px, py, t, o), 1e-9 * std::max(1.0, random));
    EXPECT_GT(random, 0);
    SimCCOptions hot = o;
    hot.beta = 10;
    const double hotLoss = simccLoss(px, py, t, hot).item<double>();
    EXPECT_NEAR(hotLoss, referenceLoss(px, py, t, hot), 1e-9 * std::max(1.0, hotLoss));
    // log(0) = −inf bins make KL's 0·(−inf) undefined, so clamp the perfect logits.
    const double best = simccLoss(logX.clamp_min(-80), logY.clamp_min(-80), t, o).item<double>();
    EXPECT_LT(best, random);
    EXPECT_LE(best, 1e-3);
}

TEST(SimCC, LossGradientsFlow) {
    torch::manual_seed(5);
    const torch::Tensor kp = torch::rand({2, 3, 2}) * 150;
    torch::Tensor vis = torch::ones({2, 3});
    vis[0][1] = 0;
    const SimCCTargets t = encodeSimCC(kp, vis, kW, kH);
    const torch::Tensor px = torch::randn({2, 3, 384}).requires_grad_(true);
    const torch::Tensor py = torch::randn({2, 3, 512}).requires_grad_(true);
    simccLoss(px, py, t).backward();
    ASSERT_TRUE(px.grad().defined());
    ASSERT_TRUE(py.grad().defined());
    EXPECT_GT(px.grad().abs().sum().item<double>(), 0);
    EXPECT_GT(py.grad().abs().sum().item<double>(), 0);
    EXPECT_EQ(px.grad()[0][1].abs().sum().item<double>(), 0);  // weight 0: no gradient
    EXPECT_FALSE(t.x.requires_grad());
}

TEST(SimCC, FlipMirrorsBinsAndSwapsPartners) {
    const auto& pairs = cocoSkeleton().flipPairs;  // (1, 2) = left/right eye, …
    torch::manual_seed(11);
    const torch::Tensor x = torch::randn({2, 17, 384}), y = torch::randn({2, 17, 512});
    const auto [fx, fy] = flipSimCC(x, y, pairs);
    const auto [ffx, ffy] = flipSimCC(fx, fy, pairs);
    EXPECT_TRUE(torch::equal(ffx, x));
    EXPECT_TRUE(torch::equal(ffy, y));

    // The left eye at bin 100 (x = 50) of the flipped input is the right eye at bin 383 − 100.
    torch::Tensor kp = torch::full({1, 17, 2}, 96.f);
    kp[0][1][0] = 50.f;
    kp[0][1][1] = 40.f;
    const SimCCTargets t = encodeSimCC(kp, torch::ones({1, 17}), kW, kH);
    const auto [bx, by] = flipSimCC(t.x, t.y, pairs);
    const auto people = decodeSimCC(bx, by);
    EXPECT_EQ(people[0][2].x, (383 - 100) / 2.0);
    EXPECT_EQ(people[0][2].y, 40.0);
    EXPECT_EQ(people[0][1].x, (383 - 192) / 2.0);  // the right eye (at 96) moved to the left
    EXPECT_EQ(people[0][0].x, (383 - 192) / 2.0);  // the nose has no partner: mirrored only
    const torch::Tensor avg = averageFlip(t.x, bx);
    EXPECT_EQ(avg.sizes(), t.x.sizes());

    expectModelError([&] { flipSimCC(x, y, {{1, 17}}); }, "flip pair (1, 17)");
}

TEST(SimCC, DecodeMarksNonPositiveScoresWithMinusOneBin) {
    torch::Tensor x = -torch::rand({1, 3, 384}) - 0.1, y = -torch::rand({1, 3, 512}) - 0.1;
    x[0][1][10] = 2.0f;  // keypoint 1: x positive, y not → still missing
    x[0][2][10] = 2.0f;  // keypoint 2: both positive, score = the smaller maximum
    y[0][2][20] = 0.5f;
    const SimCCOptions o;  // k = 2
    const auto people = decodeSimCC(x, y, o);
    for (int j = 0; j < 2; ++j) {
        const Keypoint& p = people[0][static_cast<size_t>(j)];
        EXPECT_EQ(p.x, -0.5) << j;  // mmpose: bin −1, then divided by k
        EXPECT_EQ(p.y, -0.5) << j;
        EXPECT_LE(p.score, 0) << j;
        EXPECT_FLOAT_EQ(static_cast<float>(p.score),
                        std::min(x[0][j].max().item<float>(), y[0][j].max().item<float>()));
    }
    EXPECT_EQ(people[0][2].x, 5.0);
    EXPECT_EQ(people[0][2].y, 10.0);
    EXPECT_FLOAT_EQ(static_cast<float>(people[0][2].score), 0.5f);

    const auto zeros = decodeSimCC(torch::zeros({1, 1, 4}), torch::zeros({1, 1, 4}), withRatio(1.0));
    EXPECT_EQ(zeros[0][0].x, -1.0);
    EXPECT_EQ(zeros[0][0].score, 0.0);
}

TEST(SimCC, HeadShapesAndInitialisation) {
    torch::manual_seed(1);
    SimCCHead head(256, 17, 8, 6, 192, 256, 2.0);
    head->initialise();
    const auto params = head->named_parameters();
    EXPECT_EQ(params["final_layer.weight"].sizes(), (torch::IntArrayRef{17, 256, 1, 1}));
    EXPECT_EQ(params["mlp_head_x.weight"].sizes(), (torch::IntArrayRef{384, 48}));
    EXPECT_EQ(params["mlp_head_y.weight"].sizes(), (torch::IntArrayRef{512, 48}));
    EXPECT_EQ(params.size(), 6u);
    for (const char* bias : {"final_layer.bias", "mlp_head_x.bias", "mlp_head_y.bias"})
        EXPECT_EQ(params[bias].abs().sum().item<double>(), 0) << bias;
    EXPECT_NEAR(params["final_layer.weight"].std().item<double>(), 0.001, 0.0002);
    EXPECT_NEAR(params["mlp_head_x.weight"].std().item<double>(), 0.01, 0.001);

    const auto [px, py] = head->forward(torch::randn({3, 256, 8, 6}));
    EXPECT_EQ(px.sizes(), (torch::IntArrayRef{3, 17, 384}));
    EXPECT_EQ(py.sizes(), (torch::IntArrayRef{3, 17, 512}));
    // The codec and the loss accept the head's output as it is.
    const SimCCTargets t = encodeSimCC(torch::rand({3, 17, 2}) * 100, torch::ones({3, 17}), 192, 256);
    EXPECT_TRUE(std::isfinite(simccLoss(px, py, t).item<double>()));
}

TEST(SimCC, BadShapesThrowModelError) {
    SimCCHead head(64, 17, 8, 6, 192, 256, 2.0);
    expectModelError([&] { head->forward(torch::randn({1, 32, 8, 6})); }, "expected [N, 64, 8, 6], got [1, 32, 8, 6]");
    expectModelError([&] { head->forward(torch::randn({64, 8, 6})); }, "expected [N, 64, 8, 6]");
    expectModelError([] { SimCCHead(64, 17, 8, 6, 192, 256, 0.0); }, "splitRatio");

    const torch::Tensor ones = torch::ones({2, 17});
    expectModelError([&] { encodeSimCC(torch::zeros({2, 17, 3}), ones, kW, kH); }, "keypoints [N, K, 2]");
    expectModelError([&] { encodeSimCC(torch::zeros({2, 17, 2}), torch::ones({2, 16}), kW, kH); }, "visible [2, 17]");
    expectModelError([&] { encodeSimCC(torch::zeros({2, 17, 2}), ones, 0, kH); }, "inputWidth");
    SimCCOptions badSigma;
    badSigma.sigmaY = 0;
    expectModelError([&] { encodeSimCC(torch::zeros({2, 17, 2}), ones, kW, kH, badSigma); }, "sigmaY");

    const SimCCTargets t = encodeSimCC(torch::zeros({2, 17, 2}), ones, kW, kH);
    expectModelError(
        [&] {
            simccLoss(torch::zeros({2, 17, 383}), torch::zeros({2, 17, 512}), t);
        },
        "targets.x [2, 17, 383]");
    expectModelError(
        [&] {
            simccLoss(torch::zeros({2, 17, 384}), torch::zeros({2, 16, 512}), t);
        },
        "predY [2, 17, Wy]");
    expectModelError([&] { decodeSimCC(torch::zeros({17, 384}), torch::zeros({17, 512})); }, "predX [N, K, Wx]");
    expectModelError([&] { flipSimCC(torch::zeros({1, 17, 384}), torch::zeros({2, 17, 512}), {}); }, "predY");
}
