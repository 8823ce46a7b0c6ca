// Joining the shards of a run (`record --shard i/n`) into one run file.
//
// Usage:
//   MergeResult r = mergeRuns({"s0.h5", "s1.h5", "s2.h5"}, "run.h5");   // any order
//
// The shards must describe the same run (checkpoint, config, dataset, selection, level, flip,
// decoder, shard count) and together hold disjoint samples; they are copied in sample order into a
// new file (rows are copied whole, float16 arrays bit for bit). The result is marked complete when
// every shard is complete and all samples of the selection are present.
// Errors: RunFormatError naming the shard that differs, overlaps or is missing; H5Error.
// Thread-safety: one call per output file.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace posescope::analysis {

struct MergeResult {
    int64_t samples = 0;
    int64_t missing = 0;  // samples of the selection no shard holds
    bool complete = false;
};

MergeResult mergeRuns(const std::vector<std::string>& inputs, const std::string& out,
                      const std::function<void(int64_t done, int64_t total)>& progress = {});

}  // namespace posescope::analysis
