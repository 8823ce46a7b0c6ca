// Figures: colormaps, the spec's JSON, the run browser's maps, and PNG/SVG/PDF output.
#include "official_configs.h"
#include "posescope/analysis/colormap.h"
#include "posescope/analysis/dataset_browser.h"
#include "posescope/analysis/figure.h"
#include "posescope/analysis/record.h"
#include "posescope/analysis/run_browser.h"
#include "posescope/analysis/run_pairing.h"
#include "posescope/analysis/run_scales.h"
#include "posescope/analysis/run_store.h"
#include "posescope/datasets/error.h"
#include "posescope/datasets/synthpose.h"
#include "run_files.h"
#include "run_fixture.h"
#include "test_paths.h"

#include <gtest/gtest.h>

#include <QColor>
#include <QImage>
#include <QString>

#include <hdf5.h>

#include <opencv2/imgproc.hpp>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

using namespace posescope;
using namespace posescope::analysis;

namespace {

std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

double luminance(Rgb8 c) {
    return 0.2126 * c.r + 0.7152 * c.g + 0.0722 * c.b;
}

}  // namespace

TEST(Colormap, MatchesMatplotlibAtItsDefiningPoints) {
    // matplotlib: (value · 255) truncated, at entry min(int(t · 256), 255).
    const Rgb8 v0 = colormap("viridis").at(0), v1 = colormap("viridis").at(1);
    EXPECT_EQ(v0.r, 68);  // 0.267004 0.004874 0.329415
    EXPECT_EQ(v0.g, 1);
    EXPECT_EQ(v0.b, 84);
    EXPECT_EQ(v1.r, 253);  // 0.993248 0.906157 0.143936
    EXPECT_EQ(v1.g, 231);
    EXPECT_EQ(v1.b, 36);
    const Rgb8 j0 = colormap("jet").at(0), j1 = colormap("jet").at(1), jm = colormap("jet").at(0.5);
    EXPECT_EQ(j0.r, 0);
    EXPECT_EQ(j0.b, 127);  // blue 0.5 at 0
    EXPECT_EQ(j1.r, 127);  // red 0.5 at 1
    EXPECT_EQ(j1.b, 0);
    EXPECT_GT(jm.g, 250);  // green is 1 from 0.375 to 0.64
    const Rgb8 n1 = colormap("nipy_spectral").at(1);
    EXPECT_EQ(n1.r, 204);  // 0.8 grey at the top
    EXPECT_EQ(n1.g, 204);
    EXPECT_EQ(n1.b, 204);
    EXPECT_EQ(colormap("gray").at(0.5).r, 128);
    EXPECT_EQ(colormap("magma").at(std::nan("")).r, colormap("magma").at(0).r);
    EXPECT_THROW(colormap("rainbow"), std::invalid_argument);
}

TEST(Colormap, PerceptuallyUniformMapsRiseInLightness) {
    for (const char* name : {"viridis", "magma", "cividis"}) {
        const auto& t = colormap(name).table();
        for (size_t i = 8; i < 256; i += 8)
            EXPECT_GT(luminance(t[i]), luminance(t[i - 8])) << name << " at " << i;
    }
}

TEST(FigureSpec, RoundTripsThroughJson) {
    FigureSpec s;
    s.kind = FigureKind::Heatmaps;
    s.run = "some run.h5";
    s.rows = {3, 5};
    s.layers = {0, 2};
    s.keypoints = {9};
    s.head = 1;
    s.mhsaBlocks = {0, 2};
    s.mhsaHead = 3;
    s.direction = MapDirection::Affect;
    s.usePoint = true;
    s.pointX = 12.5;
    s.pointY = 80;
    s.colormap = "magma";
    s.sharedScale = true;
    s.threshold = 0.25;
    s.alpha = 0.5;
    s.showPose = false;
    s.showColorbar = false;
    s.showLabels = false;
    s.panelWidthMm = 30;
    s.dpi = 150;
    s.output = "out_{row}.pdf";
    s.overlay = ImageOverlay::Heatmap;
    s.wholeImage = true;
    s.context = 0.75;
    s.bands = "tiny=0:500,huge=500:1e10";
    s.gt = "annotations/person_keypoints_val.json";
    s.quantisationUnit = QuantisationUnit::Normalised;
    const FigureSpec t = parseFigureSpec(figureSpecJson(s), "spec.json");
    EXPECT_EQ(figureSpecJson(t), figureSpecJson(s));
    EXPECT_EQ(t.overlay, ImageOverlay::Heatmap);
    EXPECT_TRUE(t.wholeImage);
    EXPECT_DOUBLE_EQ(t.context, 0.75);
    EXPECT_EQ(t.bands, "tiny=0:500,huge=500:1e10");
    EXPECT_EQ(t.gt, "annotations/person_keypoints_val.json");
    EXPECT_EQ(t.quantisationUnit, QuantisationUnit::Normalised);
    s.kind = FigureKind::Image;
    EXPECT_EQ(parseFigureSpec(figureSpecJson(s), "spec.json").kind, FigureKind::Image);
    s.kind = FigureKind::Scales;
    const std::string scalesJson = figureSpecJson(s);
    EXPECT_NE(scalesJson.find("\"kind\": \"scales\""), std::string::npos) << scalesJson;
    EXPECT_NE(scalesJson.find("\"quantisation_unit\": \"normalised\""), std::string::npos) << scalesJson;
    EXPECT_EQ(figureSpecJson(parseFigureSpec(scalesJson, "spec.json")), scalesJson);
    EXPECT_EQ(parseFigureSpec(scalesJson, "spec.json").kind, FigureKind::Scales);
    EXPECT_EQ(t.rows, s.rows);
    EXPECT_EQ(t.direction, MapDirection::Affect);
    EXPECT_TRUE(t.usePoint);
    EXPECT_DOUBLE_EQ(t.pointX, 12.5);
    EXPECT_EQ(t.mhsaBlocks, (std::vector<int>{0, 2}));
    EXPECT_EQ(t.mhsaHead, 3);
    // Missing fields keep their defaults.
    const FigureSpec d = parseFigureSpec(R"({"run": "r.h5"})", "spec.json");
    EXPECT_EQ(d.kind, FigureKind::Dependencies);
    EXPECT_EQ(d.colormap, "viridis");
    EXPECT_EQ(d.rows, std::vector<int64_t>{0});
    EXPECT_EQ(d.bands, "");
    EXPECT_EQ(d.gt, "");
    EXPECT_EQ(d.quantisationUnit, QuantisationUnit::Pixels);
}

TEST(FigureSpec, ErrorsNameTheFileAndTheField) {
    auto message = [](const std::string& json) {
        try {
            parseFigureSpec(json, "fig.json");
        } catch (const FileError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_EQ(message(R"({"run": "r.h5", "colormap": "rainbow"})"), "fig.json: colormap: unknown colormap \"rainbow\"");
    EXPECT_NE(message(R"({"run": "r.h5", "rows": [1, "x"]})").find("fig.json: rows[1]"), std::string::npos);
    EXPECT_NE(message(R"({"rows": [1]})").find("run"), std::string::npos);
    EXPECT_NE(message(R"({"run": "r.h5", "kind": "movie"})").find("unknown kind"), std::string::npos);
    EXPECT_NE(message(R"({"run": "r.h5", "threshold": 2})").find("threshold"), std::string::npos);
    EXPECT_NE(message("{\"run\": ").find("fig.json"), std::string::npos);
    // Scales figures' fields.
    EXPECT_NE(message(R"({"run": "r.h5", "kind": "movie"})").find("pruning, scales"), std::string::npos);
    EXPECT_EQ(message(R"({"run": "r.h5", "kind": "scales", "bands": "small=0-1024"})"),
              "fig.json: bands: scale band 'small=0-1024': expected MIN:MAX (areas in pixels²) after '='");
    EXPECT_EQ(message(R"({"run": "r.h5", "bands": "all=0:10"})").rfind("fig.json: bands: ", 0), 0u);
    EXPECT_NE(message(R"({"run": "r.h5", "bands": 3})").find("fig.json: bands"), std::string::npos);
    const std::string unit = message(R"({"run": "r.h5", "quantisation_unit": "inches"})");
    EXPECT_NE(unit.find("fig.json: quantisation_unit"), std::string::npos) << unit;
    EXPECT_NE(unit.find("unknown quantisation unit \"inches\" (pixels or normalised)"), std::string::npos) << unit;
    EXPECT_NE(message(R"({"run": "r.h5", "gt": false})").find("fig.json: gt"), std::string::npos);
    EXPECT_EQ(message(R"({"run": "r.h5", "kind": "scales", "bands": "small=0:1024", "gt": "a.json"})"), "no error");
}

TEST(FigureSpec, RelativeRunPathsAreRelativeToTheSpec) {
    const std::string dir = test::outputPath("figure_spec_dir");
    std::filesystem::create_directories(dir);
    std::ofstream(dir + "/f.json") << R"({"run": "runs/a.h5"})";
    EXPECT_EQ(readFigureSpec(dir + "/f.json").run, dir + "/runs/a.h5");
    std::ofstream(dir + "/g.json") << R"({"run": "/abs/a.h5", "kind": "scales", "gt": "gt/val.json"})";
    EXPECT_EQ(readFigureSpec(dir + "/g.json").run, "/abs/a.h5");
    EXPECT_EQ(readFigureSpec(dir + "/g.json").gt, dir + "/gt/val.json");
    EXPECT_THROW(readFigureSpec(dir + "/missing.json"), FileError);
}

TEST(RunBrowser, MapsAgreeWithTheRecordedRowsAndTheAttention) {
    const auto run = RunBrowser::open(test::sharedRun());
    const RunReader reader = RunReader::open(test::sharedRun());
    const RunHeader& h = run->header();
    ASSERT_EQ(h.level, RunLevel::Full);
    ASSERT_GT(run->size(), 2);
    const int64_t row = 1;
    const RunSample s = reader.sample(row);
    for (int layer = 0; layer < h.layers; ++layer)
        for (int k : {0, 9}) {
            MapRequest q;
            q.layer = layer;
            q.keypoint = k;
            const GridMap recorded = run->dependencyMap(row, q);
            ASSERT_EQ(recorded.rows * recorded.cols, h.tokens());
            // The same row read from the whole attention matrices, via the keypoint's query token.
            q.token = s.queryTokens[static_cast<size_t>(k)];
            const GridMap fromAttention = run->dependencyMap(row, q);
            for (size_t i = 0; i < recorded.values.size(); ++i)
                ASSERT_NEAR(recorded.values[i], fromAttention.values[i], 2e-3) << layer << "/" << k << "/" << i;
            // Affect: the token's column of the head-averaged attention.
            q.direction = MapDirection::Affect;
            const GridMap affect = run->dependencyMap(row, q);
            torch::Tensor column = torch::zeros({h.tokens()});
            for (int head = 0; head < h.heads; ++head)
                column += reader.attention(row, layer, head).select(1, q.token);
            column /= h.heads;
            for (int i = 0; i < h.tokens(); ++i)
                ASSERT_NEAR(affect.values[static_cast<size_t>(i)], column[i].item<float>(), 1e-5);
        }
    // A crop point under the predicted keypoint picks the recorded query token.
    const SamplePose pose = run->pose(row);
    for (int k = 0; k < h.keypoints(); ++k) {
        const auto& p = pose.predicted[static_cast<size_t>(k)];
        const int token = run->tokenAt(p[0], p[1]);
        EXPECT_LE(std::abs(token - s.queryTokens[static_cast<size_t>(k)]), h.gridCols + 1) << k;
    }
    EXPECT_EQ(run->tokenAt(-5, -5), 0);
    EXPECT_EQ(run->tokenAt(1e6, 1e6), h.tokens() - 1);
}

TEST(RunBrowser, FactsAndLayerStatsFollowTheStoredKeypoints) {
    const auto run = RunBrowser::open(test::sharedRun());
    const RunReader reader = RunReader::open(test::sharedRun());
    const auto& facts = run->facts();
    ASSERT_EQ(static_cast<int64_t>(facts.size()), run->size());
    for (const SampleFacts& f : facts) {
        const RunSample s = reader.sample(f.row);
        EXPECT_EQ(f.imageId, s.imageId);
        EXPECT_EQ(f.annotationId, s.annotationId);
        int labelled = 0, occluded = 0;
        for (int k = 0; k < run->header().keypoints(); ++k) {
            labelled += s.groundTruth[3 * k + 2] > 0;
            occluded += s.groundTruth[3 * k + 2] == 1;
        }
        EXPECT_EQ(f.labelled, labelled);
        EXPECT_EQ(f.occluded, occluded);
        EXPECT_DOUBLE_EQ(f.boxArea, static_cast<double>(s.box[2]) * s.box[3]);
        if (labelled > 0) {
            EXPECT_GE(f.oks, 0);
            EXPECT_LE(f.oks, 1);
        }
    }
    const auto stats = run->layerStats(0, 9);
    ASSERT_EQ(static_cast<int>(stats.size()), run->header().layers);
    for (const LayerStats& s : stats) {
        EXPECT_GT(s.entropy, 0);
        EXPECT_LE(s.entropy, s.maxEntropy + 1e-3);
        EXPECT_FLOAT_EQ(s.maxEntropy, std::log2(static_cast<float>(run->header().tokens())));
    }
    EXPECT_THROW(run->layerStats(0, 99), FileError);
}

TEST(Figure, WritesPngSvgAndPdfOfTheLaidOutSize) {
    ensureGuiApplication();
    const auto run = RunBrowser::open(test::sharedRun());
    const FigureRenderer renderer(*run);
    FigureSpec spec;
    spec.run = run->path();
    spec.keypoints = {0, 9};
    spec.dpi = 144;
    const FigureLayout lay = renderer.layout(spec);
    ASSERT_EQ(lay.panels.size(), static_cast<size_t>(run->header().layers * 3));  // pose + 2 keypoints per layer
    const std::string png = test::outputPath("figure.png"), svg = test::outputPath("figure.svg"),
                      pdf = test::outputPath("figure.pdf");
    renderer.write(spec, 0, png);
    renderer.write(spec, 0, svg);
    renderer.write(spec, 0, pdf);
    QImage image(QString::fromStdString(png));
    ASSERT_FALSE(image.isNull());
    EXPECT_EQ(image.width(), static_cast<int>(std::ceil(lay.width * 2)));
    EXPECT_EQ(image.height(), static_cast<int>(std::ceil(lay.height * 2)));
    EXPECT_NEAR(image.dotsPerMeterX() * 0.0254, 144, 0.5);
    const std::string s = slurp(svg);
    EXPECT_EQ(s.rfind("<?xml", 0), 0u);
    EXPECT_NE(s.find("<svg"), std::string::npos);
    EXPECT_NE(s.find("</svg>"), std::string::npos);
    EXPECT_NE(s.find("<image"), std::string::npos);   // crops and maps
    EXPECT_NE(s.find("layer 1"), std::string::npos);  // labels are text, not pixels
    EXPECT_NE(s.find("left wrist"), std::string::npos);
    const std::string p = slurp(pdf);
    EXPECT_EQ(p.rfind("%PDF-", 0), 0u);
    EXPECT_NE(p.find("%%EOF"), std::string::npos);
    EXPECT_THROW(renderer.write(spec, 0, test::outputPath("figure.bmp")), FileError);
    EXPECT_THROW(renderer.write(spec, 0, test::outputPath("no_such_folder/figure.png")), FileError);
}

namespace {

// Draws `spec` (one keypoint, grey, opaque, one pixel per crop pixel) for `row` and checks that in
// its first panel cell centres away from the query's star are brightest at the map's strongest
// token and near black at its weakest (per-panel min–max).
void expectBrightestOnStrongest(const RunBrowser& run, FigureSpec spec, int64_t row, const GridMap& map, int keypoint,
                                const std::string& png, size_t panels = 1) {
    const FigureRenderer renderer(run);
    const RunHeader& h = run.header();
    spec.run = run.path();
    spec.keypoints = {keypoint};
    spec.showPose = false;
    spec.showColorbar = false;
    spec.colormap = "gray";
    spec.alpha = 1;
    spec.dpi = 72;
    spec.panelWidthMm = h.inputWidth * 25.4 / 72;
    renderer.write(spec, row, png);
    const QImage image(QString::fromStdString(png));
    const FigureLayout lay = renderer.layout(spec);
    ASSERT_EQ(lay.panels.size(), panels);
    const FigurePanel panel = lay.panels.at(0);  // the first row's
    const auto& query = run.pose(row).predicted[static_cast<size_t>(keypoint)];
    const double cell = static_cast<double>(h.inputWidth) / map.cols;
    int brightest = -1, darkest = -1, high = -1, low = 256;
    float most = -1, least = 2;
    const auto value = [&](int t) { return map.values[static_cast<size_t>(t)]; };
    for (int t = 0; t < h.tokens(); ++t) {
        const double x = (t % map.cols + 0.5) * cell, y = (t / map.cols + 0.5) * cell;
        if (std::hypot(x - query[0], y - query[1]) < 14) continue;
        const int v = image.pixelColor(static_cast<int>(panel.x + x), static_cast<int>(panel.y + y)).red();
        if (v > high) high = v, brightest = t;
        if (v < low) low = v, darkest = t;
        most = std::max(most, value(t));
        least = std::min(least, value(t));
    }
    // Bilinear upsampling mixes in a little of the neighbours: near the extremes, not exactly them.
    EXPECT_GE(value(brightest), least + 0.9f * (most - least)) << "token " << brightest;
    EXPECT_LE(value(darkest), least + 0.1f * (most - least)) << "token " << darkest;
    EXPECT_GE(high, 180);
    EXPECT_LE(low, 60);
}

}  // namespace

TEST(Figure, TheBrightestPanelPixelLiesOnTheStrongestToken) {
    ensureGuiApplication();
    const auto run = RunBrowser::open(test::sharedRun());
    FigureSpec spec;
    spec.layers = {run->header().layers - 1};
    MapRequest q;
    q.layer = run->header().layers - 1;
    q.keypoint = 5;
    expectBrightestOnStrongest(*run, spec, 2, run->dependencyMap(2, q), 5, test::outputPath("figure_gray.png"));
}

TEST(Figure, BTransposeFiguresAddTheirBotMhsaRowsAboveTheLayers) {
    ensureGuiApplication();
    const auto run = RunBrowser::open(test::sharedBTransposeRun());
    const RunHeader& h = run->header();
    const FigureRenderer renderer(*run);
    FigureSpec spec;
    spec.run = run->path();
    spec.keypoints = {0, 9};
    spec.mhsaBlocks = {0};
    const FigureLayout lay = renderer.layout(spec);
    ASSERT_EQ(lay.panels.size(), static_cast<size_t>((1 + h.layers) * 3));  // pose + 2 keypoints per row
    EXPECT_EQ(lay.panels[1].layer, -3);
    EXPECT_EQ(lay.panels[1].mhsaBlock, 0);
    EXPECT_EQ(lay.panels[4].layer, 0);
    EXPECT_EQ(lay.panels[4].mhsaBlock, -1);
    const std::string svg = test::outputPath("figure_btranspose.svg");
    renderer.write(spec, 0, svg);
    const std::string text = slurp(svg);
    EXPECT_NE(text.find("MHSA 1"), std::string::npos);
    EXPECT_NE(text.find("layer 2"), std::string::npos);
    // The MHSA panel (above layer 1's) shows the MHSA's map, here its head 2.
    FigureSpec mhsa;
    mhsa.layers = {0};
    mhsa.mhsaBlocks = {0};
    mhsa.mhsaHead = 2;
    MapRequest q;
    q.mhsaBlock = 0;
    q.head = 2;
    q.keypoint = 9;
    expectBrightestOnStrongest(*run, mhsa, 1, run->dependencyMap(1, q), 9, test::outputPath("figure_mhsa_gray.png"), 2);
    spec.mhsaBlocks = {1};
    EXPECT_THROW(renderer.layout(spec), Error);
    spec.mhsaBlocks = {0};
    spec.mhsaHead = 4;
    EXPECT_THROW(renderer.layout(spec), Error);
}

TEST(Figure, SpecsThatDoNotFitTheRunAreRefused) {
    ensureGuiApplication();
    const auto run = RunBrowser::open(test::sharedRun());
    const FigureRenderer renderer(*run);
    FigureSpec spec;
    spec.run = run->path();
    spec.layers = {run->header().layers};
    EXPECT_THROW(renderer.layout(spec), Error);
    spec.layers = {};
    spec.keypoints = {17};
    EXPECT_THROW(renderer.layout(spec), Error);
    spec.keypoints = {};
    spec.rows = {run->size()};
    EXPECT_THROW(renderer.layout(spec), Error);
    EXPECT_EQ(figureOutputPath(spec, 7, "a/fig.png"), "a/fig.png");
    spec.rows = {1, 2};
    EXPECT_EQ(figureOutputPath(spec, 7, "a/fig.png"), "a/fig_7.png");
    spec.output = "b/{row}.svg";
    EXPECT_EQ(figureOutputPath(spec, 7, "a/fig.png"), "b/7.svg");
}

TEST(DatasetBrowser, ListsThePersonsARunRecordsWithTheirGroundTruth) {
    ensureGuiApplication();
    const auto run = RunBrowser::open(test::sharedRun());
    const auto data = DatasetBrowser::open(run->header().dataset, run->header().images);
    ASSERT_EQ(data->size(), run->size());  // the same official selection
    EXPECT_EQ(data->header().keypointNames, run->header().keypointNames);
    EXPECT_EQ(data->header().skeleton, run->header().skeleton);
    EXPECT_EQ(data->header().layers, 0);
    for (int64_t row = 0; row < data->size(); ++row) {
        const SampleFacts &a = data->facts()[static_cast<size_t>(row)], &b = run->facts()[static_cast<size_t>(row)];
        EXPECT_EQ(a.imageId, b.imageId);
        EXPECT_EQ(a.annotationId, b.annotationId);
        EXPECT_EQ(a.labelled, b.labelled);
        EXPECT_EQ(a.occluded, b.occluded);
        EXPECT_NEAR(a.boxArea, b.boxArea, 1e-3 * b.boxArea + 1e-3);
        const SamplePose pa = data->pose(row), pb = run->pose(row);
        EXPECT_TRUE(pa.predicted.empty());
        for (size_t k = 0; k < pa.groundTruth.size(); ++k)
            if (pb.groundTruth[k][2] > 0) {
                EXPECT_NEAR(pa.groundTruth[k][0], pb.groundTruth[k][0], 1e-2);
                EXPECT_NEAR(pa.groundTruth[k][1], pb.groundTruth[k][1], 1e-2);
            }
        // The crop the model saw (the run stores it as JPEG).
        const cv::Mat ca = data->crop(row), cb = run->crop(row);
        ASSERT_EQ(ca.size(), cb.size());
        EXPECT_LT(cv::norm(ca, cb, cv::NORM_L1) / ca.total() / 3, 6.0);
    }
    // Pose figures draw from a dataset; the others need a run and say so.
    const FigureRenderer renderer(*data);
    FigureSpec spec;
    spec.run = data->path();
    spec.kind = FigureKind::Pose;
    renderer.write(spec, 1, test::outputPath("dataset_pose.png"));
    spec.kind = FigureKind::Dependencies;
    try {
        renderer.layout(spec);
        FAIL() << "a dependency figure of a dataset";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("record a run"), std::string::npos) << e.what();
    }
    EXPECT_THROW(data->pose(data->size()), FileError);
    EXPECT_THROW(DatasetBrowser::open(test::outputPath("nope.json"), "."), FileError);
}

TEST(RunBrowser, FindsTheOriginalImageThroughItsDataset) {
    const auto run = RunBrowser::open(test::sharedRun());
    const auto data = DatasetBrowser::open(run->header().dataset, run->header().images);
    for (int64_t row : {int64_t{0}, run->size() - 1}) {
        EXPECT_EQ(run->imagePath(row), data->imagePath(row));
        const cv::Mat image = run->image(row);
        ASSERT_EQ(image.type(), CV_8UC3);
        EXPECT_EQ(cv::norm(image, data->image(row), cv::NORM_INF), 0);
        // The stored transform carries the image onto the stored crop (JPEG-close), and equals
        // the dataset's own.
        const auto t = run->cropTransform(row), d = data->cropTransform(row);
        for (size_t i = 0; i < 6; ++i)
            EXPECT_NEAR(t[i], d[i], 1e-4 * (1 + std::abs(d[i])));
        const cv::Mat m = (cv::Mat_<double>(2, 3) << t[0], t[1], t[2], t[3], t[4], t[5]);
        cv::Mat warped;
        const cv::Mat crop = run->crop(row);
        cv::warpAffine(image, warped, m, crop.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT);
        EXPECT_LT(cv::norm(warped, crop, cv::NORM_L1) / crop.total() / 3, 6.0);
    }
    EXPECT_THROW(run->imagePath(run->size()), FileError);
}

TEST(RunBrowser, ARunWhoseDatasetMovedStillShowsItsCropsAndSaysWhatIsMissing) {
    namespace fs = std::filesystem;
    const std::string dir = test::outputPath("moved_dataset_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    SynthOptions s;
    s.split = "val";
    s.numImages = 1;
    s.seed = 5;
    s.threads = 1;
    s.outputDir = dir + "/data";
    generateSynthPose(s);
    RecordOptions o;
    o.config = test::smallTransposeR();
    o.checkpoint = test::officialPath("transpose_r_small.pth");
    o.dataset = dir + "/data/annotations/person_keypoints_val.json";
    o.images = dir + "/data/images/val";
    o.out = dir + "/run.h5";
    recordRun(o);
    fs::rename(dir + "/data", dir + "/elsewhere");
    const auto run = RunBrowser::open(o.out);
    ASSERT_GT(run->size(), 0);
    EXPECT_EQ(run->crop(0).cols, run->header().inputWidth);  // the crop is in the run
    try {
        (void)run->image(0);
        FAIL() << "the image of a run whose dataset moved";
    } catch (const FileError& e) {
        EXPECT_EQ(e.file(), o.out);
        EXPECT_NE(e.problem().find("person_keypoints_val.json"), std::string::npos) << e.what();
    }
    ensureGuiApplication();
    const FigureRenderer renderer(*run);
    FigureSpec spec;
    spec.run = o.out;
    spec.kind = FigureKind::Image;
    EXPECT_THROW(renderer.layout(spec), FileError);
    spec.kind = FigureKind::Pose;
    EXPECT_NO_THROW(renderer.layout(spec));
    fs::remove_all(dir);
}

namespace {

// The figure point of a crop point through a panel's figure → crop map (inverted).
std::array<double, 2> figureOf(const FigurePanel& panel, double cx, double cy) {
    const auto& t = panel.toCrop;
    const double det = t[0] * t[4] - t[1] * t[3];
    const double x = cx - t[2], y = cy - t[5];
    return {(t[4] * x - t[1] * y) / det, (-t[3] * x + t[0] * y) / det};
}

}  // namespace

TEST(Figure, ImageFiguresShowTheOriginalImageWithTheMapCarriedBackFromTheCrop) {
    ensureGuiApplication();
    const auto run = RunBrowser::open(test::sharedRun());
    const RunHeader& h = run->header();
    const FigureRenderer renderer(*run);
    const int64_t row = 1;
    const cv::Mat image = run->image(row);
    const auto t = run->cropTransform(row);
    FigureSpec spec;
    spec.run = run->path();
    spec.rows = {row};
    spec.kind = FigureKind::Image;
    spec.showPose = false;
    spec.showColorbar = false;
    spec.alpha = 1;
    spec.dpi = 72;
    FigureLayout lay = renderer.layout(spec);
    ASSERT_EQ(lay.panels.size(), 1u);
    // Two figure points (PNG pixels at 72 dpi) per crop pixel, so the map's detail shows.
    spec.panelWidthMm *= lay.panels[0].toCrop[0] / 0.5;
    lay = renderer.layout(spec);
    const FigurePanel panel = lay.panels[0];
    EXPECT_NEAR(panel.toCrop[0], 0.5, 1e-6);
    // The crop's corners lie inside the panel (the region has a margin around them).
    for (const auto& [cx, cy] : {std::pair<double, double>{0, 0}, {h.inputWidth, h.inputHeight}}) {
        const auto f = figureOf(panel, cx, cy);
        EXPECT_GT(f[0], panel.x);
        EXPECT_LT(f[0], panel.x + panel.width);
        EXPECT_GT(f[1], panel.y);
        EXPECT_LT(f[1], panel.y + panel.height);
    }
    const std::string plain = test::outputPath("image_plain.png"), over = test::outputPath("image_heat.png");
    renderer.write(spec, row, plain);
    spec.overlay = ImageOverlay::Heatmap;
    spec.keypoints = {0};
    renderer.write(spec, row, over);
    const FigurePanel under = renderer.layout(spec).panels.at(0);  // below the overlay's title
    const int dy = static_cast<int>(std::lround(under.y - panel.y));
    EXPECT_GT(dy, 0);
    EXPECT_EQ(under.x, panel.x);
    const QImage a(QString::fromStdString(plain)), b(QString::fromStdString(over));
    ASSERT_FALSE(a.isNull());
    ASSERT_FALSE(b.isNull());
    // The image pixel under a figure point: figure → crop → image.
    const double det = t[0] * t[4] - t[1] * t[3];
    auto imagePixel = [&](double fx, double fy) {
        const auto& m = panel.toCrop;
        const double cx = m[0] * fx + m[1] * fy + m[2] - t[2], cy = m[3] * fx + m[4] * fy + m[5] - t[5];
        const int ix = static_cast<int>(std::lround((t[4] * cx - t[1] * cy) / det));
        const int iy = static_cast<int>(std::lround((-t[3] * cx + t[0] * cy) / det));
        return image.at<cv::Vec3b>(std::clamp(iy, 0, image.rows - 1), std::clamp(ix, 0, image.cols - 1));
    };
    // Outside the crop's area (a corner of the margin) both figures show the image itself …
    const int ox = static_cast<int>(panel.x + 2.5), oy = static_cast<int>(panel.y + 2.5);
    const cv::Vec3b want = imagePixel(ox + 0.5, oy + 0.5);
    EXPECT_NEAR(a.pixelColor(ox, oy).red(), want[0], 12);
    EXPECT_NEAR(a.pixelColor(ox, oy).green(), want[1], 12);
    EXPECT_NEAR(a.pixelColor(ox, oy).blue(), want[2], 12);
    EXPECT_EQ(a.pixel(ox, oy), b.pixel(ox, oy + dy));
    // … and at the heatmap's peak, carried from the crop to the image, the overlay's top colour.
    const GridMap heat = run->heatmap(row, 0);
    int peak = 0;
    for (size_t i = 0; i < heat.values.size(); ++i)
        if (heat.values[i] > heat.values[static_cast<size_t>(peak)]) peak = static_cast<int>(i);
    const double sx = static_cast<double>(h.inputWidth) / heat.cols;
    const auto f = figureOf(under, (peak % heat.cols + 0.5) * sx - 0.5, (peak / heat.cols + 0.5) * sx - 0.5);
    // Bilinear upsampling to the crop's pixels softens a one-cell peak: the top colour is that of
    // the largest value at crop resolution.
    cv::Mat cropMap;
    cv::resize(cv::Mat(heat.rows, heat.cols, CV_32F, const_cast<float*>(heat.values.data())), cropMap,
               cv::Size(h.inputWidth, h.inputHeight), 0, 0, cv::INTER_LINEAR);
    double cropMax = 0;
    cv::minMaxLoc(cropMap, nullptr, &cropMax);
    const Rgb8 top = colormap(spec.colormap).at((cropMax - heat.minValue()) / (heat.maxValue() - heat.minValue()));
    QColor got(0, 0, 0);  // the brightest pixel within 3 of there (the peak is sharp; pixels are whole)
    for (int y = static_cast<int>(f[1]) - 3; y <= static_cast<int>(f[1]) + 3; ++y)
        for (int x = static_cast<int>(f[0]) - 3; x <= static_cast<int>(f[0]) + 3; ++x)
            if (b.pixelColor(x, y).red() > got.red()) got = b.pixelColor(x, y);
    EXPECT_NEAR(got.red(), top.r, 40);
    EXPECT_NEAR(got.green(), top.g, 40);
    EXPECT_NEAR(got.blue(), top.b, 40);
    EXPECT_NE(a.pixel(static_cast<int>(f[0]), static_cast<int>(f[1]) - dy), got.rgb());
    // Whole image: the panel covers the image's aspect ratio; dependency overlays need a keypoint
    // or a point, and work on a dataset only without an overlay.
    spec.wholeImage = true;
    spec.overlay = ImageOverlay::Dependency;
    lay = renderer.layout(spec);
    EXPECT_NEAR(lay.panels[0].height / lay.panels[0].width, static_cast<double>(image.rows) / image.cols, 1e-9);
    EXPECT_EQ(lay.panels[0].layer, h.layers - 1);
    renderer.write(spec, row, test::outputPath("image_whole.svg"));
    const auto data = DatasetBrowser::open(h.dataset, h.images);
    const FigureRenderer fromData(*data);
    EXPECT_THROW(fromData.layout(spec), Error);
    spec.overlay = ImageOverlay::None;
    EXPECT_NO_THROW(fromData.write(spec, row, test::outputPath("image_dataset.pdf")));
}

TEST(Figure, ImageFiguresOfOcclusionRunsShowAKeypointsSensitivityOverTheImage) {
    ensureGuiApplication();
    const auto run = RunBrowser::open(test::sharedOcclusionRun());
    const RunHeader& h = run->header();
    const FigureRenderer renderer(*run);
    const int64_t row = 2;
    const int k = 9;
    FigureSpec spec;
    spec.run = run->path();
    spec.rows = {row};
    spec.kind = FigureKind::Image;
    spec.overlay = ImageOverlay::Sensitivity;
    spec.measure = SensitivityMeasure::Displacement;
    spec.keypoints = {k};
    spec.showPose = false;
    spec.showColorbar = false;
    spec.alpha = 1;
    spec.dpi = 72;
    spec.colormap = "viridis";
    const FigurePanel panel = renderer.layout(spec).panels.at(0);
    const std::string png = test::outputPath("image_sensitivity.png");
    renderer.write(spec, row, png);
    const QImage img(QString::fromStdString(png));
    ASSERT_FALSE(img.isNull());
    // Where the map is largest (crop pixels), carried to the image, the colormap's top colour; where
    // it is smallest, its bottom one.
    const GridMap map = run->sensitivityMap(row, k, SensitivityMeasure::Displacement);
    ASSERT_EQ(map.cols, h.inputWidth);
    ASSERT_GT(map.maxValue(), map.minValue());
    for (const bool top : {true, false}) {
        size_t at = 0;
        for (size_t i = 0; i < map.values.size(); ++i)
            if (top ? map.values[i] > map.values[at] : map.values[i] < map.values[at]) at = i;
        const auto f = figureOf(panel, static_cast<double>(at % static_cast<size_t>(map.cols)),
                                static_cast<double>(at / static_cast<size_t>(map.cols)));
        const Rgb8 want = colormap("viridis").at(top ? 1.0 : 0.0);
        int best = 1 << 30;  // the closest pixel within 2 (window maps are blocks; pixels are whole)
        for (int y = static_cast<int>(f[1]) - 2; y <= static_cast<int>(f[1]) + 2; ++y)
            for (int x = static_cast<int>(f[0]) - 2; x <= static_cast<int>(f[0]) + 2; ++x) {
                const QColor c = img.pixelColor(x, y);
                best = std::min(
                    best, std::abs(c.red() - want.r) + std::abs(c.green() - want.g) + std::abs(c.blue() - want.b));
            }
        EXPECT_LT(best, 30) << (top ? "top" : "bottom");
    }
    const std::string svg = test::outputPath("image_sensitivity.svg");
    renderer.write(spec, row, svg);
    EXPECT_NE(slurp(svg).find("sensitivity · left wrist · displacement"), std::string::npos);
    EXPECT_EQ(parseFigureSpec(figureSpecJson(spec), "s.json").overlay, ImageOverlay::Sensitivity);
    // A run without an occlusion analysis is refused, naming it.
    const auto plain = RunBrowser::open(test::sharedRun());
    spec.run = plain->path();
    EXPECT_THROW(FigureRenderer(*plain).layout(spec), RunFormatError);
}

TEST(RunBrowser, PptRunsGiveTheTokensAliveInEachLayer) {
    const auto run = RunBrowser::open(test::sharedPptRun());
    ASSERT_TRUE(run->hasPruning());
    const TokenPruning p = run->tokenPruning(0);
    ASSERT_EQ(p.layers, (std::vector<int>{3, 6, 9}));
    auto count = [&](int layer) {
        const auto alive = p.aliveAt(layer);
        return static_cast<int>(std::count(alive.begin(), alive.end(), 1));
    };
    EXPECT_EQ(count(0), 256);
    EXPECT_EQ(count(3), 256);  // layer 4's attention still sees every token; it prunes after it
    EXPECT_EQ(count(4), 180);
    EXPECT_EQ(count(7), 126);
    EXPECT_EQ(count(11), 89);
    // The error curve counts every labelled keypoint of the run once.
    int64_t labelled = 0;
    for (const SampleFacts& f : run->facts())
        labelled += f.labelled;
    const auto bins = run->pruningError({});
    int64_t counted = 0;
    for (const PruningErrorBin& b : bins) {
        counted += b.count;
        EXPECT_EQ(std::isnan(b.meanError), b.count == 0);
    }
    EXPECT_EQ(counted, labelled);
    EXPECT_EQ(bins.front().shareFrom, 0);
    EXPECT_EQ(bins.back().shareTo, 1);
    // A TransPose run has no pruning, and says so.
    EXPECT_THROW(RunBrowser::open(test::sharedRun())->pruningError({}), FileError);
    EXPECT_TRUE(RunBrowser::open(test::sharedRun())->tokenPruning(0).empty());
}

TEST(Figure, TokenFiguresDarkenPrunedPatchesAndKeepTheRest) {
    ensureGuiApplication();
    const auto run = RunBrowser::open(test::sharedPptRun());
    const RunHeader& h = run->header();
    const FigureRenderer renderer(*run);
    FigureSpec spec;
    spec.run = run->path();
    spec.kind = FigureKind::Tokens;
    spec.rows = {1};
    spec.alpha = 0;  // no score tint: kept patches show the crop as it is
    spec.showColorbar = false;
    spec.dpi = 72;
    spec.panelWidthMm = h.inputWidth * 25.4 / 72 / 1.5;  // one PNG pixel per crop pixel
    const FigureLayout lay = renderer.layout(spec);
    ASSERT_EQ(lay.panels.size(), 3u);  // one per pruning stage
    EXPECT_EQ(lay.panels[0].layer, 4);
    EXPECT_EQ(lay.panels[2].layer, 10);
    const std::string png = test::outputPath("tokens.png");
    renderer.write(spec, 1, png);
    ASSERT_FALSE(QImage(QString::fromStdString(png)).isNull());
    // The last layer alone, against layer 1 (nothing pruned yet) drawn at the same place.
    spec.layers = {10};
    renderer.write(spec, 1, test::outputPath("tokens_last.png"));
    spec.layers = {0};
    renderer.write(spec, 1, test::outputPath("tokens_first.png"));
    const QImage last(QString::fromStdString(test::outputPath("tokens_last.png"))),
        first(QString::fromStdString(test::outputPath("tokens_first.png")));
    const FigurePanel panel = renderer.layout(spec).panels.at(0);
    const SamplePose pose = run->pose(1);
    const auto alive = run->tokenPruning(1).aliveAt(10);
    const double cw = static_cast<double>(h.inputWidth) / h.gridCols,
                 ch = static_cast<double>(h.inputHeight) / h.gridRows;
    int keptSeen = 0, prunedSeen = 0;
    for (int t = 0; t < h.tokens(); ++t) {
        const double x = (t % h.gridCols + 0.5) * cw, y = (t / h.gridCols + 0.5) * ch;
        bool nearKeypoint = false;
        for (const auto& g : pose.groundTruth)
            nearKeypoint = nearKeypoint || (g[2] > 0 && std::hypot(g[0] - x, g[1] - y) < 8);
        if (nearKeypoint) continue;
        const int px = static_cast<int>(panel.x + x), py = static_cast<int>(panel.y + y);
        const QColor a = last.pixelColor(px, py), b = first.pixelColor(px, py);
        if (alive[static_cast<size_t>(t)]) {
            EXPECT_EQ(a, b) << "kept token " << t;
            ++keptSeen;
        } else {
            EXPECT_NEAR(a.red(), b.red() * 85 / 255, 2) << "pruned token " << t;
            EXPECT_NEAR(a.green(), b.green() * 85 / 255, 2) << "pruned token " << t;
            ++prunedSeen;
        }
    }
    EXPECT_GT(keptSeen, 40);
    EXPECT_GT(prunedSeen, 40);
    // The run-level plot, and a TransPose run refused with what to record instead.
    spec.kind = FigureKind::Pruning;
    renderer.write(spec, 0, test::outputPath("pruning.svg"));
    EXPECT_NE(slurp(test::outputPath("pruning.svg")).find("pruned neighbourhood"), std::string::npos);
    const auto transpose = RunBrowser::open(test::sharedRun());
    try {
        FigureRenderer(*transpose).layout(spec);
        FAIL() << "a pruning figure of a TransPose run";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("token-pruning model (PPT)"), std::string::npos) << e.what();
    }
}

namespace {

std::string refusal(const std::function<void()>& f) {
    try {
        f();
    } catch (const FileError& e) {
        return e.what();
    } catch (const std::exception& e) {
        return std::string("not a FileError: ") + e.what();
    }
    return "accepted";
}

}  // namespace

TEST(Figure, ScalesFiguresPlotTheRunsAccuracyBySizeAndTheDecoderError) {
    ensureGuiApplication();
    const auto run = RunBrowser::open(test::sharedRun());
    const FigureRenderer renderer(*run);
    FigureSpec spec;
    spec.kind = FigureKind::Scales;
    spec.run = run->path();
    spec.dpi = 100;
    const FigureLayout lay = renderer.layout(spec);
    EXPECT_TRUE(lay.panels.empty());   // plots over the run, no sample panels
    EXPECT_GT(lay.height, lay.width);  // three plots, one above the other
    const std::string png = test::outputPath("scales.png"), svg = test::outputPath("scales.svg"),
                      pdf = test::outputPath("scales.pdf");
    for (const std::string& out : {png, svg, pdf}) {
        std::filesystem::remove(out);
        renderer.write(spec, 0, out);
    }
    const QImage image(QString::fromStdString(png));
    ASSERT_FALSE(image.isNull());
    EXPECT_EQ(image.width(), static_cast<int>(std::ceil(lay.width * 100 / 72.0)));
    EXPECT_EQ(image.height(), static_cast<int>(std::ceil(lay.height * 100 / 72.0)));
    EXPECT_NEAR(image.dotsPerMeterX() * 0.0254, 100, 0.5);
    // The bars and lines are drawn in tab10's colours (AP blue, AP50 orange, AP75 green).
    int blue = 0, orange = 0;
    for (int y = 0; y < image.height(); ++y)
        for (int x = 0; x < image.width(); ++x) {
            const QColor c = image.pixelColor(x, y);
            blue += c == QColor(31, 119, 180);
            orange += c == QColor(255, 127, 14);
        }
    EXPECT_GT(blue, 100);
    EXPECT_GT(orange, 100);
    const std::string text = slurp(svg);
    EXPECT_EQ(text.rfind("<?xml", 0), 0u);
    EXPECT_NE(text.find("</svg>"), std::string::npos);
    EXPECT_EQ(text.find("<image"), std::string::npos);  // vectors and text only
    const RunScaleAnalysis want = analyseRunScales(run->path());
    for (const BandAccuracy& b : want.accuracy) {  // the bands and their persons, as text
        EXPECT_NE(text.find(">" + b.band.label + "<"), std::string::npos) << b.band.label;
        if (b.ap >= 0) {
            EXPECT_NE(text.find(QString::number(b.ap, 'f', 2).toStdString()), std::string::npos) << b.band.label;
        }
    }
    EXPECT_NE(text.find(std::to_string(want.accuracy.front().persons) + " person"), std::string::npos);
    for (const char* word : {"AP50", "AP75", "left wrist", "argmax+quarter", "dark", "simcc", "log scale",
                             "mean error (image px)", "error ÷ sqrt(area)"})
        EXPECT_NE(text.find(word), std::string::npos) << word;
    const std::string p = slurp(pdf);
    EXPECT_EQ(p.rfind("%PDF-", 0), 0u);
    EXPECT_NE(p.find("%%EOF"), std::string::npos);

    // Own bands, the error relative to the height, the annotation file named explicitly.
    spec.bands = "tiny=0:3000,big=3000:1e10";
    spec.quantisationUnit = QuantisationUnit::Normalised;
    spec.gt = run->header().dataset;
    const std::string own = test::outputPath("scales_own_bands.svg");
    renderer.write(spec, 0, own);
    const std::string ownText = slurp(own);
    EXPECT_NE(ownText.find(">tiny<"), std::string::npos);
    EXPECT_NE(ownText.find(">big<"), std::string::npos);
    EXPECT_EQ(ownText.find(">medium<"), std::string::npos);
    EXPECT_NE(ownText.find("mean error (% of height)"), std::string::npos);

    // Data computed elsewhere (the workbench's Scales tab) is drawn for specs of its bands and gt.
    FigureRenderer seeded(*run);
    FigureSpec plain;
    plain.kind = FigureKind::Scales;
    plain.run = run->path();
    ScaleFigureData data = scaleFigureData(*run, plain);
    EXPECT_EQ(data.scales.accuracy.size(), want.accuracy.size());
    EXPECT_EQ(data.scales.accuracy.front().ap, want.accuracy.front().ap);
    data.scales.samples = 4242;
    seeded.setScaleData(plain, data);
    seeded.write(plain, 0, test::outputPath("scales_seeded.svg"));
    EXPECT_NE(slurp(test::outputPath("scales_seeded.svg")).find("4242 samples"), std::string::npos);
    plain.bands = "tiny=0:3000";  // other bands: computed again
    seeded.write(plain, 0, test::outputPath("scales_seeded.svg"));
    EXPECT_EQ(slurp(test::outputPath("scales_seeded.svg")).find("4242 samples"), std::string::npos);

    // A missing annotation file is named; a bad band string built in code is refused.
    const std::string missing = test::outputPath("scales_no_such_dir/person_keypoints_val.json");
    spec.gt = missing;
    const std::string gone = test::outputPath("scales_gone.png");
    std::filesystem::remove(gone);
    const std::string why = refusal([&] { renderer.write(spec, 0, gone); });
    EXPECT_EQ(why.rfind(missing + ": ", 0), 0u) << why;
    EXPECT_FALSE(std::filesystem::exists(gone));
    spec.gt.clear();
    spec.bands = "small";
    EXPECT_THROW(renderer.layout(spec), Error);
}

TEST(Figure, ScalesFiguresRefuseRunsWithoutPersonAreas) {
    ensureGuiApplication();
    const std::string mpii = test::runCopyWith(test::sharedRun(), "figure_scales_mpii_run.h5", "dataset_kind", "mpii");
    const auto run = RunBrowser::open(mpii);
    const FigureRenderer renderer(*run);
    FigureSpec spec;
    spec.kind = FigureKind::Scales;
    spec.run = mpii;
    const std::string want =
        mpii + ": is an MPII run; the scale analysis needs COCO-format ground truth (person areas)";
    EXPECT_EQ(refusal([&] { renderer.layout(spec); }), want);
    const std::string out = test::outputPath("figure_scales_mpii.pdf");
    std::filesystem::remove(out);
    EXPECT_EQ(refusal([&] { renderer.write(spec, 0, out); }), want);
    EXPECT_FALSE(std::filesystem::exists(out));
    EXPECT_EQ(refusal([&] { scaleFigureData(*run, spec); }), want);
    // A dataset has no model results.
    const RunHeader h = RunBrowser::open(test::sharedRun())->header();
    const auto dataset = DatasetBrowser::open(h.dataset, h.images);
    EXPECT_THROW(FigureRenderer(*dataset).layout(spec), Error);
}

// ---- Occlusion runs: sensitivity, targeted and occlusion figures --------------------------------

TEST(FigureSpec, OcclusionFieldsRoundTripThroughJson) {
    FigureSpec s;
    s.kind = FigureKind::Sensitivity;
    s.run = "occ.h5";
    s.measure = SensitivityMeasure::OksDrop;
    s.runs = {"other model.h5", "/abs/third.h5"};
    const std::string json = figureSpecJson(s);
    EXPECT_NE(json.find("\"kind\": \"sensitivity\""), std::string::npos) << json;
    EXPECT_NE(json.find("\"measure\": \"oks\""), std::string::npos) << json;
    EXPECT_NE(json.find("\"runs\": [\"other model.h5\", \"/abs/third.h5\"]"), std::string::npos) << json;
    const FigureSpec t = parseFigureSpec(json, "spec.json");
    EXPECT_EQ(figureSpecJson(t), json);
    EXPECT_EQ(t.kind, FigureKind::Sensitivity);
    EXPECT_EQ(t.measure, SensitivityMeasure::OksDrop);
    EXPECT_EQ(t.runs, s.runs);
    for (FigureKind k : {FigureKind::Targeted, FigureKind::Occlusion}) {
        s.kind = k;
        EXPECT_EQ(parseFigureSpec(figureSpecJson(s), "spec.json").kind, k) << figureKindName(k);
    }
    EXPECT_EQ(figureKindName(FigureKind::Targeted), "targeted");
    EXPECT_EQ(figureKindName(FigureKind::Occlusion), "occlusion");
    s.measure = SensitivityMeasure::Displacement;
    EXPECT_EQ(parseFigureSpec(figureSpecJson(s), "spec.json").measure, SensitivityMeasure::Displacement);
    // Defaults: the score drop, no further runs.
    const FigureSpec d = parseFigureSpec(R"({"run": "r.h5", "kind": "occlusion"})", "spec.json");
    EXPECT_EQ(d.measure, SensitivityMeasure::ScoreDrop);
    EXPECT_TRUE(d.runs.empty());
    // Bad fields are named with the file.
    auto message = [](const std::string& json) {
        try {
            parseFigureSpec(json, "fig.json");
        } catch (const FileError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    const std::string measure = message(R"({"run": "r.h5", "kind": "sensitivity", "measure": "area"})");
    EXPECT_EQ(measure.rfind("fig.json: measure", 0), 0u) << measure;
    EXPECT_NE(measure.find("unknown measure \"area\" (score, displacement or oks)"), std::string::npos) << measure;
    EXPECT_EQ(message(R"({"run": "r.h5", "runs": "b.h5"})").rfind("fig.json: runs", 0), 0u);
    EXPECT_EQ(message(R"({"run": "r.h5", "runs": ["b.h5", 3]})").rfind("fig.json: runs[1]", 0), 0u);
    EXPECT_NE(message(R"({"run": "r.h5", "kind": "movie"})").find("targeted, occlusion, models or comparison"),
              std::string::npos);
    // Further runs are relative to the spec's folder, as the run.
    const std::string dir = test::outputPath("figure_spec_runs_dir");
    std::filesystem::create_directories(dir);
    std::ofstream(dir + "/o.json") << R"({"run": "a.h5", "kind": "occlusion", "runs": ["b/c.h5", "/abs/d.h5"]})";
    EXPECT_EQ(readFigureSpec(dir + "/o.json").runs, (std::vector<std::string>{dir + "/b/c.h5", "/abs/d.h5"}));
}

namespace {

// The mean absolute difference (0 … 255) between a grey, opaque panel (one pixel per crop pixel)
// and `map` upsampled to the crop and min–max scaled, over pixels away from `avoid` (crop points:
// markers) and the panel's bottom (the share's text box); NaN when nothing was compared.
double greyPanelError(const QImage& image, const FigurePanel& panel, const GridMap& map, int cropW, int cropH,
                      const std::vector<QPointF>& avoid, const QRectF& border = QRectF()) {
    cv::Mat grid(map.rows, map.cols, CV_32F, const_cast<float*>(map.values.data())), up;
    cv::resize(grid, up, cv::Size(cropW, cropH), 0, 0, cv::INTER_LINEAR);
    const double lo = map.minValue(), hi = map.maxValue();
    double sum = 0;
    int n = 0;
    for (int y = 2; y < cropH - 16; y += 3)
        for (int x = 2; x < cropW - 2; x += 3) {
            bool near = false;
            for (const QPointF& a : avoid)
                near = near || std::hypot(a.x() - x, a.y() - y) < 10;
            if (!border.isNull() && border.adjusted(-3, -3, 3, 3).contains(x, y) &&
                !border.adjusted(3, 3, -3, -3).contains(x, y))
                near = true;
            if (near) continue;
            const double want = std::min(255.0, std::floor((up.at<float>(y, x) - lo) * 256 / (hi > lo ? hi - lo : 1)));
            const int got = image.pixelColor(static_cast<int>(panel.x + x), static_cast<int>(panel.y + y)).red();
            sum += std::abs(got - want);
            ++n;
        }
    return n > 0 ? sum / n : std::nan("");
}

// A grey, opaque figure with one pixel per crop pixel, without colourbar.
FigureSpec greySpec(const RunBrowser& run, FigureKind kind) {
    FigureSpec s;
    s.kind = kind;
    s.run = run.path();
    s.colormap = "gray";
    s.alpha = 1;
    s.dpi = 72;
    s.showColorbar = false;
    s.panelWidthMm = run.header().inputWidth * 25.4 / 72;
    return s;
}

int colours(const QImage& image) {
    std::set<QRgb> seen;
    for (int y = 0; y < image.height(); y += 2)
        for (int x = 0; x < image.width(); x += 2)
            seen.insert(image.pixel(x, y));
    return static_cast<int>(seen.size());
}

// Pixels of exactly `c`.
int pixelsOf(const QImage& image, const QColor& c) {
    int n = 0;
    for (int y = 0; y < image.height(); ++y)
        for (int x = 0; x < image.width(); ++x)
            n += image.pixelColor(x, y) == c;
    return n;
}

}  // namespace

TEST(Figure, SensitivityFiguresShowEachKeypointsMapOverTheCrop) {
    ensureGuiApplication();
    const auto run = RunBrowser::open(test::sharedOcclusionRun());
    ASSERT_TRUE(run->hasOcclusion());
    const RunHeader& h = run->header();
    const FigureRenderer renderer(*run);
    const int64_t row = 1;
    FigureSpec spec = greySpec(*run, FigureKind::Sensitivity);
    spec.rows = {row};
    spec.keypoints = {0, 9};
    const FigureLayout lay = renderer.layout(spec);
    ASSERT_EQ(lay.panels.size(), 2u);
    EXPECT_EQ(lay.panels[0].layer, -4);
    EXPECT_EQ(lay.panels[0].keypoint, 0);
    EXPECT_EQ(lay.panels[1].keypoint, 9);
    const std::string png = test::outputPath("sensitivity_grey.png");
    renderer.write(spec, row, png);
    const QImage image(QString::fromStdString(png));
    ASSERT_FALSE(image.isNull());
    // Each panel is its keypoint's map (the markers left out), and the two differ.
    const SamplePose pose = run->pose(row);
    std::vector<GridMap> maps;
    for (size_t i = 0; i < 2; ++i) {
        const int k = lay.panels[i].keypoint;
        maps.push_back(run->sensitivityMap(row, k, SensitivityMeasure::ScoreDrop));
        ASSERT_EQ(maps.back().rows, h.inputHeight);
        ASSERT_EQ(maps.back().cols, h.inputWidth);
        const auto& pr = pose.predicted[static_cast<size_t>(k)];
        const auto& gt = pose.groundTruth[static_cast<size_t>(k)];
        const std::vector<QPointF> marks{{pr[0], pr[1]}, {gt[0], gt[1]}};
        EXPECT_LT(greyPanelError(image, lay.panels[i], maps.back(), h.inputWidth, h.inputHeight, marks), 12)
            << "keypoint " << k;
    }
    ASSERT_GT(maps[0].maxValue(), maps[0].minValue());
    const QImage first = image.copy(QRectF(lay.panels[0].x, lay.panels[0].y, h.inputWidth, h.inputHeight).toRect());
    const QImage second = image.copy(QRectF(lay.panels[1].x, lay.panels[1].y, h.inputWidth, h.inputHeight).toRect());
    EXPECT_NE(first, second);
    // Another measure, another map.
    FigureSpec displacement = spec;
    displacement.measure = SensitivityMeasure::Displacement;
    const std::string moved = test::outputPath("sensitivity_displacement.png");
    renderer.write(displacement, row, moved);
    EXPECT_NE(QImage(QString::fromStdString(moved)), image);

    // PNG, SVG and PDF of the default figure (every keypoint, viridis, colourbar).
    FigureSpec all;
    all.kind = FigureKind::Sensitivity;
    all.run = run->path();
    all.rows = {row};
    all.dpi = 100;
    EXPECT_EQ(renderer.layout(all).panels.size(), static_cast<size_t>(h.keypoints()));
    const std::string base = test::outputPath("sensitivity_all");
    for (const char* ext : {".png", ".svg", ".pdf"}) {
        std::filesystem::remove(base + ext);
        renderer.write(all, row, base + ext);
        EXPECT_GT(std::filesystem::file_size(base + ext), 1000u) << ext;
    }
    EXPECT_GT(colours(QImage(QString::fromStdString(base + ".png"))), 1000);
    const std::string svg = slurp(base + ".svg");
    EXPECT_NE(svg.find("<image"), std::string::npos);  // crops and maps
    for (const char* text : {"sensitivity to a 64 px occluder (stride 32): score drop", "left wrist", "max"})
        EXPECT_NE(svg.find(text), std::string::npos) << text;
    EXPECT_EQ(slurp(base + ".pdf").rfind("%PDF-", 0), 0u);
}

TEST(Figure, TargetedFiguresShowTheHiddenKeypointsMapBeforeAndAfterHidingItsRegion) {
    ensureGuiApplication();
    const auto run = RunBrowser::open(test::sharedOcclusionRun());
    ASSERT_TRUE(run->hasTargeted());
    const RunHeader& h = run->header();
    const int K = h.keypoints(), L = h.layers, k = 9;
    const int64_t row = 1;
    const FigureRenderer renderer(*run);
    FigureSpec spec = greySpec(*run, FigureKind::Targeted);
    spec.rows = {row};
    spec.keypoints = {k};
    const FigureLayout lay = renderer.layout(spec);
    ASSERT_EQ(lay.panels.size(), static_cast<size_t>(2 * L));  // per layer: before, after
    for (int l = 0; l < L; ++l)
        for (int c = 0; c < 2; ++c) {
            EXPECT_EQ(lay.panels[static_cast<size_t>(2 * l + c)].layer, l);
            EXPECT_EQ(lay.panels[static_cast<size_t>(2 * l + c)].keypoint, k);
        }
    const std::string png = test::outputPath("targeted_grey.png");
    renderer.write(spec, row, png);
    const QImage image(QString::fromStdString(png));
    ASSERT_FALSE(image.isNull());
    // Before: the recorded dependency map; after: the row recorded with the region hidden.
    const TargetedView t = run->targeted(row, k);
    const SamplePose pose = run->pose(row);
    const auto& gt = pose.groundTruth[static_cast<size_t>(k)];
    const QRectF region(t.region[0], t.region[1], t.region[2], t.region[3]);
    for (int l = 0; l < L; ++l) {
        MapRequest q;
        q.layer = l;
        q.keypoint = k;
        const GridMap before = run->dependencyMap(row, q), after = run->targetedMap(row, k, l);
        const auto& pb = pose.predicted[static_cast<size_t>(k)];
        const auto& pa = t.after[static_cast<size_t>(k)];
        const FigurePanel& b = lay.panels[static_cast<size_t>(2 * l)];
        const FigurePanel& a = lay.panels[static_cast<size_t>(2 * l + 1)];
        const double errBefore =
            greyPanelError(image, b, before, h.inputWidth, h.inputHeight, {{pb[0], pb[1]}, {gt[0], gt[1]}}, region);
        const double errAfter =
            greyPanelError(image, a, after, h.inputWidth, h.inputHeight, {{pa[0], pa[1]}, {gt[0], gt[1]}}, region);
        EXPECT_LT(errBefore, 12) << "layer " << l;
        EXPECT_LT(errAfter, 12) << "layer " << l;
    }
    // The share on the region in every panel; labels as text.
    const std::string svgPath = test::outputPath("targeted.svg");
    FigureSpec colour = spec;
    colour.colormap = "viridis";
    colour.alpha = 0.7;
    colour.showColorbar = true;
    renderer.write(colour, row, svgPath);
    const std::string svg = slurp(svgPath);
    for (int l = 0; l < L; ++l) {
        const size_t i = static_cast<size_t>(l * K + k);
        const std::string b = QString::number(t.shareBefore[i], 'f', 2).toStdString(),
                          a = QString::number(t.shareAfter[i], 'f', 2).toStdString();
        EXPECT_NE(svg.find("on region " + b + " → " + a), std::string::npos) << "layer " << l;
        EXPECT_NE(svg.find("layer " + std::to_string(l + 1)), std::string::npos);
    }
    for (const char* text : {"left wrist's region hidden (16 px margin)", ">before<", ">after<"})
        EXPECT_NE(svg.find(text), std::string::npos) << text;
    for (const char* ext : {".png", ".pdf"}) {
        const std::string out = test::outputPath(std::string("targeted") + ext);
        std::filesystem::remove(out);
        renderer.write(colour, row, out);
        EXPECT_GT(std::filesystem::file_size(out), 1000u) << ext;
    }
    EXPECT_GT(colours(QImage(QString::fromStdString(test::outputPath("targeted.png")))), 1000);
    // One layer; one hidden keypoint only.
    spec.layers = {L - 1};
    EXPECT_EQ(renderer.layout(spec).panels.size(), 2u);
    spec.keypoints = {9, 10};
    EXPECT_THROW(renderer.layout(spec), Error);
    spec.keypoints = {K};
    EXPECT_THROW(renderer.layout(spec), Error);
}

TEST(Figure, TargetedFiguresOfABodyPartShowItsKeypointsMeanMapBeforeAndAfter) {
    ensureGuiApplication();
    const auto run = RunBrowser::open(test::sharedOcclusionRun());
    const RunHeader& h = run->header();
    const int K = h.keypoints(), L = h.layers, arm = K + 2;  // left_arm: 5, 7, 9
    ASSERT_EQ(h.targetedRegionName(arm), "left_arm");
    const int64_t row = 1;
    const FigureRenderer renderer(*run);
    FigureSpec spec = greySpec(*run, FigureKind::Targeted);
    spec.rows = {row};
    spec.keypoints.clear();
    spec.part = "left_arm";
    const FigureLayout lay = renderer.layout(spec);
    ASSERT_EQ(lay.panels.size(), static_cast<size_t>(2 * L));
    EXPECT_EQ(lay.panels.front().keypoint, arm);
    const std::string png = test::outputPath("targeted_part_grey.png");
    renderer.write(spec, row, png);
    const QImage image(QString::fromStdString(png));
    ASSERT_FALSE(image.isNull());
    const TargetedView t = run->targeted(row, arm);
    const SamplePose pose = run->pose(row);
    const QRectF region(t.region[0], t.region[1], t.region[2], t.region[3]);
    std::vector<QPointF> before, after;  // the marks: every hidden keypoint's
    for (int k : t.keypoints) {
        const auto& g = pose.groundTruth[static_cast<size_t>(k)];
        before.push_back(QPointF(pose.predicted[static_cast<size_t>(k)][0], pose.predicted[static_cast<size_t>(k)][1]));
        after.push_back(QPointF(t.after[static_cast<size_t>(k)][0], t.after[static_cast<size_t>(k)][1]));
        if (g[2] > 0) before.push_back(QPointF(g[0], g[1])), after.push_back(QPointF(g[0], g[1]));
    }
    for (int l = 0; l < L; ++l) {
        GridMap mean;  // the part's map before hiding: its keypoints' rows averaged
        for (int k : t.keypoints) {
            MapRequest q;
            q.layer = l;
            q.keypoint = k;
            const GridMap one = run->dependencyMap(row, q);
            if (mean.values.empty()) mean = GridMap{one.rows, one.cols, std::vector<float>(one.values.size(), 0.f)};
            for (size_t i = 0; i < one.values.size(); ++i)
                mean.values[i] += one.values[i] / 3.f;
        }
        const FigurePanel& b = lay.panels[static_cast<size_t>(2 * l)];
        const FigurePanel& a = lay.panels[static_cast<size_t>(2 * l + 1)];
        EXPECT_LT(greyPanelError(image, b, mean, h.inputWidth, h.inputHeight, before, region), 12) << l;
        EXPECT_LT(greyPanelError(image, a, run->targetedMap(row, arm, l), h.inputWidth, h.inputHeight, after, region),
                  12)
            << l;
    }
    const std::string svgPath = test::outputPath("targeted_part.svg");
    renderer.write(spec, row, svgPath);
    EXPECT_NE(slurp(svgPath).find("the left arm hidden (16 px around its keypoints)"), std::string::npos);
    // The spec keeps the part; an unknown part, or a part with a keypoint, is refused.
    EXPECT_EQ(parseFigureSpec(figureSpecJson(spec), "spec.json").part, "left_arm");
    spec.part = "tail";
    try {
        renderer.layout(spec);
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("no targeted body part \"tail\" (it has: head, torso, left_arm"),
                  std::string::npos)
            << e.what();
    }
    // A keypoint with the part: that keypoint's maps before and after hiding the part (runs that
    // keep every row).
    spec.part = "left_arm";
    spec.keypoints = {10};
    const std::string watched = test::outputPath("targeted_part_watched.png");
    renderer.write(spec, row, watched);
    const QImage w(QString::fromStdString(watched));
    const auto& g10 = pose.groundTruth[10];
    for (int l = 0; l < L; ++l) {
        MapRequest q;
        q.layer = l;
        q.keypoint = 10;
        std::vector<QPointF> b{QPointF(pose.predicted[10][0], pose.predicted[10][1])},
            a{QPointF(t.after[10][0], t.after[10][1])};
        if (g10[2] > 0) b.push_back(QPointF(g10[0], g10[1])), a.push_back(QPointF(g10[0], g10[1]));
        EXPECT_LT(greyPanelError(w, lay.panels[static_cast<size_t>(2 * l)], run->dependencyMap(row, q), h.inputWidth,
                                 h.inputHeight, b, region),
                  12)
            << l;
        EXPECT_LT(greyPanelError(w, lay.panels[static_cast<size_t>(2 * l + 1)], run->targetedMap(row, arm, l, 10),
                                 h.inputWidth, h.inputHeight, a, region),
                  12)
            << l;
    }
    renderer.write(spec, row, svgPath);
    EXPECT_NE(slurp(svgPath).find("the left arm hidden (16 px around its keypoints): right wrist's maps"),
              std::string::npos);
}

TEST(Figure, OcclusionFiguresPlotEachRunsLayersAsAModel) {
    ensureGuiApplication();
    const std::string path = test::sharedOcclusionRun();
    const auto run = RunBrowser::open(path);
    const FigureRenderer renderer(*run);
    FigureSpec spec;
    spec.kind = FigureKind::Occlusion;
    spec.run = path;
    spec.dpi = 100;
    const FigureLayout lay = renderer.layout(spec);
    EXPECT_TRUE(lay.panels.empty());  // plots over the run
    EXPECT_GT(lay.height, lay.width);
    const std::string base = test::outputPath("occlusion_one");
    for (const char* ext : {".png", ".svg", ".pdf"}) {
        std::filesystem::remove(base + ext);
        renderer.write(spec, 0, base + ext);
    }
    const QImage image(QString::fromStdString(base + ".png"));
    ASSERT_FALSE(image.isNull());
    EXPECT_EQ(image.width(), static_cast<int>(std::ceil(lay.width * 100 / 72.0)));
    EXPECT_GT(pixelsOf(image, QColor(31, 119, 180)), 100);  // the model's lines in tab10 blue
    EXPECT_EQ(pixelsOf(image, QColor(255, 127, 14)), 0);    // no second model
    const std::string svg = slurp(base + ".svg");
    EXPECT_EQ(svg.find("<image"), std::string::npos);  // vectors and text only
    EXPECT_NE(svg.find("<path"), std::string::npos);
    for (const char* text :
         {"attention vs causal effect (score drop) per layer", "Spearman", ">ρ<", "top-10% overlap", "occluded",
          "visible", "share on the occluder", "share on the symmetric joint", "share on adjacent joints",
          "attention entropy ÷ log T", "targeted occlusion", "16 px around it", ">layer<", "TransPose-R"})
        EXPECT_NE(svg.find(text), std::string::npos) << text;
    EXPECT_EQ(svg.find("relative depth"), std::string::npos);  // one model: layer numbers
    EXPECT_EQ(slurp(base + ".pdf").rfind("%PDF-", 0), 0u);

    // The numbers are the run's occlusion report for the spec's measure.
    spec.measure = SensitivityMeasure::Displacement;
    const OcclusionFigureData data = occlusionFigureData(*run, spec);
    ASSERT_EQ(data.models.size(), 1u);
    OcclusionReportOptions o;
    o.measure = SensitivityMeasure::Displacement;
    const OcclusionReport want = run->occlusionReport(o);
    EXPECT_EQ(data.models[0].report.all.spearman, want.all.spearman);
    EXPECT_EQ(data.models[0].report.hiddenShareAfter, want.hiddenShareAfter);
    EXPECT_EQ(data.models[0].targetedMargin, 16);
    renderer.write(spec, 0, test::outputPath("occlusion_displacement.svg"));
    EXPECT_NE(slurp(test::outputPath("occlusion_displacement.svg")).find("causal effect (displacement)"),
              std::string::npos);

    // A second run is a second model; models of one name are told apart by their files.
    spec.runs = {path};
    const std::string two = test::outputPath("occlusion_two.png");
    renderer.write(spec, 0, two);
    EXPECT_GT(pixelsOf(QImage(QString::fromStdString(two)), QColor(255, 127, 14)), 100);
    renderer.write(spec, 0, test::outputPath("occlusion_two.svg"));
    const std::string file = std::filesystem::path(path).filename().string();
    const std::string twoSvg = slurp(test::outputPath("occlusion_two.svg"));
    size_t named = 0;
    for (size_t at = twoSvg.find(" · " + file); at != std::string::npos; at = twoSvg.find(" · " + file, at + 1))
        ++named;
    EXPECT_EQ(named, 2u);

    // Data computed elsewhere (the workbench) is drawn; models of other depths by relative depth.
    OcclusionFigureData deeper = occlusionFigureData(*run, spec);
    ASSERT_EQ(deeper.models.size(), 2u);
    OcclusionReport& r = deeper.models[1].report;
    r.layers *= 2;
    for (std::vector<double>* v : {&r.all.spearman, &r.all.topKOverlap, &r.hiddenShareBefore, &r.hiddenShareAfter})
        v->insert(v->end(), v->begin(), v->end());
    deeper.models[1].name = "a deeper model";
    FigureRenderer seeded(*run);
    seeded.setOcclusionData(spec, deeper);
    seeded.write(spec, 0, test::outputPath("occlusion_relative.svg"));
    const std::string relative = slurp(test::outputPath("occlusion_relative.svg"));
    EXPECT_NE(relative.find("relative depth (layer + ½) / layers"), std::string::npos);
    EXPECT_NE(relative.find("a deeper model"), std::string::npos);
    FigureSpec other = spec;
    other.measure = SensitivityMeasure::OksDrop;  // another measure: computed again
    seeded.write(other, 0, test::outputPath("occlusion_relative.svg"));
    EXPECT_EQ(slurp(test::outputPath("occlusion_relative.svg")).find("a deeper model"), std::string::npos);
}

TEST(Figure, OcclusionFiguresOfRunsWithoutAnOcclusionAnalysisAreRefusedNamingTheRun) {
    ensureGuiApplication();
    const std::string plainPath = test::sharedRun();
    const auto plain = RunBrowser::open(plainPath);
    const FigureRenderer renderer(*plain);
    const std::string want = plainPath + ": holds no occlusion analysis (record it with posescope-cli occlude)";
    for (FigureKind kind : {FigureKind::Sensitivity, FigureKind::Targeted, FigureKind::Occlusion}) {
        FigureSpec spec;
        spec.kind = kind;
        spec.run = plainPath;
        EXPECT_EQ(refusal([&] { renderer.layout(spec); }), want) << figureKindName(kind);
        const std::string out = test::outputPath("occlusion_refused_" + figureKindName(kind) + ".png");
        std::filesystem::remove(out);
        EXPECT_EQ(refusal([&] { renderer.write(spec, 0, out); }), want) << figureKindName(kind);
        EXPECT_FALSE(std::filesystem::exists(out));
    }
    // A plain run among an occlusion figure's runs is named too.
    const auto occ = RunBrowser::open(test::sharedOcclusionRun());
    FigureSpec spec;
    spec.kind = FigureKind::Occlusion;
    spec.run = occ->path();
    spec.runs = {plainPath};
    EXPECT_EQ(refusal([&] { FigureRenderer(*occ).layout(spec); }), want);
    spec.runs = {test::outputPath("no_such_occlusion_run.h5")};
    EXPECT_EQ(refusal([&] { FigureRenderer(*occ).layout(spec); }).rfind(spec.runs[0] + ": ", 0), 0u);
    // A dataset has no model results.
    const auto dataset = DatasetBrowser::open(plain->header().dataset, plain->header().images);
    spec.kind = FigureKind::Sensitivity;
    EXPECT_THROW(FigureRenderer(*dataset).layout(spec), Error);
}

// ---- Models figures: one sample of several runs side by side ----------------------------------

TEST(Figure, ModelsFiguresSetRunsSideBySideByRelativeDepth) {
    ensureGuiApplication();
    const auto tp = RunBrowser::open(test::sharedRun());      // TransPose-R, 2 layers
    const auto ppt = RunBrowser::open(test::sharedPptRun());  // PPT, 12 layers, the same samples
    const int L = tp->header().layers, Lp = ppt->header().layers, k = 9;
    ASSERT_EQ(L, 2);
    ASSERT_GT(Lp, L);
    const RunPairing pairing = pairRunFiles({tp->path(), ppt->path()});
    ASSERT_FALSE(pairing.samples.empty());
    const int64_t row = pairing.samples[1].rows[0], pptRow = pairing.samples[1].rows[1];
    const FigureRenderer renderer(*tp);
    FigureSpec spec = greySpec(*tp, FigureKind::Models);
    spec.runs = {ppt->path()};
    spec.rows = {row};
    spec.keypoints = {k};
    spec.showPose = false;
    const FigureLayout lay = renderer.layout(spec);
    ASSERT_EQ(lay.panels.size(), static_cast<size_t>(L * 3));  // per layer: the two runs, their difference
    for (int l = 0; l < L; ++l)
        for (int c = 0; c < 3; ++c) {
            const FigurePanel& panel = lay.panels[static_cast<size_t>(3 * l + c)];
            EXPECT_EQ(panel.layer, l);
            EXPECT_EQ(panel.keypoint, k);
            EXPECT_EQ(panel.model, c < 2 ? c : -1);
        }
    const std::string png = test::outputPath("models_grey.png");
    renderer.write(spec, row, png);
    const QImage image(QString::fromStdString(png));
    ASSERT_FALSE(image.isNull());
    // Each run's map: its own row of the sample, the second run's layer at the same relative depth.
    const SamplePose tpPose = tp->pose(row), pptPose = ppt->pose(pptRow);
    for (int l = 0; l < L; ++l) {
        MapRequest q;
        q.layer = l;
        q.keypoint = k;
        const auto& a = tpPose.predicted[static_cast<size_t>(k)];
        EXPECT_LT(greyPanelError(image, lay.panels[static_cast<size_t>(3 * l)], tp->dependencyMap(row, q),
                                 tp->header().inputWidth, tp->header().inputHeight, {QPointF(a[0], a[1])}),
                  12)
            << l;
        q.layer = layerAtSameDepth(l, L, Lp);
        EXPECT_EQ(q.layer, l == 0 ? Lp / 4 : 3 * Lp / 4);
        const auto& b = pptPose.predicted[static_cast<size_t>(k)];
        EXPECT_LT(greyPanelError(image, lay.panels[static_cast<size_t>(3 * l + 1)], ppt->dependencyMap(pptRow, q),
                                 ppt->header().inputWidth, ppt->header().inputHeight, {QPointF(b[0], b[1])}),
                  12)
            << l;
    }
    // The difference column: (first − second), each map min–max normalised, red where the first
    // run's map is the larger, blue where the second's is.
    for (int l = 0; l < L; ++l) {
        MapRequest q;
        q.layer = l;
        q.keypoint = k;
        auto up = [&](const GridMap& g) {
            cv::Mat m;
            cv::resize(cv::Mat(g.rows, g.cols, CV_32F, const_cast<float*>(g.values.data())), m,
                       cv::Size(tp->header().inputWidth, tp->header().inputHeight), 0, 0, cv::INTER_LINEAR);
            return cv::Mat((m - g.minValue()) / (g.maxValue() - g.minValue()));
        };
        const cv::Mat first = up(tp->dependencyMap(row, q));
        q.layer = layerAtSameDepth(l, L, Lp);
        const cv::Mat diff = first - up(ppt->dependencyMap(pptRow, q));
        cv::Point most, least;
        cv::minMaxLoc(diff, nullptr, nullptr, &least, &most);
        const FigurePanel& panel = lay.panels[static_cast<size_t>(3 * l + 2)];
        const auto red = figureOf(panel, most.x + 0.5, most.y + 0.5),
                   blue = figureOf(panel, least.x + 0.5, least.y + 0.5);
        const QColor r = image.pixelColor(static_cast<int>(red[0]), static_cast<int>(red[1]));
        const QColor b = image.pixelColor(static_cast<int>(blue[0]), static_cast<int>(blue[1]));
        EXPECT_GT(r.red(), r.blue() + 60) << l;
        EXPECT_GT(b.blue(), b.red() + 60) << l;
    }
    // The titles name the runs; the second run's own layer is written in its panels.
    const std::string svgPath = test::outputPath("models.svg");
    FigureSpec colour = spec;
    colour.colormap = "viridis";
    colour.showPose = true;
    colour.showColorbar = true;
    renderer.write(colour, row, svgPath);
    const std::string svg = slurp(svgPath);
    for (const std::string text : {std::string(">TransPose-R<"), std::string(">PPT<"), std::string("all · 1 − 2"),
                                   "its layer " + std::to_string(Lp / 4 + 1), std::string(">pose<"),
                                   std::string("left wrist · dependency · layers by relative depth")})
        EXPECT_NE(svg.find(text), std::string::npos) << text;
    EXPECT_EQ(renderer.layout(colour).panels.size(), static_cast<size_t>((L + 1) * 3));
    for (const char* ext : {".png", ".pdf"}) {
        const std::string out = test::outputPath(std::string("models") + ext);
        std::filesystem::remove(out);
        renderer.write(colour, row, out);
        EXPECT_GT(std::filesystem::file_size(out), 1000u) << ext;
    }
    // The spec round trip; one keypoint only; a missing run is named.
    EXPECT_EQ(parseFigureSpec(figureSpecJson(spec), "s.json").kind, FigureKind::Models);
    EXPECT_EQ(figureKindName(FigureKind::Models), "models");
    FigureSpec two = spec;
    two.keypoints = {1, 2};
    EXPECT_THROW(renderer.layout(two), Error);
    FigureSpec missing = spec;
    missing.runs = {test::outputPath("no_such_run.h5")};
    try {
        renderer.write(missing, row, test::outputPath("models_missing.png"));
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("no_such_run.h5"), std::string::npos) << e.what();
    }
}

TEST(Figure, AModelsFigureOfARunWithItselfShowsNoDifference) {
    ensureGuiApplication();
    const auto run = RunBrowser::open(test::sharedRun());
    const FigureRenderer renderer(*run);
    FigureSpec spec = greySpec(*run, FigureKind::Models);
    spec.runs = {run->path()};
    spec.rows = {2};
    spec.keypoints = {5};
    spec.showPose = false;
    const std::string png = test::outputPath("models_self.png");
    renderer.write(spec, 2, png);
    const QImage image(QString::fromStdString(png));
    const FigureLayout lay = renderer.layout(spec);
    // Both runs' columns are the same; the difference column is the middle colour everywhere but
    // under its "±0" label.
    for (size_t l = 0; l < 2; ++l) {
        const FigurePanel& a = lay.panels[3 * l];
        const FigurePanel& b = lay.panels[3 * l + 1];
        const FigurePanel& d = lay.panels[3 * l + 2];
        int differing = 0, notMiddle = 0;
        for (int y = static_cast<int>(a.y) + 1; y < static_cast<int>(a.y + a.height * 0.8); y += 3)
            for (int x = static_cast<int>(a.x) + 2; x < static_cast<int>(a.x + a.width) - 2; x += 3) {
                const int dx = static_cast<int>(b.x - a.x), ex = static_cast<int>(d.x - a.x);
                differing += image.pixel(x, y) != image.pixel(x + dx, y);
                const QColor c = image.pixelColor(x + ex, y);
                notMiddle += std::abs(c.red() - 247) + std::abs(c.green() - 247) + std::abs(c.blue() - 247) > 3;
            }
        EXPECT_EQ(differing, 0) << l;
        EXPECT_EQ(notMiddle, 0) << l;
    }
    EXPECT_NE(slurp([&] {
                  const std::string svg = test::outputPath("models_self.svg");
                  renderer.write(spec, 2, svg);
                  return svg;
              }())
                  .find("±0<"),
              std::string::npos);
}

// ---- Comparison figures: charts of the runs compared ----------------------------------------------

TEST(Figure, ComparisonFiguresChartTheRunsCompared) {
    ensureGuiApplication();
    const auto tp = RunBrowser::open(test::sharedRun());
    const FigureRenderer renderer(*tp);
    FigureSpec spec;
    spec.kind = FigureKind::Comparison;
    spec.run = tp->path();
    spec.runs = {test::sharedPptRun()};
    spec.dpi = 72;
    // Hand-made numbers: the first model's AP twice the second's.
    ComparisonReport r;
    for (const char* name : {"TransPose-R", "PPT"}) {
        ModelComparison m;
        m.name = name;
        m.breakdown.keypointNames = {"nose", "left_eye"};
        m.breakdown.overall.ap = std::string(name) == "PPT" ? 0.4 : 0.8;
        m.breakdown.errors.perKeypoint = {ErrorSum{2, 0.2}, ErrorSum{4, 0.2}};
        m.taxonomy.totals = {60, 20, 10, 5, 5};
        m.taxonomy.ap = {0.5, 0.6, 0.65, 0.7, 0.8, 0.85, 0.9};
        r.models.push_back(m);
    }
    FigureRenderer withData(*tp);
    withData.setComparisonData(spec, r);
    const std::string png = test::outputPath("comparison_accuracy.png");
    withData.write(spec, 0, png);
    const QImage image(QString::fromStdString(png));
    ASSERT_FALSE(image.isNull());
    auto barHeight = [&](const QColor& colour) {  // the tallest run of the colour in any column
        int best = 0;
        for (int x = 0; x < image.width(); ++x) {
            int run = 0;
            for (int y = 0; y < image.height(); ++y) {
                const QColor c = image.pixelColor(x, y);
                run = std::abs(c.red() - colour.red()) + std::abs(c.green() - colour.green()) +
                                  std::abs(c.blue() - colour.blue()) <
                              12
                          ? run + 1
                          : 0;
                best = std::max(best, run);
            }
        }
        return best;
    };
    const int first = barHeight(QColor(31, 119, 180)), second = barHeight(QColor(255, 127, 14));
    ASSERT_GT(second, 10);
    EXPECT_NEAR(static_cast<double>(first) / second, 2.0, 0.1);
    // Every chart draws its titles and the models; the spec keeps the chart.
    for (const auto& [chart, text] :
         std::vector<std::pair<std::string, std::string>>{{"accuracy", "OKS AP by person size and people in the crop"},
                                                          {"errors", "OKS AP with each error type fixed in turn"},
                                                          {"attention", "attention entropy ÷ ln T"},
                                                          {"keypoints", "keypoint error ÷ √area"}}) {
        spec.chart = chart;
        const std::string svg = test::outputPath("comparison_" + chart + ".svg");
        withData.write(spec, 0, svg);
        const std::string content = slurp(svg);
        EXPECT_NE(content.find(text), std::string::npos) << chart;
        EXPECT_NE(content.find(">PPT<"), std::string::npos) << chart;
        EXPECT_EQ(parseFigureSpec(figureSpecJson(spec), "s.json").chart, chart);
    }
    spec.chart = "errors";
    EXPECT_NE(slurp(test::outputPath("comparison_errors.svg")).find(">jitter<"), std::string::npos);
    // Computed from the runs themselves when not given: the real models' names.
    spec.chart = "accuracy";
    const std::string real = test::outputPath("comparison_real.svg");
    renderer.write(spec, 0, real);
    EXPECT_NE(slurp(real).find(">TransPose-R<"), std::string::npos);
    // A bad chart is refused, naming the field.
    try {
        parseFigureSpec(R"({"run": "r.h5", "kind": "comparison", "chart": "pie"})", "spec.json");
        FAIL() << "expected FileError";
    } catch (const FileError& e) {
        EXPECT_NE(std::string(e.what()).find("unknown chart \"pie\""), std::string::npos) << e.what();
    }
    spec.chart = "pie";
    EXPECT_THROW(renderer.layout(spec), Error);
}
