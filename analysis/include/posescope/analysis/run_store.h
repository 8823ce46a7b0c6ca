// The run store: one HDF5 file per recorded run (layout: docs/hdf5-schema.md). Per-sample arrays
// are extensible chunked datasets indexed by sample row; the run's description is attributes.
//
// Usage:
//   auto w = RunWriter::create("run.h5", header);       // refuses an existing file
//   w.append(batch);  w.flush();  …  w.finish();         // finish() marks the run complete
//   auto r = RunReader::open("run.h5");                   // works on a killed run too
//   RunSample s = r.sample(12);                           // keypoints, boxes, transform
//   torch::Tensor dep = r.dependency(12);                 // [layers, K, rows·cols] float32
//   torch::Tensor map = r.dependencyMap(12, /*layer*/2, /*keypoint*/9);   // [rows, cols]
//   torch::Tensor bot = r.mhsaDependencyMap(12, /*block*/0, /*keypoint*/9); // BTranspose's MHSA
//
// Crash safety: the writer runs in HDF5's single-writer/multiple-reader mode, so the file on disk
// is consistent at every moment; a killed run keeps every sample appended before its last flush().
// After a failed write (a full disk) the writer lets go of the file without another byte, which
// leaves it in the same state. RunWriter::resume() reopens such a file (or a finished one) and
// continues after its last flushed row; opening extends a file that a full disk cut short, with
// zeros, to the length its superblock records (the lost tail held only unflushed rows).
// Errors: H5Error naming the file and carrying HDF5's error stack; RunFormatError for a file that
// is not a PoseScope run or whose arrays disagree with its header.
// Thread-safety: one writer or reader per thread; readers may run while a writer appends.
#pragma once

#include "posescope/analysis/h5_file.h"
#include "posescope/analysis/run_header.h"

#include <torch/types.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace posescope::analysis {

class RunFormatError : public FileError {
public:
    using FileError::FileError;
};

/// One recorded person instance. Coordinates are original-image pixels unless stated otherwise.
struct RunSample {
    int64_t index = 0;  // position in the run's whole selection (shards share the numbering)
    int64_t imageId = 0, annotationId = 0;
    std::array<float, 4> box{};
    float boxScore = 1;
    std::array<float, 2> center{}, scale{};
    std::array<float, 6> cropTransform{};  // 2×3 affine image → crop (input) pixels, row-major
    std::vector<float> groundTruth;        // K × (x, y, v); v = 0 where unlabelled (all 0 without GT)
    std::vector<float> keypoints;          // K × (x, y, score)
    std::vector<float> layerKeypoints;     // layers × K × (x, y, score): layer-wise heatmaps decoded
    std::vector<int32_t> queryTokens;      // K: the token whose row is each keypoint's dependency
    torch::Tensor dependency;              // [layers, K, tokens]: head-averaged rows
    torch::Tensor dependencyHeads;         // [layers, heads, K, tokens]; undefined when heads == 1
    std::string cropJpeg;                  // the model input crop as JPEG bytes (RGB)
    torch::Tensor heatmaps;                // [K, h, w], level ≥ Heatmaps
    torch::Tensor attention;               // [layers, heads, tokens, tokens], level Full
    // BTranspose (header.mhsaBlocks > 0): its BoT blocks' MHSA over the same token grid.
    torch::Tensor mhsaDependency;  // [mhsaBlocks, mhsaHeads, K, tokens]: the rows of the queryTokens, per head
    torch::Tensor mhsaAttention;   // [mhsaBlocks, mhsaHeads, tokens, tokens], level Full
    // PPT (header.pruningStages() > 0), per stage and token of the grid:
    std::vector<float> pruningScores;  // stages × tokens: the score that ranked it (NaN: pruned before)
    std::vector<int32_t> keptRank;     // stages × tokens: its place among the kept (0 = best), −1 pruned
    // Occlusion runs (header.hasOcclusion(); occlusion_run.h), W = the sliding windows:
    torch::Tensor occlusionScoreDrop, occlusionDisplacement, occlusionOks;  // [W, K]; read with array()
    std::vector<float> referenceOks;   // K: the unoccluded prediction's OKS term (NaN: no GT)
    std::vector<int64_t> occluderId;   // K: SynthPose's occluder of the keypoint (−1: none known)
    std::vector<float> occluderShare;  // layers × K: the dependency row's mass on that occluder (NaN: none)
    // Targeted regions r < R = header.targetedRegions(): one around each keypoint, then one around
    // each body part (header.targetedParts).
    std::vector<int32_t> targetedRegion;                         // R × (x, y, w, h), crop pixels: the region r hidden
    std::vector<float> targetedKeypoints;                        // R × K × (x, y, score): with region r hidden
    std::vector<float> targetedShareBefore, targetedShareAfter;  // R × layers × K: rows' mass on region r
    torch::Tensor targetedRows;  // [R, layers, tokens]: the hidden keypoint's own row (a part: its keypoints' mean)
    torch::Tensor targetedDependency;  // [R, layers, K, tokens]: every keypoint's rows then (targetedAllRows)
};

class RunWriter {
public:
    /// Creates `path` (which must not exist) with the header's attributes and empty datasets
    /// (`created` is set to now when empty).
    static RunWriter create(const std::string& path, const RunHeader& header);
    /// Reopens a run for appending after its last complete row (rows some arrays got beyond
    /// it in a crash are dropped). `header` receives the stored header.
    static RunWriter resume(const std::string& path, RunHeader& header);
    RunWriter(RunWriter&&) noexcept;
    RunWriter& operator=(RunWriter&&) noexcept;
    ~RunWriter();

    const RunHeader& header() const;
    /// Rows recorded so far.
    int64_t size() const;
    /// The `index` of the last row, or -1 when empty.
    int64_t lastIndex() const;
    /// Rows made durable by the last flush().
    int64_t durableSize() const;
    /// Appends samples (shapes must follow the header; float arrays are stored as float16 where
    /// the schema says so). Throws H5Error when writing fails, e.g. on a full disk: the writer
    /// then lets go of the file without writing anything more, so it holds the rows of the last
    /// flush() (durableSize()) and resume() continues it.
    void append(const std::vector<RunSample>& samples);
    /// Makes every appended sample durable. Throws H5Error as append() does.
    void flush();
    /// Flushes, closes and marks the run complete (attributes complete, finished, skipped).
    void finish(int64_t skippedSamples = 0);
    /// Flushes and closes without marking it complete (cancelled runs, to be resumed).
    void close();

private:
    struct State;
    explicit RunWriter(std::unique_ptr<State> s);
    void appendBatch(const std::vector<RunSample>& samples);
    void flushNow();
    std::unique_ptr<State> m;
};

class RunReader {
public:
    static RunReader open(const std::string& path);
    RunReader(RunReader&&) noexcept;
    RunReader& operator=(RunReader&&) noexcept;
    ~RunReader();

    const RunHeader& header() const;
    const std::string& path() const;
    /// Complete rows (for a killed run: those flushed before it died).
    int64_t size() const;
    /// Everything but the large arrays (dependency, heatmaps, attention, the occlusion maps and
    /// targeted rows stay undefined).
    RunSample sample(int64_t row) const;
    /// [layers, K, tokens] float32, head-averaged.
    torch::Tensor dependency(int64_t row) const;
    /// [layers, heads, K, tokens] float32 (for one-head models the averaged rows).
    torch::Tensor dependencyHeads(int64_t row) const;
    /// [gridRows, gridCols] dependency of one keypoint in one layer; head −1 averages.
    torch::Tensor dependencyMap(int64_t row, int layer, int keypoint, int head = -1) const;
    std::string cropJpeg(int64_t row) const;
    /// [K, h, w] float32; throws RunFormatError when the run has no heatmaps.
    torch::Tensor heatmaps(int64_t row) const;
    /// [tokens, tokens] float32 of one layer and head; throws RunFormatError below level Full.
    torch::Tensor attention(int64_t row, int layer, int head) const;
    /// BTranspose's BoT MHSA (header().mhsaBlocks > 0, else RunFormatError): the query tokens'
    /// rows [mhsaBlocks, mhsaHeads, K, tokens] float32; one block's map of a keypoint
    /// [gridRows, gridCols] (head −1 averages); one block's and head's whole matrix (level Full).
    torch::Tensor mhsaDependency(int64_t row) const;
    torch::Tensor mhsaDependencyMap(int64_t row, int block, int keypoint, int head = -1) const;
    torch::Tensor mhsaAttention(int64_t row, int block, int head) const;
    /// One row of any float array of /samples (e.g. the occlusion maps "occlusion_score_drop",
    /// [W, K]), in its per-sample shape, float32.
    torch::Tensor array(int64_t row, const std::string& column) const;
    /// One column of every row: the `index`, image id … of all samples (for listing and eval).
    std::vector<int64_t> indices() const;
    /// A float32 column of /samples (box, keypoints, ground_truth, crop_transform, …) for every
    /// row at once, row-major ([rows, per-row shape…]); converted from float16 where stored so.
    std::vector<float> floatColumn(const std::string& name) const;
    /// An int64 column with one number per row (index, image_id, annotation_id).
    std::vector<int64_t> int64Column(const std::string& name) const;
    /// Bytes the file takes on disk.
    int64_t fileBytes() const;

private:
    struct State;
    explicit RunReader(std::unique_ptr<State> s);
    std::unique_ptr<State> m;
};

}  // namespace posescope::analysis
