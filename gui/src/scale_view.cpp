#include "scale_view.h"

#include "message_pages.h"
#include "plot_palette.h"

#include <QComboBox>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QScrollBar>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>
#include "qcustomplot_include.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <vector>

namespace posescope::gui {

namespace {

QString numberText(double v, int decimals) {
    return v < 0 || std::isnan(v) ? QStringLiteral("–") : QString::number(v, 'f', decimals);
}

QString areaText(double v) {
    return QString::number(v, 'g', 6);
}

}  // namespace

struct ScaleView::Outcome {
    std::optional<analysis::RunScaleAnalysis> scales;
    std::optional<analysis::QuantisationResult> quantisation;
    QString error;
};

ScaleView::ScaleView(QWidget* parent)
    : QWidget(parent),
      m_pages(new QStackedWidget(this)),
      m_message(new QLabel),
      m_caption(new QLabel),
      m_table(new QTableWidget),
      m_accuracyPlot(new QCustomPlot),
      m_keypointPlot(new QCustomPlot),
      m_quantisationPlot(new QCustomPlot),
      m_keypointGroup(new QCPBarsGroup(m_keypointPlot)),
      m_unitBox(new QComboBox) {
    m_caption->setWordWrap(true);
    m_caption->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_table->setColumnCount(ColumnCount);
    m_table->setHorizontalHeaderLabels(
        {tr("band"), tr("area (px²)"), tr("persons"), tr("AP"), tr("AP50"), tr("AP75"), tr("AR")});
    m_table->verticalHeader()->setVisible(false);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->horizontalHeaderItem(ApColumn)->setToolTip(tr("OKS AP over thresholds .50:.05:.95 (pycocotools)"));
    m_table->horizontalHeaderItem(PersonsColumn)
        ->setToolTip(tr("GT persons the band evaluates: not crowd, with keypoints, area in the band"));

    for (QCustomPlot* plot : {m_accuracyPlot, m_keypointPlot, m_quantisationPlot}) {
        plot->setMinimumHeight(180);
        plot->legend->setFont(QFont(font().family(), 8));
    }
    m_accuracyPlot->yAxis->setLabel(tr("AP (OKS .50:.95)"));
    m_accuracyPlot->xAxis->setLabel(tr("band of GT area"));
    m_keypointPlot->yAxis->setLabel(tr("error / sqrt(GT area)"));
    m_keypointPlot->xAxis->setTickLabelRotation(60);
    for (QCustomPlot* plot : {m_keypointPlot, m_quantisationPlot}) {  // one row above the data
        plot->legend->setVisible(true);
        plot->legend->setFillOrder(QCPLegend::foColumnsFirst);
        plot->legend->setWrap(8);
        plot->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignLeft | Qt::AlignTop);
    }
    m_keypointGroup->setSpacingType(QCPBarsGroup::stAbsolute);
    m_keypointGroup->setSpacing(0);
    m_quantisationPlot->xAxis->setLabel(tr("person height (image pixels)"));
    m_quantisationPlot->xAxis->setScaleType(QCPAxis::stLogarithmic);
    QSharedPointer<QCPAxisTickerLog> powersOfTwo(new QCPAxisTickerLog);
    powersOfTwo->setLogBase(2);
    m_quantisationPlot->xAxis->setTicker(powersOfTwo);
    m_unitBox->addItems({tr("mean error in image pixels"), tr("mean error in % of the person's height")});
    m_unitBox->setToolTip(
        tr("The crop rescales every person to the model input, so relative to the height the error is the same at "
           "every size; in image pixels it grows with the person."));
    connect(m_unitBox, &QComboBox::currentIndexChanged, this, [this] { plotQuantisation(); });

    // Page 1: caption, then table | AP bars, keypoint errors, decoder quantisation.
    auto* content = new QWidget;
    auto* column = new QVBoxLayout(content);
    column->setContentsMargins(0, 0, 0, 0);
    column->addWidget(m_caption);
    auto* top = new QSplitter(Qt::Horizontal);
    top->addWidget(m_table);
    top->addWidget(m_accuracyPlot);
    top->setStretchFactor(0, 0);  // the table as wide as its columns, the plot takes the rest
    top->setStretchFactor(1, 1);
    auto* quantisation = new QWidget;
    auto* quantisationColumn = new QVBoxLayout(quantisation);
    quantisationColumn->setContentsMargins(0, 0, 0, 0);
    auto* unitRow = new QHBoxLayout;
    unitRow->addWidget(new QLabel(tr("Decoder quantisation error against person height (ideal model output):")));
    unitRow->addWidget(m_unitBox);
    unitRow->addStretch(1);
    quantisationColumn->addLayout(unitRow);
    quantisationColumn->addWidget(m_quantisationPlot, 1);
    auto* split = new QSplitter(Qt::Vertical);
    split->addWidget(top);
    split->addWidget(m_keypointPlot);
    split->addWidget(quantisation);
    column->addWidget(split, 1);

    setUpMessagePages(this, m_pages, m_message, content);
    setSource(nullptr);
}

ScaleView::~ScaleView() = default;  // a running analysis owns copies only; its result is dropped

QString ScaleView::message() const {
    return m_pages->currentIndex() == 0 ? m_message->text() : QString();
}

void ScaleView::showMessage(const QString& text) {
    m_message->setText(text);
    m_pages->setCurrentIndex(0);
}

void ScaleView::setSource(const analysis::SampleSource* source) {
    ++m_generation;  // drops the result of an analysis still running
    m_pending = m_computing = false;
    m_result.reset();
    m_quantisation.reset();
    m_table->setRowCount(0);
    for (QCustomPlot* plot : {m_accuracyPlot, m_keypointPlot, m_quantisationPlot}) {
        plot->clearPlottables();
        plot->clearItems();
        plot->replot();
    }
    const auto* run = dynamic_cast<const analysis::RunBrowser*>(source);
    if (!source) {
        showMessage(
            tr("Open a recorded COCO-format run: its accuracy by person scale and each decoder's quantisation "
               "error show here."));
        return;
    }
    if (!run) {
        showMessage(tr("%1 is a dataset without model results: the scale analysis needs a recorded run "
                       "(Run › Record Run… records one).")
                        .arg(QFileInfo(QString::fromStdString(source->path())).fileName()));
        return;
    }
    m_path = run->path();
    m_header = run->header();
    m_pending = true;
    showMessage(tr("The scale analysis of %1 is computed when this tab is shown.")
                    .arg(QFileInfo(QString::fromStdString(m_path)).fileName()));
    if (isVisible()) compute();
}

void ScaleView::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    compute();
}

void ScaleView::compute() {
    if (!m_pending) return;
    m_pending = false;
    m_computing = true;
    showMessage(tr("Computing the scale analysis of %1…").arg(QFileInfo(QString::fromStdString(m_path)).fileName()));
    const uint64_t generation = m_generation;
    auto* watcher = new QFutureWatcher<Outcome>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, generation] {
        watcher->deleteLater();
        if (generation != m_generation) return;  // another source was set meanwhile
        m_computing = false;
        showOutcome(watcher->result());
    });
    // The worker opens the run itself (a RunReader belongs to one thread) and holds copies only.
    watcher->setFuture(QtConcurrent::run([path = m_path, header = m_header] {
        Outcome o;
        try {
            o.scales = analysis::analyseRunScales(path);
            o.quantisation = analysis::decoderQuantisation(analysis::runQuantisationOptions(header));
        } catch (const std::exception& e) {
            o.error = QString::fromStdString(e.what());
        }
        return o;
    }));
}

void ScaleView::showOutcome(const Outcome& o) {
    if (!o.error.isEmpty()) {
        showMessage(tr("No scale analysis for this run:\n%1").arg(o.error));
        Q_EMIT finished(false, message());
        return;
    }
    m_result = o.scales;
    m_quantisation = o.quantisation;
    const analysis::RunScaleAnalysis& r = *m_result;
    const QString skipped =
        r.rowsWithoutGt > 0
            ? tr("; %1 rows without a labelled GT person skipped").arg(static_cast<qulonglong>(r.rowsWithoutGt))
            : QString();
    m_caption->setText(
        tr("<b>%1</b>: final keypoints of %2 samples in %3 images, rescored and OKS-NMS'd as <i>eval</i>%4. "
           "Bands of GT area in pixels² (bounds inclusive, as pycocotools); keypoint errors over the labelled "
           "keypoints of %5 persons%6. Every number as CSV: <tt>posescope-cli scales run.h5 --csv FILE</tt>.")
            .arg(QFileInfo(QString::fromStdString(m_path)).fileName().toHtmlEscaped())
            .arg(static_cast<qlonglong>(r.samples))
            .arg(static_cast<qulonglong>(r.images))
            .arg(m_header.complete ? QString() : tr(" (the run is incomplete)"))
            .arg(static_cast<qulonglong>(r.poses))
            .arg(skipped));
    fillTable(r);
    plotAccuracy(r);
    plotKeypointErrors(r);
    plotQuantisation();
    m_pages->setCurrentIndex(1);
    Q_EMIT finished(true, QString());
}

void ScaleView::fillTable(const analysis::RunScaleAnalysis& r) {
    m_table->setRowCount(static_cast<int>(r.accuracy.size()));
    for (int row = 0; row < m_table->rowCount(); ++row) {
        const analysis::BandAccuracy& b = r.accuracy[static_cast<std::size_t>(row)];
        auto set = [&](int column, const QString& text, double value) {
            auto* item = new QTableWidgetItem(text);
            item->setData(Qt::UserRole, value);  // the exact number
            if (column != BandColumn && column != AreaColumn) item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            m_table->setItem(row, column, item);
        };
        set(BandColumn, QString::fromStdString(b.band.label), row);
        set(AreaColumn, areaText(b.band.min) + QStringLiteral(" – ") + areaText(b.band.max), b.band.max);
        set(PersonsColumn, QString::number(b.persons), static_cast<double>(b.persons));
        set(ApColumn, numberText(b.ap, 3), b.ap);
        set(Ap50Column, numberText(b.ap50, 3), b.ap50);
        set(Ap75Column, numberText(b.ap75, 3), b.ap75);
        set(ArColumn, numberText(b.ar, 3), b.ar);
    }
    m_table->resizeColumnsToContents();
    int width = 2 * m_table->frameWidth() + m_table->verticalScrollBar()->sizeHint().width();
    for (int column = 0; column < ColumnCount; ++column)
        width += m_table->columnWidth(column);
    m_table->setMinimumWidth(width);  // every column shows; the AP plot takes the rest
}

void ScaleView::plotAccuracy(const analysis::RunScaleAnalysis& r) {
    QCustomPlot* p = m_accuracyPlot;
    p->clearPlottables();
    p->clearItems();
    auto* bars = new QCPBars(p->xAxis, p->yAxis);
    bars->setName(tr("AP"));
    bars->setWidth(0.6);
    bars->setPen(QPen(paletteColour(0).darker(130)));
    bars->setBrush(paletteColour(0));
    QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
    QVector<double> x, y;
    for (std::size_t i = 0; i < r.accuracy.size(); ++i) {
        const analysis::BandAccuracy& b = r.accuracy[i];
        const double at = static_cast<double>(i);
        const QString persons = b.persons == 1 ? tr("1 person") : tr("%1 persons").arg(b.persons);
        ticker->addTick(at, QString::fromStdString(b.band.label) + QLatin1Char('\n') + persons);
        if (b.ap < 0) continue;  // no GT in the band
        x << at;
        y << b.ap;
        auto* label = new QCPItemText(p);
        label->position->setCoords(at, b.ap);
        label->setPositionAlignment(Qt::AlignHCenter | Qt::AlignBottom);
        label->setText(QString::number(b.ap, 'f', 3));
        label->setFont(QFont(font().family(), 8));
    }
    bars->setData(x, y, true);
    p->xAxis->setTicker(ticker);
    p->xAxis->setRange(-0.6, static_cast<double>(r.accuracy.size()) - 0.4);
    p->yAxis->setRange(0, 1.08);
    p->replot();
}

void ScaleView::plotKeypointErrors(const analysis::RunScaleAnalysis& r) {
    QCustomPlot* p = m_keypointPlot;
    const analysis::KeypointErrorTable& t = r.errors;
    p->clearPlottables();  // the bars leave the group as they go
    const std::size_t bands = t.bands.size();
    double highest = 0;
    for (std::size_t b = 0; b < bands; ++b) {
        auto* bars = new QCPBars(p->xAxis, p->yAxis);
        bars->setName(QString::fromStdString(t.bands[b].label));
        bars->setWidth(0.8 / static_cast<double>(std::max<std::size_t>(1, bands)));
        bars->setPen(Qt::NoPen);
        bars->setBrush(paletteColour(b));
        bars->setBarsGroup(m_keypointGroup);
        QVector<double> x, y;
        for (int k = 0; k < t.keypoints; ++k) {
            const analysis::KeypointError& e = t.at(b, k);
            if (e.count == 0 || !std::isfinite(e.meanNormalised)) continue;
            x << k;
            y << e.meanNormalised;
            highest = std::max(highest, e.meanNormalised);
        }
        bars->setData(x, y, true);
    }
    QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
    for (int k = 0; k < t.keypoints; ++k) {
        const auto i = static_cast<std::size_t>(k);
        ticker->addTick(k, i < m_header.keypointNames.size() ? QString::fromStdString(m_header.keypointNames[i])
                                                             : tr("keypoint %1").arg(k));
    }
    p->xAxis->setTicker(ticker);
    p->xAxis->setRange(-0.6, t.keypoints - 0.4);
    p->yAxis->setRange(0, highest > 0 ? highest * 1.3 : 0.1);  // room for the legend
    p->replot();
}

void ScaleView::setQuantisationUnit(QuantisationUnit unit) {
    m_unitBox->setCurrentIndex(static_cast<int>(unit));
}

ScaleView::QuantisationUnit ScaleView::quantisationUnit() const {
    return static_cast<QuantisationUnit>(m_unitBox->currentIndex());
}

void ScaleView::plotQuantisation() {
    QCustomPlot* p = m_quantisationPlot;
    p->clearPlottables();
    if (!m_quantisation) {
        p->replot();
        return;
    }
    const analysis::QuantisationResult& q = *m_quantisation;
    const bool percent = m_unitBox->currentIndex() == static_cast<int>(QuantisationUnit::PercentOfHeight);
    const std::size_t H = q.options.personHeights.size();
    double highest = 0;
    for (std::size_t d = 0; d < q.options.decoders.size(); ++d) {
        QCPGraph* g = p->addGraph();
        g->setName(QString::fromStdString(analysis::quantisationDecoderName(q.options.decoders[d])));
        g->setPen(QPen(paletteColour(d), 1.6));
        g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, paletteColour(d), paletteColour(d), 5));
        QVector<double> x, y;
        for (std::size_t h = 0; h < H; ++h) {
            const analysis::QuantisationRow& row = q.rows[d * H + h];
            x << row.personHeight;
            y << (percent ? 100 * row.meanNormalised : row.meanPixels);
            highest = std::max(highest, y.back());
        }
        g->setData(x, y, true);
    }
    p->yAxis->setLabel(percent ? tr("mean error (% of height)") : tr("mean error (image pixels)"));
    const auto [low, high] = std::minmax_element(q.options.personHeights.begin(), q.options.personHeights.end());
    if (low != q.options.personHeights.end()) p->xAxis->setRange(*low / 1.2, *high * 1.2);
    p->yAxis->setRange(0, highest > 0 ? highest * 1.3 : 1);  // room for the legend
    p->xAxis2->setLabel(tr("input %1×%2, heatmap stride %3, σ %4; %5 keypoint positions")
                            .arg(q.options.inputWidth)
                            .arg(q.options.inputHeight)
                            .arg(q.options.heatmapStride)
                            .arg(q.options.sigma)
                            .arg(q.options.samplesPerSize));
    p->xAxis2->setVisible(true);
    p->xAxis2->setTicks(false);
    p->xAxis2->setTickLabels(false);
    p->replot();
}

}  // namespace posescope::gui
