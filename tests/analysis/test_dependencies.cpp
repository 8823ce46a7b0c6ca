// Keypoint dependencies on hand-made traces: rows (dependency) and columns (affect), heads,
// prefix tokens and pruned layers, query tokens, upsampling and the warp back to the image.
#include "posescope/analysis/dependencies.h"
#include "posescope/models/model_config.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

using namespace posescope;
using namespace posescope::analysis;

namespace {

models::ModelInfo info2x3() {
    models::ModelInfo info;
    info.inputWidth = 24;
    info.inputHeight = 16;
    info.outputWidth = 6;
    info.outputHeight = 4;
    info.gridRows = 2;
    info.gridCols = 3;
    return info;
}

// A 2×3 grid; attention[h][q][k] = (h + 1) · (10·q + k), not normalised (values are what we check).
models::LayerTrace trace2x3(int prefix = 0, std::vector<int64_t> visual = {0, 1, 2, 3, 4, 5}) {
    const int64_t l = prefix + static_cast<int64_t>(visual.size());
    torch::Tensor a = torch::zeros({1, 2, l, l});
    for (int h = 0; h < 2; ++h)
        for (int64_t q = 0; q < l; ++q)
            for (int64_t k = 0; k < l; ++k)
                a[0][h][q][k] = static_cast<float>((h + 1) * (10 * q + k));
    models::LayerTrace t;
    t.attention = a;
    t.attentionMean = a.mean(1);
    t.visualTokens = torch::tensor(visual, torch::kInt64).unsqueeze(0);
    t.gridRows = 2;
    t.gridCols = 3;
    return t;
}

}  // namespace

TEST(AttentionMap, DependencyIsTheRowAffectTheColumn) {
    const models::LayerTrace t = trace2x3();
    // token 4 (row 1, col 1): mean over heads of (h+1)·(40 + k) = 1.5·(40 + k).
    const torch::Tensor dep = attentionMap(t, 4, AttentionDirection::Dependency);
    ASSERT_EQ(dep.sizes(), (std::vector<int64_t>{2, 3}));
    EXPECT_FLOAT_EQ(dep[0][0].item<float>(), 60.0f);
    EXPECT_FLOAT_EQ(dep[1][2].item<float>(), 1.5f * 45);
    const torch::Tensor aff = attentionMap(t, 4, AttentionDirection::Affect);
    EXPECT_FLOAT_EQ(aff[0][2].item<float>(), 1.5f * (20 + 4));  // query 2 → key 4
    const torch::Tensor head1 = attentionMap(t, 4, AttentionDirection::Dependency, 1);
    EXPECT_FLOAT_EQ(head1[0][1].item<float>(), 2.0f * 41);
    EXPECT_THROW(attentionMap(t, 6, AttentionDirection::Dependency), models::ModelError);
    EXPECT_THROW(attentionMap(t, 0, AttentionDirection::Dependency, 2), models::ModelError);
}

TEST(AttentionMap, PrefixTokensAndPrunedLayers) {
    // Two prefix tokens (TokenPose's keypoint tokens), then visual tokens 5, 0, 3 still present.
    const models::LayerTrace t = trace2x3(2, {5, 0, 3});
    // Grid token 0 sits at sequence position 2 + 1 = 3; its row over keys 2..4 goes to tokens 5, 0, 3.
    const torch::Tensor dep = attentionMap(t, 0, AttentionDirection::Dependency);
    EXPECT_FLOAT_EQ(dep[1][2].item<float>(), 1.5f * (30 + 2));  // token 5 ← key 2
    EXPECT_FLOAT_EQ(dep[0][0].item<float>(), 1.5f * (30 + 3));  // token 0 ← key 3
    EXPECT_FLOAT_EQ(dep[1][0].item<float>(), 1.5f * (30 + 4));  // token 3 ← key 4
    EXPECT_FLOAT_EQ(dep[0][1].item<float>(), 0.0f);             // pruned
    // A pruned query token has no map.
    EXPECT_FLOAT_EQ(attentionMap(t, 1, AttentionDirection::Dependency).abs().sum().item<float>(), 0.0f);
}

TEST(QueryToken, TruncatesCropPointsToTheGrid) {
    const models::ModelInfo info = info2x3();  // stride 8
    const models::LayerTrace t = trace2x3();
    EXPECT_EQ(queryToken({15.9, 7.9}, t, info), 1);  // row 0, col 1
    EXPECT_EQ(queryToken({16.0, 8.0}, t, info), 5);  // row 1, col 2
    EXPECT_EQ(queryToken({100, 100}, t, info), 5);   // clamped
    EXPECT_EQ(queryToken({-3, -3}, t, info), 0);
    const auto q = keypointQueries({{2, 3, 0.9}}, info);  // heatmap → crop: ×4 + 0.5
    EXPECT_DOUBLE_EQ(q[0].x, 8.5);
    EXPECT_DOUBLE_EQ(q[0].y, 12.5);
}

TEST(UpsampleToCrop, BilinearWithThreshold) {
    const models::ModelInfo info = info2x3();
    const torch::Tensor constant = torch::full({2, 3}, 0.25f);
    const torch::Tensor up = upsampleToCrop(constant, info);
    EXPECT_EQ(up.sizes(), (std::vector<int64_t>{16, 24}));
    EXPECT_TRUE(torch::allclose(up, torch::full({16, 24}, 0.25f)));
    EXPECT_EQ(upsampleToCrop(constant, info, 0.25).abs().sum().item<float>(), 0.0f);
    torch::Tensor step = torch::zeros({2, 3});
    step[1] = 1;  // bottom row: values rise across the middle of the crop
    const torch::Tensor s = upsampleToCrop(step, info);
    EXPECT_FLOAT_EQ(s[0][0].item<float>(), 0.0f);
    EXPECT_FLOAT_EQ(s[15][0].item<float>(), 1.0f);
    EXPECT_NEAR(s[7][0].item<float>(), 0.4375f, 1e-6);  // align_corners=false: (7.5/8 − 0.5)
}

TEST(CropMapToImage, WarpsBackThroughTheInverseCrop) {
    const CenterScale cs = boxToCenterScale({40, 30, 60, 80});
    const cv::Mat onImage = cropMapToImage(torch::ones({256, 192}), cs, {200, 160});
    ASSERT_EQ(onImage.size(), cv::Size(200, 160));
    EXPECT_NEAR(onImage.at<float>(70, 69), 1.0f, 1e-5);  // the box center
    EXPECT_EQ(onImage.at<float>(0, 199), 0.0f);          // outside the padded box
}

TEST(LayerwiseHeatmaps, TheLastLayerIsThePassOutput) {
    models::ModelConfig config = models::ModelConfig::preset("transpose-r-a4");
    for (const char* s : {"MODEL.DIM_MODEL=32", "MODEL.N_HEAD=2", "MODEL.DIM_FEEDFORWARD=64", "MODEL.ENCODER_LAYERS=2",
                          "MODEL.EXTRA.NUM_DECONV_FILTERS=[32]"})
        config.set(s);
    torch::manual_seed(3);
    const auto model = models::createModel(config);
    models::Trace trace;
    const torch::Tensor out = model->forward(torch::randn({2, 3, 256, 192}), &trace);
    const auto computed = layerwiseHeatmaps(*model, trace);
    ASSERT_EQ(computed.size(), 2u);
    // The head on the last layer's tokens is the model's output, which is why the shortcut holds.
    EXPECT_TRUE(torch::allclose(computed.back(), out, 1e-5, 1e-6));
    const auto reused = layerwiseHeatmaps(*model, trace, out);
    ASSERT_EQ(reused.size(), 2u);
    EXPECT_TRUE(reused.back().is_same(out));
    EXPECT_TRUE(torch::equal(reused.front(), computed.front()));
}
