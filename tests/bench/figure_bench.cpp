// figure_bench SOURCE_RUN.h5 OUTDIR [WIDTH HEIGHT]: how fast the workbench redraws its dependency
// view on a 10,000-sample run (docs/benchmarks.md; the goal: switching layer or keypoint ≤ 16 ms).
// The 10k-sample run is made once in OUTDIR by repeating SOURCE_RUN's rows (real crops and maps).
// Then, at random rows, each redraw is what FigureView does: FigureRenderer::paint into an image of
// the view's size (default 1200×800), for
//   - switching keypoint: all layers × one keypoint (+ the pose column), keypoint k → k+1;
//   - switching layer: one layer × every keypoint, layer l → l+1;
//   - a new sample (the first draw of a row reads its crop, pose and maps from the file).
#include "posescope/analysis/figure.h"
#include "posescope/analysis/run_store.h"

#include <QGuiApplication>
#include <QImage>
#include <QPainter>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

using namespace posescope;
using Clock = std::chrono::steady_clock;

namespace {

double ms(Clock::time_point since) {
    return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
}

void summary(const char* what, std::vector<double> v) {
    std::sort(v.begin(), v.end());
    std::printf("%-34s median %6.2f ms  p95 %6.2f ms  max %6.2f ms  (%zu redraws)\n", what, v[v.size() / 2],
                v[v.size() * 95 / 100], v.back(), v.size());
}

std::string make10k(const std::string& source, const std::string& outDir) {
    const std::string path = outDir + "/figure_bench_10k.h5";
    if (std::filesystem::exists(path)) return path;
    const analysis::RunReader r = analysis::RunReader::open(source);
    analysis::RunHeader h = r.header();
    h.level = analysis::RunLevel::Keypoints;
    h.totalSamples = h.plannedSamples = 10000;
    h.firstIndex = 0;
    h.shardIndex = 0;
    h.shardCount = 1;
    h.complete = false;
    h.created.clear();
    std::vector<analysis::RunSample> pool;
    for (int64_t i = 0; i < r.size(); ++i) {
        analysis::RunSample s = r.sample(i);
        s.dependency = r.dependency(i);
        if (h.heads > 1) s.dependencyHeads = r.dependencyHeads(i);
        s.cropJpeg = r.cropJpeg(i);
        pool.push_back(std::move(s));
    }
    const std::string tmp = path + ".partial";
    std::filesystem::remove(tmp);
    analysis::RunWriter w = analysis::RunWriter::create(tmp, h);
    for (int64_t i = 0; i < 10000; i += 50) {
        std::vector<analysis::RunSample> batch;
        for (int64_t j = i; j < i + 50; ++j) {
            analysis::RunSample s = pool[static_cast<size_t>(j) % pool.size()];
            s.index = j;
            batch.push_back(std::move(s));
        }
        w.append(batch);
    }
    w.finish();
    std::filesystem::rename(tmp, path);
    return path;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: figure_bench SOURCE_RUN.h5 OUTDIR [WIDTH HEIGHT]\n");
        return 2;
    }
    analysis::ensureGuiApplication();
    const std::string path = make10k(argv[1], argv[2]);
    const int width = argc > 4 ? std::atoi(argv[3]) : 1200, height = argc > 4 ? std::atoi(argv[4]) : 800;

    auto openStart = Clock::now();
    const auto run = analysis::RunBrowser::open(path);
    const double openMs = ms(openStart);
    auto factsStart = Clock::now();
    (void)run->facts();
    const double factsMs = ms(factsStart);
    std::printf("run %s: %lld samples, %d layers, %d keypoints; open %.1f ms, sample list facts %.1f ms; view %dx%d\n",
                path.c_str(), static_cast<long long>(run->size()), run->header().layers, run->header().keypoints(),
                openMs, factsMs, width, height);

    const analysis::FigureRenderer renderer(*run);
    QImage image(width, height, QImage::Format_RGB32);
    auto draw = [&](const analysis::FigureSpec& spec, int64_t row) {
        const auto start = Clock::now();
        image.fill(Qt::white);
        QPainter p(&image);
        p.setRenderHint(QPainter::SmoothPixmapTransform, true);
        const analysis::FigureLayout lay = renderer.layout(spec);
        const double k = std::min(width / lay.width, height / lay.height);
        p.scale(k, k);
        renderer.paint(p, spec, row, k);
        return ms(start);
    };
    const int L = run->header().layers, K = run->header().keypoints();
    std::mt19937 rng(3);
    std::uniform_int_distribution<int64_t> pick(0, run->size() - 1);
    std::vector<double> newSample, keypointSwitch, layerSwitch;
    for (int round = 0; round < 60; ++round) {
        const int64_t row = pick(rng);
        analysis::FigureSpec spec;
        spec.run = path;
        spec.keypoints = {0};
        newSample.push_back(draw(spec, row));
        for (int k = 1; k < K; k += 4) {
            spec.keypoints = {k};
            keypointSwitch.push_back(draw(spec, row));
        }
        spec.keypoints.clear();
        spec.showPose = false;
        for (int l = 0; l < L; ++l) {
            spec.layers = {l};
            layerSwitch.push_back(draw(spec, row));
        }
    }
    summary("new sample (all layers, 1 keypoint)", newSample);
    summary("switch keypoint (all layers)", keypointSwitch);
    summary("switch layer (all keypoints)", layerSwitch);
    return 0;
}
