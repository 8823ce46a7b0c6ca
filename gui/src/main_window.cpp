#include "main_window.h"

#include "checkpoint_view.h"
#include "posescope/datasets/error.h"
#include "posescope/models/checkpoint_info.h"

#include <QApplication>
#include <QFileDialog>
#include <QMenuBar>
#include <QMessageBox>
#include <QStatusBar>

namespace posescope::gui {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent), m_checkpointView(new CheckpointView(this)) {
    setWindowTitle(QStringLiteral("PoseScope"));
    setCentralWidget(m_checkpointView);
    resize(1100, 760);

    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* open = file->addAction(tr("&Open Checkpoint…"), this, &MainWindow::chooseCheckpoint);
    open->setShortcut(QKeySequence::Open);
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), qApp, &QApplication::quit);
    quit->setShortcut(QKeySequence::Quit);
    statusBar()->showMessage(tr("Ready"));
}

bool MainWindow::openCheckpoint(const QString& path) {
    try {
        const models::CheckpointInfo info = models::inspectCheckpoint(path.toStdString());
        m_checkpointView->show(info);
        m_lastError.clear();
        statusBar()->showMessage(tr("Opened %1").arg(path));
        return true;
    } catch (const Error& e) {
        fail(QString::fromStdString(e.what()));
    } catch (const std::exception& e) {
        fail(tr("Internal error: %1").arg(QString::fromStdString(e.what())));
    }
    return false;
}

void MainWindow::chooseCheckpoint() {
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open Checkpoint"), QString(), tr("PyTorch checkpoints (*.pth *.pt *.pth.tar *.ckpt);;All files (*)"));
    if (!path.isEmpty()) openCheckpoint(path);
}

void MainWindow::fail(const QString& message) {
    m_lastError = message;
    statusBar()->showMessage(message);
    if (m_interactive) QMessageBox::warning(this, tr("PoseScope"), message);
}

}  // namespace posescope::gui
