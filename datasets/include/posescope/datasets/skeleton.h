// Keypoint conventions of the datasets PoseScope reads: names, left/right flip pairs, limbs.
//
// Usage:
//   const posescope::Skeleton& coco = posescope::cocoSkeleton();
//   int nose = coco.indexOf("nose");                  // 0
//   for (auto [a, b] : coco.limbs) draw(pts[a], pts[b]);
//
// The COCO order and flip pairs are those of the COCO keypoint annotations and of the official
// TransPose/TokenPose/HRNet pipelines; MPII's are those of the HRNet-style MPII JSON files.
// Errors: indexOf returns -1 for an unknown name. Thread-safety: immutable data.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace posescope {

struct Skeleton {
    std::string name;                            // "coco17", "mpii16"
    std::vector<std::string> keypoints;          // in dataset order
    std::vector<std::pair<int, int>> flipPairs;  // left/right partners (swapped by flip testing)
    std::vector<std::pair<int, int>> limbs;      // pairs to draw, in COCO's "skeleton" order (0-based)

    int size() const { return static_cast<int>(keypoints.size()); }
    int indexOf(const std::string& keypoint) const;
    /// The partner of keypoint i under a horizontal flip (i itself for centre keypoints).
    int flipped(int i) const;
};

const Skeleton& cocoSkeleton();
const Skeleton& mpiiSkeleton();

}  // namespace posescope
