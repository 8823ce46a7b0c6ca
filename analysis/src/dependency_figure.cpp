#include "posescope/analysis/dependency_figure.h"

#include "posescope/datasets/error.h"

#include <torch/torch.h>
#include <opencv2/imgcodecs.hpp>

namespace posescope::analysis {
namespace {

constexpr int kLabelHeight = 18;
constexpr int kRowLabelWidth = 70;

cv::Mat panelOf(const cv::Mat& crop, const torch::Tensor& map, int colormap, double alpha) {
    const torch::Tensor m = map.to(torch::kFloat32).contiguous();
    cv::Mat values(static_cast<int>(m.size(0)), static_cast<int>(m.size(1)), CV_32F, m.data_ptr<float>());
    double lo = 0, hi = 0;
    cv::minMaxLoc(values, &lo, &hi);
    cv::Mat scaled;
    values.convertTo(scaled, CV_8U, hi > lo ? 255.0 / (hi - lo) : 0.0, hi > lo ? -lo * 255.0 / (hi - lo) : 0.0);
    cv::Mat colored;
    cv::applyColorMap(scaled, colored, colormap);  // BGR
    cv::cvtColor(colored, colored, cv::COLOR_BGR2RGB);
    cv::Mat out;
    cv::addWeighted(colored, alpha, crop, 1.0 - alpha, 0.0, out);
    return out;
}

void drawStar(cv::Mat& img, cv::Point2d p, double scale) {
    const cv::Point c(static_cast<int>(p.x * scale), static_cast<int>(p.y * scale));
    cv::drawMarker(img, c, cv::Scalar(0, 0, 0), cv::MARKER_STAR, 12, 3, cv::LINE_AA);
    cv::drawMarker(img, c, cv::Scalar(255, 255, 255), cv::MARKER_STAR, 12, 1, cv::LINE_AA);
}

}  // namespace

cv::Mat denormalizeCrop(const torch::Tensor& input) {
    const torch::Tensor mean = torch::tensor({0.485f, 0.456f, 0.406f}).view({3, 1, 1});
    const torch::Tensor std = torch::tensor({0.229f, 0.224f, 0.225f}).view({3, 1, 1});
    const torch::Tensor rgb = (input.to(torch::kFloat32) * std + mean)
                                  .clamp(0, 1)
                                  .mul(255)
                                  .round()
                                  .to(torch::kUInt8)
                                  .permute({1, 2, 0})
                                  .contiguous();
    return cv::Mat(static_cast<int>(rgb.size(0)), static_cast<int>(rgb.size(1)), CV_8UC3, rgb.data_ptr<uint8_t>())
        .clone();
}

cv::Mat renderDependencyFigure(const DependencyFigure& f) {
    const int pw = static_cast<int>(f.crop.cols * f.scale), ph = static_cast<int>(f.crop.rows * f.scale);
    const int cols = 1 + static_cast<int>(f.queries.size());
    const int rows = static_cast<int>(f.maps.size());
    cv::Mat canvas(rows * ph + kLabelHeight, kRowLabelWidth + cols * pw, CV_8UC3, cv::Scalar(255, 255, 255));
    cv::Mat crop;
    cv::resize(f.crop, crop, {pw, ph}, 0, 0, cv::INTER_AREA);

    // Column 0: the crop with the predicted skeleton.
    cv::Mat pose = crop.clone();
    const int k = f.skeleton ? std::min<int>(f.skeleton->size(), static_cast<int>(f.queries.size())) : 0;
    for (const auto& [a, b] : f.skeleton ? f.skeleton->limbs : std::vector<std::pair<int, int>>{}) {
        if (a >= k || b >= k) continue;
        cv::line(pose, f.queries[static_cast<size_t>(a)] * f.scale, f.queries[static_cast<size_t>(b)] * f.scale,
                 cv::Scalar(255, 140, 0), 2, cv::LINE_AA);
    }
    for (int i = 0; i < k; ++i)
        cv::circle(pose, f.queries[static_cast<size_t>(i)] * f.scale, 2, cv::Scalar(255, 255, 255), -1, cv::LINE_AA);

    for (int r = 0; r < rows; ++r) {
        const int y = r * ph;
        pose.copyTo(canvas(cv::Rect(kRowLabelWidth, y, pw, ph)));
        const std::string label = static_cast<size_t>(r) < f.rowLabels.size() ? f.rowLabels[static_cast<size_t>(r)]
                                                                              : "Layer " + std::to_string(r);
        cv::putText(canvas, label, {4, y + ph / 2}, cv::FONT_HERSHEY_SIMPLEX, 0.45, cv::Scalar(0, 0, 0), 1,
                    cv::LINE_AA);
        for (size_t q = 0; q < f.queries.size() && q < f.maps[static_cast<size_t>(r)].size(); ++q) {
            torch::Tensor map = f.maps[static_cast<size_t>(r)][q];
            cv::Mat panel =
                panelOf(crop,
                        map.dim() == 2 && (map.size(0) != ph || map.size(1) != pw)
                            ? torch::nn::functional::interpolate(map.unsqueeze(0).unsqueeze(0),
                                                                 torch::nn::functional::InterpolateFuncOptions()
                                                                     .size(std::vector<int64_t>{ph, pw})
                                                                     .mode(torch::kBilinear)
                                                                     .align_corners(false))[0][0]
                            : map,
                        f.colormap, f.alpha);
            drawStar(panel, f.queries[q], f.scale);
            panel.copyTo(canvas(cv::Rect(kRowLabelWidth + static_cast<int>(q + 1) * pw, y, pw, ph)));
        }
    }
    for (size_t q = 0; q < f.labels.size() && q < f.queries.size(); ++q)
        cv::putText(canvas, f.labels[q], {kRowLabelWidth + static_cast<int>(q + 1) * pw + 2, rows * ph + 13},
                    cv::FONT_HERSHEY_SIMPLEX, 0.35, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
    return canvas;
}

void saveFigure(const cv::Mat& rgb, const std::string& path) {
    cv::Mat bgr;
    cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
    bool ok = false;
    try {
        ok = cv::imwrite(path, bgr);
    } catch (const cv::Exception& e) {
        throw FileError(path, std::string("cannot write the figure (") + e.err + ")");
    }
    if (!ok) throw FileError(path, "cannot write the figure");
}

}  // namespace posescope::analysis
