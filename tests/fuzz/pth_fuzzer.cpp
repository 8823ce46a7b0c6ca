// libFuzzer target: the .pth parser (zip, pickle, legacy format, state-dict assembly, summary).
// Any input must either parse or raise posescope::FileError; anything else (a crash, a sanitizer
// report, another exception type) is a bug.
#include "posescope/datasets/error.h"
#include "pth/pth_reader.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        const auto raw = posescope::models::pth::parseCheckpoint(data, size, "fuzz.pth");
        (void)posescope::models::pth::summarise(raw);
    } catch (const posescope::FileError&) {
    }
    return 0;
}
