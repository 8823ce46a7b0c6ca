// Small pieces shared by the trainers (private to analysis/): seeds and exact number text.
#pragma once

#include <cstdint>
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

}  // namespace posescope::analysis
