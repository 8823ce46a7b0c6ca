// Attention statistics per layer and head: hand-made runs whose answers are known exactly (a
// one-hot row has no entropy and reaches as far as its cell, a uniform row has entropy ln T, a row
// inside the box has all of its mass there, other people's boxes count outside the own box only),
// and a recorded run whose head-averaged statistics are recomputed from its dependency rows.
#include "posescope/analysis/attention_stats.h"
#include "posescope/analysis/run_store.h"
#include "posescope/datasets/error.h"
#include "run_files.h"
#include "run_fixture.h"
#include "test_paths.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

using namespace posescope;
using namespace posescope::analysis;

namespace {

// threeKeypointRunHeader: a 12 × 16 crop, a 2 × 3 grid of 4 × 8 px cells (T = 6), whose centres
// are (2, 4), (6, 4), (10, 4), (2, 12), (6, 12), (10, 12); the crop's diagonal is 20 px.
const double cx[6] = {2, 6, 10, 2, 6, 10};
const double cy[6] = {4, 4, 4, 12, 12, 12};

// The image maps onto the crop by x' = x/2 − 1, y' = y/2 − 2: image point of a crop point.
std::array<float, 2> toImage(double x, double y) {
    return {static_cast<float>(2 * x + 2), static_cast<float>(2 * y + 4)};
}

// A crop box (x, y, w, h) in image pixels.
std::array<float, 4> boxToImage(double x, double y, double w, double h) {
    const auto p = toImage(x, y);
    return {p[0], p[1], static_cast<float>(2 * w), static_cast<float>(2 * h)};
}

struct Keypoint {
    double x, y;  // the prediction in crop pixels
    float v;      // the ground truth's flag (at the prediction)
};

// One sample: its box and predicted keypoints in crop pixels, rows [L, 3, 6] (and per head
// [L, H, 3, 6] when given).
RunSample sample(int64_t index, int64_t imageId, int64_t annotationId, std::array<float, 4> cropBox,
                 const std::vector<Keypoint>& keypoints, const torch::Tensor& rows, const torch::Tensor& heads = {}) {
    RunSample s;
    s.index = index;
    s.imageId = imageId;
    s.annotationId = annotationId;
    s.box = boxToImage(cropBox[0], cropBox[1], cropBox[2], cropBox[3]);
    s.scale = {0.1f, 0.1f};
    s.cropTransform = {0.5f, 0, -1, 0, 0.5f, -2};
    for (const Keypoint& k : keypoints) {
        const auto p = toImage(k.x, k.y);
        s.groundTruth.insert(s.groundTruth.end(), {p[0], p[1], k.v});
        s.keypoints.insert(s.keypoints.end(), {p[0], p[1], 0.9f});
    }
    const auto L = rows.size(0);
    s.layerKeypoints.assign(static_cast<size_t>(L * 9), 0.f);
    s.queryTokens = {0, 0, 0};
    s.dependency = rows;
    s.dependencyHeads = heads;
    s.cropJpeg = "x";
    return s;
}

torch::Tensor oneHot(int cell) {
    torch::Tensor r = torch::zeros({6});
    r[cell] = 1;
    return r;
}

torch::Tensor uniform() {
    return torch::full({6}, 1 / 6.f);
}

// Rows of one layer, one per keypoint: [1, 3, 6].
torch::Tensor layerRows(const torch::Tensor& nose, const torch::Tensor& leftEye, const torch::Tensor& rightEye) {
    return torch::stack({nose, leftEye, rightEye}).unsqueeze(0);
}

std::string writeRun(const std::string& name, const RunHeader& h, const std::vector<RunSample>& samples) {
    const std::string path = test::outputPath(name);
    std::filesystem::remove(path);
    RunWriter w = RunWriter::create(path, h);
    w.append(samples);
    w.finish();
    return path;
}

RunHeader header(int layers, int heads, int samples, const std::string& dataset = "attention_stats_missing.json") {
    RunHeader h = test::threeKeypointRunHeader(layers, heads, samples);
    h.dataset = dataset;
    return h;
}

double distanceTo(int cell, double x, double y) {
    return std::hypot(cx[cell] - x, cy[cell] - y);
}

double uniformDistance(double x, double y) {
    double d = 0;
    for (int t = 0; t < 6; ++t)
        d += distanceTo(t, x, y) / 6;
    return d;
}

const std::array<float, 4> kHalfBox = {0, 0, 6, 16};  // column 0 whole, column 1 half, column 2 not

}  // namespace

TEST(AttentionStats, OneHotRowHasNoEntropyAndReachesTheDistanceToItsCell) {
    // The nose (labelled) at cell 0's centre attends to cell 5 only; the left eye to its own cell,
    // the right eye 5 px (3, 4) away from cell 4's centre to cell 4.
    const std::vector<Keypoint> kp = {{2, 4, 2}, {6, 4, 0}, {9, 16, 0}};
    const std::string path = writeRun("attention_stats_one_hot.h5", header(1, 1, 1),
                                      {sample(0, 1, 10, kHalfBox, kp, layerRows(oneHot(5), oneHot(1), oneHot(4)))});
    const RunReader run = RunReader::open(path);

    AttentionStatsOptions labelled;
    labelled.labelledOnly = true;
    const AttentionStats nose = attentionStats(run, labelled);
    ASSERT_EQ(nose.layers, 1);
    ASSERT_EQ(nose.heads, 1);
    EXPECT_EQ(nose.tokens, 6);
    EXPECT_EQ(nose.samples, 1);
    EXPECT_EQ(nose.pairs, 1);
    EXPECT_DOUBLE_EQ(nose.cropDiagonal, 20);
    const AttentionMeasures& n = nose.layer[0];
    EXPECT_EQ(n.count, 1);
    EXPECT_NEAR(n.mass, 1, 1e-6);
    EXPECT_NEAR(n.entropy, 0, 1e-12);
    EXPECT_NEAR(n.normalisedEntropy, 0, 1e-12);
    EXPECT_NEAR(n.distance, 8 * std::sqrt(2.0), 1e-9);
    EXPECT_NEAR(n.relativeDistance, 8 * std::sqrt(2.0) / 20, 1e-9);
    EXPECT_NEAR(n.boxShare, 0, 1e-12);  // cell 5 lies outside the box
    // One head: the head's statistics are the layer's.
    EXPECT_NEAR(nose.head[0][0].distance, n.distance, 1e-12);

    const AttentionStats all = attentionStats(run);
    EXPECT_EQ(all.pairs, 3);
    const AttentionMeasures& a = all.layer[0];
    EXPECT_EQ(a.count, 3);
    EXPECT_NEAR(a.entropy, 0, 1e-12);
    EXPECT_NEAR(a.distance, (8 * std::sqrt(2.0) + 0 + 5) / 3, 1e-9);
    EXPECT_NEAR(a.boxShare, (0 + 0.5 + 0.5) / 3, 1e-9);  // cells 1 and 4 are half inside
}

TEST(AttentionStats, UniformRowHasEntropyLogTAndTheMeanDistanceToEveryCell) {
    // Every keypoint's row is uniform; the queries sit at (0, 0), (6, 8) and (12, 16).
    const std::vector<Keypoint> kp = {{0, 0, 2}, {6, 8, 1}, {12, 16, 2}};
    const std::string path = writeRun("attention_stats_uniform.h5", header(1, 1, 1),
                                      {sample(0, 1, 10, kHalfBox, kp, layerRows(uniform(), uniform(), uniform()))});
    const AttentionStats s = attentionStats(RunReader::open(path));
    const AttentionMeasures& m = s.layer[0];
    EXPECT_EQ(m.count, 3);
    EXPECT_NEAR(m.mass, 1, 1e-3);  // float16 sixths
    EXPECT_NEAR(m.entropy, std::log(6.0), 1e-9);
    EXPECT_NEAR(m.normalisedEntropy, 1, 1e-9);
    const double d = (uniformDistance(0, 0) + uniformDistance(6, 8) + uniformDistance(12, 16)) / 3;
    EXPECT_NEAR(m.distance, d, 1e-6);
    EXPECT_NEAR(m.relativeDistance, d / 20, 1e-6);
    EXPECT_NEAR(m.boxShare, 0.5, 1e-6);  // 3 of the 6 cells' area

    // Half on cell 0, half on cell 2: entropy ln 2, half inside the box.
    const torch::Tensor half = torch::tensor({0.5f, 0.f, 0.5f, 0.f, 0.f, 0.f});
    const std::string halves = writeRun("attention_stats_halves.h5", header(1, 1, 1),
                                        {sample(0, 1, 10, kHalfBox, kp, layerRows(half, half, half))});
    const AttentionStats h = attentionStats(RunReader::open(halves));
    EXPECT_NEAR(h.layer[0].entropy, std::log(2.0), 1e-9);
    EXPECT_NEAR(h.layer[0].normalisedEntropy, std::log(2.0) / std::log(6.0), 1e-9);
    EXPECT_NEAR(h.layer[0].boxShare, 0.5, 1e-9);
    const double dh =
        ((distanceTo(0, 0, 0) + distanceTo(2, 0, 0)) / 2 + (distanceTo(0, 6, 8) + distanceTo(2, 6, 8)) / 2 +
         (distanceTo(0, 12, 16) + distanceTo(2, 12, 16)) / 2) /
        3;
    EXPECT_NEAR(h.layer[0].distance, dh, 1e-9);
}

TEST(AttentionStats, RowsAreMeasuredOnTheirShareOfTheGridAndEmptyRowsLeftOut) {
    // A token model's rows sum to what the keypoint tokens did not take: 0.5 on cells 0 and 1
    // measures as half and half; a row of zeros (every token pruned) is left out of the means.
    const torch::Tensor partial = torch::tensor({0.25f, 0.25f, 0.f, 0.f, 0.f, 0.f});
    const std::vector<Keypoint> kp = {{2, 4, 2}, {2, 4, 2}, {2, 4, 2}};
    const std::string path = writeRun("attention_stats_partial.h5", header(1, 1, 1),
                                      {sample(0, 1, 10, kHalfBox, kp, layerRows(partial, partial, torch::zeros({6})))});
    const AttentionStats s = attentionStats(RunReader::open(path));
    EXPECT_EQ(s.pairs, 3);
    const AttentionMeasures& m = s.layer[0];
    EXPECT_EQ(m.count, 2);
    EXPECT_NEAR(m.mass, 0.5, 1e-6);
    EXPECT_NEAR(m.entropy, std::log(2.0), 1e-9);
    EXPECT_NEAR(m.distance, (0 + 4) / 2.0, 1e-9);  // cell 0 under the query, cell 1 4 px away
    EXPECT_NEAR(m.boxShare, (1 + 0.5) / 2, 1e-9);  // cell 0 inside, cell 1 half
}

TEST(AttentionStats, BoxShareWeighsEachCellByTheFractionTheBoxCovers) {
    const std::vector<Keypoint> kp = {{2, 4, 2}, {2, 4, 2}, {2, 4, 2}};
    const torch::Tensor rows = layerRows(oneHot(0), oneHot(1), uniform());
    // A box over the whole crop holds every row entirely.
    const std::string whole =
        writeRun("attention_stats_box_whole.h5", header(1, 1, 1), {sample(0, 1, 10, {-3, -5, 20, 30}, kp, rows)});
    const AttentionStats w = attentionStats(RunReader::open(whole));
    EXPECT_NEAR(w.layer[0].boxShare, 1, 1e-6);
    // A box reaching out of the crop, clipped to (0, 0)–(6, 8): cell 0 whole, cell 1 half.
    const std::string clipped =
        writeRun("attention_stats_box_clipped.h5", header(1, 1, 1), {sample(0, 1, 10, {-4, -4, 10, 12}, kp, rows)});
    const AttentionStats c = attentionStats(RunReader::open(clipped));
    EXPECT_NEAR(c.layer[0].boxShare, (1 + 0.5 + 1.5 / 6) / 3, 1e-6);
    // A box away from every attended cell holds nothing.
    const std::string away = writeRun("attention_stats_box_away.h5", header(1, 1, 1),
                                      {sample(0, 1, 10, {8, 8, 4, 8}, kp, layerRows(oneHot(0), oneHot(1), oneHot(3)))});
    EXPECT_NEAR(attentionStats(RunReader::open(away)).layer[0].boxShare, 0, 1e-12);
}

namespace {

// A COCO annotation file for the other-people test: image 1 with the sample's own person (10)
// and others, image 2 with one person only. Boxes given in crop pixels, written in image pixels.
std::string annotationFile(const std::string& name) {
    struct Ann {
        int64_t id, image;
        std::array<float, 4> cropBox;
        int crowd;
    };
    const std::vector<Ann> anns = {
        {10, 1, {0, 0, 6, 16}, 0},     // the sample's own person
        {11, 1, {4, 0, 8, 8}, 0},      // cell 1 half outside the own box, cell 2 whole
        {14, 1, {4, 0, 8, 8}, 0},      // the same box again: the union counts once
        {12, 1, {8, 8, 2, 4}, 0},      // a quarter of cell 5
        {13, 1, {10, 8, 2, 8}, 1},     // a crowd region, another half of cell 5
        {15, 1, {-40, -40, 4, 4}, 0},  // outside the crop
        {20, 2, {0, 0, 12, 16}, 0},    // alone in image 2
    };
    std::string json =
        "{\"images\": [{\"id\": 1, \"file_name\": \"1.jpg\", \"width\": 100, \"height\": 100}, "
        "{\"id\": 2, \"file_name\": \"2.jpg\", \"width\": 100, \"height\": 100}], \"annotations\": [";
    for (size_t i = 0; i < anns.size(); ++i) {
        const auto& a = anns[i];
        const auto b = boxToImage(a.cropBox[0], a.cropBox[1], a.cropBox[2], a.cropBox[3]);
        json += (i ? ", " : "") + std::string("{\"id\": ") + std::to_string(a.id) +
                ", \"image_id\": " + std::to_string(a.image) +
                ", \"category_id\": 1, \"keypoints\": [0, 0, 0, 0, 0, 0, 0, 0, 0], \"num_keypoints\": 0, \"bbox\": [" +
                std::to_string(b[0]) + ", " + std::to_string(b[1]) + ", " + std::to_string(b[2]) + ", " +
                std::to_string(b[3]) + "], \"area\": " + std::to_string(b[2] * b[3]) +
                ", \"iscrowd\": " + std::to_string(a.crowd) + "}";
    }
    json +=
        "], \"categories\": [{\"id\": 1, \"name\": \"person\", \"keypoints\": [\"nose\", \"left_eye\", "
        "\"right_eye\"], \"skeleton\": [[1, 2], [1, 3]]}]}";
    const std::string path = test::outputPath(name);
    std::ofstream(path) << json;
    return path;
}

}  // namespace

TEST(AttentionStats, OtherPeopleAreTheImagesOtherBoxesOutsideTheOwnBox) {
    const std::string ann = annotationFile("attention_stats_people.json");
    const std::vector<Keypoint> kp = {{2, 4, 2}, {2, 4, 2}, {2, 4, 2}};
    // Per cell, the share of it on other people outside the own box: 0, ½, 1, 0, 0, ¾.
    const torch::Tensor rows = layerRows(oneHot(2), oneHot(1), uniform());
    const double cellOther[6] = {0, 0.5, 1, 0, 0, 0.75};
    double uniformOther = 0;
    for (double c : cellOther)
        uniformOther += c / 6;
    const std::string path =
        writeRun("attention_stats_people.h5", header(1, 1, 3, ann),
                 {sample(0, 1, 10, kHalfBox, kp, rows),
                  sample(1, 1, 0, kHalfBox, kp, rows),  // a detected box on person 10: the same as row 0
                  sample(2, 2, 20, {0, 0, 12, 16}, kp, layerRows(oneHot(2), oneHot(5), uniform()))});  // alone
    const AttentionStats s = attentionStats(RunReader::open(path));
    ASSERT_TRUE(s.otherPeople) << s.otherPeopleNote;
    EXPECT_EQ(s.annotationFile, ann);
    const AttentionMeasures& m = s.layer[0];
    EXPECT_EQ(m.count, 9);
    EXPECT_EQ(m.withOthers, 6);  // rows 0 and 1
    const double rowOther = (cellOther[2] + cellOther[1] + uniformOther) / 3;
    EXPECT_NEAR(m.otherShareWithOthers, rowOther, 1e-6);
    EXPECT_NEAR(m.otherShare, 2 * rowOther / 3, 1e-6);  // row 2 has none
    // Cell 1 is half in the own box and half on another person.
    EXPECT_NEAR(m.boxShare, (2 * (0 + 0.5 + 0.5) / 3 + 1) / 3, 1e-6);

    // The same run measured against a file that lacks its image is refused, naming the file.
    const std::string other = test::outputPath("attention_stats_other_images.json");
    {
        std::ofstream f(other);
        f << "{\"images\": [{\"id\": 7, \"file_name\": \"7.jpg\", \"width\": 10, \"height\": 10}], "
             "\"annotations\": [], \"categories\": [{\"id\": 1, \"name\": \"person\", \"keypoints\": [\"nose\"]}]}";
    }
    AttentionStatsOptions o;
    o.annotationFile = other;
    try {
        attentionStats(RunReader::open(path), o);
        ADD_FAILURE() << "no error";
    } catch (const FileError& e) {
        EXPECT_EQ(e.file(), other);
        EXPECT_NE(e.problem().find("image id 1 of row 0 is not in it"), std::string::npos) << e.what();
    }
}

TEST(AttentionStats, WithoutAnnotationFileOtherPeopleAreSkippedOrRefusedOnRequest) {
    const std::vector<Keypoint> kp = {{2, 4, 2}, {2, 4, 2}, {2, 4, 2}};
    const torch::Tensor rows = layerRows(oneHot(2), oneHot(1), uniform());
    const std::string missing = test::outputPath("attention_stats_no_such_file.json");
    std::filesystem::remove(missing);
    const std::string path =
        writeRun("attention_stats_no_people.h5", header(1, 1, 1, missing), {sample(0, 1, 10, kHalfBox, kp, rows)});
    const AttentionStats s = attentionStats(RunReader::open(path));
    EXPECT_FALSE(s.otherPeople);
    EXPECT_NE(s.otherPeopleNote.find(missing), std::string::npos) << s.otherPeopleNote;
    EXPECT_TRUE(std::isnan(s.layer[0].otherShare));
    EXPECT_TRUE(std::isnan(s.layer[0].otherShareWithOthers));
    EXPECT_EQ(s.layer[0].withOthers, 0);
    EXPECT_NEAR(s.layer[0].boxShare, (0 + 0.5 + 0.5) / 3, 1e-6);  // the rest is measured
    AttentionStatsOptions required;
    required.requireOtherPeople = true;
    try {
        attentionStats(RunReader::open(path), required);
        ADD_FAILURE() << "no error";
    } catch (const FileError& e) {
        EXPECT_EQ(e.file(), missing);
    }

    // An MPII run names no other persons: skipped, or an error naming the run.
    RunHeader mpii = header(1, 1, 1, annotationFile("attention_stats_mpii.json"));
    mpii.datasetKind = "mpii";
    const std::string mpiiRun = writeRun("attention_stats_mpii.h5", mpii, {sample(0, 1, 10, kHalfBox, kp, rows)});
    const AttentionStats m = attentionStats(RunReader::open(mpiiRun));
    EXPECT_FALSE(m.otherPeople);
    EXPECT_NE(m.otherPeopleNote.find("MPII"), std::string::npos) << m.otherPeopleNote;
    try {
        attentionStats(RunReader::open(mpiiRun), required);
        ADD_FAILURE() << "no error";
    } catch (const FileError& e) {
        EXPECT_EQ(e.file(), mpiiRun);
    }

    // A malformed annotation file is an error even when not required.
    const std::string broken = test::outputPath("attention_stats_broken.json");
    std::ofstream(broken) << "{\"images\": [";
    AttentionStatsOptions o;
    o.annotationFile = broken;
    EXPECT_THROW(attentionStats(RunReader::open(path), o), FileError);
}

TEST(AttentionStats, EachHeadIsMeasuredApartFromTheHeadAverage) {
    // Layer 0: the nose's head 0 on cell 0, head 1 on cell 5 (their average half on each);
    // layer 1: both heads uniform. The eyes (unlabelled) attend uniformly everywhere.
    const std::vector<Keypoint> kp = {{2, 4, 2}, {6, 8, 0}, {6, 8, 0}};
    torch::Tensor heads = torch::full({2, 2, 3, 6}, 1 / 6.f);
    heads[0][0][0] = oneHot(0);
    heads[0][1][0] = oneHot(5);
    const torch::Tensor averaged = heads.mean(1);
    const std::string path =
        writeRun("attention_stats_heads.h5", header(2, 2, 1), {sample(0, 1, 10, kHalfBox, kp, averaged, heads)});
    AttentionStatsOptions o;
    o.labelledOnly = true;
    const AttentionStats s = attentionStats(RunReader::open(path), o);
    ASSERT_EQ(s.heads, 2);
    ASSERT_EQ(s.head.size(), 2u);
    ASSERT_EQ(s.head[0].size(), 2u);
    EXPECT_NEAR(s.head[0][0].entropy, 0, 1e-12);
    EXPECT_NEAR(s.head[0][1].entropy, 0, 1e-12);
    EXPECT_NEAR(s.layer[0].entropy, std::log(2.0), 1e-9);
    EXPECT_NEAR(s.head[0][0].distance, 0, 1e-12);
    EXPECT_NEAR(s.head[0][1].distance, 8 * std::sqrt(2.0), 1e-9);
    EXPECT_NEAR(s.layer[0].distance, 4 * std::sqrt(2.0), 1e-9);  // linear in the row: the heads' mean
    EXPECT_NEAR(s.head[0][0].boxShare, 1, 1e-12);
    EXPECT_NEAR(s.head[0][1].boxShare, 0, 1e-12);
    for (const AttentionMeasures* m : {&s.layer[1], &s.head[1][0], &s.head[1][1]}) {
        EXPECT_NEAR(m->normalisedEntropy, 1, 1e-9);
        EXPECT_NEAR(m->distance, uniformDistance(2, 4), 1e-6);
    }
}

TEST(AttentionStats, ProgressCountsRowsAndCancelStopsAfterTheCurrentRow) {
    const std::vector<Keypoint> kp = {{2, 4, 2}, {2, 4, 2}, {2, 4, 2}};
    const torch::Tensor rows = layerRows(oneHot(0), oneHot(1), uniform());
    const std::string path = writeRun("attention_stats_cancel.h5", header(1, 1, 3),
                                      {sample(0, 1, 10, kHalfBox, kp, rows), sample(1, 1, 10, kHalfBox, kp, rows),
                                       sample(2, 1, 10, kHalfBox, kp, rows)});
    const RunReader run = RunReader::open(path);
    std::vector<std::pair<int64_t, int64_t>> calls;
    AttentionStatsOptions o;
    o.progress = [&](int64_t done, int64_t total) { calls.emplace_back(done, total); };
    const AttentionStats all = attentionStats(run, o);
    EXPECT_FALSE(all.cancelled);
    EXPECT_EQ(all.samples, 3);
    EXPECT_EQ(calls, (std::vector<std::pair<int64_t, int64_t>>{{1, 3}, {2, 3}, {3, 3}}));
    o.cancel = [&] { return calls.size() >= 4; };  // after the first row of the second pass
    const AttentionStats cut = attentionStats(run, o);
    EXPECT_TRUE(cut.cancelled);
    EXPECT_EQ(cut.samples, 1);
    EXPECT_EQ(cut.pairs, 3);
    EXPECT_EQ(cut.layer[0].count, 3);
}

TEST(AttentionStats, RecordedRunHeadAverageAgreesWithItsDependencyRows) {
    const RunReader run = RunReader::open(test::sharedRun());
    const RunHeader& h = run.header();
    ASSERT_GT(h.heads, 1);
    const AttentionStats s = attentionStats(run);
    ASSERT_EQ(s.layers, h.layers);
    ASSERT_EQ(s.heads, h.heads);
    EXPECT_EQ(s.samples, run.size());
    EXPECT_EQ(s.pairs, run.size() * h.keypoints());
    EXPECT_TRUE(s.otherPeople) << s.otherPeopleNote;  // SynthPose's annotation file, where it was recorded

    // Recomputed here from the stored rows: entropy, distance and box share of the head-averaged
    // rows (TransPose's rows sum to 1).
    const int L = h.layers, K = h.keypoints(), T = h.tokens();
    const double cw = static_cast<double>(h.inputWidth) / h.gridCols,
                 ch = static_cast<double>(h.inputHeight) / h.gridRows;
    const torch::Tensor col = torch::arange(T, torch::kFloat64).remainder(h.gridCols);
    const torch::Tensor rowIndex = torch::arange(T, torch::kFloat64).div(h.gridCols, "floor");
    std::vector<double> entropy(L), distance(L), box(L);
    for (int64_t r = 0; r < run.size(); ++r) {
        const RunSample x = run.sample(r);
        const auto& m = x.cropTransform;
        const torch::Tensor dep = run.dependency(r).to(torch::kFloat64);  // [L, K, T]
        // The own box in the crop (no rotation: two corners), and each cell's covered fraction as
        // the product of its covered fractions along x and y.
        const double x0 = std::max<double>(0.0, m[0] * x.box[0] + m[2]),
                     x1 = std::min<double>(h.inputWidth, m[0] * (x.box[0] + x.box[2]) + m[2]);
        const double y0 = std::max<double>(0.0, m[4] * x.box[1] + m[5]),
                     y1 = std::min<double>(h.inputHeight, m[4] * (x.box[1] + x.box[3]) + m[5]);
        const torch::Tensor fx = (torch::minimum((col + 1) * cw, torch::full({T}, x1, torch::kFloat64)) -
                                  torch::maximum(col * cw, torch::full({T}, x0, torch::kFloat64)))
                                     .clamp_min(0) /
                                 cw;
        const torch::Tensor fy = (torch::minimum((rowIndex + 1) * ch, torch::full({T}, y1, torch::kFloat64)) -
                                  torch::maximum(rowIndex * ch, torch::full({T}, y0, torch::kFloat64)))
                                     .clamp_min(0) /
                                 ch;
        const torch::Tensor cover = fx * fy;
        for (int k = 0; k < K; ++k) {
            const double px = x.keypoints[3 * k], py = x.keypoints[3 * k + 1];
            const double qx = m[0] * px + m[1] * py + m[2], qy = m[3] * px + m[4] * py + m[5];
            const torch::Tensor d = ((col + 0.5) * cw - qx).square().add(((rowIndex + 0.5) * ch - qy).square()).sqrt();
            for (int l = 0; l < L; ++l) {
                torch::Tensor p = dep[l][k];
                p = p / p.sum();
                entropy[l] -= torch::xlogy(p, p).sum().item<double>();
                distance[l] += (p * d).sum().item<double>();
                box[l] += (p * cover).sum().item<double>();
            }
        }
    }
    const double n = static_cast<double>(s.pairs);
    for (int l = 0; l < L; ++l) {
        const AttentionMeasures& a = s.layer[static_cast<size_t>(l)];
        EXPECT_EQ(a.count, s.pairs) << l;
        EXPECT_NEAR(a.mass, 1, 2e-3) << l;
        EXPECT_NEAR(a.entropy, entropy[l] / n, 1e-6) << l;
        EXPECT_NEAR(a.distance, distance[l] / n, 1e-5) << l;
        EXPECT_NEAR(a.boxShare, box[l] / n, 1e-6) << l;
        // Bounds.
        EXPECT_GT(a.normalisedEntropy, 0) << l;
        EXPECT_LE(a.normalisedEntropy, 1 + 1e-9) << l;
        EXPECT_GT(a.relativeDistance, 0) << l;
        EXPECT_LT(a.relativeDistance, 1) << l;
        EXPECT_GE(a.boxShare, 0) << l;
        EXPECT_GE(a.otherShare, 0) << l;
        EXPECT_LE(a.boxShare + a.otherShare, 1 + 1e-9) << l;
        EXPECT_LE(a.withOthers, a.count) << l;
        // Per head: distance and shares are linear in the row, so the heads' mean is the average's
        // (up to float16); the average row is at least as spread as its heads are on average.
        double headDistance = 0, headBox = 0, headEntropy = 0;
        for (const AttentionMeasures& hm : s.head[static_cast<size_t>(l)]) {
            EXPECT_EQ(hm.count, s.pairs);
            headDistance += hm.distance / s.heads;
            headBox += hm.boxShare / s.heads;
            headEntropy += hm.entropy / s.heads;
        }
        EXPECT_NEAR(headDistance, a.distance, 2e-3 * a.distance) << l;
        EXPECT_NEAR(headBox, a.boxShare, 2e-3) << l;
        EXPECT_GE(a.entropy, headEntropy - 1e-3) << l;
    }
}
