#include "posescope/datasets/coco.h"

#include "posescope/datasets/error.h"
#include "posescope/datasets/json.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace posescope {
namespace {

using json::JsonValue;
namespace od = simdjson::ondemand;

// A JSON path built on demand, e.g. "annotations[412].keypoints".
struct Path {
    const char* section = nullptr;
    int64_t index = -1;
    const char* field = nullptr;
    std::string text() const {
        std::string s = section ? section : "(top level)";
        if (index >= 0) s += "[" + std::to_string(index) + "]";
        if (field) s += std::string(".") + field;
        return s;
    }
    Path at(const char* f) const { return {section, index, f}; }
};

// Streams the file once with simdjson's On-Demand API (no DOM: memory stays near the file size)
// and checks everything that can be checked in place; cross-references are checked afterwards.
class Reader {
public:
    explicit Reader(const std::string& file) : m_file(file) {}

    [[noreturn]] void fail(const Path& p, const std::string& problem) const {
        throw FileError(m_file, p.text() + ": " + problem);
    }
    [[noreturn]] void failCode(const Path& p, simdjson::error_code code, od::value* v, const char* expected) const {
        if (code == simdjson::INCORRECT_TYPE && v) {
            od::json_type t;
            if (!v->type().get(t)) fail(p, std::string("expected ") + expected + ", got " + typeName(*v, t));
        }
        if (code == simdjson::NUMBER_ERROR || code == simdjson::NUMBER_OUT_OF_RANGE)
            fail(p, std::string("expected ") + expected + ", got a malformed or out-of-range number");
        throw FileError(m_file,
                        std::string("malformed JSON: ") + simdjson::error_message(code) + " (at " + p.text() + ")");
    }
    static std::string typeName(od::value& v, od::json_type t) {
        switch (t) {
            case od::json_type::array: return "an array";
            case od::json_type::object: return "an object";
            case od::json_type::number: {
                od::number_type nt;
                if (v.get_number_type().get(nt)) return "an integer";
                if (nt == od::number_type::floating_point_number) return "a number";
                return nt == od::number_type::unsigned_integer ? "a whole number too large for one (64 bits)"
                                                               : "an integer";
            }
            case od::json_type::string: return "a string";
            case od::json_type::boolean: return "a boolean";
            case od::json_type::null: return "null";
        }
        return "something else";
    }

    int64_t integer(od::value v, const Path& p) const {
        int64_t i = 0;
        auto e = v.get_int64().get(i);
        if (!e) return i;
        double d = 0;
        if (e == simdjson::INCORRECT_TYPE || e == simdjson::NUMBER_ERROR) {
            // 3.0 is an integer too (some writers emit every number as a float).
            if (!v.get_double().get(d) && std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15)
                return static_cast<int64_t>(d);
        }
        failCode(p, e, &v, "an integer");
    }
    double number(od::value v, const Path& p) const {
        double d = 0;
        const auto e = v.get_double().get(d);
        if (e) failCode(p, e, &v, "a number");
        return d;
    }
    std::string string(od::value v, const Path& p) const {
        std::string_view sv;
        const auto e = v.get_string().get(sv);
        if (e) failCode(p, e, &v, "a string");
        return std::string(sv);
    }
    bool boolean(od::value v, const Path& p) const {
        bool b = false;
        if (!v.get_bool().get(b)) return b;
        int64_t i = 0;
        if (!v.get_int64().get(i) && (i == 0 || i == 1)) return i == 1;
        failCode(p, simdjson::INCORRECT_TYPE, &v, "true/false or 0/1");
    }
    /// `expected`: the usual count, reserved up front so the array fills without regrowing.
    std::vector<double> numbers(od::value v, const Path& p, size_t expected = 4) const {
        od::array arr;
        auto e = v.get_array().get(arr);
        if (e) failCode(p, e, &v, "an array of numbers");
        std::vector<double> out;
        out.reserve(expected);
        for (auto item : arr) {
            od::value x;
            if ((e = item.get(x))) failCode(p, e, nullptr, "a number");
            double d = 0;
            if ((e = x.get_double().get(d))) {
                Path q = p;
                failCode(Path{q.section, q.index, q.field}, e, &x, "a number");
            }
            out.push_back(d);
        }
        return out;
    }
    template <typename F>
    void objects(od::value v, const Path& p, F&& each) const {
        od::array arr;
        auto e = v.get_array().get(arr);
        if (e) failCode(p, e, &v, "an array");
        int64_t i = 0;
        for (auto item : arr) {
            const Path ip{p.section, i++, nullptr};
            od::object obj;
            if ((e = item.get_object().get(obj))) {
                od::value iv;
                if (!item.get(iv)) failCode(ip, e, &iv, "an object");
                failCode(ip, e, nullptr, "an object");
            }
            each(obj, ip);
        }
    }
    template <typename F>
    void fields(od::object& obj, const Path& p, F&& each) const {
        for (auto field : obj) {
            std::string_view key;
            auto e = field.unescaped_key().get(key);
            if (e) failCode(p, e, nullptr, "a key");
            od::value v;
            if ((e = field.value().get(v))) failCode(p, e, nullptr, "a value");
            each(key, v);
        }
    }

private:
    const std::string& m_file;
};

struct RawMask {
    bool hasId = false, hasImage = false, hasSegmentation = false, hasSize = false, hasCounts = false;
    std::vector<int64_t> size;  // [height, width]
    uint64_t sum = 0;           // of the counts
};

struct RawAnnotation {
    bool hasKeypoints = false, hasId = false, hasImage = false, hasCategory = false, hasBox = false, hasArea = false,
         hasNumKeypoints = false;
    std::vector<double> box;
};

}  // namespace

struct CocoBuilder {
    static CocoDataset build(const simdjson::padded_string& text, const std::string& file, const std::string& imageDir);
};

CocoDataset CocoDataset::load(const std::string& annotationFile, const std::string& imageDir) {
    return CocoBuilder::build(json::readJsonFile(annotationFile), annotationFile, imageDir);
}

CocoDataset CocoDataset::parse(const std::string& jsonText, const std::string& name, const std::string& imageDir) {
    return CocoBuilder::build(simdjson::padded_string(jsonText), name, imageDir);
}

CocoDataset CocoBuilder::build(const simdjson::padded_string& text, const std::string& file,
                               const std::string& imageDir) {
    const Reader r(file);
    CocoDataset d;
    d.m_file = file;
    d.m_imageDir = imageDir;

    od::parser parser;
    od::document doc;
    auto e = parser.iterate(text).get(doc);
    if (e) throw FileError(file, std::string("malformed JSON: ") + simdjson::error_message(e));
    od::object root;
    if ((e = doc.get_object().get(root))) {
        od::json_type t;
        if (e == simdjson::INCORRECT_TYPE && !doc.type().get(t))
            r.fail(Path{}, std::string("expected an object, got ") +
                               (t == od::json_type::array ? "an array" : "something else"));
        throw FileError(file, std::string("malformed JSON: ") + simdjson::error_message(e));
    }

    bool haveImages = false, haveAnnotations = false, haveCategories = false;
    std::vector<RawAnnotation> raw;
    r.fields(root, Path{}, [&](std::string_view key, od::value v) {
        if (key == "images") {
            haveImages = true;
            r.objects(v, Path{"images"}, [&](od::object& obj, const Path& p) {
                ImageInfo info;
                bool id = false, name = false, w = false, h = false;
                r.fields(obj, p, [&](std::string_view k, od::value x) {
                    if (k == "id")
                        info.id = r.integer(x, p.at("id")), id = true;
                    else if (k == "file_name")
                        info.fileName = r.string(x, p.at("file_name")), name = true;
                    else if (k == "width")
                        info.width = static_cast<int>(r.integer(x, p.at("width"))), w = true;
                    else if (k == "height")
                        info.height = static_cast<int>(r.integer(x, p.at("height"))), h = true;
                });
                if (!id) r.fail(p.at("id"), "missing");
                if (!name) r.fail(p.at("file_name"), "missing");
                if (!w) r.fail(p.at("width"), "missing");
                if (!h) r.fail(p.at("height"), "missing");
                if (info.width <= 0 || info.height <= 0) r.fail(p.at("width"), "image size must be positive");
                if (!d.m_imageIndex.emplace(info.id, d.m_images.size()).second)
                    r.fail(p.at("id"), "duplicate image id " + std::to_string(info.id));
                d.m_images.push_back(std::move(info));
            });
        } else if (key == "annotations") {
            haveAnnotations = true;
            r.objects(v, Path{"annotations"}, [&](od::object& obj, const Path& p) {
                PersonAnnotation a;
                RawAnnotation ra;
                r.fields(obj, p, [&](std::string_view k, od::value x) {
                    if (k == "id")
                        a.id = r.integer(x, p.at("id")), ra.hasId = true;
                    else if (k == "image_id")
                        a.imageId = r.integer(x, p.at("image_id")), ra.hasImage = true;
                    else if (k == "category_id")
                        a.categoryId = r.integer(x, p.at("category_id")), ra.hasCategory = true;
                    else if (k == "keypoints")
                        a.keypoints = r.numbers(x, p.at("keypoints"), 51), ra.hasKeypoints = true;
                    else if (k == "num_keypoints")
                        a.numKeypoints = static_cast<int>(r.integer(x, p.at("num_keypoints"))),
                        ra.hasNumKeypoints = true;
                    else if (k == "bbox")
                        ra.box = r.numbers(x, p.at("bbox")), ra.hasBox = true;
                    else if (k == "area")
                        a.area = r.number(x, p.at("area")), ra.hasArea = true;
                    else if (k == "iscrowd")
                        a.iscrowd = r.boolean(x, p.at("iscrowd"));
                    else if (k == "occluded_by") {
                        for (const double id : r.numbers(x, p.at("occluded_by"), 17)) {
                            if (!(std::fabs(id) < 9.0e15) || id != std::floor(id))
                                r.fail(p.at("occluded_by"), "expected integer ids");
                            a.occludedBy.push_back(static_cast<int64_t>(id));
                        }
                    }
                });
                d.m_annotations.push_back(std::move(a));
                raw.push_back(std::move(ra));
            });
        } else if (key == "occluder_masks") {
            r.objects(v, Path{"occluder_masks"}, [&](od::object& obj, const Path& p) {
                ObjectMask m;
                RawMask rm;
                r.fields(obj, p, [&](std::string_view k, od::value x) {
                    if (k == "id")
                        m.id = r.integer(x, p.at("id")), rm.hasId = true;
                    else if (k == "image_id")
                        m.imageId = r.integer(x, p.at("image_id")), rm.hasImage = true;
                    else if (k == "segmentation") {
                        rm.hasSegmentation = true;
                        const Path sp = p.at("segmentation");
                        od::object seg;
                        if (auto err = x.get_object().get(seg)) r.failCode(sp, err, &x, "an object");
                        r.fields(seg, sp, [&](std::string_view sk, od::value y) {
                            if (sk == "size") {
                                const Path zp = p.at("segmentation.size");
                                od::array arr;
                                if (auto err = y.get_array().get(arr)) r.failCode(zp, err, &y, "an array");
                                rm.size.clear();  // a repeated key: the last one counts
                                for (auto item : arr) {
                                    od::value n;
                                    if (auto err = item.get(n)) r.failCode(zp, err, nullptr, "an integer");
                                    rm.size.push_back(r.integer(n, zp));
                                }
                                rm.hasSize = true;
                            } else if (sk == "counts") {
                                const Path cp = p.at("segmentation.counts");
                                od::array arr;
                                if (auto err = y.get_array().get(arr))
                                    r.failCode(cp, err, &y, "an array of run lengths (compressed RLE is not read)");
                                m.counts.clear(), rm.sum = 0;
                                for (auto item : arr) {
                                    od::value n;
                                    if (auto err = item.get(n)) r.failCode(cp, err, nullptr, "an integer");
                                    const int64_t c = r.integer(n, cp);
                                    if (c < 0 || c > int64_t{UINT32_MAX})
                                        r.fail(cp, "run " + std::to_string(m.counts.size()) + " is " +
                                                       std::to_string(c) + " (expected 0…" +
                                                       std::to_string(UINT32_MAX) + ")");
                                    m.counts.push_back(static_cast<uint32_t>(c));
                                    rm.sum += static_cast<uint64_t>(c);
                                }
                                rm.hasCounts = true;
                            }
                        });
                    }
                });
                if (!rm.hasId) r.fail(p.at("id"), "missing");
                if (!rm.hasImage) r.fail(p.at("image_id"), "missing");
                if (!rm.hasSegmentation) r.fail(p.at("segmentation"), "missing");
                if (!rm.hasSize) r.fail(p.at("segmentation.size"), "missing");
                if (!rm.hasCounts) r.fail(p.at("segmentation.counts"), "missing");
                if (rm.size.size() != 2)
                    r.fail(p.at("segmentation.size"),
                           "expected 2 numbers [height, width], got " + std::to_string(rm.size.size()));
                if (rm.size[0] <= 0 || rm.size[1] <= 0 || rm.size[0] > INT32_MAX || rm.size[1] > INT32_MAX)
                    r.fail(p.at("segmentation.size"), "height and width must be positive, got [" +
                                                          std::to_string(rm.size[0]) + ", " +
                                                          std::to_string(rm.size[1]) + "]");
                m.height = static_cast<int>(rm.size[0]);
                m.width = static_cast<int>(rm.size[1]);
                const uint64_t pixels = static_cast<uint64_t>(m.height) * static_cast<uint64_t>(m.width);
                if (rm.sum != pixels)
                    r.fail(p.at("segmentation.counts"), "the runs sum to " + std::to_string(rm.sum) +
                                                            ", expected height·width = " + std::to_string(pixels));
                d.m_occluderMasks.push_back(std::move(m));
            });
        } else if (key == "categories") {
            haveCategories = true;
            r.objects(v, Path{"categories"}, [&](od::object& obj, const Path& p) {
                CocoCategory cat;
                bool id = false, name = false;
                std::vector<std::vector<double>> limbs;
                r.fields(obj, p, [&](std::string_view k, od::value x) {
                    if (k == "id")
                        cat.id = r.integer(x, p.at("id")), id = true;
                    else if (k == "name")
                        cat.name = r.string(x, p.at("name")), name = true;
                    else if (k == "supercategory")
                        cat.supercategory = r.string(x, p.at("supercategory"));
                    else if (k == "keypoints") {
                        od::array arr;
                        if (auto err = x.get_array().get(arr)) r.failCode(p.at("keypoints"), err, &x, "an array");
                        for (auto item : arr) {
                            od::value n;
                            if (auto err = item.get(n)) r.failCode(p.at("keypoints"), err, nullptr, "a string");
                            cat.keypoints.push_back(r.string(n, p.at("keypoints")));
                        }
                    } else if (k == "skeleton") {
                        od::array arr;
                        if (auto err = x.get_array().get(arr)) r.failCode(p.at("skeleton"), err, &x, "an array");
                        for (auto item : arr) {
                            od::value n;
                            if (auto err = item.get(n)) r.failCode(p.at("skeleton"), err, nullptr, "an array");
                            limbs.push_back(r.numbers(n, p.at("skeleton")));
                        }
                    }
                });
                if (!id) r.fail(p.at("id"), "missing");
                if (!name) r.fail(p.at("name"), "missing");
                const int k = static_cast<int>(cat.keypoints.size());
                if (k == 0 && !limbs.empty()) r.fail(p.at("keypoints"), "missing (the skeleton names keypoints)");
                for (size_t i = 0; i < limbs.size(); ++i) {
                    const auto& l = limbs[i];
                    const bool ok = l.size() == 2 && l[0] >= 1 && l[1] >= 1 && l[0] <= k && l[1] <= k &&
                                    l[0] == std::floor(l[0]) && l[1] == std::floor(l[1]);
                    if (!ok)
                        throw FileError(file, p.text() + ".skeleton[" + std::to_string(i) +
                                                  "]: expected two keypoint numbers between 1 and " +
                                                  std::to_string(k));
                    cat.skeleton.emplace_back(static_cast<int>(l[0]), static_cast<int>(l[1]));
                }
                for (const CocoCategory& other : d.m_categories)
                    if (other.id == cat.id) r.fail(p.at("id"), "duplicate category id " + std::to_string(cat.id));
                d.m_categories.push_back(std::move(cat));
            });
        }
    });
    if (!haveImages) r.fail(Path{"images"}, "missing");
    if (!haveAnnotations) r.fail(Path{"annotations"}, "missing");
    if (!haveCategories) r.fail(Path{"categories"}, "missing");

    const auto person = std::find_if(d.m_categories.begin(), d.m_categories.end(),
                                     [](const CocoCategory& c) { return c.name == "person"; });
    if (person == d.m_categories.end() && d.m_categories.size() != 1)
        r.fail(Path{"categories"}, "no 'person' category");
    d.m_personCategory = person == d.m_categories.end() ? 0 : static_cast<size_t>(person - d.m_categories.begin());
    const CocoCategory& personCat = d.m_categories[d.m_personCategory];
    if (personCat.keypoints.empty())
        r.fail(Path{"categories"},
               "the '" + personCat.name + "' category has no keypoint names (not a keypoints file)");
    const size_t k = personCat.keypoints.size();

    // Cross-references and value checks, in file order so the first problem is reported.
    std::vector<size_t> imageSlot(d.m_annotations.size());
    d.m_annotationIndex.reserve(d.m_annotations.size());
    for (size_t i = 0; i < d.m_annotations.size(); ++i) {
        PersonAnnotation& a = d.m_annotations[i];
        const RawAnnotation& ra = raw[i];
        const Path p{"annotations", static_cast<int64_t>(i), nullptr};
        if (!ra.hasId) r.fail(p.at("id"), "missing");
        if (!ra.hasImage) r.fail(p.at("image_id"), "missing");
        const auto image = d.m_imageIndex.find(a.imageId);
        if (image == d.m_imageIndex.end()) r.fail(p.at("image_id"), "unknown image id " + std::to_string(a.imageId));
        imageSlot[i] = image->second;
        if (!ra.hasCategory) r.fail(p.at("category_id"), "missing");
        const bool isPerson = a.categoryId == personCat.id;
        if (!isPerson && std::none_of(d.m_categories.begin(), d.m_categories.end(),
                                      [&](const CocoCategory& c) { return c.id == a.categoryId; }))
            r.fail(p.at("category_id"), "unknown category id " + std::to_string(a.categoryId));
        if (isPerson && !ra.hasKeypoints) r.fail(p.at("keypoints"), "missing");
        if (ra.hasKeypoints) {
            if (a.keypoints.size() != 3 * k)
                r.fail(p.at("keypoints"),
                       "expected " + std::to_string(3 * k) + " numbers, got " + std::to_string(a.keypoints.size()));
            for (size_t j = 0; j < k; ++j) {
                const double vis = a.keypoints[3 * j + 2];
                if (vis != 0 && vis != 1 && vis != 2)
                    r.fail(p.at("keypoints"), "keypoint " + std::to_string(j) + " has visibility " +
                                                  std::to_string(vis) + " (expected 0, 1 or 2)");
            }
        }
        if (!ra.hasNumKeypoints) a.numKeypoints = a.labelledKeypoints();
        if (!ra.hasBox) r.fail(p.at("bbox"), "missing");
        if (ra.box.size() != 4) r.fail(p.at("bbox"), "expected 4 numbers, got " + std::to_string(ra.box.size()));
        a.bbox = {ra.box[0], ra.box[1], ra.box[2], ra.box[3]};
        if (a.bbox.w < 0 || a.bbox.h < 0) r.fail(p.at("bbox"), "negative width or height");
        if ((a.bbox.w == 0 || a.bbox.h == 0) && a.labelledKeypoints() > 0)
            r.fail(p.at("bbox"), "empty box for a person with labelled keypoints");
        if (!ra.hasArea) r.fail(p.at("area"), "missing");
        if (a.area < 0) r.fail(p.at("area"), "negative area");
        if (!a.occludedBy.empty() && a.occludedBy.size() != k)
            r.fail(p.at("occluded_by"),
                   "expected " + std::to_string(k) + " numbers, got " + std::to_string(a.occludedBy.size()));
        if (!d.m_annotationIndex.emplace(a.id, i).second)
            r.fail(p.at("id"), "duplicate annotation id " + std::to_string(a.id));
    }
    // Occluder masks: of a known image, of its size, ids unique.
    d.m_occluderMaskIndex.reserve(d.m_occluderMasks.size());
    for (size_t i = 0; i < d.m_occluderMasks.size(); ++i) {
        const ObjectMask& m = d.m_occluderMasks[i];
        const Path p{"occluder_masks", static_cast<int64_t>(i), nullptr};
        const auto image = d.m_imageIndex.find(m.imageId);
        if (image == d.m_imageIndex.end()) r.fail(p.at("image_id"), "unknown image id " + std::to_string(m.imageId));
        const ImageInfo& info = d.m_images[image->second];
        if (m.width != info.width || m.height != info.height)
            r.fail(p.at("segmentation.size"), "[" + std::to_string(m.height) + ", " + std::to_string(m.width) +
                                                  "] is not the size [height, width] of image " +
                                                  std::to_string(m.imageId) + ", [" + std::to_string(info.height) +
                                                  ", " + std::to_string(info.width) + "]");
        if (!d.m_occluderMaskIndex.emplace(m.id, i).second)
            r.fail(p.at("id"), "duplicate occluder mask id " + std::to_string(m.id));
    }
    d.index(imageSlot);
    return d;
}

void CocoDataset::index(const std::vector<size_t>& imageSlot) {
    m_annotationsByImage.assign(m_images.size(), {});
    for (size_t i = 0; i < m_annotations.size(); ++i)
        m_annotationsByImage[imageSlot[i]].push_back(i);

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
            m_persons.push_back({a.id, a.imageId, Box{x1, y1, x2 - x1 + 1, y2 - y1 + 1}, 1.0, &a});
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

const ObjectMask* CocoDataset::occluderMask(int64_t id) const {
    auto it = m_occluderMaskIndex.find(id);
    return it == m_occluderMaskIndex.end() ? nullptr : &m_occluderMasks[it->second];
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
    if (m_imageDir.empty() || (!image.fileName.empty() && image.fileName.front() == '/')) return image.fileName;
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

std::vector<PersonInstance> detectedPersons(const CocoDataset& coco, const std::vector<Detection>& detections,
                                            const std::string& detectionsFile, double minScore) {
    std::vector<PersonInstance> out;
    for (size_t i = 0; i < detections.size(); ++i) {
        const Detection& d = detections[i];
        if (d.categoryId != 1 || d.score < minScore || !(d.bbox.w > 0 && d.bbox.h > 0)) continue;
        if (!coco.image(d.imageId))
            throw FileError(detectionsFile, "[" + std::to_string(i) + "].image_id: image " + std::to_string(d.imageId) +
                                                " is not in " + coco.annotationFile());
        out.push_back({0, d.imageId, d.bbox, d.score, nullptr});
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
