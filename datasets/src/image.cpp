#include "posescope/datasets/image.h"

#include "posescope/datasets/error.h"

#include <sys/stat.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cerrno>
#include <cstring>

namespace posescope {

cv::Mat loadImageRgb(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw FileError(path, std::string("cannot open: ") + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) throw FileError(path, "cannot open: not a regular file");
    cv::Mat bgr;
    try {
        bgr = cv::imread(path, cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION);
    } catch (const cv::Exception& e) {
        throw FileError(path, std::string("not a readable image (") + e.err + ")");
    }
    if (bgr.empty()) throw FileError(path, "not a readable image (corrupt or unsupported format)");
    cv::Mat rgb;
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    return rgb;
}

}  // namespace posescope
