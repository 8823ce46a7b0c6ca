// Accuracy breakdowns of a run (breakdown.h) on a hand-made COCO set and run whose answers are
// known by hand, and runs paired by sample (run_pairing.h): a run against itself, a run against a
// reordered subset with one sample shifted, refusals, layers by relative depth, and the shared
// recorded runs against the workbench's own numbers.
//
// Reminder (pycocotools, see test_coco_eval.cpp): a lone true positive has precision 1/(1 + eps),
// so a perfect AP is 1 − 2e-16, not 1.
#include "coco_cases.h"
#include "coco_json.h"
#include "person_rows.h"
#include "posescope/analysis/breakdown.h"
#include "posescope/analysis/run_browser.h"
#include "posescope/analysis/run_header.h"
#include "posescope/analysis/run_pairing.h"
#include "posescope/analysis/run_scales.h"
#include "posescope/analysis/run_store.h"
#include "posescope/datasets/crop.h"
#include "posescope/datasets/error.h"
#include "posescope/datasets/skeleton.h"
#include "run_files.h"
#include "run_fixture.h"
#include "test_paths.h"

#include <gtest/gtest.h>
#include <torch/types.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace posescope;
using namespace posescope::analysis;

namespace {

constexpr double kTol = 1e-12;

// ---- A hand-made COCO set and a run over it ----------------------------------------------------

PersonAnnotation unlabelled(int64_t id, int64_t imageId, double x, double y, double w, double h, bool crowd) {
    PersonAnnotation a = test::person(id, imageId, x, y, w, h);
    a.keypoints.assign(51, 0);
    a.numKeypoints = 0;
    a.iscrowd = crowd;
    return a;
}

// One recorded row of a GT person (or a region) with the given predicted keypoints, its crop as
// the recorder makes it (center/scale of the box at the input's aspect, ×1.25; the affine).
RunSample row(int64_t index, const PersonAnnotation& a, const std::vector<double>& predicted, int layers, int tokens,
              int stages) {
    RunSample s = test::personRow(index, a, predicted, layers);
    s.dependency = torch::zeros({layers, 17, tokens});
    // Pruning (one stage): the top half of a 4 × 3 grid kept, the bottom half pruned.
    for (int st = 0; st < stages; ++st)
        for (int k = 0; k < tokens; ++k) {
            const bool kept = k < tokens / 2;
            s.keptRank.push_back(kept ? k : -1);
            s.pruningScores.push_back(kept ? 1.f : 0.f);
        }
    return s;
}

// The scenario (images 640 × 480; boxes 40 × 96 (D 120 × 288) so that test::person's keypoint grid
// is in whole pixels, exact in the run's float32, and areas whose √ is a power of two, so that
// every error below is exact in binary):
//   image 1: A (id 11, area 32² = 1024: small and medium for AP, medium for errors; keypoints 11
//            and 12 occluded, v = 1) and B (12, area 64²) side by side, each in the other's crop:
//            2 people in each crop; C (13, area 16²) alone: 1.
//   image 2: D (21, area 128², keypoint 16 unlabelled) alone: 1 — its crop also holds a crowd
//            region (22) and an unlabelled person (23), which do not count; both have rows.
//   image 3: E, F, G (31–33, area 64²) in a row, 3 or more in each crop, and H (34) beside them
//            without a row (a GT the run missed; its own box's crop holds F, G and H: "3+").
// Predictions: A–D on their GT but keypoint 11 (left hip) moved by (3, 4) = 5 px, keypoint scores
// 0.8; E–G every keypoint 200 px below the GT (OKS ≈ 0), scores 0.9 so that they rank first; the
// crowd and unlabelled rows far away, scores 0.1 (person score 0).
struct Scenario {
    std::vector<ImageInfo> images;
    std::vector<PersonAnnotation> annotations;
    std::vector<RunSample> rows;
    std::string gtFile, runFile;
};

RunHeader scenarioHeader(const std::string& gtFile, bool pruning, int samples) {
    RunHeader h = test::runHeader(gtFile);
    const std::vector<std::string>& names = cocoSkeleton().keypoints;
    h.keypointNames.assign(names.begin(), names.end());
    h.inputWidth = 192;
    h.inputHeight = 256;
    h.heatmapWidth = 48;
    h.heatmapHeight = 64;
    h.gridRows = pruning ? 4 : 1;
    h.gridCols = pruning ? 3 : 2;
    h.layers = pruning ? 2 : 1;
    h.heads = 1;
    if (pruning) {
        h.modelFamily = "PPT";
        h.keypointTokens = 17;
        h.pruningLayers = {0};
        h.keepRatio = 0.5;
    }
    h.totalSamples = h.plannedSamples = samples;
    return h;
}

void writeRun(const std::string& path, const RunHeader& h, const std::vector<RunSample>& rows) {
    std::filesystem::remove(path);
    RunWriter w = RunWriter::create(path, h);
    w.append(rows);
    w.finish();
}

Scenario scenario(const std::string& name, bool pruning = false) {
    Scenario r;
    for (int i = 1; i <= 3; ++i) {
        ImageInfo img;
        img.id = i;
        img.width = 640;
        img.height = 480;
        r.images.push_back(img);
    }
    PersonAnnotation a = test::person(11, 1, 100, 100, 40, 96, 1024);
    a.keypoints[3 * 11 + 2] = 1;
    a.keypoints[3 * 12 + 2] = 1;
    const PersonAnnotation b = test::person(12, 1, 150, 100, 40, 96, 4096);
    const PersonAnnotation c = test::person(13, 1, 400, 100, 40, 96, 256);
    PersonAnnotation d = test::person(21, 2, 100, 50, 120, 288, 16384);
    d.keypoints[3 * 16] = d.keypoints[3 * 16 + 1] = d.keypoints[3 * 16 + 2] = 0;
    d.numKeypoints = 16;
    const PersonAnnotation crowd = unlabelled(22, 2, 200, 100, 100, 100, true);
    const PersonAnnotation nobody = unlabelled(23, 2, 50, 300, 40, 60, false);
    const PersonAnnotation e = test::person(31, 3, 100, 100, 40, 96, 4096);
    const PersonAnnotation f = test::person(32, 3, 130, 100, 40, 96, 4096);
    const PersonAnnotation g = test::person(33, 3, 160, 100, 40, 96, 4096);
    const PersonAnnotation missed = test::person(34, 3, 190, 100, 40, 96, 4096);
    r.annotations = {a, b, c, d, crowd, nobody, e, f, g, missed};
    r.gtFile = test::outputPath(name + "_gt.json");
    std::ofstream(r.gtFile) << test::cocoJson(r.images, r.annotations);

    auto near = [](const PersonAnnotation& p) {
        std::vector<double> k(51);
        for (int j = 0; j < 17; ++j) {
            const bool labelled = p.keypoints[3 * j + 2] > 0;
            k[3 * j] = labelled ? p.keypoints[3 * j] : p.bbox.x + p.bbox.w / 2;
            k[3 * j + 1] = labelled ? p.keypoints[3 * j + 1] : p.bbox.y + p.bbox.h / 2;
            k[3 * j + 2] = 0.8;
        }
        k[3 * 11] += 3;
        k[3 * 11 + 1] += 4;
        return k;
    };
    auto below = [](const PersonAnnotation& p) {
        std::vector<double> k = p.keypoints;
        for (int j = 0; j < 17; ++j) {
            k[3 * j + 1] += 200;
            k[3 * j + 2] = 0.9;
        }
        return k;
    };
    auto away = [](int offset) {
        std::vector<double> k(51);
        for (int j = 0; j < 17; ++j) {
            k[3 * j] = 560 + j + offset;
            k[3 * j + 1] = 450;
            k[3 * j + 2] = 0.1;
        }
        return k;
    };
    const int layers = pruning ? 2 : 1, tokens = pruning ? 12 : 2, stages = pruning ? 1 : 0;
    const std::vector<std::pair<PersonAnnotation, std::vector<double>>> recorded = {
        {a, near(a)},       {b, near(b)},  {c, near(c)},  {d, near(d)}, {crowd, away(0)},
        {nobody, away(30)}, {e, below(e)}, {f, below(f)}, {g, below(g)}};
    for (size_t i = 0; i < recorded.size(); ++i)
        r.rows.push_back(row(static_cast<int64_t>(i), recorded[i].first, recorded[i].second, layers, tokens, stages));
    r.runFile = test::outputPath(name + ".h5");
    writeRun(r.runFile, scenarioHeader(r.gtFile, pruning, static_cast<int>(r.rows.size())), r.rows);
    return r;
}

// In every breakdown the bins' counts add up to the totals, and their sums too (to `tol`).
void expectSumsToTotals(const KeypointErrorBreakdown& e, const ErrorBins& bins, double tol) {
    ASSERT_EQ(bins.overall.size(), bins.labels.size());
    ASSERT_EQ(bins.perKeypoint.size(), bins.labels.size() * static_cast<size_t>(e.keypoints));
    int64_t count = 0;
    double sum = 0;
    for (size_t b = 0; b < bins.labels.size(); ++b) {
        SCOPED_TRACE(bins.labels[b]);
        count += bins.overall[b].count;
        sum += bins.overall[b].sum;
        int64_t keypointCount = 0;
        double keypointSum = 0;
        for (int k = 0; k < e.keypoints; ++k) {
            keypointCount += bins.at(b, k).count;
            keypointSum += bins.at(b, k).sum;
        }
        EXPECT_EQ(keypointCount, bins.overall[b].count);
        EXPECT_NEAR(keypointSum, bins.overall[b].sum, tol * std::max(1.0, std::abs(bins.overall[b].sum)));
    }
    EXPECT_EQ(count, e.overall.count);
    EXPECT_NEAR(sum, e.overall.sum, tol * std::max(1.0, std::abs(e.overall.sum)));
    for (int k = 0; k < e.keypoints; ++k) {
        int64_t c = 0;
        double s = 0;
        for (size_t b = 0; b < bins.labels.size(); ++b) {
            c += bins.at(b, k).count;
            s += bins.at(b, k).sum;
        }
        EXPECT_EQ(c, e.perKeypoint[static_cast<size_t>(k)].count) << "keypoint " << k;
        EXPECT_NEAR(s, e.perKeypoint[static_cast<size_t>(k)].sum,
                    tol * std::max(1.0, std::abs(e.perKeypoint[static_cast<size_t>(k)].sum)))
            << "keypoint " << k;
    }
}

void expectEverythingSumsToTotals(const KeypointErrorBreakdown& e, double tol) {
    {
        SCOPED_TRACE("visibility");
        expectSumsToTotals(e, e.byVisibility, tol);
    }
    {
        SCOPED_TRACE("size");
        expectSumsToTotals(e, e.bySize, tol);
    }
    {
        SCOPED_TRACE("crowding");
        expectSumsToTotals(e, e.byCrowding, tol);
    }
    if (!e.byPruning.labels.empty()) {
        SCOPED_TRACE("pruning");
        expectSumsToTotals(e, e.byPruning, tol);
    }
}

std::string refusal(const BreakdownOptions& o, const std::string& run) {
    try {
        breakdownRun(run, "", o);
    } catch (const EvaluationError& e) {
        return e.what();
    }
    return "accepted";
}

}  // namespace

// ---- Breakdowns -----------------------------------------------------------------------------------

TEST(Breakdown, WholeRunAndSizeBinsAreTheScaleAnalysisAndCrowdingBinsAreKnownByHand) {
    const Scenario s = scenario("breakdown_accuracy");
    const RunBreakdown got = breakdownRun(s.runFile);
    EXPECT_EQ(got.run, s.runFile);
    EXPECT_EQ(got.samples, 9);
    EXPECT_EQ(got.images, 3u);
    EXPECT_EQ(got.rowsWithoutGt, 2);  // the crowd region's and the unlabelled person's rows
    EXPECT_FALSE(got.pruning);
    ASSERT_EQ(got.keypointNames.size(), 17u);

    // The whole run and the size bins: COCO's numbers, as the scale analysis computes them.
    const RunScaleAnalysis scales = analyseRunScales(s.runFile);
    ASSERT_EQ(scales.accuracy.size(), 4u);  // all, small, medium, large
    EXPECT_EQ(got.overall.label, "all");
    EXPECT_EQ(got.overall.ap, scales.accuracy[0].ap);
    EXPECT_EQ(got.overall.ap50, scales.accuracy[0].ap50);
    EXPECT_EQ(got.overall.ap75, scales.accuracy[0].ap75);
    EXPECT_EQ(got.overall.ar, scales.accuracy[0].ar);
    EXPECT_EQ(got.overall.persons, 8);
    ASSERT_EQ(got.bySize.size(), 3u);
    for (size_t b = 0; b < 3; ++b) {
        SCOPED_TRACE(got.bySize[b].label);
        EXPECT_EQ(got.bySize[b].label, scales.accuracy[b + 1].band.label);
        EXPECT_EQ(got.bySize[b].ap, scales.accuracy[b + 1].ap);
        EXPECT_EQ(got.bySize[b].ar, scales.accuracy[b + 1].ar);
        EXPECT_EQ(got.bySize[b].persons, scales.accuracy[b + 1].persons);
    }
    // A's area is 32² exactly: pycocotools counts it as small and as medium.
    EXPECT_EQ(got.bySize[0].persons, 2);  // C, A
    EXPECT_EQ(got.bySize[1].persons, 6);  // A, B, E, F, G, H
    EXPECT_EQ(got.bySize[2].persons, 1);  // D
    // By hand: 8 GTs; the three wrong predictions rank first, then the four right ones, so the
    // precision is 4/7 up to recall 4/8 at every OKS threshold: 51 of the 101 recall thresholds.
    EXPECT_NEAR(got.overall.ap, 51.0 / 101 * 4 / 7, kTol);
    EXPECT_NEAR(got.overall.ap50, 51.0 / 101 * 4 / 7, kTol);
    EXPECT_NEAR(got.overall.ar, 0.5, kTol);

    // People in the crop: "1" C, D; "2" A, B; "3+" E, F, G and H (no row: its own box's crop).
    ASSERT_EQ(got.byCrowding.size(), 3u);
    EXPECT_EQ(got.byCrowding[0].label, "1");
    EXPECT_EQ(got.byCrowding[1].label, "2");
    EXPECT_EQ(got.byCrowding[2].label, "3+");
    EXPECT_EQ(got.byCrowding[0].persons, 2);
    EXPECT_EQ(got.byCrowding[1].persons, 2);
    EXPECT_EQ(got.byCrowding[2].persons, 4);
    EXPECT_EQ(got.byCrowding[0].persons + got.byCrowding[1].persons + got.byCrowding[2].persons, got.overall.persons);
    // The wrong predictions outrank everything but count only in their own rows' bin: the other
    // bins are perfect; the crowded bin has no true positive.
    for (size_t b : {0u, 1u}) {
        SCOPED_TRACE(got.byCrowding[b].label);
        EXPECT_NEAR(got.byCrowding[b].ap, 1, kTol);
        EXPECT_NEAR(got.byCrowding[b].ap75, 1, kTol);
        EXPECT_NEAR(got.byCrowding[b].ar, 1, kTol);
    }
    EXPECT_EQ(got.byCrowding[2].ap, 0);
    EXPECT_EQ(got.byCrowding[2].ar, 0);

    // Through an open reader with the annotation file named: the same.
    const RunReader reader = RunReader::open(s.runFile);
    EXPECT_EQ(breakdownRun(reader, s.gtFile).byCrowding[1].ap, got.byCrowding[1].ap);
    // From the run's COCO input read once (as compare shares it with the taxonomy): the same.
    const RunBreakdown shared = breakdownRun(reader, cocoInputOfRun(reader, s.gtFile));
    EXPECT_EQ(shared.byCrowding[1].ap, got.byCrowding[1].ap);
    EXPECT_EQ(shared.overall.ap, got.overall.ap);
    EXPECT_EQ(shared.errors.overall.count, got.errors.overall.count);

    // Other people-in-crop bins: {1, 3} → "1-2", "3+".
    BreakdownOptions o;
    o.crowdingBins = {1, 3};
    const RunBreakdown two = breakdownRun(s.runFile, "", o);
    ASSERT_EQ(two.byCrowding.size(), 2u);
    EXPECT_EQ(two.byCrowding[0].label, "1-2");
    EXPECT_EQ(two.byCrowding[0].persons, 4);
    EXPECT_NEAR(two.byCrowding[0].ap, 1, kTol);
    EXPECT_EQ(two.errors.byCrowding.overall[0].count, 17 + 17 + 17 + 16);
}

TEST(Breakdown, KeypointErrorsAreKnownByHandAndEveryBreakdownSumsBackToTheTotals) {
    const Scenario s = scenario("breakdown_errors");
    const KeypointErrorBreakdown e = breakdownRun(s.runFile).errors;
    // Rows of A–G: 6 × 17 labelled keypoints and D's 16. Errors / √area: the moved hips 5/32 (A),
    // 5/64 (B), 5/16 (C), 5/128 (D); every keypoint of E, F, G 200/64 = 3.125.
    EXPECT_EQ(e.keypoints, 17);
    EXPECT_EQ(e.poses, 7);
    EXPECT_EQ(e.skippedWithoutArea, 0);
    const double hips = 5.0 / 32 + 5.0 / 64 + 5.0 / 16 + 5.0 / 128;
    EXPECT_EQ(e.overall.count, 118);
    EXPECT_EQ(e.overall.sum, hips + 51 * 3.125);
    EXPECT_EQ(e.overall.mean(), (hips + 51 * 3.125) / 118);
    EXPECT_EQ(e.perKeypoint[11].count, 7);
    EXPECT_EQ(e.perKeypoint[11].sum, hips + 3 * 3.125);
    EXPECT_EQ(e.perKeypoint[16].count, 6);  // D's is unlabelled
    EXPECT_EQ(e.perKeypoint[0].sum, 3 * 3.125);

    // Visibility: A's keypoints 11 and 12 are occluded.
    ASSERT_EQ(e.byVisibility.labels, (std::vector<std::string>{"visible", "occluded"}));
    EXPECT_EQ(e.byVisibility.overall[1].count, 2);
    EXPECT_EQ(e.byVisibility.overall[1].sum, 5.0 / 32);
    EXPECT_EQ(e.byVisibility.at(1, 11).sum, 5.0 / 32);
    EXPECT_EQ(e.byVisibility.at(1, 12).sum, 0);
    EXPECT_EQ(e.byVisibility.overall[0].count, 116);
    // Size, half-open: A (area 32²) is medium here.
    ASSERT_EQ(e.bySize.labels, (std::vector<std::string>{"small", "medium", "large"}));
    EXPECT_EQ(e.bySize.overall[0].count, 17);
    EXPECT_EQ(e.bySize.overall[0].sum, 5.0 / 16);
    EXPECT_EQ(e.bySize.overall[1].count, 85);
    EXPECT_EQ(e.bySize.overall[1].sum, 5.0 / 32 + 5.0 / 64 + 51 * 3.125);
    EXPECT_EQ(e.bySize.overall[2].count, 16);
    EXPECT_EQ(e.bySize.overall[2].sum, 5.0 / 128);
    // People in the crop: the row's own count.
    ASSERT_EQ(e.byCrowding.labels, (std::vector<std::string>{"1", "2", "3+"}));
    EXPECT_EQ(e.byCrowding.overall[0].count, 33);
    EXPECT_EQ(e.byCrowding.overall[0].sum, 5.0 / 16 + 5.0 / 128);
    EXPECT_EQ(e.byCrowding.overall[1].count, 34);
    EXPECT_EQ(e.byCrowding.overall[1].sum, 5.0 / 32 + 5.0 / 64);
    EXPECT_EQ(e.byCrowding.overall[2].count, 51);
    EXPECT_EQ(e.byCrowding.at(2, 5).sum, 3 * 3.125);
    EXPECT_TRUE(e.byPruning.labels.empty());
    EXPECT_TRUE(e.byPruning.overall.empty());
    // Every value is exact in binary, so the bins add up exactly.
    expectEverythingSumsToTotals(e, 0);

    // The totals are the scale analysis's keypoint errors over all sizes.
    const RunScaleAnalysis scales = analyseRunScales(s.runFile);
    EXPECT_EQ(scales.errors.overall[0].count, e.overall.count);
    EXPECT_NEAR(scales.errors.overall[0].meanNormalised, e.overall.mean(), kTol);
    for (int k = 0; k < 17; ++k)
        EXPECT_NEAR(scales.errors.at(0, k).meanNormalised, e.perKeypoint[static_cast<size_t>(k)].mean(), kTol) << k;
    EXPECT_THROW(e.byVisibility.at(2, 0), EvaluationError);
    EXPECT_THROW(e.byVisibility.at(0, 17), EvaluationError);
    EXPECT_TRUE(std::isnan(ErrorSum{}.mean()));
}

TEST(Breakdown, PrunedShareBinsFollowTheTokensKeptAroundEachKeypoint) {
    // The same scenario recorded by a "PPT" whose one pruning keeps the top half of a 4 × 3 token
    // grid. Each person's keypoint rows lie in grid rows 0, 1, 2, 3 of its crop (5, 5, 5 and 2
    // keypoints): within one cell of them 0, 1/3, 2/3 and all of the tokens are pruned.
    const Scenario s = scenario("breakdown_pruning", /*pruning*/ true);
    const RunBreakdown got = breakdownRun(s.runFile);
    EXPECT_TRUE(got.pruning);
    const ErrorBins& p = got.errors.byPruning;
    ASSERT_EQ(p.labels, (std::vector<std::string>{"0", "(0, 0.5]", "(0.5, 1]"}));
    EXPECT_EQ(p.overall[0].count, 35);
    EXPECT_EQ(p.overall[1].count, 35);
    EXPECT_EQ(p.overall[2].count, 6 * 7 + 6);  // D's keypoint 16 is unlabelled
    EXPECT_EQ(p.at(2, 11).count, 7);           // every moved hip (grid row 2)
    EXPECT_EQ(p.at(0, 11).count, 0);
    EXPECT_EQ(p.overall[0].sum, 3 * 5 * 3.125);
    EXPECT_EQ(p.overall[1].sum, 3 * 5 * 3.125);
    EXPECT_EQ(p.overall[2].sum, 5.0 / 32 + 5.0 / 64 + 5.0 / 16 + 5.0 / 128 + 3 * 7 * 3.125);
    expectEverythingSumsToTotals(got.errors, 0);
    // The other breakdowns do not depend on the model's tokens.
    const RunBreakdown plain = breakdownRun(scenario("breakdown_pruning_plain").runFile);
    EXPECT_EQ(plain.errors.byCrowding.overall[2].sum, got.errors.byCrowding.overall[2].sum);
    EXPECT_EQ(plain.overall.ap, got.overall.ap);

    // Only the keypoint's own token (radius 0): grid rows 0 and 1 kept, 2 and 3 pruned.
    BreakdownOptions o;
    o.pruningRadius = 0;
    const ErrorBins own = breakdownRun(s.runFile, "", o).errors.byPruning;
    EXPECT_EQ(own.overall[0].count, 70);
    EXPECT_EQ(own.overall[1].count, 0);
    EXPECT_EQ(own.overall[2].count, 48);
}

TEST(Breakdown, ARecordedPptRunSumsBackAndCountsEveryLabelledKeypoint) {
    const std::string path = test::sharedPptRun();
    const RunBreakdown got = breakdownRun(path);
    ASSERT_TRUE(got.pruning);
    EXPECT_EQ(got.rowsWithoutGt, 0);
    EXPECT_EQ(got.errors.skippedWithoutArea, 0);
    EXPECT_EQ(got.errors.poses, got.samples);
    expectEverythingSumsToTotals(got.errors, 1e-12);
    // Every labelled keypoint of the run once, as the workbench's pruning curve counts them.
    const auto browser = RunBrowser::open(path);
    int64_t labelled = 0, bins = 0, occluded = 0;
    for (const SampleFacts& f : browser->facts()) {
        labelled += f.labelled;
        occluded += f.occluded;
    }
    for (const PruningErrorBin& b : browser->pruningError({}))
        bins += b.count;
    EXPECT_EQ(got.errors.overall.count, labelled);
    EXPECT_EQ(bins, labelled);
    EXPECT_EQ(got.errors.byVisibility.overall[1].count, occluded);
    int64_t persons = 0;
    for (const AccuracyBin& b : got.byCrowding)
        persons += b.persons;
    EXPECT_EQ(persons, got.overall.persons);
    // A TransPose run has no pruning breakdown.
    const RunBreakdown plain = breakdownRun(test::sharedRun());
    EXPECT_FALSE(plain.pruning);
    EXPECT_TRUE(plain.errors.byPruning.labels.empty());
    expectEverythingSumsToTotals(plain.errors, 1e-12);
}

TEST(Breakdown, BinLabelsAndBins) {
    EXPECT_EQ(crowdingBinLabels({1, 2, 3}), (std::vector<std::string>{"1", "2", "3+"}));
    EXPECT_EQ(crowdingBinLabels({0, 1, 4}), (std::vector<std::string>{"0", "1-3", "4+"}));
    EXPECT_EQ(crowdingBin(0, {1, 2, 3}), 0u);  // the first bin takes counts below it
    EXPECT_EQ(crowdingBin(1, {1, 2, 3}), 0u);
    EXPECT_EQ(crowdingBin(2, {1, 2, 3}), 1u);
    EXPECT_EQ(crowdingBin(7, {1, 2, 3}), 2u);
    EXPECT_EQ(prunedShareBinLabels({0.5, 1}), (std::vector<std::string>{"0", "(0, 0.5]", "(0.5, 1]"}));
    EXPECT_EQ(prunedShareBin(0, {0.5, 1}), 0u);
    EXPECT_EQ(prunedShareBin(1.0 / 9, {0.5, 1}), 1u);
    EXPECT_EQ(prunedShareBin(0.5, {0.5, 1}), 1u);
    EXPECT_EQ(prunedShareBin(5.0 / 9, {0.5, 1}), 2u);
    EXPECT_EQ(prunedShareBin(1, {0.5, 1}), 2u);
}

TEST(Breakdown, RefusesBadOptionsAndRunsWithoutCocoGroundTruth) {
    const Scenario s = scenario("breakdown_refusals");
    BreakdownOptions gap;
    gap.sizeBins = {{"small", 0, 1024}, {"large", 9216, 1e10}};
    EXPECT_NE(refusal(gap, s.runFile).find("'large' does not start where 'small' ends"), std::string::npos)
        << refusal(gap, s.runFile);
    BreakdownOptions notFromZero;
    notFromZero.sizeBins = {{"big", 100, 1e10}};
    EXPECT_NE(refusal(notFromZero, s.runFile).find("start at area 0"), std::string::npos);
    BreakdownOptions all;
    all.sizeBins = {{"all", 0, 1e10}};
    EXPECT_NE(refusal(all, s.runFile).find("reserved"), std::string::npos);
    BreakdownOptions crowding;
    crowding.crowdingBins = {1, 3, 2};
    EXPECT_NE(refusal(crowding, s.runFile).find("strictly ascending"), std::string::npos);
    BreakdownOptions edges;
    edges.prunedShareEdges = {0.25, 0.5};
    EXPECT_NE(refusal(edges, s.runFile).find("must be 1"), std::string::npos);
    BreakdownOptions radius;
    radius.pruningRadius = -1;
    EXPECT_NE(refusal(radius, s.runFile).find("radius"), std::string::npos);
    EXPECT_EQ(refusal(BreakdownOptions{}, s.runFile), "accepted");

    // An MPII run, and sigmas that do not match the keypoints: FileError naming the run.
    RunHeader h = scenarioHeader(s.gtFile, false, 9);
    h.datasetKind = "mpii";
    const std::string mpii = test::outputPath("breakdown_mpii.h5");
    writeRun(mpii, h, s.rows);
    try {
        breakdownRun(mpii);
        ADD_FAILURE() << "an MPII run was broken down";
    } catch (const FileError& e) {
        EXPECT_EQ(e.file(), mpii);
        EXPECT_NE(std::string(e.what()).find("MPII"), std::string::npos) << e.what();
    }
    BreakdownOptions sigmas;
    sigmas.eval.sigmas = {0.1, 0.1};
    try {
        breakdownRun(s.runFile, "", sigmas);
        ADD_FAILURE() << "2 sigmas for 17 keypoints were accepted";
    } catch (const FileError& e) {
        EXPECT_EQ(e.file(), s.runFile);
    }
}

// ---- Pairing runs ---------------------------------------------------------------------------------

namespace {

// A row of a three-keypoint run (run_files.h's header): image, annotation, box, GT and prediction.
RunSample threeKeypointRow(int64_t index, int64_t imageId, int64_t annotationId, std::array<float, 4> box,
                           std::vector<float> gt, std::vector<float> predicted) {
    RunSample s;
    s.index = index;
    s.imageId = imageId;
    s.annotationId = annotationId;
    s.box = box;
    s.groundTruth = std::move(gt);
    s.keypoints = std::move(predicted);
    s.layerKeypoints = s.keypoints;
    s.queryTokens = {0, 1, 2};
    s.dependency = torch::zeros({1, 3, 6});
    s.cropJpeg = "not a jpeg";
    return s;
}

// Run A: (image 1, ann 11), (1, 12), (2, 21), two detected boxes in image 2 (annotation id 0, no
// GT), (3, 31); every prediction 1 px right of its GT (detections: anywhere).
std::vector<RunSample> pairingRows() {
    auto person = [](int64_t index, int64_t image, int64_t ann, float x) {
        const std::vector<float> gt = {x, 10, 2, x + 10, 20, 2, x + 20, 30, 1};
        std::vector<float> p = gt;
        for (int k = 0; k < 3; ++k) {
            p[static_cast<size_t>(3 * k)] += 1;
            p[static_cast<size_t>(3 * k + 2)] = 0.9f;
        }
        return threeKeypointRow(index, image, ann, {x - 5, 5, 40, 100}, gt, p);
    };
    auto detection = [](int64_t index, float x) {
        return threeKeypointRow(index, 2, 0, {x, 0, 50, 50}, {}, {x, 1, 0.5f, x + 1, 2, 0.5f, x + 2, 3, 0.5f});
    };
    return {person(0, 1, 11, 10), person(1, 1, 12, 60), person(2, 2, 21, 10),
            detection(3, 100),    detection(4, 200),    person(5, 3, 31, 10)};
}

std::string pairingRun(const std::string& name, const std::vector<RunSample>& rows, RunHeader h) {
    const std::string path = test::outputPath(name + ".h5");
    h.totalSamples = h.plannedSamples = static_cast<int64_t>(rows.size());
    writeRun(path, h, rows);
    return path;
}

std::string pairingRefusal(const std::vector<std::string>& runs, const PairingOptions& o = {}) {
    try {
        pairRunFiles(runs, o);
    } catch (const FileError& e) {
        return std::string("FileError ") + e.file() + ": " + e.problem();
    } catch (const EvaluationError& e) {
        return std::string("EvaluationError ") + e.what();
    }
    return "accepted";
}

}  // namespace

TEST(RunPairing, ARunWithItselfDisagreesNowhere) {
    const std::string a = pairingRun("pairing_self", pairingRows(), test::threeKeypointRunHeader(1, 1, 6));
    const RunPairing p = pairRunFiles({a, a});
    EXPECT_EQ(p.runs, (std::vector<std::string>{a, a}));
    ASSERT_EQ(p.samples.size(), 6u);
    EXPECT_EQ(p.unpaired, (std::vector<int64_t>{0, 0}));
    for (size_t i = 0; i < p.samples.size(); ++i) {
        const PairedSample& s = p.samples[i];
        SCOPED_TRACE(i);
        EXPECT_EQ(s.rows, (std::vector<int64_t>{static_cast<int64_t>(i), static_cast<int64_t>(i)}));
        ASSERT_EQ(s.oks.size(), 2u);
        if (s.annotationId == 0) {  // detected boxes: no GT, no OKS
            EXPECT_TRUE(std::isnan(s.oks[0]));
            EXPECT_TRUE(std::isnan(s.disagreement));
        } else {
            EXPECT_GT(s.oks[0], 0.5);
            EXPECT_LT(s.oks[0], 1);
            EXPECT_EQ(s.oks[0], s.oks[1]);
            EXPECT_EQ(s.disagreement, 0);
        }
    }
    EXPECT_EQ(p.samples[3].occurrence, 0);  // the two detections of image 2
    EXPECT_EQ(p.samples[4].occurrence, 1);
    // One run: every sample, no disagreement. A reader given twice: the same as the path twice.
    const RunReader reader = RunReader::open(a);
    EXPECT_EQ(pairRuns({&reader}).samples.size(), 6u);
    EXPECT_EQ(pairRuns({&reader}).samples[0].disagreement, 0);
    EXPECT_EQ(pairRuns({&reader, &reader}).samples[2].oks, p.samples[2].oks);
    // The hand-made scenario of the breakdowns with itself too.
    const Scenario s = scenario("pairing_scenario_self");
    for (const PairedSample& x : pairRunFiles({s.runFile, s.runFile}).samples)
        if (!std::isnan(x.disagreement)) {
            EXPECT_EQ(x.disagreement, 0);
        }
}

TEST(RunPairing, TheShiftedSampleDisagreesMostInAReorderedSubset) {
    const std::vector<RunSample> rows = pairingRows();
    const std::string a = pairingRun("pairing_a", rows, test::threeKeypointRunHeader(1, 1, 6));
    // Run B: another order (the detections keep theirs), without (1, 12), and (3, 31) 6 px off.
    RunSample shifted = rows[5];
    for (int k = 0; k < 3; ++k)
        shifted.keypoints[static_cast<size_t>(3 * k)] += 6;
    RunHeader hb = test::threeKeypointRunHeader(1, 1, 5);
    hb.modelFamily = "PPT";
    hb.selection = "first 5";
    const std::string b = pairingRun("pairing_b", {shifted, rows[3], rows[2], rows[4], rows[0]}, hb);

    RunPairing p = pairRunFiles({a, b});
    EXPECT_EQ(p.unpaired, (std::vector<int64_t>{1, 0}));
    ASSERT_EQ(p.samples.size(), 5u);  // in A's order
    const std::vector<std::vector<int64_t>> want = {{0, 4}, {2, 2}, {3, 1}, {4, 3}, {5, 0}};
    for (size_t i = 0; i < want.size(); ++i)
        EXPECT_EQ(p.samples[i].rows, want[i]) << i;
    // The OKS is keypointOks against the stored GT with the box area (σ 0.1 for three keypoints).
    PersonAnnotation gt;
    gt.keypoints.assign(rows[5].groundTruth.begin(), rows[5].groundTruth.end());
    gt.bbox = {rows[5].box[0], rows[5].box[1], rows[5].box[2], rows[5].box[3]};
    gt.area = 40.0 * 100;
    const std::vector<double> sigmas = {0.1, 0.1, 0.1};
    const double oksA =
        keypointOks(gt, std::vector<double>(rows[5].keypoints.begin(), rows[5].keypoints.end()), sigmas);
    const double oksB =
        keypointOks(gt, std::vector<double>(shifted.keypoints.begin(), shifted.keypoints.end()), sigmas);
    EXPECT_EQ(p.samples[4].oks, (std::vector<double>{oksA, oksB}));
    EXPECT_EQ(p.samples[4].disagreement, oksA - oksB);
    EXPECT_GT(oksA - oksB, 0.05);

    sortByDisagreement(p.samples);
    EXPECT_EQ(p.samples[0].imageId, 3);
    EXPECT_EQ(p.samples[0].annotationId, 31);
    EXPECT_EQ(p.samples[1].annotationId, 11);  // then the agreeing ones in their order
    EXPECT_EQ(p.samples[1].disagreement, 0);
    EXPECT_EQ(p.samples[2].annotationId, 21);
    EXPECT_TRUE(std::isnan(p.samples[3].disagreement));  // no GT: last
    EXPECT_TRUE(std::isnan(p.samples[4].disagreement));
    EXPECT_EQ(p.samples[3].occurrence, 0);
    EXPECT_EQ(p.samples[4].occurrence, 1);
}

TEST(RunPairing, RefusesRunsOfOtherSamplesAndBadArguments) {
    const std::string a = pairingRun("pairing_refusal_a", pairingRows(), test::threeKeypointRunHeader(1, 1, 6));
    RunHeader other = test::threeKeypointRunHeader(1, 1, 6);
    other.datasetSha256 = std::string(64, 'c');
    const std::string b = pairingRun("pairing_refusal_b", pairingRows(), other);
    EXPECT_EQ(pairingRefusal({a, b}), "FileError " + b + ": does not hold the samples of " + a +
                                          ": its dataset_sha256 is '" + std::string(64, 'c') + "', not '" +
                                          std::string(64, 'b') + "'");
    RunHeader boxes = test::threeKeypointRunHeader(1, 1, 6);
    boxes.boxesSha256 = std::string(64, 'd');
    const std::string c = pairingRun("pairing_refusal_c", pairingRows(), boxes);
    EXPECT_NE(pairingRefusal({a, c}).find("boxes_sha256"), std::string::npos);
    const Scenario coco = scenario("pairing_refusal_coco");
    EXPECT_NE(pairingRefusal({a, coco.runFile}).find("its number of keypoints is '17', not '3'"), std::string::npos)
        << pairingRefusal({a, coco.runFile});
    EXPECT_EQ(pairingRefusal({}), "EvaluationError run pairing: no runs");
    PairingOptions o;
    o.sigmas = {0.1};
    EXPECT_EQ(pairingRefusal({a}, o), "EvaluationError run pairing: 1 OKS sigmas for 3 keypoints");
    EXPECT_THROW(pairRuns(std::vector<const RunReader*>{nullptr}), EvaluationError);
}

TEST(RunPairing, RelativeLayerMatchesLayersByDepth) {
    EXPECT_EQ(relativeLayer(0, 4, 6), 0);
    EXPECT_EQ(relativeLayer(1, 4, 6), 2);
    EXPECT_EQ(relativeLayer(2, 4, 6), 3);
    EXPECT_EQ(relativeLayer(3, 4, 6), 5);
    const std::vector<int> back = {0, 1, 1, 2, 3, 3};
    for (int l = 0; l < 6; ++l)
        EXPECT_EQ(relativeLayer(l, 6, 4), back[static_cast<size_t>(l)]) << l;
    for (int l = 0; l < 12; ++l) {
        EXPECT_EQ(relativeLayer(l, 12, 12), l);
        EXPECT_EQ(relativeLayer(l, 12, 3), l / 4);
        EXPECT_EQ(relativeLayer(l, 12, 2), layerAtSameDepth(l, 12, 2));
    }
    EXPECT_EQ(relativeLayer(-1, 4, 6), -1);  // every layer stays every layer
    EXPECT_EQ(relativeLayer(0, 0, 6), -1);
}

TEST(RunPairing, RecordedRunsOfTwoModelsPairRowByRowWithTheWorkbenchsOks) {
    const std::string transpose = test::sharedRun(), ppt = test::sharedPptRun();
    const RunPairing p = pairRunFiles({transpose, ppt});
    const auto a = RunBrowser::open(transpose), b = RunBrowser::open(ppt);
    ASSERT_EQ(static_cast<int64_t>(p.samples.size()), a->size());
    EXPECT_EQ(p.unpaired, (std::vector<int64_t>{0, 0}));
    for (size_t i = 0; i < p.samples.size(); ++i) {
        const PairedSample& s = p.samples[i];
        SCOPED_TRACE(i);
        EXPECT_EQ(s.rows, (std::vector<int64_t>{static_cast<int64_t>(i), static_cast<int64_t>(i)}));
        EXPECT_EQ(s.imageId, a->facts()[i].imageId);
        EXPECT_EQ(s.annotationId, a->facts()[i].annotationId);
        EXPECT_EQ(s.oks[0], a->facts()[i].oks);  // the sample list's OKS (box area)
        EXPECT_EQ(s.oks[1], b->facts()[i].oks);
        EXPECT_EQ(s.disagreement, std::abs(s.oks[0] - s.oks[1]));
    }
    for (const PairedSample& s : pairRunFiles({ppt, ppt}).samples)
        EXPECT_EQ(s.disagreement, 0);
    EXPECT_EQ(relativeLayer(1, a->header().layers, b->header().layers), 9);  // 2 → 12 layers
}
