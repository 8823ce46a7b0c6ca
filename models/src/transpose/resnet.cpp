#include "transpose/resnet.h"

namespace posescope::models::transpose {
namespace {
torch::nn::Conv2d conv(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t pad) {
    return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, k).stride(stride).padding(pad).bias(false));
}
torch::nn::BatchNorm2d bn(int64_t c) {
    return torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(c).eps(1e-5).momentum(0.1));
}
}  // namespace

BottleneckImpl::BottleneckImpl(int64_t inplanes, int64_t planes, int64_t stride, bool withDownsample) {
    conv1 = register_module("conv1", conv(inplanes, planes, 1, 1, 0));
    bn1 = register_module("bn1", bn(planes));
    conv2 = register_module("conv2", conv(planes, planes, 3, stride, 1));
    bn2 = register_module("bn2", bn(planes));
    conv3 = register_module("conv3", conv(planes, planes * kExpansion, 1, 1, 0));
    bn3 = register_module("bn3", bn(planes * kExpansion));
    if (withDownsample)
        downsample = register_module(
            "downsample",
            torch::nn::Sequential(conv(inplanes, planes * kExpansion, 1, stride, 0), bn(planes * kExpansion)));
}

torch::Tensor BottleneckImpl::forward(const torch::Tensor& x) {
    torch::Tensor out = torch::relu(bn1->forward(conv1->forward(x)));
    out = torch::relu(bn2->forward(conv2->forward(out)));
    out = bn3->forward(conv3->forward(out));
    return torch::relu(out + (downsample ? downsample->forward(x) : x));
}

torch::nn::Sequential makeBottleneckLayer(int64_t& inplanes, int64_t planes, int64_t blocks, int64_t stride) {
    torch::nn::Sequential layer;
    const bool down = stride != 1 || inplanes != planes * BottleneckImpl::kExpansion;
    layer->push_back(Bottleneck(inplanes, planes, stride, down));
    inplanes = planes * BottleneckImpl::kExpansion;
    for (int64_t i = 1; i < blocks; ++i)
        layer->push_back(Bottleneck(inplanes, planes, 1, false));
    return layer;
}

ResnetStem::ResnetStem(torch::nn::Module& parent, const std::vector<int64_t>& blocks, int64_t width) {
    m_conv1 = parent.register_module("conv1", conv(3, width, 7, 2, 3));
    m_bn1 = parent.register_module("bn1", bn(width));
    int64_t inplanes = width;
    m_layer1 = parent.register_module("layer1", makeBottleneckLayer(inplanes, width, blocks.at(0), 1));
    m_layer2 = parent.register_module("layer2", makeBottleneckLayer(inplanes, 2 * width, blocks.at(1), 2));
    m_outChannels = inplanes;
}

torch::Tensor ResnetStem::forward(const torch::Tensor& x) {
    torch::Tensor y = torch::relu(m_bn1->forward(m_conv1->forward(x)));
    y = torch::max_pool2d(y, 3, 2, 1);
    return m_layer2->forward(m_layer1->forward(y));
}

}  // namespace posescope::models::transpose
