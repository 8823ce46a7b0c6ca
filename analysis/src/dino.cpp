// pretrainDino: DINO's views, head, loss, EMA teacher, schedules, checkpoints and resume.
#include "posescope/analysis/dino.h"
#include "posescope/analysis/training_log.h"

#include "adam.h"
#include "posescope/datasets/error.h"
#include "posescope/datasets/image.h"
#include "posescope/datasets/image_folder.h"
#include "posescope/models/checkpoint.h"
#include "posescope/models/model_registry.h"
#include "posescope/models/pose_model.h"
#include "posescope/models/preprocess.h"
#include "posescope/models/runtime.h"
#include "train_common.h"

#include <opencv2/imgproc.hpp>

#include <chrono>
#include <cmath>
#include <deque>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <sstream>

namespace posescope::analysis {
namespace {

namespace fs = std::filesystem;
using models::CheckpointValue;
using Clock = std::chrono::steady_clock;

// torchvision's RandomResizedCrop(size, scale = (s, 1), ratio = (3/4, 4/3)), bicubic.
cv::Mat randomResizedCrop(const cv::Mat& rgb, cv::Size size, double scaleMin, std::mt19937_64& rng) {
    const double area = static_cast<double>(rgb.cols) * rgb.rows;
    std::uniform_real_distribution<double> scale(scaleMin, 1.0), logRatio(std::log(3.0 / 4), std::log(4.0 / 3));
    cv::Rect crop;
    for (int attempt = 0; attempt < 10 && crop.area() == 0; ++attempt) {
        const double target = area * scale(rng), ratio = std::exp(logRatio(rng));
        const int w = static_cast<int>(std::lround(std::sqrt(target * ratio)));
        const int h = static_cast<int>(std::lround(std::sqrt(target / ratio)));
        if (w > 0 && h > 0 && w <= rgb.cols && h <= rgb.rows) {
            const int top = std::uniform_int_distribution<int>(0, rgb.rows - h)(rng);
            const int left = std::uniform_int_distribution<int>(0, rgb.cols - w)(rng);
            crop = cv::Rect(left, top, w, h);
        }
    }
    if (crop.area() == 0) {  // the fallback: the whole image's centre at the nearest allowed ratio
        const double ratio = std::clamp(static_cast<double>(rgb.cols) / rgb.rows, 3.0 / 4, 4.0 / 3);
        int w = rgb.cols, h = rgb.rows;
        if (static_cast<double>(w) / h > ratio)
            w = static_cast<int>(std::lround(h * ratio));
        else
            h = static_cast<int>(std::lround(w / ratio));
        crop = cv::Rect((rgb.cols - w) / 2, (rgb.rows - h) / 2, w, h);
    }
    cv::Mat out;
    cv::resize(rgb(crop), out, size, 0, 0, cv::INTER_CUBIC);
    return out;
}

// ColorJitter(0.4, 0.4, 0.2, 0.1) in a random order, on float RGB in [0, 1].
void colorJitter(cv::Mat& f, std::mt19937_64& rng) {
    std::uniform_real_distribution<double> u(0, 1);
    const double brightness = 0.6 + 0.8 * u(rng), contrast = 0.6 + 0.8 * u(rng), saturation = 0.8 + 0.4 * u(rng),
                 hue = -0.1 + 0.2 * u(rng);
    std::vector<int> order{0, 1, 2, 3};
    std::shuffle(order.begin(), order.end(), rng);
    const auto grey = [&] {
        cv::Mat g;
        cv::cvtColor(f, g, cv::COLOR_RGB2GRAY);
        return g;
    };
    for (int op : order) {
        if (op == 0) {
            f *= brightness;
        } else if (op == 1) {
            const double mean = cv::mean(grey())[0];
            f = f * contrast +
                cv::Scalar::all((1 - contrast) * mean);  // every channel (a double adds to the first only)
        } else if (op == 2) {
            cv::Mat g3;
            cv::cvtColor(grey(), g3, cv::COLOR_GRAY2RGB);
            f = f * saturation + g3 * (1 - saturation);
        } else {
            cv::Mat hsv;
            cv::cvtColor(f, hsv, cv::COLOR_RGB2HSV);  // H in degrees for float images
            std::vector<cv::Mat> ch;
            cv::split(hsv, ch);
            ch[0] += hue * 360;
            cv::Mat wrap = ch[0] < 0;
            cv::add(ch[0], 360, ch[0], wrap);
            wrap = ch[0] >= 360;
            cv::subtract(ch[0], 360, ch[0], wrap);
            cv::merge(ch, hsv);
            cv::cvtColor(hsv, f, cv::COLOR_HSV2RGB);
        }
        cv::max(f, cv::Scalar::all(0.0), f);
        cv::min(f, cv::Scalar::all(1.0), f);
    }
}

cv::Mat augment(const cv::Mat& rgb, cv::Size size, double scaleMin, double blurProbability, double solarizeProbability,
                std::mt19937_64& rng) {
    std::uniform_real_distribution<double> u(0, 1);
    cv::Mat view = randomResizedCrop(rgb, size, scaleMin, rng);
    if (u(rng) < 0.5) cv::flip(view, view, 1);
    cv::Mat f;
    view.convertTo(f, CV_32FC3, 1.0 / 255);
    if (u(rng) < 0.8) colorJitter(f, rng);
    if (u(rng) < 0.2) {
        cv::Mat g;
        cv::cvtColor(f, g, cv::COLOR_RGB2GRAY);
        cv::cvtColor(g, f, cv::COLOR_GRAY2RGB);
    }
    if (u(rng) < blurProbability) {
        const double sigma = 0.1 + 1.9 * u(rng);  // PIL's GaussianBlur radius
        cv::GaussianBlur(f, f, cv::Size(0, 0), sigma);
    }
    f.convertTo(view, CV_8UC3, 255);
    if (u(rng) < solarizeProbability) {
        cv::Mat high = view >= 128;
        cv::Mat inverted = cv::Scalar::all(255) - view;
        inverted.copyTo(view, high);
    }
    return view;
}

// DINOHead(in, out, use_bn, norm_last_layer = True, nlayers = 2, hidden, bottleneck).
struct DinoHeadImpl : torch::nn::Module {
    DinoHeadImpl(int64_t in, int64_t hidden, int64_t bottleneck, int64_t out, bool bn) {
        torch::nn::Sequential layers(torch::nn::Linear(in, hidden));
        if (bn) layers->push_back(torch::nn::BatchNorm1d(hidden));
        layers->push_back(torch::nn::GELU());
        layers->push_back(torch::nn::Linear(hidden, bottleneck));
        mlp = register_module("mlp", layers);
        torch::nn::Module& last = *register_module("last_layer", std::make_shared<torch::nn::Module>());
        weight_v = last.register_parameter("weight_v", torch::empty({out, bottleneck}));
        weight_g = last.register_buffer("weight_g", torch::ones({out, 1}));  // fixed at 1
        torch::NoGradGuard noGrad;
        for (const auto& child : mlp->children())  // _init_weights: the Linear layers only
            if (auto* linear = child->as<torch::nn::Linear>()) {
                linear->weight.normal_(0, 0.02);  // trunc_normal_(std 0.02) cut at ±2: 100 sigma away
                linear->bias.zero_();
            }
        torch::nn::init::kaiming_uniform_(weight_v, std::sqrt(5.0));  // nn.Linear's own
    }
    torch::Tensor forward(const torch::Tensor& x) {
        const torch::Tensor z = torch::nn::functional::normalize(
            mlp->forward(x), torch::nn::functional::NormalizeFuncOptions().dim(-1).p(2));
        const torch::Tensor w = weight_v * (weight_g / weight_v.norm(2, 1, true));
        return torch::nn::functional::linear(z, w);
    }
    torch::nn::Sequential mlp{nullptr};
    torch::Tensor weight_v, weight_g;
};
TORCH_MODULE(DinoHead);

// The backbone's output: the encoder's [N, d, h, w], flattened; the model's forward pass reports it.
struct EncoderOutput : models::TraceObserver {
    torch::Tensor value;
    bool wantsAttention() const override { return false; }
    void onLayer(const models::LayerTrace&) override {}
    void onExtra(const std::string& name, const torch::Tensor& t) override {
        if (name == "features/encoder") value = t;
    }
};

torch::Tensor backboneOutput(models::PoseModel& model, const torch::Tensor& input) {
    EncoderOutput out;
    model.forwardTraining(input, &out);
    if (!out.value.defined())
        throw Error("pretrain: " + model.info().family +
                    " reports no encoder output to pre-train (DINO pre-trains TransPose and BTranspose backbones)");
    return out.value.flatten(1);
}

bool isHeadKey(const std::string& key) {
    return key.rfind("deconv_layers.", 0) == 0 || key.rfind("final_layer.", 0) == 0;
}

}  // namespace

std::pair<cv::Mat, cv::Mat> dinoViews(const cv::Mat& rgb, cv::Size size, double cropScaleMin, uint64_t seed) {
    std::mt19937_64 rng(seed);
    cv::Mat first = augment(rgb, size, cropScaleMin, 1.0, 0.0, rng);
    cv::Mat second = augment(rgb, size, cropScaleMin, 0.1, 0.2, rng);
    return {first, second};
}

torch::Tensor dinoLoss(const torch::Tensor& student, const torch::Tensor& teacher, const torch::Tensor& center,
                       double studentTemp, double teacherTemp) {
    const auto s = (student / studentTemp).chunk(2);
    const auto t = torch::softmax((teacher - center) / teacherTemp, -1).detach().chunk(2);
    torch::Tensor total = torch::zeros({}, student.options());
    int terms = 0;
    for (int iq = 0; iq < 2; ++iq)
        for (int v = 0; v < 2; ++v) {
            if (v == iq) continue;
            total =
                total +
                torch::sum(-t[static_cast<size_t>(iq)] * torch::log_softmax(s[static_cast<size_t>(v)], -1), -1).mean();
            ++terms;
        }
    return total / terms;
}

void emaUpdate(torch::nn::Module& teacher, const torch::nn::Module& student, double momentum) {
    torch::NoGradGuard noGrad;
    const auto t = teacher.parameters();
    const auto s = student.parameters();
    if (t.size() != s.size()) throw Error("EMA: the teacher and the student differ in their parameters");
    for (size_t i = 0; i < t.size(); ++i)
        t[i].mul_(momentum).add_(s[i].detach(), 1 - momentum);
}

double dinoSchedule(double base, double end, int64_t step, int64_t total, int64_t warmup) {
    if (step < warmup) return warmup > 1 ? base * static_cast<double>(step) / static_cast<double>(warmup - 1) : base;
    const double i = static_cast<double>(step - warmup), n = static_cast<double>(std::max<int64_t>(1, total - warmup));
    return end + 0.5 * (base - end) * (1 + std::cos(M_PI * i / n));
}

DinoResult pretrainDino(const DinoOptions& o, const DinoCallbacks& cb) {
    const auto say = [&](const std::string& m) {
        if (cb.message) cb.message(m);
    };
    if (o.outDir.empty()) throw Error("pretrain: an output folder is needed");
    if (o.epochs < 1 || o.batchSize < 1) throw Error("pretrain: epochs and batch size must be at least 1");
    if (o.outDim < 1 || o.hiddenDim < 1 || o.bottleneckDim < 1) throw Error("pretrain: head sizes must be positive");
    if (!(o.cropScaleMin > 0 && o.cropScaleMin <= 1)) throw Error("pretrain: the crop scale must be in (0, 1]");
    const ImageFolder folder = ImageFolder::open(o.images);
    std::vector<FolderImage> images = folder.items();
    if (o.maxImages > 0 && static_cast<int>(images.size()) > o.maxImages)
        images.resize(static_cast<size_t>(o.maxImages));
    if (images.empty()) throw FileError(o.images, "no images to pre-train on");
    const int64_t perEpoch = std::max<int64_t>(1, static_cast<int64_t>(images.size()) / o.batchSize);  // drop_last
    const int64_t totalSteps = perEpoch * o.epochs;
    const double lr = o.lr > 0 ? o.lr : 0.0005 * o.batchSize / 256.0;
    const int64_t warmupSteps = static_cast<int64_t>(std::llround(o.warmupEpochs * static_cast<double>(perEpoch)));
    const int64_t freezeSteps =
        static_cast<int64_t>(std::llround(o.freezeLastLayerEpochs * static_cast<double>(perEpoch)));

    models::keepFreedMemory(size_t{2047} * 1024 * 1024);
    torch::manual_seed(o.seed);
    const std::shared_ptr<models::PoseModel> student = models::createModel(o.config);
    student->initialiseForTraining();
    const std::shared_ptr<models::PoseModel> teacher = models::createModel(o.config);
    const models::ModelInfo info = student->info();
    const cv::Size inputSize(info.inputWidth, info.inputHeight);
    int64_t inDim = 0;
    {
        torch::NoGradGuard noGrad;
        student->module().eval();
        inDim = backboneOutput(*student, torch::zeros({1, 3, inputSize.height, inputSize.width})).size(1);
    }
    DinoHead studentHead(inDim, o.hiddenDim, o.bottleneckDim, o.outDim, o.bnInHead);
    DinoHead teacherHead(inDim, o.hiddenDim, o.bottleneckDim, o.outDim, o.bnInHead);
    models::loadStateDict(teacher->module(), models::stateDictOf(student->module()), "the student");
    models::loadStateDict(*teacherHead, models::stateDictOf(*studentHead), "the student's head");
    for (torch::Tensor& p : teacher->module().parameters())
        p.set_requires_grad(false);
    for (torch::Tensor& p : teacherHead->parameters())
        p.set_requires_grad(false);
    torch::Tensor center = torch::zeros({1, o.outDim});

    // AdamW over the student and its head; biases and 1-D parameters are not decayed.
    std::vector<torch::Tensor> params;
    std::vector<bool> decays;
    std::vector<bool> lastLayer;
    for (const auto& [prefix, module] :
         {std::pair<std::string, torch::nn::Module*>{"", &student->module()}, {"head.", studentHead.get()}})
        for (const auto& p : module->named_parameters()) {
            if (!p.value().requires_grad()) continue;
            params.push_back(p.value());
            decays.push_back(p.value().dim() > 1 && p.key().size() >= 5 &&
                             p.key().compare(p.key().size() - 5, 5, ".bias") != 0);
            lastLayer.push_back(prefix == "head." && p.key().rfind("last_layer.", 0) == 0);
        }
    Adam adamw(params);

    fs::create_directories(o.outDir);
    DinoResult result;
    result.checkpoint = (fs::path(o.outDir) / "checkpoint.pth").string();
    result.teacherBackbone = (fs::path(o.outDir) / "teacher_backbone.pth").string();
    result.log = (fs::path(o.outDir) / "log.csv").string();
    std::ostringstream fp;
    fp << "config=" << o.config.source() << "\nimages=" << o.images << " (" << images.size() << ")\nepochs=" << o.epochs
       << "\nbatch=" << o.batchSize << "\nlr=" << numberText(lr) << ',' << numberText(o.minLr) << ','
       << numberText(o.warmupEpochs) << "\nwd=" << numberText(o.weightDecay) << ',' << numberText(o.weightDecayEnd)
       << "\nhead=" << o.hiddenDim << ',' << o.bottleneckDim << ',' << o.outDim << (o.bnInHead ? ",bn" : "")
       << "\nteacher=" << numberText(o.teacherMomentum) << ',' << numberText(o.teacherTemp) << ','
       << numberText(o.studentTemp) << ',' << numberText(o.centerMomentum) << "\ncrop=" << numberText(o.cropScaleMin)
       << "\nseed=" << o.seed << '\n';
    const std::string fingerprint = fp.str();

    int startEpoch = 0;
    int64_t startIteration = 0, step = 0;
    double lossSum = 0;
    int64_t lossCount = 0;
    std::vector<std::string> logRows;
    if (!o.resume && fs::exists(result.checkpoint))  // never overwrite a training the user has
        throw FileError(result.checkpoint,
                        "a training is saved in this folder already: continue it with --resume, "
                        "or choose another --out (nothing was changed)");
    if (o.resume) {
        if (!fs::exists(result.checkpoint))
            throw FileError(result.checkpoint, "nothing to resume: no checkpoint in " + o.outDir);
        const models::CheckpointContents c = models::loadCheckpointContents(result.checkpoint);
        if (c.value("posescope.fingerprint") != fingerprint)
            throw Error("pretrain --resume: the options differ from those of " + result.checkpoint +
                        "; it was started with:\n" + c.value("posescope.fingerprint"));
        const auto part = [&](const std::string& prefix) {
            models::StateDict sd;
            for (const auto& [name, t] : c.tensors)
                if (name.rfind(prefix, 0) == 0) sd.emplace_back(name.substr(prefix.size()), t);
            return sd;
        };
        models::loadStateDict(student->module(), part("student."), result.checkpoint);
        models::loadStateDict(teacher->module(), part("teacher."), result.checkpoint);
        models::loadStateDict(*studentHead, part("student_head."), result.checkpoint);
        models::loadStateDict(*teacherHead, part("teacher_head."), result.checkpoint);
        center = c.tensor("center").clone();
        adamw.restore(c);
        startEpoch = std::stoi(c.value("epoch"));
        startIteration = std::stoll(c.value("iteration"));
        step = std::stoll(c.value("step"));
        lossSum = std::stod(c.value("posescope.epoch_loss_sum"));
        lossCount = std::stoll(c.value("posescope.epoch_loss_count"));
        for (int e = 0;; ++e) {
            const auto it = c.values.find("posescope.epoch_loss." + std::to_string(e));
            if (it == c.values.end()) break;
            result.epochLoss.push_back(std::stod(it->second));
        }
        restoreTorchRng(c.tensor("posescope.rng"));
        logRows = trainingLogRowsUpTo(result.log, step);
        say("resumed from " + result.checkpoint + " at epoch " + std::to_string(startEpoch + 1) + ", step " +
            std::to_string(step));
    }
    std::ofstream log(result.log, std::ios::trunc);
    log << "kind,epoch,step,loss,lr,weight_decay,momentum,teacher_entropy,samples_per_s\n";
    for (const std::string& row : logRows)
        log << row << '\n';
    log.flush();
    if (!log) throw FileError(result.log, "cannot write the log");

    const auto saveState = [&](int epoch, int64_t iteration) {
        std::vector<std::pair<CheckpointValue, CheckpointValue>> losses;
        for (size_t e = 0; e < result.epochLoss.size(); ++e)
            losses.emplace_back(CheckpointValue(std::to_string(e)), CheckpointValue(result.epochLoss[e]));
        const torch::Tensor rng = torchRngState();
        const CheckpointValue root = CheckpointValue::dict(
            {{CheckpointValue("epoch"), CheckpointValue(int64_t{epoch})},
             {CheckpointValue("iteration"), CheckpointValue(iteration)},
             {CheckpointValue("step"), CheckpointValue(step)},
             {CheckpointValue("student"), CheckpointValue::stateDict(models::stateDictOf(student->module()))},
             {CheckpointValue("teacher"), CheckpointValue::stateDict(models::stateDictOf(teacher->module()))},
             {CheckpointValue("student_head"), CheckpointValue::stateDict(models::stateDictOf(*studentHead))},
             {CheckpointValue("teacher_head"), CheckpointValue::stateDict(models::stateDictOf(*teacherHead))},
             {CheckpointValue("center"), CheckpointValue(center)},
             {CheckpointValue("optimizer"), adamw.state(lr)},
             {CheckpointValue("posescope"),
              CheckpointValue::dict({{CheckpointValue("fingerprint"), CheckpointValue(fingerprint)},
                                     {CheckpointValue("rng"), CheckpointValue(rng)},
                                     {CheckpointValue("epoch_loss_sum"), CheckpointValue(lossSum)},
                                     {CheckpointValue("epoch_loss_count"), CheckpointValue(lossCount)},
                                     {CheckpointValue("epoch_loss"), CheckpointValue::dict(std::move(losses))}})}});
        models::saveCheckpoint(root, result.checkpoint);
    };
    const auto exportTeacher = [&] {
        models::StateDict backbone;
        for (auto& [name, t] : models::stateDictOf(teacher->module()))
            if (!isHeadKey(name)) backbone.emplace_back(name, t);
        models::saveStateDict(backbone, result.teacherBackbone);
    };

    // Two views per image, prepared a few batches ahead on loader threads.
    const auto makeBatch = [&](int epoch, const std::vector<size_t>& order, int64_t index) {
        const int64_t b = o.batchSize;
        torch::Tensor views = torch::empty({2 * b, 3, inputSize.height, inputSize.width});
        for (int64_t i = 0; i < b; ++i) {
            const size_t k = order[static_cast<size_t>(index * b + i)];
            const cv::Mat rgb = loadImageRgb(images[k].path);
            const auto [first, second] = dinoViews(
                rgb, inputSize, o.cropScaleMin, mix(mix(o.seed ^ 0xd1a0) ^ (static_cast<uint64_t>(epoch) << 32 | k)));
            views[i].copy_(models::normalizeCrop(first));
            views[b + i].copy_(models::normalizeCrop(second));
        }
        return views;
    };

    say("pre-training the backbone of " + info.family + (info.variant.empty() ? "" : " " + info.variant) +
        " with DINO on " + std::to_string(images.size()) + " images: " + std::to_string(o.epochs) + " epochs of " +
        std::to_string(perEpoch) + " steps (batch " + std::to_string(o.batchSize) + ", two views each), head " +
        std::to_string(inDim) + " → " + std::to_string(o.hiddenDim) + " → " + std::to_string(o.bottleneckDim) + " → " +
        std::to_string(o.outDim));
    const auto runStart = Clock::now();
    auto lastSave = Clock::now();
    int64_t samplesThisRun = 0;
    for (int epoch = startEpoch; epoch < o.epochs; ++epoch) {
        std::vector<size_t> order(images.size());
        for (size_t i = 0; i < order.size(); ++i)
            order[i] = i;
        std::shuffle(order.begin(), order.end(), std::mt19937_64(mix(o.seed ^ 0x5eed) + static_cast<uint64_t>(epoch)));
        const int64_t first = epoch == startEpoch ? startIteration : 0;
        if (first == 0) {
            lossSum = 0;
            lossCount = 0;
        }
        std::deque<std::future<torch::Tensor>> ahead;
        int64_t queued = first;
        const auto fill = [&] {
            while (queued < perEpoch && static_cast<int>(ahead.size()) < std::max(2, 2 * o.loaderThreads))
                ahead.push_back(std::async(std::launch::async, makeBatch, epoch, order, queued++));
        };
        student->module().train();
        teacher->module().train();
        for (int64_t it = first; it < perEpoch; ++it) {
            fill();
            const torch::Tensor views = ahead.front().get();
            ahead.pop_front();
            fill();
            const double lrNow = dinoSchedule(lr, o.minLr, step, totalSteps, warmupSteps);
            const double wdNow = dinoSchedule(o.weightDecay, o.weightDecayEnd, step, totalSteps);
            const double momentum = dinoSchedule(o.teacherMomentum, 1.0, step, totalSteps);
            torch::Tensor teacherOut;
            {
                torch::NoGradGuard noGrad;
                teacherOut = teacherHead->forward(backboneOutput(*teacher, views));
            }
            const torch::Tensor studentOut = studentHead->forward(backboneOutput(*student, views));
            const torch::Tensor loss = dinoLoss(studentOut, teacherOut, center, o.studentTemp, o.teacherTemp);
            double entropy = 0;
            {
                torch::NoGradGuard noGrad;
                const torch::Tensor logP = torch::log_softmax((teacherOut - center) / o.teacherTemp, -1);
                entropy = -(logP.exp() * logP).sum(-1).mean().item<double>();
            }
            const double lossValue = loss.item<double>();
            if (!std::isfinite(lossValue)) throw Error("pretrain: the loss is " + numberText(lossValue) + "; stopping");
            adamw.zeroGrad();
            loss.backward();
            {
                torch::NoGradGuard noGrad;
                for (size_t i = 0; i < params.size(); ++i) {
                    torch::Tensor g = params[i].grad();
                    if (!g.defined()) continue;
                    if (lastLayer[i] && step < freezeSteps) {  // frozen: no step at all, as DINO's None grad
                        params[i].mutable_grad() = torch::Tensor();
                        continue;
                    }
                    if (o.clipGrad > 0) {
                        const double norm = g.norm().item<double>();
                        const double coef = o.clipGrad / (norm + 1e-6);
                        if (coef < 1) g.mul_(coef);
                    }
                }
            }
            adamw.step(lrNow, wdNow, decays);
            emaUpdate(teacher->module(), student->module(), momentum);
            emaUpdate(*teacherHead, *studentHead, momentum);
            {
                torch::NoGradGuard noGrad;
                center.mul_(o.centerMomentum).add_(teacherOut.mean(0, true), 1 - o.centerMomentum);
            }
            ++step;
            lossSum += lossValue;
            ++lossCount;
            samplesThisRun += o.batchSize;
            const double elapsed = std::chrono::duration<double>(Clock::now() - runStart).count();
            DinoProgress p;
            p.epoch = epoch + 1;
            p.epochs = o.epochs;
            p.iteration = it + 1;
            p.iterationsPerEpoch = perEpoch;
            p.step = step;
            p.totalSteps = totalSteps;
            p.loss = lossSum / static_cast<double>(lossCount);
            p.lr = lrNow;
            p.weightDecay = wdNow;
            p.momentum = momentum;
            p.teacherEntropy = entropy;
            p.samplesPerSecond = static_cast<double>(samplesThisRun) / std::max(1e-9, elapsed);
            p.etaSeconds = static_cast<double>((totalSteps - step) * o.batchSize) / std::max(1e-9, p.samplesPerSecond);
            if (cb.progress) cb.progress(p);
            if (o.logEvery > 0 && step % o.logEvery == 0) {
                log << "iter," << epoch + 1 << ',' << step << ',' << numberText(lossValue) << ',' << numberText(lrNow)
                    << ',' << numberText(wdNow) << ',' << numberText(momentum) << ',' << numberText(entropy) << ','
                    << p.samplesPerSecond << '\n';
                log.flush();
            }
            const bool cancel = cb.cancel && cb.cancel();
            const bool due = (o.checkpointSeconds > 0 &&
                              std::chrono::duration<double>(Clock::now() - lastSave).count() >= o.checkpointSeconds) ||
                             (o.checkpointEveryIterations > 0 && step % o.checkpointEveryIterations == 0);
            if ((cancel || due) && it + 1 < perEpoch) {
                saveState(epoch, it + 1);
                lastSave = Clock::now();
                if (cancel) {
                    result.cancelled = true;
                    result.steps = step;
                    return result;  // the loader's futures finish before they are destroyed
                }
            }
        }
        const double epochLoss = lossSum / static_cast<double>(std::max<int64_t>(1, lossCount));
        result.epochLoss.push_back(epochLoss);
        log << "epoch," << epoch + 1 << ',' << step << ',' << numberText(epochLoss) << ",,,,," << '\n';
        log.flush();
        lossSum = 0;
        lossCount = 0;
        saveState(epoch + 1, 0);
        exportTeacher();
        lastSave = Clock::now();
        if (cb.epochEnd) cb.epochEnd(epoch + 1, epochLoss);
        if (cb.cancel && cb.cancel() && epoch + 1 < o.epochs) {
            result.cancelled = true;
            break;
        }
    }
    if (!fs::exists(result.teacherBackbone)) exportTeacher();
    result.steps = step;
    return result;
}

}  // namespace posescope::analysis
