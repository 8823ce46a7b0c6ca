// The recording engine through its C++ API: progress, cancel (resumable), per-sample issues.
#include "official_configs.h"
#include "posescope/analysis/record.h"
#include "posescope/analysis/run_browser.h"
#include "posescope/analysis/run_merge.h"
#include "posescope/analysis/run_store.h"
#include "posescope/datasets/coco.h"
#include "posescope/datasets/image.h"
#include "posescope/datasets/skeleton.h"
#include "posescope/datasets/synthpose.h"
#include "posescope/models/checkpoint.h"
#include "posescope/models/flip.h"
#include "posescope/models/model_registry.h"
#include "posescope/models/pose_output.h"
#include "posescope/models/preprocess.h"
#include "run_fixture.h"
#include "synth_fixture.h"
#include "test_paths.h"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

using namespace posescope;
using namespace posescope::analysis;

namespace {

// Six SynthPose images (generated once) and the small official TransPose-R checkpoint.
RecordOptions smallRun(const std::string& out) {
    static const std::string data = [] {
        SynthOptions s;
        s.split = "val";
        s.numImages = 6;
        s.seed = 9;
        s.threads = 1;
        return test::sharedSynthPose("record_val6_s9_masks", s);
    }();
    RecordOptions o;
    o.config = test::smallTransposeR();
    o.checkpoint = test::officialPath("transpose_r_small.pth");
    o.dataset = data + "/annotations/person_keypoints_val.json";
    o.images = data + "/images/val";
    o.batchSize = 2;
    o.out = test::outputPath(out);
    std::filesystem::remove(o.out);
    return o;
}

}  // namespace

TEST(Record, ReportsProgressAndCancelsIntoAResumableRun) {
    RecordOptions o = smallRun("record_cancel.h5");
    std::vector<RecordProgress> seen;
    RecordCallbacks cb;
    cb.progress = [&](const RecordProgress& p) { seen.push_back(p); };
    cb.cancel = [&] { return seen.size() >= 2; };  // stop after two batches
    const RecordResult first = recordRun(o, cb);
    EXPECT_TRUE(first.cancelled);
    EXPECT_EQ(first.recorded, 4);
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0].done, 2);
    EXPECT_EQ(seen[1].done, 4);
    EXPECT_GT(seen[1].total, 4);
    EXPECT_GT(seen[1].samplesPerSecond, 0);
    EXPECT_FALSE(RunReader::open(o.out).header().complete);

    o.resume = true;
    seen.clear();
    cb.cancel = {};
    const RecordResult second = recordRun(o, cb);
    EXPECT_FALSE(second.cancelled);
    EXPECT_EQ(second.resumedFrom, 4);
    EXPECT_EQ(second.recorded, second.total);
    EXPECT_EQ(seen.back().done, second.total);
    const RunReader r = RunReader::open(o.out);
    EXPECT_TRUE(r.header().complete);
    std::vector<int64_t> expected(static_cast<size_t>(second.total));
    for (size_t i = 0; i < expected.size(); ++i)
        expected[i] = static_cast<int64_t>(i);
    EXPECT_EQ(r.indices(), expected);
}

TEST(Record, UnreadableImagesAreIssuesNotErrors) {
    RecordOptions o = smallRun("record_issues.h5");
    const std::string broken = test::outputPath("record_broken");
    std::filesystem::remove_all(broken);
    std::filesystem::copy(std::filesystem::path(o.images), broken);
    std::ofstream(broken + "/000000000001.jpg") << "not a jpeg";
    o.images = broken;
    std::vector<std::pair<int64_t, std::string>> issues;
    RecordCallbacks cb;
    cb.issue = [&](int64_t index, const std::string& problem) { issues.emplace_back(index, problem); };
    const RecordResult r = recordRun(o, cb);
    ASSERT_FALSE(issues.empty());
    for (const auto& [index, problem] : issues)
        EXPECT_NE(problem.find("000000000001.jpg"), std::string::npos) << index << ": " << problem;
    EXPECT_EQ(r.skipped, static_cast<int64_t>(issues.size()));
    EXPECT_EQ(r.recorded + r.skipped, r.total);
    EXPECT_EQ(RunReader::open(o.out).header().skippedSamples, r.skipped);
}

TEST(Record, AnImageOfAnotherSizeThanTheAnnotationsSayIsSkippedNotCroppedWrong) {
    RecordOptions o = smallRun("record_resized.h5");
    const std::string folder = test::outputPath("record_resized");
    std::filesystem::remove_all(folder);
    std::filesystem::copy(std::filesystem::path(o.images), folder);
    // Image 2 replaced by a half-size copy: its boxes would cut the wrong region.
    const cv::Mat full = cv::imread(folder + "/000000000002.jpg");
    ASSERT_FALSE(full.empty());
    cv::Mat half;
    cv::resize(full, half, cv::Size(full.cols / 2, full.rows / 2));
    ASSERT_TRUE(cv::imwrite(folder + "/000000000002.jpg", half));
    o.images = folder;
    std::vector<std::pair<int64_t, std::string>> issues;
    RecordCallbacks cb;
    cb.issue = [&](int64_t index, const std::string& problem) { issues.emplace_back(index, problem); };
    const RecordResult r = recordRun(o, cb);
    ASSERT_FALSE(issues.empty());
    const std::string said = std::to_string(half.cols) + "×" + std::to_string(half.rows) +
                             " pixels, the annotation file says " + std::to_string(full.cols) + "×" +
                             std::to_string(full.rows);
    for (const auto& [index, problem] : issues) {
        EXPECT_NE(problem.find("000000000002.jpg"), std::string::npos) << index << ": " << problem;
        EXPECT_NE(problem.find(said), std::string::npos) << index << ": " << problem;
    }
    EXPECT_EQ(r.skipped, static_cast<int64_t>(issues.size()));
    EXPECT_GT(r.recorded, 0);
    const RunReader run = RunReader::open(o.out);
    for (int64_t row = 0; row < run.size(); ++row)
        EXPECT_NE(run.sample(row).imageId, 2);
}

TEST(Record, RefusesAnExistingFileAndAMissingFolder) {
    RecordOptions o = smallRun("record_exists.h5");
    o.subset = 1;
    recordRun(o);
    EXPECT_THROW(recordRun(o), FileError);
    o.out = test::outputPath("no/such/folder/run.h5");
    try {
        recordRun(o);
        FAIL();
    } catch (const FileError& e) {
        EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
    }
}

TEST(Record, PptRunsKeepTheirPrunedTokensAndKeypointTokenDependencies) {
    RecordOptions o = smallRun("record_ppt.h5");
    o.config = test::smallPpt();
    o.checkpoint = test::officialPath("ppt_small.pth");
    o.level = RunLevel::Full;
    o.subset = 3;
    recordRun(o);
    const RunReader r = RunReader::open(o.out);
    const RunHeader& h = r.header();
    EXPECT_EQ(h.modelFamily, "PPT");
    EXPECT_EQ(h.keypointTokens, 17);
    EXPECT_EQ(h.pruningLayers, (std::vector<int>{3, 6, 9}));
    EXPECT_DOUBLE_EQ(h.keepRatio, 0.7);
    EXPECT_EQ(h.tokens(), 256);
    ASSERT_EQ(r.size(), 3);
    const int T = h.tokens();
    const std::vector<int> kept = {180, 126, 89};
    for (int64_t row = 0; row < r.size(); ++row) {
        const RunSample s = r.sample(row);
        ASSERT_EQ(s.keptRank.size(), static_cast<size_t>(3 * T));
        std::vector<bool> alive(static_cast<size_t>(T), true);
        for (int st = 0; st < 3; ++st) {
            std::vector<int> ranks;
            for (int t = 0; t < T; ++t) {
                const int32_t rank = s.keptRank[static_cast<size_t>(st * T + t)];
                const float score = s.pruningScores[static_cast<size_t>(st * T + t)];
                EXPECT_EQ(std::isnan(score), !alive[static_cast<size_t>(t)]) << "stage " << st << " token " << t;
                if (rank >= 0) {
                    EXPECT_TRUE(alive[static_cast<size_t>(t)]);  // kept only what was still there
                    ranks.push_back(rank);
                }
            }
            ASSERT_EQ(static_cast<int>(ranks.size()), kept[static_cast<size_t>(st)]);
            std::sort(ranks.begin(), ranks.end());
            for (size_t i = 0; i < ranks.size(); ++i)
                EXPECT_EQ(ranks[i], static_cast<int>(i));
            // Ranks follow the scores: a better rank never has a lower score.
            for (int a = 0; a < T; ++a)
                for (int b = 0; b < T; ++b) {
                    const int32_t ra = s.keptRank[static_cast<size_t>(st * T + a)],
                                  rb = s.keptRank[static_cast<size_t>(st * T + b)];
                    if (ra >= 0 && rb >= 0 && ra < rb) {
                        EXPECT_GE(s.pruningScores[static_cast<size_t>(st * T + a)],
                                  s.pruningScores[static_cast<size_t>(st * T + b)]);
                    }
                }
            for (int t = 0; t < T; ++t)
                alive[static_cast<size_t>(t)] = s.keptRank[static_cast<size_t>(st * T + t)] >= 0;
            // Layers after this stage attend to the kept tokens only: the keypoints' rows and the
            // whole matrices are 0 on the pruned ones.
            const int layer = h.pruningLayers[static_cast<size_t>(st)] + 1;
            const torch::Tensor dep = r.dependency(row)[layer];    // [K, T]
            const torch::Tensor att = r.attention(row, layer, 0);  // [T, T]
            for (int t = 0; t < T; ++t) {
                if (alive[static_cast<size_t>(t)]) continue;
                EXPECT_EQ(dep.select(1, t).abs().max().item<float>(), 0.f);
                EXPECT_EQ(att[t].abs().max().item<float>(), 0.f);
            }
            EXPECT_GT(dep.sum(1).min().item<float>(), 0.f);
            EXPECT_LE(dep.sum(1).max().item<float>(), 1.001f);  // the rest goes to keypoint tokens
        }
    }
    // The browser draws the run (keypoint-token dependency maps on the grid).
    const auto browser = RunBrowser::open(o.out);
    MapRequest q;
    q.layer = 11;
    q.keypoint = 9;
    const GridMap map = browser->dependencyMap(0, q);
    EXPECT_EQ(map.rows * map.cols, T);
}

TEST(Record, BTransposeRunsKeepTheirBotMhsaDependencies) {
    // Level full (shared fixture) and level keypoints of the same samples: the MHSA rows are those
    // of the whole matrices at the query tokens, whatever the level.
    const RunReader full = RunReader::open(test::sharedBTransposeRun());
    const RunHeader& h = full.header();
    EXPECT_EQ(h.modelFamily, "BTranspose");
    EXPECT_EQ(h.mhsaBlocks, 1);
    EXPECT_EQ(h.mhsaHeads, 4);
    EXPECT_EQ(h.tokens(), 768);
    RecordOptions o = smallRun("record_btranspose_keypoints.h5");
    o.config = test::smallBTranspose();
    o.checkpoint = test::officialPath("btranspose_small.pth");
    o.subset = 3;
    recordRun(o);
    const RunReader light = RunReader::open(o.out);
    EXPECT_EQ(light.header().mhsaBlocks, 1);
    ASSERT_EQ(light.size(), 3);
    for (int64_t row = 0; row < light.size(); ++row) {
        const RunSample s = full.sample(row);
        const torch::Tensor rows = full.mhsaDependency(row);  // [1, 4, K, T]
        ASSERT_EQ(rows.sizes(), torch::IntArrayRef({1, 4, 17, 768}));
        EXPECT_TRUE(torch::allclose(rows.sum(-1), torch::ones({1, 4, 17}), 0, 2e-3));  // softmax rows
        for (int head = 0; head < 4; ++head) {
            const torch::Tensor a = full.mhsaAttention(row, 0, head);  // [T, T]
            for (int k = 0; k < 17; ++k)
                EXPECT_TRUE(torch::equal(rows[0][head][k], a[s.queryTokens[static_cast<size_t>(k)]]))
                    << "row " << row << " head " << head << " keypoint " << k;
        }
        EXPECT_TRUE(torch::equal(light.mhsaDependency(row), rows)) << row;
        EXPECT_TRUE(torch::allclose(light.mhsaDependencyMap(row, 0, 9).reshape({-1}), rows[0].select(1, 9).mean(0)));
        EXPECT_TRUE(torch::equal(light.mhsaDependencyMap(row, 0, 9, 2).reshape({-1}), rows[0][2][9]));
    }
    EXPECT_THROW(light.mhsaAttention(0, 0, 0), RunFormatError);  // level keypoints
    EXPECT_THROW(light.mhsaDependencyMap(0, 1, 0), RunFormatError);
    // The browser: MHSA maps by request, affect maps from the whole matrices (level full only).
    const auto browser = RunBrowser::open(test::sharedBTransposeRun());
    MapRequest q;
    q.mhsaBlock = 0;
    q.keypoint = 9;
    q.head = 1;
    const GridMap dep = browser->dependencyMap(0, q);
    EXPECT_EQ(dep.rows, 32);
    EXPECT_EQ(dep.cols, 24);
    EXPECT_FLOAT_EQ(dep.values[100], full.mhsaDependency(0)[0][1][9][100].item<float>());
    q.direction = MapDirection::Affect;
    const int token = full.sample(0).queryTokens[9];
    EXPECT_FLOAT_EQ(browser->dependencyMap(0, q).values[5], full.mhsaAttention(0, 0, 1)[5][token].item<float>());
    q.head = 4;
    EXPECT_THROW(browser->dependencyMap(0, q), RunFormatError);  // the MHSA has 4 heads
    q.head = -1;
    q.mhsaBlock = 1;
    EXPECT_THROW(browser->dependencyMap(0, q), RunFormatError);
    const auto lightBrowser = RunBrowser::open(o.out);
    q.mhsaBlock = 0;
    EXPECT_THROW(lightBrowser->dependencyMap(0, q), RunFormatError);  // affect needs level full
    // Merging copies them bit for bit.
    const std::string merged = test::outputPath("record_btranspose_merged.h5");
    std::filesystem::remove(merged);
    mergeRuns({o.out}, merged);
    const RunReader m = RunReader::open(merged);
    EXPECT_EQ(m.header().mhsaHeads, 4);
    for (int64_t row = 0; row < m.size(); ++row)
        EXPECT_TRUE(torch::equal(m.mhsaDependency(row), light.mhsaDependency(row))) << row;
}

TEST(Record, HrpvtRunsDecodeSimCCAndKeepSraDependencies) {
    // A small HRPVT with seeded random weights (there is no official HRPVT checkpoint).
    torch::manual_seed(11);
    const models::ModelConfig config = test::tinyHrpvt();
    const auto fresh = models::createModel(config);
    fresh->initialiseForTraining();
    const std::string checkpoint = test::outputPath("record_hrpvt_tiny.pth");
    models::saveStateDict(models::stateDictOf(fresh->module()), checkpoint);
    RecordOptions o = smallRun("record_hrpvt_full.h5");
    o.config = config;
    o.checkpoint = checkpoint;
    o.level = RunLevel::Full;
    o.flip = true;
    o.subset = 3;
    recordRun(o);
    const RunReader run = RunReader::open(o.out);
    const RunHeader& h = run.header();
    EXPECT_EQ(h.modelFamily, "HRPVT");
    EXPECT_EQ(h.decoder, "simcc");
    EXPECT_EQ(h.heatmapWidth, 24);  // the x ⊗ y distributions on the stride-4 grid
    EXPECT_EQ(h.heatmapHeight, 32);
    EXPECT_EQ(h.layers, 5);  // every PVT v2 block
    EXPECT_EQ(h.heads, 1);
    EXPECT_EQ(h.tokens(), 12);  // the stride-32 grid, 4 × 3
    EXPECT_FALSE(h.layerwise);
    ASSERT_EQ(run.size(), 3);

    // The same forward passes outside the recorder give the stored keypoints and rows.
    const auto model = models::loadModel(config, checkpoint);
    const models::ModelInfo& info = model->info();
    const CocoDataset coco = CocoDataset::load(o.dataset, o.images);
    for (int64_t row = 0; row < run.size(); ++row) {
        const RunSample s = run.sample(row);
        const CenterScale cs{s.center[0], s.center[1], s.scale[0], s.scale[1]};
        const cv::Mat rgb = loadImageRgb(coco.imagePath(*coco.image(s.imageId)));
        const torch::Tensor input = models::preprocessCrop(rgb, cs, {96, 128}).unsqueeze(0);
        models::Trace trace;
        torch::Tensor out = model->forward(input, &trace);
        out = models::averageFlip(
            out, models::flipBackOutput(info, model->forward(models::flipWidth(input)), cocoSkeleton().flipPairs));
        const auto expected = models::decodeOutputToImage(info, out, {cs});
        for (int k = 0; k < 17; ++k) {
            EXPECT_NEAR(s.keypoints[static_cast<size_t>(3 * k)], expected[0][static_cast<size_t>(k)].x, 1e-3) << k;
            EXPECT_NEAR(s.keypoints[static_cast<size_t>(3 * k + 1)], expected[0][static_cast<size_t>(k)].y, 1e-3);
        }
        const torch::Tensor dependency = run.dependency(row);  // [5, 17, 12]
        ASSERT_EQ(dependency.sizes(), torch::IntArrayRef({5, 17, 12}));
        for (int layer = 0; layer < 5; ++layer) {
            const torch::Tensor full = run.attention(row, layer, 0);  // [12, 12]
            EXPECT_TRUE(torch::allclose(full, trace.layers[static_cast<size_t>(layer)].attentionMean[0], 0, 2e-3));
            for (int k = 0; k < 17; ++k)
                EXPECT_TRUE(torch::equal(dependency[layer][k], full[s.queryTokens[static_cast<size_t>(k)]]))
                    << "layer " << layer << " keypoint " << k;
        }
        const torch::Tensor maps = run.heatmaps(row);
        EXPECT_TRUE(torch::allclose(maps, models::outputHeatmaps(info, out)[0], 0, 2e-3));
    }
}
