// HRNet/TransPose's COCODataset.evaluate rescoring and lib/nms/nms.py's oks_iou/oks_nms.
#include "posescope/analysis/pose_nms.h"

#include "numpy_compat.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_map>

namespace posescope::analysis {

namespace {

void checkKeypoints(const std::vector<double>& keypoints, const OksNmsOptions& options, const char* what) {
    if (options.sigmas.empty()) throw EvaluationError("OKS-NMS: no keypoint sigmas");
    if (keypoints.size() != 3 * options.sigmas.size()) {
        throw EvaluationError(std::string("OKS-NMS: ") + what + " has " + std::to_string(keypoints.size()) +
                              " keypoint values, expected " + std::to_string(3 * options.sigmas.size()));
    }
}

// Squared distance between joint j of a and b: float32 arithmetic when HRNet's arrays are float32.
double squaredDistance(const std::vector<double>& a, const std::vector<double>& b, std::size_t j, bool float32) {
    if (float32) {
        const float dx = static_cast<float>(b[3 * j]) - static_cast<float>(a[3 * j]);
        const float dy = static_cast<float>(b[3 * j + 1]) - static_cast<float>(a[3 * j + 1]);
        const float dx2 = dx * dx;
        const float dy2 = dy * dy;
        const float d2 = dx2 + dy2;
        return static_cast<double>(d2);
    }
    const double dx = b[3 * j] - a[3 * j];
    const double dy = b[3 * j + 1] - a[3 * j + 1];
    const double dx2 = dx * dx;
    const double dy2 = dy * dy;
    return dx2 + dy2;
}

}  // namespace

double areaFromScale(double scaleX, double scaleY) {
    const float w = static_cast<float>(scaleX) * 200.0f;
    const float h = static_cast<float>(scaleY) * 200.0f;
    const float area = w * h;
    return static_cast<double>(area);
}

double personScore(double boxScore, const std::vector<double>& keypoints, double inVisThreshold) {
    // NumPy 1.x promotes `0 + np.float32` to float64, so the sum and the mean are float64.
    double kptScore = 0;
    int valid = 0;
    for (std::size_t i = 2; i < keypoints.size(); i += 3) {
        if (keypoints[i] > inVisThreshold) {
            kptScore = kptScore + keypoints[i];
            valid += 1;
        }
    }
    if (valid != 0) kptScore = kptScore / valid;
    return kptScore * boxScore;
}

double oksOverlap(const std::vector<double>& a, const std::vector<double>& b, double areaA, double areaB,
                  const OksNmsOptions& options) {
    checkKeypoints(a, options, "the first pose");
    checkKeypoints(b, options, "the second pose");
    const std::size_t k = options.sigmas.size();
    const double meanArea = (areaA + areaB) / 2;
    const double areaEps = meanArea + npcompat::kSpacingOne;
    std::vector<double> terms(k);
    for (std::size_t j = 0; j < k; ++j) {
        const double twice = options.sigmas[j] * 2;
        const double var = twice * twice;
        double e = squaredDistance(a, b, j, options.float32Keypoints) / var;
        e = e / areaEps;
        e = e / 2;
        terms[j] = std::exp(-e);
    }
    return npcompat::sum(terms) / static_cast<double>(k);
}

std::vector<std::size_t> numpyDescendingOrder(const std::vector<double>& scores) {
    std::vector<std::size_t> order = npcompat::argsortDefault(scores);
    std::reverse(order.begin(), order.end());
    return order;
}

std::vector<std::size_t> oksNms(const std::vector<PersonPose>& people, const OksNmsOptions& options) {
    std::vector<double> scores(people.size());
    for (std::size_t i = 0; i < people.size(); ++i) {
        checkKeypoints(people[i].keypoints, options, ("person " + std::to_string(i)).c_str());
        scores[i] = people[i].score;
    }
    std::vector<std::size_t> order = numpyDescendingOrder(scores);
    std::vector<std::size_t> keep;
    while (!order.empty()) {
        const std::size_t i = order.front();
        keep.push_back(i);
        std::vector<std::size_t> rest;
        for (std::size_t n = 1; n < order.size(); ++n) {
            const std::size_t j = order[n];
            const double overlap =
                oksOverlap(people[i].keypoints, people[j].keypoints, people[i].area, people[j].area, options);
            if (overlap <= options.oksThreshold) rest.push_back(j);  // np.where(oks_ovr <= thresh)
        }
        order = std::move(rest);
    }
    return keep;
}

std::vector<PosePrediction> rescoreAndNms(const std::vector<PersonPose>& people, const OksNmsOptions& options) {
    // Group by image in first-seen order (a Python dict keyed by image id).
    std::vector<int64_t> imageOrder;
    std::unordered_map<int64_t, std::vector<PersonPose>> byImage;
    for (std::size_t i = 0; i < people.size(); ++i) {
        checkKeypoints(people[i].keypoints, options, ("person " + std::to_string(i)).c_str());
        PersonPose p = people[i];
        if (options.float32Keypoints) {
            for (double& v : p.keypoints)
                v = static_cast<double>(static_cast<float>(v));
        }
        auto [it, inserted] = byImage.try_emplace(p.imageId);
        if (inserted) imageOrder.push_back(p.imageId);
        it->second.push_back(std::move(p));
    }
    std::vector<PosePrediction> results;
    for (int64_t imageId : imageOrder) {
        std::vector<PersonPose>& image = byImage[imageId];
        for (PersonPose& p : image)
            p.score = personScore(p.score, p.keypoints, options.inVisThreshold);
        for (std::size_t i : oksNms(image, options)) {
            PosePrediction r;
            r.imageId = imageId;
            r.categoryId = options.categoryId;
            r.keypoints = image[i].keypoints;
            r.score = image[i].score;
            results.push_back(std::move(r));
        }
    }
    return results;
}

}  // namespace posescope::analysis
