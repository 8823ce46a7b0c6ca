// Architecture recognition and parameter counts on the key lists of the full official
// configurations (counts as given in ../shared/fixtures/official/README.md).
#include "key_list.h"
#include "posescope/models/checkpoint_info.h"
#include "posescope/models/model_config.h"
#include "test_paths.h"

#include <gtest/gtest.h>

using namespace posescope;

namespace {
struct Case {
    const char* file;
    const char* family;
    const char* variant;
    int64_t parameters;
};
const Case kCases[] = {
    {"transpose_r_a3", "TransPose-R", "R-A3", 5195345},
    {"transpose_r_a4", "TransPose-R", "R-A4", 5985105},
    {"transpose_h_s", "TransPose-H", "H-S", 8019281},
    {"transpose_h_a4", "TransPose-H", "H-A4", 17306129},
    {"transpose_h_a6", "TransPose-H", "H-A6", 17455697},
    {"ppt_s", "PPT", "S", 6669888},
    {"tokenpose_s_v1", "TokenPose", "S-v1", 6669888},
    {"btranspose_c3a1", "BTranspose", "C3A1(4)", 10090961},
    {"btranspose_c3a1_large", "BTranspose", "C3A1(4)-Large", 23817297},
    {"pvt_v2_b2", "PVT v2", "b2", 25362856},
};
}  // namespace

TEST(Architecture, RecognisesEveryFullOfficialConfiguration) {
    for (const Case& c : kCases) {
        SCOPED_TRACE(c.file);
        const auto keys = test::readKeyList(test::officialPath(std::string(c.file) + ".keys.txt"));
        const auto m = models::recogniseArchitecture(keys);
        EXPECT_EQ(m.family, c.family);
        EXPECT_EQ(m.variant, c.variant);
        EXPECT_EQ(models::countParameters(keys), c.parameters);
    }
}

TEST(Architecture, ReadsHyperParametersFromShapes) {
    const auto a4 = models::recogniseArchitecture(test::readKeyList(test::officialPath("transpose_r_a4.keys.txt")));
    EXPECT_EQ(a4.details, "ResNet-50 to layer2, d_model 256, FFN 1024, 4 encoder layers");
    const auto h = models::recogniseArchitecture(test::readKeyList(test::officialPath("transpose_h_small.keys.txt")));
    EXPECT_EQ(h.family, "TransPose-H");
    EXPECT_EQ(h.variant, "");  // width 16 is no paper variant
    EXPECT_EQ(h.details, "HRNet-W16, d_model 32, FFN 64, 2 encoder layers");
    const auto pvt = models::recogniseArchitecture(test::readKeyList(test::officialPath("pvt_v2_b2.keys.txt")));
    EXPECT_EQ(pvt.details, "dims 64/128/320/512, depths 3/4/6/3, ImageNet classifier head");
    EXPECT_EQ(pvt.text(), "PVT v2 b2 (dims 64/128/320/512, depths 3/4/6/3, ImageNet classifier head)");
}

TEST(Architecture, UnknownKeysAreNotRecognised) {
    std::vector<models::TensorInfo> keys = {{"encoder.weight", {4, 4}, "float32"}, {"head.bias", {4}, "float32"}};
    const auto m = models::recogniseArchitecture(keys);
    EXPECT_FALSE(m.recognised());
    EXPECT_EQ(m.text(), "not recognised");
    EXPECT_EQ(models::countParameters(keys), 20);
}

TEST(Architecture, PaperVariantsNameTheirPreset) {
    auto presetOf = [](const models::ArchitectureMatch& a) { return models::presetFor(a.family, a.variant); };
    auto preset = [&](const char* keys) {
        return presetOf(models::recogniseArchitecture(test::readKeyList(test::officialPath(keys))));
    };
    EXPECT_EQ(preset("transpose_r_a4.keys.txt"), "transpose-r-a4");
    EXPECT_EQ(preset("transpose_h_a6.keys.txt"), "transpose-h-a6");
    EXPECT_EQ(preset("transpose_h_a4.keys.txt"), "transpose-h-a4");
    EXPECT_EQ(preset("pvt_v2_b2.keys.txt"), "");          // no preset (yet) for this family
    EXPECT_EQ(models::presetFor("TransPose-R", ""), "");  // other sizes need their YAML
    for (const std::string& name : models::ModelConfig::presetNames())
        EXPECT_NO_THROW(models::ModelConfig::preset(name)) << name;
}
