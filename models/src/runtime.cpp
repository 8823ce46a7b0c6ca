#include "posescope/models/runtime.h"

#include <ATen/Parallel.h>

#include <thread>

namespace posescope::models {

void initialiseRuntime() {
    const unsigned cores = std::thread::hardware_concurrency();
    if (cores > 0) at::set_num_threads(static_cast<int>(cores));
}

int intraOpThreads() {
    return at::get_num_threads();
}

}  // namespace posescope::models
