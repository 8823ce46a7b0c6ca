// How one keypoint's prediction forms over the encoder layers (QCustomPlot): the peak of each
// layer-wise heatmap, its distance to the final prediction and to the ground truth, and the
// entropy of the keypoint's dependency row (relative to a uniform row).
//
// Usage:
//   LayerwisePlot plot;  plot.setStats(run->layerStats(row, keypoint), QStringLiteral("left wrist"));
//
// Errors: none (missing values, e.g. runs recorded with --no-layerwise, are gaps).
// Thread-safety: GUI thread only.
#pragma once

#include "posescope/analysis/run_browser.h"

#include <QWidget>

class QCustomPlot;

namespace posescope::gui {

class LayerwisePlot : public QWidget {
    Q_OBJECT
public:
    explicit LayerwisePlot(QWidget* parent = nullptr);
    void setStats(const std::vector<analysis::LayerStats>& stats, const QString& keypoint);
    void clear();
    QCustomPlot* plot() const { return m_plot; }

private:
    QCustomPlot* m_plot;
};

}  // namespace posescope::gui
