// A view that shows a figure of a recorded run (dependency grid, heatmaps, pose, image) exactly
// as it is exported: the same FigureRenderer draws the screen and the files. The wheel zooms about
// the cursor (1× … 32×), dragging pans, a double click fits the figure again; zoomed figures are
// redrawn at the resolution shown. A click (without dragging) on a panel reports the crop point
// under it (the workbench then shows that point's dependencies).
//
// Usage:
//   FigureView view;  view.setRun(run.get());
//   view.setFigure(spec, row);                       // redraws; errors are drawn as text
//   connect(&view, &FigureView::pointClicked, …);    // (cropX, cropY, layer)
//   view.zoomAt(4, QPointF(200, 150));               // as four wheel steps there
//   view.setComparisonData(spec, report);            // comparison figures: data computed elsewhere
//
// Errors: a figure that cannot be drawn (e.g. heatmaps of a run without them) shows its message
// in the view and in lastError(); nothing throws. Thread-safety: GUI thread only.
#pragma once

#include "posescope/analysis/figure.h"

#include <QImage>
#include <QWidget>

#include <memory>

namespace posescope::gui {

class FigureView : public QWidget {
    Q_OBJECT
public:
    explicit FigureView(QWidget* parent = nullptr);
    ~FigureView() override;
    /// The run to draw from (nullptr clears); it must outlive its use here.
    void setRun(const analysis::SampleSource* run);
    void setFigure(const analysis::FigureSpec& spec, int64_t row);
    const analysis::FigureSpec& spec() const { return m_spec; }
    int64_t row() const { return m_row; }
    /// The message of the last failed drawing, empty when the figure is shown.
    QString lastError() const { return m_error; }
    /// Draws the figure into an image of `size` (what paintEvent shows); for tests and benchmarks.
    QImage renderToImage(QSize size);
    /// The renderer (exports use it, so they match the screen); null without a run.
    const analysis::FigureRenderer* renderer() const { return m_renderer.get(); }
    /// Comparison figures: draw `report` for specs with the spec's `runs` instead of computing it
    /// (FigureRenderer::setComparisonData; e.g. what the Models tab computed on its worker). Kept
    /// until the next setRun; ignored without a run.
    void setComparisonData(const analysis::FigureSpec& spec, analysis::ComparisonReport report);
    QSize sizeHint() const override { return {900, 700}; }

    double zoom() const { return m_zoom; }
    /// Zooms by `factor` keeping the figure point under `widgetPos` in place (clamped to 1 … 32).
    void zoomAt(double factor, QPointF widgetPos);
    /// Moves the figure by a widget-pixel offset (as a drag does).
    void panBy(QPointF widgetDelta);
    /// Fits the whole figure again.
    void resetZoom();
    /// The figure point (points) under a widget position, for the last drawn figure.
    QPointF figurePoint(QPointF widgetPos) const;

Q_SIGNALS:
    void pointClicked(double cropX, double cropY, int layer);

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;

private:
    const analysis::SampleSource* m_run = nullptr;
    std::unique_ptr<analysis::FigureRenderer> m_renderer;
    analysis::FigureSpec m_spec;
    int64_t m_row = -1;
    QString m_error;
    QImage m_cached;  // the figure at the widget's size, redrawn when anything changes
    bool m_dirty = true;
    analysis::FigureLayout m_layout;
    double fitScale() const;  // widget pixels per point at zoom 1
    void clampFocus();

    double m_zoom = 1;
    QPointF m_focus{-1, -1};  // the figure point at the widget's centre; x < 0: the figure's centre
    QSizeF m_figureSize;      // of the last layout (a new size fits the figure again)
    QPointF m_pressAt, m_lastDrag;
    bool m_pressed = false, m_dragging = false;
};

}  // namespace posescope::gui
