// Browsing a dataset's person instances without a model: what the workbench lists when a dataset
// (COCO, SynthPose or MPII annotations and an image folder) is open, before anything is recorded.
// The persons are those a run would record (the official selection), cropped as a model with the
// given input size would see them.
//
// Usage:
//   auto data = DatasetBrowser::open("person_keypoints_val.json", "images/val");   // a SampleSource
//   for (const SampleFacts& f : data->facts()) if (f.occluded > 3) …;
//   cv::Mat crop = data->crop(0);  SamplePose gt = data->pose(0);   // ground truth in crop pixels
//   cv::Mat image = data->image(0);                                  // the whole image (RGB)
//
// Errors: FileError from the dataset readers (naming the file and the JSON path), and for an
// unreadable image when it is asked for. Thread-safety: one DatasetBrowser per thread.
#pragma once

#include "posescope/analysis/run_browser.h"

#include <memory>
#include <string>

namespace posescope::analysis {

class DatasetBrowser : public SampleSource {
public:
    static std::unique_ptr<DatasetBrowser> open(const std::string& annotations, const std::string& images,
                                                int inputWidth = 192, int inputHeight = 256);
    ~DatasetBrowser() override;

    const RunHeader& header() const override;
    const std::string& path() const override;
    int64_t size() const override;
    const std::vector<SampleFacts>& facts() const override;
    cv::Mat crop(int64_t row) const override;
    SamplePose pose(int64_t row) const override;
    std::array<double, 6> cropTransform(int64_t row) const override;
    cv::Mat image(int64_t row) const override;
    std::string imagePath(int64_t row) const override;

private:
    struct State;
    explicit DatasetBrowser(std::unique_ptr<State> s);
    std::unique_ptr<State> m;
};

}  // namespace posescope::analysis
