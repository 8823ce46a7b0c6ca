#include "posescope/datasets/annotations.h"

namespace posescope {

int PersonAnnotation::labelledKeypoints() const {
    int n = 0;
    for (size_t i = 2; i < keypoints.size(); i += 3)
        if (keypoints[i] > 0) ++n;
    return n;
}

}  // namespace posescope
