#include "models_view.h"

#include "figure_view.h"
#include "message_pages.h"
#include "plot_palette.h"
#include "posescope/analysis/run_browser.h"
#include "posescope/datasets/error.h"

#include <QComboBox>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QPixmap>
#include <QPromise>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSplitter>
#include <QStackedWidget>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>
#include "qcustomplot_include.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <exception>
#include <filesystem>
#include <utility>

namespace posescope::gui {

namespace {

QString fileName(const std::string& path) {
    return QFileInfo(QString::fromStdString(path)).fileName();
}

// "family variant — file", as the run list and the Compare tab name runs.
QString modelTitle(const analysis::RunHeader& h, const std::string& path) {
    const std::string model = h.modelVariant.empty() ? h.modelFamily : h.modelFamily + " " + h.modelVariant;
    return QObject::tr("%1 — %2").arg(QString::fromStdString(model), fileName(path));
}

// The spec's `chart` names, in the order of the Chart box.
constexpr std::array<const char*, 4> kCharts = {"accuracy", "errors", "attention", "keypoints"};

QString numberText(double v, int decimals) {
    return std::isnan(v) ? QStringLiteral("–") : QString::number(v, 'f', decimals);
}

// A right-aligned number with its value (UserRole) for tests and sorting.
QTableWidgetItem* numberItem(double value, const QString& text) {
    auto* item = new QTableWidgetItem(text);
    item->setData(Qt::UserRole, value);
    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return item;
}

QTableWidgetItem* idItem(int64_t id) {
    return numberItem(static_cast<double>(id), QString::number(static_cast<qlonglong>(id)));
}

QIcon colourIcon(std::size_t model) {
    QPixmap p(12, 12);
    p.fill(paletteColour(model));
    return QIcon(p);
}

constexpr int kFirstRowRole = Qt::UserRole + 1;  // disagreement lines: the first run's row

}  // namespace

struct ModelsView::Outcome {
    std::optional<analysis::ComparisonReport> report;
    QString error;
};

ModelsView::ModelsView(QWidget* parent)
    : QWidget(parent),
      m_pages(new QStackedWidget(this)),
      m_message(new QLabel),
      m_caption(new QLabel),
      m_runList(new QListWidget),
      m_addButton(new QPushButton(tr("Add run…"))),
      m_recordButton(new QPushButton(tr("Run model…"))),
      m_removeButton(new QPushButton(tr("Remove"))),
      m_exportBox(new QComboBox),
      m_chartBox(new QComboBox),
      m_parts(new QTabWidget),
      m_models(new FigureView),
      m_chartView(new FigureView),
      m_disagreements(new QTableWidget),
      m_errorPlot(new QCustomPlot),
      m_casesTitle(new QLabel),
      m_cases(new QTableWidget),
      m_errorGroup(new QCPBarsGroup(m_errorPlot)) {
    m_caption->setWordWrap(true);
    m_caption->setTextFormat(Qt::RichText);
    m_casesTitle->setWordWrap(true);

    // The runs: the open one first (not removable), then the added ones.
    m_runList->setMaximumHeight(72);
    m_runList->setToolTip(
        tr("The models compared: the open run, then the runs added (runs of the same samples: the same dataset, "
           "boxes and keypoints; the model, order, selection and shard may differ)"));
    m_addButton->setToolTip(tr("Add a run of the same samples as another model (File › Add Run to Models…)"));
    m_removeButton->setToolTip(tr("Remove the selected run (or the last one added)"));
    connect(m_addButton, &QPushButton::clicked, this, [this] { Q_EMIT addRunRequested(); });
    m_recordButton->setToolTip(
        tr("Run another model (a checkpoint) live over the same samples; its run joins the list when recorded"));
    connect(m_recordButton, &QPushButton::clicked, this, [this] { Q_EMIT recordModelRequested(); });
    connect(m_removeButton, &QPushButton::clicked, this, [this] {
        const int selected = m_runList->currentRow();
        removeRun(selected >= 1 ? selected - 1 : -1);
    });

    m_exportBox->addItems({tr("models figure"), tr("chart")});
    m_exportBox->setToolTip(tr("What File › Export Figure… draws on this tab (with its spec beside it)"));
    m_chartBox->addItems({tr("accuracy"), tr("errors"), tr("attention"), tr("keypoints")});
    m_chartBox->setToolTip(
        tr("accuracy: AP overall, per person size and per number of people in the crop; errors: each model's keypoints "
           "by error type and the AP with each type fixed; attention: per layer entropy, distance, share in the box "
           "and on other people; keypoints: the error ÷ √area per keypoint"));
    connect(m_chartBox, &QComboBox::currentIndexChanged, this, [this] { updateChart(); });

    // Disagreement: a line per paired sample, largest OKS difference first.
    m_disagreements->verticalHeader()->setVisible(false);
    m_disagreements->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_disagreements->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_disagreements->setSelectionMode(QAbstractItemView::SingleSelection);
    m_disagreements->setToolTip(tr("Click a sample to show it in the window (every tab follows)"));
    auto chooseSample = [this](int line) {
        if (m_filling || line < 0 || line >= m_disagreements->rowCount()) return;
        if (const QTableWidgetItem* item = m_disagreements->item(line, ImageColumn))
            Q_EMIT sampleChosen(item->data(kFirstRowRole).toLongLong());
    };
    connect(m_disagreements, &QTableWidget::cellClicked, this, [chooseSample](int line, int) { chooseSample(line); });
    connect(m_disagreements, &QTableWidget::currentCellChanged, this,
            [chooseSample](int line, int, int previous, int) {  // the arrow keys move through the samples
                if (line != previous) chooseSample(line);
            });

    // Errors: the bars (click one) over the cases of the clicked model and type (double-click one).
    m_errorPlot->setMinimumHeight(180);
    m_errorPlot->legend->setFont(QFont(font().family(), 8));
    m_errorPlot->legend->setFillOrder(QCPLegend::foColumnsFirst);  // one row above the bars
    m_errorPlot->legend->setWrap(6);
    m_errorPlot->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignHCenter | Qt::AlignTop);
    m_errorPlot->yAxis->setLabel(tr("% of labelled keypoints (matched predictions)"));
    m_errorPlot->setInteractions(QCP::iSelectPlottables);
    QSharedPointer<QCPAxisTickerText> types(new QCPAxisTickerText);
    for (int t = 0; t < analysis::kPoseErrorTypeTypes; ++t)
        types->addTick(t, QString::fromStdString(analysis::poseErrorName(static_cast<analysis::PoseErrorType>(t))));
    m_errorPlot->xAxis->setTicker(types);
    m_errorPlot->xAxis->setRange(-0.6, analysis::kPoseErrorTypeTypes - 0.4);
    m_errorPlot->yAxis->setRange(0, 100);
    m_errorGroup->setSpacingType(QCPBarsGroup::stAbsolute);
    m_errorGroup->setSpacing(1);
    connect(m_errorPlot, &QCustomPlot::plottableClick, this,
            [this](QCPAbstractPlottable* plottable, int dataIndex, QMouseEvent*) {
                const auto it = std::find(m_errorBars.begin(), m_errorBars.end(), plottable);
                if (it == m_errorBars.end() || dataIndex < 0 || dataIndex >= (*it)->dataCount()) return;
                const int type = static_cast<int>(std::lround((*it)->data()->at(dataIndex)->key));
                showErrorCases(static_cast<int>(it - m_errorBars.begin()), static_cast<analysis::PoseErrorType>(type));
            });
    m_cases->setColumnCount(CaseColumnCount);
    m_cases->setHorizontalHeaderLabels({tr("image"), tr("annotation"), tr("keypoint"), tr("type"), tr("swapped with"),
                                        tr("row"), tr("first run's row")});
    m_cases->horizontalHeaderItem(CaseRowColumn)->setToolTip(tr("the row of the model's run"));
    m_cases->horizontalHeaderItem(CaseFirstRowColumn)
        ->setToolTip(tr("the row of the same sample in the open run (what the window shows)"));
    m_cases->horizontalHeaderItem(CaseSwappedColumn)->setToolTip(tr("swaps: the annotation id of the other person"));
    m_cases->verticalHeader()->setVisible(false);
    m_cases->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_cases->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_cases->setSelectionMode(QAbstractItemView::SingleSelection);
    m_cases->setToolTip(tr("Double-click (or Enter) to show the case's sample and keypoint in the window"));
    connect(m_cases, &QTableWidget::cellActivated, this, [this](int line, int) { chooseCase(line); });

    m_models->setMinimumSize(240, 200);
    m_models->setToolTip(
        tr("The window's sample in every run: the pose, then per layer the keypoint's dependency map (the window's "
           "keypoint, or the first when all are shown), each run at the layer of the same relative depth"));
    m_chartView->setMinimumSize(240, 200);

    // The parts.
    m_parts->addTab(m_models, tr("Side by side"));
    m_parts->addTab(m_disagreements, tr("Disagreement"));
    auto* errors = new QSplitter(Qt::Vertical);
    errors->addWidget(m_errorPlot);
    auto* casesPanel = new QWidget;
    auto* casesColumn = new QVBoxLayout(casesPanel);
    casesColumn->setContentsMargins(0, 0, 0, 0);
    casesColumn->addWidget(m_casesTitle);
    casesColumn->addWidget(m_cases, 1);
    errors->addWidget(casesPanel);
    errors->setSizes({45, 55});
    m_parts->addTab(errors, tr("Errors"));
    auto* charts = new QWidget;
    auto* chartColumn = new QVBoxLayout(charts);
    chartColumn->setContentsMargins(0, 0, 0, 0);
    auto* chartBar = new QHBoxLayout;
    chartBar->addWidget(new QLabel(tr("Chart")));
    chartBar->addWidget(m_chartBox);
    chartBar->addStretch(1);
    chartColumn->addLayout(chartBar);
    chartColumn->addWidget(m_chartView, 1);
    m_parts->addTab(charts, tr("Charts"));

    // Page 1: the runs with their buttons and the export choice, the caption, the parts.
    auto* content = new QWidget;
    auto* column = new QVBoxLayout(content);
    column->setContentsMargins(0, 0, 0, 0);
    auto* top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("Runs")), 0, Qt::AlignTop);
    top->addWidget(m_runList, 1);
    auto* buttons = new QVBoxLayout;
    buttons->addWidget(m_addButton);
    buttons->addWidget(m_recordButton);
    buttons->addWidget(m_removeButton);
    buttons->addStretch(1);
    top->addLayout(buttons);
    top->addSpacing(16);
    auto* exportColumn = new QVBoxLayout;
    auto* exportRow = new QHBoxLayout;
    exportRow->addWidget(new QLabel(tr("Export")));
    exportRow->addWidget(m_exportBox);
    exportColumn->addLayout(exportRow);
    exportColumn->addStretch(1);
    top->addLayout(exportColumn);
    column->addLayout(top);
    column->addWidget(m_caption);
    column->addWidget(m_parts, 1);

    setUpMessagePages(this, m_pages, m_message, content);
    setSource(nullptr);
}

ModelsView::~ModelsView() {
    if (m_watcher) m_watcher->cancel();  // the worker stops after its stage; its result is dropped
}

QString ModelsView::message() const {
    return m_pages->currentIndex() == 0 ? m_message->text() : QString();
}

QString ModelsView::caption() const {
    return m_caption->text();
}

void ModelsView::showMessage(const QString& text) {
    m_message->setText(text);
    m_pages->setCurrentIndex(0);
}

std::vector<std::string> ModelsView::allRuns() const {
    std::vector<std::string> out;
    if (!m_available) return out;
    out.push_back(m_path);
    out.insert(out.end(), m_runs.begin(), m_runs.end());
    return out;
}

ModelsView::Chart ModelsView::chart() const {
    return static_cast<Chart>(std::clamp(m_chartBox->currentIndex(), 0, 3));
}

void ModelsView::setChart(Chart chart) {
    m_chartBox->setCurrentIndex(static_cast<int>(chart));
}

void ModelsView::setExportPart(Part part) {
    m_exportBox->setCurrentIndex(static_cast<int>(part));
}

ModelsView::Part ModelsView::exportPart() const {
    return m_exportBox->currentIndex() == 1 ? Part::Chart : Part::Models;
}

QCPBars* ModelsView::errorBars(int model) const {
    return model >= 0 && static_cast<std::size_t>(model) < m_errorBars.size() ? m_errorBars[static_cast<size_t>(model)]
                                                                              : nullptr;
}

void ModelsView::setSource(const analysis::SampleSource* source) {
    const auto* run = dynamic_cast<const analysis::RunBrowser*>(source);
    m_source = source;
    m_available = run != nullptr;
    m_path = run ? std::filesystem::absolute(run->path()).string() : std::string();
    m_keypointNames = source ? source->header().keypointNames : std::vector<std::string>();
    m_runs.clear();
    m_titles.clear();
    if (run) m_titles << modelTitle(run->header(), run->path());
    m_row = -1;
    m_base = {};
    m_models->setRun(run);
    m_chartView->setRun(run);
    invalidate();
    updateRunList();
    if (!source) {
        showMessage(
            tr("Open a recorded run, then add runs of the same samples (other models) with Add run… or File › Add Run "
               "to Models…: the sample side by side in every model, where they disagree most, their error types "
               "and the comparison charts show here."));
        return;
    }
    if (!run) {
        showMessage(tr("%1 is a dataset: comparing models needs recorded runs of its samples (Run › Record Run…, "
                       "or posescope-cli record).")
                        .arg(fileName(source->path())));
        return;
    }
    m_pages->setCurrentIndex(1);
    showData();
    if (isVisible()) compute();
}

void ModelsView::addRun(const std::string& path) {
    if (!m_available) throw FileError(path, "cannot be compared: open a recorded run first");
    const auto other = analysis::RunBrowser::open(path);  // throws naming the file
    const auto* first = dynamic_cast<const analysis::RunBrowser*>(m_source);
    analysis::requirePairable(first->header(), first->path(), other->header(), path);
    m_runs.push_back(std::filesystem::absolute(path).string());
    m_titles << modelTitle(other->header(), path);
    runsEdited();
}

void ModelsView::removeRun(int index) {
    if (m_runs.empty()) return;
    const std::size_t i = index >= 0 && static_cast<std::size_t>(index) < m_runs.size()
                              ? static_cast<std::size_t>(index)
                              : m_runs.size() - 1;
    m_runs.erase(m_runs.begin() + static_cast<std::ptrdiff_t>(i));
    m_titles.removeAt(static_cast<int>(i) + 1);
    runsEdited();
}

void ModelsView::clearRuns() {
    if (m_runs.empty()) return;
    m_runs.clear();
    while (m_titles.size() > 1)
        m_titles.removeLast();
    runsEdited();
}

void ModelsView::runsEdited() {
    invalidate();
    updateRunList();
    updateModelsFigure();
    showData();
    Q_EMIT runsChanged();
    if (isVisible()) compute();
}

void ModelsView::updateRunList() {
    m_runList->clear();
    for (int i = 0; i < m_titles.size(); ++i) {
        auto* item = new QListWidgetItem(colourIcon(static_cast<std::size_t>(i)),
                                         i == 0 ? tr("%1 (the open run)").arg(m_titles[i]) : m_titles[i]);
        item->setToolTip(QString::fromStdString(i == 0 ? m_path : m_runs[static_cast<size_t>(i - 1)]));
        m_runList->addItem(item);
    }
    m_addButton->setEnabled(m_available);
    m_recordButton->setEnabled(m_available);
    m_removeButton->setEnabled(!m_runs.empty());
}

void ModelsView::invalidate() {
    ++m_generation;                      // drops the result of a comparison still running…
    if (m_watcher) m_watcher->cancel();  // …and stops it after its current stage
    m_watcher = nullptr;
    m_computing = false;
    m_report.reset();
    m_toFirstRow.clear();
    m_error.clear();
    clearData();
}

void ModelsView::setSelection(const analysis::FigureSpec& base, int64_t row, int keypoint, int layer) {
    m_base = base;
    m_row = row;
    m_keypoint = keypoint;
    m_layer = layer;
    updateModelsFigure();
}

analysis::FigureSpec ModelsView::spec(Part part) const {
    analysis::FigureSpec s = m_base;
    s.run = m_path;
    s.rows = {std::max<int64_t>(0, m_row)};
    s.runs = m_runs;
    s.usePoint = false;
    s.mhsaBlocks.clear();
    s.layers.clear();
    if (part == Part::Models) {
        s.kind = analysis::FigureKind::Models;
        s.keypoints = {std::max(0, m_keypoint)};
        if (m_layer >= 0) s.layers = {m_layer};
    } else {
        s.kind = analysis::FigureKind::Comparison;
        s.chart = kCharts[static_cast<std::size_t>(chart())];
        s.keypoints.clear();
    }
    return s;
}

void ModelsView::updateModelsFigure() {
    if (!m_available || m_row < 0) return;
    m_models->setFigure(spec(Part::Models), m_row);
}

void ModelsView::updateChart() {
    if (!m_available) return;
    const analysis::FigureSpec s = spec(Part::Chart);
    // Drawn only from this tab's result (set on the view's renderer): never computed on this thread.
    m_chartView->setFigure(s, m_report ? s.rows.front() : -1);
}

void ModelsView::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    compute();
}

void ModelsView::compute() {
    if (!m_available || m_computing || m_report || !m_error.isEmpty()) return;
    m_computing = true;
    const std::vector<std::string> paths = allRuns();
    const QString what =
        paths.size() == 1 ? tr("the open run") : tr("%1 runs").arg(static_cast<qlonglong>(paths.size()));
    m_caption->setText(tr("Comparing %1 (breakdowns, error taxonomy, attention statistics)…").arg(what));
    const uint64_t generation = m_generation;
    auto* watcher = new QFutureWatcher<Outcome>(this);
    m_watcher = watcher;
    connect(watcher, &QFutureWatcherBase::progressTextChanged, this, [this, generation, what](const QString& text) {
        if (generation == m_generation && m_computing)
            m_caption->setText(tr("Comparing %1: %2…").arg(what, text.toHtmlEscaped()));
    });
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, generation] {
        watcher->deleteLater();
        if (generation != m_generation) return;  // the runs changed meanwhile
        m_watcher = nullptr;
        m_computing = false;
        Outcome o;
        if (watcher->future().resultCount() > 0)
            o = watcher->result();
        else
            o.error = tr("the comparison was cancelled");
        m_error = o.error;
        if (o.report) {
            m_report = std::move(o.report);
            // Each model's row → the first run's row of the same sample.
            m_toFirstRow.assign(m_report->models.size(), {});
            for (const analysis::PairedSample& s : m_report->pairing.samples)
                for (std::size_t i = 0; i < s.rows.size() && i < m_toFirstRow.size(); ++i)
                    m_toFirstRow[i][s.rows[i]] = s.rows.front();
            // The chart draws this result (the spec's runs are its key), not one of its own.
            m_chartView->setComparisonData(spec(Part::Chart), *m_report);
        }
        showData();
        Q_EMIT finished(m_error.isEmpty(), m_error);
    });
    // The worker opens the runs itself (compareRuns opens its own readers) and holds copies only.
    watcher->setFuture(QtConcurrent::run([paths](QPromise<Outcome>& promise) {
        Outcome o;
        try {
            analysis::ComparisonOptions options;  // the defaults, as the comparison figure and the CLI
            int reports = 0;                      // progress values must grow
            options.progress = [&](const std::string& stage, int64_t done, int64_t total) {
                promise.setProgressValueAndText(++reports, QStringLiteral("%1 (%2 / %3)")
                                                               .arg(QString::fromStdString(stage))
                                                               .arg(static_cast<qlonglong>(done))
                                                               .arg(static_cast<qlonglong>(total)));
            };
            options.cancel = [&] { return promise.isCanceled(); };
            analysis::ComparisonReport report = analysis::compareRuns(paths, options);
            if (report.cancelled)
                o.error = QObject::tr("the comparison was cancelled");
            else
                o.report = std::move(report);
        } catch (const std::exception& e) {
            o.error = QString::fromStdString(e.what());
        }
        promise.addResult(std::move(o));
    }));
}

int64_t ModelsView::firstRunRow(int model, int64_t row) const {
    if (!m_report || model < 0 || static_cast<std::size_t>(model) >= m_toFirstRow.size()) return -1;
    if (model == 0) return row;
    const auto& map = m_toFirstRow[static_cast<std::size_t>(model)];
    const auto it = map.find(row);
    return it == map.end() ? -1 : it->second;
}

void ModelsView::clearData() {
    m_filling = true;
    m_disagreements->clear();
    m_disagreements->setRowCount(0);
    m_disagreements->setColumnCount(0);
    m_cases->setRowCount(0);
    m_filling = false;
    m_casesModel = -1;
    m_casesType = analysis::PoseErrorType::Good;
    m_casesTitle->setText(tr("Click a bar to list that model's keypoints of that error type."));
    m_errorPlot->clearPlottables();  // the bars leave their group too
    m_errorBars.clear();
    m_errorPlot->legend->setVisible(false);
    m_errorPlot->replot();
    updateChart();
}

QString ModelsView::modelsText() const {
    QString text;
    for (int i = 0; i < m_titles.size(); ++i) {
        QString name = m_titles[i];
        QString ap;
        if (m_report && static_cast<std::size_t>(i) < m_report->models.size()) {
            const analysis::ModelComparison& m = m_report->models[static_cast<size_t>(i)];
            name = QString::fromStdString(m.name);
            ap = m.breakdown.overall.ap < 0 ? tr(": no AP") : tr(": AP %1").arg(m.breakdown.overall.ap, 0, 'f', 3);
        }
        text += tr("%1<span style=\"color:%2\">■</span> <b>%3</b>%4")
                    .arg(i == 0 ? QString() : QStringLiteral(" &nbsp; "), paletteColour(static_cast<size_t>(i)).name(),
                         name.toHtmlEscaped(), ap);
    }
    return text;
}

void ModelsView::showData() {
    if (!m_available) return;
    if (!m_report) {
        if (!m_error.isEmpty())
            m_caption->setText(tr("%1<br>No comparison: %2").arg(modelsText(), m_error.toHtmlEscaped()));
        else if (!m_computing)
            m_caption->setText(tr("%1<br>The comparison (disagreement, errors, charts) is computed when this tab is "
                                  "shown.%2")
                                   .arg(modelsText(), m_runs.empty() ? tr(" Add runs of the same samples to compare "
                                                                          "models (Add run…).")
                                                                     : QString()));
        return;
    }
    const analysis::ComparisonReport& r = *m_report;
    const std::size_t M = r.models.size();
    QString unpaired;
    for (std::size_t i = 0; i < r.pairing.unpaired.size() && i < M; ++i)
        if (r.pairing.unpaired[i] > 0)
            unpaired += tr("; %1 rows of %2 not in every run")
                            .arg(static_cast<qlonglong>(r.pairing.unpaired[i]))
                            .arg(QString::fromStdString(r.models[i].name).toHtmlEscaped());
    m_caption->setText(tr("%1<br>%2 samples in every run%3. Disagreement: the %4 samples where the models' OKS "
                          "differ most (click one to show it); Errors: click a bar for its cases.")
                           .arg(modelsText())
                           .arg(static_cast<qlonglong>(r.pairing.samples.size()))
                           .arg(unpaired)
                           .arg(static_cast<qlonglong>(r.disagreements.size())));

    // Disagreement.
    m_filling = true;
    m_disagreements->clear();
    m_disagreements->setColumnCount(FirstOksColumn + static_cast<int>(M) + 1);
    QStringList headers{tr("image"), tr("annotation")};
    for (const analysis::ModelComparison& m : r.models)
        headers << tr("OKS %1").arg(QString::fromStdString(m.name));
    headers << tr("difference");
    m_disagreements->setHorizontalHeaderLabels(headers);
    for (std::size_t i = 0; i < M; ++i)
        m_disagreements->horizontalHeaderItem(FirstOksColumn + static_cast<int>(i))->setForeground(paletteColour(i));
    m_disagreements->setRowCount(static_cast<int>(r.disagreements.size()));
    for (int line = 0; line < static_cast<int>(r.disagreements.size()); ++line) {
        const analysis::PairedSample& s = r.disagreements[static_cast<size_t>(line)];
        QTableWidgetItem* image = idItem(s.imageId);
        image->setData(kFirstRowRole, static_cast<qlonglong>(s.rows.front()));
        QStringList rows;
        for (std::size_t i = 0; i < s.rows.size() && i < M; ++i)
            rows << tr("%1: row %2").arg(QString::fromStdString(r.models[i].name)).arg(s.rows[i]);
        image->setToolTip(rows.join(QLatin1Char('\n')));
        m_disagreements->setItem(line, ImageColumn, image);
        m_disagreements->setItem(line, AnnotationColumn, idItem(s.annotationId));
        for (std::size_t i = 0; i < s.oks.size() && i < M; ++i)
            m_disagreements->setItem(line, FirstOksColumn + static_cast<int>(i),
                                     numberItem(s.oks[i], numberText(s.oks[i], 3)));
        m_disagreements->setItem(line, FirstOksColumn + static_cast<int>(M),
                                 numberItem(s.disagreement, numberText(s.disagreement, 3)));
    }
    m_disagreements->resizeColumnsToContents();
    m_filling = false;

    // Errors: per model a bar per type, in % of its labelled keypoints of matched predictions.
    double highest = 0;
    for (std::size_t i = 0; i < M; ++i) {
        const analysis::ErrorTaxonomy& t = r.models[i].taxonomy;
        int64_t labelled = 0;
        for (int64_t n : t.totals)
            labelled += n;
        auto* bars = new QCPBars(m_errorPlot->xAxis, m_errorPlot->yAxis);
        bars->setName(QString::fromStdString(r.models[i].name));
        bars->setPen(QPen(paletteColour(i).darker(130)));
        bars->setBrush(paletteColour(i));
        bars->setWidth(0.8 / static_cast<double>(M));
        bars->setBarsGroup(m_errorGroup);
        bars->setSelectable(QCP::stSingleData);
        bars->selectionDecorator()->setPen(QPen(Qt::black, 2));
        bars->selectionDecorator()->setBrush(paletteColour(i).lighter(115));
        for (int type = 0; type < analysis::kPoseErrorTypeTypes; ++type) {
            const double share =
                labelled > 0 ? 100.0 * static_cast<double>(t.totals[static_cast<size_t>(type)]) / labelled : 0.0;
            bars->addData(type, share);
            highest = std::max(highest, share);
        }
        m_errorBars.push_back(bars);
    }
    m_errorPlot->legend->setVisible(true);
    m_errorPlot->yAxis->setRange(0, std::max(1.0, highest * (M > 6 ? 1.4 : 1.2)));  // room for the legend
    m_errorPlot->replot();

    updateChart();
}

int ModelsView::showErrorCases(int model, analysis::PoseErrorType type) {
    if (!m_report || model < 0 || static_cast<std::size_t>(model) >= m_report->models.size()) return 0;
    m_casesModel = model;
    m_casesType = type;
    const int t = static_cast<int>(type);
    for (std::size_t i = 0; i < m_errorBars.size(); ++i)
        m_errorBars[i]->setSelection(static_cast<int>(i) == model ? QCPDataSelection(QCPDataRange(t, t + 1))
                                                                  : QCPDataSelection());
    m_errorPlot->replot();

    const analysis::ModelComparison& m = m_report->models[static_cast<std::size_t>(model)];
    const QString typeName = QString::fromStdString(analysis::poseErrorName(type));
    std::vector<const analysis::KeypointErrorCase*> cases;
    for (const analysis::KeypointErrorCase& c : m.errorCases)
        if (c.type == type) cases.push_back(&c);
    m_filling = true;
    m_cases->setUpdatesEnabled(false);
    m_cases->setRowCount(0);
    m_cases->setRowCount(static_cast<int>(cases.size()));
    for (int line = 0; line < static_cast<int>(cases.size()); ++line) {
        const analysis::KeypointErrorCase& c = *cases[static_cast<size_t>(line)];
        const int64_t first = firstRunRow(model, c.row);
        m_cases->setItem(line, CaseImageColumn, idItem(c.imageId));
        m_cases->setItem(line, CaseAnnotationColumn, idItem(c.annotationId));
        const QString name = c.keypoint >= 0 && static_cast<std::size_t>(c.keypoint) < m_keypointNames.size()
                                 ? QString::fromStdString(m_keypointNames[static_cast<size_t>(c.keypoint)])
                                 : QString::number(c.keypoint);
        auto* keypoint = new QTableWidgetItem(name);
        keypoint->setData(Qt::UserRole, c.keypoint);
        m_cases->setItem(line, CaseKeypointColumn, keypoint);
        m_cases->setItem(line, CaseTypeColumn, new QTableWidgetItem(typeName));
        m_cases->setItem(line, CaseSwappedColumn,
                         c.type == analysis::PoseErrorType::Swap ? idItem(c.swappedWith) : new QTableWidgetItem);
        m_cases->setItem(line, CaseRowColumn, idItem(c.row));
        m_cases->setItem(
            line, CaseFirstRowColumn,
            numberItem(static_cast<double>(first), first < 0 ? tr("not in the open run") : QString::number(first)));
    }
    m_cases->resizeColumnsToContents();
    m_cases->setUpdatesEnabled(true);
    m_filling = false;
    int64_t labelled = 0;
    for (int64_t n : m.taxonomy.totals)
        labelled += n;
    if (type == analysis::PoseErrorType::Good)
        m_casesTitle->setText(tr("%1 · good: %2 of %3 labelled keypoints (good keypoints are not listed; click an "
                                 "error type)")
                                  .arg(QString::fromStdString(m.name))
                                  .arg(static_cast<qlonglong>(m.taxonomy.totals[0]))
                                  .arg(static_cast<qlonglong>(labelled)));
    else
        m_casesTitle->setText(tr("%1 · %2: %3 of %4 labelled keypoints — double-click one to show its sample and "
                                 "keypoint")
                                  .arg(QString::fromStdString(m.name), typeName)
                                  .arg(static_cast<qlonglong>(cases.size()))
                                  .arg(static_cast<qlonglong>(labelled)));
    return static_cast<int>(cases.size());
}

void ModelsView::chooseCase(int line) {
    if (m_filling || line < 0 || line >= m_cases->rowCount()) return;
    const QTableWidgetItem* first = m_cases->item(line, CaseFirstRowColumn);
    const QTableWidgetItem* keypoint = m_cases->item(line, CaseKeypointColumn);
    if (!first || !keypoint) return;
    const int64_t row = static_cast<int64_t>(first->data(Qt::UserRole).toDouble());
    if (row < 0) {
        m_casesTitle->setText(
            tr("This case's sample is not among the open run's samples (the runs differ in "
               "selection or shard): open its run to see it."));
        return;
    }
    Q_EMIT caseChosen(row, keypoint->data(Qt::UserRole).toInt());
}

}  // namespace posescope::gui
