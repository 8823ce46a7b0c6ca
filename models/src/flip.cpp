#include "posescope/models/flip.h"

#include "posescope/datasets/error.h"

#include <torch/torch.h>

#include <string>

namespace posescope::models {

namespace {

void check4d(const torch::Tensor& t, const char* what) {
    if (!t.defined() || t.dim() != 4)
        throw Error(std::string(what) + ": expected an [N, C, H, W] tensor, got " +
                    (t.defined() ? std::to_string(t.dim()) + " dimensions" : std::string("an undefined tensor")));
}

}  // namespace

torch::Tensor flipWidth(const torch::Tensor& batch) {
    check4d(batch, "flipWidth");
    return torch::flip(batch, {3});
}

torch::Tensor flipBack(const torch::Tensor& heatmaps, const std::vector<std::pair<int, int>>& flipPairs) {
    check4d(heatmaps, "flipBack");
    const int64_t k = heatmaps.size(1);
    std::vector<int64_t> order(static_cast<size_t>(k));
    for (int64_t i = 0; i < k; ++i)
        order[static_cast<size_t>(i)] = i;
    // The official loop swaps pair by pair; for disjoint pairs that is this permutation, and for
    // overlapping ones applying the swaps in order to the index list gives the same result.
    for (const auto& [a, b] : flipPairs) {
        if (a < 0 || a >= k || b < 0 || b >= k)
            throw Error("flipBack: flip pair (" + std::to_string(a) + ", " + std::to_string(b) + ") outside the " +
                        std::to_string(k) + " heatmap channels");
        std::swap(order[static_cast<size_t>(a)], order[static_cast<size_t>(b)]);
    }
    const torch::Tensor index = torch::tensor(order, torch::kLong).to(heatmaps.device());
    return torch::flip(heatmaps, {3}).index_select(1, index);
}

torch::Tensor averageFlip(const torch::Tensor& output, const torch::Tensor& flippedBack) {
    return (output + flippedBack) * 0.5;
}

torch::Tensor flipTest(const std::function<torch::Tensor(const torch::Tensor&)>& forward, const torch::Tensor& input,
                       const std::vector<std::pair<int, int>>& flipPairs) {
    const torch::Tensor output = forward(input);
    const torch::Tensor flipped = forward(flipWidth(input));
    return averageFlip(output, flipBack(flipped, flipPairs));
}

}  // namespace posescope::models
