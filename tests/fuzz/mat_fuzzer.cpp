// libFuzzer target: the MATLAB level-5 reader used for MPII's gt_valid.mat.
#include "matfile.h"
#include "posescope/datasets/error.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        (void)posescope::mat::parseMatNumeric(data, size, "fuzz.mat");
    } catch (const posescope::FileError&) {
    }
    return 0;
}
