// Figures' drawing vocabulary (figure_draw.h): fonts and text, the tab10 colours, legends, plot
// areas with axes and frames, per-layer series, broken lines, and the PNG/SVG/PDF writer.
#include "figure_draw.h"

#include "posescope/datasets/atomic_file.h"
#include "posescope/datasets/error.h"

#include <QBuffer>
#include <QByteArray>
#include <QFontMetricsF>
#include <QImage>
#include <QPageSize>
#include <QPdfWriter>
#include <QSvgGenerator>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace posescope::analysis::figure_draw {

namespace fs = std::filesystem;

namespace {

// Legend entries left to right, wrapped at `width`: each entry's x offset and row.
std::vector<std::pair<double, int>> legendPlaces(const std::vector<QString>& names, double width,
                                                 double swatch = kSwatch) {
    std::vector<std::pair<double, int>> out;
    double x = 0;
    int row = 0;
    for (const QString& name : names) {
        const double w = swatch + 2 + textWidth(name, kSmallFontPt);
        if (x > 0 && x + w > width) {  // the next row
            x = 0;
            ++row;
        }
        out.emplace_back(x, row);
        x += w + kLegendGap;
    }
    return out;
}

std::vector<QString> legendNames(const std::vector<LegendEntry>& entries) {
    std::vector<QString> names;
    for (const LegendEntry& e : entries)
        names.push_back(e.name);
    return names;
}

// The swatch width of a legend: longer when it shows dashed lines, so that their dashes show.
double swatchWidth(const std::vector<LegendEntry>& entries) {
    for (const LegendEntry& e : entries)
        if (e.swatch == Swatch::Dashed) return kSwatch * 2;
    return kSwatch;
}

// The layer axis under a plot: layer numbers when every model has as many layers, else the
// relative depth (layer + ½) / layers. Values lie at (l + ½) / L either way.
void drawLayerAxis(QPainter& p, const PlotArea& a, const std::vector<int>& layers) {
    const bool same = std::all_of(layers.begin(), layers.end(), [&](int L) { return L == layers.front(); });
    p.save();
    p.setPen(QPen(QColor(20, 20, 20), 0.5));
    const double base = a.y0 + a.h;
    if (same && !layers.empty()) {
        const int L = std::max(1, layers.front());
        const int every =
            std::max(1, static_cast<int>(std::ceil(L * (textWidth(QStringLiteral("88"), kSmallFontPt) + 3) / a.w)));
        for (int l = 0; l < L; ++l) {
            const double x = a.x0 + a.w * (l + 0.5) / L;
            p.drawLine(QPointF(x, base), QPointF(x, base + 2));
            if (l % every == 0) drawText(p, x, base + kSmallFontPt * 1.4, QString::number(l + 1), kSmallFontPt, true);
        }
        drawText(p, a.x0 + a.w / 2, base + kSmallFontPt * 1.4 + kFontPt * 1.3, QStringLiteral("layer"), kFontPt, true);
    } else {
        for (double f : {0.0, 0.25, 0.5, 0.75, 1.0}) {
            const double x = a.x0 + a.w * f;
            p.drawLine(QPointF(x, base), QPointF(x, base + 2));
            drawText(p, x, base + kSmallFontPt * 1.4, QString::number(f, 'g', 2), kSmallFontPt, true);
        }
        drawText(p, a.x0 + a.w / 2, base + kSmallFontPt * 1.4 + kFontPt * 1.3,
                 QStringLiteral("relative depth (layer + ½) / layers"), kFontPt, true);
    }
    p.restore();
}

// One model's values per layer (at (l + ½) / L) as a line with dots; gaps where a value is missing.
void drawLayerSeries(QPainter& p, const PlotArea& a, const std::vector<double>& values, double lo, double hi,
                     const QColor& colour, Swatch swatch) {
    const size_t L = values.size();
    std::vector<QPointF> points, dots;
    for (size_t l = 0; l < L; ++l)
        points.emplace_back(a.x0 + a.w * (static_cast<double>(l) + 0.5) / static_cast<double>(L),
                            a.y0 + a.h - a.h * (values[l] - lo) / (hi - lo));  // NaN where missing
    const QPainterPath path = brokenLine(points, dots);
    p.save();
    p.setClipRect(QRectF(a.x0 - 2, a.y0 - 2, a.w + 4, a.h + 4));
    p.setPen(linePen(colour, swatch));
    p.setBrush(Qt::NoBrush);
    p.drawPath(path);
    p.setPen(Qt::NoPen);
    p.setBrush(colour);
    for (const QPointF& q : dots)
        p.drawEllipse(q, 1.3, 1.3);
    p.restore();
}

}  // namespace

QFont figureFont() {
    QFont f(QStringLiteral("DejaVu Sans"));
    f.setPixelSize(100);  // drawn scaled: sizes stay in points whatever the device's DPI
    return f;
}

double textWidth(const QString& text, double sizePt) {
    static const QFontMetricsF metrics(figureFont());
    return metrics.horizontalAdvance(text) * sizePt / 100.0;
}

// Draws text with its baseline-left at (x, y), or centred on x when `centre`.
void drawText(QPainter& p, double x, double y, const QString& text, double sizePt, bool centre, double angle,
              const QColor& colour) {
    p.save();
    p.translate(x, y);
    if (angle != 0) p.rotate(angle);
    p.scale(sizePt / 100.0, sizePt / 100.0);
    p.setFont(figureFont());
    p.setPen(colour);
    const double w = centre ? textWidth(text, sizePt) * 100.0 / sizePt : 0;
    p.drawText(QPointF(-w / 2, 0), text);
    p.restore();
}

QString label(const std::string& name) {
    QString s = QString::fromStdString(name);
    s.replace(QLatin1Char('_'), QLatin1Char(' '));
    return s;
}

// matplotlib's tab10, as the workbench's plots.
QColor tab10(size_t i) {
    static const QColor colours[] = {{31, 119, 180}, {255, 127, 14},  {44, 160, 44},   {214, 39, 40},  {148, 103, 189},
                                     {140, 86, 75},  {227, 119, 194}, {127, 127, 127}, {188, 189, 34}, {23, 190, 207}};
    return colours[i % (sizeof colours / sizeof colours[0])];
}

int legendRows(const std::vector<QString>& names, double width, double swatch) {
    const auto places = legendPlaces(names, width, swatch);
    return places.empty() ? 0 : places.back().second + 1;
}

// Paints a figure of width × height points into `path` as PNG (at `dpi`), SVG or PDF, by its
// extension, and writes it atomically.
void writePaintedFigure(const std::string& path, double width, double height, int dpi,
                        const std::function<void(QPainter&)>& paint) {
    std::string ext = fs::path(path).extension().string();  // .PNG as .png
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    QByteArray bytes;
    if (ext == ".png") {
        const double k = dpi / 72.0;
        QImage image(static_cast<int>(std::ceil(width * k)), static_cast<int>(std::ceil(height * k)),
                     QImage::Format_RGB32);
        image.fill(Qt::white);
        image.setDotsPerMeterX(static_cast<int>(std::lround(dpi / 0.0254)));
        image.setDotsPerMeterY(static_cast<int>(std::lround(dpi / 0.0254)));
        {
            QPainter p(&image);
            p.setRenderHint(QPainter::SmoothPixmapTransform, true);
            p.scale(k, k);
            paint(p);
        }
        QBuffer buffer(&bytes);
        buffer.open(QIODevice::WriteOnly);
        if (!image.save(&buffer, "PNG")) throw FileError(path, "cannot encode the PNG");
    } else if (ext == ".svg") {
        QBuffer buffer(&bytes);
        buffer.open(QIODevice::WriteOnly);
        QSvgGenerator svg;
        svg.setOutputDevice(&buffer);
        svg.setResolution(72);
        svg.setSize(QSize(static_cast<int>(std::ceil(width)), static_cast<int>(std::ceil(height))));
        svg.setViewBox(QRectF(0, 0, width, height));
        svg.setTitle(QStringLiteral("PoseScope figure"));
        QPainter p;
        if (!p.begin(&svg)) throw FileError(path, "cannot start the SVG");
        paint(p);
        p.end();
    } else if (ext == ".pdf") {
        QBuffer buffer(&bytes);
        buffer.open(QIODevice::WriteOnly);
        QPdfWriter pdf(&buffer);
        pdf.setResolution(72);
        pdf.setPageSize(QPageSize(QSizeF(width, height), QPageSize::Point, QString(), QPageSize::ExactMatch));
        pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
        pdf.setCreator(QStringLiteral("PoseScope"));
        QPainter p;
        if (!p.begin(&pdf)) throw FileError(path, "cannot start the PDF");
        paint(p);
        p.end();
    } else {
        throw FileError(path, "unknown figure format \"" + ext + "\" (use .png, .svg or .pdf)");
    }
    writeFileAtomically(path, std::string(bytes.constData(), static_cast<size_t>(bytes.size())));
}

// A line through the points, broken where one is missing (a NaN coordinate); `dots` receives the
// points drawn.
QPainterPath brokenLine(const std::vector<QPointF>& points, std::vector<QPointF>& dots) {
    QPainterPath path;
    bool open = false;
    for (const QPointF& q : points) {
        if (!std::isfinite(q.x()) || !std::isfinite(q.y())) {
            open = false;
            continue;
        }
        if (open)
            path.lineTo(q);
        else
            path.moveTo(q);
        open = true;
        dots.push_back(q);
    }
    return path;
}

// A step of about a quarter of `span` (1, 2, 2.5 or 5 × a power of ten), for ticks.
double niceStep(double span) {
    const double raw = span / 4, magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 2.5, 5.0})
        if (m * magnitude >= raw * 0.999) return m * magnitude;
    return 10 * magnitude;
}

std::vector<LegendEntry> tab10Entries(const std::vector<QString>& names, Swatch swatch) {
    std::vector<LegendEntry> out;
    for (size_t i = 0; i < names.size(); ++i)
        out.push_back({names[i], tab10(i), swatch});
    return out;
}

// The pen of a plotted line: solid, or dashed (short dashes, so a legend swatch shows them).
QPen linePen(const QColor& colour, Swatch swatch, double width) {
    QPen pen(colour, width);
    if (swatch == Swatch::Dashed) pen.setDashPattern({2.6, 1.6});
    return pen;
}

// The legend of `entries` left to right from `left`, wrapped at `width`, its first row's baseline
// at `baseline`.
void drawLegend(QPainter& p, double left, double baseline, double width, const std::vector<LegendEntry>& entries) {
    const double sw = swatchWidth(entries);
    const auto places = legendPlaces(legendNames(entries), width, sw);
    for (size_t i = 0; i < entries.size(); ++i) {
        const LegendEntry& e = entries[i];
        const double x = left + places[i].first, y = baseline + places[i].second * kLegendRowH;
        p.save();
        if (e.swatch == Swatch::Bar) {
            p.fillRect(QRectF(x, y - kSmallFontPt * 0.75, sw, kSmallFontPt * 0.75), e.colour);
        } else {
            p.setPen(linePen(e.colour, e.swatch));
            p.drawLine(QPointF(x, y - kSmallFontPt * 0.35), QPointF(x + sw, y - kSmallFontPt * 0.35));
            if (e.swatch == Swatch::Line) {  // a dot as on the lines; dashed swatches show their dashes
                p.setPen(Qt::NoPen);
                p.setBrush(e.colour);
                p.drawEllipse(QPointF(x + sw / 2, y - kSmallFontPt * 0.35), 1.2, 1.2);
            }
        }
        p.restore();
        drawText(p, x + sw + 2, y, e.name, kSmallFontPt);
    }
}

// The height a plot's title and legend take above its area.
double plotHeaderHeight(const std::vector<LegendEntry>& entries, double width) {
    return kTitleH + legendRows(legendNames(entries), width, swatchWidth(entries)) * kLegendRowH;
}

// A plot's title and legend above its area.
void drawPlotHeader(QPainter& p, const PlotArea& a, const QString& title, const std::vector<LegendEntry>& entries) {
    const double top = a.y0 - plotHeaderHeight(entries, a.w);
    drawText(p, a.x0 + a.w / 2, top + kFontPt * 1.05, title, kFontPt, true);
    drawLegend(p, a.x0, top + kTitleH + kSmallFontPt * 1.1, a.w, entries);
}

// A linear y axis from `lo` to `hi` with labelled ticks every `step` and light grid lines, and the
// axis label.
void drawYAxis(QPainter& p, const PlotArea& a, double lo, double hi, double step, const QString& name) {
    p.save();
    for (int i = 0; lo + i * step <= hi + step * 1e-4; ++i) {
        double v = lo + i * step;
        if (std::abs(v) < step * 1e-6) v = 0;
        const double y = a.y0 + a.h - a.h * (v - lo) / (hi - lo);
        p.setPen(QPen(QColor(225, 225, 225), 0.3));
        if (i > 0) p.drawLine(QPointF(a.x0, y), QPointF(a.x0 + a.w, y));
        p.setPen(QPen(QColor(20, 20, 20), 0.5));
        p.drawLine(QPointF(a.x0 - 2, y), QPointF(a.x0, y));
        const QString t = QString::number(v, 'g', 3);
        drawText(p, a.x0 - 3 - textWidth(t, kSmallFontPt), y + kSmallFontPt * 0.35, t, kSmallFontPt);
    }
    p.restore();
    drawText(p, a.x0 - kAxisWidth * 0.75, a.y0 + a.h / 2, name, kSmallFontPt, true, -90);
}

void drawFrame(QPainter& p, const PlotArea& a) {
    p.save();
    p.setPen(QPen(QColor(20, 20, 20), 0.5));
    p.setBrush(Qt::NoBrush);
    p.drawRect(QRectF(a.x0, a.y0, a.w, a.h));
    p.restore();
}

// A y range over the finite `values` (and 0 when `withZero`) at nice ticks: lo, hi, step.
std::array<double, 3> niceRange(const std::vector<double>& values, bool withZero) {
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (double v : values)
        if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    if (!std::isfinite(lo)) return {0, 1, 0.25};
    if (withZero) lo = std::min(lo, 0.0), hi = std::max(hi, 0.0);
    if (hi - lo < 1e-9) {
        const double pad = std::max(0.05, std::abs(hi) * 0.1);
        lo -= withZero && lo >= 0 ? 0 : pad;
        hi += pad;
    }
    const double step = niceStep(hi - lo);
    const double a = std::floor(lo / step + 1e-9) * step, b = std::ceil(hi / step - 1e-9) * step;
    return {a, b > a ? b : a + step, step};
}

// A plot of per layer series: each model's solid and dashed values in its colour, axes, frame;
// `empty` is written in the area when no model has a value.
void drawLayerPlot(QPainter& p, const PlotArea& a, const std::vector<int>& layers,
                   const std::vector<std::pair<std::vector<double>, std::vector<double>>>& series, bool withZero,
                   const QString& yName, const QString& empty) {
    std::vector<double> all;
    for (const auto& [solid, dashed] : series) {
        all.insert(all.end(), solid.begin(), solid.end());
        all.insert(all.end(), dashed.begin(), dashed.end());
    }
    const bool any = std::any_of(all.begin(), all.end(), [](double v) { return std::isfinite(v); });
    const auto [lo, hi, step] = niceRange(all, withZero);
    drawYAxis(p, a, lo, hi, step, yName);
    drawLayerAxis(p, a, layers);
    if (!any) drawText(p, a.x0 + a.w / 2, a.y0 + a.h / 2, empty, kSmallFontPt, true);
    for (size_t m = 0; m < series.size(); ++m) {
        drawLayerSeries(p, a, series[m].first, lo, hi, tab10(m), Swatch::Line);
        drawLayerSeries(p, a, series[m].second, lo, hi, tab10(m), Swatch::Dashed);
    }
    drawFrame(p, a);
}

}  // namespace posescope::analysis::figure_draw
