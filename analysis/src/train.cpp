// trainModel: loader threads, the optimisation loop, validation, checkpoints and resume.
#include "posescope/analysis/train.h"
#include "posescope/analysis/training_log.h"

#include "adam.h"
#include "posescope/analysis/distill.h"
#include "train_common.h"

#include "posescope/analysis/coco_eval.h"
#include "posescope/analysis/pose_nms.h"
#include "posescope/datasets/atomic_file.h"
#include "posescope/datasets/coco.h"
#include "posescope/datasets/crop.h"
#include "posescope/datasets/error.h"
#include "posescope/datasets/image.h"
#include "posescope/datasets/skeleton.h"
#include "posescope/models/checkpoint.h"
#include "posescope/models/heatmap_decode.h"
#include "posescope/models/model_registry.h"
#include "posescope/models/pose_model.h"
#include "posescope/models/pose_output.h"
#include "posescope/models/preprocess.h"
#include "posescope/models/runtime.h"
#include "posescope/models/simcc.h"

#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <numeric>
#include <random>
#include <sstream>
#include <thread>

namespace posescope::analysis {
namespace {

namespace fs = std::filesystem;
using models::CheckpointValue;
using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point since) {
    return std::chrono::duration<double>(Clock::now() - since).count();
}

// A dataset split: the persons with labelled keypoints, and what evaluation needs.
struct Split {
    std::vector<const PersonInstance*> persons;
    std::vector<ImageInfo> images;
    std::vector<PersonAnnotation> annotations;
};

Split makeSplit(const CocoDataset& coco, const std::vector<int64_t>& imageIds) {
    Split s;
    std::map<int64_t, bool> wanted;
    for (int64_t id : imageIds)
        wanted[id] = true;
    for (const ImageInfo& im : coco.images())
        if (wanted.count(im.id)) s.images.push_back(im);
    for (const PersonAnnotation& a : coco.annotations())
        if (wanted.count(a.imageId)) s.annotations.push_back(a);
    for (const PersonInstance& p : coco.personInstances())
        if (wanted.count(p.imageId) && p.annotation && p.annotation->labelledKeypoints() > 0) s.persons.push_back(&p);
    return s;
}

std::vector<int64_t> allImageIds(const CocoDataset& coco) {
    std::vector<int64_t> ids;
    for (const ImageInfo& im : coco.images())
        ids.push_back(im.id);
    return ids;
}

struct Batch {
    torch::Tensor input, target, weight;  // [B,3,H,W], [B,K,h,w] (SimCC: undefined), [B,K,1]
    models::SimCCTargets simcc;           // SimCC models: their labels
};

// Prepares batches of one epoch on worker threads, in order, a bounded number ahead.
class Loader {
public:
    Loader(const CocoDataset& coco, const std::vector<const PersonInstance*>& persons, const TrainOptions& o,
           const models::ModelInfo& info, std::vector<std::pair<int, int>> flipPairs)
        : m_coco(coco),
          m_persons(persons),
          m_o(o),
          m_input(info.inputWidth, info.inputHeight),
          m_heatmap(info.outputWidth, info.outputHeight),
          m_simcc(info.output == models::OutputKind::SimCC),
          m_simccOptions(info.simcc),
          m_flipPairs(std::move(flipPairs)) {}
    ~Loader() { stop(); }

    /// Starts the epoch's batches `first` … `count`−1 of `order` (indices into persons).
    void start(int epoch, std::vector<size_t> order, int64_t first, int64_t count, int batchSize) {
        stop();
        m_epoch = epoch;
        m_order = std::move(order);
        m_batchSize = batchSize;
        m_next = first;
        m_consumed = first;
        m_count = count;
        m_ready.clear();
        m_stopping = false;
        m_error = nullptr;
        for (int i = 0; i < std::max(1, m_o.loaderThreads); ++i)
            m_threads.emplace_back([this] { work(); });
    }

    Batch next() {
        std::unique_lock<std::mutex> lock(m_mutex);
        m_cv.wait(lock, [&] { return m_error || m_ready.count(m_consumed); });
        if (m_error) std::rethrow_exception(m_error);
        Batch b = std::move(m_ready[m_consumed]);
        m_ready.erase(m_consumed++);
        m_cv.notify_all();
        return b;
    }

    void stop() {
        {
            const std::lock_guard<std::mutex> lock(m_mutex);
            m_stopping = true;
        }
        m_cv.notify_all();
        for (std::thread& t : m_threads)
            t.join();
        m_threads.clear();
    }

private:
    void work() {
        for (;;) {
            int64_t index = 0;
            {
                std::unique_lock<std::mutex> lock(m_mutex);
                m_cv.wait(lock,
                          [&] { return m_stopping || m_next >= m_count || m_next < m_consumed + m_o.prefetchBatches; });
                if (m_stopping || m_next >= m_count) return;
                index = m_next++;
            }
            try {
                Batch b = make(index);
                const std::lock_guard<std::mutex> lock(m_mutex);
                m_ready[index] = std::move(b);
            } catch (...) {
                const std::lock_guard<std::mutex> lock(m_mutex);
                if (!m_error) m_error = std::current_exception();
            }
            m_cv.notify_all();
        }
    }

    Batch make(int64_t index) const {
        const size_t begin = static_cast<size_t>(index) * static_cast<size_t>(m_batchSize);
        const size_t end = std::min(m_order.size(), begin + static_cast<size_t>(m_batchSize));
        const int64_t n = static_cast<int64_t>(end - begin);
        const int64_t k = m_persons.front()->annotation->keypointCount();
        Batch b;
        b.input = torch::empty({n, 3, m_input.height, m_input.width});
        if (!m_simcc) b.target = torch::empty({n, k, m_heatmap.height, m_heatmap.width});
        b.weight = torch::empty({n, k, 1});
        torch::Tensor joints = torch::zeros({n, k, 2}, torch::kFloat64);  // SimCC: crop pixels
        for (size_t i = begin; i < end; ++i) {
            const PersonInstance& p = *m_persons[m_order[i]];
            const ImageInfo* info = m_coco.image(p.imageId);
            const cv::Mat rgb = loadImageRgb(m_coco.imagePath(*info), info->width, info->height);
            // SimCC: joints in crop pixels (the "heatmap" is the input), no Gaussian maps (σ 0).
            const TrainingSample s = makeTrainingSample(
                rgb, *p.annotation, p.box, m_input, m_simcc ? m_input : m_heatmap, m_simcc ? 0.0 : m_o.sigma,
                m_flipPairs, m_o.augment, seedOf(m_o.seed, static_cast<uint64_t>(m_epoch), i));
            const int64_t row = static_cast<int64_t>(i - begin);
            b.input[row].copy_(models::normalizeCrop(s.input));
            if (m_simcc)
                joints[row].copy_(
                    torch::from_blob(const_cast<double*>(s.joints.data()), {k, 3}, torch::kFloat64).narrow(1, 0, 2));
            else
                b.target[row].copy_(
                    torch::from_blob(const_cast<float*>(s.target.data()), {k, m_heatmap.height, m_heatmap.width}));
            b.weight[row].copy_(torch::from_blob(const_cast<float*>(s.weight.data()), {k, 1}));
        }
        if (m_simcc)
            b.simcc = models::encodeSimCC(joints.to(torch::kFloat32), b.weight.squeeze(-1), m_input.width,
                                          m_input.height, m_simccOptions);
        return b;
    }

    const CocoDataset& m_coco;
    const std::vector<const PersonInstance*>& m_persons;
    const TrainOptions& m_o;
    cv::Size m_input, m_heatmap;
    bool m_simcc;
    models::SimCCOptions m_simccOptions;
    std::vector<std::pair<int, int>> m_flipPairs;
    int m_epoch = 0;
    std::vector<size_t> m_order;
    int m_batchSize = 1;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    int64_t m_next = 0, m_consumed = 0, m_count = 0;
    std::map<int64_t, Batch> m_ready;
    bool m_stopping = false;
    std::exception_ptr m_error;
    std::vector<std::thread> m_threads;
};

double cosineLr(double lr, double lrEnd, int epoch, int epochs) {
    // CosineAnnealingLR(T_max = END_EPOCH, eta_min = LR_END), stepped once per epoch.
    return lrEnd + (lr - lrEnd) * (1 + std::cos(M_PI * epoch / std::max(1, epochs))) / 2;
}

// The model configuration as nested YAML (what ModelConfig::fromYamlFile reads back).
std::string configYaml(const models::ModelConfig& config) {
    std::ostringstream out;
    std::vector<std::string> open;
    for (const auto& [key, value] : config.entries()) {
        std::vector<std::string> parts;
        std::stringstream ss(key);
        for (std::string p; std::getline(ss, p, '.');)
            parts.push_back(p);
        size_t common = 0;
        while (common < open.size() && common + 1 < parts.size() && open[common] == parts[common])
            ++common;
        open.resize(common);
        for (size_t i = common; i + 1 < parts.size(); ++i) {
            out << std::string(2 * i, ' ') << parts[i] << ":\n";
            open.push_back(parts[i]);
        }
        out << std::string(2 * (parts.size() - 1), ' ') << parts.back() << ": " << value << '\n';
    }
    return out.str();
}

const char* kLogHeader = "kind,epoch,step,loss,lr,samples_per_s,val_ap,val_ap50,val_ap75,seconds,data_wait_s";

}  // namespace

double keepRatioAt(double epochs, double target, double warmup, double decayEnd) {
    if (epochs < warmup) return 1;
    if (epochs >= decayEnd) return target;
    const double t = (epochs - warmup) / (decayEnd - warmup);
    return target + (1 - target) * (std::cos(t * M_PI) + 1) * 0.5;
}

TrainResult trainModel(const TrainOptions& o, const TrainCallbacks& cb) {
    const auto say = [&](const std::string& m) {
        if (cb.message) cb.message(m);
    };
    if (o.outDir.empty()) throw Error("train: no output folder (--out)");
    if (o.trainAnnotations.empty()) throw Error("train: no training annotations (--dataset)");
    if (o.valAnnotations.empty() && !(o.valFraction > 0 && o.valFraction < 1))
        throw Error("train: --val-fraction must be in (0, 1) when no validation set is given");
    const models::ModelConfig& cfg = o.config;
    const int epochs = o.epochs > 0 ? o.epochs : static_cast<int>(cfg.integer("TRAIN.END_EPOCH", 230));
    const int batchSize = o.batchSize > 0 ? o.batchSize : static_cast<int>(cfg.integer("TRAIN.BATCH_SIZE_PER_GPU", 16));
    const double lr0 = o.lr > 0 ? o.lr : cfg.number("TRAIN.LR", 1e-4);
    const double lrEnd = o.lrEnd >= 0 ? o.lrEnd : cfg.number("TRAIN.LR_END", 1e-5);
    if (epochs < 1 || batchSize < 1 || !(lr0 > 0 && std::isfinite(lr0)) || !(lrEnd >= 0 && std::isfinite(lrEnd)))
        throw Error("train: epochs and batch size must be at least 1 and the learning rates positive");
    if (!(o.sigma > 0 && std::isfinite(o.sigma)))
        throw Error("train: the Gaussian target sigma (--sigma, MODEL.SIGMA) must be a positive number, not " +
                    numberText(o.sigma));
    // TokenPose/PPT's recipe steps the rate down at TRAIN.LR_STEP epochs (MultiStepLR); TransPose's
    // anneals it along a cosine (CosineAnnealingLR to TRAIN.LR_END).
    std::vector<long long> lrSteps = cfg.integers("TRAIN.LR_STEP", {});
    const double lrFactor = cfg.number("TRAIN.LR_FACTOR", 0.1);
    if (o.lrEnd >= 0) lrSteps.clear();  // an explicit --lr-end asks for the cosine
    const auto lrAt = [&](int epoch) {
        if (lrSteps.empty()) return cosineLr(lr0, lrEnd, epoch, epochs);
        double lr = lr0;
        for (long long step : lrSteps)
            if (epoch >= step) lr *= lrFactor;
        return lr;
    };

    // Data.
    const CocoDataset train = CocoDataset::load(o.trainAnnotations, o.trainImages);
    const bool heldOut = o.valAnnotations.empty();
    const CocoDataset valData = heldOut ? CocoDataset() : CocoDataset::load(o.valAnnotations, o.valImages);
    const CocoDataset& val = heldOut ? train : valData;
    std::vector<int64_t> trainIds = allImageIds(train), valIds = allImageIds(val);
    if (heldOut) {
        std::vector<int64_t> ids = trainIds;
        std::shuffle(ids.begin(), ids.end(), std::mt19937_64(seedOf(o.seed, 0x5eed, 1)));
        const size_t held = std::max<size_t>(1, static_cast<size_t>(std::llround(o.valFraction * ids.size())));
        valIds.assign(ids.begin(), ids.begin() + static_cast<long>(std::min(held, ids.size())));
        trainIds.assign(ids.begin() + static_cast<long>(std::min(held, ids.size())), ids.end());
    }
    Split trainSplit = makeSplit(train, trainIds);
    Split valSplit = makeSplit(val, valIds);
    const auto limit = [&](Split& s, int max, uint64_t salt) {
        std::shuffle(s.persons.begin(), s.persons.end(), std::mt19937_64(seedOf(o.seed, salt, 2)));
        if (max > 0 && static_cast<int>(s.persons.size()) > max) s.persons.resize(static_cast<size_t>(max));
    };
    limit(trainSplit, o.maxTrainSamples, 11);
    limit(valSplit, o.maxValSamples, 12);
    if (trainSplit.persons.empty())
        throw FileError(o.trainAnnotations, "no person with labelled keypoints to train on");
    if (valSplit.persons.empty())
        throw FileError(heldOut ? o.trainAnnotations : o.valAnnotations,
                        "no person with labelled keypoints to validate on");
    if (o.maxValSamples > 0) {  // evaluate only the images of the persons kept
        std::map<int64_t, bool> keep;
        for (const PersonInstance* p : valSplit.persons)
            keep[p->imageId] = true;
        std::vector<int64_t> ids;
        for (const auto& [id, yes] : keep)
            ids.push_back(id);
        std::vector<const PersonInstance*> persons = valSplit.persons;
        valSplit = makeSplit(val, ids);
        valSplit.persons = persons;
    }

    // Model.
    const int joints = static_cast<int>(train.keypointNames().size());
    if (joints != cfg.integer("MODEL.NUM_JOINTS", 17))
        throw models::ConfigError("MODEL.NUM_JOINTS is " + std::to_string(cfg.integer("MODEL.NUM_JOINTS", 17)) +
                                  " but " + o.trainAnnotations + " has " + std::to_string(joints) + " keypoints (" +
                                  cfg.source() + ")");
    models::keepFreedMemory(size_t{2047} * 1024 * 1024);  // activations for the backward pass
    torch::manual_seed(o.seed);
    std::shared_ptr<models::PoseModel> model = models::createModel(cfg);
    model->initialiseForTraining();
    const models::ModelInfo info = model->info();
    const cv::Size inputSize(info.inputWidth, info.inputHeight), heatmapSize(info.outputWidth, info.outputHeight);
    const bool simcc = info.output == models::OutputKind::SimCC;
    // DPPT: the teacher, loaded once and only read.
    std::shared_ptr<const models::PoseModel> teacher;
    if (!o.teacherCheckpoint.empty()) {
        teacher = models::loadModel(o.teacherConfig, o.teacherCheckpoint);
        const models::ModelInfo& ti = teacher->info();
        if (simcc || ti.output != models::OutputKind::Heatmaps)
            throw Error("distill: teacher and student must both be heatmap models (SimCC models are not distilled)");
        if (ti.keypoints != info.keypoints || ti.inputWidth != info.inputWidth || ti.inputHeight != info.inputHeight ||
            ti.outputWidth != info.outputWidth || ti.outputHeight != info.outputHeight)
            throw FileError(o.teacherCheckpoint, "the teacher (" + ti.family + ", " + std::to_string(ti.keypoints) +
                                                     " keypoints, input " + std::to_string(ti.inputWidth) + "x" +
                                                     std::to_string(ti.inputHeight) +
                                                     ") does not fit the student: they need the same keypoints, "
                                                     "input and heatmap sizes");
        if ((o.distillAttention != 0 || o.distillFeature != 0) && (ti.prefixTokens == 0 || info.prefixTokens == 0))
            throw Error(
                "distill: attention and feature terms need keypoint tokens in both models (TokenPose/PPT); "
                "set their weights to 0 for other families");
        if (o.distillAttention != 0 && (ti.gridRows != info.gridRows || ti.gridCols != info.gridCols))
            throw Error("distill: the teacher's token grid differs from the student's; set the attention weight to 0");
        say("distilling from " + ti.family + (ti.variant.empty() ? "" : " " + ti.variant) + " " + o.teacherCheckpoint +
            " (weights: heatmap " + numberText(o.distillHeatmap) + ", attention " + numberText(o.distillAttention) +
            ", feature " + numberText(o.distillFeature) + ")");
    }
    {
        torch::NoGradGuard noGrad;
        model->module().eval();
        const torch::Tensor probe = model->forward(torch::zeros({1, 3, inputSize.height, inputSize.width}));
        if (simcc)
            models::splitSimCC(info, probe);  // ModelError unless [1, K, Wx + Wy]
        else if (probe.size(1) != joints || probe.size(2) != heatmapSize.height || probe.size(3) != heatmapSize.width)
            throw models::ConfigError("MODEL.HEATMAP_SIZE is [" + std::to_string(heatmapSize.width) + ", " +
                                      std::to_string(heatmapSize.height) + "] but the model outputs " +
                                      std::to_string(probe.size(3)) + " x " + std::to_string(probe.size(2)) +
                                      " heatmaps for a " + std::to_string(inputSize.width) + " x " +
                                      std::to_string(inputSize.height) + " input (" + cfg.source() + ")");
    }
    const std::vector<std::pair<int, int>> flipPairs =
        joints == mpiiSkeleton().size() ? mpiiSkeleton().flipPairs : cocoSkeleton().flipPairs;
    if (!o.initCheckpoint.empty()) {
        models::Checkpoint init = models::loadCheckpoint(o.initCheckpoint);
        // A sine position embedding is a function of the token grid, not a learnt weight: from a
        // model trained at another input size (progressive resizing) it is recomputed, not loaded.
        bool keptOwnEmbedding = false;
        if (cfg.string("MODEL.POS_EMBEDDING", "learnable") == "sine") {
            const torch::Tensor own = model->module().named_parameters()["pos_embedding"];
            for (auto& [name, t] : init.tensors)
                if (name == "pos_embedding" && t.sizes() != own.sizes()) {
                    t = own.clone();  // loading stays strict about every other key
                    keptOwnEmbedding = true;
                }
        }
        models::LoadOptions lo;
        const std::vector<std::string> prefixes = o.initPrefixes;
        const models::KeyMap family = models::ModelRegistry::builtin().family(cfg).keyMap;  // e.g. PPT's names
        lo.keyMap = family;
        if (!prefixes.empty()) {
            lo.allowMissing = true;
            lo.keyMap = [prefixes, family](const std::string& key) -> std::optional<std::string> {
                const std::optional<std::string> k = family ? family(key) : std::optional<std::string>(key);
                if (!k) return std::nullopt;
                for (const std::string& p : prefixes)
                    if (k->rfind(p, 0) == 0) return k;
                return std::nullopt;
            };
        }
        if (!prefixes.empty()) {  // a prefix with a typo would otherwise "initialise" nothing
            size_t matched = 0;
            for (const auto& entry : init.tensors)
                matched += lo.keyMap(entry.first).has_value();
            if (matched == 0) {
                std::string list;
                for (const std::string& p : prefixes)
                    list += (list.empty() ? "" : ",") + p;
                throw FileError(o.initCheckpoint, "--init-prefix " + list + " matches none of its " +
                                                      std::to_string(init.tensors.size()) + " keys (the first is " +
                                                      (init.tensors.empty() ? "none" : init.tensors.front().first) +
                                                      ")");
            }
        }
        models::loadStateDict(model->module(), init.tensors, o.initCheckpoint, lo);
        say("initialised from " + o.initCheckpoint +
            (keptOwnEmbedding ? " (sine position embedding recomputed for this input size)" : ""));
    }
    std::vector<torch::Tensor> params;
    for (const torch::Tensor& p : model->module().parameters())
        params.push_back(p);
    Adam adam(params);

    // The options a resumed run must share with the run it continues.
    std::ostringstream fp;
    fp << "train=" << o.trainAnnotations << " (" << trainSplit.persons.size() << " persons, repeated " << o.repeat
       << ")\n"
       << "val=" << (heldOut ? "held out " + numberText(o.valFraction) : o.valAnnotations) << " ("
       << valSplit.persons.size() << " persons)\nseed=" << o.seed << "\nepochs=" << epochs << "\nbatch=" << batchSize
       << "\nlr=" << numberText(lr0) << "\nlr_end=" << numberText(lrEnd) << "\nsigma=" << numberText(o.sigma)
       << "\naugment=" << o.augment.flip << ',' << o.augment.scaleFactor << ',' << o.augment.rotationFactor << ','
       << o.augment.rotationProbability << ',' << o.augment.halfBodyProbability << ',' << o.augment.halfBodyMinJoints
       << "\nthreads=" << torch::get_num_threads() << '\n';
    if (teacher)
        fp << "teacher=" << o.teacherCheckpoint << ',' << numberText(o.distillHeatmap) << ','
           << numberText(o.distillAttention) << ',' << numberText(o.distillFeature) << '\n';
    if (info.keepRatio < 1)
        fp << "keep_schedule=" << numberText(o.keepWarmupEpochs) << ',' << numberText(o.keepDecayEndEpoch) << '\n';
    if (!lrSteps.empty()) {  // (absent for the cosine, so runs of earlier versions still resume)
        fp << "lr_steps=";
        for (long long step : lrSteps)
            fp << step << ',';
        fp << numberText(lrFactor) << '\n';
    }
    const std::string fingerprint = fp.str();
    const std::string yaml = configYaml(cfg);

    std::error_code ec;
    fs::create_directories(o.outDir, ec);
    if (ec) throw FileError(o.outDir, "cannot create the output folder: " + ec.message());
    TrainResult result;
    result.checkpoint = (fs::path(o.outDir) / "checkpoint.pth").string();
    result.bestModel = (fs::path(o.outDir) / "model_best.pth").string();
    result.finalModel = (fs::path(o.outDir) / "final_state.pth").string();
    result.config = (fs::path(o.outDir) / "config.yaml").string();
    result.log = (fs::path(o.outDir) / "log.csv").string();

    int startEpoch = 0;
    int64_t startIteration = 0, step = 0, resumedLossCount = 0;
    double resumedLossSum = 0;
    if (o.repeat < 1) throw Error("train: --repeat must be at least 1");
    const int64_t perEpochSamples = static_cast<int64_t>(trainSplit.persons.size()) * o.repeat;
    const int64_t perEpoch = (perEpochSamples + batchSize - 1) / static_cast<int64_t>(batchSize);
    std::vector<std::string> logRows;
    if (!o.resume && fs::exists(result.checkpoint))  // never overwrite a training the user has
        throw FileError(result.checkpoint,
                        "a training is saved in this folder already: continue it with --resume, "
                        "or choose another --out (nothing was changed)");
    if (o.resume) {
        if (!fs::exists(result.checkpoint))
            throw FileError(result.checkpoint, "--resume: no checkpoint to resume from");
        const models::CheckpointContents c = models::loadCheckpointContents(result.checkpoint);
        const std::string before = c.value("posescope.fingerprint");
        if (before != fingerprint || c.value("posescope.config") != yaml) {
            std::string what = "the model configuration differs";
            std::istringstream a(before), b(fingerprint);
            for (std::string x, y; std::getline(a, x) && std::getline(b, y);)
                if (x != y) {
                    what = "it was trained with " + x + ", this run has " + y;
                    break;
                }
            throw FileError(result.checkpoint, "--resume: the options differ from the run being resumed: " + what);
        }
        models::StateDict weights;
        for (const auto& [name, t] : c.tensors)
            if (name.rfind("state_dict.", 0) == 0) weights.emplace_back(name.substr(11), t);
        models::loadStateDict(model->module(), weights, result.checkpoint);
        adam.restore(c);
        startEpoch = std::stoi(c.value("epoch"));
        startIteration = std::stoll(c.value("iteration"));
        step = std::stoll(c.value("step"));
        result.bestAp = std::stod(c.value("posescope.best_ap"));
        result.bestEpoch = std::stoi(c.value("posescope.best_epoch"));
        resumedLossSum = std::stod(c.value("posescope.epoch_loss_sum"));
        resumedLossCount = std::stoll(c.value("posescope.epoch_loss_count"));
        for (int i = 0;; ++i) {
            const std::string h = "posescope.history." + std::to_string(i) + ".";
            if (!c.values.count(h + "epoch")) break;
            EpochSummary e;
            e.epoch = std::stoi(c.value(h + "epoch"));
            e.trainLoss = std::stod(c.value(h + "loss"));
            e.lr = std::stod(c.value(h + "lr"));
            e.valAp = std::stod(c.value(h + "ap"));
            e.valAp50 = std::stod(c.value(h + "ap50"));
            e.valAp75 = std::stod(c.value(h + "ap75"));
            e.seconds = std::stod(c.value(h + "seconds"));
            e.samplesPerSecond = std::stod(c.value(h + "samples_per_s"));
            result.epochs.push_back(e);
        }
        restoreTorchRng(c.tensor("posescope.rng"));
        // Keep the log rows up to the resumed step (later ones are trained again).
        logRows = trainingLogRowsUpTo(result.log, step);
        say("resumed " + result.checkpoint + " at epoch " + std::to_string(startEpoch + 1) + ", iteration " +
            std::to_string(startIteration) + " (step " + std::to_string(step) + ")");
    }
    writeFileAtomically(result.config, yaml);
    std::ofstream log(result.log, std::ios::trunc);
    log << kLogHeader << '\n';
    for (const std::string& row : logRows)
        log << row << '\n';
    log.flush();
    if (!log) throw FileError(result.log, "cannot write the training log");

    const auto saveState = [&](int epoch, int64_t iteration, double lr, double lossSum, int64_t lossCount) {
        std::vector<CheckpointValue> history;
        for (const EpochSummary& e : result.epochs)
            history.push_back(
                CheckpointValue::dict({{CheckpointValue("epoch"), CheckpointValue(int64_t{e.epoch})},
                                       {CheckpointValue("loss"), CheckpointValue(e.trainLoss)},
                                       {CheckpointValue("lr"), CheckpointValue(e.lr)},
                                       {CheckpointValue("ap"), CheckpointValue(e.valAp)},
                                       {CheckpointValue("ap50"), CheckpointValue(e.valAp50)},
                                       {CheckpointValue("ap75"), CheckpointValue(e.valAp75)},
                                       {CheckpointValue("seconds"), CheckpointValue(e.seconds)},
                                       {CheckpointValue("samples_per_s"), CheckpointValue(e.samplesPerSecond)}}));
        const torch::Tensor rng = torchRngState();
        const CheckpointValue root = CheckpointValue::dict(
            {{CheckpointValue("epoch"), CheckpointValue(int64_t{epoch})},
             {CheckpointValue("iteration"), CheckpointValue(iteration)},
             {CheckpointValue("step"), CheckpointValue(step)},
             {CheckpointValue("state_dict"), CheckpointValue::stateDict(models::stateDictOf(model->module()))},
             {CheckpointValue("optimizer"), adam.state(lr)},
             {CheckpointValue("posescope"),
              CheckpointValue::dict({{CheckpointValue("config"), CheckpointValue(yaml)},
                                     {CheckpointValue("fingerprint"), CheckpointValue(fingerprint)},
                                     {CheckpointValue("rng"), CheckpointValue(rng)},
                                     {CheckpointValue("best_ap"), CheckpointValue(result.bestAp)},
                                     {CheckpointValue("best_epoch"), CheckpointValue(int64_t{result.bestEpoch})},
                                     {CheckpointValue("epoch_loss_sum"), CheckpointValue(lossSum)},
                                     {CheckpointValue("epoch_loss_count"), CheckpointValue(lossCount)},
                                     {CheckpointValue("history"), CheckpointValue::list(history)}})}});
        models::saveCheckpoint(root, result.checkpoint);
    };

    // Validation: GT boxes, DARK decoding, rescoring and OKS-NMS as the official code, COCO AP.
    const auto validate = [&]() {
        model->module().eval();
        std::vector<PersonPose> people;
        const size_t vb = static_cast<size_t>(std::max(8, batchSize));
        for (size_t begin = 0; begin < valSplit.persons.size(); begin += vb) {
            const size_t end = std::min(valSplit.persons.size(), begin + vb);
            std::vector<CenterScale> cs;
            torch::Tensor input =
                torch::empty({static_cast<int64_t>(end - begin), 3, inputSize.height, inputSize.width});
            for (size_t i = begin; i < end; ++i) {
                const PersonInstance& p = *valSplit.persons[i];
                const ImageInfo& image = *val.image(p.imageId);
                const cv::Mat rgb = loadImageRgb(val.imagePath(image), image.width, image.height);
                cs.push_back(boxToCenterScale(p.box, static_cast<double>(inputSize.width) / inputSize.height, 1.25));
                input[static_cast<int64_t>(i - begin)].copy_(models::preprocessCrop(rgb, cs.back(), inputSize));
            }
            const auto decoded = models::decodeOutputToImage(info, model->forward(input), cs);
            for (size_t i = begin; i < end; ++i) {
                PersonPose pose;
                pose.imageId = valSplit.persons[i]->imageId;
                for (const models::Keypoint& k : decoded[i - begin]) {
                    pose.keypoints.push_back(k.x);
                    pose.keypoints.push_back(k.y);
                    pose.keypoints.push_back(k.score);
                }
                pose.area = areaFromScale(cs[i - begin].sw, cs[i - begin].sh);
                pose.score = valSplit.persons[i]->score;
                people.push_back(std::move(pose));
            }
        }
        CocoEvalOptions eo;
        eo.sigmas = joints == 17 ? cocoKeypointSigmas() : std::vector<double>(static_cast<size_t>(joints), 0.089);
        OksNmsOptions no;
        no.sigmas = eo.sigmas;
        return evaluateCocoKeypoints(valSplit.images, valSplit.annotations, rescoreAndNms(people, no), eo);
    };

    say("training " + info.family + " on " + std::to_string(trainSplit.persons.size()) + " persons, validating on " +
        std::to_string(valSplit.persons.size()) + "; " + std::to_string(epochs) + " epochs of " +
        std::to_string(perEpoch) + " iterations (batch " + std::to_string(batchSize) + ")");
    if (o.validateBeforeTraining && startEpoch == 0 && startIteration == 0 && step == 0) {
        const auto t0 = Clock::now();
        const CocoEvalResult r = validate();
        EpochSummary e;
        e.valAp = r.stats[0];
        e.valAp50 = r.stats[1];
        e.valAp75 = r.stats[2];
        e.lr = lr0;
        e.seconds = seconds(t0);
        result.epochs.push_back(e);
        log << "epoch,0,0,,,"
            << "," << numberText(e.valAp) << ',' << numberText(e.valAp50) << ',' << numberText(e.valAp75) << ','
            << e.seconds << ",\n";
        log.flush();
        if (cb.epochEnd) cb.epochEnd(e);
    }

    Loader loader(train, trainSplit.persons, o, info, flipPairs);
    const auto runStart = Clock::now();
    int64_t samplesThisRun = 0;
    auto lastSave = Clock::now();
    const int64_t totalSteps = perEpoch * epochs;
    for (int epoch = startEpoch; epoch < epochs; ++epoch) {
        const double lr = lrAt(epoch);
        std::vector<size_t> order(static_cast<size_t>(perEpochSamples));
        for (size_t i = 0; i < order.size(); ++i)
            order[i] = i % trainSplit.persons.size();
        std::shuffle(order.begin(), order.end(), std::mt19937_64(seedOf(o.seed, 0x0bde, static_cast<uint64_t>(epoch))));
        const int64_t first = epoch == startEpoch ? startIteration : 0;
        loader.start(epoch, order, first, perEpoch, batchSize);
        model->module().train();
        const auto epochStart = Clock::now();
        double lossSum = first > 0 ? resumedLossSum : 0, logLossSum = 0;
        int64_t lossCount = first > 0 ? resumedLossCount : 0, logCount = 0, epochSamples = 0;
        double waited = 0;
        for (int64_t it = first; it < perEpoch; ++it) {
            const auto beforeData = Clock::now();
            const Batch b = loader.next();
            waited += seconds(beforeData);
            if (info.keepRatio < 1)
                model->setTrainingKeepRatio(keepRatioAt(epoch + static_cast<double>(it) / static_cast<double>(perEpoch),
                                                        info.keepRatio, o.keepWarmupEpochs, o.keepDecayEndEpoch));
            models::Trace studentTrace;
            studentTrace.keepAttention = teacher && o.distillAttention != 0;
            const torch::Tensor out = model->forwardTraining(b.input, teacher ? &studentTrace : nullptr);
            torch::Tensor loss;
            if (simcc) {
                const auto [x, y] = models::splitSimCC(info, out);
                loss = models::simccLoss(x, y, b.simcc, info.simcc);  // KL, mmpose's reduction
            } else {
                loss = (out - b.target).mul(b.weight.unsqueeze(-1)).pow(2).mean().mul(0.5);
            }
            if (teacher) {
                models::Trace teacherTrace;
                teacherTrace.keepAttention = o.distillAttention != 0;
                const torch::Tensor taught = teacher->forward(b.input, &teacherTrace);
                const DistillTerms d =
                    distillationTerms(out, studentTrace, taught, teacherTrace, b.weight.squeeze(-1), joints,
                                      {o.distillHeatmap, o.distillAttention, o.distillFeature});
                loss = loss + d.heatmap * o.distillHeatmap + d.attention * o.distillAttention +
                       d.feature * o.distillFeature;
            }
            adam.zeroGrad();
            loss.backward();
            adam.step(lr);
            ++step;
            const double l = loss.item<double>();
            if (!std::isfinite(l))
                throw Error("train: the loss became " + numberText(l) + " at step " + std::to_string(step) +
                            " (learning rate " + numberText(lr) +
                            " too high?); checkpoint.pth keeps the last good state");
            lossSum += l;
            logLossSum += l;
            ++lossCount;
            ++logCount;
            samplesThisRun += b.input.size(0);
            epochSamples += b.input.size(0);
            const double rate = static_cast<double>(samplesThisRun) / std::max(1e-9, seconds(runStart));
            if (cb.progress) {
                TrainProgress p;
                p.epoch = epoch + 1;
                p.epochs = epochs;
                p.iteration = it + 1;
                p.iterationsPerEpoch = perEpoch;
                p.step = step;
                p.totalSteps = totalSteps;
                p.loss = lossSum / static_cast<double>(lossCount);
                p.lr = lr;
                p.samplesPerSecond = rate;
                p.etaSeconds = static_cast<double>(totalSteps - step) * batchSize / std::max(1e-9, rate);
                cb.progress(p);
            }
            if (o.logEvery > 0 && step % o.logEvery == 0) {
                log << "iter," << epoch + 1 << ',' << step << ',' << numberText(logLossSum / logCount) << ','
                    << numberText(lr) << ',' << rate << ",,,," << seconds(runStart) << ",\n";
                log.flush();
                logLossSum = 0;
                logCount = 0;
            }
            const bool lastOfEpoch = it + 1 == perEpoch;
            const bool cancelled = cb.cancel && cb.cancel();
            const bool due = (o.checkpointSeconds > 0 && seconds(lastSave) >= o.checkpointSeconds) ||
                             (o.checkpointEveryIterations > 0 && step % o.checkpointEveryIterations == 0);
            if (!lastOfEpoch && (due || cancelled)) {
                saveState(epoch, it + 1, lr, lossSum, lossCount);
                lastSave = Clock::now();
            }
            if (cancelled && !lastOfEpoch) {
                loader.stop();
                result.cancelled = true;
                result.steps = step;
                say("stopped at step " + std::to_string(step) + "; --resume continues from " + result.checkpoint);
                return result;
            }
        }
        loader.stop();
        const double trainSeconds = seconds(epochStart);
        const CocoEvalResult r = validate();
        EpochSummary e;
        e.epoch = epoch + 1;
        e.trainLoss = lossCount ? lossSum / static_cast<double>(lossCount) : 0;
        e.lr = lr;
        e.valAp = r.stats[0];
        e.valAp50 = r.stats[1];
        e.valAp75 = r.stats[2];
        e.seconds = seconds(epochStart);
        e.samplesPerSecond = static_cast<double>(epochSamples) / std::max(1e-9, trainSeconds);
        e.dataWaitSeconds = waited;
        result.epochs.push_back(e);
        if (e.valAp > result.bestAp) {
            result.bestAp = e.valAp;
            result.bestEpoch = e.epoch;
            models::saveStateDict(models::stateDictOf(model->module()), result.bestModel);
        }
        saveState(epoch + 1, 0, lrAt(epoch + 1), 0, 0);
        lastSave = Clock::now();
        log << "epoch," << e.epoch << ',' << step << ',' << numberText(e.trainLoss) << ',' << numberText(lr) << ','
            << e.samplesPerSecond << ',' << numberText(e.valAp) << ',' << numberText(e.valAp50) << ','
            << numberText(e.valAp75) << ',' << seconds(runStart) << ',' << e.dataWaitSeconds << '\n';
        log.flush();
        if (!log) throw FileError(result.log, "cannot write the training log");
        if (cb.epochEnd) cb.epochEnd(e);
        if (cb.cancel && cb.cancel() && epoch + 1 < epochs) {
            result.cancelled = true;
            result.steps = step;
            say("stopped after epoch " + std::to_string(epoch + 1) + "; --resume continues from " + result.checkpoint);
            return result;
        }
    }
    models::saveStateDict(models::stateDictOf(model->module()), result.finalModel);
    result.steps = step;
    return result;
}

}  // namespace posescope::analysis
