#include "posescope/datasets/skeleton.h"

namespace posescope {

int Skeleton::indexOf(const std::string& keypoint) const {
    for (int i = 0; i < size(); ++i)
        if (keypoints[static_cast<size_t>(i)] == keypoint) return i;
    return -1;
}

int Skeleton::flipped(int i) const {
    for (const auto& [a, b] : flipPairs) {
        if (a == i) return b;
        if (b == i) return a;
    }
    return i;
}

const Skeleton& cocoSkeleton() {
    static const Skeleton s{
        "coco17",
        {"nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder", "left_elbow",
         "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle",
         "right_ankle"},
        {{1, 2}, {3, 4}, {5, 6}, {7, 8}, {9, 10}, {11, 12}, {13, 14}, {15, 16}},
        // COCO's 1-based skeleton [[16,14],[14,12],[17,15],[15,13],[12,13],[6,12],[7,13],[6,7],[6,8],
        // [7,9],[8,10],[9,11],[2,3],[1,2],[1,3],[2,4],[3,5],[4,6],[5,7]], made 0-based.
        {{15, 13},
         {13, 11},
         {16, 14},
         {14, 12},
         {11, 12},
         {5, 11},
         {6, 12},
         {5, 6},
         {5, 7},
         {6, 8},
         {7, 9},
         {8, 10},
         {1, 2},
         {0, 1},
         {0, 2},
         {1, 3},
         {2, 4},
         {3, 5},
         {4, 6}},
    };
    return s;
}

const Skeleton& mpiiSkeleton() {
    static const Skeleton s{
        "mpii16",
        {"right_ankle", "right_knee", "right_hip", "left_hip", "left_knee", "left_ankle", "pelvis", "thorax",
         "upper_neck", "head_top", "right_wrist", "right_elbow", "right_shoulder", "left_shoulder", "left_elbow",
         "left_wrist"},
        {{0, 5}, {1, 4}, {2, 3}, {10, 15}, {11, 14}, {12, 13}},
        {{0, 1},
         {1, 2},
         {2, 6},
         {6, 3},
         {3, 4},
         {4, 5},
         {6, 7},
         {7, 8},
         {8, 9},
         {7, 12},
         {12, 11},
         {11, 10},
         {7, 13},
         {13, 14},
         {14, 15}},
    };
    return s;
}

}  // namespace posescope
