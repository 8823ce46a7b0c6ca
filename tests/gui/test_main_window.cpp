// The workbench window under the offscreen platform.
#include "checkpoint_view.h"
#include "main_window.h"
#include "test_paths.h"

#include <gtest/gtest.h>
#include <QApplication>
#include <QLabel>
#include <QStatusBar>
#include <QTableWidget>
#include "qcustomplot_include.h"

using namespace posescope;

namespace {
QApplication& app() {
    static int argc = 1;
    static char name[] = "gui_tests";
    static char* argv[] = {name, nullptr};
    static QApplication instance(argc, argv);
    return instance;
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
