#include "posescope/analysis/colormap.h"

#include "colormap_data.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

namespace posescope::analysis {

namespace {

uint8_t byte(double v) {  // matplotlib's bytes=True: (lut * 255).astype(uint8) after clipping
    return static_cast<uint8_t>(std::clamp(v, 0.0, 1.0) * 255.0);
}

template <size_t N>
std::array<Rgb8, 256> fromListed(const cmdata::Listed (&points)[N]) {
    std::array<Rgb8, 256> t{};
    for (size_t i = 0; i + 1 < N; ++i) {
        const cmdata::Listed &a = points[i], &b = points[i + 1];
        for (int k = a.index; k <= b.index; ++k) {
            const double f = static_cast<double>(k - a.index) / (b.index - a.index);
            t[static_cast<size_t>(k)] = {byte(a.r + f * (b.r - a.r)), byte(a.g + f * (b.g - a.g)),
                                         byte(a.b + f * (b.b - a.b))};
        }
    }
    return t;
}

// matplotlib's _create_lookup_table(256, segments): x scaled to 0…255, each entry i between
// control points j−1 and j interpolates from y1[j−1] to y0[j]; entry 0 is y1[0], entry 255 y0[last].
template <size_t N>
std::array<double, 256> channel(const cmdata::Segment (&s)[N]) {
    std::array<double, 256> out{};
    out[0] = s[0].y1;
    out[255] = s[N - 1].y0;
    for (int i = 1; i < 255; ++i) {
        size_t j = 0;  // numpy's searchsorted(x, i): the first j with x[j] >= i
        while (j < N && s[j].x * 255.0 < i)
            ++j;
        const double x0 = s[j - 1].x * 255.0, x1 = s[j].x * 255.0;
        const double d = (i - x0) / (x1 - x0);
        out[static_cast<size_t>(i)] = d * (s[j].y0 - s[j - 1].y1) + s[j - 1].y1;
    }
    return out;
}

template <size_t R, size_t G, size_t B>
std::array<Rgb8, 256> fromSegments(const cmdata::Segment (&r)[R], const cmdata::Segment (&g)[G],
                                   const cmdata::Segment (&b)[B]) {
    const auto cr = channel(r), cg = channel(g), cb = channel(b);
    std::array<Rgb8, 256> t{};
    for (size_t i = 0; i < 256; ++i)
        t[i] = {byte(cr[i]), byte(cg[i]), byte(cb[i])};
    return t;
}

std::array<Rgb8, 256> grayTable() {
    std::array<Rgb8, 256> t{};
    for (size_t i = 0; i < 256; ++i)
        t[i] = {byte(i / 255.0), byte(i / 255.0), byte(i / 255.0)};
    return t;
}

const std::map<std::string, Colormap>& registry() {
    static const std::map<std::string, Colormap> maps = [] {
        std::map<std::string, Colormap> m;
        m.emplace("viridis", Colormap("viridis", fromListed(cmdata::kViridis)));
        m.emplace("magma", Colormap("magma", fromListed(cmdata::kMagma)));
        m.emplace("cividis", Colormap("cividis", fromListed(cmdata::kCividis)));
        m.emplace("jet", Colormap("jet", fromSegments(cmdata::kJetRed, cmdata::kJetGreen, cmdata::kJetBlue)));
        m.emplace("nipy_spectral",
                  Colormap("nipy_spectral", fromSegments(cmdata::kNipySpectralRed, cmdata::kNipySpectralGreen,
                                                         cmdata::kNipySpectralBlue)));
        m.emplace("gray", Colormap("gray", grayTable()));
        return m;
    }();
    return maps;
}

}  // namespace

Rgb8 Colormap::at(double t) const {
    if (!(t > 0)) return m_table[0];  // also NaN
    return m_table[static_cast<size_t>(std::min(255.0, std::floor(t * 256.0)))];
}

cv::Mat Colormap::apply(const cv::Mat& values01) const {
    CV_Assert(values01.type() == CV_32F);
    cv::Mat out(values01.size(), CV_8UC3);
    for (int y = 0; y < values01.rows; ++y) {
        const float* v = values01.ptr<float>(y);
        auto* o = out.ptr<cv::Vec3b>(y);
        for (int x = 0; x < values01.cols; ++x) {
            const Rgb8 c = at(v[x]);
            o[x] = {c.r, c.g, c.b};
        }
    }
    return out;
}

const std::vector<std::string>& colormapNames() {
    static const std::vector<std::string> names = {"viridis", "magma", "cividis", "jet", "nipy_spectral", "gray"};
    return names;
}

const Colormap& colormap(const std::string& name) {
    const auto& maps = registry();
    const auto it = maps.find(name);
    if (it == maps.end()) {
        std::string known;
        for (const auto& n : colormapNames())
            known += (known.empty() ? "" : ", ") + n;
        throw std::invalid_argument("unknown colormap '" + name + "' (known: " + known + ")");
    }
    return it->second;
}

}  // namespace posescope::analysis
