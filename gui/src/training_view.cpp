#include "training_view.h"

#include "plot_palette.h"
#include "qcustomplot_include.h"

#include <QDateTime>
#include <QFileInfo>
#include <QGridLayout>
#include <QLabel>
#include <QTimer>
#include <QVBoxLayout>

#include <cmath>
#include <exception>
#include <string>
#include <vector>

namespace posescope::gui {

namespace {

void fill(QCustomPlot* plot, const analysis::TrainingPlot& p) {
    const QString title = QString::fromStdString(p.title), yName = QString::fromStdString(p.yName);
    const bool scatter = p.overEpochs;
    plot->clearGraphs();
    plot->xAxis->setLabel(QString::fromStdString(p.xName));
    plot->yAxis->setLabel(yName);
    bool any = false;
    for (size_t i = 0; i < p.lines.size(); ++i) {
        const analysis::TrainingSeries& line = p.lines[i];
        if (line.empty()) continue;
        QCPGraph* g = plot->addGraph();
        g->setName(QString::fromStdString(p.names[i]));
        g->setPen(QPen(paletteColour(i), 1.4));
        if (scatter) g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 5));
        g->setData(QVector<double>(line.x.begin(), line.x.end()), QVector<double>(line.value.begin(), line.value.end()),
                   true);
        any = true;
    }
    plot->legend->setVisible(plot->graphCount() > 1);
    plot->setToolTip(title);
    if (scatter) {  // epochs: whole numbers on the axis
        QSharedPointer<QCPAxisTickerFixed> ticker(new QCPAxisTickerFixed);
        ticker->setTickStep(1);
        ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
        plot->xAxis->setTicker(ticker);
    } else {
        plot->xAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    }
    if (any) {
        plot->rescaleAxes();
        plot->xAxis->scaleRange(1.06, plot->xAxis->range().center());
        plot->yAxis->scaleRange(1.1, plot->yAxis->range().center());
        if (p.withZero && plot->yAxis->range().lower > 0) plot->yAxis->setRangeLower(0);
    }
    // The title as the first row of the layout (added once).
    if (plot->plotLayout()->rowCount() == 1) {
        plot->plotLayout()->insertRow(0);
        plot->plotLayout()->addElement(0, 0, new QCPTextElement(plot, title, QFont(plot->font().family(), 9)));
    } else if (auto* text = qobject_cast<QCPTextElement*>(plot->plotLayout()->element(0, 0))) {
        text->setText(title);
    }
    plot->replot();
}

}  // namespace

TrainingView::TrainingView(QWidget* parent) : QWidget(parent), m_summary(new QLabel(this)), m_timer(new QTimer(this)) {
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_summary->setWordWrap(true);
    auto* grid = new QGridLayout;
    for (size_t i = 0; i < m_plots.size(); ++i) {
        m_plots[i] = new QCustomPlot(this);
        m_plots[i]->setMinimumSize(220, 180);
        m_plots[i]->legend->setFont(QFont(font().family(), 8));
        m_plots[i]->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
        grid->addWidget(m_plots[i], 0, static_cast<int>(i));
    }
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_summary);
    layout->addLayout(grid, 1);
    m_timer->setInterval(2000);
    connect(m_timer, &QTimer::timeout, this, [this] { reload(); });
    clear();
}

void TrainingView::clear() {
    m_timer->stop();
    m_log.reset();
    m_size = m_modified = -1;
    m_summary->setText(
        tr("Open a training's folder or its log.csv with File › Open Training Log… "
           "(written by posescope-cli train, distill and pretrain)."));
    for (QCustomPlot* p : m_plots) {
        p->clearGraphs();
        p->replot();
    }
}

void TrainingView::show(const analysis::TrainingLog& log) {
    m_log = log;
    const QFileInfo info(QString::fromStdString(log.path));
    m_size = info.size();
    m_modified = info.lastModified().toMSecsSinceEpoch();
    draw();
    m_timer->start();
}

bool TrainingView::reload() {
    if (!m_log) return false;
    const QFileInfo info(QString::fromStdString(m_log->path));
    if (info.size() == m_size && info.lastModified().toMSecsSinceEpoch() == m_modified) return false;
    try {
        analysis::TrainingLog again = analysis::readTrainingLog(m_log->path);
        m_log = std::move(again);
    } catch (const std::exception& e) {  // being rewritten (--resume) or damaged: keep what is shown
        m_summary->setText(m_summary->text() + QStringLiteral("<br>") +
                           tr("Not re-read: %1").arg(QString::fromStdString(e.what()).toHtmlEscaped()));
        return false;
    }
    m_size = info.size();
    m_modified = info.lastModified().toMSecsSinceEpoch();
    draw();
    return true;
}

void TrainingView::draw() {
    const analysis::TrainingLog& log = *m_log;
    const std::vector<analysis::TrainingPlot> plots = analysis::trainingPlots(log);
    for (size_t i = 0; i < m_plots.size(); ++i) {
        if (i < plots.size()) {
            fill(m_plots[i], plots[i]);
        } else {
            m_plots[i]->clearGraphs();
            m_plots[i]->replot();
        }
    }

    int epochs = 0;
    int64_t step = 0;
    for (const auto& r : log.rows) {
        if (r.kind == "epoch" && r.epoch > 0) ++epochs;
        step = std::max(step, r.step);
    }
    QString text = tr("<b>%1</b><br>%2 epochs finished, step %3")
                       .arg(QString::fromStdString(log.path).toHtmlEscaped())
                       .arg(epochs)
                       .arg(step);
    if (const auto* best = log.best("val_ap"))
        text += tr(" · best validation AP %1 after epoch %2")
                    .arg(best->cells[static_cast<size_t>(log.columnIndex("val_ap"))], 0, 'f', 4)
                    .arg(best->epoch);
    const analysis::TrainingSeries rate = log.series("iter", "samples_per_s");
    if (!rate.empty()) text += tr(" · %1 samples/s").arg(rate.value.back(), 0, 'f', 1);
    if (!log.notFinite.empty())
        text += tr("<br><font color=\"#c0392b\">Not a number: %1 — the training diverged.</font>")
                    .arg(QString::fromStdString(log.notFinite).toHtmlEscaped());
    m_summary->setText(text);
}

}  // namespace posescope::gui
