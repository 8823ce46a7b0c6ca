#include "posescope/datasets/image.h"

#include "posescope/datasets/error.h"

#include <sys/stat.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace posescope {

namespace {

// A JPEG cut short (an interrupted copy or download) decodes with its lower part grey and only a
// warning from libjpeg on stderr. It is refused instead: after the first start-of-scan marker
// there must be an end-of-image marker (FF D9). Data appended after the image (phones' motion
// photos) is fine; anything that is no JPEG is left to the decoder.
bool truncatedJpeg(const std::vector<uchar>& b) {
    if (b.size() < 4 || b[0] != 0xFF || b[1] != 0xD8) return false;
    size_t i = 2;
    while (i + 4 <= b.size()) {
        if (b[i] != 0xFF) return false;  // not a marker: the decoder judges
        const uchar m = b[i + 1];
        if (m == 0xFF) {  // fill byte
            ++i;
            continue;
        }
        if (m == 0xDA) {  // start of scan: its end of image must follow
            for (size_t j = i + 2; j + 1 < b.size(); ++j)
                if (b[j] == 0xFF && b[j + 1] == 0xD9) return false;
            return true;
        }
        if (m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) {  // markers without a length
            i += 2;
            continue;
        }
        i += 2 + ((static_cast<size_t>(b[i + 2]) << 8) | b[i + 3]);
    }
    return true;  // ends inside its headers
}

}  // namespace

cv::Mat loadImageRgb(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw FileError(path, std::string("cannot open: ") + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) throw FileError(path, "cannot open: not a regular file");
    std::vector<uchar> bytes;
    {
        std::ifstream in(path, std::ios::binary);
        if (!in) throw FileError(path, std::string("cannot open: ") + std::strerror(errno));
        bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        if (in.bad()) throw FileError(path, "read failed");
    }
    if (bytes.empty()) throw FileError(path, "empty file, not an image");
    if (truncatedJpeg(bytes)) throw FileError(path, "truncated JPEG (its end is missing: the file was cut short)");
    cv::Mat bgr;
    try {
        bgr = cv::imdecode(bytes, cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION);
    } catch (const cv::Exception& e) {
        throw FileError(path, std::string("not a readable image (") + e.err + ")");
    }
    if (bgr.empty()) throw FileError(path, "not a readable image (corrupt or unsupported format)");
    cv::Mat rgb;
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    return rgb;
}

cv::Mat loadImageRgb(const std::string& path, int expectedWidth, int expectedHeight) {
    cv::Mat rgb = loadImageRgb(path);
    const std::string problem = imageSizeProblem(rgb, expectedWidth, expectedHeight);
    if (!problem.empty()) throw FileError(path, problem);
    return rgb;
}

std::string imageSizeProblem(const cv::Mat& image, int expectedWidth, int expectedHeight) {
    if (expectedWidth <= 0 || expectedHeight <= 0 || (image.cols == expectedWidth && image.rows == expectedHeight))
        return "";
    std::string out = "is " + std::to_string(image.cols) + "×" + std::to_string(image.rows) +
                      " pixels, the annotation file says " + std::to_string(expectedWidth) + "×" +
                      std::to_string(expectedHeight) + " (its boxes and keypoints would be cropped in the wrong place)";
    if (image.cols == expectedHeight && image.rows == expectedWidth)
        out +=
            "; width and height are swapped: the file probably has an EXIF orientation tag, which PoseScope "
            "ignores as the official pipelines do — save the image rotated as the annotations see it";
    return out;
}

}  // namespace posescope
