// BTranspose against the official implementation's outputs on the shared fixture
// (../shared/fixtures/official/btranspose_small.*): heatmaps, features, the encoder's attention and
// the BoT block's MHSA attention; the official full configurations' keys; official YAMLs.
#include "h5_fixture.h"
#include "key_list.h"
#include "official_configs.h"
#include "posescope/models/checkpoint.h"
#include "posescope/models/checkpoint_info.h"
#include "posescope/models/model_registry.h"
#include "posescope/models/pose_model.h"
#include "test_paths.h"

#include <gtest/gtest.h>

using namespace posescope;
using namespace posescope::models;

namespace {

using test::smallBTranspose;

void checkAgainstFixture(const std::shared_ptr<const PoseModel>& model) {
    const std::string h5 = test::officialPath("btranspose_small.h5");
    const torch::Tensor input = test::readH5(h5, "/input");
    Trace trace;
    const torch::Tensor heatmaps = model->forward(input, &trace);
    test::expectClose(heatmaps, test::readH5(h5, "/heatmaps"), "heatmaps");
    for (const char* f : {"reduce", "encoder", "deconv"})
        test::expectClose(trace.extras.at(std::string("features/") + f),
                          test::readH5(h5, std::string("/features/") + f), f);
    ASSERT_EQ(trace.layers.size(), 2u);
    const torch::Tensor queries = test::readH5(h5, "/attention/query_index");
    for (int i = 0; i < 2; ++i) {
        const LayerTrace& t = trace.layers[static_cast<size_t>(i)];
        const std::string layer = "layer_" + std::to_string(i);
        test::expectClose(t.attentionMean.index_select(1, queries), test::readH5(h5, "/attention/" + layer),
                          "attention " + layer);
        test::expectClose(t.attentionMean.sum(1).to(torch::kFloat64), test::readH5(h5, "/attention_key_sum/" + layer),
                          "attention key sums " + layer);
        EXPECT_EQ(t.attention.size(1), 4);
    }
    // The BoT block's MHSA, per head.
    ASSERT_TRUE(trace.extras.count("mhsa_attention/block_0"));
    const torch::Tensor mhsa = trace.extras.at("mhsa_attention/block_0");
    EXPECT_EQ(mhsa.sizes(), torch::IntArrayRef({1, 4, 768, 768}));
    test::expectClose(mhsa.index_select(2, test::readH5(h5, "/mhsa_attention/query_index")),
                      test::readH5(h5, "/mhsa_attention/block_0"), "MHSA attention");
    test::expectClose(mhsa.sum(2).to(torch::kFloat64), test::readH5(h5, "/mhsa_attention_key_sum/block_0"),
                      "MHSA key sums");
    EXPECT_EQ(trace.extras.count("mhsa_attention/block_1"), 0u);
    test::expectClose(model->headOnTokens(trace.layers.back()), heatmaps, "head on the last layer");
}

}  // namespace

TEST(BTranspose, ReproducesTheOfficialBTranspose) {
    const auto model = loadModel(smallBTranspose(), test::officialPath("btranspose_small.pth"));
    EXPECT_EQ(model->info().family, "BTranspose");
    EXPECT_EQ(model->info().gridRows, 32);
    EXPECT_EQ(model->info().gridCols, 24);
    EXPECT_EQ(model->info().mhsaBlocks, 1);
    EXPECT_EQ(model->info().mhsaHeads, 4);
    checkAgainstFixture(model);
    // A light trace (no encoder attention, as the recorder's) still gets the MHSA's attention.
    Trace light;
    light.keepAttention = false;
    model->forward(test::readH5(test::officialPath("btranspose_small.h5"), "/input"), &light);
    EXPECT_FALSE(light.layers.front().attention.defined());
    ASSERT_TRUE(light.extras.count("mhsa_attention/block_0"));
    test::expectClose(
        light.extras.at("mhsa_attention/block_0")
            .index_select(2, test::readH5(test::officialPath("btranspose_small.h5"), "/mhsa_attention/query_index")),
        test::readH5(test::officialPath("btranspose_small.h5"), "/mhsa_attention/block_0"),
        "MHSA attention in a light trace");
}

TEST(BTranspose, AnOfficialYamlLoadsItsCheckpointAsBTranspose) {
    // BTranspose's own YAMLs are TransPose-R's (MODEL.NAME transpose_r, sine or learnable, no
    // backbone): the checkpoint tells the architecture.
    ModelConfig yaml = ModelConfig::preset("transpose-r-a4");
    for (const char* s : {"MODEL.N_HEAD=4", "MODEL.EXTRA.NUM_DECONV_FILTERS=[64]", "MODEL.POS_EMBEDDING=learnable"})
        yaml.set(s);
    const auto model = loadModel(yaml, test::officialPath("btranspose_small.pth"));
    EXPECT_EQ(model->info().family, "BTranspose");
    EXPECT_EQ(model->info().encoderLayers, 2);
    checkAgainstFixture(model);
    // A TransPose-R checkpoint under the same YAML stays TransPose-R.
    EXPECT_FALSE(ModelRegistry::builtin()
                     .families()[1]
                     .claimCheckpoint(yaml, loadCheckpoint(test::officialPath("transpose_r_small.pth")))
                     .has_value());
}

TEST(BTranspose, FullOfficialConfigurationsHaveExactlyTheOfficialKeys) {
    for (const auto& [preset, keys, params] : std::vector<std::tuple<std::string, std::string, int64_t>>{
             {"btranspose-c3a1", "btranspose_c3a1", 10090961},
             {"btranspose-c3a1-large", "btranspose_c3a1_large", 23817297}}) {
        SCOPED_TRACE(preset);
        const auto model = createModel(ModelConfig::preset(preset));
        const auto expected = test::readKeyList(test::officialPath(keys + ".keys.txt"));
        std::vector<TensorInfo> ours;
        for (const auto& [name, t] : stateDictOf(model->module()))
            ours.push_back({name, t.sizes().vec(), ""});
        ASSERT_EQ(ours.size(), expected.size());
        for (size_t i = 0; i < ours.size(); ++i) {
            EXPECT_EQ(ours[i].name, expected[i].name) << i;
            EXPECT_EQ(ours[i].shape, expected[i].shape) << ours[i].name;
        }
        int64_t count = 0;
        for (const torch::Tensor& p : model->module().parameters())
            count += p.numel();
        EXPECT_EQ(count, params);
    }
}

TEST(BTranspose, EveryPresetIsRecognisedAsItsPaperVariant) {
    struct Expected {
        std::string preset, variant;
        int mhsaBlocks, mhsaHeads;
    };
    for (const Expected& e : std::vector<Expected>{{"btranspose-c2a1", "C2A1(4)", 6, 4},
                                                   {"btranspose-c2a2", "C2A2(4)", 9, 4},
                                                   {"btranspose-c3a1", "C3A1(4)", 3, 4},
                                                   {"btranspose-c3a1-h8", "C3A1(8)", 3, 8},
                                                   {"btranspose-c3a1-n6", "C3A1(4)-N6", 3, 4},
                                                   {"btranspose-c3a1-large", "C3A1(4)-Large", 3, 4}}) {
        const std::string &preset = e.preset, &variant = e.variant;
        SCOPED_TRACE(preset);
        const auto model = createModel(ModelConfig::preset(preset));
        EXPECT_EQ(model->info().family, "BTranspose");
        EXPECT_EQ(model->info().variant, variant);
        EXPECT_EQ(model->info().mhsaBlocks, e.mhsaBlocks);  // the BoT groups' blocks
        EXPECT_EQ(model->info().mhsaHeads, e.mhsaHeads);
        EXPECT_EQ(presetFor("BTranspose", variant), preset);
    }
    // The paper's parameter counts (Tables 1-4): 6.8 M, 9.55 M, 10.1 M, 11.67 M.
    auto millions = [](const std::string& preset) {
        int64_t n = 0;
        for (const torch::Tensor& p : createModel(ModelConfig::preset(preset))->module().parameters())
            n += p.numel();
        return static_cast<double>(n) / 1e6;
    };
    EXPECT_NEAR(millions("btranspose-c2a1"), 6.80, 0.01);
    EXPECT_NEAR(millions("btranspose-c2a2"), 9.55, 0.01);
    EXPECT_NEAR(millions("btranspose-c3a1-h8"), 10.09, 0.01);
    EXPECT_NEAR(millions("btranspose-c3a1-n6"), 11.67, 0.01);
}

TEST(BTranspose, RefusesAnotherInputSizeAndBadBackbones) {
    const auto model = createModel(smallBTranspose());
    EXPECT_THROW(model->forward(torch::zeros({1, 3, 128, 96})), ModelError);
    ModelConfig c = smallBTranspose();
    c.set("MODEL.EXTRA.MHSA_GROUPS=3");
    EXPECT_THROW(createModel(c), ConfigError);
    c = smallBTranspose();
    c.set("MODEL.EXTRA.BOT_BLOCKS=[2, 1, 1]");
    EXPECT_THROW(createModel(c), ConfigError);
}
