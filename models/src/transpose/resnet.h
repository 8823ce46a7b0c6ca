// The ResNet-50 stem of TransPose-R ("ResNet-S": conv1, bn1, maxpool, layer1, layer2; stride 8),
// private to models/. Bottlenecks are torchvision's v1.5 (stride in the 3×3 conv) with the
// official names (conv1..3, bn1..3, downsample.0/1), so checkpoints load unchanged.
//
//   ResnetStem stem(parent, {3, 4});   // registers conv1, bn1, layer1, layer2 on `parent`
//   torch::Tensor f = stem.forward(x); // [N, 512, H/8, W/8]
#pragma once

#include <torch/torch.h>

#include <vector>

namespace posescope::models::transpose {

class BottleneckImpl : public torch::nn::Module {
public:
    static constexpr int64_t kExpansion = 4;
    BottleneckImpl(int64_t inplanes, int64_t planes, int64_t stride, bool downsample);
    torch::Tensor forward(const torch::Tensor& x);

    torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
    torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
    torch::nn::Sequential downsample{nullptr};
};
TORCH_MODULE(Bottleneck);

/// A Sequential of `blocks` Bottlenecks, the first with `stride` and a downsample when needed.
torch::nn::Sequential makeBottleneckLayer(int64_t& inplanes, int64_t planes, int64_t blocks, int64_t stride);

class ResnetStem {
public:
    /// Registers the stem's modules on `parent` under the official names. `width` is conv1's
    /// channels and layer1's planes (64 officially; layer2 has twice as many).
    ResnetStem(torch::nn::Module& parent, const std::vector<int64_t>& blocks, int64_t width = 64);
    torch::Tensor forward(const torch::Tensor& x);
    int64_t outChannels() const { return m_outChannels; }

private:
    torch::nn::Conv2d m_conv1{nullptr};
    torch::nn::BatchNorm2d m_bn1{nullptr};
    torch::nn::Sequential m_layer1{nullptr}, m_layer2{nullptr};
    int64_t m_outChannels = 0;
};

}  // namespace posescope::models::transpose
