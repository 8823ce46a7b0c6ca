// coco_load_bench FILE.json: loads a COCO keypoints file with CocoDataset::load and prints
// "<seconds> <peak RSS in MB> <images> <annotations> <persons>". Used by scripts/bench_coco_load.py.
#include "posescope/datasets/coco.h"

#include <sys/resource.h>

#include <chrono>
#include <iostream>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: coco_load_bench FILE.json\n";
        return 2;
    }
    const auto start = std::chrono::steady_clock::now();
    const auto coco = posescope::CocoDataset::load(argv[1]);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    std::cout << seconds << ' ' << usage.ru_maxrss / 1024.0 << ' ' << coco.images().size() << ' '
              << coco.annotations().size() << ' ' << coco.personInstances().size() << '\n';
    return 0;
}
