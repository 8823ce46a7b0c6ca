// Loading images as the official pipelines do: 8-bit, 3 channels, RGB order, EXIF orientation
// ignored (cv2.imread with IMREAD_COLOR | IMREAD_IGNORE_ORIENTATION, then BGR→RGB).
//
// Usage:
//   cv::Mat rgb = posescope::loadImageRgb("images/val2017/000000000785.jpg");
//
// Errors: FileError naming the path: "cannot open: No such file or directory" for a missing
// file, "truncated JPEG (…)" for a JPEG cut short (libjpeg would decode its lower part grey),
// "not a readable image (corrupt or unsupported format)" for anything OpenCV cannot decode.
// A failing image is an error for that sample only; callers keep going with the rest.
// Thread-safety: safe to call concurrently.
#pragma once

#include <opencv2/core.hpp>

#include <string>

namespace posescope {

cv::Mat loadImageRgb(const std::string& path);

}  // namespace posescope
