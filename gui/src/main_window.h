// MainWindow: the PoseScope workbench window. Errors from below arrive as posescope::Error and
// are shown as one message (a dialog when interactive, always in the status bar).
//
// Usage:
//   MainWindow w;  w.show();
//   w.openCheckpoint("tp_r_a4.pth");   // false on failure; lastError() says why
//
// Thread-safety: GUI thread only.
#pragma once

#include <QMainWindow>
#include <QString>

namespace posescope::gui {

class CheckpointView;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);

    /// Shows the checkpoint's contents. On failure keeps the previous view and returns false.
    bool openCheckpoint(const QString& path);
    QString lastError() const { return m_lastError; }
    CheckpointView* checkpointView() const { return m_checkpointView; }
    /// When false (tests), failures are not shown in a modal dialog.
    void setInteractive(bool interactive) { m_interactive = interactive; }

private:
    void chooseCheckpoint();
    void fail(const QString& message);

    CheckpointView* m_checkpointView;
    QString m_lastError;
    bool m_interactive = true;
};

}  // namespace posescope::gui
