#include "posescope/analysis/figure.h"

#include "figure_draw.h"
#include "posescope/analysis/colormap.h"
#include "posescope/analysis/run_pairing.h"
#include "posescope/analysis/run_store.h"
#include "posescope/analysis/scale_analysis.h"
#include "posescope/datasets/error.h"

#include <QFont>
#include <QGuiApplication>
#include <QImage>
#include <QPainter>
#include <QPainterPath>

#include <opencv2/imgproc.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <tuple>

namespace posescope::analysis {

namespace fs = std::filesystem;

void ensureGuiApplication() {
    if (QGuiApplication::instance()) return;
    if (std::getenv("QT_QPA_PLATFORM") == nullptr) setenv("QT_QPA_PLATFORM", "offscreen", 1);
    if (std::getenv("XDG_RUNTIME_DIR") == nullptr) {  // else Qt warns on every start
        const std::string runtime = "/tmp/posescope-runtime-" + std::to_string(::getuid());
        struct stat st {};
        if ((::mkdir(runtime.c_str(), 0700) == 0 || errno == EEXIST) && ::lstat(runtime.c_str(), &st) == 0 &&
            S_ISDIR(st.st_mode) && st.st_uid == ::getuid())
            setenv("XDG_RUNTIME_DIR", runtime.c_str(), 1);
    }
    static int argc = 1;
    static char name[] = "posescope";
    static char* argv[] = {name, nullptr};
    static QGuiApplication* app = new QGuiApplication(argc, argv);  // lives as long as the process
    (void)app;
}

// ---------------------------------------------------------------------------------------------
// Layout and drawing. Units are points (1/72 inch).

namespace figure_draw {

QColor sideColour(const std::string& a, const std::string& b) {
    auto side = [](const std::string& n) {
        if (n.find("left") != std::string::npos || n.rfind("l_", 0) == 0) return 1;
        if (n.find("right") != std::string::npos || n.rfind("r_", 0) == 0) return 2;
        return 0;
    };
    const int s = std::max(side(a), side(b));
    if (s == 1) return QColor(31, 119, 180);  // left: blue
    if (s == 2) return QColor(255, 127, 14);  // right: orange
    return QColor(44, 160, 44);               // centre: green
}

QImage toQImage(const cv::Mat& rgb) {
    return QImage(rgb.data, rgb.cols, rgb.rows, static_cast<int>(rgb.step), QImage::Format_RGB888).copy();
}

// The resolved query columns of a figure.
struct Column {
    int keypoint = -1;  // −1: the chosen point (dependencies) or the maximum (heatmaps)
    QString title;
};

struct Plan {
    std::vector<int> layers;      // rows (dependencies); {-1} for heatmaps / pose
    std::vector<Column> columns;  // map columns
    bool poseColumn = false;
    double panelW = 0, panelH = 0, labelW = 0, headerH = 0;
    FigureLayout layout;
};

void require(bool ok, const std::string& what) {
    if (!ok) throw Error("figure: " + what);
}

void checkCommon(const RunHeader& h, const FigureSpec& s, int64_t runSize) {
    require(std::find(colormapNames().begin(), colormapNames().end(), s.colormap) != colormapNames().end(),
            "unknown colormap \"" + s.colormap + "\"");
    require(s.panelWidthMm >= 2 && s.panelWidthMm <= 500, "panel width must be 2 … 500 mm");
    require(s.dpi >= 10 && s.dpi <= 2400, "dpi must be 10 … 2400");
    for (int64_t r : s.rows)
        require(r >= 0 && r < runSize,
                "row " + std::to_string(r) + " is not in the run (" + std::to_string(runSize) + " samples)");
    require(s.head >= -1 && s.head < h.heads,
            "head " + std::to_string(s.head) + " out of range (the run has " + std::to_string(h.heads) + ")");
    require(s.mhsaHead >= -1 && s.mhsaHead < std::max(1, h.mhsaHeads), "MHSA head " + std::to_string(s.mhsaHead) +
                                                                           " out of range (the run's MHSA has " +
                                                                           std::to_string(h.mhsaHeads) + ")");
}

// Rows of a dependency figure are encoder layers (≥ 0) or BoT MHSA blocks, kept as kMhsaRow − b.
constexpr int kMhsaRow = -10;
// The row (and panel layer) of a sensitivity figure's maps.
constexpr int kSensitivityRow = -4;
bool isMhsaRow(int row) {
    return row <= kMhsaRow;
}
QString rowLabel(int row) {
    return isMhsaRow(row) ? QStringLiteral("MHSA %1").arg(kMhsaRow - row + 1) : QStringLiteral("layer %1").arg(row + 1);
}

// Sensitivity and targeted figures have a caption line above their column titles.
constexpr double kCaptionH = kFontPt * 1.6;
bool hasCaption(const FigureSpec& s) {
    return s.kind == FigureKind::Sensitivity || s.kind == FigureKind::Targeted;
}

// What a sensitivity measure is, with its unit when `unit`.
QString measureLabel(SensitivityMeasure m, bool unit = true) {
    switch (m) {
        case SensitivityMeasure::ScoreDrop: return QStringLiteral("score drop");
        case SensitivityMeasure::Displacement:
            return unit ? QStringLiteral("displacement (image px)") : QStringLiteral("displacement");
        case SensitivityMeasure::OksDrop: return QStringLiteral("OKS drop");
    }
    return QStringLiteral("score drop");
}

// The caption line of sensitivity and targeted figures.
QString caption(const RunHeader& h, const FigureSpec& s) {
    if (s.kind == FigureKind::Sensitivity)
        return QStringLiteral("sensitivity to a %1 px occluder (stride %2): %3")
            .arg(h.occlusionWindow)
            .arg(h.occlusionStride)
            .arg(measureLabel(s.measure));
    if (!s.part.empty()) {
        const QString text =
            QStringLiteral("the %1 hidden (%2 px around its keypoints)").arg(label(s.part)).arg(h.targetedMargin);
        const auto w = static_cast<size_t>(s.keypoints.empty() ? h.keypointNames.size() : s.keypoints.front());
        return w < h.keypointNames.size() ? text + QStringLiteral(": %1's maps").arg(label(h.keypointNames[w])) : text;
    }
    const auto k = static_cast<size_t>(s.keypoints.empty() ? 0 : s.keypoints.front());
    return QStringLiteral("%1's region hidden (%2 px margin)")
        .arg(k < h.keypointNames.size() ? label(h.keypointNames[k]) : QString())
        .arg(h.targetedMargin);
}

// Figure points → crop pixels for a panel showing the whole crop.
std::array<double, 6> panelToCrop(double x, double y, double width, int cropWidth) {
    const double k = cropWidth / width;
    return {k, 0, -x * k, 0, k, -y * k};
}

// ---- Scales figures: three plots over the whole run, one above the other.

// The bands of a scales spec (checked when the spec was read; Error here for one built in code).
std::vector<AreaRange> scaleBands(const FigureSpec& s) {
    if (s.bands.empty()) return defaultScaleBands();
    try {
        return parseScaleBands(s.bands);
    } catch (const EvaluationError& e) {
        throw Error(std::string("figure: bands: ") + e.what());
    }
}

struct ScalesGeometry {
    double x0 = 0, w = 0, h = 0;  // the plot areas' left edge, width and height
    std::array<double, 3> top{};  // each plot area's top: AP, keypoint errors, quantisation
    double width = 0, height = 0;
    std::vector<QString> metrics, bands, decoders;  // the legends
};

ScalesGeometry scalesGeometry(const RunHeader& h, const FigureSpec& s) {
    ScalesGeometry g;
    g.metrics = {QStringLiteral("AP"), QStringLiteral("AP50"), QStringLiteral("AP75")};
    for (const AreaRange& b : scaleBands(s))
        g.bands.push_back(QString::fromStdString(b.label));
    for (QuantisationDecoder d : QuantisationOptions().decoders)
        g.decoders.push_back(QString::fromStdString(quantisationDecoderName(d)));
    g.w = s.panelWidthMm * 72.0 / 25.4 * 5;
    g.h = g.w * 0.3;
    g.x0 = kMargin + kAxisWidth;
    double names = 0;  // the keypoint names under the error bars, turned upright
    for (const std::string& n : h.keypointNames)
        names = std::max(names, textWidth(label(n), kSmallFontPt));
    double y = kMargin + kTitleH + legendRows(g.metrics, g.w) * kLegendRowH;
    g.top[0] = y;
    y += g.h + kSmallFontPt * 3.2 + kFontPt;  // band names and persons
    y += kTitleH + legendRows(g.bands, g.w) * kLegendRowH;
    g.top[1] = y;
    y += g.h + 2 + names + kFontPt * 1.5;
    y += kTitleH + legendRows(g.decoders, g.w) * kLegendRowH;
    g.top[2] = y;
    y += g.h + kFontPt * 2.2 + kSmallFontPt * 1.8;  // ticks and axis label, the note
    g.width = g.x0 + g.w + kMargin * 2;
    g.height = y + kMargin;
    return g;
}

Plan plan(const RunHeader& h, const FigureSpec& s, int64_t runSize) {
    checkCommon(h, s, runSize);
    Plan p;
    const int L = h.layers, K = h.keypoints();
    if (s.kind == FigureKind::Scales) {  // three plots over the run: no panels
        const ScalesGeometry g = scalesGeometry(h, s);
        p.panelW = g.w;
        p.panelH = g.h;
        p.layout.width = g.width;
        p.layout.height = g.height;
        p.layout.cropWidth = h.inputWidth;
        p.layout.cropHeight = h.inputHeight;
        return p;
    }
    if (s.kind == FigureKind::Pruning) {  // a plot over the run: no panels
        require(h.pruningStages() > 0, "pruning figures need a run of a token-pruning model (PPT)");
        for (int k : s.keypoints)
            require(k >= 0 && k < K,
                    "keypoint " + std::to_string(k) + " out of range (the run has " + std::to_string(K) + ")");
        p.panelW = s.panelWidthMm * 72.0 / 25.4 * 3;
        p.panelH = p.panelW * 0.55;
        p.layout.width = kMargin + kAxisWidth + p.panelW + kMargin * 2;
        p.layout.height = kMargin + kFontPt * 2 + p.panelH + kFontPt * 3 + kMargin;
        p.layout.cropWidth = h.inputWidth;
        p.layout.cropHeight = h.inputHeight;
        return p;
    }
    if (s.kind == FigureKind::Tokens) {
        require(h.pruningStages() > 0, "token figures need a run of a token-pruning model (PPT)");
        std::vector<int> shown = s.layers;
        if (shown.empty())
            for (int l : h.pruningLayers)
                shown.push_back(std::min(L - 1, l + 1));  // the first layer after each pruning
        for (int l : shown)
            require(l >= 0 && l < L,
                    "layer " + std::to_string(l) + " out of range (the run has " + std::to_string(L) + " layers)");
        p.panelW = s.panelWidthMm * 72.0 / 25.4 * 1.5;
        p.panelH = p.panelW * h.inputHeight / std::max(1, h.inputWidth);
        p.headerH = kFontPt * 1.5;
        const double y = kMargin + p.headerH;
        for (size_t i = 0; i < shown.size(); ++i) {
            const double x = kMargin + static_cast<double>(i) * (p.panelW + kGap);
            p.layout.panels.push_back(
                {x, y, p.panelW, p.panelH, shown[i], -1, -1, panelToCrop(x, y, p.panelW, h.inputWidth)});
            p.columns.push_back({-1, QString()});
        }
        p.layers = shown;
        const double gridW = static_cast<double>(shown.size()) * (p.panelW + kGap) - kGap;
        p.layout.width = kMargin + gridW + (s.showColorbar ? kBarGap + kBarWidth + kTickWidth : 0) + kMargin;
        p.layout.height = y + p.panelH + kMargin;
        p.layout.cropWidth = h.inputWidth;
        p.layout.cropHeight = h.inputHeight;
        return p;
    }
    if (s.kind == FigureKind::Layerwise) {  // a plot: no panels
        require(s.keypoints.size() <= 1, "a layer-wise plot shows one keypoint");
        for (int k : s.keypoints)
            require(k >= 0 && k < K,
                    "keypoint " + std::to_string(k) + " out of range (the run has " + std::to_string(K) + ")");
        p.panelW = s.panelWidthMm * 72.0 / 25.4 * 3;
        p.panelH = p.panelW * 0.55;
        p.layout.width = kMargin + kAxisWidth + p.panelW + kAxisWidth + kMargin;
        p.layout.height = kMargin + kFontPt * 2 + p.panelH + kFontPt * 3 + kSmallFontPt * 3.2 + kMargin;
        p.layout.cropWidth = h.inputWidth;
        p.layout.cropHeight = h.inputHeight;
        return p;
    }
    // The spec's layers (every layer when it names none), each checked against the run.
    const auto specLayers = [&] {
        std::vector<int> layers = s.layers;
        if (layers.empty())
            for (int l = 0; l < L; ++l)
                layers.push_back(l);
        for (int l : layers)
            require(l >= 0 && l < L,
                    "layer " + std::to_string(l) + " out of range (the run has " + std::to_string(L) + " layers)");
        return layers;
    };
    if (s.kind == FigureKind::Dependencies) {
        for (int b : s.mhsaBlocks)
            require(b >= 0 && b < h.mhsaBlocks, "MHSA block " + std::to_string(b) + " out of range (the run has " +
                                                    std::to_string(h.mhsaBlocks) + ")");
        p.layers = specLayers();
        p.poseColumn = s.showPose;
        for (auto b = s.mhsaBlocks.rbegin(); b != s.mhsaBlocks.rend(); ++b)
            p.layers.insert(p.layers.begin(), kMhsaRow - *b);
    } else if (s.kind == FigureKind::Targeted) {
        require(s.keypoints.size() <= 1, "a targeted figure shows one hidden keypoint");
        require(s.part.empty() || s.keypoints.empty() || h.targetedAllRows,
                "the run keeps only the hidden keypoints' rows after a targeted occlusion, so a keypoint's maps with "
                "a body part hidden need a run recorded with posescope-cli occlude --targeted-all-rows");
        p.layers = specLayers();
    } else if (s.kind == FigureKind::Sensitivity) {
        p.layers = {kSensitivityRow};
    } else {
        p.layers = {-1};
    }
    if (s.kind != FigureKind::Pose) {
        if (s.kind == FigureKind::Dependencies && s.usePoint) {
            p.columns.push_back({-1, QStringLiteral("(%1, %2)").arg(s.pointX, 0, 'f', 0).arg(s.pointY, 0, 'f', 0)});
        } else if (s.kind == FigureKind::Targeted) {  // before and after hiding the keypoint's or part's region
            int k = s.keypoints.empty() ? 0 : s.keypoints.front();
            require(k >= 0 && k < K,
                    "keypoint " + std::to_string(k) + " out of range (the run has " + std::to_string(K) + ")");
            if (!s.part.empty()) {
                k = -1;
                std::string known;
                for (int r = K; r < h.targetedRegions(); ++r) {
                    if (h.targetedRegionName(r) == s.part) k = r;
                    known += (known.empty() ? "" : ", ") + h.targetedRegionName(r);
                }
                require(k >= 0, "the run has no targeted body part \"" + s.part +
                                    "\" (it has: " + (known.empty() ? std::string("none") : known) + ")");
            }
            p.columns.push_back({k, QStringLiteral("before")});
            p.columns.push_back({k, QStringLiteral("after")});
        } else {
            std::vector<int> ks = s.keypoints;
            if (ks.empty())
                for (int k = 0; k < K; ++k)
                    ks.push_back(k);
            for (int k : ks) {
                require(k >= 0 && k < K,
                        "keypoint " + std::to_string(k) + " out of range (the run has " + std::to_string(K) + ")");
                p.columns.push_back({k, label(h.keypointNames[static_cast<size_t>(k)])});
            }
            if (s.kind == FigureKind::Heatmaps) p.columns.push_back({-1, QStringLiteral("max")});
        }
    }
    const double scale = s.kind == FigureKind::Pose ? 3.0 : 1.0;
    p.panelW = s.panelWidthMm * 72.0 / 25.4 * scale;
    p.panelH = p.panelW * h.inputHeight / std::max(1, h.inputWidth);
    const bool rowLabels = s.kind == FigureKind::Dependencies || s.kind == FigureKind::Targeted;
    if (rowLabels)
        for (int l : p.layers)
            p.labelW = std::max(p.labelW, textWidth(rowLabel(l), kFontPt) + 3);
    const bool headers = s.kind != FigureKind::Pose;
    p.headerH = headers ? kFontPt * 1.5 : 0;
    if (hasCaption(s)) p.headerH += kCaptionH;
    FigureLayout& lay = p.layout;
    lay.cropWidth = h.inputWidth;
    lay.cropHeight = h.inputHeight;
    const int ncols = static_cast<int>(p.columns.size()) + (p.poseColumn || s.kind == FigureKind::Pose ? 1 : 0);
    const int nrows = static_cast<int>(p.layers.size());
    const double x0 = kMargin + p.labelW, y0 = kMargin + p.headerH;
    for (int r = 0; r < nrows; ++r) {
        int c = 0;
        auto add = [&](int layer, int keypoint) {
            const double x = x0 + c * (p.panelW + kGap), y = y0 + r * (p.panelH + kGap);
            const bool mhsa = isMhsaRow(layer);
            lay.panels.push_back({x, y, p.panelW, p.panelH, mhsa ? -3 : layer, mhsa ? kMhsaRow - layer : -1, keypoint,
                                  panelToCrop(x, y, p.panelW, h.inputWidth)});
            ++c;
        };
        if (p.poseColumn || s.kind == FigureKind::Pose) add(-1, -1);
        for (const Column& col : p.columns)
            add(s.kind == FigureKind::Heatmaps ? -2 : p.layers[static_cast<size_t>(r)], col.keypoint);
    }
    const double gridW = ncols * p.panelW + (ncols - 1) * kGap, gridH = nrows * p.panelH + (nrows - 1) * kGap;
    const bool bar = s.showColorbar && s.kind != FigureKind::Pose;
    lay.width = x0 + gridW + (bar ? kBarGap + kBarWidth + kTickWidth : 0) + kMargin;
    if (hasCaption(s)) lay.width = std::max(lay.width, x0 + textWidth(caption(h, s), kFontPt) + kMargin);
    lay.height = y0 + gridH + kMargin;
    return p;
}

// An image figure's frame: the part of the image it shows and the maps between image and crop.
struct ImageFrame {
    cv::Rect region;                  // image pixels
    std::array<double, 6> toCrop{};   // image → crop pixels
    std::array<double, 6> toImage{};  // crop → image pixels
};

std::array<double, 2> apply(const std::array<double, 6>& m, double x, double y) {
    return {m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5]};
}

ImageFrame imageFrame(const FigureSpec& s, cv::Size imageSize, const std::array<double, 6>& toCrop, int cropW,
                      int cropH) {
    ImageFrame f;
    f.toCrop = toCrop;
    cv::Mat t(2, 3, CV_64F), inv;
    for (int i = 0; i < 6; ++i)
        t.at<double>(i / 3, i % 3) = toCrop[static_cast<size_t>(i)];
    cv::invertAffineTransform(t, inv);
    for (int i = 0; i < 6; ++i)
        f.toImage[static_cast<size_t>(i)] = inv.at<double>(i / 3, i % 3);
    const cv::Rect whole(0, 0, imageSize.width, imageSize.height);
    f.region = whole;
    if (s.wholeImage) return f;
    double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300;
    for (const auto& [cx, cy] : {std::pair<int, int>{0, 0}, {cropW, 0}, {0, cropH}, {cropW, cropH}}) {
        const auto q = apply(f.toImage, cx, cy);
        x0 = std::min(x0, q[0]), x1 = std::max(x1, q[0]), y0 = std::min(y0, q[1]), y1 = std::max(y1, q[1]);
    }
    const double mx = s.context * (x1 - x0), my = s.context * (y1 - y0);
    const int left = static_cast<int>(std::floor(x0 - mx)), top = static_cast<int>(std::floor(y0 - my));
    const cv::Rect r =
        cv::Rect(left, top, static_cast<int>(std::ceil(x1 + mx)) - left, static_cast<int>(std::ceil(y1 + my)) - top) &
        whole;
    if (r.width > 1 && r.height > 1) f.region = r;  // else the person lies outside: the whole image
    return f;
}

Plan planImage(const RunHeader& h, const FigureSpec& s, int64_t runSize, const ImageFrame& f) {
    checkCommon(h, s, runSize);
    const int K = h.keypoints(), L = h.layers;
    for (int k : s.keypoints)
        require(k >= 0 && k < K,
                "keypoint " + std::to_string(k) + " out of range (the run has " + std::to_string(K) + ")");
    for (int l : s.layers)
        require(l >= 0 && l < L,
                "layer " + std::to_string(l) + " out of range (the run has " + std::to_string(L) + " layers)");
    Plan p;
    int layer = -1, keypoint = -1;
    QString title;
    auto name = [&](int k) { return label(h.keypointNames[static_cast<size_t>(k)]); };
    if (s.overlay == ImageOverlay::Heatmap) {
        layer = -2;
        keypoint = s.keypoints.empty() ? -1 : s.keypoints.front();
        title = QStringLiteral("heatmap · %1").arg(keypoint < 0 ? QStringLiteral("max") : name(keypoint));
    } else if (s.overlay == ImageOverlay::Dependency) {
        require(L > 0, "a dependency overlay needs a run with attention layers");
        layer = s.layers.empty() ? L - 1 : s.layers.front();
        keypoint = s.usePoint ? -1 : s.keypoints.empty() ? 0 : s.keypoints.front();
        const QString query = keypoint >= 0
                                  ? name(keypoint)
                                  : QStringLiteral("(%1, %2)").arg(s.pointX, 0, 'f', 0).arg(s.pointY, 0, 'f', 0);
        title = QStringLiteral("layer %1 · %2 · %3")
                    .arg(layer + 1)
                    .arg(query,
                         s.direction == MapDirection::Affect ? QStringLiteral("affect") : QStringLiteral("dependency"));
    } else if (s.overlay == ImageOverlay::Sensitivity) {
        layer = kSensitivityRow;
        keypoint = s.keypoints.empty() ? 0 : s.keypoints.front();
        title = QStringLiteral("sensitivity · %1 · %2").arg(name(keypoint), measureLabel(s.measure));
    }
    p.layers = {layer};
    p.columns.push_back({keypoint, title});
    p.panelW = s.panelWidthMm * 72.0 / 25.4 * 3;
    p.panelH = p.panelW * f.region.height / std::max(1, f.region.width);
    p.headerH = s.overlay != ImageOverlay::None ? kFontPt * 1.5 : 0;
    const double x = kMargin, y = kMargin + p.headerH;
    // Figure points → region pixels → image pixels → crop pixels.
    const double k = f.region.width / p.panelW, cx = f.region.x - k * x, cy = f.region.y - k * y;
    const auto& t = f.toCrop;
    FigureLayout& lay = p.layout;
    lay.panels.push_back(
        {x,
         y,
         p.panelW,
         p.panelH,
         layer,
         -1,
         keypoint,
         {t[0] * k, t[1] * k, t[0] * cx + t[1] * cy + t[2], t[3] * k, t[4] * k, t[3] * cx + t[4] * cy + t[5]}});
    lay.cropWidth = h.inputWidth;
    lay.cropHeight = h.inputHeight;
    const bool bar = s.showColorbar && s.overlay != ImageOverlay::None;
    lay.width = x + p.panelW + (bar ? kBarGap + kBarWidth + kTickWidth : 0) + kMargin;
    lay.height = y + p.panelH + kMargin;
    return p;
}

// A grid map upsampled to the crop (bilinear, half-pixel centres: torch's align_corners=False).
cv::Mat toCrop(const GridMap& g, int width, int height) {
    cv::Mat grid(g.rows, g.cols, CV_32F, const_cast<float*>(g.values.data()));
    cv::Mat out;
    cv::resize(grid, out, cv::Size(width, height), 0, 0, cv::INTER_LINEAR);
    return out;
}

// The map coloured over the crop: values scaled to [lo, hi], colours blended with weight alpha
// (fixed point, /256); values under `threshold` of the scale leave the crop as it is.
QImage blend(const cv::Mat& cropRgb, const cv::Mat& map, double lo, double hi, const Colormap& cm, double threshold,
             double alpha) {
    cv::Mat out = cropRgb.clone();
    const float scale = static_cast<float>(256.0 / (hi > lo ? hi - lo : 1.0)), base = static_cast<float>(lo);
    const int a = static_cast<int>(std::lround(alpha * 256)), keep = 256 - a;
    const float cut = static_cast<float>(threshold * 256);
    std::array<std::array<int, 3>, 256> weighted{};
    for (size_t i = 0; i < 256; ++i) {
        const Rgb8 c = cm.table()[i];
        weighted[i] = {a * c.r + 128, a * c.g + 128, a * c.b + 128};
    }
    for (int y = 0; y < out.rows; ++y) {
        const float* v = map.ptr<float>(y);
        auto* o = out.ptr<cv::Vec3b>(y);
        for (int x = 0; x < out.cols; ++x) {
            if (std::isnan(v[x])) continue;  // no map here (outside the crop)
            const float t = (v[x] - base) * scale;
            const int i = t > 0 ? std::min(255, static_cast<int>(t)) : 0;
            if (threshold > 0 && !(t >= cut)) continue;
            const auto& c = weighted[static_cast<size_t>(i)];
            o[x][0] = static_cast<uint8_t>((keep * o[x][0] + c[0]) >> 8);
            o[x][1] = static_cast<uint8_t>((keep * o[x][1] + c[1]) >> 8);
            o[x][2] = static_cast<uint8_t>((keep * o[x][2] + c[2]) >> 8);
        }
    }
    return toQImage(out);
}

void drawStar(QPainter& p, QPointF c, double r) {
    QPainterPath path;
    for (int i = 0; i < 10; ++i) {
        const double a = -M_PI / 2 + i * M_PI / 5, rr = i % 2 ? r * 0.45 : r;
        const QPointF q(c.x() + rr * std::cos(a), c.y() + rr * std::sin(a));
        if (i == 0)
            path.moveTo(q);
        else
            path.lineTo(q);
    }
    path.closeSubpath();
    p.setPen(QPen(QColor(0, 0, 0), 0.4));
    p.setBrush(QColor(255, 255, 255));
    p.drawPath(path);
}

// The poses and the box, crop points placed by `at`; line widths in `unit`s (the crop's width / 62).
void drawPose(QPainter& p, const RunHeader& h, const SamplePose& pose, const QRectF& clip,
              const std::function<QPointF(float, float)>& at, double unit, bool names) {
    p.save();
    p.setClipRect(clip);
    p.setRenderHint(QPainter::Antialiasing, true);
    // The person box.
    p.setPen(QPen(QColor(255, 255, 255, 200), 0.5 * unit, Qt::DotLine));
    p.setBrush(Qt::NoBrush);
    p.drawRect(QRectF(at(pose.box[0], pose.box[1]), at(pose.box[2], pose.box[3])));
    // Ground truth: white dashed limbs and hollow circles.
    const auto& gt = pose.groundTruth;
    QPen gtPen(QColor(255, 255, 255), 0.6 * unit, Qt::DashLine);
    for (const auto& [a, b] : h.skeleton) {
        if (a >= static_cast<int>(gt.size()) || b >= static_cast<int>(gt.size())) continue;
        if (gt[static_cast<size_t>(a)][2] <= 0 || gt[static_cast<size_t>(b)][2] <= 0) continue;
        p.setPen(gtPen);
        p.drawLine(at(gt[static_cast<size_t>(a)][0], gt[static_cast<size_t>(a)][1]),
                   at(gt[static_cast<size_t>(b)][0], gt[static_cast<size_t>(b)][1]));
    }
    p.setPen(QPen(QColor(255, 255, 255), 0.5 * unit));
    for (const auto& k : gt)
        if (k[2] > 0) p.drawEllipse(at(k[0], k[1]), 1.3 * unit, 1.3 * unit);
    // Prediction: coloured limbs (left blue, right orange, centre green) and filled dots.
    const auto& pr = pose.predicted;
    for (const auto& [a, b] : h.skeleton) {
        if (a >= static_cast<int>(pr.size()) || b >= static_cast<int>(pr.size())) continue;
        p.setPen(QPen(sideColour(h.keypointNames[static_cast<size_t>(a)], h.keypointNames[static_cast<size_t>(b)]),
                      0.9 * unit, Qt::SolidLine, Qt::RoundCap));
        p.drawLine(at(pr[static_cast<size_t>(a)][0], pr[static_cast<size_t>(a)][1]),
                   at(pr[static_cast<size_t>(b)][0], pr[static_cast<size_t>(b)][1]));
    }
    p.setPen(QPen(QColor(0, 0, 0), 0.3 * unit));
    for (size_t k = 0; k < pr.size(); ++k) {
        p.setBrush(sideColour(h.keypointNames[k], h.keypointNames[k]));
        p.drawEllipse(at(pr[k][0], pr[k][1]), 1.1 * unit, 1.1 * unit);
    }
    if (names) {  // at the prediction, or at the ground truth when there is none (a dataset)
        const auto& where = pr.empty() ? gt : pr;
        for (size_t k = 0; k < where.size() && k < h.keypointNames.size(); ++k) {
            if (pr.empty() && where[k][2] <= 0) continue;
            const QPointF q = at(where[k][0], where[k][1]);
            drawText(p, q.x() + 2 * unit, q.y() - 1.5 * unit, label(h.keypointNames[k]), kSmallFontPt);
        }
    }
    p.restore();
}

// The colourbar: 256 vector rectangles, ticks at 0, ½ and 1 of the scale (values when shared,
// min and max per panel).
void drawColorbar(QPainter& p, const Colormap& cm, double x, double top, double bottom, bool shared, double sharedMax) {
    const double height = bottom - top;
    p.save();
    p.setPen(Qt::NoPen);
    for (int i = 0; i < 256; ++i) {
        const Rgb8 col = cm.table()[static_cast<size_t>(i)];
        const double y1 = bottom - height * i / 256.0, y0 = bottom - height * (i + 1) / 256.0;
        p.fillRect(QRectF(x, y0, kBarWidth, y1 - y0 + 0.05), QColor(col.r, col.g, col.b));
    }
    p.setPen(QPen(QColor(20, 20, 20), 0.4));
    p.setBrush(Qt::NoBrush);
    p.drawRect(QRectF(x, top, kBarWidth, height));
    for (int i = 0; i <= 2; ++i) {
        const double y = bottom - height * i / 2.0;
        p.drawLine(QPointF(x + kBarWidth, y), QPointF(x + kBarWidth + 1.5, y));
        QString text;
        if (shared)
            text = QString::number(sharedMax * i / 2.0, 'g', 3);
        else
            text = i == 0 ? QStringLiteral("min") : i == 2 ? QStringLiteral("max") : QString();
        if (!text.isEmpty()) drawText(p, x + kBarWidth + 2.5, y + kSmallFontPt * 0.35, text, kSmallFontPt);
    }
    p.restore();
}

// The layer-wise plot: per layer, the keypoint's layer-wise peak and its dependency row's entropy
// (relative to a uniform row) on the left axis, its distances to the final prediction and to the
// ground truth (crop pixels) on the right one; gaps where a value is missing.
void drawLayerwise(QPainter& p, const std::vector<LayerStats>& stats, const QString& title, double x0, double y0,
                   double w, double h) {
    const size_t L = stats.size();
    double farthest = 1;
    for (const LayerStats& st : stats)
        for (double d : {static_cast<double>(st.toFinal), static_cast<double>(st.toTruth)})
            if (std::isfinite(d)) farthest = std::max(farthest, d);
    farthest *= 1.1;
    auto xAt = [&](size_t i) { return x0 + w * (static_cast<double>(i) + 0.5) / static_cast<double>(L); };
    auto yLeft = [&](double v) { return y0 + h - h * v / 1.05; };
    auto yRight = [&](double v) { return y0 + h - h * v / farthest; };
    p.setRenderHint(QPainter::Antialiasing, true);
    drawText(p, x0 + w / 2, y0 - kFontPt * 0.8, title, kFontPt, true);
    p.setPen(QPen(QColor(20, 20, 20), 0.5));
    p.setBrush(Qt::NoBrush);
    p.drawRect(QRectF(x0, y0, w, h));
    for (double v : {0.0, 0.5, 1.0}) {
        p.drawLine(QPointF(x0 - 2, yLeft(v)), QPointF(x0, yLeft(v)));
        drawText(p, x0 - 3 - textWidth(QString::number(v, 'g', 2), kSmallFontPt), yLeft(v) + kSmallFontPt * 0.35,
                 QString::number(v, 'g', 2), kSmallFontPt);
    }
    for (double f : {0.0, 0.5, 1.0}) {
        const double v = farthest / 1.1 * f;
        p.drawLine(QPointF(x0 + w, yRight(v)), QPointF(x0 + w + 2, yRight(v)));
        drawText(p, x0 + w + 3, yRight(v) + kSmallFontPt * 0.35, QString::number(v, 'f', 1), kSmallFontPt);
    }
    for (size_t i = 0; i < L; ++i) {
        p.drawLine(QPointF(xAt(i), y0 + h), QPointF(xAt(i), y0 + h + 2));
        drawText(p, xAt(i), y0 + h + kSmallFontPt * 1.4, QString::number(stats[i].layer + 1), kSmallFontPt, true);
    }
    drawText(p, x0 + w / 2, y0 + h + kFontPt * 2.2, QStringLiteral("encoder layer"), kFontPt, true);
    drawText(p, x0 - kAxisWidth * 0.75, y0 + h / 2, QStringLiteral("score · entropy"), kSmallFontPt, true, -90);
    drawText(p, x0 + w + kAxisWidth * 0.8, y0 + h / 2, QStringLiteral("crop pixels"), kSmallFontPt, true, 90);
    struct Series {
        const char* name;
        QColor colour;
        bool right;
        float LayerStats::*value;
    };
    const Series series[] = {{"peak score", QColor(31, 119, 180), false, &LayerStats::score},
                             {"attention entropy / uniform", QColor(148, 103, 189), false, &LayerStats::entropy},
                             {"distance to final", QColor(255, 127, 14), true, &LayerStats::toFinal},
                             {"distance to ground truth", QColor(214, 39, 40), true, &LayerStats::toTruth}};
    for (size_t k = 0; k < 4; ++k) {
        const Series& se = series[k];
        std::vector<QPointF> points, dots;
        for (size_t i = 0; i < L; ++i) {
            double v = stats[i].*se.value;
            if (se.value == &LayerStats::entropy) v = stats[i].maxEntropy > 0 ? v / stats[i].maxEntropy : NAN;
            points.emplace_back(xAt(i), std::isfinite(v) ? (se.right ? yRight(v) : yLeft(v)) : NAN);
        }
        const QPainterPath path = brokenLine(points, dots);
        p.setPen(QPen(se.colour, 1.1));
        p.setBrush(Qt::NoBrush);
        p.drawPath(path);
        p.setBrush(se.colour);
        for (const QPointF& q : dots)
            p.drawEllipse(q, 1.4, 1.4);
        // The legend: two columns under the axis label.
        const double lx = x0 + (k % 2) * w / 2, ly = y0 + h + kFontPt * 3.2 + (k / 2) * kSmallFontPt * 1.5;
        p.drawLine(QPointF(lx, ly - kSmallFontPt * 0.35), QPointF(lx + 10, ly - kSmallFontPt * 0.35));
        drawText(p, lx + 13, ly, QString::fromLatin1(se.name), kSmallFontPt);
    }
}

// The run's keypoint error per bin of pruned neighbourhood: mean error (crop pixels) as a line
// with dots, the number of keypoints in each bin above its dot.
void drawPruningPlot(QPainter& p, const std::vector<PruningErrorBin>& bins, const QString& which, double x0, double y0,
                     double w, double h) {
    double top = 1;
    for (const PruningErrorBin& b : bins)
        if (std::isfinite(b.meanError)) top = std::max(top, b.meanError);
    top *= 1.2;
    auto xAt = [&](const PruningErrorBin& b) { return x0 + w * (b.shareFrom + b.shareTo) / 2; };
    auto yAt = [&](double v) { return y0 + h - h * v / top; };
    p.setRenderHint(QPainter::Antialiasing, true);
    drawText(p, x0 + w / 2, y0 - kFontPt * 0.8, QStringLiteral("error against pruned neighbourhood · %1").arg(which),
             kFontPt, true);
    p.setPen(QPen(QColor(20, 20, 20), 0.5));
    p.setBrush(Qt::NoBrush);
    p.drawRect(QRectF(x0, y0, w, h));
    for (double f : {0.0, 0.5, 1.0}) {
        const double v = top / 1.2 * f;
        p.drawLine(QPointF(x0 - 2, yAt(v)), QPointF(x0, yAt(v)));
        const QString t = QString::number(v, 'f', 1);
        drawText(p, x0 - 3 - textWidth(t, kSmallFontPt), yAt(v) + kSmallFontPt * 0.35, t, kSmallFontPt);
    }
    for (double f : {0.0, 0.25, 0.5, 0.75, 1.0}) {
        p.drawLine(QPointF(x0 + w * f, y0 + h), QPointF(x0 + w * f, y0 + h + 2));
        drawText(p, x0 + w * f, y0 + h + kSmallFontPt * 1.4, QString::number(f, 'g', 2), kSmallFontPt, true);
    }
    drawText(p, x0 + w / 2, y0 + h + kFontPt * 2.2,
             QStringLiteral("share of the 3×3 tokens around the ground truth pruned"), kFontPt, true);
    drawText(p, x0 - kAxisWidth * 0.75, y0 + h / 2, QStringLiteral("mean error (crop px)"), kSmallFontPt, true, -90);
    const QColor colour(214, 39, 40);
    std::vector<QPointF> points, dots;  // empty bins break the line
    for (const PruningErrorBin& b : bins)
        points.emplace_back(xAt(b), b.count == 0 ? std::nan("") : yAt(b.meanError));
    p.setPen(QPen(colour, 1.1));
    p.drawPath(brokenLine(points, dots));
    p.setBrush(colour);
    for (const PruningErrorBin& b : bins) {
        if (b.count == 0) continue;
        const QPointF q(xAt(b), yAt(b.meanError));
        p.drawEllipse(q, 1.4, 1.4);
        drawText(p, q.x(), q.y() - kSmallFontPt * 0.8, QStringLiteral("n=%1").arg(b.count), kSmallFontPt, true);
    }
}

// The scales figure: (a) AP, AP50 and AP75 per band with its persons; (b) the mean keypoint error
// ÷ sqrt(area) per keypoint, a bar per band; (c) each decoder's quantisation error against person
// height (log axis), in image pixels or % of the height.
void drawScales(QPainter& p, const RunHeader& h, const FigureSpec& s, const ScalesGeometry& g,
                const ScaleFigureData& d) {
    p.setRenderHint(QPainter::Antialiasing, true);
    const double x0 = g.x0, w = g.w, H = g.h;
    // (a) Accuracy per band.
    {
        const std::vector<BandAccuracy>& acc = d.scales.accuracy;
        const double y0 = g.top[0], top = 1.1;
        drawPlotHeader(p, PlotArea{x0, y0, w, H},
                       QStringLiteral("OKS AP per band of GT area (pixels²) · %1 samples in %2 images")
                           .arg(static_cast<qlonglong>(d.scales.samples))
                           .arg(static_cast<qulonglong>(d.scales.images)),
                       tab10Entries(g.metrics, Swatch::Bar));
        drawYAxis(p, PlotArea{x0, y0, w, H}, 0, top, 0.25, QStringLiteral("AP"));
        const double slot = w / static_cast<double>(std::max<size_t>(1, acc.size())), bar = slot * 0.8 / 3;
        auto yAt = [&](double v) { return y0 + H - H * v / top; };
        for (size_t i = 0; i < acc.size(); ++i) {
            const BandAccuracy& b = acc[i];
            const double cx = x0 + slot * (static_cast<double>(i) + 0.5);
            const double values[] = {b.ap, b.ap50, b.ap75};
            if (b.ap < 0) drawText(p, cx, y0 + H / 2, QStringLiteral("no persons"), kSmallFontPt, true);
            for (size_t m = 0; m < 3; ++m) {
                if (!(values[m] >= 0)) continue;
                const double x = cx - 1.5 * bar + static_cast<double>(m) * bar;
                p.fillRect(QRectF(x, yAt(values[m]), bar, y0 + H - yAt(values[m])), tab10(m));
                drawText(p, x + bar / 2, yAt(values[m]) - 1.2, QString::number(values[m], 'f', 2), kSmallFontPt * 0.8,
                         true);
            }
            p.setPen(QPen(QColor(20, 20, 20), 0.5));
            p.drawLine(QPointF(cx, y0 + H), QPointF(cx, y0 + H + 2));
            drawText(p, cx, y0 + H + kSmallFontPt * 1.4, QString::fromStdString(b.band.label), kSmallFontPt, true);
            drawText(p, cx, y0 + H + kSmallFontPt * 2.7,
                     b.persons == 1 ? QStringLiteral("1 person")
                                    : QStringLiteral("%1 persons").arg(static_cast<qlonglong>(b.persons)),
                     kSmallFontPt, true);
        }
        drawFrame(p, PlotArea{x0, y0, w, H});
    }
    // (b) Keypoint errors per band.
    {
        const KeypointErrorTable& t = d.scales.errors;
        const double y0 = g.top[1];
        const size_t bands = t.bands.size();
        double highest = 0;
        for (size_t b = 0; b < bands; ++b)
            for (int k = 0; k < t.keypoints; ++k)
                if (t.at(b, k).count > 0 && std::isfinite(t.at(b, k).meanNormalised))
                    highest = std::max(highest, t.at(b, k).meanNormalised);
        const double step = niceStep(highest > 0 ? highest * 1.1 : 0.1),
                     top = std::ceil((highest > 0 ? highest * 1.1 : 0.1) / step) * step;
        drawPlotHeader(p, PlotArea{x0, y0, w, H},
                       QStringLiteral("mean keypoint error ÷ sqrt(GT area) · labelled keypoints of %1 persons")
                           .arg(static_cast<qulonglong>(d.scales.poses)),
                       tab10Entries(g.bands, Swatch::Bar));
        drawYAxis(p, PlotArea{x0, y0, w, H}, 0, top, step, QStringLiteral("error ÷ sqrt(area)"));
        const double slot = w / std::max(1, t.keypoints),
                     bar = slot * 0.8 / static_cast<double>(std::max<size_t>(1, bands));
        for (int k = 0; k < t.keypoints; ++k) {
            const double cx = x0 + slot * (k + 0.5);
            for (size_t b = 0; b < bands; ++b) {
                const KeypointError& e = t.at(b, k);
                if (e.count == 0 || !std::isfinite(e.meanNormalised)) continue;
                const double x = cx - 0.4 * slot + static_cast<double>(b) * bar,
                             y = y0 + H - H * std::min(e.meanNormalised, top) / top;
                p.fillRect(QRectF(x, y, bar, y0 + H - y), tab10(b));
            }
            p.setPen(QPen(QColor(20, 20, 20), 0.5));
            p.drawLine(QPointF(cx, y0 + H), QPointF(cx, y0 + H + 2));
            const auto i = static_cast<size_t>(k);
            const QString name =
                i < h.keypointNames.size() ? label(h.keypointNames[i]) : QStringLiteral("keypoint %1").arg(k);
            drawText(p, cx + kSmallFontPt * 0.35, y0 + H + 2.5 + textWidth(name, kSmallFontPt), name, kSmallFontPt,
                     false, -90);
        }
        drawFrame(p, PlotArea{x0, y0, w, H});
    }
    // (c) Decoder quantisation against person height.
    {
        const QuantisationResult& q = d.quantisation;
        const double y0 = g.top[2];
        const bool normalised = s.quantisationUnit == QuantisationUnit::Normalised;
        const std::vector<double>& heights = q.options.personHeights;
        const size_t nh = heights.size();
        double highest = 0;
        auto valueOf = [&](const QuantisationRow& r) { return normalised ? 100 * r.meanNormalised : r.meanPixels; };
        for (const QuantisationRow& r : q.rows)
            if (std::isfinite(valueOf(r))) highest = std::max(highest, valueOf(r));
        const double span = highest > 0 ? highest * 1.1 : 1, step = niceStep(span), top = std::ceil(span / step) * step;
        drawPlotHeader(p, PlotArea{x0, y0, w, H},
                       QStringLiteral("decoder quantisation error against person height (ideal model output)"),
                       tab10Entries(g.decoders, Swatch::Line));
        drawYAxis(p, PlotArea{x0, y0, w, H}, 0, top, step,
                  normalised ? QStringLiteral("mean error (% of height)") : QStringLiteral("mean error (image px)"));
        double lo = 1, hi = 2;
        if (nh > 0) {
            const auto [a, b] = std::minmax_element(heights.begin(), heights.end());
            lo = *a / 1.25;
            hi = std::max(*b * 1.25, lo * 2);
        }
        auto xAt = [&](double v) { return x0 + w * std::log(v / lo) / std::log(hi / lo); };
        auto yAt = [&](double v) { return y0 + H - H * v / top; };
        p.save();
        for (double v = std::pow(2.0, std::ceil(std::log2(lo))); v <= hi; v *= 2) {
            p.setPen(QPen(QColor(225, 225, 225), 0.3));
            p.drawLine(QPointF(xAt(v), y0), QPointF(xAt(v), y0 + H));
            p.setPen(QPen(QColor(20, 20, 20), 0.5));
            p.drawLine(QPointF(xAt(v), y0 + H), QPointF(xAt(v), y0 + H + 2));
            drawText(p, xAt(v), y0 + H + kSmallFontPt * 1.4, QString::number(v, 'g', 6), kSmallFontPt, true);
        }
        p.restore();
        drawText(p, x0 + w / 2, y0 + H + kFontPt * 2.2, QStringLiteral("person height (image pixels, log scale)"),
                 kFontPt, true);
        drawText(p, x0 + w / 2, y0 + H + kFontPt * 2.2 + kSmallFontPt * 1.6,
                 QStringLiteral("input %1×%2, heatmap stride %3, σ %4; %5 keypoint positions per height")
                     .arg(q.options.inputWidth)
                     .arg(q.options.inputHeight)
                     .arg(q.options.heatmapStride)
                     .arg(q.options.sigma)
                     .arg(q.options.samplesPerSize),
                 kSmallFontPt, true);
        for (size_t dec = 0; dec < q.options.decoders.size(); ++dec) {
            QPainterPath path;
            std::vector<QPointF> dots;
            for (size_t i = 0; i < nh && dec * nh + i < q.rows.size(); ++i) {
                const QuantisationRow& r = q.rows[dec * nh + i];
                if (!std::isfinite(valueOf(r)) || r.personHeight <= 0) continue;
                const QPointF at(xAt(r.personHeight), yAt(valueOf(r)));
                if (dots.empty())
                    path.moveTo(at);
                else
                    path.lineTo(at);
                dots.push_back(at);
            }
            p.save();
            p.setPen(QPen(tab10(dec), 1.1));
            p.setBrush(Qt::NoBrush);
            p.drawPath(path);
            p.setBrush(tab10(dec));
            for (const QPointF& at : dots)
                p.drawEllipse(at, 1.3, 1.3);
            p.restore();
        }
        drawFrame(p, PlotArea{x0, y0, w, H});
    }
}

// ---- Occlusion figures: per layer plots over one or more occlusion runs (one model each).

struct OcclusionGeometry {
    double x0 = 0, w = 0;
    double modelsBaseline = 0;  // the models' legend, first row
    std::vector<LegendEntry> models, agreementStyles, groupStyles, targetedStyles;
    PlotArea agreement, targeted;
    std::array<PlotArea, 4> visibility{};  // entropy, occluder, symmetric, adjacent (2 × 2)
    double width = 0, height = 0;
};

OcclusionGeometry occlusionGeometry(const FigureSpec& s, const OcclusionFigureData& d) {
    OcclusionGeometry g;
    std::vector<QString> names;
    for (const OcclusionFigureModel& m : d.models)
        names.push_back(QString::fromStdString(m.name));
    g.models = tab10Entries(names, Swatch::Line);
    g.agreementStyles = {{QStringLiteral("Spearman ρ"), kStyleGrey, Swatch::Line},
                         {QStringLiteral("top-10% overlap"), kStyleGrey, Swatch::Dashed}};
    g.groupStyles = {{QStringLiteral("occluded"), kStyleGrey, Swatch::Line},
                     {QStringLiteral("visible"), kStyleGrey, Swatch::Dashed}};
    g.targetedStyles = {{QStringLiteral("before hiding"), kStyleGrey, Swatch::Line},
                        {QStringLiteral("after hiding"), kStyleGrey, Swatch::Dashed}};
    g.w = s.panelWidthMm * 72.0 / 25.4 * 5;
    g.x0 = kMargin + kAxisWidth;
    const double h = g.w * 0.3;
    double y = kMargin;
    g.modelsBaseline = y + kSmallFontPt * 1.1;
    y += legendRows(names, g.w) * kLegendRowH + kFontPt * 0.5;
    y += plotHeaderHeight(g.agreementStyles, g.w);
    g.agreement = {g.x0, y, g.w, h};
    y += h + kXAxisH + kFontPt;
    y += plotHeaderHeight(g.groupStyles, g.w);
    const double sw = (g.w - kAxisWidth) / 2, sh = sw * 0.55;
    for (size_t i = 0; i < 4; ++i) {
        if (i % 2 == 0) y += kTitleH;
        g.visibility[i] = {g.x0 + static_cast<double>(i % 2) * (sw + kAxisWidth), y, sw, sh};
        if (i % 2 == 1) y += sh + kXAxisH + kFontPt * 0.5;
    }
    y += kFontPt * 0.5;
    y += plotHeaderHeight(g.targetedStyles, g.w);
    g.targeted = {g.x0, y, g.w, h};
    y += h + kXAxisH;
    g.width = g.x0 + g.w + kMargin * 2;
    g.height = y + kMargin;
    return g;
}

// The occlusion figure: (a) per layer agreement of attention with the causal effect for all
// keypoints; (b) occluded against visible keypoints: entropy and the row's share on the occluder,
// the symmetric and the adjacent joints; (c) the hidden keypoint's share on its region before and
// after a targeted occlusion. A colour per model.
void drawOcclusion(QPainter& p, const FigureSpec& s, const OcclusionGeometry& g, const OcclusionFigureData& d) {
    p.setRenderHint(QPainter::Antialiasing, true);
    drawLegend(p, g.x0, g.modelsBaseline, g.w, g.models);
    std::vector<int> layers;
    for (const OcclusionFigureModel& m : d.models)
        layers.push_back(m.report.layers);
    // Values of a per layer vector, NaN where it has none (an empty group).
    auto perLayer = [](const std::vector<double>& v, int L) {
        std::vector<double> out(static_cast<size_t>(std::max(0, L)), std::numeric_limits<double>::quiet_NaN());
        for (size_t l = 0; l < out.size() && l < v.size(); ++l)
            out[l] = v[l];
        return out;
    };
    using Series = std::vector<std::pair<std::vector<double>, std::vector<double>>>;
    // (a) Agreement.
    {
        Series series;
        for (const OcclusionFigureModel& m : d.models)
            series.emplace_back(perLayer(m.report.all.spearman, m.report.layers),
                                perLayer(m.report.all.topKOverlap, m.report.layers));
        drawPlotHeader(p, g.agreement,
                       QStringLiteral("attention vs causal effect (%1) per layer · all keypoints")
                           .arg(measureLabel(s.measure, false)),
                       g.agreementStyles);
        drawLayerPlot(p, g.agreement, layers, series, true, QStringLiteral("agreement"),
                      QStringLiteral("no agreement values"));
    }
    // (b) Occluded against visible keypoints.
    {
        const PlotArea& first = g.visibility[0];
        const double right = g.visibility[1].x0 + g.visibility[1].w;
        drawPlotHeader(p, PlotArea{first.x0, first.y0 - kTitleH, right - first.x0, first.h},
                       QStringLiteral("occluded vs visible keypoints (ground-truth flags)"), g.groupStyles);
        using Member = std::vector<double> VisibilityGroupStats::*;
        const struct {
            Member member;
            const char* title;
            const char* axis;
            const char* empty;
            bool withZero;
        } plots[] = {
            {&VisibilityGroupStats::entropy, "attention entropy ÷ log T", "entropy", "no labelled keypoints", false},
            {&VisibilityGroupStats::occluder, "share on the occluder", "share of the row",
             "no occluder masks (SynthPose runs)", true},
            {&VisibilityGroupStats::symmetric, "share on the symmetric joint", "share of the row",
             "no labelled symmetric joints", true},
            {&VisibilityGroupStats::adjacent, "share on adjacent joints", "share of the row", "no labelled neighbours",
             true}};
        for (size_t i = 0; i < 4; ++i) {
            const PlotArea& a = g.visibility[i];
            Series series;
            for (const OcclusionFigureModel& m : d.models) {
                const VisibilityStats& v = m.report.visibility;
                series.emplace_back(perLayer(v.occluded.*plots[i].member, m.report.layers),
                                    perLayer(v.visible.*plots[i].member, m.report.layers));
            }
            drawText(p, a.x0 + a.w / 2, a.y0 - kFontPt * 0.6, QString::fromUtf8(plots[i].title), kFontPt, true);
            drawLayerPlot(p, a, layers, series, plots[i].withZero, QString::fromUtf8(plots[i].axis),
                          QString::fromUtf8(plots[i].empty));
        }
    }
    // (c) Targeted occlusion.
    {
        Series series;
        std::vector<int> margins;
        for (const OcclusionFigureModel& m : d.models) {
            series.emplace_back(perLayer(m.report.hiddenShareBefore, m.report.layers),
                                perLayer(m.report.hiddenShareAfter, m.report.layers));
            if (m.targetedMargin > 0 && std::find(margins.begin(), margins.end(), m.targetedMargin) == margins.end())
                margins.push_back(m.targetedMargin);
        }
        QString margin;
        for (int px : margins)
            margin += (margin.isEmpty() ? QString() : QStringLiteral(", ")) + QString::number(px);
        drawPlotHeader(
            p, g.targeted,
            margin.isEmpty()
                ? QStringLiteral("targeted occlusion: the hidden keypoint's row on its region")
                : QStringLiteral("targeted occlusion: the hidden keypoint's row on its region (%1 px around it)")
                      .arg(margin),
            g.targetedStyles);
        drawLayerPlot(p, g.targeted, layers, series, true, QStringLiteral("share of the row"),
                      QStringLiteral("no targeted occlusions in these runs"));
    }
}

// A PPT sample's tokens per panel: pruned patches dark, kept ones tinted by the score that ranked
// them (the last pruning before the panel's layer, or the first one), ground-truth keypoints in
// pruned patches crossed out in red.
void paintTokens(QPainter& p, const RunBrowser& run, int64_t row, const cv::Mat& crop, const SamplePose& pose,
                 const FigureSpec& s, const FigureLayout& lay, const Colormap& cm) {
    const RunHeader& h = run.header();
    const TokenPruning pruning = run.tokenPruning(row);
    const QImage plain = toQImage(crop);
    p.save();
    p.fillRect(QRectF(0, 0, lay.width, lay.height), QColor(255, 255, 255));
    p.setRenderHint(QPainter::Antialiasing, true);
    const int T = h.tokens();
    for (const FigurePanel& panel : lay.panels) {
        const QRectF r(panel.x, panel.y, panel.width, panel.height);
        p.drawImage(r, plain);
        const std::vector<uint8_t> alive = pruning.aliveAt(panel.layer);
        size_t stage = 0;
        for (size_t st = 0; st < pruning.layers.size(); ++st)
            if (pruning.layers[st] < panel.layer) stage = st;
        const std::vector<float>& score = pruning.scores.at(stage);
        float lo = std::numeric_limits<float>::infinity(), hi = -lo;
        for (int t = 0; t < T; ++t)
            if (alive[static_cast<size_t>(t)] && std::isfinite(score[static_cast<size_t>(t)]))
                lo = std::min(lo, score[static_cast<size_t>(t)]), hi = std::max(hi, score[static_cast<size_t>(t)]);
        const double cw = panel.width / h.gridCols, ch = panel.height / h.gridRows;
        int kept = 0;
        p.setPen(Qt::NoPen);
        for (int t = 0; t < T; ++t) {
            const QRectF cell(panel.x + (t % h.gridCols) * cw, panel.y + (t / h.gridCols) * ch, cw, ch);
            if (!alive[static_cast<size_t>(t)]) {
                p.fillRect(cell, QColor(0, 0, 0, 170));
                continue;
            }
            ++kept;
            const float v = score[static_cast<size_t>(t)];
            if (s.alpha > 0 && std::isfinite(v) && hi > lo) {
                const Rgb8 c = cm.at((v - lo) / (hi - lo));
                p.fillRect(cell, QColor(c.r, c.g, c.b, static_cast<int>(std::lround(s.alpha * 150))));
            }
        }
        // Ground truth: white rings; in pruned patches a red cross.
        const double unit = panel.width / 62.0, k = panel.width / std::max(1, h.inputWidth);
        int lost = 0;
        for (const auto& g : pose.groundTruth) {
            if (g[2] <= 0) continue;
            const QPointF q(panel.x + g[0] * k, panel.y + g[1] * k);
            if (alive[static_cast<size_t>(run.tokenAt(g[0], g[1]))]) {
                p.setPen(QPen(QColor(255, 255, 255), 0.5 * unit));
                p.setBrush(Qt::NoBrush);
                p.drawEllipse(q, 1.3 * unit, 1.3 * unit);
            } else {
                ++lost;
                p.setPen(QPen(QColor(230, 30, 30), 0.8 * unit));
                const double a = 1.6 * unit;
                p.drawLine(q + QPointF(-a, -a), q + QPointF(a, a));
                p.drawLine(q + QPointF(-a, a), q + QPointF(a, -a));
            }
        }
        QString title = QStringLiteral("layer %1 · %2 of %3").arg(panel.layer + 1).arg(kept).arg(T);
        if (lost > 0) title += QStringLiteral(" · %1 GT pruned").arg(lost);
        drawText(p, panel.x + panel.width / 2, panel.y - kFontPt * 0.5, title, kSmallFontPt, true);
    }
    if (s.showColorbar && !lay.panels.empty()) {
        const FigurePanel& last = lay.panels.back();
        drawColorbar(p, cm, last.x + last.width + kBarGap, last.y, last.y + last.height, false, 0);
    }
    p.restore();
}

}  // namespace figure_draw

using namespace figure_draw;

struct ModelsData;  // models figures' other runs (below)

struct FigureRenderer::Cache {
    int64_t row = -1;
    cv::Mat crop;
    SamplePose pose;
    // layer, keypoint, head, direction, token, watched keypoint (targeted figures)
    std::map<std::tuple<int, int, int, int, int, int>, GridMap> maps;
    std::map<int, cv::Mat> scaledCrops;                     // by width, for on-screen panels
    std::optional<ScaleFigureData> scales;                  // scales figures: of the bands and gt of
    std::pair<std::string, std::string> scalesKey;          //   this key
    std::optional<OcclusionFigureData> occlusion;           // occlusion figures: of the runs and
    std::pair<std::vector<std::string>, int> occlusionKey;  //   measure of this key
    std::shared_ptr<const ModelsData> models;               // models figures: the other runs, paired
    std::optional<ComparisonReport> comparison;             // comparison figures: of the runs
    std::vector<std::string> comparisonKey;                 //   of this key
};

namespace {

std::pair<std::string, std::string> scalesKey(const FigureSpec& s) {
    return {s.bands, s.gt};
}

std::pair<std::vector<std::string>, int> occlusionKey(const FigureSpec& s) {
    return {s.runs, static_cast<int>(s.measure)};
}

// Family and variant, told apart by the file name when two runs share them (comparison.h).
std::vector<std::string> modelNames(const std::vector<std::pair<std::string, const RunHeader*>>& runs) {
    std::vector<std::string> paths;
    std::vector<RunHeader> headers;
    for (const auto& [path, h] : runs) {
        paths.push_back(path);
        headers.push_back(*h);
    }
    return modelDisplayNames(paths, headers);
}

}  // namespace

ScaleFigureData scaleFigureData(const RunBrowser& run, const FigureSpec& spec) {
    ScaleAnalysisOptions options;
    options.bands = scaleBands(spec);
    ScaleFigureData d;
    d.scales = analyseRunScales(run.path(), spec.gt, options);  // opens its own reader
    d.quantisation = decoderQuantisation(runQuantisationOptions(run.header()));
    return d;
}

void FigureRenderer::setScaleData(const FigureSpec& spec, ScaleFigureData data) {
    m_cache->scales = std::move(data);
    m_cache->scalesKey = scalesKey(spec);
}

OcclusionFigureData occlusionFigureData(const RunBrowser& run, const FigureSpec& spec) {
    OcclusionReportOptions options;
    options.measure = spec.measure;
    OcclusionFigureData d;
    std::vector<std::pair<std::string, RunHeader>> headers;
    auto add = [&](const RunBrowser& r) {
        OcclusionFigureModel m;
        m.run = r.path();
        m.targetedMargin = r.header().targetedMargin;
        m.report = r.occlusionReport(options);  // RunFormatError naming a run without occlusion arrays
        d.models.push_back(std::move(m));
        headers.push_back({r.path(), r.header()});
    };
    add(run);
    for (const std::string& path : spec.runs)
        add(*RunBrowser::open(path));
    std::vector<std::pair<std::string, const RunHeader*>> named;
    for (const auto& [path, h] : headers)
        named.push_back({path, &h});
    const std::vector<std::string> names = modelNames(named);
    for (size_t i = 0; i < d.models.size(); ++i)
        d.models[i].name = names[i];
    return d;
}

ComparisonReport comparisonFigureData(const RunBrowser& run, const FigureSpec& spec) {
    std::vector<std::string> paths{run.path()};
    paths.insert(paths.end(), spec.runs.begin(), spec.runs.end());
    ComparisonOptions o;
    o.gtFile = spec.gt;  // "": the first run's dataset, as recorded or beside the run
    return compareRuns(paths, o);
}

void FigureRenderer::setComparisonData(const FigureSpec& spec, ComparisonReport report) {
    m_cache->comparison = std::move(report);
    m_cache->comparisonKey = spec.runs;
}

const ComparisonReport& FigureRenderer::comparisonData(const FigureSpec& spec) const {
    Cache& c = *m_cache;
    if (!c.comparison || c.comparisonKey != spec.runs) {
        c.comparison.reset();
        c.comparison = comparisonFigureData(run(spec.kind), spec);
        c.comparisonKey = spec.runs;
    }
    return *c.comparison;
}

void FigureRenderer::setOcclusionData(const FigureSpec& spec, OcclusionFigureData data) {
    m_cache->occlusion = std::move(data);
    m_cache->occlusionKey = occlusionKey(spec);
}

const OcclusionFigureData& FigureRenderer::occlusionData(const FigureSpec& spec) const {
    Cache& c = *m_cache;
    if (!c.occlusion || c.occlusionKey != occlusionKey(spec)) {
        c.occlusion.reset();
        c.occlusion = occlusionFigureData(run(spec.kind), spec);
        c.occlusionKey = occlusionKey(spec);
    }
    return *c.occlusion;
}

FigureRenderer::FigureRenderer(const SampleSource& source) : m_source(source), m_cache(std::make_unique<Cache>()) {}

const RunBrowser& FigureRenderer::run(FigureKind kind) const {
    const auto* r = dynamic_cast<const RunBrowser*>(&m_source);
    if (!r)
        throw Error("figure: " + figureKindName(kind) + " figures need model results, and " + m_source.path() +
                    " is a dataset: record a run over it (Run › Record Run…, or posescope-cli record)");
    return *r;
}
FigureRenderer::~FigureRenderer() = default;

namespace {

// Image figures without an overlay draw datasets too; every other kind but pose needs a run.
bool needsRun(const FigureSpec& s) {
    return s.kind == FigureKind::Image ? s.overlay != ImageOverlay::None : s.kind != FigureKind::Pose;
}

// Sensitivity, targeted and occlusion figures need an occlusion run (targeted ones with targeted
// occlusions): RunFormatError naming the run, as occlusion-report says it.
void requireOcclusionRun(const SampleSource& source, FigureKind kind, ImageOverlay overlay) {
    const bool sensitivityOverlay = kind == FigureKind::Image && overlay == ImageOverlay::Sensitivity;
    if (kind != FigureKind::Sensitivity && kind != FigureKind::Targeted && kind != FigureKind::Occlusion &&
        !sensitivityOverlay)
        return;
    const RunHeader& h = source.header();
    if (!h.hasOcclusion())
        throw RunFormatError(source.path(), "holds no occlusion analysis (record it with posescope-cli occlude)");
    if (kind == FigureKind::Targeted && h.targetedMargin <= 0)
        throw RunFormatError(
            source.path(), "holds no targeted occlusions (record it with posescope-cli occlude --targeted-margin PX)");
}

// A white ring with a dark edge (a ground-truth location) of radius r.
void drawRing(QPainter& p, QPointF c, double r) {
    p.setBrush(Qt::NoBrush);
    p.setPen(QPen(QColor(0, 0, 0), r * 0.45 + 0.5));
    p.drawEllipse(c, r, r);
    p.setPen(QPen(QColor(255, 255, 255), r * 0.45));
    p.drawEllipse(c, r, r);
}

// A sensitivity panel's marks: the keypoint's ground truth (ring) and prediction (star).
void decorateSensitivity(QPainter& p, const FigurePanel& panel, const SamplePose& pose, double k) {
    const auto i = static_cast<size_t>(panel.keypoint);
    auto at = [&](const std::array<float, 3>& q) { return QPointF(panel.x + q[0] * k, panel.y + q[1] * k); };
    p.save();
    p.setClipRect(QRectF(panel.x, panel.y, panel.width, panel.height));
    p.setRenderHint(QPainter::Antialiasing, true);
    if (i < pose.groundTruth.size() && pose.groundTruth[i][2] > 0)
        drawRing(p, at(pose.groundTruth[i]), panel.width / 30.0);
    if (i < pose.predicted.size()) drawStar(p, at(pose.predicted[i]), panel.width / 18.0);
    p.restore();
}

// A targeted panel's marks: the hidden region, the hidden keypoint's ground truth (ring) and
// prediction (star: before, the recorded one; after, the one with the region hidden) and the
// layer's share of its row on the region.
void decorateTargeted(QPainter& p, const FigurePanel& panel, const SamplePose& pose, const TargetedView& v, bool after,
                      int K, double k, int watched) {
    const std::vector<int> marked = watched >= 0 ? std::vector<int>{watched} : v.keypoints;
    auto at = [&](const std::array<float, 3>& q) { return QPointF(panel.x + q[0] * k, panel.y + q[1] * k); };
    const QRectF r(panel.x, panel.y, panel.width, panel.height);
    p.save();
    p.setClipRect(r);
    p.setRenderHint(QPainter::Antialiasing, true);
    p.setBrush(Qt::NoBrush);
    p.setPen(QPen(QColor(214, 39, 40), std::max(0.4, panel.width / 80.0)));
    p.drawRect(QRectF(panel.x + v.region[0] * k, panel.y + v.region[1] * k, v.region[2] * k, v.region[3] * k));
    // A body part's keypoints are all marked; its share is the mean of their rows'.
    const double markSize = marked.size() > 1 ? 0.6 : 1.0;
    for (int hk : marked) {
        const auto hidden = static_cast<size_t>(hk);
        if (hidden < pose.groundTruth.size() && pose.groundTruth[hidden][2] > 0)
            drawRing(p, at(pose.groundTruth[hidden]), markSize * panel.width / 30.0);
        if (after && hidden < v.after.size())
            drawStar(p, at(v.after[hidden]), markSize * panel.width / 18.0);
        else if (!after && hidden < pose.predicted.size())
            drawStar(p, at(pose.predicted[hidden]), markSize * panel.width / 18.0);
    }
    auto share = [&](const std::vector<float>& values) {
        double sum = 0;
        int n = 0;
        for (int hk : marked) {
            const size_t i = static_cast<size_t>(panel.layer) * static_cast<size_t>(K) + static_cast<size_t>(hk);
            if (i < values.size() && std::isfinite(values[i])) sum += values[i], ++n;
        }
        return n > 0 ? QString::number(sum / n, 'f', 2) : QStringLiteral("–");
    };
    QString text = QStringLiteral("on region %1").arg(share(v.shareBefore));
    if (after) text += QStringLiteral(" → %1").arg(share(v.shareAfter));
    const double size = std::min(kSmallFontPt, kSmallFontPt * (panel.width - 4) / textWidth(text, kSmallFontPt));
    const double boxH = size * 1.5, w = textWidth(text, size) + 2;
    p.setPen(Qt::NoPen);
    p.setBrush(QColor(255, 255, 255, 215));
    p.drawRect(QRectF(panel.x + (panel.width - w) / 2, panel.y + panel.height - boxH - 1, w, boxH));
    drawText(p, panel.x + panel.width / 2, panel.y + panel.height - 1 - boxH * 0.3, text, size, true);
    p.restore();
}

// Scales figures need person areas: FileError naming the run as analyseRunScales (before drawing).
void requireCocoRun(const SampleSource& source) {
    const std::string& kind = source.header().datasetKind;
    if (kind == "coco") return;
    throw FileError(source.path(), "is " + (kind == "mpii" ? std::string("an MPII run") : "a '" + kind + "' run") +
                                       "; the scale analysis needs COCO-format ground truth (person areas)");
}

// An image figure: the region of the image, the map carried over from the crop, the poses.
void paintImage(QPainter& p, const SampleSource& source, int64_t row, const SamplePose& pose, const FigureSpec& s,
                const FigureLayout& lay, const ImageFrame& f, const QString& title, double pixelsPerPoint,
                const GridMap* map, const Colormap& cm) {
    const RunHeader& h = source.header();
    const FigurePanel& panel = lay.panels.front();
    const QRectF r(panel.x, panel.y, panel.width, panel.height);
    cv::Mat region = source.image(row)(f.region);
    // Drawn at the crop's resolution where the crop enlarged the image (small people keep the
    // detail of their maps), and on screen at the size shown when that is smaller (faster; the
    // same colours and layout).
    const double cropPerImagePixel = std::hypot(f.toCrop[0], f.toCrop[3]);
    int w = static_cast<int>(std::lround(region.cols * std::max(1.0, cropPerImagePixel)));
    if (pixelsPerPoint > 0) w = std::clamp(static_cast<int>(std::lround(panel.width * pixelsPerPoint)), 8, w);
    if (w != region.cols) {
        cv::Mat scaled;
        cv::resize(
            region, scaled,
            cv::Size(w, std::max(1, static_cast<int>(std::lround(static_cast<double>(w) * region.rows / region.cols)))),
            0, 0, w < region.cols ? cv::INTER_AREA : cv::INTER_LINEAR);
        region = scaled;
    }
    p.save();
    p.fillRect(QRectF(0, 0, lay.width, lay.height), QColor(255, 255, 255));
    double lo = 0, hi = 1;
    if (map) {
        // The map over the crop, carried to the shown region: crop → image → region pixels.
        const cv::Mat up = toCrop(*map, h.inputWidth, h.inputHeight);
        const auto& t = f.toImage;
        const double sx = static_cast<double>(region.cols) / f.region.width,
                     sy = static_cast<double>(region.rows) / f.region.height;
        const cv::Mat m = (cv::Mat_<double>(2, 3) << t[0] * sx, t[1] * sx, (t[2] - f.region.x) * sx, t[3] * sy,
                           t[4] * sy, (t[5] - f.region.y) * sy);
        cv::Mat warped;
        cv::warpAffine(up, warped, m, region.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT,
                       cv::Scalar(std::numeric_limits<double>::quiet_NaN()));
        lo = s.sharedScale ? 0 : map->minValue();
        hi = map->maxValue();
        p.drawImage(r, blend(region, warped, lo, hi, cm, s.threshold, s.alpha));
    } else {
        p.drawImage(r, toQImage(region));
    }
    // Poses: crop → image → figure points; lines sized to the crop as shown.
    const double k = panel.width / f.region.width;
    auto at = [&](float x, float y) {
        const auto q = apply(f.toImage, x, y);
        return QPointF(panel.x + (q[0] - f.region.x) * k, panel.y + (q[1] - f.region.y) * k);
    };
    const double cropShown = std::hypot(f.toImage[0], f.toImage[3]) * h.inputWidth * k;
    if (s.showPose) drawPose(p, h, pose, r, at, std::max(cropShown, panel.width / 6) / 62.0, s.showLabels);
    if (map && panel.layer >= 0) {  // the query of a dependency map
        const QPointF q = panel.keypoint >= 0 ? at(pose.predicted[static_cast<size_t>(panel.keypoint)][0],
                                                   pose.predicted[static_cast<size_t>(panel.keypoint)][1])
                                              : at(static_cast<float>(s.pointX), static_cast<float>(s.pointY));
        p.save();
        p.setClipRect(r);
        p.setRenderHint(QPainter::Antialiasing, true);
        drawStar(p, q, std::max(cropShown, panel.width / 6) / 18.0);
        p.restore();
    }
    if (!title.isEmpty()) drawText(p, panel.x + panel.width / 2, panel.y - kFontPt * 0.5, title, kFontPt, true);
    if (map && s.showColorbar)
        drawColorbar(p, cm, panel.x + panel.width + kBarGap, panel.y, panel.y + panel.height, s.sharedScale, hi);
    p.restore();
}

// ---- Models figures: one sample of several runs side by side --------------------------------------

// The layout: rows = the pose row (showPose) and the first run's layers, columns = the runs, then
// one more for two or more runs (every prediction; for two runs the difference of the maps).
struct ModelsPlan {
    std::vector<int> layers;  // −1: the pose row
    int models = 1, keypoint = 0;
    bool extra = false;
    double panelW = 0, panelH = 0, labelW = 0, headerH = 0;
    FigureLayout layout;
};

ModelsPlan planModels(const RunHeader& h, const FigureSpec& s, int64_t runSize, int models) {
    checkCommon(h, s, runSize);
    const int K = h.keypoints(), L = h.layers;
    require(s.keypoints.size() <= 1, "a models figure shows one keypoint");
    require(L > 0, "a models figure needs runs with attention layers");
    ModelsPlan p;
    p.keypoint = s.keypoints.empty() ? 0 : s.keypoints.front();
    require(p.keypoint >= 0 && p.keypoint < K,
            "keypoint " + std::to_string(p.keypoint) + " out of range (the run has " + std::to_string(K) + ")");
    p.layers = s.layers;
    if (p.layers.empty())
        for (int l = 0; l < L; ++l)
            p.layers.push_back(l);
    for (int l : p.layers)
        require(l >= 0 && l < L,
                "layer " + std::to_string(l) + " out of range (the first run has " + std::to_string(L) + " layers)");
    if (s.showPose) p.layers.insert(p.layers.begin(), -1);
    p.models = models;
    p.extra = models >= 2;
    p.panelW = s.panelWidthMm * 72.0 / 25.4;
    p.panelH = p.panelW * h.inputHeight / std::max(1, h.inputWidth);
    for (int l : p.layers)
        p.labelW = std::max(p.labelW, textWidth(l < 0 ? QStringLiteral("pose") : rowLabel(l), kFontPt) + 3);
    p.headerH = kCaptionH + kFontPt * 1.5;
    const int columns = models + (p.extra ? 1 : 0);
    const double x0 = kMargin + p.labelW, y0 = kMargin + p.headerH;
    FigureLayout& lay = p.layout;
    for (size_t r = 0; r < p.layers.size(); ++r)
        for (int c = 0; c < columns; ++c) {
            FigurePanel panel;
            panel.x = x0 + c * (p.panelW + kGap);
            panel.y = y0 + static_cast<double>(r) * (p.panelH + kGap);
            panel.width = p.panelW;
            panel.height = p.panelH;
            panel.layer = p.layers[r];
            panel.keypoint = p.keypoint;
            panel.model = c < models ? c : -1;
            panel.toCrop = panelToCrop(panel.x, panel.y, panel.width, h.inputWidth);
            lay.panels.push_back(panel);
        }
    lay.cropWidth = h.inputWidth;
    lay.cropHeight = h.inputHeight;
    lay.width =
        x0 + columns * (p.panelW + kGap) - kGap + (s.showColorbar ? kBarGap + kBarWidth + kTickWidth : 0) + kMargin;
    lay.height = y0 + static_cast<double>(p.layers.size()) * (p.panelH + kGap) - kGap + kMargin;
    return p;
}

// A crop of `cols` × `rows` pixels fitted into `r`, centred, keeping its aspect ratio.
QRectF fitted(const QRectF& r, int cols, int rows) {
    const double k = std::min(r.width() / std::max(1, cols), r.height() / std::max(1, rows));
    const double w = cols * k, h = rows * k;
    return {r.x() + (r.width() - w) / 2, r.y() + (r.height() - h) / 2, w, h};
}

// Differences: blue (negative) – near white (0) – red (positive), ColorBrewer's RdBu end and middle
// colours; t in [−1, 1].
cv::Vec3b divergingColour(double t) {
    static const double neg[3] = {33, 102, 172}, mid[3] = {247, 247, 247}, pos[3] = {178, 24, 43};
    t = std::clamp(std::isnan(t) ? 0.0 : t, -1.0, 1.0);
    const double* end = t < 0 ? neg : pos;
    const double a = std::abs(t);
    cv::Vec3b c;
    for (int i = 0; i < 3; ++i)
        c[i] = static_cast<uint8_t>(std::lround(mid[i] + (end[i] - mid[i]) * a));
    return c;
}

// Text fitted into `width` points (smaller, down to half the size).
void drawFittedText(QPainter& p, double cx, double y, const QString& text, double sizePt, double width,
                    const QColor& colour) {
    const double size = std::max(sizePt / 2, std::min(sizePt, sizePt * width / std::max(1.0, textWidth(text, sizePt))));
    drawText(p, cx, y, text, size, true, 0, colour);
}

}  // namespace

// The other runs of a models figure, their names, and the source's rows paired with theirs.
struct ModelsData {
    std::vector<std::string> runs;  // the spec's `runs` these are of
    std::vector<std::unique_ptr<RunBrowser>> others;
    std::vector<std::string> names;                // every model, the source's first
    std::map<int64_t, std::vector<int64_t>> rows;  // the source's row → each model's row
};

namespace {

std::shared_ptr<const ModelsData> modelsData(const RunBrowser& first, const FigureSpec& s) {
    auto d = std::make_shared<ModelsData>();
    d->runs = s.runs;
    std::vector<std::string> paths{first.path()};
    std::vector<std::pair<std::string, const RunHeader*>> headers{{first.path(), &first.header()}};
    for (const std::string& path : s.runs) {
        d->others.push_back(RunBrowser::open(path));
        paths.push_back(path);
        headers.push_back({path, &d->others.back()->header()});
    }
    d->names = modelNames(headers);
    // FileError naming a run of other samples.
    const RunPairing pairing = pairRunFiles(paths);
    for (const PairedSample& sample : pairing.samples)
        d->rows.emplace(sample.rows.front(), sample.rows);
    return d;
}

void paintModels(QPainter& p, const RunBrowser& first, const ModelsData& d, const FigureSpec& s, int64_t row,
                 const ModelsPlan& pl) {
    const int M = pl.models, k = pl.keypoint, L0 = first.header().layers;
    std::vector<const RunBrowser*> runs{&first};
    for (const auto& o : d.others)
        runs.push_back(o.get());
    std::vector<int64_t> rows(static_cast<size_t>(M), -1);
    const auto paired = d.rows.find(row);
    if (paired != d.rows.end()) rows = paired->second;
    rows[0] = row;
    std::vector<cv::Mat> crops(static_cast<size_t>(M));
    std::vector<SamplePose> poses(static_cast<size_t>(M));
    for (size_t m = 0; m < static_cast<size_t>(M); ++m)
        if (rows[m] >= 0) {
            crops[m] = runs[m]->crop(rows[m]);
            poses[m] = runs[m]->pose(rows[m]);
        }
    // The maps: each run's layer at the depth of the first run's, head-averaged unless the spec's
    // head exists in that run.
    auto layerOf = [&](size_t m, int layer) {
        return m == 0 ? layer : layerAtSameDepth(layer, L0, runs[m]->header().layers);
    };
    std::map<std::pair<size_t, int>, GridMap> maps;
    auto mapOf = [&](size_t m, int layer) -> const GridMap& {
        auto it = maps.find({m, layer});
        if (it != maps.end()) return it->second;
        MapRequest q;
        q.layer = layerOf(m, layer);
        q.keypoint = k;
        q.head = s.head >= 0 && s.head < runs[m]->header().heads ? s.head : -1;
        q.direction = s.direction;
        return maps.emplace(std::make_pair(m, layer), runs[m]->dependencyMap(rows[m], q)).first->second;
    };
    double sharedMax = 0;
    for (const FigurePanel& panel : pl.layout.panels)
        if (panel.model >= 0 && panel.layer >= 0 && rows[static_cast<size_t>(panel.model)] >= 0)
            sharedMax = std::max(sharedMax,
                                 static_cast<double>(mapOf(static_cast<size_t>(panel.model), panel.layer).maxValue()));
    const Colormap& cm = colormap(s.colormap);
    const QRectF visible = p.hasClipping() ? p.clipBoundingRect() : QRectF();
    p.save();
    p.fillRect(QRectF(0, 0, pl.layout.width, pl.layout.height), QColor(255, 255, 255));
    const bool sameInput = M == 2 && rows[1] >= 0 && crops[0].size() == crops[1].size();
    for (const FigurePanel& panel : pl.layout.panels) {
        const QRectF r(panel.x, panel.y, panel.width, panel.height);
        if (!visible.isNull() && !visible.intersects(r)) continue;
        const size_t m = panel.model >= 0 ? static_cast<size_t>(panel.model) : 0;
        if (panel.model >= 0 && rows[m] < 0) {  // a sample the run does not hold
            p.fillRect(r, QColor(235, 235, 235));
            drawFittedText(p, r.center().x(), r.center().y(), QStringLiteral("not in this run"), kSmallFontPt,
                           r.width() - 2, QColor(90, 90, 90));
            continue;
        }
        const cv::Mat& crop = crops[m];
        const QRectF f = fitted(r, crop.cols, crop.rows);
        const double unit = f.width() / 62.0, scale = f.width() / std::max(1, crop.cols);
        auto at = [&](float x, float y) { return QPointF(f.x() + x * scale, f.y() + y * scale); };
        if (panel.layer < 0 && panel.model >= 0) {  // the run's pose
            p.drawImage(f, toQImage(crop));
            drawPose(p, runs[m]->header(), poses[m], r, at, unit, false);
            continue;
        }
        if (panel.layer < 0) {  // every run's prediction on the first run's crop, in its colour
            p.drawImage(f, toQImage(crop));
            p.save();
            p.setClipRect(r);
            p.setRenderHint(QPainter::Antialiasing, true);
            p.setPen(QPen(QColor(255, 255, 255), 0.5 * unit));
            p.setBrush(Qt::NoBrush);
            for (const auto& g : poses[0].groundTruth)
                if (g[2] > 0) p.drawEllipse(at(g[0], g[1]), 1.3 * unit, 1.3 * unit);
            for (size_t i = 0; i < static_cast<size_t>(M); ++i) {
                if (rows[i] < 0 || crops[i].size() != crop.size()) continue;  // another crop: not comparable
                const auto& pr = poses[i].predicted;
                p.setPen(QPen(tab10(i), 0.8 * unit, Qt::SolidLine, Qt::RoundCap));
                for (const auto& [a, b] : runs[i]->header().skeleton)
                    if (a < static_cast<int>(pr.size()) && b < static_cast<int>(pr.size()))
                        p.drawLine(at(pr[static_cast<size_t>(a)][0], pr[static_cast<size_t>(a)][1]),
                                   at(pr[static_cast<size_t>(b)][0], pr[static_cast<size_t>(b)][1]));
                p.setPen(QPen(QColor(0, 0, 0), 0.3 * unit));
                p.setBrush(tab10(i));
                for (const auto& q : pr)
                    p.drawEllipse(at(q[0], q[1]), 1.0 * unit, 1.0 * unit);
            }
            p.restore();
            continue;
        }
        if (panel.model >= 0) {  // the run's map at the first run's depth
            const GridMap& g = mapOf(m, panel.layer);
            const double lo = s.sharedScale ? 0 : g.minValue(), hi = s.sharedScale ? sharedMax : g.maxValue();
            p.drawImage(f, blend(crop, toCrop(g, crop.cols, crop.rows), lo, hi, cm, s.threshold, s.alpha));
            p.save();
            p.setClipRect(r);
            p.setRenderHint(QPainter::Antialiasing, true);
            const auto& q = poses[m].predicted[static_cast<size_t>(k)];
            drawStar(p, at(q[0], q[1]), f.width() / 18.0);
            p.restore();
            if (m > 0 && runs[m]->header().layers != L0)  // its own layer number
                drawFittedText(p, r.x() + r.width() / 2, r.bottom() - 1.5,
                               QStringLiteral("its layer %1").arg(layerOf(m, panel.layer) + 1), kSmallFontPt,
                               r.width() - 2, QColor(255, 255, 255));
            continue;
        }
        if (!sameInput) {  // no difference of maps over other crops
            p.fillRect(r, QColor(245, 245, 245));
            if (M == 2)
                drawFittedText(p, r.center().x(), r.center().y(), QStringLiteral("other input sizes"), kSmallFontPt,
                               r.width() - 2, QColor(90, 90, 90));
            continue;
        }
        // The difference first − second (each map min–max normalised unless the scale is shared),
        // coloured from −m to m with m its largest magnitude (0 everywhere: the middle colour).
        auto normalised = [&](size_t i) {
            const GridMap& g = mapOf(i, panel.layer);
            cv::Mat up = toCrop(g, crop.cols, crop.rows);
            if (!s.sharedScale) {
                const double lo = g.minValue(), hi = g.maxValue();
                up = (up - lo) / (hi > lo ? hi - lo : 1.0);
            }
            return up;
        };
        const cv::Mat diff = normalised(0) - normalised(1);
        double largest = 0;
        cv::minMaxLoc(cv::abs(diff), nullptr, &largest);
        cv::Mat out = crop.clone();
        const double a = s.alpha;
        for (int y = 0; y < out.rows; ++y) {
            const float* v = diff.ptr<float>(y);
            auto* o = out.ptr<cv::Vec3b>(y);
            for (int x = 0; x < out.cols; ++x) {
                const cv::Vec3b c = divergingColour(largest > 0 ? v[x] / largest : 0.0);
                for (int i = 0; i < 3; ++i)
                    o[x][i] = static_cast<uint8_t>(std::lround((1 - a) * o[x][i] + a * c[i]));
            }
        }
        p.drawImage(f, toQImage(out));
        drawFittedText(p, r.x() + r.width() / 2, r.bottom() - 1.5,
                       QStringLiteral("±%1").arg(QString::number(largest, 'g', 2)), kSmallFontPt, r.width() - 2,
                       QColor(20, 20, 20));
    }
    // The caption, the columns (the runs in their colours) and the rows.
    const RunHeader& h = first.header();
    QString caption = QStringLiteral("%1 · %2").arg(
        label(h.keypointNames[static_cast<size_t>(k)]),
        s.direction == MapDirection::Affect ? QStringLiteral("affect") : QStringLiteral("dependency"));
    if (M > 1) caption += QStringLiteral(" · layers by relative depth");
    const double captionW = pl.layout.width - kMargin - (kMargin + pl.labelW);
    drawText(p, kMargin + pl.labelW, kMargin + kFontPt * 1.05, caption,
             std::max(kFontPt / 2, std::min(kFontPt, kFontPt * captionW / std::max(1.0, textWidth(caption, kFontPt)))));
    const size_t columns = static_cast<size_t>(M + (pl.extra ? 1 : 0));
    for (size_t c = 0; c < columns && c < pl.layout.panels.size(); ++c) {
        const FigurePanel& panel = pl.layout.panels[c];
        const bool model = static_cast<int>(c) < M;
        const QString title = model    ? QString::fromStdString(d.names[c])
                              : M == 2 ? QStringLiteral("all · 1 − 2")
                                       : QStringLiteral("all");
        drawFittedText(p, panel.x + panel.width / 2, panel.y - kFontPt * 0.5, title, kFontPt, panel.width,
                       model ? tab10(c) : QColor(20, 20, 20));
    }
    for (size_t r = 0; r < pl.layers.size(); ++r) {
        const FigurePanel& panel = pl.layout.panels[r * columns];
        drawText(p, kMargin, panel.y + panel.height / 2 + kFontPt * 0.35,
                 pl.layers[r] < 0 ? QStringLiteral("pose") : rowLabel(pl.layers[r]), kFontPt);
    }
    if (s.showColorbar && !pl.layout.panels.empty()) {
        const FigurePanel& last = pl.layout.panels.back();
        const FigurePanel& top = pl.layout.panels[pl.layers.front() < 0 && pl.layers.size() > 1 ? columns : 0];
        drawColorbar(p, cm, last.x + last.width + kBarGap, top.y, last.y + last.height, s.sharedScale, sharedMax);
    }
    p.restore();
}

}  // namespace

FigureLayout FigureRenderer::layout(const FigureSpec& spec, int64_t row) const {
    if (needsRun(spec)) (void)run(spec.kind);
    if (spec.kind == FigureKind::Scales) requireCocoRun(m_source);
    requireOcclusionRun(m_source, spec.kind, spec.overlay);
    if (spec.kind == FigureKind::Occlusion) {  // plots over the runs: no panels
        checkCommon(m_source.header(), spec, m_source.size());
        const OcclusionGeometry g = occlusionGeometry(spec, occlusionData(spec));
        FigureLayout lay;
        lay.width = g.width;
        lay.height = g.height;
        lay.cropWidth = m_source.header().inputWidth;
        lay.cropHeight = m_source.header().inputHeight;
        return lay;
    }
    if (spec.kind == FigureKind::Comparison) {  // charts over the runs: no panels
        checkCommon(m_source.header(), spec, m_source.size());
        checkComparisonSpec(spec);
        return comparisonLayout(spec, comparisonData(spec), m_source.header().inputWidth,
                                m_source.header().inputHeight);
    }
    if (spec.kind == FigureKind::Models)
        return planModels(m_source.header(), spec, m_source.size(), 1 + static_cast<int>(spec.runs.size())).layout;
    if (spec.kind != FigureKind::Image) return plan(m_source.header(), spec, m_source.size()).layout;
    const RunHeader& h = m_source.header();
    require(row >= 0 && row < m_source.size(),
            "row " + std::to_string(row) + " is not in the run (" + std::to_string(m_source.size()) + " samples)");
    const ImageFrame f =
        imageFrame(spec, m_source.image(row).size(), m_source.cropTransform(row), h.inputWidth, h.inputHeight);
    return planImage(h, spec, m_source.size(), f).layout;
}

void FigureRenderer::paint(QPainter& p, const FigureSpec& s, int64_t row, double pixelsPerPoint) const {
    if (needsRun(s)) (void)run(s.kind);
    const RunHeader& h = m_source.header();
    require(row >= 0 && row < m_source.size(),
            "row " + std::to_string(row) + " is not in the run (" + std::to_string(m_source.size()) + " samples)");
    requireOcclusionRun(m_source, s.kind, s.overlay);
    ImageFrame frame;
    if (s.kind == FigureKind::Occlusion) {  // over the runs: no sample drawn
        checkCommon(h, s, m_source.size());
        const OcclusionFigureData& d = occlusionData(s);
        const OcclusionGeometry g = occlusionGeometry(s, d);
        p.save();
        p.fillRect(QRectF(0, 0, g.width, g.height), QColor(255, 255, 255));
        drawOcclusion(p, s, g, d);
        p.restore();
        return;
    }
    if (s.kind == FigureKind::Scales) {  // over the run: no sample drawn
        requireCocoRun(m_source);
        checkCommon(h, s, m_source.size());
        const ScalesGeometry g = scalesGeometry(h, s);
        Cache& c = *m_cache;
        if (!c.scales || c.scalesKey != scalesKey(s)) {
            c.scales.reset();
            c.scales = scaleFigureData(run(s.kind), s);
            c.scalesKey = scalesKey(s);
        }
        p.save();
        p.fillRect(QRectF(0, 0, g.width, g.height), QColor(255, 255, 255));
        drawScales(p, h, s, g, *c.scales);
        p.restore();
        return;
    }
    if (s.kind == FigureKind::Comparison) {  // over the runs: no sample drawn
        checkCommon(h, s, m_source.size());
        checkComparisonSpec(s);
        drawComparison(p, s, comparisonData(s));
        return;
    }
    if (s.kind == FigureKind::Models) {  // this run and the spec's `runs`, the sample paired
        const ModelsPlan mp = planModels(h, s, m_source.size(), 1 + static_cast<int>(s.runs.size()));
        Cache& c = *m_cache;
        if (!c.models || c.models->runs != s.runs) {
            c.models.reset();
            c.models = modelsData(run(s.kind), s);
        }
        paintModels(p, run(s.kind), *c.models, s, row, mp);
        return;
    }
    if (s.kind == FigureKind::Image)
        frame = imageFrame(s, m_source.image(row).size(), m_source.cropTransform(row), h.inputWidth, h.inputHeight);
    const Plan pl = s.kind == FigureKind::Image ? planImage(h, s, m_source.size(), frame) : plan(h, s, m_source.size());
    Cache& c = *m_cache;
    if (c.row != row) {
        c.row = row;
        c.crop = m_source.crop(row);
        c.pose = m_source.pose(row);
        c.maps.clear();
        c.scaledCrops.clear();
    }
    if (s.kind == FigureKind::Pruning) {
        p.save();
        p.fillRect(QRectF(0, 0, pl.layout.width, pl.layout.height), QColor(255, 255, 255));
        QString which = QStringLiteral("all keypoints");
        if (!s.keypoints.empty()) {
            which.clear();
            for (int k : s.keypoints)
                which += (which.isEmpty() ? QString() : QStringLiteral(", ")) +
                         label(h.keypointNames[static_cast<size_t>(k)]);
        }
        drawPruningPlot(p, run(s.kind).pruningError(s.keypoints), which, kMargin + kAxisWidth, kMargin + kFontPt * 2,
                        pl.panelW, pl.panelH);
        p.restore();
        return;
    }
    if (s.kind == FigureKind::Tokens) {
        paintTokens(p, run(s.kind), row, c.crop, c.pose, s, pl.layout, colormap(s.colormap));
        return;
    }
    if (s.kind == FigureKind::Layerwise) {
        const int k = s.keypoints.empty() ? 0 : s.keypoints.front();
        p.save();
        p.fillRect(QRectF(0, 0, pl.layout.width, pl.layout.height), QColor(255, 255, 255));
        drawLayerwise(p, run(s.kind).layerStats(row, k), label(h.keypointNames[static_cast<size_t>(k)]),
                      kMargin + kAxisWidth, kMargin + kFontPt * 2, pl.panelW, pl.panelH);
        p.restore();
        return;
    }
    const bool pointQuery = s.usePoint && (s.kind == FigureKind::Dependencies ||
                                           (s.kind == FigureKind::Image && s.overlay == ImageOverlay::Dependency));
    const int token = pointQuery ? run(s.kind).tokenAt(static_cast<float>(s.pointX), static_cast<float>(s.pointY)) : -1;
    // Targeted figures with a body part hidden and a keypoint given: that keypoint's maps (else the
    // hidden keypoints' own).
    const int watched =
        s.kind == FigureKind::Targeted && !s.part.empty() && !s.keypoints.empty() ? s.keypoints.front() : -1;
    // The map of a panel; `after`: a targeted figure's panel after hiding the region.
    auto mapOf = [&](const FigurePanel& panel, bool after = false) -> const GridMap& {
        const bool heat = s.kind == FigureKind::Heatmaps || panel.layer == -2;
        const bool sensitivity = panel.layer == kSensitivityRow, targeted = s.kind == FigureKind::Targeted;
        // Targeted figures show head-averaged dependency rows (as recorded after hiding).
        const int dir = heat          ? 2
                        : sensitivity ? 10 + static_cast<int>(s.measure)
                        : after       ? 3
                        : targeted    ? static_cast<int>(MapDirection::Dependency)
                                      : static_cast<int>(s.direction);
        const int tok = panel.keypoint < 0 ? token : -1;
        const bool mhsa = panel.mhsaBlock >= 0;
        const int head = targeted ? -1 : mhsa ? s.mhsaHead : s.head;
        const auto key =
            std::make_tuple(mhsa ? kMhsaRow - panel.mhsaBlock : panel.layer, panel.keypoint, head, dir, tok, watched);
        auto it = c.maps.find(key);
        if (it != c.maps.end()) return it->second;
        GridMap g;
        if (heat) {
            g = run(s.kind).heatmap(row, panel.keypoint);
        } else if (sensitivity) {
            g = run(s.kind).sensitivityMap(row, panel.keypoint, s.measure);
        } else if (after) {
            g = run(s.kind).targetedMap(row, panel.keypoint, panel.layer, watched);
        } else if (targeted && panel.keypoint >= h.keypoints() && watched < 0) {  // a part: its keypoints' mean row
            const std::vector<int> part = h.targetedRegionKeypoints(panel.keypoint);
            for (int hk : part) {
                MapRequest q;
                q.layer = panel.layer;
                q.keypoint = hk;
                const GridMap one = run(s.kind).dependencyMap(row, q);
                if (g.values.empty()) g = GridMap{one.rows, one.cols, std::vector<float>(one.values.size(), 0.f)};
                for (size_t i = 0; i < one.values.size(); ++i)
                    g.values[i] += one.values[i] / static_cast<float>(part.size());
            }
        } else {
            MapRequest q;
            q.layer = panel.layer;
            q.mhsaBlock = panel.mhsaBlock;
            q.keypoint = targeted && watched >= 0 ? watched : std::max(0, panel.keypoint);
            q.head = head;
            q.direction = targeted ? MapDirection::Dependency : s.direction;
            q.token = tok;
            g = run(s.kind).dependencyMap(row, q);
        }
        return c.maps.emplace(key, std::move(g)).first->second;
    };
    const Colormap& cm = colormap(s.colormap);
    if (s.kind == FigureKind::Image) {
        paintImage(p, m_source, row, c.pose, s, pl.layout, frame, pl.columns.front().title, pixelsPerPoint,
                   pl.layout.panels.front().layer == -1 ? nullptr : &mapOf(pl.layout.panels.front()), cm);
        return;
    }
    // Targeted figures: per layer the panel before, then the one after hiding the region.
    const bool targeted = s.kind == FigureKind::Targeted;
    auto isAfter = [&](size_t i) { return targeted && i % 2 == 1; };
    std::optional<TargetedView> hiding;
    if (targeted) hiding = run(s.kind).targeted(row, pl.columns.front().keypoint);
    // The colour scale: per panel (min–max) or shared (0 … the largest value of the figure).
    auto isMap = [&](const FigurePanel& panel) { return s.kind != FigureKind::Pose && panel.layer != -1; };
    double sharedMax = 0;
    for (size_t i = 0; i < pl.layout.panels.size(); ++i)
        if (isMap(pl.layout.panels[i]))
            sharedMax = std::max(sharedMax, static_cast<double>(mapOf(pl.layout.panels[i], isAfter(i)).maxValue()));

    p.save();
    p.fillRect(QRectF(0, 0, pl.layout.width, pl.layout.height), QColor(255, 255, 255));
    // Panels are coloured at the crop's resolution, or, on screen, at the size they are shown.
    const cv::Mat* crop = &c.crop;
    if (pixelsPerPoint > 0 && !pl.layout.panels.empty()) {
        const int w =
            std::clamp(static_cast<int>(std::lround(pl.layout.panels.front().width * pixelsPerPoint)), 8, c.crop.cols);
        if (w < c.crop.cols) {
            cv::Mat& scaled = c.scaledCrops[w];
            if (scaled.empty())
                cv::resize(c.crop, scaled,
                           cv::Size(w, std::max(1, static_cast<int>(std::lround(static_cast<double>(w) * c.crop.rows /
                                                                                c.crop.cols)))),
                           0, 0, cv::INTER_AREA);
            crop = &scaled;
        }
    }
    const QImage plainCrop = toQImage(*crop);
    const QRectF visible = p.hasClipping() ? p.clipBoundingRect() : QRectF();  // a zoomed view: skip the rest
    for (size_t i = 0; i < pl.layout.panels.size(); ++i) {
        const FigurePanel& panel = pl.layout.panels[i];
        const QRectF r(panel.x, panel.y, panel.width, panel.height);
        if (!visible.isNull() && !visible.intersects(r)) continue;
        if (!isMap(panel)) {
            p.drawImage(r, plainCrop);
            const double k = panel.width / std::max(1, h.inputWidth);
            drawPose(
                p, h, c.pose, r, [&](float x, float y) { return QPointF(panel.x + x * k, panel.y + y * k); },
                panel.width / 62.0, s.kind == FigureKind::Pose && s.showLabels);
            continue;
        }
        const GridMap& g = mapOf(panel, isAfter(i));
        const cv::Mat up = toCrop(g, crop->cols, crop->rows);
        // Per panel: min–max of the map itself (bilinear upsampling stays within it), so the
        // colours do not depend on the resolution the panel is drawn at.
        double lo = s.sharedScale ? 0 : g.minValue(), hi = s.sharedScale ? sharedMax : g.maxValue();
        p.drawImage(r, blend(*crop, up, lo, hi, cm, s.threshold, s.alpha));
        // The query: the predicted keypoint, or the chosen point.
        const double k = panel.width / std::max(1, h.inputWidth);
        if (s.kind == FigureKind::Dependencies) {
            QPointF q;
            if (panel.keypoint >= 0) {
                const auto& pr = c.pose.predicted[static_cast<size_t>(panel.keypoint)];
                q = QPointF(pr[0], pr[1]);
            } else {
                q = QPointF(s.pointX, s.pointY);
            }
            p.save();
            p.setClipRect(r);
            p.setRenderHint(QPainter::Antialiasing, true);
            drawStar(p, QPointF(panel.x + q.x() * k, panel.y + q.y() * k), panel.width / 18.0);
            p.restore();
        } else if (s.kind == FigureKind::Sensitivity) {
            decorateSensitivity(p, panel, c.pose, k);
        } else if (targeted) {
            decorateTargeted(p, panel, c.pose, *hiding, isAfter(i), h.keypoints(), k, watched);
        }
    }
    // Labels: a caption, columns on top, layers on the left.
    if (hasCaption(s) && !pl.layout.panels.empty())
        drawText(p, pl.layout.panels.front().x, kMargin + kFontPt * 1.05, caption(h, s), kFontPt);
    int firstMapColumn = (pl.poseColumn || s.kind == FigureKind::Pose) ? 1 : 0;
    const size_t perRow = pl.columns.size() + static_cast<size_t>(firstMapColumn);
    if (pl.headerH > 0 && !pl.layout.panels.empty()) {
        for (size_t i = 0; i < perRow && i < pl.layout.panels.size(); ++i) {
            const FigurePanel& panel = pl.layout.panels[i];
            const QString title = static_cast<int>(i) < firstMapColumn
                                      ? QStringLiteral("pose")
                                      : pl.columns[i - static_cast<size_t>(firstMapColumn)].title;
            drawText(p, panel.x + panel.width / 2, panel.y - kFontPt * 0.5, title, kFontPt, true);
        }
    }
    if (s.kind == FigureKind::Dependencies || targeted)
        for (size_t r = 0; r < pl.layers.size(); ++r) {
            const FigurePanel& panel = pl.layout.panels[r * perRow];
            drawText(p, kMargin, panel.y + panel.height / 2 + kFontPt * 0.35, rowLabel(pl.layers[r]), kFontPt);
        }
    if (s.showColorbar && s.kind != FigureKind::Pose && !pl.layout.panels.empty()) {
        const FigurePanel& last = pl.layout.panels.back();
        drawColorbar(p, cm, last.x + last.width + kBarGap, pl.layout.panels.front().y, last.y + last.height,
                     s.sharedScale, sharedMax);
    }
    p.restore();
}

void FigureRenderer::write(const FigureSpec& spec, int64_t row, const std::string& path) const {
    const FigureLayout lay = layout(spec, row);
    writePaintedFigure(path, lay.width, lay.height, spec.dpi, [&](QPainter& p) { paint(p, spec, row); });
}

std::vector<std::string> writeComparisonFigures(const ComparisonReport& report, const std::string& dir,
                                                std::size_t samples) {
    if (report.models.empty()) throw Error("compare: no models to draw");
    if (report.cancelled) throw Error("compare: the comparison was cancelled; no figures written");
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw FileError(dir, "cannot create directory: " + ec.message());
    std::vector<std::string> written;
    const auto first = RunBrowser::open(report.models.front().run);
    FigureSpec base;
    base.run = fs::absolute(report.models.front().run).string();
    base.gt = report.gtFile;  // redrawn from any folder, the specs find the same ground truth
    for (size_t m = 1; m < report.models.size(); ++m)
        base.runs.push_back(fs::absolute(report.models[m].run).string());
    auto write = [&](const FigureRenderer& renderer, const FigureSpec& spec, int64_t row, const std::string& name) {
        for (const char* ext : {".pdf", ".png"}) {
            const std::string path = (fs::path(dir) / (name + ext)).string();
            renderer.write(spec, row, path);
            written.push_back(path);
        }
        const std::string specPath = (fs::path(dir) / (name + ".json")).string();
        writeFigureSpec(spec, specPath);
        written.push_back(specPath);
    };
    // The charts, from the report itself.
    FigureRenderer charts(*first);
    for (const char* chart : {"accuracy", "errors", "attention", "keypoints"}) {
        FigureSpec spec = base;
        spec.kind = FigureKind::Comparison;
        spec.chart = chart;
        spec.rows = {0};
        charts.setComparisonData(spec, report);
        write(charts, spec, 0, std::string("chart_") + chart);
    }
    // The samples the models disagree on most, side by side, at the keypoint whose predictions
    // lie furthest apart (image pixels) across the models.
    if (report.models.size() < 2) return written;
    std::vector<std::unique_ptr<RunReader>> readers;
    for (const ModelComparison& m : report.models)
        readers.push_back(std::make_unique<RunReader>(RunReader::open(m.run)));
    FigureRenderer sideBySide(*first);
    for (size_t i = 0; i < report.disagreements.size() && i < samples; ++i) {
        const PairedSample& d = report.disagreements[i];
        std::vector<RunSample> poses;
        for (size_t m = 0; m < readers.size(); ++m)
            poses.push_back(readers[m]->sample(d.rows[m]));
        int keypoint = 0;
        double spread = -1;
        for (int k = 0; k < first->header().keypoints(); ++k) {
            const auto kk = static_cast<size_t>(3 * k);
            double largest = 0;
            for (size_t a = 0; a < poses.size(); ++a)
                for (size_t b = a + 1; b < poses.size(); ++b)
                    largest = std::max(largest, static_cast<double>(std::hypot(
                                                    poses[a].keypoints[kk] - poses[b].keypoints[kk],
                                                    poses[a].keypoints[kk + 1] - poses[b].keypoints[kk + 1])));
            if (largest > spread) spread = largest, keypoint = k;
        }
        FigureSpec spec = base;
        spec.kind = FigureKind::Models;
        spec.rows = {d.rows.front()};
        spec.keypoints = {keypoint};
        spec.sharedScale = true;
        write(sideBySide, spec, d.rows.front(), "disagreement_" + std::to_string(i + 1));
    }
    return written;
}

}  // namespace posescope::analysis
