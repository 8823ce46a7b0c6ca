// The person instances a run or a dataset view covers (see selection.h).
#include "selection.h"

#include "posescope/datasets/coco.h"
#include "posescope/datasets/error.h"
#include "posescope/datasets/image.h"
#include "posescope/datasets/image_folder.h"
#include "posescope/datasets/mpii.h"
#include "posescope/datasets/skeleton.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>

namespace posescope::analysis::detail {

bool looksLikeMpii(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw FileError(path, "cannot open");
    char c = 0;
    while (in.get(c))
        if (!std::isspace(static_cast<unsigned char>(c))) break;
    return c == '[';
}

Selection selectSamples(const SelectionRequest& o) {
    const cv::Size inputSize = o.inputSize;
    Selection sel;
    const double aspect = inputSize.width * 1.0 / inputSize.height;
    const std::set<int64_t> ids(o.imageIds.begin(), o.imageIds.end());
    if (o.dataset.empty()) {
        // Your own images, by name: image id i is the i-th (from 1); every box of the boxes file,
        // else the whole image (decoded here for its size; an unreadable one is left to the
        // recorder, which reports it as the sample's issue).
        const ImageFolder folder = ImageFolder::open(o.images, o.boxes);
        sel.kind = "images";
        for (size_t i = 0; i < folder.items().size(); ++i) {
            const FolderImage& item = folder.items()[i];
            const auto imageId = static_cast<int64_t>(i) + 1;
            if (!ids.empty() && !ids.count(imageId)) continue;
            std::vector<Box> boxes = item.boxes;
            int width = 0, height = 0;
            if (boxes.empty() && !o.pathsOnly) {
                try {
                    const cv::Mat rgb = loadImageRgb(item.path);
                    width = rgb.cols;
                    height = rgb.rows;
                    boxes = ImageFolder::boxesFor(item, rgb.size());
                } catch (const Error&) {
                    boxes = {Box{0, 0, 1, 1}};
                }
            }
            if (boxes.empty()) boxes = {Box{}};
            for (const Box& box : boxes) {
                Planned p;
                p.imageId = imageId;
                p.imagePath = item.path;
                p.imageWidth = width;
                p.imageHeight = height;
                p.box = box;
                p.cs = boxToCenterScale(box, aspect, 1.25);
                sel.samples.push_back(std::move(p));
            }
        }
    } else if (looksLikeMpii(o.dataset)) {
        if (!o.boxes.empty()) throw FileError(o.boxes, "detected boxes are for COCO datasets, not MPII");
        const MpiiDataset mpii = MpiiDataset::load(o.dataset, o.images);
        if (mpii.samples().empty())
            throw FileError(o.dataset,
                            "an empty list: no persons (a COCO file is an object with images, annotations "
                            "and categories; an MPII file a list of persons)");
        sel.kind = "mpii";
        sel.keypoints = kMpiiJoints;
        sel.keypointNames = mpiiSkeleton().keypoints;
        sel.skeleton = mpiiSkeleton().limbs;
        for (size_t i = 0; i < mpii.samples().size(); ++i) {
            const MpiiSample& s = mpii.samples()[i];
            if (!ids.empty() && !ids.count(static_cast<int64_t>(i))) continue;
            Planned p;
            p.imageId = p.annotationId = static_cast<int64_t>(i);
            p.imagePath = mpii.imagePath(s);
            p.cs = mpiiCenterScale(s);
            p.box = Box{p.cs.cx - p.cs.sw * 100.0, p.cs.cy - p.cs.sh * 100.0, p.cs.sw * 200.0, p.cs.sh * 200.0};
            if (s.hasJoints)
                for (double v : mpiiJoints(s))
                    p.groundTruth.push_back(static_cast<float>(v));
            sel.samples.push_back(std::move(p));
        }
    } else {
        const CocoDataset coco = CocoDataset::load(o.dataset, o.images);
        sel.kind = "coco";
        sel.keypoints = static_cast<int>(coco.keypointNames().size());
        sel.keypointNames = coco.keypointNames();
        sel.skeleton = cocoSkeleton().limbs;
        const std::vector<PersonInstance> persons =
            o.boxes.empty() ? coco.personInstances() : detectedPersons(coco, loadDetections(o.boxes), o.boxes);
        for (const PersonInstance& person : persons) {
            if (!ids.empty() && !ids.count(person.imageId)) continue;
            Planned p;
            p.imageId = person.imageId;
            p.annotationId = person.annotationId;
            const ImageInfo& image = *coco.image(person.imageId);
            p.imagePath = coco.imagePath(image);
            p.imageWidth = image.width;
            p.imageHeight = image.height;
            p.box = person.box;
            p.score = static_cast<float>(person.score);
            p.cs = boxToCenterScale(person.box, aspect, 1.25);
            if (person.annotation) {
                for (double v : person.annotation->keypoints)
                    p.groundTruth.push_back(static_cast<float>(v));
                p.area = person.annotation->area;
                p.occludedBy = person.annotation->occludedBy;
                for (int64_t id : p.occludedBy)
                    if (id >= 0 && id != person.annotationId)
                        if (const ObjectMask* m = coco.occluderMask(id);
                            m && std::none_of(p.occluderMasks.begin(), p.occluderMasks.end(),
                                              [id](const ObjectMask& q) { return q.id == id; }))
                            p.occluderMasks.push_back(*m);
            }
            sel.samples.push_back(std::move(p));
        }
    }
    sel.description = ids.empty() ? "all" : "image ids";
    if (!ids.empty())
        for (int64_t id : o.imageIds)
            sel.description += " " + std::to_string(id);
    if (o.subset >= 0 && static_cast<size_t>(o.subset) < sel.samples.size()) {
        sel.samples.resize(static_cast<size_t>(o.subset));
        sel.description = "first " + std::to_string(o.subset) + (ids.empty() ? "" : " of " + sel.description);
    }
    for (size_t i = 0; i < sel.samples.size(); ++i)
        sel.samples[i].index = static_cast<int64_t>(i);
    return sel;
}

}  // namespace posescope::analysis::detail
