// The run store: every array round-trips, resume continues after the last row, merge joins shards,
// and bad files or shapes fail with the file named.
#include "posescope/analysis/h5_file.h"
#include "posescope/analysis/run_merge.h"
#include "posescope/analysis/run_store.h"
#include "run_files.h"
#include "test_paths.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

using namespace posescope;
using namespace posescope::analysis;

namespace {

RunHeader smallHeader(RunLevel level, int heads = 2) {
    RunHeader h = test::threeKeypointRunHeader(2, heads, 10);
    h.config = "{\"MODEL.N_HEAD\": \"2\"}";
    h.level = level;
    return h;
}

// Values exactly representable in float16, so round trips compare with equality.
torch::Tensor halfExact(std::vector<int64_t> shape, int seed) {
    torch::manual_seed(seed);
    return (torch::randint(0, 1024, shape).to(torch::kFloat32) / 1024.0f);
}

RunSample makeSample(const RunHeader& h, int64_t index) {
    const int K = h.keypoints(), L = h.layers, H = h.heads, T = h.tokens();
    RunSample s;
    s.index = index;
    s.imageId = 100 + index;
    s.annotationId = 1000 + index;
    s.box = {1.f * index, 2, 3, 4};
    s.boxScore = 0.5f;
    s.center = {5, 6};
    s.scale = {0.25f, 0.5f};
    s.cropTransform = {1, 0, 2, 0, 1, 3};
    for (int i = 0; i < 3 * K; ++i) {
        s.groundTruth.push_back(static_cast<float>(i + index));
        s.keypoints.push_back(static_cast<float>(2 * i + index));
    }
    for (int i = 0; i < 3 * K * L; ++i)
        s.layerKeypoints.push_back(static_cast<float>(i) / 8);
    for (int k = 0; k < K; ++k)
        s.queryTokens.push_back((k + static_cast<int>(index)) % T);
    s.dependency = halfExact({L, K, T}, static_cast<int>(index));
    if (H > 1) s.dependencyHeads = halfExact({L, H, K, T}, static_cast<int>(index) + 50);
    s.cropJpeg = std::string(static_cast<size_t>(10 + index), static_cast<char>('A' + index));
    if (h.level != RunLevel::Keypoints) s.heatmaps = halfExact({K, h.heatmapHeight, h.heatmapWidth}, 7);
    if (h.level == RunLevel::Full) s.attention = halfExact({L, H, T, T}, static_cast<int>(index) + 90);
    return s;
}

std::string freshPath(const std::string& name) {
    const std::string p = test::outputPath(name);
    std::filesystem::remove(p);
    return p;
}

void expectSameSample(const RunReader& r, int64_t row, const RunSample& want) {
    const RunSample got = r.sample(row);
    EXPECT_EQ(got.index, want.index);
    EXPECT_EQ(got.imageId, want.imageId);
    EXPECT_EQ(got.annotationId, want.annotationId);
    EXPECT_EQ(got.box, want.box);
    EXPECT_EQ(got.boxScore, want.boxScore);
    EXPECT_EQ(got.center, want.center);
    EXPECT_EQ(got.scale, want.scale);
    EXPECT_EQ(got.cropTransform, want.cropTransform);
    EXPECT_EQ(got.groundTruth, want.groundTruth);
    EXPECT_EQ(got.keypoints, want.keypoints);
    EXPECT_EQ(got.layerKeypoints, want.layerKeypoints);
    EXPECT_EQ(got.queryTokens, want.queryTokens);
    EXPECT_TRUE(torch::equal(r.dependency(row), want.dependency));
    if (want.dependencyHeads.defined()) {
        EXPECT_TRUE(torch::equal(r.dependencyHeads(row), want.dependencyHeads));
    }
    EXPECT_EQ(r.cropJpeg(row), want.cropJpeg);
    if (want.heatmaps.defined()) {
        EXPECT_TRUE(torch::equal(r.heatmaps(row), want.heatmaps));
    }
}

}  // namespace

TEST(RunStore, RoundTripsEveryArrayAtLevelFull) {
    const std::string path = freshPath("store_full.h5");
    const RunHeader h = smallHeader(RunLevel::Full);
    std::vector<RunSample> samples;
    for (int i = 0; i < 5; ++i)
        samples.push_back(makeSample(h, i));
    {
        RunWriter w = RunWriter::create(path, h);
        w.append({samples[0], samples[1], samples[2]});
        w.flush();
        w.append({samples[3], samples[4]});
        EXPECT_EQ(w.size(), 5);
        EXPECT_EQ(w.lastIndex(), 4);
        w.finish(2);
    }
    const RunReader r = RunReader::open(path);
    ASSERT_EQ(r.size(), 5);
    const RunHeader& got = r.header();
    EXPECT_TRUE(got.complete);
    EXPECT_FALSE(got.finished.empty());
    EXPECT_EQ(got.skippedSamples, 2);
    EXPECT_EQ(got.keypointNames, h.keypointNames);
    EXPECT_EQ(got.skeleton, h.skeleton);
    EXPECT_EQ(got.flipPairs, h.flipPairs);
    EXPECT_EQ(got.config, h.config);
    EXPECT_EQ(got.checkpointSha256, h.checkpointSha256);
    EXPECT_EQ(got.gridRows, 2);
    EXPECT_EQ(got.gridCols, 3);
    EXPECT_EQ(got.level, RunLevel::Full);
    for (int i = 0; i < 5; ++i)
        expectSameSample(r, i, samples[static_cast<size_t>(i)]);
    // Random access by layer, keypoint and head.
    const torch::Tensor& dep = samples[3].dependency;
    EXPECT_TRUE(torch::equal(r.dependencyMap(3, 1, 2), dep[1][2].reshape({2, 3})));
    EXPECT_TRUE(torch::equal(r.dependencyMap(3, 0, 1, 1), samples[3].dependencyHeads[0][1][1].reshape({2, 3})));
    EXPECT_TRUE(torch::equal(r.attention(4, 1, 0), samples[4].attention[1][0]));
    EXPECT_EQ(r.indices(), (std::vector<int64_t>{0, 1, 2, 3, 4}));
    EXPECT_THROW(r.sample(5), RunFormatError);
    EXPECT_THROW(r.dependencyMap(0, 2, 0), RunFormatError);
}

TEST(RunStore, KeypointLevelHasNoHeatmapsOrAttention) {
    const std::string path = freshPath("store_keypoints.h5");
    const RunHeader h = smallHeader(RunLevel::Keypoints, 1);
    {
        RunWriter w = RunWriter::create(path, h);
        w.append({makeSample(h, 0)});
        w.finish();
    }
    const RunReader r = RunReader::open(path);
    EXPECT_EQ(r.size(), 1);
    // One head: the per-head rows are the averaged ones.
    EXPECT_TRUE(torch::equal(r.dependencyHeads(0).squeeze(1), r.dependency(0)));
    try {
        r.heatmaps(0);
        FAIL();
    } catch (const RunFormatError& e) {
        EXPECT_NE(std::string(e.what()).find("no /samples/heatmaps (level keypoints"), std::string::npos) << e.what();
    }
    EXPECT_THROW(r.attention(0, 0, 0), RunFormatError);
}

TEST(RunStore, RefusesToOverwriteARun) {
    const std::string path = freshPath("store_exists.h5");
    RunWriter::create(path, smallHeader(RunLevel::Keypoints)).finish();
    try {
        RunWriter::create(path, smallHeader(RunLevel::Keypoints));
        FAIL();
    } catch (const H5Error& e) {
        EXPECT_NE(std::string(e.what()).find("already exists; pass --resume"), std::string::npos);
    }
    EXPECT_EQ(RunReader::open(path).size(), 0);
}

TEST(RunStore, ResumeContinuesAfterTheLastRow) {
    const std::string path = freshPath("store_resume.h5");
    const RunHeader h = smallHeader(RunLevel::Heatmaps);
    {
        RunWriter w = RunWriter::create(path, h);
        w.append({makeSample(h, 0), makeSample(h, 1)});
        w.close();  // cancelled: not complete
    }
    EXPECT_FALSE(RunReader::open(path).header().complete);
    RunHeader stored;
    {
        RunWriter w = RunWriter::resume(path, stored);
        EXPECT_EQ(stored.level, RunLevel::Heatmaps);
        EXPECT_EQ(w.size(), 2);
        EXPECT_EQ(w.lastIndex(), 1);
        w.append({makeSample(h, 2)});
        w.finish();
    }
    const RunReader r = RunReader::open(path);
    ASSERT_EQ(r.size(), 3);
    EXPECT_TRUE(r.header().complete);
    for (int i = 0; i < 3; ++i)
        expectSameSample(r, i, makeSample(h, i));
}

TEST(RunStore, AppendChecksShapesAgainstTheHeader) {
    const std::string path = freshPath("store_shapes.h5");
    const RunHeader h = smallHeader(RunLevel::Keypoints);
    RunWriter w = RunWriter::create(path, h);
    RunSample s = makeSample(h, 0);
    s.dependency = torch::zeros({2, 3, 7});
    try {
        w.append({s});
        FAIL();
    } catch (const RunFormatError& e) {
        EXPECT_NE(std::string(e.what()).find("store_shapes.h5: dependency: expected shape [2, 3, 6], got [2, 3, 7]"),
                  std::string::npos)
            << e.what();
    }
    s = makeSample(h, 0);
    s.keypoints.pop_back();
    EXPECT_THROW(w.append({s}), RunFormatError);
}

TEST(RunStore, OtherFilesFailWithTheFileNamed) {
    const std::string plain = freshPath("store_plain.h5");
    {
        H5File f = H5File::create(plain);
        f.writeTensor("/x", torch::zeros({2}));
        f.close();
    }
    try {
        RunReader::open(plain);
        FAIL();
    } catch (const RunFormatError& e) {
        EXPECT_NE(std::string(e.what()).find("store_plain.h5: not a PoseScope run"), std::string::npos) << e.what();
    }
    const std::string text = freshPath("store_text.h5");
    std::ofstream(text) << "not hdf5";
    try {
        RunReader::open(text);
        FAIL();
    } catch (const H5Error& e) {  // no HDF5 signature: said plainly
        EXPECT_EQ(std::string(e.what()),
                  text + ": not an HDF5 file (no HDF5 signature: another format, or only its end was kept)");
    }
    // The signature, then nothing HDF5 can read: HDF5's error stack comes along, innermost call first.
    const std::string damaged = freshPath("store_damaged.h5");
    {
        std::ofstream out(damaged, std::ios::binary);
        out.write("\x89HDF\r\n\x1a\n", 8);
        out << std::string(2000, '\0');
    }
    try {
        RunReader::open(damaged);
        FAIL();
    } catch (const H5Error& e) {
        EXPECT_NE(std::string(e.what()).find("store_damaged.h5: cannot open as HDF5 (H5F"), std::string::npos)
            << e.what();
        EXPECT_NE(std::string(e.what()).find("can't decode file superblock"), std::string::npos) << e.what();
    }
    EXPECT_THROW(RunReader::open(test::outputPath("nope/none.h5")), H5Error);
}

TEST(RunMerge, JoinsShardsInSampleOrder) {
    RunHeader h = smallHeader(RunLevel::Full);
    h.totalSamples = 6;
    std::vector<std::string> shards;
    for (int i = 0; i < 3; ++i) {
        RunHeader s = h;
        s.shardIndex = i;
        s.shardCount = 3;
        s.firstIndex = 2 * i;
        s.plannedSamples = 2;
        shards.push_back(freshPath("shard" + std::to_string(i) + ".h5"));
        RunWriter w = RunWriter::create(shards.back(), s);
        w.append({makeSample(h, 2 * i), makeSample(h, 2 * i + 1)});
        w.finish();
    }
    const std::string out = freshPath("merged.h5");
    const MergeResult m = mergeRuns({shards[2], shards[0], shards[1]}, out);
    EXPECT_EQ(m.samples, 6);
    EXPECT_TRUE(m.complete);
    const RunReader r = RunReader::open(out);
    EXPECT_EQ(r.header().shardCount, 1);
    EXPECT_TRUE(r.header().complete);
    ASSERT_EQ(r.size(), 6);
    for (int i = 0; i < 6; ++i) {
        expectSameSample(r, i, makeSample(h, i));
        for (int l = 0; l < h.layers; ++l)
            EXPECT_TRUE(torch::equal(r.attention(i, l, 1), makeSample(h, i).attention[l][1]));
    }
    // A shard twice overlaps.
    EXPECT_THROW(mergeRuns({shards[0], shards[0]}, freshPath("merged_twice.h5")), RunFormatError);
}

TEST(RunMerge, RefusesShardsOfDifferentRuns) {
    RunHeader a = smallHeader(RunLevel::Keypoints), b = a;
    b.flip = true;
    b.shardIndex = 1;
    b.shardCount = 2;
    a.shardCount = 2;
    const std::string pa = freshPath("diff_a.h5"), pb = freshPath("diff_b.h5");
    RunWriter::create(pa, a).finish();
    RunWriter::create(pb, b).finish();
    try {
        mergeRuns({pa, pb}, freshPath("diff_out.h5"));
        FAIL();
    } catch (const RunFormatError& e) {
        EXPECT_NE(std::string(e.what()).find("diff_b.h5: is not a shard of the same run"), std::string::npos)
            << e.what();
        EXPECT_NE(std::string(e.what()).find("flip differs"), std::string::npos) << e.what();
    }
}

TEST(RunHeader, RunsOfDifferentModelsOverTheSameSamplesCompareRowByRow) {
    RunHeader a;
    a.datasetSha256 = "d1";
    a.selection = "first 20";
    a.keypointNames.assign(17, "k");
    a.modelFamily = "BTranspose";
    a.checkpointSha256 = "c1";
    RunHeader b = a;
    b.modelFamily = "TransPose-R";  // another model, same samples
    b.checkpointSha256 = "c2";
    b.layers = 6;
    EXPECT_FALSE(sampleDifference(a, b).has_value());
    EXPECT_TRUE(identityDifference(a, b).has_value());
    b.selection = "first 30";
    ASSERT_TRUE(sampleDifference(a, b).has_value());
    EXPECT_EQ(sampleDifference(a, b)->attribute, "selection");
    b = a;
    b.datasetSha256 = "d2";
    EXPECT_EQ(sampleDifference(a, b)->attribute, "dataset_sha256");
    b = a;
    b.firstIndex = 10;  // another shard
    EXPECT_EQ(sampleDifference(a, b)->attribute, "first_index");
}

TEST(RunHeader, LayersMapByRelativeDepth) {
    EXPECT_EQ(layerAtSameDepth(2, 4, 4), 2);
    EXPECT_EQ(layerAtSameDepth(0, 4, 12), 1);   // the middle of the first quarter
    EXPECT_EQ(layerAtSameDepth(3, 4, 12), 10);  // of the last quarter
    EXPECT_EQ(layerAtSameDepth(11, 12, 4), 3);
    EXPECT_EQ(layerAtSameDepth(5, 12, 4), 1);
    EXPECT_EQ(layerAtSameDepth(0, 1, 6), 3);
    EXPECT_EQ(layerAtSameDepth(-1, 4, 6), -1);
    for (int l = 0; l < 6; ++l)
        EXPECT_EQ(layerAtSameDepth(l, 6, 6), l);
}
