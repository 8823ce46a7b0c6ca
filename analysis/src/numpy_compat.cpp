#include "numpy_compat.h"

#include <algorithm>
#include <numeric>
#include <utility>

namespace posescope::analysis::npcompat {

namespace {

constexpr std::size_t kPairwiseBlock = 128;     // NumPy's PW_BLOCKSIZE
constexpr std::ptrdiff_t kSmallQuicksort = 15;  // NumPy's SMALL_QUICKSORT: n ≤ 16 is insertion-sorted

double pairwiseSum(const double* a, std::size_t n) {
    if (n < 8) {
        double total = 0.0;
        for (std::size_t i = 0; i < n; ++i)
            total += a[i];
        return total;
    }
    if (n <= kPairwiseBlock) {
        double acc[8];
        for (std::size_t j = 0; j < 8; ++j)
            acc[j] = a[j];
        std::size_t i = 8;
        for (; i < n - (n % 8); i += 8) {
            for (std::size_t j = 0; j < 8; ++j)
                acc[j] += a[i + j];
        }
        const double left = (acc[0] + acc[1]) + (acc[2] + acc[3]);
        const double right = (acc[4] + acc[5]) + (acc[6] + acc[7]);
        double total = left + right;
        for (; i < n; ++i)
            total += a[i];
        return total;
    }
    std::size_t half = n / 2;
    half -= half % 8;
    const double first = pairwiseSum(a, half);
    const double second = pairwiseSum(a + half, n - half);
    return first + second;
}

// Sift-down heapsort on the index range [first, first + n), 1-based heap arithmetic like NumPy's.
void heapsortIndices(const std::vector<double>& v, std::size_t* first, std::ptrdiff_t n) {
    std::size_t* a = first - 1;  // a[1] … a[n]
    auto lessAt = [&](std::size_t x, std::size_t y) { return sortLess(v[x], v[y]); };
    for (std::ptrdiff_t l = n >> 1; l > 0; --l) {
        const std::size_t tmp = a[l];
        std::ptrdiff_t i = l;
        for (std::ptrdiff_t j = l << 1; j <= n;) {
            if (j < n && lessAt(a[j], a[j + 1])) j += 1;
            if (!lessAt(tmp, a[j])) break;
            a[i] = a[j];
            i = j;
            j += j;
        }
        a[i] = tmp;
    }
    for (; n > 1;) {
        const std::size_t tmp = a[n];
        a[n] = a[1];
        n -= 1;
        std::ptrdiff_t i = 1;
        for (std::ptrdiff_t j = 2; j <= n;) {
            if (j < n && lessAt(a[j], a[j + 1])) j++;
            if (!lessAt(tmp, a[j])) break;
            a[i] = a[j];
            i = j;
            j += j;
        }
        a[i] = tmp;
    }
}

int mostSignificantBit(std::size_t n) {
    int bit = 0;
    while (n >>= 1)
        ++bit;
    return bit;
}

}  // namespace

double sum(const double* values, std::size_t n) {
    const double partial = pairwiseSum(values, n);
    return 0.0 + partial;
}

std::vector<double> linspace(double start, double stop, std::size_t num) {
    std::vector<double> out(num);
    if (num == 0) return out;
    if (num == 1) {
        out[0] = start;
        return out;
    }
    const double div = static_cast<double>(num - 1);
    const double delta = stop - start;
    const double step = delta / div;
    for (std::size_t i = 0; i < num; ++i) {
        double y = static_cast<double>(i);
        if (step == 0) {  // NumPy's denormal path: y / div * delta
            y = y / div;
            y = y * delta;
        } else {
            y = y * step;
        }
        out[i] = y + start;
    }
    out[num - 1] = stop;
    return out;
}

std::vector<std::size_t> argsortStable(const std::vector<double>& values) {
    std::vector<std::size_t> order(values.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t x, std::size_t y) { return sortLess(values[x], values[y]); });
    return order;
}

std::vector<std::size_t> argsortDefault(const std::vector<double>& values) {
    const std::ptrdiff_t num = static_cast<std::ptrdiff_t>(values.size());
    std::vector<std::size_t> order(values.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    if (num < 2) return order;

    const std::vector<double>& v = values;
    auto lessAt = [&](std::size_t x, std::size_t y) { return sortLess(v[x], v[y]); };
    struct Pending {
        std::size_t* left;
        std::size_t* right;
        int depth;
    };
    std::vector<Pending> stack;
    std::size_t* pl = order.data();
    std::size_t* pr = order.data() + num - 1;
    int depth = mostSignificantBit(static_cast<std::size_t>(num)) * 2;

    for (;;) {
        if (depth < 0) {
            heapsortIndices(v, pl, pr - pl + 1);
        } else {
            while ((pr - pl) > kSmallQuicksort) {
                std::size_t* pm = pl + ((pr - pl) >> 1);
                if (lessAt(*pm, *pl)) std::swap(*pm, *pl);
                if (lessAt(*pr, *pm)) std::swap(*pr, *pm);
                if (lessAt(*pm, *pl)) std::swap(*pm, *pl);
                const std::size_t pivot = *pm;
                std::size_t* pi = pl;
                std::size_t* pj = pr - 1;
                std::swap(*pm, *pj);
                for (;;) {
                    do {
                        ++pi;
                    } while (lessAt(*pi, pivot));
                    do {
                        --pj;
                    } while (lessAt(pivot, *pj));
                    if (pi >= pj) break;
                    std::swap(*pi, *pj);
                }
                std::swap(*pi, *(pr - 1));
                // Continue with the smaller side; the larger one waits on the stack.
                --depth;
                if (pi - pl < pr - pi) {
                    stack.push_back({pi + 1, pr, depth});
                    pr = pi - 1;
                } else {
                    stack.push_back({pl, pi - 1, depth});
                    pl = pi + 1;
                }
            }
            for (std::size_t* pi = pl + 1; pi <= pr; ++pi) {  // insertion sort
                const std::size_t vi = *pi;
                std::size_t* pj = pi;
                while (pj > pl && lessAt(vi, *(pj - 1))) {
                    *pj = *(pj - 1);
                    --pj;
                }
                *pj = vi;
            }
        }
        if (stack.empty()) break;
        pl = stack.back().left;
        pr = stack.back().right;
        depth = stack.back().depth;
        stack.pop_back();
    }
    return order;
}

}  // namespace posescope::analysis::npcompat
