// HRPVT's High-Resolution Pyramid Module (HRPM; arXiv 2410.22079), private to models/. The paper's
// internals are not public: what is known and what is chosen here is in docs/models/hrpvt.md.
//
//   auto root = std::make_shared<torch::nn::Module>();
//   const pvt::PvtV2Spec spec = pvt::pvtV2Spec("b2");
//   pvt::PvtV2Backbone backbone(*root, spec);                        // patch_embed1…, block1.0…, norm4
//   HrpmConfig c;                                                    // stage-wise, sum fusion, [1, 2, 5]
//   auto hrpm = root->register_module("hrpm", Hrpm(c, spec));
//   hrpm->initialise();                                              // every HRPM block starts as identity
//   torch::Tensor hr = hrpm->forward(backbone, image, observer);     // [N, width, H/4, W/4] → SimCC head
//
// Structure (names are the state-dict keys under the module's own name):
//   lateral.{s}   ConvBn 1×1, stage s's C_s → width (s from 0), per stage; bilinearly upsampled
//                 (align_corners false) to stage 1's size and summed (Sum) or concatenated and merged
//                 by `merge`, ConvBn 1×1 4·width → width (Concat). No activation: fusion is linear.
//   blocks.{k}    HrpmBlock, in forward order. Stage-wise: k < blocks, after the fusion. Layer-wise:
//                 k = j·blocks + b, the b-th HRPM after PVT v2 stage 1's block j, on its tokens
//                 (width = C_1), before the stage norm; the fusion then follows as for stage-wise.
//   HrpmBlock:    branch.{i}  ConvBn 3×3 dilation r_i (padding r_i) + ReLU, hierarchical: branch i
//                             sees branch i−1's output (branch 0 sees the input);
//                 down.{l}    ConvBn 3×3 stride 2 + ReLU on the previous level (level 0 = the last
//                             branch's output): a small pyramid at 1/2, 1/4, … of the map, each
//                             bilinearly upsampled back;
//                 fuse        ConvBn 1×1 over the concatenation of all branch and level outputs
//                             ((R + L)·C → C), added to the input: out = x + fuse(…), no activation.
//   ConvBn:       conv (no bias) and bn (BatchNorm2d, eps 1e-5, momentum 0.1).
//
// Parameters: ConvBn(i, o, k) = i·o·k² + 2o. HrpmBlock(C, R rates, L levels) = (R + L)(9C² + 2C)
// + (R + L)C² + 2C. Fusion = Σ_s (C_s·W + 2W) (+ 4W² + 2W for Concat). Stage-wise adds blocks ×
// HrpmBlock(W); layer-wise adds depth_1 × blocks × HrpmBlock(C_1).
// Receptive field of one HrpmBlock without levels: radius Σ r_i (3×3 kernels), a full square when
// the rates satisfy the hybrid-dilated-convolution rule (e.g. [1, 2, 5]: 17×17).
//
// Errors: ConfigError (model_config.h) from the constructors for an invalid configuration (empty or
// non-positive rates, blocks < 1, levels < 0, width < 0, a layer-wise width other than C_1, a spec
// without stages); ModelError (pose_model.h) from forward for maps of the wrong number, rank or
// channels. Thread-safety: forward only reads the modules (in eval mode), so concurrent calls are
// safe once loaded; initialise() and training are not.
#pragma once

#include "pvt/pvt_v2.h"

#include <torch/torch.h>

#include <string>
#include <vector>

namespace posescope::models::hrpvt {

/// Where the HRPM blocks go (the paper's two strategies; their exact placement is our choice).
enum class HrpmInsertion {
    StageWise,  // `blocks` HRPM blocks once, on the fused stride-4 map
    LayerWise,  // `blocks` HRPM blocks after every transformer block of PVT v2 stage 1
};

/// How the four stage maps become one stride-4 map.
enum class PyramidFusion {
    Sum,     // 1×1 ConvBn per stage to `width`, upsample, add
    Concat,  // 1×1 ConvBn per stage to `width`, upsample, concatenate, 1×1 ConvBn to `width`
};

struct HrpmConfig {
    int64_t width = 0;                       // C_hr of the fused map; 0 = stage 1's width (C_1)
    std::vector<int64_t> rates = {1, 2, 5};  // dilation of each hierarchical 3×3 branch
    int64_t levels = 2;                      // progressive stride-2 downsamplings per block (0 = none)
    int64_t blocks = 1;                      // HRPM blocks per insertion point
    HrpmInsertion insertion = HrpmInsertion::StageWise;
    PyramidFusion fusion = PyramidFusion::Sum;
};

/// "stage-wise" / "layer-wise" (also with '_' or no separator, any case); ConfigError otherwise.
HrpmInsertion parseHrpmInsertion(const std::string& text);
/// "sum" / "concat"; ConfigError otherwise.
PyramidFusion parsePyramidFusion(const std::string& text);
std::string toString(HrpmInsertion insertion);
std::string toString(PyramidFusion fusion);

/// Conv2d (no bias) → BatchNorm2d; registered as "conv" and "bn".
class ConvBnImpl : public torch::nn::Module {
public:
    ConvBnImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1, int64_t dilation = 1);
    torch::Tensor forward(const torch::Tensor& x);
    torch::nn::Conv2d conv{nullptr};
    torch::nn::BatchNorm2d bn{nullptr};
};
TORCH_MODULE(ConvBn);

/// One HRPM block on [N, C, H, W] → [N, C, H, W] (structure above).
class HrpmBlockImpl : public torch::nn::Module {
public:
    HrpmBlockImpl(int64_t channels, const std::vector<int64_t>& rates, int64_t levels);
    torch::Tensor forward(const torch::Tensor& x);
    /// Kaiming-normal (fan_out, ReLU) convolutions, BN (1, 0), and fuse.bn's weight 0: the block
    /// starts as the identity.
    void initialise();
    torch::nn::ModuleList branch, down;
    ConvBn fuse{nullptr};
    int64_t channels() const { return m_channels; }

private:
    int64_t m_channels;
};
TORCH_MODULE(HrpmBlock);

class HrpmImpl : public torch::nn::Module {
public:
    /// `spec` gives the stage widths (and stage 1's depth for layer-wise insertion).
    HrpmImpl(const HrpmConfig& config, const pvt::PvtV2Spec& spec);

    /// Runs `backbone` (with the layer-wise blocks hooked into stage 1) and fuses its maps:
    /// image [N, 3, H, W] → [N, width, H/4, W/4].
    torch::Tensor forward(pvt::PvtV2Backbone& backbone, const torch::Tensor& image, TraceObserver* observer);
    /// The stage maps (as PvtV2Backbone returns them, layer-wise blocks already applied) → fused
    /// map, then the stage-wise blocks.
    torch::Tensor forward(const std::vector<torch::Tensor>& maps);
    /// The hook that applies the layer-wise blocks (empty for stage-wise insertion).
    pvt::BlockHook blockHook();
    /// The layer-wise blocks after stage-1 block `block` on its tokens [N, h·w, C_1] (contiguous).
    torch::Tensor afterBlock(size_t block, const torch::Tensor& tokens, int64_t h, int64_t w);

    /// Every block's initialise(); laterals and merge Kaiming-normal (fan_out), BN (1, 0).
    void initialise();

    const HrpmConfig& config() const { return m_config; }
    int64_t width() const { return m_width; }
    std::vector<HrpmBlock> hrpmBlocks() const { return m_blocks; }

private:
    HrpmConfig m_config;
    std::vector<int64_t> m_stageDims;
    int64_t m_width = 0;
    std::vector<ConvBn> m_laterals;
    ConvBn m_merge{nullptr};
    std::vector<HrpmBlock> m_blocks;
};
TORCH_MODULE(Hrpm);

/// Parameter counts by the formulas above (the tests check them against the modules).
int64_t hrpmBlockParameters(int64_t channels, int64_t rates, int64_t levels);
int64_t hrpmParameters(const HrpmConfig& config, const pvt::PvtV2Spec& spec);

}  // namespace posescope::models::hrpvt
