#include "posescope/analysis/record.h"

#include "occlusion_sample.h"
#include "posescope/analysis/dependencies.h"
#include "posescope/analysis/occlusion.h"
#include "posescope/analysis/pose_nms.h"
#include "posescope/analysis/run_store.h"
#include "posescope/datasets/coco.h"
#include "posescope/datasets/crop.h"
#include "posescope/datasets/image.h"
#include "posescope/datasets/json_text.h"
#include "posescope/datasets/mpii.h"
#include "posescope/datasets/sha256.h"
#include "posescope/datasets/skeleton.h"
#include "posescope/models/flip.h"
#include "posescope/models/heatmap_decode.h"
#include "posescope/models/pose_model.h"
#include "posescope/models/pose_output.h"
#include "posescope/models/preprocess.h"
#include "selection.h"

#include <torch/torch.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <filesystem>
#include <fstream>
#include <future>
#include <limits>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

namespace posescope::analysis {
namespace {

using detail::Planned;
using detail::Selection;
using detail::selectSamples;

using Clock = std::chrono::steady_clock;

std::string configJson(const models::ModelConfig& config) {
    std::string s = "{";
    for (const auto& [key, value] : config.entries()) {
        if (s.size() > 1) s += ", ";
        appendJsonString(s, key);
        s += ": ";
        appendJsonString(s, value);
    }
    return s + "}";
}

// ---- the prefetching stage ----------------------------------------------------------------

struct Prepared {
    const Planned* planned = nullptr;
    torch::Tensor input;  // [3, H, W]
    std::string jpeg;
    cv::Mat image;        // the whole RGB image, for occlusion runs
    std::string problem;  // non-empty: skip with this issue
};

struct Batch {
    std::vector<Prepared> items;
    std::exception_ptr error;
    bool last = false;
};

// Reads, crops and encodes samples on its own thread, one batch ahead of the model.
class Prefetcher {
public:
    Prefetcher(const std::vector<const Planned*>& todo, int batchSize, cv::Size inputSize, int jpegQuality,
               bool keepImages)
        : m_todo(todo),
          m_batch(std::max(1, batchSize)),
          m_size(inputSize),
          m_quality(jpegQuality),
          m_keepImages(keepImages) {
        m_thread = std::thread([this] { run(); });
    }
    ~Prefetcher() {
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_stop = true;
        }
        m_changed.notify_all();
        m_thread.join();
    }

    Batch next() {
        std::unique_lock<std::mutex> lock(m_mutex);
        m_changed.wait(lock, [this] { return !m_queue.empty(); });
        Batch b = std::move(m_queue.front());
        m_queue.pop_front();
        m_changed.notify_all();
        return b;
    }

private:
    void run() {
        std::string cachedPath;
        cv::Mat cached;
        std::string cachedProblem;
        size_t i = 0;
        while (true) {
            Batch b;
            try {
                for (; i < m_todo.size() && b.items.size() < static_cast<size_t>(m_batch); ++i) {
                    Prepared p;
                    p.planned = m_todo[i];
                    if (p.planned->imagePath != cachedPath) {
                        cachedPath = p.planned->imagePath;
                        cachedProblem.clear();
                        try {
                            cached = loadImageRgb(cachedPath, p.planned->imageWidth, p.planned->imageHeight);
                        } catch (const Error& e) {
                            cached = cv::Mat();
                            cachedProblem = e.what();
                        }
                    }
                    if (!cachedProblem.empty()) {
                        p.problem = cachedProblem;
                    } else {
                        const cv::Mat crop = cropPerson(cached, p.planned->cs, m_size);
                        p.input = models::normalizeCrop(crop);
                        cv::Mat bgr;
                        cv::cvtColor(crop, bgr, cv::COLOR_RGB2BGR);
                        std::vector<uchar> bytes;
                        cv::imencode(".jpg", bgr, bytes, {cv::IMWRITE_JPEG_QUALITY, m_quality});
                        p.jpeg.assign(bytes.begin(), bytes.end());
                        if (m_keepImages) p.image = cached;
                    }
                    b.items.push_back(std::move(p));
                }
                b.last = i >= m_todo.size();
            } catch (...) {
                b.error = std::current_exception();
                b.last = true;
            }
            const bool last = b.last;
            std::unique_lock<std::mutex> lock(m_mutex);
            m_changed.wait(lock, [this] { return m_stop || m_queue.size() < 2; });
            if (m_stop) return;
            m_queue.push_back(std::move(b));
            m_changed.notify_all();
            if (last) return;
        }
    }

    std::vector<const Planned*> m_todo;
    int m_batch;
    cv::Size m_size;
    int m_quality;
    bool m_keepImages;
    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::deque<Batch> m_queue;
    bool m_stop = false;
    std::thread m_thread;
};

// ---- per batch ----------------------------------------------------------------------------

std::vector<float> flatKeypoints(const std::vector<models::Keypoint>& kps) {
    std::vector<float> v;
    for (const auto& k : kps) {
        v.push_back(static_cast<float>(k.x));
        v.push_back(static_cast<float>(k.y));
        v.push_back(static_cast<float>(k.score));
    }
    return v;
}

// PPT: per sample, each stage's scores and kept ranks on the whole grid (stages × T, row-major).
std::vector<std::pair<std::vector<float>, std::vector<int32_t>>> pruningOnGrid(const models::Trace& trace,
                                                                               const models::ModelInfo& info,
                                                                               int64_t T) {
    const auto S = info.pruningLayers.size();
    if (S == 0 || trace.layers.empty()) return {};
    const int64_t n = trace.layers.front().visualTokens.size(0);
    std::vector<std::pair<std::vector<float>, std::vector<int32_t>>> out(
        static_cast<size_t>(n), {std::vector<float>(S * static_cast<size_t>(T), std::nanf("")),
                                 std::vector<int32_t>(S * static_cast<size_t>(T), -1)});
    for (size_t st = 0; st < S; ++st) {
        const std::string name = std::to_string(st + 1);
        const auto score = trace.extras.find("pruning/score_stage_" + name);
        const auto kept = trace.extras.find("kept_tokens/stage_" + name);
        if (score == trace.extras.end() || kept == trace.extras.end()) continue;  // the model kept every token
        const torch::Tensor before =
            trace.layers.at(static_cast<size_t>(info.pruningLayers[st])).visualTokens.contiguous();
        const torch::Tensor sc = score->second.to(torch::kFloat32).contiguous(), kp = kept->second.contiguous();
        const auto beforeAt = before.accessor<int64_t, 2>(), keptAt = kp.accessor<int64_t, 2>();
        const auto scoreAt = sc.accessor<float, 2>();
        for (int64_t b = 0; b < n; ++b) {
            auto& [scores, ranks] = out[static_cast<size_t>(b)];
            const size_t base = st * static_cast<size_t>(T);
            for (int64_t j = 0; j < before.size(1); ++j)
                scores[base + static_cast<size_t>(beforeAt[b][j])] = scoreAt[b][j];
            for (int64_t j = 0; j < kp.size(1); ++j)
                ranks[base + static_cast<size_t>(keptAt[b][j])] = static_cast<int32_t>(j);
        }
    }
    return out;
}

std::vector<RunSample> runBatch(const models::PoseModel& model, const RunHeader& header,
                                const std::vector<const Prepared*>& items, const RecordOptions& o,
                                const std::vector<std::pair<int, int>>& flipPairs, const OcclusionOptions* occlusion) {
    const models::ModelInfo& info = model.info();
    const models::DecodeOptions decode{o.decode, static_cast<int>(o.config.integer("TEST.BLUR_KERNEL", 11))};
    std::vector<torch::Tensor> inputs;
    std::vector<CenterScale> cs;
    for (const Prepared* p : items) {
        inputs.push_back(p->input);
        cs.push_back(p->planned->cs);
    }
    const torch::Tensor input = torch::stack(inputs);
    const int K = header.keypoints();
    // Below level full only the dependency rows are stored: keep the layers' projections and
    // recompute those rows afterwards instead of keeping every [N, heads, L, L] matrix.
    models::Trace trace;
    trace.keepAttention = header.level == RunLevel::Full;
    const torch::Tensor unflipped = model.forward(input, &trace);
    torch::Tensor output = unflipped;  // heatmaps or SimCC logits
    if (o.flip)
        output = models::averageFlip(output,
                                     models::flipBackOutput(info, model.forward(models::flipWidth(input)), flipPairs));
    const auto inHeatmap = models::decodeOutput(info, output, decode);  // decoded once, mapped below
    const auto inImage = models::heatmapToImage(inHeatmap, cs, models::outputFrameSize(info, output));
    std::vector<std::vector<std::vector<models::Keypoint>>> layerKps;  // [layer][sample][k]
    if (header.layerwise) {
        for (const torch::Tensor& hm : layerwiseHeatmaps(model, trace, unflipped))
            layerKps.push_back(models::decodeToImage(hm, cs, decode));
    } else {
        const models::Keypoint none{std::nan(""), std::nan(""), std::nan("")};
        layerKps.assign(trace.layers.size(),
                        std::vector<std::vector<models::Keypoint>>(
                            items.size(), std::vector<models::Keypoint>(static_cast<size_t>(K), none)));
    }

    const int T = header.tokens();
    const auto n = static_cast<int64_t>(items.size());
    const KeypointRows rows = keypointRows(model, trace, inHeatmap, T);
    const std::vector<std::vector<int32_t>>& tokens = rows.tokens;
    const std::vector<torch::Tensor>& layerRows = rows.perHead;
    const std::vector<torch::Tensor>& layerMean = rows.mean;
    const std::vector<std::pair<std::vector<float>, std::vector<int32_t>>> pruning = pruningOnGrid(trace, info, T);
    // BTranspose: every MHSA block's rows of the same query tokens (its grid is the encoder's).
    std::vector<torch::Tensor> mhsaFull;  // per block [N, H, T, T]
    torch::Tensor mhsaRows;               // [N, B, H, K, T]
    if (header.mhsaBlocks > 0) {
        torch::Tensor queryIndex = torch::empty({n, K}, torch::kInt64);
        for (int64_t b = 0; b < n; ++b)
            for (int k = 0; k < K; ++k)
                queryIndex[b][k] = tokens[static_cast<size_t>(b)][static_cast<size_t>(k)];
        std::vector<torch::Tensor> blocks;
        for (int block = 0; block < header.mhsaBlocks; ++block) {
            const auto it = trace.extras.find("mhsa_attention/block_" + std::to_string(block));
            if (it == trace.extras.end() || it->second.size(-1) != T)
                throw models::ModelError(info.family + ": the trace lacks MHSA block " + std::to_string(block) +
                                         " on the " + std::to_string(T) + "-token grid");
            const torch::Tensor& a = it->second;  // [N, H, T, T]
            const torch::Tensor index = queryIndex.view({n, 1, K, 1}).expand({n, a.size(1), K, T});
            blocks.push_back(a.gather(2, index));
            if (header.level == RunLevel::Full) mhsaFull.push_back(a);
        }
        mhsaRows = torch::stack(blocks, 1);
    }
    const torch::Tensor heatmaps =
        header.level != RunLevel::Keypoints ? models::outputHeatmaps(info, output) : torch::Tensor();
    std::vector<RunSample> out;
    for (size_t b = 0; b < items.size(); ++b) {
        const Planned& pl = *items[b]->planned;
        const auto bi = static_cast<int64_t>(b);
        RunSample s;
        s.index = pl.index;
        s.imageId = pl.imageId;
        s.annotationId = pl.annotationId;
        s.box = {static_cast<float>(pl.box.x), static_cast<float>(pl.box.y), static_cast<float>(pl.box.w),
                 static_cast<float>(pl.box.h)};
        s.boxScore = pl.score;
        s.center = {pl.cs.cx, pl.cs.cy};
        s.scale = {pl.cs.sw, pl.cs.sh};
        const cv::Mat m = cropTransform(pl.cs, cv::Size(info.inputWidth, info.inputHeight));
        for (int r = 0; r < 2; ++r)
            for (int c = 0; c < 3; ++c)
                s.cropTransform[static_cast<size_t>(3 * r + c)] = static_cast<float>(m.at<double>(r, c));
        s.groundTruth = pl.groundTruth;
        s.keypoints = flatKeypoints(inImage[b]);
        for (const auto& layer : layerKps) {
            const auto v = flatKeypoints(layer[b]);
            s.layerKeypoints.insert(s.layerKeypoints.end(), v.begin(), v.end());
        }
        s.queryTokens = tokens[b];
        std::vector<torch::Tensor> mean, heads, full;
        for (size_t l = 0; l < trace.layers.size(); ++l) {
            mean.push_back(layerMean[l][bi]);
            if (header.heads > 1) heads.push_back(layerRows[l][bi]);
            if (header.level == RunLevel::Full) {
                const torch::Tensor& a = trace.layers[l].attention;             // [N, H, L, L]
                const torch::Tensor visual = trace.layers[l].visualTokens[bi];  // [V]
                const int64_t L = a.size(-1), V = visual.size(0);
                const torch::Tensor block = a[bi].narrow(1, L - V, V).narrow(2, L - V, V);  // [H, V, V]
                if (V == T) {
                    full.push_back(block);
                } else {  // pruned tokens: rows and columns of 0
                    const torch::Tensor rowsOnGrid =
                        torch::zeros({block.size(0), T, V}, block.options()).index_copy_(1, visual, block);
                    full.push_back(
                        torch::zeros({block.size(0), T, T}, block.options()).index_copy_(2, visual, rowsOnGrid));
                }
            }
        }
        s.dependency = torch::stack(mean);
        if (header.heads > 1) s.dependencyHeads = torch::stack(heads);
        if (header.level != RunLevel::Keypoints) s.heatmaps = heatmaps[bi];  // (SimCC: x ⊗ y distributions)
        if (header.level == RunLevel::Full) s.attention = torch::stack(full);
        if (header.mhsaBlocks > 0) {
            s.mhsaDependency = mhsaRows[bi];
            if (header.level == RunLevel::Full) {
                std::vector<torch::Tensor> blocks;
                for (const torch::Tensor& a : mhsaFull)
                    blocks.push_back(a[bi]);
                s.mhsaAttention = torch::stack(blocks);
            }
        }
        s.cropJpeg = items[b]->jpeg;
        if (header.pruningStages() > 0) {
            s.pruningScores = pruning[b].first;
            s.keptRank = pruning[b].second;
        }
        if (occlusion) {
            detail::OcclusionInputs in;
            in.image = &items[b]->image;
            in.cs = pl.cs;
            in.area = pl.area > 0 ? pl.area : (pl.groundTruth.empty() ? 0 : areaFromScale(pl.cs.sw, pl.cs.sh));
            in.occludedBy = pl.occludedBy;
            in.occluderMasks = pl.occluderMasks;
            detail::addOcclusion(s, header, model, in, *occlusion);
        }
        out.push_back(std::move(s));
    }
    return out;
}

void checkResumable(const RunHeader& stored, const RunHeader& now, const std::string& path) {
    if (const auto d = identityDifference(stored, now))
        throw RunFormatError(path, "cannot resume: " + d->attribute + " differs (the run has '" + d->first +
                                       "', this command '" + d->second + "')");
    if (stored.shardIndex != now.shardIndex)
        throw RunFormatError(path, "cannot resume: shard differs (the run has " + std::to_string(stored.shardIndex) +
                                       ", this command " + std::to_string(now.shardIndex) + ")");
}

std::string decoderName(models::DecodeMethod m) {
    switch (m) {
        case models::DecodeMethod::Dark: return "dark";
        case models::DecodeMethod::Argmax: return "argmax";
        case models::DecodeMethod::ArgmaxQuarterOffset: return "quarter";
    }
    return "dark";
}

std::string humanBytes(double b) {
    const char* units[] = {"B", "KB", "MB", "GB", "TB"};
    int u = 0;
    while (b >= 1000 && u < 4) {
        b /= 1000;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f %s", b, units[u]);
    return buf;
}

// Room kept free on the disk for HDF5's own metadata and the final flush.
constexpr double kDiskMargin = 64e6;

double freeBytes(const std::filesystem::path& dir) {
    // Test hook: POSESCOPE_SIMULATED_FREE_BYTES stands in for the free space of the disk, so the
    // suite can check the refusal without filling a disk.
    if (const char* simulated = std::getenv("POSESCOPE_SIMULATED_FREE_BYTES")) return std::atof(simulated);
    struct statvfs fs {};
    if (::statvfs(dir.c_str(), &fs) != 0) return std::numeric_limits<double>::infinity();
    return static_cast<double>(fs.f_bavail) * static_cast<double>(fs.f_frsize);
}

}  // namespace

int64_t estimatedBytesPerSample(const RunHeader& h) {
    const int64_t K = h.keypoints(), L = h.layers, H = h.heads, T = h.tokens();
    int64_t bytes = 8 * 3 + 4 * (4 + 1 + 2 + 2 + 6) + 4 * 3 * K * (2 + L) + 4 * K + 16;
    bytes += 2 * L * K * T;                     // dependency
    if (H > 1) bytes += 2 * L * H * K * T;      // dependency_heads
    bytes += 3 * h.inputWidth * h.inputHeight;  // JPEG crop, at most the raw pixels
    if (h.level != RunLevel::Keypoints) bytes += 2 * K * h.heatmapWidth * h.heatmapHeight;
    if (h.level == RunLevel::Full) bytes += 2 * L * H * T * T;
    bytes += 2 * int64_t{h.mhsaBlocks} * h.mhsaHeads * K * T;  // mhsa_dependency
    if (h.level == RunLevel::Full) bytes += 2 * int64_t{h.mhsaBlocks} * h.mhsaHeads * T * T;
    if (h.hasOcclusion()) {
        bytes += 3 * 4 * int64_t{h.occlusionWindows()} * K + 4 * K + 8 * K + 4 * L * K;
        const int64_t R = h.targetedRegions();
        if (h.targetedMargin > 0) bytes += 16 * R + 12 * R * K + 8 * R * L * K + 2 * R * L * T;
        if (h.targetedMargin > 0 && h.targetedAllRows) bytes += 2 * R * L * K * T;
    }
    return bytes;
}

RecordResult recordRun(const RecordOptions& o, const RecordCallbacks& cb) {
    const auto start = Clock::now();
    if (o.shardCount < 1 || o.shardIndex < 0 || o.shardIndex >= o.shardCount)
        throw std::invalid_argument("shard " + std::to_string(o.shardIndex) + "/" + std::to_string(o.shardCount) +
                                    " is not i/n with 0 ≤ i < n");
    // Refuse an unwritable destination before loading anything.
    const std::filesystem::path outPath(o.out);
    const std::filesystem::path dir = outPath.has_parent_path() ? outPath.parent_path() : ".";
    if (!std::filesystem::is_directory(dir))
        throw FileError(o.out, std::filesystem::exists(dir) ? dir.string() + " is not a folder"
                                                            : "the folder " + dir.string() + " does not exist");
    if (::access(dir.c_str(), W_OK) != 0) throw FileError(o.out, "the folder " + dir.string() + " is not writable");
    {  // access() says yes to root everywhere (even under /proc): create and remove a file to know
        const std::string probe = (dir / (".posescope-write-test-" + std::to_string(::getpid()))).string();
        const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0)
            throw FileError(o.out, "cannot write in the folder " + dir.string() + " (" + std::strerror(errno) + ")");
        ::close(fd);
        ::unlink(probe.c_str());
    }
    const bool resuming = o.resume && std::filesystem::exists(outPath);
    if (!resuming && std::filesystem::exists(outPath))
        throw FileError(o.out, "already exists; pass --resume to continue it or remove it first");

    const bool occluding = o.occlusion.window > 0;
    if (occluding && o.flip) throw std::invalid_argument("occlusion runs are recorded without flip testing");
    OcclusionOptions occlusion;  // checked before anything is loaded
    std::string occlusionFill;
    if (occluding) {
        const OcclusionRecipe& r = o.occlusion;
        occlusion.size = r.window;
        occlusion.stride = r.stride;
        occlusion.fill = parseOccluderFill(r.fill);
        occlusion.blurSigma = r.blurSigma;
        occlusion.seed = r.seed;
        occlusion.batch = r.batch;
        if (r.stride < 1 || r.batch < 1 || r.targetedMargin < 0 || !(r.blurSigma > 0))
            throw std::invalid_argument(
                "occlusion: stride and batch must be at least 1, the margin at least 0, "
                "the blur sigma positive");
        occlusionFill = "{\"fill\": ";
        appendJsonString(occlusionFill, r.fill);
        if (occlusion.fill == OccluderFill::Blur) occlusionFill += ", \"blur_sigma\": " + std::to_string(r.blurSigma);
        if (occlusion.fill == OccluderFill::Noise) occlusionFill += ", \"seed\": " + std::to_string(r.seed);
        if (occlusion.fill == OccluderFill::Texture) {
            if (r.texture.empty()) throw std::invalid_argument("occlusion: the texture fill needs a texture image");
            occlusion.texture = loadImageRgb(r.texture);
            occlusionFill += ", \"texture\": ";
            appendJsonString(occlusionFill, r.texture);
            occlusionFill += ", \"texture_sha256\": \"" + sha256File(r.texture) + "\"";
        }
        occlusionFill += "}";
    }

    {  // a wrong image folder would otherwise skip every sample and "succeed" with an empty run
        std::error_code ec;
        if (!std::filesystem::is_directory(o.images, ec))
            throw FileError(o.images,
                            std::string(std::filesystem::exists(o.images, ec) ? "is not a folder" : "no such folder") +
                                " (--images: the folder of the dataset's images)");
    }
    const auto model = models::loadModel(o.config, o.checkpoint);
    const models::ModelInfo& info = model->info();
    const cv::Size inputSize(info.inputWidth, info.inputHeight);
    if (occluding) occlusion.decode = {o.decode, static_cast<int>(o.config.integer("TEST.BLUR_KERNEL", 11))};
    const Selection sel = selectSamples({o.dataset, o.images, o.boxes, o.imageIds, o.subset, inputSize});
    if (!o.imageIds.empty()) {  // an id without persons would be left out without a word
        std::set<int64_t> found;
        for (const auto& p : sel.samples)
            found.insert(p.imageId);
        for (int64_t id : o.imageIds)
            if (!found.count(id) && (o.subset < 0 || static_cast<int64_t>(sel.samples.size()) < o.subset))
                throw FileError(o.dataset.empty() ? o.images : o.dataset,
                                "image id " + std::to_string(id) + " (--ids) is not in the dataset" +
                                    (o.boxes.empty() ? "" : " or has no detected box") + " or holds no person");
    }
    if (sel.kind != "images" && sel.keypoints != info.keypoints)
        throw FileError(o.dataset, "has " + std::to_string(sel.keypoints) + " keypoints per person, the model " +
                                       std::to_string(info.keypoints));
    const Skeleton& skeleton = info.keypoints == kMpiiJoints ? mpiiSkeleton() : cocoSkeleton();

    RunHeader h;
    h.modelFamily = info.family;
    h.modelVariant = info.variant;
    h.config = configJson(o.config);
    h.configSource = o.config.source();
    h.checkpoint = o.checkpoint;
    h.checkpointSha256 = sha256File(o.checkpoint);
    h.datasetKind = sel.kind;
    h.dataset = o.dataset;
    h.datasetSha256 = o.dataset.empty() ? "" : sha256File(o.dataset);
    h.images = o.images;
    h.boxes = o.boxes;
    h.boxesSha256 = o.boxes.empty() ? "" : sha256File(o.boxes);
    h.selection = sel.description;
    h.keypointNames = skeleton.keypoints;
    h.skeleton = skeleton.limbs;
    h.flipPairs = skeleton.flipPairs;
    h.inputWidth = info.inputWidth;
    h.inputHeight = info.inputHeight;
    const cv::Size heatmapSize = models::outputHeatmapSize(info);
    h.heatmapWidth = heatmapSize.width;
    h.heatmapHeight = heatmapSize.height;
    h.gridRows = info.gridRows;
    h.gridCols = info.gridCols;
    h.layers = info.encoderLayers;
    h.heads = info.heads;
    h.keypointTokens = info.prefixTokens;
    h.mhsaBlocks = info.mhsaBlocks;
    h.mhsaHeads = info.mhsaHeads;
    h.pruningLayers = info.pruningLayers;
    h.keepRatio = info.keepRatio;
    h.decoder = info.output == models::OutputKind::SimCC ? "simcc" : decoderName(o.decode);
    h.flip = o.flip;
    h.layerwise = o.layerwise && info.layerwiseHeatmaps;
    h.level = o.level;
    h.shardIndex = o.shardIndex;
    h.shardCount = o.shardCount;
    const auto total = static_cast<int64_t>(sel.samples.size());
    h.totalSamples = total;
    h.firstIndex = total * o.shardIndex / o.shardCount;
    h.plannedSamples = total * (o.shardIndex + 1) / o.shardCount - h.firstIndex;
    h.posescopeVersion = o.posescopeVersion;
    if (occluding) {
        const cv::Size grid = occlusionGrid(inputSize, o.occlusion.window, o.occlusion.stride);
        h.occlusionWindow = o.occlusion.window;
        h.occlusionStride = o.occlusion.stride;
        h.occlusionRows = grid.height;
        h.occlusionCols = grid.width;
        h.occlusionFill = occlusionFill;
        h.targetedMargin = o.occlusion.targetedMargin;
        h.targetedAllRows = o.occlusion.targetedMargin > 0 && o.occlusion.targetedAllRows;
        if (h.targetedMargin > 0) {
            try {
                h.targetedParts = parseBodyParts(o.occlusion.targetedParts, h.keypointNames);
            } catch (const Error& e) {
                throw Error(std::string("occlusion: ") + e.what());
            }
        }
    }

    RecordResult result;
    result.out = o.out;
    result.total = h.plannedSamples;
    std::optional<RunWriter> writer;
    if (resuming) {
        // Compare first, read-only: a refused resume leaves the file exactly as it was.
        checkResumable(RunReader::open(o.out).header(), h, o.out);
        RunHeader stored;
        writer.emplace(RunWriter::resume(o.out, stored));
        h = stored;
    }
    std::vector<const Planned*> todo;
    for (int64_t i = h.firstIndex; i < h.firstIndex + h.plannedSamples; ++i)
        if (!writer || sel.samples[static_cast<size_t>(i)].index > writer->lastIndex())
            todo.push_back(&sel.samples[static_cast<size_t>(i)]);

    // Refuse a run the disk cannot hold (uncompressed estimate) before any work.
    {
        const double free = freeBytes(dir);
        const double need = static_cast<double>(estimatedBytesPerSample(h)) * static_cast<double>(todo.size());
        if (need + kDiskMargin > free)
            throw FileError(o.out, "not enough disk space: " + std::to_string(todo.size()) + " samples at level " +
                                       runLevelName(h.level) + " need up to " + humanBytes(need) + " and " +
                                       humanBytes(kDiskMargin) + " are kept free, " + humanBytes(free) +
                                       " free (choose a lower --level or fewer samples)");
    }
    if (!writer) writer.emplace(RunWriter::create(o.out, h));
    result.resumedFrom = writer->size();

    std::vector<std::pair<int, int>> flipPairs = skeleton.flipPairs;
    auto lastFlush = Clock::now();
    const auto runStart = Clock::now();
    int64_t doneHere = 0;
    try {
        Prefetcher prefetch(todo, o.batchSize, inputSize, o.jpegQuality, occluding);
        // The previous batch is converted, compressed and written while the model runs the next.
        std::future<void> writing;
        auto waitWriting = [&writing] {
            if (writing.valid()) writing.get();
        };
        bool more = !todo.empty();
        while (more) {
            if (cb.cancel && cb.cancel()) {
                result.cancelled = true;
                break;
            }
            Batch batch = prefetch.next();
            if (batch.error) std::rethrow_exception(batch.error);
            more = !batch.last;
            std::vector<const Prepared*> ready;
            for (const Prepared& p : batch.items) {
                if (p.problem.empty()) {
                    ready.push_back(&p);
                } else {
                    ++result.skipped;
                    if (cb.issue) cb.issue(p.planned->index, p.problem);
                }
            }
            if (!ready.empty()) {
                std::vector<RunSample> rows =
                    runBatch(*model, h, ready, o, flipPairs, occluding ? &occlusion : nullptr);
                // Stop cleanly while the disk still has room for what is recorded so far.
                const double need =
                    static_cast<double>(estimatedBytesPerSample(h)) * static_cast<double>(rows.size()) + kDiskMargin;
                if (const double free = freeBytes(dir); free < need)
                    throw FileError(o.out, "the disk is nearly full (" + humanBytes(free) + " free)");
                waitWriting();
                writing = std::async(std::launch::async, [&w = *writer, rows = std::move(rows)] { w.append(rows); });
            }
            doneHere += static_cast<int64_t>(batch.items.size());
            if (std::chrono::duration<double>(Clock::now() - lastFlush).count() >= o.flushSeconds) {
                waitWriting();
                writer->flush();
                lastFlush = Clock::now();
            }
            if (cb.progress) {
                RecordProgress p;
                p.total = h.plannedSamples;
                p.done = result.resumedFrom + doneHere;
                const double secs = std::chrono::duration<double>(Clock::now() - runStart).count();
                p.samplesPerSecond = secs > 0 ? static_cast<double>(doneHere) / secs : 0;
                p.etaSeconds =
                    p.samplesPerSecond > 0
                        ? static_cast<double>(static_cast<int64_t>(todo.size()) - doneHere) / p.samplesPerSecond
                        : 0;
                cb.progress(p);
            }
        }
        waitWriting();
    } catch (const std::exception& e) {
        // Keep what is recorded and say how much, naming the run file once.
        try {
            writer->close();
        } catch (const std::exception&) {
        }
        const int64_t saved = writer->durableSize();
        std::string problem = e.what();
        if (problem.rfind(o.out + ": ", 0) == 0) problem = problem.substr(o.out.size() + 2);
        throw FileError(o.out, problem + " (" + std::to_string(saved) + " samples are saved in " + o.out +
                                   "; continue with --resume)");
    }
    result.recorded = writer->size();
    if (result.cancelled)
        writer->close();
    else
        writer->finish(result.skipped + (resuming ? h.skippedSamples : 0));
    result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    result.loopSeconds = std::chrono::duration<double>(Clock::now() - runStart).count();
    return result;
}

}  // namespace posescope::analysis
