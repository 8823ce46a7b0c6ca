// Private: the few NumPy behaviours the official evaluation scripts (pycocotools, HRNet/TransPose
// nms.py and mpii.py) depend on, re-implemented so that our results match theirs bit for bit.
//
// Floating-point note: intermediate results are kept in separate statements on purpose, so that
// no compiler fuses a*b+c into an FMA (NumPy never does); the project builds without -march and
// GCC's ISO mode keeps -ffp-contract=off.
#pragma once

#include <cstddef>
#include <vector>

namespace posescope::analysis::npcompat {

/// np.spacing(1.0) == np.finfo(float).eps.
constexpr double kSpacingOne = 2.220446049250313e-16;

/// NumPy's ordering for float64 sorts and searches: NaN after every number, NaNs equivalent.
inline bool sortLess(double a, double b) {
    return a < b || (b != b && a == a);
}

/// np.add.reduce over a contiguous float64 array (np.sum, and the numerator of np.mean): the
/// identity 0.0 plus NumPy's pairwise summation (8 accumulators, blocks of 128).
double sum(const double* values, std::size_t n);
inline double sum(const std::vector<double>& values) {
    return sum(values.data(), values.size());
}

/// np.linspace(start, stop, num) with endpoint=True: start + i·step, step = (stop − start)/(num − 1),
/// the last element exactly stop.
std::vector<double> linspace(double start, double stop, std::size_t num);

/// np.argsort(values, kind='mergesort'): a stable ascending order.
std::vector<std::size_t> argsortStable(const std::vector<double>& values);

/// np.argsort(values) with the default kind ('quicksort'): NumPy's introsort (median-of-three
/// quicksort, insertion sort for partitions of at most 16 elements, heapsort past 2·log2(n) levels)
/// as NumPy ≤ 1.24 runs it for float64, and later NumPy on CPUs without AVX-512. Not stable: ties
/// come out in an order that depends on the whole array.
std::vector<std::size_t> argsortDefault(const std::vector<double>& values);

}  // namespace posescope::analysis::npcompat
