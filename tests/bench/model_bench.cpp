// model_bench PRESET BATCH CAPTURE REPEATS [THREADS [KEY=VALUE…]]: times PoseModel::forward on random
// input with random weights (the architecture is what matters) and prints "<median ms> <min ms>".
// KEY=VALUE overrides change the preset (e.g. MODEL.PRUNING_RATIO=1.0).
// CAPTURE 1 passes a Trace that keeps every layer's attention and tokens. Used by
// scripts/bench_transpose.py, which runs PyTorch eager beside it.
#include "posescope/models/model_config.h"
#include "posescope/models/pose_model.h"
#include "posescope/models/runtime.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <vector>

int main(int argc, char** argv) {
    if (argc < 5) {
        std::cerr << "usage: model_bench PRESET BATCH CAPTURE REPEATS [THREADS [KEY=VALUE…]]\n";
        return 2;
    }
    posescope::models::preferPassiveOpenMpWaiting(argv);
    posescope::models::initialiseRuntime();
    if (argc > 5) at::set_num_threads(std::atoi(argv[5]));
    torch::manual_seed(0);
    posescope::models::ModelConfig config = posescope::models::ModelConfig::preset(argv[1]);
    for (int i = 6; i < argc; ++i)
        config.set(argv[i]);
    const auto model = posescope::models::createModel(config);
    const auto& info = model->info();
    const torch::Tensor input = torch::randn({std::atoi(argv[2]), 3, info.inputHeight, info.inputWidth});
    const bool capture = std::atoi(argv[3]) != 0;
    const int repeats = std::max(1, std::atoi(argv[4]));
    auto once = [&] {
        posescope::models::Trace trace;
        const auto start = std::chrono::steady_clock::now();
        (void)model->forward(input, capture ? &trace : nullptr);
        return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    };
    for (int i = 0; i < 2; ++i)
        once();  // warm-up
    std::vector<double> ms;
    for (int i = 0; i < repeats; ++i)
        ms.push_back(once());
    std::sort(ms.begin(), ms.end());
    std::cout << ms[ms.size() / 2] << ' ' << ms.front() << '\n';
    return 0;
}
