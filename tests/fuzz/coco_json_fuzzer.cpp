// libFuzzer target: the COCO keypoints JSON reader (simdjson parse, field checks, indexing, the
// official person selection). Any input must load or raise posescope::FileError.
#include "posescope/datasets/coco.h"
#include "posescope/datasets/error.h"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        const auto coco =
            posescope::CocoDataset::parse(std::string(reinterpret_cast<const char*>(data), size), "fuzz.json");
        for (const auto& p : coco.personInstances())
            (void)coco.image(p.imageId);
    } catch (const posescope::FileError&) {
    }
    return 0;
}
