// Training logs read back: the log.csv that `posescope-cli train`, `distill` and `pretrain`
// write into their --out folder, for the workbench's Training tab, `posescope-cli training-log`
// and training figures (training_figure.h).
//
// Usage:
//   TrainingLog log = readTrainingLog("out/");            // the --out folder or its log.csv
//   TrainingSeries loss = log.series("iter", "loss");    // x = step, empty cells skipped
//   TrainingSeries ap = log.series("epoch", "val_ap");   // x = epoch
//   std::cout << formatTrainingLogText(log);
//
// The format: a header `kind,epoch,step,<columns…>`, then one row per logged iteration
// (kind "iter") and per finished epoch ("epoch"; train/distill write an epoch 0 row for
// --validate-first); cells are numbers or empty. Columns differ by trainer (val_ap… for
// train/distill, teacher_entropy… for pretrain) and are taken from the header.
//
// Errors: FileError naming the file when it is missing or unreadable, is not a training log
// (no kind,epoch,step header), or has a malformed row ("line 7: 12 cells where the header has
// 11", "line 7: column loss: \"abc\" is not a number"); trailing empty cells may be left out. A
// last line without its newline is a row still being written by a running training: it is left
// out, not an error.
// Thread-safety: pure functions; a TrainingLog is a plain value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace posescope::analysis {

/// One column over the rows of one kind, in file order: x is the step (iter rows) or the
/// epoch (epoch rows); rows whose cell is empty are left out.
struct TrainingSeries {
    std::vector<double> x;
    std::vector<double> value;
    bool empty() const { return value.empty(); }
};

struct TrainingLog {
    struct Row {
        std::string kind;           // "iter" or "epoch"
        int epoch = 0;              // 1-based; 0: the validation before training
        int64_t step = 0;           // optimizer steps so far
        std::vector<double> cells;  // one per column; NaN where the cell is empty
    };
    std::string path;                  // the log.csv read
    std::vector<std::string> columns;  // after kind,epoch,step, as the header names them
    std::vector<Row> rows;
    /// Where a value first was not a finite number (a diverged training: "loss is nan at epoch 2,
    /// step 57"); "" when every value is finite. Such cells read as NaN (empty) in rows.
    std::string notFinite;

    /// -1 when the log has no such column.
    int columnIndex(const std::string& name) const;
    TrainingSeries series(const std::string& kind, const std::string& column) const;
    /// The epoch row with the highest value in `column` (nullptr: none has a value).
    const Row* best(const std::string& column) const;
};

/// One plot of a log, as the workbench's Training tab and training figures both draw it.
struct TrainingPlot {
    std::string title, xName, yName;
    std::vector<std::string> names;     // one per line (the legend)
    std::vector<TrainingSeries> lines;  // parallel to names; x as TrainingSeries says
    bool overEpochs = false;            // x is the epoch (whole numbers), else the step
    bool withZero = false;              // the y axis starts at 0
};
/// The plots a log has values for, in order: the training loss (over the steps, or over the
/// epochs when the log has no iteration rows), the learning rate over the steps, and the
/// validation AP, AP50 and AP75 over the epochs — or, for a pretraining log (no val_ap column),
/// the teacher's entropy over the steps.
std::vector<TrainingPlot> trainingPlots(const TrainingLog& log);

/// Reads `path`: a log.csv, or a folder holding one. Throws FileError as above.
TrainingLog readTrainingLog(const std::string& path);
/// Parses the text of a log; `file` names it in errors.
TrainingLog parseTrainingLog(const std::string& text, const std::string& file);

/// A table for people: one line per epoch row (epoch, step, then every column with a value in
/// some epoch row), the last iteration row, and the best validation AP when the log has one.
std::string formatTrainingLogText(const TrainingLog& log);

/// For a resumed training: the rows of the log at `path` (as written, without the header) whose
/// step is at most `step`, in order; rows that do not parse (a line torn by a kill) are left out.
/// No file: none. Throws FileError when the file exists but cannot be read.
std::vector<std::string> trainingLogRowsUpTo(const std::string& path, int64_t step);

}  // namespace posescope::analysis
