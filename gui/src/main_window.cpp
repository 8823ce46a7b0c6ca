#include "main_window.h"

#include "checkpoint_view.h"
#include "figure_view.h"
#include "layerwise_plot.h"
#include "models_view.h"
#include "occlusion_view.h"
#include "posescope/analysis/colormap.h"
#include "posescope/analysis/dataset_browser.h"
#include "posescope/analysis/training_figure.h"
#include "posescope/analysis/training_log.h"
#include "posescope/datasets/error.h"
#include "posescope/models/checkpoint_info.h"
#include "record_dialog.h"
#include "sample_list.h"
#include "scale_view.h"
#include "training_view.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QCloseEvent>
#include <QComboBox>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QStatusBar>
#include <QTabWidget>
#include <QVBoxLayout>

#include <filesystem>
#include <functional>

namespace posescope::gui {

namespace {

constexpr int kMaxRecent = 8;

QString fileName(const QString& path) {
    return QFileInfo(path).fileName();
}

}  // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent),
      m_samples(new SampleListModel(this)),
      m_filtered(new SampleFilterModel(this)),
      m_list(new QListView),
      m_filter(new QComboBox),
      m_order(new QComboBox),
      m_tabs(new QTabWidget),
      m_dependencies(new FigureView),
      m_heatmaps(new FigureView),
      m_pose(new FigureView),
      m_image(new FigureView),
      m_tokens(new FigureView),
      m_pruning(new FigureView),
      m_compareLeft(new FigureView),
      m_compareRight(new FigureView),
      m_layerwise(new LayerwisePlot),
      m_scales(new ScaleView),
      m_occlusion(new OcclusionView),
      m_models(new ModelsView),
      m_checkpointView(new CheckpointView),
      m_trainingView(new TrainingView),
      m_progress(new QProgressBar),
      m_cancelButton(new QPushButton(tr("Cancel"))) {
    setWindowTitle(QStringLiteral("PoseScope"));
    setObjectName(QStringLiteral("MainWindow"));
    setAcceptDrops(true);
    resize(1280, 820);

    // Samples (left dock): a filter and the list with thumbnails.
    m_filtered->setSourceModel(m_samples);
    m_list->setModel(m_filtered);
    m_list->setIconSize(QSize(54, 72));
    m_list->setUniformItemSizes(true);
    m_list->setSelectionMode(QAbstractItemView::SingleSelection);
    m_filter->addItems(sampleFilterNames());
    m_filter->setToolTip(tr("Which samples the list shows"));
    m_order->addItems(sampleOrderNames());
    m_order->setObjectName(QStringLiteral("SampleOrder"));
    m_order->setToolTip(tr("How the list is sorted (Page Up/Down step in this order)"));
    auto* samplesPanel = new QWidget;
    auto* samplesLayout = new QVBoxLayout(samplesPanel);
    samplesLayout->setContentsMargins(4, 4, 4, 4);
    samplesLayout->addWidget(m_filter);
    samplesLayout->addWidget(m_order);
    samplesLayout->addWidget(m_list);
    auto* dock = new QDockWidget(tr("Samples"), this);
    dock->setObjectName(QStringLiteral("SamplesDock"));
    dock->setWidget(samplesPanel);
    addDockWidget(Qt::LeftDockWidgetArea, dock);

    // Views (centre): the controls above the tabs.
    m_tabs->addTab(m_dependencies, tr("Dependencies"));
    m_tabs->addTab(m_heatmaps, tr("Heatmaps"));
    m_tabs->addTab(m_pose, tr("Pose"));
    m_tabs->addTab(buildImagePage(), tr("Image"));
    m_tabs->addTab(m_tokens, tr("Tokens"));
    m_tabs->addTab(m_pruning, tr("Pruning"));
    m_tabs->addTab(m_layerwise, tr("Layer-wise"));
    m_tabs->addTab(m_scales, tr("Scales"));
    m_tabs->addTab(m_occlusion, tr("Occlusion"));
    m_tabs->addTab(buildComparePage(), tr("Compare"));
    m_tabs->addTab(m_models, tr("Models"));
    m_tabs->addTab(m_checkpointView, tr("Checkpoint"));
    m_tabs->addTab(m_trainingView, tr("Training"));
    auto* centre = new QWidget;
    auto* centreLayout = new QVBoxLayout(centre);
    centreLayout->setContentsMargins(4, 4, 4, 4);
    centreLayout->addWidget(buildControls());
    centreLayout->addWidget(m_tabs, 1);
    setCentralWidget(centre);
    buildMenus();

    connect(m_list->selectionModel(), &QItemSelectionModel::currentChanged, this, [this](const QModelIndex& index) {
        if (m_updating || !index.isValid()) return;
        selectSample(index.data(SampleListModel::RunRowRole).toLongLong());
    });
    connect(m_filter, &QComboBox::currentIndexChanged, this, [this](int i) {
        m_filtered->setFilter(static_cast<SampleFilter>(i));
        statusBar()->showMessage(tr("%1 of %2 samples shown").arg(m_filtered->rowCount()).arg(m_samples->rowCount()));
    });
    connect(m_order, &QComboBox::currentIndexChanged, this, [this](int i) {
        m_filtered->setOrder(static_cast<SampleOrder>(i));
        // The selection moves with its sample; keep it in sight.
        const QModelIndex current = m_filtered->mapFromSource(m_samples->index(static_cast<int>(m_row), 0));
        if (current.isValid()) m_list->scrollTo(current);
    });
    // The Models tab's tables choose the window's sample (and keypoint): every tab follows.
    connect(m_models, &ModelsView::sampleChosen, this, [this](qint64 row) { selectSample(row); });
    connect(m_models, &ModelsView::caseChosen, this, [this](qint64 row, int keypoint) {
        selectSample(row);
        setKeypoint(keypoint);
        statusBar()->showMessage(
            tr("Sample %1, %2: the case chosen in the Models tab").arg(row).arg(m_keypointBox->currentText()));
    });
    connect(m_models, &ModelsView::addRunRequested, this, &MainWindow::chooseModelRun);
    connect(m_models, &ModelsView::recordModelRequested, this, &MainWindow::chooseModelRecording);
    connect(m_dependencies, &FigureView::pointClicked, this, [this](double x, double y, int) { showPoint(x, y); });
    // On the image with a dependency overlay a click shows that point's map there; else in the grid.
    connect(m_image, &FigureView::pointClicked, this, [this](double x, double y, int) {
        if (m_overlayBox->currentIndex() != static_cast<int>(analysis::ImageOverlay::Dependency))
            return showPoint(x, y);
        if (!run() || !run()->hasAttention()) return showPoint(x, y);  // explains what is missing
        m_usePoint = true;
        m_pointX = x;
        m_pointY = y;
        refresh();
    });

    m_progress->setMaximumWidth(260);
    m_progress->setTextVisible(true);
    statusBar()->addPermanentWidget(m_progress);
    statusBar()->addPermanentWidget(m_cancelButton);
    m_progress->hide();
    m_cancelButton->hide();
    connect(m_cancelButton, &QPushButton::clicked, this, &MainWindow::cancelRecording);

    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    m_updating = true;
    const int cm =
        m_colormapBox->findText(settings.value(QStringLiteral("view/colormap"), QStringLiteral("viridis")).toString());
    if (cm >= 0) m_colormapBox->setCurrentIndex(cm);
    m_sharedScale->setChecked(settings.value(QStringLiteral("view/sharedScale"), false).toBool());
    m_mhsaRows->setChecked(settings.value(QStringLiteral("view/mhsaRows"), true).toBool());
    m_threshold->setValue(settings.value(QStringLiteral("view/threshold"), 0).toInt());
    m_alpha->setValue(settings.value(QStringLiteral("view/alpha"), 70).toInt());
    m_overlayBox->setCurrentIndex(std::clamp(settings.value(QStringLiteral("view/imageOverlay"), 0).toInt(), 0, 3));
    m_wholeImage->setChecked(settings.value(QStringLiteral("view/wholeImage"), false).toBool());
    m_updating = false;
    rebuildRecentMenu();
    statusBar()->showMessage(tr("Open a recorded run (File › Open…, or drop a .h5 file here)"));
}

MainWindow::~MainWindow() {
    if (m_worker.joinable()) {  // a recording still running: stop it after its batch, keep the file
        m_cancel = true;
        m_worker.join();
    }
    // Views hold pointers into the runs: detach them before they go.
    attachViews(nullptr);
    closeComparison();
}

void MainWindow::attachViews(const analysis::SampleSource* source) {
    for (FigureView* view : {m_dependencies, m_heatmaps, m_pose, m_image, m_tokens, m_pruning})
        view->setRun(source);
    m_scales->setSource(source);     // analysed on a worker once the Scales tab is shown
    m_occlusion->setSource(source);  // its run-level plots too, once the Occlusion tab is shown
    m_models->setSource(source);     // the first model; the added runs go with the run they were added to
    m_samples->setRun(source);
}

QWidget* MainWindow::buildControls() {
    auto* bar = new QWidget;
    auto* row = new QHBoxLayout(bar);
    row->setContentsMargins(0, 0, 0, 0);
    auto add = [&](const QString& text, QWidget* w) {
        if (!text.isEmpty()) row->addWidget(new QLabel(text));
        row->addWidget(w);
    };
    m_layerBox = new QComboBox;
    m_keypointBox = new QComboBox;
    m_headBox = new QComboBox;
    m_directionBox = new QComboBox;
    m_directionBox->addItems({tr("dependency"), tr("affect")});
    m_directionBox->setToolTip(
        tr("dependency: where the query draws from (its attention row); affect: who attends "
           "to it (its column; needs --level full)"));
    m_colormapBox = new QComboBox;
    for (const std::string& name : analysis::colormapNames())
        m_colormapBox->addItem(QString::fromStdString(name));
    m_sharedScale = new QCheckBox(tr("shared scale"));
    m_mhsaRows = new QCheckBox(tr("MHSA rows"));
    m_mhsaRows->setToolTip(
        tr("BTranspose: the dependencies of its BoT blocks' MHSA above the encoder layers (the chosen "
           "head when the MHSA has it, else their average)"));
    m_mhsaRows->setVisible(false);
    m_sharedScale->setToolTip(tr("one colour scale for every panel instead of min–max per panel"));
    m_threshold = new QSlider(Qt::Horizontal);
    m_threshold->setRange(0, 95);
    m_threshold->setMaximumWidth(90);
    m_threshold->setMinimumWidth(60);
    m_threshold->setToolTip(tr("hide values below this share of the scale"));
    m_alpha = new QSlider(Qt::Horizontal);
    m_alpha->setRange(0, 100);
    m_alpha->setMaximumWidth(90);
    m_alpha->setMinimumWidth(60);
    m_alpha->setToolTip(tr("opacity of the map over the crop"));
    add(tr("Layer"), m_layerBox);
    add(tr("Keypoint"), m_keypointBox);
    add(tr("Head"), m_headBox);
    add(QString(), m_directionBox);
    add(tr("Colormap"), m_colormapBox);
    add(QString(), m_sharedScale);
    add(QString(), m_mhsaRows);
    add(tr("Threshold"), m_threshold);
    add(tr("Opacity"), m_alpha);
    row->addStretch(1);

    connect(m_layerBox, &QComboBox::currentIndexChanged, this, [this](int i) {
        if (!m_updating) setLayer(i - 1);
    });
    connect(m_keypointBox, &QComboBox::currentIndexChanged, this, [this](int i) {
        if (!m_updating) setKeypoint(i - 1);
    });
    connect(m_headBox, &QComboBox::currentIndexChanged, this, [this](int i) {
        if (!m_updating) setHead(i - 1);
    });
    auto changed = [this] {
        if (!m_updating) refresh();
    };
    connect(m_directionBox, &QComboBox::currentIndexChanged, this, changed);
    connect(m_colormapBox, &QComboBox::currentIndexChanged, this, changed);
    connect(m_sharedScale, &QCheckBox::toggled, this, changed);
    connect(m_mhsaRows, &QCheckBox::toggled, this, changed);
    connect(m_threshold, &QSlider::valueChanged, this, changed);
    connect(m_alpha, &QSlider::valueChanged, this, changed);
    return bar;
}

QWidget* MainWindow::buildComparePage() {
    m_comparePage = new QWidget;
    auto* grid = new QGridLayout(m_comparePage);
    grid->setContentsMargins(0, 0, 0, 0);
    m_compareLeftTitle = new QLabel;
    m_compareRightTitle = new QLabel(tr("File › Compare With Run… shows a second run of the same samples here"));
    for (QLabel* l : {m_compareLeftTitle, m_compareRightTitle})
        l->setAlignment(Qt::AlignCenter);
    grid->addWidget(m_compareLeftTitle, 0, 0);
    grid->addWidget(m_compareRightTitle, 0, 1);
    grid->addWidget(m_compareLeft, 1, 0);
    grid->addWidget(m_compareRight, 1, 1);
    grid->setRowStretch(1, 1);
    connect(m_compareLeft, &FigureView::pointClicked, this, [this](double x, double y, int) { showPoint(x, y); });
    connect(m_compareRight, &FigureView::pointClicked, this, [this](double x, double y, int) { showPoint(x, y); });
    return m_comparePage;
}

QString MainWindow::runTitle(const analysis::SampleSource& source) {
    const analysis::RunHeader& h = source.header();
    const std::string model = h.modelVariant.empty() ? h.modelFamily : h.modelFamily + " " + h.modelVariant;
    return tr("%1 — %2").arg(QString::fromStdString(model), fileName(QString::fromStdString(source.path())));
}

bool MainWindow::openComparison(const QString& path) {
    if (!run()) {
        fail(tr("Open a recorded run first; a second run of the same samples is then shown beside it."));
        return false;
    }
    std::unique_ptr<analysis::RunBrowser> other;
    if (!attempt([&] {
            other = analysis::RunBrowser::open(path.toStdString());
            if (const auto d = analysis::sampleDifference(run()->header(), other->header()))
                throw FileError(path.toStdString(), "does not hold the samples of " + run()->path() + ": its " +
                                                        d->attribute + " is '" + d->second + "', not '" + d->first +
                                                        "'");
        }))
        return false;
    closeComparison();
    m_compare = std::move(other);
    m_compareLeft->setRun(m_source.get());
    m_compareRight->setRun(m_compare.get());
    m_compareLeftTitle->setText(runTitle(*m_source));
    m_compareRightTitle->setText(runTitle(*m_compare));
    m_occlusion->setComparison(m_compare.get());  // a second model of its run-level plots
    m_tabs->setCurrentWidget(m_comparePage);
    refresh();
    statusBar()->showMessage(tr("Comparing %1 with %2").arg(runTitle(*m_source), runTitle(*m_compare)));
    return true;
}

bool MainWindow::addModelRun(const QString& path) {
    if (!run()) {
        fail(
            tr("Open a recorded run first: runs of the same samples (other models) are then compared with it in "
               "the Models tab."));
        return false;
    }
    if (!attempt([&] { m_models->addRun(path.toStdString()); })) return false;
    m_lastError.clear();
    m_tabs->setCurrentWidget(m_models);
    refresh();
    statusBar()->showMessage(
        tr("Models: %1 runs of the same samples (%2 added)").arg(m_models->runs().size() + 1).arg(fileName(path)));
    return true;
}

void MainWindow::chooseModelRun() {
    const QString path = QFileDialog::getOpenFileName(this, tr("Add a run of the same samples to Models"), QString(),
                                                      tr("Recorded runs (*.h5 *.hdf5)"));
    if (!path.isEmpty()) addModelRun(path);
}

void MainWindow::closeComparison() {
    m_compareLeft->setRun(nullptr);
    m_compareRight->setRun(nullptr);
    m_occlusion->setComparison(nullptr);
    m_compare.reset();
    m_compareLeftTitle->clear();
    m_compareRightTitle->setText(tr("File › Compare With Run… shows a second run of the same samples here"));
}

QWidget* MainWindow::buildImagePage() {
    m_overlayBox = new QComboBox;
    m_overlayBox->addItems({tr("nothing"), tr("heatmap"), tr("dependencies"), tr("sensitivity")});
    m_overlayBox->setToolTip(
        tr("What lies over the original image: the chosen keypoint's heatmap (or their maximum), the "
           "dependency map of the chosen layer and keypoint (or of a clicked point), or in occlusion runs "
           "the keypoint's sensitivity to an occluder (the Occlusion tab's measure)"));
    m_wholeImage = new QCheckBox(tr("whole image"));
    m_wholeImage->setToolTip(tr("the whole image instead of the person's surroundings"));
    auto* page = new QWidget;
    auto* column = new QVBoxLayout(page);
    column->setContentsMargins(0, 0, 0, 0);
    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("Over the image")));
    bar->addWidget(m_overlayBox);
    bar->addWidget(m_wholeImage);
    bar->addStretch(1);
    bar->addWidget(new QLabel(tr("wheel: zoom · drag: pan · double-click: fit")));
    column->addLayout(bar);
    column->addWidget(m_image, 1);
    auto changed = [this] {
        if (!m_updating) refresh();
    };
    connect(m_overlayBox, &QComboBox::currentIndexChanged, this, changed);
    connect(m_wholeImage, &QCheckBox::toggled, this, changed);
    connect(m_occlusion->measureBox(), &QComboBox::currentIndexChanged, this, [this] {  // the sensitivity overlay's
        if (m_source && m_row >= 0 &&
            m_overlayBox->currentIndex() == static_cast<int>(analysis::ImageOverlay::Sensitivity))
            m_image->setFigure(imageSpec(), m_row);
    });
    m_imagePage = page;
    return page;
}

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* open = file->addAction(tr("&Open…"), this, &MainWindow::chooseFile);
    open->setShortcut(QKeySequence::Open);
    file->addAction(tr("Open &Dataset…"), this, &MainWindow::chooseDataset)
        ->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
    file->addAction(tr("Open &Training Log…"), this, [this] {
        const QString path = QFileDialog::getOpenFileName(
            this, tr("Open Training Log"), QString(),
            tr("Training logs (log.csv, written by posescope-cli train/distill/pretrain) (*.csv);;All files (*)"));
        if (!path.isEmpty()) openTrainingLog(path);
    });
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    file->addAction(tr("&Compare With Run…"), this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Compare with a run of the same samples"), QString(),
                                                          tr("Recorded runs (*.h5)"));
        if (!path.isEmpty()) openComparison(path);
    });
    file->addAction(tr("Close Comparison"), this, [this] {
        closeComparison();
        refresh();
    });
    file->addAction(tr("Add Run to &Models…"), this, &MainWindow::chooseModelRun);
    file->addAction(tr("Run a Model for Models…"), this, &MainWindow::chooseModelRecording);
    QAction* exportAction = file->addAction(tr("&Export Figure…"), this, &MainWindow::chooseExport);
    exportAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), qApp, &QApplication::quit);
    quit->setShortcut(QKeySequence::Quit);

    QMenu* runMenu = menuBar()->addMenu(tr("&Run"));
    QAction* record = runMenu->addAction(tr("&Record Run…"), this, &MainWindow::chooseRecording);
    record->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    QAction* live = runMenu->addAction(tr("Run Model on This &Sample"), this, [this] { runCurrentSample(); });
    live->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    runMenu->addAction(tr("&Cancel Recording"), this, &MainWindow::cancelRecording);

    QMenu* view = menuBar()->addMenu(tr("&View"));
    auto key = [&](const QString& text, const QKeySequence& seq, auto slot) {
        QAction* a = view->addAction(text, this, slot);
        a->setShortcut(seq);
        a->setShortcutContext(Qt::WindowShortcut);
    };
    key(tr("Next Sample"), QKeySequence(Qt::Key_PageDown), [this] { stepSample(1); });
    key(tr("Previous Sample"), QKeySequence(Qt::Key_PageUp), [this] { stepSample(-1); });
    key(tr("Next Layer"), QKeySequence(Qt::Key_BracketRight), [this] {
        if (m_source) setLayer(std::min(m_layer + 1, m_source->header().layers - 1));
    });
    key(tr("Previous Layer"), QKeySequence(Qt::Key_BracketLeft), [this] { setLayer(std::max(-1, m_layer - 1)); });
    key(tr("Next Keypoint"), QKeySequence(Qt::Key_Period), [this] {
        if (m_source) setKeypoint(std::min(m_keypoint + 1, m_source->header().keypoints() - 1));
    });
    key(tr("Previous Keypoint"), QKeySequence(Qt::Key_Comma), [this] { setKeypoint(std::max(-1, m_keypoint - 1)); });
    key(tr("Back to Keypoints"), QKeySequence(Qt::Key_Escape), [this] {
        m_usePoint = false;
        refresh();
    });
}

bool MainWindow::attempt(const std::function<void()>& action) {
    try {
        action();
        return true;
    } catch (const Error& e) {
        fail(QString::fromStdString(e.what()));
    } catch (const std::exception& e) {
        fail(tr("Internal error: %1").arg(QString::fromStdString(e.what())));
    }
    return false;
}

void MainWindow::fail(const QString& message) {
    m_lastError = message;
    statusBar()->showMessage(message);
    if (m_interactive) QMessageBox::warning(this, tr("PoseScope"), message);
}

bool MainWindow::openTrainingLog(const QString& path) {
    analysis::TrainingLog log;
    if (!attempt([&] { log = analysis::readTrainingLog(path.toStdString()); })) return false;
    m_trainingView->show(log);
    m_tabs->setCurrentWidget(m_trainingView);
    m_lastError.clear();
    rememberRecent(path);
    statusBar()->showMessage(tr("Opened %1").arg(QString::fromStdString(log.path)));
    return true;
}

bool MainWindow::openFile(const QString& path) {
    if (path.endsWith(QStringLiteral(".csv"), Qt::CaseInsensitive) || QFileInfo(path).isDir())
        return openTrainingLog(path);
    if (path.endsWith(QStringLiteral(".h5"), Qt::CaseInsensitive) ||
        path.endsWith(QStringLiteral(".hdf5"), Qt::CaseInsensitive))
        return openRun(path);
    if (path.endsWith(QStringLiteral(".json"), Qt::CaseInsensitive)) {
        // COCO layout: DIR/annotations/person_keypoints_<split>.json with images in DIR/images/<split>
        // (SynthPose) or DIR/<split> (COCO); else ask for the folder.
        const QFileInfo info(path);
        QString split = info.completeBaseName();
        split.remove(QStringLiteral("person_keypoints_"));
        const QDir root = info.dir().filePath(QStringLiteral(".."));
        for (const QString& candidate : {root.filePath(QStringLiteral("images/") + split), root.filePath(split)})
            if (QFileInfo(candidate).isDir()) return openDataset(path, QDir::cleanPath(candidate));
        const QString images = m_interactive
                                   ? QFileDialog::getExistingDirectory(this, tr("Images of %1").arg(info.fileName()))
                                   : QString();
        if (images.isEmpty()) {
            fail(tr("%1: where are its images? Open it with File › Open Dataset… and choose the image folder.")
                     .arg(path));
            return false;
        }
        return openDataset(path, images);
    }
    return openCheckpoint(path);
}

void MainWindow::chooseDataset() {
    const QString annotations =
        QFileDialog::getOpenFileName(this, tr("Open Dataset: annotations"), QString(),
                                     tr("COCO / SynthPose / MPII annotations (*.json);;All files (*)"));
    if (annotations.isEmpty()) return;
    const QString images = QFileDialog::getExistingDirectory(this, tr("Open Dataset: image folder"),
                                                             QFileInfo(annotations).absolutePath());
    if (!images.isEmpty()) openDataset(annotations, images);
}

bool MainWindow::openCheckpoint(const QString& path) {
    models::CheckpointInfo info;
    if (!attempt([&] { info = models::inspectCheckpoint(path.toStdString()); })) return false;
    m_checkpointView->show(info);
    m_tabs->setCurrentWidget(m_checkpointView);
    m_lastError.clear();
    rememberRecent(path);
    statusBar()->showMessage(tr("Opened %1").arg(path));
    return true;
}

bool MainWindow::openRun(const QString& path) {
    std::unique_ptr<analysis::RunBrowser> run;
    if (!attempt([&] {
            run = analysis::RunBrowser::open(path.toStdString());
            (void)run->facts();
            if (run->size() == 0) throw FileError(path.toStdString(), "the run holds no samples yet");
        }))
        return false;
    const analysis::RunHeader h = run->header();
    const int64_t size = run->size();
    showSource(std::move(run), path);
    const QString model =
        QString::fromStdString(h.modelVariant.empty() ? h.modelFamily : h.modelFamily + " " + h.modelVariant);
    statusBar()->showMessage(tr("Opened %1: %2, %3 samples, %4 layers, level %5%6")
                                 .arg(fileName(path), model)
                                 .arg(size)
                                 .arg(h.layers)
                                 .arg(QString::fromStdString(analysis::runLevelName(h.level)),
                                      h.complete ? QString() : tr(" (incomplete: recording or stopped)")));
    return true;
}

bool MainWindow::openDataset(const QString& annotations, const QString& images) {
    std::unique_ptr<analysis::DatasetBrowser> data;
    if (!attempt([&] {
            data = analysis::DatasetBrowser::open(annotations.toStdString(), images.toStdString());
            (void)data->facts();
            if (data->size() == 0) throw FileError(annotations.toStdString(), "has no person with keypoints to show");
        }))
        return false;
    const int64_t size = data->size();
    showSource(std::move(data), annotations);
    m_tabs->setCurrentWidget(m_pose);
    statusBar()->showMessage(tr("Opened the dataset %1: %2 persons. Run › Record Run… runs a model over it.")
                                 .arg(fileName(annotations))
                                 .arg(size));
    return true;
}

bool MainWindow::showSource(std::unique_ptr<analysis::SampleSource> source, const QString& path) {
    closeComparison();  // it compared with the run that goes
    attachViews(nullptr);
    m_source = std::move(source);
    attachViews(m_source.get());
    m_layer = -1;
    m_keypoint = -1;
    m_head = -1;
    m_row = -1;
    updateControls();
    m_lastError.clear();
    rememberRecent(path);
    setWindowTitle(tr("PoseScope — %1").arg(fileName(path)));
    m_tabs->setCurrentWidget(m_dependencies);
    const int first =
        m_filtered->rowCount() > 0 ? m_filtered->index(0, 0).data(SampleListModel::RunRowRole).toInt() : 0;
    selectSample(first);
    return true;
}

const analysis::RunBrowser* MainWindow::run() const {
    return dynamic_cast<const analysis::RunBrowser*>(m_source.get());
}

void MainWindow::updateControls() {
    m_updating = true;
    m_layerBox->clear();
    m_keypointBox->clear();
    m_headBox->clear();
    if (m_source) {
        const analysis::RunHeader& h = m_source->header();
        m_layerBox->addItem(tr("all"));
        for (int l = 0; l < h.layers; ++l)
            m_layerBox->addItem(tr("layer %1").arg(l + 1));
        m_keypointBox->addItem(tr("all"));
        for (const std::string& name : h.keypointNames)
            m_keypointBox->addItem(QString::fromStdString(name));
        m_headBox->addItem(tr("average"));
        for (int i = 0; i < h.heads; ++i)
            m_headBox->addItem(tr("head %1").arg(i + 1));
    }
    m_mhsaRows->setVisible(m_source && m_source->header().mhsaBlocks > 0);
    m_layerBox->setCurrentIndex(m_layer + 1);
    m_keypointBox->setCurrentIndex(m_keypoint + 1);
    m_headBox->setCurrentIndex(m_head + 1);
    m_updating = false;
}

void MainWindow::selectSample(int64_t row) {
    if (!m_source || row < 0 || row >= m_source->size()) return;
    m_row = row;
    m_usePoint = false;
    m_updating = true;
    const QModelIndex source = m_samples->index(static_cast<int>(row), 0);
    const QModelIndex proxy = m_filtered->mapFromSource(source);
    if (proxy.isValid()) {
        m_list->setCurrentIndex(proxy);
        m_list->scrollTo(proxy);
    }
    m_updating = false;
    refresh();
}

void MainWindow::stepSample(int delta) {
    if (!m_source || m_filtered->rowCount() == 0) return;
    const QModelIndex current = m_filtered->mapFromSource(m_samples->index(static_cast<int>(m_row), 0));
    const int at = current.isValid() ? current.row() + delta : 0;
    const int clamped = std::clamp(at, 0, m_filtered->rowCount() - 1);
    selectSample(m_filtered->index(clamped, 0).data(SampleListModel::RunRowRole).toLongLong());
}

void MainWindow::setLayer(int layer) {
    if (!m_source) return;
    m_layer = std::clamp(layer, -1, m_source->header().layers - 1);
    updateControls();
    refresh();
}

void MainWindow::setKeypoint(int keypoint) {
    if (!m_source) return;
    m_keypoint = std::clamp(keypoint, -1, m_source->header().keypoints() - 1);
    m_usePoint = false;
    updateControls();
    refresh();
}

void MainWindow::setHead(int head) {
    if (!m_source) return;
    m_head = std::clamp(head, -1, m_source->header().heads - 1);
    updateControls();
    refresh();
}

void MainWindow::setColormap(const QString& name) {
    const int i = m_colormapBox->findText(name);
    if (i >= 0) m_colormapBox->setCurrentIndex(i);
}

void MainWindow::showPoint(double cropX, double cropY) {
    if (!run()) return;
    if (!run()->hasAttention()) {
        fail(tr("The dependencies of any point need the whole attention matrices: record the run with --level full "
                "(this run is level %1).")
                 .arg(QString::fromStdString(analysis::runLevelName(run()->header().level))));
        return;
    }
    m_usePoint = true;
    m_pointX = cropX;
    m_pointY = cropY;
    m_tabs->setCurrentWidget(m_dependencies);
    refresh();
    statusBar()->showMessage(tr("Dependencies of the point (%1, %2) of the crop in every layer; Esc goes back")
                                 .arg(cropX, 0, 'f', 0)
                                 .arg(cropY, 0, 'f', 0));
}

analysis::FigureSpec MainWindow::baseSpec() const {
    analysis::FigureSpec s;
    if (m_source) s.run = std::filesystem::absolute(m_source->path()).string();
    s.rows = {std::max<int64_t>(0, m_row)};
    s.head = m_head;
    s.direction =
        m_directionBox->currentIndex() == 1 ? analysis::MapDirection::Affect : analysis::MapDirection::Dependency;
    s.colormap = m_colormapBox->currentText().toStdString();
    s.sharedScale = m_sharedScale->isChecked();
    s.threshold = m_threshold->value() / 100.0;
    s.alpha = m_alpha->value() / 100.0;
    if (m_keypoint >= 0) s.keypoints = {m_keypoint};
    return s;
}

analysis::FigureSpec MainWindow::imageSpec() const {
    analysis::FigureSpec s = baseSpec();
    s.kind = analysis::FigureKind::Image;
    s.overlay = static_cast<analysis::ImageOverlay>(m_overlayBox->currentIndex());
    s.wholeImage = m_wholeImage->isChecked();
    if (s.overlay == analysis::ImageOverlay::Sensitivity) s.measure = m_occlusion->measure();
    if (s.overlay == analysis::ImageOverlay::Dependency) {
        if (m_layer >= 0) s.layers = {m_layer};
        s.usePoint = m_usePoint;
        s.pointX = m_pointX;
        s.pointY = m_pointY;
    }
    return s;
}

void MainWindow::setImageOverlay(analysis::ImageOverlay overlay) {
    m_overlayBox->setCurrentIndex(static_cast<int>(overlay));
}

analysis::FigureSpec MainWindow::currentSpec() const {
    analysis::FigureSpec s = baseSpec();
    if (m_tabs->currentWidget() == m_layerwise) {
        s.kind = analysis::FigureKind::Layerwise;
        s.keypoints = {std::max(0, m_keypoint)};
    } else if (m_tabs->currentWidget() == m_heatmaps) {
        s.kind = analysis::FigureKind::Heatmaps;
    } else if (m_tabs->currentWidget() == m_pose) {
        s.kind = analysis::FigureKind::Pose;
    } else if (m_tabs->currentWidget() == m_imagePage) {
        s = imageSpec();
    } else if (m_tabs->currentWidget() == m_tokens) {
        s.kind = analysis::FigureKind::Tokens;
        if (m_layer >= 0) s.layers = {m_layer};
    } else if (m_tabs->currentWidget() == m_pruning) {
        s.kind = analysis::FigureKind::Pruning;
    } else if (m_tabs->currentWidget() == m_scales) {  // over the whole run, as the tab shows it
        s.kind = analysis::FigureKind::Scales;
        s.keypoints.clear();
        s.quantisationUnit = m_scales->quantisationUnit() == ScaleView::QuantisationUnit::PercentOfHeight
                                 ? analysis::QuantisationUnit::Normalised
                                 : analysis::QuantisationUnit::Pixels;
    } else if (m_tabs->currentWidget() == m_occlusion) {  // the part its Export box names
        s = m_occlusion->currentSpec();
    } else if (m_tabs->currentWidget() == m_models) {  // likewise
        s = m_models->currentSpec();
    } else if (m_tabs->currentWidget() == m_comparePage && m_compare) {
        s = dependencySpecFor(*m_compare);  // the second run's figure (the first is the Dependencies tab's)
    } else {
        s = dependencySpec();
    }
    return s;
}

analysis::FigureSpec MainWindow::dependencySpec() const {
    return m_source ? dependencySpecFor(*m_source) : baseSpec();
}

analysis::FigureSpec MainWindow::dependencySpecFor(const analysis::SampleSource& source) const {
    // Another run of the same samples: the same sample and keypoint, the layer at the same relative
    // depth, the same head where it has it (else the average).
    const analysis::RunHeader& h = source.header();
    analysis::FigureSpec s = baseSpec();
    s.run = std::filesystem::absolute(source.path()).string();
    s.kind = analysis::FigureKind::Dependencies;
    const int layer = m_source ? analysis::layerAtSameDepth(m_layer, m_source->header().layers, h.layers) : -1;
    if (layer >= 0) s.layers = {layer};
    s.head = m_head < h.heads ? m_head : -1;
    s.usePoint = m_usePoint;
    s.pointX = m_pointX;
    s.pointY = m_pointY;
    if (h.mhsaBlocks > 0 && m_mhsaRows->isChecked()) {
        for (int b = 0; b < h.mhsaBlocks; ++b)
            s.mhsaBlocks.push_back(b);
        s.mhsaHead = m_head < h.mhsaHeads ? m_head : -1;
    }
    return s;
}

void MainWindow::refresh() {
    if (!m_source || m_row < 0) return;
    m_dependencies->setFigure(dependencySpec(), m_row);
    if (m_compare) {
        m_compareLeft->setFigure(dependencySpec(), m_row);
        m_compareRight->setFigure(dependencySpecFor(*m_compare), m_row);
    }
    analysis::FigureSpec heat = baseSpec();
    heat.kind = analysis::FigureKind::Heatmaps;
    m_heatmaps->setFigure(heat, m_row);
    analysis::FigureSpec pose = baseSpec();
    pose.kind = analysis::FigureKind::Pose;
    m_pose->setFigure(pose, m_row);
    m_image->setFigure(imageSpec(), m_row);
    analysis::FigureSpec tokens = baseSpec();
    tokens.kind = analysis::FigureKind::Tokens;
    if (m_layer >= 0) tokens.layers = {m_layer};
    m_tokens->setFigure(tokens, m_row);
    analysis::FigureSpec pruning = baseSpec();
    pruning.kind = analysis::FigureKind::Pruning;
    m_pruning->setFigure(pruning, m_row);
    m_occlusion->setSelection(baseSpec(), m_row, m_keypoint, m_layer);
    m_models->setSelection(baseSpec(), m_row, m_keypoint, m_layer);
    const int k = std::max(0, m_keypoint);
    try {
        if (run())
            m_layerwise->setStats(run()->layerStats(m_row, k),
                                  QString::fromStdString(run()->header().keypointNames[static_cast<size_t>(k)]));
        else
            m_layerwise->clear();
    } catch (const std::exception& e) {
        m_layerwise->clear();
        statusBar()->showMessage(QString::fromStdString(e.what()));
    }
    QSettings settings;
    settings.setValue(QStringLiteral("view/colormap"), m_colormapBox->currentText());
    settings.setValue(QStringLiteral("view/sharedScale"), m_sharedScale->isChecked());
    settings.setValue(QStringLiteral("view/mhsaRows"), m_mhsaRows->isChecked());
    settings.setValue(QStringLiteral("view/threshold"), m_threshold->value());
    settings.setValue(QStringLiteral("view/alpha"), m_alpha->value());
    settings.setValue(QStringLiteral("view/imageOverlay"), m_overlayBox->currentIndex());
    settings.setValue(QStringLiteral("view/wholeImage"), m_wholeImage->isChecked());
}

bool MainWindow::exportFigure(const QString& path) {
    if (m_tabs->currentWidget() == m_trainingView) {  // no run needed: the log is the figure
        if (!m_trainingView->log()) {
            fail(tr("Nothing to export on the Training tab: open a training log first."));
            return false;
        }
        if (!attempt([&] { analysis::writeTrainingFigure(*m_trainingView->log(), path.toStdString()); })) return false;
        m_lastError.clear();
        statusBar()->showMessage(tr("Exported %1").arg(path));
        return true;
    }
    if (!m_source || m_row < 0) {
        fail(tr("Nothing to export: open a recorded run or a dataset first."));
        return false;
    }
    if (m_tabs->currentWidget() == m_checkpointView) {
        fail(tr("The checkpoint view has no figure to export; the run views do."));
        return false;
    }
    const bool scales = m_tabs->currentWidget() == m_scales;
    if (scales && m_scales->isComputing()) {
        fail(tr("Nothing to export on the Scales tab yet: the scale analysis is still being computed."));
        return false;
    }
    const bool occlusionPlots =
        m_tabs->currentWidget() == m_occlusion && m_occlusion->exportPart() == OcclusionView::Part::Dataset;
    if (occlusionPlots && m_occlusion->isComputing()) {
        fail(tr("Nothing to export on the Occlusion tab yet: the run-level plots are still being computed."));
        return false;
    }
    const bool modelsChart = m_tabs->currentWidget() == m_models && m_models->exportPart() == ModelsView::Part::Chart;
    if (m_tabs->currentWidget() == m_models && !m_models->isAvailable()) {
        fail(m_models->message());
        return false;
    }
    if (modelsChart && !m_models->result()) {  // drawn from the tab's comparison, never computed here
        fail(m_models->isComputing()
                 ? tr("Nothing to export on the Models tab yet: the comparison is still being computed.")
             : m_models->error().isEmpty()
                 ? tr("Nothing to export on the Models tab yet: show the tab to compute the comparison.")
                 : tr("No chart to export: %1").arg(m_models->error()));
        return false;
    }
    const analysis::FigureSpec spec = currentSpec();
    const std::string out = path.toStdString();
    const std::string specPath = std::filesystem::path(out).replace_extension(".json").string();
    if (!attempt([&] {
            const bool second = m_tabs->currentWidget() == m_comparePage && m_compare;
            analysis::FigureRenderer renderer(second ? *m_compare : *m_source);
            // The Scales tab's analysis is the figure's (the spec's default bands and annotation
            // file): drawn, not computed again. Without one the renderer computes it or says why not.
            if (scales && m_scales->result() && m_scales->quantisation())
                renderer.setScaleData(spec, {*m_scales->result(), *m_scales->quantisation()});
            // The Occlusion tab's run-level summary likewise (of its measure and comparison).
            if (occlusionPlots && m_occlusion->result()) renderer.setOcclusionData(spec, *m_occlusion->result());
            // The Models tab's comparison likewise.
            if (modelsChart) renderer.setComparisonData(spec, *m_models->result());
            renderer.write(spec, m_row, out);
            analysis::writeFigureSpec(spec, specPath);
        }))
        return false;
    m_lastError.clear();
    QString message = tr("Exported %1 and its spec %2 (posescope-cli figure %2 draws it again)")
                          .arg(path, QString::fromStdString(specPath));
    if (scales)
        message += tr("; every number as CSV: posescope-cli scales %1 --csv FILE")
                       .arg(QString::fromStdString(m_source->path()));
    statusBar()->showMessage(message);
    return true;
}

bool MainWindow::recordModelRun(analysis::RecordOptions options) {
    if (!run()) {
        fail(
            tr("Open a recorded run first: another model is then run over its samples and compared with it in "
               "the Models tab."));
        return false;
    }
    const analysis::RunHeader& h = run()->header();
    options.dataset = h.dataset;
    options.images = h.images;
    options.boxes = h.boxes;
    options.level = h.level;
    options.subset = -1;
    options.imageIds.clear();
    // The recorded selection: "all", "image ids A B …", "first N" or "first N of image ids A B …".
    const std::string& sel = h.selection;
    if (sel.rfind("first ", 0) == 0) options.subset = std::stoll(sel.substr(6));
    if (const size_t at = sel.find("image ids"); at != std::string::npos) {
        std::istringstream ids(sel.substr(at + 9));
        for (long long id = 0; ids >> id;)
            options.imageIds.push_back(id);
    }
    options.out = options.out.empty() ? run()->path() + ".model.h5" : options.out;
    if (!startRecording(options)) return false;
    m_openWhenDone = false;
    m_addToModelsWhenDone = true;
    return true;
}

void MainWindow::chooseModelRecording() {
    if (!run()) {
        fail(tr("Open a recorded run first: another model is then run over its samples."));
        return;
    }
    RecordDialog dialog(this);
    dialog.prefill(run()->header(), QString::fromStdString(run()->path()));
    dialog.setWindowTitle(
        tr("Run another model over %1's samples").arg(fileName(QString::fromStdString(run()->path()))));
    const std::array<QWidget*, 5> samples{dialog.dataset(), dialog.images(), dialog.subset(), dialog.imageIds(),
                                          dialog.level()};
    for (QWidget* w : samples)
        w->setEnabled(false);  // the open run's samples and level
    if (dialog.exec() != QDialog::Accepted) return;
    analysis::RecordOptions options;
    if (attempt([&] { options = dialog.options(); })) recordModelRun(options);
}

void MainWindow::chooseRecording() {
    RecordDialog dialog(this);
    if (run()) {
        dialog.prefill(run()->header(), QString::fromStdString(run()->path()));
    } else if (m_source) {  // a dataset: its files (and the current image when asked for)
        dialog.dataset()->setText(QString::fromStdString(m_source->header().dataset));
        dialog.images()->setText(QString::fromStdString(m_source->header().images));
    }
    if (dialog.exec() != QDialog::Accepted) return;
    analysis::RecordOptions options;
    if (attempt([&] { options = dialog.options(); })) startRecording(options);
}

bool MainWindow::startRecording(const analysis::RecordOptions& options) {
    if (m_worker.joinable()) {
        fail(tr("A recording is running: wait for it or cancel it first."));
        return false;
    }
    m_cancel = false;
    m_progress->setRange(0, 0);  // busy until the first progress report (loading model and data)
    m_progress->setFormat(tr("loading…"));
    m_progress->show();
    m_cancelButton->show();
    statusBar()->showMessage(tr("Recording %1…").arg(QString::fromStdString(options.out)));
    m_worker = std::thread([this, options] {
        analysis::RecordCallbacks cb;
        cb.progress = [this](const analysis::RecordProgress& p) {
            QMetaObject::invokeMethod(
                this,
                [this, p] {
                    m_progress->setRange(0, static_cast<int>(std::max<int64_t>(1, p.total)));
                    m_progress->setValue(static_cast<int>(p.done));
                    m_progress->setFormat(tr("%v / %m samples · %1/s").arg(p.samplesPerSecond, 0, 'f', 1));
                },
                Qt::QueuedConnection);
        };
        cb.cancel = [this] { return m_cancel.load(); };
        cb.issue = [this](int64_t index, const std::string& problem) {
            const QString text = tr("skipped sample %1: %2").arg(index).arg(QString::fromStdString(problem));
            QMetaObject::invokeMethod(
                this, [this, text] { statusBar()->showMessage(text); }, Qt::QueuedConnection);
        };
        QString error;
        bool cancelled = false;
        try {
            cancelled = analysis::recordRun(options, cb).cancelled;
        } catch (const std::exception& e) {
            error = QString::fromStdString(e.what());
        }
        const QString out = QString::fromStdString(options.out);
        QMetaObject::invokeMethod(
            this, [this, out, error, cancelled] { recordingEnded(out, error, cancelled); }, Qt::QueuedConnection);
    });
    return true;
}

void MainWindow::recordingEnded(const QString& out, const QString& error, bool cancelled) {
    if (m_worker.joinable()) m_worker.join();
    m_progress->hide();
    m_cancelButton->hide();
    const bool open = m_openWhenDone, addToModels = m_addToModelsWhenDone;
    m_openWhenDone = true;
    m_addToModelsWhenDone = false;
    if (!error.isEmpty()) {
        fail(error);
        Q_EMIT recordingFinished(false, error);
        return;
    }
    if (cancelled) {
        const QString text = tr("Recording cancelled: %1 keeps every sample recorded so far (posescope-cli record "
                                "--resume continues it).")
                                 .arg(out);
        statusBar()->showMessage(text);
        Q_EMIT recordingFinished(false, text);
        return;
    }
    if (addToModels && !addModelRun(out)) {
        Q_EMIT recordingFinished(false, m_lastError);
        return;
    }
    if (open && !openRun(out)) {
        Q_EMIT recordingFinished(false, m_lastError);
        return;
    }
    Q_EMIT recordingFinished(true, out);
}

void MainWindow::cancelRecording() {
    if (!m_worker.joinable()) return;
    m_cancel = true;
    m_progress->setFormat(tr("cancelling…"));
}

bool MainWindow::runCurrentSample() {
    if (!run() || m_row < 0) {
        fail(
            tr("Open a recorded run first: its model and dataset are run again on the current sample (for a "
               "dataset, choose a model in Run › Record Run…)."));
        return false;
    }
    if (!m_liveDir.isValid()) {
        fail(tr("Cannot create a temporary folder for the live run."));
        return false;
    }
    analysis::RecordOptions o;
    const bool ready = attempt([&] {
        const analysis::RunHeader& h = run()->header();
        o.config = run()->modelConfig();
        o.checkpoint = h.checkpoint;
        o.dataset = h.dataset;
        o.images = h.images;
        o.boxes = h.boxes;
        const analysis::SampleFacts& f = run()->facts()[static_cast<size_t>(m_row)];
        o.imageIds = {f.imageId};
        o.level = analysis::RunLevel::Full;
        o.flip = h.flip;
        o.decode = h.decoder == "argmax"    ? models::DecodeMethod::Argmax
                   : h.decoder == "quarter" ? models::DecodeMethod::ArgmaxQuarterOffset
                                            : models::DecodeMethod::Dark;
        static int counter = 0;
        o.out = m_liveDir.filePath(QStringLiteral("live_%1_image_%2.h5").arg(++counter).arg(f.imageId)).toStdString();
    });
    return ready && startRecording(o);
}

void MainWindow::chooseFile() {
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open"), QString(),
        tr("Runs and checkpoints (*.h5 *.hdf5 *.pth *.pt *.pth.tar *.ckpt);;Recorded runs (*.h5 *.hdf5);;"
           "PyTorch checkpoints (*.pth *.pt *.pth.tar *.ckpt);;All files (*)"));
    if (!path.isEmpty()) openFile(path);
}

void MainWindow::chooseExport() {
    QString selected;
    const QString path = QFileDialog::getSaveFileName(this, tr("Export Figure"), QStringLiteral("figure.pdf"),
                                                      tr("PDF (*.pdf);;SVG (*.svg);;PNG (*.png)"), &selected);
    if (!path.isEmpty()) exportFigure(path);
}

void MainWindow::rememberRecent(const QString& path) {
    QSettings settings;
    QStringList recent = settings.value(QStringLiteral("recent")).toStringList();
    const QString absolute = QFileInfo(path).absoluteFilePath();
    recent.removeAll(absolute);
    recent.prepend(absolute);
    while (recent.size() > kMaxRecent)
        recent.removeLast();
    settings.setValue(QStringLiteral("recent"), recent);
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu() {
    if (!m_recentMenu) return;
    m_recentMenu->clear();
    const QStringList recent = QSettings().value(QStringLiteral("recent")).toStringList();
    for (const QString& path : recent)
        m_recentMenu->addAction(fileName(path), this, [this, path] { openFile(path); })->setToolTip(path);
    m_recentMenu->setEnabled(!recent.isEmpty());
}

void MainWindow::closeEvent(QCloseEvent* event) {
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    QMainWindow::closeEvent(event);
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
    for (const QUrl& url : event->mimeData()->urls())
        if (url.isLocalFile()) openFile(url.toLocalFile());
    event->acceptProposedAction();
}

}  // namespace posescope::gui
