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

TEST(ImageFolder, CsvAsSpreadsheetsWriteIt) {
    const std::string dir = makeFolder("5");
    cv::imwrite(dir + "/file1.png", cv::Mat(20, 30, CV_8UC3, cv::Scalar::all(1)));
    cv::imwrite(dir + "/my, photo.png", cv::Mat(20, 30, CV_8UC3, cv::Scalar::all(2)));
    // No header: a first row whose file name starts with "file" is a box, not a header.
    std::ofstream(dir + "/rows.csv") << "file1.png,1,2,10,12\nb.png,3,4,5,6\n";
    const ImageFolder rows = ImageFolder::open(dir, dir + "/rows.csv");
    ASSERT_EQ(rows.items().size(), 4u);  // a.JPG, b.png, file1.png, my, photo.png
    EXPECT_EQ(rows.items()[2].name, "file1.png");
    ASSERT_EQ(rows.items()[2].boxes.size(), 1u);
    EXPECT_EQ(rows.items()[2].boxes[0].h, 12);
    // A byte order mark, a header of other words, quoted fields with commas and quotes, upper-case .CSV.
    std::ofstream(dir + "/EXCEL.CSV") << "\xEF\xBB\xBF\"image\",\"left\",\"top\",\"width\",\"height\"\r\n"
                                      << "\"my, photo.png\",\"1\",2,3,4\r\nfile1.png, 5 ,6,7,8\r\n";
    const ImageFolder excel = ImageFolder::open(dir, dir + "/EXCEL.CSV");
    ASSERT_EQ(excel.items()[3].boxes.size(), 1u);
    EXPECT_EQ(excel.items()[3].boxes[0].x, 1);
    EXPECT_EQ(excel.items()[3].boxes[0].h, 4);
    ASSERT_EQ(excel.items()[2].boxes.size(), 1u);
    EXPECT_EQ(excel.items()[2].boxes[0].x, 5);
    std::ofstream(dir + "/open.csv") << "\"b.png,1,2,3,4\n";
    EXPECT_EQ(errorOf(dir, dir + "/open.csv"), dir + "/open.csv: line 1: a quoted field is not closed");
    // Only the first row may be a header.
    std::ofstream(dir + "/late.csv") << "b.png,1,2,3,4\nfile,x,y,w,h\n";
    EXPECT_EQ(errorOf(dir, dir + "/late.csv"), dir + "/late.csv: line 2: x, y, w, h must be numbers");
}

TEST(ImageFolder, DanglingLinksAndMacResourceForksAreLeftOutWhereverTheyAre) {
    const std::string dir = makeFolder("6");
    std::filesystem::create_symlink(dir + "/nowhere.jpg", dir + "/0_dangling.jpg");
    std::filesystem::create_symlink(dir + "/nowhere.jpg", dir + "/z_dangling.jpg");
    std::filesystem::create_symlink(dir + "/b.png", dir + "/link.png");
    std::ofstream(dir + "/._b.png") << "AppleDouble";
    const ImageFolder f = ImageFolder::open(dir);
    std::vector<std::string> names;
    for (const FolderImage& i : f.items())
        names.push_back(i.name);
    EXPECT_EQ(names, (std::vector<std::string>{"a.JPG", "b.png", "link.png"}));
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
