// SimCC coordinate classification (Li et al., ECCV 2022) as mmpose defines it: SimCCLabel's
// Gaussian labels, KLDiscretLoss, get_simcc_maximum, flip_vectors and SimCCHead without deconv.
//
// Usage:
//   SimCCOptions o;                                                    // k = 2, σ = 6
//   SimCCHead head(256, 17, 8, 6, 192, 256, o.splitRatio);             // [N,256,8,6] → 384 / 512 bins
//   head->initialise();
//   auto [px, py] = head->forward(features);                          // [N,17,384], [N,17,512]
//   SimCCTargets t = encodeSimCC(keypoints, visible, 192, 256, o);    // crop pixels, [N,17,2]
//   torch::Tensor loss = simccLoss(px, py, t, o);                     // scalar, differentiable
//   auto [fx, fy] = flipSimCC(flippedPx, flippedPy, cocoSkeleton().flipPairs);
//   auto people = decodeSimCC(averageFlip(px, fx), averageFlip(py, fy), o);   // crop pixels
//
// Encoding: μ = np.around(kpt·k) (half to even, in the keypoints' dtype), label[i] =
// exp(−(i−μ)²/(2σ²)) over Wx = round(w·k) / Wy = round(h·k) bins in float32, divided by σ√(2π)
// when `normalize` (mmpose's SimCCLabel defaults to true; its RTMPose configs use false). The weight
// is `visible` copied, set to 0 where μ ± 3σ lies entirely outside the bins (or μ is not finite);
// keypoints with visible < 0.5 get all-zero labels and keep their weight, as in mmpose.
// Loss: per keypoint mean over bins of kl_div(log_softmax(pred·β), labels), labels first passed
// through softmax(labels·β) when `labelSoftmax` (mmpose 1.0's β; later versions' label_beta is
// 10 by default, as RTMPose's β), times the weight, summed over the batch, keypoints and both axes,
// divided by K — mmpose's reduction (no mean over the batch).
// Decoding: first argmax per axis (the first NaN if any), score = min(max x, max y) (NaN as NumPy
// compares), bins → −1 where score ≤ 0, then x = bin/k, y = bin/k in float32: crop pixels (so the
// "missing" location is −1/k). Map to the image with posescope::fromCrop. No DARK refinement.
// Head: final_layer Conv2d(C, K, 1) → flatten → mlp_head_x Linear(h·w, int(w·k)), mlp_head_y
// Linear(h·w, int(h·k)) (mmpose's head truncates; the codec rounds: equal when w·k is whole).
// Errors: ModelError (pose_model.h) naming the expected shape for tensors of the wrong shape, flip
// pairs outside [0, K), and non-positive sizes, split ratios or sigmas.
// Thread-safety: the functions are pure; the head's forward only reads its modules, so concurrent
// calls are safe once it is initialised or loaded.
#pragma once

#include "posescope/models/heatmap_decode.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <utility>
#include <vector>

namespace posescope::models {

struct SimCCOptions {
    double splitRatio = 2.0;  // k: bins per input pixel
    double sigmaX = 6.0, sigmaY = 6.0;
    bool normalize = false;  // divide the labels by σ√(2π)
    double beta = 1.0;       // softmax temperature of the loss
    bool labelSoftmax = false;
};

struct SimCCTargets {
    torch::Tensor x;       // [N, K, Wx] float32
    torch::Tensor y;       // [N, K, Wy] float32
    torch::Tensor weight;  // [N, K] float32
};

/// keypoints [N, K, 2] in input-crop pixels, visible [N, K] → labels and weights (CPU).
SimCCTargets encodeSimCC(const torch::Tensor& keypoints, const torch::Tensor& visible, int inputWidth, int inputHeight,
                         const SimCCOptions& options = {});

/// KLDiscretLoss of predX [N, K, Wx] and predY [N, K, Wy] against the targets; a scalar in predX's
/// dtype and device.
torch::Tensor simccLoss(const torch::Tensor& predX, const torch::Tensor& predY, const SimCCTargets& targets,
                        const SimCCOptions& options = {});

/// predX [N, K, Wx], predY [N, K, Wy] (decoded as float32 on the CPU) → N × K keypoints in crop pixels.
std::vector<std::vector<Keypoint>> decodeSimCC(const torch::Tensor& predX, const torch::Tensor& predY,
                                               const SimCCOptions& options = {});

/// flip_vectors: the outputs for a width-flipped input → the original's layout (channels of each
/// pair swapped; x also reversed along its bins). Average with averageFlip (flip.h).
std::pair<torch::Tensor, torch::Tensor> flipSimCC(const torch::Tensor& predX, const torch::Tensor& predY,
                                                  const std::vector<std::pair<int, int>>& flipPairs);

class SimCCHeadImpl : public torch::nn::Module {
public:
    SimCCHeadImpl(int64_t inChannels, int64_t keypoints, int64_t featureH, int64_t featureW, int64_t inputW,
                  int64_t inputH, double splitRatio = 2.0);
    /// mmpose's default init: Conv N(0, 0.001), Linear N(0, 0.01), biases 0.
    void initialise();
    /// x [N, inChannels, featureH, featureW] → (pred_x [N, K, int(inputW·k)], pred_y [N, K, int(inputH·k)]).
    std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x);

    torch::nn::Conv2d final_layer{nullptr};
    torch::nn::Linear mlp_head_x{nullptr}, mlp_head_y{nullptr};

private:
    int64_t m_inChannels, m_featureH, m_featureW;
};
TORCH_MODULE(SimCCHead);

}  // namespace posescope::models
