// Training pose models in C++ (posescope-cli train): the official heatmap recipe of the TransPose/
// DarkPose code bases, with checkpoints that resume exactly.
//
// Usage:
//   posescope::analysis::TrainOptions o;
//   o.config = posescope::models::ModelConfig::resolve("resources/models/demo_transpose_r.yaml");
//   o.trainAnnotations = "synth/annotations/person_keypoints_train.json";
//   o.trainImages = "synth/images/train";
//   o.valAnnotations = "synth/annotations/person_keypoints_val.json";  // else valFraction of the images
//   o.valImages = "synth/images/val";
//   o.outDir = "runs/demo_r";
//   posescope::analysis::TrainCallbacks cb;
//   cb.progress = [](const posescope::analysis::TrainProgress& p) { std::cerr << p.loss << '\r'; };
//   cb.cancel = [&] { return stopRequested.load(); };
//   posescope::analysis::TrainResult r = posescope::analysis::trainModel(o, cb);
//
// The recipe (lib/dataset/JointsDataset.py, lib/core/loss.py, train.py of the official code):
// person boxes → centre/scale (aspect W/H, ×1.25); half-body with probability 0.3 when more than 8
// joints are labelled; scale × clip(N(1, 0.35), 0.65, 1.35); rotation clip(N(0, 45°), ±90°) with
// probability 0.6; horizontal flip with probability 0.5 (flip pairs swapped); DarkPose's unbiased
// Gaussian targets (σ = 2) at the joints' exact heatmap positions, target weight 0 for unlabelled
// joints and for Gaussians entirely off the heatmap; loss 0.5·mean((w·(pred − target))²) (JointsMSE);
// Adam (PyTorch's arithmetic, no weight decay) with the learning rate annealed per epoch on a cosine
// from TRAIN.LR to TRAIN.LR_END over TRAIN.END_EPOCH epochs. Samples are prepared on loader threads
// a few batches ahead; every random draw depends only on (seed, epoch, position), so a resumed run
// takes the same steps as an uninterrupted one and ends bit-identical (same thread count).
//
// What lands in outDir (checkpoints in torch.save's zip format, each written to a temporary file
// and renamed, so a kill never leaves a torn one):
//   checkpoint.pth   the training state: {"epoch", "iteration", "step", "state_dict",
//                    "optimizer" (torch.optim.Adam's state_dict layout), "posescope" (config YAML,
//                    seed, RNG state, best AP, history)}; written at each epoch end and every
//                    checkpointSeconds mid-epoch; `resume` continues from it
//   model_best.pth   state dict with the best validation AP;   final_state.pth  after the last epoch
//   config.yaml      the model configuration (opens the model in the app and the CLI)
//   log.csv          one row per logEvery iterations ("iter") and per epoch ("epoch", with AP)
//
// Errors: posescope::Error for invalid options (naming the option), FileError for unreadable
// datasets, images and checkpoints, models::ConfigError / StateDictMismatch for a model that does
// not fit the data or the --init checkpoint. A missing image is reported naming the file.
// Thread-safety: trainModel may run on any thread; callbacks are called on that thread.
#pragma once

#include "posescope/datasets/annotations.h"
#include "posescope/models/model_config.h"

#include <opencv2/core.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace posescope::analysis {

struct AugmentOptions {
    bool flip = true;                  // p = 0.5 (DATASET.FLIP)
    double scaleFactor = 0.35;         // DATASET.SCALE_FACTOR
    double rotationFactor = 45;        // DATASET.ROT_FACTOR, degrees
    double rotationProbability = 0.6;  // of a non-zero rotation
    double halfBodyProbability = 0.3;  // DATASET.PROB_HALF_BODY
    int halfBodyMinJoints = 8;         // DATASET.NUM_JOINTS_HALF_BODY: more labelled joints than this
};

struct TrainOptions {
    models::ModelConfig config = models::ModelConfig::preset("transpose-r-a4");
    std::string trainAnnotations, trainImages;  // COCO-format keypoints (COCO, SynthPose)
    std::string valAnnotations, valImages;      // empty: hold out valFraction of the training images
    double valFraction = 0.1;
    std::string outDir;

    // -1 / 0: from the configuration (TRAIN.END_EPOCH, TRAIN.BATCH_SIZE_PER_GPU, TRAIN.LR, TRAIN.LR_END).
    int epochs = -1;
    int batchSize = -1;
    double lr = -1;
    double lrEnd = -1;
    double sigma = 2;  // MODEL.SIGMA
    AugmentOptions augment;
    uint64_t seed = 1;
    int loaderThreads = 1;    // sample preparation threads (the model uses all cores besides)
    int prefetchBatches = 3;  // batches prepared ahead
    int maxTrainSamples = 0;  // > 0: the first N persons (after the seeded shuffle of the split)
    int repeat = 1;           // each epoch visits every training person this many times (small sets)
    int maxValSamples = 0;
    bool validateBeforeTraining = false;  // also report the untrained model's AP (epoch 0)

    std::string initCheckpoint;             // --init: weights to start from
    std::vector<std::string> initPrefixes;  // non-empty: load only these key prefixes, the rest stays
    bool resume = false;                    // continue outDir/checkpoint.pth (options must match it)

    double checkpointSeconds = 300;     // mid-epoch checkpoints at least this often (0: epoch ends only)
    int checkpointEveryIterations = 0;  // > 0: also every N iterations (tests)
    int logEvery = 20;                  // iterations per "iter" row of log.csv

    // DPPT (posescope-cli distill): a teacher supervises the model besides the ground truth
    // (distill.h). No teacher checkpoint: plain training.
    models::ModelConfig teacherConfig = models::ModelConfig::preset("tokenpose-s-v1");
    std::string teacherCheckpoint;
    double distillHeatmap = 1, distillAttention = 1, distillFeature = 1;  // the terms' weights

    // PPT (a model whose ModelInfo::keepRatio < 1): the official keep-ratio schedule (EViT's, as
    // PPT's core/function.py): every token kept for keepWarmupEpochs, then a cosine from 1 down to
    // MODEL.PRUNING_RATIO, reached at keepDecayEndEpoch (epochs may be fractional). See keepRatioAt.
    double keepWarmupEpochs = 10, keepDecayEndEpoch = 100;
};

struct TrainProgress {
    int epoch = 0, epochs = 0;  // 1-based epoch being trained
    int64_t iteration = 0, iterationsPerEpoch = 0;
    int64_t step = 0, totalSteps = 0;  // optimiser steps so far / in the whole run
    double loss = 0;                   // mean loss of this epoch so far
    double lr = 0;
    double samplesPerSecond = 0;  // since this process started training
    double etaSeconds = 0;        // to the end of the run, validation excluded
};

struct EpochSummary {
    int epoch = 0;  // 1-based; 0 = before training (TrainOptions::validateBeforeTraining)
    double trainLoss = 0;
    double lr = 0;
    double valAp = -1, valAp50 = -1, valAp75 = -1;
    double seconds = 0;
    double samplesPerSecond = 0;
    double dataWaitSeconds = 0;  // the optimisation loop waiting for the loader threads
};

struct TrainCallbacks {
    std::function<void(const TrainProgress&)> progress;  // after each step
    std::function<void(const EpochSummary&)> epochEnd;   // after each epoch's validation
    std::function<void(const std::string&)> message;     // one-line notes (resumed from…, saved…)
    std::function<bool()> cancel;                        // true: stop after the current step
};

struct TrainResult {
    std::vector<EpochSummary> epochs;  // every epoch of the run, resumed ones included
    double bestAp = -1;
    int bestEpoch = 0;
    int64_t steps = 0;
    bool cancelled = false;  // stopped by cancel(); checkpoint.pth holds the last saved state
    std::string checkpoint, bestModel, finalModel, config, log;  // paths in outDir
};

TrainResult trainModel(const TrainOptions& options, const TrainCallbacks& callbacks = {});

// --- The pieces, for tests and for other trainers ---------------------------------------------

struct TrainingSample {
    cv::Mat input;               // [H, W] RGB 8-bit crop, the model input before normalisation
    std::vector<double> joints;  // x, y, visibility (0/1) per joint, in heatmap coordinates
    std::vector<float> target;   // [K, h, w] Gaussian heatmaps
    std::vector<float> weight;   // [K] target weights
};

/// One person augmented as the official training pipeline does (see the top), with randomness from
/// `seed` only. `image` is RGB; `annotation` holds COCO keypoints; `flipPairs` the left/right pairs.
/// `sigma` ≤ 0: no heatmap targets (`target` stays empty, `weight` is 1 for each labelled joint):
/// SimCC models build their labels from `joints` (pass the input size as `heatmapSize`).
TrainingSample makeTrainingSample(const cv::Mat& image, const PersonAnnotation& annotation, const Box& box,
                                  cv::Size inputSize, cv::Size heatmapSize, double sigma,
                                  const std::vector<std::pair<int, int>>& flipPairs, const AugmentOptions& augment,
                                  uint64_t seed);

/// The keep ratio PPT trains with at `epochs` epochs into training (fractional: epoch +
/// iteration / iterations per epoch): 1 before `warmup`, `target` from `decayEnd` on, between them
/// target + (1 − target)·(cos(π·(epochs − warmup)/(decayEnd − warmup)) + 1)/2.
double keepRatioAt(double epochs, double target, double warmup, double decayEnd);

/// DarkPose's unbiased Gaussian targets for joints in heatmap coordinates (x, y, v per joint).
void gaussianTargets(const std::vector<double>& joints, cv::Size heatmapSize, double sigma, std::vector<float>& target,
                     std::vector<float>& weight);

}  // namespace posescope::analysis
