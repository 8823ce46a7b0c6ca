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
// imageSizeProblem compares a loaded image with the size its annotation file gives: COCO
// keypoints are in that frame, so an image of another size (a replaced file, or a photo whose
// EXIF orientation tag turns it, which the pixels as stored do not show) would be cropped in the
// wrong place without any error.
// Thread-safety: safe to call concurrently.
#pragma once

#include <opencv2/core.hpp>

#include <string>

namespace posescope {

cv::Mat loadImageRgb(const std::string& path);

/// loadImageRgb, and a FileError (imageSizeProblem's) when the image is not the size its
/// annotation file gives (0: not given, not checked).
cv::Mat loadImageRgb(const std::string& path, int expectedWidth, int expectedHeight);

/// "" when `image` is expectedWidth × expectedHeight pixels or the annotation file gives no size
/// (0), else one line for a FileError on the image: "is 300×400 pixels, the annotation file says
/// 400×300 …" (with a note on EXIF orientation when width and height are swapped).
std::string imageSizeProblem(const cv::Mat& image, int expectedWidth, int expectedHeight);

}  // namespace posescope
