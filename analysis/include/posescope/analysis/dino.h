// DINO self-supervised pre-training of a pose model's backbone (posescope-cli pretrain), as
// BTranspose applies it (github:kaushikb258/BTranspose dino/, facebookresearch's main_dino.py).
//
// Usage:
//   posescope::analysis::DinoOptions o;
//   o.config = posescope::models::ModelConfig::resolve("btranspose-c3a1");
//   o.images = "unlabelled/";          // a folder of images; no labels are read
//   o.outDir = "runs/dino";
//   posescope::analysis::DinoResult r = posescope::analysis::pretrainDino(o);
//   // then fine-tune on keypoints from the teacher's backbone:
//   //   posescope-cli train --config btranspose-c3a1 --init runs/dino/teacher_backbone.pth
//   //                       --init-prefix model_alpha. …
//
// The method: a student and a teacher network of the same architecture, each the model's
// backbone — everything up to and including the encoder (BTranspose's model_alpha), whose output
// [N, d, h, w] is flattened — followed by a projection head (Linear → GELU → Linear to 256, L2
// normalisation, a weight-normalised bias-free Linear to outDim with its norm fixed at 1). Two
// global views of each image (RandomResizedCrop to the model's input size with scale
// [cropScaleMin, 1], bicubic; flip; colour jitter 0.4/0.4/0.2/0.1 with p 0.8; grey with p 0.2;
// Gaussian blur with p 1 on the first view and 0.1 on the second; solarisation with p 0.2 on the
// second; ImageNet normalisation). Loss: the cross-entropy between the teacher's centred and
// sharpened softmax (temperature teacherTemp) of one view and the student's softmax (studentTemp)
// of the other, averaged over both pairs; the centre follows the teacher's batch mean with
// centerMomentum. AdamW on the student (no decay on biases and 1-D parameters) with a linear
// warm-up to lr over warmupEpochs, then a cosine to minLr; weight decay on a cosine from
// weightDecay to weightDecayEnd; each parameter's gradient clipped to norm clipGrad; the head's
// last layer frozen for freezeLastLayerEpochs. After each step the teacher becomes the EMA of the
// student, its momentum on a cosine from teacherMomentum to 1. BatchNorm layers run in training
// mode in both networks (as DINO's ResNet teacher does); the teacher's running statistics are its
// own. Local crops are off, as BTranspose's launch script sets them (the flattened head needs the
// model's full grid).
//
// What lands in outDir (atomic writes):
//   checkpoint.pth         the whole state for `resume` (student, teacher, both heads, centre, AdamW
//                          moments, schedules' position, RNG); every checkpointSeconds and epoch end
//   teacher_backbone.pth   the teacher's backbone as a state dict under the model's own key names
//                          (the head's keys absent): what `train --init … --init-prefix` loads
//   log.csv                one row per logEvery steps (loss, schedules, the teacher's entropy) and
//                          per epoch
// Errors: posescope::Error for invalid options and a model family without an encoder output to
// pre-train (TokenPose); FileError for an unreadable image folder, image or checkpoint; a resume
// whose options differ names them. Thread-safety: may run on any thread; callbacks on that thread.
#pragma once

#include "posescope/models/model_config.h"

#include <torch/torch.h>
#include <opencv2/core.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace posescope::analysis {

struct DinoOptions {
    models::ModelConfig config = models::ModelConfig::preset("btranspose-c3a1");
    std::string images;  // a folder of images (ImageFolder: directly in it, sorted by name)
    std::string outDir;
    int maxImages = 0;  // > 0: the first N images

    int epochs = 100;
    int batchSize = 12;  // images per step (two views each)
    double lr = -1;      // < 0: 0.0005 · batchSize / 256 (DINO's linear scaling rule)
    double minLr = 1e-6;
    double warmupEpochs = 10;
    double weightDecay = 0.04, weightDecayEnd = 0.4;
    double clipGrad = 3.0;  // 0: no clipping
    double freezeLastLayerEpochs = 1;

    int outDim = 32768;  // BTranspose's launch script (DINO's default is 65536)
    int hiddenDim = 1024, bottleneckDim = 256;
    /// DINO's --use_bn_in_head (its advice for convolutional backbones; BTranspose kept it off): a
    /// BatchNorm1d after the head's first Linear.
    bool bnInHead = false;
    double teacherMomentum = 0.996;
    double teacherTemp = 0.04, studentTemp = 0.1;
    double centerMomentum = 0.9;
    double cropScaleMin = 0.14;  // --global_crops_scale 0.14 1

    uint64_t seed = 1;
    int loaderThreads = 1;
    bool resume = false;
    double checkpointSeconds = 300;
    int checkpointEveryIterations = 0;
    int logEvery = 20;
};

struct DinoProgress {
    int epoch = 0, epochs = 0;  // 1-based
    int64_t iteration = 0, iterationsPerEpoch = 0, step = 0, totalSteps = 0;
    double loss = 0;  // mean of this epoch so far
    double lr = 0, weightDecay = 0, momentum = 0;
    /// The mean entropy (nats) of the teacher's centred, sharpened distribution over this step's
    /// views: DINO's collapse shows as this falling to 0 (one dimension) — centring keeps it up.
    double teacherEntropy = 0;
    double samplesPerSecond = 0, etaSeconds = 0;
};

struct DinoCallbacks {
    std::function<void(const DinoProgress&)> progress;
    std::function<void(int epoch, double loss)> epochEnd;
    std::function<void(const std::string&)> message;
    std::function<bool()> cancel;  // true: stop after the current step (the state is saved)
};

struct DinoResult {
    std::vector<double> epochLoss;  // mean loss of every finished epoch, resumed ones included
    int64_t steps = 0;
    bool cancelled = false;
    std::string checkpoint, teacherBackbone, log;
};

DinoResult pretrainDino(const DinoOptions& options, const DinoCallbacks& callbacks = {});

// --- The pieces, for tests ----------------------------------------------------------------------

/// The two global views of an RGB image (8-bit, `size` = the model's input), their randomness
/// from `seed` only.
std::pair<cv::Mat, cv::Mat> dinoViews(const cv::Mat& rgb, cv::Size size, double cropScaleMin, uint64_t seed);

/// DINO's loss: `student` [2B, K] and `teacher` [2B, K] outputs, view-major (rows 0..B−1 the first
/// view); the teacher's rows are centred by `center` [1, K] and sharpened. Averaged over the two
/// cross-view pairs and the batch.
torch::Tensor dinoLoss(const torch::Tensor& student, const torch::Tensor& teacher, const torch::Tensor& center,
                       double studentTemp, double teacherTemp);

/// teacher ← m·teacher + (1 − m)·student, parameter by parameter (buffers untouched).
void emaUpdate(torch::nn::Module& teacher, const torch::nn::Module& student, double momentum);

/// DINO's cosine_scheduler at step `step` of `total`: a linear warm-up from 0 to `base` over
/// `warmup` steps, then a cosine from `base` to `end`.
double dinoSchedule(double base, double end, int64_t step, int64_t total, int64_t warmup = 0);

}  // namespace posescope::analysis
