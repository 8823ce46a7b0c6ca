#include "posescope/analysis/dataset_browser.h"

#include "posescope/datasets/crop.h"
#include "posescope/datasets/error.h"
#include "posescope/datasets/image.h"
#include "selection.h"

#include <algorithm>

namespace posescope::analysis {

struct DatasetBrowser::State {
    std::string annotations;
    detail::Selection selection;
    RunHeader header;
    cv::Size inputSize;
    mutable std::vector<SampleFacts> facts;
    mutable bool factsMade = false;
    mutable std::string cachedPath;  // the last image read (consecutive rows share images)
    mutable cv::Mat cachedImage;
};

DatasetBrowser::DatasetBrowser(std::unique_ptr<State> s) : m(std::move(s)) {}
DatasetBrowser::~DatasetBrowser() = default;

std::unique_ptr<DatasetBrowser> DatasetBrowser::open(const std::string& annotations, const std::string& images,
                                                     int inputWidth, int inputHeight) {
    auto s = std::make_unique<State>();
    s->annotations = annotations;
    s->inputSize = cv::Size(inputWidth, inputHeight);
    s->selection = detail::selectSamples({annotations, images, "", {}, -1, s->inputSize});
    RunHeader& h = s->header;
    h.datasetKind = s->selection.kind;
    h.dataset = annotations;
    h.images = images;
    h.selection = s->selection.description;
    h.keypointNames = s->selection.keypointNames;
    h.skeleton = s->selection.skeleton;
    h.inputWidth = inputWidth;
    h.inputHeight = inputHeight;
    h.totalSamples = h.plannedSamples = static_cast<int64_t>(s->selection.samples.size());
    h.complete = true;
    return std::unique_ptr<DatasetBrowser>(new DatasetBrowser(std::move(s)));
}

const RunHeader& DatasetBrowser::header() const {
    return m->header;
}

const std::string& DatasetBrowser::path() const {
    return m->annotations;
}

int64_t DatasetBrowser::size() const {
    return static_cast<int64_t>(m->selection.samples.size());
}

const std::vector<SampleFacts>& DatasetBrowser::facts() const {
    if (m->factsMade) return m->facts;
    const auto& samples = m->selection.samples;
    m->facts.resize(samples.size());
    for (size_t i = 0; i < samples.size(); ++i) {
        const detail::Planned& p = samples[i];
        SampleFacts& f = m->facts[i];
        f.row = f.index = static_cast<int64_t>(i);
        f.imageId = p.imageId;
        f.annotationId = p.annotationId;
        f.boxArea = p.box.w * p.box.h;
        for (size_t k = 2; k < p.groundTruth.size(); k += 3) {
            if (p.groundTruth[k] <= 0) continue;
            ++f.labelled;
            if (p.groundTruth[k] >= 2)
                ++f.visible;
            else
                ++f.occluded;
        }
    }
    m->factsMade = true;
    return m->facts;
}

std::string DatasetBrowser::imagePath(int64_t row) const {
    if (row < 0 || row >= size())
        throw FileError(m->annotations,
                        "row " + std::to_string(row) + " is not one of its " + std::to_string(size()) + " persons");
    return m->selection.samples[static_cast<size_t>(row)].imagePath;
}

cv::Mat DatasetBrowser::image(int64_t row) const {
    const std::string file = imagePath(row);
    if (file != m->cachedPath) {
        const detail::Planned& p = m->selection.samples[static_cast<size_t>(row)];
        m->cachedImage = loadImageRgb(file, p.imageWidth, p.imageHeight);
        m->cachedPath = file;
    }
    return m->cachedImage;
}

std::array<double, 6> DatasetBrowser::cropTransform(int64_t row) const {
    (void)imagePath(row);  // range check
    const cv::Mat t = posescope::cropTransform(m->selection.samples[static_cast<size_t>(row)].cs, m->inputSize);
    std::array<double, 6> out{};
    for (int i = 0; i < 6; ++i)
        out[static_cast<size_t>(i)] = t.at<double>(i / 3, i % 3);
    return out;
}

cv::Mat DatasetBrowser::crop(int64_t row) const {
    return cropPerson(image(row), m->selection.samples[static_cast<size_t>(row)].cs, m->inputSize);
}

SamplePose DatasetBrowser::pose(int64_t row) const {
    (void)imagePath(row);  // range check
    const detail::Planned& p = m->selection.samples[static_cast<size_t>(row)];
    SamplePose out;
    for (size_t k = 0; k + 2 < p.groundTruth.size(); k += 3) {
        const cv::Point2d c = toCrop({p.groundTruth[k], p.groundTruth[k + 1]}, p.cs, m->inputSize);
        out.groundTruth.push_back({static_cast<float>(c.x), static_cast<float>(c.y), p.groundTruth[k + 2]});
    }
    const cv::Point2d a = toCrop({p.box.x, p.box.y}, p.cs, m->inputSize);
    const cv::Point2d b = toCrop({p.box.x + p.box.w, p.box.y + p.box.h}, p.cs, m->inputSize);
    out.box = {static_cast<float>(std::min(a.x, b.x)), static_cast<float>(std::min(a.y, b.y)),
               static_cast<float>(std::max(a.x, b.x)), static_cast<float>(std::max(a.y, b.y))};
    return out;
}

}  // namespace posescope::analysis
