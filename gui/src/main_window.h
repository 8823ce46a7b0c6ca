// MainWindow: the PoseScope workbench. Opens recorded runs (.h5) and checkpoints (.pth) by menu,
// recent files, command line or drag and drop; browses samples (thumbnails, filters); shows the
// dependency grid (layers × keypoints, dependency or affect, per head or averaged; BTranspose's
// BoT MHSA rows above the layers), heatmaps, the
// pose, the original image (zoom and pan; a heatmap or dependency map carried back onto it) and the
// layer-wise formation of a keypoint, (Scales tab, COCO-format runs) accuracy by person scale and
// (Occlusion tab, occlusion runs) sensitivity maps, targeted occlusions and the run's attention
// against the causal effect, and (Models tab) N runs of the same samples compared (the sample side by
// side, where the models disagree, their error types, the comparison charts); exports every figure as PNG/SVG/PDF with
// its spec (JSON) beside it. Views read the run file only: no model is loaded to look at a run.
//
// Usage:
//   MainWindow w;  w.show();
//   w.openRun("run.h5");  w.selectSample(3);  w.setLayer(1);  w.setKeypoint(9);
//   w.exportFigure("fig.pdf");            // writes fig.pdf and fig.json
//   w.addModelRun("ppt.h5");              // a second model of the Models tab (same samples)
//
// Run › Record Run… records a model over a dataset on a worker thread (progress, Cancel) and opens
// the run; Run › Run Model on This Sample re-runs the run's model on the current image at level full.
// Keys: PgDown/PgUp next/previous sample, ]/[ next/previous layer, ./, next/previous keypoint,
// Esc back from a clicked point to the keypoints. Settings (layout, recent files, view options)
// persist in QSettings.
// Errors from below arrive as posescope::Error and are shown as one message (a dialog when
// interactive, always in the status bar); the previous view stays.
// Thread-safety: GUI thread only.
#pragma once

#include "posescope/analysis/figure.h"
#include "posescope/analysis/record.h"

#include <QMainWindow>
#include <QString>
#include <QTemporaryDir>

#include <atomic>
#include <functional>
#include <memory>
#include <thread>

class QCheckBox;
class QComboBox;
class QLabel;
class QListView;
class QMenu;
class QProgressBar;
class QPushButton;
class QSlider;
class QTabWidget;

namespace posescope::gui {

class CheckpointView;
class TrainingView;
class FigureView;
class LayerwisePlot;
class ModelsView;
class SampleFilterModel;
class OcclusionView;
class SampleListModel;
class ScaleView;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    /// Shows the checkpoint's contents. On failure keeps the previous view and returns false.
    bool openCheckpoint(const QString& path);
    /// Opens a recorded run and shows its first sample. On failure keeps the previous run.
    bool openRun(const QString& path);
    /// Opens a dataset (COCO/SynthPose or MPII annotations and their images) to browse its persons
    /// and ground truth; Run › Record Run… then runs a model over it.
    bool openDataset(const QString& annotations, const QString& images);
    /// Shows a training's log.csv (or the folder holding one) on the Training tab, followed while
    /// it grows. On failure keeps the previous log.
    bool openTrainingLog(const QString& path);
    /// Opens by extension (.h5 run, .json dataset with its images beside it, .csv or a folder:
    /// a training log, else a checkpoint).
    bool openFile(const QString& path);
    /// Exports the current tab's figure (.png, .svg or .pdf) and its spec (same name, .json); on the
    /// Compare tab, the second run's; on the Scales tab the `scales` figure of the tab's analysis
    /// (refused while it is still being computed); on the Occlusion tab the part its Export box
    /// names (the run-level plots refused while they are being computed); on the Models tab the
    /// part its Export box names (the `models` figure of the sample, or the `comparison` chart,
    /// refused until the tab's comparison is computed).
    bool exportFigure(const QString& path);
    /// Shows a second run of the same samples (another model, e.g. DINO-pre-trained vs from
    /// scratch) beside the open one in the Compare tab: same sample, keypoint, head, colour options,
    /// the layer at the same relative depth. Refuses runs of other samples; opening another run
    /// closes the comparison.
    bool openComparison(const QString& path);
    void closeComparison();
    /// Adds a run of the same samples as the open one to the Models tab (another model) and shows
    /// the tab. Refuses, with a message naming the file, a run of other samples (another dataset,
    /// boxes or number of keypoints) or a file that is not a run; false then. Opening another run
    /// empties the tab's list.
    bool addModelRun(const QString& path);
    /// Runs another model live over the open run's samples: records `options` (its model and
    /// checkpoint; dataset, images, selection and level are replaced by the open run's) on the
    /// worker as startRecording does, then adds the run to the Models tab instead of opening it.
    /// False (with a message) without an open run or while a recording runs; recordingFinished
    /// reports the end.
    bool recordModelRun(analysis::RecordOptions options);
    /// The Compare tab and its two dependency grids (the open run's, the second run's).
    QWidget* comparePage() const { return m_comparePage; }
    FigureView* comparisonView() const { return m_compareRight; }
    FigureView* comparisonBaseView() const { return m_compareLeft; }

    void selectSample(int64_t row);
    void setLayer(int layer);        // −1: every layer
    void setKeypoint(int keypoint);  // −1: every keypoint
    void setHead(int head);          // −1: averaged
    void setColormap(const QString& name);
    /// Shows the dependencies of a crop point in every layer (needs a run recorded with --level full).
    void showPoint(double cropX, double cropY);

    /// Records a run on a worker thread (progress bar and Cancel in the status bar; the window stays
    /// responsive) and opens it when done. False when a recording is already running.
    bool startRecording(const analysis::RecordOptions& options);
    /// Runs the current run's model on the current sample's image again, at level full (heatmaps,
    /// affect maps, any clicked point), into a temporary run that opens when done.
    bool runCurrentSample();
    bool isRecording() const { return m_worker.joinable(); }
    /// Asks the recording to stop after its current batch (the file stays resumable).
    void cancelRecording();

    int64_t currentRow() const { return m_row; }
    int layer() const { return m_layer; }
    int keypoint() const { return m_keypoint; }
    /// The spec of what the current tab shows (what exportFigure writes).
    analysis::FigureSpec currentSpec() const;
    QString lastError() const { return m_lastError; }
    /// The open run, or null (nothing open, or a dataset).
    const analysis::RunBrowser* run() const;
    /// What the list shows: the open run or dataset, or null.
    const analysis::SampleSource* source() const { return m_source.get(); }

    CheckpointView* checkpointView() const { return m_checkpointView; }
    TrainingView* trainingView() const { return m_trainingView; }
    FigureView* dependencyView() const { return m_dependencies; }
    FigureView* heatmapView() const { return m_heatmaps; }
    FigureView* poseView() const { return m_pose; }
    FigureView* imageView() const { return m_image; }
    /// PPT runs: kept and pruned tokens per pruning stage (or the chosen layer), and the run's
    /// keypoint error against the pruned share of their neighbourhood.
    FigureView* tokenView() const { return m_tokens; }
    FigureView* pruningView() const { return m_pruning; }
    /// The Image tab (the view and its overlay controls).
    QWidget* imagePage() const { return m_imagePage; }
    /// What the image view lays over the image.
    void setImageOverlay(analysis::ImageOverlay overlay);
    LayerwisePlot* layerwisePlot() const { return m_layerwise; }
    /// The Scales tab: the open run's AP and keypoint error per band of person size and each
    /// decoder's quantisation error (computed on a worker when the tab is first shown).
    ScaleView* scaleView() const { return m_scales; }
    /// The Occlusion tab: occlusion runs' sensitivity maps and targeted occlusions of the current
    /// sample and keypoint, and the run-level plots (with the Compare tab's run when it is one too).
    OcclusionView* occlusionView() const { return m_occlusion; }
    /// The Models tab: the open run and the runs added with addModelRun compared (models figure of
    /// the current sample, disagreement, error types, comparison charts).
    ModelsView* modelsView() const { return m_models; }
    /// BTranspose runs: whether the dependency grid shows the BoT MHSA rows (hidden for other runs).
    QCheckBox* mhsaRowsBox() const { return m_mhsaRows; }
    QTabWidget* tabs() const { return m_tabs; }
    QListView* sampleList() const { return m_list; }
    SampleFilterModel* sampleFilter() const { return m_filtered; }
    /// When false (tests), failures are not shown in a modal dialog.
    void setInteractive(bool interactive) { m_interactive = interactive; }

protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void buildMenus();
    QWidget* buildControls();
    QWidget* buildImagePage();
    void chooseFile();
    void chooseDataset();
    bool showSource(std::unique_ptr<analysis::SampleSource> source, const QString& path);
    /// Points every view and the sample list at `source` (nullptr detaches them).
    void attachViews(const analysis::SampleSource* source);
    void chooseExport();
    void chooseModelRun();
    void chooseModelRecording();  // the record dialog for another model over the open run's samples
    void fail(const QString& message);
    /// Runs `action`; an exception becomes one message (fail()) and false.
    bool attempt(const std::function<void()>& action);
    void refresh();
    void updateControls();
    void rememberRecent(const QString& path);
    void rebuildRecentMenu();
    void stepSample(int delta);
    void chooseRecording();
    void recordingEnded(const QString& out, const QString& error, bool cancelled);
    analysis::FigureSpec baseSpec() const;
    analysis::FigureSpec imageSpec() const;
    analysis::FigureSpec dependencySpec() const;
    analysis::FigureSpec dependencySpecFor(const analysis::SampleSource& source) const;
    QWidget* buildComparePage();
    static QString runTitle(const analysis::SampleSource& source);

    QTemporaryDir m_liveDir;  // live runs of single samples (declared first: outlives m_run)
    std::unique_ptr<analysis::SampleSource> m_source;
    std::unique_ptr<analysis::RunBrowser> m_compare;  // the second run of the Compare tab, or null
    SampleListModel* m_samples;
    SampleFilterModel* m_filtered;
    QListView* m_list;
    QComboBox* m_filter;
    QComboBox* m_order;
    QTabWidget* m_tabs;
    FigureView* m_dependencies;
    FigureView* m_heatmaps;
    FigureView* m_pose;
    FigureView* m_image;
    FigureView* m_tokens;
    FigureView* m_pruning;
    FigureView* m_compareLeft;
    FigureView* m_compareRight;
    QWidget* m_comparePage = nullptr;
    QLabel* m_compareLeftTitle = nullptr;
    QLabel* m_compareRightTitle = nullptr;
    QWidget* m_imagePage = nullptr;  // the image view with its own controls
    LayerwisePlot* m_layerwise;
    ScaleView* m_scales;
    OcclusionView* m_occlusion;
    ModelsView* m_models;
    CheckpointView* m_checkpointView;
    TrainingView* m_trainingView;
    QComboBox* m_layerBox;
    QComboBox* m_keypointBox;
    QComboBox* m_headBox;
    QComboBox* m_directionBox;
    QComboBox* m_colormapBox;
    QComboBox* m_overlayBox;
    QCheckBox* m_wholeImage;
    QCheckBox* m_sharedScale;
    QCheckBox* m_mhsaRows;  // BTranspose runs: BoT MHSA rows in the dependency grid
    QSlider* m_threshold;
    QSlider* m_alpha;
    QMenu* m_recentMenu = nullptr;

    int64_t m_row = -1;
    int m_layer = -1, m_keypoint = -1, m_head = -1;
    bool m_usePoint = false;
    double m_pointX = 0, m_pointY = 0;
    bool m_updating = false;  // while controls are filled programmatically
    QString m_lastError;
    bool m_interactive = true;

    // Recording on a worker thread (one at a time).
    QProgressBar* m_progress;
    QPushButton* m_cancelButton;
    std::thread m_worker;
    std::atomic<bool> m_cancel{false};
    bool m_openWhenDone = true;
    bool m_addToModelsWhenDone = false;  // the recording is a model of the Models tab (recordModelRun)

Q_SIGNALS:
    /// After a recording ends: ok, and the run file or the error message.
    void recordingFinished(bool ok, const QString& message);
};

}  // namespace posescope::gui
