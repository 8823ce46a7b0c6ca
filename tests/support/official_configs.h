// The configurations of the shared official fixtures (../shared/fixtures/official/README.md §2):
// the official YAML as a preset plus the listed overrides, for every test that loads them.
//
//   const auto model = models::loadModel(test::smallTransposeR(), test::officialPath("transpose_r_small.pth"));
#pragma once

#include "posescope/models/model_config.h"

#include <string>

namespace posescope::test {

/// transpose_r_small: d_model 64, 4 heads, FFN 128, 2 layers, deconv filters [64].
inline models::ModelConfig smallTransposeR() {
    models::ModelConfig c = models::ModelConfig::preset("transpose-r-a4");
    for (const char* set : {"MODEL.DIM_MODEL=64", "MODEL.N_HEAD=4", "MODEL.DIM_FEEDFORWARD=128",
                            "MODEL.ENCODER_LAYERS=2", "MODEL.EXTRA.NUM_DECONV_FILTERS=[64]"})
        c.set(set);
    return c;
}

/// ppt_small: PPT-S with dim 64, 4 heads, MLP ratio 2 (12 layers, keep ratio 0.7).
inline models::ModelConfig smallPpt() {
    models::ModelConfig c = models::ModelConfig::preset("ppt-s");
    for (const char* set : {"MODEL.DIM=64", "MODEL.TRANSFORMER_HEADS=4", "MODEL.TRANSFORMER_MLP_RATIO=2"})
        c.set(set);
    return c;
}

/// btranspose_small: C3A1(4)'s widths, blocks [2, 1, 1, 1], d 64, 4 heads, FFN 128, 2 encoder
/// layers, deconv filters [64].
inline models::ModelConfig smallBTranspose() {
    models::ModelConfig c = models::ModelConfig::preset("btranspose-c3a1");
    for (const char* set :
         {"MODEL.DIM_MODEL=64", "MODEL.N_HEAD=4", "MODEL.DIM_FEEDFORWARD=128", "MODEL.ENCODER_LAYERS=2",
          "MODEL.EXTRA.BOT_BLOCKS=[2, 1, 1, 1]", "MODEL.EXTRA.NUM_DECONV_FILTERS=[64]"})
        c.set(set);
    return c;
}

/// tokenpose_small: TokenPose-S-v1 with dim 64, 2 heads, MLP ratio 2, 4 layers.
inline models::ModelConfig smallTokenPose() {
    models::ModelConfig c = models::ModelConfig::preset("tokenpose-s-v1");
    for (const char* set :
         {"MODEL.DIM=64", "MODEL.TRANSFORMER_HEADS=2", "MODEL.TRANSFORMER_MLP_RATIO=2", "MODEL.TRANSFORMER_DEPTH=4"})
        c.set(set);
    return c;
}

/// A small HRPVT (no official fixture exists; tests save their own weights): PVT v2-b0's layout
/// at widths 16/32/40/64 with depths 1/2/1/1, input 96×128, the preset's HRPM and SimCC (k = 2).
inline models::ModelConfig tinyHrpvt(const std::string& insertion = "stage-wise") {
    models::ModelConfig c = models::ModelConfig::preset("hrpvt-b0");
    c.set("MODEL.IMAGE_SIZE=[96, 128]");
    c.define("MODEL.EXTRA.PVT_DIMS", "[16, 32, 40, 64]");
    c.define("MODEL.EXTRA.PVT_HEADS", "[1, 2, 5, 8]");
    c.define("MODEL.EXTRA.PVT_DEPTHS", "[1, 2, 1, 1]");
    c.set("MODEL.EXTRA.HRPM_INSERTION=" + insertion);
    return c;
}

}  // namespace posescope::test
