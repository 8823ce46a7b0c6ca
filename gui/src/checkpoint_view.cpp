#include "checkpoint_view.h"

#include "posescope/analysis/checkpoint_report.h"

#include <QHeaderView>
#include <QLabel>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>
#include "qcustomplot_include.h"

namespace posescope::gui {

CheckpointView::CheckpointView(QWidget* parent)
    : QWidget(parent), m_summary(new QLabel(this)), m_table(new QTableWidget(this)), m_plot(new QCustomPlot(this)) {
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_summary->setWordWrap(true);
    m_table->setColumnCount(3);
    m_table->setHorizontalHeaderLabels({QStringLiteral("Key"), QStringLiteral("Shape"), QStringLiteral("Type")});
    m_table->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_table->verticalHeader()->setVisible(false);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_plot->setMinimumHeight(160);

    auto* split = new QSplitter(Qt::Vertical, this);
    split->addWidget(m_table);
    split->addWidget(m_plot);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_summary);
    layout->addWidget(split, 1);
    clear();
}

void CheckpointView::clear() {
    m_summary->setText(tr("Open a PyTorch checkpoint (.pth) with File › Open Checkpoint…"));
    m_table->setRowCount(0);
    m_plot->clearPlottables();
    m_plot->replot();
}

void CheckpointView::show(const models::CheckpointInfo& info) {
    const QString where = info.stateDictKey.empty()
                              ? tr("bare state dict")
                              : tr("state dict under '%1'").arg(QString::fromStdString(info.stateDictKey));
    m_summary->setText(tr("<b>%1</b><br>%2 · %3 format · %4%5<br>%6 tensors · %7 parameters")
                           .arg(QString::fromStdString(info.path).toHtmlEscaped(),
                                QString::fromStdString(info.architecture.text()).toHtmlEscaped(),
                                QString::fromStdString(info.format), where,
                                info.strippedModulePrefix ? tr(" · 'module.' prefix removed") : QString())
                           .arg(info.tensors.size())
                           .arg(QLocale().toString(static_cast<qlonglong>(info.parameterCount))));

    m_table->setRowCount(static_cast<int>(info.tensors.size()));
    for (int row = 0; row < static_cast<int>(info.tensors.size()); ++row) {
        const models::TensorInfo& t = info.tensors[static_cast<size_t>(row)];
        m_table->setItem(row, 0, new QTableWidgetItem(QString::fromStdString(t.name)));
        m_table->setItem(row, 1, new QTableWidgetItem(QString::fromStdString(t.shapeText())));
        m_table->setItem(row, 2, new QTableWidgetItem(QString::fromStdString(t.dtype)));
    }
    m_table->resizeColumnToContents(1);

    // Parameters per top-level module, as a bar chart.
    const auto shares = analysis::parametersByModule(info, 1);
    m_plot->clearPlottables();
    auto* bars = new QCPBars(m_plot->xAxis, m_plot->yAxis);
    QVector<double> x, y;
    QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
    for (int i = 0; i < static_cast<int>(shares.size()); ++i) {
        x << i;
        y << static_cast<double>(shares[static_cast<size_t>(i)].parameters);
        ticker->addTick(i, QString::fromStdString(shares[static_cast<size_t>(i)].module));
    }
    bars->setData(x, y);
    m_plot->xAxis->setTicker(ticker);
    m_plot->xAxis->setTickLabelRotation(60);
    m_plot->yAxis->setLabel(tr("parameters"));
    m_plot->rescaleAxes();
    m_plot->xAxis->setRange(-1, static_cast<double>(shares.size()));
    m_plot->yAxis->setRangeLower(0);
    m_plot->replot();
}

}  // namespace posescope::gui
