// HRPVT's High-Resolution Pyramid Module (models/src/hrpvt/hrpm.h): shapes on PVT v2-b0 at
// 256×192 for both insertion strategies, the residual identity, the receptive field the dilation
// rates predict (and the gridding the HDC rule avoids), parameter counts and multiply-adds against
// their formulas (the numbers in docs/models/hrpvt.md), the state-dict keys, and invalid settings.
#include "hrpvt/hrpm.h"
#include "posescope/models/flops.h"
#include "posescope/models/model_config.h"
#include "pvt/pvt_v2.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdio>
#include <set>

using namespace posescope;
using namespace posescope::models;
using namespace posescope::models::hrpvt;

namespace {

using Rates = std::vector<int64_t>;

int64_t parameterCount(const torch::nn::Module& m) {
    int64_t n = 0;
    for (const auto& p : m.parameters())
        n += p.numel();
    return n;
}

// Stage maps of PVT v2 `spec` for an input of h × w (strides 4, 8, 16, 32).
std::vector<torch::Tensor> fakeMaps(const pvt::PvtV2Spec& spec, int64_t h, int64_t w, int64_t n = 1) {
    std::vector<torch::Tensor> maps;
    for (size_t s = 0; s < spec.dims.size(); ++s) {
        const int64_t stride = int64_t{4} << s;
        maps.push_back(torch::randn({n, spec.dims[s], h / stride, w / stride}));
    }
    return maps;
}

// All convolution weights = `value`, BN at identity statistics, eval mode.
void setPositive(torch::nn::Module& m, double value) {
    torch::NoGradGuard noGrad;
    for (auto& item : m.named_parameters()) {
        const std::string& name = item.key();
        torch::Tensor& p = item.value();
        if (name.find("conv.weight") != std::string::npos) p.fill_(value);
        if (name.find("bn.weight") != std::string::npos) p.fill_(1.0);
        if (name.find("bn.bias") != std::string::npos) p.zero_();
    }
    for (auto& item : m.named_buffers()) {
        const std::string& name = item.key();
        torch::Tensor& b = item.value();
        if (name.find("running_mean") != std::string::npos) b.zero_();
        if (name.find("running_var") != std::string::npos) b.fill_(1.0);
    }
    m.eval();
}

// The non-zero positions of channel 0 of a [1, C, H, W] response.
torch::Tensor support(const torch::Tensor& y) {
    return y[0][0] != 0;
}

// A [1, c, size, size] impulse at the centre.
torch::Tensor impulse(int64_t c, int64_t size) {
    torch::Tensor x = torch::zeros({1, c, size, size});
    x.index_put_({0, torch::indexing::Slice(), size / 2, size / 2}, 1.0);
    return x;
}

// The square of Chebyshev radius r around the centre of a size × size map.
torch::Tensor square(int64_t size, int64_t r) {
    torch::Tensor m = torch::zeros({size, size}, torch::kBool);
    m.index_put_({torch::indexing::Slice(size / 2 - r, size / 2 + r + 1),
                  torch::indexing::Slice(size / 2 - r, size / 2 + r + 1)},
                 true);
    return m;
}

// Multiply-adds of the HRPM alone by the formula of docs/models/hrpvt.md, for an h × w input.
double formulaMacs(const HrpmConfig& c, const pvt::PvtV2Spec& spec, int64_t h, int64_t w) {
    const int64_t width = c.width == 0 ? spec.dims[0] : c.width;
    const int64_t hh = h / 4, ww = w / 4;
    double macs = 0;
    for (size_t s = 0; s < spec.dims.size(); ++s) {
        const int64_t stride = int64_t{4} << s;
        macs += static_cast<double>(spec.dims[s]) * width * (h / stride) * (w / stride);
    }
    if (c.fusion == PyramidFusion::Concat) macs += 4.0 * width * width * hh * ww;
    const bool layerWise = c.insertion == HrpmInsertion::LayerWise;
    const double ch = static_cast<double>(layerWise ? spec.dims[0] : width);
    const auto rates = static_cast<double>(c.rates.size());
    double block = rates * 9 * ch * ch * hh * ww + (rates + c.levels) * ch * ch * hh * ww;
    int64_t lh = hh, lw = ww;
    for (int64_t l = 0; l < c.levels; ++l) {
        lh = (lh + 1) / 2;
        lw = (lw + 1) / 2;
        block += 9 * ch * ch * lh * lw;
    }
    return macs + block * c.blocks * (layerWise ? spec.depths[0] : 1);
}

}  // namespace

TEST(Hrpm, StageWiseGivesTheStride4MapOnB0At256x192) {
    torch::NoGradGuard noGrad;
    const pvt::PvtV2Spec spec = pvt::pvtV2Spec("b0");
    for (PyramidFusion fusion : {PyramidFusion::Sum, PyramidFusion::Concat}) {
        auto root = std::make_shared<torch::nn::Module>();
        pvt::PvtV2Backbone backbone(*root, spec);
        HrpmConfig c;
        c.fusion = fusion;
        auto hrpm = root->register_module("hrpm", Hrpm(c, spec));
        hrpm->initialise();
        root->eval();
        const torch::Tensor out = hrpm->forward(backbone, torch::randn({2, 3, 256, 192}), nullptr);
        EXPECT_EQ(out.sizes(), (std::vector<int64_t>{2, 32, 64, 48})) << toString(fusion);
        EXPECT_TRUE(torch::isfinite(out).all().item<bool>());
    }
    // A wider fused map.
    auto root = std::make_shared<torch::nn::Module>();
    HrpmConfig c;
    c.width = 48;
    auto hrpm = root->register_module("hrpm", Hrpm(c, spec));
    root->eval();
    EXPECT_EQ(hrpm->forward(fakeMaps(spec, 256, 192)).sizes(), (std::vector<int64_t>{1, 48, 64, 48}));
}

TEST(Hrpm, LayerWiseGivesTheStride4MapOnB0At256x192AndStartsAsThePlainBackbone) {
    torch::NoGradGuard noGrad;
    const pvt::PvtV2Spec spec = pvt::pvtV2Spec("b0");
    auto root = std::make_shared<torch::nn::Module>();
    pvt::PvtV2Backbone backbone(*root, spec);
    HrpmConfig c;
    c.insertion = HrpmInsertion::LayerWise;
    auto hrpm = root->register_module("hrpm", Hrpm(c, spec));
    hrpm->initialise();
    root->eval();
    EXPECT_EQ(hrpm->hrpmBlocks().size(), 2u);  // b0's stage 1 has two blocks
    const torch::Tensor x = torch::randn({2, 3, 256, 192});
    const torch::Tensor out = hrpm->forward(backbone, x, nullptr);
    EXPECT_EQ(out.sizes(), (std::vector<int64_t>{2, 32, 64, 48}));

    // Initialised HRPM blocks are the identity, so the hooked backbone computes the plain one's maps.
    const std::vector<torch::Tensor> plain = backbone.forward(x, nullptr);
    const std::vector<torch::Tensor> hooked = backbone.forward(x, nullptr, hrpm->blockHook());
    ASSERT_EQ(hooked.size(), 4u);
    for (size_t s = 0; s < 4; ++s)
        EXPECT_TRUE(torch::allclose(plain[s], hooked[s], 1e-5, 1e-6)) << s;
    EXPECT_TRUE(torch::allclose(out, hrpm->forward(plain), 1e-5, 1e-6));

    // Once trained (here: random fuse weights), the hook changes stage 1 and everything after it.
    for (auto& b : hrpm->hrpmBlocks())
        b->fuse->bn->weight.fill_(1.0);
    const std::vector<torch::Tensor> changed = backbone.forward(x, nullptr, hrpm->blockHook());
    for (size_t s = 0; s < 4; ++s)
        EXPECT_FALSE(torch::allclose(plain[s], changed[s])) << s;
    // The stage-wise strategy has no hook.
    HrpmConfig stageWise;
    EXPECT_FALSE(Hrpm(stageWise, spec)->blockHook());
}

TEST(Hrpm, ZeroFuseMakesTheBlockTheIdentity) {
    torch::NoGradGuard noGrad;
    HrpmBlock block(32, Rates{1, 2, 5}, 2);
    // Arbitrary statistics everywhere except the fuse layer, whose conv is zero.
    for (auto& item : block->named_buffers())
        if (item.key().find("running_var") != std::string::npos) item.value().uniform_(0.5, 2.0);
    block->fuse->conv->weight.zero_();
    const torch::Tensor x = torch::randn({2, 32, 64, 48});
    block->eval();
    EXPECT_TRUE(torch::equal(block->forward(x), x));
    block->train();
    EXPECT_TRUE(torch::equal(block->forward(x), x));

    // initialise() gives the identity by zeroing fuse.bn's weight instead.
    HrpmBlock fresh(32, Rates{1, 2, 5}, 2);
    fresh->initialise();
    EXPECT_TRUE(fresh->fuse->conv->weight.abs().sum().item<double>() > 0);
    fresh->eval();
    EXPECT_TRUE(torch::equal(fresh->forward(x), x));
    fresh->train();
    EXPECT_TRUE(torch::equal(fresh->forward(x), x));
}

TEST(Hrpm, ReceptiveFieldIsTheSumOfTheDilationRates) {
    torch::NoGradGuard noGrad;
    const int64_t size = 41;
    // [1, 2, 5]: hierarchical 3×3 branches reach 1, 1+2, 1+2+5 = 8 pixels; HDC leaves no holes.
    HrpmBlock block(4, Rates{1, 2, 5}, 0);
    setPositive(*block, 0.1);
    const torch::Tensor y = block->forward(impulse(4, size));
    EXPECT_TRUE(torch::equal(support(y), square(size, 8)));
    // Each branch alone: the radius grows 1 → 3 → 8.
    torch::Tensor t = impulse(4, size);
    const int64_t radii[] = {1, 3, 8};
    for (size_t i = 0; i < 3; ++i) {
        t = torch::relu(block->branch[i]->as<ConvBnImpl>()->forward(t));
        EXPECT_TRUE(torch::equal(support(t), square(size, radii[i]))) << "branch " << i;
    }
    // Two blocks: radius 16.
    HrpmBlock second(4, Rates{1, 2, 5}, 0);
    setPositive(*second, 0.1);
    EXPECT_TRUE(torch::equal(support(second->forward(block->forward(impulse(4, size)))), square(size, 16)));

    // [2, 2, 2] breaks the HDC rule: radius 6, but only even offsets are reached (gridding).
    HrpmBlock gridded(4, Rates{2, 2, 2}, 0);
    setPositive(*gridded, 0.1);
    const torch::Tensor g = support(gridded->forward(impulse(4, size)));
    EXPECT_EQ(g.sum().item<int64_t>(), 7 * 7);
    EXPECT_TRUE(torch::equal(g & square(size, 6), g));
    EXPECT_FALSE(g[size / 2][size / 2 + 1].item<bool>());

    // The progressive levels only add context: the support strictly grows.
    HrpmBlock progressive(4, Rates{1, 2, 5}, 1);
    setPositive(*progressive, 0.1);
    const torch::Tensor p = support(progressive->forward(impulse(4, size)));
    EXPECT_TRUE(torch::equal(p & square(size, 8), square(size, 8)));
    EXPECT_GT(p.sum().item<int64_t>(), 17 * 17);
}

TEST(Hrpm, ParameterCountsFollowTheFormula) {
    for (const char* variant : {"b0", "b2"}) {
        const pvt::PvtV2Spec spec = pvt::pvtV2Spec(variant);
        for (HrpmInsertion insertion : {HrpmInsertion::StageWise, HrpmInsertion::LayerWise})
            for (PyramidFusion fusion : {PyramidFusion::Sum, PyramidFusion::Concat})
                for (int64_t levels : {0, 2})
                    for (int64_t blocks : {1, 2})
                        for (const Rates& rates : {Rates{1, 2, 5}, Rates{1, 2}}) {
                            HrpmConfig c;
                            c.insertion = insertion;
                            c.fusion = fusion;
                            c.levels = levels;
                            c.blocks = blocks;
                            c.rates = rates;
                            EXPECT_EQ(parameterCount(*Hrpm(c, spec)), hrpmParameters(c, spec))
                                << variant << " " << toString(insertion) << " " << toString(fusion) << " levels "
                                << levels << " blocks " << blocks << " rates " << rates.size();
                        }
    }
    EXPECT_EQ(parameterCount(*HrpmBlock(32, Rates{1, 2, 5}, 2)), hrpmBlockParameters(32, 3, 2));
    // The defaults (stage-wise, sum, [1, 2, 5], 2 levels, 1 block), as docs/models/hrpvt.md quotes them.
    EXPECT_EQ(hrpmParameters({}, pvt::pvtV2Spec("b0")), 68224);
    EXPECT_EQ(hrpmParameters({}, pvt::pvtV2Spec("b2")), 271616);
    HrpmConfig layerWise;
    layerWise.insertion = HrpmInsertion::LayerWise;
    EXPECT_EQ(hrpmParameters(layerWise, pvt::pvtV2Spec("b0")), 16640 + 2 * 51584);
    EXPECT_EQ(hrpmParameters(layerWise, pvt::pvtV2Spec("b2")), 66048 + 3 * 205568);
}

TEST(Hrpm, MultiplyAddsAt256x192FollowTheFormula) {
    torch::NoGradGuard noGrad;
    for (const char* variant : {"b0", "b2"}) {
        const pvt::PvtV2Spec spec = pvt::pvtV2Spec(variant);
        for (HrpmInsertion insertion : {HrpmInsertion::StageWise, HrpmInsertion::LayerWise})
            for (PyramidFusion fusion : {PyramidFusion::Sum, PyramidFusion::Concat}) {
                HrpmConfig c;
                c.insertion = insertion;
                c.fusion = fusion;
                Hrpm hrpm(c, spec);
                hrpm->eval();
                const std::vector<torch::Tensor> maps = fakeMaps(spec, 256, 192);
                const double macs = countFlops([&] {
                                        if (insertion == HrpmInsertion::LayerWise)
                                            for (size_t j = 0; j < static_cast<size_t>(spec.depths[0]); ++j)
                                                hrpm->afterBlock(j, maps[0].flatten(2).transpose(1, 2), 64, 48);
                                        hrpm->forward(maps);
                                    }).multiplyAdds;
                EXPECT_DOUBLE_EQ(macs, formulaMacs(c, spec, 256, 192));
                std::printf("HRPM %s %s %s: %.4f M parameters, %.4f GMAC at 256x192\n", variant,
                            toString(insertion).c_str(), toString(fusion).c_str(),
                            static_cast<double>(hrpmParameters(c, spec)) / 1e6, macs / 1e9);
            }
    }
}

TEST(Hrpm, StateDictKeysAreShortAndStable) {
    auto root = std::make_shared<torch::nn::Module>();
    HrpmConfig c;
    c.rates = {1, 2};
    c.levels = 1;
    c.fusion = PyramidFusion::Concat;
    root->register_module("hrpm", Hrpm(c, pvt::pvtV2Spec("b0")));
    std::set<std::string> keys;
    for (const auto& p : root->named_parameters())
        keys.insert(p.key());
    for (const auto& b : root->named_buffers())
        keys.insert(b.key());
    std::set<std::string> expected;
    const auto convBn = [&](const std::string& prefix) {
        expected.insert(prefix + ".conv.weight");
        for (const char* k : {"weight", "bias", "running_mean", "running_var", "num_batches_tracked"})
            expected.insert(prefix + ".bn." + k);
    };
    for (int s = 0; s < 4; ++s)
        convBn("hrpm.lateral." + std::to_string(s));
    convBn("hrpm.merge");
    convBn("hrpm.blocks.0.branch.0");
    convBn("hrpm.blocks.0.branch.1");
    convBn("hrpm.blocks.0.down.0");
    convBn("hrpm.blocks.0.fuse");
    EXPECT_EQ(keys, expected);
}

TEST(Hrpm, InvalidSettingsThrow) {
    const pvt::PvtV2Spec b0 = pvt::pvtV2Spec("b0");
    const auto bad = [&](auto edit) {
        HrpmConfig c;
        edit(c);
        return c;
    };
    EXPECT_THROW(Hrpm(bad([](HrpmConfig& c) { c.rates = {}; }), b0), ConfigError);
    EXPECT_THROW(Hrpm(bad([](HrpmConfig& c) { c.rates = {1, 0, 5}; }), b0), ConfigError);
    EXPECT_THROW(Hrpm(bad([](HrpmConfig& c) { c.levels = -1; }), b0), ConfigError);
    EXPECT_THROW(Hrpm(bad([](HrpmConfig& c) { c.blocks = 0; }), b0), ConfigError);
    EXPECT_THROW(Hrpm(bad([](HrpmConfig& c) { c.width = -8; }), b0), ConfigError);
    EXPECT_THROW(Hrpm(bad([](HrpmConfig& c) {
                          c.insertion = HrpmInsertion::LayerWise;
                          c.width = 64;  // stage 1 of b0 is 32 wide
                      }),
                      b0),
                 ConfigError);
    EXPECT_NO_THROW(Hrpm(bad([](HrpmConfig& c) {
                             c.insertion = HrpmInsertion::LayerWise;
                             c.width = 32;
                         }),
                         b0));
    EXPECT_THROW(Hrpm(HrpmConfig{}, pvt::PvtV2Spec{}), ConfigError);
    EXPECT_THROW(hrpmParameters(bad([](HrpmConfig& c) { c.blocks = 0; }), b0), ConfigError);
    EXPECT_THROW(HrpmBlock(0, Rates{1}, 0), ConfigError);
    EXPECT_THROW(parseHrpmInsertion("block-wise"), ConfigError);
    EXPECT_THROW(parsePyramidFusion("max"), ConfigError);
    EXPECT_EQ(parseHrpmInsertion("Layer_Wise"), HrpmInsertion::LayerWise);
    EXPECT_EQ(parseHrpmInsertion("stage-wise"), HrpmInsertion::StageWise);
    EXPECT_EQ(parsePyramidFusion("concat"), PyramidFusion::Concat);

    // Wrong inputs at forward time.
    torch::NoGradGuard noGrad;
    Hrpm hrpm(HrpmConfig{}, b0);
    hrpm->eval();
    std::vector<torch::Tensor> maps = fakeMaps(b0, 256, 192);
    EXPECT_THROW(hrpm->forward(std::vector<torch::Tensor>(maps.begin(), maps.begin() + 3)), ModelError);
    maps[2] = torch::randn({1, 7, 16, 12});
    EXPECT_THROW(hrpm->forward(maps), ModelError);
    EXPECT_THROW(hrpm->afterBlock(0, torch::randn({1, 3072, 32}), 64, 48), ModelError);  // stage-wise
    EXPECT_THROW(HrpmBlock(8, Rates{1}, 0)->forward(torch::randn({1, 4, 9, 9})), ModelError);
    auto root = std::make_shared<torch::nn::Module>();
    pvt::PvtV2Backbone b2(*root, pvt::pvtV2Spec("b2"));
    EXPECT_THROW(hrpm->forward(b2, torch::randn({1, 3, 64, 64}), nullptr), ModelError);
    HrpmConfig layerWise;
    layerWise.insertion = HrpmInsertion::LayerWise;
    Hrpm lw(layerWise, b0);
    EXPECT_THROW(lw->afterBlock(2, torch::randn({1, 3072, 32}), 64, 48), ModelError);  // b0 has 2 blocks
    EXPECT_THROW(lw->afterBlock(0, torch::randn({1, 3072, 16}), 64, 48), ModelError);
}
