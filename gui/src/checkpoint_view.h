// CheckpointView: what a .pth file holds — architecture, counts, metadata, every tensor's key,
// shape and dtype, and a bar chart of parameters per module.
//
// Usage:
//   auto* view = new CheckpointView(parent);
//   view->show(posescope::models::inspectCheckpoint(path));   // inspect* throws FileError
//
// Thread-safety: GUI thread only.
#pragma once

#include "posescope/models/checkpoint_info.h"

#include <QWidget>

class QCustomPlot;
class QLabel;
class QTableWidget;

namespace posescope::gui {

class CheckpointView : public QWidget {
    Q_OBJECT
public:
    explicit CheckpointView(QWidget* parent = nullptr);

    void show(const models::CheckpointInfo& info);
    void clear();

    QTableWidget* table() const { return m_table; }
    QLabel* summary() const { return m_summary; }
    QCustomPlot* plot() const { return m_plot; }

private:
    QLabel* m_summary;
    QTableWidget* m_table;
    QCustomPlot* m_plot;
};

}  // namespace posescope::gui
