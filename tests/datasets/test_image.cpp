// Image loading: RGB order, EXIF orientation ignored, clear errors for missing or corrupt files.
#include "posescope/datasets/error.h"
#include "posescope/datasets/image.h"
#include "test_paths.h"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include <fstream>
#include <vector>

using namespace posescope;

TEST(LoadImageRgb, ReturnsRgbOrder) {
    cv::Mat bgr(4, 6, CV_8UC3, cv::Scalar(10, 20, 30));  // B=10, G=20, R=30
    const std::string path = test::outputPath("bgr.png");
    ASSERT_TRUE(cv::imwrite(path, bgr));
    const cv::Mat rgb = loadImageRgb(path);
    ASSERT_EQ(rgb.type(), CV_8UC3);
    EXPECT_EQ(rgb.at<cv::Vec3b>(0, 0), cv::Vec3b(30, 20, 10));
}

TEST(LoadImageRgb, IgnoresExifOrientation) {
    // A 6×4 JPEG with an EXIF "rotate 90°" tag: the official pipelines read it unrotated.
    cv::Mat bgr(4, 6, CV_8UC3, cv::Scalar(0, 0, 255));
    std::vector<uchar> jpeg;
    ASSERT_TRUE(cv::imencode(".jpg", bgr, jpeg));
    const std::vector<uchar> exif = {0xFF, 0xE1, 0x00, 0x22, 'E',  'x',  'i',  'f',  0, 0,  // APP1, length 34
                                     'I',  'I',  0x2A, 0x00, 0x08, 0x00, 0x00, 0x00,        // TIFF header
                                     0x01, 0x00,                                            // one IFD entry
                                     0x12, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00,        // Orientation, SHORT, 1
                                     0x06, 0x00, 0x00, 0x00,                                // value 6
                                     0x00, 0x00, 0x00, 0x00};                               // no next IFD
    jpeg.insert(jpeg.begin() + 2, exif.begin(), exif.end());
    const std::string path = test::outputPath("rotated.jpg");
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(jpeg.data()), jpeg.size());
    ASSERT_EQ(cv::imread(path).size(), cv::Size(4, 6)) << "OpenCV's default applies the tag";
    EXPECT_EQ(loadImageRgb(path).size(), cv::Size(6, 4));
}

TEST(LoadImageRgb, AnImageOfAnotherSizeThanItsAnnotationFileSaysIsRefused) {
    const std::string path = test::outputPath("sized.png");
    ASSERT_TRUE(cv::imwrite(path, cv::Mat(4, 6, CV_8UC3, cv::Scalar::all(9))));
    EXPECT_EQ(loadImageRgb(path, 6, 4).size(), cv::Size(6, 4));
    EXPECT_EQ(loadImageRgb(path, 0, 0).size(), cv::Size(6, 4));  // no size given: not checked
    EXPECT_EQ(imageSizeProblem(loadImageRgb(path), 6, 4), "");
    try {
        loadImageRgb(path, 12, 8);
        FAIL();
    } catch (const FileError& e) {
        EXPECT_EQ(std::string(e.what()), path +
                                             ": is 6×4 pixels, the annotation file says 12×8 (its boxes and "
                                             "keypoints would be cropped in the wrong place)");
    }
    // Width and height swapped: most likely a photo with an EXIF orientation tag.
    try {
        loadImageRgb(path, 4, 6);
        FAIL();
    } catch (const FileError& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("is 6×4 pixels, the annotation file says 4×6"), std::string::npos) << m;
        EXPECT_NE(m.find("EXIF orientation"), std::string::npos) << m;
    }
}

TEST(LoadImageRgb, MissingAndCorruptFilesNameThePath) {
    const std::string missing = test::outputPath("missing.jpg");
    try {
        loadImageRgb(missing);
        FAIL();
    } catch (const FileError& e) {
        EXPECT_EQ(std::string(e.what()), missing + ": cannot open: No such file or directory");
    }
    const std::string corrupt = test::outputPath("corrupt.jpg");
    std::ofstream(corrupt) << "this is not a JPEG";
    try {
        loadImageRgb(corrupt);
        FAIL();
    } catch (const FileError& e) {
        EXPECT_EQ(std::string(e.what()), corrupt + ": not a readable image (corrupt or unsupported format)");
    }
    const std::string empty = test::outputPath("empty.jpg");
    std::ofstream{empty};
    try {
        loadImageRgb(empty);
        FAIL();
    } catch (const FileError& e) {
        EXPECT_EQ(std::string(e.what()), empty + ": empty file, not an image");  // not OpenCV's assertion text
    }
}

TEST(LoadImageRgb, RefusesAJpegCutShortButNotDataAfterTheImage) {
    cv::Mat bgr(64, 48, CV_8UC3);
    cv::randu(bgr, cv::Scalar::all(0), cv::Scalar::all(255));
    std::vector<uchar> jpeg;
    ASSERT_TRUE(cv::imencode(".jpg", bgr, jpeg));
    auto write = [](const std::string& path, const std::vector<uchar>& bytes, size_t n) {
        std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), n);
    };
    const std::string whole = test::outputPath("whole.jpg"), cut = test::outputPath("cut.jpg"),
                      headers = test::outputPath("cut_in_headers.jpg"), appended = test::outputPath("appended.jpg");
    write(whole, jpeg, jpeg.size());
    EXPECT_EQ(loadImageRgb(whole).size(), cv::Size(48, 64));
    write(cut, jpeg, jpeg.size() * 7 / 10);
    ASSERT_FALSE(cv::imread(cut).empty()) << "OpenCV decodes it (lower part grey)";
    for (const std::string& path : {cut, headers}) {
        if (path == headers) write(headers, jpeg, 100);
        try {
            loadImageRgb(path);
            FAIL() << path;
        } catch (const FileError& e) {
            EXPECT_EQ(std::string(e.what()), path + ": truncated JPEG (its end is missing: the file was cut short)");
        }
    }
    std::vector<uchar> more = jpeg;
    for (int i = 0; i < 1000; ++i)
        more.push_back(static_cast<uchar>(i * 7));
    write(appended, more, more.size());
    EXPECT_EQ(cv::norm(loadImageRgb(appended), loadImageRgb(whole), cv::NORM_INF), 0.0);
}
