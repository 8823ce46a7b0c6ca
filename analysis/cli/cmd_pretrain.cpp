// posescope-cli pretrain: DINO self-supervised pre-training of a backbone on unlabelled images.
#include "cli.h"
#include "posescope/analysis/dino.h"

#include <cstdio>
#include <iostream>

namespace posescope::cli {
namespace {

int runPretrain(const std::vector<std::string>& argv) {
    const Args a(argv, {"--resume", "--bn-in-head"},
                 {"--method",
                  "--config",
                  "--set",
                  "--images",
                  "--out",
                  "--max-images",
                  "--epochs",
                  "--batch",
                  "--lr",
                  "--min-lr",
                  "--warmup-epochs",
                  "--weight-decay",
                  "--weight-decay-end",
                  "--clip-grad",
                  "--freeze-last-layer",
                  "--out-dim",
                  "--hidden-dim",
                  "--bottleneck-dim",
                  "--teacher-momentum",
                  "--teacher-temp",
                  "--student-temp",
                  "--center-momentum",
                  "--crop-scale",
                  "--seed",
                  "--loader-threads",
                  "--checkpoint-minutes",
                  "--checkpoint-every",
                  "--log-every"});
    if (!a.positional().empty()) throw UsageError("pretrain takes no positional arguments");
    if (a.value("--method") != "dino") throw UsageError("--method: only dino is implemented");
    analysis::DinoOptions o;
    o.config = configFrom(a);
    o.images = a.value("--images");
    o.outDir = a.value("--out");
    o.maxImages = static_cast<int>(a.integer("--max-images", 0));
    o.epochs = static_cast<int>(a.integer("--epochs", o.epochs));
    o.batchSize = static_cast<int>(a.integer("--batch", o.batchSize));
    o.lr = a.number("--lr", -1);
    o.minLr = a.number("--min-lr", o.minLr);
    o.warmupEpochs = a.number("--warmup-epochs", o.warmupEpochs);
    o.weightDecay = a.number("--weight-decay", o.weightDecay);
    o.weightDecayEnd = a.number("--weight-decay-end", o.weightDecayEnd);
    o.clipGrad = a.number("--clip-grad", o.clipGrad);
    o.freezeLastLayerEpochs = a.number("--freeze-last-layer", o.freezeLastLayerEpochs);
    o.outDim = static_cast<int>(a.integer("--out-dim", o.outDim));
    o.hiddenDim = static_cast<int>(a.integer("--hidden-dim", o.hiddenDim));
    o.bottleneckDim = static_cast<int>(a.integer("--bottleneck-dim", o.bottleneckDim));
    o.bnInHead = a.flag("--bn-in-head");
    o.teacherMomentum = a.number("--teacher-momentum", o.teacherMomentum);
    o.teacherTemp = a.number("--teacher-temp", o.teacherTemp);
    o.studentTemp = a.number("--student-temp", o.studentTemp);
    o.centerMomentum = a.number("--center-momentum", o.centerMomentum);
    o.cropScaleMin = a.number("--crop-scale", o.cropScaleMin);
    const long long seed = a.integer("--seed", 1);
    if (seed < 0) throw UsageError("--seed must be a non-negative integer");
    o.seed = static_cast<uint64_t>(seed);
    o.loaderThreads = static_cast<int>(a.integer("--loader-threads", 1));
    if (o.loaderThreads < 1 || o.loaderThreads > 64) throw UsageError("--loader-threads must be 1…64");
    o.resume = a.flag("--resume");
    o.checkpointSeconds = 60 * a.number("--checkpoint-minutes", 5);
    o.checkpointEveryIterations = static_cast<int>(a.integer("--checkpoint-every", 0));
    o.logEvery = static_cast<int>(a.integer("--log-every", 20));
    if (!(o.teacherMomentum >= 0 && o.teacherMomentum <= 1)) throw UsageError("--teacher-momentum must be in [0, 1]");
    if (!(o.teacherTemp > 0 && o.studentTemp > 0))
        throw UsageError("--teacher-temp and --student-temp must be positive");

    ProgressLine progress;
    analysis::DinoCallbacks cb;
    cb.progress = [&](const analysis::DinoProgress& p) {
        char line[220];
        std::snprintf(line, sizeof line,
                      "epoch %d/%d  iter %lld/%lld  loss %.4f  teacher entropy %.2f  lr %.2e  wd %.3f  momentum %.5f  "
                      "%.1f images/s  ETA %s",
                      p.epoch, p.epochs, static_cast<long long>(p.iteration),
                      static_cast<long long>(p.iterationsPerEpoch), p.loss, p.teacherEntropy, p.lr, p.weightDecay,
                      p.momentum, p.samplesPerSecond, durationText(p.etaSeconds).c_str());
        progress.show(line, p.iteration == p.iterationsPerEpoch);
    };
    cb.epochEnd = [&](int epoch, double loss) {
        progress.finish();
        std::printf("epoch %d: DINO loss %.4f\n", epoch, loss);
        std::fflush(stdout);
    };
    cb.message = [&](const std::string& m) {
        progress.finish();
        std::cerr << m << '\n';
    };
    cb.cancel = [] { return StopOnSignals::stopRequested(); };
    analysis::DinoResult r;
    {
        const StopOnSignals stopOnSignals;
        r = analysis::pretrainDino(o, cb);
    }
    progress.finish();
    if (r.cancelled) {
        std::printf("interrupted after step %lld: the state is saved in %s; continue with --resume\n",
                    static_cast<long long>(r.steps), r.checkpoint.c_str());
        return 130;
    }
    std::printf(
        "pre-trained %lld steps; teacher backbone %s (fine-tune with train --init %s --init-prefix …); "
        "state %s; log %s\n",
        static_cast<long long>(r.steps), r.teacherBackbone.c_str(), r.teacherBackbone.c_str(), r.checkpoint.c_str(),
        r.log.c_str());
    return 0;
}

}  // namespace

Command pretrainCommand() {
    return {"pretrain", "self-supervised pre-training of a backbone on unlabelled images (DINO, as BTranspose)",
            "usage: posescope-cli pretrain --method dino --config PRESET|FILE.yaml [--set KEY=VALUE]... --images DIR\n"
            "                              --out DIR [options]\n"
            "\n"
            "DINO as BTranspose applies it: a student and an EMA teacher of the model's backbone (everything\n"
            "up to the encoder, flattened), a projection head (Linear-GELU-Linear to 256, L2 norm, weight-\n"
            "normalised Linear to --out-dim), two global views per image (random resized crop to the input\n"
            "size, flip, colour jitter, grey, blur, solarisation), the teacher centred and sharpened, cross-\n"
            "entropy between the views; AdamW with warm-up and cosine, weight decay on a cosine. Writes to\n"
            "DIR: teacher_backbone.pth (the teacher's backbone under the model's key names: fine-tune with\n"
            "train --init DIR/teacher_backbone.pth --init-prefix model_alpha. for BTranspose), checkpoint.pth\n"
            "(the whole state; --resume continues it) and log.csv. Ctrl-C saves the state.\n"
            "\n"
            "options (defaults: BTranspose's facebook-dino.sh and DINO's main_dino.py):\n"
            "  --max-images N                    use the first N images\n"
            "  --epochs N, --batch N             100, 12 (images per step)\n"
            "  --lr X, --min-lr X                0.0005 x batch / 256, 1e-6\n"
            "  --warmup-epochs E                 10 (fractional allowed)\n"
            "  --weight-decay W, --weight-decay-end W   0.04, 0.4\n"
            "  --clip-grad C                     3.0 (per parameter; 0: off)\n"
            "  --freeze-last-layer E             1 epoch\n"
            "  --out-dim K, --hidden-dim H, --bottleneck-dim B   32768, 1024, 256\n"
            "  --bn-in-head                      BatchNorm1d after the head's first Linear (DINO's advice for\n"
            "                                    convolutional backbones; off as in BTranspose)\n"
            "  --teacher-momentum M              0.996 (cosine to 1)\n"
            "  --teacher-temp T, --student-temp T, --center-momentum M   0.04, 0.1, 0.9\n"
            "  --crop-scale S                    0.14 (global crops cover S..1 of the image)\n"
            "  --seed N, --loader-threads N      1, 1\n"
            "  --resume                          continue DIR/checkpoint.pth (the options must match)\n"
            "  --checkpoint-minutes M, --checkpoint-every N, --log-every N   5, 0, 20\n",
            runPretrain};
}

}  // namespace posescope::cli
