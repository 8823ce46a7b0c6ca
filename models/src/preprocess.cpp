#include "posescope/models/preprocess.h"

#include "posescope/datasets/error.h"

#include <torch/torch.h>

#include <string>

namespace posescope::models {

namespace {

// torchvision's Normalize converts its Python-float mean/std to float32 tensors.
constexpr float kMean[3] = {0.485f, 0.456f, 0.406f};
constexpr float kStd[3] = {0.229f, 0.224f, 0.225f};

void checkRgb8(const cv::Mat& image, const char* what) {
    if (image.empty()) throw Error(std::string(what) + ": empty image");
    if (image.type() != CV_8UC3)
        throw Error(std::string(what) + ": expected an 8-bit 3-channel RGB image, got type " +
                    std::to_string(image.type()) + " with " + std::to_string(image.channels()) + " channels");
}

}  // namespace

torch::Tensor normalizeCrop(const cv::Mat& rgbCrop) {
    checkRgb8(rgbCrop, "normalizeCrop");
    const int h = rgbCrop.rows;
    const int w = rgbCrop.cols;
    torch::Tensor out = torch::empty({3, h, w}, torch::kFloat32);
    float* dst = out.data_ptr<float>();
    const int64_t plane = static_cast<int64_t>(h) * w;
    for (int y = 0; y < h; ++y) {
        const uint8_t* row = rgbCrop.ptr<uint8_t>(y);
        for (int x = 0; x < w; ++x) {
            for (int c = 0; c < 3; ++c) {
                // ToTensor: float32 division by 255; Normalize: sub_(mean).div_(std), both float32.
                const float v = static_cast<float>(row[3 * x + c]) / 255.0f;
                dst[c * plane + static_cast<int64_t>(y) * w + x] = (v - kMean[c]) / kStd[c];
            }
        }
    }
    return out;
}

torch::Tensor preprocessCrop(const cv::Mat& rgb, const CenterScale& cs, cv::Size inputSize) {
    checkRgb8(rgb, "preprocessCrop");
    return normalizeCrop(cropPerson(rgb, cs, inputSize));
}

PersonInput preprocessPerson(const cv::Mat& rgb, const Box& box, cv::Size inputSize) {
    // JointsDataset: aspect_ratio = image_width * 1.0 / image_height.
    const double aspect = inputSize.width * 1.0 / inputSize.height;
    PersonInput in;
    in.centerScale = boxToCenterScale(box, aspect, 1.25);
    in.tensor = preprocessCrop(rgb, in.centerScale, inputSize);
    return in;
}

torch::Tensor preprocessBatch(const cv::Mat& rgb, const std::vector<CenterScale>& cs, cv::Size inputSize) {
    checkRgb8(rgb, "preprocessBatch");
    torch::Tensor out =
        torch::empty({static_cast<int64_t>(cs.size()), 3, inputSize.height, inputSize.width}, torch::kFloat32);
    for (size_t i = 0; i < cs.size(); ++i)
        out[static_cast<int64_t>(i)].copy_(preprocessCrop(rgb, cs[i], inputSize));
    return out;
}

}  // namespace posescope::models
