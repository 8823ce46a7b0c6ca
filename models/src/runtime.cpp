#include "posescope/models/runtime.h"

#include <ATen/Parallel.h>
#include <link.h>
#include <torch/torch.h>

#include <malloc.h>
#include <unistd.h>
#include <algorithm>
#include <climits>
#include <cstdlib>
#include <thread>

namespace posescope::models {

void initialiseRuntime() {
    // LibTorch's CPU allocator is malloc. By default glibc serves blocks over 128 KiB (raised
    // dynamically, at most 32 MiB) with mmap and unmaps them when freed, so every forward pass
    // faults its activations and attention buffers in again, page by page (a TransPose-H attention
    // matrix is 38 MB per sample and layer). Serve every block from the heap and keep up to
    // 512 MiB of freed heap for the next pass.
    mallopt(M_MMAP_MAX, 0);
    mallopt(M_TRIM_THRESHOLD, 512 * 1024 * 1024);
    const unsigned cores = std::thread::hardware_concurrency();
    if (cores > 0) at::set_num_threads(static_cast<int>(cores));
}

void preferPassiveOpenMpWaiting(char** argv) {
    if (std::getenv("OMP_WAIT_POLICY") || !argv || !argv[0]) return;
    if (::setenv("OMP_WAIT_POLICY", "PASSIVE", 1) != 0) return;
    ::execv("/proc/self/exe", argv);
    ::unsetenv("OMP_WAIT_POLICY");  // exec failed: carry on as we are
}

std::string openMpWaitPolicy() {
    const char* policy = std::getenv("OMP_WAIT_POLICY");
    return policy ? policy : "";
}

int intraOpThreads() {
    return at::get_num_threads();
}

std::string blasLibrary() {
    // A matrix product makes sure LibTorch has bound its BLAS; then look at what is loaded.
    (void)torch::mm(torch::ones({2, 2}), torch::ones({2, 2}));
    std::string found;
    dl_iterate_phdr(
        [](dl_phdr_info* info, size_t, void* out) {
            const std::string name = info->dlpi_name ? info->dlpi_name : "";
            if (name.find("libblas") == std::string::npos) return 0;
            char real[PATH_MAX];
            *static_cast<std::string*>(out) = realpath(name.c_str(), real) ? real : name;
            return 1;
        },
        &found);
    return found;
}

void keepFreedMemory(size_t bytes) {
    mallopt(M_TRIM_THRESHOLD, static_cast<int>(std::min<size_t>(bytes, 2047u * 1024 * 1024)));
}

}  // namespace posescope::models
