// TransPose-R and -H against the official implementation's outputs on the shared fixtures
// (../shared/fixtures/official/transpose_{r,h}_small.*), with the fixtures' tolerance.
#include "h5_fixture.h"
#include "key_list.h"
#include "official_configs.h"
#include "posescope/models/checkpoint.h"
#include "posescope/models/model_registry.h"
#include "posescope/models/pose_model.h"
#include "test_paths.h"
#include "transpose/encoder.h"

#include <gtest/gtest.h>

#include <algorithm>

using namespace posescope;
using namespace posescope::models;

namespace {

// The fixture configurations (README §2): the official yaml plus the listed overrides.
ModelConfig smallH() {
    ModelConfig c = ModelConfig::preset("transpose-h-s");
    c.set("MODEL.DIM_MODEL=32");
    c.set("MODEL.N_HEAD=1");
    c.set("MODEL.DIM_FEEDFORWARD=64");
    c.set("MODEL.ENCODER_LAYERS=2");
    c.set("MODEL.EXTRA.STAGE2.NUM_CHANNELS=[16, 32]");
    c.set("MODEL.EXTRA.STAGE3.NUM_CHANNELS=[16, 32, 64]");
    return c;
}

void checkAgainstFixture(const ModelConfig& config, const std::string& name, int layers) {
    const std::string h5 = test::officialPath(name + ".h5");
    const auto model = loadModel(config, test::officialPath(name + ".pth"));
    const torch::Tensor input = test::readH5(h5, "/input");
    Trace trace;
    const torch::Tensor heatmaps = model->forward(input, &trace);
    test::expectClose(heatmaps, test::readH5(h5, "/heatmaps"), name + " heatmaps");
    for (const char* f : {"backbone", "reduce", "encoder", "deconv"}) {
        if (!trace.extras.count(std::string("features/") + f)) continue;
        const std::string key = std::string("/features/") + f;
        try {
            test::expectClose(trace.extras.at(std::string("features/") + f), test::readH5(h5, key), name + " " + key);
        } catch (const std::runtime_error&) {  // not every fixture stores every feature
        }
    }
    ASSERT_EQ(static_cast<int>(trace.layers.size()), layers);
    const torch::Tensor queries = test::readH5(h5, "/attention/query_index");
    for (int i = 0; i < layers; ++i) {
        const LayerTrace& t = trace.layers[static_cast<size_t>(i)];
        const std::string layer = "layer_" + std::to_string(i);
        // Stored: the head-averaged rows of a query grid, and column sums over all queries.
        test::expectClose(t.attentionMean.index_select(1, queries), test::readH5(h5, "/attention/" + layer),
                          name + " attention " + layer);
        test::expectClose(t.attentionMean.sum(1).to(torch::kFloat64), test::readH5(h5, "/attention_key_sum/" + layer),
                          name + " attention key sums " + layer);
        EXPECT_EQ(t.attention.size(1), model->info().heads);
        EXPECT_TRUE(torch::allclose(t.attention.mean(1), t.attentionMean, 1e-6, 1e-7));
    }
    // The final layer's tokens through the head are the heatmaps themselves.
    test::expectClose(model->headOnTokens(trace.layers.back()), heatmaps, name + " head on last layer");
}

}  // namespace

TEST(TransPose, ReproducesTheOfficialTransPoseR) {
    checkAgainstFixture(test::smallTransposeR(), "transpose_r_small", 2);
}

TEST(TransPose, ReproducesTheOfficialTransPoseH) {
    checkAgainstFixture(smallH(), "transpose_h_small", 2);
}

TEST(TransPose, FullOfficialConfigurationsHaveExactlyTheOfficialKeys) {
    for (const auto& [preset, keys] :
         std::vector<std::pair<std::string, std::string>>{{"transpose-r-a3", "transpose_r_a3"},
                                                          {"transpose-r-a4", "transpose_r_a4"},
                                                          {"transpose-h-s", "transpose_h_s"},
                                                          {"transpose-h-a4", "transpose_h_a4"},
                                                          {"transpose-h-a6", "transpose_h_a6"}}) {
        SCOPED_TRACE(preset);
        const auto model = createModel(ModelConfig::preset(preset));
        const auto want = test::readKeyList(test::officialPath(keys + ".keys.txt"));
        const StateDict have = stateDictOf(model->module());
        ASSERT_EQ(have.size(), want.size());
        for (size_t i = 0; i < want.size(); ++i) {
            EXPECT_EQ(have[i].first, want[i].name);
            EXPECT_EQ(have[i].second.sizes().vec(), want[i].shape) << want[i].name;
            EXPECT_EQ(std::string(have[i].second.scalar_type() == torch::kInt64 ? "int64" : "float32"), want[i].dtype)
                << want[i].name;
        }
        EXPECT_FALSE(model->info().variant.empty());
    }
}

TEST(TransPose, WrongArchitectureListsTheMismatchedKeys) {
    try {
        loadModel(ModelConfig::preset("transpose-r-a4"), test::officialPath("transpose_h_small.pth"));
        FAIL() << "loaded an H checkpoint into an R model";
    } catch (const StateDictMismatch& e) {
        EXPECT_FALSE(e.missing().empty());
        EXPECT_FALSE(e.unexpected().empty());
        EXPECT_NE(std::string(e.what()).find("transpose_h_small.pth: the checkpoint does not match the model"),
                  std::string::npos);
        const auto& unexpected = e.unexpected();
        EXPECT_NE(std::find(unexpected.begin(), unexpected.end(), "stage3.3.fuse_layers.0.2.1.running_var"),
                  unexpected.end());
        // The message says what the file is instead and lists only the first keys (not 20 KB of them).
        const std::string what = e.what();
        EXPECT_NE(what.find("; the file is a checkpoint of TransPose-H"), std::string::npos) << what;
        EXPECT_NE(what.find(", the configuration builds TransPose-R (preset transpose-r-a4"), std::string::npos)
            << what;
        EXPECT_NE(what.find(" more)"), std::string::npos) << what;
        EXPECT_LT(what.size(), 3000u) << what;
    }
}

TEST(TransPose, ACheckpointOfNoKnownArchitectureIsNamedNotListedWhole) {
    const std::string path = test::outputPath("one_tensor.pth");
    saveStateDict({{"w", torch::zeros({10})}}, path);
    try {
        loadModel(ModelConfig::preset("transpose-r-a4"), path);
        FAIL() << "loaded a one-tensor file";
    } catch (const StateDictMismatch& e) {
        const std::string what = e.what();
        EXPECT_GT(e.missing().size(), 100u);  // the exception keeps every key
        EXPECT_NE(what.find("; the file holds 0 of the " + std::to_string(e.missing().size()) +
                            " keys of the TransPose-R the configuration builds (preset transpose-r-a4) and matches no "
                            "architecture PoseScope recognises"),
                  std::string::npos)
            << what;
        EXPECT_LT(what.size(), 3000u) << what;
    }
}

TEST(TransPose, SinePositionEmbeddingTestVectors) {
    // transpose.md §1.5, computed in float64.
    const torch::Tensor r = transpose::sinePositionEmbedding(32, 24, 256);
    ASSERT_EQ(r.sizes(), (std::vector<int64_t>{768, 1, 256}));
    const float r0[] = {0.195090f, 0.980785f, 0.169214f, 0.985579f};
    const float r0x[] = {0.258819f, 0.965926f, 0.224772f, 0.974411f};
    const float r25[] = {0.382683f, 0.923880f, 0.333547f, 0.942734f};
    const float r25x[] = {0.5f, 0.866025f, 0.438041f, 0.898955f};
    for (int k = 0; k < 4; ++k) {
        EXPECT_NEAR(r[0][0][k].item<float>(), r0[k], 2e-6);
        EXPECT_NEAR(r[0][0][128 + k].item<float>(), r0x[k], 2e-6);
        EXPECT_NEAR(r[25][0][k].item<float>(), r25[k], 2e-6);
        EXPECT_NEAR(r[25][0][128 + k].item<float>(), r25x[k], 2e-6);
    }
    EXPECT_NEAR(r[0][0][255].item<float>(), 1.0f, 2e-6);
    const torch::Tensor h = transpose::sinePositionEmbedding(64, 48, 64);
    const float h0[] = {0.098017f, 0.995185f, 0.055180f, 0.998476f};
    const float h0x[] = {0.130526f, 0.991445f, 0.073544f, 0.997292f};
    for (int k = 0; k < 4; ++k) {
        EXPECT_NEAR(h[0][0][k].item<float>(), h0[k], 2e-6);
        EXPECT_NEAR(h[0][0][32 + k].item<float>(), h0x[k], 2e-6);
    }
    // The stored embedding of an official checkpoint is this one.
    const auto ckpt = loadCheckpoint(test::officialPath("transpose_r_small.pth"));
    test::expectClose(transpose::sinePositionEmbedding(32, 24, 64), ckpt.tensors[0].second, "stored pos_embedding");
}

TEST(TransPose, OtherInputSizesInterpolateThePositionEmbedding) {
    const auto model = loadModel(test::smallTransposeR(), test::officialPath("transpose_r_small.pth"));
    const torch::Tensor input = torch::randn({1, 3, 384, 288});
    Trace trace;
    const torch::Tensor out = model->forward(input, &trace);
    EXPECT_EQ(out.sizes(), (std::vector<int64_t>{1, 17, 96, 72}));
    EXPECT_EQ(trace.layers[0].gridRows, 48);
    EXPECT_EQ(trace.layers[0].attentionMean.size(1), 48 * 36);
    // Resizing to the stored grid is the identity.
    const torch::Tensor pe = transpose::sinePositionEmbedding(32, 24, 64);
    EXPECT_TRUE(torch::allclose(transpose::resizePositionEmbedding(pe, 32, 24, 32, 24), pe, 1e-6, 1e-6));
    EXPECT_THROW(model->forward(torch::randn({1, 3, 250, 192})), ModelError);
}

TEST(TransPose, TraceCostsNothingWhenOff) {
    const auto model = loadModel(test::smallTransposeR(), test::officialPath("transpose_r_small.pth"));
    const torch::Tensor input = test::readH5(test::officialPath("transpose_r_small.h5"), "/input");
    Trace trace;
    EXPECT_TRUE(torch::equal(model->forward(input), model->forward(input, &trace)));
}

TEST(TransPose, AttentionRowsEqualTheTracedAttention) {
    const auto model = loadModel(test::smallTransposeR(), test::officialPath("transpose_r_small.pth"));
    const torch::Tensor input = test::readH5(test::officialPath("transpose_r_small.h5"), "/input");
    Trace full;
    const torch::Tensor out = model->forward(input, &full);
    Trace light;
    light.keepAttention = false;
    EXPECT_TRUE(torch::equal(model->forward(input, &light), out));
    ASSERT_EQ(light.layers.size(), full.layers.size());
    const int64_t n = input.size(0);
    const torch::Tensor which = torch::tensor({0, 5, 767, 300}, torch::kInt64).unsqueeze(0).expand({n, 4}).contiguous();
    for (size_t l = 0; l < light.layers.size(); ++l) {
        EXPECT_FALSE(light.layers[l].attention.defined());
        EXPECT_FALSE(light.layers[l].attentionMean.defined());
        const torch::Tensor rows = model->attentionRows(light.layers[l], which);  // [N, H, 4, L]
        const torch::Tensor want = full.layers[l].attention.index_select(2, which[0]);
        ASSERT_EQ(rows.sizes(), want.sizes());
        EXPECT_TRUE(torch::allclose(rows, want, 1e-5, 1e-7))
            << "layer " << l << ": max diff " << (rows - want).abs().max().item<float>();
    }
    EXPECT_THROW(model->attentionRows(light.layers[0], torch::full({n, 1}, 768, torch::kInt64)), ModelError);
    EXPECT_THROW(model->attentionRows(LayerTrace{}, which), ModelError);
}

namespace {

// A small TransPose-R as the demo models are built: PoseScope's stem width and dropout keys.
ModelConfig tinyR(int stemWidth, double dropout) {
    return ModelConfig::fromYamlText(
        "MODEL:\n  NAME: transpose_r\n  NUM_JOINTS: 17\n  IMAGE_SIZE: [48, 64]\n"
        "  HEATMAP_SIZE: [12, 16]\n  DIM_MODEL: 32\n  DIM_FEEDFORWARD: 64\n  N_HEAD: 2\n"
        "  ENCODER_LAYERS: 2\n  POS_EMBEDDING: sine\n  ENCODER_DROPOUT: " +
            std::to_string(dropout) + "\n  EXTRA:\n    STEM_WIDTH: " + std::to_string(stemWidth) +
            "\n    NUM_DECONV_LAYERS: 1\n    NUM_DECONV_FILTERS: [32]\n"
            "    NUM_DECONV_KERNELS: [4]\n    NUM_LAYERS: 50\n",
        "tiny");
}

}  // namespace

TEST(TransPose, TrainingForwardEqualsInferenceInEvalMode) {
    const auto config = test::smallTransposeR();
    const auto model = createModel(config);
    loadStateDict(model->module(), loadCheckpoint(test::officialPath("transpose_r_small.pth")).tensors, "fixture");
    model->module().eval();
    const torch::Tensor input = test::readH5(test::officialPath("transpose_r_small.h5"), "/input");
    const torch::Tensor trained = model->forwardTraining(input);  // autograd path
    EXPECT_TRUE(trained.requires_grad());
    const torch::Tensor inferred = model->forward(input);
    EXPECT_TRUE(torch::allclose(trained.detach(), inferred, 1e-4, 1e-5))
        << "max diff " << (trained.detach() - inferred).abs().max().item<float>();
}

TEST(TransPose, TrainingStepsDecreaseTheLossOnATinyBatch) {
    torch::manual_seed(2);
    const auto model = createModel(tinyR(8, 0.1));
    model->initialiseForTraining();
    model->module().train();
    const torch::Tensor input = torch::randn({4, 3, 64, 48});
    const torch::Tensor target = torch::rand({4, 17, 16, 12});
    std::vector<torch::Tensor> params = model->module().parameters();
    torch::optim::Adam adam(params, torch::optim::AdamOptions(1e-3));
    double first = 0, last = 0;
    for (int step = 0; step < 5; ++step) {
        const torch::Tensor loss = (model->forwardTraining(input) - target).pow(2).mean();
        adam.zero_grad();
        loss.backward();
        adam.step();
        (step == 0 ? first : last) = loss.item<double>();
    }
    EXPECT_LT(last, first);
    // Gradients reach the stem, the encoder and the head.
    for (const char* name : {"conv1.weight", "global_encoder.layers.0.self_attn.in_proj_weight", "final_layer.weight"})
        EXPECT_TRUE(model->module().named_parameters()[name].grad().defined()) << name;
}

TEST(TransPose, StemWidthAndTrainingInitialisation) {
    torch::manual_seed(1);
    const auto model = createModel(tinyR(16, 0.0));
    const auto params = model->module().named_parameters();
    EXPECT_EQ(params["conv1.weight"].sizes(), (std::vector<int64_t>{16, 3, 7, 7}));
    EXPECT_EQ(params["layer1.0.conv1.weight"].sizes(), (std::vector<int64_t>{16, 16, 1, 1}));
    EXPECT_EQ(params["reduce.weight"].sizes(), (std::vector<int64_t>{32, 128, 1, 1}));  // layer2: 4 · 2 · 16
    model->initialiseForTraining();
    EXPECT_NEAR(params["final_layer.weight"].std().item<double>(), 0.001, 0.0003);
    EXPECT_EQ(params["final_layer.bias"].abs().max().item<double>(), 0.0);
    EXPECT_NEAR(params["deconv_layers.0.weight"].std().item<double>(), 0.001, 0.0002);
    // He-normal (fan_out, ReLU) for the stem: std = sqrt(2 / (16 · 7 · 7)).
    EXPECT_NEAR(params["conv1.weight"].std().item<double>(), std::sqrt(2.0 / (16 * 49)), 0.01);
    EXPECT_THROW(createModel(tinyR(0, 0.0)), ConfigError);
    EXPECT_THROW(createModel(tinyR(8, 1.0)), ConfigError);
}
