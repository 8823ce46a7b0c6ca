// SynthPose internals: small vector types and the deterministic random source.
//
// Random numbers come from std::mt19937_64, whose output sequence the C++ standard fixes; every
// distribution is derived here from its raw output (std::uniform_real_distribution and friends
// are implementation-defined), so a seed gives the same images with every standard library.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>

namespace posescope::synth {

constexpr double kPi = 3.14159265358979323846;
inline double deg(double degrees) {
    return degrees * kPi / 180.0;
}

struct V2 {
    double x = 0;
    double y = 0;
};
inline V2 operator+(V2 a, V2 b) {
    return {a.x + b.x, a.y + b.y};
}
inline V2 operator-(V2 a, V2 b) {
    return {a.x - b.x, a.y - b.y};
}
inline V2 operator*(V2 a, double s) {
    return {a.x * s, a.y * s};
}
inline double dot(V2 a, V2 b) {
    return a.x * b.x + a.y * b.y;
}
inline double cross(V2 a, V2 b) {
    return a.x * b.y - a.y * b.x;
}
inline double length(V2 a) {
    return std::sqrt(dot(a, a));
}

struct V3 {
    double x = 0;
    double y = 0;
    double z = 0;
};
inline V3 operator+(V3 a, V3 b) {
    return {a.x + b.x, a.y + b.y, a.z + b.z};
}
inline V3 operator-(V3 a, V3 b) {
    return {a.x - b.x, a.y - b.y, a.z - b.z};
}
inline V3 operator*(V3 a, double s) {
    return {a.x * s, a.y * s, a.z * s};
}
inline double dot(V3 a, V3 b) {
    return a.x * b.x + a.y * b.y + a.z * b.z;
}
inline V3 cross(V3 a, V3 b) {
    return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}
inline double length(V3 a) {
    return std::sqrt(dot(a, a));
}
inline V3 normalized(V3 a) {
    const double n = length(a);
    return n > 0 ? a * (1.0 / n) : V3{0, 0, -1};
}

/// A 3×3 matrix stored by columns: M·v = c[0]·v.x + c[1]·v.y + c[2]·v.z.
struct M3 {
    V3 c[3];
    V3 operator*(V3 v) const { return c[0] * v.x + c[1] * v.y + c[2] * v.z; }
    M3 operator*(const M3& o) const { return {{(*this) * o.c[0], (*this) * o.c[1], (*this) * o.c[2]}}; }
    V3 row(int i) const {
        auto at = [i](V3 v) { return i == 0 ? v.x : i == 1 ? v.y : v.z; };
        return {at(c[0]), at(c[1]), at(c[2])};
    }
};

// Rotations about the local axes (x: right, y: up, z: forward of a body frame).
inline M3 rotX(double a) {  // positive a turns +y towards +z
    const double c = std::cos(a), s = std::sin(a);
    return {{{1, 0, 0}, {0, c, s}, {0, -s, c}}};
}
inline M3 rotY(double a) {  // positive a turns +z towards +x
    const double c = std::cos(a), s = std::sin(a);
    return {{{c, 0, -s}, {0, 1, 0}, {s, 0, c}}};
}
inline M3 rotZ(double a) {  // positive a turns +x towards +y
    const double c = std::cos(a), s = std::sin(a);
    return {{{c, s, 0}, {-s, c, 0}, {0, 0, 1}}};
}

inline uint64_t splitmix64(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

class Rng {
public:
    explicit Rng(uint64_t seed) : m_engine(seed) {}

    uint64_t next() { return m_engine(); }
    /// Uniform in [0, 1) with 53 random bits.
    double uniform() { return static_cast<double>(m_engine() >> 11) * (1.0 / 9007199254740992.0); }
    double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
    /// Uniform integer in [lo, hi].
    int integer(int lo, int hi) {
        if (hi <= lo) return lo;
        const uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
        return lo + static_cast<int>(m_engine() % span);
    }
    bool chance(double p) { return uniform() < p; }
    /// Standard normal (Box–Muller, one value per call).
    double normal() {
        const double u1 = 1.0 - uniform();  // (0, 1]
        const double u2 = uniform();
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * kPi * u2);
    }
    double normal(double mean, double sigma) { return mean + sigma * normal(); }
    /// Log-uniform in [lo, hi] (lo, hi > 0).
    double logUniform(double lo, double hi) { return lo * std::exp(uniform() * std::log(hi / lo)); }
    /// An index drawn with the given (not necessarily normalised) weights.
    template <size_t N>
    int weighted(const double (&w)[N]) {
        double total = 0;
        for (double x : w)
            total += x;
        double u = uniform() * total;
        for (size_t i = 0; i < N; ++i) {
            if (u < w[i]) return static_cast<int>(i);
            u -= w[i];
        }
        return static_cast<int>(N - 1);
    }

private:
    std::mt19937_64 m_engine;
};

inline double clampd(double v, double lo, double hi) {
    return std::min(hi, std::max(lo, v));
}

}  // namespace posescope::synth
