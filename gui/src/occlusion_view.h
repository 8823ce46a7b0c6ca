// The Occlusion tab: what an occlusion run (`posescope-cli occlude`) says about the current sample
// and keypoint, and about the whole run. For the window's sample and keypoint: the keypoint's
// sensitivity map over the crop (score drop, displacement or OKS drop of each occluder position;
// every keypoint when the window shows all) and the targeted occlusion of its region, per layer its
// dependency map before and after hiding the region (the current layer, or every layer), or, chosen
// in "Hide", the same for a body part the run hid (head, torso, arms, legs, …): the current
// keypoint's maps with the part hidden when the run keeps every row, else the part's. Over the
// run (QCustomPlot, the `occlusion` figure's content): per layer the agreement of attention with the
// causal effect (Spearman solid, top-10% overlap dashed), occluded against visible keypoints
// (entropy, share on the occluder, on the symmetric and on the adjacent joints; occluded solid,
// visible dashed) and the hidden keypoint's share on its region before (solid) and after (dashed) a
// targeted occlusion; a colour per model: the open run and, when the Compare tab holds another
// occlusion run, that one. Layers by number, or by relative depth when the models' depths differ.
//
// Usage:
//   OcclusionView view;  view.setSource(run);  view.setComparison(second);   // runs only read here
//   view.setSelection(baseSpec, row, keypoint, layer);      // the window's sample, keypoint, options
//   connect(&view, &OcclusionView::finished, …);             // the run-level plots are ready (or why not)
//   FigureSpec spec = view.currentSpec();                    // what File › Export Figure draws
//
// The run-level summary (occlusion_report.h, for the chosen measure) is computed on a worker thread
// (QtConcurrent) that opens the runs itself, when the tab is first shown; the window never waits.
// Results are kept per measure until the run or the comparison changes; the result of a run that
// was replaced meanwhile is dropped. A run without an occlusion analysis, a dataset or nothing open
// shows a hint instead (record one with `posescope-cli occlude`).
// File › Export Figure… on this tab draws the part chosen in "Export" as a figure of kind
// `sensitivity`, `targeted` or `occlusion` (figure.h; the last from what this view computed) and
// writes its spec beside it.
// Errors: drawing errors show in the figure views, summary errors in the tab's caption; nothing throws.
// Thread-safety: GUI thread only.
#pragma once

#include "posescope/analysis/figure.h"

#include <QString>
#include <QWidget>

#include <cstdint>
#include <map>
#include <optional>
#include <string>

class QComboBox;
class QCustomPlot;
class QLabel;
class QStackedWidget;

namespace posescope::gui {

class FigureView;

class OcclusionView : public QWidget {
    Q_OBJECT
public:
    /// The parts File › Export Figure can draw.
    enum class Part { Sensitivity, Targeted, Dataset };

    explicit OcclusionView(QWidget* parent = nullptr);
    ~OcclusionView() override;

    /// The open source (null: none); an occlusion run is shown, anything else gets the hint.
    void setSource(const analysis::SampleSource* source);
    /// The Compare tab's second run (null: none); shown as a second model when it is an occlusion run.
    void setComparison(const analysis::RunBrowser* second);
    /// The window's sample, keypoint (−1: all) and layer (−1: all); `base` carries the run, the
    /// row and the colour options (colormap, scale, threshold, opacity).
    void setSelection(const analysis::FigureSpec& base, int64_t row, int keypoint, int layer);

    void setMeasure(analysis::SensitivityMeasure measure);
    analysis::SensitivityMeasure measure() const;
    void setExportPart(Part part);
    Part exportPart() const;
    /// The spec of a part, as exported.
    analysis::FigureSpec spec(Part part) const;
    analysis::FigureSpec currentSpec() const { return spec(exportPart()); }

    /// Whether the open source is an occlusion run (else the tab shows its hint).
    bool isAvailable() const { return m_available; }
    /// The hint shown instead of the views; empty while they show.
    QString message() const;
    /// The caption above the run-level plots (the models, or what is being computed or went wrong).
    QString caption() const;

    /// Starts the pending run-level summary now (no-op when none is pending or it is known).
    void compute();
    bool isComputing() const { return m_computing; }
    /// The run-level data shown (for the current measure and comparison), or null.
    const analysis::OcclusionFigureData* result() const;

    FigureView* sensitivityView() const { return m_sensitivity; }
    FigureView* targetedView() const { return m_targeted; }
    QCustomPlot* agreementPlot() const { return m_agreementPlot; }
    /// Four axis rects: entropy, occluder, symmetric, adjacent.
    QCustomPlot* visibilityPlot() const { return m_visibilityPlot; }
    QCustomPlot* targetedPlot() const { return m_targetedPlot; }
    QComboBox* measureBox() const { return m_measureBox; }
    QComboBox* exportBox() const { return m_exportBox; }
    /// What the targeted figure hides: "the keypoint" (the window's) or one of the run's body parts.
    QComboBox* hiddenBox() const { return m_hiddenBox; }

Q_SIGNALS:
    /// After a run-level summary: ok, or the message shown instead.
    void finished(bool ok, const QString& message);

protected:
    void showEvent(QShowEvent* event) override;

private:
    struct Outcome;
    void showMessage(const QString& text);
    void updateFigures();
    void invalidate();  // the run or the comparison changed: known summaries are dropped
    void showData();    // plots the summary of the current measure (or clears the plots)
    void clearPlots();
    std::vector<std::string> extraRuns() const;

    QStackedWidget* m_pages;
    QLabel* m_message;
    QLabel* m_caption;
    QComboBox* m_measureBox;
    QComboBox* m_exportBox;
    QComboBox* m_hiddenBox;
    FigureView* m_sensitivity;
    FigureView* m_targeted;
    QCustomPlot* m_agreementPlot;
    QCustomPlot* m_visibilityPlot;
    QCustomPlot* m_targetedPlot;

    bool m_available = false;
    bool m_allRows = false;    // the run keeps every keypoint's rows after each targeted occlusion
    std::string m_path;        // the open occlusion run
    std::string m_comparison;  // the Compare tab's run when it is an occlusion run
    QString m_comparisonNote;  // why the Compare tab's run is not shown, if it is not
    analysis::FigureSpec m_base;
    int64_t m_row = -1;
    int m_keypoint = -1, m_layer = -1;
    bool m_computing = false;
    uint64_t m_generation = 0;                            // which source/comparison a running summary belongs to
    std::map<int, analysis::OcclusionFigureData> m_data;  // by measure
    QString m_error;                                      // of the last summary, if it failed
};

}  // namespace posescope::gui
