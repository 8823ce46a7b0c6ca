// The reader against checkpoints written by the official PyTorch implementations
// (../shared/fixtures/official): exact keys, shapes, dtypes and order, and the values Python reads.
#include "expected_tensors.h"
#include "key_list.h"
#include "posescope/models/checkpoint.h"
#include "test_paths.h"

#include <gtest/gtest.h>

#include <map>

using namespace posescope;

namespace {
const char* const kFixtures[] = {"transpose_r_small", "transpose_h_small", "ppt_small",
                                 "tokenpose_small",   "btranspose_small",  "pvt_v2_b0"};
}

TEST(PthOfficial, LoadsEveryFixtureWithExactlyTheListedKeysShapesAndDtypes) {
    for (const char* name : kFixtures) {
        SCOPED_TRACE(name);
        const auto ckpt = models::loadCheckpoint(test::officialPath(std::string(name) + ".pth"));
        const auto keys = test::readKeyList(test::officialPath(std::string(name) + ".keys.txt"));
        ASSERT_EQ(ckpt.tensors.size(), keys.size());
        ASSERT_EQ(ckpt.info.tensors.size(), keys.size());
        for (size_t i = 0; i < keys.size(); ++i) {
            EXPECT_EQ(ckpt.tensors[i].first, keys[i].name);
            EXPECT_EQ(ckpt.tensors[i].second.sizes().vec(), keys[i].shape) << keys[i].name;
            EXPECT_EQ(ckpt.info.tensors[i].dtype, keys[i].dtype) << keys[i].name;
            EXPECT_EQ(ckpt.info.tensors[i].shape, keys[i].shape) << keys[i].name;
        }
        EXPECT_EQ(ckpt.info.format, "zip");
        EXPECT_EQ(ckpt.info.stateDictKey, "");
        EXPECT_FALSE(ckpt.info.strippedModulePrefix);
    }
}

TEST(PthOfficial, ValuesEqualWhatPythonTorchLoadReads) {
    const auto expected = test::readExpected(test::dataPath("pth/official_reference.tsv"), /*withFile=*/true);
    std::map<std::string, std::vector<test::ExpectedTensor>> byFile;
    for (const auto& e : expected)
        byFile[e.file].push_back(e);
    ASSERT_EQ(byFile.size(), std::size(kFixtures));
    for (const auto& [file, tensors] : byFile) {
        const auto ckpt = models::loadCheckpoint(test::officialPath(file));
        ASSERT_EQ(ckpt.tensors.size(), tensors.size()) << file;
        for (size_t i = 0; i < tensors.size(); ++i)
            test::expectMatches(tensors[i], ckpt.tensors[i].first, ckpt.tensors[i].second);
    }
}

TEST(PthOfficial, BatchNormCountersAreInt64Scalars) {
    const auto ckpt = models::loadCheckpoint(test::officialPath("transpose_r_small.pth"));
    int counters = 0;
    for (const auto& [name, t] : ckpt.tensors) {
        if (name.size() > 19 && name.compare(name.size() - 19, 19, "num_batches_tracked") == 0) {
            EXPECT_EQ(t.dim(), 0) << name;
            EXPECT_EQ(t.scalar_type(), torch::kInt64) << name;
            ++counters;
        }
    }
    EXPECT_GT(counters, 10);
}

TEST(PthOfficial, InspectRecognisesEachFamily) {
    const std::map<std::string, std::string> families = {
        {"transpose_r_small", "TransPose-R"}, {"transpose_h_small", "TransPose-H"}, {"ppt_small", "PPT"},
        {"tokenpose_small", "TokenPose"},     {"btranspose_small", "BTranspose"},   {"pvt_v2_b0", "PVT v2"}};
    for (const auto& [name, family] : families) {
        const auto info = models::inspectCheckpoint(test::officialPath(name + ".pth"));
        EXPECT_EQ(info.architecture.family, family) << name;
    }
    const auto pvt = models::inspectCheckpoint(test::officialPath("pvt_v2_b0.pth"));
    EXPECT_EQ(pvt.architecture.variant, "b0");
}
