// The model input of the official TransPose/HRNet test pipeline: person crop, ToTensor, Normalize.
//
// Usage:
//   cv::Mat rgb = posescope::loadImageRgb("000000000785.jpg");
//   posescope::models::PersonInput in = posescope::models::preprocessPerson(rgb, box);  // 256×192
//   torch::Tensor batch = in.tensor.unsqueeze(0);                  // [1, 3, 256, 192] float32
//   torch::Tensor heatmaps = model->forward(batch);                // [1, 17, 64, 48]
//   auto keypoints = posescope::models::decodeToImage(heatmaps, {in.centerScale});
//
//   // Several persons of one image at once:
//   std::vector<posescope::CenterScale> cs = …;                    // boxToCenterScale(box, 0.75)
//   torch::Tensor b = posescope::models::preprocessBatch(rgb, cs, {192, 256});  // [N, 3, 256, 192]
//
// Arithmetic (lib/dataset/JointsDataset.py + torchvision): cropPerson (cv2.warpAffine, bilinear),
// then per value, in float32 and RGB order: v = (u / 255.f − mean[c]) / std[c] with
// mean = (.485, .456, .406), std = (.229, .224, .225); HWC → CHW. Bit-identical to
// ToTensor()+Normalize() on the CPU.
// Errors: posescope::Error if an image is empty or not 8-bit 3-channel.
// Thread-safety: pure functions; safe to call concurrently.
#pragma once

#include "posescope/datasets/annotations.h"
#include "posescope/datasets/crop.h"

#include <torch/types.h>
#include <opencv2/core.hpp>

#include <vector>

namespace posescope::models {

/// The official input size, width × height (TransPose/HRNet 256×192 models).
inline const cv::Size kDefaultInputSize{192, 256};

struct PersonInput {
    torch::Tensor tensor;     // [3, H, W] float32, normalised
    CenterScale centerScale;  // what decodeToImage needs to map heatmaps back
};

/// ToTensor + Normalize of an already cropped RGB 8-bit image → [3, H, W] float32.
torch::Tensor normalizeCrop(const cv::Mat& rgbCrop);

/// Crop at `cs` to `inputSize` (width × height), then normalizeCrop.
torch::Tensor preprocessCrop(const cv::Mat& rgb, const CenterScale& cs, cv::Size inputSize = kDefaultInputSize);

/// A box (x, y, w, h) → boxToCenterScale(box, W/H, 1.25) → preprocessCrop.
PersonInput preprocessPerson(const cv::Mat& rgb, const Box& box, cv::Size inputSize = kDefaultInputSize);

/// Every person of one image → [N, 3, H, W] float32 (N = cs.size(); N = 0 gives [0, 3, H, W]).
torch::Tensor preprocessBatch(const cv::Mat& rgb, const std::vector<CenterScale>& cs,
                              cv::Size inputSize = kDefaultInputSize);

}  // namespace posescope::models
