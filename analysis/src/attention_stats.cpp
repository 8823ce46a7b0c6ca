#include "posescope/analysis/attention_stats.h"

#include "posescope/analysis/run_store.h"
#include "posescope/datasets/coco.h"
#include "posescope/datasets/error.h"

#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace posescope::analysis {
namespace {

// An axis-aligned rectangle in crop pixels, [x0, x1) × [y0, y1).
struct Rect {
    double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    bool empty() const { return !(x1 > x0 && y1 > y0); }
    double area() const { return empty() ? 0 : (x1 - x0) * (y1 - y0); }
    bool contains(double x, double y) const { return x >= x0 && x < x1 && y >= y0 && y < y1; }
};

Rect intersection(const Rect& a, const Rect& b) {
    return {std::max(a.x0, b.x0), std::max(a.y0, b.y0), std::min(a.x1, b.x1), std::min(a.y1, b.y1)};
}

// An image box (x, y, w, h) in the crop: its corners mapped by the 2×3 transform, their bounding
// rectangle, clipped to the crop.
Rect boxInCrop(const std::array<float, 6>& m, double x, double y, double w, double h, const Rect& crop) {
    Rect r{std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity(),
           -std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()};
    for (const auto& [px, py] : {std::pair<double, double>{x, y}, {x + w, y}, {x, y + h}, {x + w, y + h}}) {
        const double cx = m[0] * px + m[1] * py + m[2], cy = m[3] * px + m[4] * py + m[5];
        r.x0 = std::min(r.x0, cx);
        r.y0 = std::min(r.y0, cy);
        r.x1 = std::max(r.x1, cx);
        r.y1 = std::max(r.y1, cy);
    }
    return intersection(r, crop);
}

double iou(const Box& a, const Box& b) {
    const double w = std::min(a.x + a.w, b.x + b.w) - std::max(a.x, b.x);
    const double h = std::min(a.y + a.h, b.y + b.h) - std::max(a.y, b.y);
    if (w <= 0 || h <= 0) return 0;
    const double inter = w * h;
    return inter / (a.w * a.h + b.w * b.h - inter);
}

// The token grid over the crop.
struct Grid {
    int rows = 0, cols = 0;
    double cellW = 0, cellH = 0;
    Rect crop;
    Rect cell(int t) const {
        const int r = t / cols, c = t % cols;
        return {c * cellW, r * cellH, (c + 1) * cellW, (r + 1) * cellH};
    }
};

// Per cell, the fraction of its area inside `own`, and inside the union of `others` but outside
// `own` (exact: the cell cut along every rectangle edge, each piece tested at its midpoint).
void cellCoverage(const Grid& g, const Rect& own, const std::vector<Rect>& others, std::vector<double>& ownCover,
                  std::vector<double>& otherCover) {
    const int T = g.rows * g.cols;
    ownCover.assign(static_cast<size_t>(T), 0);
    otherCover.assign(static_cast<size_t>(T), 0);
    for (int t = 0; t < T; ++t) {
        const Rect cell = g.cell(t);
        const double area = cell.area();
        const Rect ownPart = intersection(own, cell);
        ownCover[static_cast<size_t>(t)] = ownPart.area() / area;
        std::vector<Rect> parts;
        for (const Rect& o : others)
            if (const Rect p = intersection(o, cell); !p.empty()) parts.push_back(p);
        if (parts.empty()) continue;
        std::vector<double> xs{cell.x0, cell.x1}, ys{cell.y0, cell.y1};
        std::vector<Rect> cuts = parts;
        if (!ownPart.empty()) cuts.push_back(ownPart);
        for (const Rect& p : cuts) {
            xs.insert(xs.end(), {p.x0, p.x1});
            ys.insert(ys.end(), {p.y0, p.y1});
        }
        std::sort(xs.begin(), xs.end());
        xs.erase(std::unique(xs.begin(), xs.end()), xs.end());
        std::sort(ys.begin(), ys.end());
        ys.erase(std::unique(ys.begin(), ys.end()), ys.end());
        double covered = 0;
        for (size_t i = 0; i + 1 < xs.size(); ++i)
            for (size_t j = 0; j + 1 < ys.size(); ++j) {
                const double mx = (xs[i] + xs[i + 1]) / 2, my = (ys[j] + ys[j + 1]) / 2;
                if (!ownPart.empty() && ownPart.contains(mx, my)) continue;
                if (std::any_of(parts.begin(), parts.end(), [&](const Rect& p) { return p.contains(mx, my); }))
                    covered += (xs[i + 1] - xs[i]) * (ys[j + 1] - ys[j]);
            }
        otherCover[static_cast<size_t>(t)] = std::min(1.0, covered / area);
    }
}

// Sums of one layer's (or head's) measures over the pairs.
struct Sums {
    int64_t count = 0, withOthers = 0;
    double mass = 0, entropy = 0, distance = 0, box = 0, other = 0, otherWith = 0;

    AttentionMeasures finish(double logT, double diagonal, bool otherPeople) const {
        const double nan = std::numeric_limits<double>::quiet_NaN();
        const auto mean = [&](double sum, int64_t n) { return n > 0 ? sum / static_cast<double>(n) : nan; };
        AttentionMeasures m;
        m.count = count;
        m.mass = mean(mass, count);
        m.entropy = mean(entropy, count);
        m.normalisedEntropy = logT > 0 ? m.entropy / logT : nan;
        m.distance = mean(distance, count);
        m.relativeDistance = diagonal > 0 ? m.distance / diagonal : nan;
        m.boxShare = mean(box, count);
        m.otherShare = otherPeople ? mean(other, count) : nan;
        m.withOthers = otherPeople ? withOthers : 0;
        m.otherShareWithOthers = otherPeople ? mean(otherWith, withOthers) : nan;
        return m;
    }
};

// What one sample's rows are measured against.
struct SampleGeometry {
    std::vector<double> distance;  // per token: to the query (crop pixels)
    std::vector<double> ownCover, otherCover;
    bool anyOther = false;
};

void measure(const float* p, int T, const SampleGeometry& g, Sums& s) {
    double total = 0, plogp = 0, distance = 0, box = 0, other = 0;
    for (int t = 0; t < T; ++t) {
        const double v = p[t];
        if (!(v > 0)) continue;
        const auto i = static_cast<size_t>(t);
        total += v;
        plogp += v * std::log(v);
        distance += v * g.distance[i];
        box += v * g.ownCover[i];
        other += v * g.otherCover[i];
    }
    if (!(total > 0) || !std::isfinite(total)) return;
    // Of the row divided by its sum: −Σ (p/S) ln(p/S) = ln S − (Σ p ln p) / S.
    ++s.count;
    s.mass += total;
    s.entropy += std::max(0.0, std::log(total) - plogp / total);
    s.distance += distance / total;
    s.box += box / total;
    s.other += other / total;
    if (g.anyOther) {
        ++s.withOthers;
        s.otherWith += other / total;
    }
}

// The persons of each image: annotation id and box (boxes of positive size only).
struct Person {
    int64_t id = 0;
    Box box;
};

std::optional<CocoDataset> otherPeopleSource(const RunReader& run, const AttentionStatsOptions& o,
                                             AttentionStats& out) {
    const RunHeader& h = run.header();
    const auto refuse = [&](const std::string& file, const std::string& why) -> std::optional<CocoDataset> {
        if (o.requireOtherPeople) throw FileError(file, why);
        out.otherPeopleNote = file + ": " + why;
        return std::nullopt;
    };
    if (o.annotationFile.empty() && h.datasetKind != "coco")
        return refuse(run.path(),
                      "is " + (h.datasetKind == "mpii" ? std::string("an MPII run") : "a " + h.datasetKind + " run") +
                          ": its annotation file has no other persons' boxes");
    const std::string file = o.annotationFile.empty() ? locateRecordedFile(h.dataset, run.path()) : o.annotationFile;
    if (file.empty()) return refuse(run.path(), "names no annotation file");
    if (!std::filesystem::exists(file))
        return refuse(file, "not found (the share of attention on other people needs the run's annotation file)");
    out.annotationFile = file;
    return CocoDataset::load(file);
}

}  // namespace

AttentionStats attentionStats(const RunReader& run, const AttentionStatsOptions& options) {
    const RunHeader& h = run.header();
    const int K = h.keypoints(), L = h.layers, T = h.tokens(), H = std::max(1, h.heads);
    if (L < 1 || T < 1 || h.inputWidth < 1 || h.inputHeight < 1)
        throw RunFormatError(run.path(), "has no dependency rows (no encoder layers or no token grid)");
    AttentionStats out;
    out.layers = L;
    out.heads = H;
    out.tokens = T;
    out.cropDiagonal = std::hypot(static_cast<double>(h.inputWidth), static_cast<double>(h.inputHeight));

    const std::optional<CocoDataset> coco = otherPeopleSource(run, options, out);
    out.otherPeople = coco.has_value();
    std::map<int64_t, std::vector<Person>> persons;  // image id → its annotations
    if (coco) {
        for (const PersonAnnotation& a : coco->annotations())
            if (a.bbox.w > 0 && a.bbox.h > 0) persons[a.imageId].push_back({a.id, a.bbox});
    }

    Grid grid;
    grid.rows = h.gridRows;
    grid.cols = h.gridCols;
    grid.cellW = static_cast<double>(h.inputWidth) / h.gridCols;
    grid.cellH = static_cast<double>(h.inputHeight) / h.gridRows;
    grid.crop = {0, 0, static_cast<double>(h.inputWidth), static_cast<double>(h.inputHeight)};
    std::vector<double> centreX(static_cast<size_t>(T)), centreY(static_cast<size_t>(T));
    for (int t = 0; t < T; ++t) {
        centreX[static_cast<size_t>(t)] = (t % grid.cols + 0.5) * grid.cellW;
        centreY[static_cast<size_t>(t)] = (t / grid.cols + 0.5) * grid.cellH;
    }

    std::vector<Sums> layerSums(static_cast<size_t>(L));
    std::vector<std::vector<Sums>> headSums(static_cast<size_t>(L), std::vector<Sums>(static_cast<size_t>(H)));
    const int64_t rows = run.size();
    SampleGeometry g;
    for (int64_t row = 0; row < rows; ++row) {
        if (options.cancel && options.cancel()) {
            out.cancelled = true;
            break;
        }
        const RunSample s = run.sample(row);
        const auto& m = s.cropTransform;
        const Rect own = boxInCrop(m, s.box[0], s.box[1], s.box[2], s.box[3], grid.crop);
        std::vector<Rect> others;
        if (coco) {
            const std::string where = "image id " + std::to_string(s.imageId) + " of row " + std::to_string(row);
            if (!coco->image(s.imageId))
                throw FileError(out.annotationFile, where + " is not in it (not the file the run was recorded from?)");
            const std::vector<Person>& inImage = persons[s.imageId];
            int64_t self = s.annotationId;
            if (self > 0) {
                if (!coco->annotation(self))
                    throw FileError(out.annotationFile, "annotation id " + std::to_string(self) + " of row " +
                                                            std::to_string(row) +
                                                            " is not in it (not the file the run was recorded from?)");
            } else {  // a detected box: the annotation it overlaps most (IoU ≥ 0.5) is the person itself
                const Box box{s.box[0], s.box[1], s.box[2], s.box[3]};
                double best = 0.5;
                self = -1;
                for (const Person& p : inImage)
                    if (const double v = iou(box, p.box); v >= best) {
                        best = v;
                        self = p.id;
                    }
            }
            for (const Person& p : inImage)
                if (p.id != self)
                    if (const Rect r = boxInCrop(m, p.box.x, p.box.y, p.box.w, p.box.h, grid.crop); !r.empty())
                        others.push_back(r);
        }
        cellCoverage(grid, own, others, g.ownCover, g.otherCover);
        g.anyOther = std::any_of(g.otherCover.begin(), g.otherCover.end(), [](double v) { return v > 0; });

        const torch::Tensor dependency = run.dependency(row).to(torch::kFloat32).contiguous();  // [L, K, T]
        const torch::Tensor perHead =
            H > 1 ? run.dependencyHeads(row).to(torch::kFloat32).contiguous() : torch::Tensor();  // [L, H, K, T]
        const float* dep = dependency.data_ptr<float>();
        const float* heads = H > 1 ? perHead.data_ptr<float>() : nullptr;
        g.distance.resize(static_cast<size_t>(T));
        for (int k = 0; k < K; ++k) {
            const auto ki = static_cast<size_t>(k);
            if (options.labelledOnly && !(s.groundTruth[3 * ki + 2] > 0)) continue;
            const double px = s.keypoints[3 * ki], py = s.keypoints[3 * ki + 1];
            const double qx = m[0] * px + m[1] * py + m[2], qy = m[3] * px + m[4] * py + m[5];
            if (!std::isfinite(qx) || !std::isfinite(qy)) continue;
            ++out.pairs;
            for (int t = 0; t < T; ++t) {
                const auto ti = static_cast<size_t>(t);
                g.distance[ti] = std::hypot(centreX[ti] - qx, centreY[ti] - qy);
            }
            for (int l = 0; l < L; ++l) {
                const auto li = static_cast<size_t>(l);
                const float* averaged = dep + (static_cast<int64_t>(l) * K + k) * T;
                measure(averaged, T, g, layerSums[li]);
                for (int hd = 0; hd < H; ++hd) {
                    const float* row1 = heads ? heads + ((static_cast<int64_t>(l) * H + hd) * K + k) * T : averaged;
                    measure(row1, T, g, headSums[li][static_cast<size_t>(hd)]);
                }
            }
        }
        ++out.samples;
        if (options.progress) options.progress(row + 1, rows);
    }

    const double logT = std::log(static_cast<double>(T));
    for (int l = 0; l < L; ++l) {
        const auto li = static_cast<size_t>(l);
        out.layer.push_back(layerSums[li].finish(logT, out.cropDiagonal, out.otherPeople));
        std::vector<AttentionMeasures> perHeadMeasures;
        for (const Sums& hs : headSums[li])
            perHeadMeasures.push_back(hs.finish(logT, out.cropDiagonal, out.otherPeople));
        out.head.push_back(std::move(perHeadMeasures));
    }
    return out;
}

}  // namespace posescope::analysis
