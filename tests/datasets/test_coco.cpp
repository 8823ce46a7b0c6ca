// The COCO keypoints reader: fields, indexes, the official person selection, results files,
// and one clear error with the JSON path for each kind of malformed input.
#include "posescope/datasets/coco.h"
#include "posescope/datasets/error.h"
#include "posescope/datasets/skeleton.h"
#include "test_paths.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

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
    const std::vector<Detection> dets = {
        {7, 1, {-5, 1, 30, 40}, 0.9}, {9, 3, {0, 0, 10, 10}, 0.8}, {9, 1, {0, 0, 10, 10}, 0.0}};
    const auto persons = detectedPersons(coco, dets, "dets.json");
    ASSERT_EQ(persons.size(), 2u);    // the car is dropped; score 0 passes IMAGE_THRE = 0
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
