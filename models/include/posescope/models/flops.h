// Compute cost of a forward pass, counted while it runs.
//
// Usage:
//   std::shared_ptr<PoseModel> model = createModel(ModelConfig::resolve("ppt-s"));
//   FlopCount c = countForwardFlops(*model);          // batch 1, a zero input of the model's size
//   std::printf("%.2f GMAC = %.2f GFLOP\n", c.multiplyAdds / 1e9, c.flops() / 1e9);
//   FlopCount any = countFlops([&] { someModule->forward(x); });   // any work on this thread
//
// What counts: the multiply-adds of convolutions, transposed convolutions and matrix products
// (linear layers, attention's q·kᵀ and A·v), taken from the operators the pass dispatches, so a
// PPT counts the tokens it actually kept. Elementwise operations, normalisation and softmax are not
// counted (the convention of the pose papers' "GFLOPs", which are multiply-adds).
// Errors: whatever the work throws (ModelError from a model's forward) passes through.
// Thread-safety: counts only the operators dispatched on the calling thread; several threads may
// count at once, each its own work.
#pragma once

#include "posescope/models/pose_model.h"

#include <functional>
#include <map>
#include <string>

namespace posescope::models {

struct FlopCount {
    double multiplyAdds = 0;
    /// multiply-adds per kind: "convolution", "transposed convolution", "matrix product"
    std::map<std::string, double> byKind;
    double flops() const { return 2 * multiplyAdds; }
};

/// Runs `work` and counts the multiply-adds of the operators it dispatches on this thread.
FlopCount countFlops(const std::function<void()>& work);

/// One inference forward pass (no gradients) of `batch` zero inputs of the model's input size.
FlopCount countForwardFlops(const PoseModel& model, int batch = 1);

}  // namespace posescope::models
