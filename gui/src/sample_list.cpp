#include "sample_list.h"

#include <opencv2/imgproc.hpp>

#include <utility>

namespace posescope::gui {

SampleListModel::SampleListModel(QObject* parent) : QAbstractListModel(parent) {}

void SampleListModel::setRun(const analysis::SampleSource* run) {
    beginResetModel();
    m_run = run;
    m_thumbnails.clear();
    if (m_run) (void)m_run->facts();  // read once, before views ask
    endResetModel();
}

int SampleListModel::rowCount(const QModelIndex& parent) const {
    if (parent.isValid() || !m_run) return 0;
    return static_cast<int>(m_run->facts().size());
}

QVariant SampleListModel::data(const QModelIndex& index, int role) const {
    if (!m_run || !index.isValid() || index.row() >= rowCount()) return {};
    const analysis::SampleFacts& f = m_run->facts()[static_cast<size_t>(index.row())];
    switch (role) {
        case Qt::DisplayRole: {
            QString text = QStringLiteral("#%1  image %2").arg(f.row).arg(f.imageId);
            if (f.oks >= 0) text += QStringLiteral("\nOKS %1").arg(f.oks, 0, 'f', 2);
            if (f.occluded > 0) text += QStringLiteral(" · %1 occluded").arg(f.occluded);
            return text;
        }
        case Qt::ToolTipRole:
            return QStringLiteral(
                       "row %1, image %2, annotation %3\nbox area %4 px², %5 labelled keypoints (%6 "
                       "occluded)\nOKS %7, mean error %8 px (crop), mean score %9")
                .arg(f.row)
                .arg(f.imageId)
                .arg(f.annotationId)
                .arg(f.boxArea, 0, 'f', 0)
                .arg(f.labelled)
                .arg(f.occluded)
                .arg(f.oks, 0, 'f', 3)
                .arg(f.meanError, 0, 'f', 1)
                .arg(f.meanScore, 0, 'f', 2);
        case Qt::DecorationRole: {
            if (QImage* cached = m_thumbnails.object(index.row())) return *cached;
            try {
                cv::Mat crop = m_run->crop(f.row), small;
                const double k = 72.0 / crop.rows;
                cv::resize(crop, small, cv::Size(), k, k, cv::INTER_AREA);
                auto* image = new QImage(
                    QImage(small.data, small.cols, small.rows, static_cast<int>(small.step), QImage::Format_RGB888)
                        .copy());
                m_thumbnails.insert(index.row(), image);
                return *image;
            } catch (const std::exception&) {
                return {};  // an unreadable crop shows no thumbnail; the views report the error
            }
        }
        case RunRowRole: return QVariant::fromValue<qlonglong>(f.row);
        case OksRole: return f.oks;
        case AreaRole: return f.boxArea;
        default: return {};
    }
}

QStringList sampleFilterNames() {
    return {QStringLiteral("All samples"),        QStringLiteral("With occluded keypoints"),
            QStringLiteral("Errors (OKS < 0.5)"), QStringLiteral("Small persons (< 32²)"),
            QStringLiteral("Medium (32²–96²)"),   QStringLiteral("Large (> 96²)")};
}

QStringList sampleOrderNames() {
    return {QStringLiteral("Recorded order"),      QStringLiteral("Worst OKS first"),
            QStringLiteral("Best OKS first"),      QStringLiteral("Largest error first"),
            QStringLiteral("Lowest score first"),  QStringLiteral("Smallest person first"),
            QStringLiteral("Largest person first")};
}

SampleFilterModel::SampleFilterModel(QObject* parent) : QSortFilterProxyModel(parent) {
    sort(0);  // lessThan follows m_order; the recorded order until one is chosen
}

void SampleFilterModel::setOrder(SampleOrder order) {
    m_order = order;
    invalidate();  // re-sorts with the new lessThan
}

bool SampleFilterModel::lessThan(const QModelIndex& left, const QModelIndex& right) const {
    const auto* model = qobject_cast<const SampleListModel*>(sourceModel());
    if (!model || !model->run()) return left.row() < right.row();
    const std::vector<analysis::SampleFacts>& facts = model->run()->facts();
    const analysis::SampleFacts& a = facts[static_cast<size_t>(left.row())];
    const analysis::SampleFacts& b = facts[static_cast<size_t>(right.row())];
    // A key per order (smaller first) and whether the sample has one (those without come last).
    const auto key = [this](const analysis::SampleFacts& f) -> std::pair<bool, double> {
        switch (m_order) {
            case SampleOrder::Recorded: return {true, 0.0};
            case SampleOrder::WorstOksFirst: return {f.oks >= 0, f.oks};
            case SampleOrder::BestOksFirst: return {f.oks >= 0, -f.oks};
            case SampleOrder::LargestErrorFirst: return {f.meanError >= 0, -f.meanError};
            case SampleOrder::LowestScoreFirst: return {true, f.meanScore};
            case SampleOrder::SmallestFirst: return {true, f.boxArea};
            case SampleOrder::LargestFirst: return {true, -f.boxArea};
        }
        return {true, 0.0};
    };
    const auto [hasA, ka] = key(a);
    const auto [hasB, kb] = key(b);
    if (hasA != hasB) return hasA;
    if (hasA && ka != kb) return ka < kb;
    return a.row < b.row;
}

void SampleFilterModel::setFilter(SampleFilter filter) {
    m_filter = filter;
    invalidateFilter();
}

bool SampleFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const {
    const auto* model = qobject_cast<const SampleListModel*>(sourceModel());
    if (!model || !model->run() || sourceParent.isValid()) return true;
    const analysis::SampleFacts& f = model->run()->facts()[static_cast<size_t>(sourceRow)];
    switch (m_filter) {
        case SampleFilter::All: return true;
        case SampleFilter::Occluded: return f.occluded > 0;
        case SampleFilter::Errors: return f.oks >= 0 && f.oks < 0.5;
        case SampleFilter::Small: return f.boxArea < 32.0 * 32;
        case SampleFilter::Medium: return f.boxArea >= 32.0 * 32 && f.boxArea <= 96.0 * 96;
        case SampleFilter::Large: return f.boxArea > 96.0 * 96;
    }
    return true;
}

}  // namespace posescope::gui
