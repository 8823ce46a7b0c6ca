// SynthPose data shared by test processes that CTest runs in parallel.
//
//   SynthOptions s;  s.split = "val";  s.numImages = 6;  s.seed = 9;
//   const std::string dir = test::sharedSynthPose("record_val6_s9", s);   // dir/annotations/…, dir/images/val/…
//
// The split is generated once into a folder of this process and renamed into place: the first
// process to finish wins and the others keep what it wrote (the same options give the same files),
// so no process ever reads a half-written or half-deleted dataset. Name the folder after the
// options, so changed options never reuse stale files.
#pragma once

#include "posescope/datasets/synthpose.h"
#include "test_paths.h"

#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace posescope::test {

inline std::string sharedSynthPose(const std::string& name, SynthOptions options) {
    namespace fs = std::filesystem;
    const std::string dir = outputPath(name);
    if (fs::exists(dir + "/annotations/person_keypoints_" + options.split + ".json")) return dir;
    const std::string tmp = dir + ".partial." + std::to_string(::getpid());
    fs::remove_all(tmp);
    options.outputDir = tmp;
    generateSynthPose(options);
    std::error_code ec;
    fs::rename(tmp, dir, ec);  // fails when another process was first: keep its copy
    if (ec) fs::remove_all(tmp);
    return dir;
}

}  // namespace posescope::test
