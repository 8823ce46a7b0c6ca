#include "posescope/analysis/checkpoint_report.h"

#include <gtest/gtest.h>

using namespace posescope;

namespace {
models::CheckpointInfo sample() {
    models::CheckpointInfo info;
    info.path = "x.pth";
    info.format = "zip";
    info.stateDictKey = "state_dict";
    info.tensors = {{"pos_embedding", {4, 1, 2}, "float32"},
                    {"layer1.0.conv1.weight", {2, 2, 1, 1}, "float32"},
                    {"layer1.0.bn1.running_mean", {2}, "float32"},
                    {"layer1.1.conv1.weight", {2, 2, 1, 1}, "float32"},
                    {"final_layer.bias", {17}, "float32"}};
    info.metadata = {{"epoch", "7"}, {"note", "a \"quoted\"\ttab"}};
    info.parameterCount = models::countParameters(info.tensors);
    return info;
}
}  // namespace

TEST(ParametersByModule, GroupsByLeadingComponentsInFirstSeenOrder) {
    const auto top = analysis::parametersByModule(sample(), 1);
    ASSERT_EQ(top.size(), 3u);
    EXPECT_EQ(top[0].module, "(top level)");
    EXPECT_EQ(top[0].parameters, 8);
    EXPECT_EQ(top[1].module, "layer1");
    EXPECT_EQ(top[1].parameters, 8);  // running_mean is not a parameter
    EXPECT_EQ(top[1].tensors, 3);
    EXPECT_EQ(top[2].module, "final_layer");
    const auto two = analysis::parametersByModule(sample(), 2);
    ASSERT_EQ(two.size(), 4u);
    EXPECT_EQ(two[1].module, "layer1.0");
    EXPECT_EQ(two[2].module, "layer1.1");
}

TEST(CheckpointReport, TextListsEverything) {
    const std::string text = analysis::formatCheckpointText(sample());
    EXPECT_NE(text.find("state dict:    under 'state_dict'"), std::string::npos);
    EXPECT_NE(text.find("parameters:    33 "), std::string::npos) << text;
    EXPECT_NE(text.find("metadata:      epoch = 7"), std::string::npos);
    EXPECT_NE(text.find("layer1.0.conv1.weight\t[2, 2, 1, 1]\tfloat32"), std::string::npos);
    EXPECT_EQ(analysis::formatCheckpointText(sample(), false).find("layer1.0.conv1.weight"), std::string::npos);
}

TEST(CheckpointReport, JsonEscapesStrings) {
    const std::string json = analysis::formatCheckpointJson(sample());
    EXPECT_NE(json.find("\"note\": \"a \\\"quoted\\\"\\ttab\""), std::string::npos) << json;
    EXPECT_NE(json.find("{\"name\": \"final_layer.bias\", \"shape\": [17], \"dtype\": \"float32\"}"),
              std::string::npos);
    EXPECT_NE(json.find("\"parameters\": 33"), std::string::npos);
}
