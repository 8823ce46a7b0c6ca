// The heatmap decoders by name, without LibTorch (for options structs that torch-free code fills).
//
// Usage:
//   posescope::models::DecodeMethod m = posescope::models::DecodeMethod::Dark;
//
// The decoders themselves are in heatmap_decode.h. Errors: none. Thread-safety: a plain enum.
#pragma once

namespace posescope::models {

enum class DecodeMethod { Argmax, ArgmaxQuarterOffset, Dark };

}  // namespace posescope::models
