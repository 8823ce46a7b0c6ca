// A training log drawn as a figure for papers (PNG at a chosen DPI, SVG or PDF, by extension):
// the training loss and the learning rate over the steps, and the validation AP, AP50 and AP75
// over the epochs (train/distill logs) or the teacher's entropy over the steps (pretrain logs).
// The workbench's Training tab exports it; `posescope-cli training-log LOG --figure F` too.
//
// Usage:
//   const TrainingLog log = readTrainingLog("out/");
//   writeTrainingFigure(log, "curves.pdf");
//   // on screen: auto [w, h] = trainingFigureSize(log, o); painter.scale(…); paintTrainingFigure(p, log, o);
//
// Drawing text needs a QGuiApplication; headless programs call ensureGuiApplication() first.
// Errors: FileError naming the output (unknown extension, cannot write) or the log (it holds
// no rows to draw). Thread-safety: pure functions on their arguments; QPainter rules apply.
#pragma once

#include "posescope/analysis/training_log.h"

#include <string>
#include <utility>

class QPainter;

namespace posescope::analysis {

struct TrainingFigureOptions {
    double panelWidthMm = 50;  // one plot's width on paper
    int dpi = 300;             // PNG resolution
};

/// The figure's size in points (width, height).
std::pair<double, double> trainingFigureSize(const TrainingLog& log, const TrainingFigureOptions& o = {});
void paintTrainingFigure(QPainter& p, const TrainingLog& log, const TrainingFigureOptions& o = {});
void writeTrainingFigure(const TrainingLog& log, const std::string& path, const TrainingFigureOptions& o = {});

}  // namespace posescope::analysis
