// COCO keypoint annotation files written from structs, for tests that need an annotation file
// on disk (the reader and the evaluation use every field written).
#pragma once

#include "posescope/datasets/annotations.h"
#include "posescope/datasets/skeleton.h"

#include <sstream>
#include <string>
#include <vector>

namespace posescope::test {

// The COCO JSON of one annotation (every field the reader and the evaluation use).
inline std::string annotationJson(const PersonAnnotation& a) {
    std::ostringstream s;
    s.precision(17);
    s << "{\"id\": " << a.id << ", \"image_id\": " << a.imageId << ", \"category_id\": 1, \"keypoints\": [";
    for (size_t i = 0; i < a.keypoints.size(); ++i)
        s << (i ? ", " : "") << a.keypoints[i];
    s << "], \"num_keypoints\": " << a.numKeypoints << ", \"bbox\": [" << a.bbox.x << ", " << a.bbox.y << ", "
      << a.bbox.w << ", " << a.bbox.h << "], \"area\": " << a.area << ", \"iscrowd\": " << (a.iscrowd ? 1 : 0) << "}";
    return s.str();
}

inline std::string cocoJson(const std::vector<ImageInfo>& imgs, const std::vector<PersonAnnotation>& anns) {
    std::ostringstream s;
    s << "{\"images\": [";
    for (size_t i = 0; i < imgs.size(); ++i)
        s << (i ? ", " : "") << "{\"id\": " << imgs[i].id << ", \"file_name\": \"" << imgs[i].id
          << ".jpg\", \"width\": " << imgs[i].width << ", \"height\": " << imgs[i].height << "}";
    s << "], \"categories\": [{\"id\": 1, \"name\": \"person\", \"supercategory\": \"person\", \"keypoints\": [";
    const std::vector<std::string>& names = cocoSkeleton().keypoints;
    for (size_t i = 0; i < names.size(); ++i)
        s << (i ? ", " : "") << '"' << names[i] << '"';
    s << "], \"skeleton\": [[16, 14]]}], \"annotations\": [";
    for (size_t i = 0; i < anns.size(); ++i)
        s << (i ? ", " : "") << annotationJson(anns[i]);
    s << "]}";
    return s.str();
}

}  // namespace posescope::test
