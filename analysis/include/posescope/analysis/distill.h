// DPPT: distilling a TokenPose teacher into a PPT student (Ren et al., "Distilling Token-Pruned
// Pose Transformer", 2023). The paper's abstract names three kinds of supervision from the
// teacher besides the ground truth; each is one term here, with its own weight:
//   heatmap    the teacher's output heatmaps (JointsMSE form: ½·mean of squared differences,
//              weighted per keypoint by the ground truth's target weights);
//   attention  the keypoint tokens' attention to the visual tokens in every student layer, against
//              the teacher's layer at the same relative depth, the teacher's row gathered at the
//              visual tokens the student still has; both head-averaged and renormalised over
//              those tokens (so pruning does not shift the mass), mean squared difference × the
//              number of visual tokens (a per-token scale independent of the grid);
//   feature    the keypoint tokens the head reads (the student's and the teacher's output
//              keypoint tokens, which must have the same width): mean squared difference.
// The loss the student minimises is groundTruth + heatmap·wH + attention·wA + feature·wF.
//
// Usage:
//   models::Trace st, tt;
//   torch::Tensor sOut = student.forwardTraining(input, &st);
//   torch::Tensor tOut;  { torch::NoGradGuard g;  tOut = teacher.forward(input, &tt); }
//   DistillTerms d = distillationTerms(sOut, st, tOut, tt, targetWeight, /*keypoints*/ 17);
//   torch::Tensor loss = gtLoss + weights.heatmap * d.heatmap + weights.attention * d.attention + …;
//
// Errors: posescope::Error when the two models do not fit (another token grid, another number of
// keypoints, a feature term between keypoint tokens of different widths, a model without
// keypoint tokens). Thread-safety: pure functions of their arguments.
#pragma once

#include "posescope/models/pose_model.h"

#include <torch/types.h>

namespace posescope::analysis {

struct DistillWeights {
    double heatmap = 1.0;
    double attention = 1.0;
    double feature = 1.0;
};

struct DistillTerms {
    torch::Tensor heatmap, attention, feature;  // scalars; attention/feature 0 when their weight is 0
};

/// The teacher layer matched to student layer `index` of `studentLayers` by relative depth.
int matchedTeacherLayer(int index, int studentLayers, int teacherLayers);

/// The three terms for one batch. `targetWeight` [N, K] (the ground truth's visibility weights).
DistillTerms distillationTerms(const torch::Tensor& studentHeatmaps, const models::Trace& student,
                               const torch::Tensor& teacherHeatmaps, const models::Trace& teacher,
                               const torch::Tensor& targetWeight, int keypoints, const DistillWeights& weights = {});

}  // namespace posescope::analysis
