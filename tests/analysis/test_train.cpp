// Training: samples and targets as the official pipeline makes them, the trainer's learning,
// checkpoints, exact resume after a kill, and its errors.
#include "official_configs.h"
#include "posescope/analysis/train.h"
#include "posescope/analysis/training_log.h"
#include "posescope/datasets/crop.h"
#include "posescope/datasets/error.h"
#include "posescope/datasets/image.h"
#include "posescope/datasets/skeleton.h"
#include "posescope/datasets/synthpose.h"
#include "posescope/models/checkpoint.h"
#include "posescope/models/model_registry.h"
#include "posescope/models/pose_model.h"
#include "synth_fixture.h"
#include "test_paths.h"

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

using namespace posescope;
using namespace posescope::analysis;

namespace {

// A tiny TransPose-R (48×64 input) that learns in seconds.
models::ModelConfig tinyConfig() {
    return models::ModelConfig::fromYamlText(
        "MODEL:\n  NAME: transpose_r\n  NUM_JOINTS: 17\n  IMAGE_SIZE: [48, 64]\n  HEATMAP_SIZE: [12, 16]\n"
        "  DIM_MODEL: 32\n  DIM_FEEDFORWARD: 64\n  N_HEAD: 2\n  ENCODER_LAYERS: 2\n  POS_EMBEDDING: sine\n"
        "  ENCODER_DROPOUT: 0.1\n  EXTRA:\n    STEM_WIDTH: 8\n    NUM_DECONV_LAYERS: 1\n"
        "    NUM_DECONV_FILTERS: [32]\n    NUM_DECONV_KERNELS: [4]\n    NUM_LAYERS: 50\n",
        "tiny");
}

// SynthPose splits shared by the test processes.
std::string synthSplit(const std::string& split, int images, uint64_t seed) {
    SynthOptions s;
    s.split = split;
    s.numImages = images;
    s.seed = seed;
    s.maxPeople = 2;
    s.threads = 2;
    return test::sharedSynthPose("train_" + split + std::to_string(images) + "_s" + std::to_string(seed), s);
}

TrainOptions tinyTraining(const std::string& out) {
    const std::string train = synthSplit("train", 16, 21);
    const std::string val = synthSplit("val", 6, 22);
    TrainOptions o;
    o.config = tinyConfig();
    o.trainAnnotations = train + "/annotations/person_keypoints_train.json";
    o.trainImages = train + "/images/train";
    o.valAnnotations = val + "/annotations/person_keypoints_val.json";
    o.valImages = val + "/images/val";
    o.outDir = test::outputPath(out);
    std::filesystem::remove_all(o.outDir);
    o.epochs = 2;
    o.batchSize = 4;
    o.lr = 2e-3;
    o.sigma = 1;
    o.checkpointSeconds = 0;
    return o;
}

PersonAnnotation person(const std::vector<cv::Point2d>& points) {
    PersonAnnotation a;
    for (const cv::Point2d& p : points) {
        a.keypoints.insert(a.keypoints.end(), {p.x, p.y, 2.0});
    }
    return a;
}

}  // namespace

TEST(Train, GaussianTargetsFollowDarkPosesUnbiasedEncoding) {
    const std::vector<double> joints = {10.3, 5.6, 1, -20, 4, 1, 3, 3, 0, 47.5, 63.5, 1};
    std::vector<float> target, weight;
    gaussianTargets(joints, {48, 64}, 2.0, target, weight);
    ASSERT_EQ(target.size(), 4u * 64 * 48);
    EXPECT_EQ(weight, (std::vector<float>{1, 0, 0, 1}));  // off the map, unlabelled, corner
    // exp(-((x - 10.3)² + (y - 5.6)²) / 8) at every pixel: the peak is off-grid (unbiased).
    EXPECT_NEAR(target[5 * 48 + 10], std::exp(-(0.3 * 0.3 + 0.6 * 0.6) / 8), 1e-6);
    EXPECT_NEAR(target[20 * 48 + 30], std::exp(-(19.7 * 19.7 + 14.4 * 14.4) / 8), 1e-9);
    for (size_t i = 64 * 48; i < 3u * 64 * 48; ++i)
        ASSERT_EQ(target[i], 0.0f);
    EXPECT_NEAR(target[3 * 64 * 48 + 63 * 48 + 47], std::exp(-0.5 / 8), 1e-6);
    // Just off the map but within 3σ + 1: still weighted (adjust_target_weight).
    gaussianTargets({-6.5, 10, 1}, {48, 64}, 2.0, target, weight);
    EXPECT_EQ(weight[0], 1.0f);
    gaussianTargets({-7.5, 10, 1}, {48, 64}, 2.0, target, weight);  // int(-0.5) = 0: kept
    EXPECT_EQ(weight[0], 1.0f);
    gaussianTargets({-8.5, 10, 1}, {48, 64}, 2.0, target, weight);
    EXPECT_EQ(weight[0], 0.0f);
}

TEST(Train, UnaugmentedSampleIsTheTestCrop) {
    cv::Mat image(120, 160, CV_8UC3);
    cv::randu(image, 0, 255);
    const Box box{40, 20, 50, 80};
    std::vector<cv::Point2d> points;
    for (int j = 0; j < 17; ++j)
        points.emplace_back(45 + 2.5 * j, 25 + 4.0 * j);
    AugmentOptions none;
    none.flip = false;
    none.scaleFactor = 0;
    none.rotationProbability = 0;
    none.halfBodyProbability = 0;
    const TrainingSample s =
        makeTrainingSample(image, person(points), box, {48, 64}, {12, 16}, 1.0, cocoSkeleton().flipPairs, none, 7);
    const CenterScale cs = boxToCenterScale(box, 0.75, 1.25);
    const cv::Mat want = cropPerson(image, cs, {48, 64});
    EXPECT_EQ(cv::norm(s.input, want, cv::NORM_INF), 0.0);
    for (int j = 0; j < 17; ++j) {
        const cv::Point2d p = toCrop(points[static_cast<size_t>(j)], cs, {12, 16});
        EXPECT_NEAR(s.joints[3 * j], p.x, 1e-9);
        EXPECT_NEAR(s.joints[3 * j + 1], p.y, 1e-9);
        EXPECT_EQ(s.weight[static_cast<size_t>(j)], 1.0f);
    }
}

TEST(Train, FlipMirrorsTheCropAndSwapsLeftAndRight) {
    cv::Mat image(120, 160, CV_8UC3);
    cv::randu(image, 0, 255);
    cv::GaussianBlur(image, image, {7, 7}, 2);  // smooth, so bilinear rounding stays within a level
    const Box box{40, 20, 50, 80};
    std::vector<cv::Point2d> points;
    for (int j = 0; j < 17; ++j)
        points.emplace_back(45 + 2.5 * j, 25 + 4.0 * j);
    AugmentOptions flipOnly;
    flipOnly.scaleFactor = 0;
    flipOnly.rotationProbability = 0;
    flipOnly.halfBodyProbability = 0;
    AugmentOptions none = flipOnly;
    none.flip = false;
    const auto& pairs = cocoSkeleton().flipPairs;
    const cv::Mat original = image.clone();
    const TrainingSample plain =
        makeTrainingSample(image, person(points), box, {48, 64}, {12, 16}, 1.0, pairs, none, 1);
    int flipped = 0, unflipped = 0;
    for (uint64_t seed = 0; seed < 40; ++seed) {
        const TrainingSample s =
            makeTrainingSample(image, person(points), box, {48, 64}, {12, 16}, 1.0, pairs, flipOnly, seed);
        if (cv::norm(s.input, plain.input, cv::NORM_INF) == 0) {
            ++unflipped;
            continue;
        }
        ++flipped;
        cv::Mat mirrored;
        cv::flip(plain.input, mirrored, 1);
        EXPECT_LE(cv::norm(s.input, mirrored, cv::NORM_INF), 1.0) << "seed " << seed;
        for (int j = 0; j < 17; ++j) {
            const int partner = cocoSkeleton().flipped(j);
            EXPECT_NEAR(s.joints[3 * j], 11 - plain.joints[3 * partner], 1e-4) << j;  // heatmap width 12
            EXPECT_NEAR(s.joints[3 * j + 1], plain.joints[3 * partner + 1], 1e-4) << j;
        }
    }
    EXPECT_GT(flipped, 10);
    EXPECT_GT(unflipped, 10);
    EXPECT_EQ(cv::norm(image, original, cv::NORM_INF), 0.0);  // the caller's image is untouched
}

TEST(Train, TwoEpochsBeatTheUntrainedModel) {
    // A tiny set (the 6 validation images), learnt in 2 epochs that visit each person 32 times.
    TrainOptions o = tinyTraining("train_two_epochs");
    o.trainAnnotations = o.valAnnotations;
    o.trainImages = o.valImages;
    o.repeat = 32;
    o.lr = 3e-3;
    o.augment.flip = false;
    o.augment.scaleFactor = 0;
    o.augment.rotationProbability = 0;
    o.augment.halfBodyProbability = 0;
    o.validateBeforeTraining = true;
    std::vector<TrainProgress> progress;
    TrainCallbacks cb;
    cb.progress = [&](const TrainProgress& p) { progress.push_back(p); };
    const TrainResult r = trainModel(o, cb);
    ASSERT_EQ(r.epochs.size(), 3u);  // untrained, epoch 1, epoch 2
    EXPECT_EQ(r.epochs[0].epoch, 0);
    const double untrained = r.epochs[0].valAp;
    EXPECT_GT(std::max(r.epochs[1].valAp, r.epochs[2].valAp), untrained + 0.05)
        << "untrained " << untrained << ", epoch 1 " << r.epochs[1].valAp << ", epoch 2 " << r.epochs[2].valAp;
    EXPECT_LT(r.epochs[2].trainLoss, r.epochs[1].trainLoss);
    ASSERT_FALSE(progress.empty());
    EXPECT_EQ(progress.back().step, r.steps);
    EXPECT_EQ(progress.back().step, progress.back().totalSteps);
    EXPECT_GT(progress.back().samplesPerSecond, 0);
    // The outputs: loadable weights, the configuration, the log.
    for (const std::string& f : {r.checkpoint, r.bestModel, r.finalModel, r.config, r.log})
        EXPECT_TRUE(std::filesystem::exists(f)) << f;
    const auto back = models::ModelConfig::fromYamlFile(r.config);
    EXPECT_EQ(back.integer("MODEL.EXTRA.STEM_WIDTH"), 8);
    std::ifstream log(r.log);
    std::string header, line;
    std::getline(log, header);
    EXPECT_EQ(header.substr(0, 21), "kind,epoch,step,loss,");
    int epochRows = 0;
    while (std::getline(log, line))
        epochRows += line.rfind("epoch,", 0) == 0;
    EXPECT_EQ(epochRows, 3);
    // The log reads back (training_log.h) with the epochs' validation APs and every row complete.
    const TrainingLog written = readTrainingLog(o.outDir);
    const TrainingSeries ap = written.series("epoch", "val_ap");
    ASSERT_EQ(ap.value.size(), 3u);
    for (size_t e = 0; e < 3; ++e) {
        EXPECT_EQ(ap.x[e], static_cast<double>(e));
        EXPECT_EQ(ap.value[e], r.epochs[e].valAp);
    }
    EXPECT_FALSE(written.series("iter", "loss").empty());
    std::ifstream again(r.log);
    while (std::getline(again, line))
        EXPECT_EQ(std::count(line.begin(), line.end(), ','), std::count(header.begin(), header.end(), ',')) << line;
}

TEST(Train, ResumeAfterAKillEqualsUninterruptedTraining) {
    // Uninterrupted.
    TrainOptions a = tinyTraining("train_uninterrupted");
    a.maxTrainSamples = 24;
    a.maxValSamples = 6;
    const TrainResult ra = trainModel(a);
    // Killed after step 9 (an exception, so nothing is saved on the way out), with checkpoints
    // every 4 steps: the run resumes from step 8 and trains the same steps again.
    TrainOptions b = tinyTraining("train_killed");
    b.maxTrainSamples = 24;
    b.maxValSamples = 6;
    b.checkpointEveryIterations = 4;
    TrainCallbacks kill;
    int64_t steps = 0;
    kill.progress = [&](const TrainProgress& p) { steps = p.step; };
    kill.cancel = [&]() -> bool {
        if (steps == 9) throw std::runtime_error("killed");
        return false;
    };
    EXPECT_THROW(trainModel(b, kill), std::runtime_error);
    const models::CheckpointContents saved = models::loadCheckpointContents(b.outDir + "/checkpoint.pth");
    EXPECT_EQ(saved.value("step"), "8");
    EXPECT_EQ(saved.value("epoch"), "1");  // the second epoch (0-based), 2 of its 6 iterations done
    EXPECT_EQ(saved.value("iteration"), "2");
    b.resume = true;
    const TrainResult rb = trainModel(b);
    EXPECT_EQ(rb.steps, ra.steps);
    const auto fa = models::loadCheckpoint(ra.finalModel).tensors;
    const auto fb = models::loadCheckpoint(rb.finalModel).tensors;
    ASSERT_EQ(fa.size(), fb.size());
    for (size_t i = 0; i < fa.size(); ++i)
        EXPECT_TRUE(torch::equal(fa[i].second, fb[i].second)) << fa[i].first;
    ASSERT_EQ(ra.epochs.size(), rb.epochs.size());
    for (size_t i = 0; i < ra.epochs.size(); ++i) {
        EXPECT_EQ(ra.epochs[i].valAp, rb.epochs[i].valAp);
        EXPECT_EQ(ra.epochs[i].trainLoss, rb.epochs[i].trainLoss);
    }
    // The log holds every step once: the rows after the checkpoint were dropped on resuming.
    const TrainingLog la = readTrainingLog(ra.log), lb = readTrainingLog(rb.log);
    ASSERT_EQ(la.rows.size(), lb.rows.size());
    for (size_t i = 0; i < la.rows.size(); ++i) {
        EXPECT_EQ(la.rows[i].kind, lb.rows[i].kind) << i;
        EXPECT_EQ(la.rows[i].step, lb.rows[i].step) << i;
    }
    // The optimizer state too (Adam's moments and steps).
    const auto ca = models::loadCheckpointContents(ra.checkpoint);
    const auto cb2 = models::loadCheckpointContents(rb.checkpoint);
    ASSERT_EQ(ca.tensors.size(), cb2.tensors.size());
    for (size_t i = 0; i < ca.tensors.size(); ++i) {
        EXPECT_EQ(ca.tensors[i].first, cb2.tensors[i].first);
        EXPECT_TRUE(torch::equal(ca.tensors[i].second, cb2.tensors[i].second)) << ca.tensors[i].first;
    }
}

TEST(Train, ResumeRefusesDifferentOptionsAndMissingCheckpoints) {
    TrainOptions o = tinyTraining("train_refuse");
    o.maxTrainSamples = 8;
    o.maxValSamples = 4;
    o.epochs = 1;
    o.resume = true;
    try {
        trainModel(o);
        FAIL() << "resumed without a checkpoint";
    } catch (const FileError& e) {
        EXPECT_NE(std::string(e.what()).find("no checkpoint"), std::string::npos) << e.what();
    }
    o.resume = false;
    trainModel(o);
    o.resume = true;
    o.lr = 1e-2;
    try {
        trainModel(o);
        FAIL() << "resumed with another learning rate";
    } catch (const FileError& e) {
        EXPECT_NE(std::string(e.what()).find("lr="), std::string::npos) << e.what();
    }
}

TEST(Train, ErrorsNameTheProblem) {
    TrainOptions o = tinyTraining("train_errors");
    o.maxTrainSamples = 4;
    o.maxValSamples = 2;
    o.epochs = 1;
    o.config.set("MODEL.HEATMAP_SIZE=[24, 32]");
    try {
        trainModel(o);
        FAIL();
    } catch (const models::ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("HEATMAP_SIZE"), std::string::npos) << e.what();
    }
    o = tinyTraining("train_errors");
    o.trainImages = test::outputPath("no_such_images");
    try {
        trainModel(o);
        FAIL();
    } catch (const FileError& e) {
        EXPECT_NE(std::string(e.file()).find("no_such_images"), std::string::npos) << e.what();
    }
}

TEST(Train, InitFromAnotherInputSizeRecomputesTheSineEmbedding) {
    // Progressive resizing: weights trained at 48×64 start a 96×128 model.
    TrainOptions a = tinyTraining("train_init_small");
    a.maxTrainSamples = 4;
    a.maxValSamples = 2;
    a.epochs = 1;
    const TrainResult ra = trainModel(a);
    TrainOptions b = tinyTraining("train_init_large");
    b.maxTrainSamples = 4;
    b.maxValSamples = 2;
    b.epochs = 1;
    b.config.set("MODEL.IMAGE_SIZE=[96, 128]");
    b.config.set("MODEL.HEATMAP_SIZE=[24, 32]");
    b.initCheckpoint = ra.finalModel;
    b.lr = 1e-12;  // one step that changes nothing measurable
    b.lrEnd = 0;
    std::string said;
    TrainCallbacks cb;
    cb.message = [&](const std::string& m) { said += m + '\n'; };
    const TrainResult rb = trainModel(b, cb);
    EXPECT_NE(said.find("sine position embedding recomputed"), std::string::npos) << said;
    const auto wa = models::loadCheckpoint(ra.finalModel).tensors;
    const auto wb = models::loadCheckpoint(rb.finalModel).tensors;
    ASSERT_EQ(wa.size(), wb.size());
    for (size_t i = 0; i < wa.size(); ++i) {
        if (wa[i].first == "pos_embedding") {
            EXPECT_EQ(wb[i].second.size(0), 12 * 16);  // the 96×128 grid at stride 8
            continue;
        }
        if (wa[i].first.find("running") != std::string::npos || wa[i].first.find("num_batches") != std::string::npos)
            continue;  // BatchNorm statistics move with every batch
        EXPECT_TRUE(torch::allclose(wa[i].second, wb[i].second, 1e-5, 1e-7)) << wa[i].first;
    }
}

TEST(Train, KeepRatioScheduleFollowsPptsRecipe) {
    // core/function.py of PPT: r = 1 for 10 epochs, a cosine to PRUNING_RATIO at epoch 100.
    EXPECT_EQ(analysis::keepRatioAt(0, 0.7, 10, 100), 1.0);
    EXPECT_EQ(analysis::keepRatioAt(9.99, 0.7, 10, 100), 1.0);
    EXPECT_DOUBLE_EQ(analysis::keepRatioAt(10, 0.7, 10, 100), 1.0);
    EXPECT_DOUBLE_EQ(analysis::keepRatioAt(55, 0.7, 10, 100), 0.85);
    EXPECT_NEAR(analysis::keepRatioAt(32.5, 0.7, 10, 100), 0.7 + 0.3 * (std::cos(M_PI / 4) + 1) / 2, 1e-12);
    EXPECT_EQ(analysis::keepRatioAt(100, 0.7, 10, 100), 0.7);
    EXPECT_EQ(analysis::keepRatioAt(250, 0.7, 10, 100), 0.7);
    double previous = 1;
    for (double e = 0; e < 3; e += 0.01) {  // a short schedule: monotone, fractional epochs
        const double r = analysis::keepRatioAt(e, 0.5, 0.5, 2);
        EXPECT_LE(r, previous + 1e-15);
        previous = r;
    }
    EXPECT_EQ(previous, 0.5);
}

TEST(Train, PptTrainsUnprunedDuringTheWarmUp) {
    // A tiny PPT (48x64, 6x8 tokens, pruning half at layers 0 and 1) and the same TokenPose.
    auto config = [](double ratio) {
        return models::ModelConfig::fromYamlText(
            "MODEL:\n  NAME: pose_tokenpose_s\n  IMAGE_SIZE: [48, 64]\n  HEATMAP_SIZE: [12, 16]\n"
            "  PATCH_SIZE: [2, 2]\n  DIM: 32\n  TRANSFORMER_DEPTH: 3\n  TRANSFORMER_HEADS: 2\n"
            "  TRANSFORMER_MLP_RATIO: 2\n  POS_EMBEDDING_TYPE: sine-full\n  PRUNING_RATIO: " +
                std::to_string(ratio) + "\n  PRUNING_LOC: [0, 1]\n  EXTRA:\n    STEM_WIDTH: 8\n",
            "tiny_ppt");
    };
    auto train = [&](const std::string& out, double ratio, double warmup, double decayEnd) {
        TrainOptions o = tinyTraining(out);
        o.config = config(ratio);
        o.epochs = 1;
        o.maxTrainSamples = 8;
        o.maxValSamples = 2;
        o.keepWarmupEpochs = warmup;
        o.keepDecayEndEpoch = decayEnd;
        return models::loadCheckpoint(trainModel(o).finalModel).tensors;
    };
    const auto tokenpose = train("train_tokenpose_tiny", 1.0, 10, 100);
    const auto warm = train("train_ppt_warm", 0.5, 10, 100);      // still warming up: every token kept
    const auto pruned = train("train_ppt_pruned", 0.5, 0, 1e-6);  // pruning from the first step
    ASSERT_EQ(tokenpose.size(), warm.size());
    bool differs = false;
    for (size_t i = 0; i < tokenpose.size(); ++i) {
        EXPECT_TRUE(torch::equal(tokenpose[i].second, warm[i].second)) << tokenpose[i].first;
        differs = differs || !torch::equal(tokenpose[i].second, pruned[i].second);
    }
    EXPECT_TRUE(differs);
}

TEST(Train, HrpvtLearnsWithSimCCLabelsAndTheKlLoss) {
    // The same tiny set for a small HRPVT: SimCC labels from the augmented joints (crop pixels),
    // mmpose's KL loss; its loss falls and it beats its untrained self.
    TrainOptions o = tinyTraining("train_hrpvt");
    o.config = test::tinyHrpvt();
    o.trainAnnotations = o.valAnnotations;
    o.trainImages = o.valImages;
    o.repeat = 24;
    o.lr = 2e-3;
    o.augment.scaleFactor = 0;
    o.augment.rotationProbability = 0;
    o.augment.halfBodyProbability = 0;
    o.validateBeforeTraining = true;
    const TrainResult r = trainModel(o, {});
    ASSERT_EQ(r.epochs.size(), 3u);
    EXPECT_LT(r.epochs[2].trainLoss, r.epochs[1].trainLoss);
    EXPECT_GT(std::max(r.epochs[1].valAp, r.epochs[2].valAp), r.epochs[0].valAp)
        << "untrained " << r.epochs[0].valAp << ", epoch 1 " << r.epochs[1].valAp << ", epoch 2 " << r.epochs[2].valAp;
    // The written configuration builds the same model, and the weights load into it.
    const auto back = models::ModelConfig::fromYamlFile(r.config);
    EXPECT_EQ(back.integers("MODEL.EXTRA.PVT_DIMS"), std::vector<long long>({16, 32, 40, 64}));
    const auto model = models::loadModel(back, r.bestModel);
    EXPECT_EQ(model->info().output, models::OutputKind::SimCC);

    // Samples for SimCC: no Gaussian maps (σ 0), joints in crop pixels, weights 1 where labelled.
    const PersonAnnotation a = person({{40, 50}, {60, 70}, {50, 90}});
    cv::Mat image(120, 100, CV_8UC3, cv::Scalar(80, 90, 100));
    AugmentOptions none;
    none.flip = false;
    none.scaleFactor = 0;
    none.rotationProbability = 0;
    none.halfBodyProbability = 0;
    const TrainingSample s = makeTrainingSample(image, a, Box{30, 40, 40, 60}, {96, 128}, {96, 128}, 0.0, {}, none, 1);
    EXPECT_TRUE(s.target.empty());
    EXPECT_EQ(s.weight, std::vector<float>({1, 1, 1}));
    const CenterScale cs = boxToCenterScale(Box{30, 40, 40, 60}, 96.0 / 128.0, 1.25);
    const cv::Point2d p = toCrop({60, 70}, cs, {96, 128});
    EXPECT_NEAR(s.joints[3], p.x, 1e-6);
    EXPECT_NEAR(s.joints[4], p.y, 1e-6);
}
