#include "posescope/analysis/dependencies.h"

#include <torch/torch.h>
#include <opencv2/imgproc.hpp>

#include <algorithm>

namespace posescope::analysis {

std::vector<cv::Point2d> keypointQueries(const std::vector<models::Keypoint>& heatmapKeypoints,
                                         const models::ModelInfo& info) {
    const double sx = static_cast<double>(info.inputWidth) / info.outputWidth;
    const double sy = static_cast<double>(info.inputHeight) / info.outputHeight;
    // SimCC keypoints are crop pixels already; heatmap pixel centres are half a pixel in.
    const double centre = info.output == models::OutputKind::SimCC ? 0.0 : 0.5;
    std::vector<cv::Point2d> out;
    for (const models::Keypoint& k : heatmapKeypoints)
        out.emplace_back(k.x * sx + centre, k.y * sy + centre);
    return out;
}

int queryToken(cv::Point2d p, const models::LayerTrace& layer, const models::ModelInfo& info) {
    const double dsY = static_cast<double>(info.inputHeight) / info.gridRows;
    const double dsX = static_cast<double>(info.inputWidth) / info.gridCols;
    const int row = std::clamp(static_cast<int>(p.y / dsY), 0, layer.gridRows - 1);  // int(): truncation
    const int col = std::clamp(static_cast<int>(p.x / dsX), 0, layer.gridCols - 1);
    return row * layer.gridCols + col;
}

torch::Tensor attentionMap(const models::LayerTrace& layer, int token, AttentionDirection direction, int head,
                           int sample) {
    const int64_t cells = static_cast<int64_t>(layer.gridRows) * layer.gridCols;
    if (token < 0 || token >= cells)
        throw models::ModelError("token " + std::to_string(token) + " is outside the " +
                                 std::to_string(layer.gridRows) + "×" + std::to_string(layer.gridCols) + " grid");
    if (head >= layer.attention.size(1))
        throw models::ModelError("head " + std::to_string(head) + " does not exist (" +
                                 std::to_string(layer.attention.size(1)) + " heads)");
    const torch::Tensor attn = head < 0 ? layer.attentionMean[sample] : layer.attention[sample][head];  // [L, L]
    const torch::Tensor visual = layer.visualTokens[sample];  // [L − prefix]
    const int64_t prefix = attn.size(0) - visual.size(0);
    const torch::Tensor where = (visual == token).nonzero();
    torch::Tensor grid = torch::zeros({cells}, attn.options());
    if (where.size(0) == 0) return grid.view({layer.gridRows, layer.gridCols});  // pruned in this layer
    const int64_t pos = prefix + where[0][0].item<int64_t>();
    const torch::Tensor line = direction == AttentionDirection::Dependency ? attn[pos] : attn.select(1, pos);
    grid.index_put_({visual}, line.slice(0, prefix));
    return grid.view({layer.gridRows, layer.gridCols});
}

torch::Tensor upsampleToCrop(const torch::Tensor& grid, const models::ModelInfo& info, double threshold) {
    torch::Tensor up =
        torch::nn::functional::interpolate(grid.unsqueeze(0).unsqueeze(0).to(torch::kFloat32),
                                           torch::nn::functional::InterpolateFuncOptions()
                                               .size(std::vector<int64_t>{info.inputHeight, info.inputWidth})
                                               .mode(torch::kBilinear)
                                               .align_corners(false))[0][0];
    if (threshold > 0) up = up.masked_fill(up <= threshold, 0.0);
    return up;
}

cv::Mat cropMapToImage(const torch::Tensor& cropMap, const CenterScale& cs, cv::Size imageSize) {
    const torch::Tensor m = cropMap.to(torch::kFloat32).contiguous();
    const cv::Mat crop(static_cast<int>(m.size(0)), static_cast<int>(m.size(1)), CV_32F, m.data_ptr<float>());
    cv::Mat out;
    cv::warpAffine(crop, out, cropTransform(cs, crop.size(), 0, /*inverse=*/true), imageSize, cv::INTER_LINEAR,
                   cv::BORDER_CONSTANT, cv::Scalar());
    return out;
}

std::vector<torch::Tensor> layerwiseHeatmaps(const models::PoseModel& model, const models::Trace& trace,
                                             const torch::Tensor& passOutput) {
    std::vector<torch::Tensor> out;
    for (size_t i = 0; i < trace.layers.size(); ++i)
        out.push_back(i + 1 == trace.layers.size() && passOutput.defined() ? passOutput
                                                                           : model.headOnTokens(trace.layers[i]));
    return out;
}

}  // namespace posescope::analysis
