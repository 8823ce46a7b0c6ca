#include "posescope/models/heatmap_decode.h"

#include "heatmap_decode_detail.h"
#include "posescope/datasets/error.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <string>

namespace posescope::models {

namespace {

// One heatmap, row-major float32, as a NumPy view of hm[n, k] would be.
struct Map {
    const float* data;
    int h;
    int w;
    float at(int y, int x) const { return data[static_cast<int64_t>(y) * w + x]; }
};

// The float32 value of v, widened back. Through a volatile float on purpose: GCC 12.2 at -O2/-O3
// (Debian 12's compiler) drops the rounding of two adjacent (double)(float) round trips — x and y —
// when its SLP vectorizer merges them, silently keeping the float64 values.
double toFloat32(double v) {
    volatile float f = static_cast<float>(v);
    return f;
}

// np.amax: NaN propagates.
float nanMax(const float* v, int64_t n) {
    float m = v[0];
    for (int64_t i = 1; i < n; ++i) {
        if (std::isnan(m)) break;
        if (std::isnan(v[i]) || v[i] > m) m = v[i];
    }
    return m;
}

// get_max_preds for one map: np.argmax (the first maximum; the first NaN if any), x = idx % w,
// y = floor(idx / w) as float32, both zeroed unless maxval > 0.
Keypoint argmaxPred(const Map& m) {
    const int64_t n = static_cast<int64_t>(m.h) * m.w;
    int64_t best = 0;
    float value = m.data[0];
    if (!std::isnan(value)) {
        for (int64_t i = 1; i < n; ++i) {
            const float v = m.data[i];
            if (std::isnan(v)) {
                best = i;
                value = v;
                break;
            }
            if (v > value) {
                best = i;
                value = v;
            }
        }
    }
    Keypoint k;
    k.score = value;
    if (value > 0.0f) {
        k.x = static_cast<float>(best % m.w);
        k.y = static_cast<float>(best / m.w);
    }
    return k;
}

// HRNet's POST_PROCESS step (float32 differences, np.sign, ±0.25).
void quarterOffset(const Map& m, Keypoint& k) {
    const int px = static_cast<int>(std::floor(k.x + 0.5));
    const int py = static_cast<int>(std::floor(k.y + 0.5));
    if (!(1 < px && px < m.w - 1 && 1 < py && py < m.h - 1)) return;
    auto sign = [](float d) { return std::isnan(d) ? d : static_cast<float>((d > 0) - (d < 0)); };
    const float dx = m.at(py, px + 1) - m.at(py, px - 1);
    const float dy = m.at(py + 1, px) - m.at(py - 1, px);
    k.x = static_cast<float>(k.x) + sign(dx) * 0.25f;
    k.y = static_cast<float>(k.y) + sign(dy) * 0.25f;
}

// gaussian_blur + np.maximum(hm, 1e-10) + np.log for one map; `out` gets h × w float32 values.
void blurredLogMap(const Map& m, int kernel, float* out) {
    const int border = (kernel - 1) / 2;
    const int64_t n = static_cast<int64_t>(m.h) * m.w;
    const float originMax = nanMax(m.data, n);
    // dr = np.zeros(...) is float64: the blur runs on doubles, the result is stored back as float32.
    cv::Mat padded = cv::Mat::zeros(m.h + 2 * border, m.w + 2 * border, CV_64F);
    for (int y = 0; y < m.h; ++y) {
        double* row = padded.ptr<double>(y + border) + border;
        for (int x = 0; x < m.w; ++x)
            row[x] = m.at(y, x);
    }
    cv::Mat blurred;
    cv::GaussianBlur(padded, blurred, cv::Size(kernel, kernel), 0);
    for (int y = 0; y < m.h; ++y) {
        const double* row = blurred.ptr<double>(y + border) + border;
        for (int x = 0; x < m.w; ++x)
            out[static_cast<int64_t>(y) * m.w + x] = static_cast<float>(row[x]);
    }
    // hm *= origin_max / np.max(hm): a float32 scalar ratio, a float32 product.
    const float ratio = originMax / nanMax(out, n);
    const float minValue = 1e-10f;  // np.maximum(hm, 1e-10) runs in float32
    for (int64_t i = 0; i < n; ++i) {
        const float v = out[i] * ratio;
        out[i] = std::log(std::isnan(v) ? v : std::max(v, minValue));
    }
}

// taylor(): the official finite differences with NumPy 1.x scalar dtypes — float32 differences
// of float32 values; `2 * hm[..]`, `0.5 * …`, `0.25 * …` and everything after them in float64;
// the float32 coordinate gets the float64 offset added and is stored as float32 again.
void taylorStep(const Map& lg, Keypoint& k) {
    const int px = static_cast<int>(k.x);
    const int py = static_cast<int>(k.y);
    if (!(1 < px && px < lg.w - 2 && 1 < py && py < lg.h - 2)) return;
    const float c = lg.at(py, px);
    const double dx = 0.5 * static_cast<double>(lg.at(py, px + 1) - lg.at(py, px - 1));
    const double dy = 0.5 * static_cast<double>(lg.at(py + 1, px) - lg.at(py - 1, px));
    const double dxx =
        0.25 * ((static_cast<double>(lg.at(py, px + 2)) - 2.0 * static_cast<double>(c)) + lg.at(py, px - 2));
    const float sxy = ((lg.at(py + 1, px + 1) - lg.at(py - 1, px + 1)) - lg.at(py + 1, px - 1)) + lg.at(py - 1, px - 1);
    const double dxy = 0.25 * static_cast<double>(sxy);
    const double dyy =
        0.25 * ((static_cast<double>(lg.at(py + 2, px)) - 2.0 * static_cast<double>(c)) + lg.at(py - 2, px));
    const double det = dxx * dyy - dxy * dxy;
    if (det != 0) {
        // offset = −H⁻¹·[dx, dy] with H⁻¹ = [[dyy, −dxy], [−dxy, dxx]] / det. (NumPy inverts through
        // LAPACK; the two differ by float64 rounding only, far below the float32 result.)
        const double ox = -(dyy / det * dx - dxy / det * dy);
        const double oy = -(-dxy / det * dx + dxx / det * dy);
        k.x = toFloat32(k.x + ox);  // k.x already holds a float32 value
        k.y = toFloat32(k.y + oy);
    }
}

torch::Tensor asFloatCpu(const torch::Tensor& heatmaps, const DecodeOptions& options) {
    if (!heatmaps.defined() || heatmaps.dim() != 4)
        throw Error(
            "decodeHeatmaps: expected [N, K, h, w] heatmaps, got " +
            (heatmaps.defined() ? std::to_string(heatmaps.dim()) + " dimensions" : std::string("an undefined tensor")));
    if (heatmaps.size(2) == 0 || heatmaps.size(3) == 0)
        throw Error("decodeHeatmaps: empty heatmaps (" + std::to_string(heatmaps.size(2)) + " x " +
                    std::to_string(heatmaps.size(3)) + ")");
    if (options.method == DecodeMethod::Dark && (options.blurKernel < 3 || options.blurKernel % 2 == 0))
        throw Error("decodeHeatmaps: the DARK blur kernel must be odd and at least 3, got " +
                    std::to_string(options.blurKernel));
    return heatmaps.detach().to(torch::kCPU, torch::kFloat32).contiguous();
}

}  // namespace

namespace detail {

Keypoint argmaxPeak(const float* map, int h, int w) {
    return argmaxPred(Map{map, h, w});
}
void quarterOffsetStep(const float* map, int h, int w, Keypoint& k) {
    quarterOffset(Map{map, h, w}, k);
}
void darkLogMap(const float* map, int h, int w, int kernel, float* out) {
    blurredLogMap(Map{map, h, w}, kernel, out);
}
void taylorStep(const float* logMap, int h, int w, Keypoint& k) {
    posescope::models::taylorStep(Map{logMap, h, w}, k);
}

}  // namespace detail

std::vector<std::vector<Keypoint>> decodeHeatmaps(const torch::Tensor& heatmaps, const DecodeOptions& options) {
    const torch::Tensor hm = asFloatCpu(heatmaps, options);
    const int64_t n = hm.size(0);
    const int64_t k = hm.size(1);
    const int h = static_cast<int>(hm.size(2));
    const int w = static_cast<int>(hm.size(3));
    const int64_t plane = static_cast<int64_t>(h) * w;
    const float* base = hm.data_ptr<float>();

    std::vector<std::vector<Keypoint>> out(static_cast<size_t>(n), std::vector<Keypoint>(static_cast<size_t>(k)));
    at::parallel_for(0, n * k, 1, [&](int64_t begin, int64_t end) {
        std::vector<float> logMap;
        for (int64_t i = begin; i < end; ++i) {
            const Map m{base + i * plane, h, w};
            Keypoint kp = argmaxPred(m);
            if (options.method == DecodeMethod::ArgmaxQuarterOffset) {
                quarterOffset(m, kp);
            } else if (options.method == DecodeMethod::Dark) {
                logMap.resize(static_cast<size_t>(plane));
                blurredLogMap(m, options.blurKernel, logMap.data());
                taylorStep(Map{logMap.data(), h, w}, kp);
            }
            out[static_cast<size_t>(i / k)][static_cast<size_t>(i % k)] = kp;
        }
    });
    return out;
}

std::vector<std::vector<Keypoint>> heatmapToImage(std::vector<std::vector<Keypoint>> people,
                                                  const std::vector<CenterScale>& cs, cv::Size heatmapSize) {
    if (cs.size() != people.size())
        throw Error("heatmapToImage: " + std::to_string(cs.size()) + " center/scale entries for " +
                    std::to_string(people.size()) + " samples");
    for (size_t i = 0; i < people.size(); ++i) {
        for (Keypoint& kp : people[i]) {
            // transform_preds in float64, stored into the float32 preds array.
            const cv::Point2d p = fromCrop({kp.x, kp.y}, cs[i], heatmapSize);
            kp.x = toFloat32(p.x);
            kp.y = toFloat32(p.y);
        }
    }
    return people;
}

std::vector<std::vector<Keypoint>> decodeToImage(const torch::Tensor& heatmaps, const std::vector<CenterScale>& cs,
                                                 const DecodeOptions& options) {
    if (heatmaps.defined() && heatmaps.dim() == 4 && static_cast<int64_t>(cs.size()) != heatmaps.size(0))
        throw Error("decodeToImage: " + std::to_string(cs.size()) + " center/scale entries for " +
                    std::to_string(heatmaps.size(0)) + " heatmap samples");
    return heatmapToImage(decodeHeatmaps(heatmaps, options), cs,
                          cv::Size(static_cast<int>(heatmaps.size(3)), static_cast<int>(heatmaps.size(2))));
}

}  // namespace posescope::models
