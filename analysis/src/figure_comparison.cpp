// Comparison figures (figure.h's `comparison` kind): charts of a ComparisonReport, one colour per
// model — accuracy per bin, the error taxonomy, attention statistics per layer, keypoint errors.

#include "figure_draw.h"
#include "posescope/analysis/comparison.h"
#include "posescope/analysis/figure.h"
#include "posescope/datasets/error.h"

#include <QPainterPath>

#include <algorithm>
#include <cmath>
#include <limits>

namespace posescope::analysis::figure_draw {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Geometry {
    double width = 0, height = 0, x0 = 0, w = 0, h = 0;
    std::vector<LegendEntry> models;
    double modelsBaseline = 0;
    std::vector<PlotArea> plots;
};

std::vector<QString> modelNames(const ComparisonReport& r) {
    std::vector<QString> names;
    for (const ModelComparison& m : r.models)
        names.push_back(QString::fromStdString(m.name));
    return names;
}

// The error types' colours: good green, then jitter, inversion, swap, miss from yellow to red.
QColor errorColour(int type) {
    static const QColor colours[] = {{44, 160, 44}, {255, 200, 60}, {255, 127, 14}, {214, 39, 40}, {120, 20, 30}};
    return colours[std::clamp(type, 0, 4)];
}

// Bars of several models per category, with category labels under the area (rotated when many).
void drawGroupedBars(QPainter& p, const PlotArea& a, const std::vector<QString>& categories,
                     const std::vector<std::vector<double>>& values, bool withZero, const QString& yName,
                     const QString& empty) {
    std::vector<double> all;
    for (const auto& v : values)
        all.insert(all.end(), v.begin(), v.end());
    const bool any = std::any_of(all.begin(), all.end(), [](double v) { return std::isfinite(v); });
    const auto [lo, hi, step] = niceRange(all, withZero);
    drawYAxis(p, a, lo, hi, step, yName);
    const size_t C = categories.size(), M = values.size();
    const double slot = a.w / static_cast<double>(std::max<size_t>(1, C));
    const double bar = slot * 0.8 / static_cast<double>(std::max<size_t>(1, M));
    const bool rotate = C > 0 && slot < textWidth(QStringLiteral("medium"), kSmallFontPt) + 2;
    p.save();
    for (size_t c = 0; c < C; ++c) {
        for (size_t m = 0; m < M; ++m) {
            const double v = c < values[m].size() ? values[m][c] : kNaN;
            if (!std::isfinite(v)) continue;
            const double y = a.y0 + a.h - a.h * (v - lo) / (hi - lo), y0 = a.y0 + a.h - a.h * (0 - lo) / (hi - lo);
            const double x = a.x0 + slot * static_cast<double>(c) + slot * 0.1 + bar * static_cast<double>(m);
            p.fillRect(QRectF(x, std::min(y, y0), bar, std::abs(y0 - y)), tab10(m));
        }
        const double cx = a.x0 + slot * (static_cast<double>(c) + 0.5);
        if (rotate)
            drawText(p, cx + kSmallFontPt * 0.35, a.y0 + a.h + 2 + textWidth(categories[c], kSmallFontPt),
                     categories[c], kSmallFontPt, false, -90);
        else
            drawText(p, cx, a.y0 + a.h + kSmallFontPt * 1.4, categories[c], kSmallFontPt, true);
    }
    p.restore();
    if (!any) drawText(p, a.x0 + a.w / 2, a.y0 + a.h / 2, empty, kSmallFontPt, true);
    drawFrame(p, a);
}

// The longest category label, for the room under a rotated axis.
double labelRoom(const std::vector<QString>& categories, double slot) {
    double longest = 0;
    for (const QString& c : categories)
        longest = std::max(longest, textWidth(c, kSmallFontPt));
    return slot < textWidth(QStringLiteral("medium"), kSmallFontPt) + 2 ? longest + 4 : kSmallFontPt * 2;
}

std::vector<QString> accuracyCategories(const ComparisonReport& r) {
    std::vector<QString> c{QStringLiteral("all")};
    if (r.models.empty()) return c;
    for (const AccuracyBin& b : r.models.front().breakdown.bySize)
        c.push_back(QString::fromStdString(b.label));
    for (const AccuracyBin& b : r.models.front().breakdown.byCrowding)
        c.push_back(QString::fromStdString(b.label) + QStringLiteral(" in crop"));
    return c;
}

std::vector<QString> keypointCategories(const ComparisonReport& r) {
    std::vector<QString> c;
    if (!r.models.empty())
        for (const std::string& n : r.models.front().breakdown.keypointNames)
            c.push_back(label(n));
    return c;
}

const char* const kSteps[] = {"AP", "miss fixed", "+ swap", "+ inversion", "+ jitter", "− bkg. FP", "− FN"};

std::vector<LegendEntry> errorTypeEntries() {
    std::vector<LegendEntry> types;
    for (int t = 0; t < kPoseErrorTypeTypes; ++t)
        types.push_back(
            {QString::fromStdString(poseErrorName(static_cast<PoseErrorType>(t))), errorColour(t), Swatch::Bar});
    return types;
}

Geometry geometry(const FigureSpec& s, const ComparisonReport& r) {
    Geometry g;
    const std::string& chart = s.chart;
    // Attention: four plots, two a row, on a wider figure.
    const double w = s.panelWidthMm * 72.0 / 25.4 * (chart == "attention" ? 4.5 : 3);
    g.x0 = kMargin + kAxisWidth;
    g.w = w;
    g.h = s.panelWidthMm * 72.0 / 25.4 * 3 * 0.45;
    g.models = tab10Entries(modelNames(r), Swatch::Bar);
    g.modelsBaseline = kMargin + kSmallFontPt * 1.2;
    double y = kMargin + (plotHeaderHeight(g.models, g.w) - kTitleH) + kGap;
    if (chart == "accuracy" || chart == "keypoints") {
        const std::vector<QString> c = chart == "accuracy" ? accuracyCategories(r) : keypointCategories(r);
        y += kTitleH;
        g.plots.push_back({g.x0, y, g.w, g.h});
        y += g.h + labelRoom(c, g.w / static_cast<double>(std::max<size_t>(1, c.size()))) + kFontPt;
    } else if (chart == "errors") {
        const double left = kAxisWidth * 1.5, barsW = g.w - left;
        y += plotHeaderHeight(errorTypeEntries(), barsW);
        const double barsH = std::max(1.0, static_cast<double>(r.models.size())) * kFontPt * 2.2;
        g.plots.push_back({g.x0 + left, y, barsW, barsH});
        y += barsH + kSmallFontPt * 2 + kTitleH;
        g.plots.push_back({g.x0, y, g.w, g.h});
        y += g.h + kSmallFontPt * 2.5;
    } else {  // attention: 2 × 2
        const double half = (g.w - kAxisWidth - kGap) / 2;
        for (int i = 0; i < 4; ++i) {
            if (i % 2 == 0) y += kTitleH;
            g.plots.push_back({g.x0 + (i % 2) * (half + kAxisWidth + kGap), y, half, g.h * 0.8});
            if (i % 2 == 1) y += g.h * 0.8 + kXAxisH;
        }
    }
    g.width = g.x0 + g.w + kMargin;
    g.height = y + kMargin;
    return g;
}

}  // namespace

void checkComparisonSpec(const FigureSpec& s) {
    if (s.chart != "accuracy" && s.chart != "errors" && s.chart != "attention" && s.chart != "keypoints")
        throw Error("figure: unknown comparison chart \"" + s.chart + "\" (accuracy, errors, attention or keypoints)");
}

FigureLayout comparisonLayout(const FigureSpec& s, const ComparisonReport& r, int cropWidth, int cropHeight) {
    checkComparisonSpec(s);
    const Geometry g = geometry(s, r);
    FigureLayout lay;
    lay.width = g.width;
    lay.height = g.height;
    lay.cropWidth = cropWidth;
    lay.cropHeight = cropHeight;
    return lay;
}

void drawComparison(QPainter& p, const FigureSpec& s, const ComparisonReport& r) {
    checkComparisonSpec(s);
    const Geometry g = geometry(s, r);
    p.save();
    p.fillRect(QRectF(0, 0, g.width, g.height), QColor(255, 255, 255));
    p.setRenderHint(QPainter::Antialiasing, true);
    drawLegend(p, g.x0, g.modelsBaseline, g.w, g.models);
    const size_t M = r.models.size();
    if (s.chart == "accuracy") {
        std::vector<std::vector<double>> values;
        for (const ModelComparison& m : r.models) {
            std::vector<double> v{m.breakdown.overall.ap};
            for (const AccuracyBin& b : m.breakdown.bySize)
                v.push_back(b.ap);
            for (const AccuracyBin& b : m.breakdown.byCrowding)
                v.push_back(b.ap);
            for (double& x : v)
                if (x < 0) x = kNaN;  // a bin without persons
            values.push_back(v);
        }
        const PlotArea& a = g.plots[0];
        drawText(p, a.x0 + a.w / 2, a.y0 - kFontPt * 0.6,
                 QStringLiteral("OKS AP by person size and people in the crop"), kFontPt, true);
        drawGroupedBars(p, a, accuracyCategories(r), values, true, QStringLiteral("AP"), QStringLiteral("no persons"));
    } else if (s.chart == "keypoints") {
        std::vector<std::vector<double>> values;
        for (const ModelComparison& m : r.models) {
            std::vector<double> v;
            for (const ErrorSum& e : m.breakdown.errors.perKeypoint)
                v.push_back(e.mean());
            values.push_back(v);
        }
        const PlotArea& a = g.plots[0];
        drawText(p, a.x0 + a.w / 2, a.y0 - kFontPt * 0.6, QStringLiteral("keypoint error ÷ √area (labelled keypoints)"),
                 kFontPt, true);
        drawGroupedBars(p, a, keypointCategories(r), values, true, QStringLiteral("error ÷ √area"),
                        QStringLiteral("no labelled keypoints"));
    } else if (s.chart == "errors") {
        // (a) Each model's labelled keypoints by error type, as shares of a bar.
        const PlotArea& a = g.plots[0];
        drawPlotHeader(p, a, QStringLiteral("keypoint errors of matched predictions"), errorTypeEntries());
        const double rowH = a.h / static_cast<double>(std::max<size_t>(1, M));
        for (size_t m = 0; m < M; ++m) {
            const auto& totals = r.models[m].taxonomy.totals;
            double all = 0;
            for (int64_t n : totals)
                all += static_cast<double>(n);
            const double y = a.y0 + rowH * static_cast<double>(m) + rowH * 0.15, h = rowH * 0.7;
            double x = a.x0;
            for (int t = 0; t < kPoseErrorTypeTypes && all > 0; ++t) {
                const double w = a.w * static_cast<double>(totals[static_cast<size_t>(t)]) / all;
                p.fillRect(QRectF(x, y, w, h), errorColour(t));
                if (w > textWidth(QStringLiteral("88%"), kSmallFontPt) + 2 && t > 0)
                    drawText(p, x + w / 2, y + h / 2 + kSmallFontPt * 0.35,
                             QStringLiteral("%1%").arg(std::lround(100.0 * totals[static_cast<size_t>(t)] / all)),
                             kSmallFontPt, true, 0, t >= 3 ? QColor(255, 255, 255) : QColor(20, 20, 20));
                x += w;
            }
            const QString name = QString::fromStdString(r.models[m].name);
            drawText(p, a.x0 - 3 - std::min(textWidth(name, kSmallFontPt), kAxisWidth * 1.5 + g.x0 - kMargin - 3),
                     y + h / 2 + kSmallFontPt * 0.35, name, kSmallFontPt, false, 0, tab10(m));
        }
        drawFrame(p, a);
        // (b) The AP with the error types fixed in turn.
        const PlotArea& b = g.plots[1];
        drawText(p, b.x0 + b.w / 2, b.y0 - kFontPt * 0.6, QStringLiteral("OKS AP with each error type fixed in turn"),
                 kFontPt, true);
        std::vector<QString> steps;
        for (const char* st : kSteps)
            steps.push_back(QString::fromUtf8(st));
        std::vector<std::vector<double>> values;
        for (const ModelComparison& m : r.models) {
            const TaxonomyAp& ap = m.taxonomy.ap;
            values.push_back({ap.baseline, ap.withoutMiss, ap.withoutSwap, ap.withoutInversion, ap.withoutJitter,
                              ap.withoutBackgroundFp, ap.withoutFalseNegatives});
        }
        drawGroupedBars(p, b, steps, values, true, QStringLiteral("AP"), QStringLiteral("no predictions"));
    } else {  // attention
        std::vector<int> layers;
        for (const ModelComparison& m : r.models)
            layers.push_back(m.attention.layers);
        using Member = double AttentionMeasures::*;
        const struct {
            Member member;
            const char* title;
            const char* axis;
        } plots[] = {{&AttentionMeasures::normalisedEntropy, "attention entropy ÷ ln T", "entropy"},
                     {&AttentionMeasures::relativeDistance, "attention distance ÷ crop diagonal", "distance"},
                     {&AttentionMeasures::boxShare, "share inside the person's box", "share of the row"},
                     {&AttentionMeasures::otherShare, "share on other people", "share of the row"}};
        for (size_t i = 0; i < 4; ++i) {
            std::vector<std::pair<std::vector<double>, std::vector<double>>> series;
            for (const ModelComparison& m : r.models) {
                std::vector<double> v;
                for (const AttentionMeasures& a : m.attention.layer)
                    v.push_back(a.count > 0 ? a.*plots[i].member : kNaN);
                series.emplace_back(v, std::vector<double>{});
            }
            const PlotArea& a = g.plots[i];
            drawText(p, a.x0 + a.w / 2, a.y0 - kFontPt * 0.6, QString::fromUtf8(plots[i].title), kFontPt, true);
            drawLayerPlot(p, a, layers, series, true, QString::fromUtf8(plots[i].axis),
                          i == 3 ? QStringLiteral("no other people known") : QStringLiteral("no attention rows"));
        }
    }
    p.restore();
}

}  // namespace posescope::analysis::figure_draw
