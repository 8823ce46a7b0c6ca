// The workbench window under the offscreen platform.
#include "checkpoint_view.h"
#include "figure_view.h"
#include "layerwise_plot.h"
#include "main_window.h"
#include "models_view.h"
#include "occlusion_view.h"
#include "posescope/analysis/figure.h"
#include "posescope/analysis/run_pairing.h"
#include "posescope/analysis/run_scales.h"
#include "record_dialog.h"
#include "run_files.h"
#include "run_fixture.h"
#include "sample_list.h"
#include "scale_view.h"
#include "test_paths.h"
#include "training_view.h"

#include <gtest/gtest.h>
#include <hdf5.h>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QListWidget>
#include <QMouseEvent>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableWidget>
#include <QTest>
#include <QWheelEvent>
#include "qcustomplot_include.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace posescope;

namespace {
QApplication& app() {
    static int argc = 1;
    static char name[] = "gui_tests";
    static char* argv[] = {name, nullptr};
    // Never destroyed: tearing QApplication down in exit handlers, after QTest's input devices,
    // crashes inside Qt.
    static QApplication* instance = new QApplication(argc, argv);
    QStandardPaths::setTestModeEnabled(true);  // QSettings of the tests stay out of the user's
    return *instance;
}
}  // namespace

TEST(MainWindow, OpensAnOfficialCheckpoint) {
    app();
    gui::MainWindow w;
    w.setInteractive(false);
    w.show();
    ASSERT_TRUE(w.openCheckpoint(QString::fromStdString(test::officialPath("transpose_r_small.pth"))))
        << w.lastError().toStdString();
    EXPECT_EQ(w.checkpointView()->table()->rowCount(), 178);
    EXPECT_EQ(w.checkpointView()->table()->item(0, 0)->text(), QStringLiteral("pos_embedding"));
    EXPECT_EQ(w.checkpointView()->table()->item(0, 1)->text(), QStringLiteral("[768, 1, 64]"));
    EXPECT_TRUE(w.checkpointView()->summary()->text().contains(QStringLiteral("TransPose-R")));
    EXPECT_EQ(w.checkpointView()->plot()->plottableCount(), 1);
}

TEST(MainWindow, TrainingTabFollowsALogAsItGrowsAndExportsItsFigure) {
    app();
    const std::string dir = test::outputPath("gui_training");
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const std::string log = dir + "/log.csv";
    std::ofstream(log) << "kind,epoch,step,loss,lr,samples_per_s,val_ap,val_ap50,val_ap75,seconds,data_wait_s\n"
                          "epoch,0,0,,,,0.01,0.04,0,3,\n"
                          "iter,1,20,0.003,0.001,12,,,,20,\n"
                          "iter,1,40,0.0028,0.001,12.5,,,,40,\n";
    gui::MainWindow w;
    w.setInteractive(false);
    w.show();
    ASSERT_TRUE(w.openFile(QString::fromStdString(dir))) << w.lastError().toStdString();  // the folder
    gui::TrainingView* view = w.trainingView();
    ASSERT_NE(view->log(), nullptr);
    EXPECT_EQ(view->log()->path, log);
    ASSERT_EQ(view->plot(0)->graphCount(), 1);
    EXPECT_EQ(view->plot(0)->graph(0)->dataCount(), 2);  // loss over the steps
    EXPECT_EQ(view->plot(1)->graph(0)->dataCount(), 2);  // learning rate
    ASSERT_EQ(view->plot(2)->graphCount(), 3);           // AP, AP50, AP75 over the epochs
    EXPECT_EQ(view->plot(2)->graph(0)->dataCount(), 1);
    EXPECT_TRUE(view->summary()->text().contains(QStringLiteral("0 epochs finished, step 40")))
        << view->summary()->text().toStdString();
    EXPECT_FALSE(view->reload()) << "nothing changed";

    // The training goes on: an epoch ends, and the next row is being written (no newline yet).
    std::ofstream(log, std::ios::app) << "epoch,1,50,0.0029,0.001,12.4,0.2,0.45,0.15,52,0.1\n"
                                         "iter,2,60,0.0025,0.0005,12,,,,61,\n"
                                         "iter,2,8";
    ASSERT_TRUE(view->reload());
    EXPECT_EQ(view->plot(0)->graph(0)->dataCount(), 3);
    EXPECT_EQ(view->plot(2)->graph(0)->dataCount(), 2);
    EXPECT_TRUE(view->summary()->text().contains(QStringLiteral("best validation AP 0.2000 after epoch 1")))
        << view->summary()->text().toStdString();

    // Export Figure on this tab draws the log (no run is open).
    const QString svg = QString::fromStdString(dir + "/curves.svg");
    ASSERT_TRUE(w.exportFigure(svg)) << w.lastError().toStdString();
    QFile file(svg);
    ASSERT_TRUE(file.open(QIODevice::ReadOnly));
    EXPECT_TRUE(file.readAll().contains("validation"));

    // A file that is not a training log: one message, the shown log stays.
    const std::string bad = dir + "/other.csv";
    std::ofstream(bad) << "image_id,x\n1,2\n";
    EXPECT_FALSE(w.openFile(QString::fromStdString(bad)));
    EXPECT_TRUE(w.lastError().contains(QStringLiteral("other.csv: not a PoseScope training log")))
        << w.lastError().toStdString();
    EXPECT_EQ(view->log()->path, log);
}

TEST(MainWindow, CorruptFileShowsOneMessageAndKeepsTheView) {
    app();
    gui::MainWindow w;
    w.setInteractive(false);
    ASSERT_TRUE(w.openCheckpoint(QString::fromStdString(test::dataPath("pth/plain.pth"))));
    const QString bad = QString::fromStdString(test::dataPath("pth/plain.expected.tsv"));
    EXPECT_FALSE(w.openCheckpoint(bad));
    EXPECT_TRUE(w.lastError().startsWith(bad + QStringLiteral(": not a PyTorch checkpoint")))
        << w.lastError().toStdString();
    EXPECT_EQ(w.statusBar()->currentMessage(), w.lastError());
    EXPECT_EQ(w.checkpointView()->table()->rowCount(), 5);
}

namespace {

// How many distinct colours an image holds (a blank or one-colour view has very few).
int colourCount(const QImage& image) {
    QSet<QRgb> colours;
    for (int y = 0; y < image.height(); y += 3)
        for (int x = 0; x < image.width(); x += 3)
            colours.insert(image.pixel(x, y));
    return colours.size();
}

// Shortcuts fire only in the active window.
void activate(QWidget& w) {
    w.show();
    w.activateWindow();
    ASSERT_TRUE(QTest::qWaitForWindowActive(&w));
}

std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

}  // namespace

TEST(Workbench, OpensARunAndShowsItsSamplesAndViews) {
    app();
    gui::MainWindow w;
    w.setInteractive(false);
    w.resize(1200, 800);
    w.show();
    ASSERT_TRUE(w.openRun(QString::fromStdString(test::sharedRun()))) << w.lastError().toStdString();
    const int64_t samples = w.run()->size();
    EXPECT_EQ(w.sampleList()->model()->rowCount(), samples);
    EXPECT_EQ(w.currentRow(), 0);
    EXPECT_TRUE(w.sampleList()->model()->index(0, 0).data(Qt::DecorationRole).value<QImage>().height() > 0);
    // The dependency grid: every layer, the pose column and every keypoint.
    const QImage grid = w.dependencyView()->renderToImage(QSize(900, 600));
    EXPECT_TRUE(w.dependencyView()->lastError().isEmpty()) << w.dependencyView()->lastError().toStdString();
    EXPECT_GT(colourCount(grid), 500);
    EXPECT_EQ(w.dependencyView()->spec().kind, analysis::FigureKind::Dependencies);
    // Heatmaps and the pose (the run is level full).
    EXPECT_GT(colourCount(w.heatmapView()->renderToImage(QSize(900, 300))), 500);
    EXPECT_TRUE(w.heatmapView()->lastError().isEmpty());
    EXPECT_GT(colourCount(w.poseView()->renderToImage(QSize(400, 500))), 500);
    // Layer-wise: one point per layer in each series.
    EXPECT_EQ(w.layerwisePlot()->plot()->graph(0)->dataCount(), w.run()->header().layers);
}

TEST(Workbench, KeysAndControlsChangeSampleLayerAndKeypoint) {
    app();
    gui::MainWindow w;
    w.setInteractive(false);
    w.show();
    ASSERT_TRUE(w.openRun(QString::fromStdString(test::sharedRun())));
    activate(w);
    QTest::keyClick(&w, Qt::Key_PageDown);
    EXPECT_EQ(w.currentRow(), 1);
    QTest::keyClick(&w, Qt::Key_PageUp);
    EXPECT_EQ(w.currentRow(), 0);
    QTest::keyClick(&w, Qt::Key_BracketRight);
    EXPECT_EQ(w.layer(), 0);
    EXPECT_EQ(w.dependencyView()->spec().layers, std::vector<int>{0});
    QTest::keyClick(&w, Qt::Key_Period);
    QTest::keyClick(&w, Qt::Key_Period);
    EXPECT_EQ(w.keypoint(), 1);
    EXPECT_EQ(w.dependencyView()->spec().keypoints, std::vector<int>{1});
    QTest::keyClick(&w, Qt::Key_Comma);
    QTest::keyClick(&w, Qt::Key_Comma);
    EXPECT_EQ(w.keypoint(), -1);
    EXPECT_TRUE(w.dependencyView()->spec().keypoints.empty());
    w.setHead(1);
    EXPECT_EQ(w.dependencyView()->spec().head, 1);
    w.setColormap(QStringLiteral("magma"));
    EXPECT_EQ(w.dependencyView()->spec().colormap, "magma");
    // Selecting in the list selects the sample.
    w.sampleList()->setCurrentIndex(w.sampleList()->model()->index(2, 0));
    EXPECT_EQ(w.currentRow(), 2);
    // The filter narrows the list to what matches.
    w.sampleFilter()->setFilter(gui::SampleFilter::Occluded);
    for (int i = 0; i < w.sampleList()->model()->rowCount(); ++i) {
        const int64_t row = w.sampleList()->model()->index(i, 0).data(gui::SampleListModel::RunRowRole).toLongLong();
        EXPECT_GT(w.run()->facts()[static_cast<size_t>(row)].occluded, 0);
    }
}

TEST(Workbench, TheSampleListSortsByOksErrorScoreAndSizeAndPagingFollowsTheOrder) {
    app();
    gui::MainWindow w;
    w.setInteractive(false);
    w.show();
    ASSERT_TRUE(w.openRun(QString::fromStdString(test::sharedRun())));
    activate(w);
    auto* order = w.findChild<QComboBox*>(QStringLiteral("SampleOrder"));
    ASSERT_NE(order, nullptr);
    ASSERT_EQ(order->count(), static_cast<int>(gui::sampleOrderNames().size()));
    const QAbstractItemModel* list = w.sampleList()->model();
    const auto& facts = w.run()->facts();
    const auto factsAt = [&](int i) -> const analysis::SampleFacts& {
        return facts[static_cast<size_t>(list->index(i, 0).data(gui::SampleListModel::RunRowRole).toLongLong())];
    };
    ASSERT_EQ(list->rowCount(), static_cast<int>(facts.size()));
    // Worst OKS first: OKS never falls along the list, samples without ground truth last.
    order->setCurrentIndex(static_cast<int>(gui::SampleOrder::WorstOksFirst));
    EXPECT_EQ(w.sampleFilter()->order(), gui::SampleOrder::WorstOksFirst);
    bool sawNoTruth = false, differs = false;
    for (int i = 0; i < list->rowCount(); ++i) {
        const analysis::SampleFacts& f = factsAt(i);
        if (f.oks < 0) {
            sawNoTruth = true;
            continue;
        }
        EXPECT_FALSE(sawNoTruth) << "a sample with ground truth after one without, at " << i;
        if (i > 0 && factsAt(i - 1).oks >= 0) {
            EXPECT_LE(factsAt(i - 1).oks, f.oks) << i;
        }
        differs = differs || f.row != i;
    }
    EXPECT_TRUE(differs) << "the fixture run is already in OKS order: the test proves nothing";
    // Page Down steps through the list in this order.
    w.sampleList()->setCurrentIndex(list->index(0, 0));
    EXPECT_EQ(w.currentRow(), factsAt(0).row);
    QTest::keyClick(&w, Qt::Key_PageDown);
    EXPECT_EQ(w.currentRow(), factsAt(1).row);
    // Largest person first, within a filter.
    w.sampleFilter()->setFilter(gui::SampleFilter::Occluded);
    order->setCurrentIndex(static_cast<int>(gui::SampleOrder::LargestFirst));
    ASSERT_GT(list->rowCount(), 1);
    for (int i = 0; i < list->rowCount(); ++i) {
        EXPECT_GT(factsAt(i).occluded, 0);
        if (i > 0) {
            EXPECT_GE(factsAt(i - 1).boxArea, factsAt(i).boxArea);
        }
    }
    // Largest error first, then back to the recorded order.
    w.sampleFilter()->setFilter(gui::SampleFilter::All);
    order->setCurrentIndex(static_cast<int>(gui::SampleOrder::LargestErrorFirst));
    for (int i = 1; i < list->rowCount(); ++i)
        if (factsAt(i).meanError >= 0) {
            EXPECT_GE(factsAt(i - 1).meanError, factsAt(i).meanError) << i;
        }
    order->setCurrentIndex(static_cast<int>(gui::SampleOrder::Recorded));
    for (int i = 0; i < list->rowCount(); ++i)
        EXPECT_EQ(factsAt(i).row, i);
}

TEST(Workbench, ClickingTheCropShowsThatPointsDependenciesInEveryLayer) {
    app();
    gui::MainWindow w;
    w.setInteractive(false);
    w.resize(1000, 700);
    w.show();
    ASSERT_TRUE(w.openRun(QString::fromStdString(test::sharedRun())));
    w.setKeypoint(9);
    gui::FigureView* view = w.dependencyView();
    view->resize(800, 600);
    (void)view->renderToImage(view->size());
    // Click the middle of the first map panel (layer 1, left wrist).
    const analysis::FigureLayout lay = view->renderer()->layout(view->spec());
    const analysis::FigurePanel& panel = lay.panels.at(1);
    const double scale = std::min(800 / lay.width, 600 / lay.height);
    const QPointF offset((800 - lay.width * scale) / 2, (600 - lay.height * scale) / 2);
    const QPoint at = (offset + QPointF(panel.x + panel.width / 2, panel.y + panel.height / 2) * scale).toPoint();
    QTest::mouseClick(view, Qt::LeftButton, Qt::NoModifier, at);
    EXPECT_TRUE(view->spec().usePoint) << w.lastError().toStdString();
    EXPECT_NEAR(view->spec().pointX, lay.cropWidth / 2, 2);
    EXPECT_NEAR(view->spec().pointY, lay.cropHeight / 2, 2);
    EXPECT_EQ(view->renderer()->layout(view->spec()).panels.size(), static_cast<size_t>(2 * w.run()->header().layers));
    activate(w);
    QTest::keyClick(&w, Qt::Key_Escape);
    EXPECT_FALSE(w.dependencyView()->spec().usePoint);
}

TEST(Workbench, ExportsPngSvgPdfWithASpecThatTheCliRedraws) {
    app();
    analysis::ensureGuiApplication();
    gui::MainWindow w;
    w.setInteractive(false);
    w.show();
    ASSERT_TRUE(w.openRun(QString::fromStdString(test::sharedRun())));
    w.selectSample(3);
    w.setLayer(1);
    const std::string base = test::outputPath("workbench_export");
    for (const char* ext : {".png", ".svg", ".pdf"}) {
        std::filesystem::remove(base + ext);
        ASSERT_TRUE(w.exportFigure(QString::fromStdString(base + ext))) << w.lastError().toStdString();
        EXPECT_TRUE(std::filesystem::file_size(base + ext) > 1000) << ext;
    }
    EXPECT_EQ(slurp(base + ".pdf").rfind("%PDF-", 0), 0u);
    EXPECT_NE(slurp(base + ".svg").find("<svg"), std::string::npos);
    // The spec beside the export draws the same figure again.
    const analysis::FigureSpec spec = analysis::readFigureSpec(base + ".json");
    EXPECT_EQ(spec.rows, std::vector<int64_t>{3});
    EXPECT_EQ(spec.layers, std::vector<int>{1});
    const auto run = analysis::RunBrowser::open(spec.run);
    analysis::FigureRenderer(*run).write(spec, 3, base + "_again.png");
    EXPECT_EQ(QImage(QString::fromStdString(base + "_again.png")), QImage(QString::fromStdString(base + ".png")));
    // Heatmaps, pose and the layer-wise plot export too; the checkpoint view says it cannot.
    w.tabs()->setCurrentWidget(w.heatmapView());
    EXPECT_TRUE(w.exportFigure(QString::fromStdString(base + "_heatmaps.png"))) << w.lastError().toStdString();
    EXPECT_EQ(analysis::readFigureSpec(base + "_heatmaps.json").kind, analysis::FigureKind::Heatmaps);
    w.tabs()->setCurrentWidget(w.poseView());
    EXPECT_TRUE(w.exportFigure(QString::fromStdString(base + "_pose.svg"))) << w.lastError().toStdString();
    w.setKeypoint(9);
    w.tabs()->setCurrentWidget(w.layerwisePlot());
    EXPECT_TRUE(w.exportFigure(QString::fromStdString(base + "_layerwise.pdf"))) << w.lastError().toStdString();
    const analysis::FigureSpec layerwise = analysis::readFigureSpec(base + "_layerwise.json");
    EXPECT_EQ(layerwise.kind, analysis::FigureKind::Layerwise);
    EXPECT_EQ(layerwise.keypoints, std::vector<int>{9});
    analysis::FigureRenderer(*run).write(layerwise, 3, base + "_layerwise.svg");
    EXPECT_NE(slurp(base + "_layerwise.svg").find("left wrist"), std::string::npos);
    w.tabs()->setCurrentWidget(w.checkpointView());
    EXPECT_FALSE(w.exportFigure(QString::fromStdString(base + "_checkpoint.png")));
    EXPECT_FALSE(w.lastError().isEmpty());
}

TEST(Workbench, ABadRunGivesOneMessageAndKeepsTheOpenOne) {
    app();
    gui::MainWindow w;
    w.setInteractive(false);
    ASSERT_TRUE(w.openRun(QString::fromStdString(test::sharedRun())));
    const std::string bad = test::outputPath("not_a_run.h5");
    std::ofstream(bad) << "this is not HDF5";
    EXPECT_FALSE(w.openRun(QString::fromStdString(bad)));
    EXPECT_TRUE(w.lastError().startsWith(QString::fromStdString(bad))) << w.lastError().toStdString();
    EXPECT_EQ(w.statusBar()->currentMessage(), w.lastError());
    EXPECT_EQ(w.run()->path(), test::sharedRun());
    EXPECT_FALSE(w.openRun(QString::fromStdString(test::outputPath("missing.h5"))));
    EXPECT_EQ(w.run()->path(), test::sharedRun());
}

// The real app, started under Xvfb (xcb, not offscreen), draws its views: a screenshot of the
// window it takes once the run is open has thumbnails in the sample list and maps in the centre.
namespace {

// Starts the real app under Xvfb (its own settings folder) with `args` and `--screenshot shot`,
// waits for it, and expects a clean exit.
void screenshotApp(const QStringList& args, const std::string& shot, const std::string& configDir) {
    std::filesystem::remove(shot);
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("QT_QPA_PLATFORM"));
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), QString::fromStdString(test::outputPath(configDir)));
    p.setProcessEnvironment(env);
    p.start(QStringLiteral("xvfb-run"),
            QStringList{QStringLiteral("-a"), QStringLiteral("-s"), QStringLiteral("-screen 0 1400x900x24"),
                        QStringLiteral(POSESCOPE_APP)}
                << args << QStringList{QStringLiteral("--screenshot"), QString::fromStdString(shot)});
    ASSERT_TRUE(p.waitForStarted(10000)) << "xvfb-run is missing (scripts/setup.sh installs xvfb)";
    ASSERT_TRUE(p.waitForFinished(120000));
    EXPECT_EQ(p.exitCode(), 0) << p.readAllStandardError().toStdString();
}

}  // namespace

TEST(Workbench, TheRealAppDrawsItsViewsUnderXvfb) {
    app();
    const std::string shot = test::outputPath("app_screenshot.png");
    screenshotApp({QString::fromStdString(test::sharedRun())}, shot, "app_config");
    const QImage image(QString::fromStdString(shot));
    ASSERT_FALSE(image.isNull());
    ASSERT_GE(image.width(), 800);
    // Left fifth: the sample list with thumbnails; the rest: the dependency grid.
    const QImage list = image.copy(0, 0, image.width() / 5, image.height());
    const QImage views =
        image.copy(image.width() / 4, image.height() / 8, image.width() * 3 / 4, image.height() * 3 / 4);
    EXPECT_GT(colourCount(list), 200);
    EXPECT_GT(colourCount(views), 1000);
}

// The real app with --compare: two runs side by side in the Compare tab, both drawn.
TEST(Workbench, TheRealAppComparesTwoRunsFromTheCommandLine) {
    app();
    const std::string shot = test::outputPath("app_compare.png");
    screenshotApp({QString::fromStdString(test::sharedBTransposeRun()), QStringLiteral("--compare"),
                   QString::fromStdString(test::sharedRun()), QStringLiteral("--keypoint"), QStringLiteral("9"),
                   QStringLiteral("--view"), QStringLiteral("compare")},
                  shot, "app_config_compare");
    const QImage image(QString::fromStdString(shot));
    ASSERT_FALSE(image.isNull());
    // The centre's two halves (right of the sample list): each run's grid.
    const int x0 = image.width() / 4, w = (image.width() - x0) / 2;
    EXPECT_GT(colourCount(image.copy(x0, image.height() / 8, w, image.height() * 3 / 4)), 500);
    EXPECT_GT(colourCount(image.copy(x0 + w, image.height() / 8, w, image.height() * 3 / 4)), 500);
}

// The real app with --add-model (repeatable) and --view models: three models of the same samples in
// the Models tab, the screenshot taken once their comparison is computed.
TEST(Workbench, TheRealAppComparesModelsFromTheCommandLine) {
    app();
    const std::string shot = test::outputPath("app_models.png");
    screenshotApp({QString::fromStdString(test::sharedRun()), QStringLiteral("--add-model"),
                   QString::fromStdString(test::sharedPptRun()), QStringLiteral("--add-model"),
                   QString::fromStdString(test::sharedBTransposeRun()), QStringLiteral("--keypoint"),
                   QStringLiteral("9"), QStringLiteral("--view"), QStringLiteral("models")},
                  shot, "app_config_models");
    const QImage image(QString::fromStdString(shot));
    ASSERT_FALSE(image.isNull());
    // Right of the sample list, below the runs and the caption: the models figure.
    const int x0 = image.width() / 4;
    EXPECT_GT(colourCount(image.copy(x0, image.height() / 3, image.width() - x0, image.height() / 2)), 500);
}

namespace {

// Options that record the shared run's dataset with its small model.
analysis::RecordOptions smallRecording(const std::string& out, int64_t subset) {
    const auto run = analysis::RunBrowser::open(test::sharedRun());
    analysis::RecordOptions o;
    o.config = run->modelConfig();
    o.checkpoint = run->header().checkpoint;
    o.dataset = run->header().dataset;
    o.images = run->header().images;
    o.subset = subset;
    o.batchSize = 2;
    o.out = test::outputPath(out);
    std::filesystem::remove(o.out);
    return o;
}

}  // namespace

TEST(Workbench, RecordsOnAWorkerThreadWithProgressAndOpensTheRun) {
    app();
    gui::MainWindow w;
    w.setInteractive(false);
    w.show();
    QSignalSpy done(&w, &gui::MainWindow::recordingFinished);
    ASSERT_TRUE(w.startRecording(smallRecording("workbench_recorded.h5", 3)));
    EXPECT_TRUE(w.isRecording());
    EXPECT_FALSE(w.startRecording(smallRecording("workbench_second.h5", 3)));  // one at a time
    ASSERT_TRUE(done.wait(120000));
    EXPECT_TRUE(done.at(0).at(0).toBool()) << done.at(0).at(1).toString().toStdString();
    EXPECT_FALSE(w.isRecording());
    ASSERT_NE(w.run(), nullptr);
    EXPECT_EQ(w.run()->path(), test::outputPath("workbench_recorded.h5"));
    EXPECT_EQ(w.run()->size(), 3);
    EXPECT_TRUE(w.dependencyView()->renderToImage(QSize(600, 400)).width() == 600);
    EXPECT_TRUE(w.dependencyView()->lastError().isEmpty());
}

TEST(Workbench, ACancelledRecordingKeepsAResumableFile) {
    app();
    gui::MainWindow w;
    w.setInteractive(false);
    QSignalSpy done(&w, &gui::MainWindow::recordingFinished);
    analysis::RecordOptions o = smallRecording("workbench_cancelled.h5", -1);
    o.batchSize = 1;
    ASSERT_TRUE(w.startRecording(o));
    w.cancelRecording();
    ASSERT_TRUE(done.wait(120000));
    EXPECT_FALSE(done.at(0).at(0).toBool());
    EXPECT_TRUE(done.at(0).at(1).toString().contains(QStringLiteral("cancelled")))
        << done.at(0).at(1).toString().toStdString();
    const auto run = analysis::RunBrowser::open(o.out);  // opens: the file is consistent
    EXPECT_FALSE(run->header().complete);
    EXPECT_LT(run->size(), analysis::RunBrowser::open(test::sharedRun())->size());
}

TEST(Workbench, RunsTheModelAgainOnTheCurrentSample) {
    app();
    gui::MainWindow w;
    w.setInteractive(false);
    ASSERT_TRUE(w.openRun(QString::fromStdString(test::sharedRun())));
    w.selectSample(2);
    const int64_t image = w.run()->facts()[2].imageId;
    QSignalSpy done(&w, &gui::MainWindow::recordingFinished);
    ASSERT_TRUE(w.runCurrentSample()) << w.lastError().toStdString();
    ASSERT_TRUE(done.wait(120000));
    ASSERT_TRUE(done.at(0).at(0).toBool()) << done.at(0).at(1).toString().toStdString();
    EXPECT_NE(w.run()->path(), test::sharedRun());
    EXPECT_EQ(w.run()->header().level, analysis::RunLevel::Full);
    for (const analysis::SampleFacts& f : w.run()->facts())
        EXPECT_EQ(f.imageId, image);
}

TEST(Workbench, RecordDialogFillsFromARunAndReportsBadInput) {
    app();
    const auto run = analysis::RunBrowser::open(test::sharedRun());
    gui::RecordDialog d;
    d.prefill(run->header(), QString::fromStdString(test::sharedRun()));
    EXPECT_EQ(d.checkpoint()->text().toStdString(), run->header().checkpoint);
    EXPECT_EQ(d.level()->currentText(), QStringLiteral("full"));
    d.subset()->setValue(2);
    const analysis::RecordOptions o = d.options();
    EXPECT_EQ(o.subset, 2);
    EXPECT_EQ(o.config.integer("MODEL.ENCODER_LAYERS"), run->modelConfig().integer("MODEL.ENCODER_LAYERS"));
    d.imageIds()->setText(QStringLiteral("3, x"));
    EXPECT_THROW(d.options(), Error);
    d.imageIds()->clear();
    d.config()->setCurrentText(QStringLiteral("transpose-r-a9"));
    EXPECT_THROW(d.options(), Error);
    // Choosing a checkpoint recognises its architecture (a reduced TransPose-R: no paper preset).
    d.checkpoint()->setText(QString::fromStdString(test::officialPath("transpose_r_small.pth")));
    d.recogniseCheckpoint();
    EXPECT_TRUE(d.recognised()->text().contains(QStringLiteral("TransPose-R"))) << d.recognised()->text().toStdString();
    EXPECT_TRUE(d.recognised()->text().contains(QStringLiteral("YAML")));
    d.checkpoint()->setText(QString::fromStdString(test::outputPath("nope.pth")));
    d.recogniseCheckpoint();
    EXPECT_TRUE(d.recognised()->text().contains(QStringLiteral("nope.pth")));
    // Without annotations: a folder of your own images, with optional boxes.
    d.config()->setCurrentText(QStringLiteral("transpose-r-a4"));
    d.dataset()->clear();
    d.boxes()->setText(QStringLiteral("photos/boxes.csv"));
    const analysis::RecordOptions own = d.options();
    EXPECT_TRUE(own.dataset.empty());
    EXPECT_EQ(own.images, run->header().images);
    EXPECT_EQ(own.boxes, "photos/boxes.csv");
    d.images()->clear();
    try {
        (void)d.options();
        FAIL() << "no annotations and no images";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("or a folder of your own images"), std::string::npos) << e.what();
    }
}

TEST(Workbench, OpensADatasetToBrowseItsGroundTruth) {
    app();
    gui::MainWindow w;
    w.setInteractive(false);
    const auto run = analysis::RunBrowser::open(test::sharedRun());
    // SynthPose's layout: DIR/annotations/person_keypoints_val.json, images in DIR/images/val.
    ASSERT_TRUE(w.openFile(QString::fromStdString(run->header().dataset))) << w.lastError().toStdString();
    EXPECT_EQ(w.run(), nullptr);
    ASSERT_NE(w.source(), nullptr);
    EXPECT_EQ(w.source()->size(), run->size());
    EXPECT_EQ(w.sampleList()->model()->rowCount(), run->size());
    EXPECT_EQ(w.tabs()->currentWidget(), w.poseView());
    EXPECT_GT(colourCount(w.poseView()->renderToImage(QSize(400, 500))), 500);
    EXPECT_TRUE(w.poseView()->lastError().isEmpty()) << w.poseView()->lastError().toStdString();
    (void)w.dependencyView()->renderToImage(QSize(400, 300));
    EXPECT_TRUE(w.dependencyView()->lastError().contains(QStringLiteral("record a run")));
    EXPECT_FALSE(w.runCurrentSample());  // needs a model: the message says where to choose one
    EXPECT_TRUE(w.lastError().contains(QStringLiteral("Record Run")));
    EXPECT_TRUE(w.exportFigure(QString::fromStdString(test::outputPath("dataset_pose.svg"))) ||
                w.tabs()->currentWidget() != w.poseView());
}

namespace {

void sendMouse(QWidget* w, QEvent::Type type, QPointF at, Qt::MouseButtons buttons) {
    QMouseEvent e(type, at, w->mapToGlobal(at), type == QEvent::MouseMove ? Qt::NoButton : Qt::LeftButton, buttons,
                  Qt::NoModifier);
    QApplication::sendEvent(w, &e);
}

void sendWheel(QWidget* w, QPointF at, int steps) {
    QWheelEvent e(at, w->mapToGlobal(at), QPoint(), QPoint(0, 120 * steps), Qt::NoButton, Qt::NoModifier,
                  Qt::NoScrollPhase, false);
    QApplication::sendEvent(w, &e);
}

}  // namespace

TEST(Workbench, TheImageViewZoomsPansAndMapsClicksBackToTheCrop) {
    app();
    gui::MainWindow w;
    w.setInteractive(false);
    w.resize(1200, 800);
    w.show();
    ASSERT_TRUE(w.openRun(QString::fromStdString(test::sharedRun())));
    w.selectSample(1);
    w.setKeypoint(9);
    w.tabs()->setCurrentWidget(w.imagePage());
    w.setImageOverlay(analysis::ImageOverlay::Dependency);
    gui::FigureView* view = w.imageView();
    EXPECT_EQ(view->spec().kind, analysis::FigureKind::Image);
    EXPECT_EQ(view->spec().overlay, analysis::ImageOverlay::Dependency);
    view->resize(800, 600);
    EXPECT_GT(colourCount(view->renderToImage(view->size())), 500);
    ASSERT_TRUE(view->lastError().isEmpty()) << view->lastError().toStdString();
    // The wheel zooms about the cursor: the figure point under it stays there.
    const QPointF cursor(300, 200);
    const QPointF before = view->figurePoint(cursor);
    sendWheel(view, cursor, 2);
    EXPECT_NEAR(view->zoom(), 1.5625, 1e-9);
    EXPECT_NEAR(view->figurePoint(cursor).x(), before.x(), 1e-6);
    EXPECT_NEAR(view->figurePoint(cursor).y(), before.y(), 1e-6);
    // A drag pans (the point grabbed follows the mouse) and is not a click.
    QSignalSpy clicks(view, &gui::FigureView::pointClicked);
    const QPointF grabbed = view->figurePoint(QPointF(400, 300));
    sendMouse(view, QEvent::MouseButtonPress, QPointF(400, 300), Qt::LeftButton);
    sendMouse(view, QEvent::MouseMove, QPointF(430, 320), Qt::LeftButton);
    sendMouse(view, QEvent::MouseMove, QPointF(450, 330), Qt::LeftButton);
    sendMouse(view, QEvent::MouseButtonRelease, QPointF(450, 330), Qt::NoButton);
    EXPECT_EQ(clicks.count(), 0);
    EXPECT_NEAR(view->figurePoint(QPointF(450, 330)).x(), grabbed.x(), 1e-6);
    EXPECT_NEAR(view->figurePoint(QPointF(450, 330)).y(), grabbed.y(), 1e-6);
    // A click lands on the crop point under it (through the image), and with a dependency overlay
    // shows that point's map on the image.
    (void)view->renderToImage(view->size());
    const analysis::FigureLayout lay = view->renderer()->layout(view->spec(), view->row());
    const analysis::FigurePanel& panel = lay.panels.at(0);
    const QPointF centre(panel.x + panel.width / 2, panel.y + panel.height / 2);
    const QPointF at = QPointF(400, 300) + (centre - view->figurePoint(QPointF(400, 300))) *
                                               (std::min(800 / lay.width, 600 / lay.height) * view->zoom());
    sendMouse(view, QEvent::MouseButtonPress, at, Qt::LeftButton);
    sendMouse(view, QEvent::MouseButtonRelease, at, Qt::NoButton);
    ASSERT_EQ(clicks.count(), 1);
    const auto& t = panel.toCrop;
    const QPointF f = view->figurePoint(at);
    EXPECT_NEAR(clicks.at(0).at(0).toDouble(), t[0] * f.x() + t[1] * f.y() + t[2], 1e-6);
    EXPECT_NEAR(clicks.at(0).at(1).toDouble(), t[3] * f.x() + t[4] * f.y() + t[5], 1e-6);
    EXPECT_EQ(w.tabs()->currentWidget(), w.imagePage());
    EXPECT_TRUE(view->spec().usePoint) << w.lastError().toStdString();
    EXPECT_NEAR(view->spec().pointX, clicks.at(0).at(0).toDouble(), 1e-6);
    // A double click fits the figure again; the export is an image figure with its spec.
    QMouseEvent dbl(QEvent::MouseButtonDblClick, at, view->mapToGlobal(at), Qt::LeftButton, Qt::LeftButton,
                    Qt::NoModifier);
    QApplication::sendEvent(view, &dbl);
    EXPECT_EQ(view->zoom(), 1);
    const std::string out = test::outputPath("workbench_image.pdf");
    ASSERT_TRUE(w.exportFigure(QString::fromStdString(out))) << w.lastError().toStdString();
    const analysis::FigureSpec spec = analysis::readFigureSpec(test::outputPath("workbench_image.json"));
    EXPECT_EQ(spec.kind, analysis::FigureKind::Image);
    EXPECT_EQ(spec.overlay, analysis::ImageOverlay::Dependency);
    EXPECT_TRUE(spec.usePoint);
}

TEST(Workbench, PptRunsShowTheirPrunedTokensAndTheErrorCurve) {
    app();
    gui::MainWindow w;
    w.setInteractive(false);
    w.resize(1200, 800);
    w.show();
    ASSERT_TRUE(w.openRun(QString::fromStdString(test::sharedPptRun()))) << w.lastError().toStdString();
    w.tabs()->setCurrentWidget(w.tokenView());
    EXPECT_GT(colourCount(w.tokenView()->renderToImage(QSize(900, 400))), 300);
    EXPECT_TRUE(w.tokenView()->lastError().isEmpty()) << w.tokenView()->lastError().toStdString();
    EXPECT_EQ(w.tokenView()->renderer()->layout(w.tokenView()->spec()).panels.size(), 3u);
    w.setLayer(5);  // scrubbing a layer shows the tokens alive in it
    EXPECT_EQ(w.tokenView()->spec().layers, std::vector<int>{5});
    EXPECT_EQ(w.tokenView()->renderer()->layout(w.tokenView()->spec()).panels.size(), 1u);
    EXPECT_EQ(w.currentSpec().kind, analysis::FigureKind::Tokens);
    w.tabs()->setCurrentWidget(w.pruningView());
    EXPECT_GT(colourCount(w.pruningView()->renderToImage(QSize(700, 450))), 20);
    EXPECT_TRUE(w.pruningView()->lastError().isEmpty()) << w.pruningView()->lastError().toStdString();
    const std::string out = test::outputPath("workbench_pruning.pdf");
    ASSERT_TRUE(w.exportFigure(QString::fromStdString(out))) << w.lastError().toStdString();
    EXPECT_EQ(analysis::readFigureSpec(test::outputPath("workbench_pruning.json")).kind, analysis::FigureKind::Pruning);
    // A TransPose run explains the tabs instead of drawing nothing.
    ASSERT_TRUE(w.openRun(QString::fromStdString(test::sharedRun())));
    (void)w.tokenView()->renderToImage(QSize(400, 300));
    EXPECT_TRUE(w.tokenView()->lastError().contains(QStringLiteral("PPT"))) << w.tokenView()->lastError().toStdString();
}

TEST(Workbench, BTransposeRunsShowTheirBotMhsaRowsAboveTheLayers) {
    app();
    gui::MainWindow w;
    w.setInteractive(false);
    w.resize(1200, 800);
    w.show();
    ASSERT_TRUE(w.openRun(QString::fromStdString(test::sharedBTransposeRun()))) << w.lastError().toStdString();
    EXPECT_FALSE(w.mhsaRowsBox()->isHidden());
    w.mhsaRowsBox()->setChecked(true);
    const int layers = w.run()->header().layers;
    EXPECT_EQ(w.dependencyView()->spec().mhsaBlocks, std::vector<int>{0});
    w.setKeypoint(9);
    auto panels = [&] { return w.dependencyView()->renderer()->layout(w.dependencyView()->spec()).panels; };
    ASSERT_EQ(panels().size(), static_cast<size_t>(2 * (1 + layers)));  // pose + left wrist per row
    EXPECT_EQ(panels()[1].mhsaBlock, 0);
    EXPECT_GT(colourCount(w.dependencyView()->renderToImage(QSize(500, 700))), 300);
    EXPECT_TRUE(w.dependencyView()->lastError().isEmpty()) << w.dependencyView()->lastError().toStdString();
    w.setHead(2);  // the MHSA has 4 heads, like the encoder: both show head 3
    EXPECT_EQ(w.dependencyView()->spec().mhsaHead, 2);
    const std::string out = test::outputPath("workbench_btranspose.svg");
    ASSERT_TRUE(w.exportFigure(QString::fromStdString(out))) << w.lastError().toStdString();
    const analysis::FigureSpec spec = analysis::readFigureSpec(test::outputPath("workbench_btranspose.json"));
    EXPECT_EQ(spec.mhsaBlocks, std::vector<int>{0});
    EXPECT_EQ(spec.mhsaHead, 2);
    w.mhsaRowsBox()->setChecked(false);
    EXPECT_TRUE(w.dependencyView()->spec().mhsaBlocks.empty());
    ASSERT_EQ(panels().size(), static_cast<size_t>(2 * layers));
    // Other runs hide the box.
    ASSERT_TRUE(w.openRun(QString::fromStdString(test::sharedRun())));
    EXPECT_TRUE(w.mhsaRowsBox()->isHidden());
    EXPECT_TRUE(w.dependencyView()->spec().mhsaBlocks.empty());
}

TEST(Workbench, ComparesTwoRunsOfTheSameSamplesSideBySide) {
    app();
    gui::MainWindow w;
    w.setInteractive(false);
    w.resize(1400, 800);
    w.show();
    EXPECT_FALSE(w.openComparison(QString::fromStdString(test::sharedRun())));  // no run open yet
    ASSERT_TRUE(w.openRun(QString::fromStdString(test::sharedBTransposeRun()))) << w.lastError().toStdString();
    w.mhsaRowsBox()->setChecked(true);
    ASSERT_TRUE(w.openComparison(QString::fromStdString(test::sharedPptRun()))) << w.lastError().toStdString();
    EXPECT_EQ(w.tabs()->currentWidget(), w.comparePage());
    w.selectSample(2);
    w.setKeypoint(9);
    // The open run on the left (with its MHSA rows), the second run on the right, same sample.
    EXPECT_EQ(w.comparisonBaseView()->spec().mhsaBlocks, std::vector<int>{0});
    EXPECT_TRUE(w.comparisonView()->spec().mhsaBlocks.empty());
    EXPECT_EQ(w.comparisonView()->row(), 2);
    EXPECT_EQ(w.comparisonView()->spec().keypoints, std::vector<int>{9});
    EXPECT_GT(colourCount(w.comparisonView()->renderToImage(QSize(500, 700))), 300);
    EXPECT_TRUE(w.comparisonView()->lastError().isEmpty()) << w.comparisonView()->lastError().toStdString();
    // Layers by relative depth: the second of BTranspose's 2 layers is PPT's tenth of 12.
    w.setLayer(1);
    EXPECT_EQ(w.comparisonBaseView()->spec().layers, std::vector<int>{1});
    EXPECT_EQ(w.comparisonView()->spec().layers, std::vector<int>{9});
    // Exporting the Compare tab writes the second run's figure and spec.
    const std::string out = test::outputPath("workbench_compare.png");
    ASSERT_TRUE(w.exportFigure(QString::fromStdString(out))) << w.lastError().toStdString();
    const analysis::FigureSpec spec = analysis::readFigureSpec(test::outputPath("workbench_compare.json"));
    EXPECT_EQ(std::filesystem::path(spec.run).filename(), std::filesystem::path(test::sharedPptRun()).filename());
    EXPECT_EQ(spec.layers, std::vector<int>{9});
    // Opening another run closes the comparison.
    ASSERT_TRUE(w.openRun(QString::fromStdString(test::sharedRun())));
    EXPECT_EQ(w.comparisonView()->renderer(), nullptr);
}

// ---- The Scales tab ---------------------------------------------------------------------------

namespace {

// Shows the Scales tab and waits for its analysis (a worker thread); false on a time-out.
bool showScales(gui::MainWindow& w) {
    QSignalSpy finished(w.scaleView(), &gui::ScaleView::finished);
    w.tabs()->setCurrentWidget(w.scaleView());
    return !w.scaleView()->isComputing() || finished.wait(120000);
}

}  // namespace

TEST(Workbench, TheScalesTabShowsTheRunsAccuracyBySizeAndTheDecoderError) {
    app();
    gui::MainWindow w;
    w.setInteractive(false);
    w.resize(1200, 900);
    w.show();
    gui::ScaleView* view = w.scaleView();
    ASSERT_NE(w.tabs()->indexOf(view), -1);
    EXPECT_EQ(w.tabs()->tabText(w.tabs()->indexOf(view)), QStringLiteral("Scales"));
    const std::string path = test::sharedRun();
    ASSERT_TRUE(w.openRun(QString::fromStdString(path))) << w.lastError().toStdString();
    // Nothing is computed until the tab is shown; then on a worker, the window stays responsive.
    EXPECT_FALSE(view->isComputing());
    EXPECT_FALSE(view->hasResult());
    QSignalSpy finished(view, &gui::ScaleView::finished);
    w.tabs()->setCurrentWidget(view);
    EXPECT_TRUE(view->isComputing());
    EXPECT_TRUE(view->message().contains(QStringLiteral("Computing"))) << view->message().toStdString();
    ASSERT_TRUE(finished.wait(120000));
    ASSERT_TRUE(finished.at(0).at(0).toBool()) << view->message().toStdString();
    EXPECT_TRUE(view->message().isEmpty());

    // The table: a row per band, the numbers analyseRunScales gives for the same run.
    const analysis::RunScaleAnalysis want = analysis::analyseRunScales(path);
    ASSERT_EQ(view->table()->rowCount(), static_cast<int>(want.accuracy.size()));
    ASSERT_EQ(view->table()->columnCount(), static_cast<int>(gui::ScaleView::ColumnCount));
    int withPersons = 0;
    for (int row = 0; row < view->table()->rowCount(); ++row) {
        const analysis::BandAccuracy& b = want.accuracy[static_cast<size_t>(row)];
        auto value = [&](int column) { return view->table()->item(row, column)->data(Qt::UserRole).toDouble(); };
        EXPECT_EQ(view->table()->item(row, gui::ScaleView::BandColumn)->text().toStdString(), b.band.label);
        EXPECT_EQ(value(gui::ScaleView::ApColumn), b.ap) << b.band.label;
        EXPECT_EQ(value(gui::ScaleView::Ap50Column), b.ap50) << b.band.label;
        EXPECT_EQ(value(gui::ScaleView::Ap75Column), b.ap75) << b.band.label;
        EXPECT_EQ(value(gui::ScaleView::ArColumn), b.ar) << b.band.label;
        EXPECT_EQ(value(gui::ScaleView::PersonsColumn), static_cast<double>(b.persons)) << b.band.label;
        EXPECT_EQ(view->table()->item(row, gui::ScaleView::ApColumn)->text(),
                  b.ap < 0 ? QStringLiteral("–") : QString::number(b.ap, 'f', 3));
        if (b.ap >= 0) ++withPersons;
    }
    EXPECT_EQ(want.accuracy.front().band.label, "all");
    EXPECT_GT(want.accuracy.front().persons, 0);

    // AP per band: one bar series, a bar for every band with persons.
    ASSERT_EQ(view->accuracyPlot()->plottableCount(), 1);
    const auto* apBars = qobject_cast<QCPBars*>(view->accuracyPlot()->plottable(0));
    ASSERT_NE(apBars, nullptr);
    EXPECT_EQ(apBars->dataCount(), withPersons);
    EXPECT_EQ(apBars->data()->at(0)->value, want.accuracy.front().ap);

    // Keypoint errors: a bar series per band, a bar per keypoint with labelled ground truth there.
    const analysis::KeypointErrorTable& t = want.errors;
    ASSERT_EQ(view->keypointPlot()->plottableCount(), static_cast<int>(t.bands.size()));
    for (size_t b = 0; b < t.bands.size(); ++b) {
        const auto* bars = qobject_cast<QCPBars*>(view->keypointPlot()->plottable(static_cast<int>(b)));
        ASSERT_NE(bars, nullptr);
        EXPECT_EQ(bars->name().toStdString(), t.bands[b].label);
        int labelled = 0;
        for (int k = 0; k < t.keypoints; ++k)
            if (t.at(b, k).count > 0) ++labelled;
        EXPECT_EQ(bars->dataCount(), labelled) << t.bands[b].label;
    }
    const auto* allBars = qobject_cast<QCPBars*>(view->keypointPlot()->plottable(0));
    ASSERT_GT(allBars->dataCount(), 0);
    const int firstKeypoint = static_cast<int>(allBars->data()->at(0)->key);
    EXPECT_EQ(allBars->data()->at(0)->value, t.at(0, firstKeypoint).meanNormalised);

    // Decoder quantisation: a line per decoder, a point per person height, at the run's input size.
    const analysis::QuantisationResult q =
        analysis::decoderQuantisation(analysis::runQuantisationOptions(w.run()->header()));
    const size_t heights = q.options.personHeights.size();
    QCustomPlot* plot = view->quantisationPlot();
    ASSERT_EQ(plot->graphCount(), 4);
    for (int d = 0; d < plot->graphCount(); ++d) {
        const analysis::QuantisationRow& first = q.rows[static_cast<size_t>(d) * heights];
        EXPECT_EQ(plot->graph(d)->name().toStdString(), analysis::quantisationDecoderName(first.decoder));
        ASSERT_EQ(plot->graph(d)->dataCount(), static_cast<int>(heights));
        EXPECT_EQ(plot->graph(d)->data()->at(0)->key, first.personHeight);
        EXPECT_EQ(plot->graph(d)->data()->at(0)->value, first.meanPixels);
    }
    view->setQuantisationUnit(gui::ScaleView::QuantisationUnit::PercentOfHeight);
    ASSERT_EQ(plot->graphCount(), 4);
    EXPECT_EQ(plot->graph(2)->data()->at(0)->value, 100 * q.rows[2 * heights].meanNormalised);  // dark

    // Export (File › Export Figure… on this tab): the scales figure drawn from the tab's analysis,
    // its error in % of the height as the tab shows it, with its spec beside it.
    const std::string base = test::outputPath("workbench_scales");
    for (const char* ext : {".png", ".svg", ".pdf", ".json"})
        std::filesystem::remove(base + ext);
    for (const char* ext : {".png", ".svg", ".pdf"}) {
        ASSERT_TRUE(w.exportFigure(QString::fromStdString(base + ext))) << w.lastError().toStdString();
        EXPECT_GT(std::filesystem::file_size(base + ext), 1000u) << ext;
    }
    EXPECT_TRUE(w.statusBar()->currentMessage().contains(QStringLiteral("posescope-cli figure")))
        << w.statusBar()->currentMessage().toStdString();
    ASSERT_TRUE(std::filesystem::exists(base + ".json"));
    const analysis::FigureSpec spec = analysis::readFigureSpec(base + ".json");
    EXPECT_EQ(spec.kind, analysis::FigureKind::Scales);
    EXPECT_TRUE(std::filesystem::equivalent(spec.run, path)) << spec.run;
    EXPECT_EQ(spec.quantisationUnit, analysis::QuantisationUnit::Normalised);
    EXPECT_EQ(spec.bands, "");  // the tab's bands and annotation file: the defaults
    EXPECT_EQ(spec.gt, "");
    EXPECT_EQ(slurp(base + ".pdf").rfind("%PDF-", 0), 0u);
    const std::string svg = slurp(base + ".svg");
    EXPECT_NE(svg.find("<svg"), std::string::npos);
    EXPECT_NE(svg.find("AP50"), std::string::npos);
    EXPECT_NE(svg.find("mean error (% of height)"), std::string::npos);
    // The spec draws the same figure again without the workbench (as posescope-cli figure does).
    const QImage png(QString::fromStdString(base + ".png"));
    EXPECT_GT(colourCount(png), 50);
    const auto again = analysis::RunBrowser::open(spec.run);
    const analysis::FigureRenderer renderer(*again);
    const analysis::FigureLayout lay = renderer.layout(spec);
    EXPECT_EQ(png.width(), static_cast<int>(std::ceil(lay.width * spec.dpi / 72.0)));
    EXPECT_EQ(png.height(), static_cast<int>(std::ceil(lay.height * spec.dpi / 72.0)));
    renderer.write(spec, spec.rows.front(), test::outputPath("workbench_scales_again.png"));
    EXPECT_TRUE(QImage(QString::fromStdString(test::outputPath("workbench_scales_again.png"))) == png);
    EXPECT_FALSE(w.exportFigure(QString::fromStdString(base + ".bmp")));
    EXPECT_TRUE(w.lastError().contains(QStringLiteral(".png, .svg or .pdf"))) << w.lastError().toStdString();
}

TEST(Workbench, TheScalesTabExplainsWhyARunHasNoScaleAnalysis) {
    app();
    gui::MainWindow w;
    w.setInteractive(false);
    w.show();
    gui::ScaleView* view = w.scaleView();
    // An MPII run: no person areas.
    const std::string mpii = test::runCopyWith(test::sharedRun(), "scales_mpii_run.h5", "dataset_kind", "mpii");
    ASSERT_TRUE(w.openRun(QString::fromStdString(mpii))) << w.lastError().toStdString();
    QSignalSpy finished(view, &gui::ScaleView::finished);
    ASSERT_TRUE(showScales(w));
    ASSERT_EQ(finished.count(), 1);
    EXPECT_FALSE(finished.at(0).at(0).toBool());
    EXPECT_TRUE(view->message().contains(QStringLiteral("is an MPII run"))) << view->message().toStdString();
    EXPECT_TRUE(view->message().contains(QStringLiteral("COCO-format"))) << view->message().toStdString();
    EXPECT_FALSE(view->hasResult());
    EXPECT_EQ(view->table()->rowCount(), 0);
    EXPECT_EQ(view->accuracyPlot()->plottableCount(), 0);
    EXPECT_EQ(view->quantisationPlot()->graphCount(), 0);
    std::filesystem::remove(test::outputPath("scales_mpii.json"));
    EXPECT_FALSE(w.exportFigure(QString::fromStdString(test::outputPath("scales_mpii.png"))));
    EXPECT_TRUE(w.lastError().contains(QStringLiteral("is an MPII run"))) << w.lastError().toStdString();
    EXPECT_FALSE(std::filesystem::exists(test::outputPath("scales_mpii.json")));  // no spec of a refused figure

    // A COCO run whose annotation file is gone: the message names it. (Opened while the tab is
    // shown, its analysis starts at once; the window then shows the run's grid.)
    const std::string gone = test::outputPath("scales_no_such_dir/person_keypoints_val.json");
    const std::string moved = test::runCopyWith(test::sharedRun(), "scales_gt_gone_run.h5", "dataset", gone);
    ASSERT_TRUE(w.openRun(QString::fromStdString(moved))) << w.lastError().toStdString();
    EXPECT_EQ(w.tabs()->currentWidget(), w.dependencyView());  // opening a run shows its grid
    ASSERT_TRUE(showScales(w));
    EXPECT_TRUE(view->message().contains(QString::fromStdString(gone))) << view->message().toStdString();
    EXPECT_EQ(view->table()->rowCount(), 0);

    // A dataset has no model results to analyse.
    const auto run = analysis::RunBrowser::open(test::sharedRun());
    ASSERT_TRUE(w.openFile(QString::fromStdString(run->header().dataset))) << w.lastError().toStdString();
    w.tabs()->setCurrentWidget(view);
    EXPECT_FALSE(view->isComputing());
    EXPECT_TRUE(view->message().contains(QStringLiteral("needs a recorded run"))) << view->message().toStdString();
}

// ---- The Occlusion tab ------------------------------------------------------------------------

namespace {

// Shows the Occlusion tab and waits for its run-level plots (a worker thread); false on a time-out.
bool showOcclusion(gui::MainWindow& w) {
    QSignalSpy finished(w.occlusionView(), &gui::OcclusionView::finished);
    w.tabs()->setCurrentWidget(w.occlusionView());
    return !w.occlusionView()->isComputing() || finished.wait(120000);
}

// Waits for a summary the view is computing (after a change of measure or comparison).
bool waitForOcclusion(gui::OcclusionView* view) {
    QSignalSpy finished(view, &gui::OcclusionView::finished);
    return !view->isComputing() || finished.wait(120000);
}

std::vector<double> graphValues(const QCPGraph* g) {
    std::vector<double> out;
    for (auto it = g->data()->constBegin(); it != g->data()->constEnd(); ++it)
        out.push_back(it->value);
    return out;
}

// Equal, with NaN equal to NaN (gaps).
void expectSameValues(const std::vector<double>& got, const std::vector<double>& want, const std::string& what) {
    ASSERT_EQ(got.size(), want.size()) << what;
    for (size_t i = 0; i < got.size(); ++i) {
        if (std::isnan(want[i])) {
            EXPECT_TRUE(std::isnan(got[i])) << what << " at " << i;
        } else {
            EXPECT_DOUBLE_EQ(got[i], want[i]) << what << " at " << i;
        }
    }
}

}  // namespace

TEST(Workbench, TheOcclusionTabShowsSensitivityTargetedOcclusionAndTheRunsPlots) {
    app();
    analysis::ensureGuiApplication();
    gui::MainWindow w;
    w.setInteractive(false);
    w.resize(1300, 900);
    w.show();
    gui::OcclusionView* view = w.occlusionView();
    ASSERT_NE(w.tabs()->indexOf(view), -1);
    EXPECT_EQ(w.tabs()->tabText(w.tabs()->indexOf(view)), QStringLiteral("Occlusion"));
    const std::string path = test::sharedOcclusionRun();
    ASSERT_TRUE(w.openRun(QString::fromStdString(path))) << w.lastError().toStdString();
    ASSERT_TRUE(view->isAvailable());
    EXPECT_TRUE(view->message().isEmpty());
    EXPECT_FALSE(view->isComputing());  // nothing computed until the tab is shown
    w.selectSample(1);
    w.setKeypoint(9);
    // Shown: the run-level summary on a worker; the sample's maps at once.
    QSignalSpy finished(view, &gui::OcclusionView::finished);
    w.tabs()->setCurrentWidget(view);
    EXPECT_TRUE(view->isComputing());
    EXPECT_TRUE(view->caption().contains(QStringLiteral("Computing"))) << view->caption().toStdString();
    EXPECT_EQ(view->sensitivityView()->spec().kind, analysis::FigureKind::Sensitivity);
    EXPECT_EQ(view->sensitivityView()->spec().keypoints, std::vector<int>{9});
    EXPECT_EQ(view->sensitivityView()->row(), 1);
    const QImage sensitivity = view->sensitivityView()->renderToImage(QSize(500, 400));
    EXPECT_TRUE(view->sensitivityView()->lastError().isEmpty()) << view->sensitivityView()->lastError().toStdString();
    EXPECT_GT(colourCount(sensitivity), 300);
    EXPECT_EQ(view->targetedView()->spec().kind, analysis::FigureKind::Targeted);
    EXPECT_EQ(view->targetedView()->spec().keypoints, std::vector<int>{9});
    EXPECT_TRUE(view->targetedView()->spec().layers.empty());  // every layer
    EXPECT_GT(colourCount(view->targetedView()->renderToImage(QSize(400, 700))), 300);
    EXPECT_TRUE(view->targetedView()->lastError().isEmpty()) << view->targetedView()->lastError().toStdString();
    ASSERT_TRUE(finished.wait(120000));
    ASSERT_TRUE(finished.at(0).at(0).toBool()) << view->caption().toStdString();
    ASSERT_NE(view->result(), nullptr);

    // The run-level plots: one model, per layer Spearman and top-k overlap, four occluded/visible
    // panels, the targeted shares before and after; the numbers of the run's occlusion report.
    const auto run = analysis::RunBrowser::open(path);
    const int L = run->header().layers;
    analysis::OcclusionReport want = run->occlusionReport();
    ASSERT_EQ(view->agreementPlot()->graphCount(), 2);
    expectSameValues(graphValues(view->agreementPlot()->graph(0)), want.all.spearman, "spearman");
    expectSameValues(graphValues(view->agreementPlot()->graph(1)), want.all.topKOverlap, "top-k");
    EXPECT_EQ(view->agreementPlot()->graph(1)->pen().style(), Qt::DashLine);
    EXPECT_EQ(view->visibilityPlot()->axisRectCount(), 4);
    ASSERT_EQ(view->visibilityPlot()->graphCount(), 8);
    expectSameValues(graphValues(view->visibilityPlot()->graph(0)), want.visibility.occluded.entropy, "entropy");
    expectSameValues(graphValues(view->visibilityPlot()->graph(3)), want.visibility.visible.occluder, "occluder");
    ASSERT_EQ(view->targetedPlot()->graphCount(), 2);
    expectSameValues(graphValues(view->targetedPlot()->graph(0)), want.hiddenShareBefore, "before");
    expectSameValues(graphValues(view->targetedPlot()->graph(1)), want.hiddenShareAfter, "after");
    EXPECT_EQ(view->agreementPlot()->graph(0)->dataCount(), L);
    EXPECT_TRUE(view->caption().contains(QStringLiteral("TransPose-R"))) << view->caption().toStdString();
    const QImage plots = view->visibilityPlot()->toPixmap(600, 400).toImage();
    EXPECT_GT(colourCount(plots), 20);

    // Another keypoint, another map; the keys move through samples and keypoints here too.
    w.setKeypoint(10);
    EXPECT_EQ(view->sensitivityView()->spec().keypoints, std::vector<int>{10});
    EXPECT_NE(view->sensitivityView()->renderToImage(QSize(500, 400)), sensitivity);
    activate(w);
    QTest::keyClick(&w, Qt::Key_PageDown);
    EXPECT_EQ(view->sensitivityView()->row(), 2);
    EXPECT_EQ(view->targetedView()->row(), 2);
    QTest::keyClick(&w, Qt::Key_Period);
    EXPECT_EQ(view->sensitivityView()->spec().keypoints, std::vector<int>{11});
    EXPECT_EQ(view->targetedView()->spec().keypoints, std::vector<int>{11});
    QTest::keyClick(&w, Qt::Key_BracketRight);  // a layer: the targeted grid shows it alone
    EXPECT_EQ(view->targetedView()->spec().layers, std::vector<int>{0});
    // A body part hidden instead of the keypoint: the run's parts are offered.
    ASSERT_EQ(view->hiddenBox()->count(), 7);  // the keypoint, then head, torso, arms, legs
    EXPECT_EQ(view->hiddenBox()->itemText(3), QStringLiteral("left arm"));
    view->hiddenBox()->setCurrentIndex(3);
    EXPECT_EQ(view->targetedView()->spec().part, "left_arm");
    EXPECT_EQ(view->targetedView()->spec().keypoints, std::vector<int>{11});  // watched: the run keeps every row
    EXPECT_GT(colourCount(view->targetedView()->renderToImage(QSize(300, 300))), 300);
    EXPECT_TRUE(view->targetedView()->lastError().isEmpty()) << view->targetedView()->lastError().toStdString();
    view->hiddenBox()->setCurrentIndex(0);
    EXPECT_TRUE(view->targetedView()->spec().part.empty());
    // The image tab lays the keypoint's sensitivity over the original image, in the tab's measure.
    w.setImageOverlay(analysis::ImageOverlay::Sensitivity);
    EXPECT_EQ(w.imageView()->spec().overlay, analysis::ImageOverlay::Sensitivity);
    EXPECT_EQ(w.imageView()->spec().keypoints, std::vector<int>{11});
    EXPECT_GT(colourCount(w.imageView()->renderToImage(QSize(400, 400))), 300);
    EXPECT_TRUE(w.imageView()->lastError().isEmpty()) << w.imageView()->lastError().toStdString();
    view->measureBox()->setCurrentIndex(2);
    EXPECT_EQ(w.imageView()->spec().measure, analysis::SensitivityMeasure::OksDrop);
    view->measureBox()->setCurrentIndex(0);
    w.setImageOverlay(analysis::ImageOverlay::None);
    w.setLayer(-1);
    w.selectSample(1);
    w.setKeypoint(9);

    // Another measure: another map, and the run-level agreement for it.
    view->measureBox()->setCurrentIndex(1);
    EXPECT_EQ(view->measure(), analysis::SensitivityMeasure::Displacement);
    EXPECT_EQ(view->sensitivityView()->spec().measure, analysis::SensitivityMeasure::Displacement);
    EXPECT_NE(view->sensitivityView()->renderToImage(QSize(500, 400)), sensitivity);
    ASSERT_TRUE(waitForOcclusion(view));
    analysis::OcclusionReportOptions displacement;
    displacement.measure = analysis::SensitivityMeasure::Displacement;
    ASSERT_EQ(view->agreementPlot()->graphCount(), 2);
    expectSameValues(graphValues(view->agreementPlot()->graph(0)), run->occlusionReport(displacement).all.spearman,
                     "spearman (displacement)");

    // Export: each part with its spec, which draws the same figure again.
    const std::string base = test::outputPath("workbench_occlusion");
    const struct {
        gui::OcclusionView::Part part;
        analysis::FigureKind kind;
        const char* name;
    } parts[] = {{gui::OcclusionView::Part::Sensitivity, analysis::FigureKind::Sensitivity, "_sensitivity"},
                 {gui::OcclusionView::Part::Targeted, analysis::FigureKind::Targeted, "_targeted"},
                 {gui::OcclusionView::Part::Dataset, analysis::FigureKind::Occlusion, "_plots"}};
    for (const auto& part : parts) {
        view->setExportPart(part.part);
        const std::string stem = base + part.name;
        for (const char* ext : {".png", ".svg", ".pdf", ".json"})
            std::filesystem::remove(stem + ext);
        for (const char* ext : {".png", ".svg", ".pdf"}) {
            ASSERT_TRUE(w.exportFigure(QString::fromStdString(stem + ext))) << w.lastError().toStdString();
            EXPECT_GT(std::filesystem::file_size(stem + ext), 1000u) << stem << ext;
        }
        ASSERT_TRUE(std::filesystem::exists(stem + ".json")) << stem;
        const analysis::FigureSpec spec = analysis::readFigureSpec(stem + ".json");
        EXPECT_EQ(spec.kind, part.kind) << stem;
        EXPECT_EQ(spec.measure, analysis::SensitivityMeasure::Displacement) << stem;
        EXPECT_EQ(spec.rows, std::vector<int64_t>{1}) << stem;
        EXPECT_TRUE(std::filesystem::equivalent(spec.run, path)) << spec.run;
        const QImage png(QString::fromStdString(stem + ".png"));
        EXPECT_GT(colourCount(png), 50) << stem;
        analysis::FigureRenderer(*run).write(spec, 1, stem + "_again.png");
        EXPECT_TRUE(QImage(QString::fromStdString(stem + "_again.png")) == png) << stem;
    }
    EXPECT_EQ(analysis::readFigureSpec(base + "_sensitivity.json").keypoints, std::vector<int>{9});
    EXPECT_TRUE(analysis::readFigureSpec(base + "_plots.json").runs.empty());
    EXPECT_EQ(slurp(base + "_plots.svg").find("<image"), std::string::npos);  // plots as vectors
    EXPECT_NE(slurp(base + "_plots.svg").find("<path"), std::string::npos);

    // A second occlusion run in the Compare tab is a second model of the plots and of the figure.
    ASSERT_TRUE(w.openComparison(QString::fromStdString(path))) << w.lastError().toStdString();
    w.tabs()->setCurrentWidget(view);
    ASSERT_TRUE(waitForOcclusion(view));
    ASSERT_NE(view->result(), nullptr);
    EXPECT_EQ(view->result()->models.size(), 2u);
    EXPECT_EQ(view->agreementPlot()->graphCount(), 4);
    EXPECT_EQ(view->visibilityPlot()->graphCount(), 16);
    EXPECT_EQ(view->agreementPlot()->graph(2)->pen().color(), QColor(255, 127, 14));
    ASSERT_TRUE(w.exportFigure(QString::fromStdString(base + "_two.svg"))) << w.lastError().toStdString();
    const analysis::FigureSpec two = analysis::readFigureSpec(base + "_two.json");
    ASSERT_EQ(two.runs.size(), 1u);
    EXPECT_TRUE(std::filesystem::equivalent(two.runs.front(), path));
    w.closeComparison();
    EXPECT_FALSE(view->result() != nullptr && view->result()->models.size() == 2);
}

TEST(Workbench, TheOcclusionTabSaysHowToRecordAnOcclusionRun) {
    app();
    gui::MainWindow w;
    w.setInteractive(false);
    w.show();
    gui::OcclusionView* view = w.occlusionView();
    EXPECT_TRUE(view->message().contains(QStringLiteral("posescope-cli occlude"))) << view->message().toStdString();
    ASSERT_TRUE(w.openRun(QString::fromStdString(test::sharedRun()))) << w.lastError().toStdString();
    w.tabs()->setCurrentWidget(view);
    EXPECT_FALSE(view->isAvailable());
    EXPECT_FALSE(view->isComputing());
    EXPECT_TRUE(view->message().contains(QStringLiteral("holds no occlusion analysis")))
        << view->message().toStdString();
    EXPECT_TRUE(view->message().contains(QStringLiteral("posescope-cli occlude"))) << view->message().toStdString();
    EXPECT_EQ(view->agreementPlot()->graphCount(), 0);
    // Export says why not, and writes no spec.
    const std::string out = test::outputPath("workbench_occlusion_plain.png");
    std::filesystem::remove(test::outputPath("workbench_occlusion_plain.json"));
    EXPECT_FALSE(w.exportFigure(QString::fromStdString(out)));
    EXPECT_TRUE(w.lastError().contains(QStringLiteral("holds no occlusion analysis"))) << w.lastError().toStdString();
    EXPECT_FALSE(std::filesystem::exists(test::outputPath("workbench_occlusion_plain.json")));
    // An occlusion run opened next shows its views.
    ASSERT_TRUE(w.openRun(QString::fromStdString(test::sharedOcclusionRun())));
    ASSERT_TRUE(showOcclusion(w));
    EXPECT_TRUE(view->isAvailable());
    EXPECT_TRUE(view->message().isEmpty());
    ASSERT_NE(view->result(), nullptr);
    EXPECT_EQ(view->result()->models.size(), 1u);
    // A dataset: no model results.
    const auto run = analysis::RunBrowser::open(test::sharedRun());
    ASSERT_TRUE(w.openFile(QString::fromStdString(run->header().dataset))) << w.lastError().toStdString();
    w.tabs()->setCurrentWidget(view);
    EXPECT_FALSE(view->isAvailable());
    EXPECT_FALSE(view->message().isEmpty());
}

// ---- The Models tab ---------------------------------------------------------------------------

namespace {

// Waits for the comparison the Models tab is computing; false on a time-out.
bool waitForModels(gui::ModelsView* view) {
    QSignalSpy finished(view, &gui::ModelsView::finished);
    return !view->isComputing() || finished.wait(180000);
}

// Lays out a part of the Models tab shown just now (tables and plots get their geometry).
void showPart(gui::ModelsView* view, int part) {
    view->parts()->setCurrentIndex(part);
    QApplication::processEvents();
    view->errorPlot()->replot();
}

}  // namespace

TEST(Workbench, TheModelsTabComparesRunsOfTheSameSamples) {
    app();
    analysis::ensureGuiApplication();
    gui::MainWindow w;
    w.setInteractive(false);
    w.resize(1400, 950);
    w.show();
    gui::ModelsView* view = w.modelsView();
    ASSERT_NE(w.tabs()->indexOf(view), -1);
    EXPECT_EQ(w.tabs()->tabText(w.tabs()->indexOf(view)), QStringLiteral("Models"));
    EXPECT_TRUE(view->message().contains(QStringLiteral("Open a recorded run"))) << view->message().toStdString();
    const std::string first = test::sharedRun(), ppt = test::sharedPptRun();
    EXPECT_FALSE(w.addModelRun(QString::fromStdString(ppt)));  // no run open yet
    ASSERT_TRUE(w.openRun(QString::fromStdString(first))) << w.lastError().toStdString();
    EXPECT_TRUE(view->message().isEmpty());
    EXPECT_EQ(view->runList()->count(), 1);  // the open run
    EXPECT_FALSE(view->removeButton()->isEnabled());
    EXPECT_FALSE(view->isComputing());  // nothing computed until the tab is shown
    w.selectSample(2);
    w.setKeypoint(9);

    // Another model of the same samples: the tab shows, the comparison starts on a worker.
    ASSERT_TRUE(w.addModelRun(QString::fromStdString(ppt))) << w.lastError().toStdString();
    EXPECT_EQ(w.tabs()->currentWidget(), view);
    EXPECT_TRUE(view->isComputing());
    EXPECT_TRUE(view->caption().contains(QStringLiteral("Comparing"))) << view->caption().toStdString();
    ASSERT_EQ(view->runs().size(), 1u);
    EXPECT_TRUE(std::filesystem::equivalent(view->runs().front(), ppt));
    EXPECT_EQ(view->runList()->count(), 2);
    EXPECT_TRUE(view->removeButton()->isEnabled());

    // Side by side at once: the models figure of the window's sample and keypoint, every layer.
    gui::FigureView* models = view->modelsView();
    EXPECT_EQ(models->spec().kind, analysis::FigureKind::Models);
    EXPECT_EQ(models->spec().runs, view->runs());
    EXPECT_TRUE(std::filesystem::equivalent(models->spec().run, first));
    EXPECT_EQ(models->spec().keypoints, std::vector<int>{9});
    EXPECT_TRUE(models->spec().layers.empty());
    EXPECT_EQ(models->row(), 2);
    const QImage sideBySide = models->renderToImage(QSize(700, 800));
    EXPECT_TRUE(models->lastError().isEmpty()) << models->lastError().toStdString();
    EXPECT_GT(colourCount(sideBySide), 300);
    // It follows the window's layer, sample and keypoint.
    w.setLayer(1);
    EXPECT_EQ(models->spec().layers, std::vector<int>{1});
    w.setLayer(-1);
    activate(w);
    QTest::keyClick(&w, Qt::Key_PageDown);
    EXPECT_EQ(models->row(), 3);
    QTest::keyClick(&w, Qt::Key_Period);
    EXPECT_EQ(models->spec().keypoints, std::vector<int>{10});
    w.setKeypoint(-1);  // all keypoints in the window: the figure shows the first
    EXPECT_EQ(models->spec().keypoints, std::vector<int>{0});

    ASSERT_TRUE(waitForModels(view));
    ASSERT_NE(view->result(), nullptr) << view->error().toStdString();
    const analysis::ComparisonReport& r = *view->result();
    ASSERT_EQ(r.models.size(), 2u);
    EXPECT_TRUE(view->caption().contains(QString::fromStdString(r.models[1].name))) << view->caption().toStdString();

    // Disagreement: largest OKS difference first, as the runs' pairing ranks them.
    QTableWidget* table = view->disagreementTable();
    const int difference = gui::ModelsView::FirstOksColumn + 2;
    ASSERT_EQ(table->columnCount(), difference + 1);
    ASSERT_EQ(table->rowCount(), static_cast<int>(r.disagreements.size()));
    ASSERT_GT(table->rowCount(), 1);
    for (int line = 1; line < table->rowCount(); ++line)
        EXPECT_GE(table->item(line - 1, difference)->data(Qt::UserRole).toDouble(),
                  table->item(line, difference)->data(Qt::UserRole).toDouble())
            << line;
    analysis::RunPairing pairing = analysis::pairRunFiles({first, ppt});
    analysis::sortByDisagreement(pairing.samples);
    const analysis::PairedSample& top = pairing.samples.front();
    EXPECT_EQ(table->item(0, gui::ModelsView::ImageColumn)->data(Qt::UserRole).toLongLong(), top.imageId);
    EXPECT_DOUBLE_EQ(table->item(0, difference)->data(Qt::UserRole).toDouble(), top.disagreement);
    EXPECT_DOUBLE_EQ(table->item(0, gui::ModelsView::FirstOksColumn + 1)->data(Qt::UserRole).toDouble(), top.oks[1]);
    // Clicking the first line selects its sample (the open run's row) in the window: every tab follows.
    const int64_t topRow = top.rows.front();
    w.selectSample(topRow == 0 ? 1 : 0);
    showPart(view, 1);
    QTest::mouseClick(table->viewport(), Qt::LeftButton, {},
                      table->visualItemRect(table->item(0, gui::ModelsView::ImageColumn)).center());
    EXPECT_EQ(w.currentRow(), topRow);
    EXPECT_EQ(models->row(), topRow);
    EXPECT_EQ(w.dependencyView()->row(), topRow);

    // Errors: per model a bar per error type, in % of its labelled keypoints of matched predictions.
    EXPECT_EQ(view->errorPlot()->plottableCount(), 2);
    for (int m = 0; m < 2; ++m) {
        const QCPBars* bars = view->errorBars(m);
        ASSERT_NE(bars, nullptr);
        EXPECT_EQ(bars->name().toStdString(), r.models[static_cast<size_t>(m)].name);
        const auto& totals = r.models[static_cast<size_t>(m)].taxonomy.totals;
        int64_t labelled = 0;
        for (int64_t n : totals)
            labelled += n;
        ASSERT_GT(labelled, 0) << m;
        ASSERT_EQ(bars->dataCount(), analysis::kPoseErrorTypeTypes);
        for (int t = 0; t < analysis::kPoseErrorTypeTypes; ++t)
            EXPECT_DOUBLE_EQ(bars->data()->at(t)->value, 100.0 * static_cast<double>(totals[static_cast<size_t>(t)]) /
                                                             static_cast<double>(labelled))
                << m << ' ' << t;
    }
    // The second model's most frequent error type (the first's if it has none): click its bar.
    int model = 1, type = 1;
    for (int m : {1, 0}) {
        const auto& totals = r.models[static_cast<size_t>(m)].taxonomy.totals;
        const auto most = std::max_element(totals.begin() + 1, totals.end());
        if (*most == 0) continue;
        model = m;
        type = static_cast<int>(most - totals.begin());
        break;
    }
    std::vector<analysis::KeypointErrorCase> cases;
    for (const analysis::KeypointErrorCase& c : r.models[static_cast<size_t>(model)].errorCases)
        if (static_cast<int>(c.type) == type) cases.push_back(c);
    ASSERT_FALSE(cases.empty());
    showPart(view, 2);
    QCPBars* bars = view->errorBars(model);
    const QPointF barTop = bars->dataPixelPosition(type);
    const double zero = bars->valueAxis()->coordToPixel(0);
    QTest::mouseClick(view->errorPlot(), Qt::LeftButton, {},
                      QPoint(qRound(barTop.x()), qRound((barTop.y() + zero) / 2)));
    EXPECT_EQ(view->casesModel(), model);
    EXPECT_EQ(static_cast<int>(view->casesType()), type);
    EXPECT_FALSE(bars->selection().isEmpty());
    QTableWidget* caseTable = view->caseTable();
    ASSERT_EQ(caseTable->rowCount(), static_cast<int>(cases.size()));
    EXPECT_EQ(caseTable->item(0, gui::ModelsView::CaseRowColumn)->data(Qt::UserRole).toLongLong(), cases[0].row);
    EXPECT_EQ(caseTable->item(0, gui::ModelsView::CaseKeypointColumn)->data(Qt::UserRole).toInt(), cases[0].keypoint);
    EXPECT_EQ(caseTable->item(0, gui::ModelsView::CaseTypeColumn)->text().toStdString(),
              analysis::poseErrorName(static_cast<analysis::PoseErrorType>(type)));
    // The same through the method (what the bar's click calls): the other model's cases.
    const int otherModel = 1 - model;
    int otherCases = 0;
    for (const analysis::KeypointErrorCase& c : r.models[static_cast<size_t>(otherModel)].errorCases)
        otherCases += c.type == analysis::PoseErrorType::Miss;
    EXPECT_EQ(view->showErrorCases(otherModel, analysis::PoseErrorType::Miss), otherCases);
    EXPECT_EQ(caseTable->rowCount(), otherCases);
    EXPECT_TRUE(bars->selection().isEmpty());
    EXPECT_EQ(view->showErrorCases(model, static_cast<analysis::PoseErrorType>(type)), static_cast<int>(cases.size()));
    // Double-clicking a case selects its sample (the model's row paired with the open run's) and keypoint.
    int64_t caseRow = cases[0].row;
    if (model > 0) {
        caseRow = -1;
        for (const analysis::PairedSample& s : pairing.samples)
            if (s.rows[static_cast<size_t>(model)] == cases[0].row) caseRow = s.rows.front();
    }
    ASSERT_GE(caseRow, 0);
    EXPECT_EQ(view->firstRunRow(model, cases[0].row), caseRow);
    w.selectSample(caseRow == 0 ? 1 : 0);
    w.setKeypoint(-1);
    QApplication::processEvents();
    const QPoint caseAt = caseTable->visualItemRect(caseTable->item(0, gui::ModelsView::CaseImageColumn)).center();
    QTest::mouseClick(caseTable->viewport(), Qt::LeftButton, {}, caseAt);  // a double click's first press
    EXPECT_EQ(w.currentRow(), caseRow == 0 ? 1 : 0);                       // a single click chooses nothing
    QTest::mouseDClick(caseTable->viewport(), Qt::LeftButton, {}, caseAt);
    EXPECT_EQ(w.currentRow(), caseRow);
    EXPECT_EQ(w.keypoint(), cases[0].keypoint);
    EXPECT_EQ(models->spec().keypoints, std::vector<int>{cases[0].keypoint});
    EXPECT_EQ(w.imageView()->row(), caseRow);

    // Charts: the comparison figure drawn from the tab's result.
    showPart(view, 3);
    view->setChart(gui::ModelsView::Chart::Errors);
    gui::FigureView* chart = view->chartView();
    EXPECT_EQ(chart->spec().kind, analysis::FigureKind::Comparison);
    EXPECT_EQ(chart->spec().chart, "errors");
    EXPECT_EQ(chart->spec().runs, view->runs());
    const QImage errorsChart = chart->renderToImage(QSize(800, 500));
    EXPECT_TRUE(chart->lastError().isEmpty()) << chart->lastError().toStdString();
    EXPECT_GT(colourCount(errorsChart), 20);
    view->setChart(gui::ModelsView::Chart::Accuracy);
    EXPECT_EQ(chart->spec().chart, "accuracy");
    EXPECT_NE(chart->renderToImage(QSize(800, 500)), errorsChart);

    // Export: the models figure of the sample, and the chart, each with its spec.
    const std::string base = test::outputPath("workbench_models");
    for (const char* name : {"", "_chart"})
        for (const char* ext : {".png", ".svg", ".json"})
            std::filesystem::remove(base + name + ext);
    view->setExportPart(gui::ModelsView::Part::Models);
    ASSERT_TRUE(w.exportFigure(QString::fromStdString(base + ".png"))) << w.lastError().toStdString();
    const analysis::FigureSpec modelsSpec = analysis::readFigureSpec(base + ".json");
    EXPECT_EQ(modelsSpec.kind, analysis::FigureKind::Models);
    EXPECT_EQ(modelsSpec.runs, view->runs());
    EXPECT_EQ(modelsSpec.rows, std::vector<int64_t>{caseRow});
    EXPECT_EQ(modelsSpec.keypoints, std::vector<int>{cases[0].keypoint});
    const QImage modelsPng(QString::fromStdString(base + ".png"));
    EXPECT_GT(colourCount(modelsPng), 300);
    const auto again = analysis::RunBrowser::open(modelsSpec.run);
    analysis::FigureRenderer(*again).write(modelsSpec, caseRow, base + "_again.png");
    EXPECT_TRUE(QImage(QString::fromStdString(base + "_again.png")) == modelsPng);
    view->setExportPart(gui::ModelsView::Part::Chart);
    for (const char* ext : {".png", ".svg"}) {
        ASSERT_TRUE(w.exportFigure(QString::fromStdString(base + "_chart" + ext))) << w.lastError().toStdString();
        EXPECT_GT(std::filesystem::file_size(base + "_chart" + ext), 1000u) << ext;
    }
    const analysis::FigureSpec chartSpec = analysis::readFigureSpec(base + "_chart.json");
    EXPECT_EQ(chartSpec.kind, analysis::FigureKind::Comparison);
    EXPECT_EQ(chartSpec.chart, "accuracy");
    EXPECT_EQ(chartSpec.runs, view->runs());
    const QImage chartPng(QString::fromStdString(base + "_chart.png"));
    EXPECT_GT(colourCount(chartPng), 20);
    // The spec draws the same chart again without the workbench (the comparison computed anew).
    analysis::FigureRenderer(*again).write(chartSpec, chartSpec.rows.front(), base + "_chart_again.png");
    EXPECT_TRUE(QImage(QString::fromStdString(base + "_chart_again.png")) == chartPng);

    // Remove takes the added run away (the open one stays).
    view->removeButton()->click();
    EXPECT_TRUE(view->runs().empty());
    EXPECT_EQ(view->runList()->count(), 1);
    EXPECT_EQ(view->result(), nullptr);
    EXPECT_TRUE(models->spec().runs.empty());  // the open run alone
    EXPECT_GT(colourCount(models->renderToImage(QSize(400, 700))), 300);
    EXPECT_TRUE(models->lastError().isEmpty()) << models->lastError().toStdString();
    ASSERT_TRUE(waitForModels(view));
    ASSERT_NE(view->result(), nullptr) << view->error().toStdString();
    EXPECT_EQ(view->result()->models.size(), 1u);

    // A run of other samples is refused with a message naming it.
    const std::string other =
        test::runCopyWith(first, "models_other_dataset.h5", "dataset_sha256", std::string(64, 'c'));
    EXPECT_FALSE(w.addModelRun(QString::fromStdString(other)));
    EXPECT_TRUE(w.lastError().startsWith(QString::fromStdString(other) + QStringLiteral(": does not hold the samples")))
        << w.lastError().toStdString();
    EXPECT_EQ(w.statusBar()->currentMessage(), w.lastError());
    EXPECT_TRUE(view->runs().empty());

    // Opening another run empties the list; the comparison still running is cancelled and dropped
    // (opened while the tab shows, the new run's own comparison starts at once).
    ASSERT_TRUE(w.addModelRun(QString::fromStdString(ppt))) << w.lastError().toStdString();
    EXPECT_TRUE(view->isComputing());
    ASSERT_TRUE(w.openRun(QString::fromStdString(ppt))) << w.lastError().toStdString();
    EXPECT_TRUE(view->runs().empty());
    EXPECT_EQ(view->runList()->count(), 1);
    EXPECT_EQ(view->result(), nullptr);
    ASSERT_TRUE(waitForModels(view));
    ASSERT_NE(view->result(), nullptr) << view->error().toStdString();
    ASSERT_EQ(view->result()->models.size(), 1u);
    EXPECT_TRUE(std::filesystem::equivalent(view->result()->models.front().run, ppt));
    QTest::qWait(300);  // the cancelled worker's end arrives and is dropped
    ASSERT_NE(view->result(), nullptr);
    EXPECT_EQ(view->result()->models.size(), 1u);
}

TEST(Workbench, TheModelsTabNeedsARunAndExportsOnlyWhatItComputed) {
    app();
    gui::MainWindow w;
    w.setInteractive(false);
    w.show();
    gui::ModelsView* view = w.modelsView();
    // A dataset: no model results to compare.
    const auto run = analysis::RunBrowser::open(test::sharedRun());
    ASSERT_TRUE(w.openFile(QString::fromStdString(run->header().dataset))) << w.lastError().toStdString();
    w.tabs()->setCurrentWidget(view);
    EXPECT_FALSE(view->isAvailable());
    EXPECT_FALSE(view->isComputing());
    EXPECT_TRUE(view->message().contains(QStringLiteral("dataset"))) << view->message().toStdString();
    EXPECT_FALSE(w.addModelRun(QString::fromStdString(test::sharedPptRun())));
    EXPECT_TRUE(w.lastError().contains(QStringLiteral("Open a recorded run first"))) << w.lastError().toStdString();
    const std::string out = test::outputPath("workbench_models_dataset.png");
    std::filesystem::remove(test::outputPath("workbench_models_dataset.json"));
    EXPECT_FALSE(w.exportFigure(QString::fromStdString(out)));
    EXPECT_FALSE(std::filesystem::exists(test::outputPath("workbench_models_dataset.json")));
    // A run: the chart is exported only once the tab's comparison is there (never computed here).
    w.tabs()->setCurrentWidget(w.poseView());
    ASSERT_TRUE(w.openRun(QString::fromStdString(test::sharedRun()))) << w.lastError().toStdString();
    EXPECT_TRUE(view->isAvailable());
    EXPECT_FALSE(view->isComputing());  // not shown yet
    view->setExportPart(gui::ModelsView::Part::Chart);
    w.tabs()->setCurrentWidget(view);
    EXPECT_TRUE(view->isComputing());
    EXPECT_FALSE(w.exportFigure(QString::fromStdString(out)));
    EXPECT_TRUE(w.lastError().contains(QStringLiteral("still being computed"))) << w.lastError().toStdString();
    ASSERT_TRUE(waitForModels(view));
    ASSERT_NE(view->result(), nullptr) << view->error().toStdString();
    EXPECT_TRUE(w.exportFigure(QString::fromStdString(out))) << w.lastError().toStdString();
    EXPECT_EQ(analysis::readFigureSpec(test::outputPath("workbench_models_dataset.json")).kind,
              analysis::FigureKind::Comparison);
}

// Another model run live over the open run's samples joins the Models tab (not opened).
TEST(Workbench, RunsAnotherModelLiveOverTheSamplesIntoTheModelsTab) {
    app();
    gui::MainWindow w;
    w.setInteractive(false);
    analysis::RecordOptions o;
    EXPECT_FALSE(w.recordModelRun(o));  // no run open
    ASSERT_TRUE(w.openRun(QString::fromStdString(test::sharedRun())));
    const auto ppt = analysis::RunBrowser::open(test::sharedPptRun());
    o.config = ppt->modelConfig();
    o.checkpoint = ppt->header().checkpoint;
    o.dataset = "ignored.json";  // the open run's samples are used
    o.subset = 1;
    o.batchSize = 4;
    o.out = test::outputPath("workbench_live_model.h5");
    std::filesystem::remove(o.out);
    QSignalSpy done(&w, &gui::MainWindow::recordingFinished);
    ASSERT_TRUE(w.recordModelRun(o)) << w.lastError().toStdString();
    ASSERT_TRUE(done.wait(240000));
    ASSERT_TRUE(done.at(0).at(0).toBool()) << done.at(0).at(1).toString().toStdString();
    EXPECT_EQ(w.run()->path(), test::sharedRun());  // still the open run
    ASSERT_EQ(w.modelsView()->runs().size(), 1u);
    EXPECT_EQ(w.modelsView()->runs().front(), o.out);
    const auto live = analysis::RunBrowser::open(o.out);
    EXPECT_EQ(live->size(), w.run()->size());  // every sample of the open run
    EXPECT_EQ(live->header().datasetSha256, w.run()->header().datasetSha256);
    EXPECT_EQ(live->header().modelFamily, ppt->header().modelFamily);
    EXPECT_EQ(w.modelsView()->modelsView()->spec().kind, analysis::FigureKind::Models);
}
