// posescope: the desktop workbench. `posescope [checkpoint.pth]`
#include "main_window.h"
#include "posescope/models/runtime.h"

#include <QApplication>

int main(int argc, char** argv) {
    posescope::models::preferPassiveOpenMpWaiting(argv);
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("PoseScope"));
    posescope::models::initialiseRuntime();
    posescope::gui::MainWindow window;
    window.show();
    const QStringList args = QApplication::arguments();
    if (args.size() > 1) window.openCheckpoint(args.at(1));
    return QApplication::exec();
}
