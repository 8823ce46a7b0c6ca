// Keypoint conventions of the datasets PoseScope reads: names, left/right flip pairs, limbs.
//
// Usage:
//   const posescope::Skeleton& coco = posescope::cocoSkeleton();
//   int nose = coco.indexOf("nose");                  // 0
//   for (auto [a, b] : coco.limbs) draw(pts[a], pts[b]);
//
// The COCO order and flip pairs are those of the COCO keypoint annotations and of the official
// TransPose/TokenPose/HRNet pipelines; MPII's are those of the HRNet-style MPII JSON files.
//   std::vector<BodyPart> parts = standardBodyParts(coco.keypoints);   // head, torso, arms, legs
//   parts = parseBodyParts("head=nose,left_eye,right_eye;hands=9,10", coco.keypoints);
//
// Body parts are named groups of keypoints (what targeted occlusion hides as one region).
// Errors: indexOf returns -1 for an unknown name; parseBodyParts throws posescope::Error naming
// the part and the keypoint it does not know. Thread-safety: immutable data, pure functions.
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

/// A named group of keypoints (indices in dataset order).
struct BodyPart {
    std::string name;
    std::vector<int> keypoints;
    bool operator==(const BodyPart& o) const { return name == o.name && keypoints == o.keypoints; }
};

/// head, torso, left_arm, right_arm, left_leg, right_leg from the keypoints' names (COCO's and
/// MPII's): each part with the keypoints it finds (shoulders belong to the arms and the torso,
/// hips to the legs and the torso); parts with none are left out.
std::vector<BodyPart> standardBodyParts(const std::vector<std::string>& keypointNames);
/// "name=k,k,…;name=…" with keypoint names or 0-based indices; "auto" = standardBodyParts,
/// "none" or "" = no parts. Names must be unique and every part must name a keypoint.
std::vector<BodyPart> parseBodyParts(const std::string& spec, const std::vector<std::string>& keypointNames);

const Skeleton& cocoSkeleton();
const Skeleton& mpiiSkeleton();

}  // namespace posescope
