#include "layerwise_plot.h"

#include "qcustomplot_include.h"

#include <QVBoxLayout>

#include <cmath>

namespace posescope::gui {

LayerwisePlot::LayerwisePlot(QWidget* parent) : QWidget(parent), m_plot(new QCustomPlot(this)) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot);
    m_plot->xAxis->setLabel(tr("encoder layer"));
    m_plot->yAxis->setLabel(tr("peak score · relative entropy"));
    m_plot->yAxis2->setLabel(tr("distance (crop pixels)"));
    m_plot->yAxis2->setVisible(true);
    m_plot->legend->setVisible(true);
    m_plot->legend->setFont(QFont(font().family(), 8));
    const struct {
        const char* name;
        QColor colour;
        bool right;
    } series[] = {{"peak score", QColor(31, 119, 180), false},
                  {"attention entropy / uniform", QColor(148, 103, 189), false},
                  {"distance to final", QColor(255, 127, 14), true},
                  {"distance to ground truth", QColor(214, 39, 40), true}};
    for (const auto& s : series) {
        QCPGraph* g = m_plot->addGraph(m_plot->xAxis, s.right ? m_plot->yAxis2 : m_plot->yAxis);
        g->setName(tr(s.name));
        g->setPen(QPen(s.colour, 1.6));
        g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, s.colour, s.colour, 5));
    }
}

void LayerwisePlot::clear() {
    for (int i = 0; i < m_plot->graphCount(); ++i)
        m_plot->graph(i)->data()->clear();
    m_plot->replot();
}

void LayerwisePlot::setStats(const std::vector<analysis::LayerStats>& stats, const QString& keypoint) {
    QVector<double> x, score, entropy, toFinal, toTruth;
    double farthest = 1;
    for (const analysis::LayerStats& s : stats) {
        x << s.layer + 1;
        score << s.score;
        entropy << (s.maxEntropy > 0 ? s.entropy / s.maxEntropy : qQNaN());
        toFinal << s.toFinal;
        toTruth << s.toTruth;
        for (double d : {static_cast<double>(s.toFinal), static_cast<double>(s.toTruth)})
            if (std::isfinite(d)) farthest = std::max(farthest, d);
    }
    m_plot->graph(0)->setData(x, score, true);
    m_plot->graph(1)->setData(x, entropy, true);
    m_plot->graph(2)->setData(x, toFinal, true);
    m_plot->graph(3)->setData(x, toTruth, true);
    m_plot->xAxis->setRange(0.5, stats.size() + 0.5);
    QSharedPointer<QCPAxisTickerFixed> ticker(new QCPAxisTickerFixed);
    ticker->setTickStep(1);
    m_plot->xAxis->setTicker(ticker);
    m_plot->yAxis->setRange(0, 1.05);
    m_plot->yAxis2->setRange(0, farthest * 1.1);
    m_plot->xAxis2->setLabel(keypoint);
    m_plot->xAxis2->setVisible(true);
    m_plot->xAxis2->setTickLabels(false);
    m_plot->replot();
}

}  // namespace posescope::gui
