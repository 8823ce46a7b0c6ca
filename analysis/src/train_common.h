// Small pieces shared by the trainers (private to analysis/): seeds, exact number text and
// LibTorch's generator state (saved in checkpoints so dropout resumes identically).
#pragma once

#include <ATen/CPUGeneratorImpl.h>
#include <torch/types.h>

#include <cstdint>
#include <mutex>
#include <sstream>
#include <string>

namespace posescope::analysis {

inline uint64_t mix(uint64_t x) {  // splitmix64's finaliser
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/// A seed for draw (a, b) of a run seeded `seed`: independent streams per epoch and position.
inline uint64_t seedOf(uint64_t seed, uint64_t a, uint64_t b) {
    return mix(mix(mix(seed) ^ a) ^ b);
}

/// 17 significant digits: the text reads back as the same double.
inline std::string numberText(double v) {
    std::ostringstream s;
    s.precision(17);
    s << v;
    return s.str();
}

/// The default CPU generator's state (what checkpoints keep) and its restoration.
inline torch::Tensor torchRngState() {
    auto gen = at::detail::getDefaultCPUGenerator();
    const std::lock_guard<std::mutex> lock(gen.mutex());
    return gen.get_state();
}
inline void restoreTorchRng(const torch::Tensor& state) {
    auto gen = at::detail::getDefaultCPUGenerator();
    const std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(state);
}

}  // namespace posescope::analysis
