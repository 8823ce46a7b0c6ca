// The COCO keypoints reader: fields, indexes, the official person selection, results files,
// and one clear error with the JSON path for each kind of malformed input; object masks as
// COCO's uncompressed RLE (object_mask.h) and SynthPose's "occluder_masks".
#include "posescope/datasets/coco.h"
#include "posescope/datasets/error.h"
#include "posescope/datasets/object_mask.h"
#include "posescope/datasets/skeleton.h"
#include "test_paths.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <vector>

using namespace posescope;

namespace {

std::string keypoints(double x, double y, int v, int count = 17) {
    std::ostringstream s;
    s << "[";
    // Unlabelled keypoints are written as 0, 0, 0 as COCO does.
    for (int i = 0; i < count; ++i)
        s << (i ? ", " : "") << (v ? x + i : 0) << ", " << (v ? y + i : 0) << ", " << v;
    s << "]";
    return s.str();
}

std::string category() {
    std::ostringstream s;
    s << R"({"id": 1, "name": "person", "supercategory": "person", "keypoints": [)";
    for (int i = 0; i < 17; ++i)
        s << (i ? ", " : "") << '"' << cocoSkeleton().keypoints[static_cast<size_t>(i)] << '"';
    s << R"(], "skeleton": [[16, 14], [14, 12], [17, 15]]})";
    return s.str();
}

// Two images; annotations: a normal person, a crowd region, a person without keypoints,
// a box reaching outside the image, a zero-area person, and a non-person object.
std::string sampleJson() {
    std::ostringstream s;
    s << R"({"info": {"description": "test"}, "images": [)"
      << R"({"id": 7, "file_name": "a.jpg", "width": 640, "height": 480},)"
      << R"({"id": 9, "file_name": "b.jpg", "width": 100, "height": 80}],)"
      << R"("categories": [)" << category() << R"(, {"id": 3, "name": "car"}],)"
      << R"("annotations": [)"
      << R"({"id": 1, "image_id": 7, "category_id": 1, "keypoints": )" << keypoints(10, 20, 2)
      << R"(, "num_keypoints": 17, "bbox": [100, 50, 60, 120], "area": 5000.5, "iscrowd": 0},)"
      << R"({"id": 2, "image_id": 7, "category_id": 1, "keypoints": )" << keypoints(0, 0, 0)
      << R"(, "num_keypoints": 0, "bbox": [0, 0, 300, 200], "area": 40000, "iscrowd": 1},)"
      << R"({"id": 3, "image_id": 7, "category_id": 1, "keypoints": )" << keypoints(0, 0, 0)
      << R"(, "num_keypoints": 0, "bbox": [5, 5, 10, 10], "area": 80, "iscrowd": 0},)"
      << R"({"id": 4, "image_id": 9, "category_id": 1, "keypoints": )" << keypoints(50, 40, 1)
      << R"(, "num_keypoints": 17, "bbox": [-10.5, 30, 200, 100], "area": 900, "iscrowd": false},)"
      << R"({"id": 5, "image_id": 9, "category_id": 1, "keypoints": )" << keypoints(50, 40, 2)
      << R"(, "num_keypoints": 17, "bbox": [1, 1, 5, 5], "area": 0, "iscrowd": 0},)"
      << R"({"id": 6, "image_id": 9, "category_id": 3, "bbox": [1, 1, 5, 5], "area": 25, "iscrowd": 0}]})";
    return s.str();
}

std::string errorOf(const std::string& json) {
    try {
        CocoDataset::parse(json, "ann.json");
    } catch (const FileError& e) {
        EXPECT_EQ(e.file(), "ann.json");
        return e.what();
    }
    ADD_FAILURE() << "no error";
    return "";
}

std::string replaceOnce(std::string s, const std::string& from, const std::string& to) {
    const size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
}

// sampleJson() with a top-level "occluder_masks": [masks] (images 7: 640×480, 9: 100×80).
std::string withMasks(const std::string& masks) {
    std::string json = sampleJson();
    json.pop_back();  // the closing '}'
    return json + R"(, "occluder_masks": [)" + masks + "]}";
}

// Image 9 (100×80 = 8000 pixels): id 1500 covers 20 pixels; image 7 (640×480): id 2, empty.
const char* kTwoMasks = R"({"id": 1500, "image_id": 9, "segmentation": {"size": [80, 100], "counts": [10, 20, 7970]}},)"
                        R"({"id": 2, "image_id": 7, "segmentation": {"counts": [307200], "size": [480, 640]}})";

// The RLE as pycocotools computes it, pixel by pixel (column-major, first run of 0s).
std::vector<uint32_t> referenceCounts(const cv::Mat& mask) {
    std::vector<uint32_t> counts;
    bool inside = false;
    uint32_t run = 0;
    for (int x = 0; x < mask.cols; ++x)
        for (int y = 0; y < mask.rows; ++y) {
            if ((mask.at<uchar>(y, x) != 0) != inside) counts.push_back(run), run = 0, inside = !inside;
            ++run;
        }
    counts.push_back(run);
    return counts;
}

std::string writeText(const std::string& name, const std::string& text) {
    const std::string path = test::outputPath(name);
    std::ofstream(path) << text;
    return path;
}

}  // namespace

TEST(CocoDataset, ReadsEveryField) {
    const CocoDataset coco = CocoDataset::parse(sampleJson(), "ann.json", "/data/images");
    ASSERT_EQ(coco.images().size(), 2u);
    ASSERT_EQ(coco.annotations().size(), 6u);
    ASSERT_EQ(coco.categories().size(), 2u);
    EXPECT_EQ(coco.keypointNames(), cocoSkeleton().keypoints);
    EXPECT_EQ(coco.categories()[0].skeleton[0], std::make_pair(16, 14));
    const PersonAnnotation& a = *coco.annotation(1);
    EXPECT_EQ(a.imageId, 7);
    EXPECT_EQ(a.keypoints.size(), 51u);
    EXPECT_EQ(a.keypoints[3], 11);  // x of keypoint 1
    EXPECT_EQ(a.keypoints[5], 2);
    EXPECT_EQ(a.numKeypoints, 17);
    EXPECT_DOUBLE_EQ(a.area, 5000.5);
    EXPECT_EQ(a.bbox.w, 60);
    EXPECT_FALSE(a.iscrowd);
    EXPECT_TRUE(coco.annotation(2)->iscrowd);
    EXPECT_FALSE(coco.annotation(4)->iscrowd);  // "iscrowd": false is accepted too
    EXPECT_TRUE(coco.annotation(6)->keypoints.empty());
    EXPECT_EQ(coco.annotation(42), nullptr);
    EXPECT_EQ(coco.image(9)->width, 100);
    EXPECT_EQ(coco.image(8), nullptr);
    EXPECT_EQ(coco.imagePath(*coco.image(7)), "/data/images/a.jpg");
    ImageInfo absolute;
    absolute.fileName = "/elsewhere/c.jpg";  // an absolute file_name is used as it is
    EXPECT_EQ(coco.imagePath(absolute), "/elsewhere/c.jpg");
    EXPECT_EQ(coco.annotationsOf(7).size(), 3u);
    EXPECT_EQ(coco.annotationsOf(9).size(), 3u);
}

TEST(CocoDataset, SelectsPersonsAsTheOfficialPipeline) {
    const CocoDataset coco = CocoDataset::parse(sampleJson(), "ann.json");
    // 1: kept. 2: crowd. 3: no keypoints. 4: kept, box clipped. 5: area 0. 6: not a person.
    const auto& persons = coco.personInstances();
    ASSERT_EQ(persons.size(), 2u);
    EXPECT_EQ(persons[0].annotationId, 1);
    EXPECT_EQ(persons[0].box.x, 100);
    EXPECT_EQ(persons[0].box.w, 60);  // x2 = 100 + 59 = 159; w = x2 − x1 + 1
    EXPECT_EQ(persons[1].annotationId, 4);
    // x1 = max(0, −10.5) = 0; x2 = min(99, 0 + 199) = 99 → w = 100; y2 = min(79, 30 + 99) = 79 → h = 50.
    EXPECT_EQ(persons[1].box.x, 0);
    EXPECT_EQ(persons[1].box.w, 100);
    EXPECT_EQ(persons[1].box.y, 30);
    EXPECT_EQ(persons[1].box.h, 50);
    EXPECT_EQ(persons[1].annotation, coco.annotation(4));
}

TEST(CocoDataset, OccludedByExtensionIsRead) {
    std::string json = sampleJson();
    json = replaceOnce(json, R"("area": 5000.5,)",
                       R"("area": 5000.5, "occluded_by": [-1,-1,-1,-1,-1,1001,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,4],)");
    const CocoDataset coco = CocoDataset::parse(json, "ann.json");
    ASSERT_EQ(coco.annotation(1)->occludedBy.size(), 17u);
    EXPECT_EQ(coco.annotation(1)->occludedBy[5], 1001);
    EXPECT_EQ(coco.annotation(1)->occludedBy[16], 4);
    EXPECT_TRUE(coco.annotation(4)->occludedBy.empty());
}

TEST(CocoDataset, MalformedInputNamesTheJsonPath) {
    const std::string good = sampleJson();
    EXPECT_EQ(errorOf(good.substr(0, good.size() / 2)).rfind("ann.json: malformed JSON: ", 0), 0u);
    EXPECT_EQ(errorOf(replaceOnce(good, keypoints(50, 40, 1), keypoints(50, 40, 1, 16))),
              "ann.json: annotations[3].keypoints: expected 51 numbers, got 48");
    EXPECT_EQ(errorOf(replaceOnce(good, R"({"id": 7,)", R"({"id": "7",)")),
              "ann.json: images[0].id: expected an integer, got a string");
    EXPECT_EQ(errorOf(replaceOnce(good, R"({"id": 7,)", R"({"id": 18446744073709551615,)")),
              "ann.json: images[0].id: expected an integer, got a whole number too large for one (64 bits)");
    EXPECT_EQ(errorOf(replaceOnce(good, R"("supercategory": "person", "keypoints": [)",
                                  R"("supercategory": "person", "kp": [)")),
              "ann.json: categories[0].keypoints: missing (the skeleton names keypoints)");
    EXPECT_EQ(errorOf(replaceOnce(good, R"("bbox": [100, 50, 60, 120], )", "")),
              "ann.json: annotations[0].bbox: missing");
    EXPECT_EQ(errorOf(replaceOnce(good, "[100, 50, 60, 120]", "[100, 50, -60, 120]")),
              "ann.json: annotations[0].bbox: negative width or height");
    EXPECT_EQ(errorOf(replaceOnce(good, "[100, 50, 60, 120]", "[100, 50, 0, 120]")),
              "ann.json: annotations[0].bbox: empty box for a person with labelled keypoints");
    EXPECT_EQ(errorOf(replaceOnce(good, "[100, 50, 60, 120]", "[100, 50, 60]")),
              "ann.json: annotations[0].bbox: expected 4 numbers, got 3");
    EXPECT_EQ(errorOf(replaceOnce(good, R"("image_id": 9, "category_id": 3)", R"("image_id": 99, "category_id": 3)")),
              "ann.json: annotations[5].image_id: unknown image id 99");
    EXPECT_EQ(errorOf(replaceOnce(good, R"({"id": 9,)", R"({"id": 7,)")),
              "ann.json: images[1].id: duplicate image id 7");
    EXPECT_EQ(errorOf(replaceOnce(good, R"({"id": 5,)", R"({"id": 4,)")),
              "ann.json: annotations[4].id: duplicate annotation id 4");
    EXPECT_EQ(errorOf(replaceOnce(good, R"("category_id": 3)", R"("category_id": 12)")),
              "ann.json: annotations[5].category_id: unknown category id 12");
    EXPECT_EQ(errorOf(replaceOnce(good, R"("area": 900)", R"("area": "big")")),
              "ann.json: annotations[3].area: expected a number, got a string");
    EXPECT_EQ(errorOf(replaceOnce(good, keypoints(10, 20, 2), keypoints(10, 20, 7))),
              "ann.json: annotations[0].keypoints: keypoint 0 has visibility 7.000000 (expected 0, 1 or 2)");
    EXPECT_EQ(errorOf(replaceOnce(good, R"("images": [)", R"("imagez": [)")), "ann.json: images: missing");
    EXPECT_EQ(errorOf("[1, 2]"), "ann.json: (top level): expected an object, got an array");
    EXPECT_EQ(errorOf(replaceOnce(good, R"([[16, 14], [14, 12])", R"([[16, 14], [14, 18])")),
              "ann.json: categories[0].skeleton[1]: expected two keypoint numbers between 1 and 17");
}

TEST(CocoDataset, MissingFileIsAClearError) {
    try {
        CocoDataset::load(test::outputPath("nope.json"));
        FAIL();
    } catch (const FileError& e) {
        EXPECT_NE(std::string(e.what()).find("nope.json: cannot read"), std::string::npos) << e.what();
    }
}

TEST(CocoDataset, AByteOrderMarkBeforeTheJsonIsIgnored) {
    const std::string path = writeText("bom.json", "\xEF\xBB\xBF" + sampleJson());
    const CocoDataset coco = CocoDataset::load(path);
    EXPECT_EQ(coco.image(9)->width, 100);
    EXPECT_EQ(coco.personInstances().size(), CocoDataset::parse(sampleJson(), "ann.json").personInstances().size());
}

TEST(CocoResults, DetectionsAndKeypointResults) {
    const std::string dets =
        writeText("dets.json", R"([{"image_id": 7, "category_id": 1, "bbox": [1.5, 2, 30, 40], "score": 0.9},
        {"image_id": 9, "bbox": [0, 0, 10, 10], "score": 0.25}])");
    const auto d = loadDetections(dets);
    ASSERT_EQ(d.size(), 2u);
    EXPECT_EQ(d[0].imageId, 7);
    EXPECT_EQ(d[0].bbox.x, 1.5);
    EXPECT_EQ(d[1].categoryId, 1);
    EXPECT_EQ(d[1].score, 0.25);

    std::vector<PosePrediction> preds(2);
    preds[0] = {7, 1, std::vector<double>(51, 0.125), 0.75};
    preds[1] = {9, 1, std::vector<double>(51, 1.0 / 3.0), 1e-7};
    const std::string path = test::outputPath("results.json");
    saveKeypointResults(path, preds);
    const auto back = loadKeypointResults(path);
    ASSERT_EQ(back.size(), 2u);
    EXPECT_EQ(back[1].keypoints, preds[1].keypoints);  // %.17g round-trips exactly
    EXPECT_EQ(back[1].score, 1e-7);

    const std::string bad = writeText("bad_results.json", R"([{"image_id": 7, "keypoints": [1, 2, 3], "score": 1}])");
    try {
        loadKeypointResults(bad);
        FAIL();
    } catch (const FileError& e) {
        EXPECT_EQ(std::string(e.what()), bad + ": [0].keypoints: expected 51 numbers, got 3");
    }
}

TEST(CocoResults, DetectedPersonsAsTheOfficialPipeline) {
    const CocoDataset coco = CocoDataset::parse(sampleJson(), "ann.json");
    const std::vector<Detection> dets = {{7, 1, {-5, 1, 30, 40}, 0.9},
                                         {9, 3, {0, 0, 10, 10}, 0.8},
                                         {9, 1, {0, 0, 10, 10}, 0.0},
                                         {9, 1, {3, 3, 0, 10}, 0.9},
                                         {9, 1, {3, 3, 10, 0}, 0.9}};
    const auto persons = detectedPersons(coco, dets, "dets.json");
    ASSERT_EQ(persons.size(), 2u);    // the car and the empty boxes are dropped; score 0 passes IMAGE_THRE = 0
    EXPECT_EQ(persons[0].box.x, -5);  // not clipped
    EXPECT_EQ(persons[0].score, 0.9);
    EXPECT_EQ(persons[0].annotation, nullptr);
    EXPECT_EQ(detectedPersons(coco, dets, "dets.json", 0.5).size(), 1u);
    try {
        detectedPersons(coco, {{42, 1, {0, 0, 1, 1}, 1}}, "dets.json");
        FAIL();
    } catch (const FileError& e) {
        EXPECT_EQ(std::string(e.what()), "dets.json: [0].image_id: image 42 is not in ann.json");
    }
}

TEST(ObjectMask, TinyMasksHaveTheHandComputedCounts) {
    // 3 wide, 2 high. Column-major: x = 0: (1, 1), x = 1: (0, 1), x = 2: (0, 0) → 1 1 0 1 0 0.
    const cv::Mat startsInside = (cv::Mat_<uchar>(2, 3) << 1, 0, 0, 255, 7, 0);
    const ObjectMask a = encodeMask(startsInside, 1500, 4);
    EXPECT_EQ(a.id, 1500);
    EXPECT_EQ(a.imageId, 4);
    EXPECT_EQ(a.width, 3);
    EXPECT_EQ(a.height, 2);
    EXPECT_EQ(a.counts, (std::vector<uint32_t>{0, 2, 1, 1, 2}));  // an empty first run of 0s
    const cv::Mat back = decodeMask(a);
    ASSERT_EQ(back.type(), CV_8UC1);
    ASSERT_EQ(back.size(), cv::Size(3, 2));
    EXPECT_EQ(cv::countNonZero(back != (cv::Mat_<uchar>(2, 3) << 255, 0, 0, 255, 255, 0)), 0);

    // Column-major: 0 0 | 1 0 | 1 1.
    const cv::Mat startsOutside = (cv::Mat_<uchar>(2, 3) << 0, 1, 1, 0, 0, 1);
    EXPECT_EQ(encodeMask(startsOutside, 1, 1).counts, (std::vector<uint32_t>{2, 1, 1, 2}));
    EXPECT_EQ(encodeMask(cv::Mat::zeros(2, 3, CV_8U), 1, 1).counts, std::vector<uint32_t>{6});
    EXPECT_EQ(encodeMask(cv::Mat(2, 3, CV_8U, cv::Scalar(1)), 1, 1).counts, (std::vector<uint32_t>{0, 6}));
}

TEST(ObjectMask, RoundTripsAnyMaskIncludingEmptyOnes) {
    cv::RNG rng(17);
    for (const cv::Size size : {cv::Size(37, 23), cv::Size(1, 9), cv::Size(9, 1), cv::Size(64, 48)}) {
        cv::Mat noise(size, CV_8U), blocks = cv::Mat::zeros(size, CV_8U);
        rng.fill(noise, cv::RNG::UNIFORM, 0, 4);  // values 0…3: about a quarter outside
        blocks(cv::Rect(0, 0, size.width / 2 + 1, size.height / 2 + 1)).setTo(9);
        for (const cv::Mat& mask : {noise, blocks, cv::Mat(cv::Mat::zeros(size, CV_8U))}) {
            const ObjectMask m = encodeMask(mask, 3, 2);
            EXPECT_EQ(m.counts, referenceCounts(mask));
            const cv::Mat back = decodeMask(m);
            ASSERT_EQ(back.size(), size);
            EXPECT_EQ(cv::countNonZero(back != (mask != 0)), 0) << size;
        }
    }
    const cv::Mat view = cv::Mat(cv::Mat::zeros(10, 10, CV_8U))(cv::Rect(2, 3, 5, 4));  // not continuous
    EXPECT_EQ(encodeMask(view, 1, 1).counts, std::vector<uint32_t>{20});
    const ObjectMask none = encodeMask(cv::Mat(), 1, 1);
    EXPECT_EQ(none.counts, std::vector<uint32_t>{0});
    EXPECT_TRUE(decodeMask(none).empty());
    EXPECT_THROW(encodeMask(cv::Mat::zeros(2, 2, CV_8UC3), 1, 1), Error);
    EXPECT_THROW(encodeMask(cv::Mat::zeros(2, 2, CV_32F), 1, 1), Error);
}

TEST(ObjectMask, DecodeRejectsCountsThatDoNotCoverTheImage) {
    ObjectMask m;
    m.id = 1500;
    m.width = 3;
    m.height = 2;
    m.counts = {0, 2, 1, 1, 1};  // 5 of 6 pixels
    try {
        decodeMask(m);
        FAIL() << "expected Error";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()), "decodeMask: the counts of object 1500 sum to 5, expected width·height = 6");
    }
    m.counts = {7};
    EXPECT_THROW(decodeMask(m), Error);
    m.counts = {};
    EXPECT_THROW(decodeMask(m), Error);
    m.counts = {0, 4294967295u, 4294967295u};  // no overflow of the sum
    EXPECT_THROW(decodeMask(m), Error);
    m.width = -3;
    m.counts = {6};
    EXPECT_THROW(decodeMask(m), Error);
}

TEST(CocoDataset, OccluderMasksAreRead) {
    const CocoDataset coco = CocoDataset::parse(withMasks(kTwoMasks), "ann.json");
    ASSERT_EQ(coco.occluderMasks().size(), 2u);
    const ObjectMask* m = coco.occluderMask(1500);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m, &coco.occluderMasks()[0]);
    EXPECT_EQ(m->imageId, 9);
    EXPECT_EQ(m->width, 100);
    EXPECT_EQ(m->height, 80);
    EXPECT_EQ(m->counts, (std::vector<uint32_t>{10, 20, 7970}));
    const cv::Mat pixels = decodeMask(*m);
    EXPECT_EQ(cv::countNonZero(pixels), 20);
    EXPECT_EQ(pixels.at<uchar>(10, 0), 255);  // column 0, rows 10…29
    EXPECT_EQ(pixels.at<uchar>(29, 0), 255);
    EXPECT_EQ(pixels.at<uchar>(30, 0), 0);
    ASSERT_NE(coco.occluderMask(2), nullptr);
    EXPECT_EQ(coco.occluderMask(2)->width, 640);  // "size" may come after "counts"
    EXPECT_EQ(coco.occluderMask(1501), nullptr);

    const CocoDataset plain = CocoDataset::parse(sampleJson(), "ann.json");
    EXPECT_TRUE(plain.occluderMasks().empty());
    EXPECT_EQ(plain.occluderMask(1500), nullptr);
    EXPECT_TRUE(CocoDataset::parse(withMasks(""), "ann.json").occluderMasks().empty());
}

TEST(CocoDataset, MalformedOccluderMasksNameTheJsonPath) {
    const std::string good = withMasks(kTwoMasks);
    EXPECT_EQ(errorOf(replaceOnce(good, "[10, 20, 7970]", "[10, 20, 7969]")),
              "ann.json: occluder_masks[0].segmentation.counts: the runs sum to 7999, expected height·width = 8000");
    EXPECT_EQ(errorOf(replaceOnce(good, "[10, 20, 7970]", "[10, -20, 7990]")),
              "ann.json: occluder_masks[0].segmentation.counts: run 1 is -20 (expected 0…4294967295)");
    EXPECT_EQ(errorOf(replaceOnce(good, "[10, 20, 7970]", "[10, 4294967296, 7970]")),
              "ann.json: occluder_masks[0].segmentation.counts: run 1 is 4294967296 (expected 0…4294967295)");
    EXPECT_EQ(errorOf(replaceOnce(good, "[10, 20, 7970]", "[10, 20.5, 7969.5]")),
              "ann.json: occluder_masks[0].segmentation.counts: expected an integer, got a number");
    EXPECT_EQ(errorOf(replaceOnce(good, "[10, 20, 7970]", R"("PQ0a1")")),
              "ann.json: occluder_masks[0].segmentation.counts: expected an array of run lengths (compressed RLE "
              "is not read), got a string");
    EXPECT_EQ(errorOf(replaceOnce(good, "[80, 100]", "[0, 100]")),
              "ann.json: occluder_masks[0].segmentation.size: height and width must be positive, got [0, 100]");
    EXPECT_EQ(errorOf(replaceOnce(good, "[80, 100]", "[8000]")),
              "ann.json: occluder_masks[0].segmentation.size: expected 2 numbers [height, width], got 1");
    EXPECT_EQ(
        errorOf(replaceOnce(good, "[80, 100], \"counts\": [10, 20, 7970]", "[100, 80], \"counts\": [10, 20, 7970]")),
        "ann.json: occluder_masks[0].segmentation.size: [100, 80] is not the size [height, width] of image 9, "
        "[80, 100]");
    EXPECT_EQ(errorOf(replaceOnce(good, R"("size": [80, 100], )", "")),
              "ann.json: occluder_masks[0].segmentation.size: missing");
    EXPECT_EQ(errorOf(replaceOnce(good, R"({"id": 2, "image_id": 7, "seg)", R"({"id": 2, "image_id": 8, "seg)")),
              "ann.json: occluder_masks[1].image_id: unknown image id 8");
    EXPECT_EQ(errorOf(replaceOnce(good, R"({"id": 2, "image_id": 7, "seg)", R"({"id": 1500, "image_id": 7, "seg)")),
              "ann.json: occluder_masks[1].id: duplicate occluder mask id 1500");
    EXPECT_EQ(errorOf(replaceOnce(good, R"({"id": 2, "image_id": 7, "seg)", R"({"image_id": 7, "seg)")),
              "ann.json: occluder_masks[1].id: missing");
    EXPECT_EQ(errorOf(replaceOnce(good, R"("segmentation": {"counts": [307200], "size": [480, 640]})",
                                  R"("segmentation": [[1, 2, 3, 4, 5, 6]])")),
              "ann.json: occluder_masks[1].segmentation: expected an object, got an array");
    EXPECT_EQ(errorOf(replaceOnce(good, R"("segmentation": {"counts": [307200], "size": [480, 640]})", R"("x": 1)")),
              "ann.json: occluder_masks[1].segmentation: missing");
    EXPECT_EQ(errorOf(replaceOnce(sampleJson(), R"("info":)", R"("occluder_masks": {}, "info":)")),
              "ann.json: occluder_masks: expected an array, got an object");
}
