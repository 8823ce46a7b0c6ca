// The training sample of the official heatmap pipelines (JointsDataset.__getitem__ and
// generate_target of the TransPose/DarkPose code): augmentation, crop and Gaussian targets.
#include "posescope/analysis/train.h"

#include "posescope/datasets/crop.h"

#include <opencv2/core.hpp>

#include <algorithm>
#include <cmath>
#include <random>

namespace posescope::analysis {
namespace {

// COCO's upper body (JointsDataset.upper_body_ids for coco.py) and MPII's (mpii.py).
std::vector<bool> upperBody(int joints) {
    std::vector<bool> upper(static_cast<size_t>(joints), false);
    if (joints == 17) {
        for (int i = 0; i <= 10; ++i)
            upper[static_cast<size_t>(i)] = true;
    } else if (joints == 16) {
        for (int i = 7; i <= 15; ++i)
            upper[static_cast<size_t>(i)] = true;
    }
    return upper;
}

// half_body_transform: the box of the upper or the lower body's labelled joints, ×1.5.
bool halfBody(const std::vector<double>& joints, int count, double aspect, std::mt19937_64& rng, CenterScale& cs) {
    const std::vector<bool> upperIds = upperBody(count);
    std::vector<cv::Point2d> upper, lower;
    for (int j = 0; j < count; ++j) {
        if (joints[3 * j + 2] <= 0) continue;
        const cv::Point2d p(joints[3 * j], joints[3 * j + 1]);
        (upperIds[static_cast<size_t>(j)] ? upper : lower).push_back(p);
    }
    std::normal_distribution<double> normal(0, 1);
    const std::vector<cv::Point2d>* chosen = nullptr;
    if (normal(rng) < 0.5 && upper.size() > 2)
        chosen = &upper;
    else
        chosen = lower.size() > 2 ? &lower : &upper;
    if (chosen->size() < 2) return false;
    double sx = 0, sy = 0, minX = 1e300, minY = 1e300, maxX = -1e300, maxY = -1e300;
    for (const cv::Point2d& p : *chosen) {
        sx += p.x;
        sy += p.y;
        minX = std::min(minX, p.x);
        minY = std::min(minY, p.y);
        maxX = std::max(maxX, p.x);
        maxY = std::max(maxY, p.y);
    }
    double w = maxX - minX + 1, h = maxY - minY + 1;
    if (w > aspect * h)
        h = w / aspect;
    else if (w < aspect * h)
        w = h * aspect;
    cs.cx = static_cast<float>(sx / static_cast<double>(chosen->size()));
    cs.cy = static_cast<float>(sy / static_cast<double>(chosen->size()));
    cs.sw = static_cast<float>(w / 200.0 * 1.5);
    cs.sh = static_cast<float>(h / 200.0 * 1.5);
    return true;
}

}  // namespace

void gaussianTargets(const std::vector<double>& joints, cv::Size heatmapSize, double sigma, std::vector<float>& target,
                     std::vector<float>& weight) {
    const int count = static_cast<int>(joints.size() / 3);
    const int w = heatmapSize.width, h = heatmapSize.height;
    target.assign(static_cast<size_t>(count) * static_cast<size_t>(w) * static_cast<size_t>(h), 0.0f);
    weight.assign(static_cast<size_t>(count), 0.0f);
    const double tmp = 3 * sigma;
    const float twoSigma2 = static_cast<float>(2 * sigma * sigma);
    for (int j = 0; j < count; ++j) {
        const double muX = joints[3 * j], muY = joints[3 * j + 1];
        if (joints[3 * j + 2] <= 0) continue;
        // adjust_target_weight: Python's int() truncates towards zero.
        const long ulX = static_cast<long>(muX - tmp), ulY = static_cast<long>(muY - tmp);
        const long brX = static_cast<long>(muX + tmp + 1), brY = static_cast<long>(muY + tmp + 1);
        if (ulX >= w || ulY >= h || brX < 0 || brY < 0) continue;
        weight[static_cast<size_t>(j)] = 1.0f;
        // NumPy float32 arithmetic: the float64 centre is cast to float32 against the float32 grid.
        const float mx = static_cast<float>(muX), my = static_cast<float>(muY);
        float* out = target.data() + static_cast<size_t>(j) * static_cast<size_t>(w) * static_cast<size_t>(h);
        for (int y = 0; y < h; ++y) {
            const float dy = static_cast<float>(y) - my;
            for (int x = 0; x < w; ++x) {
                const float dx = static_cast<float>(x) - mx;
                out[y * w + x] = std::exp(-(dx * dx + dy * dy) / twoSigma2);
            }
        }
    }
}

TrainingSample makeTrainingSample(const cv::Mat& image, const PersonAnnotation& annotation, const Box& box,
                                  cv::Size inputSize, cv::Size heatmapSize, double sigma,
                                  const std::vector<std::pair<int, int>>& flipPairs, const AugmentOptions& augment,
                                  uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal(0, 1);
    std::uniform_real_distribution<double> uniform(0, 1);
    const int count = annotation.keypointCount();
    std::vector<double> joints(static_cast<size_t>(count) * 3);
    int labelled = 0;
    for (int j = 0; j < count; ++j) {
        joints[3 * j] = annotation.keypoints[3 * j];
        joints[3 * j + 1] = annotation.keypoints[3 * j + 1];
        joints[3 * j + 2] = annotation.keypoints[3 * j + 2] > 0 ? 1 : 0;
        labelled += annotation.keypoints[3 * j + 2] > 0;
    }
    const double aspect = static_cast<double>(inputSize.width) / inputSize.height;
    CenterScale cs = boxToCenterScale(box, aspect, 1.25);
    if (labelled > augment.halfBodyMinJoints && uniform(rng) < augment.halfBodyProbability)
        halfBody(joints, count, aspect, rng, cs);
    const double sf = augment.scaleFactor, rf = augment.rotationFactor;
    const double s = std::clamp(normal(rng) * sf + 1, 1 - sf, 1 + sf);
    cs.sw = static_cast<float>(cs.sw * s);
    cs.sh = static_cast<float>(cs.sh * s);
    const double rotation =
        uniform(rng) <= augment.rotationProbability ? std::clamp(normal(rng) * rf, -2 * rf, 2 * rf) : 0.0;
    cv::Mat source = image;
    if (augment.flip && uniform(rng) <= 0.5) {
        source = cv::Mat();  // a buffer of its own: cv::flip must not write into the caller's image
        cv::flip(image, source, 1);
        const int width = image.cols;
        for (int j = 0; j < count; ++j)
            if (joints[3 * j + 2] > 0) joints[3 * j] = width - joints[3 * j] - 1;
        for (const auto& [a, b] : flipPairs) {
            if (a >= count || b >= count) continue;
            for (int c = 0; c < 3; ++c)
                std::swap(joints[3 * a + c], joints[3 * b + c]);
        }
        cs.cx = static_cast<float>(width - cs.cx - 1);
    }
    TrainingSample out;
    out.input = cropPerson(source, cs, inputSize, rotation);
    const cv::Mat t = cropTransform(cs, heatmapSize, rotation);
    for (int j = 0; j < count; ++j) {
        if (joints[3 * j + 2] <= 0) continue;
        const double x = joints[3 * j], y = joints[3 * j + 1];
        joints[3 * j] = t.at<double>(0, 0) * x + t.at<double>(0, 1) * y + t.at<double>(0, 2);
        joints[3 * j + 1] = t.at<double>(1, 0) * x + t.at<double>(1, 1) * y + t.at<double>(1, 2);
    }
    if (sigma > 0) {
        gaussianTargets(joints, heatmapSize, sigma, out.target, out.weight);
    } else {  // no maps (SimCC builds its labels from the joints): the weights are the labels
        out.weight.assign(static_cast<size_t>(count), 0.0f);
        for (int j = 0; j < count; ++j)
            out.weight[static_cast<size_t>(j)] = joints[3 * j + 2] > 0 ? 1.0f : 0.0f;
    }
    out.joints = std::move(joints);
    return out;
}

}  // namespace posescope::analysis
