#include "posescope/analysis/run_merge.h"

#include "posescope/analysis/run_store.h"

#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <optional>

namespace posescope::analysis {
namespace {

void requireSame(const RunHeader& a, const RunHeader& b, const std::string& first, const std::string& other) {
    if (const auto d = identityDifference(a, b))
        throw RunFormatError(other, "is not a shard of the same run as " + first + ": " + d->attribute + " differs ('" +
                                        d->second + "' vs '" + d->first + "')");
}

RunSample wholeSample(const RunReader& r, int64_t row) {
    const RunHeader& h = r.header();
    RunSample s = r.sample(row);
    s.dependency = r.dependency(row);
    if (h.heads > 1) s.dependencyHeads = r.dependencyHeads(row);
    if (h.mhsaBlocks > 0) s.mhsaDependency = r.mhsaDependency(row);
    s.cropJpeg = r.cropJpeg(row);
    if (h.level != RunLevel::Keypoints) s.heatmaps = r.heatmaps(row);
    if (h.hasOcclusion()) {
        s.occlusionScoreDrop = r.array(row, "occlusion_score_drop");
        s.occlusionDisplacement = r.array(row, "occlusion_displacement");
        s.occlusionOks = r.array(row, "occlusion_oks");
        if (h.targetedMargin > 0) s.targetedRows = r.array(row, "targeted_rows");
        if (h.targetedMargin > 0 && h.targetedAllRows) s.targetedDependency = r.array(row, "targeted_dependency");
    }
    if (h.level == RunLevel::Full) {
        std::vector<torch::Tensor> layers;
        for (int l = 0; l < h.layers; ++l) {
            std::vector<torch::Tensor> heads;
            for (int k = 0; k < h.heads; ++k)
                heads.push_back(r.attention(row, l, k));
            layers.push_back(torch::stack(heads));
        }
        s.attention = torch::stack(layers);
        std::vector<torch::Tensor> blocks;
        for (int b = 0; b < h.mhsaBlocks; ++b) {
            std::vector<torch::Tensor> heads;
            for (int k = 0; k < h.mhsaHeads; ++k)
                heads.push_back(r.mhsaAttention(row, b, k));
            blocks.push_back(torch::stack(heads));
        }
        if (!blocks.empty()) s.mhsaAttention = torch::stack(blocks);
    }
    return s;
}

}  // namespace

MergeResult mergeRuns(const std::vector<std::string>& inputs, const std::string& out,
                      const std::function<void(int64_t, int64_t)>& progress) {
    if (inputs.empty()) throw RunFormatError(out, "nothing to merge");
    std::vector<RunReader> readers;
    for (const std::string& path : inputs)
        readers.push_back(RunReader::open(path));
    for (size_t i = 1; i < readers.size(); ++i)
        requireSame(readers[0].header(), readers[i].header(), inputs[0], inputs[i]);
    std::sort(readers.begin(), readers.end(),
              [](const RunReader& a, const RunReader& b) { return a.header().firstIndex < b.header().firstIndex; });
    int64_t total = 0, lastEnd = -1;
    bool allComplete = true;
    std::vector<std::vector<int64_t>> indices;
    for (const RunReader& r : readers) {
        indices.push_back(r.indices());
        total += r.size();
        allComplete = allComplete && r.header().complete;
        if (!indices.back().empty()) {
            if (indices.back().front() <= lastEnd)
                throw RunFormatError(r.path(), "overlaps another shard (sample " +
                                                   std::to_string(indices.back().front()) + " is in both)");
            if (!std::is_sorted(indices.back().begin(), indices.back().end()))
                throw RunFormatError(r.path(), "its samples are not in order");
            lastEnd = indices.back().back();
        }
    }
    RunHeader h = readers[0].header();
    h.shardIndex = 0;
    h.shardCount = 1;
    h.firstIndex = 0;
    h.plannedSamples = h.totalSamples;
    int64_t skipped = 0;
    for (const RunReader& r : readers)
        skipped += r.header().skippedSamples;
    // The output is derived from the shards: when the copy fails (a full disk, a damaged shard) the
    // partial file is removed, so that the merge can simply be run again.
    const bool existed = std::filesystem::exists(out);
    MergeResult result;
    try {
        RunWriter writer = RunWriter::create(out, h);
        int64_t done = 0;
        for (const RunReader& r : readers) {
            std::vector<RunSample> batch;
            for (int64_t row = 0; row < r.size(); ++row) {
                batch.push_back(wholeSample(r, row));
                if (batch.size() == 16 || row + 1 == r.size()) {
                    writer.append(batch);
                    done += static_cast<int64_t>(batch.size());
                    batch.clear();
                    if (progress) progress(done, total);
                }
            }
            writer.flush();
        }
        result.samples = writer.size();
        result.missing = h.totalSamples - result.samples - skipped;
        result.complete = allComplete && result.missing == 0;
        if (result.complete)
            writer.finish(skipped);
        else
            writer.close();
    } catch (...) {
        std::error_code ec;
        if (!existed) std::filesystem::remove(out, ec);
        throw;
    }
    return result;
}

}  // namespace posescope::analysis
