#include "posescope/analysis/visibility_stats.h"

#include "posescope/analysis/coco_eval.h"
#include "posescope/analysis/pose_nms.h"
#include "posescope/analysis/run_store.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <set>

namespace posescope::analysis {
namespace {

struct Sums {
    int64_t n = 0;
    double error = 0, normalised = 0, oks = 0;
    std::vector<double> entropy, own, symmetric, adjacent, occluder;
    std::vector<int64_t> symmetricCount, adjacentCount, occluderCount;
    explicit Sums(int layers)
        : entropy(layers),
          own(layers),
          symmetric(layers),
          adjacent(layers),
          occluder(layers),
          symmetricCount(layers),
          adjacentCount(layers),
          occluderCount(layers) {}

    VisibilityGroupStats finish(int layers) const {
        const double nan = std::numeric_limits<double>::quiet_NaN();
        const auto mean = [&](double sum, int64_t count) { return count > 0 ? sum / static_cast<double>(count) : nan; };
        VisibilityGroupStats g;
        g.keypoints = n;
        g.meanError = mean(error, n);
        g.meanNormalisedError = mean(normalised, n);
        g.meanOks = mean(oks, n);
        for (int l = 0; l < layers; ++l) {
            const auto i = static_cast<size_t>(l);
            g.entropy.push_back(mean(entropy[i], n));
            g.ownCell.push_back(mean(own[i], n));
            g.symmetric.push_back(mean(symmetric[i], symmetricCount[i]));
            g.adjacent.push_back(mean(adjacent[i], adjacentCount[i]));
            g.occluder.push_back(mean(occluder[i], occluderCount[i]));
        }
        g.symmetricCount = symmetricCount;
        g.adjacentCount = adjacentCount;
        g.occluderCount = occluderCount;
        return g;
    }
};

}  // namespace

VisibilityStats visibilityStats(const RunReader& run) {
    const RunHeader& h = run.header();
    const int K = h.keypoints(), L = h.layers, T = h.tokens();
    if (L < 1 || T < 1) throw RunFormatError(run.path(), "has no dependency rows (no encoder layers)");
    const std::vector<double> sigmas =
        K == 17 ? cocoKeypointSigmas() : std::vector<double>(static_cast<size_t>(K), 0.089);
    std::vector<int> symmetricOf(static_cast<size_t>(K), -1);
    for (const auto& [a, b] : h.flipPairs)
        if (a < K && b < K) {
            symmetricOf[static_cast<size_t>(a)] = b;
            symmetricOf[static_cast<size_t>(b)] = a;
        }
    std::vector<std::vector<int>> neighbours(static_cast<size_t>(K));
    for (const auto& [a, b] : h.skeleton)
        if (a < K && b < K && a != b) {
            neighbours[static_cast<size_t>(a)].push_back(b);
            neighbours[static_cast<size_t>(b)].push_back(a);
        }
    const double cellW = static_cast<double>(h.inputWidth) / h.gridCols;
    const double cellH = static_cast<double>(h.inputHeight) / h.gridRows;
    const double logT = std::log(static_cast<double>(T));

    Sums visible(L), occluded(L);
    for (int64_t row = 0; row < run.size(); ++row) {
        const RunSample s = run.sample(row);
        bool any = false;
        for (int k = 0; k < K; ++k)
            any = any || s.groundTruth[static_cast<size_t>(3 * k + 2)] > 0;
        if (!any) continue;
        const double area = areaFromScale(s.scale[0], s.scale[1]);
        const auto& m = s.cropTransform;
        // The grid cell of each labelled GT keypoint inside the crop (−1 otherwise).
        std::vector<int> cell(static_cast<size_t>(K), -1);
        for (int k = 0; k < K; ++k) {
            const float* g = &s.groundTruth[static_cast<size_t>(3 * k)];
            if (g[2] <= 0) continue;
            const double x = m[0] * g[0] + m[1] * g[1] + m[2], y = m[3] * g[0] + m[4] * g[1] + m[5];
            if (x < 0 || y < 0 || x >= h.inputWidth || y >= h.inputHeight) continue;
            cell[static_cast<size_t>(k)] =
                static_cast<int>(y / cellH) * h.gridCols + std::min(h.gridCols - 1, static_cast<int>(x / cellW));
        }
        const torch::Tensor dependency = run.dependency(row).to(torch::kFloat64).contiguous();  // [L, K, T]
        const auto d = dependency.accessor<double, 3>();
        for (int k = 0; k < K; ++k) {
            const auto ki = static_cast<size_t>(k);
            const float v = s.groundTruth[3 * ki + 2];
            if (v <= 0) continue;
            Sums& group = v >= 2 ? visible : occluded;
            ++group.n;
            const double dx = s.keypoints[3 * ki] - s.groundTruth[3 * ki];
            const double dy = s.keypoints[3 * ki + 1] - s.groundTruth[3 * ki + 1];
            const double err = std::hypot(dx, dy);
            group.error += err;
            group.normalised += area > 0 ? err / std::sqrt(area) : 0;
            group.oks += area > 0 ? std::exp(-(err * err) / (2 * area * 4 * sigmas[ki] * sigmas[ki])) : 0;
            const int sym = symmetricOf[ki];
            const int symCell = sym >= 0 ? cell[static_cast<size_t>(sym)] : -1;
            std::set<int> near;
            for (int j : neighbours[ki])
                if (cell[static_cast<size_t>(j)] >= 0) near.insert(cell[static_cast<size_t>(j)]);
            for (int l = 0; l < L; ++l) {
                const auto li = static_cast<size_t>(l);
                double entropy = 0, total = 0;
                for (int t = 0; t < T; ++t) {
                    const double p = d[l][k][t];
                    total += p;
                    if (p > 0) entropy -= p * std::log(p);
                }
                // Rows of pruned models do not sum to 1 over the grid: entropy of the normalised row.
                if (total > 0) entropy = entropy / total + std::log(total);
                group.entropy[li] += logT > 0 ? entropy / logT : 0;
                if (cell[ki] >= 0) group.own[li] += d[l][k][cell[ki]];
                if (symCell >= 0) {
                    group.symmetric[li] += d[l][k][symCell];
                    ++group.symmetricCount[li];
                }
                if (!near.empty()) {
                    for (int c : near)
                        group.adjacent[li] += d[l][k][c];
                    ++group.adjacentCount[li];
                }
                if (!s.occluderShare.empty()) {
                    const float share = s.occluderShare[li * static_cast<size_t>(K) + ki];
                    if (!std::isnan(share)) {
                        group.occluder[li] += share;
                        ++group.occluderCount[li];
                    }
                }
            }
        }
    }
    if (visible.n + occluded.n == 0)
        throw RunFormatError(run.path(), "has no labelled ground-truth keypoints to compare");
    VisibilityStats out;
    out.layers = L;
    out.visible = visible.finish(L);
    out.occluded = occluded.finish(L);
    return out;
}

}  // namespace posescope::analysis
