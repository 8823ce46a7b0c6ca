#include "posescope/analysis/dependencies.h"

#include <torch/torch.h>
#include <opencv2/imgproc.hpp>

#include <algorithm>

namespace posescope::analysis {
namespace {

// The visual-token columns of `rows` [N, …, L] (the last visualTokens.size(1) ones) placed on the
// whole grid of T tokens by their grid indices [N, V]; pruned tokens get 0.
torch::Tensor onGrid(const torch::Tensor& rows, const torch::Tensor& visual, int64_t T) {
    const int64_t V = visual.size(1), L = rows.size(-1);
    const torch::Tensor cols = rows.narrow(-1, L - V, V);
    if (V == T && torch::equal(visual, torch::arange(T, visual.options()).expand_as(visual))) return cols;
    std::vector<int64_t> shape = cols.sizes().vec();
    shape.back() = T;
    std::vector<int64_t> view(static_cast<size_t>(cols.dim()), 1);
    view.front() = visual.size(0);
    view.back() = V;
    const torch::Tensor index = visual.view(view).expand_as(cols);
    return torch::zeros(shape, cols.options()).scatter_(-1, index, cols);
}

}  // namespace

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

KeypointRows keypointRows(const models::PoseModel& model, const models::Trace& trace,
                          const std::vector<std::vector<models::Keypoint>>& outputKeypoints, int64_t gridTokens) {
    const models::ModelInfo& info = model.info();
    const auto n = static_cast<int64_t>(outputKeypoints.size());
    const int K = info.keypoints, prefix = info.prefixTokens;
    if (trace.layers.empty()) throw models::ModelError(info.family + ": keypoint rows need a traced pass");
    KeypointRows out;
    // The query of each keypoint: its keypoint token (token models), or the visual token under its
    // prediction (TransPose); then every layer's rows for them.
    torch::Tensor which = torch::empty({n, K}, torch::kInt64);
    out.tokens.resize(static_cast<size_t>(n));
    for (int64_t b = 0; b < n; ++b) {
        const auto queries = keypointQueries(outputKeypoints[static_cast<size_t>(b)], info);
        for (int k = 0; k < K; ++k) {
            const int token = queryToken(queries[static_cast<size_t>(k)], trace.layers.front(), info);
            out.tokens[static_cast<size_t>(b)].push_back(token);
            which[b][k] = prefix > 0 ? k : prefix + token;
        }
    }
    for (const models::LayerTrace& lt : trace.layers) {
        const torch::Tensor rows = model.attentionRows(lt, which);  // [N, H, K, L]
        // Visual-token columns only, on the whole grid (pruned tokens 0).
        out.perHead.push_back(onGrid(rows, lt.visualTokens, gridTokens));
        out.mean.push_back(rows.size(1) == 1 ? out.perHead.back().select(1, 0)
                                             : out.perHead.back().sum(1).div_(static_cast<double>(rows.size(1))));
    }
    return out;
}

}  // namespace posescope::analysis
