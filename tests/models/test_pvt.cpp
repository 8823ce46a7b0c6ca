// The PVT v2 backbone against the official implementation's outputs on the shared fixture
// (../shared/fixtures/official/pvt_v2_b0.*): the four stage maps and every block's spatial-reduction
// attention; the official b2 key list; timm's key layout.
#include "h5_fixture.h"
#include "key_list.h"
#include "posescope/models/checkpoint.h"
#include "pvt/pvt_v2.h"
#include "test_paths.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <regex>
#include <sstream>

using namespace posescope;
using namespace posescope::models;

namespace {

double maxDiff(const torch::Tensor& a, const torch::Tensor& b) {
    return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

std::string str(double v) {
    std::ostringstream s;
    s << v;
    return s.str();
}

// timm's _checkpoint_filter_fn (original → timm), to produce a timm-layout state dict.
std::string originalToTimm(std::string k) {
    k = std::regex_replace(k, std::regex(R"(^patch_embed1\.)"), "patch_embed.");
    std::smatch m;
    if (std::regex_match(k, m, std::regex(R"(^patch_embed(\d)\.(.*)$)")))
        k = "stages." + std::to_string(std::stoi(m[1]) - 1) + ".downsample." + m[2].str();
    k = std::regex_replace(k, std::regex(R"(dwconv\.dwconv)"), "dwconv");
    if (std::regex_match(k, m, std::regex(R"(^block(\d+)\.(\d+)\.(.*)$)")))
        k = "stages." + std::to_string(std::stoi(m[1]) - 1) + ".blocks." + m[2].str() + "." + m[3].str();
    if (std::regex_match(k, m, std::regex(R"(^norm(\d+)\.(.*)$)")))
        k = "stages." + std::to_string(std::stoi(m[1]) - 1) + ".norm." + m[2].str();
    return k;
}

struct Recorder : TraceObserver {
    std::map<std::string, torch::Tensor> extras;
    bool wantsAttention() const override { return false; }  // the SRA attention comes regardless
    void onLayer(const LayerTrace&) override {}
    void onExtra(const std::string& name, const torch::Tensor& value) override { extras[name] = value; }
};

}  // namespace

TEST(PvtV2, ReproducesTheOfficialB0) {
    torch::NoGradGuard noGrad;
    const auto rootPtr = std::make_shared<torch::nn::Module>();  // stateDictOf needs a shared_ptr root
    torch::nn::Module& root = *rootPtr;
    pvt::PvtV2Backbone backbone(root, pvt::pvtV2Spec("b0"));
    const Checkpoint ckpt = loadCheckpoint(test::officialPath("pvt_v2_b0.pth"));
    loadStateDict(root, ckpt.tensors, ckpt.info.path);  // strict
    root.eval();

    const std::string h5 = test::officialPath("pvt_v2_b0.h5");
    const torch::Tensor input = test::readH5(h5, "/input");
    Recorder trace;
    const std::vector<torch::Tensor> maps = backbone.forward(input, &trace);
    ASSERT_EQ(maps.size(), 4u);
    double worstMap = 0, worstAttention = 0;
    for (int s = 1; s <= 4; ++s) {
        const std::string stage = "stage_" + std::to_string(s);
        const torch::Tensor ref = test::readH5(h5, "/features/" + stage);
        test::expectClose(maps[static_cast<size_t>(s - 1)], ref, "features " + stage);
        worstMap = std::max(worstMap, maxDiff(maps[static_cast<size_t>(s - 1)], ref));
        for (int j = 0; j < 2; ++j) {
            const std::string name = stage + "/block_" + std::to_string(j);
            ASSERT_TRUE(trace.extras.count("sra_attention/" + name)) << name;
            const torch::Tensor ours = trace.extras.at("sra_attention/" + name);
            const torch::Tensor refAttention = test::readH5(h5, "/attention/" + name);
            test::expectClose(ours, refAttention, "attention " + name);
            worstAttention = std::max(worstAttention, maxDiff(ours, refAttention));
        }
    }
    EXPECT_EQ(trace.extras.size(), 8u);
    ::testing::Test::RecordProperty("max_stage_map_diff", str(worstMap));
    ::testing::Test::RecordProperty("max_attention_diff", str(worstAttention));

    // Without an observer: the same maps, nothing else computed.
    const std::vector<torch::Tensor> plain = backbone.forward(input, nullptr);
    for (size_t s = 0; s < 4; ++s)
        EXPECT_TRUE(torch::equal(plain[s], maps[s])) << s;
    EXPECT_THROW(backbone.forward(torch::zeros({1, 1, 256, 192}), nullptr), ModelError);

    // The same weights in timm's layout load through timmToOriginalKey.
    StateDict timm;
    for (const auto& [key, t] : ckpt.tensors)
        timm.emplace_back(originalToTimm(key), t);
    EXPECT_EQ(timm.front().first, "patch_embed.proj.weight");
    const auto otherPtr = std::make_shared<torch::nn::Module>();
    torch::nn::Module& other = *otherPtr;
    pvt::PvtV2Backbone fromTimm(other, pvt::pvtV2Spec("b0"));
    LoadOptions options;
    options.keyMap = [](const std::string& k) { return std::optional<std::string>(pvt::timmToOriginalKey(k)); };
    loadStateDict(other, timm, "timm layout", options);
    const std::vector<torch::Tensor> again = fromTimm.forward(input, nullptr);
    for (size_t s = 0; s < 4; ++s)
        EXPECT_TRUE(torch::equal(again[s], maps[s])) << s;
}

TEST(PvtV2, HasTheOfficialKeys) {
    // The classification b2 listing (the released ImageNet .pth), whose head.* the backbone lacks.
    std::vector<TensorInfo> expected;
    for (const TensorInfo& t : test::readKeyList(test::officialPath("pvt_v2_b2.keys.txt")))
        if (t.name.rfind("head.", 0) != 0) expected.push_back(t);
    ASSERT_EQ(expected.size(), 332u);
    const auto b2Ptr = std::make_shared<torch::nn::Module>();
    torch::nn::Module& b2 = *b2Ptr;
    pvt::PvtV2Backbone backbone(b2, pvt::pvtV2Spec("b2"));
    const StateDict ours = stateDictOf(b2);
    ASSERT_EQ(ours.size(), expected.size());
    for (size_t i = 0; i < ours.size(); ++i) {
        EXPECT_EQ(ours[i].first, expected[i].name) << i;
        EXPECT_EQ(ours[i].second.sizes().vec(), expected[i].shape) << ours[i].first;
    }
    int64_t params = 0;
    for (const torch::Tensor& p : b2.parameters())
        params += p.numel();
    EXPECT_EQ(params, 25362856 - (1000 * 512 + 1000));  // the listing's count less the head

    // b0 against its own listing (the detection copy, no head).
    const auto b0Ptr = std::make_shared<torch::nn::Module>();
    torch::nn::Module& b0 = *b0Ptr;
    pvt::PvtV2Backbone small(b0, pvt::pvtV2Spec("b0"));
    const auto b0Keys = test::readKeyList(test::officialPath("pvt_v2_b0.keys.txt"));
    const StateDict b0Ours = stateDictOf(b0);
    ASSERT_EQ(b0Ours.size(), b0Keys.size());
    for (size_t i = 0; i < b0Ours.size(); ++i) {
        EXPECT_EQ(b0Ours[i].first, b0Keys[i].name) << i;
        EXPECT_EQ(b0Ours[i].second.sizes().vec(), b0Keys[i].shape) << b0Ours[i].first;
    }

    // b2-li: a 1×1 sr convolution and its norm in every stage, stage 4 included.
    const auto liPtr = std::make_shared<torch::nn::Module>();
    torch::nn::Module& li = *liPtr;
    pvt::PvtV2Backbone linear(li, pvt::pvtV2Spec("b2-li"));
    EXPECT_TRUE(linear.spec().linear);
    std::map<std::string, torch::Tensor> named;
    for (const auto& [k, t] : stateDictOf(li))
        named[k] = t;
    const std::vector<int64_t> dims = {64, 128, 320, 512}, depths = {3, 4, 6, 3};
    for (size_t s = 0; s < 4; ++s)
        for (int64_t j = 0; j < depths[s]; ++j) {
            const std::string block = "block" + std::to_string(s + 1) + "." + std::to_string(j) + ".attn.";
            ASSERT_TRUE(named.count(block + "sr.weight")) << block;
            EXPECT_EQ(named.at(block + "sr.weight").sizes().vec(), std::vector<int64_t>({dims[s], dims[s], 1, 1}));
            EXPECT_TRUE(named.count(block + "norm.weight")) << block;
        }
    EXPECT_EQ(named.size(), ours.size() + 2 * 2 * 3);  // stage 4's three blocks gain sr and norm
    // It runs at 256×192 (49 kv tokens in every stage).
    torch::NoGradGuard noGrad;
    li.eval();
    Recorder trace;
    const auto maps = linear.forward(torch::randn({1, 3, 256, 192}), &trace);
    EXPECT_EQ(maps[3].sizes().vec(), std::vector<int64_t>({1, 512, 8, 6}));
    EXPECT_EQ(trace.extras.at("sra_attention/stage_4/block_2").sizes().vec(), std::vector<int64_t>({1, 8, 48, 49}));
    EXPECT_EQ(trace.extras.at("sra_attention/stage_1/block_0").sizes().vec(), std::vector<int64_t>({1, 1, 3072, 49}));
}

TEST(PvtV2, MapsTimmKeysToTheOriginalOnes) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"patch_embed.proj.weight", "patch_embed1.proj.weight"},
        {"patch_embed.norm.bias", "patch_embed1.norm.bias"},
        {"stages.1.downsample.proj.weight", "patch_embed2.proj.weight"},
        {"stages.3.downsample.norm.weight", "patch_embed4.norm.weight"},
        {"stages.0.blocks.2.attn.kv.weight", "block1.2.attn.kv.weight"},
        {"stages.2.blocks.17.mlp.dwconv.weight", "block3.17.mlp.dwconv.dwconv.weight"},
        {"stages.2.blocks.0.mlp.dwconv.bias", "block3.0.mlp.dwconv.dwconv.bias"},
        {"stages.2.blocks.0.mlp.fc1.weight", "block3.0.mlp.fc1.weight"},
        {"stages.0.blocks.0.attn.norm.weight", "block1.0.attn.norm.weight"},
        {"stages.3.norm.weight", "norm4.weight"},
        {"head.weight", "head.weight"},
        // Original keys pass unchanged.
        {"patch_embed1.proj.weight", "patch_embed1.proj.weight"},
        {"block2.1.mlp.dwconv.dwconv.weight", "block2.1.mlp.dwconv.dwconv.weight"},
        {"norm3.bias", "norm3.bias"},
    };
    for (const auto& [timm, original] : cases)
        EXPECT_EQ(pvt::timmToOriginalKey(timm), original) << timm;
}

TEST(PvtV2, VariantsAndUnknownNames) {
    EXPECT_EQ(pvt::pvtV2Spec("b0").dims, std::vector<int64_t>({32, 64, 160, 256}));
    EXPECT_EQ(pvt::pvtV2Spec("b3").depths, std::vector<int64_t>({3, 4, 18, 3}));
    EXPECT_EQ(pvt::pvtV2Spec("b4").depths, std::vector<int64_t>({3, 8, 27, 3}));
    EXPECT_EQ(pvt::pvtV2Spec("b5").mlpRatios, std::vector<int64_t>({4, 4, 4, 4}));
    EXPECT_EQ(pvt::pvtV2Spec("b1").heads, std::vector<int64_t>({1, 2, 5, 8}));
    EXPECT_FALSE(pvt::pvtV2Spec("b2").linear);
    EXPECT_TRUE(pvt::pvtV2Spec("b2-li").linear);
    EXPECT_THROW(pvt::pvtV2Spec("b6"), ConfigError);
    EXPECT_THROW(pvt::pvtV2Spec(""), ConfigError);
    EXPECT_THROW(pvt::pvtV2Spec("B0"), ConfigError);
}
