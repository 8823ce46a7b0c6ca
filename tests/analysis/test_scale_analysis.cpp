// Accuracy by person scale: per-band AP/AR and keypoint errors on hand-built sets, band parsing,
// the decoder quantisation analysis on points whose decoded positions are known by hand, and the
// analysis of a recorded run (run_scales.h) against the same computation done step by step.
//
// Reminder (pycocotools, see test_coco_eval.cpp): a lone true positive has precision 1/(1 + eps),
// so a perfect band's AP is 1 − 2e-16, not 1; a band's AP averages 10 OKS thresholds .50:.05:.95.
#include "coco_cases.h"
#include "coco_json.h"
#include "posescope/analysis/pose_nms.h"
#include "posescope/analysis/run_scales.h"
#include "posescope/analysis/run_store.h"
#include "posescope/analysis/scale_analysis.h"
#include "posescope/datasets/skeleton.h"
#include "run_files.h"
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
using analysis::AreaRange;
using analysis::BandAccuracy;
using analysis::EvaluationError;
using analysis::QuantisationDecoder;
using analysis::QuantisationOptions;
using analysis::ScaledPose;

namespace {

constexpr double kTol = 1e-12;
enum Band { All, Small, Medium, Large };  // defaultScaleBands() order

using test::atOks;
using test::exactly;
using test::person;

std::vector<ImageInfo> images(int n) {
    std::vector<ImageInfo> out;
    for (int i = 1; i <= n; ++i) {
        ImageInfo img;
        img.id = i;
        img.width = 640;
        img.height = 480;
        out.push_back(img);
    }
    return out;
}

std::string refusal(const std::string& spec) {
    try {
        analysis::parseScaleBands(spec);
    } catch (const EvaluationError& e) {
        return e.what();
    }
    return "accepted";
}

}  // namespace

TEST(ScaleAnalysis, DefaultBandsAreCocosPlusSmall) {
    const std::vector<AreaRange> b = analysis::defaultScaleBands();
    ASSERT_EQ(b.size(), 4u);
    EXPECT_EQ(b[All].label, "all");
    EXPECT_EQ(b[Small].label, "small");
    EXPECT_EQ(b[Small].min, 0);
    EXPECT_EQ(b[Small].max, 1024);
    EXPECT_EQ(b[Medium].min, 1024);
    EXPECT_EQ(b[Medium].max, 9216);
    EXPECT_EQ(b[Large].min, 9216);
    EXPECT_EQ(b[Large].max, 1e10);
}

TEST(ScaleAnalysis, PerfectLargeBandHasApOneAndTheOffSmallBandLess) {
    // Two small persons (areas 500, 600) predicted at OKS 0.62 (right at .50, .55, .60 only), two
    // large ones (15000, 19200) predicted exactly, far apart; an unlabelled small GT counts nowhere.
    const std::vector<PersonAnnotation> gt = {person(1, 1, 10, 10, 20, 25), person(2, 2, 10, 10, 20, 30),
                                              person(3, 1, 300, 100, 100, 150), person(4, 2, 300, 100, 120, 160), [] {
                                                  PersonAnnotation u = person(5, 1, 200, 10, 20, 20);
                                                  u.keypoints.assign(51, 0.0);
                                                  u.numKeypoints = 0;
                                                  return u;
                                              }()};
    const std::vector<PosePrediction> dt = {atOks(gt[0], 0.62, 0.9), atOks(gt[1], 0.62, 0.9), exactly(gt[2], 0.8),
                                            exactly(gt[3], 0.8)};
    const std::vector<BandAccuracy> r = analysis::accuracyByScale(images(2), gt, dt);
    ASSERT_EQ(r.size(), 4u);
    EXPECT_EQ(r[All].persons, 4);
    EXPECT_EQ(r[Small].persons, 2);
    EXPECT_EQ(r[Medium].persons, 0);
    EXPECT_EQ(r[Large].persons, 2);

    EXPECT_NEAR(r[Large].ap, 1.0, kTol);
    EXPECT_NEAR(r[Large].ap50, 1.0, kTol);
    EXPECT_NEAR(r[Large].ap75, 1.0, kTol);
    EXPECT_NEAR(r[Large].ar, 1.0, kTol);
    // Small: both true positives at 3 of the 10 thresholds, false positives at the other 7.
    EXPECT_NEAR(r[Small].ap, 0.3, kTol);
    EXPECT_NEAR(r[Small].ap50, 1.0, kTol);
    EXPECT_EQ(r[Small].ap75, 0.0);
    EXPECT_NEAR(r[Small].ar, 0.3, kTol);
    // No medium GT: −1 everywhere, as pycocotools.
    EXPECT_EQ(r[Medium].ap, -1);
    EXPECT_EQ(r[Medium].ar, -1);
    EXPECT_GT(r[All].ap, r[Small].ap);
    EXPECT_LT(r[All].ap, r[Large].ap);
    EXPECT_EQ(r[Small].band.label, "small");

    // The same numbers as evaluateCocoKeypoints' own summary for COCO's medium/large labels.
    analysis::CocoEvalOptions coco;
    coco.areaRanges = {{"all", 0, 1e10}, {"medium", 0, 1024}, {"large", 9216, 1e10}};
    const auto summary = analysis::evaluateCocoKeypoints(images(2), gt, dt, coco);
    EXPECT_EQ(r[All].ap, summary.stats[0]);
    EXPECT_EQ(r[All].ap50, summary.stats[1]);
    EXPECT_EQ(r[All].ap75, summary.stats[2]);
    EXPECT_EQ(r[Small].ap, summary.stats[3]);
    EXPECT_EQ(r[Large].ap, summary.stats[4]);
    EXPECT_EQ(r[All].ar, summary.stats[5]);
    EXPECT_EQ(r[Small].ar, summary.stats[8]);
}

TEST(ScaleAnalysis, BandBoundsAreInclusiveAsPycocotools) {
    // Areas 1024 (= 32², small and medium), 1025 (medium only) and 9216 (= 96², medium and large).
    const std::vector<PersonAnnotation> gt = {person(1, 1, 10, 10, 32, 32), person(2, 2, 10, 10, 25, 41),
                                              person(3, 3, 10, 10, 96, 96)};
    ASSERT_EQ(gt[1].area, 1025);
    const std::vector<PosePrediction> dt = {exactly(gt[0], 0.9), exactly(gt[1], 0.8), exactly(gt[2], 0.7)};
    const std::vector<BandAccuracy> r = analysis::accuracyByScale(images(3), gt, dt);
    EXPECT_EQ(r[All].persons, 3);
    EXPECT_EQ(r[Small].persons, 1);
    EXPECT_EQ(r[Medium].persons, 3);
    EXPECT_EQ(r[Large].persons, 1);
    // Each band evaluates its persons (a band without GT would read −1).
    for (int b : {All, Small, Medium, Large})
        EXPECT_NEAR(r[static_cast<std::size_t>(b)].ap, 1.0, kTol) << r[static_cast<std::size_t>(b)].band.label;

    std::vector<ScaledPose> poses;
    for (const PersonAnnotation& g : gt)
        poses.push_back({g.area, g.keypoints, exactly(g, 1).keypoints});
    const analysis::KeypointErrorTable t = analysis::keypointErrorsByScale(poses);
    EXPECT_EQ(t.persons, (std::vector<int64_t>{3, 1, 3, 1}));
    EXPECT_EQ(t.overall[Small].count, 17);
    EXPECT_EQ(t.overall[Medium].count, 51);
    EXPECT_EQ(t.overall[Medium].meanPixels, 0);
}

TEST(ScaleAnalysis, KeypointErrorsMatchHandComputedMeans) {
    // Small pose (area 100, scale 10): every keypoint off by (3, 4) = 5 px, keypoint 16 unlabelled
    // and far off. Large pose (area 10000, scale 100): off by (6, 8) = 10 px.
    ScaledPose small{100, std::vector<double>(51), std::vector<double>(51)};
    ScaledPose large{10000, std::vector<double>(51), std::vector<double>(51)};
    for (int k = 0; k < 17; ++k) {
        for (ScaledPose* p : {&small, &large}) {
            p->groundTruth[3 * k] = 10 + k;
            p->groundTruth[3 * k + 1] = 20;
            p->groundTruth[3 * k + 2] = 2;
        }
        small.predicted[3 * k] = 13 + k;
        small.predicted[3 * k + 1] = 24;
        large.predicted[3 * k] = 16 + k;
        large.predicted[3 * k + 1] = 28;
    }
    small.groundTruth[3 * 16 + 2] = 0;
    small.predicted[3 * 16] = 1000;
    const ScaledPose noArea{0, small.groundTruth, small.predicted};

    const analysis::KeypointErrorTable t = analysis::keypointErrorsByScale({small, large, noArea});
    EXPECT_EQ(t.keypoints, 17);
    EXPECT_EQ(t.skippedWithoutArea, 1);
    EXPECT_EQ(t.persons, (std::vector<int64_t>{2, 1, 0, 1}));
    EXPECT_EQ(t.at(Small, 0).count, 1);
    EXPECT_DOUBLE_EQ(t.at(Small, 0).meanPixels, 5);
    EXPECT_DOUBLE_EQ(t.at(Small, 0).meanNormalised, 0.5);
    EXPECT_EQ(t.at(Small, 16).count, 0);
    EXPECT_TRUE(std::isnan(t.at(Small, 16).meanPixels));
    EXPECT_DOUBLE_EQ(t.at(Large, 5).meanPixels, 10);
    EXPECT_DOUBLE_EQ(t.at(Large, 5).meanNormalised, 0.1);
    EXPECT_EQ(t.at(Medium, 3).count, 0);
    EXPECT_DOUBLE_EQ(t.at(All, 0).meanPixels, 7.5);
    EXPECT_DOUBLE_EQ(t.at(All, 0).meanNormalised, 0.3);
    EXPECT_EQ(t.at(All, 16).count, 1);
    EXPECT_DOUBLE_EQ(t.at(All, 16).meanPixels, 10);
    EXPECT_EQ(t.overall[Small].count, 16);
    EXPECT_DOUBLE_EQ(t.overall[Small].meanNormalised, 0.5);
    EXPECT_EQ(t.overall[All].count, 33);
    EXPECT_NEAR(t.overall[All].meanPixels, (16 * 5.0 + 17 * 10.0) / 33, kTol);
    EXPECT_NEAR(t.overall[All].meanNormalised, (16 * 0.5 + 17 * 0.1) / 33, kTol);
    EXPECT_THROW(t.at(4, 0), EvaluationError);

    ScaledPose shortPose = large;
    shortPose.predicted.resize(48);
    try {
        analysis::keypointErrorsByScale({large, shortPose});
        FAIL() << "a pose with 16 predicted keypoints was accepted";
    } catch (const EvaluationError& e) {
        EXPECT_NE(std::string(e.what()).find("pose 1 has 51 ground-truth and 48 predicted values, expected 51"),
                  std::string::npos)
            << e.what();
    }
}

TEST(ScaleAnalysis, BandStringsParseIntoAllThenTheBands) {
    const auto b = analysis::parseScaleBands("tiny=0:256,small=256:1024,rest=1024:1e10");
    ASSERT_EQ(b.size(), 4u);
    EXPECT_EQ(b[0].label, "all");
    EXPECT_EQ(b[0].max, 1e10);
    EXPECT_EQ(b[1].label, "tiny");
    EXPECT_EQ(b[1].max, 256);
    EXPECT_EQ(b[2].min, 256);
    EXPECT_EQ(b[3].label, "rest");
    EXPECT_EQ(b[3].max, 1e10);
}

TEST(ScaleAnalysis, BadBandStringsAreRefusedNamingThePiece) {
    EXPECT_NE(refusal("").find("empty; expected NAME=MIN:MAX"), std::string::npos) << refusal("");
    EXPECT_NE(refusal("small").find("scale band 'small': expected NAME=MIN:MAX"), std::string::npos);
    EXPECT_NE(refusal("small=0").find("scale band 'small=0': expected MIN:MAX"), std::string::npos);
    EXPECT_NE(refusal("=0:5").find("no name before '='"), std::string::npos);
    EXPECT_NE(refusal("small=0:x").find("'x' is not a finite number"), std::string::npos);
    EXPECT_NE(refusal("small=:5").find("'' is not a finite number"), std::string::npos);
    EXPECT_NE(refusal("small=0:inf").find("'inf' is not a finite number"), std::string::npos);
    EXPECT_NE(refusal("small=9:5").find("MIN is above MAX"), std::string::npos);
    EXPECT_NE(refusal("small=0:5,small=5:9").find("the name 'small' is used twice"), std::string::npos);
    EXPECT_NE(refusal("all=0:5").find("'all' is reserved"), std::string::npos);
    EXPECT_NE(refusal("small=0:5,").find("an empty band"), std::string::npos);
    // Band lists given directly are checked too.
    EXPECT_THROW(analysis::keypointErrorsByScale({}, {{"a", 5, 1}}), EvaluationError);
    EXPECT_THROW(analysis::keypointErrorsByScale({}, {{"a", 0, 1}, {"a", 1, 2}}), EvaluationError);
}

TEST(ScaleAnalysis, DecodersAreExactOnBinCentres) {
    QuantisationOptions o;  // 192×256 input, heatmaps 48×64 (stride 4), SimCC k = 2
    // Heatmap pixel centres are crop multiples of 4; SimCC bins are multiples of 0.5.
    const std::vector<std::array<double, 2>> heatmapCentres = {{40, 60}, {100, 128}, {32, 200}};
    for (double e : analysis::decoderCropErrors(QuantisationDecoder::Argmax, heatmapCentres, o))
        EXPECT_EQ(e, 0);
    const std::vector<std::array<double, 2>> simccCentres = {{40.5, 60}, {101, 127.5}, {3.5, 250}};
    for (double e : analysis::decoderCropErrors(QuantisationDecoder::SimCC, simccCentres, o))
        EXPECT_EQ(e, 0);
    // Half-way between two heatmap pixels, argmax takes the first maximum: 2 crop pixels off; SimCC
    // rounds 40.25·2 = 80.5 half to even (bin 80 = 40.0): 0.25 off.
    EXPECT_EQ(analysis::decoderCropErrors(QuantisationDecoder::Argmax, {{42, 60}}, o)[0], 2);
    EXPECT_EQ(analysis::decoderCropErrors(QuantisationDecoder::SimCC, {{40.25, 60}}, o)[0], 0.25);
    EXPECT_THROW(analysis::decoderCropErrors(QuantisationDecoder::Dark, {{192, 10}}, o), EvaluationError);
}

TEST(ScaleAnalysis, DarkAndQuarterOffsetBeatArgmaxOnAverage) {
    QuantisationOptions o;
    o.personHeights = {64};
    o.samplesPerSize = 1000;
    const analysis::QuantisationResult q = analysis::decoderQuantisation(o);
    ASSERT_EQ(q.rows.size(), 4u);
    const analysis::QuantisationRow &argmax = q.rows[0], &quarter = q.rows[1], &dark = q.rows[2], &simcc = q.rows[3];
    EXPECT_EQ(dark.decoder, QuantisationDecoder::Dark);
    EXPECT_EQ(dark.samples, 1000);
    // Argmax: each axis off uniformly in [−2, 2] crop pixels, mean distance ≈ 1.53 (4 × 0.3826).
    EXPECT_NEAR(argmax.meanCropPixels, 1.53, 0.08);
    EXPECT_LT(quarter.meanCropPixels, argmax.meanCropPixels);
    EXPECT_LT(dark.meanCropPixels, 0.1 * argmax.meanCropPixels);
    EXPECT_LT(dark.meanPixels, argmax.meanPixels);
    // SimCC with k = 2: each axis off by at most 0.25 crop pixels.
    EXPECT_LE(simcc.p95Pixels, std::hypot(0.25, 0.25) * 1.25 * 64 / 256 + kTol);
    EXPECT_LE(argmax.p95Pixels, std::hypot(2.0, 2.0) * 1.25 * 64 / 256 + kTol);
    EXPECT_LT(argmax.meanPixels, argmax.p95Pixels);
}

TEST(ScaleAnalysis, ImageErrorGrowsWithHeightWhileTheNormalisedErrorStaysTheSame) {
    QuantisationOptions o;
    o.personHeights = {16, 64, 256, 512};
    o.samplesPerSize = 200;
    o.decoders = {QuantisationDecoder::Argmax, QuantisationDecoder::SimCC};
    const analysis::QuantisationResult q = analysis::decoderQuantisation(o);
    ASSERT_EQ(q.rows.size(), 8u);
    for (std::size_t d = 0; d < 2; ++d) {
        for (std::size_t h = 0; h < 4; ++h) {
            const analysis::QuantisationRow& r = q.rows[d * 4 + h];
            EXPECT_EQ(r.personHeight, o.personHeights[h]);
            // A person of height h fills 256/1.25 crop pixels: image error = crop error × 1.25·h/256.
            EXPECT_NEAR(r.meanPixels, r.meanCropPixels * 1.25 * r.personHeight / 256, kTol);
            EXPECT_NEAR(r.meanNormalised, r.meanCropPixels * 1.25 / 256, kTol);
            if (h == 0) continue;
            const analysis::QuantisationRow& smaller = q.rows[d * 4 + h - 1];
            EXPECT_GT(r.meanPixels, smaller.meanPixels);
            EXPECT_GT(r.p95Pixels, smaller.p95Pixels);
            EXPECT_NEAR(r.meanNormalised, smaller.meanNormalised, kTol);
        }
    }
    // A fixed seed repeats; another draws other positions.
    EXPECT_EQ(analysis::decoderQuantisation(o).rows[0].meanPixels, q.rows[0].meanPixels);
    o.seed = 2;
    EXPECT_NE(analysis::decoderQuantisation(o).rows[0].meanPixels, q.rows[0].meanPixels);
}

TEST(ScaleAnalysis, InvalidQuantisationOptionsAreRefused) {
    auto refused = [](QuantisationOptions o) {
        try {
            analysis::decoderQuantisation(o);
        } catch (const EvaluationError& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    QuantisationOptions o;
    o.inputWidth = 190;
    EXPECT_NE(refused(o).find("heatmap stride 4 does not divide the input 190x256"), std::string::npos) << refused(o);
    o = {};
    o.samplesPerSize = 0;
    EXPECT_NE(refused(o).find("samples per size must be at least 1"), std::string::npos);
    o = {};
    o.personHeights = {64, -1};
    EXPECT_NE(refused(o).find("person heights must be positive"), std::string::npos);
    o = {};
    o.inputWidth = o.inputHeight = 32;
    EXPECT_NE(refused(o).find("leaves no heatmap pixels"), std::string::npos) << refused(o);
}

// ---- A recorded run (run_scales.h) ----------------------------------------------------------

namespace {

analysis::RunHeader cocoRunHeader(const std::string& dataset) {
    analysis::RunHeader h = test::runHeader(dataset);
    const std::vector<std::string>& names = cocoSkeleton().keypoints;
    h.keypointNames.assign(names.begin(), names.end());
    h.inputWidth = 192;
    h.inputHeight = 256;
    h.heatmapWidth = 48;
    h.heatmapHeight = 64;
    h.gridRows = 1;
    h.gridCols = 2;
    h.layers = 1;
    h.heads = 1;
    h.level = analysis::RunLevel::Keypoints;
    h.totalSamples = h.plannedSamples = 5;
    h.posescopeVersion = "test";
    return h;
}

// A small COCO set and a run over it: a small person and a crowd region in image 1, a medium
// person in image 2, a large one and an unlabelled one in image 3; one row per annotation, its
// keypoints the GT's moved by whole pixels (exact in float32, as the run stores them).
struct SmallRun {
    std::vector<ImageInfo> images;
    std::vector<PersonAnnotation> annotations;
    std::vector<std::vector<double>> rowKeypoints;  // per row, as written
    std::vector<analysis::RunSample> rows;
    std::string gtFile, runFile;
};

SmallRun smallRun(const std::string& name) {
    SmallRun r;
    r.images = images(3);
    PersonAnnotation crowd = person(12, 1, 0, 0, 300, 200);
    crowd.keypoints.assign(51, 0);
    crowd.numKeypoints = 0;
    crowd.iscrowd = true;
    PersonAnnotation unlabelled = person(32, 3, 400, 100, 60, 50);
    unlabelled.keypoints.assign(51, 0);
    unlabelled.numKeypoints = 0;
    r.annotations = {person(11, 1, 20, 20, 20, 30, 600), crowd, person(21, 2, 100, 100, 40, 120),
                     person(31, 3, 200, 40, 120, 180), unlabelled};
    r.gtFile = test::outputPath(name + "_gt.json");
    std::ofstream(r.gtFile) << test::cocoJson(r.images, r.annotations);

    const analysis::RunHeader h = cocoRunHeader(r.gtFile);
    for (size_t i = 0; i < r.annotations.size(); ++i) {
        const PersonAnnotation& a = r.annotations[i];
        analysis::RunSample s;
        s.index = static_cast<int64_t>(i);
        s.imageId = a.imageId;
        s.annotationId = a.id;
        s.box = {static_cast<float>(a.bbox.x), static_cast<float>(a.bbox.y), static_cast<float>(a.bbox.w),
                 static_cast<float>(a.bbox.h)};
        s.boxScore = 1;
        s.scale = {0.25f + 0.25f * static_cast<float>(i), 0.5f + 0.25f * static_cast<float>(i)};
        std::vector<double> kps(51);
        for (int j = 0; j < 17; ++j) {
            const double x = a.numKeypoints > 0 ? a.keypoints[3 * j] : 400 + j;
            const double y = a.numKeypoints > 0 ? a.keypoints[3 * j + 1] : 100 + j;
            kps[3 * j] = x + (j + static_cast<int>(i)) % 3;
            kps[3 * j + 1] = y + 1;
            kps[3 * j + 2] = j % 2 ? 0.75 : 0.5;
        }
        r.rowKeypoints.push_back(kps);
        s.keypoints.assign(kps.begin(), kps.end());
        s.groundTruth.assign(a.keypoints.begin(), a.keypoints.end());
        s.layerKeypoints = s.keypoints;
        s.queryTokens.assign(17, 0);
        s.dependency = torch::zeros({1, 17, 2});
        s.cropJpeg = "not a jpeg";
        r.rows.push_back(s);
    }
    r.runFile = test::outputPath(name + ".h5");
    std::filesystem::remove(r.runFile);
    analysis::RunWriter w = analysis::RunWriter::create(r.runFile, h);
    w.append(r.rows);
    w.finish();
    return r;
}

}  // namespace

TEST(RunScales, AnalysesARunAsTheStepByStepComputationOverItsRows) {
    const SmallRun run = smallRun("run_scales_small");
    // Step by step, from what was written: the official rescoring and OKS-NMS of the rows, then the
    // rows recorded from labelled, non-crowd persons (not the crowd or the unlabelled one).
    std::vector<analysis::PersonPose> people;
    for (size_t i = 0; i < run.rows.size(); ++i)
        people.push_back({run.rows[i].imageId, run.rowKeypoints[i],
                          analysis::areaFromScale(run.rows[i].scale[0], run.rows[i].scale[1]), run.rows[i].boxScore});
    const std::vector<PosePrediction> predictions = analysis::rescoreAndNms(people);
    std::vector<ScaledPose> poses;
    for (size_t i : {0u, 2u, 3u})
        poses.push_back({run.annotations[i].area, run.annotations[i].keypoints, run.rowKeypoints[i]});
    const analysis::ScaleAnalysisResult want = analysis::analyseScales(run.images, run.annotations, predictions, poses);

    const analysis::RunScaleAnalysis got = analysis::analyseRunScales(run.runFile);
    EXPECT_EQ(got.samples, 5);
    EXPECT_EQ(got.images, 3u);
    EXPECT_EQ(got.poses, 3u);
    EXPECT_EQ(got.rowsWithoutGt, 2u);
    ASSERT_EQ(got.accuracy.size(), want.accuracy.size());
    for (size_t b = 0; b < want.accuracy.size(); ++b) {
        SCOPED_TRACE(want.accuracy[b].band.label);
        EXPECT_EQ(got.accuracy[b].band.label, want.accuracy[b].band.label);
        EXPECT_EQ(got.accuracy[b].persons, want.accuracy[b].persons);
        EXPECT_EQ(got.accuracy[b].ap, want.accuracy[b].ap);
        EXPECT_EQ(got.accuracy[b].ap50, want.accuracy[b].ap50);
        EXPECT_EQ(got.accuracy[b].ap75, want.accuracy[b].ap75);
        EXPECT_EQ(got.accuracy[b].ar, want.accuracy[b].ar);
    }
    // One labelled person per band: the sizes are what the bands say.
    EXPECT_EQ(got.accuracy[All].persons, 3);
    EXPECT_EQ(got.accuracy[Small].persons, 1);
    EXPECT_EQ(got.accuracy[Medium].persons, 1);
    EXPECT_EQ(got.accuracy[Large].persons, 1);
    EXPECT_GT(got.accuracy[All].ap, 0);
    ASSERT_EQ(got.errors.keypoints, 17);
    EXPECT_EQ(got.errors.persons, want.errors.persons);
    for (size_t b = 0; b < want.accuracy.size(); ++b) {
        EXPECT_EQ(got.errors.overall[b].count, want.errors.overall[b].count);
        EXPECT_EQ(got.errors.overall[b].meanNormalised, want.errors.overall[b].meanNormalised);
        for (int k = 0; k < 17; ++k) {
            EXPECT_EQ(got.errors.at(b, k).meanPixels, want.errors.at(b, k).meanPixels) << b << ' ' << k;
            EXPECT_EQ(got.errors.at(b, k).meanNormalised, want.errors.at(b, k).meanNormalised) << b << ' ' << k;
        }
    }
    // The small person's left wrist (keypoint 9, row 0): moved by (0, 1) → 1 px, / sqrt(600).
    EXPECT_NEAR(got.errors.at(Small, 9).meanNormalised, 1 / std::sqrt(600.0), kTol);

    // The same through an open reader, with the annotation file named explicitly, and the
    // evaluation input eval scores.
    const analysis::RunReader reader = analysis::RunReader::open(run.runFile);
    EXPECT_EQ(analysis::analyseRunScales(reader, run.gtFile).accuracy[All].ap, want.accuracy[All].ap);
    const analysis::RunCocoInput in = analysis::cocoInputOfRun(reader);
    EXPECT_EQ(in.predictions.size(), predictions.size());
    EXPECT_EQ(in.annotations.size(), 5u);
    EXPECT_EQ(in.rowAnnotationIds, (std::vector<int64_t>{11, 12, 21, 31, 32}));
    EXPECT_EQ(in.rowKeypoints, run.rowKeypoints);
    EXPECT_EQ(analysis::scaledPosesOfRun(in).size(), 3u);
}

TEST(RunScales, RefusesNonCocoRunsAndNamesAMissingAnnotationFile) {
    const SmallRun run = smallRun("run_scales_refusals");
    auto refusal = [](const std::string& path, const std::string& gt) {
        try {
            analysis::analyseRunScales(path, gt);
        } catch (const FileError& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    const std::string missing = test::outputPath("run_scales_no_such_gt.json");
    EXPECT_EQ(refusal(run.runFile, missing).rfind(missing + ": ", 0), 0u) << refusal(run.runFile, missing);

    analysis::RunHeader h = cocoRunHeader(run.gtFile);
    h.datasetKind = "mpii";
    const std::string mpii = test::outputPath("run_scales_mpii.h5");
    std::filesystem::remove(mpii);
    analysis::RunWriter w = analysis::RunWriter::create(mpii, h);
    w.append(run.rows);
    w.finish();
    const std::string why = "is an MPII run; the scale analysis needs COCO-format ground truth (person areas)";
    EXPECT_EQ(refusal(mpii, ""), mpii + ": " + why);
    try {
        analysis::cocoInputOfRun(analysis::RunReader::open(mpii));
        ADD_FAILURE() << "an MPII run became COCO evaluation input";
    } catch (const FileError& e) {
        EXPECT_EQ(e.file(), mpii);
    }
}

TEST(RunScales, QuantisationUsesTheRunsInputSizeAndHeatmapStride) {
    analysis::RunHeader h = cocoRunHeader("gt.json");
    h.inputWidth = 288;
    h.inputHeight = 384;
    h.heatmapWidth = 72;
    QuantisationOptions base;
    base.sigma = 3;
    const QuantisationOptions o = analysis::runQuantisationOptions(h, base);
    EXPECT_EQ(o.inputWidth, 288);
    EXPECT_EQ(o.inputHeight, 384);
    EXPECT_EQ(o.heatmapStride, 4);
    EXPECT_EQ(o.sigma, 3);  // the rest is the base's
    h.heatmapWidth = 0;     // no heatmaps (SimCC): the stride stays
    EXPECT_EQ(analysis::runQuantisationOptions(h).heatmapStride, QuantisationOptions{}.heatmapStride);
}
