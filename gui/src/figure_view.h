// A view that shows a figure of a recorded run (dependency grid, heatmaps, pose) exactly as it is
// exported: the same FigureRenderer draws the screen and the files. A click on a map panel
// reports the crop point under it (the workbench then shows that point's dependencies).
//
// Usage:
//   FigureView view;  view.setRun(run.get());
//   view.setFigure(spec, row);                       // redraws; errors are drawn as text
//   connect(&view, &FigureView::pointClicked, …);    // (cropX, cropY, layer)
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
    QSize sizeHint() const override { return {900, 700}; }

Q_SIGNALS:
    void pointClicked(double cropX, double cropY, int layer);

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;

private:
    const analysis::SampleSource* m_run = nullptr;
    std::unique_ptr<analysis::FigureRenderer> m_renderer;
    analysis::FigureSpec m_spec;
    int64_t m_row = -1;
    QString m_error;
    QImage m_cached;  // the figure at the widget's size, redrawn when anything changes
    bool m_dirty = true;
    analysis::FigureLayout m_layout;
    double m_scale = 1;  // points → widget pixels
    QPointF m_offset;
};

}  // namespace posescope::gui
