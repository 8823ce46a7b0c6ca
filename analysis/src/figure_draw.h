// Private: the drawing vocabulary of figures, defined in figure_plots.cpp and used by figure.cpp,
// the comparison charts (figure_comparison.cpp) and the training figure (training_figure.cpp):
// sizes in points, text, the tab10 colours, plot areas with axes, legends, per-layer series and
// the PNG/SVG/PDF writer. Thread-safety: as QPainter; textWidth's font metrics are built once.
#pragma once

#include "posescope/analysis/comparison.h"
#include "posescope/analysis/figure.h"

#include <QColor>
#include <QFont>
#include <QPainter>
#include <QPainterPath>
#include <QPen>
#include <QString>

#include <array>
#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace posescope::analysis::figure_draw {

inline constexpr double kMargin = 4, kGap = 2, kFontPt = 6.5, kSmallFontPt = 5;
inline constexpr double kBarGap = 5, kBarWidth = 5, kTickWidth = 24, kAxisWidth = 30;
inline constexpr double kSwatch = 6, kLegendGap = 8, kTitleH = kFontPt * 1.6, kLegendRowH = kSmallFontPt * 1.6;
inline constexpr double kXAxisH = kSmallFontPt * 1.4 + kFontPt * 1.7;  // tick labels and the axis label under a plot
inline const QColor kStyleGrey(90, 90, 90);                            // legend swatches of line styles

QFont figureFont();
double textWidth(const QString& text, double sizePt);
/// Text with its baseline-left at (x, y), or centred on x when `centre`.
void drawText(QPainter& p, double x, double y, const QString& text, double sizePt, bool centre = false,
              double angle = 0, const QColor& colour = QColor(20, 20, 20));
/// A keypoint or part name for figures: underscores as spaces.
QString label(const std::string& name);
/// matplotlib's tab10 colours, cycling.
QColor tab10(std::size_t i);

/// A plot's area in points: left, top, width, height.
struct PlotArea {
    double x0 = 0, y0 = 0, w = 0, h = 0;
};
/// A legend entry: a bar, or a line with a dot (solid or dashed).
enum class Swatch { Bar, Line, Dashed };
struct LegendEntry {
    QString name;
    QColor colour;
    Swatch swatch = Swatch::Line;
};
std::vector<LegendEntry> tab10Entries(const std::vector<QString>& names, Swatch swatch);
QPen linePen(const QColor& colour, Swatch swatch, double width = 1.1);
/// A step of about a quarter of `span` (1, 2, 2.5 or 5 × a power of ten); a range around the
/// finite values (with 0 when `withZero`) on such steps: lo, hi, step.
double niceStep(double span);
std::array<double, 3> niceRange(const std::vector<double>& values, bool withZero);
/// The height a plot's title and legend take above its area; drawing them there.
/// How many rows a legend of these names takes in `width` (swatch: the marker before each name).
int legendRows(const std::vector<QString>& names, double width, double swatch = kSwatch);
double plotHeaderHeight(const std::vector<LegendEntry>& entries, double width);
void drawPlotHeader(QPainter& p, const PlotArea& a, const QString& title, const std::vector<LegendEntry>& entries);
void drawLegend(QPainter& p, double left, double baseline, double width, const std::vector<LegendEntry>& entries);
/// A linear y axis with labelled ticks and light grid lines, and the axis label; the frame.
void drawYAxis(QPainter& p, const PlotArea& a, double lo, double hi, double step, const QString& name);
void drawFrame(QPainter& p, const PlotArea& a);
/// A line through the points, broken where one is missing (a NaN coordinate); `dots` receives the
/// points drawn.
QPainterPath brokenLine(const std::vector<QPointF>& points, std::vector<QPointF>& dots);
/// Paints a figure of width × height points into `path` as PNG (at `dpi`), SVG or PDF, by the
/// extension (FileError for another one), and writes it atomically.
void writePaintedFigure(const std::string& path, double width, double height, int dpi,
                        const std::function<void(QPainter&)>& paint);
/// Per layer plots: layer numbers when every model has as many layers, else relative depth; each
/// model's solid and dashed values in its tab10 colour.
void drawLayerPlot(QPainter& p, const PlotArea& a, const std::vector<int>& layers,
                   const std::vector<std::pair<std::vector<double>, std::vector<double>>>& series, bool withZero,
                   const QString& yName, const QString& empty);

// Comparison figures (figure_comparison.cpp): the spec's chart checked (Error naming it), its
// layout and drawing.
void checkComparisonSpec(const FigureSpec& s);
FigureLayout comparisonLayout(const FigureSpec& s, const ComparisonReport& r, int cropWidth, int cropHeight);
void drawComparison(QPainter& p, const FigureSpec& s, const ComparisonReport& r);

}  // namespace posescope::analysis::figure_draw
