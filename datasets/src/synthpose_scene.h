// SynthPose internals: one image — background, clutter, figures and occluders in depth order,
// and the annotations read back from the label map.
#pragma once

#include <opencv2/core.hpp>

#include <cstdint>
#include <vector>

#include "posescope/datasets/annotations.h"
#include "posescope/datasets/object_mask.h"
#include "posescope/datasets/synthpose.h"

namespace posescope::synth {

struct SceneOutput {
    cv::Mat image;  // CV_8UC3, BGR
    ImageInfo info;
    std::vector<PersonAnnotation> annotations;
    // The visible pixels (where it is the topmost object) of every object named in some
    // annotation's occludedBy other than that annotation's own id, by id.
    std::vector<ObjectMask> occluderMasks;
    std::vector<SynthLayer> layers;  // only when asked for
};

/// Renders image `imageId` (1-based) of the dataset; a pure function of the options and the id.
SceneOutput renderScene(const SynthOptions& options, int64_t imageId, bool keepLayers);

}  // namespace posescope::synth
