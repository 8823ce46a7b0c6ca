#include "posescope/analysis/run_browser.h"

#include "posescope/analysis/coco_eval.h"
#include "posescope/analysis/occlusion.h"
#include "posescope/analysis/run_store.h"
#include "posescope/datasets/error.h"
#include "posescope/datasets/image.h"
#include "posescope/datasets/json.h"
#include "selection.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>

namespace posescope::analysis {

float GridMap::maxValue() const {
    float v = -std::numeric_limits<float>::infinity();
    for (float x : values)
        if (x > v) v = x;
    return v;
}

float GridMap::minValue() const {
    float v = std::numeric_limits<float>::infinity();
    for (float x : values)
        if (x < v) v = x;
    return v;
}

struct RunBrowser::State {
    RunReader reader;
    mutable std::vector<SampleFacts> facts;
    mutable bool factsRead = false;
    mutable std::map<int64_t, std::string> imageFiles;  // image id → file, read from the dataset once
    mutable bool imagesFound = false;
    mutable std::string cachedPath;  // the last image read (consecutive rows share images)
    mutable cv::Mat cachedImage;
    mutable std::map<std::string, std::vector<PruningErrorBin>> pruningErrors;  // by request
};

RunBrowser::RunBrowser(std::unique_ptr<State> s) : m(std::move(s)) {}
RunBrowser::~RunBrowser() = default;

std::unique_ptr<RunBrowser> RunBrowser::open(const std::string& path) {
    auto s = std::make_unique<State>(State{RunReader::open(path), {}, false, {}, false, {}, {}, {}});
    return std::unique_ptr<RunBrowser>(new RunBrowser(std::move(s)));
}

const RunHeader& RunBrowser::header() const {
    return m->reader.header();
}

const std::string& RunBrowser::path() const {
    return m->reader.path();
}

int64_t RunBrowser::size() const {
    return m->reader.size();
}

namespace {

// Image point → crop point through the stored 2×3 affine.
std::array<float, 2> toCrop(const float* t, float x, float y) {
    return {t[0] * x + t[1] * y + t[2], t[3] * x + t[4] * y + t[5]};
}

}  // namespace

const std::vector<SampleFacts>& RunBrowser::facts() const {
    if (m->factsRead) return m->facts;
    const RunReader& r = m->reader;
    const int64_t n = r.size();
    const int K = r.header().keypoints();
    const std::vector<int64_t> index = r.indices();
    const std::vector<float> box = r.floatColumn("box"), gt = r.floatColumn("ground_truth"),
                             kp = r.floatColumn("keypoints"), tr = r.floatColumn("crop_transform");
    const std::vector<double> sigmas =
        K == static_cast<int>(cocoKeypointSigmas().size()) ? cocoKeypointSigmas() : std::vector<double>(K, 0.1);
    std::vector<SampleFacts> out(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
        SampleFacts& f = out[static_cast<size_t>(i)];
        f.row = i;
        f.index = index[static_cast<size_t>(i)];
        const float* b = &box[static_cast<size_t>(4 * i)];
        f.boxArea = static_cast<double>(b[2]) * b[3];
        const float* g = &gt[static_cast<size_t>(3 * K * i)];
        const float* p = &kp[static_cast<size_t>(3 * K * i)];
        const float* t = &tr[static_cast<size_t>(6 * i)];
        PersonAnnotation a;
        a.keypoints.assign(g, g + 3 * K);
        a.bbox = {b[0], b[1], b[2], b[3]};
        a.area = f.boxArea;
        std::vector<double> pred(p, p + 3 * K);
        double score = 0, error = 0;
        for (int k = 0; k < K; ++k) {
            score += p[3 * k + 2];
            const float v = g[3 * k + 2];
            if (v <= 0) continue;
            ++f.labelled;
            if (v >= 2)
                ++f.visible;
            else
                ++f.occluded;
            const auto gc = toCrop(t, g[3 * k], g[3 * k + 1]), pc = toCrop(t, p[3 * k], p[3 * k + 1]);
            error += std::hypot(gc[0] - pc[0], gc[1] - pc[1]);
        }
        f.meanScore = K > 0 ? score / K : 0;
        if (f.labelled > 0) {
            f.meanError = error / f.labelled;
            f.oks = keypointOks(a, pred, sigmas);
        }
    }
    const std::vector<int64_t> images = r.int64Column("image_id"), annotations = r.int64Column("annotation_id");
    for (size_t i = 0; i < out.size(); ++i) {
        out[i].imageId = images[i];
        out[i].annotationId = annotations[i];
    }
    m->facts = std::move(out);
    m->factsRead = true;
    return m->facts;
}

std::string RunBrowser::cropJpeg(int64_t row) const {
    return m->reader.cropJpeg(row);
}

cv::Mat RunBrowser::crop(int64_t row) const {
    const std::string bytes = m->reader.cropJpeg(row);
    const cv::Mat raw(1, static_cast<int>(bytes.size()), CV_8U, const_cast<char*>(bytes.data()));
    cv::Mat decoded = cv::imdecode(raw, cv::IMREAD_COLOR);
    if (decoded.empty())
        throw RunFormatError(path(), "the crop of row " + std::to_string(row) + " is not a readable JPEG");
    cv::cvtColor(decoded, decoded, cv::COLOR_BGR2RGB);
    return decoded;
}

namespace {

// A stored sample's pose in crop pixels.
SamplePose poseOf(const RunSample& s, const RunHeader& h) {
    const int K = h.keypoints(), L = h.layers;
    const float* t = s.cropTransform.data();
    SamplePose p;
    for (int k = 0; k < K; ++k) {
        const auto g = toCrop(t, s.groundTruth[3 * k], s.groundTruth[3 * k + 1]);
        p.groundTruth.push_back({g[0], g[1], s.groundTruth[3 * k + 2]});
        const auto q = toCrop(t, s.keypoints[3 * k], s.keypoints[3 * k + 1]);
        p.predicted.push_back({q[0], q[1], s.keypoints[3 * k + 2]});
    }
    for (int l = 0; l < L; ++l) {
        std::vector<std::array<float, 3>> layer;
        for (int k = 0; k < K; ++k) {
            const float* v = &s.layerKeypoints[static_cast<size_t>(3 * (l * K + k))];
            const auto q = toCrop(t, v[0], v[1]);
            layer.push_back({q[0], q[1], v[2]});
        }
        p.layers.push_back(std::move(layer));
    }
    const auto a = toCrop(t, s.box[0], s.box[1]);
    const auto b = toCrop(t, s.box[0] + s.box[2], s.box[1] + s.box[3]);
    p.box = {std::min(a[0], b[0]), std::min(a[1], b[1]), std::max(a[0], b[0]), std::max(a[1], b[1])};
    return p;
}

}  // namespace

TokenPruning tokenPruningOf(const RunSample& s, const RunHeader& h, const std::string& path) {
    TokenPruning p;
    const auto T = static_cast<size_t>(h.tokens());
    const size_t stages = h.pruningLayers.size();
    if (s.pruningScores.size() != stages * T || s.keptRank.size() != stages * T)
        throw RunFormatError(path, "row " + std::to_string(s.index) + " has " + std::to_string(s.pruningScores.size()) +
                                       " pruning scores and " + std::to_string(s.keptRank.size()) +
                                       " kept ranks, expected " + std::to_string(stages * T) +
                                       " each (pruning stages × tokens)");
    p.layers = h.pruningLayers;
    for (size_t st = 0; st < stages; ++st) {
        p.scores.emplace_back(s.pruningScores.begin() + static_cast<std::ptrdiff_t>(st * T),
                              s.pruningScores.begin() + static_cast<std::ptrdiff_t>((st + 1) * T));
        p.ranks.emplace_back(s.keptRank.begin() + static_cast<std::ptrdiff_t>(st * T),
                             s.keptRank.begin() + static_cast<std::ptrdiff_t>((st + 1) * T));
    }
    return p;
}

int tokenUnder(const RunHeader& h, double cropX, double cropY) {
    const double dsx = static_cast<double>(h.inputWidth) / h.gridCols,
                 dsy = static_cast<double>(h.inputHeight) / h.gridRows;
    const int c = std::clamp(static_cast<int>(std::floor(cropX / dsx)), 0, h.gridCols - 1);
    const int r = std::clamp(static_cast<int>(std::floor(cropY / dsy)), 0, h.gridRows - 1);
    return r * h.gridCols + c;
}

double prunedShareAround(const std::vector<uint8_t>& alive, const RunHeader& h, int token, int radius) {
    const int r0 = token / h.gridCols, c0 = token % h.gridCols;
    int cells = 0, pruned = 0;
    for (int r = std::max(0, r0 - radius); r <= std::min(h.gridRows - 1, r0 + radius); ++r)
        for (int c = std::max(0, c0 - radius); c <= std::min(h.gridCols - 1, c0 + radius); ++c) {
            ++cells;
            pruned += alive[static_cast<size_t>(r * h.gridCols + c)] ? 0 : 1;
        }
    return static_cast<double>(pruned) / cells;
}

SamplePose RunBrowser::pose(int64_t row) const {
    return poseOf(m->reader.sample(row), header());
}

std::array<double, 6> RunBrowser::cropTransform(int64_t row) const {
    const RunSample s = m->reader.sample(row);
    std::array<double, 6> out{};
    std::copy(s.cropTransform.begin(), s.cropTransform.end(), out.begin());
    return out;
}

std::string RunBrowser::imagePath(int64_t row) const {
    if (row < 0 || row >= size())
        throw RunFormatError(
            path(), "row " + std::to_string(row) + " is not in the run (" + std::to_string(size()) + " samples)");
    if (!m->imagesFound) {
        const RunHeader& h = header();
        try {
            const detail::Selection all = detail::selectSamples({locateRecordedFile(h.dataset, path()),
                                                                 locateRecordedFile(h.images, path()),
                                                                 locateRecordedFile(h.boxes, path()),
                                                                 {},
                                                                 -1,
                                                                 cv::Size(h.inputWidth, h.inputHeight),
                                                                 /*pathsOnly=*/true});
            for (const detail::Planned& p : all.samples)
                m->imageFiles.emplace(p.imageId, p.imagePath);
        } catch (const Error& e) {
            throw FileError(path(), std::string("the original images need the dataset the run was recorded from (") +
                                        e.what() + "); the crops stored in the run still show");
        }
        m->imagesFound = true;
    }
    const int64_t id = facts()[static_cast<size_t>(row)].imageId;
    const auto it = m->imageFiles.find(id);
    if (it == m->imageFiles.end())
        throw FileError(path(), "image id " + std::to_string(id) + " of row " + std::to_string(row) +
                                    " is not in the dataset " + header().dataset + " any more");
    return it->second;
}

cv::Mat RunBrowser::image(int64_t row) const {
    const std::string file = imagePath(row);
    if (file != m->cachedPath) {
        m->cachedImage = loadImageRgb(file);
        m->cachedPath = file;
    }
    return m->cachedImage;
}

int RunBrowser::tokenAt(float cropX, float cropY) const {
    return tokenUnder(header(), cropX, cropY);
}

bool RunBrowser::hasHeatmaps() const {
    return header().level != RunLevel::Keypoints;
}

models::ModelConfig RunBrowser::modelConfig() const {
    // The stored JSON holds every key as YAML text; as "KEY: value" lines it is a flat YAML file.
    const json::JsonDocument doc(header().config, path() + " (attribute config)");
    std::string yaml;
    for (const auto& [key, value] : doc.root().members())
        yaml += key + ": " + value.string() + "\n";
    return models::ModelConfig::fromYamlText(yaml, path() + " (recorded configuration)");
}

bool RunBrowser::hasAttention() const {
    return header().level == RunLevel::Full;
}

std::vector<uint8_t> TokenPruning::aliveAt(int layer) const {
    std::vector<uint8_t> alive;
    if (!ranks.empty()) alive.assign(ranks.front().size(), 1);
    for (size_t st = 0; st < layers.size() && st < ranks.size(); ++st)
        if (layers[st] < layer)
            for (size_t t = 0; t < alive.size(); ++t)
                alive[t] = ranks[st][t] >= 0;
    return alive;
}

TokenPruning RunBrowser::tokenPruning(int64_t row) const {
    if (!hasPruning()) return {};
    return tokenPruningOf(m->reader.sample(row), header(), path());
}

std::vector<PruningErrorBin> RunBrowser::pruningError(const std::vector<int>& keypoints, int radius, int bins) const {
    const RunHeader& h = header();
    if (!hasPruning())
        throw RunFormatError(path(), "the run has no token pruning: record a PPT model (keep ratio below 1)");
    if (bins < 1 || radius < 0) throw RunFormatError(path(), "pruning error: bins ≥ 1 and radius ≥ 0 expected");
    const int K = h.keypoints();
    std::string key = std::to_string(radius) + "/" + std::to_string(bins) + ":";
    for (int k : keypoints)
        key += std::to_string(k) + ",";
    if (const auto hit = m->pruningErrors.find(key); hit != m->pruningErrors.end()) return hit->second;
    std::vector<int> ks = keypoints;
    if (ks.empty())
        for (int k = 0; k < K; ++k)
            ks.push_back(k);
    for (int k : ks)
        if (k < 0 || k >= K) throw RunFormatError(path(), "keypoint " + std::to_string(k) + " out of range");
    std::vector<PruningErrorBin> out(static_cast<size_t>(bins));
    std::vector<double> sums(static_cast<size_t>(bins), 0);
    for (int b = 0; b < bins; ++b) {
        out[static_cast<size_t>(b)].shareFrom = static_cast<double>(b) / bins;
        out[static_cast<size_t>(b)].shareTo = static_cast<double>(b + 1) / bins;
    }
    for (int64_t row = 0; row < size(); ++row) {
        const RunSample sample = m->reader.sample(row);  // read once for the pose and the pruning
        const std::vector<uint8_t> alive = tokenPruningOf(sample, h, path()).aliveAt(h.layers);  // after every pruning
        const SamplePose pose = poseOf(sample, h);
        for (int k : ks) {
            const auto& g = pose.groundTruth[static_cast<size_t>(k)];
            const auto& p = pose.predicted[static_cast<size_t>(k)];
            if (g[2] <= 0) continue;
            const double share = prunedShareAround(alive, h, tokenUnder(h, g[0], g[1]), radius);
            const auto bin = static_cast<size_t>(std::min(bins - 1, static_cast<int>(share * bins)));
            ++out[bin].count;
            sums[bin] += std::hypot(p[0] - g[0], p[1] - g[1]);
        }
    }
    for (size_t b = 0; b < out.size(); ++b)
        out[b].meanError =
            out[b].count > 0 ? sums[b] / static_cast<double>(out[b].count) : std::numeric_limits<double>::quiet_NaN();
    m->pruningErrors[key] = out;
    return out;
}

namespace {

GridMap toGrid(const torch::Tensor& t, int rows, int cols) {
    const torch::Tensor c = t.to(torch::kFloat32).contiguous().reshape({-1});
    GridMap g;
    g.rows = rows;
    g.cols = cols;
    g.values.assign(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
    return g;
}

}  // namespace

GridMap RunBrowser::dependencyMap(int64_t row, const MapRequest& q) const {
    const RunHeader& h = header();
    const bool mhsa = q.mhsaBlock >= 0;
    const int heads = mhsa ? h.mhsaHeads : h.heads;
    if (mhsa && q.mhsaBlock >= h.mhsaBlocks)
        throw RunFormatError(path(), "MHSA block " + std::to_string(q.mhsaBlock + 1) + " of " +
                                         std::to_string(h.mhsaBlocks) + ": out of range" +
                                         (h.mhsaBlocks == 0 ? " (the model has no BoT MHSA)" : ""));
    if ((!mhsa && (q.layer < 0 || q.layer >= h.layers)) || q.keypoint < 0 || q.keypoint >= h.keypoints() ||
        q.head < -1 || q.head >= heads)
        throw RunFormatError(path(),
                             (mhsa ? "MHSA block " + std::to_string(q.mhsaBlock + 1)
                                   : "layer " + std::to_string(q.layer + 1) + " of " + std::to_string(h.layers)) +
                                 ", keypoint " + std::to_string(q.keypoint) + ", head " + std::to_string(q.head) +
                                 ": out of range");
    if (q.direction == MapDirection::Dependency && q.token < 0)
        return toGrid(mhsa ? m->reader.mhsaDependencyMap(row, q.mhsaBlock, q.keypoint, q.head)
                           : m->reader.dependencyMap(row, q.layer, q.keypoint, q.head),
                      h.gridRows, h.gridCols);
    if (!hasAttention())
        throw RunFormatError(path(),
                             std::string(q.direction == MapDirection::Affect ? "affect maps" : "maps of any point") +
                                 " need the whole attention matrices: record the run with --level full");
    int token = q.token;
    if (token < 0) token = m->reader.sample(row).queryTokens[static_cast<size_t>(q.keypoint)];
    if (token >= h.tokens()) throw RunFormatError(path(), "token " + std::to_string(token) + " out of range");
    torch::Tensor sum;
    const int first = q.head < 0 ? 0 : q.head, last = q.head < 0 ? heads : q.head + 1;
    for (int head = first; head < last; ++head) {
        const torch::Tensor a = mhsa ? m->reader.mhsaAttention(row, q.mhsaBlock, head)
                                     : m->reader.attention(row, q.layer, head);  // [T, T], rows = queries
        const torch::Tensor line = q.direction == MapDirection::Dependency ? a[token] : a.select(1, token);
        sum = sum.defined() ? sum + line : line.clone();
    }
    return toGrid(sum / static_cast<double>(last - first), h.gridRows, h.gridCols);
}

std::vector<LayerStats> RunBrowser::layerStats(int64_t row, int keypoint) const {
    const RunHeader& h = header();
    if (keypoint < 0 || keypoint >= h.keypoints())
        throw RunFormatError(path(), "keypoint " + std::to_string(keypoint) + " out of range");
    const SamplePose p = pose(row);
    const torch::Tensor rows = m->reader.dependency(row).select(1, keypoint);  // [L, T]
    const auto& final = p.predicted[static_cast<size_t>(keypoint)];
    const auto& truth = p.groundTruth[static_cast<size_t>(keypoint)];
    const float nan = std::numeric_limits<float>::quiet_NaN();
    std::vector<LayerStats> out;
    for (int l = 0; l < h.layers; ++l) {
        LayerStats s;
        s.layer = l;
        const auto& k = p.layers[static_cast<size_t>(l)][static_cast<size_t>(keypoint)];
        s.score = k[2];
        s.toFinal = std::isnan(k[0]) ? nan : std::hypot(k[0] - final[0], k[1] - final[1]);
        s.toTruth = std::isnan(k[0]) || truth[2] <= 0 ? nan : std::hypot(k[0] - truth[0], k[1] - truth[1]);
        const torch::Tensor q = rows[l].clamp_min(0);
        const torch::Tensor pr = q / q.sum().clamp_min(1e-12);
        s.entropy = -(pr * torch::log2(pr.clamp_min(1e-12))).sum().item<float>();
        s.maxEntropy = std::log2(static_cast<float>(h.tokens()));
        out.push_back(s);
    }
    return out;
}

GridMap RunBrowser::heatmap(int64_t row, int keypoint) const {
    const RunHeader& h = header();
    if (!hasHeatmaps()) throw RunFormatError(path(), "the run has no heatmaps: record it with --level heatmaps");
    const torch::Tensor all = m->reader.heatmaps(row);  // [K, h, w]
    if (keypoint >= h.keypoints() || keypoint < -1)
        throw RunFormatError(path(), "keypoint " + std::to_string(keypoint) + " out of range");
    const torch::Tensor one = keypoint < 0 ? std::get<0>(all.max(0)) : all[keypoint];
    return toGrid(one, static_cast<int>(all.size(1)), static_cast<int>(all.size(2)));
}

GridMap RunBrowser::sensitivityMap(int64_t row, int keypoint, SensitivityMeasure measure) const {
    const RunHeader& h = header();
    if (keypoint < 0 || keypoint >= h.keypoints())
        throw RunFormatError(path(), "keypoint " + std::to_string(keypoint) + " out of range");
    const SensitivityResult r = storedSensitivity(m->reader, row);
    return toGrid(sensitivityOnCrop(r, keypoint, measure).to(torch::kFloat32), h.inputHeight, h.inputWidth);
}

TargetedView RunBrowser::targeted(int64_t row, int hidden) const {
    const RunHeader& h = header();
    if (!hasTargeted())
        throw RunFormatError(path(), "the run has no targeted occlusions (record it with posescope-cli occlude)");
    const int K = h.keypoints(), L = h.layers;
    if (hidden < 0 || hidden >= h.targetedRegions())
        throw RunFormatError(path(), "targeted region " + std::to_string(hidden) + " out of range (" +
                                         std::to_string(h.targetedRegions()) + " regions)");
    const RunSample s = m->reader.sample(row);
    const auto& t = s.cropTransform;
    TargetedView v;
    v.hidden = hidden;
    v.name = h.targetedRegionName(hidden);
    v.keypoints = h.targetedRegionKeypoints(hidden);
    for (int i = 0; i < 4; ++i)
        v.region[static_cast<size_t>(i)] = s.targetedRegion[static_cast<size_t>(4 * hidden + i)];
    for (int k = 0; k < K; ++k) {
        const float* p = &s.targetedKeypoints[static_cast<size_t>((hidden * K + k) * 3)];
        v.after.push_back({t[0] * p[0] + t[1] * p[1] + t[2], t[3] * p[0] + t[4] * p[1] + t[5], p[2]});
    }
    const auto begin = static_cast<size_t>(hidden * L * K), end = begin + static_cast<size_t>(L * K);
    v.shareBefore.assign(s.targetedShareBefore.begin() + static_cast<std::ptrdiff_t>(begin),
                         s.targetedShareBefore.begin() + static_cast<std::ptrdiff_t>(end));
    v.shareAfter.assign(s.targetedShareAfter.begin() + static_cast<std::ptrdiff_t>(begin),
                        s.targetedShareAfter.begin() + static_cast<std::ptrdiff_t>(end));
    return v;
}

GridMap RunBrowser::targetedMap(int64_t row, int hidden, int layer, int keypoint) const {
    const RunHeader& h = header();
    if (!hasTargeted())
        throw RunFormatError(path(), "the run has no targeted occlusions (record it with posescope-cli occlude)");
    if (hidden < 0 || hidden >= h.targetedRegions() || layer < 0 || layer >= h.layers)
        throw RunFormatError(
            path(), "targeted region " + std::to_string(hidden) + ", layer " + std::to_string(layer) + " out of range");
    if (keypoint < 0 || (keypoint == hidden && hidden < h.keypoints()))
        return toGrid(m->reader.array(row, "targeted_rows")[hidden][layer], h.gridRows, h.gridCols);
    if (keypoint >= h.keypoints())
        throw RunFormatError(path(), "keypoint " + std::to_string(keypoint) + " out of range");
    if (!h.targetedAllRows)
        throw RunFormatError(path(),
                             "the run keeps only the hidden keypoint's rows after a targeted occlusion "
                             "(record it with posescope-cli occlude --targeted-all-rows)");
    return toGrid(m->reader.array(row, "targeted_dependency")[hidden][layer][keypoint], h.gridRows, h.gridCols);
}

OcclusionReport RunBrowser::occlusionReport(const OcclusionReportOptions& options) const {
    return analysis::occlusionReport(m->reader, options);
}

}  // namespace posescope::analysis
