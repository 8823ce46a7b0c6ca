// Training logs read back (training_log.h) and drawn (training_figure.h).
#include "posescope/analysis/figure.h"
#include "posescope/analysis/training_figure.h"
#include "posescope/analysis/training_log.h"
#include "posescope/datasets/error.h"
#include "test_paths.h"

#include <gtest/gtest.h>

#include <QImage>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace posescope;
using namespace posescope::analysis;

namespace {

// As train/distill write it: an epoch 0 row (--validate-first), iteration rows that leave the
// last cell out, complete epoch rows.
const char* kTrainLog =
    "kind,epoch,step,loss,lr,samples_per_s,val_ap,val_ap50,val_ap75,seconds,data_wait_s\n"
    "epoch,0,0,,,,0.01,0.05,0,12.5\n"
    "iter,1,20,0.0021,0.001,10.5,,,,30\n"
    "iter,1,40,0.0019,0.001,11,,,,55\n"
    "epoch,1,50,0.002,0.001,11.2,0.25,0.5,0.2,70,0.1\n"
    "iter,2,60,0.0017,0.0005,11,,,,82\n"
    "epoch,2,100,0.0016,0.0005,11.3,0.3,0.6,0.25,140,0.2\n";

const char* kPretrainLog =
    "kind,epoch,step,loss,lr,weight_decay,momentum,teacher_entropy,samples_per_s\n"
    "iter,1,2,4.1,0.0005,0.04,0.996,3.2,20\n"
    "iter,1,4,3.9,0.0005,0.04,0.996,3.0,21\n"
    "epoch,1,4,4.0,,,,,\n";

std::string problemOf(const std::string& text) {
    try {
        parseTrainingLog(text, "out/log.csv");
    } catch (const FileError& e) {
        EXPECT_EQ(e.file(), "out/log.csv");
        return e.problem();
    }
    ADD_FAILURE() << "no error for:\n" << text;
    return {};
}

void writeText(const std::string& path, const std::string& text) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

std::string readText(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

TEST(TrainingLog, ReadsTheColumnsOfTrainAndPretrainLogs) {
    const TrainingLog log = parseTrainingLog(kTrainLog, "log.csv");
    ASSERT_EQ(log.columns.size(), 8u);
    EXPECT_EQ(log.columns.front(), "loss");
    EXPECT_EQ(log.columns.back(), "data_wait_s");
    ASSERT_EQ(log.rows.size(), 6u);
    EXPECT_TRUE(std::isnan(log.rows[1].cells.back()));  // left out: empty

    const TrainingSeries loss = log.series("iter", "loss");
    ASSERT_EQ(loss.value.size(), 3u);
    EXPECT_EQ(loss.x, (std::vector<double>{20, 40, 60}));
    EXPECT_DOUBLE_EQ(loss.value[1], 0.0019);
    const TrainingSeries ap = log.series("epoch", "val_ap");  // x: the epoch, epoch 0 included
    EXPECT_EQ(ap.x, (std::vector<double>{0, 1, 2}));
    EXPECT_EQ(ap.value, (std::vector<double>{0.01, 0.25, 0.3}));
    EXPECT_EQ(log.series("epoch", "lr").value.size(), 2u);  // empty cells are skipped
    EXPECT_TRUE(log.series("epoch", "no_such_column").empty());
    ASSERT_NE(log.best("val_ap"), nullptr);
    EXPECT_EQ(log.best("val_ap")->epoch, 2);
    EXPECT_EQ(log.best("teacher_entropy"), nullptr);

    const std::string text = formatTrainingLogText(log);
    EXPECT_NE(text.find("3 epoch rows, 3 iteration rows"), std::string::npos) << text;
    EXPECT_NE(text.find("best validation AP 0.3000 after epoch 2 (step 100)"), std::string::npos) << text;
    EXPECT_NE(text.find("val_ap75"), std::string::npos) << text;

    const TrainingLog pretrain = parseTrainingLog(kPretrainLog, "log.csv");
    EXPECT_EQ(pretrain.series("iter", "teacher_entropy").value, (std::vector<double>{3.2, 3.0}));
    EXPECT_EQ(pretrain.series("epoch", "loss").value, (std::vector<double>{4.0}));
    EXPECT_EQ(pretrain.best("val_ap"), nullptr);
}

TEST(TrainingLog, ADivergedTrainingSaysWhereItsLossStoppedBeingANumber) {
    const std::string text = std::string(kTrainLog) + "iter,3,120,nan,0.0005,11,,,,160\n" +
                             "iter,3,140,inf,0.0005,11,,,,180\n" + "epoch,3,150,nan,0.0005,11,0,0,0,200\n";
    const TrainingLog log = parseTrainingLog(text, "log.csv");
    EXPECT_EQ(log.notFinite, "loss is nan at epoch 3, step 120");
    EXPECT_EQ(log.series("iter", "loss").value.size(), 3u);  // the finite losses only: the plot stays drawable
    EXPECT_NE(formatTrainingLogText(log).find("not a number: loss is nan at epoch 3, step 120 (the training diverged"),
              std::string::npos)
        << formatTrainingLogText(log);
    EXPECT_EQ(parseTrainingLog(kTrainLog, "log.csv").notFinite, "");
    EXPECT_THROW(parseTrainingLog(std::string(kTrainLog) + "epoch,99999999999,0,1\n", "log.csv"), FileError);
}

TEST(TrainingLog, ARowStillBeingWrittenIsLeftOut) {
    // A training appends while the workbench reads: the last line has no newline yet.
    const TrainingLog log = parseTrainingLog(std::string(kTrainLog) + "iter,3,120,0.00", "log.csv");
    EXPECT_EQ(log.rows.size(), 6u);
    // Only the header so far.
    EXPECT_TRUE(parseTrainingLog("kind,epoch,step,loss\n", "log.csv").rows.empty());
}

TEST(TrainingLog, ErrorsNameTheFileTheLineAndTheProblem) {
    const std::string header = "kind,epoch,step,loss,lr\n";
    EXPECT_EQ(problemOf(header + "iter,1,20,0.5,0.1\niter,1,40,abc,0.1\n"),
              "line 3: column loss: \"abc\" is not a number");
    EXPECT_EQ(problemOf(header + "iter,1,20,0.5,0.1,7\n"), "line 2: 6 cells where the header has 5");
    EXPECT_EQ(problemOf(header + "iter,1\n"), "line 2: the row needs kind, epoch and step");
    EXPECT_EQ(problemOf(header + "iter,x,20,0.5,0.1\n"), "line 2: column epoch: \"x\" is not an epoch number");
    EXPECT_EQ(problemOf(header + "iter,1,-3,0.5,0.1\n"), "line 2: column step: \"-3\" is not a step number");
    EXPECT_EQ(problemOf(header + "iter,1,20, 0.5,0.1\n"), "line 2: column loss: \" 0.5\" is not a number");
    EXPECT_NE(problemOf("image_id,x,y\n1,2,3\n").find("not a PoseScope training log"), std::string::npos);
    EXPECT_NE(problemOf("").find("empty"), std::string::npos);
    EXPECT_NE(problemOf("kind,epoch,step,,lr\n").find("a column without a name"), std::string::npos);

    const std::string dir = test::outputPath("training_log_missing");
    std::filesystem::create_directories(dir);
    try {
        readTrainingLog(dir);
        FAIL() << "read a folder without a log";
    } catch (const FileError& e) {
        EXPECT_EQ(e.file(), dir + "/log.csv");
        EXPECT_EQ(e.problem(), "no such file");
    }
}

TEST(TrainingLog, ResumingKeepsTheRowsUpToTheCheckpointsStep) {
    const std::string path = test::outputPath("training_log_resume/log.csv");
    // The last complete row is past the step; then a row torn by a kill.
    writeText(path, std::string(kTrainLog) + "iter,3,120,0.0015,0.0001,11,,,,150\nite");
    const std::vector<std::string> kept = trainingLogRowsUpTo(path, 60);
    ASSERT_EQ(kept.size(), 5u);
    EXPECT_EQ(kept.front(), "epoch,0,0,,,,0.01,0.05,0,12.5");
    EXPECT_EQ(kept.back(), "iter,2,60,0.0017,0.0005,11,,,,82");
    EXPECT_EQ(trainingLogRowsUpTo(path, 1000).size(), 7u);
    EXPECT_TRUE(trainingLogRowsUpTo(test::outputPath("training_log_resume/none.csv"), 60).empty());
    // A garbled middle row (a disk error) is dropped rather than stopping the resume.
    writeText(path, "kind,epoch,step,loss\niter,1,2,0.5\niter,1,#,0.4\niter,1,6,0.3\n");
    EXPECT_EQ(trainingLogRowsUpTo(path, 10), (std::vector<std::string>{"iter,1,2,0.5", "iter,1,6,0.3"}));
}

TEST(TrainingFigure, DrawsLossLearningRateAndValidationAsPngSvgAndPdf) {
    ensureGuiApplication();
    const std::string dir = test::outputPath("training_figure");
    writeText(dir + "/log.csv", kTrainLog);
    const TrainingLog log = readTrainingLog(dir);
    TrainingFigureOptions o;
    o.dpi = 144;
    writeTrainingFigure(log, dir + "/curves.svg", o);
    const std::string svg = readText(dir + "/curves.svg");
    for (const char* title : {"training loss", "learning rate", "validation", "AP50", "AP75", "epoch", "step"})
        EXPECT_NE(svg.find(title), std::string::npos) << title;
    EXPECT_EQ(svg.find("teacher entropy"), std::string::npos);

    writeTrainingFigure(log, dir + "/curves.png", o);
    const QImage png(QString::fromStdString(dir + "/curves.png"));
    ASSERT_FALSE(png.isNull());
    const auto [w, h] = trainingFigureSize(log, o);
    EXPECT_EQ(png.width(), static_cast<int>(std::ceil(w * 2)));
    EXPECT_EQ(png.height(), static_cast<int>(std::ceil(h * 2)));
    EXPECT_GT(w, 3 * 50 * 72 / 25.4);  // three panels of 50 mm
    // Something is drawn in each third (the panels), not only the white page.
    for (int third = 0; third < 3; ++third) {
        int dark = 0;
        for (int y = 0; y < png.height(); ++y)
            for (int x = third * png.width() / 3; x < (third + 1) * png.width() / 3; ++x)
                dark += qGray(png.pixel(x, y)) < 128;
        EXPECT_GT(dark, 200) << "panel " << third;
    }

    writeTrainingFigure(log, dir + "/curves.pdf", o);
    EXPECT_EQ(readText(dir + "/curves.pdf").substr(0, 5), "%PDF-");
    writeTrainingFigure(log, dir + "/CURVES.PDF", o);  // the extension in any case
    EXPECT_EQ(readText(dir + "/CURVES.PDF").substr(0, 5), "%PDF-");

    // A pretraining log: the teacher's entropy instead of validation AP.
    writeTrainingFigure(parseTrainingLog(kPretrainLog, "pretrain/log.csv"), dir + "/pretrain.svg", o);
    EXPECT_NE(readText(dir + "/pretrain.svg").find("teacher entropy"), std::string::npos);

    try {
        writeTrainingFigure(parseTrainingLog("kind,epoch,step,loss\n", "fresh/log.csv"), dir + "/empty.svg", o);
        FAIL() << "drew a log without rows";
    } catch (const FileError& e) {
        EXPECT_EQ(e.file(), "fresh/log.csv");
    }
    EXPECT_FALSE(std::filesystem::exists(dir + "/empty.svg"));
    try {
        writeTrainingFigure(log, dir + "/curves.gif", o);
        FAIL() << "wrote a .gif";
    } catch (const FileError& e) {
        EXPECT_EQ(e.file(), dir + "/curves.gif");
    }
}
