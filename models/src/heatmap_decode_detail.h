// Private: the per-map steps of heatmap_decode.cpp, exposed for white-box tests
// (tests/models/test_heatmap_decode.cpp). Each map is h × w float32, row-major.
#pragma once

#include "posescope/models/heatmap_decode.h"

namespace posescope::models::detail {

/// get_max_preds: first maximum (first NaN if any), float32 x = i % w, y = i / w; (0, 0) unless > 0.
Keypoint argmaxPeak(const float* map, int h, int w);
/// HRNet's ±0.25 step toward the higher neighbour when 1 < x < w−1 and 1 < y < h−1.
void quarterOffsetStep(const float* map, int h, int w, Keypoint& k);
/// gaussian_blur (zero padding, float64 blur, rescaled to the original max) + log(max(·, 1e-10)).
void darkLogMap(const float* map, int h, int w, int kernel, float* out);
/// taylor(): one Newton step on a log map when 1 < x < w−2, 1 < y < h−2 and det H != 0.
void taylorStep(const float* logMap, int h, int w, Keypoint& k);

}  // namespace posescope::models::detail
