#include "posescope/models/pose_output.h"

#include "posescope/models/flip.h"

#include <torch/torch.h>

#include <string>

namespace posescope::models {
namespace {

int64_t bins(int pixels, double k) {
    return static_cast<int64_t>(pixels * k);  // int(w·k), as SimCCHead
}

void requireHeatmaps(const ModelInfo& info, const torch::Tensor& output) {
    if (output.dim() != 4 || output.size(1) != info.keypoints)
        throw ModelError(info.family + ": expected heatmaps [N, " + std::to_string(info.keypoints) + ", h, w], got " +
                         c10::str(output.sizes()));
}

}  // namespace

std::pair<torch::Tensor, torch::Tensor> splitSimCC(const ModelInfo& info, const torch::Tensor& output) {
    const int64_t wx = bins(info.inputWidth, info.simcc.splitRatio), wy = bins(info.inputHeight, info.simcc.splitRatio);
    if (info.output != OutputKind::SimCC || output.dim() != 3 || output.size(1) != info.keypoints ||
        output.size(2) != wx + wy)
        throw ModelError(info.family + ": expected SimCC output [N, " + std::to_string(info.keypoints) + ", " +
                         std::to_string(wx) + " + " + std::to_string(wy) + "], got " + c10::str(output.sizes()));
    return {output.narrow(2, 0, wx), output.narrow(2, wx, wy)};
}

std::vector<std::vector<Keypoint>> decodeOutput(const ModelInfo& info, const torch::Tensor& output,
                                                const DecodeOptions& options) {
    if (info.output == OutputKind::SimCC) {
        const auto [x, y] = splitSimCC(info, output);
        return decodeSimCC(x, y, info.simcc);
    }
    requireHeatmaps(info, output);
    return decodeHeatmaps(output, options);
}

std::vector<std::vector<Keypoint>> decodeOutputToImage(const ModelInfo& info, const torch::Tensor& output,
                                                       const std::vector<CenterScale>& cs,
                                                       const DecodeOptions& options) {
    return heatmapToImage(decodeOutput(info, output, options), cs, outputFrameSize(info, output));
}

cv::Size outputFrameSize(const ModelInfo& info, const torch::Tensor& output) {
    if (info.output == OutputKind::SimCC) return {info.outputWidth, info.outputHeight};
    requireHeatmaps(info, output);
    return {static_cast<int>(output.size(3)), static_cast<int>(output.size(2))};
}

torch::Tensor flipBackOutput(const ModelInfo& info, const torch::Tensor& flippedOutput,
                             const std::vector<std::pair<int, int>>& flipPairs) {
    if (info.output == OutputKind::SimCC) {
        const auto [x, y] = splitSimCC(info, flippedOutput);
        const auto [fx, fy] = flipSimCC(x, y, flipPairs);
        return torch::cat({fx, fy}, 2);
    }
    requireHeatmaps(info, flippedOutput);
    return flipBack(flippedOutput, flipPairs);
}

cv::Size outputHeatmapSize(const ModelInfo& info) {
    if (info.output == OutputKind::SimCC) return {info.inputWidth / 4, info.inputHeight / 4};
    return {info.outputWidth, info.outputHeight};
}

torch::Tensor outputHeatmaps(const ModelInfo& info, const torch::Tensor& output) {
    if (info.output != OutputKind::SimCC) {
        requireHeatmaps(info, output);
        return output;
    }
    const auto [x, y] = splitSimCC(info, output);
    const cv::Size size = outputHeatmapSize(info);
    // Each axis' distribution summed into `size` cells (adaptive pooling × bins per cell = sums).
    const auto cells = [](const torch::Tensor& logits, int64_t n) {
        const torch::Tensor p = torch::softmax(logits.to(torch::kFloat32), -1);
        const double perCell = static_cast<double>(p.size(-1)) / static_cast<double>(n);
        return torch::adaptive_avg_pool1d(p.flatten(0, 1).unsqueeze(1), n)
            .squeeze(1)
            .mul(perCell)
            .view({p.size(0), p.size(1), n});
    };
    const torch::Tensor px = cells(x, size.width), py = cells(y, size.height);
    return py.unsqueeze(-1) * px.unsqueeze(-2);  // [N, K, h, w]
}

}  // namespace posescope::models
