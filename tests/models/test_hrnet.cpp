// HRNet-S, the TransPose-H backbone (models/src/transpose/hrnet.h), against the official code:
// the backbone output of the width-16 fixture, and the exact state-dict layout of H-S / H-A4 / H-A6.
#include "h5_fixture.h"
#include "key_list.h"
#include "posescope/models/checkpoint.h"
#include "test_paths.h"
#include "transpose/hrnet.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <iostream>
#include <optional>
#include <string>

using namespace posescope;
using models::transpose::HrnetSpec;
using models::transpose::HrnetStem;

namespace {

// A model root holding the backbone the way TransPoseH does: its parts directly at the root.
struct RootImpl : torch::nn::Module {
    explicit RootImpl(const HrnetSpec& spec) : stem(*this, spec) {}
    HrnetStem stem;
};
TORCH_MODULE(Root);

bool isBackboneKey(const std::string& key) {
    auto startsWith = [&](const char* p) { return key.rfind(p, 0) == 0; };
    return key != "pos_embedding" && !startsWith("reduce.") && !startsWith("global_encoder.") &&
           !startsWith("final_layer.");
}

std::string dtypeName(const torch::Tensor& t) {
    if (t.scalar_type() == torch::kFloat32) return "float32";
    if (t.scalar_type() == torch::kInt64) return "int64";
    return std::string(c10::toString(t.scalar_type()));
}

void expectOfficialLayout(const HrnetSpec& spec, const std::string& keyList) {
    Root root(spec);
    const models::StateDict ours = models::stateDictOf(*root);
    std::vector<models::TensorInfo> expected;
    for (auto& k : test::readKeyList(test::officialPath(keyList)))
        if (isBackboneKey(k.name)) expected.push_back(k);
    ASSERT_EQ(ours.size(), expected.size());
    for (size_t i = 0; i < ours.size(); ++i) {
        ASSERT_EQ(ours[i].first, expected[i].name) << "entry " << i;
        EXPECT_EQ(ours[i].second.sizes().vec(), expected[i].shape) << expected[i].name;
        EXPECT_EQ(dtypeName(ours[i].second), expected[i].dtype) << expected[i].name;
    }
}

}  // namespace

TEST(Hrnet, SmallFixtureBackboneMatchesOfficialOutput) {
    Root root(HrnetSpec::official(16));
    const auto ckpt = models::loadCheckpoint(test::officialPath("transpose_h_small.pth"));
    models::LoadOptions options;
    options.keyMap = [](const std::string& key) -> std::optional<std::string> {
        if (!isBackboneKey(key)) return std::nullopt;
        return key;
    };
    // Strict: every backbone key of the file lands on a module tensor of the same shape, and back.
    models::loadStateDict(*root, ckpt.tensors, ckpt.info.path, options);
    root->eval();

    const std::string h5 = test::officialPath("transpose_h_small.h5");
    const torch::Tensor input = test::readH5(h5, "/input");
    const torch::Tensor ref = test::readH5(h5, "/features/backbone");
    torch::NoGradGuard noGrad;
    const torch::Tensor ours = root->stem.forward(input);
    EXPECT_EQ(ours.sizes().vec(), (std::vector<int64_t>{1, 16, 64, 48}));
    EXPECT_EQ(root->stem.outChannels(), 16);
    test::expectClose(ours, ref, "features/backbone");
    std::cout << "[ hrnet    ] W16 backbone max |ours - ref| = " << (ours - ref).abs().max().item<double>()
              << " (max |ref| " << ref.abs().max().item<double>() << ")\n";
}

TEST(Hrnet, W32StateDictIsTransPoseHSBackbone) {
    expectOfficialLayout(HrnetSpec::official(32), "transpose_h_s.keys.txt");
}

TEST(Hrnet, W48StateDictIsTransPoseHA4Backbone) {
    expectOfficialLayout(HrnetSpec::official(48), "transpose_h_a4.keys.txt");
}

TEST(Hrnet, W48StateDictIsTransPoseHA6Backbone) {
    expectOfficialLayout(HrnetSpec::official(48), "transpose_h_a6.keys.txt");
}

TEST(Hrnet, StandAloneBackboneHasTheSameKeysAndShapes) {
    models::transpose::HrnetBackbone net(HrnetSpec::official(16));
    Root root(HrnetSpec::official(16));
    const auto a = models::stateDictOf(*net);
    const auto b = models::stateDictOf(*root);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].first, b[i].first);
        EXPECT_EQ(a[i].second.sizes(), b[i].second.sizes()) << a[i].first;
    }
    net->eval();
    torch::NoGradGuard noGrad;
    EXPECT_EQ(net->forward(torch::zeros({2, 3, 64, 96})).sizes().vec(), (std::vector<int64_t>{2, 16, 16, 24}));
}

TEST(Hrnet, InconsistentSpecIsRejected) {
    HrnetSpec spec = HrnetSpec::official(16);
    spec.stage3.channels.pop_back();  // 3 branches, 2 channel counts
    torch::nn::Module parent;
    EXPECT_THROW(HrnetStem(parent, spec), Error);
    spec = HrnetSpec::official(16);
    spec.stage2.modules = 0;
    EXPECT_THROW(HrnetStem(parent, spec), Error);
}
