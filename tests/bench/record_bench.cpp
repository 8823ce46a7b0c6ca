// record_bench PRESET ANNOTATIONS IMAGES SAMPLES OUTDIR [ROUNDS]: the run store's costs, side by
// side in one process (docs/benchmarks.md):
//   - samples/s of plain inference (crop → forward without trace → decode) and of recordRun at
//     each level, rounds interleaved; bytes per sample per level;
//   - resume cost: reopening a finished run for appending, and a whole `record --resume` that finds
//     nothing left to do (model and dataset loading, hashing) against a fresh record's start-up;
//   - read latency: RunReader::dependency (all layers × keypoints of one sample) at random rows of
//     a 10,000-sample file with the preset's dimensions.
// Random weights (the architecture is what matters), saved once as a checkpoint in OUTDIR.
#include "posescope/analysis/record.h"
#include "posescope/analysis/run_store.h"
#include "posescope/datasets/coco.h"
#include "posescope/datasets/crop.h"
#include "posescope/datasets/image.h"
#include "posescope/models/checkpoint.h"
#include "posescope/models/heatmap_decode.h"
#include "posescope/models/model_config.h"
#include "posescope/models/pose_model.h"
#include "posescope/models/preprocess.h"
#include "posescope/models/runtime.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

using namespace posescope;
using Clock = std::chrono::steady_clock;

namespace {

double seconds(Clock::time_point since) {
    return std::chrono::duration<double>(Clock::now() - since).count();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

// Plain inference over the same samples: crop, forward without trace, DARK decode, batch 8.
double plainSamplesPerSecond(const models::PoseModel& model, const CocoDataset& coco, int64_t samples) {
    const auto& info = model.info();
    const cv::Size size(info.inputWidth, info.inputHeight);
    const auto start = Clock::now();
    std::vector<torch::Tensor> batch;
    std::vector<CenterScale> cs;
    auto run = [&] {
        if (batch.empty()) return;
        const torch::Tensor hm = model.forward(torch::stack(batch));
        (void)models::decodeToImage(hm, cs);
        batch.clear();
        cs.clear();
    };
    std::string cachedPath;
    cv::Mat image;
    for (int64_t i = 0; i < samples; ++i) {
        const PersonInstance& p = coco.personInstances()[static_cast<size_t>(i)];
        const std::string path = coco.imagePath(*coco.image(p.imageId));
        if (path != cachedPath) image = loadImageRgb(cachedPath = path);
        cs.push_back(boxToCenterScale(p.box, size.width * 1.0 / size.height, 1.25));
        batch.push_back(models::preprocessCrop(image, cs.back(), size));
        if (batch.size() == 8) run();
    }
    run();
    return static_cast<double>(samples) / seconds(start);
}

analysis::RunSample syntheticSample(const analysis::RunHeader& h, int64_t index, std::mt19937& rng) {
    const int K = h.keypoints(), L = h.layers, T = h.tokens();
    analysis::RunSample s;
    s.index = index;
    s.imageId = index;
    s.annotationId = index;
    s.groundTruth.assign(static_cast<size_t>(3 * K), 1.f);
    s.keypoints.assign(static_cast<size_t>(3 * K), 2.f);
    s.layerKeypoints.assign(static_cast<size_t>(3 * K * L), 3.f);
    s.queryTokens.assign(static_cast<size_t>(K), 7);
    // Attention-like rows: a softmax of smooth random logits over the token grid.
    torch::manual_seed(static_cast<uint64_t>(rng()));
    const torch::Tensor logits =
        torch::nn::functional::interpolate(torch::randn({L * K, 1, h.gridRows / 4, h.gridCols / 4}) * 4,
                                           torch::nn::functional::InterpolateFuncOptions()
                                               .size(std::vector<int64_t>{h.gridRows, h.gridCols})
                                               .mode(torch::kBilinear)
                                               .align_corners(false));
    s.dependency = torch::softmax(logits.reshape({L, K, T}), -1);
    if (h.heads > 1) s.dependencyHeads = s.dependency.unsqueeze(1).expand({L, h.heads, K, T}).contiguous();
    s.cropJpeg = std::string(12000, 'j');
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 6) {
        std::fprintf(stderr, "usage: record_bench PRESET ANNOTATIONS IMAGES SAMPLES OUTDIR [ROUNDS]\n");
        return 2;
    }
    models::preferPassiveOpenMpWaiting(argv);
    models::initialiseRuntime();
    const std::string preset = argv[1], annotations = argv[2], images = argv[3], outDir = argv[5];
    const int64_t samples = std::atoll(argv[4]);
    const int rounds = argc > 6 ? std::atoi(argv[6]) : 2;
    std::filesystem::create_directories(outDir);
    torch::manual_seed(0);
    const models::ModelConfig config = models::ModelConfig::preset(preset);
    const std::string checkpoint = outDir + "/bench_weights.pth";
    {
        const auto fresh = models::createModel(config);
        models::saveStateDict(models::stateDictOf(fresh->module()), checkpoint);
    }
    const auto model = models::loadModel(config, checkpoint);
    const CocoDataset coco = CocoDataset::load(annotations, images);
    if (static_cast<int64_t>(coco.personInstances().size()) < samples) {
        std::fprintf(stderr, "the dataset has only %zu person instances\n", coco.personInstances().size());
        return 2;
    }

    // 1. Throughput per level, interleaved rounds.
    const std::vector<analysis::RunLevel> levels = {analysis::RunLevel::Keypoints, analysis::RunLevel::Heatmaps,
                                                    analysis::RunLevel::Full};
    std::map<std::string, std::vector<double>> rate;
    std::map<std::string, double> bytes;
    (void)plainSamplesPerSecond(*model, coco, std::min<int64_t>(samples, 8));  // warm-up
    for (int r = 0; r < rounds; ++r) {
        rate["plain"].push_back(plainSamplesPerSecond(*model, coco, samples));
        for (int variant = 0; variant < 4; ++variant) {
            const analysis::RunLevel level =
                variant == 3 ? analysis::RunLevel::Keypoints : levels[static_cast<size_t>(variant)];
            const std::string name = variant == 3 ? "keypoints-no-layerwise" : analysis::runLevelName(level);
            analysis::RecordOptions o;
            o.layerwise = variant != 3;
            o.config = config;
            o.checkpoint = checkpoint;
            o.dataset = annotations;
            o.images = images;
            o.subset = samples;
            o.level = level;
            o.out = outDir + "/bench_" + name + ".h5";
            std::filesystem::remove(o.out);
            const analysis::RecordResult res = analysis::recordRun(o);
            // Recording time without the start-up (model load, hashing), measured separately below.
            rate[name].push_back(static_cast<double>(res.recorded) / res.loopSeconds);
            bytes[name] = static_cast<double>(std::filesystem::file_size(o.out)) / static_cast<double>(res.recorded);
        }
    }
    std::printf("throughput %s, %lld samples, %d rounds (median samples/s)\n", preset.c_str(),
                static_cast<long long>(samples), rounds);
    const double plain = median(rate["plain"]);
    std::printf("plain %.3f\n", plain);
    for (const std::string name : {"keypoints", "keypoints-no-layerwise", "heatmaps", "full"}) {
        std::printf("%s %.3f overhead %+.1f%% bytes/sample %.0f\n", name.c_str(), median(rate[name]),
                    100.0 * (plain / median(rate[name]) - 1), bytes[name]);
    }

    // 2. Resume cost.
    {
        const std::string done = outDir + "/bench_keypoints.h5";
        std::vector<double> reopen;
        for (int i = 0; i < 5; ++i) {
            analysis::RunHeader h;
            const auto start = Clock::now();
            analysis::RunWriter w = analysis::RunWriter::resume(done, h);
            reopen.push_back(1e3 * seconds(start));
            w.finish(h.skippedSamples);
        }
        analysis::RecordOptions o;
        o.config = config;
        o.checkpoint = checkpoint;
        o.dataset = annotations;
        o.images = images;
        o.subset = samples;
        o.out = done;
        o.resume = true;
        const analysis::RecordResult res = analysis::recordRun(o);
        o.out = outDir + "/bench_fresh_start.h5";
        o.resume = false;
        o.subset = 0;
        std::filesystem::remove(o.out);
        const analysis::RecordResult fresh = analysis::recordRun(o);
        std::printf("resume reopen_ms %.2f whole_resume_s %.2f fresh_start_s %.2f\n", median(reopen), res.seconds,
                    fresh.seconds);
    }

    // 3. Read latency on a 10,000-sample file with the preset's dimensions.
    {
        const auto& info = model->info();
        analysis::RunHeader h;
        h.modelFamily = info.family;
        h.config = "{}";
        h.datasetKind = "coco";
        h.selection = "synthetic";
        h.keypointNames = std::vector<std::string>(static_cast<size_t>(info.keypoints), "k");
        h.inputWidth = info.inputWidth;
        h.inputHeight = info.inputHeight;
        h.heatmapWidth = info.outputWidth;
        h.heatmapHeight = info.outputHeight;
        h.gridRows = info.gridRows;
        h.gridCols = info.gridCols;
        h.layers = info.encoderLayers;
        h.heads = info.heads;
        const int64_t big = 10000;
        h.totalSamples = h.plannedSamples = big;
        const std::string path = outDir + "/bench_10k.h5";
        if (!std::filesystem::exists(path)) {
            analysis::RunWriter w = analysis::RunWriter::create(path, h);
            std::mt19937 rng(1);
            std::vector<analysis::RunSample> pool;
            for (int i = 0; i < 16; ++i)
                pool.push_back(syntheticSample(h, i, rng));
            for (int64_t i = 0; i < big; i += 16) {
                std::vector<analysis::RunSample> batch;
                for (int64_t j = i; j < std::min(big, i + 16); ++j) {
                    analysis::RunSample s = pool[static_cast<size_t>(j % 16)];
                    s.index = j;
                    batch.push_back(std::move(s));
                }
                w.append(batch);
            }
            w.finish();
        }
        const auto openStart = Clock::now();
        const analysis::RunReader r = analysis::RunReader::open(path);
        const double openMs = 1e3 * seconds(openStart);
        std::mt19937 rng(7);
        std::uniform_int_distribution<int64_t> row(0, r.size() - 1);
        std::vector<double> ms, mapMs;
        for (int i = 0; i < 300; ++i) {
            const int64_t at = row(rng);
            const auto start = Clock::now();
            const torch::Tensor dep = r.dependency(at);  // [L, K, T]
            ms.push_back(1e3 * seconds(start));
            const auto s2 = Clock::now();
            (void)r.dependencyMap(row(rng), 1, 9);
            mapMs.push_back(1e3 * seconds(s2));
        }
        std::sort(ms.begin(), ms.end());
        std::printf(
            "read file_mb %.0f samples %lld open_ms %.2f dependency_ms median %.2f p95 %.2f max %.2f "
            "one_map_ms median %.2f\n",
            static_cast<double>(r.fileBytes()) / 1e6, static_cast<long long>(r.size()), openMs, median(ms),
            ms[ms.size() * 95 / 100], ms.back(), median(mapMs));
    }
    return 0;
}
