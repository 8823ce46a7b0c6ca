// occlusion_bench CONFIG CHECKPOINT IMAGE SIZE STRIDE REPEATS [BATCH…]: times slidingOcclusion on one
// person (the whole image as its box) with each batch size, side by side in one process, and
// prints per batch size "<batch> <windows> <median s> <windows/s>". Used for docs/benchmarks.md.
#include "posescope/analysis/occlusion.h"
#include "posescope/datasets/image.h"
#include "posescope/models/model_config.h"
#include "posescope/models/runtime.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    if (argc < 7) {
        std::fprintf(stderr, "usage: occlusion_bench CONFIG CHECKPOINT IMAGE SIZE STRIDE REPEATS [BATCH…]\n");
        return 2;
    }
    using namespace posescope;
    models::preferPassiveOpenMpWaiting(argv);
    models::initialiseRuntime();
    const auto model = models::loadModel(models::ModelConfig::resolve(argv[1]), argv[2]);
    const cv::Mat image = loadImageRgb(argv[3]);
    const CenterScale cs = boxToCenterScale(Box{0, 0, static_cast<double>(image.cols), static_cast<double>(image.rows)},
                                            static_cast<double>(model->info().inputWidth) / model->info().inputHeight);
    const int repeats = std::max(1, std::atoi(argv[6]));
    std::vector<int> batches;
    for (int i = 7; i < argc; ++i)
        batches.push_back(std::atoi(argv[i]));
    if (batches.empty()) batches = {1, 8, 32};
    // Interleaved: every repeat times each batch size once, so machine noise hits all alike.
    std::vector<std::vector<double>> seconds(batches.size());
    int64_t windows = 0;
    for (int r = 0; r < repeats; ++r)
        for (size_t b = 0; b < batches.size(); ++b) {
            analysis::OcclusionOptions o;
            o.size = std::atoi(argv[4]);
            o.stride = std::atoi(argv[5]);
            o.batch = batches[b];
            const auto start = std::chrono::steady_clock::now();
            const analysis::SensitivityResult result = analysis::slidingOcclusion(*model, image, cs, o);
            seconds[b].push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
            windows = result.evaluated;
        }
    for (size_t b = 0; b < batches.size(); ++b) {
        std::sort(seconds[b].begin(), seconds[b].end());
        const double median = seconds[b][seconds[b].size() / 2];
        std::printf("%d %lld %.3f %.1f\n", batches[b], static_cast<long long>(windows), median,
                    static_cast<double>(windows) / median);
    }
    return 0;
}
