// A small recorded run shared by test processes (figures, the workbench): six SynthPose images,
// the small official TransPose-R checkpoint (2 layers, 4 heads), level full (heatmaps and whole
// attention matrices), so every view and figure kind has its data.
//
//   const std::string run = test::sharedRun();     // recorded once, renamed into place
//
// Like sharedSynthPose, the run is written under a process-private name and renamed, so test
// processes running in parallel never see a half-written file.
#pragma once

#include "official_configs.h"
#include "posescope/analysis/record.h"
#include "synth_fixture.h"
#include "test_paths.h"

#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace posescope::test {

/// Records `name` once over the six shared SynthPose images with the options `configure` sets
/// (model, checkpoint, level), under a process-private name renamed into place.
template <typename Configure>
std::string sharedRecordedRun(const std::string& name, Configure configure) {
    namespace fs = std::filesystem;
    const std::string path = outputPath(name);
    if (fs::exists(path)) return path;
    SynthOptions s;
    s.split = "val";
    s.numImages = 6;
    s.seed = 9;
    s.threads = 1;
    const std::string data = sharedSynthPose("record_val6_s9_masks", s);
    analysis::RecordOptions o;
    o.dataset = data + "/annotations/person_keypoints_val.json";
    o.images = data + "/images/val";
    o.batchSize = 4;
    configure(o);
    o.out = path + ".partial." + std::to_string(::getpid()) + ".h5";
    fs::remove(o.out);
    analysis::recordRun(o);
    std::error_code ec;
    fs::rename(o.out, path, ec);  // another process may have been first: keep its file
    if (ec) fs::remove(o.out);
    return path;
}

inline std::string sharedRun() {
    return sharedRecordedRun("shared_run_full_v1.h5", [](analysis::RecordOptions& o) {
        o.config = smallTransposeR();
        o.checkpoint = officialPath("transpose_r_small.pth");
        o.level = analysis::RunLevel::Full;
    });
}

/// A small PPT run (the official small PPT checkpoint, keep ratio 0.7) over the same six images,
/// level keypoints: kept tokens per pruning stage and keypoint-token dependencies.
inline std::string sharedPptRun() {
    return sharedRecordedRun("shared_run_ppt_v1.h5", [](analysis::RecordOptions& o) {
        o.config = smallPpt();
        o.checkpoint = officialPath("ppt_small.pth");
    });
}

/// A small BTranspose run (the official small checkpoint: one BoT MHSA block with 4 heads) over
/// the same six images, level full: encoder and MHSA dependencies and whole matrices.
inline std::string sharedBTransposeRun() {
    return sharedRecordedRun("shared_run_btranspose_v1.h5", [](analysis::RecordOptions& o) {
        o.config = smallBTranspose();
        o.checkpoint = officialPath("btranspose_small.pth");
        o.level = analysis::RunLevel::Full;
    });
}

/// An occlusion run (posescope-cli occlude) of the small TransPose-R over the first six persons:
/// 64 px windows at stride 32 (5 × 7), mean fill, 16 px targeted regions (each keypoint, then the
/// default body parts) with every row kept.
inline std::string sharedOcclusionRun() {
    return sharedRecordedRun("shared_run_occlusion_v3.h5", [](analysis::RecordOptions& o) {
        o.config = smallTransposeR();
        o.checkpoint = officialPath("transpose_r_small.pth");
        o.subset = 6;
        o.batchSize = 1;
        o.occlusion.window = 64;
        o.occlusion.stride = 32;
        o.occlusion.targetedMargin = 16;
        o.occlusion.targetedAllRows = true;
    });
}

}  // namespace posescope::test
