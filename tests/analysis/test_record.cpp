// The recording engine through its C++ API: progress, cancel (resumable), per-sample issues.
#include "posescope/analysis/record.h"
#include "posescope/analysis/run_store.h"
#include "posescope/datasets/synthpose.h"
#include "synth_fixture.h"
#include "test_paths.h"

#include <gtest/gtest.h>

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
        return test::sharedSynthPose("record_val6_s9", s);
    }();
    RecordOptions o;
    o.config = models::ModelConfig::preset("transpose-r-a4");
    for (const char* s : {"MODEL.DIM_MODEL=64", "MODEL.N_HEAD=4", "MODEL.DIM_FEEDFORWARD=128", "MODEL.ENCODER_LAYERS=2",
                          "MODEL.EXTRA.NUM_DECONV_FILTERS=[64]"})
        o.config.set(s);
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
