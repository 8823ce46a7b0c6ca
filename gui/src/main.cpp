// posescope: the desktop workbench.
//   posescope [run.h5 | annotations.json | checkpoint.pth | log.csv | training folder]… [--compare run2.h5]
//             [--add-model run2.h5]…
//             [--sample ROW] [--view NAME] [--keypoint K] [--overlay none|heatmap|dependency|sensitivity]
//             [--screenshot out.png]
// Files open by extension. --compare shows a second run of the same samples beside the last one
// opened (the Compare tab); --add-model (repeatable) adds a run of the same samples to the Models
// tab. --sample selects a row of the run or dataset, --keypoint a keypoint (0-based), --view a tab
// (dependencies, heatmaps, pose, image, tokens, pruning, layerwise, scales, occlusion, compare, models,
// checkpoint, training), --overlay
// what the image tab lays over the image. --screenshot draws the window once everything is open (and what the
// Scales, Occlusion and Models tabs compute on a worker is shown), saves it as a PNG and quits (the test that starts
// the real app under Xvfb uses it, and the README's screenshots come from it).
#include "checkpoint_view.h"
#include "figure_view.h"
#include "layerwise_plot.h"
#include "main_window.h"
#include "models_view.h"
#include "occlusion_view.h"
#include "posescope/models/runtime.h"
#include "scale_view.h"
#include "training_view.h"

#include <QApplication>
#include <QTabWidget>
#include <QTimer>

#include <iostream>

int main(int argc, char** argv) {
    posescope::models::preferPassiveOpenMpWaiting(argv);
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("PoseScope"));
    QApplication::setApplicationName(QStringLiteral("posescope"));
    posescope::models::initialiseRuntime();
    posescope::gui::MainWindow window;
    QStringList files, models;
    QString screenshot, view, overlay, compare;
    int keypoint = -2;
    long long sample = -1;
    const QStringList args = QApplication::arguments();
    for (int i = 1; i < args.size(); ++i) {
        const bool value = i + 1 < args.size();
        if (args[i] == QStringLiteral("--screenshot") && value)
            screenshot = args[++i];
        else if (args[i] == QStringLiteral("--view") && value)
            view = args[++i];
        else if (args[i] == QStringLiteral("--compare") && value)
            compare = args[++i];
        else if (args[i] == QStringLiteral("--add-model") && value)
            models << args[++i];
        else if (args[i] == QStringLiteral("--overlay") && value)
            overlay = args[++i];
        else if (args[i] == QStringLiteral("--keypoint") && value)
            keypoint = args[++i].toInt();
        else if (args[i] == QStringLiteral("--sample") && value)
            sample = args[++i].toLongLong();
        else
            files << args[i];
    }
    if (!screenshot.isEmpty()) window.setInteractive(false);
    window.show();
    bool ok = true;
    for (const QString& f : files)
        ok = window.openFile(f) && ok;
    if (!compare.isEmpty()) ok = window.openComparison(compare) && ok;
    for (const QString& m : models)
        ok = window.addModelRun(m) && ok;
    if (sample >= 0) window.selectSample(sample);
    if (keypoint > -2) window.setKeypoint(keypoint);
    if (overlay == QStringLiteral("heatmap")) window.setImageOverlay(posescope::analysis::ImageOverlay::Heatmap);
    if (overlay == QStringLiteral("dependency")) window.setImageOverlay(posescope::analysis::ImageOverlay::Dependency);
    if (overlay == QStringLiteral("sensitivity"))
        window.setImageOverlay(posescope::analysis::ImageOverlay::Sensitivity);
    if (!view.isEmpty()) {
        QWidget* tab = view == QStringLiteral("heatmaps")     ? static_cast<QWidget*>(window.heatmapView())
                       : view == QStringLiteral("pose")       ? static_cast<QWidget*>(window.poseView())
                       : view == QStringLiteral("image")      ? window.imagePage()
                       : view == QStringLiteral("tokens")     ? static_cast<QWidget*>(window.tokenView())
                       : view == QStringLiteral("pruning")    ? static_cast<QWidget*>(window.pruningView())
                       : view == QStringLiteral("layerwise")  ? static_cast<QWidget*>(window.layerwisePlot())
                       : view == QStringLiteral("scales")     ? static_cast<QWidget*>(window.scaleView())
                       : view == QStringLiteral("occlusion")  ? static_cast<QWidget*>(window.occlusionView())
                       : view == QStringLiteral("compare")    ? window.comparePage()
                       : view == QStringLiteral("models")     ? static_cast<QWidget*>(window.modelsView())
                       : view == QStringLiteral("checkpoint") ? static_cast<QWidget*>(window.checkpointView())
                       : view == QStringLiteral("training")   ? static_cast<QWidget*>(window.trainingView())
                                                              : static_cast<QWidget*>(window.dependencyView());
        window.tabs()->setCurrentWidget(tab);
    }
    if (!screenshot.isEmpty()) {
        // Once drawn, and once the workers of the Scales, Occlusion and Models tabs are done (at most 2 min).
        auto* poll = new QTimer(&window);
        int waited = 0;
        QObject::connect(poll, &QTimer::timeout, &window, [&, poll] {
            waited += poll->interval();
            const bool busy = window.scaleView()->isComputing() || window.occlusionView()->isComputing() ||
                              window.modelsView()->isComputing();
            if (busy && waited < 120000) return;
            poll->stop();
            QTimer::singleShot(200, &window, [&] {  // the last results painted
                const bool saved = window.grab().save(screenshot, "PNG");
                if (!saved) std::cerr << "posescope: cannot write " << screenshot.toStdString() << '\n';
                if (!ok) std::cerr << "posescope: " << window.lastError().toStdString() << '\n';
                QApplication::exit(saved && ok ? 0 : 1);
            });
        });
        poll->start(500);
    }
    return QApplication::exec();
}
