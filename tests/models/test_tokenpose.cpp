// TokenPose and PPT against the official implementations' outputs on the shared fixtures
// (../shared/fixtures/official/{tokenpose,ppt}_small.*): heatmaps, features, per-layer attention,
// the visual tokens alive in each layer and PPT's kept tokens (exactly, in order).
#include "h5_fixture.h"
#include "key_list.h"
#include "official_configs.h"
#include "posescope/models/checkpoint.h"
#include "posescope/models/model_registry.h"
#include "posescope/models/pose_model.h"
#include "test_paths.h"
#include "tokenpose/tokenpose_model.h"

#include <gtest/gtest.h>

#include <regex>

using namespace posescope;
using namespace posescope::models;

namespace {

using test::smallPpt;
using test::smallTokenPose;

void expectSameIndices(const torch::Tensor& ours, const torch::Tensor& ref, const std::string& what) {
    ASSERT_TRUE(ours.defined()) << what;
    ASSERT_EQ(ours.sizes(), ref.sizes()) << what;
    EXPECT_TRUE(torch::equal(ours.to(torch::kInt64), ref.to(torch::kInt64))) << what;
}

void checkAgainstFixture(const ModelConfig& config, const std::string& name, int layers, int stages) {
    const std::string h5 = test::officialPath(name + ".h5");
    const auto model = loadModel(config, test::officialPath(name + ".pth"));
    EXPECT_EQ(model->info().prefixTokens, 17);
    EXPECT_EQ(model->info().gridRows, 16);
    EXPECT_EQ(model->info().gridCols, 16);
    const torch::Tensor input = test::readH5(h5, "/input");
    Trace trace;
    const torch::Tensor heatmaps = model->forward(input, &trace);
    test::expectClose(heatmaps, test::readH5(h5, "/heatmaps"), name + " heatmaps");
    for (const char* f : {"patch_embed", "tokens_in", "keypoint_tokens_out"})
        test::expectClose(trace.extras.at(std::string("features/") + f),
                          test::readH5(h5, std::string("/features/") + f), name + " " + f);
    ASSERT_EQ(static_cast<int>(trace.layers.size()), layers);
    for (int i = 0; i < layers; ++i) {
        const LayerTrace& t = trace.layers[static_cast<size_t>(i)];
        const std::string layer = "layer_" + std::to_string(i);
        EXPECT_EQ(t.index, i);
        test::expectClose(t.attention, test::readH5(h5, "/attention/" + layer), name + " attention " + layer);
        expectSameIndices(t.visualTokens, test::readH5(h5, "/visual_tokens/" + layer),
                          name + " visual tokens " + layer);
        // Rows recomputed from the traced projections equal the traced attention (the keypoint rows).
        const torch::Tensor kp = torch::arange(17, torch::kInt64).unsqueeze(0);
        test::expectClose(model->attentionRows(t, kp), t.attention.slice(2, 0, 17), name + " rows " + layer);
    }
    for (int s = 1; s <= stages; ++s) {
        const std::string stage = "stage_" + std::to_string(s);
        expectSameIndices(trace.extras.at("kept_tokens/" + stage), test::readH5(h5, "/kept_tokens/" + stage),
                          name + " kept tokens " + stage);
        expectSameIndices(trace.extras.at("pruning/topk_" + stage), test::readH5(h5, "/pruning/topk_" + stage),
                          name + " top-k " + stage);
        test::expectClose(trace.extras.at("pruning/score_" + stage), test::readH5(h5, "/pruning/score_" + stage),
                          name + " scores " + stage);
    }
    EXPECT_EQ(trace.extras.count("kept_tokens/stage_" + std::to_string(stages + 1)), 0u);
    // The last layer's keypoint tokens through the head are the heatmaps themselves.
    test::expectClose(model->headOnTokens(trace.layers.back()), heatmaps, name + " head on last layer");
}

}  // namespace

TEST(TokenPose, ReproducesTheOfficialPptWithItsKeptTokens) {
    checkAgainstFixture(smallPpt(), "ppt_small", 12, 3);
}

TEST(TokenPose, ReproducesTheOfficialTokenPose) {
    checkAgainstFixture(smallTokenPose(), "tokenpose_small", 4, 0);
}

TEST(TokenPose, PptWithKeepRatioOneIsTokenPose) {
    // The PPT weights run unpruned equal the same weights under a TokenPose configuration.
    ModelConfig unpruned = smallPpt();
    unpruned.set("MODEL.PRUNING_RATIO=1.0");
    const auto ppt = loadModel(smallPpt(), test::officialPath("ppt_small.pth"));
    const auto tokenpose = loadModel(unpruned, test::officialPath("ppt_small.pth"));
    EXPECT_EQ(tokenpose->info().family, "TokenPose");
    EXPECT_EQ(ppt->info().family, "PPT");
    const torch::Tensor input = test::readH5(test::officialPath("ppt_small.h5"), "/input");
    Trace a, b;
    const auto* pptModel = dynamic_cast<const tokenpose::TokenPoseModel*>(ppt.get());
    ASSERT_NE(pptModel, nullptr);
    const torch::Tensor x = pptModel->forward(input, &a, 1.0), y = tokenpose->forward(input, &b);
    EXPECT_TRUE(torch::equal(x, y));
    EXPECT_EQ(a.extras.count("kept_tokens/stage_1"), 0u);
    for (size_t i = 0; i < a.layers.size(); ++i)
        EXPECT_TRUE(torch::equal(a.layers[i].attention, b.layers[i].attention)) << i;
    // And pruning changes the result (it is not a no-op).
    EXPECT_FALSE(torch::allclose(pptModel->forward(input), y));
}

TEST(TokenPose, FullOfficialConfigurationsHaveExactlyTheOfficialKeys) {
    for (const auto& [preset, keys, map] : std::vector<std::tuple<std::string, std::string, bool>>{
             {"tokenpose-s-v1", "tokenpose_s_v1", false}, {"ppt-s", "ppt_s", true}}) {
        SCOPED_TRACE(preset);
        const auto model = createModel(ModelConfig::preset(preset));
        const auto want = test::readKeyList(test::officialPath(keys + ".keys.txt"));
        const StateDict have = stateDictOf(model->module());
        ASSERT_EQ(have.size(), want.size());
        const KeyMap keyMap = tokenpose::tokenposeKeyMap();
        for (size_t i = 0; i < want.size(); ++i) {
            // PPT files name the attention block without TokenPose's Residual wrapper.
            EXPECT_EQ(have[i].first, map ? *keyMap(want[i].name) : want[i].name);
            EXPECT_EQ(have[i].second.sizes().vec(), want[i].shape) << want[i].name;
        }
    }
}

TEST(TokenPose, EveryVariantBuildsWithItsOfficialShape) {
    // Parameter counts (with the sine embedding, without BatchNorm buffers) of the official
    // modules; see the research notes' table.
    for (const auto& [preset, params, layers, tokens] :
         std::vector<std::tuple<std::string, int64_t, int, int>>{{"tokenpose-t", 5866000, 12, 256},
                                                                 {"tokenpose-s-v1", 6669888, 12, 256},
                                                                 {"tokenpose-s-v2", 6375000, 12, 768},
                                                                 {"tokenpose-b", 13514000, 12, 256},
                                                                 {"tokenpose-l-d6", 21492000, 6, 256},
                                                                 {"tokenpose-l-d24", 27532000, 24, 256},
                                                                 {"ppt-s", 6669888, 12, 256},
                                                                 {"ppt-b", 13514000, 12, 256},
                                                                 {"ppt-l-d6", 20349000, 6, 256}}) {
        SCOPED_TRACE(preset);
        const auto model = createModel(ModelConfig::preset(preset));
        int64_t count = 0;
        for (const auto& p : model->module().named_parameters())
            count += p.value().numel();
        EXPECT_NEAR(static_cast<double>(count), static_cast<double>(params), 1000.0);
        EXPECT_EQ(model->info().encoderLayers, layers);
        EXPECT_EQ(model->info().gridRows * model->info().gridCols, tokens);
        // The checkpoint of a paper variant names its preset (the app picks it for a checkpoint).
        std::vector<TensorInfo> keys;
        for (const auto& [name, t] : stateDictOf(model->module()))
            keys.push_back({name, t.sizes().vec(), ""});
        if (preset.rfind("ppt", 0) == 0) {  // a PPT checkpoint has PPT's names
            const KeyMap toPpt = [](const std::string& key) -> std::optional<std::string> {
                static const std::regex fn(R"(^(.*\.layers\.\d+\.0\.)fn\.(norm|fn\.)(.*)$)");
                std::smatch m;
                if (!std::regex_match(key, m, fn)) return key;
                return m[1].str() + (m[2].str() == "norm" ? "norm" : "fn.") + m[3].str();
            };
            for (TensorInfo& t : keys)
                t.name = *toPpt(t.name);
        }
        const ArchitectureMatch match = recogniseArchitecture(keys);
        EXPECT_EQ(presetFor(match.family, match.variant), preset) << match.text();
    }
}

TEST(TokenPose, TrainingForwardEqualsInferenceInEvalMode) {
    const auto model = createModel(smallPpt());
    loadStateDict(model->module(), loadCheckpoint(test::officialPath("ppt_small.pth")).tensors, "fixture",
                  {tokenpose::tokenposeKeyMap(), false});
    model->module().eval();
    const torch::Tensor input = test::readH5(test::officialPath("ppt_small.h5"), "/input");
    const torch::Tensor trained = model->forwardTraining(input);  // autograd path, pruning included
    EXPECT_TRUE(trained.requires_grad());
    test::expectClose(trained.detach(), model->forward(input), "training forward");
}

TEST(TokenPose, TrainingStepsDecreaseTheLossOnATinyBatch) {
    torch::manual_seed(3);
    ModelConfig c = ModelConfig::preset("ppt-s");
    for (const char* s : {"MODEL.DIM=32", "MODEL.TRANSFORMER_HEADS=2", "MODEL.TRANSFORMER_DEPTH=4",
                          "MODEL.TRANSFORMER_MLP_RATIO=2", "MODEL.PRUNING_LOC=[1, 2]"})
        c.set(s);
    const auto model = createModel(c);
    model->initialiseForTraining();
    const auto params = model->module().named_parameters();
    EXPECT_NEAR(params["features.patch_to_embedding.weight"].std().item<double>(), 0.02, 0.002);
    EXPECT_NEAR(params["features.conv1.weight"].std().item<double>(), 0.001, 0.0003);
    EXPECT_NEAR(params["features.keypoint_token"].std().item<double>(), 0.02, 0.006);
    model->module().train();
    const torch::Tensor input = torch::randn({2, 3, 256, 192});
    const torch::Tensor target = torch::rand({2, 17, 64, 48});
    std::vector<torch::Tensor> trainable;
    for (const torch::Tensor& p : model->module().parameters())
        if (p.requires_grad()) trainable.push_back(p);
    torch::optim::Adam adam(trainable, torch::optim::AdamOptions(1e-3));
    double first = 0, last = 0;
    for (int step = 0; step < 4; ++step) {
        const torch::Tensor loss = (model->forwardTraining(input) - target).pow(2).mean();
        adam.zero_grad();
        loss.backward();
        adam.step();
        (step == 0 ? first : last) = loss.item<double>();
    }
    EXPECT_LT(last, first);
    for (const char* name : {"features.conv1.weight", "features.keypoint_token",
                             "features.transformer.layers.3.0.fn.fn.to_qkv.weight", "features.mlp_head.3.weight"})
        EXPECT_TRUE(params[name].grad().defined()) << name;
    EXPECT_FALSE(params["features.pos_embedding"].requires_grad());  // the sine embedding stays fixed
}

TEST(TokenPose, TrainingKeepRatioPrunesOnlyTheTrainingPass) {
    const auto model = createModel(smallPpt());
    loadStateDict(model->module(), loadCheckpoint(test::officialPath("ppt_small.pth")).tensors, "fixture",
                  {tokenpose::tokenposeKeyMap(), false});
    model->module().eval();
    const torch::Tensor input = test::readH5(test::officialPath("ppt_small.h5"), "/input");
    const torch::Tensor pruned = model->forward(input);
    const auto& ppt = dynamic_cast<const tokenpose::TokenPoseModel&>(*model);
    const torch::Tensor full = ppt.forward(input, nullptr, 1.0);
    model->setTrainingKeepRatio(1.0);  // the warm-up: every token kept
    Trace trace;
    trace.keepAttention = false;
    test::expectClose(model->forwardTraining(input, &trace).detach(), full, "training at keep ratio 1");
    for (const LayerTrace& l : trace.layers)
        EXPECT_EQ(l.visualTokens.size(1), 256) << "layer " << l.index;
    model->setTrainingKeepRatio(0.7);
    test::expectClose(model->forwardTraining(input).detach(), pruned, "training at the configured ratio");
    test::expectClose(model->forward(input), pruned, "inference keeps MODEL.PRUNING_RATIO");
    EXPECT_THROW(model->setTrainingKeepRatio(0), ModelError);
    EXPECT_THROW(model->setTrainingKeepRatio(1.5), ModelError);
}

TEST(TokenPose, StemWidthNarrowsTheSStem) {
    const char* yaml = R"(MODEL:
  NAME: pose_tokenpose_s
  IMAGE_SIZE: [192, 256]
  HEATMAP_SIZE: [48, 64]
  PATCH_SIZE: [3, 4]
  DIM: 64
  TRANSFORMER_DEPTH: 2
  TRANSFORMER_HEADS: 2
  TRANSFORMER_MLP_RATIO: 2
  POS_EMBEDDING_TYPE: sine-full
  EXTRA:
    STEM_WIDTH: 16
)";
    ModelConfig c = ModelConfig::fromYamlText(yaml, "stem.yaml");
    const auto model = createModel(c);
    const auto p = model->module().named_parameters();
    EXPECT_EQ(p["features.conv1.weight"].sizes(), torch::IntArrayRef({16, 3, 3, 3}));
    EXPECT_EQ(p["features.layer1.3.conv3.weight"].sizes(), torch::IntArrayRef({64, 16, 1, 1}));
    EXPECT_EQ(p["features.patch_to_embedding.weight"].sizes(), torch::IntArrayRef({64, 64 * 12}));
    torch::NoGradGuard noGrad;
    EXPECT_EQ(model->forward(torch::zeros({1, 3, 256, 192})).sizes(), torch::IntArrayRef({1, 17, 64, 48}));
    c.set("MODEL.EXTRA.STEM_WIDTH=0");
    EXPECT_THROW(createModel(c), ConfigError);
}

TEST(TokenPose, SizesOfZeroAreConfigErrorsNamingTheKeys) {
    for (const char* set : {"MODEL.IMAGE_SIZE=[0,0]", "MODEL.HEATMAP_SIZE=[0,48]", "MODEL.PATCH_SIZE=[0,4]"}) {
        ModelConfig c = ModelConfig::preset("ppt-s");
        c.set(set);
        try {
            createModel(c);
            FAIL() << set;
        } catch (const ConfigError& e) {
            EXPECT_NE(std::string(e.what()).find(
                          "MODEL.IMAGE_SIZE, MODEL.HEATMAP_SIZE and MODEL.PATCH_SIZE must be positive"),
                      std::string::npos)
                << set << ": " << e.what();
        }
    }
}
