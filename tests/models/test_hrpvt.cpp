// The HRPVT family (PVT v2 + HRPM + SimCC) through the registry, its SimCC output through
// pose_output.h, its attention on the common grid, and an ImageNet PVT v2 checkpoint loading into
// it (the official b0 fixture).
#include "h5_fixture.h"
#include "official_configs.h"
#include "posescope/datasets/skeleton.h"
#include "posescope/models/checkpoint.h"
#include "posescope/models/checkpoint_info.h"
#include "posescope/models/flip.h"
#include "posescope/models/model_registry.h"
#include "posescope/models/pose_output.h"
#include "posescope/models/simcc.h"
#include "test_paths.h"

#include <gtest/gtest.h>

#include <regex>

using namespace posescope;
using namespace posescope::models;

using test::tinyHrpvt;

TEST(Hrpvt, PresetsBuildThroughTheRegistryWithSimCCOutput) {
    const auto model = createModel(ModelConfig::preset("hrpvt-b0"));
    const ModelInfo& info = model->info();
    EXPECT_EQ(info.family, "HRPVT");
    EXPECT_EQ(info.variant, "b0 stage-wise");
    EXPECT_EQ(info.output, OutputKind::SimCC);
    EXPECT_EQ(info.inputWidth, 192);
    EXPECT_EQ(info.outputWidth, 192);  // SimCC decodes to crop pixels
    EXPECT_EQ(info.encoderLayers, 8);  // every PVT v2 block
    EXPECT_EQ(info.gridRows, 8);       // the reduced-key grid: stride 32
    EXPECT_EQ(info.gridCols, 6);
    EXPECT_EQ(info.heads, 1);
    EXPECT_FALSE(info.layerwiseHeatmaps);
    EXPECT_DOUBLE_EQ(info.simcc.splitRatio, 2.0);
    model->module().eval();
    const torch::Tensor out = model->forward(torch::randn({2, 3, 256, 192}));
    EXPECT_EQ(out.sizes().vec(), std::vector<int64_t>({2, 17, 384 + 512}));
    const auto [x, y] = splitSimCC(info, out);
    EXPECT_EQ(x.size(2), 384);
    EXPECT_EQ(y.size(2), 512);
    // The state dict: the backbone under PVT v2's names, then hrpm, then the SimCC head.
    const StateDict keys = stateDictOf(model->module());
    EXPECT_EQ(keys.front().first, "patch_embed1.proj.weight");
    EXPECT_EQ(keys.back().first, "simcc_head.mlp_head_y.bias");
    bool hasHrpm = false;
    for (const auto& [k, t] : keys)
        hasHrpm = hasHrpm || k.rfind("hrpm.lateral.0.conv.weight", 0) == 0;
    EXPECT_TRUE(hasHrpm);
    EXPECT_EQ(createModel(ModelConfig::preset("hrpvt-b2-layerwise"))->info().variant, "b2 layer-wise");
    EXPECT_EQ(createModel(tinyHrpvt())->info().variant, "custom stage-wise");
}

TEST(Hrpvt, RefusesBadConfigurationsAndInputs) {
    ModelConfig c = tinyHrpvt();
    c.set("MODEL.EXTRA.PVT_HEADS=[3, 2, 5, 8]");  // 16 is not divisible by 3
    try {
        createModel(c);
        FAIL() << "no error";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("PVT_HEADS"), std::string::npos) << e.what();
    }
    ModelConfig insertion = tinyHrpvt();
    insertion.set("MODEL.EXTRA.HRPM_INSERTION=sideways");
    EXPECT_THROW(createModel(insertion), ConfigError);
    ModelConfig ratio = tinyHrpvt();
    ratio.set("MODEL.EXTRA.SIMCC_SPLIT_RATIO=0");
    EXPECT_THROW(createModel(ratio), ConfigError);
    ModelConfig variant = tinyHrpvt();
    variant.set("MODEL.EXTRA.PVT=b9");
    EXPECT_THROW(createModel(variant), ConfigError);
    const auto model = createModel(tinyHrpvt());
    EXPECT_THROW(model->forward(torch::zeros({1, 3, 256, 192})), ModelError);  // the head fixes the size
    EXPECT_THROW(model->headOnTokens(LayerTrace{}), ModelError);
}

TEST(Hrpvt, TracesEveryBlockOnTheCommonGrid) {
    torch::manual_seed(3);
    for (const std::string insertion : {"stage-wise", "layer-wise"}) {
        const auto model = createModel(tinyHrpvt(insertion));
        model->module().eval();
        const torch::Tensor input = torch::randn({2, 3, 128, 96});
        Trace trace;
        const torch::Tensor out = model->forward(input, &trace);
        EXPECT_TRUE(torch::equal(out, model->forward(input))) << "observing changes nothing";
        ASSERT_EQ(trace.layers.size(), 5u) << insertion;  // depths 1 + 2 + 1 + 1
        const int64_t T = 4 * 3;                          // 128×96 / 32
        for (size_t l = 0; l < trace.layers.size(); ++l) {
            const LayerTrace& lt = trace.layers[l];
            EXPECT_EQ(lt.index, static_cast<int>(l));
            EXPECT_EQ(lt.attention.sizes().vec(), std::vector<int64_t>({2, 1, T, T}));
            EXPECT_EQ(lt.gridRows, 4);
            EXPECT_EQ(lt.gridCols, 3);
            EXPECT_LT((lt.attentionMean.sum(-1) - 1).abs().max().item<double>(), 1e-5) << "rows sum to 1";
        }
        // Stage 1 (32×24 queries, 8×8 of them per cell, keys on 4×3): a cell's row is the mean of
        // its queries' head-averaged rows.
        const torch::Tensor raw = trace.extras.at("sra_attention/stage_1/block_0");  // [2, 1, 768, 12]
        ASSERT_EQ(raw.sizes().vec(), std::vector<int64_t>({2, 1, 768, 12}));
        const torch::Tensor grid = raw.mean(1).view({2, 32, 24, 12});
        const torch::Tensor cell = grid.slice(1, 16, 24).slice(2, 8, 16).mean({1, 2});  // cell (2, 1)
        EXPECT_LT((trace.layers[0].attentionMean.select(1, 2 * 3 + 1) - cell).abs().max().item<double>(), 1e-6);
        // Stage 4 (4×3 queries, sr 1): the head mean of the raw matrix itself.
        const torch::Tensor last = trace.extras.at("sra_attention/stage_4/block_0");
        EXPECT_LT((trace.layers[4].attentionMean - last.mean(1)).abs().max().item<double>(), 1e-6);
        // attentionRows gives the same rows.
        const torch::Tensor q = torch::tensor({{0, 5}, {11, 7}}, torch::kInt64);
        const torch::Tensor rows = model->attentionRows(trace.layers[2], q);
        ASSERT_EQ(rows.sizes().vec(), std::vector<int64_t>({2, 1, 2, T}));
        EXPECT_TRUE(torch::equal(rows[1][0][0], trace.layers[2].attentionMean[1][11]));
        EXPECT_THROW(model->attentionRows(trace.layers[2], torch::tensor({{0}, {12}}, torch::kInt64)), ModelError);
        EXPECT_TRUE(trace.extras.count("features/hrpm"));
    }
}

TEST(Hrpvt, LoadsAnImageNetPvtV2CheckpointIntoItsBackbone) {
    // The official b0 weights (original names, as pvt_v2_b0.pth), plus a classifier head.* as the
    // ImageNet release has it: loaded by the family's key map, HRPM and the head keep their
    // initialisation; the traced SRA attention equals the official implementation's.
    Checkpoint ckpt = loadCheckpoint(test::officialPath("pvt_v2_b0.pth"));
    ckpt.tensors.emplace_back("head.weight", torch::zeros({1000, 256}));
    ckpt.tensors.emplace_back("head.bias", torch::zeros({1000}));
    const auto model = createModel(ModelConfig::preset("hrpvt-b0"));
    LoadOptions options;
    options.keyMap = ModelRegistry::builtin().family(ModelConfig::preset("hrpvt-b0")).keyMap;
    options.allowMissing = true;
    loadStateDict(model->module(), ckpt.tensors, ckpt.info.path, options);
    model->module().eval();
    const std::string h5 = test::officialPath("pvt_v2_b0.h5");
    Trace trace;
    model->forward(test::readH5(h5, "/input"), &trace);
    for (int s = 1; s <= 4; ++s)
        for (int j = 0; j < 2; ++j) {
            const std::string name = "stage_" + std::to_string(s) + "/block_" + std::to_string(j);
            test::expectClose(trace.extras.at("sra_attention/" + name), test::readH5(h5, "/attention/" + name), name);
        }
    // Strict loading (a whole HRPVT checkpoint expected) names what the ImageNet file lacks.
    try {
        loadStateDict(model->module(), ckpt.tensors, ckpt.info.path, {options.keyMap, false});
        FAIL() << "no error";
    } catch (const StateDictMismatch& e) {
        EXPECT_FALSE(e.missing().empty());
        EXPECT_EQ(e.missing().front().rfind("hrpm.", 0), 0u) << e.missing().front();
        EXPECT_TRUE(e.unexpected().empty());
    }
}

TEST(PoseOutput, DecodesFlipsAndShowsSimCCOutput) {
    const auto model = createModel(tinyHrpvt());
    const ModelInfo& info = model->info();
    // Logits with one peak per axis: keypoint k at x bin 10 + k, y bin 100 − k.
    const int64_t wx = 192, wy = 256;  // k = 2 at 96×128
    torch::Tensor out = torch::full({1, 17, wx + wy}, -1.0f);
    for (int k = 0; k < 17; ++k) {
        out[0][k][10 + k] = 5.0f;
        out[0][k][wx + 100 - k] = 4.0f;
    }
    const auto people = decodeOutput(info, out);
    ASSERT_EQ(people.size(), 1u);
    EXPECT_DOUBLE_EQ(people[0][3].x, (10 + 3) / 2.0);  // crop pixels: bin / k
    EXPECT_DOUBLE_EQ(people[0][3].y, (100 - 3) / 2.0);
    EXPECT_DOUBLE_EQ(people[0][3].score, 4.0);  // min of the two maxima (mmpose)
    const auto [x, y] = splitSimCC(info, out);
    const auto direct = decodeSimCC(x, y, info.simcc);
    EXPECT_DOUBLE_EQ(direct[0][16].x, people[0][16].x);
    // To the image: the same fromCrop as heatmaps, with the input size.
    const CenterScale cs = boxToCenterScale({10, 20, 60, 80}, 96.0 / 128.0, 1.25);
    const auto image = decodeOutputToImage(info, out, {cs});
    const cv::Point2d expected = fromCrop({people[0][5].x, people[0][5].y}, cs, {96, 128});
    EXPECT_NEAR(image[0][5].x, expected.x, 1e-4);
    EXPECT_NEAR(image[0][5].y, expected.y, 1e-4);
    // Flip: flipping twice is the identity; left and right swap.
    const auto& pairs = cocoSkeleton().flipPairs;
    EXPECT_TRUE(torch::equal(flipBackOutput(info, flipBackOutput(info, out, pairs), pairs), out));
    const auto flipped = decodeOutput(info, flipBackOutput(info, out, pairs));
    EXPECT_DOUBLE_EQ(flipped[0][1].x, (wx - 1 - (10 + 2)) / 2.0);  // left eye ← right eye, x mirrored
    // The maps to show: [1, 17, 32, 24] distributions that sum to 1, peaking at the keypoint's cell.
    const torch::Tensor maps = outputHeatmaps(info, out);
    EXPECT_EQ(maps.sizes().vec(), std::vector<int64_t>({1, 17, 32, 24}));
    EXPECT_LT((maps.sum({2, 3}) - 1).abs().max().item<double>(), 1e-5);
    EXPECT_EQ(maps[0][3].argmax().item<int64_t>(), (97 / 8) * 24 + 13 / 8);  // cells of k·4 = 8 bins
    EXPECT_EQ(outputHeatmapSize(info), cv::Size(24, 32));
    EXPECT_THROW(decodeOutput(info, torch::zeros({1, 17, 10})), ModelError);
    EXPECT_THROW(splitSimCC(info, torch::zeros({1, 16, wx + wy})), ModelError);
    // Heatmap models pass through.
    ModelInfo heat;
    const torch::Tensor hm = torch::rand({1, 17, 8, 6});
    EXPECT_TRUE(torch::equal(outputHeatmaps(heat, hm), hm));
    EXPECT_TRUE(torch::equal(flipBackOutput(heat, hm, pairs), flipBack(hm, pairs)));
    EXPECT_EQ(decodeOutput(heat, hm)[0][4].x, decodeHeatmaps(hm)[0][4].x);
}

TEST(Hrpvt, CheckpointsAreRecognisedAndNameTheirPreset) {
    for (const std::string preset : {"hrpvt-b0", "hrpvt-b2-layerwise"}) {
        const auto model = createModel(ModelConfig::preset(preset));
        std::vector<TensorInfo> keys;
        for (const auto& [name, t] : stateDictOf(model->module()))
            keys.push_back({name, t.sizes().vec(), "float32"});
        const ArchitectureMatch m = recogniseArchitecture(keys);
        EXPECT_EQ(m.family, "HRPVT") << preset;
        EXPECT_EQ(presetFor(m.family, m.variant), preset) << m.text();
        EXPECT_NE(m.details.find("SimCC 384 + 512 bins"), std::string::npos) << m.details;
    }
}
