// MPII in the JSON form of the HRNet/TransPose code bases (annot/{train,valid,test}.json), and
// the MATLAB ground truth they evaluate PCKh against (annot/gt_valid.mat).
//
// Usage:
//   auto mpii = posescope::MpiiDataset::load("annot/valid.json", "images");
//   posescope::CenterScale cs = posescope::mpiiCenterScale(mpii.samples()[0]);
//   auto gt = posescope::loadMpiiGroundTruth("annot/gt_valid.mat");   // head sizes for PCKh
//
// Coordinates: the JSON and the .mat use MATLAB's 1-based pixels. MpiiSample keeps the file's
// values; mpiiCenterScale() and mpiiJoints() convert as lib/dataset/mpii.py does (center.y += 15·s,
// scale ×1.25, then both −1 to 0-based).
// Errors: FileError naming the file and the JSON path (or .mat variable) of the problem.
// Thread-safety: loaded objects are immutable.
#pragma once

#include "posescope/datasets/annotations.h"
#include "posescope/datasets/crop.h"

#include <array>
#include <string>
#include <vector>

namespace posescope {

constexpr int kMpiiJoints = 16;

struct MpiiSample {
    std::string image;                             // file name, relative to the image folder
    double centerX = 0, centerY = 0;               // 1-based, as in the file
    double scale = 0;                              // person height / 200
    bool hasJoints = false;                        // false for the test split
    std::array<double, 2 * kMpiiJoints> joints{};  // x, y per joint, 1-based, as in the file
    std::array<int, kMpiiJoints> visible{};        // joints_vis
};

class MpiiDataset {
public:
    static MpiiDataset load(const std::string& jsonFile, const std::string& imageDir = "");
    const std::vector<MpiiSample>& samples() const { return m_samples; }
    /// imageDir / image (the image itself when it is an absolute path).
    std::string imagePath(const MpiiSample& s) const;

private:
    std::string m_imageDir;
    std::vector<MpiiSample> m_samples;
};

/// The crop center and scale the official pipeline uses (0-based; aspect fixing happens in the crop).
CenterScale mpiiCenterScale(const MpiiSample& s);
/// Joints in 0-based pixels with their visibility as v (0 or 1... as joints_vis stores it).
std::vector<double> mpiiJoints(const MpiiSample& s);

/// gt_valid.mat: per sample, 1-based ground-truth joints, missing flags and the head box size
/// (the norm of the head box diagonal, before PCKh's 0.6 factor).
struct MpiiGroundTruth {
    std::vector<std::array<double, 2 * kMpiiJoints>> joints;
    std::vector<std::array<bool, kMpiiJoints>> missing;
    std::vector<double> headSize;
    size_t size() const { return headSize.size(); }
};

MpiiGroundTruth loadMpiiGroundTruth(const std::string& matFile);

/// Predictions in MATLAB's 1-based pixels, x, y per joint: pred.mat as the HRNet/TransPose code
/// saves it (variable "preds", N×16×2), or a JSON file [[[x, y], … 16], …].
std::vector<std::array<double, 2 * kMpiiJoints>> loadMpiiPredictions(const std::string& file);

}  // namespace posescope
