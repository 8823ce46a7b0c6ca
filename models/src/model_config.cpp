// ModelConfig: yacs-style YAML read with yaml-cpp, flattened to dotted keys; the built-in presets.
#include "posescope/models/model_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

namespace posescope::models {
namespace {

using Value = detail::ConfigValue;

// ---------------------------------------------------------------------------------------------
// Built-in presets. Each is a yacs YAML text holding the MODEL section of the official TransPose
// experiment file (github:yangsenius/TransPose, experiments/coco/transpose_{r,h}/), the keys of
// DATASET and TEST that inference and evaluation read, and — marked "default" — the values of
// lib/config/default.py for keys the experiment file leaves out.

// The TransPose-R experiment files differ only in ENCODER_LAYERS; {LAYERS} and {CHECKPOINT} are
// filled in.
const char* const kTransposeR =
    R"(# TransPose-R-A{LAYERS}: ResNet-S (ResNet-50 stem, layer1, layer2; stride 8), one deconv and a 1x1
# head, {LAYERS} encoder layers of width 256 with 8 heads and FFN 1024. The values of the official
# experiments/coco/transpose_r/TP_R_256x192_d256_h1024_enc{LAYERS}_mh8.yaml.
MODEL:
  NAME: transpose_r
  INIT_WEIGHTS: true           # default
  PRETRAINED: models/pytorch/imagenet/resnet50-19c8e357.pth
  NUM_JOINTS: 17
  TAG_PER_JOINT: true          # default
  TARGET_TYPE: gaussian
  IMAGE_SIZE: [192, 256]       # width, height
  HEATMAP_SIZE: [48, 64]
  SIGMA: 2
  # Transformer encoder
  BOTTLENECK_NUM: 0            # default
  DIM_MODEL: 256
  DIM_FEEDFORWARD: 1024
  N_HEAD: 8
  ENCODER_LAYERS: {LAYERS}
  ATTENTION_ACTIVATION: relu
  POS_EMBEDDING: sine          # the default is learnable
  INTERMEDIATE_SUP: false      # default
  PE_ONLY_AT_BEGIN: false      # default
  EXTRA:
    FINAL_CONV_KERNEL: 1
    DECONV_WITH_BIAS: false
    NUM_DECONV_LAYERS: 1
    NUM_DECONV_FILTERS: [256]
    NUM_DECONV_KERNELS: [4]
    NUM_LAYERS: 50
{COMMON})";

// MODEL.EXTRA of an HRNet-W{W} cut after stage 3 (TransPose-H, TokenPose-B/L): filled into the
// templates below as {HRNET}, then {W}, {2W} and {4W} are filled.
const char* const kHrnetStages = R"(  EXTRA:
    PRETRAINED_LAYERS: [conv1, bn1, conv2, bn2, layer1, transition1, stage2, transition2, stage3]
    FINAL_CONV_KERNEL: 1
    STAGE2:
      NUM_MODULES: 1
      NUM_BRANCHES: 2
      BLOCK: BASIC
      NUM_BLOCKS: [4, 4]
      NUM_CHANNELS: [{W}, {2W}]
      FUSE_METHOD: SUM
    STAGE3:
      NUM_MODULES: 4
      NUM_BRANCHES: 3
      BLOCK: BASIC
      NUM_BLOCKS: [4, 4, 4]
      NUM_CHANNELS: [{W}, {2W}, {4W}]
      FUSE_METHOD: SUM)";

// The TransPose-H experiment files differ in the HRNet width W, the encoder and the weights.
const char* const kTransposeH =
    R"(# TransPose-H-{VARIANT}: HRNet-S-W{W} (stem and stages 1 to 3, highest-resolution branch; stride 4),
# a 1x1 head, {LAYERS} encoder layers of width {D} with 1 head and FFN {FFN}. The values of the official
# experiments/coco/transpose_h/{EXPERIMENT}.
MODEL:
  NAME: transpose_h
  INIT_WEIGHTS: true
  PRETRAINED: models/pytorch/imagenet/{BACKBONE}
  NUM_JOINTS: 17
  TAG_PER_JOINT: true          # default
  TARGET_TYPE: gaussian
  IMAGE_SIZE: [192, 256]       # width, height
  HEATMAP_SIZE: [48, 64]
  SIGMA: 2
  # Transformer encoder
  BOTTLENECK_NUM: 0            # default
  DIM_MODEL: {D}
  DIM_FEEDFORWARD: {FFN}
  N_HEAD: 1
  ENCODER_LAYERS: {LAYERS}
  ATTENTION_ACTIVATION: relu
  POS_EMBEDDING: sine          # the default is learnable
  INTERMEDIATE_SUP: false      # default
  PE_ONLY_AT_BEGIN: false      # default
{HRNET}
{COMMON})";

// DATASET and TEST as every TransPose experiment file sets them for COCO val2017.
const char* const kTransposeCommon = R"(DATASET:
  DATASET: coco
  TEST_SET: val2017
  DATA_FORMAT: jpg
  COLOR_RGB: true
  FLIP: true
  SELECT_DATA: false           # default
TEST:
  MODEL_FILE: models/pytorch/transpose_coco/{CHECKPOINT}
  FLIP_TEST: true
  SHIFT_HEATMAP: true
  POST_PROCESS: true
  BLUR_KERNEL: 11
  USE_GT_BBOX: true
  BBOX_THRE: 1.0
  IMAGE_THRE: 0.0
  IN_VIS_THRE: 0.2
  NMS_THRE: 1.0
  OKS_THRE: 0.9
  SOFT_NMS: false              # default
)";

// BTranspose: the official code (github:kaushikb258/BTranspose pose/lib/models/transpose_r.py)
// hard-codes its backbone and reads only the head from its YAML (whose MODEL.NAME is transpose_r).
// The presets name the paper's variants with MODEL.NAME btranspose and PoseScope's MODEL.EXTRA
// BOT_* keys; the rest are the values of its experiments/coco/transpose_r/ files and of the code
// (learnable position embedding in the first encoder layer only; flip test without shift).
const char* const kBTranspose =
    R"(# BTranspose {VARIANT}: {DESCRIPTION}; {LAYERS} encoder layers of width 256 with 8 heads and FFN 1024,
# one deconvolution and a 1x1 head.
MODEL:
  NAME: btranspose
  INIT_WEIGHTS: true
  PRETRAINED: ''               # BTranspose's DINO checkpoint (its teacher weights), if any
  NUM_JOINTS: 17
  TARGET_TYPE: gaussian
  IMAGE_SIZE: [192, 256]       # width, height (the MHSA's position parameters fix it)
  HEATMAP_SIZE: [48, 64]
  SIGMA: 2
  DIM_MODEL: 256
  DIM_FEEDFORWARD: 1024
  N_HEAD: 8
  ENCODER_LAYERS: {LAYERS}
  ATTENTION_ACTIVATION: relu
  POS_EMBEDDING: learnable
  PE_ONLY_AT_BEGIN: true       # as the code builds its encoder
  EXTRA:
    FINAL_CONV_KERNEL: 1
    DECONV_WITH_BIAS: false
    NUM_DECONV_LAYERS: 1
    NUM_DECONV_FILTERS: [256]
    NUM_DECONV_KERNELS: [4]
    NUM_LAYERS: 50
    BOT_PLANES: [{PLANES}]     # PoseScope: each bottleneck group's width (the second has stride 2)
    BOT_BLOCKS: [{BLOCKS}]     # PoseScope: blocks per group (ResNet-50's)
    MHSA_GROUPS: {MHSA}        # PoseScope: the last groups are BoT (MHSA) groups
    MHSA_HEADS: {HEADS}        # PoseScope: the BoT MHSA's heads
DATASET:
  DATASET: coco
  TEST_SET: val2017
  DATA_FORMAT: jpg
  COLOR_RGB: true
  FLIP: true
TRAIN:
  BATCH_SIZE_PER_GPU: 16
  END_EPOCH: 230
  OPTIMIZER: adam
  LR: 0.0001
  LR_END: 0.00001              # the code anneals with a cosine (its MultiStepLR is commented out)
  WD: 0.0001
TEST:
  FLIP_TEST: true
  SHIFT_HEATMAP: false         # the YAML says true; the code does not shift
  POST_PROCESS: true
  BLUR_KERNEL: 11
  USE_GT_BBOX: true
  IN_VIS_THRE: 0.2
  OKS_THRE: 0.9
)";

/// `text` with every {NAME} replaced by its value.
std::string fill(std::string text, const std::vector<std::pair<std::string, std::string>>& values) {
    for (const auto& [name, value] : values) {
        const std::string placeholder = "{" + name + "}";
        for (auto at = text.find(placeholder); at != std::string::npos; at = text.find(placeholder, at + value.size()))
            text.replace(at, placeholder.size(), value);
    }
    return text;
}

std::string transposeR(int layers, const std::string& checkpoint) {
    return fill(kTransposeR,
                {{"COMMON", kTransposeCommon}, {"LAYERS", std::to_string(layers)}, {"CHECKPOINT", checkpoint}});
}

std::string transposeH(const std::string& variant, int width, int dModel, int ffn, int layers,
                       const std::string& backbone, const std::string& experiment, const std::string& checkpoint) {
    return fill(kTransposeH, {{"HRNET", kHrnetStages},
                              {"COMMON", kTransposeCommon},
                              {"VARIANT", variant},
                              {"W", std::to_string(width)},
                              {"2W", std::to_string(2 * width)},
                              {"4W", std::to_string(4 * width)},
                              {"D", std::to_string(dModel)},
                              {"FFN", std::to_string(ffn)},
                              {"LAYERS", std::to_string(layers)},
                              {"BACKBONE", backbone},
                              {"EXPERIMENT", experiment},
                              {"CHECKPOINT", checkpoint}});
}

// TokenPose and PPT: the MODEL section of the official experiment files
// (github:leeyegy/TokenPose experiments/{coco,mpii}/tokenpose/, github:HowieMa/PPT
// single-view-PPT/experiments/coco/{ppt,tokenpose}/), with BASE_CHANNEL, HIDDEN_HEATMAP_DIM and
// PRUNING_RATIO at their lib/config/default.py values where a file leaves them out. The HRNet
// stages are those of the HRNet-W{W} the B and L models cut their patches from (S and T carry the
// same EXTRA section, unread, as their files do).
const char* const kTokenPose =
    R"(# {TITLE}. The values of the official {EXPERIMENT}.
MODEL:
  NAME: {NAME}
  INIT_WEIGHTS: true
  PRETRAINED: '{BACKBONE}'
  NUM_JOINTS: {JOINTS}
  TARGET_TYPE: gaussian
  IMAGE_SIZE: [{IW}, {IH}]     # width, height
  HEATMAP_SIZE: [{HW}, {HH}]
  SIGMA: {SIGMA}
  PATCH_SIZE: [{PW}, {PH}]     # width, height
  BASE_CHANNEL: {CHANNELS}     # the patches' channels (T: pixels; B, L: HRNet branch 0)
  HIDDEN_HEATMAP_DIM: {HIDDEN} # read by L only
  DIM: 192
  TRANSFORMER_DEPTH: {DEPTH}   # per encoder (L has three)
  TRANSFORMER_HEADS: {HEADS}
  TRANSFORMER_MLP_RATIO: 3
  POS_EMBEDDING_TYPE: sine-full
  INIT: true
  PRUNING: {PRUNING}           # PPT
  PRUNING_RATIO: {RATIO}       # PPT: visual tokens kept at each pruning layer (1: none pruned)
  PRUNING_LOC: [3, 6, 9]       # PoseScope: the 0-based layers that prune (the official Transformer's pruning_loc)
{HRNET}
DATASET:
  DATASET: {DATASET}
  TEST_SET: {TESTSET}
  DATA_FORMAT: jpg
  COLOR_RGB: true
  FLIP: true
TRAIN:
  BATCH_SIZE_PER_GPU: 32
  END_EPOCH: 300
  OPTIMIZER: adam
  LR: 0.001
  LR_FACTOR: 0.1
  LR_STEP: [200, 260]
  WD: 0.0001
TEST:
  MODEL_FILE: '{CHECKPOINT}'
  FLIP_TEST: true
  SHIFT_HEATMAP: false         # default
  POST_PROCESS: true
  BLUR_KERNEL: 11
  USE_GT_BBOX: true
)";

struct TokenPoseVariant {
    std::string title, experiment, name, backbone, checkpoint;
    int width = 32, channels = 32, depth = 12, heads = 8, patchW = 3, patchH = 4, hidden = -1;
    double ratio = 1.0;
    bool mpii = false, large = false;
};

std::string tokenpose(const TokenPoseVariant& v) {
    const int iw = v.mpii ? 256 : v.large ? 288 : 192, ih = v.mpii ? 256 : v.large ? 384 : 256;
    return fill(kTokenPose, {{"HRNET", kHrnetStages},
                             {"TITLE", v.title},
                             {"EXPERIMENT", v.experiment},
                             {"NAME", v.name},
                             {"BACKBONE", v.backbone},
                             {"CHECKPOINT", v.checkpoint},
                             {"JOINTS", v.mpii ? "16" : "17"},
                             {"IW", std::to_string(iw)},
                             {"IH", std::to_string(ih)},
                             {"HW", std::to_string(iw / 4)},
                             {"HH", std::to_string(ih / 4)},
                             {"SIGMA", v.large ? "3" : "2"},
                             {"PW", std::to_string(v.patchW)},
                             {"PH", std::to_string(v.patchH)},
                             {"CHANNELS", std::to_string(v.channels)},
                             {"HIDDEN", std::to_string(v.hidden)},
                             {"DEPTH", std::to_string(v.depth)},
                             {"HEADS", std::to_string(v.heads)},
                             {"PRUNING", v.ratio < 1 ? "true" : "false"},
                             {"RATIO", v.ratio < 1 ? "0.7" : "1.0"},
                             {"W", std::to_string(v.width)},
                             {"2W", std::to_string(2 * v.width)},
                             {"4W", std::to_string(4 * v.width)},
                             {"DATASET", v.mpii ? "mpii" : "coco"},
                             {"TESTSET", v.mpii ? "valid" : "val2017"}});
}

std::string btranspose(const std::string& variant, const std::string& description, const std::string& planes,
                       const std::string& blocks, int mhsaGroups, int heads, int layers) {
    return fill(kBTranspose, {{"VARIANT", variant},
                              {"DESCRIPTION", description},
                              {"PLANES", planes},
                              {"BLOCKS", blocks},
                              {"MHSA", std::to_string(mhsaGroups)},
                              {"HEADS", std::to_string(heads)},
                              {"LAYERS", std::to_string(layers)}});
}

// HRPVT has no public code or configuration: MODEL.NAME hrpvt and every key below are PoseScope's
// (docs/models/hrpvt.md gives each choice). SimCC as mmpose's simcc_res50 256x192 recipe.
const char* const kHrpvt =
    R"(# HRPVT {VARIANT}: PVT v2-{PVT} backbone, {INSERTION} High-Resolution Pyramid Module, SimCC head
MODEL:
  NAME: hrpvt
  INIT_WEIGHTS: true
  PRETRAINED: 'pvt_v2_{PVT}.pth'  # ImageNet backbone (train --init … --init-prefix patch_embed,block,norm)
  NUM_JOINTS: 17
  IMAGE_SIZE: [192, 256]       # width, height (the SimCC head's Linears fix it)
  HEATMAP_SIZE: [48, 64]       # the stride-4 grid the SimCC distributions are shown on
  EXTRA:
    PVT: {PVT}                 # b0 ... b5, b2-li; PVT_DIMS/PVT_DEPTHS/PVT_HEADS/PVT_MLP_RATIOS/PVT_SR_RATIOS override
    HRPM_WIDTH: 0              # 0: stage 1's width
    HRPM_RATES: [1, 2, 5]      # hybrid dilated convolutions
    HRPM_LEVELS: 2             # progressive stride-2 downsamplings per block
    HRPM_BLOCKS: 1
    HRPM_INSERTION: {INSERTION}  # stage-wise or layer-wise
    HRPM_FUSION: sum           # sum or concat
    SIMCC_SPLIT_RATIO: 2.0
    SIMCC_SIGMA_X: 6.0
    SIMCC_SIGMA_Y: 6.0
    SIMCC_BETA: 1.0
    SIMCC_LABEL_SOFTMAX: false
    SIMCC_NORMALIZE: false
DATASET:
  DATASET: coco
  TEST_SET: val2017
  DATA_FORMAT: jpg
  COLOR_RGB: true
  FLIP: true
TRAIN:                         # PoseScope's choice (no official recipe): Adam with a cosine schedule
  BATCH_SIZE_PER_GPU: 32
  END_EPOCH: 210
  OPTIMIZER: adam
  LR: 0.0005
  LR_END: 0.000005
TEST:
  FLIP_TEST: true
  IN_VIS_THRE: 0.2
  OKS_THRE: 0.9
)";

std::string hrpvt(const std::string& variant, const std::string& pvtVariant, const std::string& insertion) {
    return fill(kHrpvt, {{"VARIANT", variant}, {"PVT", pvtVariant}, {"INSERTION", insertion}});
}

const char* const kTokenPoseDir = "experiments/coco/tokenpose/";
const char* const kPptDir = "single-view-PPT/experiments/coco/ppt/";

struct Preset {
    const char* name;
    std::string (*text)();
};

// The checkpoint names are those of the released weights (README, release tag "Hub"); the official
// R-A3 experiment file points at a training output folder instead.
const Preset kPresets[] = {
    {"transpose-r-a3", [] { return transposeR(3, "tp_r_256x192_enc3_d256_h1024_mh8.pth"); }},
    {"transpose-r-a4", [] { return transposeR(4, "tp_r_256x192_enc4_d256_h1024_mh8.pth"); }},
    {"transpose-h-s",
     [] {
         return transposeH("S", 32, 64, 128, 4, "hrnet_w32-36af842e.pth",
                           "TP_H_w32_256x192_stage3_1_4_d64_h128_relu_enc4_mh1.yaml",
                           "tp_h_32_256x192_enc4_d64_h128_mh1.pth");
     }},
    {"transpose-h-a4",
     [] {
         return transposeH("A4", 48, 96, 192, 4, "hrnet_w48-8ef0771d.pth",
                           "TP_H_w48_256x192_stage3_1_4_d96_h192_relu_enc4_mh1.yaml",
                           "tp_h_48_256x192_enc4_d96_h192_mh1.pth");
     }},
    {"transpose-h-a6",
     [] {
         return transposeH("A6", 48, 96, 192, 6, "hrnet_w48-8ef0771d.pth",
                           "TP_H_w48_256x192_stage3_1_4_d96_h192_relu_enc6_mh1.yaml",
                           "tp_h_48_256x192_enc6_d96_h192_mh1.pth");
     }},
    // BTranspose (no released weights), the variants of its paper's tables.
    {"btranspose-c2a1",
     [] {
         return btranspose("C2A1(4)",
                           "stem, bottleneck groups of width 64 and 96, one BoT group of width 128 (4 heads)",
                           "64, 96, 128", "3, 4, 6", 1, 4, 4);
     }},
    {"btranspose-c2a2",
     [] {
         return btranspose("C2A2(4)",
                           "stem, bottleneck groups of width 64 and 96, BoT groups of width 128 and 256 (4 heads)",
                           "64, 96, 128, 256", "3, 4, 6, 3", 2, 4, 4);
     }},
    {"btranspose-c3a1",
     [] {
         return btranspose("C3A1(4)",
                           "stem, bottleneck groups of width 64, 96 and 128, one BoT group of width 256 (4 heads)",
                           "64, 96, 128, 256", "3, 4, 6, 3", 1, 4, 4);
     }},
    {"btranspose-c3a1-h8",
     [] {
         return btranspose("C3A1(8)",
                           "stem, bottleneck groups of width 64, 96 and 128, one BoT group of width 256 (8 heads)",
                           "64, 96, 128, 256", "3, 4, 6, 3", 1, 8, 4);
     }},
    {"btranspose-c3a1-n6",
     [] {
         return btranspose("C3A1(4)-N6", "C3A1(4) with 6 encoder layers", "64, 96, 128, 256", "3, 4, 6, 3", 1, 4, 6);
     }},
    {"btranspose-c3a1-large",
     [] {
         return btranspose("C3A1(4)-Large",
                           "ResNet-50 widths: bottleneck groups of width 64, 128 and 256, one BoT group of width 512 "
                           "(4 heads), as the code builds it",
                           "64, 128, 256, 512", "3, 4, 6, 3", 1, 4, 4);
     }},
    {"hrpvt-b0", [] { return hrpvt("b0", "b0", "stage-wise"); }},
    {"hrpvt-b2", [] { return hrpvt("b2", "b2", "stage-wise"); }},
    {"hrpvt-b2-layerwise", [] { return hrpvt("b2 layer-wise", "b2", "layer-wise"); }},
    // TokenPose (no released weights: the checkpoint names are left empty) and PPT (the released
    // single-view models).
    {"tokenpose-t",
     [] {
         return tokenpose({"TokenPose-T: raw pixels cut into 12x16 patches, 12 layers, 16 heads",
                           std::string(kTokenPoseDir) + "tokenpose_t_256_192_patch1612_dim192_depth12_heads16.yaml",
                           "pose_tokenpose_t", "", "", 32, 3, 12, 16, 12, 16});
     }},
    {"tokenpose-s-v1",
     [] {
         return tokenpose({"TokenPose-S-v1: conv stem + layer1 (stride 4), 3x4 patches, 12 layers, 8 heads",
                           std::string(kTokenPoseDir) + "tokenpose_s_v1_256_192_patch43_dim192_depth12_heads8.yaml",
                           "pose_tokenpose_s", "", "", 32, 32, 12, 8, 3, 4});
     }},
    {"tokenpose-s-v2",
     [] {
         return tokenpose({"TokenPose-S-v2: conv stem + layer1 (stride 4), 2x2 patches, 12 layers, 8 heads",
                           std::string(kTokenPoseDir) + "tokenpose_s_v2_256_192_patch22_dim192_depth12_heads8.yaml",
                           "pose_tokenpose_s", "", "", 32, 32, 12, 8, 2, 2});
     }},
    {"tokenpose-b",
     [] {
         return tokenpose({"TokenPose-B: HRNet-W32 stages 1-3, 3x4 patches, 12 layers, 8 heads",
                           std::string(kTokenPoseDir) + "tokenpose_b_256_192_patch43_dim192_depth12_heads8.yaml",
                           "pose_tokenpose_b", "hrnet_w32-36af842e.pth", "", 32, 32, 12, 8, 3, 4});
     }},
    {"tokenpose-l-d6",
     [] {
         return tokenpose(
             {"TokenPose-L/D6: HRNet-W48 stages 1-3, 4x4 patches, three encoders of 2 layers whose "
              "keypoint tokens are concatenated (MPII, 256x256)",
              "experiments/mpii/tokenpose/tokenpose_l_D6_256x256_patch44_dim192_depth6.yaml", "pose_tokenpose_l",
              "hrnet_w48-8ef0771d.pth", "", 48, 48, 2, 8, 4, 4, 384, 1.0, true});
     }},
    {"tokenpose-l-d24",
     [] {
         return tokenpose(
             {"TokenPose-L/D24: HRNet-W48 stages 1-3, 3x4 patches, three encoders of 8 layers whose "
              "keypoint tokens are concatenated",
              std::string(kTokenPoseDir) + "tokenpose_L_D24_256_192_patch43_dim192_depth24_heads12.yaml",
              "pose_tokenpose_l", "hrnet_w48-8ef0771d.pth", "", 48, 48, 8, 12, 3, 4, 384});
     }},
    {"ppt-s",
     [] {
         return tokenpose({"PPT-S: TokenPose-S-v1 keeping 70% of the visual tokens after layers 4, 7 and 10",
                           std::string(kPptDir) + "ppt_s_v1_256_192_patch43_dim192_depth12_heads8.yaml",
                           "pose_tokenpose_s", "", "ppt_s_256x192_ratio07.pth", 32, 32, 12, 8, 3, 4, -1, 0.7});
     }},
    {"ppt-b",
     [] {
         return tokenpose({"PPT-B: TokenPose-B keeping 70% of the visual tokens after layers 4, 7 and 10",
                           std::string(kPptDir) + "ppt_b_256_192_patch43_dim192_depth12_heads8.yaml",
                           "pose_tokenpose_b", "hrnet_w32-36af842e.pth", "ppt_b_256x192_ratio07.pth", 32, 32, 12, 8, 3,
                           4, -1, 0.7});
     }},
    {"ppt-l-d6",
     [] {
         return tokenpose(
             {"PPT-L/D6 as the PPT repository builds it: HRNet-W48 stages 1-3 and one 6-layer encoder "
              "(pose_tokenpose_b), 70% of the visual tokens kept after layer 4",
              std::string(kPptDir) + "ppt_L_D6_256_192_patch43_dim192_depth6_heads8.yaml", "pose_tokenpose_b",
              "hrnet_w48-8ef0771d.pth", "ppt_l_d6_256x192_ratio07.pth", 48, 48, 6, 8, 3, 4, 384, 0.7});
     }},
};

// ---------------------------------------------------------------------------------------------
// Text helpers.

std::string trim(const std::string& s) {
    const auto begin = s.find_first_not_of(" \t\r\n");
    if (begin == std::string::npos) return "";
    const auto end = s.find_last_not_of(" \t\r\n");
    return s.substr(begin, end - begin + 1);
}

std::string upper(std::string s) {
    for (char& c : s)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

std::string join(const std::vector<std::string>& items, const std::string& separator) {
    std::string out;
    for (size_t i = 0; i < items.size(); ++i)
        out += (i ? separator : "") + items[i];
    return out;
}

/// Optimal-string-alignment distance (Levenshtein plus adjacent transpositions), case-insensitive.
size_t editDistance(const std::string& a0, const std::string& b0) {
    const std::string a = upper(a0), b = upper(b0);
    std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
    for (size_t i = 0; i <= a.size(); ++i)
        d[i][0] = i;
    for (size_t j = 0; j <= b.size(); ++j)
        d[0][j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        for (size_t j = 1; j <= b.size(); ++j) {
            const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[a.size()][b.size()];
}

/// The candidate closest to `word`, or "" when none is close enough to be a typo of it.
std::string closest(const std::string& word, const std::vector<std::string>& candidates) {
    const size_t limit = std::max<size_t>(2, word.size() / 4);
    std::string best;
    size_t bestDistance = limit + 1;
    for (const auto& c : candidates) {
        const size_t distance = editDistance(word, c);
        if (distance < bestDistance) best = c, bestDistance = distance;
    }
    return best;
}

// ---------------------------------------------------------------------------------------------
// Scalars as yacs sees them after yaml.safe_load and literal_eval.

bool parseBool(const std::string& s, bool& out) {
    static const char* const kTrue[] = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"};
    static const char* const kFalse[] = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"};
    for (const char* t : kTrue)
        if (s == t) return out = true, true;
    for (const char* f : kFalse)
        if (s == f) return out = false, true;
    return false;
}

enum class IntParse { Ok, NotInteger, OutOfRange };

IntParse parseInteger(const std::string& s, long long& out) {
    const char* begin = s.data();
    const char* end = s.data() + s.size();
    if (begin != end && *begin == '+') ++begin;
    if (begin == end || !(std::isdigit(static_cast<unsigned char>(*begin)) || *begin == '-'))
        return IntParse::NotInteger;
    const auto [ptr, ec] = std::from_chars(begin, end, out);
    if (ptr != end) return IntParse::NotInteger;
    if (ec == std::errc::result_out_of_range) return IntParse::OutOfRange;
    return ec == std::errc() ? IntParse::Ok : IntParse::NotInteger;
}

bool parseNumber(const std::string& s, double& out) {
    static const char* const kInf[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"};
    static const char* const kNegInf[] = {"-.inf", "-.Inf", "-.INF"};
    static const char* const kNan[] = {".nan", ".NaN", ".NAN"};
    for (const char* t : kInf)
        if (s == t) return out = std::numeric_limits<double>::infinity(), true;
    for (const char* t : kNegInf)
        if (s == t) return out = -std::numeric_limits<double>::infinity(), true;
    for (const char* t : kNan)
        if (s == t) return out = std::numeric_limits<double>::quiet_NaN(), true;
    const char* begin = s.data();
    const char* end = s.data() + s.size();
    if (begin != end && *begin == '+') ++begin;
    // from_chars would also take "inf" and "nan"; YAML and Python literals spell them differently.
    if (begin == end || !(std::isdigit(static_cast<unsigned char>(*begin)) || *begin == '-' || *begin == '.'))
        return false;
    const auto [ptr, ec] = std::from_chars(begin, end, out);
    return ptr == end && ec == std::errc() && std::isfinite(out);  // 1e999 is out of range, no number
}

enum class Kind { Text, Bool, Integer, Number };

Kind kindOf(const std::string& s) {
    bool b;
    long long i;
    double d;
    if (parseBool(s, b)) return Kind::Bool;
    if (parseInteger(s, i) != IntParse::NotInteger) return Kind::Integer;
    if (parseNumber(s, d)) return Kind::Number;
    return Kind::Text;
}

const char* describe(Kind kind) {
    switch (kind) {
        case Kind::Bool: return "true or false";
        case Kind::Integer: return "an integer";
        case Kind::Number: return "a number";
        case Kind::Text: break;
    }
    return "a value";
}

/// Whether `item` may replace a value of kind `kind` (yacs keeps types; an integer may become a
/// float-valued number, any scalar a string).
bool fits(Kind kind, const std::string& item) {
    const Kind k = kindOf(item);
    switch (kind) {
        case Kind::Text: return true;
        case Kind::Number: return k == Kind::Number || k == Kind::Integer;
        default: return k == kind;
    }
}

/// A yacs tuple of numbers or booleans written as a YAML scalar ("(0,1,2,3)", "(0,)", "()"): its
/// items, or false for anything else (a string like "(see notes)" stays a string).
bool tupleItems(const Value& v, std::vector<std::string>& items) {
    if (v.isList || v.null || v.items.size() != 1) return false;
    const std::string s = trim(v.items[0]);
    if (s.size() < 2 || s.front() != '(' || s.back() != ')') return false;
    items.clear();
    std::string inner = s.substr(1, s.size() - 2);
    if (trim(inner).empty()) return true;
    std::stringstream in(inner);
    std::string item;
    while (std::getline(in, item, ','))  // "(0,)" gives one item, as in Python
        items.push_back(trim(item));
    return std::all_of(items.begin(), items.end(), [](const std::string& i) { return kindOf(i) != Kind::Text; });
}

/// The items of a list, or of a yacs tuple scalar.
bool listItems(const Value& v, std::vector<std::string>& items) {
    if (v.isList) {
        items = v.items;
        return true;
    }
    return tupleItems(v, items);
}

// ---------------------------------------------------------------------------------------------
// Display: YAML text that set() reads back to the same value.

bool needsQuotes(const std::string& s, bool inList) {
    if (s.empty() || s != trim(s)) return true;
    if (s == "~" || s == "null" || s == "Null" || s == "NULL") return true;
    if (std::strchr("[]{}!&*|>'\"%@`#,", s.front())) return true;
    if (std::strchr("?:-", s.front()) && (s.size() == 1 || s[1] == ' ')) return true;
    if (s.find(": ") != std::string::npos || s.find(" #") != std::string::npos || s.back() == ':') return true;
    for (char c : s)
        if (static_cast<unsigned char>(c) < 0x20) return true;
    return inList && s.find_first_of(",[]{}") != std::string::npos;
}

std::string quoted(const std::string& s, bool inList) {
    if (!needsQuotes(s, inList)) return s;
    std::string out = "'";
    for (char c : s)
        out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
}

std::string display(const Value& v) {
    if (v.null) return "null";
    if (!v.isList) return quoted(v.items.at(0), false);
    std::vector<std::string> items;
    for (const auto& item : v.items)
        items.push_back(quoted(item, true));
    return "[" + join(items, ", ") + "]";
}

// ---------------------------------------------------------------------------------------------
// YAML → flat keys.

const char* nodeKind(const YAML::Node& node) {
    switch (node.Type()) {
        case YAML::NodeType::Map: return "a map";
        case YAML::NodeType::Sequence: return "a list";
        case YAML::NodeType::Null: return "empty";
        case YAML::NodeType::Scalar: return "a value";
        case YAML::NodeType::Undefined: break;
    }
    return "undefined";
}

std::string lineOf(const YAML::Node& node) {
    const YAML::Mark mark = node.Mark();
    return mark.is_null() ? std::string() : " (line " + std::to_string(mark.line + 1) + ")";
}

std::string position(const YAML::Mark& mark) {
    if (mark.is_null()) return "";
    return " at line " + std::to_string(mark.line + 1) + ", column " + std::to_string(mark.column + 1);
}

/// A value node as a Value; `problem` is set when it is a map or a list holding anything but values.
Value toValue(const YAML::Node& node, std::string& problem) {
    Value v;
    switch (node.Type()) {
        case YAML::NodeType::Null:
            v.null = true;
            v.items = {""};
            break;
        case YAML::NodeType::Scalar: v.items = {node.Scalar()}; break;
        case YAML::NodeType::Sequence:
            v.isList = true;
            for (size_t i = 0; i < node.size(); ++i) {
                const YAML::Node item = node[i];
                if (!item.IsScalar()) {
                    problem = "a list may hold only single values, but item " + std::to_string(i + 1) + " is " +
                              nodeKind(item) + lineOf(item);
                    return v;
                }
                v.items.push_back(item.Scalar());
            }
            break;
        default: problem = std::string("expected a value or a list, got ") + nodeKind(node) + lineOf(node);
    }
    return v;
}

void flatten(const YAML::Node& map, const std::string& prefix, std::map<std::string, Value>& out,
             const std::string& source) {
    for (const auto& entry : map) {
        const YAML::Node& k = entry.first;
        const YAML::Node& v = entry.second;
        const std::string where = prefix.empty() ? std::string("the top level") : prefix;
        if (!k.IsScalar() || trim(k.Scalar()).empty())
            throw FileError(source, where + ": a key must be a plain name" + lineOf(k));
        const std::string key = prefix.empty() ? k.Scalar() : prefix + "." + k.Scalar();
        if (v.IsMap()) {
            flatten(v, key, out, source);
            continue;
        }
        std::string problem;
        Value value = toValue(v, problem);
        if (!problem.empty()) throw FileError(source, key + ": " + problem);
        out[key] = std::move(value);
    }
}

}  // namespace

// ---------------------------------------------------------------------------------------------

std::vector<std::string> ModelConfig::likelyTypos(const ModelConfig& config) {
    // Every key of every preset, the sections of the official yacs defaults, and the keys read
    // outside the presets (the trainer's, PoseScope's own model keys).
    static const std::vector<std::string> known = [] {
        std::set<std::string> keys = {
            "TRAIN.BATCH_SIZE_PER_GPU", "TRAIN.END_EPOCH",      "TRAIN.BEGIN_EPOCH", "TRAIN.LR",      "TRAIN.LR_END",
            "TRAIN.LR_FACTOR",          "TRAIN.LR_STEP",        "TRAIN.OPTIMIZER",   "TRAIN.SHUFFLE", "TRAIN.WD",
            "MODEL.EXTRA.STEM_WIDTH",   "MODEL.ENCODER_DROPOUT"};
        for (const Preset& p : kPresets)
            for (const auto& entry : fromYamlText(p.text(), p.name).m_values)
                keys.insert(entry.first);
        return std::vector<std::string>(keys.begin(), keys.end());
    }();
    static const std::set<std::string> sections = [] {
        std::set<std::string> s = {"AUTO_RESUME", "CUDNN", "DATA_DIR", "DATASET",    "DEBUG",      "GPUS",
                                   "LOG_DIR",     "LOSS",  "MODEL",    "OUTPUT_DIR", "PIN_MEMORY", "PRINT_FREQ",
                                   "RANK",        "TEST",  "TRAIN",    "WORKERS"};
        for (const std::string& k : known)
            s.insert(k.substr(0, k.find('.')));
        return s;
    }();
    std::vector<std::string> warnings;
    for (const auto& entry : config.m_values) {
        const std::string& key = entry.first;
        if (std::binary_search(known.begin(), known.end(), key)) continue;
        const std::string section = key.substr(0, key.find('.'));
        std::string best;
        size_t bestDistance = 3;
        if (!sections.count(section)) {  // a misspelt section: every key under it is lost
            for (const std::string& s : sections) {
                const size_t d = editDistance(section, s);
                if (d < bestDistance) best = s + key.substr(section.size()), bestDistance = d;
            }
        } else {
            for (const std::string& k : known) {
                const size_t d = editDistance(key, k);
                if (d < bestDistance) best = k, bestDistance = d;
            }
        }
        if (!best.empty()) warnings.push_back(key + " is not read (did you mean " + best + "?)");
    }
    return warnings;
}

ModelConfig ModelConfig::fromYamlFile(const std::string& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw FileError(path, "cannot read (it is a directory)");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw FileError(path, std::string("cannot read (") + std::strerror(errno) + ")");
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw FileError(path, std::string("cannot read (") + std::strerror(errno) + ")");
    if (text.str().find('\0') != std::string::npos)  // a checkpoint or an image given as --config
        throw FileError(path, "not a YAML configuration (a binary file: was a checkpoint or image given as --config?)");
    ModelConfig config = fromYamlText(text.str(), path);
    config.m_warnings = likelyTypos(config);
    return config;
}

ModelConfig ModelConfig::fromYamlText(const std::string& text, const std::string& source) {
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
        throw FileError(source, "malformed YAML" + position(e.mark) + ": " + e.msg);
    }
    if (!root.IsDefined() || root.IsNull()) throw FileError(source, "no configuration keys (empty document)");
    if (!root.IsMap())
        throw FileError(source,
                        std::string("expected a map of configuration keys at the top level, got ") + nodeKind(root));
    ModelConfig config;
    config.m_source = source;
    flatten(root, "", config.m_values, source);
    if (config.m_values.empty()) throw FileError(source, "no configuration keys");
    return config;
}

std::vector<std::string> ModelConfig::presetNames() {
    std::vector<std::string> names;
    for (const Preset& p : kPresets)
        names.emplace_back(p.name);
    return names;
}

ModelConfig ModelConfig::preset(const std::string& name) {
    for (const Preset& p : kPresets)
        if (name == p.name) return fromYamlText(p.text(), "preset " + name);
    const std::string guess = closest(name, presetNames());
    throw ConfigError("unknown preset '" + name + "'" + (guess.empty() ? "" : " (did you mean '" + guess + "'?)") +
                      "; known presets: " + join(presetNames(), ", "));
}

ModelConfig ModelConfig::resolve(const std::string& presetOrFile) {
    const auto names = presetNames();
    if (std::find(names.begin(), names.end(), presetOrFile) != names.end()) return preset(presetOrFile);
    std::error_code ec;
    if (std::filesystem::exists(presetOrFile, ec)) return fromYamlFile(presetOrFile);
    // Not a file: a bare name without a YAML extension is most likely a mistyped preset.
    const std::string ext = upper(std::filesystem::path(presetOrFile).extension().string());
    const bool bareName = presetOrFile.find_first_of("/\\") == std::string::npos && ext != ".YAML" && ext != ".YML";
    if (bareName) {
        const std::string guess = closest(presetOrFile, names);
        if (!guess.empty())
            throw ConfigError("unknown preset '" + presetOrFile + "' and no such file (did you mean '" + guess +
                              "'?); known presets: " + join(names, ", "));
        throw FileError(presetOrFile, std::string("cannot read (") + std::strerror(ENOENT) +
                                          "), and no preset has this name (known presets: " + join(names, ", ") + ")");
    }
    return fromYamlFile(presetOrFile);
}

void ModelConfig::set(const std::string& assignment) {
    const auto eq = assignment.find('=');
    if (eq == std::string::npos) throw ConfigError("expected KEY=VALUE, got '" + assignment + "'");
    const std::string key = trim(assignment.substr(0, eq));
    const std::string text = trim(assignment.substr(eq + 1));
    if (key.empty()) throw ConfigError("expected KEY=VALUE, got '" + assignment + "' (no key)");
    const auto it = m_values.find(key);
    if (it == m_values.end()) throw ConfigError(unknownKeyMessage(key));

    YAML::Node node;
    try {
        node = YAML::Load(text);
    } catch (const YAML::Exception& e) {
        fail(key, "cannot set to '" + text + "': malformed YAML" + position(e.mark) + ": " + e.msg);
    }
    std::string problem;
    Value value = toValue(node, problem);
    if (!problem.empty()) fail(key, "cannot set to '" + text + "': " + problem);

    const Value& old = it->second;
    if (!old.null && !value.null) {
        std::vector<std::string> oldItems, newItems;
        const bool oldIsList = listItems(old, oldItems);
        const bool newIsList = listItems(value, newItems);
        if (oldIsList != newIsList)
            fail(key, "cannot set to '" + text + "': expected " +
                          (oldIsList ? "a list like " + display(old) : "a single value like " + display(old)));
        if (!oldIsList) {
            const Kind kind = kindOf(old.items[0]);
            if (!fits(kind, value.items[0]))
                fail(key, "cannot set to '" + text + "': expected " + describe(kind) + " like " + display(old));
        } else if (!oldItems.empty()) {
            // The kind all old items share (an integer list accepts only integers, …).
            Kind kind = kindOf(oldItems[0]);
            for (const auto& item : oldItems) {
                const Kind k = kindOf(item);
                if (k == kind) continue;
                const bool numeric =
                    (k == Kind::Integer || k == Kind::Number) && (kind == Kind::Integer || kind == Kind::Number);
                kind = numeric ? Kind::Number : Kind::Text;
            }
            for (size_t i = 0; i < newItems.size(); ++i)
                if (!fits(kind, newItems[i]))
                    fail(key, "cannot set to '" + text + "': item " + std::to_string(i + 1) + " ('" + newItems[i] +
                                  "') is not " + describe(kind) + " like the items of " + display(old));
        }
    }
    it->second = std::move(value);
    m_source += " + " + key + "=" + text;
}

void ModelConfig::define(const std::string& key, const std::string& yamlValue) {
    YAML::Node node;
    try {
        node = YAML::Load(yamlValue);
    } catch (const YAML::Exception& e) {
        fail(key, "cannot define as '" + yamlValue + "': malformed YAML" + position(e.mark) + ": " + e.msg);
    }
    std::string problem;
    Value value = toValue(node, problem);
    if (!problem.empty()) fail(key, "cannot define as '" + yamlValue + "': " + problem);
    m_values[key] = std::move(value);
}

bool ModelConfig::has(const std::string& key) const {
    return m_values.count(key) != 0;
}

const ModelConfig::Value& ModelConfig::get(const std::string& key) const {
    const auto it = m_values.find(key);
    if (it == m_values.end()) {
        std::vector<std::string> keys;
        for (const auto& kv : m_values)
            keys.push_back(kv.first);
        const std::string guess = closest(key, keys);
        fail(key, "missing" + (guess.empty() ? std::string() : "; did you mean '" + guess + "'?"));
    }
    return it->second;
}

const ModelConfig::Value* ModelConfig::find(const std::string& key) const {
    const auto it = m_values.find(key);
    return it == m_values.end() || it->second.null ? nullptr : &it->second;
}

const std::string& ModelConfig::scalar(const std::string& key, const Value& value, const char* expected) const {
    if (value.null) fail(key, std::string("expected ") + expected + ", got null");
    if (value.isList) fail(key, std::string("expected ") + expected + ", got a list " + display(value));
    return value.items[0];
}

std::string ModelConfig::string(const std::string& key) const {
    const Value& v = get(key);
    return v.null ? std::string() : scalar(key, v, "a single value");
}

std::string ModelConfig::string(const std::string& key, const std::string& fallback) const {
    const Value* v = find(key);
    return v ? scalar(key, *v, "a single value") : fallback;
}

long long ModelConfig::integer(const std::string& key) const {
    const std::string& s = scalar(key, get(key), "an integer");
    long long out = 0;
    switch (parseInteger(s, out)) {
        case IntParse::Ok: return out;
        case IntParse::OutOfRange: fail(key, "expected an integer, got '" + s + "' (out of range)");
        case IntParse::NotInteger: break;
    }
    fail(key, "expected an integer, got '" + s + "'");
}

long long ModelConfig::integer(const std::string& key, long long fallback) const {
    return find(key) ? integer(key) : fallback;
}

double ModelConfig::number(const std::string& key) const {
    const std::string& s = scalar(key, get(key), "a number");
    double out = 0;
    if (!parseNumber(s, out)) fail(key, "expected a number, got '" + s + "'");
    return out;
}

double ModelConfig::number(const std::string& key, double fallback) const {
    return find(key) ? number(key) : fallback;
}

bool ModelConfig::boolean(const std::string& key) const {
    const std::string& s = scalar(key, get(key), "true or false");
    bool out = false;
    if (!parseBool(s, out)) fail(key, "expected true or false, got '" + s + "'");
    return out;
}

bool ModelConfig::boolean(const std::string& key, bool fallback) const {
    return find(key) ? boolean(key) : fallback;
}

std::vector<long long> ModelConfig::integers(const std::string& key) const {
    const Value& v = get(key);
    std::vector<std::string> items;
    if (v.null || !listItems(v, items)) fail(key, "expected a list of integers, got " + display(v));
    std::vector<long long> out;
    for (size_t i = 0; i < items.size(); ++i) {
        long long n = 0;
        if (parseInteger(items[i], n) != IntParse::Ok)
            fail(key, "expected a list of integers, got " + display(v) + " (item " + std::to_string(i + 1) + ")");
        out.push_back(n);
    }
    return out;
}

std::vector<long long> ModelConfig::integers(const std::string& key, const std::vector<long long>& fallback) const {
    return find(key) ? integers(key) : fallback;
}

std::vector<std::pair<std::string, std::string>> ModelConfig::entries() const {
    std::vector<std::pair<std::string, std::string>> out;
    out.reserve(m_values.size());
    for (const auto& [key, value] : m_values)
        out.emplace_back(key, display(value));  // std::map: sorted
    return out;
}

std::string ModelConfig::unknownKeyMessage(const std::string& key) const {
    std::vector<std::string> keys, section;
    for (const auto& kv : m_values) {
        keys.push_back(kv.first);
        if (kv.first.compare(0, key.size() + 1, key + ".") == 0) section.push_back(kv.first);
    }
    std::string message = "unknown key '" + key + "'";
    if (!section.empty()) {
        if (section.size() > 4) section.resize(4), section.push_back("…");
        return message + " (a section; set one of its keys: " + join(section, ", ") + ")";
    }
    const std::string guess = closest(key, keys);
    if (!guess.empty()) return message + " (did you mean '" + guess + "'?)";
    return message + " (" + m_source + " has no such key)";
}

void ModelConfig::fail(const std::string& key, const std::string& problem) const {
    throw ConfigError(key + ": " + problem + " (" + m_source + ")");
}

std::string presetFor(const std::string& family, const std::string& variant) {
    if (family.empty() || variant.empty()) return "";
    auto lower = [](std::string t) {
        for (char& c : t)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return t;
    };
    // "TransPose-R" + "R-A4" → transpose-r-a4 (the family's stem and the variant).
    std::string v = lower(variant);
    std::replace(v.begin(), v.end(), '/', '-');  // "L/D24" → "l-d24"
    // BTranspose: "C3A1(4)-N6" → "c3a1-n6" (4 MHSA heads are the default), "C3A1(8)" → "c3a1-h8".
    for (const auto& [from, to] : {std::pair<std::string, std::string>{"(4)", ""}, {"(8)", "-h8"}})
        if (const auto at = v.find(from); at != std::string::npos) v.replace(at, from.size(), to);
    const std::string f = lower(family);
    const std::string stem = f.substr(0, f.find('-'));
    const std::vector<std::string> presets = ModelConfig::presetNames();
    for (const std::string& candidate : {stem + "-" + v, f + "-" + v})
        if (std::find(presets.begin(), presets.end(), candidate) != presets.end()) return candidate;
    return "";
}

}  // namespace posescope::models
