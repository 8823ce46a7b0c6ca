// ModelConfig: the built-in TransPose presets against the paper's table (research notes §1.1, §1.4)
// and against experiment files in the official yacs layout (tests/data/configs), overrides, typed
// getters and every error path.
#include "posescope/models/model_config.h"
#include "test_paths.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

using namespace posescope;
using models::ConfigError;
using models::ModelConfig;

namespace {

std::string configPath(const std::string& name) {
    return test::dataPath("configs/" + name);
}

/// The message of the exception `f` throws, checking its type.
template <typename E, typename F>
std::string messageOf(F&& f) {
    try {
        f();
    } catch (const E& e) {
        return e.what();
    } catch (const std::exception& e) {
        ADD_FAILURE() << "wrong exception type: " << e.what();
        return "";
    }
    ADD_FAILURE() << "nothing thrown";
    return "";
}

std::map<std::string, std::string> entryMap(const ModelConfig& c) {
    const auto entries = c.entries();
    return {entries.begin(), entries.end()};
}

struct PaperRow {
    const char* preset;
    const char* file;
    const char* name;
    long long d, heads, ffn, layers;
    long long width;  // HRNet width W; 0 for TransPose-R
};

// Research notes transpose.md §1.1 (d, heads, FFN, encoder layers) and §1.4 (HRNet-S widths).
const PaperRow kPaper[] = {
    {"transpose-r-a3", "TP_R_256x192_d256_h1024_enc3_mh8.yaml", "transpose_r", 256, 8, 1024, 3, 0},
    {"transpose-r-a4", "TP_R_256x192_d256_h1024_enc4_mh8.yaml", "transpose_r", 256, 8, 1024, 4, 0},
    {"transpose-h-s", "TP_H_w32_256x192_stage3_1_4_d64_h128_relu_enc4_mh1.yaml", "transpose_h", 64, 1, 128, 4, 32},
    {"transpose-h-a4", "TP_H_w48_256x192_stage3_1_4_d96_h192_relu_enc4_mh1.yaml", "transpose_h", 96, 1, 192, 4, 48},
    {"transpose-h-a6", "TP_H_w48_256x192_stage3_1_4_d96_h192_relu_enc6_mh1.yaml", "transpose_h", 96, 1, 192, 6, 48},
};

// MODEL keys the official code reads (or default.py defines) that the experiment files leave out.
const std::map<std::string, std::string> kDefaultsNotInFiles = {
    {"MODEL.INIT_WEIGHTS", "true"},      {"MODEL.TAG_PER_JOINT", "true"},     {"MODEL.BOTTLENECK_NUM", "0"},
    {"MODEL.INTERMEDIATE_SUP", "false"}, {"MODEL.PE_ONLY_AT_BEGIN", "false"},
};

}  // namespace

TEST(ModelConfig, PresetNamesListThePaperVariants) {
    EXPECT_EQ(ModelConfig::presetNames(), (std::vector<std::string>{"transpose-r-a3",
                                                                    "transpose-r-a4",
                                                                    "transpose-h-s",
                                                                    "transpose-h-a4",
                                                                    "transpose-h-a6",
                                                                    "btranspose-c2a1",
                                                                    "btranspose-c2a2",
                                                                    "btranspose-c3a1",
                                                                    "btranspose-c3a1-h8",
                                                                    "btranspose-c3a1-n6",
                                                                    "btranspose-c3a1-large",
                                                                    "hrpvt-b0",
                                                                    "hrpvt-b2",
                                                                    "hrpvt-b2-layerwise",
                                                                    "tokenpose-t",
                                                                    "tokenpose-s-v1",
                                                                    "tokenpose-s-v2",
                                                                    "tokenpose-b",
                                                                    "tokenpose-l-d6",
                                                                    "tokenpose-l-d24",
                                                                    "ppt-s",
                                                                    "ppt-b",
                                                                    "ppt-l-d6"}));
}

TEST(ModelConfig, PresetsHoldThePaperValues) {
    for (const PaperRow& row : kPaper) {
        SCOPED_TRACE(row.preset);
        const ModelConfig c = ModelConfig::preset(row.preset);
        EXPECT_EQ(c.source(), std::string("preset ") + row.preset);
        EXPECT_EQ(c.string("MODEL.NAME"), row.name);
        EXPECT_EQ(c.integer("MODEL.DIM_MODEL"), row.d);
        EXPECT_EQ(c.integer("MODEL.N_HEAD"), row.heads);
        EXPECT_EQ(c.integer("MODEL.DIM_FEEDFORWARD"), row.ffn);
        EXPECT_EQ(c.integer("MODEL.ENCODER_LAYERS"), row.layers);
        EXPECT_EQ(c.string("MODEL.POS_EMBEDDING"), "sine");
        EXPECT_EQ(c.string("MODEL.ATTENTION_ACTIVATION"), "relu");
        EXPECT_EQ(c.integers("MODEL.IMAGE_SIZE"), (std::vector<long long>{192, 256}));
        EXPECT_EQ(c.integers("MODEL.HEATMAP_SIZE"), (std::vector<long long>{48, 64}));
        EXPECT_EQ(c.integer("MODEL.NUM_JOINTS"), 17);
        EXPECT_EQ(c.integer("MODEL.EXTRA.FINAL_CONV_KERNEL"), 1);
        if (row.width == 0) {
            // ResNet-S and one 4×4 deconv of 256 filters without bias (§1.3).
            EXPECT_EQ(c.integer("MODEL.EXTRA.NUM_LAYERS"), 50);
            EXPECT_EQ(c.integer("MODEL.EXTRA.NUM_DECONV_LAYERS"), 1);
            EXPECT_EQ(c.integers("MODEL.EXTRA.NUM_DECONV_FILTERS"), (std::vector<long long>{256}));
            EXPECT_EQ(c.integers("MODEL.EXTRA.NUM_DECONV_KERNELS"), (std::vector<long long>{4}));
            EXPECT_FALSE(c.boolean("MODEL.EXTRA.DECONV_WITH_BIAS"));
            EXPECT_FALSE(c.has("MODEL.EXTRA.STAGE2.NUM_CHANNELS"));
        } else {
            // HRNet-S: stage 2 one module of 2 branches [W, 2W], stage 3 four modules of 3 branches
            // [W, 2W, 4W], 4 BasicBlocks per branch, fused by sum (§1.4).
            const long long w = row.width;
            EXPECT_EQ(c.integer("MODEL.EXTRA.STAGE2.NUM_MODULES"), 1);
            EXPECT_EQ(c.integer("MODEL.EXTRA.STAGE2.NUM_BRANCHES"), 2);
            EXPECT_EQ(c.string("MODEL.EXTRA.STAGE2.BLOCK"), "BASIC");
            EXPECT_EQ(c.integers("MODEL.EXTRA.STAGE2.NUM_BLOCKS"), (std::vector<long long>{4, 4}));
            EXPECT_EQ(c.integers("MODEL.EXTRA.STAGE2.NUM_CHANNELS"), (std::vector<long long>{w, 2 * w}));
            EXPECT_EQ(c.string("MODEL.EXTRA.STAGE2.FUSE_METHOD"), "SUM");
            EXPECT_EQ(c.integer("MODEL.EXTRA.STAGE3.NUM_MODULES"), 4);
            EXPECT_EQ(c.integer("MODEL.EXTRA.STAGE3.NUM_BRANCHES"), 3);
            EXPECT_EQ(c.string("MODEL.EXTRA.STAGE3.BLOCK"), "BASIC");
            EXPECT_EQ(c.integers("MODEL.EXTRA.STAGE3.NUM_BLOCKS"), (std::vector<long long>{4, 4, 4}));
            EXPECT_EQ(c.integers("MODEL.EXTRA.STAGE3.NUM_CHANNELS"), (std::vector<long long>{w, 2 * w, 4 * w}));
            EXPECT_EQ(c.string("MODEL.EXTRA.STAGE3.FUSE_METHOD"), "SUM");
            EXPECT_FALSE(c.has("MODEL.EXTRA.NUM_DECONV_LAYERS"));
        }
        // What inference reads beyond the model.
        EXPECT_EQ(c.integer("TEST.BLUR_KERNEL"), 11);
        EXPECT_TRUE(c.boolean("TEST.FLIP_TEST"));
        EXPECT_TRUE(c.boolean("TEST.SHIFT_HEATMAP"));
        EXPECT_TRUE(c.boolean("TEST.POST_PROCESS"));
        EXPECT_TRUE(c.boolean("DATASET.FLIP"));
        EXPECT_TRUE(c.boolean("DATASET.COLOR_RGB"));
        EXPECT_DOUBLE_EQ(c.number("TEST.OKS_THRE"), 0.9);
        EXPECT_DOUBLE_EQ(c.number("TEST.IN_VIS_THRE"), 0.2);
        // default.py's values where the experiment files say nothing.
        for (const auto& [key, value] : kDefaultsNotInFiles)
            EXPECT_EQ(entryMap(c).at(key), value) << key;
        EXPECT_FALSE(c.boolean("TEST.SOFT_NMS"));
    }
    EXPECT_EQ(ModelConfig::preset("transpose-h-a4").string("TEST.MODEL_FILE"),
              "models/pytorch/transpose_coco/tp_h_48_256x192_enc4_d96_h192_mh1.pth");
}

TEST(ModelConfig, PresetsEqualTheirExperimentFilesForTheModelKeys) {
    for (const PaperRow& row : kPaper) {
        SCOPED_TRACE(row.preset);
        const auto preset = entryMap(ModelConfig::preset(row.preset));
        const auto file = entryMap(ModelConfig::fromYamlFile(configPath(row.file)));
        std::set<std::string> presetModelKeys;
        for (const auto& [key, value] : preset)
            if (key.rfind("MODEL.", 0) == 0) presetModelKeys.insert(key);
        for (const auto& [key, value] : file) {
            if (key.rfind("MODEL.", 0) != 0) continue;
            ASSERT_TRUE(preset.count(key)) << key;
            EXPECT_EQ(preset.at(key), value) << key;
            presetModelKeys.erase(key);
        }
        // The preset holds exactly the file's MODEL keys plus default.py's defaults for the omitted ones.
        for (const auto& key : presetModelKeys)
            EXPECT_TRUE(kDefaultsNotInFiles.count(key)) << key;
        // And the inference settings agree wherever both have them (the R-A3 file names a training
        // output folder; the preset names the released checkpoint).
        for (const auto& [key, value] : preset) {
            if (key.rfind("MODEL.", 0) == 0 || !file.count(key) || key == "TEST.MODEL_FILE") continue;
            EXPECT_EQ(file.at(key), value) << key;
        }
    }
}

TEST(ModelConfig, WarnsOfKeysThatLookLikeTyposOnly) {
    // Official experiment files, the test configs and PoseScope's own demo configs: no warning.
    for (const char* name :
         {"TP_H_w32_256x192_stage3_1_4_d64_h128_relu_enc4_mh1.yaml",
          "TP_H_w48_256x192_stage3_1_4_d96_h192_relu_enc4_mh1.yaml",
          "TP_H_w48_256x192_stage3_1_4_d96_h192_relu_enc6_mh1.yaml", "TP_R_256x192_d256_h1024_enc3_mh8.yaml",
          "TP_R_256x192_d256_h1024_enc4_mh8.yaml", "tiny_transpose_r.yaml", "tokenpose_style.yaml"})
        EXPECT_EQ(ModelConfig::fromYamlFile(configPath(name)).warnings(), std::vector<std::string>{}) << name;
    for (const auto& entry : std::filesystem::directory_iterator(test::dataPath("../../resources/models")))
        if (entry.path().extension() == ".yaml")
            EXPECT_EQ(ModelConfig::fromYamlFile(entry.path().string()).warnings(), std::vector<std::string>{})
                << entry.path();
    const std::string dir = test::outputPath("config_warnings");
    std::filesystem::create_directories(dir);
    // A misspelt key and a misspelt section: named, with the key meant; a key of one's own: silent.
    const std::string path = dir + "/typos.yaml";
    std::ofstream(path) << "MODEL:\n  NAME: transpose_r\n  DIM_MODLE: 64\n  MY_NOTE: anything\n"
                           "TRIAN:\n  END_EPOCH: 3\nTEST:\n  FLIP_TSET: true\n";
    const ModelConfig c = ModelConfig::fromYamlFile(path);
    EXPECT_EQ(c.warnings(), (std::vector<std::string>{"MODEL.DIM_MODLE is not read (did you mean MODEL.DIM_MODEL?)",
                                                      "TEST.FLIP_TSET is not read (did you mean TEST.FLIP_TEST?)",
                                                      "TRIAN.END_EPOCH is not read (did you mean TRAIN.END_EPOCH?)"}));
    EXPECT_TRUE(ModelConfig::preset("transpose-r-a4").warnings().empty());
}

TEST(ModelConfig, ReadsTheOfficialLayout) {
    const std::string path = configPath("TP_H_w48_256x192_stage3_1_4_d96_h192_relu_enc6_mh1.yaml");
    const ModelConfig c = ModelConfig::fromYamlFile(path);
    EXPECT_EQ(c.source(), path);
    // yacs tuples stay scalars that integers() reads too.
    EXPECT_EQ(c.string("GPUS"), "(0,1,2,3)");
    EXPECT_EQ(c.integers("GPUS"), (std::vector<long long>{0, 1, 2, 3}));
    EXPECT_EQ(ModelConfig::fromYamlFile(configPath("TP_R_256x192_d256_h1024_enc4_mh8.yaml")).integers("GPUS"),
              (std::vector<long long>{0}));
    // Quoted and unquoted strings, empty strings, trailing spaces and comments.
    EXPECT_EQ(c.string("DATA_DIR"), "");
    EXPECT_EQ(c.string("OUTPUT_DIR"), "output");
    EXPECT_EQ(c.string("DATASET.DATASET"), "coco");
    EXPECT_DOUBLE_EQ(c.number("DATASET.PROB_HALF_BODY"), 0.3);
    EXPECT_DOUBLE_EQ(c.number("TRAIN.LR"), 0.0001);
    EXPECT_DOUBLE_EQ(c.number("TRAIN.LR_END"), 0.00001);
    EXPECT_EQ(c.integers("TRAIN.LR_STEP"), (std::vector<long long>{100, 150, 200, 220}));
    EXPECT_TRUE(c.boolean("CUDNN.BENCHMARK"));
    EXPECT_FALSE(c.boolean("CUDNN.DETERMINISTIC"));
    EXPECT_TRUE(c.boolean("DEBUG.DEBUG"));
    const auto entries = entryMap(c);
    EXPECT_EQ(entries.at("MODEL.EXTRA.PRETRAINED_LAYERS"),
              "[conv1, bn1, conv2, bn2, layer1, transition1, stage2, transition2, stage3]");
    EXPECT_EQ(entries.at("MODEL.IMAGE_SIZE"), "[192, 256]");
    EXPECT_EQ(entries.at("DATA_DIR"), "''");
    EXPECT_EQ(entries.at("GPUS"), "(0,1,2,3)");
    // Number and integer read each other where yacs would: an integer is a number, not vice versa.
    EXPECT_DOUBLE_EQ(c.number("MODEL.SIGMA"), 2.0);
    EXPECT_THROW(c.integer("TRAIN.LR"), ConfigError);
}

TEST(ModelConfig, EntriesAreSortedAndFlat) {
    const ModelConfig c = ModelConfig::fromYamlText(
        "B: {Y: 2, X: [1, 2]}\n"
        "A: 'quoted # not a comment'   # a comment\n"
        "C:\n  - x\n  - 'y, z'\n",
        "inline");
    const auto entries = c.entries();
    ASSERT_EQ(entries.size(), 4u);
    EXPECT_EQ(entries[0], (std::pair<std::string, std::string>{"A", "'quoted # not a comment'"}));
    EXPECT_EQ(entries[1], (std::pair<std::string, std::string>{"B.X", "[1, 2]"}));
    EXPECT_EQ(entries[2], (std::pair<std::string, std::string>{"B.Y", "2"}));
    EXPECT_EQ(entries[3], (std::pair<std::string, std::string>{"C", "[x, 'y, z']"}));
    EXPECT_EQ(c.string("A"), "quoted # not a comment");
    EXPECT_FALSE(c.has("B"));  // sections are no keys
}

TEST(ModelConfig, ReadsTokenPoseStyleFilesGenerically) {
    const ModelConfig c = ModelConfig::fromYamlFile(configPath("tokenpose_style.yaml"));
    EXPECT_EQ(c.integers("MODEL.PATCH_SIZE"), (std::vector<long long>{4, 3}));
    EXPECT_EQ(c.integer("MODEL.DIM"), 192);
    EXPECT_EQ(c.integer("MODEL.TRANSFORMER_DEPTH"), 12);
    EXPECT_EQ(c.integer("MODEL.TRANSFORMER_HEADS"), 8);
    EXPECT_EQ(c.string("MODEL.POS_EMBEDDING_TYPE"), "sine-full");
    EXPECT_DOUBLE_EQ(c.number("MODEL.PRUNING_RATIO"), 0.7);
    EXPECT_DOUBLE_EQ(c.number("TEST.LR"), 1e-3);
    // YAML 1.1 booleans, as PyYAML reads them.
    EXPECT_TRUE(c.boolean("MODEL.INIT"));
    EXPECT_TRUE(c.boolean("TEST.FLIP_TEST"));
    EXPECT_FALSE(c.boolean("TEST.SOFT_NMS"));
    // A null value exists but counts as absent for the getters with a fallback.
    EXPECT_TRUE(c.has("MODEL.EXTRA.FLIP_PAIRS"));
    EXPECT_EQ(c.string("MODEL.EXTRA.FLIP_PAIRS"), "");
    EXPECT_EQ(c.integers("MODEL.EXTRA.FLIP_PAIRS", {1, 2}), (std::vector<long long>{1, 2}));
    EXPECT_EQ(entryMap(c).at("MODEL.EXTRA.FLIP_PAIRS"), "null");
    EXPECT_THROW(c.integer("MODEL.EXTRA.FLIP_PAIRS"), ConfigError);
}

TEST(ModelConfig, OverridesChangeScalarsAndListsAndAreRecorded) {
    ModelConfig c = ModelConfig::preset("transpose-h-s");
    c.set("MODEL.ENCODER_LAYERS=2");
    c.set("MODEL.EXTRA.STAGE2.NUM_CHANNELS=[16, 32]");
    c.set("MODEL.EXTRA.STAGE3.NUM_CHANNELS = [16, 32, 64]");
    c.set("MODEL.POS_EMBEDDING=learnable");
    c.set("TEST.FLIP_TEST=false");
    c.set("MODEL.PRETRAINED='a path: with a colon'");
    c.set("TEST.OKS_THRE=1");  // an integer is a number
    EXPECT_EQ(c.integer("MODEL.ENCODER_LAYERS"), 2);
    EXPECT_EQ(c.integers("MODEL.EXTRA.STAGE2.NUM_CHANNELS"), (std::vector<long long>{16, 32}));
    EXPECT_EQ(c.integers("MODEL.EXTRA.STAGE3.NUM_CHANNELS"), (std::vector<long long>{16, 32, 64}));
    EXPECT_EQ(c.string("MODEL.POS_EMBEDDING"), "learnable");
    EXPECT_FALSE(c.boolean("TEST.FLIP_TEST"));
    EXPECT_EQ(c.string("MODEL.PRETRAINED"), "a path: with a colon");
    EXPECT_DOUBLE_EQ(c.number("TEST.OKS_THRE"), 1.0);
    EXPECT_EQ(c.source(),
              "preset transpose-h-s + MODEL.ENCODER_LAYERS=2 + MODEL.EXTRA.STAGE2.NUM_CHANNELS=[16, 32] + "
              "MODEL.EXTRA.STAGE3.NUM_CHANNELS=[16, 32, 64] + MODEL.POS_EMBEDDING=learnable + TEST.FLIP_TEST=false + "
              "MODEL.PRETRAINED='a path: with a colon' + TEST.OKS_THRE=1");

    // A yacs tuple may become a list and back, as yacs converts tuples and lists.
    ModelConfig f = ModelConfig::fromYamlFile(configPath("TP_R_256x192_d256_h1024_enc4_mh8.yaml"));
    f.set("GPUS=[0, 1]");
    EXPECT_EQ(f.integers("GPUS"), (std::vector<long long>{0, 1}));
    f.set("GPUS=(2,3)");
    EXPECT_EQ(f.integers("GPUS"), (std::vector<long long>{2, 3}));
    // A null value takes anything.
    ModelConfig t = ModelConfig::fromYamlFile(configPath("tokenpose_style.yaml"));
    t.set("MODEL.EXTRA.FLIP_PAIRS=[1, 2]");
    EXPECT_EQ(t.integers("MODEL.EXTRA.FLIP_PAIRS"), (std::vector<long long>{1, 2}));
}

TEST(ModelConfig, OverrideOfAnUnknownKeySuggestsTheClosest) {
    ModelConfig c = ModelConfig::preset("transpose-r-a4");
    EXPECT_EQ(messageOf<ConfigError>([&] { c.set("MODEL.ENCODER_LAYER=3"); }),
              "unknown key 'MODEL.ENCODER_LAYER' (did you mean 'MODEL.ENCODER_LAYERS'?)");
    EXPECT_EQ(messageOf<ConfigError>([&] { c.set("model.n_head=4"); }),
              "unknown key 'model.n_head' (did you mean 'MODEL.N_HEAD'?)");
    EXPECT_EQ(messageOf<ConfigError>([&] { c.set("MODEL.EXTRA.NUM_DECONV_FILTER=[128]"); }),
              "unknown key 'MODEL.EXTRA.NUM_DECONV_FILTER' (did you mean 'MODEL.EXTRA.NUM_DECONV_FILTERS'?)");
    const std::string section = messageOf<ConfigError>([&] { c.set("MODEL.EXTRA=1"); });
    EXPECT_NE(section.find("unknown key 'MODEL.EXTRA' (a section; set one of its keys: MODEL.EXTRA."),
              std::string::npos)
        << section;
    EXPECT_EQ(messageOf<ConfigError>([&] { c.set("SOLVER.BASE_LR=0.1"); }),
              "unknown key 'SOLVER.BASE_LR' (preset transpose-r-a4 has no such key)");
    EXPECT_EQ(messageOf<ConfigError>([&] { c.set("MODEL.N_HEAD"); }), "expected KEY=VALUE, got 'MODEL.N_HEAD'");
    EXPECT_EQ(c.source(), "preset transpose-r-a4");  // nothing applied
}

TEST(ModelConfig, OverrideMustFitTheKindOfTheValue) {
    ModelConfig c = ModelConfig::preset("transpose-r-a4");
    const auto before = c.entries();
    EXPECT_EQ(messageOf<ConfigError>([&] { c.set("MODEL.IMAGE_SIZE=256"); }),
              "MODEL.IMAGE_SIZE: cannot set to '256': expected a list like [192, 256] (preset transpose-r-a4)");
    EXPECT_EQ(messageOf<ConfigError>([&] { c.set("MODEL.N_HEAD=[8, 8]"); }),
              "MODEL.N_HEAD: cannot set to '[8, 8]': expected a single value like 8 (preset transpose-r-a4)");
    EXPECT_EQ(messageOf<ConfigError>([&] { c.set("MODEL.N_HEAD=eight"); }),
              "MODEL.N_HEAD: cannot set to 'eight': expected an integer like 8 (preset transpose-r-a4)");
    EXPECT_EQ(messageOf<ConfigError>([&] { c.set("MODEL.N_HEAD=2.5"); }),
              "MODEL.N_HEAD: cannot set to '2.5': expected an integer like 8 (preset transpose-r-a4)");
    EXPECT_EQ(messageOf<ConfigError>([&] { c.set("TEST.FLIP_TEST=1"); }),
              "TEST.FLIP_TEST: cannot set to '1': expected true or false like true (preset transpose-r-a4)");
    EXPECT_EQ(messageOf<ConfigError>([&] { c.set("MODEL.HEATMAP_SIZE=[48, x]"); }),
              "MODEL.HEATMAP_SIZE: cannot set to '[48, x]': item 2 ('x') is not an integer like the items of "
              "[48, 64] (preset transpose-r-a4)");
    EXPECT_EQ(messageOf<ConfigError>([&] { c.set("MODEL.EXTRA.NUM_DECONV_FILTERS=[[1], [2]]"); }),
              "MODEL.EXTRA.NUM_DECONV_FILTERS: cannot set to '[[1], [2]]': a list may hold only single values, but "
              "item 1 is a list (line 1) (preset transpose-r-a4)");
    EXPECT_EQ(messageOf<ConfigError>([&] { c.set("MODEL.NAME={a: 1}"); }),
              "MODEL.NAME: cannot set to '{a: 1}': expected a value or a list, got a map (line 1) "
              "(preset transpose-r-a4)");
    const std::string malformed = messageOf<ConfigError>([&] { c.set("MODEL.IMAGE_SIZE=[192, 256"); });
    EXPECT_EQ(malformed.rfind("MODEL.IMAGE_SIZE: cannot set to '[192, 256': malformed YAML at line 1, column", 0), 0u)
        << malformed;
    EXPECT_EQ(c.entries(), before);  // a refused override changes nothing
    // Strings take any single value.
    c.set("MODEL.NAME=3");
    EXPECT_EQ(c.string("MODEL.NAME"), "3");
}

TEST(ModelConfig, TypedGettersNameTheKeyAndTheSource) {
    const ModelConfig c = ModelConfig::fromYamlText(
        "MODEL:\n"
        "  N_HEAD: eight\n"
        "  DIM_MODEL: '256'   # quoted, yet an integer as yacs' literal_eval reads it\n"
        "  SIZES: [1, two]\n"
        "  FLAG: maybe\n"
        "  HUGE: 99999999999999999999\n"
        "  NAME: [a, b]\n"
        "  BIG: 1e999\n"
        "  NOTE: (see notes)\n",
        "TP_R_test.yaml");
    EXPECT_EQ(messageOf<ConfigError>([&] { c.integer("MODEL.N_HEAD"); }),
              "MODEL.N_HEAD: expected an integer, got 'eight' (TP_R_test.yaml)");
    EXPECT_EQ(c.integer("MODEL.DIM_MODEL"), 256);
    EXPECT_EQ(messageOf<ConfigError>([&] { c.integers("MODEL.SIZES"); }),
              "MODEL.SIZES: expected a list of integers, got [1, two] (item 2) (TP_R_test.yaml)");
    EXPECT_EQ(messageOf<ConfigError>([&] { c.integers("MODEL.N_HEAD"); }),
              "MODEL.N_HEAD: expected a list of integers, got eight (TP_R_test.yaml)");
    EXPECT_EQ(messageOf<ConfigError>([&] { c.boolean("MODEL.FLAG"); }),
              "MODEL.FLAG: expected true or false, got 'maybe' (TP_R_test.yaml)");
    EXPECT_EQ(messageOf<ConfigError>([&] { c.number("MODEL.FLAG"); }),
              "MODEL.FLAG: expected a number, got 'maybe' (TP_R_test.yaml)");
    EXPECT_EQ(messageOf<ConfigError>([&] { c.integer("MODEL.HUGE"); }),
              "MODEL.HUGE: expected an integer, got '99999999999999999999' (out of range) (TP_R_test.yaml)");
    EXPECT_EQ(messageOf<ConfigError>([&] { c.number("MODEL.BIG"); }),
              "MODEL.BIG: expected a number, got '1e999' (TP_R_test.yaml)");
    EXPECT_EQ(messageOf<ConfigError>([&] { c.integers("MODEL.NOTE"); }),
              "MODEL.NOTE: expected a list of integers, got (see notes) (TP_R_test.yaml)");
    EXPECT_EQ(messageOf<ConfigError>([&] { c.string("MODEL.NAME"); }),
              "MODEL.NAME: expected a single value, got a list [a, b] (TP_R_test.yaml)");
    EXPECT_EQ(messageOf<ConfigError>([&] { c.integer("MODEL.N_HEADS"); }),
              "MODEL.N_HEADS: missing; did you mean 'MODEL.N_HEAD'? (TP_R_test.yaml)");
    EXPECT_EQ(messageOf<ConfigError>([&] { c.string("DATASET.ROOT"); }), "DATASET.ROOT: missing (TP_R_test.yaml)");
    // Fallbacks stand in for absent keys only; a present value of the wrong type is still an error.
    EXPECT_EQ(c.integer("MODEL.ENCODER_LAYERS", 6), 6);
    EXPECT_EQ(c.string("MODEL.POS_EMBEDDING", "learnable"), "learnable");
    EXPECT_TRUE(c.boolean("MODEL.PE_ONLY", true));
    EXPECT_DOUBLE_EQ(c.number("MODEL.SIGMA", 2.0), 2.0);
    EXPECT_EQ(c.integers("MODEL.IMAGE_SIZE", {256, 256}), (std::vector<long long>{256, 256}));
    EXPECT_THROW(c.integer("MODEL.N_HEAD", 8), ConfigError);
    EXPECT_THROW(c.boolean("MODEL.FLAG", false), ConfigError);
    // Overrides show in the source named by later errors.
    ModelConfig p = ModelConfig::preset("transpose-r-a4");
    p.set("MODEL.NAME=x");
    EXPECT_EQ(messageOf<ConfigError>([&] { p.integer("MODEL.NAME"); }),
              "MODEL.NAME: expected an integer, got 'x' (preset transpose-r-a4 + MODEL.NAME=x)");
}

TEST(ModelConfig, MalformedYamlIsAFileErrorWithLineAndColumn) {
    const std::string path = configPath("malformed_indent.yaml");
    try {
        ModelConfig::fromYamlFile(path);
        FAIL() << "nothing thrown";
    } catch (const FileError& e) {
        EXPECT_EQ(e.file(), path);
        EXPECT_EQ(e.problem(), "malformed YAML at line 5, column 10: illegal map value");
    }
    EXPECT_EQ(messageOf<FileError>([] { ModelConfig::fromYamlText("MODEL:\n  NAME: x\n  - 3\n", "x.yaml"); }),
              "x.yaml: malformed YAML at line 3, column 3: end of map not found");
    EXPECT_EQ(
        messageOf<FileError>([] { ModelConfig::fromYamlText("MODEL:\n  SIZE: [192, 256\n  NAME: x\n", "f.yaml"); }),
        "f.yaml: malformed YAML at line 3, column 7: end of sequence flow not found");
    EXPECT_EQ(messageOf<FileError>([] {
                  ModelConfig::fromYamlText("MODEL:\n\tNAME: a\n", "tabs.yaml");
              }).rfind("tabs.yaml: malformed YAML at line 2, column", 0),
              0u);
}

TEST(ModelConfig, ABinaryFileGivenAsConfigIsNamedForWhatItIs) {
    const std::string path = test::outputPath("checkpoint_as_config.yaml");
    std::ofstream(path, std::ios::binary) << std::string("PK\x03\x04\0\0binary", 12);
    EXPECT_EQ(messageOf<FileError>([&] { ModelConfig::fromYamlFile(path); }),
              path + ": not a YAML configuration (a binary file: was a checkpoint or image given as --config?)");
}

TEST(ModelConfig, AListHoldingAListIsAFileErrorNamingTheKey) {
    const std::string path = configPath("nested_list.yaml");
    EXPECT_EQ(messageOf<FileError>([&] { ModelConfig::fromYamlFile(path); }),
              path + ": MODEL.EXTRA.FLIP_PAIRS: a list may hold only single values, but item 1 is a list (line 6)");
    EXPECT_EQ(messageOf<FileError>([] { ModelConfig::fromYamlText("A:\n  - {B: 1}\n", "m.yaml"); }),
              "m.yaml: A: a list may hold only single values, but item 1 is a map (line 2)");
}

TEST(ModelConfig, DocumentsWithoutKeysAreRejected) {
    EXPECT_EQ(messageOf<FileError>([] { ModelConfig::fromYamlText("", "e.yaml"); }),
              "e.yaml: no configuration keys (empty document)");
    EXPECT_EQ(messageOf<FileError>([] { ModelConfig::fromYamlText("# only a comment\n", "e.yaml"); }),
              "e.yaml: no configuration keys (empty document)");
    EXPECT_EQ(messageOf<FileError>([] { ModelConfig::fromYamlText("[1, 2]", "l.yaml"); }),
              "l.yaml: expected a map of configuration keys at the top level, got a list");
    EXPECT_EQ(messageOf<FileError>([] { ModelConfig::fromYamlText("{}", "m.yaml"); }), "m.yaml: no configuration keys");
}

TEST(ModelConfig, MissingFilesCannotBeRead) {
    const std::string missing = configPath("no_such_config.yaml");
    EXPECT_EQ(messageOf<FileError>([&] { ModelConfig::fromYamlFile(missing); }),
              missing + ": cannot read (No such file or directory)");
    const std::string dir = test::dataPath("configs");
    EXPECT_EQ(messageOf<FileError>([&] { ModelConfig::fromYamlFile(dir); }), dir + ": cannot read (it is a directory)");
}

TEST(ModelConfig, ResolveTakesPresetsThenFiles) {
    EXPECT_EQ(ModelConfig::resolve("transpose-h-a4").source(), "preset transpose-h-a4");
    const std::string path = configPath("TP_R_256x192_d256_h1024_enc3_mh8.yaml");
    const ModelConfig file = ModelConfig::resolve(path);
    EXPECT_EQ(file.source(), path);
    EXPECT_EQ(file.integer("MODEL.ENCODER_LAYERS"), 3);
    // A missing bare name close to a preset is a typo of it.
    EXPECT_EQ(messageOf<ConfigError>([] { ModelConfig::resolve("transpose-r-a5"); }),
              "unknown preset 'transpose-r-a5' and no such file (did you mean 'transpose-r-a3'?); known presets: "
              "transpose-r-a3, transpose-r-a4, transpose-h-s, transpose-h-a4, transpose-h-a6, btranspose-c2a1, "
              "btranspose-c2a2, btranspose-c3a1, btranspose-c3a1-h8, btranspose-c3a1-n6, btranspose-c3a1-large, "
              "hrpvt-b0, hrpvt-b2, hrpvt-b2-layerwise, "
              "tokenpose-t, "
              "tokenpose-s-v1, tokenpose-s-v2, tokenpose-b, tokenpose-l-d6, tokenpose-l-d24, ppt-s, ppt-b, ppt-l-d6");
    EXPECT_NE(
        messageOf<ConfigError>([] { ModelConfig::resolve("TransPose_H_A6"); }).find("(did you mean 'transpose-h-a6'?)"),
        std::string::npos);
    // Anything else that does not exist is a file that cannot be read.
    const std::string missing = configPath("TP_R_missing.yaml");
    EXPECT_EQ(messageOf<FileError>([&] { ModelConfig::resolve(missing); }),
              missing + ": cannot read (No such file or directory)");
    EXPECT_EQ(messageOf<FileError>([] { ModelConfig::resolve("resnet"); }),
              "resnet: cannot read (No such file or directory), and no preset has this name (known presets: "
              "transpose-r-a3, transpose-r-a4, transpose-h-s, transpose-h-a4, transpose-h-a6, btranspose-c2a1, "
              "btranspose-c2a2, btranspose-c3a1, btranspose-c3a1-h8, btranspose-c3a1-n6, btranspose-c3a1-large, "
              "hrpvt-b0, hrpvt-b2, hrpvt-b2-layerwise, "
              "tokenpose-t, "
              "tokenpose-s-v1, tokenpose-s-v2, tokenpose-b, tokenpose-l-d6, tokenpose-l-d24, ppt-s, ppt-b, ppt-l-d6)");
}

TEST(ModelConfig, UnknownPresetListsTheKnownOnes) {
    EXPECT_EQ(messageOf<ConfigError>([] { ModelConfig::preset("transpose-h-a5"); }),
              "unknown preset 'transpose-h-a5' (did you mean 'transpose-h-a4'?); known presets: "
              "transpose-r-a3, transpose-r-a4, transpose-h-s, transpose-h-a4, transpose-h-a6, btranspose-c2a1, "
              "btranspose-c2a2, btranspose-c3a1, btranspose-c3a1-h8, btranspose-c3a1-n6, btranspose-c3a1-large, "
              "hrpvt-b0, hrpvt-b2, hrpvt-b2-layerwise, "
              "tokenpose-t, "
              "tokenpose-s-v1, tokenpose-s-v2, tokenpose-b, tokenpose-l-d6, tokenpose-l-d24, ppt-s, ppt-b, ppt-l-d6");
    EXPECT_EQ(messageOf<ConfigError>([] { ModelConfig::preset("vitpose"); }),
              "unknown preset 'vitpose'; known presets: transpose-r-a3, transpose-r-a4, transpose-h-s, "
              "transpose-h-a4, transpose-h-a6, btranspose-c2a1, btranspose-c2a2, btranspose-c3a1, "
              "btranspose-c3a1-h8, btranspose-c3a1-n6, btranspose-c3a1-large, hrpvt-b0, hrpvt-b2, hrpvt-b2-layerwise, "
              "tokenpose-t, tokenpose-s-v1, "
              "tokenpose-s-v2, tokenpose-b, "
              "tokenpose-l-d6, tokenpose-l-d24, ppt-s, ppt-b, ppt-l-d6");
}

TEST(ModelConfig, EntriesSetBackToTheSameValues) {
    const std::string text =
        "A: 'a: b'\nB: ''\nC: [x, 'y,z', '']\nD: ~\nE: \"it's\"\nF: 0.5\nG: [1, 2]\nH: 'null'\nI: (0,1)\n";
    const ModelConfig original = ModelConfig::fromYamlText(text, "original");
    ModelConfig copy =
        ModelConfig::fromYamlText("A: s\nB: s\nC: [s]\nD: s\nE: s\nF: 1.0\nG: [3]\nH: s\nI: (5,)\n", "copy");
    for (const auto& [key, value] : original.entries())
        copy.set(key + "=" + value);
    EXPECT_EQ(copy.entries(), original.entries());
    EXPECT_EQ(copy.string("A"), "a: b");
    EXPECT_EQ(copy.string("E"), "it's");
    EXPECT_EQ(copy.string("H"), "null");
    EXPECT_EQ(entryMap(original).at("C"), "[x, 'y,z', '']");
}
