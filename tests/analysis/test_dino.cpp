// DINO pre-training: its schedules, loss, EMA teacher and views against their definitions; a tiny
// BTranspose pre-trains (the loss falls), resumes after a kill to the same state, and its teacher
// backbone is the model's own keys.
#include "posescope/analysis/dino.h"
#include "posescope/datasets/synthpose.h"
#include "posescope/models/checkpoint.h"
#include "posescope/models/model_registry.h"
#include "synth_fixture.h"
#include "test_paths.h"

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>

using namespace posescope;
using namespace posescope::analysis;

namespace {

// A tiny BTranspose: 48x64 input, 8x6 grid, one block per group, an MHSA group with 2 heads.
models::ModelConfig tinyBTranspose() {
    models::ModelConfig c = models::ModelConfig::preset("btranspose-c3a1");
    for (const char* s :
         {"MODEL.IMAGE_SIZE=[48, 64]", "MODEL.HEATMAP_SIZE=[12, 16]", "MODEL.DIM_MODEL=16", "MODEL.N_HEAD=2",
          "MODEL.DIM_FEEDFORWARD=32", "MODEL.ENCODER_LAYERS=1", "MODEL.EXTRA.NUM_DECONV_FILTERS=[16]",
          "MODEL.EXTRA.BOT_PLANES=[8, 8, 8, 8]", "MODEL.EXTRA.BOT_BLOCKS=[1, 1, 1, 1]", "MODEL.EXTRA.MHSA_HEADS=2"})
        c.set(s);
    return c;
}

DinoOptions tinyDino(const std::string& out) {
    SynthOptions s;
    s.split = "train";
    s.numImages = 16;
    s.seed = 31;
    s.maxPeople = 2;
    s.threads = 2;
    DinoOptions o;
    o.config = tinyBTranspose();
    o.images = test::sharedSynthPose("dino_train16_s31", s) + "/images/train";
    o.outDir = test::outputPath(out);
    std::filesystem::remove_all(o.outDir);
    o.batchSize = 4;
    o.epochs = 2;
    o.outDim = 64;
    o.hiddenDim = 32;
    o.bottleneckDim = 16;
    o.warmupEpochs = 0;
    o.freezeLastLayerEpochs = 0;
    o.lr = 1e-3;
    o.checkpointSeconds = 0;
    return o;
}

models::StateDict part(const models::CheckpointContents& c, const std::string& prefix) {
    models::StateDict sd;
    for (const auto& [name, t] : c.tensors)
        if (name.rfind(prefix, 0) == 0) sd.emplace_back(name.substr(prefix.size()), t);
    return sd;
}

}  // namespace

TEST(Dino, SchedulesAreDinosCosineWithLinearWarmUp) {
    // cosine_scheduler(base 1, final 0.1, 10 steps, warm-up 4): linspace(0, 1, 4) then a cosine.
    EXPECT_DOUBLE_EQ(dinoSchedule(1, 0.1, 0, 10, 4), 0);
    EXPECT_DOUBLE_EQ(dinoSchedule(1, 0.1, 3, 10, 4), 1);
    EXPECT_NEAR(dinoSchedule(1, 0.1, 2, 10, 4), 2.0 / 3, 1e-15);
    EXPECT_DOUBLE_EQ(dinoSchedule(1, 0.1, 4, 10, 4), 1);
    EXPECT_NEAR(dinoSchedule(1, 0.1, 7, 10, 4), 0.1 + 0.45 * (1 + std::cos(M_PI * 3 / 6)), 1e-15);
    EXPECT_DOUBLE_EQ(dinoSchedule(0.996, 1, 0, 100), 0.996);  // the teacher's momentum
    EXPECT_NEAR(dinoSchedule(0.996, 1, 50, 100), 0.998, 1e-15);
}

TEST(Dino, LossIsTheCrossEntropyBetweenCentredSharpenedTeacherAndStudentOfTheOtherView) {
    torch::manual_seed(4);
    const torch::Tensor s = torch::randn({6, 5}), t = torch::randn({6, 5}), c = torch::randn({1, 5});
    const torch::Tensor q = torch::softmax((t - c) / 0.04, -1);
    const torch::Tensor p = torch::log_softmax(s / 0.1, -1);
    // Rows 0-2: view 1, rows 3-5: view 2; the teacher's view 1 teaches the student's view 2.
    const torch::Tensor expected = ((-q.slice(0, 0, 3) * p.slice(0, 3, 6)).sum(-1).mean() +
                                    (-q.slice(0, 3, 6) * p.slice(0, 0, 3)).sum(-1).mean()) /
                                   2;
    EXPECT_NEAR(dinoLoss(s, t, c, 0.1, 0.04).item<double>(), expected.item<double>(), 1e-5);
    // The teacher carries no gradient.
    const torch::Tensor st = s.clone().requires_grad_(true), tt = t.clone().requires_grad_(true);
    dinoLoss(st, tt, c, 0.1, 0.04).backward();
    EXPECT_TRUE(st.grad().defined());
    EXPECT_FALSE(tt.grad().defined());
}

TEST(Dino, TeacherIsTheEmaOfTheStudent) {
    torch::nn::Linear student(3, 2), teacher(3, 2);
    const torch::Tensor before = teacher->weight.detach().clone();
    emaUpdate(*teacher, *student, 0.9);
    EXPECT_TRUE(torch::allclose(teacher->weight, 0.9 * before + 0.1 * student->weight.detach()));
    emaUpdate(*teacher, *student, 0.0);
    EXPECT_TRUE(torch::equal(teacher->weight, student->weight));
}

TEST(Dino, ViewsAreSeededAndDifferent) {
    cv::Mat image(120, 90, CV_8UC3);
    cv::randu(image, 0, 255);
    const auto [a1, a2] = dinoViews(image, cv::Size(48, 64), 0.14, 7);
    const auto [b1, b2] = dinoViews(image, cv::Size(48, 64), 0.14, 7);
    const auto [c1, c2] = dinoViews(image, cv::Size(48, 64), 0.14, 8);
    EXPECT_EQ(a1.size(), cv::Size(48, 64));
    EXPECT_EQ(a1.type(), CV_8UC3);
    EXPECT_EQ(cv::norm(a1, b1), 0);
    EXPECT_EQ(cv::norm(a2, b2), 0);
    EXPECT_GT(cv::norm(a1, a2), 0);
    EXPECT_GT(cv::norm(a1, c1), 0);
}

TEST(Dino, ColourJitterTreatsEveryChannelAlike) {
    // Brightness, contrast, saturation, hue, grey, blur and solarisation keep a grey image grey;
    // a jitter that shifted one channel only (OpenCV adds a plain number to the first) would not.
    cv::Mat grey(64, 48, CV_8UC1);
    cv::randu(grey, 0, 255);
    cv::Mat image;
    cv::cvtColor(grey, image, cv::COLOR_GRAY2RGB);
    for (uint64_t seed = 0; seed < 40; ++seed) {
        const auto [first, second] = dinoViews(image, cv::Size(48, 64), 0.5, seed);
        for (const cv::Mat& view : {first, second}) {
            std::vector<cv::Mat> ch;
            cv::split(view, ch);
            EXPECT_EQ(cv::norm(ch[0], ch[1], cv::NORM_INF), 0) << "seed " << seed;
            EXPECT_EQ(cv::norm(ch[0], ch[2], cv::NORM_INF), 0) << "seed " << seed;
        }
    }
}

TEST(Dino, PretrainingLowersTheLossAndExportsTheTeacherBackbone) {
    // With the teacher and the centre held (momenta 1) the target is fixed, so the loss measures
    // the student's learning (with both moving, DINO's loss is not monotone: the centring flattens
    // the teacher's targets as it converges). EMA and centring have their own tests.
    DinoOptions o = tinyDino("dino_tiny");
    o.epochs = 6;
    o.teacherMomentum = 1;
    o.centerMomentum = 1;
    o.cropScaleMin = 1;
    const DinoResult r = pretrainDino(o);
    ASSERT_EQ(r.epochLoss.size(), 6u);
    EXPECT_EQ(r.steps, 6 * 4);
    EXPECT_LT(r.epochLoss.back(), r.epochLoss.front() - 0.3);
    // teacher_backbone.pth: the model's keys minus the head's, equal to the checkpoint's teacher.
    const models::Checkpoint backbone = models::loadCheckpoint(r.teacherBackbone);
    const models::CheckpointContents state = models::loadCheckpointContents(r.checkpoint);
    const models::StateDict teacher = part(state, "teacher.");
    size_t compared = 0;
    for (const auto& [name, t] : backbone.tensors) {
        EXPECT_EQ(name.rfind("model_alpha.", 0), 0u) << name;
        for (const auto& [tn, tt] : teacher)
            if (tn == name) {
                EXPECT_TRUE(torch::equal(t, tt)) << name;
                ++compared;
            }
    }
    EXPECT_EQ(compared, backbone.tensors.size());
    EXPECT_EQ(backbone.tensors.size() + 8, teacher.size());  // deconv (weight, BN 5) and final layer (2)
    // The backbone loads into a fresh model by prefix (what train --init … --init-prefix does).
    const auto model = models::createModel(tinyBTranspose());
    models::LoadOptions lo;
    lo.allowMissing = true;
    models::loadStateDict(model->module(), backbone.tensors, r.teacherBackbone, lo);
}

TEST(Dino, TheCentreFollowsTheTeachersBatchMeans) {
    DinoOptions o = tinyDino("dino_centre");
    o.epochs = 1;
    o.maxImages = 8;       // two steps
    o.centerMomentum = 0;  // the centre is the last batch's mean teacher output
    pretrainDino(o);
    const models::CheckpointContents c = models::loadCheckpointContents(o.outDir + "/checkpoint.pth");
    const torch::Tensor centre = c.tensor("center");
    EXPECT_EQ(centre.sizes(), torch::IntArrayRef({1, 64}));
    EXPECT_GT(centre.abs().sum().item<double>(), 0);
}

TEST(Dino, CentringPreventsCollapse) {
    // The same tiny run with the centre updated (DINO) and held at 0: with centring the entropy of
    // the teacher's distribution rises and stays above a bound; without it, it stays low (a few
    // dimensions take the mass).
    auto lastEntropies = [](double centerMomentum, const std::string& out) {
        DinoOptions o = tinyDino(out);
        o.epochs = 12;
        o.centerMomentum = centerMomentum;
        std::vector<double> entropy;
        DinoCallbacks cb;
        cb.progress = [&](const DinoProgress& p) { entropy.push_back(p.teacherEntropy); };
        pretrainDino(o, cb);
        return std::vector<double>(entropy.end() - 16, entropy.end());
    };
    const std::vector<double> centred = lastEntropies(0.9, "dino_centred");
    const std::vector<double> uncentred = lastEntropies(1.0, "dino_uncentred");
    const auto mean = [](const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / v.size(); };
    for (double h : centred)
        EXPECT_GT(h, 1.0);  // nats (ln 64 = 4.16 would be uniform over the 64 outputs)
    EXPECT_GT(mean(centred), mean(uncentred) + 0.3);
}

TEST(Dino, BatchNormInTheHeadIsDinosOptionForConvolutionalBackbones) {
    DinoOptions o = tinyDino("dino_bn_head");
    o.epochs = 1;
    o.bnInHead = true;
    pretrainDino(o);
    const models::CheckpointContents c = models::loadCheckpointContents(o.outDir + "/checkpoint.pth");
    std::vector<std::string> keys;
    for (const auto& [name, t] : part(c, "student_head.mlp."))
        keys.push_back(name);
    // Linear, BatchNorm1d, GELU, Linear: the BatchNorm's affine parameters start at 1 and 0.
    for (const char* k : {"0.weight", "1.weight", "1.bias", "1.running_mean", "1.running_var", "3.weight"})
        EXPECT_NE(std::find(keys.begin(), keys.end(), k), keys.end()) << k;
    // Resuming with the option switched is refused (the head's layers differ).
    o.bnInHead = false;
    o.resume = true;
    EXPECT_THROW(pretrainDino(o), Error);
}

TEST(Dino, WithZeroMomentumTheTeacherCopiesTheStudent) {
    DinoOptions o = tinyDino("dino_momentum0");
    o.epochs = 1;
    o.teacherMomentum = 0;
    o.maxImages = 4;  // one step: the momentum is exactly 0
    pretrainDino(o);
    const models::CheckpointContents c = models::loadCheckpointContents(o.outDir + "/checkpoint.pth");
    const models::StateDict s = part(c, "student."), t = part(c, "teacher.");
    ASSERT_EQ(s.size(), t.size());
    int parametersEqual = 0;
    for (size_t i = 0; i < s.size(); ++i)
        if (s[i].first.find("running_") == std::string::npos && s[i].first.find("num_batches") == std::string::npos) {
            EXPECT_TRUE(torch::equal(s[i].second, t[i].second)) << s[i].first;
            ++parametersEqual;
        }
    EXPECT_GT(parametersEqual, 20);
}

TEST(Dino, ResumeAfterAKillEqualsUninterruptedPretraining) {
    const DinoResult a = pretrainDino(tinyDino("dino_uninterrupted"));
    DinoOptions b = tinyDino("dino_killed");
    b.checkpointEveryIterations = 3;
    DinoCallbacks kill;
    int64_t steps = 0;
    kill.progress = [&](const DinoProgress& p) { steps = p.step; };
    kill.cancel = [&]() -> bool {
        if (steps == 5) throw std::runtime_error("killed");
        return false;
    };
    EXPECT_THROW(pretrainDino(b, kill), std::runtime_error);
    b.resume = true;
    const DinoResult rb = pretrainDino(b);
    EXPECT_EQ(rb.steps, a.steps);
    ASSERT_EQ(rb.epochLoss.size(), a.epochLoss.size());
    for (size_t i = 0; i < a.epochLoss.size(); ++i)
        EXPECT_EQ(rb.epochLoss[i], a.epochLoss[i]);
    const auto ta = models::loadCheckpoint(a.teacherBackbone).tensors;
    const auto tb = models::loadCheckpoint(rb.teacherBackbone).tensors;
    ASSERT_EQ(ta.size(), tb.size());
    for (size_t i = 0; i < ta.size(); ++i)
        EXPECT_TRUE(torch::equal(ta[i].second, tb[i].second)) << ta[i].first;
}

TEST(Dino, RefusesModelsWithoutAnEncoderOutputAndMissingImages) {
    DinoOptions o = tinyDino("dino_errors");
    o.config = models::ModelConfig::preset("ppt-s");
    EXPECT_THROW(pretrainDino(o), Error);
    o = tinyDino("dino_errors");
    o.images = test::outputPath("no_such_folder");
    EXPECT_THROW(pretrainDino(o), FileError);
}
