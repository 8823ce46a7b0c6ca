// SynthPose: a procedural COCO-keypoints dataset of human-like figures with exact visibility.
//
// Usage:
//   posescope::SynthOptions options;
//   options.outputDir = "synth";   // synth/annotations/person_keypoints_synth.json
//   options.numImages = 1000;      // synth/images/synth/000000000001.jpg …
//   options.seed = 7;
//   posescope::SynthCallbacks callbacks;
//   callbacks.progress = [](int done, int total) { std::cerr << done << '/' << total << '\r'; };
//   callbacks.cancelled = [&] { return stopButtonPressed; };
//   const posescope::SynthResult result = posescope::generateSynthPose(options, callbacks);
//   std::cout << result.annotations.size() << " persons in " << result.annotationFile << '\n';
//
// Errors: posescope::Error when the options are invalid (the message is checkSynthOptions'),
// posescope::FileError naming the path when a directory cannot be created or a file cannot be
// written (every write is checked, so a full disk is reported too).
// Thread-safety: generateSynthPose keeps no shared state and may run concurrently with itself on
// different output folders. It renders with options.threads worker threads; the callbacks are
// only ever called from the calling thread. The output does not depend on the thread count.
//
// What is written (opens unchanged in COCO tools such as pycocotools):
//   <outputDir>/annotations/person_keypoints_<split>.json
//   <outputDir>/images/<split>/<12-digit image id>.jpg   ("file_name" is relative to this folder)
// Image ids are 1…numImages. The annotation id of the p-th annotated person (0-based, in draw
// order) of image i is i·1000 + 1 + p; the k-th occluder shape of image i has the id
// i·1000 + 500 + k. Keypoints follow cocoSkeleton() and COCO's conventions: v = 2 visible,
// v = 1 inside the image but covered (by an occluder shape, a person drawn later, or the
// person's own body: the far arm behind the torso, the face of a figure seen from behind),
// v = 0 with x = y = 0 outside the image. A keypoint at (x, y) lies on the pixel
// (round(x), round(y)) (pixel centres at integer coordinates, OpenCV's convention); it is inside
// the image when 0 <= x <= width-1 and 0 <= y <= height-1; x and y are rounded to 2 decimals
// before anything is decided. Visibility is read from the rendered pixels: the keypoint is
// visible when the topmost object at its pixel is one of the body parts that carry it (the
// upper arm or forearm for an elbow, the thigh or pelvis for a hip, the eye mark for an eye).
// The extra field "occluded_by" holds, per keypoint, the id of what covers it (an occluder id,
// another person's annotation id, or the person's own id for self-occlusion), -1 when visible
// or unlabelled.
// The top-level array "occluder_masks" (after "annotations") holds the region of every occluder
// of an image: one entry per id that some annotation of the image names in "occluded_by", other
// than the annotation's own id (self-occlusion has no mask), sorted by id:
//   {"id": 1500, "image_id": 1, "segmentation": {"size": [height, width], "counts": [...]}}
// "segmentation" is COCO's uncompressed RLE (object_mask.h; pycocotools' maskUtils.frPyObjects
// reads it) of the pixels where that object is the topmost one, i.e. its visible pixels, read
// from the same label map as the visibility: the pixel of every keypoint an object covers lies in
// its mask. SynthResult::occluderMasks holds the same masks.
// "bbox" is the tight pixel box [x, y, w, h] of the person's whole silhouette (including parts
// hidden behind occluders) clipped to the image, and "area" its pixel count. Persons with no
// pixel inside the image are not annotated.
#pragma once

#include <opencv2/core.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "posescope/datasets/annotations.h"
#include "posescope/datasets/object_mask.h"

namespace posescope {

struct SynthOptions {
    std::string outputDir;             // created when missing
    std::string split = "synth";       // letters, digits, '_', '-', '.'; not starting with '.'
    int numImages = 100;               // >= 0
    uint64_t seed = 0;                 // same seed and options => byte-identical files
    int minWidth = 320;                // image width, drawn per image in [minWidth, maxWidth]
    int maxWidth = 640;                //   (32…8192)
    int minHeight = 240;               // image height: width / a common aspect ratio, clamped to
    int maxHeight = 480;               //   [minHeight, maxHeight] (32…8192)
    int minPeople = 1;                 // persons per image, drawn in [minPeople, maxPeople] (0…100);
    int maxPeople = 4;                 //   a person entirely outside the image is not annotated
    double occluderProbability = 0.3;  // per person: chance of an occluder shape in front of it
    int jpegQuality = 90;              // 1…100
    int threads = 0;                   // worker threads; 0 = one per hardware thread
    bool keepLayers = false;           // fill SynthResult::layers (for tests and debugging; memory!)
};

struct SynthCallbacks {
    /// Called from the calling thread after each finished image with done = 1, 2, … total.
    std::function<void(int done, int total)> progress;
    /// Polled from the calling thread between images; returning true stops the run early.
    std::function<bool()> cancelled;
};

/// One painted layer of an image, in draw order (background and clutter are not listed).
struct SynthLayer {
    int64_t objectId = 0;        // the person's annotation id or the occluder's id
    bool person = false;         // a body part (true) or an occluder shape (false)
    std::string part;            // "torso", "left_forearm", "nose", … or "rectangle", "blob", …
    std::vector<int> keypoints;  // COCO keypoints this part carries (see visibility above)
    cv::Rect roi;                // where the mask lies in the image (clipped to it)
    cv::Mat mask;                // CV_8U of roi's size, 255 where the layer painted the pixel
};

struct SynthImageLayers {
    int64_t imageId = 0;
    std::vector<SynthLayer> layers;  // back to front
};

struct SynthResult {
    std::string annotationFile;                 // <outputDir>/annotations/person_keypoints_<split>.json
    std::string imageDir;                       // <outputDir>/images/<split>
    std::vector<ImageInfo> images;              // the images written, by id (fileName relative to imageDir)
    std::vector<PersonAnnotation> annotations;  // as in the JSON, by image then id
    std::vector<ObjectMask> occluderMasks;      // as in the JSON ("occluder_masks"), by id
    int visibleKeypoints = 0;                   // v = 2
    int occludedKeypoints = 0;                  // v = 1
    int smallPersons = 0;                       // COCO area ranges: < 32²
    int mediumPersons = 0;                      //   32² … 96²
    int largePersons = 0;                       //   > 96²
    bool cancelled = false;                     // stopped early: the JSON lists the images finished until then
    std::vector<SynthImageLayers> layers;       // per image, when options.keepLayers
};

/// An empty string when the options are usable, otherwise what is wrong with them (one line).
std::string checkSynthOptions(const SynthOptions& options);

/// Renders options.numImages images and writes the dataset (see the top of this header).
SynthResult generateSynthPose(const SynthOptions& options, const SynthCallbacks& callbacks = {});

}  // namespace posescope
