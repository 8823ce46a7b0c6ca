// The Models tab: N recorded runs of the same samples — the open run first, then the runs added
// with "Add run…" (File › Add Run to Models…) — compared model by model.
//   Side by side  the `models` figure (figure.h) of the window's sample and keypoint: a column per
//                 run, rows = the pose and the first run's layers (the window's layer, or every
//                 layer), each other run at the layer of the same relative depth, with the
//                 window's colour options (one colour scale for all runs when the scale is shared).
//   Disagreement  the paired samples where the models' OKS differ most (compareRuns'
//                 disagreements, largest first): image, annotation, each model's OKS, the
//                 difference. Clicking a line selects that sample in the window (the first run's
//                 row), so every tab shows its internals in each model.
//   Errors        each model's keypoints by error type (Ronchi & Perona's taxonomy: good, jitter,
//                 inversion, swap, miss; bars grouped by type, a colour per model, in % of the
//                 model's labelled keypoints of matched predictions). Clicking a bar lists that
//                 model's cases of that type below; double-clicking a case selects its sample
//                 (the model's row paired with the first run's) and its keypoint in the window.
//   Charts        the `comparison` figure of the runs (accuracy, errors, attention or keypoints),
//                 drawn from what this tab computed.
//
// Usage:
//   ModelsView view;  view.setSource(run);                   // the first model; clears the added runs
//   view.addRun("ppt.h5");                                    // FileError for a run of other samples
//   view.setSelection(baseSpec, row, keypoint, layer);        // the window's sample, keypoint, options
//   connect(&view, &ModelsView::finished, …);                 // the comparison is ready (or why not)
//   connect(&view, &ModelsView::sampleChosen, …);             // (first run's row) from the tables
//   FigureSpec spec = view.currentSpec();                     // what File › Export Figure draws
//
// The comparison (comparison.h: compareRuns of every run, with its default options, so it is what
// `posescope-cli compare` and the `comparison` figure compute) runs on a worker thread
// (QtConcurrent) that opens the runs itself, when the tab is shown or the runs change while it is
// shown; its stages show in the caption. Changing the runs cancels a running comparison (it stops
// after its current stage) and drops its result. The runs are kept as paths; each figure opens
// them through its renderer.
// File › Export Figure… on this tab draws the part chosen in "Export": the `models` figure of the
// sample, or the chart shown (kind `comparison`, from this tab's result), each with its spec.
// Errors: addRun throws FileError naming a run of other samples (another dataset_sha256,
// boxes_sha256 or number of keypoints than the open run, as run_pairing.h requires), and as
// RunBrowser::open for a file that is not a run; MainWindow shows it. Nothing else throws: drawing
// errors show in the figure views, comparison errors (e.g. a run that is not COCO-format) in the
// caption, a dataset or nothing open as the tab's hint.
// Thread-safety: GUI thread only.
#pragma once

#include "posescope/analysis/comparison.h"
#include "posescope/analysis/figure.h"

#include <QString>
#include <QStringList>
#include <QWidget>

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

class QComboBox;
class QFutureWatcherBase;
class QCPBars;
class QCPBarsGroup;
class QCustomPlot;
class QLabel;
class QListWidget;
class QPushButton;
class QStackedWidget;
class QTableWidget;
class QTabWidget;

namespace posescope::gui {

class FigureView;

class ModelsView : public QWidget {
    Q_OBJECT
public:
    /// The parts File › Export Figure can draw.
    enum class Part { Models, Chart };
    /// The charts, in the order of the Chart box (the spec's `chart`: accuracy, errors, attention, keypoints).
    enum class Chart { Accuracy, Errors, Attention, Keypoints };
    /// The disagreement table's first columns (then one OKS column per model, then the difference).
    enum DisagreementColumn { ImageColumn, AnnotationColumn, FirstOksColumn };
    /// The cases table's columns.
    enum CaseColumn {
        CaseImageColumn,
        CaseAnnotationColumn,
        CaseKeypointColumn,
        CaseTypeColumn,
        CaseSwappedColumn,
        CaseRowColumn,
        CaseFirstRowColumn,
        CaseColumnCount
    };

    explicit ModelsView(QWidget* parent = nullptr);
    ~ModelsView() override;

    /// The open source (null: none): a run is the first model, anything else gets the hint. Clears
    /// the added runs.
    void setSource(const analysis::SampleSource* source);
    /// Adds a run of the same samples as the open one (its path made absolute). Throws FileError
    /// naming `path` when no run is open or it holds other samples, and as RunBrowser::open.
    void addRun(const std::string& path);
    /// Removes the added run `index` (0: the first added); out of range: the last. No-op without any.
    void removeRun(int index = -1);
    void clearRuns();
    /// The added runs (absolute paths), without the open one: the spec's `runs`.
    const std::vector<std::string>& runs() const { return m_runs; }
    /// Every model's run: the open one, then the added ones.
    std::vector<std::string> allRuns() const;

    /// The window's sample, keypoint (−1: all; the figure then shows the first) and layer (−1:
    /// all); `base` carries the run, the row and the colour options (colormap, scale, threshold,
    /// opacity, head, direction).
    void setSelection(const analysis::FigureSpec& base, int64_t row, int keypoint, int layer);

    void setChart(Chart chart);
    Chart chart() const;
    void setExportPart(Part part);
    Part exportPart() const;
    /// The spec of a part, as exported.
    analysis::FigureSpec spec(Part part) const;
    analysis::FigureSpec currentSpec() const { return spec(exportPart()); }

    /// Whether the open source is a run (else the tab shows its hint).
    bool isAvailable() const { return m_available; }
    /// The hint shown instead of the views; empty while they show.
    QString message() const;
    /// The caption above the parts: the models, or what is being computed or went wrong.
    QString caption() const;
    /// Why the last comparison failed; empty when it did not.
    QString error() const { return m_error; }

    /// Starts the pending comparison now (no-op when one runs, it is known or it failed for these runs).
    void compute();
    bool isComputing() const { return m_computing; }
    /// The comparison of the current runs, or null (not computed yet, running or failed).
    const analysis::ComparisonReport* result() const { return m_report ? &*m_report : nullptr; }

    /// Lists model `model`'s error cases of `type` in the cases table (what clicking its bar does)
    /// and selects the bar; returns how many. Good keypoints have no cases.
    int showErrorCases(int model, analysis::PoseErrorType type);
    /// The model and type the cases table lists (−1 and Good when none).
    int casesModel() const { return m_casesModel; }
    analysis::PoseErrorType casesType() const { return m_casesType; }
    /// The first run's row of model `model`'s row `row` (the same sample, as the comparison paired
    /// them); −1 when the first run does not hold it or nothing is computed.
    int64_t firstRunRow(int model, int64_t row) const;

    FigureView* modelsView() const { return m_models; }
    FigureView* chartView() const { return m_chartView; }
    QTableWidget* disagreementTable() const { return m_disagreements; }
    QCustomPlot* errorPlot() const { return m_errorPlot; }
    /// The error bars of model `model` (one per type, keys 0 … 4 in PoseErrorType's order), or null.
    QCPBars* errorBars(int model) const;
    QTableWidget* caseTable() const { return m_cases; }
    QListWidget* runList() const { return m_runList; }
    QPushButton* addButton() const { return m_addButton; }
    QPushButton* recordButton() const { return m_recordButton; }
    QPushButton* removeButton() const { return m_removeButton; }
    QComboBox* chartBox() const { return m_chartBox; }
    QComboBox* exportBox() const { return m_exportBox; }
    /// Side by side, Disagreement, Errors, Charts.
    QTabWidget* parts() const { return m_parts; }

Q_SIGNALS:
    /// After a comparison: ok, or the message shown instead.
    void finished(bool ok, const QString& message);
    /// A disagreement line was clicked: the first run's row of its sample.
    void sampleChosen(qint64 row);
    /// An error case was double-clicked: the first run's row of its sample and its keypoint.
    void caseChosen(qint64 row, int keypoint);
    /// The "Add run…" button (the window asks for the file and calls addRun).
    void addRunRequested();
    /// The "Run model…" button (the window asks for a model and records it over these samples).
    void recordModelRequested();
    /// Runs were added or removed.
    void runsChanged();

protected:
    void showEvent(QShowEvent* event) override;

private:
    struct Outcome;
    void showMessage(const QString& text);
    void runsEdited();  // the list changed: drop the comparison, redraw, compute when shown
    void invalidate();
    void updateRunList();
    void updateModelsFigure();
    void updateChart();
    void showData();
    void clearData();
    void chooseCase(int line);
    QString modelsText() const;  // the caption's list of models

    QStackedWidget* m_pages;
    QLabel* m_message;
    QLabel* m_caption;
    QListWidget* m_runList;
    QPushButton* m_addButton;
    QPushButton* m_recordButton;
    QPushButton* m_removeButton;
    QComboBox* m_exportBox;
    QComboBox* m_chartBox;
    QTabWidget* m_parts;
    FigureView* m_models;
    FigureView* m_chartView;
    QTableWidget* m_disagreements;
    QCustomPlot* m_errorPlot;
    QLabel* m_casesTitle;
    QTableWidget* m_cases;
    QCPBarsGroup* m_errorGroup;
    std::vector<QCPBars*> m_errorBars;  // per model

    const analysis::SampleSource* m_source = nullptr;
    bool m_available = false;
    std::string m_path;               // the open run (absolute)
    std::vector<std::string> m_runs;  // the added runs (absolute)
    QStringList m_titles;             // every model's "family variant — file", the open run first
    std::vector<std::string> m_keypointNames;
    analysis::FigureSpec m_base;
    int64_t m_row = -1;
    int m_keypoint = -1, m_layer = -1;
    bool m_filling = false;  // while tables are filled programmatically

    bool m_computing = false;
    uint64_t m_generation = 0;                // which runs a running comparison belongs to
    QFutureWatcherBase* m_watcher = nullptr;  // of the running comparison (cancelled when the runs change)
    std::optional<analysis::ComparisonReport> m_report;
    std::vector<std::unordered_map<int64_t, int64_t>> m_toFirstRow;  // per model: its row → the first run's
    QString m_error;
    int m_casesModel = -1;
    analysis::PoseErrorType m_casesType = analysis::PoseErrorType::Good;
};

}  // namespace posescope::gui
