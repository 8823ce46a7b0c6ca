// posescope-cli train: trains a model on a COCO-format keypoint dataset (analysis/train.h).
#include "cli.h"

#include "posescope/analysis/figure.h"
#include "posescope/analysis/train.h"
#include "posescope/analysis/training_figure.h"
#include "posescope/analysis/training_log.h"
#include "posescope/models/model_config.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

namespace posescope::cli {
namespace {

std::vector<std::string> splitComma(const std::string& text) {
    std::vector<std::string> out;
    std::stringstream in(text);
    for (std::string part; std::getline(in, part, ',');)
        if (!part.empty()) out.push_back(part);
    return out;
}

// train, and distill (the same options plus the teacher and the terms' weights; --student for --config).
int runTraining(const std::vector<std::string>& argv, bool distill) {
    std::vector<std::string> options = {"--set",
                                        "--dataset",
                                        "--images",
                                        "--val",
                                        "--val-images",
                                        "--val-fraction",
                                        "--out",
                                        "--epochs",
                                        "--batch",
                                        "--lr",
                                        "--lr-end",
                                        "--seed",
                                        "--loader-threads",
                                        "--max-samples",
                                        "--max-val-samples",
                                        "--repeat",
                                        "--init",
                                        "--init-prefix",
                                        "--checkpoint-minutes",
                                        "--checkpoint-every",
                                        "--log-every",
                                        "--sigma",
                                        "--keep-warmup",
                                        "--keep-decay-end"};
    if (distill)
        options.insert(options.end(), {"--student", "--teacher", "--teacher-checkpoint", "--teacher-set",
                                       "--heatmap-weight", "--attention-weight", "--feature-weight"});
    else
        options.push_back("--config");
    const Args a(argv, {"--resume", "--no-flip", "--no-augment", "--validate-first"}, options);
    if (!a.positional().empty())
        throw UsageError(std::string(distill ? "distill" : "train") + " takes no positional arguments");
    analysis::TrainOptions o;
    if (distill) {
        o.config = models::ModelConfig::resolve(a.value("--student"));
        for (const std::string& set : a.values("--set"))
            o.config.set(set);
        o.teacherConfig = models::ModelConfig::resolve(a.value("--teacher"));
        for (const std::string& set : a.values("--teacher-set"))
            o.teacherConfig.set(set);
        o.teacherCheckpoint = a.value("--teacher-checkpoint");
        o.distillHeatmap = a.number("--heatmap-weight", 1);
        o.distillAttention = a.number("--attention-weight", 1);
        o.distillFeature = a.number("--feature-weight", 1);
        for (double w : {o.distillHeatmap, o.distillAttention, o.distillFeature})
            if (!(w >= 0)) throw UsageError("the distillation weights must be non-negative numbers");
    } else {
        o.config = configFrom(a);
    }
    o.trainAnnotations = a.value("--dataset");
    o.trainImages = a.value("--images");
    o.outDir = a.value("--out");
    o.valAnnotations = a.value("--val", "");
    o.valImages = a.value("--val-images", "");
    if (!o.valAnnotations.empty() && o.valImages.empty()) throw UsageError("--val needs --val-images");
    o.valFraction = a.number("--val-fraction", 0.1);
    o.epochs = static_cast<int>(a.integer("--epochs", -1));
    o.batchSize = static_cast<int>(a.integer("--batch", -1));
    o.lr = a.number("--lr", -1);
    o.lrEnd = a.number("--lr-end", -1);
    o.sigma = a.number("--sigma", o.config.number("MODEL.SIGMA", 2));
    // Given values are checked here: the library reads a negative one as "the config's".
    if (a.has("--epochs") && o.epochs < 1) throw UsageError("--epochs must be at least 1");
    if (a.has("--batch") && o.batchSize < 1) throw UsageError("--batch must be at least 1");
    if (a.has("--lr") && !(o.lr > 0 && std::isfinite(o.lr))) throw UsageError("--lr must be a positive number");
    if (a.has("--lr-end") && !(o.lrEnd >= 0 && std::isfinite(o.lrEnd)))
        throw UsageError("--lr-end must be a number of at least 0");
    if (a.has("--sigma") && !(o.sigma > 0 && std::isfinite(o.sigma)))
        throw UsageError("--sigma must be a positive number");
    const long long seed = a.integer("--seed", 1);
    if (seed < 0) throw UsageError("--seed must be a non-negative integer");
    o.seed = static_cast<uint64_t>(seed);
    o.loaderThreads = static_cast<int>(a.integer("--loader-threads", 1));
    if (o.loaderThreads < 1 || o.loaderThreads > 64) throw UsageError("--loader-threads must be 1…64");
    o.maxTrainSamples = static_cast<int>(a.integer("--max-samples", 0));
    o.maxValSamples = static_cast<int>(a.integer("--max-val-samples", 0));
    o.repeat = static_cast<int>(a.integer("--repeat", 1));
    if (o.repeat < 1) throw UsageError("--repeat must be at least 1");
    o.initCheckpoint = a.value("--init", "");
    for (const std::string& p : a.values("--init-prefix"))
        for (const std::string& q : splitComma(p))
            o.initPrefixes.push_back(q);
    if (!o.initPrefixes.empty() && o.initCheckpoint.empty()) throw UsageError("--init-prefix needs --init");
    o.resume = a.flag("--resume");
    o.checkpointSeconds = 60 * a.number("--checkpoint-minutes", 5);
    o.checkpointEveryIterations = static_cast<int>(a.integer("--checkpoint-every", 0));
    o.logEvery = static_cast<int>(a.integer("--log-every", 20));
    o.validateBeforeTraining = a.flag("--validate-first");
    o.keepWarmupEpochs = a.number("--keep-warmup", 10);
    o.keepDecayEndEpoch = a.number("--keep-decay-end", 100);
    if (!(o.keepWarmupEpochs >= 0 && o.keepDecayEndEpoch > o.keepWarmupEpochs))
        throw UsageError("--keep-warmup W and --keep-decay-end E need 0 <= W < E (epochs)");
    if (a.flag("--no-flip")) o.augment.flip = false;
    if (a.flag("--no-augment")) {
        o.augment = analysis::AugmentOptions{};
        o.augment.flip = false;
        o.augment.scaleFactor = 0;
        o.augment.rotationProbability = 0;
        o.augment.halfBodyProbability = 0;
    }

    ProgressLine progress;
    analysis::TrainCallbacks cb;
    cb.progress = [&](const analysis::TrainProgress& p) {
        char line[200];
        std::snprintf(line, sizeof line, "epoch %d/%d  iter %lld/%lld  loss %.6f  lr %.2e  %.1f samples/s  ETA %s",
                      p.epoch, p.epochs, static_cast<long long>(p.iteration),
                      static_cast<long long>(p.iterationsPerEpoch), p.loss, p.lr, p.samplesPerSecond,
                      durationText(p.etaSeconds).c_str());
        progress.show(line, p.iteration == p.iterationsPerEpoch);
    };
    cb.epochEnd = [&](const analysis::EpochSummary& e) {
        progress.finish();
        if (e.epoch == 0)
            std::printf("untrained: val AP %.4f (AP50 %.4f, AP75 %.4f)\n", e.valAp, e.valAp50, e.valAp75);
        else
            std::printf(
                "epoch %d: loss %.6f, lr %.2e, val AP %.4f (AP50 %.4f, AP75 %.4f), %.0f s, %.1f samples/s, "
                "%.1f s waiting for data\n",
                e.epoch, e.trainLoss, e.lr, e.valAp, e.valAp50, e.valAp75, e.seconds, e.samplesPerSecond,
                e.dataWaitSeconds);
        std::fflush(stdout);
    };
    cb.message = [&](const std::string& m) {
        progress.finish();
        std::cerr << m << '\n';
    };
    cb.cancel = [] { return StopOnSignals::stopRequested(); };
    analysis::TrainResult r;
    {
        const StopOnSignals stopOnSignals;  // Ctrl-C: save a checkpoint after the current step
        r = analysis::trainModel(o, cb);
    }
    progress.finish();
    if (r.cancelled) {
        std::printf("interrupted after step %lld: the state is saved in %s; continue with --resume\n",
                    static_cast<long long>(r.steps), r.checkpoint.c_str());
        return 130;
    }
    std::printf("trained %lld steps; best val AP %.4f at epoch %d (%s); final weights %s; config %s; log %s\n",
                static_cast<long long>(r.steps), r.bestAp, r.bestEpoch, r.bestModel.c_str(), r.finalModel.c_str(),
                r.config.c_str(), r.log.c_str());
    return 0;
}

int runTrain(const std::vector<std::string>& argv) {
    return runTraining(argv, false);
}

int runDistill(const std::vector<std::string>& argv) {
    return runTraining(argv, true);
}

}  // namespace

Command distillCommand() {
    return {
        "distill", "DPPT: train a PPT student under a TokenPose teacher (heatmaps, attention, keypoint tokens)",
        "usage: posescope-cli distill --teacher PRESET|FILE.yaml --teacher-checkpoint T.pth [--teacher-set K=V]...\n"
        "                             --student PRESET|FILE.yaml [--set KEY=VALUE]... --dataset ANN.json\n"
        "                             --images DIR --out DIR [train options] [weights]\n"
        "\n"
        "Trains the student as `train` does (same options, outputs and resume) with the loss\n"
        "  ground truth + h * heatmap + a * attention + f * feature,\n"
        "the three kinds of teacher supervision DPPT names (Ren et al., 2023): the teacher's heatmaps\n"
        "(JointsMSE form), the keypoint tokens' attention to the visual tokens in every student layer\n"
        "against the teacher's layer at the same relative depth, gathered at the tokens the student\n"
        "kept and renormalised over them, and the output keypoint tokens (same MODEL.DIM needed).\n"
        "The teacher is loaded once and never trained. With --attention-weight 0 --feature-weight 0\n"
        "any two heatmap models of one heatmap size work (e.g. a TransPose-H student under a\n"
        "TransPose-R teacher, as the demo models are trained).\n"
        "\n"
        "weights:\n"
        "  --heatmap-weight H    1\n"
        "  --attention-weight A  1 (0: off)\n"
        "  --feature-weight F    1 (0: off)\n",
        runDistill};
}

Command trainCommand() {
    return {
        "train", "train a model on a COCO-format keypoint dataset (Adam, cosine schedule, official augmentation)",
        "usage: posescope-cli train --config PRESET|FILE.yaml [--set KEY=VALUE]... --dataset ANN.json --images DIR\n"
        "                           --out DIR [options]\n"
        "\n"
        "Trains with the official heatmap recipe: Gaussian targets (sigma 2) with target weights and MSE,\n"
        "flip/scale/rotation/half-body augmentation, Adam with a cosine learning rate from TRAIN.LR to\n"
        "TRAIN.LR_END over TRAIN.END_EPOCH epochs, validation AP (GT boxes) after each epoch. Writes to DIR:\n"
        "checkpoint.pth (training state, opens with torch.load), model_best.pth, final_state.pth,\n"
        "config.yaml and log.csv. Ctrl-C saves the state after the current step; --resume continues it\n"
        "(a killed run continues from its last checkpoint, written every --checkpoint-minutes).\n"
        "\n"
        "options:\n"
        "  --val ANN.json --val-images DIR   validation set (default: hold out --val-fraction of the images)\n"
        "  --val-fraction F                  0.1\n"
        "  --epochs N, --batch N             default TRAIN.END_EPOCH, TRAIN.BATCH_SIZE_PER_GPU\n"
        "  --lr X, --lr-end X                default TRAIN.LR, TRAIN.LR_END\n"
        "  --sigma S                         Gaussian target sigma (MODEL.SIGMA, 2)\n"
        "  --seed N                          data order, augmentation, initialisation (1)\n"
        "  --loader-threads N                sample preparation threads (1)\n"
        "  --max-samples N, --max-val-samples N   use at most N persons (seeded choice)\n"
        "  --repeat N                        visit every training person N times per epoch (small sets)\n"
        "  --init F.pth [--init-prefix P,…]  start from weights (only keys starting with P: the rest keeps\n"
        "                                    its initialisation), e.g. an ImageNet backbone\n"
        "  --resume                          continue DIR/checkpoint.pth (the options must match)\n"
        "  --checkpoint-minutes M            mid-epoch checkpoints at least every M minutes (5; 0: epoch ends)\n"
        "  --checkpoint-every N              also every N steps\n"
        "  --log-every N                     steps per row of log.csv (20)\n"
        "  --no-flip, --no-augment           switch augmentation off (flip only / all of it)\n"
        "  --validate-first                  also evaluate the untrained model (epoch 0)\n"
        "  --keep-warmup W, --keep-decay-end E   PPT: keep every token for W epochs, then a cosine down\n"
        "                                    to MODEL.PRUNING_RATIO at epoch E (10, 100 as PPT's recipe;\n"
        "                                    fractional epochs allowed)\n",
        runTrain};
}

Command trainingLogCommand() {
    return {"training-log", "summarise a training's log.csv, and draw its curves as a figure",
            "usage: posescope-cli training-log DIR|log.csv [--figure F.pdf|.png|.svg] [--dpi N]\n"
            "                                  [--panel-width MM]\n"
            "\n"
            "Reads the log of `train`, `distill` or `pretrain` (its --out folder or log.csv; also while\n"
            "the training runs) and prints one line per epoch (loss, learning rate, samples/s, validation\n"
            "AP…) and the best validation AP. --figure draws the training loss and the learning rate over\n"
            "the steps and the validation AP, AP50 and AP75 over the epochs (pretrain: the teacher's\n"
            "entropy) as a figure for papers: PNG at --dpi (300), SVG or PDF; --panel-width is one\n"
            "plot's width on paper (50 mm).\n",
            [](const std::vector<std::string>& argv) {
                const Args a(argv, {}, {"--figure", "--dpi", "--panel-width"});
                if (a.positional().size() != 1) throw UsageError("training-log takes one training folder or log.csv");
                analysis::TrainingFigureOptions o;  // checked before anything is printed
                const long long dpi = a.integer("--dpi", o.dpi);
                o.panelWidthMm = a.number("--panel-width", o.panelWidthMm);
                if (dpi < 10 || dpi > 2400) throw UsageError("--dpi must be between 10 and 2400");
                o.dpi = static_cast<int>(dpi);
                if (!(o.panelWidthMm >= 20 && o.panelWidthMm <= 500))
                    throw UsageError("--panel-width must be between 20 and 500 mm");
                if (a.has("--figure")) {
                    const std::filesystem::path given(a.positional()[0]);
                    checkOutput("--figure", a.value("--figure"), {given.string(), (given / "log.csv").string()});
                }
                const analysis::TrainingLog log = analysis::readTrainingLog(a.positional()[0]);
                std::cout << analysis::formatTrainingLogText(log);
                if (a.has("--figure")) {
                    analysis::ensureGuiApplication();
                    analysis::writeTrainingFigure(log, a.value("--figure"), o);
                    std::cout << "wrote " << a.value("--figure") << '\n';
                }
                return 0;
            }};
}

}  // namespace posescope::cli
