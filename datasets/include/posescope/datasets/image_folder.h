// Your own images: a folder of pictures, with person boxes from a CSV or JSON file, or the
// whole image as the box.
//
// Usage:
//   auto folder = posescope::ImageFolder::open("photos/", "photos/boxes.csv");
//   for (const auto& item : folder.items()) {
//       cv::Mat rgb = posescope::loadImageRgb(item.path);
//       for (const posescope::Box& b : folder.boxesFor(item, rgb.size())) …
//   }
//
// Images: *.jpg, *.jpeg, *.png, *.bmp, *.tif, *.tiff, *.webp (any case) directly in the folder
// (not in subfolders; dangling links and macOS "._*" files are left out), sorted by name (byte
// order). Boxes file (optional; .csv in any case is CSV, anything else JSON):
//   CSV  — one box per line: file,x,y,w,h; a first line whose x, y, w, h are not numbers is a
//          header and skipped; fields may be double-quoted; a UTF-8 byte order mark is ignored;
//   JSON — {"file.jpg": [[x, y, w, h], …], …} or [{"file": "file.jpg", "bbox": [x, y, w, h]}, …].
// Images without boxes use the whole image.
// Errors: FileError naming the folder or boxes file and the problem (line number or JSON path).
// Thread-safety: an opened ImageFolder is immutable.
#pragma once

#include "posescope/datasets/annotations.h"

#include <opencv2/core.hpp>

#include <string>
#include <vector>

namespace posescope {

struct FolderImage {
    std::string name;        // file name inside the folder
    std::string path;        // folder/name
    std::vector<Box> boxes;  // empty: the whole image
};

class ImageFolder {
public:
    static ImageFolder open(const std::string& folder, const std::string& boxesFile = "");
    const std::vector<FolderImage>& items() const { return m_items; }
    /// The item's boxes, or the whole image ([0, 0, width, height]) when it has none.
    static std::vector<Box> boxesFor(const FolderImage& item, cv::Size imageSize);

private:
    std::vector<FolderImage> m_items;
};

}  // namespace posescope
