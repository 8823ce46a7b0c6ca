// TrainingView: a training's log.csv (train, distill or pretrain) as three plots — the training
// loss and the learning rate over the steps, the validation AP/AP50/AP75 over the epochs (or
// DINO's teacher entropy) — with a summary line; it follows a training that is still running
// (the file is read again when it grows, every 2 s).
//
// Usage:
//   auto* view = new TrainingView(parent);
//   view->show(posescope::analysis::readTrainingLog("runs/r"));   // throws FileError
//   // the File › Export Figure… of the tab: analysis::writeTrainingFigure(*view->log(), path)
//
// Errors: show() takes a log already read; a later re-read that fails keeps the plots and shows
// the reason in the summary (a log being rewritten by --resume is read again next time).
// Thread-safety: GUI thread only.
#pragma once

#include "posescope/analysis/training_log.h"

#include <QWidget>

#include <array>
#include <optional>

class QCustomPlot;
class QLabel;
class QTimer;

namespace posescope::gui {

class TrainingView : public QWidget {
    Q_OBJECT
public:
    explicit TrainingView(QWidget* parent = nullptr);

    void show(const analysis::TrainingLog& log);
    void clear();
    /// Reads the shown log's file again when its size or time changed; true when it redrew.
    bool reload();

    const analysis::TrainingLog* log() const { return m_log ? &*m_log : nullptr; }
    QLabel* summary() const { return m_summary; }
    /// The plots of analysis::trainingPlots in order (0: loss, 1: learning rate, 2: validation or
    /// teacher entropy); those a log has no values for stay empty.
    QCustomPlot* plot(int i) const { return m_plots[static_cast<size_t>(i)]; }

private:
    void draw();

    QLabel* m_summary;
    std::array<QCustomPlot*, 3> m_plots{};
    QTimer* m_timer;
    std::optional<analysis::TrainingLog> m_log;
    qint64 m_size = -1;
    qint64 m_modified = -1;
};

}  // namespace posescope::gui
