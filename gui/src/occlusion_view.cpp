#include "occlusion_view.h"

#include "figure_view.h"
#include "message_pages.h"
#include "plot_palette.h"

#include <QComboBox>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QLabel>
#include <QSignalBlocker>
#include <QSplitter>
#include <QStackedWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>
#include "qcustomplot_include.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <exception>
#include <limits>
#include <utility>
#include <vector>

namespace posescope::gui {

namespace {

QString fileName(const std::string& path) {
    return QFileInfo(QString::fromStdString(path)).fileName();
}

// The measures in the order of the selector.
constexpr std::array<analysis::SensitivityMeasure, 3> kMeasures = {analysis::SensitivityMeasure::ScoreDrop,
                                                                   analysis::SensitivityMeasure::Displacement,
                                                                   analysis::SensitivityMeasure::OksDrop};

// A per layer vector of `L` values (NaN where `v` has none: gaps in the plots).
QVector<double> perLayer(const std::vector<double>& v, int L) {
    QVector<double> out(std::max(0, L), std::numeric_limits<double>::quiet_NaN());
    for (int l = 0; l < out.size() && static_cast<std::size_t>(l) < v.size(); ++l)
        out[l] = v[static_cast<std::size_t>(l)];
    return out;
}

// The plots' x axis: layer numbers when every model has as many layers, else relative depth.
struct LayerAxis {
    bool relative = false;
    int layers = 0;  // when not relative
    QVector<double> keys(int L) const {
        QVector<double> x;
        for (int l = 0; l < L; ++l)
            x << (relative ? (l + 0.5) / L : l + 1.0);
        return x;
    }
    void apply(QCPAxis* axis) const {
        if (relative) {
            axis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
            axis->setRange(0, 1);
            axis->setLabel(QObject::tr("relative depth (layer + ½) / layers"));
        } else {
            QSharedPointer<QCPAxisTickerFixed> ticker(new QCPAxisTickerFixed);
            ticker->setTickStep(1);
            ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
            axis->setTicker(ticker);
            axis->setRange(0.5, layers + 0.5);
            axis->setLabel(QObject::tr("layer"));
        }
    }
};

LayerAxis layerAxis(const analysis::OcclusionFigureData& d) {
    LayerAxis a;
    a.layers = d.models.empty() ? 1 : d.models.front().report.layers;
    for (const analysis::OcclusionFigureModel& m : d.models)
        a.relative = a.relative || m.report.layers != a.layers;
    return a;
}

// One model's values as a line with dots, solid or dashed, on the axes `x`, `y`.
QCPGraph* addSeries(QCustomPlot* plot, QCPAxis* x, QCPAxis* y, const QString& name, std::size_t model, bool dashed,
                    const QVector<double>& keys, const QVector<double>& values) {
    QCPGraph* g = plot->addGraph(x, y);
    g->setName(name);
    QPen pen(paletteColour(model), 1.6);
    if (dashed) pen.setStyle(Qt::DashLine);
    g->setPen(pen);
    g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, paletteColour(model), paletteColour(model), 5));
    g->setData(keys, values, true);
    return g;
}

// The y range of an axis rect's graphs (with 0 when `withZero`), a little padded.
void fitY(QCPAxis* y, const QList<QCPGraph*>& graphs, bool withZero) {
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (QCPGraph* g : graphs)
        for (auto it = g->data()->constBegin(); it != g->data()->constEnd(); ++it)
            if (std::isfinite(it->value)) lo = std::min(lo, it->value), hi = std::max(hi, it->value);
    if (!std::isfinite(lo)) lo = 0, hi = 1;
    if (withZero) lo = std::min(lo, 0.0), hi = std::max(hi, 0.0);
    const double pad = std::max(0.05 * (hi - lo), 1e-3);
    y->setRange(lo - (withZero && lo == 0 ? 0 : pad), hi + pad);
}

QString measureText(analysis::SensitivityMeasure m) {
    switch (m) {
        case analysis::SensitivityMeasure::ScoreDrop: return QObject::tr("score drop");
        case analysis::SensitivityMeasure::Displacement: return QObject::tr("displacement");
        case analysis::SensitivityMeasure::OksDrop: return QObject::tr("OKS drop");
    }
    return QObject::tr("score drop");
}

}  // namespace

struct OcclusionView::Outcome {
    std::optional<analysis::OcclusionFigureData> data;
    QString error;
};

OcclusionView::OcclusionView(QWidget* parent)
    : QWidget(parent),
      m_pages(new QStackedWidget(this)),
      m_message(new QLabel),
      m_caption(new QLabel),
      m_measureBox(new QComboBox),
      m_exportBox(new QComboBox),
      m_hiddenBox(new QComboBox),
      m_sensitivity(new FigureView),
      m_targeted(new FigureView),
      m_agreementPlot(new QCustomPlot),
      m_visibilityPlot(new QCustomPlot),
      m_targetedPlot(new QCustomPlot) {
    m_caption->setWordWrap(true);
    m_caption->setTextFormat(Qt::RichText);

    m_measureBox->addItems({tr("score drop"), tr("displacement"), tr("OKS drop")});
    m_measureBox->setToolTip(
        tr("What an occluder over each place does to the keypoint: the drop of its score, how far its "
           "prediction moves (image pixels), or the drop of its OKS term. The run-level agreement of "
           "attention with this effect follows the choice."));
    m_exportBox->addItems({tr("sensitivity map"), tr("targeted occlusion"), tr("run-level plots")});
    m_exportBox->setToolTip(tr("What File › Export Figure… draws on this tab (with its spec beside it)"));
    m_hiddenBox->setToolTip(
        tr("The region hidden in the targeted occlusion shown: around the current keypoint, or around a "
           "body part's keypoints (the parts the run was recorded with, occlude --targeted-parts)"));
    connect(m_hiddenBox, &QComboBox::currentIndexChanged, this, [this] { updateFigures(); });
    connect(m_measureBox, &QComboBox::currentIndexChanged, this, [this] {
        updateFigures();
        showData();
        if (isVisible()) compute();
    });

    m_sensitivity->setMinimumSize(200, 120);
    m_targeted->setMinimumSize(160, 200);
    // Each plot's title on its top axis; which line is which in the caption (the models in their
    // colours, the line styles), so the plots keep their room.
    const QFont small(font().family(), 8);
    auto title = [&](QCPAxisRect* r, const QString& text) {
        QCPAxis* top = r->axis(QCPAxis::atTop);
        top->setVisible(true);
        top->setTicks(false);
        top->setTickLabels(false);
        top->setLabel(text);
        top->setLabelFont(small);
        for (QCPAxis* a : {r->axis(QCPAxis::atLeft), r->axis(QCPAxis::atBottom)}) {
            a->setTickLabelFont(small);
            a->setLabelFont(small);
        }
    };
    for (QCustomPlot* plot : {m_agreementPlot, m_visibilityPlot, m_targetedPlot}) {
        plot->setMinimumHeight(140);
        plot->legend->setVisible(false);
    }
    title(m_agreementPlot->axisRect(), tr("attention vs causal effect · all keypoints"));
    m_agreementPlot->yAxis->setLabel(tr("agreement"));
    title(m_targetedPlot->axisRect(), tr("targeted: the hidden keypoint's row on its region"));
    m_targetedPlot->yAxis->setLabel(tr("share of the row"));
    // Occluded against visible: four axis rects, 2 × 2.
    {
        QCustomPlot* p = m_visibilityPlot;
        p->setMinimumHeight(260);
        const QString titles[] = {tr("entropy ÷ log T"), tr("on the occluder"), tr("on the symmetric joint"),
                                  tr("on adjacent joints")};
        for (int i = 0; i < 4; ++i) {
            QCPAxisRect* r = i == 0 ? p->axisRect() : new QCPAxisRect(p);
            if (i > 0) p->plotLayout()->addElement(i / 2, i % 2, r);
            title(r, titles[i]);
            r->axis(QCPAxis::atLeft)->setLabel(i == 0 ? tr("entropy") : tr("share of the row"));
        }
    }

    // Page 1: options, then the sample's maps | the run-level plots.
    auto* content = new QWidget;
    auto* column = new QVBoxLayout(content);
    column->setContentsMargins(0, 0, 0, 0);
    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("Sensitivity")));
    bar->addWidget(m_measureBox);
    bar->addSpacing(16);
    bar->addWidget(new QLabel(tr("Hide")));
    bar->addWidget(m_hiddenBox);
    bar->addSpacing(16);
    bar->addWidget(new QLabel(tr("Export")));
    bar->addWidget(m_exportBox);
    bar->addStretch(1);
    column->addLayout(bar);
    auto* maps = new QSplitter(Qt::Vertical);
    maps->addWidget(m_sensitivity);
    maps->addWidget(m_targeted);
    maps->setSizes({35, 65});  // proportions: the targeted grid is tall
    auto* plots = new QWidget;
    auto* plotColumn = new QVBoxLayout(plots);
    plotColumn->setContentsMargins(0, 0, 0, 0);
    plotColumn->addWidget(m_caption);
    auto* plotSplit = new QSplitter(Qt::Vertical);
    plotSplit->addWidget(m_agreementPlot);
    plotSplit->addWidget(m_visibilityPlot);
    plotSplit->addWidget(m_targetedPlot);
    plotSplit->setSizes({30, 45, 25});
    plotColumn->addWidget(plotSplit, 1);
    auto* split = new QSplitter(Qt::Horizontal);
    split->addWidget(maps);
    split->addWidget(plots);
    split->setSizes({45, 55});
    column->addWidget(split, 1);

    setUpMessagePages(this, m_pages, m_message, content);
    setSource(nullptr);
}

OcclusionView::~OcclusionView() = default;  // a running summary owns copies only; its result is dropped

QString OcclusionView::message() const {
    return m_pages->currentIndex() == 0 ? m_message->text() : QString();
}

QString OcclusionView::caption() const {
    return m_caption->text();
}

void OcclusionView::showMessage(const QString& text) {
    m_message->setText(text);
    m_pages->setCurrentIndex(0);
}

analysis::SensitivityMeasure OcclusionView::measure() const {
    return kMeasures[static_cast<std::size_t>(std::clamp(m_measureBox->currentIndex(), 0, 2))];
}

void OcclusionView::setMeasure(analysis::SensitivityMeasure measure) {
    m_measureBox->setCurrentIndex(
        static_cast<int>(std::find(kMeasures.begin(), kMeasures.end(), measure) - kMeasures.begin()));
}

void OcclusionView::setExportPart(Part part) {
    m_exportBox->setCurrentIndex(static_cast<int>(part));
}

OcclusionView::Part OcclusionView::exportPart() const {
    return static_cast<Part>(std::clamp(m_exportBox->currentIndex(), 0, 2));
}

void OcclusionView::invalidate() {
    ++m_generation;  // drops the result of a summary still running
    m_computing = false;
    m_data.clear();
    m_error.clear();
    clearPlots();
}

void OcclusionView::setSource(const analysis::SampleSource* source) {
    invalidate();
    const auto* run = dynamic_cast<const analysis::RunBrowser*>(source);
    m_available = run && run->hasOcclusion();
    m_path = m_available ? run->path() : std::string();
    m_allRows = m_available && run->hasTargetedAllRows();
    m_row = -1;
    {
        const QSignalBlocker block(m_hiddenBox);
        m_hiddenBox->clear();
        m_hiddenBox->addItem(tr("the keypoint"));
        if (m_available)
            for (const posescope::BodyPart& part : run->header().targetedParts)
                m_hiddenBox->addItem(QString::fromStdString(part.name).replace(QLatin1Char('_'), QLatin1Char(' ')),
                                     QString::fromStdString(part.name));
        m_hiddenBox->setEnabled(m_hiddenBox->count() > 1);
    }
    m_sensitivity->setRun(m_available ? source : nullptr);
    m_targeted->setRun(m_available ? source : nullptr);  // a run without targeted occlusions says so there
    if (!source) {
        showMessage(
            tr("Open an occlusion run (recorded with posescope-cli occlude): the sensitivity of each keypoint "
               "to an occluder, targeted occlusions and the run's attention against the causal effect "
               "show here."));
        return;
    }
    if (!m_available) {
        showMessage(tr("%1 holds no occlusion analysis. Record one with\n\nposescope-cli occlude --config … "
                       "--checkpoint … --dataset … --images … --out run.h5\n\n(the same options as record; see "
                       "posescope-cli occlude --help): the sensitivity maps, targeted occlusions and the run-level "
                       "plots then show here.")
                        .arg(fileName(source->path())));
        return;
    }
    m_pages->setCurrentIndex(1);
    m_caption->setText(tr("The run-level plots of %1 are computed when this tab is shown.").arg(fileName(m_path)));
    if (isVisible()) compute();
}

void OcclusionView::setComparison(const analysis::RunBrowser* second) {
    const std::string before = m_comparison;
    m_comparison.clear();
    m_comparisonNote.clear();
    if (second && second->hasOcclusion())
        m_comparison = second->path();
    else if (second)
        m_comparisonNote = tr("the Compare tab's %1 holds no occlusion analysis").arg(fileName(second->path()));
    if (m_comparison == before) {  // the same models: only the caption's note may change
        if (result()) showData();
        return;
    }
    invalidate();
    if (!m_available) return;
    m_caption->setText(tr("The run-level plots are computed when this tab is shown."));
    if (isVisible()) compute();
}

void OcclusionView::setSelection(const analysis::FigureSpec& base, int64_t row, int keypoint, int layer) {
    m_base = base;
    m_row = row;
    m_keypoint = keypoint;
    m_layer = layer;
    updateFigures();
}

std::vector<std::string> OcclusionView::extraRuns() const {
    if (m_comparison.empty()) return {};
    return {m_comparison};
}

analysis::FigureSpec OcclusionView::spec(Part part) const {
    analysis::FigureSpec s = m_base;
    s.measure = measure();
    s.rows = {std::max<int64_t>(0, m_row)};
    switch (part) {
        case Part::Sensitivity:
            s.kind = analysis::FigureKind::Sensitivity;
            s.keypoints.clear();
            if (m_keypoint >= 0) s.keypoints = {m_keypoint};
            break;
        case Part::Targeted:
            s.kind = analysis::FigureKind::Targeted;
            s.keypoints = {std::max(0, m_keypoint)};
            s.part = m_hiddenBox->currentIndex() > 0 ? m_hiddenBox->currentData().toString().toStdString() : "";
            // With a part hidden: the window's keypoint's maps when the run keeps every row, else the part's.
            if (!s.part.empty() && !(m_allRows && m_keypoint >= 0)) s.keypoints.clear();
            s.layers.clear();
            if (m_layer >= 0) s.layers = {m_layer};
            break;
        case Part::Dataset:
            s.kind = analysis::FigureKind::Occlusion;
            s.keypoints.clear();
            s.layers.clear();
            s.runs = extraRuns();
            break;
    }
    return s;
}

void OcclusionView::updateFigures() {
    if (!m_available || m_row < 0) return;
    m_sensitivity->setFigure(spec(Part::Sensitivity), m_row);
    m_targeted->setFigure(spec(Part::Targeted), m_row);
}

void OcclusionView::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    compute();
}

const analysis::OcclusionFigureData* OcclusionView::result() const {
    const auto it = m_data.find(static_cast<int>(measure()));
    return it == m_data.end() ? nullptr : &it->second;
}

void OcclusionView::compute() {
    if (!m_available || m_computing) return;
    if (result()) {  // known for this measure
        showData();
        return;
    }
    m_computing = true;
    const analysis::SensitivityMeasure wanted = measure();
    m_caption->setText(
        tr("Computing the run-level plots of %1 (%2)…")
            .arg(fileName(m_path) + (m_comparison.empty() ? QString() : tr(" and %1").arg(fileName(m_comparison))),
                 measureText(wanted)));
    const uint64_t generation = m_generation;
    auto* watcher = new QFutureWatcher<Outcome>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, generation, wanted] {
        watcher->deleteLater();
        if (generation != m_generation) return;  // another run or comparison was set meanwhile
        m_computing = false;
        const Outcome o = watcher->result();
        m_error = o.error;
        if (o.data) m_data[static_cast<int>(wanted)] = *o.data;
        if (wanted != measure() && o.error.isEmpty() && isVisible()) {  // the measure changed meanwhile
            compute();
            return;
        }
        showData();
        Q_EMIT finished(o.error.isEmpty(), o.error.isEmpty() ? QString() : caption());
    });
    // The worker opens the runs itself (a RunBrowser belongs to one thread) and holds copies only.
    watcher->setFuture(QtConcurrent::run([path = m_path, runs = extraRuns(), wanted] {
        Outcome o;
        try {
            const auto run = analysis::RunBrowser::open(path);
            analysis::FigureSpec s;
            s.kind = analysis::FigureKind::Occlusion;
            s.run = path;
            s.runs = runs;
            s.measure = wanted;
            o.data = analysis::occlusionFigureData(*run, s);
        } catch (const std::exception& e) {
            o.error = QString::fromStdString(e.what());
        }
        return o;
    }));
}

void OcclusionView::clearPlots() {
    for (QCustomPlot* plot : {m_agreementPlot, m_visibilityPlot, m_targetedPlot}) {
        plot->clearGraphs();
        plot->replot();
    }
}

void OcclusionView::showData() {
    clearPlots();
    const analysis::OcclusionFigureData* d = result();
    if (!d) {
        if (!m_error.isEmpty())
            m_caption->setText(tr("No run-level plots: %1").arg(m_error.toHtmlEscaped()));
        else if (!m_computing)
            m_caption->setText(
                tr("The run-level plots for the %1 are computed when this tab is shown.").arg(measureText(measure())));
        return;
    }
    // The caption: each model in its colour, with its samples.
    QString models;
    for (std::size_t m = 0; m < d->models.size(); ++m) {
        const analysis::OcclusionFigureModel& model = d->models[m];
        models += tr("%1<span style=\"color:%2\">■</span> <b>%3</b> (%4 samples)")
                      .arg(m == 0 ? QString() : QStringLiteral(" &nbsp; "), paletteColour(m).name(),
                           QString::fromStdString(model.name).toHtmlEscaped())
                      .arg(static_cast<qlonglong>(model.report.samples));
    }
    QString note;
    if (!m_comparisonNote.isEmpty()) note = QStringLiteral("; ") + m_comparisonNote.toHtmlEscaped();
    m_caption->setText(tr("%1<br>Per layer, attention against the %2 of an occluder: Spearman ρ solid, top-10% "
                          "overlap dashed; occluded keypoints solid, visible dashed; targeted: before hiding solid, "
                          "after dashed%3.")
                           .arg(models, measureText(measure()), note));
    const LayerAxis axis = layerAxis(*d);
    // (a) Agreement.
    {
        QCustomPlot* p = m_agreementPlot;
        for (std::size_t m = 0; m < d->models.size(); ++m) {
            const analysis::OcclusionReport& r = d->models[m].report;
            const QString name = QString::fromStdString(d->models[m].name);
            addSeries(p, p->xAxis, p->yAxis, tr("%1 · Spearman ρ").arg(name), m, false, axis.keys(r.layers),
                      perLayer(r.all.spearman, r.layers));
            addSeries(p, p->xAxis, p->yAxis, tr("%1 · top-10% overlap").arg(name), m, true, axis.keys(r.layers),
                      perLayer(r.all.topKOverlap, r.layers));
        }
        axis.apply(p->xAxis);
        fitY(p->yAxis, p->axisRect()->graphs(), true);
        p->replot();
    }
    // (b) Occluded against visible.
    {
        QCustomPlot* p = m_visibilityPlot;
        using Member = std::vector<double> analysis::VisibilityGroupStats::*;
        const Member members[] = {&analysis::VisibilityGroupStats::entropy, &analysis::VisibilityGroupStats::occluder,
                                  &analysis::VisibilityGroupStats::symmetric,
                                  &analysis::VisibilityGroupStats::adjacent};
        const QList<QCPAxisRect*> rects = p->axisRects();
        for (int i = 0; i < 4 && i < rects.size(); ++i) {
            QCPAxisRect* rect = rects[i];
            QCPAxis* x = rect->axis(QCPAxis::atBottom);
            QCPAxis* y = rect->axis(QCPAxis::atLeft);
            for (std::size_t m = 0; m < d->models.size(); ++m) {
                const analysis::OcclusionReport& r = d->models[m].report;
                const QString name = QString::fromStdString(d->models[m].name);
                addSeries(p, x, y, tr("%1 · occluded").arg(name), m, false, axis.keys(r.layers),
                          perLayer(r.visibility.occluded.*members[i], r.layers));
                addSeries(p, x, y, tr("%1 · visible").arg(name), m, true, axis.keys(r.layers),
                          perLayer(r.visibility.visible.*members[i], r.layers));
            }
            axis.apply(x);
            fitY(y, rect->graphs(), i > 0);
        }
        p->replot();
    }
    // (c) Targeted occlusion.
    {
        QCustomPlot* p = m_targetedPlot;
        for (std::size_t m = 0; m < d->models.size(); ++m) {
            const analysis::OcclusionReport& r = d->models[m].report;
            if (!r.targeted) continue;
            const QString name = QString::fromStdString(d->models[m].name);
            addSeries(p, p->xAxis, p->yAxis, tr("%1 · before hiding").arg(name), m, false, axis.keys(r.layers),
                      perLayer(r.hiddenShareBefore, r.layers));
            addSeries(p, p->xAxis, p->yAxis, tr("%1 · after hiding").arg(name), m, true, axis.keys(r.layers),
                      perLayer(r.hiddenShareAfter, r.layers));
        }
        axis.apply(p->xAxis);
        fitY(p->yAxis, p->axisRect()->graphs(), true);
        p->replot();
    }
}

}  // namespace posescope::gui
