// checkpoint_load_bench FILE.pth REPEATS: loads FILE with loadCheckpoint REPEATS times and prints
// the median wall time in milliseconds (one number). Used by scripts/bench_checkpoint_load.py.
#include "posescope/models/checkpoint.h"
#include "posescope/models/runtime.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <vector>

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: checkpoint_load_bench FILE.pth REPEATS\n";
        return 2;
    }
    posescope::models::initialiseRuntime();
    const int repeats = std::max(1, std::atoi(argv[2]));
    std::vector<double> ms;
    size_t tensors = 0;
    for (int i = 0; i < repeats; ++i) {
        const auto start = std::chrono::steady_clock::now();
        const auto ckpt = posescope::models::loadCheckpoint(argv[1]);
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
        tensors = ckpt.tensors.size();
    }
    std::sort(ms.begin(), ms.end());
    std::cout << ms[ms.size() / 2] << ' ' << tensors << '\n';
    return 0;
}
