// Occluded against visible keypoints over a recorded run: accuracy, and per layer how the
// keypoint's dependency row is spread (entropy) and how much of it falls on its own location, on
// its symmetric joint and on the joints next to it in the skeleton.
//
// Usage:
//   RunReader run = RunReader::open("run.h5");
//   VisibilityStats s = visibilityStats(run);
//   for (int l = 0; l < s.layers; ++l)
//       std::cout << l << ' ' << s.occluded.entropy[l] << ' ' << s.visible.entropy[l] << '\n';
//
// Groups follow the ground truth's COCO flags as recorded in the run: v = 2 visible, v = 1
// labelled but occluded (SynthPose sets v = 1 for every covered keypoint: by an occluder, another
// person or the body itself); unlabelled keypoints are left out. Per keypoint: the error of the
// final prediction in image pixels, divided by sqrt(area), and its OKS term exp(−d²/(2·area·(2σ)²))
// with area = areaFromScale(the sample's scale) (the box area the official rescoring uses; the run
// has no GT area) and COCO's σ (0.089 for other keypoint sets). Per layer, over the head-averaged
// dependency row: its entropy divided by log T (1 = uniform), and its mass on the grid cell that
// holds the keypoint's own ground-truth location, on the cell of its symmetric joint (flip pairs;
// when that joint is labelled) and on the cells of its skeleton neighbours (labelled ones, each
// cell once). Ground-truth locations are mapped into the crop by the sample's crop transform;
// locations outside the crop count for nothing. In occlusion runs (`posescope-cli occlude`) of
// SynthPose data, also the row's mass on the keypoint's occluder (its visible pixels, each cell
// weighted by the share of it the occluder covers; not for self-occlusion). Means are over the
// keypoints that have the value.
// Errors: RunFormatError for a run without ground truth or dependency rows. Thread-safety: reads
// `run` only; as RunReader. The header includes no LibTorch type (the workbench uses it).
#pragma once

#include <cstdint>
#include <vector>

namespace posescope::analysis {

class RunReader;  // run_store.h

struct VisibilityGroupStats {
    int64_t keypoints = 0;  // (sample, keypoint) pairs in the group
    double meanError = 0;   // image pixels
    double meanNormalisedError = 0;
    double meanOks = 0;
    std::vector<double> entropy;    // per layer, normalised by log T
    std::vector<double> ownCell;    // per layer: mass on the keypoint's own cell
    std::vector<double> symmetric;  // per layer: mass on the symmetric joint's cell
    std::vector<double> adjacent;   // per layer: mass on the skeleton neighbours' cells
    std::vector<double> occluder;   // per layer: mass on the keypoint's occluder (occlusion runs of SynthPose)
    std::vector<int64_t> symmetricCount, adjacentCount, occluderCount;  // per layer: keypoints that have the value
};

struct VisibilityStats {
    int layers = 0;
    VisibilityGroupStats visible, occluded;
};

VisibilityStats visibilityStats(const RunReader& run);

}  // namespace posescope::analysis
