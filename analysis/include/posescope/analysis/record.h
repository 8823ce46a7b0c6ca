// Recording a run: a model + checkpoint over the person instances of a dataset, into the run
// store (run_store.h). Images are read, cropped and normalised on a separate thread while the
// model runs on the previous batch (LibTorch uses every core for the model itself).
//
// Usage:
//   RecordOptions o;
//   o.config = models::ModelConfig::resolve("transpose-h-a4");  o.checkpoint = "tp_h.pth";
//   o.dataset = "person_keypoints_val2017.json";  o.images = "val2017";  o.out = "run.h5";
//   RecordCallbacks cb;  cb.progress = [](const RecordProgress& p) { … };
//   RecordResult r = recordRun(o, cb);
//
// Samples: COCO (.json) person instances as the official pipelines select them, or the detected
// boxes of `boxes`; MPII (.json) people. The order is the dataset's; --subset/--ids select, the
// shard i/n takes the i-th of n contiguous slices. Every per-sample failure (a missing or corrupt
// image) goes to `issue` and the sample is skipped; everything else is an exception (FileError,
// ModelError, H5Error, RunFormatError) raised before any sample is lost: samples recorded up to
// the error stay in the file, which `resume` continues.
// Thread-safety: one call per output file; callbacks are called on the calling thread. The header
// includes no LibTorch type (the workbench records runs on a worker thread through it).
#pragma once

#include "posescope/analysis/run_header.h"
#include "posescope/models/decode_method.h"
#include "posescope/models/model_config.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace posescope::analysis {

/// `posescope-cli occlude`: besides what record stores, per sample a sliding-occluder sweep, one
/// occlusion around each keypoint, and the share of attention on known occluders (occlusion.h;
/// the arrays in docs/hdf5-schema.md). `window` 0: a plain record.
struct OcclusionRecipe {
    int window = 0;  // side of the sliding occluder, crop pixels
    int stride = 16;
    std::string fill = "mean";  // mean, black, blur, noise or texture
    double blurSigma = 8;
    uint64_t seed = 1;
    std::string texture;           // image file of the texture fill
    int targetedMargin = 16;       // pixels around each keypoint hidden in the targeted pass; 0: none
    bool targetedAllRows = false;  // keep every keypoint's rows after each (K × layers × K × tokens)
    /// Body parts hidden as one region each after the keypoints' (parseBodyParts in skeleton.h):
    /// "auto" = head, torso, arms and legs from the keypoints' names; "none"; or "name=k,k;…".
    std::string targetedParts = "auto";
    int batch = 32;  // occluded variants per forward pass
};

struct RecordOptions {
    models::ModelConfig config;
    std::string checkpoint;
    std::string dataset;  // COCO or MPII annotation JSON
    std::string images;   // image folder
    std::string boxes;    // COCO detections JSON; "" = ground-truth boxes
    int64_t subset = -1;  // first N samples; -1 = all
    std::vector<int64_t> imageIds;
    RunLevel level = RunLevel::Keypoints;
    bool flip = false;
    bool layerwise = true;  // false: layer_keypoints stay NaN (saves the head on every layer)
    models::DecodeMethod decode = models::DecodeMethod::Dark;
    int shardIndex = 0, shardCount = 1;
    std::string out;
    bool resume = false;
    int batchSize = 8;
    double flushSeconds = 2.0;  // make samples durable at least this often
    int jpegQuality = 92;
    std::string posescopeVersion;
    OcclusionRecipe occlusion;
};

struct RecordProgress {
    int64_t done = 0;   // samples of this file recorded (resumed ones included)
    int64_t total = 0;  // samples this file will hold
    double samplesPerSecond = 0;
    double etaSeconds = 0;
};

struct RecordCallbacks {
    std::function<void(const RecordProgress&)> progress;
    std::function<bool()> cancel;  // true stops after the current batch; the file stays resumable
    std::function<void(int64_t index, const std::string& problem)> issue;
};

struct RecordResult {
    std::string out;
    int64_t recorded = 0;  // rows in the file at the end
    int64_t resumedFrom = 0;
    int64_t skipped = 0;
    int64_t total = 0;
    double seconds = 0;      // the whole call
    double loopSeconds = 0;  // recording only (without loading the model and dataset, hashing)
    bool cancelled = false;
};

RecordResult recordRun(const RecordOptions& options, const RecordCallbacks& callbacks = {});

/// The bytes per sample the store will need at `level` for a model (an upper bound, before
/// compression), used to refuse a run that cannot fit on the disk before it starts.
int64_t estimatedBytesPerSample(const RunHeader& header);

}  // namespace posescope::analysis
