// Occlusion sensitivity: a model built for the test whose keypoints follow the brightest spot,
// where sensitivity must peak; occluding with what is already there changes nothing; batched and
// one-by-one evaluation agree; the attention-agreement statistics on hand-made maps.
#include "official_configs.h"
#include "posescope/analysis/dependencies.h"
#include "posescope/analysis/occlusion.h"
#include "posescope/analysis/occlusion_report.h"
#include "posescope/analysis/pose_nms.h"
#include "posescope/analysis/run_browser.h"
#include "posescope/analysis/run_store.h"
#include "posescope/analysis/visibility_stats.h"
#include "posescope/datasets/coco.h"
#include "posescope/datasets/error.h"
#include "posescope/datasets/image.h"
#include "posescope/models/model_registry.h"
#include "posescope/models/pose_output.h"
#include "posescope/models/preprocess.h"
#include "run_files.h"
#include "run_fixture.h"
#include "test_paths.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>

using namespace posescope;
using namespace posescope::analysis;

namespace {

// Every keypoint's heatmap is the input's brightness pooled over 4×4 cells: the keypoint is the
// brightest cell, its score the brightness there.
class BrightSpotModel : public models::PoseModel {
public:
    BrightSpotModel() {
        m_info.family = "BrightSpot";
        m_info.inputWidth = 192;
        m_info.inputHeight = 256;
        m_info.outputWidth = 48;
        m_info.outputHeight = 64;
        m_info.keypoints = 17;
    }
    const models::ModelInfo& info() const override { return m_info; }
    torch::Tensor forward(const torch::Tensor& input, models::TraceObserver* = nullptr) const override {
        ++calls;
        const torch::Tensor pooled = torch::avg_pool2d(input.mean(1, true), 4);  // [N, 1, 64, 48]
        return pooled.expand({input.size(0), 17, 64, 48}).contiguous();
    }
    torch::Tensor headOnTokens(const models::LayerTrace&) const override { throw models::ModelError("none"); }
    torch::Tensor attentionRows(const models::LayerTrace&, const torch::Tensor&) const override {
        throw models::ModelError("none");
    }
    torch::nn::Module& module() override { return m_module; }
    torch::Tensor forwardTraining(const torch::Tensor& input, models::TraceObserver* o) override {
        return forward(input, o);
    }
    void initialiseForTraining() override {}
    mutable int calls = 0;

private:
    models::ModelInfo m_info;
    torch::nn::Module m_module;
};

// The crop equals the image (192×256, identity transform).
CenterScale identityCrop() {
    return boxToCenterScale(Box{0, 0, 192, 256}, 0.75, 1.0);
}

}  // namespace

TEST(Occlusion, SensitivityPeaksWhereTheKeypointIsDetermined) {
    cv::Mat image(256, 192, CV_8UC3, cv::Scalar::all(0));
    image(cv::Rect(96, 128, 16, 16)).setTo(cv::Scalar::all(255));  // the only bright spot
    BrightSpotModel model;
    OcclusionOptions o;
    o.size = 32;
    o.stride = 16;
    o.batch = 16;
    OcclusionTarget gt;
    gt.keypoints.assign(17 * 3, 0.0);
    for (int k = 0; k < 17; ++k) {
        gt.keypoints[static_cast<size_t>(3 * k)] = 103.5;  // the spot's centre
        gt.keypoints[static_cast<size_t>(3 * k + 1)] = 135.5;
        gt.keypoints[static_cast<size_t>(3 * k + 2)] = 2;
    }
    gt.area = 5000;
    const SensitivityResult r = slidingOcclusion(model, image, identityCrop(), o, gt);
    EXPECT_EQ(r.cols, 11);  // 0, 16, …, 160
    EXPECT_EQ(r.rows, 15);  // 0, 16, …, 224
    EXPECT_EQ(r.evaluated, 165);
    EXPECT_FALSE(r.cancelled);
    EXPECT_EQ(model.calls, 1 + 11);  // the reference, then ⌈165 / 16⌉ batches
    // On the spot's plateau (its first cell: DARK's Newton step is 0 on a flat top).
    EXPECT_TRUE(cv::Rect2d(95.5, 127.5, 17, 17).contains({r.reference[0].x, r.reference[0].y}))
        << r.reference[0].x << ", " << r.reference[0].y;
    const torch::Tensor drop = r.map(0, SensitivityMeasure::ScoreDrop);
    const torch::Tensor moved = r.map(0, SensitivityMeasure::Displacement);
    // Windows that cover the whole spot take it away; the others leave it (and its score).
    for (int64_t p = 0; p < static_cast<int64_t>(r.windows.size()); ++p) {
        const cv::Rect& w = r.windows[static_cast<size_t>(p)];
        const bool covers = (w & cv::Rect(96, 128, 16, 16)) == cv::Rect(96, 128, 16, 16);
        // DARK blurs the heatmap (kernel 11 cells) around the peak: windows within 24 px can move it.
        const bool touches = (w & cv::Rect(96 - 24, 128 - 24, 16 + 48, 16 + 48)).area() > 0;
        if (covers) {
            EXPECT_GT(r.scoreDrop[p][0].item<double>(), 1.0) << w;
            EXPECT_GT(r.displacement[p][0].item<double>(), 4.0) << w;
            EXPECT_LT(r.oksDrop[p][0].item<double>(), 1.0);
            EXPECT_GT(r.oksDrop[p][0].item<double>(), 0.0) << w;
        } else if (!touches) {
            EXPECT_EQ(r.scoreDrop[p][0].item<double>(), 0.0) << w;
            EXPECT_EQ(r.displacement[p][0].item<double>(), 0.0) << w;
        }
    }
    const int64_t peak = drop.argmax().item<int64_t>();
    const cv::Rect best = r.windows[static_cast<size_t>(peak)];
    EXPECT_EQ((best & cv::Rect(96, 128, 16, 16)).area(), 256) << best;
    // On the crop: the spot's pixels carry the largest mean drop.
    const torch::Tensor onCrop = sensitivityOnCrop(r, 0, SensitivityMeasure::ScoreDrop);
    EXPECT_EQ(onCrop.sizes(), torch::IntArrayRef({256, 192}));
    EXPECT_DOUBLE_EQ(onCrop[0][0].item<double>(), 0.0);
    EXPECT_GT(onCrop[135][103].item<double>(), onCrop[60][40].item<double>() + 1.0);
    const torch::Tensor grid = sensitivityOnGrid(r, 0, SensitivityMeasure::ScoreDrop, 8, 6);
    EXPECT_EQ(grid.argmax().item<int64_t>(), 4 * 6 + 3);  // cell (4, 3) holds the spot
    EXPECT_EQ(moved.sizes(), torch::IntArrayRef({15, 11}));
}

TEST(Occlusion, OccludingWithWhatIsThereChangesNothing) {
    // A uniform image blurred is itself: every variant equals the unoccluded input.
    const auto model = models::loadModel(test::smallTransposeR(), test::officialPath("transpose_r_small.pth"));
    const cv::Mat image(600, 500, CV_8UC3, cv::Scalar(90, 120, 150));  // the crop stays inside
    OcclusionOptions o;
    o.fill = OccluderFill::Blur;
    o.size = 48;
    o.stride = 48;
    o.batch = 8;
    OcclusionTarget gt;
    gt.keypoints.assign(17 * 3, 2.0);
    gt.area = 9000;
    const SensitivityResult r = slidingOcclusion(*model, image, boxToCenterScale(Box{150, 150, 150, 200}), o, gt);
    EXPECT_EQ(r.rows * r.cols, static_cast<int>(r.windows.size()));
    EXPECT_TRUE(torch::equal(r.scoreDrop, torch::zeros_like(r.scoreDrop)));
    EXPECT_TRUE(torch::equal(r.displacement, torch::zeros_like(r.displacement)));
    EXPECT_TRUE(torch::equal(r.oksDrop, torch::zeros_like(r.oksDrop)));
}

TEST(Occlusion, BatchedEqualsOneByOneForEveryFill) {
    const auto model = models::loadModel(test::smallTransposeR(), test::officialPath("transpose_r_small.pth"));
    cv::Mat image(256, 200, CV_8UC3);
    cv::randu(image, cv::Scalar::all(0), cv::Scalar::all(256));
    cv::Mat texture(20, 30, CV_8UC3);
    cv::randu(texture, cv::Scalar::all(0), cv::Scalar::all(256));
    for (const OccluderFill fill :
         {OccluderFill::Mean, OccluderFill::Black, OccluderFill::Blur, OccluderFill::Noise, OccluderFill::Texture}) {
        OcclusionOptions o;
        o.fill = fill;
        o.texture = texture;
        o.size = 64;
        o.stride = 64;  // 3 × 4 windows, the last ones flush with the border
        o.batch = 1;
        const CenterScale cs = boxToCenterScale(Box{10, 10, 180, 236});
        const SensitivityResult one = slidingOcclusion(*model, image, cs, o, {});
        o.batch = 5;
        const SensitivityResult batched = slidingOcclusion(*model, image, cs, o, {});
        const std::string name = occluderFillName(fill);
        EXPECT_EQ(one.windows.size(), 12u) << name;
        EXPECT_EQ(one.windows.back(), cv::Rect(128, 192, 64, 64)) << name;
        EXPECT_TRUE(torch::allclose(one.score, batched.score, 1e-5, 1e-6)) << name;
        EXPECT_TRUE(torch::allclose(one.displacement, batched.displacement, 1e-5, 1e-4)) << name;
        EXPECT_TRUE(torch::all(torch::isnan(one.oks)).item<bool>()) << "no ground truth, no OKS";
        EXPECT_GT(one.scoreDrop.abs().max().item<double>(), 0) << name << ": occluding changes something";
        EXPECT_EQ(parseOccluderFill(name), fill);
    }
}

TEST(Occlusion, CancelsAfterABatchAndRefusesBadOptions) {
    BrightSpotModel model;
    const cv::Mat image(256, 192, CV_8UC3, cv::Scalar::all(30));
    OcclusionOptions o;
    o.size = 64;
    o.stride = 32;
    o.batch = 4;
    std::vector<int64_t> progress;
    o.progress = [&](int64_t done, int64_t total) {
        progress.push_back(done);
        EXPECT_EQ(total, 35);
    };
    o.cancel = [&] { return progress.size() >= 2; };
    const SensitivityResult r = slidingOcclusion(model, image, identityCrop(), o);
    EXPECT_TRUE(r.cancelled);
    EXPECT_EQ(r.evaluated, 8);
    EXPECT_EQ(progress, std::vector<int64_t>({4, 8}));
    EXPECT_FALSE(std::isnan(r.score[7][0].item<double>()));
    EXPECT_TRUE(std::isnan(r.score[8][0].item<double>()));
    EXPECT_THROW(r.map(17, SensitivityMeasure::ScoreDrop), Error);

    OcclusionOptions bad;
    bad.size = 300;
    EXPECT_THROW(slidingOcclusion(model, image, identityCrop(), bad), Error);
    bad.size = 16;
    bad.stride = 0;
    EXPECT_THROW(slidingOcclusion(model, image, identityCrop(), bad), Error);
    bad.stride = 16;
    bad.fill = OccluderFill::Texture;
    EXPECT_THROW(slidingOcclusion(model, image, identityCrop(), bad), Error);
    EXPECT_THROW(parseOccluderFill("grey"), Error);
}

TEST(Occlusion, AgreementStatisticsOnHandMadeMaps) {
    const torch::Tensor a = torch::arange(20, torch::kFloat64).view({4, 5});
    Agreement same = attentionAgreement(a, a * 3 + 1, 0.1);
    EXPECT_DOUBLE_EQ(same.spearman, 1.0);
    EXPECT_EQ(same.k, 2);
    EXPECT_DOUBLE_EQ(same.topKOverlap, 1.0);
    const Agreement reversed = attentionAgreement(a, -a, 0.25);
    EXPECT_DOUBLE_EQ(reversed.spearman, -1.0);
    EXPECT_EQ(reversed.k, 5);
    EXPECT_DOUBLE_EQ(reversed.topKOverlap, 0.0);
    // Ties get average ranks: [1, 1, 2, 3] against [1, 2, 3, 4] → ranks [1.5, 1.5, 3, 4].
    const Agreement ties =
        attentionAgreement(torch::tensor({1.0, 1.0, 2.0, 3.0}), torch::tensor({1.0, 2.0, 3.0, 4.0}), 0.5);
    EXPECT_NEAR(ties.spearman, 0.9486832980505138, 1e-12);  // scipy.stats.spearmanr
    EXPECT_DOUBLE_EQ(ties.topKOverlap, 1.0);
    EXPECT_TRUE(std::isnan(attentionAgreement(torch::ones({3, 3}), a.slice(0, 0, 3).slice(1, 0, 3)).spearman));
    EXPECT_THROW(attentionAgreement(a, a.t()), Error);
    EXPECT_THROW(attentionAgreement(a, a, 0), Error);
}

TEST(Occlusion, TargetedOcclusionReportsWhereEachKeypointsAttentionGoes) {
    const auto model = models::loadModel(test::smallTransposeR(), test::officialPath("transpose_r_small.pth"));
    cv::Mat image(300, 240, CV_8UC3);
    cv::randu(image, cv::Scalar::all(0), cv::Scalar::all(256));
    const CenterScale cs = boxToCenterScale(Box{20, 20, 200, 260});
    OcclusionOptions o;
    o.fill = OccluderFill::Black;
    const cv::Rect region = keypointRegion({{100, 120}, {110, 150}}, 16, {192, 256});
    EXPECT_EQ(region, cv::Rect(84, 104, 43, 63));
    EXPECT_EQ(keypointRegion({{5, 250}}, 10, {192, 256}), cv::Rect(0, 240, 16, 16));  // clipped
    const TargetedOcclusionResult t = targetedOcclusion(*model, image, cs, region, o);
    EXPECT_EQ(t.region, region);
    ASSERT_EQ(t.gridRows, 32);
    ASSERT_EQ(t.gridCols, 24);
    ASSERT_EQ(t.dependencyBefore.sizes(), torch::IntArrayRef({2, 17, 768}));
    EXPECT_TRUE(torch::allclose(t.dependencyBefore.sum(-1), torch::ones({2, 17}), 0, 1e-4));  // softmax rows
    EXPECT_TRUE(torch::allclose(t.dependencyAfter.sum(-1), torch::ones({2, 17}), 0, 1e-4));
    EXPECT_FALSE(torch::equal(t.dependencyBefore, t.dependencyAfter));
    EXPECT_TRUE((t.regionShareBefore >= 0).all().item<bool>() && (t.regionShareBefore <= 1 + 1e-5).all().item<bool>());
    // The share is the rows' mass on the cells whose centre lies in the region (8 px cells).
    torch::Tensor mask = torch::zeros({32, 24});
    mask.slice(0, 13, 21).slice(1, 10, 16).fill_(1);  // centres 8·i + 4 within [84, 127) × [104, 167)
    EXPECT_TRUE(torch::allclose(t.regionShareBefore, (t.dependencyBefore * mask.view({-1})).sum(-1), 0, 1e-5));
    // "Before" is the plain pass; the rows are those record stores for it.
    models::Trace trace;
    const torch::Tensor out = model->forward(models::preprocessCrop(image, cs).unsqueeze(0), &trace);
    const auto decoded = models::decodeOutput(model->info(), out);
    const KeypointRows rows = keypointRows(*model, trace, decoded, 768);
    EXPECT_EQ(t.queryBefore, rows.tokens[0]);
    EXPECT_TRUE(torch::allclose(t.dependencyBefore[1], rows.mean[1][0], 0, 1e-5));
    const auto inImage = models::decodeOutputToImage(model->info(), out, {cs});
    EXPECT_NEAR(t.before[9].x, inImage[0][9].x, 1e-3);
    // The whole crop hidden: every row lies in the region.
    const TargetedOcclusionResult all = targetedOcclusion(*model, image, cs, cv::Rect(0, 0, 192, 256), o);
    EXPECT_TRUE(torch::allclose(all.regionShareAfter, torch::ones({2, 17}), 0, 1e-5));
    // A model without a trace: predictions only. A region outside the crop is refused.
    BrightSpotModel bright;
    const TargetedOcclusionResult plain = targetedOcclusion(bright, image, cs, region, o);
    EXPECT_FALSE(plain.dependencyBefore.defined());
    EXPECT_EQ(plain.gridRows, 0);
    EXPECT_THROW(targetedOcclusion(*model, image, cs, cv::Rect(300, 0, 10, 10), o), Error);
}

namespace {

// Three keypoints on a 2 × 3 grid of 4 × 8 px cells (input 12 × 16), one layer.
RunHeader visibilityHeader() {
    return test::threeKeypointRunHeader(1, 1, 2);
}

RunSample visibilitySample(int64_t index, std::vector<float> gt, std::vector<float> predicted,
                           std::vector<float> rows) {
    RunSample s;
    s.index = index;
    s.imageId = 1;
    s.annotationId = 10 + index;
    s.scale = {0.5f, 0.75f};
    s.cropTransform = {1, 0, 0, 0, 1, 0};  // the crop is the image
    s.groundTruth = std::move(gt);
    s.keypoints = std::move(predicted);
    s.layerKeypoints.assign(9, 0.f);
    s.queryTokens = {0, 0, 0};
    s.dependency = torch::tensor(rows).view({1, 3, 6});
    s.cropJpeg = "x";
    return s;
}

}  // namespace

TEST(VisibilityStats, SplitsAccuracyAndAttentionByTheGroundTruthsFlags) {
    const std::string path = test::outputPath("visibility_stats.h5");
    std::filesystem::remove(path);
    {
        RunWriter w = RunWriter::create(path, visibilityHeader());
        // nose visible at cell 0, left eye occluded at cell 4, right eye visible at cell 2.
        w.append({visibilitySample(0, {1, 1, 2, 5, 9, 1, 10, 3, 2}, {4, 5, 0.9f, 5, 9, 0.5f, 10, 3, 0.8f},
                                   {1, 0, 0, 0, 0, 0,                                      // nose: its own cell
                                    1 / 6.f, 1 / 6.f, 1 / 6.f, 1 / 6.f, 1 / 6.f, 1 / 6.f,  // left eye: uniform
                                    0.5f, 0, 0.5f, 0, 0, 0}),                              // right eye: nose and itself
                  visibilitySample(1, std::vector<float>(9, 0.f), std::vector<float>(9, 1.f),
                                   std::vector<float>(18, 1 / 6.f))});  // no labelled GT: left out
        w.finish();
    }
    const RunReader run = RunReader::open(path);
    const VisibilityStats s = visibilityStats(run);
    ASSERT_EQ(s.layers, 1);
    EXPECT_EQ(s.visible.keypoints, 2);
    EXPECT_EQ(s.occluded.keypoints, 1);
    EXPECT_DOUBLE_EQ(s.visible.meanError, 2.5);  // the nose is 5 px off, the right eye exact
    EXPECT_DOUBLE_EQ(s.occluded.meanError, 0);
    const double area = areaFromScale(0.5, 0.75);
    EXPECT_NEAR(s.visible.meanNormalisedError, 2.5 / std::sqrt(area), 1e-12);
    const double noseOks = std::exp(-25 / (2 * area * 4 * 0.089 * 0.089));  // not COCO: σ 0.089
    EXPECT_NEAR(s.visible.meanOks, (noseOks + 1) / 2, 1e-12);
    EXPECT_NEAR(s.visible.entropy[0], (0 + std::log(2) / std::log(6)) / 2, 1e-4);
    EXPECT_NEAR(s.occluded.entropy[0], 1.0, 1e-3);
    EXPECT_NEAR(s.visible.ownCell[0], (1 + 0.5) / 2, 1e-4);
    EXPECT_NEAR(s.occluded.ownCell[0], 1 / 6.0, 1e-3);
    EXPECT_EQ(s.visible.symmetricCount[0], 1);       // the nose has no symmetric joint
    EXPECT_NEAR(s.visible.symmetric[0], 0.0, 1e-6);  // the right eye's row misses the left eye's cell
    EXPECT_NEAR(s.occluded.symmetric[0], 1 / 6.0, 1e-3);
    EXPECT_EQ(s.visible.adjacentCount[0], 2);
    EXPECT_NEAR(s.visible.adjacent[0], (0 + 0.5) / 2, 1e-4);  // nose → the eyes' cells; right eye → nose
    EXPECT_NEAR(s.occluded.adjacent[0], 1 / 6.0, 1e-3);

    // A run without labelled ground truth is refused, naming the file.
    const std::string empty = test::outputPath("visibility_stats_empty.h5");
    std::filesystem::remove(empty);
    {
        RunWriter w = RunWriter::create(empty, visibilityHeader());
        w.append({visibilitySample(0, std::vector<float>(9, 0.f), std::vector<float>(9, 1.f),
                                   std::vector<float>(18, 1 / 6.f))});
        w.finish();
    }
    EXPECT_THROW(visibilityStats(RunReader::open(empty)), RunFormatError);
}

TEST(VisibilityStats, RecordedRunsGiveBoundedStatistics) {
    const RunReader run = RunReader::open(test::sharedRun());
    const VisibilityStats s = visibilityStats(run);
    EXPECT_EQ(s.layers, run.header().layers);
    int64_t labelled = 0;
    for (int64_t row = 0; row < run.size(); ++row) {
        const RunSample x = run.sample(row);
        for (size_t k = 0; k < 17; ++k)
            labelled += x.groundTruth[3 * k + 2] > 0;
    }
    EXPECT_EQ(s.visible.keypoints + s.occluded.keypoints, labelled);
    EXPECT_GT(s.occluded.keypoints, 0);  // SynthPose covers keypoints
    for (const VisibilityGroupStats* g : {&s.visible, &s.occluded})
        for (int l = 0; l < s.layers; ++l) {
            EXPECT_GE(g->entropy[static_cast<size_t>(l)], 0);
            EXPECT_LE(g->entropy[static_cast<size_t>(l)], 1 + 1e-6);
            EXPECT_GE(g->ownCell[static_cast<size_t>(l)], 0);
            EXPECT_LE(g->ownCell[static_cast<size_t>(l)], 1);
        }
}

TEST(Occlusion, TargetedOcclusionsInOneBatchEqualOneByOne) {
    const auto model = models::loadModel(test::smallTransposeR(), test::officialPath("transpose_r_small.pth"));
    cv::Mat image(300, 240, CV_8UC3);
    cv::randu(image, cv::Scalar::all(0), cv::Scalar::all(256));
    const CenterScale cs = boxToCenterScale(Box{20, 20, 200, 260});
    OcclusionOptions o;
    o.fill = OccluderFill::Noise;
    o.batch = 2;
    const std::vector<cv::Rect> regions = {{10, 10, 30, 30}, {100, 150, 40, 20}, {0, 200, 192, 56}};
    const std::vector<TargetedOcclusionResult> batched = targetedOcclusions(*model, image, cs, regions, o);
    ASSERT_EQ(batched.size(), 3u);
    for (size_t i = 0; i < regions.size(); ++i) {
        const TargetedOcclusionResult one = targetedOcclusion(*model, image, cs, regions[i], o);
        EXPECT_EQ(batched[i].region, regions[i]);
        EXPECT_TRUE(torch::allclose(batched[i].dependencyAfter, one.dependencyAfter, 1e-4, 1e-6)) << i;
        EXPECT_TRUE(torch::allclose(batched[i].regionShareAfter, one.regionShareAfter, 1e-4, 1e-6)) << i;
        EXPECT_EQ(batched[i].queryAfter, one.queryAfter);
        for (size_t k = 0; k < 17; ++k)
            EXPECT_NEAR(batched[i].after[k].x, one.after[k].x, 1e-2) << i << ' ' << k;
    }
    EXPECT_FALSE(torch::allclose(batched[0].regionShareAfter, batched[2].regionShareAfter));
}

TEST(Occlusion, MaskCoverageIsEachCellsShareUnderTheMask) {
    cv::Mat mask(256, 192, CV_8U, cv::Scalar(0));
    mask(cv::Rect(0, 0, 96, 256)).setTo(255);  // the left half
    mask(cv::Rect(144, 0, 24, 32)).setTo(1);   // a quarter of the cell at row 0, column 3 (nonzero = inside)
    const torch::Tensor c = maskCoverage(mask, identityCrop(), {192, 256}, 4, 4);  // 48 × 64 px cells
    ASSERT_EQ(c.sizes(), torch::IntArrayRef({4, 4}));
    EXPECT_TRUE(torch::allclose(c.slice(1, 0, 2), torch::ones({4, 2}), 0, 1e-5));
    EXPECT_NEAR(c[0][3].item<float>(), 0.25, 1e-3);
    EXPECT_NEAR(c[1][3].item<float>(), 0.0, 1e-6);
    EXPECT_NEAR(c[2][2].item<float>(), 0.0, 1e-6);
    // A crop of the image's top right quarter (magnified twice): only the small patch lies in it,
    // on a quarter of the top right cell.
    const torch::Tensor right = maskCoverage(mask, boxToCenterScale(Box{96, 0, 96, 128}, 0.75, 1.0), {192, 256}, 2, 2);
    EXPECT_NEAR(right[0][1].item<float>(), 0.25, 0.01);
    EXPECT_LT(right[1][0].item<float>(), 0.02);
    EXPECT_LT(right[1][1].item<float>(), 0.02);
    EXPECT_THROW(maskCoverage(cv::Mat(), identityCrop(), {192, 256}, 4, 4), Error);
    EXPECT_EQ(occlusionGrid({192, 256}, 64, 32), cv::Size(5, 7));
    EXPECT_EQ(occlusionWindows({192, 256}, 64, 32).back(), cv::Rect(128, 192, 64, 64));
}

namespace {

// Three keypoints, one layer, a 2 × 3 grid of 4 × 8 px cells; 4 × 4 windows at stride 4: 4 rows
// × 3 columns, so each cell holds two windows, one above the other.
RunHeader occlusionHeader(int targetedMargin) {
    RunHeader h = test::threeKeypointRunHeader(1, 1, 1);
    h.occlusionWindow = 4;
    h.occlusionStride = 4;
    h.occlusionRows = 4;
    h.occlusionCols = 3;
    h.occlusionFill = "{\"fill\": \"mean\"}";
    h.targetedMargin = targetedMargin;
    return h;
}

// Keypoint 0's score drops rank its cells as its dependency row does, keypoint 1's the other way
// round; nothing changes keypoint 2.
RunSample occlusionSample() {
    RunSample s = visibilitySample(0, {1, 1, 2, 5, 9, 1, 10, 3, 2}, {1, 1, 0.9f, 5, 9, 0.5f, 10, 3, 0.8f},
                                   {0.05f, 0.1f, 0.15f, 0.2f, 0.2f, 0.3f,  // nose
                                    0.05f, 0.1f, 0.15f, 0.2f, 0.2f, 0.3f,  // left eye
                                    0.1f, 0.1f, 0.1f, 0.2f, 0.2f, 0.3f});  // right eye
    const float cell[6] = {1, 2, 3, 4, 5, 6};  // ranks of cells 0…5 (4 and 5 above tie in the rows)
    s.occlusionScoreDrop = torch::zeros({12, 3});
    for (int row = 0; row < 4; ++row)
        for (int col = 0; col < 3; ++col) {
            const float v = cell[(row / 2) * 3 + col];
            s.occlusionScoreDrop[row * 3 + col][0] = 0.1f * v;
            s.occlusionScoreDrop[row * 3 + col][1] = -0.1f * v;
        }
    s.occlusionDisplacement = torch::full({12, 3}, 2.f);
    s.occlusionOks = torch::full({12, 3}, std::nanf(""));
    s.referenceOks = {std::nanf(""), std::nanf(""), std::nanf("")};
    s.occluderId = {-1, 1500, -1};
    s.occluderShare = {std::nanf(""), 0.4f, std::nanf("")};
    return s;
}

void addTargeted(RunSample& s) {
    s.targetedRegion = {0, 0, 4, 4, 2, 6, 5, 5, 8, 0, 4, 4};
    s.targetedKeypoints.clear();
    for (int hidden = 0; hidden < 3; ++hidden)
        for (int k = 0; k < 3; ++k) {  // the hidden keypoint moves 3 px to the right, the others 1 px
            const float dx = hidden == k ? 3.f : 1.f;
            s.targetedKeypoints.insert(s.targetedKeypoints.end(),
                                       {s.keypoints[3 * k] + dx, s.keypoints[3 * k + 1], 0.5f});
        }
    // share[hidden][layer 0][k]: own rows 0.6 → 0.2, the others 0.1 → 0.15.
    for (int hidden = 0; hidden < 3; ++hidden)
        for (int k = 0; k < 3; ++k) {
            s.targetedShareBefore.push_back(hidden == k ? 0.6f : 0.1f);
            s.targetedShareAfter.push_back(hidden == k ? 0.2f : 0.15f);
        }
    s.targetedRows = torch::rand({3, 1, 6});
}

// addTargeted, then a body part "eyes" (keypoints 1 and 2) as region 3: the eyes move 4 px, the
// nose 0.5 px; the eyes' rows on it 0.5 → 0.1, the nose's 0.2 → 0.25.
void addTargetedPart(RunHeader& h, RunSample& s) {
    h.targetedParts = {{"eyes", {1, 2}}};
    addTargeted(s);
    s.targetedRegion.insert(s.targetedRegion.end(), {1, 1, 8, 8});
    for (int k = 0; k < 3; ++k) {
        const float dx = k == 0 ? 0.5f : 4.f;
        s.targetedKeypoints.insert(s.targetedKeypoints.end(), {s.keypoints[3 * k] + dx, s.keypoints[3 * k + 1], 0.5f});
        s.targetedShareBefore.push_back(k == 0 ? 0.2f : 0.5f);
        s.targetedShareAfter.push_back(k == 0 ? 0.25f : 0.1f);
    }
    s.targetedRows = torch::rand({4, 1, 6});
}

}  // namespace

TEST(OcclusionRun, TheStoreKeepsEveryOcclusionArrayAndResumes) {
    const std::string path = test::outputPath("occlusion_store.h5");
    std::filesystem::remove(path);
    RunHeader h = occlusionHeader(2);
    h.totalSamples = h.plannedSamples = 2;
    h.targetedAllRows = true;
    RunSample a = occlusionSample();
    addTargeted(a);
    a.targetedDependency = torch::rand({3, 1, 3, 6});
    {
        RunWriter w = RunWriter::create(path, h);
        w.append({a});
        w.close();  // not finished: resumable
    }
    RunSample b = a;
    b.index = 1;
    b.occluderId = {1501, -1, -1};
    {
        RunHeader stored;
        RunWriter w = RunWriter::resume(path, stored);
        EXPECT_TRUE(stored.hasOcclusion());
        EXPECT_EQ(stored.occlusionWindows(), 12);
        EXPECT_EQ(stored.targetedMargin, 2);
        EXPECT_TRUE(stored.targetedAllRows);
        EXPECT_EQ(stored.occlusionFill, h.occlusionFill);
        w.append({b});
        w.finish();
    }
    const RunReader r = RunReader::open(path);
    ASSERT_EQ(r.size(), 2);
    const RunSample x = r.sample(1);
    EXPECT_EQ(x.occluderId, b.occluderId);
    EXPECT_TRUE(std::isnan(x.occluderShare[0]));
    EXPECT_FLOAT_EQ(x.occluderShare[1], 0.4f);
    EXPECT_EQ(x.targetedRegion, a.targetedRegion);
    EXPECT_EQ(x.targetedKeypoints, a.targetedKeypoints);
    EXPECT_EQ(x.targetedShareBefore, a.targetedShareBefore);
    EXPECT_EQ(x.targetedShareAfter, a.targetedShareAfter);
    EXPECT_TRUE(torch::equal(r.array(0, "occlusion_score_drop"), a.occlusionScoreDrop));
    EXPECT_TRUE(torch::equal(r.array(1, "occlusion_displacement"), a.occlusionDisplacement));
    EXPECT_TRUE(torch::isnan(r.array(0, "occlusion_oks")).all().item<bool>());
    EXPECT_TRUE(torch::allclose(r.array(0, "targeted_rows"), a.targetedRows, 0, 1e-3));  // float16
    EXPECT_TRUE(torch::allclose(r.array(1, "targeted_dependency"), a.targetedDependency, 0, 1e-3));
    EXPECT_THROW(r.array(0, "nothing"), RunFormatError);
    // An array of the wrong size is refused, naming it.
    const std::string bad = test::outputPath("occlusion_store_bad.h5");
    std::filesystem::remove(bad);
    RunWriter w = RunWriter::create(bad, h);
    RunSample wrong = a;
    wrong.occlusionScoreDrop = torch::zeros({11, 3});
    try {
        w.append({wrong});
        FAIL() << "expected RunFormatError";
    } catch (const RunFormatError& e) {
        EXPECT_NE(std::string(e.what()).find("occlusion_score_drop"), std::string::npos) << e.what();
    }
    // Runs with other occlusion settings cannot be resumed or merged together.
    RunHeader other = h;
    other.occlusionStride = 2;
    const auto d = identityDifference(h, other);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->attribute, "occlusion_window");
    RunHeader parts = h;
    parts.targetedParts = {{"eyes", {1, 2}}};
    ASSERT_TRUE(identityDifference(h, parts).has_value());
    EXPECT_EQ(identityDifference(h, parts)->attribute, "targeted_parts");
    // A plain record has no occlusion analysis to report.
    EXPECT_THROW(occlusionReport(RunReader::open(test::sharedRun())), RunFormatError);
}

TEST(OcclusionRun, ReportAgreesWithHandMadeMaps) {
    const std::string path = test::outputPath("occlusion_report.h5");
    std::filesystem::remove(path);
    RunSample s = occlusionSample();
    RunHeader header = occlusionHeader(2);
    addTargetedPart(header, s);
    {
        RunWriter w = RunWriter::create(path, header);
        w.append({s});
        w.finish();
    }
    const RunReader run = RunReader::open(path);
    // The stored maps come back as slidingOcclusion's result.
    const SensitivityResult sr = storedSensitivity(run, 0);
    EXPECT_EQ(sr.rows, 4);
    EXPECT_EQ(sr.cols, 3);
    EXPECT_EQ(sr.windows[4], cv::Rect(4, 4, 4, 4));
    EXPECT_NEAR(sr.score[11][0].item<double>(), 0.9 - 0.1 * 6, 1e-6);  // reference score − drop
    const torch::Tensor grid = sensitivityOnGrid(sr, 0, SensitivityMeasure::ScoreDrop, 2, 3);
    EXPECT_NEAR(grid[1][2].item<double>(), 0.6, 1e-6);

    const torch::Tensor a = sampleAgreement(run, 0, SensitivityMeasure::ScoreDrop, 1 / 6.0);
    EXPECT_NEAR(
        a[0][0][0].item<double>(),
        attentionAgreement(torch::tensor({0.05, 0.1, 0.15, 0.2, 0.2, 0.3}), torch::tensor({1., 2., 3., 4., 5., 6.}))
            .spearman,
        1e-9);
    EXPECT_GT(a[0][0][0].item<double>(), 0.95);          // same order (one tie)
    EXPECT_LT(a[0][0][1].item<double>(), -0.95);         // reversed
    EXPECT_TRUE(std::isnan(a[0][0][2].item<double>()));  // no sensitivity at all
    EXPECT_DOUBLE_EQ(a[1][0][0].item<double>(), 1.0);    // the top cell (k = 1) agrees
    EXPECT_DOUBLE_EQ(a[1][0][1].item<double>(), 0.0);

    const OcclusionReport r = occlusionReport(run, {SensitivityMeasure::ScoreDrop, 1 / 6.0, {}, {}});
    EXPECT_EQ(r.samples, 1);
    ASSERT_EQ(r.all.spearman.size(), 1u);
    EXPECT_EQ(r.all.spearmanCount[0], 2);  // keypoint 2 has no Spearman
    EXPECT_EQ(r.all.count[0], 3);
    EXPECT_NEAR(r.all.spearman[0], (a[0][0][0].item<double>() + a[0][0][1].item<double>()) / 2, 1e-9);
    EXPECT_NEAR(r.all.topKOverlap[0], (1 + 0 + a[1][0][2].item<double>()) / 3, 1e-9);
    // GT flags: nose and right eye visible, left eye occluded.
    EXPECT_NEAR(r.visible.spearman[0], a[0][0][0].item<double>(), 1e-9);
    EXPECT_NEAR(r.occluded.spearman[0], a[0][0][1].item<double>(), 1e-9);
    EXPECT_EQ(r.occluded.count[0], 1);
    EXPECT_NEAR(r.keypointSpearman[1], a[0][0][1].item<double>(), 1e-9);
    EXPECT_NEAR(r.peakScoreDrop[0], 0.6, 1e-6);
    EXPECT_NEAR(r.peakScoreDrop[1], -0.1, 1e-6);
    EXPECT_NEAR(r.peakScoreDrop[2], 0.0, 1e-9);
    ASSERT_TRUE(r.targeted);
    EXPECT_NEAR(r.hiddenShareBefore[0], 0.6, 1e-6);
    EXPECT_NEAR(r.hiddenShareAfter[0], 0.2, 1e-6);
    EXPECT_NEAR(r.otherShareBefore[0], 0.1, 1e-6);
    EXPECT_NEAR(r.otherShareAfter[0], 0.15, 1e-6);
    EXPECT_NEAR(r.hiddenDisplacement, 3, 1e-5);
    EXPECT_NEAR(r.otherDisplacement, 1, 1e-5);
    // The body part, apart from the keypoints' regions.
    ASSERT_EQ(run.header().targetedParts, header.targetedParts);
    EXPECT_EQ(run.header().targetedRegions(), 4);
    EXPECT_EQ(run.header().targetedRegionName(3), "eyes");
    ASSERT_EQ(r.parts.size(), 1u);
    EXPECT_EQ(r.parts[0].name, "eyes");
    EXPECT_EQ(r.parts[0].keypoints, (std::vector<int>{1, 2}));
    EXPECT_NEAR(r.parts[0].hiddenDisplacement, 4, 1e-5);
    EXPECT_NEAR(r.parts[0].otherDisplacement, 0.5, 1e-5);
    EXPECT_NEAR(r.parts[0].hiddenShareBefore[0], 0.5, 1e-6);
    EXPECT_NEAR(r.parts[0].hiddenShareAfter[0], 0.1, 1e-6);
    EXPECT_NEAR(r.parts[0].otherShareBefore[0], 0.2, 1e-6);
    EXPECT_NEAR(r.parts[0].otherShareAfter[0], 0.25, 1e-6);
    EXPECT_TRUE(torch::allclose(run.array(0, "targeted_rows"), s.targetedRows, 0, 1e-3));  // [4, 1, 6]
    // The occluder share of the occluded left eye (the only one with a known occluder).
    EXPECT_EQ(r.visibility.occluded.occluderCount[0], 1);
    EXPECT_NEAR(r.visibility.occluded.occluder[0], 0.4, 1e-6);
    EXPECT_EQ(r.visibility.visible.occluderCount[0], 0);
    EXPECT_THROW(occlusionReport(run, {SensitivityMeasure::ScoreDrop, 0, {}, {}}), Error);
}

TEST(OcclusionRun, RecordedRunsHoldWhatTheDirectAnalysesGive) {
    const RunReader run = RunReader::open(test::sharedOcclusionRun());
    const RunHeader& h = run.header();
    ASSERT_TRUE(h.hasOcclusion());
    EXPECT_EQ(h.occlusionRows, 7);
    EXPECT_EQ(h.occlusionCols, 5);
    ASSERT_EQ(run.size(), 6);
    const CocoDataset coco = CocoDataset::load(h.dataset, h.images);
    const auto model = models::loadModel(test::smallTransposeR(), test::officialPath("transpose_r_small.pth"));
    OcclusionOptions o;
    o.size = 64;
    o.stride = 32;
    int64_t withOccluder = 0, sharesDefined = 0;
    for (int64_t row = 0; row < run.size(); ++row) {
        const RunSample s = run.sample(row);
        const PersonAnnotation* ann = nullptr;
        for (const PersonAnnotation& p : coco.annotations())
            if (p.id == s.annotationId) ann = &p;
        ASSERT_NE(ann, nullptr);
        for (size_t k = 0; k < 17; ++k) {
            const int64_t by = ann->occludedBy[k];
            EXPECT_EQ(s.occluderId[k], by >= 0 && by != ann->id ? by : -1) << row << ' ' << k;
            withOccluder += s.occluderId[k] >= 0;
            for (int l = 0; l < h.layers; ++l) {
                const float share = s.occluderShare[static_cast<size_t>(l) * 17 + k];
                if (std::isnan(share)) continue;
                ++sharesDefined;
                EXPECT_GE(share, 0);
                EXPECT_LE(share, 1 + 1e-5);
            }
        }
        if (row > 1) continue;  // the direct analyses on two samples
        const cv::Mat image = loadImageRgb(coco.imagePath(*coco.image(s.imageId)));
        const CenterScale cs{s.center[0], s.center[1], s.scale[0], s.scale[1]};
        OcclusionTarget gt;
        gt.keypoints.assign(s.groundTruth.begin(), s.groundTruth.end());
        gt.area = ann->area;
        const SensitivityResult direct = slidingOcclusion(*model, image, cs, o, gt);
        const SensitivityResult stored = storedSensitivity(run, row);
        EXPECT_TRUE(torch::allclose(stored.scoreDrop, direct.scoreDrop, 1e-4, 1e-5)) << row;
        EXPECT_TRUE(torch::allclose(stored.displacement, direct.displacement, 1e-4, 1e-3)) << row;
        EXPECT_TRUE(torch::allclose(stored.oks, direct.oks, 1e-4, 1e-5, /*equal_nan=*/true)) << row;
        for (size_t k = 0; k < 17; ++k)
            EXPECT_NEAR(stored.reference[k].x, direct.reference[k].x, 1e-2);
        // Keypoint 5's targeted occlusion, redone.
        const cv::Rect region(s.targetedRegion[20], s.targetedRegion[21], s.targetedRegion[22], s.targetedRegion[23]);
        ASSERT_GT(region.area(), 0);
        const TargetedOcclusionResult t = targetedOcclusion(*model, image, cs, region, o);
        for (size_t k = 0; k < 17; ++k) {
            EXPECT_NEAR(s.targetedKeypoints[5 * 51 + 3 * k], t.after[k].x, 1e-2) << k;
            for (int l = 0; l < h.layers; ++l)
                EXPECT_NEAR(s.targetedShareAfter[(5 * static_cast<size_t>(h.layers) + static_cast<size_t>(l)) * 17 + k],
                            t.regionShareAfter[l][static_cast<int64_t>(k)].item<float>(), 1e-4);
        }
        EXPECT_TRUE(torch::allclose(run.array(row, "targeted_rows")[5], t.dependencyAfter.select(1, 5), 1e-2, 1e-4));
        EXPECT_TRUE(torch::allclose(run.array(row, "targeted_dependency")[5], t.dependencyAfter, 1e-2, 1e-4));
    }
    EXPECT_GT(withOccluder, 0);                                      // SynthPose's occluders (shapes and other people)
    EXPECT_EQ(h.targetedParts, standardBodyParts(h.keypointNames));  // the default: head, torso, arms, legs
    EXPECT_GT(sharesDefined, 0);
    const OcclusionReport r = occlusionReport(run);
    EXPECT_EQ(r.samples, 6);
    for (int l = 0; l < h.layers; ++l) {
        EXPECT_GE(r.all.spearman[static_cast<size_t>(l)], -1);
        EXPECT_LE(r.all.spearman[static_cast<size_t>(l)], 1);
        EXPECT_GE(r.all.topKOverlap[static_cast<size_t>(l)], 0);
        EXPECT_LE(r.all.topKOverlap[static_cast<size_t>(l)], 1);
    }
}

TEST(OcclusionRun, BodyPartsAreHiddenAsOneRegionAroundTheirKeypoints) {
    const RunReader run = RunReader::open(test::sharedOcclusionRun());
    const RunHeader& h = run.header();
    ASSERT_EQ(h.targetedParts.size(), 6u);
    ASSERT_EQ(h.targetedRegions(), 17 + 6);
    const int arm = 17 + 2;  // left_arm: shoulder, elbow, wrist
    ASSERT_EQ(h.targetedRegionName(arm), "left_arm");
    ASSERT_EQ(h.targetedRegionKeypoints(arm), (std::vector<int>{5, 7, 9}));
    const RunSample s = run.sample(1);
    const CocoDataset coco = CocoDataset::load(h.dataset, h.images);
    const auto model = models::loadModel(test::smallTransposeR(), test::officialPath("transpose_r_small.pth"));
    const cv::Mat image = loadImageRgb(coco.imagePath(*coco.image(s.imageId)));
    const CenterScale cs{s.center[0], s.center[1], s.scale[0], s.scale[1]};
    // The region: 16 px around the arm's points (labelled ground truth in the crop, else the
    // prediction), the union of its keypoints' regions.
    const auto& m = s.cropTransform;
    std::vector<cv::Point2d> points;
    cv::Rect unionOfKeypoints;
    for (int k : {5, 7, 9}) {
        const auto i = static_cast<size_t>(3 * k);
        const bool gt = s.groundTruth[i + 2] > 0;
        const float x = gt ? s.groundTruth[i] : s.keypoints[i], y = gt ? s.groundTruth[i + 1] : s.keypoints[i + 1];
        cv::Point2d p(m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5]);
        if (gt && (p.x < 0 || p.y < 0 || p.x >= 192 || p.y >= 256))
            p = {m[0] * s.keypoints[i] + m[1] * s.keypoints[i + 1] + m[2],
                 m[3] * s.keypoints[i] + m[4] * s.keypoints[i + 1] + m[5]};
        points.push_back({std::clamp(p.x, 0.0, 191.0), std::clamp(p.y, 0.0, 255.0)});
        const auto k4 = static_cast<size_t>(4 * k);
        unionOfKeypoints |= cv::Rect(s.targetedRegion[k4], s.targetedRegion[k4 + 1], s.targetedRegion[k4 + 2],
                                     s.targetedRegion[k4 + 3]);
    }
    const cv::Rect region(s.targetedRegion[4 * arm], s.targetedRegion[4 * arm + 1], s.targetedRegion[4 * arm + 2],
                          s.targetedRegion[4 * arm + 3]);
    EXPECT_EQ(region, keypointRegion(points, 16, {192, 256}));
    EXPECT_EQ(region, unionOfKeypoints);
    // Redone directly: every keypoint's prediction and share, and the part's row = its keypoints' mean.
    OcclusionOptions o;
    o.size = 64;
    o.stride = 32;
    const TargetedOcclusionResult t = targetedOcclusion(*model, image, cs, region, o);
    const size_t L = static_cast<size_t>(h.layers);
    for (size_t k = 0; k < 17; ++k) {
        // Batched against alone: float noise, amplified a little by DARK's sub-pixel step.
        EXPECT_NEAR(s.targetedKeypoints[(static_cast<size_t>(arm) * 17 + k) * 3 + 1], t.after[k].y, 0.1) << k;
        for (size_t l = 0; l < L; ++l)
            EXPECT_NEAR(s.targetedShareBefore[(static_cast<size_t>(arm) * L + l) * 17 + k],
                        t.regionShareBefore[static_cast<int64_t>(l)][static_cast<int64_t>(k)].item<float>(), 1e-4);
    }
    const torch::Tensor armRows = t.dependencyAfter.index_select(1, torch::tensor({5, 7, 9})).mean(1);
    EXPECT_TRUE(torch::allclose(run.array(1, "targeted_rows")[arm], armRows, 1e-2, 1e-4));
    EXPECT_TRUE(torch::allclose(run.array(1, "targeted_dependency")[arm], t.dependencyAfter, 1e-2, 1e-4));
    // Through the browser and the report.
    const auto browser = RunBrowser::open(test::sharedOcclusionRun());
    const TargetedView v = browser->targeted(1, arm);
    EXPECT_EQ(v.name, "left_arm");
    EXPECT_EQ(v.keypoints, (std::vector<int>{5, 7, 9}));
    EXPECT_EQ(v.region[2], region.width);
    const GridMap row = browser->targetedMap(1, arm, 1);
    EXPECT_NEAR(row.values[100], run.array(1, "targeted_rows")[arm][1][100].item<float>(), 1e-6);
    EXPECT_NEAR(browser->targetedMap(1, arm, 1, 9).values[100],
                run.array(1, "targeted_dependency")[arm][1][9][100].item<float>(), 1e-6);
    EXPECT_THROW(browser->targeted(1, 23), RunFormatError);
    const OcclusionReport r = occlusionReport(run);
    ASSERT_EQ(r.parts.size(), 6u);
    EXPECT_EQ(r.parts[2].name, "left_arm");
    for (const PartEffect& e : r.parts) {
        EXPECT_TRUE(std::isfinite(e.hiddenDisplacement)) << e.name;
        EXPECT_GE(e.hiddenShareBefore.back(), 0) << e.name;
        EXPECT_LE(e.hiddenShareBefore.back(), 1 + 1e-5) << e.name;
    }
}

TEST(OcclusionRun, TheBrowserGivesTheMapsAsPlainArrays) {
    const std::string path = test::sharedOcclusionRun();
    const auto browser = RunBrowser::open(path);
    const RunReader run = RunReader::open(path);
    ASSERT_TRUE(browser->hasOcclusion());
    ASSERT_TRUE(browser->hasTargeted());
    const GridMap map = browser->sensitivityMap(2, 9, SensitivityMeasure::Displacement);
    ASSERT_EQ(map.rows, 256);
    ASSERT_EQ(map.cols, 192);
    const torch::Tensor direct = sensitivityOnCrop(storedSensitivity(run, 2), 9, SensitivityMeasure::Displacement);
    EXPECT_NEAR(map.values[100 * 192 + 50], direct[100][50].item<double>(), 1e-4);
    EXPECT_NEAR(map.maxValue(), direct.max().item<double>(), 1e-4);
    const RunSample s = run.sample(2);
    const TargetedView t = browser->targeted(2, 9);
    EXPECT_EQ(t.region[0], s.targetedRegion[36]);
    EXPECT_EQ(t.region[3], s.targetedRegion[39]);
    const auto& m = s.cropTransform;
    const float* after = &s.targetedKeypoints[(9 * 17 + 10) * 3];
    EXPECT_NEAR(t.after[10][0], m[0] * after[0] + m[1] * after[1] + m[2], 1e-3);  // crop pixels
    ASSERT_EQ(t.shareAfter.size(), static_cast<size_t>(run.header().layers * 17));
    EXPECT_FLOAT_EQ(t.shareAfter[17 + 4], s.targetedShareAfter[(9 * 2 + 1) * 17 + 4]);
    const GridMap row = browser->targetedMap(2, 9, 1);
    EXPECT_EQ(row.rows, 32);
    EXPECT_NEAR(row.values[77], run.array(2, "targeted_rows")[9][1][77].item<float>(), 1e-6);
    EXPECT_THROW(browser->targetedMap(2, 23, 0), RunFormatError);
    ASSERT_TRUE(browser->hasTargetedAllRows());  // another keypoint's map with keypoint 9's region hidden
    const GridMap other = browser->targetedMap(2, 9, 1, 10);
    EXPECT_NEAR(other.values[77], run.array(2, "targeted_dependency")[9][1][10][77].item<float>(), 1e-6);
    EXPECT_EQ(browser->targetedMap(2, 9, 1, 9).values, row.values);
    EXPECT_EQ(browser->occlusionReport().samples, 6);
    const auto plain = RunBrowser::open(test::sharedRun());
    EXPECT_FALSE(plain->hasOcclusion());
    EXPECT_THROW(plain->targeted(0, 0), RunFormatError);
    EXPECT_THROW(plain->sensitivityMap(0, 0, SensitivityMeasure::ScoreDrop), RunFormatError);
}
