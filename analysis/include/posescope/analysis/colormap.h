// Colormaps for maps and figures: matplotlib's perceptually uniform viridis, magma and cividis,
// and jet and nipy_spectral to reproduce the papers' figures (TransPose's visualisation uses
// nipy_spectral), plus gray.
//
// Usage:
//   const Colormap& cm = colormap("viridis");     // throws std::invalid_argument for unknown names
//   Rgb8 c = cm.at(0.25);                         // t in [0, 1], clamped; NaN → t = 0
//   cv::Mat rgb = cm.apply(values01);             // CV_32F in [0, 1] → CV_8UC3 RGB
//
// Each map is a 256-entry table as matplotlib samples it (N = 256), turned into bytes as
// matplotlib does (value·255, truncated). viridis, magma and cividis are interpolated linearly
// between matplotlib's entries at every 8th index (those entries are exact; the maps are smooth,
// so the rest differ by about a unit); jet and nipy_spectral are matplotlib's piecewise-linear
// segment definitions, evaluated as its lookup-table builder does.
// Thread-safety: the tables are built once, on first use (thread-safe), and are immutable.
#pragma once

#include <opencv2/core.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace posescope::analysis {

struct Rgb8 {
    uint8_t r = 0, g = 0, b = 0;
};

class Colormap {
public:
    Colormap(std::string name, const std::array<Rgb8, 256>& table) : m_name(std::move(name)), m_table(table) {}
    const std::string& name() const { return m_name; }
    /// The colour at t ∈ [0, 1] (clamped; NaN maps to 0): entry min(int(t·256), 255), as matplotlib.
    Rgb8 at(double t) const;
    const std::array<Rgb8, 256>& table() const { return m_table; }
    /// CV_32F values in [0, 1] → CV_8UC3 RGB.
    cv::Mat apply(const cv::Mat& values01) const;

private:
    std::string m_name;
    std::array<Rgb8, 256> m_table;
};

/// "viridis", "magma", "cividis", "jet", "nipy_spectral", "gray".
const std::vector<std::string>& colormapNames();
const Colormap& colormap(const std::string& name);

}  // namespace posescope::analysis
