// posescope: the desktop workbench.
//   posescope [run.h5 | checkpoint.pth]… [--screenshot out.png]
// Files open by extension. --screenshot draws the window once everything is open, saves it as a
// PNG and quits (used by the test that starts the real app under Xvfb, and for the README).
#include "main_window.h"
#include "posescope/models/runtime.h"

#include <QApplication>
#include <QTimer>

#include <iostream>

int main(int argc, char** argv) {
    posescope::models::preferPassiveOpenMpWaiting(argv);
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("PoseScope"));
    QApplication::setApplicationName(QStringLiteral("posescope"));
    posescope::models::initialiseRuntime();
    posescope::gui::MainWindow window;
    QStringList files;
    QString screenshot;
    const QStringList args = QApplication::arguments();
    for (int i = 1; i < args.size(); ++i) {
        if (args[i] == QStringLiteral("--screenshot") && i + 1 < args.size())
            screenshot = args[++i];
        else
            files << args[i];
    }
    if (!screenshot.isEmpty()) window.setInteractive(false);
    window.show();
    bool ok = true;
    for (const QString& f : files)
        ok = window.openFile(f) && ok;
    if (!screenshot.isEmpty()) {
        QTimer::singleShot(500, &window, [&] {
            const bool saved = window.grab().save(screenshot, "PNG");
            if (!saved) std::cerr << "posescope: cannot write " << screenshot.toStdString() << '\n';
            if (!ok) std::cerr << "posescope: " << window.lastError().toStdString() << '\n';
            QApplication::exit(saved && ok ? 0 : 1);
        });
    }
    return QApplication::exec();
}
