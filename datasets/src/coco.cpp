#include "posescope/datasets/coco.h"

#include "json.h"
#include "posescope/datasets/error.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace posescope {
namespace {

using json::JsonValue;

std::vector<CocoCategory> readCategories(const JsonValue& root) {
    std::vector<CocoCategory> out;
    for (const JsonValue& c : root.field("categories").array()) {
        CocoCategory cat;
        cat.id = c.field("id").integer();
        cat.name = c.field("name").string();
        JsonValue v = c;
        if (c.optional("supercategory", &v)) cat.supercategory = v.string();
        if (c.optional("keypoints", &v))
            for (const JsonValue& k : v.array())
                cat.keypoints.push_back(k.string());
        if (c.optional("skeleton", &v)) {
            for (const JsonValue& limb : v.array()) {
                const std::vector<double> pair = limb.numbers(2);
                const int a = static_cast<int>(pair[0]);
                const int b = static_cast<int>(pair[1]);
                const int k = static_cast<int>(cat.keypoints.size());
                if (a < 1 || b < 1 || a > k || b > k || a != pair[0] || b != pair[1])
                    limb.fail("expected two keypoint numbers between 1 and " + std::to_string(k));
                cat.skeleton.emplace_back(a, b);
            }
        }
        for (const CocoCategory& other : out)
            if (other.id == cat.id) c.field("id").fail("duplicate category id " + std::to_string(cat.id));
        out.push_back(std::move(cat));
    }
    return out;
}

}  // namespace

struct CocoBuilder {
    static CocoDataset build(const json::JsonDocument& doc, const std::string& imageDir);
};

CocoDataset CocoDataset::load(const std::string& annotationFile, const std::string& imageDir) {
    return CocoBuilder::build(json::JsonDocument(annotationFile), imageDir);
}

CocoDataset CocoDataset::parse(const std::string& jsonText, const std::string& name, const std::string& imageDir) {
    return CocoBuilder::build(json::JsonDocument(jsonText, name), imageDir);
}

CocoDataset CocoBuilder::build(const json::JsonDocument& doc, const std::string& imageDir) {
    CocoDataset d;
    d.m_file = doc.path();
    d.m_imageDir = imageDir;
    const JsonValue root = doc.root();

    d.m_categories = readCategories(root);
    const auto person = std::find_if(d.m_categories.begin(), d.m_categories.end(),
                                     [](const CocoCategory& c) { return c.name == "person"; });
    if (person == d.m_categories.end() && d.m_categories.size() != 1)
        root.field("categories").fail("no 'person' category");
    d.m_personCategory = person == d.m_categories.end() ? 0 : static_cast<size_t>(person - d.m_categories.begin());
    const CocoCategory& personCat = d.m_categories[d.m_personCategory];
    if (personCat.keypoints.empty())
        root.field("categories")
            .fail("the '" + personCat.name + "' category has no keypoint names (not a keypoints file)");
    const long k = static_cast<long>(personCat.keypoints.size());

    const std::vector<JsonValue> images = root.field("images").array();
    d.m_images.reserve(images.size());
    for (const JsonValue& im : images) {
        ImageInfo info;
        info.id = im.field("id").integer();
        info.fileName = im.field("file_name").string();
        info.width = static_cast<int>(im.field("width").integer());
        info.height = static_cast<int>(im.field("height").integer());
        if (info.width <= 0 || info.height <= 0) im.field("width").fail("image size must be positive");
        if (!d.m_imageIndex.emplace(info.id, d.m_images.size()).second)
            im.field("id").fail("duplicate image id " + std::to_string(info.id));
        d.m_images.push_back(std::move(info));
    }

    const std::vector<JsonValue> annotations = root.field("annotations").array();
    d.m_annotations.reserve(annotations.size());
    for (const JsonValue& an : annotations) {
        PersonAnnotation a;
        a.id = an.field("id").integer();
        a.imageId = an.field("image_id").integer();
        if (!d.m_imageIndex.count(a.imageId))
            an.field("image_id").fail("unknown image id " + std::to_string(a.imageId));
        a.categoryId = an.field("category_id").integer();
        const bool isPerson = a.categoryId == personCat.id;
        if (!isPerson && std::none_of(d.m_categories.begin(), d.m_categories.end(),
                                      [&](const CocoCategory& c) { return c.id == a.categoryId; }))
            an.field("category_id").fail("unknown category id " + std::to_string(a.categoryId));
        JsonValue v = an;
        if (isPerson || an.optional("keypoints", &v)) {
            const JsonValue kp = an.field("keypoints");
            a.keypoints = kp.numbers(3 * k);
            for (long i = 0; i < k; ++i) {
                const double vis = a.keypoints[static_cast<size_t>(3 * i + 2)];
                if (vis != 0 && vis != 1 && vis != 2)
                    kp.fail("keypoint " + std::to_string(i) + " has visibility " + std::to_string(vis) +
                            " (expected 0, 1 or 2)");
            }
        }
        a.numKeypoints = an.optional("num_keypoints", &v) ? static_cast<int>(v.integer()) : a.labelledKeypoints();
        const JsonValue bbox = an.field("bbox");
        const std::vector<double> b = bbox.numbers(4);
        a.bbox = {b[0], b[1], b[2], b[3]};
        if (b[2] < 0 || b[3] < 0) bbox.fail("negative width or height");
        if ((b[2] == 0 || b[3] == 0) && a.labelledKeypoints() > 0)
            bbox.fail("empty box for a person with labelled keypoints");
        a.area = an.field("area").number();
        if (a.area < 0) an.field("area").fail("negative area");
        a.iscrowd = an.optional("iscrowd", &v) && v.boolean();
        if (an.optional("occluded_by", &v)) {
            const std::vector<double> ids = v.numbers(k);
            a.occludedBy.assign(ids.begin(), ids.end());
        }
        if (!d.m_annotationIndex.emplace(a.id, d.m_annotations.size()).second)
            an.field("id").fail("duplicate annotation id " + std::to_string(a.id));
        d.m_annotations.push_back(std::move(a));
    }
    d.index();
    return d;
}

void CocoDataset::index() {
    m_annotationsByImage.assign(m_images.size(), {});
    for (size_t i = 0; i < m_annotations.size(); ++i)
        m_annotationsByImage[m_imageIndex.at(m_annotations[i].imageId)].push_back(i);

    // The official selection (TransPose lib/dataset/coco.py, _load_coco_keypoint_annotation_kernal).
    const int64_t person = m_categories[m_personCategory].id;
    for (size_t im = 0; im < m_images.size(); ++im) {
        const double width = m_images[im].width;
        const double height = m_images[im].height;
        for (size_t i : m_annotationsByImage[im]) {
            const PersonAnnotation& a = m_annotations[i];
            if (a.iscrowd) continue;
            const double x1 = std::max(0.0, a.bbox.x);
            const double y1 = std::max(0.0, a.bbox.y);
            const double x2 = std::min(width - 1, x1 + std::max(0.0, a.bbox.w - 1));
            const double y2 = std::min(height - 1, y1 + std::max(0.0, a.bbox.h - 1));
            if (!(a.area > 0 && x2 >= x1 && y2 >= y1)) continue;
            if (a.categoryId != person) continue;
            if (a.keypoints.empty() || *std::max_element(a.keypoints.begin(), a.keypoints.end()) == 0) continue;
            m_persons.push_back({a.id, a.imageId, Box{x1, y1, x2 - x1 + 1, y2 - y1 + 1}, &a});
        }
    }
}

const ImageInfo* CocoDataset::image(int64_t id) const {
    auto it = m_imageIndex.find(id);
    return it == m_imageIndex.end() ? nullptr : &m_images[it->second];
}

const PersonAnnotation* CocoDataset::annotation(int64_t id) const {
    auto it = m_annotationIndex.find(id);
    return it == m_annotationIndex.end() ? nullptr : &m_annotations[it->second];
}

std::vector<const PersonAnnotation*> CocoDataset::annotationsOf(int64_t imageId) const {
    std::vector<const PersonAnnotation*> out;
    auto it = m_imageIndex.find(imageId);
    if (it == m_imageIndex.end()) return out;
    for (size_t i : m_annotationsByImage[it->second])
        out.push_back(&m_annotations[i]);
    return out;
}

std::string CocoDataset::imagePath(const ImageInfo& image) const {
    if (m_imageDir.empty()) return image.fileName;
    return m_imageDir.back() == '/' ? m_imageDir + image.fileName : m_imageDir + "/" + image.fileName;
}

const std::vector<std::string>& CocoDataset::keypointNames() const {
    return m_categories[m_personCategory].keypoints;
}

std::vector<Detection> loadDetections(const std::string& path) {
    const json::JsonDocument doc(path);
    std::vector<Detection> out;
    for (const JsonValue& d : doc.root().array()) {
        Detection det;
        det.imageId = d.field("image_id").integer();
        JsonValue v = d;
        det.categoryId = d.optional("category_id", &v) ? v.integer() : 1;
        const JsonValue bbox = d.field("bbox");
        const std::vector<double> b = bbox.numbers(4);
        if (b[2] < 0 || b[3] < 0) bbox.fail("negative width or height");
        det.bbox = {b[0], b[1], b[2], b[3]};
        det.score = d.field("score").number();
        out.push_back(det);
    }
    return out;
}

std::vector<PosePrediction> loadKeypointResults(const std::string& path, int keypointCount) {
    const json::JsonDocument doc(path);
    std::vector<PosePrediction> out;
    for (const JsonValue& r : doc.root().array()) {
        PosePrediction p;
        p.imageId = r.field("image_id").integer();
        JsonValue v = r;
        p.categoryId = r.optional("category_id", &v) ? v.integer() : 1;
        p.keypoints = r.field("keypoints").numbers(3L * keypointCount);
        p.score = r.field("score").number();
        out.push_back(std::move(p));
    }
    return out;
}

void saveKeypointResults(const std::string& path, const std::vector<PosePrediction>& predictions) {
    const std::string tmp = path + ".partial";
    std::FILE* f = std::fopen(tmp.c_str(), "w");
    if (!f) throw FileError(path, std::string("cannot open for writing: ") + std::strerror(errno));
    bool ok = std::fputs("[", f) >= 0;
    for (size_t i = 0; i < predictions.size() && ok; ++i) {
        const PosePrediction& p = predictions[i];
        ok = std::fprintf(f, "%s\n{\"image_id\": %lld, \"category_id\": %lld, \"keypoints\": [", i ? "," : "",
                          static_cast<long long>(p.imageId), static_cast<long long>(p.categoryId)) > 0;
        for (size_t j = 0; j < p.keypoints.size() && ok; ++j)
            ok = std::fprintf(f, "%s%.17g", j ? ", " : "", p.keypoints[j]) > 0;
        ok = ok && std::fprintf(f, "], \"score\": %.17g}", p.score) > 0;
    }
    ok = ok && std::fputs("\n]\n", f) >= 0;
    const int err = errno;
    ok = (std::fclose(f) == 0) && ok;
    if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        throw FileError(path, std::string("write failed: ") + std::strerror(err ? err : errno));
    }
}

}  // namespace posescope
