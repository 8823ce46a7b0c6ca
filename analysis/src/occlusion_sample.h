// The occlusion part of one recorded sample (`posescope-cli occlude`): the sliding-occluder maps,
// the share of each keypoint's dependency rows on its known occluder, and one targeted occlusion
// per keypoint. Private to analysis/ (record.cpp calls it per sample).
#pragma once

#include "posescope/analysis/occlusion.h"
#include "posescope/analysis/run_store.h"
#include "posescope/datasets/object_mask.h"

#include <vector>

namespace posescope::analysis::detail {

struct OcclusionInputs {
    const cv::Mat* image = nullptr;  // RGB, the whole image
    CenterScale cs;
    double area = 0;                        // the GT's area for the OKS terms (0: none)
    std::vector<int64_t> occludedBy;        // per keypoint (SynthPose), empty when unknown
    std::vector<ObjectMask> occluderMasks;  // the masks of those occluders the dataset has
};

/// Fills the occlusion fields of `sample` (its keypoints, ground truth, dependency rows, crop
/// transform and annotation id are already set), as header.hasOcclusion() asks.
void addOcclusion(RunSample& sample, const RunHeader& header, const models::PoseModel& model, const OcclusionInputs& in,
                  const OcclusionOptions& options);

}  // namespace posescope::analysis::detail
