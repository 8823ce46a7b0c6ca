#include "posescope/analysis/training_figure.h"

#include "figure_draw.h"
#include "posescope/datasets/error.h"

#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>
#include <vector>

namespace posescope::analysis {

using namespace figure_draw;

namespace {

constexpr double kPointsPerMm = 72.0 / 25.4;

struct Geometry {
    double width = 0, height = 0, panelW = 0, panelH = 0, header = 0;
};

QString text(const std::string& s) {
    return QString::fromStdString(s);
}

std::vector<QString> texts(const std::vector<std::string>& v) {
    std::vector<QString> out;
    for (const std::string& s : v)
        out.push_back(text(s));
    return out;
}

Geometry geometryOf(const std::vector<TrainingPlot>& panels, const TrainingFigureOptions& o) {
    Geometry g;
    g.panelW = std::max(20.0, o.panelWidthMm) * kPointsPerMm;
    g.panelH = g.panelW * 0.62;
    for (const TrainingPlot& p : panels)
        g.header = std::max(g.header, plotHeaderHeight(tab10Entries(texts(p.names), Swatch::Line), g.panelW));
    const double n = static_cast<double>(std::max<size_t>(1, panels.size()));
    g.width = kMargin * 2 + n * (kAxisWidth + g.panelW) + (n - 1) * kGap * 3;
    g.height = kMargin * 2 + g.header + g.panelH + kXAxisH;
    return g;
}

void drawXAxis(QPainter& p, const PlotArea& a, double lo, double hi, double step, const QString& name) {
    p.save();
    p.setPen(QPen(QColor(20, 20, 20), 0.5));
    const double base = a.y0 + a.h;
    for (int i = 0; lo + i * step <= hi + step * 1e-4; ++i) {
        const double v = lo + i * step;
        const double x = a.x0 + a.w * (v - lo) / (hi - lo);
        p.drawLine(QPointF(x, base), QPointF(x, base + 2));
        const double shown = std::abs(v) < step * 1e-6 ? 0 : v;
        drawText(p, x, base + kSmallFontPt * 1.4, QString::number(shown, 'g', 6), kSmallFontPt, true);
    }
    p.restore();
    drawText(p, a.x0 + a.w / 2, base + kSmallFontPt * 1.4 + kFontPt * 1.3, name, kFontPt, true);
}

void drawPanel(QPainter& p, const PlotArea& a, const TrainingPlot& panel) {
    std::vector<double> xs, ys;
    for (const TrainingSeries& s : panel.lines) {
        xs.insert(xs.end(), s.x.begin(), s.x.end());
        ys.insert(ys.end(), s.value.begin(), s.value.end());
    }
    auto [xlo, xhi, xstep] = niceRange(xs, true);
    if (panel.overEpochs) {
        xstep = std::max(1.0, std::round(xstep));
        xhi = std::max(xhi, xlo + xstep);
        xhi = xlo + std::ceil((xhi - xlo) / xstep) * xstep;
    }
    // Small values (losses, learning rates) are shown × 10^k so that tick labels stay short.
    double largest = 0;
    for (double v : ys)
        if (std::isfinite(v)) largest = std::max(largest, std::abs(v));
    const int power = largest > 0 && largest < 0.01 ? static_cast<int>(std::floor(std::log10(largest))) : 0;
    const double unit = std::pow(10.0, power);
    for (double& v : ys)
        v /= unit;
    const auto [ylo, yhi, ystep] = niceRange(ys, panel.withZero);
    const auto entries = tab10Entries(texts(panel.names), Swatch::Line);
    drawPlotHeader(p, a, text(panel.title), panel.lines.size() > 1 ? entries : std::vector<LegendEntry>{});
    drawYAxis(p, a, ylo, yhi, ystep,
              power == 0 ? text(panel.yName) : QStringLiteral("%1 (× 1e%2)").arg(text(panel.yName)).arg(power));
    drawXAxis(p, a, xlo, xhi, xstep, text(panel.xName));
    p.save();
    p.setRenderHint(QPainter::Antialiasing, true);
    p.setClipRect(QRectF(a.x0 - 2, a.y0 - 2, a.w + 4, a.h + 4));
    for (size_t k = 0; k < panel.lines.size(); ++k) {
        const TrainingSeries& s = panel.lines[k];
        std::vector<QPointF> points, dots;
        for (size_t i = 0; i < s.value.size(); ++i)
            points.emplace_back(a.x0 + a.w * (s.x[i] - xlo) / (xhi - xlo),
                                a.y0 + a.h - a.h * (s.value[i] / unit - ylo) / (yhi - ylo));
        const QPainterPath path = brokenLine(points, dots);
        p.setPen(linePen(tab10(k), Swatch::Line, dots.size() > 60 ? 0.7 : 1.1));
        p.setBrush(Qt::NoBrush);
        p.drawPath(path);
        if (dots.size() <= 60) {  // dots mark the values when they are few (epochs)
            p.setPen(Qt::NoPen);
            p.setBrush(tab10(k));
            for (const QPointF& q : dots)
                p.drawEllipse(q, 1.3, 1.3);
        }
    }
    p.restore();
    drawFrame(p, a);
}

}  // namespace

std::pair<double, double> trainingFigureSize(const TrainingLog& log, const TrainingFigureOptions& o) {
    const Geometry g = geometryOf(trainingPlots(log), o);
    return {g.width, g.height};
}

void paintTrainingFigure(QPainter& p, const TrainingLog& log, const TrainingFigureOptions& o) {
    const std::vector<TrainingPlot> panels = trainingPlots(log);
    const Geometry g = geometryOf(panels, o);
    p.save();
    if (panels.empty()) drawText(p, g.width / 2, g.height / 2, QStringLiteral("no rows logged yet"), kFontPt, true);
    double x = kMargin;
    for (const TrainingPlot& panel : panels) {
        const PlotArea a{x + kAxisWidth, kMargin + g.header, g.panelW, g.panelH};
        drawPanel(p, a, panel);
        x += kAxisWidth + g.panelW + kGap * 3;
    }
    p.restore();
}

void writeTrainingFigure(const TrainingLog& log, const std::string& path, const TrainingFigureOptions& o) {
    const std::vector<TrainingPlot> panels = trainingPlots(log);
    if (panels.empty()) throw FileError(log.path, "holds no rows to draw yet");
    const Geometry g = geometryOf(panels, o);
    writePaintedFigure(path, g.width, g.height, o.dpi, [&](QPainter& p) { paintTrainingFigure(p, log, o); });
}

}  // namespace posescope::analysis
