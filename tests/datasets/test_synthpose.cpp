#include "posescope/datasets/synthpose.h"

#include <gtest/gtest.h>
#include <simdjson.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

#include "posescope/datasets/coco.h"
#include "posescope/datasets/error.h"
#include "posescope/datasets/object_mask.h"
#include "posescope/datasets/skeleton.h"
#include "test_paths.h"

using namespace posescope;
namespace fs = std::filesystem;

namespace {

SynthOptions options(const std::string& dir, int n, uint64_t seed) {
    SynthOptions o;
    o.outputDir = test::outputPath(dir);
    fs::remove_all(o.outputDir);
    o.numImages = n;
    o.seed = seed;
    return o;
}

std::string readAll(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Every file under `dir`, by relative path.
std::map<std::string, std::string> filesUnder(const fs::path& dir) {
    std::map<std::string, std::string> files;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file()) files[fs::relative(e.path(), dir).string()] = readAll(e.path());
    return files;
}

// The topmost layer covering pixel p (the last one in draw order), or nullptr.
const SynthLayer* topmost(const std::vector<SynthLayer>& layers, cv::Point p) {
    const SynthLayer* top = nullptr;
    for (const SynthLayer& l : layers)
        if (l.roi.contains(p) && l.mask.at<uchar>(p - l.roi.tl())) top = &l;
    return top;
}

bool carries(const SynthLayer& l, int k) {
    return std::find(l.keypoints.begin(), l.keypoints.end(), k) != l.keypoints.end();
}

}  // namespace

TEST(SynthPose, SameSeedSameBytesWhateverTheThreads) {
    SynthOptions a = options("synth_same_a", 8, 11), b = options("synth_same_b", 8, 11),
                 c = options("synth_other_seed", 8, 12);
    a.threads = 1;
    b.threads = 3;
    c.threads = 2;
    generateSynthPose(a);
    generateSynthPose(b);
    generateSynthPose(c);
    const auto fa = filesUnder(a.outputDir), fb = filesUnder(b.outputDir), fc = filesUnder(c.outputDir);
    ASSERT_EQ(fa.size(), 9u);  // 8 images and the JSON
    ASSERT_EQ(fa.size(), fb.size());
    for (const auto& [name, bytes] : fa) {
        ASSERT_TRUE(fb.count(name)) << name;
        EXPECT_TRUE(bytes == fb.at(name)) << name << " differs between runs with the same seed";
    }
    int differing = 0;
    for (const auto& [name, bytes] : fa)
        if (!fc.count(name) || fc.at(name) != bytes) ++differing;
    EXPECT_EQ(differing, 9) << "another seed must give other images and annotations";
}

TEST(SynthPose, JsonHasCocoStructureAndCounts) {
    SynthOptions o = options("synth_json", 12, 3);
    o.split = "train";
    o.minWidth = 300, o.maxWidth = 360, o.minHeight = 200, o.maxHeight = 280;
    const SynthResult r = generateSynthPose(o);
    EXPECT_EQ(r.annotationFile, o.outputDir + "/annotations/person_keypoints_train.json");
    EXPECT_EQ(r.imageDir, o.outputDir + "/images/train");
    ASSERT_EQ(r.images.size(), 12u);
    EXPECT_FALSE(r.cancelled);

    simdjson::dom::parser parser;
    const simdjson::dom::element doc = parser.load(r.annotationFile);
    EXPECT_TRUE(doc["info"].is_object());
    EXPECT_EQ(doc["licenses"].get_array().size(), 0u);

    const simdjson::dom::array images = doc["images"];
    ASSERT_EQ(images.size(), 12u);
    std::map<int64_t, std::pair<int64_t, int64_t>> sizes;
    size_t i = 0;
    for (simdjson::dom::element im : images) {
        const ImageInfo& info = r.images[i++];
        EXPECT_EQ(int64_t(im["id"]), info.id);
        EXPECT_EQ(info.id, static_cast<int64_t>(i));
        const std::string name{std::string_view(im["file_name"])};
        EXPECT_EQ(name, info.fileName);
        const int64_t w = im["width"], h = im["height"];
        EXPECT_GE(w, 300);
        EXPECT_LE(w, 360);
        EXPECT_GE(h, 200);
        EXPECT_LE(h, 280);
        sizes[info.id] = {w, h};
        const cv::Mat pixels = cv::imread(r.imageDir + "/" + name);
        ASSERT_FALSE(pixels.empty()) << name;
        EXPECT_EQ(pixels.cols, w);
        EXPECT_EQ(pixels.rows, h);
    }

    const simdjson::dom::array anns = doc["annotations"];
    ASSERT_EQ(anns.size(), r.annotations.size());
    ASSERT_GT(anns.size(), 12u);
    std::set<int64_t> ids;
    int visible = 0, occluded = 0;
    i = 0;
    for (simdjson::dom::element a : anns) {
        const PersonAnnotation& expected = r.annotations[i++];
        const int64_t id = a["id"], imageId = a["image_id"];
        EXPECT_EQ(id, expected.id);
        EXPECT_TRUE(ids.insert(id).second) << "duplicate id " << id;
        ASSERT_TRUE(sizes.count(imageId));
        EXPECT_EQ(id / 1000, imageId);
        EXPECT_EQ(int64_t(a["category_id"]), 1);
        EXPECT_EQ(int64_t(a["iscrowd"]), 0);
        const simdjson::dom::array kp = a["keypoints"], occ = a["occluded_by"], bbox = a["bbox"];
        ASSERT_EQ(kp.size(), 51u);
        ASSERT_EQ(occ.size(), 17u);
        ASSERT_EQ(bbox.size(), 4u);
        std::vector<double> k;
        for (simdjson::dom::element v : kp)
            k.push_back(double(v));
        int labelled = 0;
        for (int j = 0; j < 17; ++j) {
            const double x = k[3 * j], y = k[3 * j + 1], v = k[3 * j + 2];
            EXPECT_TRUE(v == 0 || v == 1 || v == 2);
            EXPECT_NEAR(std::round(x * 100), x * 100, 1e-6) << "two decimals at most";
            EXPECT_DOUBLE_EQ(x, expected.keypoints[3 * j]);
            EXPECT_DOUBLE_EQ(y, expected.keypoints[3 * j + 1]);
            EXPECT_EQ(v, expected.keypoints[3 * j + 2]);
            if (v > 0) ++labelled;
            visible += v == 2, occluded += v == 1;
        }
        EXPECT_EQ(int64_t(a["num_keypoints"]), labelled);
        size_t j = 0;
        for (simdjson::dom::element v : occ)
            EXPECT_EQ(int64_t(v), expected.occludedBy[j++]);
        std::vector<double> b;
        for (simdjson::dom::element v : bbox)
            b.push_back(double(v));
        EXPECT_EQ(b[0], expected.bbox.x);
        EXPECT_EQ(b[3], expected.bbox.h);
        EXPECT_EQ(double(a["area"]), expected.area);
        EXPECT_GT(expected.area, 0);
        EXPECT_LE(expected.area, b[2] * b[3]);
    }
    EXPECT_EQ(visible, r.visibleKeypoints);
    EXPECT_EQ(occluded, r.occludedKeypoints);

    const simdjson::dom::array cats = doc["categories"];
    ASSERT_EQ(cats.size(), 1u);
    const simdjson::dom::element person = cats.at(0);
    EXPECT_EQ(int64_t(person["id"]), 1);
    EXPECT_EQ(std::string_view(person["name"]), "person");
    EXPECT_EQ(std::string_view(person["supercategory"]), "person");
    const Skeleton& coco = cocoSkeleton();
    std::vector<std::string> names;
    for (simdjson::dom::element n : person["keypoints"].get_array())
        names.emplace_back(std::string_view(n));
    EXPECT_EQ(names, coco.keypoints);
    std::vector<std::pair<int, int>> limbs;
    for (simdjson::dom::element l : person["skeleton"].get_array())
        limbs.emplace_back(int(int64_t(l.at(0))) - 1, int(int64_t(l.at(1))) - 1);
    EXPECT_EQ(limbs, coco.limbs);
}

TEST(SynthPose, VisibilityIsWhatThePixelsShow) {
    SynthOptions o = options("synth_visibility", 40, 5);
    o.keepLayers = true;
    o.minPeople = 2;
    o.maxPeople = 5;
    o.occluderProbability = 0.6;
    const SynthResult r = generateSynthPose(o);
    ASSERT_EQ(r.layers.size(), 40u);
    std::map<int64_t, const ImageInfo*> images;
    for (const ImageInfo& im : r.images)
        images[im.id] = &im;
    std::map<int64_t, const SynthImageLayers*> layersOf;
    for (const SynthImageLayers& l : r.layers)
        layersOf[l.imageId] = &l;

    int byShape = 0, byPerson = 0, bySelf = 0, visible = 0;
    for (const PersonAnnotation& a : r.annotations) {
        const ImageInfo& im = *images.at(a.imageId);
        const std::vector<SynthLayer>& layers = layersOf.at(a.imageId)->layers;
        std::set<int64_t> personIds, shapeIds;
        for (const SynthLayer& l : layers)
            (l.person ? personIds : shapeIds).insert(l.objectId);
        ASSERT_TRUE(personIds.count(a.id));
        ASSERT_EQ(a.keypointCount(), 17);
        ASSERT_EQ(a.occludedBy.size(), 17u);
        for (int k = 0; k < 17; ++k) {
            const double x = a.keypoints[3 * k], y = a.keypoints[3 * k + 1], v = a.keypoints[3 * k + 2];
            const int64_t by = a.occludedBy[static_cast<size_t>(k)];
            if (v == 0) {
                EXPECT_EQ(x, 0);
                EXPECT_EQ(y, 0);
                EXPECT_EQ(by, -1);
                continue;
            }
            ASSERT_TRUE(x >= 0 && y >= 0 && x <= im.width - 1 && y <= im.height - 1) << a.id << " " << k;
            const cv::Point p(static_cast<int>(std::lround(x)), static_cast<int>(std::lround(y)));
            // The keypoint lies on one of its own body parts …
            bool onOwnPart = false;
            for (const SynthLayer& l : layers)
                if (l.objectId == a.id && carries(l, k) && l.roi.contains(p) && l.mask.at<uchar>(p - l.roi.tl()))
                    onOwnPart = true;
            EXPECT_TRUE(onOwnPart) << "annotation " << a.id << " keypoint " << k;
            // … and is visible exactly when that part is the topmost thing painted there.
            const SynthLayer* top = topmost(layers, p);
            ASSERT_NE(top, nullptr);
            if (top->objectId == a.id && carries(*top, k)) {
                EXPECT_EQ(v, 2) << "annotation " << a.id << " keypoint " << k;
                EXPECT_EQ(by, -1);
                ++visible;
            } else {
                EXPECT_EQ(v, 1) << "annotation " << a.id << " keypoint " << k << " under " << top->part;
                EXPECT_EQ(by, top->objectId);
                if (by == a.id)
                    ++bySelf;
                else if (personIds.count(by))
                    ++byPerson;
                else if (shapeIds.count(by))
                    ++byShape;
                else
                    ADD_FAILURE() << "occluded_by " << by << " names nothing in image " << a.imageId;
            }
        }
        // bbox and area: the person's whole silhouette, inside the image.
        cv::Mat silhouette = cv::Mat::zeros(im.height, im.width, CV_8U);
        for (const SynthLayer& l : layers)
            if (l.objectId == a.id) silhouette(l.roi) |= l.mask;
        const cv::Rect box = cv::boundingRect(silhouette);
        EXPECT_EQ(a.area, cv::countNonZero(silhouette));
        EXPECT_EQ(a.bbox.x, box.x);
        EXPECT_EQ(a.bbox.y, box.y);
        EXPECT_EQ(a.bbox.w, box.width);
        EXPECT_EQ(a.bbox.h, box.height);
    }
    EXPECT_EQ(visible, r.visibleKeypoints);
    EXPECT_EQ(bySelf + byPerson + byShape, r.occludedKeypoints);
    EXPECT_GT(visible, 100);
    EXPECT_GT(bySelf, 10) << "the far arm behind the torso, faces seen from behind";
    EXPECT_GT(byPerson, 10);
    EXPECT_GT(byShape, 10);
}

TEST(SynthPose, AllCocoAreaRangesOccurAndEverythingIsInside) {
    SynthOptions o = options("synth_areas", 200, 9);
    o.jpegQuality = 60;
    const SynthResult r = generateSynthPose(o);
    ASSERT_EQ(r.images.size(), 200u);
    std::map<int64_t, const ImageInfo*> images;
    for (const ImageInfo& im : r.images)
        images[im.id] = &im;
    int small = 0, medium = 0, large = 0, cut = 0;
    for (const PersonAnnotation& a : r.annotations) {
        const ImageInfo& im = *images.at(a.imageId);
        EXPECT_GE(a.bbox.x, 0);
        EXPECT_GE(a.bbox.y, 0);
        EXPECT_GT(a.bbox.w, 0);
        EXPECT_GT(a.bbox.h, 0);
        EXPECT_LE(a.bbox.x + a.bbox.w, im.width);
        EXPECT_LE(a.bbox.y + a.bbox.h, im.height);
        for (int k = 0; k < 17; ++k) {
            const double x = a.keypoints[3 * k], y = a.keypoints[3 * k + 1], v = a.keypoints[3 * k + 2];
            if (v > 0) {
                EXPECT_TRUE(x >= 0 && y >= 0 && x <= im.width - 1 && y <= im.height - 1) << a.id;
            }
        }
        if (a.numKeypoints < 17) ++cut;
        (a.area < 32 * 32 ? small : a.area <= 96 * 96 ? medium : large)++;
    }
    EXPECT_EQ(small, r.smallPersons);
    EXPECT_EQ(medium, r.mediumPersons);
    EXPECT_EQ(large, r.largePersons);
    EXPECT_GT(small, 40);
    EXPECT_GT(medium, 40);
    EXPECT_GT(large, 40);
    EXPECT_GT(cut, 20) << "some persons are partly outside the image";
}

TEST(SynthPose, ProgressReportsEveryImageInOrder) {
    SynthOptions o = options("synth_progress", 10, 1);
    o.threads = 2;
    std::vector<int> seen;
    SynthCallbacks cb;
    cb.progress = [&](int done, int total) {
        EXPECT_EQ(total, 10);
        seen.push_back(done);
    };
    generateSynthPose(o, cb);
    ASSERT_EQ(seen.size(), 10u);
    for (int i = 0; i < 10; ++i)
        EXPECT_EQ(seen[static_cast<size_t>(i)], i + 1);
}

TEST(SynthPose, CancelStopsEarlyAndKeepsAConsistentDataset) {
    for (int threads : {1, 2}) {
        SynthOptions o = options("synth_cancel_" + std::to_string(threads), 500, 2);
        o.threads = threads;
        int done = 0;
        SynthCallbacks cb;
        cb.progress = [&](int d, int) { done = d; };
        cb.cancelled = [&] { return done >= 3; };
        const SynthResult r = generateSynthPose(o, cb);
        EXPECT_TRUE(r.cancelled);
        EXPECT_GE(r.images.size(), 3u);
        EXPECT_LT(r.images.size(), 100u);
        if (threads == 1) {
            EXPECT_EQ(r.images.size(), 3u);
        }
        // The JSON lists exactly the images on disk.
        simdjson::dom::parser parser;
        const simdjson::dom::element doc = parser.load(r.annotationFile);
        EXPECT_EQ(doc["images"].get_array().size(), r.images.size());
        size_t files = 0;
        for (const auto& e : fs::directory_iterator(r.imageDir))
            files += e.is_regular_file();
        EXPECT_EQ(files, r.images.size());
    }
}

TEST(SynthPose, UnwritableOutputGivesFileErrorNamingIt) {
    const std::string blocker = test::outputPath("synth_blocker");
    fs::remove_all(blocker);
    std::ofstream(blocker) << "a file where a folder should be";
    SynthOptions o;
    o.outputDir = blocker + "/out";
    o.numImages = 2;
    try {
        generateSynthPose(o);
        FAIL() << "expected FileError";
    } catch (const FileError& e) {
        EXPECT_NE(e.file().find(blocker), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("cannot create directory"), std::string::npos) << e.what();
    }
}

TEST(SynthPose, InvalidOptionsAreRejected) {
    SynthOptions o;
    o.outputDir = test::outputPath("synth_invalid");
    EXPECT_EQ(checkSynthOptions(o), "");
    auto problem = [&](auto change) {
        SynthOptions bad = o;
        change(bad);
        return checkSynthOptions(bad);
    };
    EXPECT_NE(problem([](SynthOptions& s) { s.outputDir.clear(); }), "");
    EXPECT_NE(problem([](SynthOptions& s) { s.split = "../x"; }), "");
    EXPECT_NE(problem([](SynthOptions& s) { s.split = ""; }), "");
    EXPECT_NE(problem([](SynthOptions& s) { s.numImages = -1; }), "");
    EXPECT_NE(problem([](SynthOptions& s) { s.minWidth = 700; }), "");
    EXPECT_NE(problem([](SynthOptions& s) { s.maxHeight = 16; }), "");
    EXPECT_NE(problem([](SynthOptions& s) { s.minPeople = 3, s.maxPeople = 2; }), "");
    EXPECT_NE(problem([](SynthOptions& s) { s.occluderProbability = 1.5; }), "");
    EXPECT_NE(problem([](SynthOptions& s) { s.jpegQuality = 0; }), "");
    SynthOptions bad = o;
    bad.maxPeople = 101;
    EXPECT_THROW(generateSynthPose(bad), Error);
}

TEST(SynthPose, FixedSizeAndNoPeople) {
    SynthOptions o = options("synth_fixed", 3, 4);
    o.minWidth = o.maxWidth = 320;
    o.minHeight = o.maxHeight = 240;
    o.minPeople = o.maxPeople = 0;
    const SynthResult r = generateSynthPose(o);
    ASSERT_EQ(r.images.size(), 3u);
    for (const ImageInfo& im : r.images) {
        EXPECT_EQ(im.width, 320);
        EXPECT_EQ(im.height, 240);
    }
    EXPECT_TRUE(r.annotations.empty());
}

TEST(SynthPose, OpensWithTheCocoReader) {
    SynthOptions o = options("synth_coco_reader", 6, 8);
    const SynthResult r = generateSynthPose(o);
    const CocoDataset coco = CocoDataset::load(r.annotationFile, r.imageDir);
    ASSERT_EQ(coco.images().size(), r.images.size());
    ASSERT_EQ(coco.annotations().size(), r.annotations.size());
    for (const PersonAnnotation& a : r.annotations) {
        const PersonAnnotation* b = coco.annotation(a.id);
        ASSERT_NE(b, nullptr);
        EXPECT_EQ(b->imageId, a.imageId);
        EXPECT_EQ(b->keypoints, a.keypoints);
        EXPECT_EQ(b->occludedBy, a.occludedBy);
        EXPECT_EQ(b->numKeypoints, a.numKeypoints);
        EXPECT_EQ(b->area, a.area);
    }
}

TEST(SynthPose, OccluderMasksCoverEveryOccludedKeypoint) {
    SynthOptions o = options("synth_occluder_masks", 30, 21);
    o.keepLayers = true;
    o.minPeople = 2;
    o.maxPeople = 5;
    o.occluderProbability = 1;
    const SynthResult r = generateSynthPose(o);
    std::map<int64_t, const ImageInfo*> images;
    for (const ImageInfo& im : r.images)
        images[im.id] = &im;
    std::map<int64_t, const ObjectMask*> masks;
    for (const ObjectMask& m : r.occluderMasks) {
        if (!masks.empty()) {
            EXPECT_LT(masks.rbegin()->first, m.id) << "sorted by id, no duplicates";
        }
        masks[m.id] = &m;
    }
    std::map<int64_t, cv::Mat> decoded;
    std::set<int64_t> named;  // every object named by some occluded_by other than self
    int covered = 0, byPerson = 0, byShape = 0;
    for (const PersonAnnotation& a : r.annotations) {
        for (int k = 0; k < 17; ++k) {
            const int64_t by = a.occludedBy[static_cast<size_t>(k)];
            if (by < 0 || by == a.id) continue;
            named.insert(by);
            ASSERT_TRUE(masks.count(by)) << "no mask for occluder " << by << " of annotation " << a.id;
            const ObjectMask& m = *masks.at(by);
            EXPECT_EQ(m.imageId, a.imageId);
            if (!decoded.count(by)) decoded[by] = decodeMask(m);
            const cv::Mat& pixels = decoded.at(by);
            const cv::Point p(static_cast<int>(std::lround(a.keypoints[3 * k])),
                              static_cast<int>(std::lround(a.keypoints[3 * k + 1])));
            ASSERT_TRUE(cv::Rect(0, 0, pixels.cols, pixels.rows).contains(p));
            EXPECT_EQ(pixels.at<uchar>(p), 255) << "keypoint " << k << " of " << a.id << " outside its occluder " << by;
            ++covered;
            (by % 1000 >= 500 ? byShape : byPerson)++;
        }
    }
    EXPECT_EQ(named.size(), masks.size()) << "a mask for each named occluder and no other";
    EXPECT_GT(byShape, 20);
    EXPECT_GT(byPerson, 10);
    EXPECT_GT(covered, 0);

    // Each mask is exactly where its object is the topmost one painted.
    for (const SynthImageLayers& il : r.layers) {
        const ImageInfo& im = *images.at(il.imageId);
        cv::Mat1i top(im.height, im.width, -1);
        for (const SynthLayer& l : il.layers)
            top(l.roi).setTo(static_cast<int>(l.objectId), l.mask);
        for (const ObjectMask& m : r.occluderMasks) {
            if (m.imageId != il.imageId) continue;
            EXPECT_EQ(m.width, im.width);
            EXPECT_EQ(m.height, im.height);
            const cv::Mat expected = top == static_cast<int>(m.id);
            EXPECT_EQ(cv::countNonZero(decodeMask(m) != expected), 0) << "mask of " << m.id;
        }
    }
}

TEST(SynthPose, CocoReaderReadsTheOccluderMasksBack) {
    SynthOptions o = options("synth_occluder_masks_json", 8, 22);
    o.occluderProbability = 1;
    const SynthResult r = generateSynthPose(o);
    ASSERT_FALSE(r.occluderMasks.empty());

    // In the JSON after "annotations", in COCO's RLE field names.
    const std::string text = readAll(r.annotationFile);
    const size_t annotations = text.find("\"annotations\": ["), masks = text.find("\"occluder_masks\": ["),
                 categories = text.find("\"categories\": [");
    ASSERT_NE(masks, std::string::npos);
    EXPECT_LT(annotations, masks);
    EXPECT_LT(masks, categories);
    simdjson::dom::parser parser;
    const simdjson::dom::element doc = parser.load(r.annotationFile);
    const simdjson::dom::array written = doc["occluder_masks"];
    ASSERT_EQ(written.size(), r.occluderMasks.size());
    const simdjson::dom::element first = written.at(0);
    EXPECT_EQ(int64_t(first["id"]), r.occluderMasks[0].id);
    EXPECT_EQ(int64_t(first["image_id"]), r.occluderMasks[0].imageId);
    EXPECT_EQ(int64_t(first["segmentation"]["size"].at(0)), r.occluderMasks[0].height);
    EXPECT_EQ(int64_t(first["segmentation"]["size"].at(1)), r.occluderMasks[0].width);
    EXPECT_EQ(first["segmentation"]["counts"].get_array().size(), r.occluderMasks[0].counts.size());

    const CocoDataset coco = CocoDataset::load(r.annotationFile, r.imageDir);
    ASSERT_EQ(coco.occluderMasks().size(), r.occluderMasks.size());
    for (const ObjectMask& m : r.occluderMasks) {
        const ObjectMask* back = coco.occluderMask(m.id);
        ASSERT_NE(back, nullptr) << m.id;
        EXPECT_EQ(back->imageId, m.imageId);
        EXPECT_EQ(back->width, m.width);
        EXPECT_EQ(back->height, m.height);
        EXPECT_EQ(back->counts, m.counts);
    }
    EXPECT_EQ(coco.occluderMask(-1), nullptr);
}
