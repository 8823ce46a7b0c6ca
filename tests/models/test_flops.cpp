// The multiply-add counter: single operators against their formulas, nothing counted twice or
// for elementwise work, TransPose-R-A4 against the analytic count of docs/benchmarks.md, and PPT's
// saving against the token counts its pruning leaves.
#include "official_configs.h"
#include "posescope/models/flops.h"
#include "posescope/models/model_config.h"
#include "posescope/models/pose_model.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

using namespace posescope;
using namespace posescope::models;

namespace {

double macs(const std::function<void()>& work) {
    torch::NoGradGuard noGrad;
    return countFlops(work).multiplyAdds;
}

}  // namespace

TEST(Flops, LinearLayersCountInputsTimesOutputs) {
    torch::nn::Linear fc(10, 20);
    EXPECT_DOUBLE_EQ(macs([&] { fc->forward(torch::ones({4, 10})); }), 4.0 * 10 * 20);
    EXPECT_DOUBLE_EQ(macs([&] { fc->forward(torch::ones({2, 7, 10})); }), 2.0 * 7 * 10 * 20);
    torch::nn::Linear noBias(torch::nn::LinearOptions(10, 3).bias(false));
    EXPECT_DOUBLE_EQ(macs([&] { noBias->forward(torch::ones({5, 10})); }), 5.0 * 10 * 3);
}

TEST(Flops, BatchedMatrixProductsAsAttentionUsesThem) {
    const torch::Tensor q = torch::ones({2, 3, 5, 6}), k = torch::ones({2, 3, 4, 6});
    EXPECT_DOUBLE_EQ(macs([&] { torch::matmul(q, k.transpose(-1, -2)); }), 2.0 * 3 * 5 * 6 * 4);
    EXPECT_DOUBLE_EQ(macs([&] { torch::einsum("bhid,bhjd->bhij", {q, k}); }), 2.0 * 3 * 5 * 6 * 4);
}

TEST(Flops, ConvolutionsCountOutputsTimesTaps) {
    // 3x3, stride 2, padding 1, dilation 1, groups 2 on 8x[9 x 7]: output 5 x 4.
    torch::nn::Conv2d conv(torch::nn::Conv2dOptions(8, 6, 3).stride(2).padding(1).groups(2));
    EXPECT_DOUBLE_EQ(macs([&] { conv->forward(torch::ones({2, 8, 9, 7})); }), 2.0 * 6 * 5 * 4 * (4 * 9));
    // dilation 2, no padding on 11 x 10: output 7 x 6.
    torch::nn::Conv2d dilated(torch::nn::Conv2dOptions(3, 4, 3).dilation(2).bias(false));
    EXPECT_DOUBLE_EQ(macs([&] { dilated->forward(torch::ones({1, 3, 11, 10})); }), 4.0 * 7 * 6 * (3 * 9));
    // Transposed 4x4 stride 2: every input element reaches Cout · 16 outputs.
    torch::nn::ConvTranspose2d deconv(torch::nn::ConvTranspose2dOptions(5, 7, 4).stride(2).padding(1));
    const FlopCount c = [&] {
        torch::NoGradGuard noGrad;
        return countFlops([&] { deconv->forward(torch::ones({1, 5, 6, 4})); });
    }();
    EXPECT_DOUBLE_EQ(c.multiplyAdds, 5.0 * 6 * 4 * 7 * 16);
    EXPECT_DOUBLE_EQ(c.byKind.at("transposed convolution"), c.multiplyAdds);
}

TEST(Flops, ElementwiseWorkCountsNothingAndCountsDoNotLeak) {
    const torch::Tensor x = torch::rand({64, 64});
    EXPECT_EQ(macs([&] { torch::relu(x + x * 2).softmax(-1); }), 0.0);
    torch::nn::Linear fc(8, 8);
    const double inner = macs([&] { fc->forward(torch::ones({1, 8})); });
    fc->forward(torch::ones({100, 8}));  // outside any count
    EXPECT_DOUBLE_EQ(inner, 64.0);
}

TEST(Flops, TransposeRA4MatchesTheAnalyticCount) {
    // docs/benchmarks.md: 12.64 GFLOP (6.32 GMAC) per 256x192 forward, counted analytically from
    // the PyTorch model's layers (scripts/bench_transpose.py).
    const auto model = createModel(ModelConfig::preset("transpose-r-a4"));
    const FlopCount c = countForwardFlops(*model);
    EXPECT_NEAR(c.multiplyAdds / 1e9, 6.32, 0.006);
    EXPECT_GT(c.byKind.at("convolution"), 0);
    EXPECT_GT(c.byKind.at("transposed convolution"), 0);
    EXPECT_GT(c.byKind.at("matrix product"), 0);
    EXPECT_NEAR(countForwardFlops(*model, 2).multiplyAdds, 2 * c.multiplyAdds, 1e-6 * c.multiplyAdds);
}

TEST(Flops, PptSavesExactlyWhatItsPrunedTokensCost) {
    // smallPpt: d 64, MLP 128, 12 layers, 17 keypoint tokens + 256 visual ones, pruning at the
    // 0-based layers 3, 6, 9 with r = 0.7: the MHSA of a pruning layer sees the tokens before,
    // its FFN those after (256 -> 180 -> 126 -> 89).
    ModelConfig ppt = test::smallPpt();
    ModelConfig tokenpose = ppt;
    tokenpose.set("MODEL.PRUNING_RATIO=1.0");
    const double d = 64, mlp = 128, j = 17;
    auto layer = [&](double attention, double ffn) {
        return attention * 4 * d * d + 2 * attention * attention * d + ffn * 2 * d * mlp;
    };
    const std::vector<double> before{256, 256, 256, 256, 180, 180, 180, 126, 126, 126, 89, 89};
    const std::vector<double> after{256, 256, 256, 180, 180, 180, 126, 126, 126, 89, 89, 89};
    double saved = 0;
    for (size_t i = 0; i < before.size(); ++i)
        saved += layer(j + 256, j + 256) - layer(j + before[i], j + after[i]);
    const double full = countForwardFlops(*createModel(tokenpose)).multiplyAdds;
    const double pruned = countForwardFlops(*createModel(ppt)).multiplyAdds;
    EXPECT_NEAR(full - pruned, saved, 1e-9 * full);
    EXPECT_GT(saved, 0);
}

TEST(Flops, BTransposeMatchesTheAnalyticCountsOfTheResearchNotes) {
    // ../shared/research/btranspose_hrpvt.md §2.1: 10.76 GMAC for C3A1(4), 8.24 for C2A1(4) at 256x192.
    EXPECT_NEAR(countForwardFlops(*createModel(ModelConfig::preset("btranspose-c3a1"))).multiplyAdds / 1e9, 10.76,
                0.006);
    EXPECT_NEAR(countForwardFlops(*createModel(ModelConfig::preset("btranspose-c2a1"))).multiplyAdds / 1e9, 8.24,
                0.006);
}
