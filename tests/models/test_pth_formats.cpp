// The reader on small files written by Python's torch.save (scripts/make_pth_fixtures.py):
// legacy format, views and shared storages, every dtype, wrapped checkpoints, DataParallel
// prefixes, tensors saved on CUDA.
#include "expected_tensors.h"
#include "posescope/models/checkpoint.h"
#include "test_paths.h"

#include <gtest/gtest.h>

using namespace posescope;

namespace {

models::Checkpoint loadAndCompare(const std::string& name, const std::string& expected) {
    const auto ckpt = models::loadCheckpoint(test::dataPath("pth/" + name + ".pth"));
    const auto want = test::readExpected(test::dataPath("pth/" + expected + ".expected.tsv"));
    EXPECT_EQ(ckpt.tensors.size(), want.size()) << name;
    for (size_t i = 0; i < want.size() && i < ckpt.tensors.size(); ++i)
        test::expectMatches(want[i], ckpt.tensors[i].first, ckpt.tensors[i].second);
    return ckpt;
}

const torch::Tensor& get(const models::Checkpoint& c, const std::string& key) {
    for (const auto& [k, t] : c.tensors)
        if (k == key) return t;
    throw std::runtime_error("no tensor " + key);
}

}  // namespace

TEST(PthFormats, ZipStateDict) {
    const auto c = loadAndCompare("plain", "plain");
    EXPECT_EQ(c.info.format, "zip");
    EXPECT_EQ(c.info.stateDictKey, "");
}

TEST(PthFormats, LegacyFormatBeforePyTorch16) {
    const auto c = loadAndCompare("legacy", "plain");
    EXPECT_EQ(c.info.format, "legacy");
}

TEST(PthFormats, ViewsKeepOffsetsStridesAndSharedStorages) {
    for (const char* name : {"views", "legacy_views"}) {
        SCOPED_TRACE(name);
        const auto c = loadAndCompare(name, "views");
        const torch::Tensor& base = get(c, "base");
        const torch::Tensor& rows = get(c, "rows");
        const torch::Tensor& transposed = get(c, "transposed");
        const torch::Tensor& strided = get(c, "strided");
        EXPECT_TRUE(rows.is_alias_of(base));
        EXPECT_TRUE(transposed.is_alias_of(base));
        EXPECT_TRUE(strided.is_alias_of(base));
        EXPECT_FALSE(get(c, "own").is_alias_of(base));
        EXPECT_EQ(rows.storage_offset(), 10);
        EXPECT_EQ(transposed.strides().vec(), (std::vector<int64_t>{1, 5}));
        EXPECT_EQ(strided.strides().vec(), (std::vector<int64_t>{10, 2}));
        EXPECT_TRUE(torch::equal(transposed, base.t()));
        // One storage read once: writing through one view shows in the others.
        torch::Tensor writable = base;
        writable.index_put_({2, 0}, 42.0f);
        EXPECT_EQ(rows[0][0].item<float>(), 42.0f);
    }
}

TEST(PthFormats, EveryStorageDtype) {
    const auto c = loadAndCompare("dtypes", "dtypes");
    EXPECT_EQ(get(c, "i64")[2].item<int64_t>(), int64_t(1) << 40);
    EXPECT_EQ(get(c, "u8")[1].item<int>(), 200);
    EXPECT_EQ(get(c, "b")[1].item<bool>(), false);
    EXPECT_EQ(get(c, "scalar").dim(), 0);
    EXPECT_EQ(get(c, "empty").numel(), 0);
    std::vector<std::string> dtypes;
    for (const auto& t : c.info.tensors)
        dtypes.push_back(t.dtype);
    EXPECT_EQ(dtypes, (std::vector<std::string>{"float16", "bfloat16", "float64", "int64", "int32", "int16", "uint8",
                                                "int8", "bool", "float32", "float32"}));
}

TEST(PthFormats, WrappedCheckpointWithMetadata) {
    const auto c = loadAndCompare("wrapped_state_dict", "plain");
    EXPECT_EQ(c.info.stateDictKey, "state_dict");
    std::map<std::string, std::string> meta(c.info.metadata.begin(), c.info.metadata.end());
    EXPECT_EQ(meta["epoch"], "140");
    EXPECT_EQ(meta["perf"], "0.7421");  // a numpy.float64, as HRNet-style trainers save it
    EXPECT_EQ(meta["model"], "transpose_r");
    EXPECT_EQ(meta["optimizer"], "dict with 2 entries");
}

TEST(PthFormats, ModelAndModelStateWrappers) {
    EXPECT_EQ(loadAndCompare("wrapped_model", "plain").info.stateDictKey, "model");
    EXPECT_EQ(loadAndCompare("wrapped_model_state", "plain").info.stateDictKey, "model_state");
}

TEST(PthFormats, DataParallelPrefixIsRemoved) {
    const auto c = loadAndCompare("dataparallel", "plain");
    EXPECT_TRUE(c.info.strippedModulePrefix);
}

TEST(PthFormats, TensorsSavedOnCudaLoadOnCpu) {
    const auto c = loadAndCompare("cuda_saved", "cuda_saved");
    for (const auto& [k, t] : c.tensors)
        EXPECT_TRUE(t.device().is_cpu()) << k;
}

TEST(PthFormats, CountsExcludeBatchNormStatistics) {
    const auto info = models::inspectCheckpoint(test::dataPath("pth/plain.pth"));
    // conv.weight 108 + conv.bias 4 + fc.weight 16; bn.running_mean and the counter are buffers.
    EXPECT_EQ(info.parameterCount, 128);
    EXPECT_EQ(info.elementCount, 133);
    EXPECT_EQ(info.byteCount, 128 * 4 + 4 * 4 + 8);
}

TEST(PthFormats, ParameterObjectsRebuildAsTensors) {
    // A dict of nn.Parameter pickles through torch._utils._rebuild_parameter.
    loadAndCompare("parameters", "parameters");
}
