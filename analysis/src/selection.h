// The person instances of a dataset as the official pipelines select them (COCO/SynthPose with
// ground-truth or detected boxes, MPII people), narrowed by image ids and a first-N subset:
// what a run records and what the workbench lists for a dataset. Private to analysis/.
//
//   const Selection sel = selectSamples({annotations, images, boxes, imageIds, subset, inputSize});
//
// Errors: FileError from the dataset readers (naming the file and the JSON path).
#pragma once

#include "posescope/datasets/annotations.h"
#include "posescope/datasets/crop.h"
#include "posescope/datasets/object_mask.h"

#include <opencv2/core.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace posescope::analysis::detail {

// One person instance of the selection, before any image is read.
struct Planned {
    int64_t index = 0;
    int64_t imageId = 0, annotationId = 0;
    std::string imagePath;
    int imageWidth = 0, imageHeight = 0;  // as the annotation file gives them (0: not given)
    Box box;
    float score = 1;
    CenterScale cs;
    std::vector<float> groundTruth;         // K × 3, empty without ground truth
    double area = 0;                        // the ground truth's area (COCO), 0 without
    std::vector<int64_t> occludedBy;        // SynthPose: per keypoint, what covers it (−1 nothing)
    std::vector<ObjectMask> occluderMasks;  // SynthPose: the masks of those occluders
};

struct Selection {
    std::string kind;  // coco, mpii or images (own images: no ground truth, keypoints 0 = the model's)
    std::vector<Planned> samples;
    int keypoints = 0;
    std::vector<std::string> keypointNames;
    std::vector<std::pair<int, int>> skeleton;  // 0-based pairs to draw
    std::string description;
};

struct SelectionRequest {
    std::string dataset;  // COCO/SynthPose or MPII annotation JSON; "" = your own images (ImageFolder)
    std::string images;
    std::string boxes;  // COCO detections ("" = ground-truth boxes); own images: the boxes CSV/JSON
    std::vector<int64_t> imageIds;
    int64_t subset = -1;
    cv::Size inputSize;      // the crop's aspect ratio sets the boxes' (center, scale)
    bool pathsOnly = false;  // own images: leave whole-image boxes empty instead of decoding images
};

/// True when the file is MPII's annotation list (a JSON array) rather than a COCO object.
bool looksLikeMpii(const std::string& path);
Selection selectSamples(const SelectionRequest& request);

}  // namespace posescope::analysis::detail
