// COCO keypoint datasets: person_keypoints_*.json with every field, indexed by image and by
// person instance, and the person instances the official TransPose/HRNet pipelines evaluate.
//
// Usage:
//   auto coco = posescope::CocoDataset::load("annotations/person_keypoints_val2017.json",
//                                            "images/val2017");
//   for (const posescope::PersonInstance& p : coco.personInstances()) {
//       const posescope::ImageInfo& img = *coco.image(p.imageId);
//       cv::Mat rgb = posescope::loadImageRgb(coco.imagePath(img));   // image.h
//   }
//
// SynthPose's extensions are read too: each annotation's "occluded_by" and the top-level
// "occluder_masks" (object_mask.h; see synthpose.h for what they mean).
//
// Errors: FileError naming the file and the JSON path of the problem, e.g.
//   "ann.json: annotations[412].keypoints: expected 51 numbers, got 48".
// Thread-safety: a loaded CocoDataset is immutable; concurrent reads are safe.
#pragma once

#include "posescope/datasets/annotations.h"
#include "posescope/datasets/object_mask.h"

#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace posescope {

struct CocoCategory {
    int64_t id = 0;
    std::string name;
    std::string supercategory;
    std::vector<std::string> keypoints;
    std::vector<std::pair<int, int>> skeleton;  // 1-based, as in the file
};

/// A person as the official pipelines select it: non-crowd, category "person", some keypoint
/// coordinate > 0, area > 0, with its box clipped to the image (DarkPose/TransPose convention:
/// x1 = max(0, x), x2 = min(W−1, x1 + max(0, w−1)), box = [x1, y1, x2−x1+1, y2−y1+1]).
struct PersonInstance {
    int64_t annotationId = 0;  // 0 for detected boxes
    int64_t imageId = 0;
    Box box;
    double score = 1;  // 1 for ground-truth boxes, the detector's score for detected ones
    const PersonAnnotation* annotation = nullptr;
};

class CocoDataset {
public:
    /// Reads `annotationFile`; images are looked up under `imageDir` (may be empty).
    static CocoDataset load(const std::string& annotationFile, const std::string& imageDir = "");
    /// Parses JSON text (tests, fuzzing); `name` stands for the file in errors.
    static CocoDataset parse(const std::string& jsonText, const std::string& name, const std::string& imageDir = "");

    const std::string& annotationFile() const { return m_file; }
    const std::vector<ImageInfo>& images() const { return m_images; }
    const std::vector<PersonAnnotation>& annotations() const { return m_annotations; }
    const std::vector<CocoCategory>& categories() const { return m_categories; }

    const ImageInfo* image(int64_t id) const;              // nullptr when unknown
    const PersonAnnotation* annotation(int64_t id) const;  // nullptr when unknown
    /// Annotations of one image, in file order (crowd regions included).
    std::vector<const PersonAnnotation*> annotationsOf(int64_t imageId) const;
    /// The person instances of the official pipelines, image by image in file order.
    const std::vector<PersonInstance>& personInstances() const { return m_persons; }
    /// imageDir / file_name (file_name itself when it is an absolute path).
    std::string imagePath(const ImageInfo& image) const;
    /// The person category's keypoint names (COCO's 17 for COCO files).
    const std::vector<std::string>& keypointNames() const;
    /// SynthPose extension ("occluder_masks"): the visible region of every object named in some
    /// annotation's occluded_by (other than the annotation itself), in file order. Empty for
    /// datasets without it.
    const std::vector<ObjectMask>& occluderMasks() const { return m_occluderMasks; }
    /// The occluder mask with this id; nullptr when absent.
    const ObjectMask* occluderMask(int64_t id) const;

private:
    friend struct CocoBuilder;
    void index(const std::vector<size_t>& imageSlot);  // imageSlot[i]: position of annotation i's image

    std::string m_file;
    std::string m_imageDir;
    std::vector<ImageInfo> m_images;
    std::vector<PersonAnnotation> m_annotations;
    std::vector<CocoCategory> m_categories;
    std::vector<ObjectMask> m_occluderMasks;
    std::unordered_map<int64_t, size_t> m_imageIndex;
    std::unordered_map<int64_t, size_t> m_annotationIndex;
    std::unordered_map<int64_t, size_t> m_occluderMaskIndex;
    std::vector<std::vector<size_t>> m_annotationsByImage;  // parallel to m_images
    std::vector<PersonInstance> m_persons;
    size_t m_personCategory = 0;
};

/// Detected person boxes in the COCO results format ([{image_id, category_id, bbox, score}, …]),
/// e.g. COCO_val2017_detections_AP_H_56_person.json. Throws FileError with the JSON path.
std::vector<Detection> loadDetections(const std::string& path);

/// The person instances of a detections file as the official pipelines use them for detected-box
/// evaluation (TEST.USE_GT_BBOX false): category 1 only, score ≥ `minScore` (IMAGE_THRE, 0.0),
/// boxes as detected, not clipped; boxes of zero width or height are left out (the official code
/// would crop them with a degenerate transform). Images unknown to `coco` are a FileError naming
/// `detectionsFile`.
std::vector<PersonInstance> detectedPersons(const CocoDataset& coco, const std::vector<Detection>& detections,
                                            const std::string& detectionsFile, double minScore = 0.0);

/// Keypoint predictions in the COCO results format ([{image_id, category_id, keypoints, score}, …]),
/// each with 3 × `keypointCount` numbers. Throws FileError with the JSON path.
std::vector<PosePrediction> loadKeypointResults(const std::string& path, int keypointCount = 17);

/// Writes predictions in the COCO keypoint results format. Throws FileError.
void saveKeypointResults(const std::string& path, const std::vector<PosePrediction>& predictions);

}  // namespace posescope
