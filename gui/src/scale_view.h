// The Scales tab: a COCO-format run's accuracy by person scale (run_scales.h, scale_analysis.h).
// Per band of GT area a table row (persons, AP, AP50, AP75, AR) and a bar of AP; the mean
// normalised keypoint error (÷ sqrt(area)) per keypoint, one bar per band; and each decoder's
// quantisation error (argmax, argmax + quarter, DARK, SimCC) against person height at the run's
// input size, in image pixels or in % of the height (QCustomPlot).
//
// Usage:
//   ScaleView view;  view.setSource(run);      // analysed when the view is first shown
//   view.compute();                             // …or at once
//   connect(&view, &ScaleView::finished, …);    // ok, or the message the tab shows instead
//
// File › Export Figure… on this tab draws the same numbers as a figure of kind "scales"
// (figure.h: FigureRenderer, with what this view computed as its data) and writes its spec beside
// it, so `posescope-cli figure` draws it again; the plots here are for the screen.
//
// The analysis runs on a worker thread (QtConcurrent) that opens the run file itself, so large
// runs never block the window; the result of a run that was replaced meanwhile is dropped. A run
// without COCO-format ground truth (MPII), a missing annotation file or a dataset instead of a run
// shows a message in place of the table and plots.
// Errors: analysis errors become the tab's message.
// Thread-safety: GUI thread only.
#pragma once

#include "posescope/analysis/run_browser.h"
#include "posescope/analysis/run_scales.h"

#include <QString>
#include <QWidget>

#include <cstdint>
#include <optional>
#include <string>

class QComboBox;
class QCustomPlot;
class QCPBarsGroup;
class QLabel;
class QStackedWidget;
class QTableWidget;

namespace posescope::gui {

class ScaleView : public QWidget {
    Q_OBJECT
public:
    enum class QuantisationUnit { ImagePixels, PercentOfHeight };
    /// Table columns.
    enum Column { BandColumn, AreaColumn, PersonsColumn, ApColumn, Ap50Column, Ap75Column, ArColumn, ColumnCount };

    explicit ScaleView(QWidget* parent = nullptr);
    ~ScaleView() override;

    /// The source to analyse (null: none). A run is analysed when the view is shown or compute()
    /// is called; other sources show a message. The source is only read here, not kept.
    void setSource(const analysis::SampleSource* source);
    /// Starts the pending analysis now (no-op when none is pending).
    void compute();
    bool isComputing() const { return m_computing; }
    bool hasResult() const { return m_result.has_value(); }
    /// The last analysis shown, or null.
    const analysis::RunScaleAnalysis* result() const { return m_result ? &*m_result : nullptr; }
    /// The decoders' quantisation error shown with it (at the run's input size), or null.
    const analysis::QuantisationResult* quantisation() const { return m_quantisation ? &*m_quantisation : nullptr; }
    /// What the tab shows instead of the plots; empty while it shows them.
    QString message() const;
    void setQuantisationUnit(QuantisationUnit unit);
    QuantisationUnit quantisationUnit() const;

    QTableWidget* table() const { return m_table; }
    QCustomPlot* accuracyPlot() const { return m_accuracyPlot; }
    QCustomPlot* keypointPlot() const { return m_keypointPlot; }
    QCustomPlot* quantisationPlot() const { return m_quantisationPlot; }

Q_SIGNALS:
    /// After an analysis: ok, or the message shown instead of the plots.
    void finished(bool ok, const QString& message);

protected:
    void showEvent(QShowEvent* event) override;

private:
    struct Outcome;
    void showMessage(const QString& text);
    void showOutcome(const Outcome& outcome);
    void fillTable(const analysis::RunScaleAnalysis& r);
    void plotAccuracy(const analysis::RunScaleAnalysis& r);
    void plotKeypointErrors(const analysis::RunScaleAnalysis& r);
    void plotQuantisation();

    QStackedWidget* m_pages;
    QLabel* m_message;
    QLabel* m_caption;
    QTableWidget* m_table;
    QCustomPlot* m_accuracyPlot;
    QCustomPlot* m_keypointPlot;
    QCustomPlot* m_quantisationPlot;
    QCPBarsGroup* m_keypointGroup;
    QComboBox* m_unitBox;

    std::string m_path;  // the run to analyse
    analysis::RunHeader m_header;
    bool m_pending = false;
    bool m_computing = false;
    uint64_t m_generation = 0;  // which setSource() a running analysis belongs to
    std::optional<analysis::RunScaleAnalysis> m_result;
    std::optional<analysis::QuantisationResult> m_quantisation;
};

}  // namespace posescope::gui
