// Saving state dicts, and strict loading into LibTorch modules.
#include "posescope/models/checkpoint.h"
#include "test_paths.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>

using namespace posescope;

namespace {

// conv (with bias) -> bn -> a nested block with a bias-free conv, like the official stems.
struct BlockImpl : torch::nn::Module {
    BlockImpl() { conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(4, 2, 1).bias(false))); }
    torch::nn::Conv2d conv{nullptr};
};
TORCH_MODULE(Block);

struct NetImpl : torch::nn::Module {
    NetImpl() {
        scale = register_parameter("scale", torch::ones({1}));
        conv1 = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 4, 3)));
        bn1 = register_module("bn1", torch::nn::BatchNorm2d(4));
        block = register_module("block", Block());
    }
    torch::Tensor scale;
    torch::nn::Conv2d conv1{nullptr};
    torch::nn::BatchNorm2d bn1{nullptr};
    Block block{nullptr};
};
TORCH_MODULE(Net);

std::vector<std::string> keysOf(const models::StateDict& sd) {
    std::vector<std::string> k;
    for (const auto& [name, t] : sd)
        k.push_back(name);
    return k;
}

}  // namespace

TEST(StateDict, OrderMatchesPythonStateDict) {
    Net net;
    EXPECT_EQ(
        keysOf(models::stateDictOf(*net)),
        (std::vector<std::string>{"scale", "conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias", "bn1.running_mean",
                                  "bn1.running_var", "bn1.num_batches_tracked", "block.conv.weight"}));
}

TEST(StateDict, SaveThenLoadRoundTripsEveryValueAndDtype) {
    torch::manual_seed(3);
    Net a;
    a->bn1->running_mean.uniform_();
    a->bn1->num_batches_tracked.fill_(77);
    const std::string path = test::outputPath("roundtrip.pth");
    models::saveStateDict(models::stateDictOf(*a), path);

    const auto ckpt = models::loadCheckpoint(path);
    EXPECT_EQ(ckpt.info.format, "zip");
    EXPECT_EQ(ckpt.info.stateDictKey, "");
    Net b;
    models::loadStateDict(*b, ckpt.tensors, path);
    const auto sa = models::stateDictOf(*a);
    const auto sb = models::stateDictOf(*b);
    ASSERT_EQ(sa.size(), sb.size());
    for (size_t i = 0; i < sa.size(); ++i) {
        EXPECT_EQ(sa[i].second.scalar_type(), sb[i].second.scalar_type()) << sa[i].first;
        EXPECT_TRUE(torch::equal(sa[i].second, sb[i].second)) << sa[i].first;
    }
}

TEST(StateDict, SavedViewsShareOneStorage) {
    const torch::Tensor base = torch::arange(20, torch::kFloat32).reshape({4, 5});
    const models::StateDict sd = {{"base", base}, {"t", base.t()}, {"row", base[2]}, {"half", base.to(torch::kHalf)}};
    const std::string path = test::outputPath("views_out.pth");
    models::saveStateDict(sd, path);
    const auto back = models::loadCheckpoint(path);
    ASSERT_EQ(back.tensors.size(), 4u);
    for (size_t i = 0; i < sd.size(); ++i)
        EXPECT_TRUE(torch::equal(back.tensors[i].second, sd[i].second));
    EXPECT_TRUE(back.tensors[1].second.is_alias_of(back.tensors[0].second));
    EXPECT_TRUE(back.tensors[2].second.is_alias_of(back.tensors[0].second));
    EXPECT_EQ(back.tensors[2].second.storage_offset(), 10);
    EXPECT_EQ(back.tensors[3].second.scalar_type(), torch::kHalf);
}

TEST(StateDict, FailedSaveLeavesNoFile) {
    const std::string path = test::outputPath("no_such_dir/x.pth");
    try {
        models::saveStateDict({{"a", torch::ones({2})}}, path);
        FAIL() << "saved into a missing directory";
    } catch (const FileError& e) {
        EXPECT_EQ(e.file(), path);
        EXPECT_NE(std::string(e.what()).find("cannot open for writing"), std::string::npos) << e.what();
    }
    std::ifstream partial(path + ".partial");
    EXPECT_FALSE(partial.good());
}

TEST(StateDict, StrictLoadListsEveryMismatchAndChangesNothing) {
    Net net;
    auto sd = models::stateDictOf(*Net());
    // Drop one key, add two unknown ones, and give one a wrong shape.
    sd.erase(sd.begin() + 1);                           // conv1.weight missing
    sd.emplace_back("head.weight", torch::zeros({3}));  // unexpected
    sd.emplace_back("head.bias", torch::zeros({3}));    // unexpected
    for (auto& [k, t] : sd)
        if (k == "bn1.weight") t = torch::zeros({5});  // wrong shape
    const torch::Tensor before = net->conv1->bias.clone();
    try {
        models::loadStateDict(*net, sd, "wrong.pth");
        FAIL() << "no error";
    } catch (const models::StateDictMismatch& e) {
        EXPECT_EQ(e.missing(), std::vector<std::string>{"conv1.weight"});
        EXPECT_EQ(e.unexpected(), (std::vector<std::string>{"head.weight", "head.bias"}));
        EXPECT_EQ(e.misshaped(), std::vector<std::string>{"bn1.weight: file [5] vs model [4]"});
        EXPECT_EQ(std::string(e.what()),
                  "wrong.pth: the checkpoint does not match the model (1 missing: conv1.weight; 2 unexpected: "
                  "head.weight, head.bias; 1 with a different shape: bn1.weight: file [5] vs model [4])");
    }
    EXPECT_TRUE(torch::equal(net->conv1->bias, before));
}

TEST(StateDict, KeyMapRenamesAndDrops) {
    Net source;
    models::StateDict renamed;
    for (const auto& [k, t] : models::stateDictOf(*source))
        renamed.emplace_back("backbone." + k, t);
    renamed.emplace_back("backbone.extra", torch::zeros({1}));
    Net target;
    models::LoadOptions options;
    options.keyMap = [](const std::string& key) -> std::optional<std::string> {
        if (key == "backbone.extra") return std::nullopt;
        return key.substr(9);
    };
    models::loadStateDict(*target, renamed, "renamed.pth", options);
    EXPECT_TRUE(torch::equal(target->conv1->weight, source->conv1->weight));
    EXPECT_THROW(models::loadStateDict(*target, renamed, "renamed.pth"), models::StateDictMismatch);
}

TEST(StateDict, HalfPrecisionCheckpointLoadsIntoFloatModule) {
    Net source;
    models::StateDict half;
    for (const auto& [k, t] : models::stateDictOf(*source))
        half.emplace_back(k, t.is_floating_point() ? t.to(torch::kHalf) : t);
    Net target;
    models::loadStateDict(*target, half, "half.pth");
    EXPECT_EQ(target->conv1->weight.scalar_type(), torch::kFloat32);
    EXPECT_TRUE(torch::allclose(target->conv1->weight, source->conv1->weight, 1e-3, 1e-3));
}

TEST(StateDict, TrainingCheckpointRoundTripsNestedValuesBitExact) {
    using V = models::CheckpointValue;
    torch::manual_seed(5);
    const torch::Tensor w = torch::randn({4, 3, 2, 2}).contiguous(torch::MemoryFormat::ChannelsLast);
    const torch::Tensor m = torch::randn({7}).to(torch::kHalf);
    const V root = V::dict({
        {V("epoch"), V(int64_t{3})},
        {V("big"), V(int64_t{-5000000000LL})},
        {V("lr"), V(0.1 + 0.2)},
        {V("name"), V(std::string(300, 'y') + "é")},
        {V("flags"), V::list({V(true), V(false), V()}, /*tuple=*/true)},
        {V("state_dict"), V::stateDict({{"conv.weight", w}, {"conv.view", w[1]}})},
        {V("optimizer"), V::dict({{V("state"), V::dict({{V(int64_t{0}), V::dict({{V("exp_avg"), V(m)}})}})},
                                  {V("param_groups"), V::list({V::dict({{V("params"), V::list({V(int64_t{0})})}})})}})},
    });
    const std::string path = test::outputPath("training_checkpoint.pth");
    models::saveCheckpoint(root, path);
    const models::CheckpointContents c = models::loadCheckpointContents(path);
    EXPECT_EQ(c.value("epoch"), "3");
    EXPECT_EQ(c.value("big"), "-5000000000");
    EXPECT_EQ(std::stod(c.value("lr")), 0.1 + 0.2);  // 17 digits: the double comes back exactly
    EXPECT_EQ(c.value("name"), std::string(300, 'y') + "é");
    EXPECT_EQ(c.value("flags.0"), "True");
    EXPECT_EQ(c.value("flags.2"), "None");
    EXPECT_EQ(c.value("optimizer.param_groups.0.params.0"), "0");
    const torch::Tensor& w2 = c.tensor("state_dict.conv.weight");
    EXPECT_TRUE(torch::equal(w2, w));
    EXPECT_EQ(w2.strides(), w.strides());  // channels-last kept
    EXPECT_TRUE(c.tensor("state_dict.conv.view").is_alias_of(w2));
    EXPECT_EQ(c.tensor("optimizer.state.0.exp_avg").scalar_type(), torch::kHalf);
    EXPECT_TRUE(torch::equal(c.tensor("optimizer.state.0.exp_avg"), m));
    EXPECT_THROW(c.tensor("state_dict.missing"), FileError);
    // The app opens a training checkpoint as a model: the state dict is found under "state_dict".
    const auto ckpt = models::loadCheckpoint(path);
    EXPECT_EQ(ckpt.info.stateDictKey, "state_dict");
    ASSERT_EQ(ckpt.tensors.size(), 2u);
    EXPECT_TRUE(torch::equal(ckpt.tensors[0].second, w));
}

TEST(StateDict, PartialLoadKeepsWhatTheFileLacks) {
    Net a, b;
    torch::NoGradGuard noGrad;
    a->conv1->weight.fill_(2);
    b->conv1->weight.fill_(1);
    b->block->conv->weight.fill_(7);
    models::LoadOptions o;
    o.allowMissing = true;
    o.keyMap = [](const std::string& k) -> std::optional<std::string> {
        return k.rfind("conv1.", 0) == 0 ? std::optional(k) : std::nullopt;
    };
    models::loadStateDict(*b, models::stateDictOf(*a), "a", o);
    EXPECT_TRUE(torch::equal(b->conv1->weight, a->conv1->weight));
    EXPECT_EQ(b->block->conv->weight.max().item<float>(), 7.0f);
    // Still strict about what it does load.
    models::StateDict bad = {{"conv1.weight", torch::zeros({1})}};
    EXPECT_THROW(models::loadStateDict(*b, bad, "bad", o), models::StateDictMismatch);
}
