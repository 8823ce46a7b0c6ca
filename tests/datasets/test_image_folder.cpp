// Own images: folder listing, boxes from CSV and JSON, whole-image default, clear errors.
#include "posescope/datasets/error.h"
#include "posescope/datasets/image.h"
#include "posescope/datasets/image_folder.h"
#include "test_paths.h"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include <filesystem>
#include <fstream>

using namespace posescope;

namespace {
// One folder per test: CTest runs the tests of this file in parallel processes.
std::string makeFolder(const std::string& name) {
    const std::string dir = test::outputPath("photos_" + name);
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir + "/sub");
    const cv::Mat img(20, 30, CV_8UC3, cv::Scalar::all(128));
    for (const char* name : {"b.png", "a.JPG", "sub/c.png"})
        cv::imwrite(dir + "/" + name, img);
    std::ofstream(dir + "/notes.txt") << "not an image";
    return dir;
}

std::string errorOf(const std::string& folder, const std::string& boxes) {
    try {
        ImageFolder::open(folder, boxes);
    } catch (const FileError& e) {
        return e.what();
    }
    return "no error";
}
}  // namespace

TEST(ImageFolder, ListsImagesByNameWithWholeImageBoxes) {
    const std::string dir = makeFolder("1");
    const ImageFolder f = ImageFolder::open(dir);
    ASSERT_EQ(f.items().size(), 2u);
    EXPECT_EQ(f.items()[0].name, "a.JPG");
    EXPECT_EQ(f.items()[1].path, dir + "/b.png");
    const auto boxes = ImageFolder::boxesFor(f.items()[0], {30, 20});
    ASSERT_EQ(boxes.size(), 1u);
    EXPECT_EQ(boxes[0].w, 30);
    EXPECT_EQ(boxes[0].h, 20);
}

TEST(ImageFolder, BoxesFromCsvAndJson) {
    const std::string dir = makeFolder("2");
    std::ofstream(dir + "/boxes.csv") << "file,x,y,w,h\nb.png, 1, 2, 10, 12\nb.png,3,4,5,6\n";
    const ImageFolder csv = ImageFolder::open(dir, dir + "/boxes.csv");
    ASSERT_EQ(csv.items()[1].boxes.size(), 2u);
    EXPECT_EQ(csv.items()[1].boxes[1].x, 3);
    EXPECT_TRUE(csv.items()[0].boxes.empty());

    std::ofstream(dir + "/boxes.json") << R"({"a.JPG": [[0, 0, 5, 5]], "b.png": [[1, 1, 2, 2], [2, 2, 3, 3]]})";
    const ImageFolder map = ImageFolder::open(dir, dir + "/boxes.json");
    EXPECT_EQ(map.items()[0].boxes.size(), 1u);
    EXPECT_EQ(map.items()[1].boxes[1].w, 3);

    std::ofstream(dir + "/list.json") << R"([{"file": "a.JPG", "bbox": [1, 2, 3, 4]}])";
    EXPECT_EQ(ImageFolder::open(dir, dir + "/list.json").items()[0].boxes[0].h, 4);
}

TEST(ImageFolder, ErrorsNameTheFileAndPlace) {
    const std::string dir = makeFolder("3");
    EXPECT_EQ(errorOf(dir + "/missing", ""), dir + "/missing: not a folder (or it cannot be read)");
    std::ofstream(dir + "/bad.csv") << "b.png,1,2,3\n";
    EXPECT_EQ(errorOf(dir, dir + "/bad.csv"), dir + "/bad.csv: line 1: expected file,x,y,w,h");
    std::ofstream(dir + "/nan.csv") << "file,x,y,w,h\nb.png,1,2,wide,3\n";
    EXPECT_EQ(errorOf(dir, dir + "/nan.csv"), dir + "/nan.csv: line 2: x, y, w, h must be numbers");
    std::ofstream(dir + "/empty.csv") << "b.png,1,2,0,3\n";
    EXPECT_EQ(errorOf(dir, dir + "/empty.csv"), dir + "/empty.csv: line 1: box width and height must be positive");
    std::ofstream(dir + "/other.csv") << "zzz.png,1,2,3,4\n";
    EXPECT_EQ(errorOf(dir, dir + "/other.csv"), dir + "/other.csv: no image 'zzz.png' in " + dir);
    std::ofstream(dir + "/bad.json") << R"({"b.png": [[1, 2, 3]]})";
    EXPECT_EQ(errorOf(dir, dir + "/bad.json"), dir + "/bad.json: b.png[0]: expected 4 numbers, got 3");
}

TEST(ImageFolder, ABrokenImageFailsAloneAndTheRestStaysUsable) {
    const std::string dir = makeFolder("4");
    std::ofstream(dir + "/c_broken.jpg") << "truncated";
    const ImageFolder f = ImageFolder::open(dir);
    ASSERT_EQ(f.items().size(), 3u);
    int loaded = 0;
    std::vector<std::string> errors;
    for (const FolderImage& item : f.items()) {
        try {
            loadImageRgb(item.path);
            ++loaded;
        } catch (const FileError& e) {
            errors.push_back(e.what());
        }
    }
    EXPECT_EQ(loaded, 2);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0], dir + "/c_broken.jpg: not a readable image (corrupt or unsupported format)");
}
